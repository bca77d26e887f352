"""Functional zones: 三生 composition per unit, dominant function, mix, contiguous zones.

:func:`landuse_composition` measures the area share of each land-use class in each unit (a grid
from :func:`make_grid`, H3 hexagons from :func:`h3_units`, townships or any polygons) from 三调 /
用地用海 parcels or a land-cover raster; :func:`functional_zones` labels each unit, measures its
mix, dissolves neighbours of one label into zones and adds the township table and the 三区三线
check. :func:`zones_options` reads ``[parameters.zones]``.
"""

from __future__ import annotations

from geoplan.zones._composition import landuse_composition
from geoplan.zones._functional import functional_zones
from geoplan.zones._options import SCHEMES, ZonesOptions, zones_options
from geoplan.zones._result import CompositionResult, ZonesResult
from geoplan.zones._units import h3_units, make_grid

__all__ = [
    "SCHEMES",
    "CompositionResult",
    "ZonesOptions",
    "ZonesResult",
    "functional_zones",
    "h3_units",
    "landuse_composition",
    "make_grid",
    "zones_options",
]
