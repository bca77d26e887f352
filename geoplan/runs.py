"""Run each analysis on a :class:`~geoplan.county.County`: the one way from a county's layers and
``[parameters.*]`` to each analysis's inputs and options.

The command line, the report and a notebook all call these, so a county.toml setting has the same
effect everywhere. Each function takes the county (a package from :meth:`County.open`, loose
files from :meth:`County.from_sources`, either adjusted with :meth:`County.with_overrides`) and
the command-line options as keywords that override the county's parameters (None: not given).
Unknown parameter keys are an error.

Examples
--------
>>> from geoplan.county import County
>>> from geoplan.datasets import demo_path
>>> county = County.open(demo_path())
>>> run_hierarchy(county, n_central=2).summary["n_central_town"]
2
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd

from geoplan.audit import AuditResult, audit_land, audit_options
from geoplan.connectivity import ConnectivityResult, connectivity_options, park_connectivity
from geoplan.county import County
from geoplan.crs import to_metric
from geoplan.efficiency import EfficiencyResult, efficiency_options, land_efficiency
from geoplan.errors import InputError
from geoplan.hierarchy import HierarchyResult, hierarchy_options, settlement_hierarchy
from geoplan.maps import MapContext
from geoplan.network import NETWORK_KEYS, RoadNetwork
from geoplan.zones import (
    ZonesOptions,
    ZonesResult,
    functional_zones,
    h3_units,
    landuse_composition,
    make_grid,
    zones_options,
)

__all__ = [
    "ANALYSIS_ROLES",
    "RUNS",
    "map_context",
    "run_audit",
    "run_connectivity",
    "run_efficiency",
    "run_hierarchy",
    "run_zones",
]

logger = logging.getLogger(__name__)


def _optional(county: County, role: str) -> gpd.GeoDataFrame | None:
    return county.layer(role) if county.has(role) else None


def map_context(county: County) -> MapContext:
    """What every map of ``county``'s analyses draws under it for orientation: its boundary
    and township outlines (each when the county has the layer). The command line, the report
    and a notebook give it to a result's ``explore(context=…)`` / ``to_files(…, context=…)``.

    Examples
    --------
    >>> from geoplan.county import County
    >>> from geoplan.datasets import demo_path
    >>> ctx = map_context(County.open(demo_path()))
    >>> len(ctx.boundary), len(ctx.townships)
    (1, 16)
    """
    return MapContext(
        boundary=_optional(county, "boundary"), townships=_optional(county, "townships")
    )


def run_audit(county: County, *, match: str | None = None) -> AuditResult:
    """The land-inventory audit of ``county`` as of its as-of date, with ``[parameters.audit]``.

    ``match`` overrides the rules' matching (``overlay``, ``id`` or ``both``). Findings are
    attributed to the county's townships when it has them.
    """
    rules = audit_options(county.params("audit"), match=match)
    return audit_land(
        county.approvals,
        county.supplies,
        as_of=county.as_of,
        rules=rules,
        townships=_optional(county, "townships"),
    )


def run_zones(
    county: County, *, units: gpd.GeoDataFrame | None = None, **overrides: Any
) -> ZonesResult:
    """Functional zones of ``county`` with ``[parameters.zones]``.

    The land use is the ``landuse`` layer, else the ``landcover`` raster (its scheme from
    ``[parameters.landcover] scheme`` unless ``scheme`` is set). The units are ``units`` when
    given (any polygons, e.g. villages), else H3 hexagons (``h3_resolution``), else a grid of
    ``cell`` metres clipped to the boundary (anchored at the land use without one). Overrides
    are :class:`~geoplan.zones.ZonesOptions` fields.
    """
    opts = zones_options(county.params("zones"), **overrides)
    landuse, scheme = _landuse(county, opts)
    boundary = _optional(county, "boundary")
    unit_layer: gpd.GeoDataFrame | float
    if units is not None:
        unit_layer = to_metric(units, county.crs, name="units")
    elif opts.h3_resolution is not None:
        if boundary is None:
            raise InputError(
                f"H3 units need a county boundary; {county.name} has none. Add a boundary layer "
                "or use grid cells."
            )
        unit_layer = h3_units(boundary, opts.h3_resolution)
    elif boundary is not None:
        unit_layer = make_grid(boundary, float(opts.cell))
    else:
        unit_layer = float(opts.cell)  # a grid anchored at the land use
    composition = landuse_composition(landuse, unit_layer, scheme=scheme)
    return functional_zones(
        composition,
        single_share=float(opts.single_share),
        min_zone_area=float(opts.min_zone_ha) * 1e4,
        regions=opts.regions,
        townships=_optional(county, "townships"),
        zoning=_optional(county, "zoning"),
    )


def _landuse(county: County, opts: ZonesOptions) -> tuple[Any, str]:
    if county.has("landuse"):
        return county.layer("landuse"), opts.scheme
    if county.has("landcover"):
        scheme = opts.scheme
        if scheme == "auto":
            scheme = str(county.params("landcover").get("scheme", "auto"))
        return county.source("landcover"), scheme
    raise InputError(
        f"County {county.name} has neither a landuse layer nor a landcover raster; add one "
        "under [layers] in county.toml (or give --landuse SRC)."
    )


def _network(county: County, overrides: dict[str, Any]) -> RoadNetwork:
    """The county's cached network, or a network of its own when options change its shape."""
    return county.road_network(**{k: v for k, v in overrides.items() if k in NETWORK_KEYS})


def run_connectivity(county: County, **overrides: Any) -> ConnectivityResult:
    """Park-to-trunk connectivity of ``county`` over its road network, with
    ``[parameters.connectivity]``; overrides are its keys (``max_routes``, ``snap_tolerance``,
    ``isochrone_minutes`` …)."""
    _, options = connectivity_options(county.params("connectivity"), **overrides)
    return park_connectivity(county.parks, _network(county, overrides), **options)


def run_hierarchy(county: County, **overrides: Any) -> HierarchyResult:
    """The settlement hierarchy of ``county`` over its road network (built with
    ``[parameters.connectivity]``'s network options), with ``[parameters.hierarchy]``;
    overrides are its keys (``n_central`` …)."""
    options = hierarchy_options(county.params("hierarchy"), **overrides)
    return settlement_hierarchy(county.settlements, county.road_network(), **options)


def run_efficiency(
    county: County, *, scheme: str | None = None, audit: AuditResult | None = None
) -> EfficiencyResult:
    """The 亩均效益 evaluation of ``county``'s ``enterprises`` on its supplies, with
    ``[parameters.efficiency]`` (a ``scheme`` file there is relative to the county folder;
    ``scheme`` here — the command line's — to the working folder).

    批而未供 and 闲置 for the stock ledger come from ``audit`` (the same county's
    :func:`run_audit`, as the report passes it) or, when not given, from running it here when
    the county has approvals; land and firms are attributed to its townships and parks when it
    has them.
    """
    options = efficiency_options(county.params("efficiency"), base=county.path, scheme=scheme)
    if audit is None and county.has("approvals"):
        audit = run_audit(county)
    return land_efficiency(
        county.enterprises,
        county.supplies,
        parks=_optional(county, "parks"),
        townships=_optional(county, "townships"),
        audit=audit,
        as_of=county.as_of,
        **options,
    )


#: each analysis's ``run_*`` by key (the report and the province run them through this table)
RUNS: dict[str, Any] = {
    "audit": run_audit,
    "zones": run_zones,
    "connectivity": run_connectivity,
    "hierarchy": run_hierarchy,
    "efficiency": run_efficiency,
}
#: the layers each analysis needs: every group needs one of its roles
ANALYSIS_ROLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "audit": (("approvals",), ("supplies",)),
    "zones": (("landuse", "landcover"), ("boundary",)),
    "connectivity": (("parks",), ("roads",)),
    "hierarchy": (("settlements",), ("roads",)),
    "efficiency": (("enterprises",), ("supplies",)),
}
