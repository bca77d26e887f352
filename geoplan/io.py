"""Reading layers the way county staff really have them, and writing results atomically.

:func:`read_layer` reads GeoPackage, Shapefile (DBF in GBK/GB18030 or UTF-8, with or without a
``.cpg``), GeoJSON, GeoParquet, FileGDB and anything else GDAL reads, through pyogrio with Arrow.
Given a *role* (see :mod:`geoplan._schema`) it checks the geometry type and required fields, maps
Chinese and pinyin-initial aliases to canonical names, parses dates, keeps codes as strings and
repairs invalid geometries, recording what it did in a :class:`ReadReport`.
"""

from __future__ import annotations

import json
import logging
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geoplan._dates import parse_dates
from geoplan._encoding import detect_dbf_encoding
from geoplan._schema import ROLES, SETTLEMENT_KIND_VALUES, ZONE_TYPE_VALUES, Field, Role
from geoplan.errors import (
    CRSError,
    DataFileNotFoundError,
    EmptyLayerError,
    GeometryTypeError,
    InputError,
    LayerNotFoundError,
    MissingFieldError,
)

__all__ = [
    "ReadReport",
    "atomic_path",
    "list_layers",
    "read_layer",
    "read_report",
    "split_source",
    "write_csv",
    "write_gpkg",
    "write_json",
]

logger = logging.getLogger(__name__)

_PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".pq"}
_GEOM_FAMILIES = {
    "polygon": {"Polygon", "MultiPolygon"},
    "point": {"Point", "MultiPoint"},
    "line": {"LineString", "MultiLineString"},
}
_VALUE_MAPS: dict[tuple[str, str], Mapping[str, str]] = {
    ("settlements", "kind"): SETTLEMENT_KIND_VALUES,
    ("zoning", "zone_type"): ZONE_TYPE_VALUES,
}
_TRUE = {"1", "true", "t", "yes", "y", "是", "真", "√"}
_FALSE = {"0", "false", "f", "no", "n", "否", "假", ""}


@dataclass
class ReadReport:
    """What :func:`read_layer` did to a layer: where it came from, what it renamed and repaired."""

    source: str
    layer: str | None
    role: str | None
    features_read: int
    features: int = 0
    repaired: int = 0
    dropped_empty: int = 0
    dropped_unrepairable: int = 0
    renamed: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    encoding: str | None = None
    crs: str | None = None
    crs_assigned: bool = False

    def notes(self) -> list[str]:
        """Human-readable lines on repairs and drops (empty when nothing happened)."""
        out = []
        if self.repaired:
            out.append(f"{self.repaired} invalid geometries repaired (make_valid)")
        if self.dropped_empty:
            out.append(f"{self.dropped_empty} features without geometry dropped")
        if self.dropped_unrepairable:
            out.append(
                f"{self.dropped_unrepairable} features dropped: no geometry of the right kind "
                "left after repair"
            )
        if self.crs_assigned:
            out.append(f"CRS assigned by the caller: {self.crs}")
        return out


def read_report(gdf: gpd.GeoDataFrame) -> ReadReport | None:
    """The :class:`ReadReport` attached to a frame returned by :func:`read_layer`, if any."""
    rep = gdf.attrs.get("read_report")
    return rep if isinstance(rep, ReadReport) else None


# --------------------------------------------------------------------------- sources


def split_source(source: str | os.PathLike[str], layer: str | None = None) -> tuple[Path, str | None]:
    """Split ``path:layer`` into a path and a layer name (``layer`` wins when given).

    A string that names an existing file is a path even if it contains a colon.

    Examples
    --------
    >>> split_source("county.gpkg:parks")
    (PosixPath('county.gpkg'), 'parks')
    """
    text = os.fspath(source)
    path = Path(text)
    if layer is not None or path.exists():
        return path, layer
    head, sep, tail = text.rpartition(":")
    if sep and head and tail and "/" not in tail and "\\" not in tail:
        return Path(head), tail
    return path, None


def list_layers(source: str | os.PathLike[str]) -> list[str]:
    """Names of the vector layers in a data source.

    Examples
    --------
    >>> from geoplan.datasets import demo_path
    >>> "parks" in list_layers(demo_path() / "county.gpkg")
    True
    """
    path, _ = split_source(source)
    _require_exists(path)
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        return [path.stem]
    return [str(name) for name, _ in pyogrio.list_layers(path)]


def _require_exists(path: Path) -> None:
    if not path.exists():
        parent = path.parent if str(path.parent) else Path(".")
        hint = ""
        if parent.is_dir():
            near = sorted(p.name for p in parent.iterdir() if p.suffix == path.suffix)[:8]
            if near:
                hint = f" Files with the same extension there: {', '.join(near)}."
        raise DataFileNotFoundError(
            f"File not found: {path}. Check the path (relative paths are relative to the current "
            f"folder, or to the county folder in county.toml).{hint}"
        )


def _choose_layer(path: Path, layer: str | None, role: str | None) -> str | None:
    if path.suffix.lower() in _PARQUET_SUFFIXES:
        return None
    try:
        names = [str(n) for n, _ in pyogrio.list_layers(path)]
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(
            f"{path} could not be opened as a vector data source ({exc}). Is it a GeoPackage, "
            "Shapefile, GeoJSON, GeoParquet or FileGDB?"
        ) from None
    if layer is not None:
        if layer not in names:
            raise LayerNotFoundError(
                f"Layer {layer!r} is not in {path}. Layers there: {', '.join(names) or '(none)'}. "
                f"Name one as '{path}:<layer>'."
            )
        return layer
    if len(names) <= 1:
        return names[0] if names else None
    if role is not None and role in names:
        return role
    raise LayerNotFoundError(
        f"{path} holds several layers ({', '.join(names)}); say which one to read as "
        f"'{path}:<layer>'."
    )


# --------------------------------------------------------------------------- reading


def read_layer(
    source: str | os.PathLike[str],
    *,
    layer: str | None = None,
    role: str | None = None,
    fields: Mapping[str, str] | None = None,
    crs: CRS | str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector layer, validated and normalised for a role.

    Parameters
    ----------
    source
        A file or folder (``.gpkg``, ``.shp``, ``.geojson``, ``.parquet``, ``.gdb`` …), optionally
        with ``:layer`` appended.
    layer
        Layer name; required when the source holds several layers (unless one is named after
        ``role``).
    role
        One of ``boundary, townships, settlements, landuse, approvals, supplies, parks, roads,
        zoning``. Fields are renamed to canonical names, typed, and missing optional fields added
        as nulls; the geometry type is checked. Without a role the layer is read as it is (with
        geometry repair).
    fields
        Explicit mapping ``{canonical name: source column}`` that overrides the aliases.
    crs
        For a file that records no CRS, the CRS its coordinates are in; for one that does, the CRS
        to reproject to.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by the source feature id; ``gdf.attrs["read_report"]`` holds a :class:`ReadReport`.

    Raises
    ------
    DataFileNotFoundError, LayerNotFoundError, CRSError, GeometryTypeError, MissingFieldError,
    DateParseError, EmptyLayerError, InputError

    Examples
    --------
    >>> from geoplan.datasets import demo_path
    >>> parks = read_layer(demo_path() / "county.gpkg:parks", role="parks")
    >>> {"park_id", "name", "level"} <= set(parks.columns)
    True
    """
    path, layer = split_source(source, layer)
    _require_exists(path)
    role_def = _role(role)
    layer = _choose_layer(path, layer, role)
    label = f"{path}" + (f":{layer}" if layer else "")

    encoding = detect_dbf_encoding(path) if path.suffix.lower() in {".shp", ".dbf"} else None
    gdf = _read_raw(path, layer, encoding, label)
    rep = ReadReport(source=str(path), layer=layer, role=role, features_read=len(gdf))
    rep.encoding = encoding

    if len(gdf) == 0:
        raise EmptyLayerError(f"{label} has no features. Check the file or the layer name.")
    gdf = _apply_crs(gdf, crs, label, rep)
    if role_def is not None:
        gdf = _normalise_fields(gdf, role_def, fields, label, rep)
    gdf = _repair_geometry(gdf, role_def, label, rep)
    rep.features = len(gdf)
    rep.crs = gdf.crs.to_string() if gdf.crs is not None else None
    for note in rep.notes():
        logger.warning("%s: %s", label, note)
    gdf.attrs["read_report"] = rep
    return gdf


def _role(role: str | None) -> Role | None:
    if role is None:
        return None
    try:
        return ROLES[role]
    except KeyError:
        raise InputError(f"Unknown layer role {role!r}; roles are: {', '.join(ROLES)}.") from None


def _read_raw(path: Path, layer: str | None, encoding: str | None, label: str) -> gpd.GeoDataFrame:
    try:
        if path.suffix.lower() in _PARQUET_SUFFIXES:
            return gpd.read_parquet(path)
        return pyogrio.read_dataframe(
            path, layer=layer, use_arrow=True, encoding=encoding, fid_as_index=True
        )
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(f"{label} could not be read: {exc}") from None
    except UnicodeDecodeError as exc:
        raise InputError(
            f"{label}: text is not in the encoding it was read with ({exc.encoding}). For a "
            "shapefile add a .cpg file naming the encoding (e.g. GBK or UTF-8)."
        ) from None
    except ValueError as exc:  # e.g. parquet without geo metadata
        raise InputError(f"{label} could not be read as a geospatial layer: {exc}") from None


def _apply_crs(
    gdf: gpd.GeoDataFrame, crs: CRS | str | int | None, label: str, rep: ReadReport
) -> gpd.GeoDataFrame:
    if gdf.crs is None:
        if crs is None:
            raise CRSError(
                f"{label} has no coordinate reference system. {_crs_hint(gdf)} Fix the file (a "
                ".prj next to a shapefile, or set the CRS in QGIS), or tell geoplan: "
                "read_layer(..., crs='EPSG:4490'), or `crs = \"EPSG:4490\"` for the layer in "
                "county.toml."
            )
        rep.crs_assigned = True
        return gdf.set_crs(crs)
    if crs is not None and not gdf.crs.equals(CRS.from_user_input(crs)):
        return gdf.to_crs(crs)
    return gdf


def _crs_hint(gdf: gpd.GeoDataFrame) -> str:
    xmin, ymin, xmax, ymax = gdf.total_bounds
    if -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90:
        return "Its coordinates look like longitude/latitude (CGCS2000 is EPSG:4490)."
    if 1e7 <= xmin < 1e9:
        return (
            "Its x values carry a zone prefix (e.g. 38xxxxxx): a CGCS2000 3-degree Gauss-Kruger "
            "zone with prefix, EPSG:4513-4533."
        )
    if 1e5 <= xmin < 1e6 and 1e6 <= ymin < 1e7:
        return "Its coordinates look like a Gauss-Kruger zone without prefix (EPSG:4534-4554)."
    return ""


def _find_column(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for cand in candidates:
        if cand in columns:
            return cand
        hit = lower.get(cand.lower())
        if hit is not None:
            return hit
    return None


def _normalise_fields(
    gdf: gpd.GeoDataFrame,
    role: Role,
    fields: Mapping[str, str] | None,
    label: str,
    rep: ReadReport,
) -> gpd.GeoDataFrame:
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    fields = dict(fields or {})
    unknown = set(fields) - {f.name for f in role.fields}
    if unknown and role.rename:
        raise InputError(
            f"Field mapping for {role.name} names unknown canonical fields {sorted(unknown)}; "
            f"known: {[f.name for f in role.fields]}."
        )
    rename: dict[str, str] = {}
    missing: list[Field] = []
    for f in role.fields:
        if f.name in fields:
            src = fields[f.name]
            if src not in columns:
                raise MissingFieldError(
                    f"{label}: the field mapping says {f.name} = {src!r}, but there is no column "
                    f"{src!r}. Columns present: {', '.join(columns)}."
                )
        else:
            src = _find_column(columns, (f.name, *f.aliases))
        if src is None:
            if f.required:
                missing.append(f)
            continue
        if src != f.name:
            rename[src] = f.name
    if missing:
        lines = "; ".join(f"{f.name} (tried: {', '.join((f.name, *f.aliases))})" for f in missing)
        raise MissingFieldError(
            f"{label} is missing required field(s) for a {role.name} layer: {lines}. Columns "
            f"present: {', '.join(columns) or '(none)'}. Rename the column, or map it in "
            f"county.toml under [fields.{role.name}] (e.g. {missing[0].name} = \"<column>\"), or "
            "pass fields={...} to read_layer."
        )
    # a canonical name already used by an unrelated source column would be shadowed: drop it
    clash = [c for c in rename.values() if c in columns and c not in rename]
    out = gdf.drop(columns=clash).rename(columns=rename)
    rep.renamed = rename
    for f in role.fields:
        if f.name not in out.columns:
            rep.added.append(f.name)
            out[f.name] = _null_column(f.type, len(out), out.index)
        else:
            out[f.name] = _convert(out[f.name], f.type, f.name, label)
        mapping = _VALUE_MAPS.get((role.name, f.name))
        if mapping is not None:
            out[f.name] = _map_values(out[f.name], mapping, f.name, label)
    for col, typ in role.extra.items():
        if col in out.columns:
            out[col] = _convert(out[col], typ, col, label)
    return out


def _null_column(typ: str, n: int, index: pd.Index) -> pd.Series:
    if typ == "str":
        return pd.Series(pd.NA, index=index, dtype="string")
    if typ == "date":
        return pd.Series(pd.NaT, index=index, dtype="datetime64[ms]")
    if typ == "bool":
        return pd.Series(pd.NA, index=index, dtype="boolean")
    return pd.Series(np.nan, index=index, dtype="float64")


def _convert(s: pd.Series, typ: str, name: str, label: str) -> pd.Series:
    if typ == "str":
        return _to_code_string(s)
    if typ == "date":
        return parse_dates(s, field=name, layer=label)
    if typ == "bool":
        return _to_bool(s, name, label)
    return _to_float(s, name, label)


def _to_code_string(s: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(s.dtype):
        # numeric columns that hold codes: 101.0 -> "101" (never "101.0")
        vals = s.to_numpy(dtype="float64", na_value=np.nan)
        whole = np.isfinite(vals) & (vals == np.round(vals))
        text = s.astype("string")
        text[whole] = pd.Series(vals[whole].astype("int64"), index=s.index[whole]).astype("string")
        return text.str.strip()
    out = s.astype("string").str.strip()
    return out.mask(out == "")


def _to_float(s: pd.Series, name: str, label: str) -> pd.Series:
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("float64")
    text = s.astype("string").str.strip().str.replace(",", "", regex=False)
    pct = text.str.endswith("%").fillna(False)
    text = text.str.rstrip("%")
    num = pd.to_numeric(text.mask(text == ""), errors="coerce").astype("float64")
    bad = num.isna() & text.notna() & (text != "")
    if bad.any():
        rows = _rows(bad, s)
        raise InputError(
            f"{label}: field {name} must be numeric, but rows {rows} are not. Fix those values "
            "(empty is allowed for unknown)."
        )
    return num.where(~pct, num / 100.0)


def _to_bool(s: pd.Series, name: str, label: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    text = s.astype("string").str.strip().str.lower()
    true = text.isin(_TRUE)
    false = text.isin(_FALSE) | text.isna()
    bad = ~(true | false)
    if bad.any():
        raise InputError(
            f"{label}: field {name} must be yes/no (是/否, true/false, 1/0), but rows "
            f"{_rows(bad, s)} are not."
        )
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[true] = True
    out[false & text.notna() & (text != "")] = False
    return out


def _map_values(s: pd.Series, mapping: Mapping[str, str], name: str, label: str) -> pd.Series:
    low = {k.lower(): v for k, v in mapping.items()}
    mapped = s.str.lower().map(low)
    bad = mapped.isna() & s.notna()
    if bad.any():
        values = sorted(set(s[bad].astype(str)))[:10]
        accepted = sorted(set(mapping))
        raise InputError(
            f"{label}: field {name} has values geoplan does not know: {values}. Accepted: "
            f"{', '.join(accepted)}. Recode them, or map them before reading."
        )
    return mapped.astype("string")


def _rows(mask: pd.Series, values: pd.Series, limit: int = 10) -> str:
    idx = list(mask[mask].index[:limit])
    shown = ", ".join(f"{i} ({values.loc[i]!r})" for i in idx)
    more = int(mask.sum()) - len(idx)
    return shown + (f" and {more} more" if more > 0 else "")


def _repair_geometry(
    gdf: gpd.GeoDataFrame, role: Role | None, label: str, rep: ReadReport
) -> gpd.GeoDataFrame:
    geom = gdf.geometry.values
    empty = shapely.is_missing(geom) | shapely.is_empty(geom)
    if empty.any():
        rep.dropped_empty = int(empty.sum())
        gdf = gdf[~empty]
        geom = gdf.geometry.values
    if len(gdf) == 0:
        raise EmptyLayerError(f"{label}: every feature has an empty geometry.")
    kind = role.geometry if role is not None else "any"
    types = shapely.get_type_id(geom)
    if kind in _GEOM_FAMILIES:
        names = pd.Series(np.asarray(shapely.geometry.base.GEOMETRY_TYPES)[types])
        wrong = ~names.isin(_GEOM_FAMILIES[kind] | {"GeometryCollection"})
        if wrong.any():
            counts = names[wrong].value_counts().to_dict()
            raise GeometryTypeError(
                f"{label}: a {role.name if role else ''} layer needs {kind} geometries, but it "
                f"holds {counts} ({int(wrong.sum())} of {len(names)} features). Is this the "
                "right file or layer?"
            )
    invalid = ~shapely.is_valid(geom)
    if invalid.any() or (types == 7).any():
        fixed = np.array(geom, dtype=object)
        todo = invalid | (types == 7)
        repaired = shapely.make_valid(fixed[todo])
        if kind in _GEOM_FAMILIES:
            repaired = _keep_family(repaired, kind)
        fixed[todo] = repaired
        rep.repaired = int(invalid.sum())
        lost = shapely.is_missing(fixed) | shapely.is_empty(fixed)
        rep.dropped_unrepairable = int(lost.sum())
        gdf = gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs))[~lost]
        if len(gdf) == 0:
            raise EmptyLayerError(f"{label}: no feature has a usable geometry after repair.")
    return gdf


def _keep_family(geoms: np.ndarray, kind: str) -> np.ndarray:
    """From each (repaired) geometry keep only the parts of one family (polygon/line/point)."""
    family_ids = {"polygon": (3, 6), "line": (1, 5), "point": (0, 4)}[kind]
    parts, owner = shapely.get_parts(geoms, return_index=True)
    # a GeometryCollection's parts may be multi-geometries themselves: flatten once more
    parts, sub = shapely.get_parts(parts, return_index=True)
    owner = owner[sub]
    keep = np.isin(shapely.get_type_id(parts), family_ids)
    out = np.full(len(geoms), None, dtype=object)
    if keep.any():
        kept_owner = owner[keep]
        collected = shapely.multipolygons if kind == "polygon" else None
        for i in np.unique(kept_owner):
            these = parts[keep][kept_owner == i]
            if kind == "polygon" and collected is not None:
                g = these[0] if len(these) == 1 else collected(these)
            else:
                g = these[0] if len(these) == 1 else shapely.union_all(these)
            out[i] = g
    return out


# --------------------------------------------------------------------------- writing


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    Readers never see a half-written file, and a failure leaves the old file in place.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp{target.suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            if leftover.exists():
                leftover.unlink()


def write_gpkg(path: str | os.PathLike[str], layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Write several layers into one GeoPackage atomically (all or nothing).

    Non-spatial tables (plain DataFrames) are written as attribute-only layers.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4547)
    >>> p = write_gpkg(pathlib.Path(tempfile.mkdtemp()) / "x.gpkg", {"pts": g})
    >>> list_layers(p)
    ['pts']
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        for name, frame in layers.items():
            pyogrio.write_dataframe(
                _json_safe(frame), tmp, layer=name, driver="GPKG", append=tmp.exists()
            )
    return target


def _json_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """GDAL cannot store nullable booleans with NA or object columns of mixed types: tidy them."""
    out = frame.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.BooleanDtype):
            out[col] = out[col].astype("Int8")
        elif dtype == object and col != getattr(out, "_geometry_column_name", None):
            out[col] = out[col].astype("string")
    return out


def write_csv(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write a table as UTF-8 CSV with a BOM (so Excel shows Chinese text), atomically.

    Geometry columns are left out.
    """
    target = Path(path)
    table = pd.DataFrame(frame.drop(columns=[c for c in frame.columns if _is_geom(frame[c])]))
    with atomic_path(target) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8-sig")
    return target


def _is_geom(col: pd.Series) -> bool:
    return isinstance(col.dtype, gpd.array.GeometryDtype)


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write JSON (UTF-8, Chinese kept readable, numpy scalars converted), atomically."""
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(
            json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default) + "\n",
            encoding="utf-8",
        )
    return target


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Timestamp,)):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
