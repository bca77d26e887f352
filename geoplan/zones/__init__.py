"""Functional zones: 三生 composition per unit, dominant function, mix, contiguous zones."""

from __future__ import annotations

from geoplan.zones._functional import (
    CompositionResult,
    ZonesResult,
    functional_zones,
    h3_units,
    landuse_composition,
    make_grid,
)

__all__ = [
    "CompositionResult",
    "ZonesResult",
    "functional_zones",
    "h3_units",
    "landuse_composition",
    "make_grid",
]
