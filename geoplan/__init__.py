"""geoplan — county (县域) planning GIS toolkit.

Read a county's layers, delineate functional zones, audit approved-but-unsupplied and idle land,
measure park-to-trunk connectivity, map the settlement hierarchy and write offline HTML reports.

Public names are imported lazily (``import geoplan`` stays fast; each analysis pulls in its heavy
dependencies only when first used).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from geoplan._version import __version__

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # foundation
    "read_layer": "geoplan.io",
    "ReadReport": "geoplan.io",
    "County": "geoplan.county",
    "CountySummary": "geoplan.county",
    # one way from a county to each analysis
    "run_audit": "geoplan.runs",
    "run_zones": "geoplan.runs",
    "run_connectivity": "geoplan.runs",
    "run_hierarchy": "geoplan.runs",
    "run_efficiency": "geoplan.runs",
    "map_context": "geoplan.runs",
    "MapContext": "geoplan.maps",
    # land-inventory audit
    "audit_land": "geoplan.audit",
    "AuditRules": "geoplan.audit",
    "AuditResult": "geoplan.audit",
    "audit_options": "geoplan.audit",
    # 亩均效益 evaluation, 低效用地 and the stock ledger
    "land_efficiency": "geoplan.efficiency",
    "EfficiencyResult": "geoplan.efficiency",
    "EfficiencyRules": "geoplan.efficiency",
    "efficiency_options": "geoplan.efficiency",
    "read_table": "geoplan.io",
    # road network and connectivity
    "road_network": "geoplan.network",
    "RoadNetwork": "geoplan.network",
    "Speeds": "geoplan.network",
    "network_options": "geoplan.network",
    "park_connectivity": "geoplan.connectivity",
    "ConnectivityResult": "geoplan.connectivity",
    "isochrones": "geoplan.connectivity",
    "connectivity_options": "geoplan.connectivity",
    # land use and functional zones
    "classify_landuse": "geoplan.landuse",
    "load_scheme": "geoplan.landuse",
    "detect_scheme": "geoplan.landuse",
    "Scheme": "geoplan.landuse",
    "make_grid": "geoplan.zones",
    "h3_units": "geoplan.zones",
    "CompositionResult": "geoplan.zones",
    "ZonesResult": "geoplan.zones",
    "landuse_composition": "geoplan.zones",
    "functional_zones": "geoplan.zones",
    "zones_options": "geoplan.zones",
    "ZonesOptions": "geoplan.zones",
    # settlement hierarchy, maps, report
    "settlement_hierarchy": "geoplan.hierarchy",
    "ReachTargets": "geoplan.hierarchy",
    "HierarchyResult": "geoplan.hierarchy",
    "HierarchyWeights": "geoplan.hierarchy",
    "hierarchy_options": "geoplan.hierarchy",
    "build_report": "geoplan.report",
    # province scale on Dask (the scale extra)
    "run_province": "geoplan.province",
    "ProvinceResult": "geoplan.province",
    "open_province": "geoplan.province",
    "synthetic_county": "geoplan.datasets",
    "SyntheticCounty": "geoplan.datasets",
    "demo_path": "geoplan.datasets",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'geoplan' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs only
    from geoplan.county import County as County
    from geoplan.county import CountySummary as CountySummary
    from geoplan.io import ReadReport as ReadReport
    from geoplan.io import read_layer as read_layer
