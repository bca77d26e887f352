"""Compact, escaped encoding of vector layers for the geoplan map runtime.

Geometries go to WGS 84, large layers are simplified (in metres), coordinates are quantised to
1e-6 degree (about 0.1 m) and written as one flat array of integer deltas with the nesting as
counts; polygon rings drop their closing point and consecutive duplicate points. Integer arrays
are packed as base64 zigzag varints (:func:`pack_ints`). Attribute values
shown in popups/tooltips are formatted and HTML-escaped here, in Python, and dictionary-encoded
when they repeat. The JSON is made safe to embed in a ``<script>`` element.
"""

from __future__ import annotations

import base64
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

from geoplan.errors import CRSError, GeometryTypeError, InputError, MissingFieldError
from geoplan.geometry import polygonal
from geoplan.maps._safe import safe_html, safe_html_all, safe_json

logger = logging.getLogger(__name__)

Kind = Literal["polygon", "line", "point"]

SCALE = 1_000_000  # quantisation: 1e-6 degree
COARSE_SCALE = 100_000  # 1e-5 degree (about 1 m) for layers of more than COARSE_FEATURES
COARSE_FEATURES = 20_000
SIMPLIFY_MIN_VERTICES = 20_000  # layers with fewer vertices are drawn as they are
MAX_LAYER_VERTICES = 250_000  # larger layers get a coarser tolerance (see simplify_auto)
WGS84 = CRS.from_epsg(4326)

_FAMILY: dict[Kind, tuple[int, ...]] = {
    "polygon": (shapely.GeometryType.POLYGON, shapely.GeometryType.MULTIPOLYGON),
    "line": (shapely.GeometryType.LINESTRING, shapely.GeometryType.MULTILINESTRING),
    "point": (shapely.GeometryType.POINT, shapely.GeometryType.MULTIPOINT),
}


def pack_ints(values: np.ndarray | list[int]) -> str:
    """Integers as base64 of zigzag LEB128 varints (decoded by ``ints`` in geoplan_maps.js).

    Map coordinates are small deltas, so this takes about half the bytes of JSON numbers and
    parses faster. Values must fit in 53 bits (JavaScript numbers).

    Examples
    --------
    >>> pack_ints([0, -1, 1, 63, -64, 64, 300])
    'AAECfn+AAdgE'
    """
    v = np.asarray(values, dtype=np.int64)
    if len(v) == 0:
        return ""
    if np.abs(v).max() >= 2**52:
        raise ValueError("integer too large for the map encoding")
    z = ((v << 1) ^ (v >> 63)).astype(np.uint64)  # zigzag: small magnitudes -> small codes
    nbytes = np.ones(len(z), dtype=np.int64)
    for k in range(1, 8):
        nbytes += z >= np.uint64(1 << (7 * k))
    start = np.concatenate(([0], np.cumsum(nbytes)[:-1]))
    out = np.empty(int(nbytes.sum()), dtype=np.uint8)
    for k in range(int(nbytes.max())):
        sel = nbytes > k
        byte = (z[sel] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (nbytes[sel] > k + 1).astype(np.uint64) << np.uint64(7)
        out[start[sel] + k] = (byte | more).astype(np.uint8)
    return base64.b64encode(out.tobytes()).decode("ascii")


def as_frame(data: gpd.GeoDataFrame | gpd.GeoSeries, name: str) -> gpd.GeoDataFrame:
    """The layer as a GeoDataFrame with a CRS (raises a clear error otherwise)."""
    if isinstance(data, gpd.GeoSeries):
        data = gpd.GeoDataFrame(geometry=data)
    if not isinstance(data, gpd.GeoDataFrame):
        raise InputError(
            f"Map layer {name!r} must be a GeoDataFrame or GeoSeries, got {type(data).__name__}. "
            "Read it with geoplan.read_layer(...) or build one with geopandas."
        )
    if data.crs is None:
        raise CRSError(
            f"Map layer {name!r} has no CRS, so it cannot be placed on the map. Set it with "
            "gdf.set_crs(...) (e.g. 'EPSG:4490' for CGCS2000 longitude/latitude)."
        )
    return data


def wgs84_bounds(
    data: gpd.GeoDataFrame | gpd.GeoSeries,
) -> tuple[float, float, float, float] | None:
    """(minx, miny, maxx, maxy) of a layer in WGS 84, or None when it holds no geometry."""
    geoms = data.geometry.values if isinstance(data, gpd.GeoDataFrame) else data.values
    if len(geoms) == 0 or bool(
        np.all(shapely.is_empty(np.asarray(geoms)) | pd.isna(np.asarray(geoms)))
    ):
        return None
    xmin, ymin, xmax, ymax = (float(v) for v in data.total_bounds)
    if data.crs is None or CRS.from_user_input(data.crs).equals(WGS84):
        return xmin, ymin, xmax, ymax
    tr = Transformer.from_crs(data.crs, WGS84, always_xy=True)
    a, b, c, d = tr.transform_bounds(xmin, ymin, xmax, ymax, densify_pts=11)
    return float(a), float(b), float(c), float(d)


@dataclass(frozen=True)
class Prepared:
    """Geometries ready to encode: WGS 84, non-empty, of the layer's family."""

    frame: gpd.GeoDataFrame  # rows kept, in input order, with geometry in WGS 84
    dropped_empty: int
    tolerance_m: float


def _typical_size(geoms: np.ndarray, kind: Kind) -> float:
    """Median feature size in layer units: sqrt(area) of polygons, length of lines."""
    if kind == "polygon":
        return float(np.median(np.sqrt(shapely.area(geoms))))
    return float(np.median(shapely.length(geoms)))


def simplify_auto(
    geoms: np.ndarray, kind: Kind, *, metres_per_unit: float
) -> tuple[np.ndarray, float]:
    """Simplify a large layer; return the geometries and the tolerance used (metres).

    Layers under :data:`SIMPLIFY_MIN_VERTICES` vertices are kept as they are. Otherwise the
    tolerance is 1/25 of the median feature size (√area of polygons, length of lines), at most
    1/3000 of the layer's diagonal (a third of a screen pixel when the whole layer is in view);
    if the layer still has more than :data:`MAX_LAYER_VERTICES` vertices it is raised step by
    step until it fits, but never beyond 1/600 of the diagonal or 1/4 of the median feature size
    (a layer of many small parcels keeps recognisable parcels rather than meeting the budget).
    The steps are tried on a sample of the features first (:data:`_SAMPLE`), so that the whole
    layer is simplified again only at the step the sample says fits (a layer of grid cells,
    which no tolerance shrinks, goes straight to the cap instead of through every step).
    """
    n_vertices = int(shapely.get_num_coordinates(geoms).sum())
    if len(geoms) == 0 or n_vertices < SIMPLIFY_MIN_VERTICES:
        return geoms, 0.0
    xmin, ymin, xmax, ymax = shapely.total_bounds(geoms)
    diag = math.hypot(xmax - xmin, ymax - ymin)
    size = _typical_size(geoms, kind)
    tol = min(size / 25.0, diag / 3000.0)
    if tol <= 0:
        return geoms, 0.0
    out = _simplify(geoms, tol, kind)
    # never coarser than a quarter of the typical feature: many small features stay recognisable
    cap = min(diag / 600.0, size / 4.0)
    sample = None
    while int(shapely.get_num_coordinates(out).sum()) > MAX_LAYER_VERTICES and tol < cap:
        if sample is None:
            sample = _sample(geoms)
        tol = min(tol * 1.6, cap)
        while tol < cap and _projected(sample, tol, kind, len(geoms)) > MAX_LAYER_VERTICES:
            tol = min(tol * 1.6, cap)
        out = _simplify(geoms, tol, kind)
    return out, tol * metres_per_unit


#: features whose simplification stands for the whole layer's when raising the tolerance
_SAMPLE = 2000


def _sample(geoms: np.ndarray) -> np.ndarray:
    if len(geoms) <= _SAMPLE:
        return geoms
    return geoms[np.random.default_rng(0).choice(len(geoms), _SAMPLE, replace=False)]


def _projected(sample: np.ndarray, tol: float, kind: Kind, n: int) -> float:
    """Vertices of the whole layer (``n`` features) simplified at ``tol``, from ``sample``."""
    kept = float(shapely.get_num_coordinates(_simplify(sample, tol, kind)).sum())
    return kept * n / len(sample)


def _simplify(geoms: np.ndarray, tol: float, kind: Kind) -> np.ndarray:
    """Simplified geometries of the same topology: polygons by Douglas-Peucker where that keeps
    every part and every hole and is valid, GEOS's topology-preserving simplifier elsewhere
    (it takes seconds on one polygon with thousands of holes, as 永久基本农田 has: 3.5 s
    against 0.09 s for a 140,000-vertex polygon with 5,600 holes); lines by the
    topology-preserving one."""
    if kind != "polygon":
        return shapely.simplify(geoms, tol, preserve_topology=True)
    out = shapely.simplify(geoms, tol, preserve_topology=False)
    redo = ~(_same_rings(geoms, out) & shapely.is_valid(out)) | shapely.is_empty(out)
    if redo.any():
        out[redo] = shapely.simplify(geoms[redo], tol, preserve_topology=True)
    return out


def _same_rings(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Whether each of ``b`` has as many polygons and, polygon by polygon, as many holes as the
    same row of ``a`` (Douglas-Peucker can drop a part or a hole, or empty a small one)."""

    def rings(g: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        parts, row = shapely.get_parts(g, return_index=True)
        holes = shapely.get_num_interior_rings(parts)
        return row, holes

    same = shapely.get_num_geometries(a) == shapely.get_num_geometries(b)
    same &= shapely.get_type_id(a) == shapely.get_type_id(b)
    (ra, ha), (_, hb) = rings(a[same]), rings(b[same])
    ok = np.ones(int(same.sum()), dtype=bool)
    np.logical_and.at(ok, ra, ha == hb)  # same part counts: the parts line up row by row
    same[same] = ok
    return same


def prepare(
    data: gpd.GeoDataFrame | gpd.GeoSeries, *, kind: Kind, name: str, simplify: float | None
) -> Prepared:
    """Check, clean, simplify and reproject one layer for drawing."""
    gdf = as_frame(data, name)
    geoms = np.asarray(gdf.geometry.values)
    keep = ~(pd.isna(geoms) | shapely.is_empty(geoms))
    dropped = int((~keep).sum())
    if dropped:
        logger.info("map layer %r: %d features without geometry are not drawn", name, dropped)
    gdf = gdf.loc[keep]
    geoms = np.asarray(gdf.geometry.values)
    types = shapely.get_type_id(geoms)
    wrong = ~np.isin(types, _FAMILY[kind])
    if kind == "polygon" and wrong.any():
        # collections from overlays: keep their polygonal parts
        coll = types == shapely.GeometryType.GEOMETRYCOLLECTION
        if coll.any():
            geoms = geoms.copy()
            geoms[coll] = polygonal(geoms[coll])
            types = shapely.get_type_id(geoms)
            wrong = ~np.isin(types, _FAMILY[kind]) & ~shapely.is_empty(geoms)
    if wrong.any():
        found = sorted({shapely.GeometryType(int(t)).name for t in np.unique(types[wrong])})
        raise GeometryTypeError(
            f"Map layer {name!r} holds {', '.join(found)} geometries ({int(wrong.sum())} rows) "
            f"but add_{kind}s draws {kind}s. Use the matching add_* function (add_polygons, "
            "add_lines, add_points), or convert first (e.g. gdf.representative_point() for "
            "points, gdf.boundary for lines)."
        )
    crs = CRS.from_user_input(gdf.crs)
    tol = 0.0
    if kind != "point":
        per_unit = 1.0 if crs.is_projected else 111_320.0
        if crs.is_projected:
            unit = crs.axis_info[0].unit_conversion_factor if crs.axis_info else 1.0
            per_unit = float(unit)
        if simplify is None:
            geoms, tol = simplify_auto(geoms, kind, metres_per_unit=per_unit)
        elif simplify > 0:
            tol = float(simplify)
            geoms = shapely.simplify(geoms, tol / per_unit, preserve_topology=True)
        if tol > 0:
            logger.info("map layer %r: simplified with a %.2f m tolerance", name, tol)
    out = gpd.GeoDataFrame(gdf.drop(columns=gdf.geometry.name), geometry=geoms, crs=crs)
    if not crs.equals(WGS84):
        out = out.to_crs(WGS84)
    _check_lonlat(out, name, crs)
    if kind == "point":
        # a multipoint is drawn at its first point
        g = np.asarray(out.geometry.values)
        multi = shapely.get_type_id(g) == shapely.GeometryType.MULTIPOINT
        if multi.any():
            g = g.copy()
            g[multi] = shapely.get_geometry(g[multi], 0)
            out = out.set_geometry(g)
    return Prepared(out, dropped, tol)


def _check_lonlat(frame: gpd.GeoDataFrame, name: str, crs: CRS) -> None:
    """Features that land off the globe (non-finite, or beyond ±180° / ±90°) cannot be drawn:
    an InputError naming them, instead of a failure deep in the encoder."""
    if len(frame) == 0:
        return
    b = shapely.bounds(np.asarray(frame.geometry.values))
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(b).all(axis=1) | (np.abs(b[:, [0, 2]]) > 180.0 + 1e-9).any(axis=1)
        bad |= (np.abs(b[:, [1, 3]]) > 90.0 + 1e-9).any(axis=1)
    if bad.any():
        rows = ", ".join(repr(i) for i in frame.index[bad][:10])
        raise InputError(
            f"Map layer {name!r}: {int(bad.sum())} feature(s) (rows {rows}) have coordinates "
            f"that are no place on Earth in their CRS ({crs.name}), so they cannot be drawn. "
            "Fix or drop them (geoplan.read_layer refuses such features when it reads a file), "
            "or set the layer's right CRS."
        )


def encode_geometry(geoms: np.ndarray, kind: Kind, *, scale: int = SCALE) -> dict[str, Any]:
    """Quantised delta coordinates and nesting counts, packed (see geoplan_maps.js).

    ``scale`` is the number of quanta a degree (default 1e6; ``q`` in the spec when another).
    """
    out = _encode_geometry(geoms, kind, scale)
    if scale != SCALE:
        out["q"] = scale
    return out


def _encode_geometry(geoms: np.ndarray, kind: Kind, scale: int) -> dict[str, Any]:
    n = len(geoms)
    if n == 0:
        return {"n": 0, "d": "", "g": "", "p": "", "r": ""}
    if kind == "point":
        coords = shapely.get_coordinates(geoms)
        q = np.rint(coords * scale).astype(np.int64)
        return {"n": n, "d": _deltas(q)}
    gtype, coords, offsets = shapely.to_ragged_array(geoms, include_z=False)
    q = np.rint(coords * scale).astype(np.int64)
    if kind == "line":
        if gtype == shapely.GeometryType.LINESTRING:
            (line_off,) = offsets
            parts_per_geom = np.ones(n, dtype=np.int64)
        else:
            line_off, geom_off = offsets
            parts_per_geom = np.diff(geom_off)
        q, pts = _dedupe(q, np.diff(line_off), drop_closing=False)
        return {"n": n, "d": _deltas(q), "g": pack_ints(parts_per_geom), "r": pack_ints(pts)}
    if gtype == shapely.GeometryType.POLYGON:
        ring_off, poly_off = offsets
        parts_per_geom = np.ones(n, dtype=np.int64)
    else:
        ring_off, poly_off, geom_off = offsets
        parts_per_geom = np.diff(geom_off)
    q, pts = _dedupe(q, np.diff(ring_off), drop_closing=True)
    return {
        "n": n,
        "d": _deltas(q),
        "g": pack_ints(parts_per_geom),
        "p": pack_ints(np.diff(poly_off)),
        "r": pack_ints(pts),
    }


def _dedupe(
    q: np.ndarray, counts: np.ndarray, *, drop_closing: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Drop ring-closing points and consecutive duplicates; return coords and new counts."""
    run = np.repeat(np.arange(len(counts)), counts)
    keep = np.ones(len(q), dtype=bool)
    if drop_closing:
        ends = np.cumsum(counts) - 1
        keep[ends[counts > 0]] = False
    same = np.zeros(len(q), dtype=bool)
    same[1:] = (q[1:] == q[:-1]).all(axis=1) & (run[1:] == run[:-1])
    keep &= ~same
    new_counts = np.bincount(run[keep], minlength=len(counts))
    return q[keep], new_counts


def _deltas(q: np.ndarray) -> str:
    """Packed (dx, dy) deltas of quantised coordinates (the first one from 0)."""
    if len(q) == 0:
        return ""
    return pack_ints(np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel())


# --------------------------------------------------------------------------- attributes


def format_values(s: pd.Series, *, lang: str) -> pd.Series:
    """Display strings (not yet escaped) for one column; missing values become ''."""
    missing = s.isna()
    if pd.api.types.is_bool_dtype(s.dtype):
        yes, no = ("是", "否") if lang == "zh" else ("yes", "no")
        text = s.map(lambda v: "" if pd.isna(v) else (yes if v else no))
    elif pd.api.types.is_datetime64_any_dtype(s.dtype):
        text = s.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_integer_dtype(s.dtype):
        text = s.astype("string")
    elif pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype=float, na_value=np.nan)
        integral = np.isfinite(vals) & (np.abs(vals) < 1e15) & (vals == np.round(vals))
        text = pd.Series(
            [
                "" if not np.isfinite(v) else (f"{int(v):,}" if whole else f"{v:,.2f}")
                for v, whole in zip(vals, integral, strict=True)
            ],
            index=s.index,
        )
    else:
        text = s.map(
            lambda v: (
                ""
                if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))
                else str(v)
            )
        )
    out = text.astype(object).where(~missing, "")
    return out.astype(object)


def encode_column(s: pd.Series, *, lang: str) -> dict[str, Any]:
    """Escaped display strings; dictionary-encoded ({u, k}) when values repeat."""
    text = format_values(s, lang=lang)
    codes, uniques = pd.factorize(text, sort=False)
    escaped = safe_html_all(list(uniques))
    if len(uniques) * 2 <= len(text):
        return {"u": escaped, "k": pack_ints(codes)}
    return {"v": [escaped[c] for c in codes]}


def require_columns(gdf: pd.DataFrame, columns: Sequence[str], *, layer: str, option: str) -> None:
    missing = [c for c in columns if c not in gdf.columns]
    if missing:
        raise MissingFieldError(
            f"Map layer {layer!r}: {option} names column(s) {missing} that the layer does not "
            f"have. Its columns are {[c for c in gdf.columns if c != gdf.geometry.name]}; pass "
            f"existing column names as {option}={{column: label}}."
        )


def encode_fields(
    gdf: gpd.GeoDataFrame,
    fields: Mapping[str, str] | None,
    *,
    layer: str,
    option: str,
    lang: str,
    columns: dict[str, tuple[int, int]] | None = None,
    table: list[dict[str, Any]] | None = None,
    budget: list[int] | None = None,
) -> dict[str, Any] | None:
    """Escaped labels of a popup or tooltip and the indices of its columns in the layer's
    shared column ``table`` (a column shown in both is encoded once), or None.

    ``columns`` maps a column already in ``table`` to (its index, its size in bytes);
    ``budget`` is ``[bytes left]``: a column that would exceed it is left out (``more``
    counts them) — a large layer keeps its map under the page budget, the files hold all.
    """
    if not fields:
        return None
    require_columns(gdf, list(fields), layer=layer, option=option)
    columns = {} if columns is None else columns
    table = [] if table is None else table
    labels: list[str] = []
    idx: list[int] = []
    left_out: list[str] = []
    for col, label in fields.items():
        if col not in columns:
            enc = encode_column(gdf[col], lang=lang)
            size = len(safe_json(enc))
            if budget is not None and size > budget[0] and (idx or option != "tooltip"):
                left_out.append(col)
                continue
            if budget is not None:
                budget[0] -= size
            columns[col] = (len(table), size)
            table.append(enc)
        labels.append(safe_html(label))
        idx.append(columns[col][0])
    if left_out:
        logger.info(
            "map layer %r: %s column(s) %s left out to keep the page small (%d features; the "
            "data files hold them)", layer, option, left_out, len(gdf),
        )  # fmt: skip
    out: dict[str, Any] = {"labels": labels, "idx": idx}
    if left_out:
        out["more"] = len(left_out)
    return out
