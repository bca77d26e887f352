"""Raster land cover (WorldCover, CLCD …): class areas per unit with exactextract.

exactextract weighs every pixel by the fraction of it the polygon covers, so cells on the edge of
a unit count in proportion (``unique`` + ``frac`` + ``count`` operations). The class area in a unit
is ``frac × count × pixel area``, scaled to the unit's metric area so that a raster in a geographic
CRS (WorldCover is in EPSG:4326) gives metric areas too. Nodata pixels count as uncovered.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from exactextract.feature import Feature, FeatureSource

from geoplan.errors import CRSError, DataFileNotFoundError, InputError, UnknownCodeError
from geoplan.landuse import Scheme, load_scheme

logger = logging.getLogger(__name__)


def raster_class_areas(
    path: str | os.PathLike[str],
    units: np.ndarray,
    units_crs: object,
    *,
    scheme: str | Scheme = "auto",
    unknown: str = "raise",
) -> tuple[pd.DataFrame, Scheme]:
    """Long table ``unit, code, area_m2`` of land-cover areas per unit, and the scheme used."""
    import rasterio
    from exactextract import exact_extract

    p = Path(path)
    if not p.exists():
        raise DataFileNotFoundError(f"Land-cover raster {p} does not exist.")
    try:
        with rasterio.open(p) as ds:
            rcrs, res = ds.crs, ds.res
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"Cannot open {p} as a raster: {exc}.") from None
    if rcrs is None:
        raise CRSError(f"Land-cover raster {p} has no CRS; set one (e.g. gdal_edit.py -a_srs).")
    gs = gpd.GeoSeries(units, crs=units_crs)
    metric_area = gs.area.to_numpy()
    in_r = gs.to_crs(rcrs.to_wkt()) if not gs.crs.equals(rcrs.to_wkt()) else gs
    r_geoms = np.asarray(in_r.values)
    r_area = shapely.area(r_geoms)  # in the raster's own units, for the ratio
    res_df = exact_extract(
        _raster_source(p, shapely.total_bounds(r_geoms)),
        _WKBFeatures(r_geoms, rcrs.to_wkt()),
        ["unique", "frac", "count"],
        output="pandas",
        include_cols=["_uid"],
    )
    pix = abs(res[0] * res[1])
    uid = res_df["_uid"].to_numpy(dtype="int64")
    lens = np.array([len(u) for u in res_df["unique"]], dtype="int64")
    codes = np.concatenate([np.asarray(u) for u in res_df["unique"]]) if lens.sum() else np.zeros(0)
    frac = np.concatenate([np.asarray(f) for f in res_df["frac"]]) if lens.sum() else np.zeros(0)
    unit = np.repeat(uid, lens)
    count = np.repeat(res_df["count"].to_numpy(dtype="float64"), lens)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(r_area[unit] > 0, frac * count * pix / r_area[unit], 0.0)
    area = share * metric_area[unit]
    code_str = pd.Series(codes).map(_code_text).astype("string")
    sch = _raster_scheme(scheme, set(code_str.dropna()), p)
    known = code_str.isin(sch.table.index).to_numpy()
    if not known.all():
        bad = sorted(set(code_str[~known].dropna()), key=_sort_key)
        if unknown == "raise":
            raise UnknownCodeError(
                f"Land-cover raster {p} holds values the {sch.name} scheme does not define: "
                f"{', '.join(bad)}. Set the raster's nodata value, choose the right scheme, or "
                "define the values with mapping=."
            )
        logger.warning("%s: values %s are not in %s; left unclassified", p.name, bad, sch.name)
    out = pd.DataFrame({"unit": unit, "code": code_str, "area_m2": area})
    return out[out["area_m2"] > 0].reset_index(drop=True), sch


#: rasters read whole into memory up to this many pixels over the units (else by window)
IN_MEMORY_PIXELS = 200_000_000


def _raster_source(path: Path, bounds: np.ndarray) -> Any:
    """The raster as exactextract reads it: the window over ``bounds`` (raster CRS) read into
    memory in one call — much faster than exactextract's window-by-window rasterio reads — or,
    for a window over :data:`IN_MEMORY_PIXELS`, the path itself."""
    import rasterio
    from exactextract.raster import NumPyRasterSource
    from rasterio.windows import Window, from_bounds

    with rasterio.open(path) as ds:
        t = ds.transform
        if not np.isfinite(bounds).all() or t.b != 0 or t.d != 0:  # no units; a rotated grid
            return str(path)
        w = from_bounds(*bounds, transform=t)
        c0, r0 = math.floor(w.col_off), math.floor(w.row_off)
        c1, r1 = math.ceil(w.col_off + w.width), math.ceil(w.row_off + w.height)
        c0, r0, c1, r1 = max(c0, 0), max(r0, 0), min(c1, ds.width), min(r1, ds.height)
        if c1 <= c0 or r1 <= r0:  # the units lie off the raster
            return str(path)
        win = Window(c0, r0, c1 - c0, r1 - r0)
        if win.width * win.height > IN_MEMORY_PIXELS:
            return str(path)
        data = ds.read(1, window=win)
        nodata = ds.nodata
        if nodata is not None and np.issubdtype(data.dtype, np.integer):
            nodata = int(nodata)  # the C++ side wants the array's own kind of number
        x0, y1 = t @ (win.col_off, win.row_off)
        x1, y0 = t @ (win.col_off + win.width, win.row_off + win.height)
        return NumPyRasterSource(
            data, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1),
            nodata=nodata, srs_wkt=ds.crs.to_wkt(),
        )  # fmt: skip


class _WKBFeatures(FeatureSource):
    """Units as an exactextract feature source: WKB made in one vectorised call, an ``_uid``
    field (geopandas' own source converts every feature through GeoJSON)."""

    def __init__(self, geoms: np.ndarray, srs_wkt: str) -> None:
        super().__init__()
        self._wkb = shapely.to_wkb(geoms)
        self._srs = srs_wkt

    def count(self) -> int:
        return len(self._wkb)

    def __iter__(self) -> Iterator[_WKBFeature]:
        for i, wkb in enumerate(self._wkb):
            yield _WKBFeature(i, wkb)

    def srs_wkt(self) -> str:
        return self._srs


class _WKBFeature(Feature):
    def __init__(self, uid: int, wkb: bytes) -> None:
        super().__init__()
        self._uid, self._wkb = uid, wkb

    def geometry(self) -> bytes:
        return self._wkb

    def get(self, name: str) -> int:
        return self._uid

    def fields(self) -> list[str]:
        return ["_uid"]


def _code_text(v: float) -> str:
    f = float(v)
    return str(int(f)) if f == round(f) else str(f)


def _sort_key(s: str) -> tuple[int, str]:
    try:
        return (0, f"{float(s):012.3f}")
    except ValueError:
        return (1, s)


def _raster_scheme(scheme: str | Scheme, values: set[str], path: Path) -> Scheme:
    if not (isinstance(scheme, str) and scheme == "auto"):
        return load_scheme(scheme)
    for name in ("worldcover", "clcd"):
        sch = load_scheme(name)
        if values <= set(sch.table.index):
            logger.info("%s: values %s fit the %s scheme", path.name, sorted(values), name)
            return sch
    raise UnknownCodeError(
        f"Cannot tell the scheme of land-cover raster {path}: its values "
        f"{', '.join(sorted(values, key=_sort_key)[:20])} fit neither WorldCover (10–100) nor "
        "CLCD (1–9). Pass scheme= (worldcover, clcd or a scheme CSV)."
    )


def raster_bounds(path: str | os.PathLike[str], crs: object) -> shapely.Geometry:
    """The raster's footprint in ``crs`` (used to anchor a grid when there is no boundary)."""
    import rasterio

    with rasterio.open(path) as ds:
        b = ds.bounds
        rcrs = ds.crs
    box = gpd.GeoSeries([shapely.box(b.left, b.bottom, b.right, b.top)], crs=rcrs.to_wkt())
    return box.to_crs(crs if crs is not None else raster_metric_crs(path)).iloc[0]


def raster_metric_crs(path: str | os.PathLike[str]) -> Any:
    import rasterio

    from geoplan.crs import metric_crs_for

    with rasterio.open(path) as ds:
        rcrs = ds.crs
        b = ds.bounds
    if rcrs is None:
        raise CRSError(f"Land-cover raster {path} has no CRS.")
    if rcrs.is_projected:
        return rcrs.to_wkt()
    ll = gpd.GeoSeries([shapely.box(b.left, b.bottom, b.right, b.top)], crs=rcrs.to_wkt())
    x0, y0, x1, y1 = ll.to_crs(4326).total_bounds
    return metric_crs_for((x0 + x1) / 2, (y0 + y1) / 2)
