"""Read-time check that a layer's coordinates can be where its CRS says they are.

A polygon at x = 1e12 m in a Gauss–Krüger zone (a typo, a unit mix-up, a corrupt feature) is not
a place on Earth: measured, it gives absurd areas that end up in every table before anything
fails. :func:`check_coordinates` rejects such features when the layer is read, naming them.

The box a layer must stay within is the CRS's area of use (``pyproj.CRS.area_of_use``, in
degrees) widened by :data:`MARGIN_DEG` on every side and projected into the CRS (so a county
that straddles the edge of its Gauss–Krüger zone is fine); for a geographic CRS it is
longitude −180…180 and latitude −90…90. A CRS without an area of use gets a generic bound of
±:data:`GENERIC_LIMIT_M` metres. Infinite or NaN bounds are always rejected.
"""

from __future__ import annotations

import logging
import math
from functools import cache

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from geoplan.errors import InputError

__all__ = ["check_coordinates", "valid_box"]

logger = logging.getLogger(__name__)

#: degrees added on every side of a CRS's area of use (a 3° Gauss–Krüger zone then accepts data
#: up to about 500 km beyond its edges: no county straddles that far)
MARGIN_DEG = 5.0
#: bound of a projected CRS that declares no area of use, in metres from its origin (100,000 km:
#: 2.5 times round the Earth, so only impossible values are caught)
GENERIC_LIMIT_M = 1e8
_SHOW = 5


@cache
def _box_for(wkt: str) -> tuple[tuple[float, float, float, float], str]:
    crs = CRS.from_wkt(wkt)
    if crs.is_geographic:
        return (-180.0, -90.0, 180.0, 90.0), "longitude −180…180°, latitude −90…90°"
    aou = crs.area_of_use
    if aou is not None:
        w = max(aou.west - MARGIN_DEG, -180.0)
        s = max(aou.south - MARGIN_DEG, -90.0)
        e = min(aou.east + MARGIN_DEG, 180.0)
        n = min(aou.north + MARGIN_DEG, 90.0)
        try:
            tr = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)
            box = tuple(float(v) for v in tr.transform_bounds(w, s, e, n, densify_pts=21))
        except Exception:  # pragma: no cover - a CRS pyproj cannot transform into
            box = ()
        if len(box) == 4 and all(math.isfinite(v) for v in box):
            return (box[0], box[1], box[2], box[3]), (
                f"its area of use ({aou.name}: {aou.west:g}…{aou.east:g}°E, "
                f"{aou.south:g}…{aou.north:g}°N) widened by {MARGIN_DEG:g}°, i.e. x "
                f"{box[0]:,.0f}…{box[2]:,.0f}, y {box[1]:,.0f}…{box[3]:,.0f}"
            )
    unit = 1.0
    if crs.axis_info:
        unit = float(crs.axis_info[0].unit_conversion_factor) or 1.0
    lim = GENERIC_LIMIT_M / unit
    return (-lim, -lim, lim, lim), f"±{lim:,.0f} in its units (no area of use declared)"


def valid_box(crs: CRS) -> tuple[float, float, float, float]:
    """(xmin, ymin, xmax, ymax) that coordinates in ``crs`` must stay within.

    Examples
    --------
    >>> [round(v) for v in valid_box(CRS.from_epsg(4547))]  # GK zone 38, CM 114°E, widened 5°
    [-195155, 1827187, 1195155, 5611125]
    >>> valid_box(CRS.from_epsg(4490))
    (-180.0, -90.0, 180.0, 90.0)
    """
    return _box_for(crs.to_wkt())[0]


def check_coordinates(gdf: gpd.GeoDataFrame, label: str) -> None:
    """Raise an :class:`InputError` naming the features whose coordinates are impossible in the
    layer's CRS (see the module docstring); features without geometry are left to the caller.

    Examples
    --------
    >>> g = gpd.GeoDataFrame(geometry=[shapely.box(5e5, 3.8e6, 5.01e5, 3.801e6),
    ...                                shapely.box(0, 0, 1e12, 1e12)], crs=4547)
    >>> check_coordinates(g, "parks.gpkg")
    Traceback (most recent call last):
    ...
    geoplan.errors.InputError: parks.gpkg: 1 of 2 features have coordinates outside ...
    """
    if gdf.crs is None or len(gdf) == 0:
        return
    crs = CRS.from_user_input(gdf.crs)
    (xmin, ymin, xmax, ymax), where = _box_for(crs.to_wkt())
    geoms = np.asarray(gdf.geometry.values)
    present = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    if not present.any():
        return
    b = np.full((len(geoms), 4), np.nan)
    b[present] = shapely.bounds(geoms[present])
    with np.errstate(invalid="ignore"):
        bad = present & (
            ~np.isfinite(b).all(axis=1)
            | (b[:, 0] < xmin)
            | (b[:, 1] < ymin)
            | (b[:, 2] > xmax)
            | (b[:, 3] > ymax)
        )
    if not bad.any():
        return
    rows = np.flatnonzero(bad)
    shown = "; ".join(
        f"row {gdf.index[i]!r}: x {b[i, 0]:.6g}…{b[i, 2]:.6g}, y {b[i, 1]:.6g}…{b[i, 3]:.6g}"
        for i in rows[:_SHOW]
    )
    more = f" and {len(rows) - _SHOW} more" if len(rows) > _SHOW else ""
    raise InputError(
        f"{label}: {len(rows)} of {len(gdf)} features have coordinates outside what the layer's "
        f"CRS ({crs.name}) can hold — {shown}{more}. Coordinates in this CRS must lie within "
        f"{where}. Either these features are corrupt (a typo, a unit or axis mix-up: fix or "
        "delete them in QGIS), or the layer's CRS is wrong (x with a zone prefix such as "
        "38xxxxxx is a Gauss–Krüger zone with prefix, EPSG:4513–4533; degrees are EPSG:4490)."
    )
