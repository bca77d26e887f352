"""Coordinate reference systems: checks and the choice of a metric CRS.

Areas and distances are computed only in a projected CRS. Inside China geoplan uses the CGCS2000
3-degree Gauss–Krüger zone whose central meridian is nearest the data (EPSG:4534–4554, no zone
prefix in the false easting); elsewhere the WGS 84 UTM zone.
"""

from __future__ import annotations

import logging
import math
from functools import cache
from importlib import resources

import geopandas as gpd
import shapely
from pyproj import CRS, Transformer

from geoplan.errors import CRSError

__all__ = [
    "CGCS2000",
    "check_same_crs",
    "ensure_projected",
    "gk_prefix_epsg",
    "same_gk_zone",
    "gk_zone_epsg",
    "in_china",
    "metric_crs_for",
    "to_metric",
    "utm_epsg",
]

logger = logging.getLogger(__name__)

CGCS2000 = CRS.from_epsg(4490)

_GK_FIRST_EPSG = 4534  # CM 75°E
_GK_FIRST_CM = 75
_GK_LAST_CM = 135


@cache
def _china_outline() -> shapely.Geometry:
    text = resources.files("geoplan._data").joinpath("china_outline.wkt").read_text()
    geom = shapely.from_wkt(text)
    shapely.prepare(geom)
    return geom


def in_china(lon: float, lat: float) -> bool:
    """Whether a longitude/latitude lies in (or within ~25 km of) China.

    Examples
    --------
    >>> in_china(114.3, 34.8), in_china(2.35, 48.85)
    (True, False)
    """
    return bool(shapely.intersects_xy(_china_outline(), lon, lat))


def gk_zone_epsg(lon: float) -> int:
    """EPSG code of the CGCS2000 3° Gauss–Krüger zone (no zone prefix) for a longitude.

    Raises :class:`CRSError` outside the zones defined for China (73.5°E–136.5°E).

    Examples
    --------
    >>> gk_zone_epsg(114.0), gk_zone_epsg(112.4), gk_zone_epsg(75.2)
    (4547, 4546, 4534)
    """
    cm = 3 * math.floor(lon / 3 + 0.5)
    if not _GK_FIRST_CM <= cm <= _GK_LAST_CM:
        raise CRSError(
            f"Longitude {lon:.4f} has no CGCS2000 3-degree Gauss-Kruger zone (defined for central "
            f"meridians {_GK_FIRST_CM}E-{_GK_LAST_CM}E). Pass an explicit crs= instead."
        )
    return _GK_FIRST_EPSG + (cm - _GK_FIRST_CM) // 3


_GK3_PREFIXED = (25, 45, 4513)  # 3° zones 25-45: EPSG:4513-4533 (zone number in the easting)
_GK6_PREFIXED = (13, 23, 4491)  # 6° zones 13-23: EPSG:4491-4501


def gk_prefix_epsg(xmin: float, xmax: float, ymin: float, ymax: float) -> int | None:
    """The CGCS2000 Gauss–Krüger EPSG code named by a zone prefix in the eastings, or None.

    Projected Chinese data often writes the zone number before the 6-digit easting
    (39 500 000 = zone 39, 500 km): 3° zones 25–45 are EPSG:4513–4533, 6° zones 13–23
    EPSG:4491–4501. The bounds must lie in one zone, with northings in China's range.

    Examples
    --------
    >>> gk_prefix_epsg(39_480_000, 39_520_000, 3_800_000, 3_820_000)
    4527
    >>> gk_prefix_epsg(20_400_000, 20_450_000, 4_000_000, 4_010_000)
    4498
    >>> gk_prefix_epsg(480_000, 520_000, 3_800_000, 3_820_000) is None
    True
    """
    if not (1e7 <= xmin <= xmax < 1e8 and 0 <= ymin <= ymax <= 6.5e6):
        return None
    zone = int(xmin // 1_000_000)
    if int(xmax // 1_000_000) != zone:
        return None
    for first, last, epsg0 in (_GK3_PREFIXED, _GK6_PREFIXED):
        if first <= zone <= last:
            return epsg0 + zone - first
    return None


def same_gk_zone(a: CRS, b: CRS) -> bool:
    """Whether two CRSs are the same CGCS2000 3° Gauss–Krüger zone (with or without prefix).

    Examples
    --------
    >>> same_gk_zone(CRS.from_epsg(4527), CRS.from_epsg(4548))  # zone 39 = CM 117°E
    True
    >>> same_gk_zone(CRS.from_epsg(4527), CRS.from_epsg(4547))
    False
    """
    ea, eb = a.to_epsg(min_confidence=70), b.to_epsg(min_confidence=70)
    if ea is None or eb is None:
        return False

    def cm(epsg: int) -> int | None:
        if 4513 <= epsg <= 4533:  # prefixed zones 25-45: CM 75°E + 3° a zone
            return 75 + 3 * (epsg - 4513)
        if 4534 <= epsg <= 4554:
            return 75 + 3 * (epsg - 4534)
        return None

    return cm(ea) is not None and cm(ea) == cm(eb)


def utm_epsg(lon: float, lat: float) -> int:
    """EPSG code of the WGS 84 UTM zone for a longitude/latitude.

    Examples
    --------
    >>> utm_epsg(26.9, 60.5), utm_epsg(-70.6, -33.4)
    (32635, 32719)
    """
    zone = min(int((lon + 180) // 6) + 1, 60)
    return (32600 if lat >= 0 else 32700) + zone


def metric_crs_for(lon: float, lat: float) -> CRS:
    """The metric CRS geoplan uses for data centred at a longitude/latitude.

    Examples
    --------
    >>> metric_crs_for(114.3, 34.8).to_epsg()
    4547
    >>> metric_crs_for(26.9, 60.5).to_epsg()
    32635
    """
    if in_china(lon, lat):
        return CRS.from_epsg(gk_zone_epsg(lon))
    return CRS.from_epsg(utm_epsg(lon, lat))


def _centre_lonlat(gdf: gpd.GeoDataFrame) -> tuple[float, float]:
    xmin, ymin, xmax, ymax = gdf.total_bounds
    x, y = (xmin + xmax) / 2, (ymin + ymax) / 2
    if gdf.crs is None:
        raise CRSError("Cannot locate a layer with no CRS; set one with gdf.set_crs(...).")
    if gdf.crs.is_geographic:
        return float(x), float(y)
    tr = Transformer.from_crs(gdf.crs, 4326, always_xy=True)
    lon, lat = tr.transform(x, y)
    return float(lon), float(lat)


def to_metric(
    gdf: gpd.GeoDataFrame, crs: CRS | str | int | None = None, *, name: str = "layer"
) -> gpd.GeoDataFrame:
    """Return ``gdf`` in a metric CRS: ``crs`` if given, else the one chosen for its centre.

    A layer already in a projected CRS is returned unchanged when ``crs`` is None. The choice is
    logged. Raises :class:`CRSError` when the layer has no CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame(geometry=[shapely.Point(114.2, 34.1)], crs=4490)
    >>> to_metric(g).crs.to_epsg()
    4547
    """
    if gdf.crs is None:
        raise CRSError(
            f"{name} has no CRS. Set it on the file (e.g. a .prj next to a shapefile) or pass "
            "crs='EPSG:4490' (CGCS2000) / the layer's real CRS when reading it."
        )
    if crs is None:
        if gdf.crs.is_projected:
            return gdf
        if gdf.empty:
            raise CRSError(f"{name} is empty and geographic; cannot choose a metric CRS for it.")
        lon, lat = _centre_lonlat(gdf)
        target = metric_crs_for(lon, lat)
        logger.info("%s: projecting to %s (%s)", name, target.name, target.to_string())
    else:
        target = CRS.from_user_input(crs)
        if not target.is_projected:
            raise CRSError(f"Target CRS {target.name} for {name} is not projected (metres).")
    if gdf.crs.equals(target):
        return gdf
    return gdf.to_crs(target)


def ensure_projected(gdf: gpd.GeoDataFrame | gpd.GeoSeries, *, name: str = "layer") -> None:
    """Raise :class:`CRSError` unless ``gdf`` has a projected (metric) CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> ensure_projected(gpd.GeoSeries([shapely.Point(0, 0)], crs=4547))
    """
    if gdf.crs is None:
        raise CRSError(f"{name} has no CRS; set one with .set_crs(...) before measuring it.")
    if not gdf.crs.is_projected:
        raise CRSError(
            f"{name} is in a geographic CRS ({gdf.crs.name}); areas and distances need metres. "
            "Project it first, e.g. geoplan.crs.to_metric(gdf)."
        )


def check_same_crs(*layers: tuple[str, gpd.GeoDataFrame | gpd.GeoSeries]) -> None:
    """Raise :class:`CRSError` unless all named layers share one CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> a = gpd.GeoSeries([shapely.Point(0, 0)], crs=4547)
    >>> check_same_crs(("a", a), ("b", a))
    """
    first_name, first = layers[0]
    for nm, lyr in layers[1:]:
        if first.crs is None or lyr.crs is None or not first.crs.equals(lyr.crs):
            raise CRSError(
                f"{first_name} is in {getattr(first.crs, 'name', None)} but {nm} is in "
                f"{getattr(lyr.crs, 'name', None)}. Reproject one to the other "
                f"(e.g. {nm}.to_crs({first_name}.crs)) or open both through a County."
            )
