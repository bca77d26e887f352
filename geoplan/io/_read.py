"""Reading layers the way county staff really have them, and writing results atomically.

:func:`read_layer` reads GeoPackage, Shapefile (DBF in GBK/GB18030 or UTF-8, with or without a
``.cpg``), GeoJSON, GeoParquet, FileGDB and anything else GDAL reads, through pyogrio with Arrow.
Given a *role* (see :mod:`geoplan.io._schema`) it checks the geometry type and required fields, maps
Chinese and pinyin-initial aliases to canonical names, parses dates, keeps codes as strings and
repairs invalid geometries, recording what it did in a :class:`ReadReport`. Whatever the role, it
refuses what no analysis could use and names the rows: coordinates outside the CRS's area of use
(:mod:`geoplan.io._coords`), infinite, negative or absurdly large numbers, text that is not in the
encoding it was read with; polygon rings that do not close are closed (GEOS would not even build
them) and the features named. A zipped shapefile (``parks.zip``, ``export.zip:parks``,
``zip://export.zip!parks.shp``) is read like an unzipped one.
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geoplan.errors import (
    DataFileNotFoundError,
    EmptyLayerError,
    GeometryTypeError,
    InputError,
    LayerNotFoundError,
)
from geoplan.geometry import parts_of_kind
from geoplan.io._encoding import cpg_encoding, detect_dbf_encoding, names_cut_mid_character
from geoplan.io._fields import FieldReport, normalise_fields
from geoplan.io._layer_crs import apply_crs, crs_text
from geoplan.io._read_report import ReadReport
from geoplan.io._schema import ROLES, Role
from geoplan.io._sources import is_database_source, parse_database_source, split_source
from geoplan.io._zipped import zip_uri, zipped_shapefile

__all__ = ["list_layers", "read_layer"]

logger = logging.getLogger(__name__)

_PARQUET_SUFFIXES = {".parquet", ".geoparquet", ".pq"}
_GEOM_FAMILIES = {
    "polygon": {"Polygon", "MultiPolygon"},
    "point": {"Point", "MultiPoint"},
    "line": {"LineString", "MultiLineString"},
}


# --------------------------------------------------------------------------- sources


def list_layers(source: str | os.PathLike[str]) -> list[str]:
    """Names of the vector layers in a data source (for a database URL: ``schema.table`` of
    the tables with geometry, in the schema after ``#`` if one is given).

    Examples
    --------
    >>> from geoplan.datasets import demo_path
    >>> "parks" in list_layers(demo_path() / "county.gpkg")
    True
    """
    if is_database_source(source):
        from geoplan.io._postgis import connect, list_tables, require_postgis

        src = parse_database_source(os.fspath(source), need_table=False)
        with connect(src.conninfo, src.label, read_only=True) as con:
            require_postgis(con, src.label)
            return list_tables(con, src.schema)
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
    source_crs: CRS | str | int | None = None,
    units: Mapping[str, str] | None = None,
) -> gpd.GeoDataFrame:
    """Read a vector layer, validated and normalised for a role.

    Parameters
    ----------
    source
        A file or folder (``.gpkg``, ``.shp``, ``.geojson``, ``.parquet``, ``.gdb`` …), optionally
        with ``:layer`` appended; or a PostGIS table,
        ``postgresql://user@host:5432/db#schema.table`` with optional filters after the table
        (``?where=XZQDM=410225&bbox=xmin,ymin,xmax,ymax``; see
        :func:`~geoplan.io.parse_database_source`), read with psycopg (the ``postgis`` extra),
        streamed in chunks, the password from ``PGPASSWORD`` or ``~/.pgpass``. Its SRID is its
        CRS (SRID 0 counts as none), its integer primary key the index.
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
        Without it, columns are found by canonical name or alias, also in the form a shapefile
        cuts them to (10 bytes: 约定动工日期 → 约定动工日 in GBK, 约定动 in UTF-8).
    crs
        For a file that records no CRS, the CRS its coordinates are in; for one that does, the CRS
        to reproject to.
    source_crs
        The CRS the file's coordinates are in (county.toml ``[crs] <role> = "EPSG:…"``): set on
        a file that records none; a file that records a different one is an error.
    units
        Units of money fields the column names do not state, e.g. ``{"land_price": "万元"}``;
        values are stored in 元. A column named ``成交价款(万元)`` says it itself.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by the source feature id; ``gdf.attrs["read_report"]`` holds a :class:`ReadReport`.

    Raises
    ------
    DataFileNotFoundError, LayerNotFoundError, CRSError, GeometryTypeError, MissingFieldError,
    DateParseError, EmptyLayerError, InputError, DatabaseError (a database source that
    cannot be reached or has no PostGIS), MissingExtraError (psycopg not installed)

    Examples
    --------
    >>> from geoplan.datasets import demo_path
    >>> parks = read_layer(demo_path() / "county.gpkg:parks", role="parks")
    >>> {"park_id", "name", "level"} <= set(parks.columns)
    True
    """
    role_def = _role(role)
    if is_database_source(source):
        gdf, rep, label = _read_database(os.fspath(source), role)
    else:
        gdf, rep, label = _read_file(source, layer, role)
    if len(gdf) == 0:
        what = "the table and its filters" if is_database_source(source) else "the file or layer"
        raise EmptyLayerError(f"{label} has no features. Check {what}.")
    return _normalise(
        gdf, rep, label, role_def, fields=fields, crs=crs, source_crs=source_crs, units=units
    )


def _read_file(
    source: str | os.PathLike[str], layer: str | None, role: str | None
) -> tuple[gpd.GeoDataFrame, ReadReport, str]:
    """A file's layer as GDAL hands it over (text checked, rings closed), its report begun."""
    source, layer = zip_uri(source, layer)
    path, layer = split_source(source, layer)
    _require_exists(path)
    gdal_path: Path | str
    zipped = zipped_shapefile(path, layer) if path.suffix.lower() == ".zip" else None
    if zipped is not None:
        gdal_path, layer, encoding = zipped
        label = f"{path}" + (f":{layer}" if layer else "")
    else:
        gdal_path = path
        layer = _choose_layer(path, layer, role)
        label = f"{path}" + (f":{layer}" if layer else "")
        encoding = detect_dbf_encoding(path) if path.suffix.lower() in {".shp", ".dbf"} else None
    gdf = _read_raw(gdal_path, layer, encoding, label)
    _check_text(gdf, label, encoding)
    rep = ReadReport(source=str(path), layer=layer, role=role, features_read=len(gdf))
    rep.encoding = encoding or (cpg_encoding(path) if path.suffix.lower() == ".shp" else None)
    rep.closed_rings = len(gdf.attrs.pop("closed_rings", ()))
    return gdf, rep, label


def _read_database(source: str, role: str | None) -> tuple[gpd.GeoDataFrame, ReadReport, str]:
    """A PostGIS table, streamed from the server (:mod:`geoplan.io._postgis`), its report begun."""
    from geoplan.io._postgis import read_table

    src = parse_database_source(source)
    label = src.label
    gdf = read_table(src, label)
    table = ".".join(p for p in (src.schema, src.table) if p)
    rep = ReadReport(source=label, layer=table, role=role, features_read=len(gdf))
    rep.encoding = "UTF-8"
    return gdf, rep, label


def _normalise(
    gdf: gpd.GeoDataFrame,
    rep: ReadReport,
    label: str,
    role_def: Role | None,
    *,
    fields: Mapping[str, str] | None,
    crs: CRS | str | int | None,
    source_crs: CRS | str | int | None,
    units: Mapping[str, str] | None,
) -> gpd.GeoDataFrame:
    """What every source goes through: CRS rules and coordinate checks, the role's fields
    (aliases, types, dates, units), geometry repair; the report completed and attached."""
    rep.source_crs = crs_text(gdf.crs)
    role = role_def.name if role_def is not None else None
    gdf = apply_crs(gdf, crs, label, rep, source_crs=source_crs, role=role)
    if role_def is not None:
        frep = FieldReport()
        gdf = normalise_fields(
            gdf, role_def, fields, label, rep.renamed, rep.added, units=units, report=frep
        )
        rep.fields, rep.truncated, rep.unused = frep.matched, frep.truncated, frep.unused
        rep.units, rep.field_notes = frep.units, frep.notes
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


def _encoding_error(label: str, used: str, column: str | None = None) -> InputError:
    where = f" of field {column}" if column is not None else ""
    return InputError(
        f"{label}: the text{where} is not in the encoding it was read with ({used}). For a "
        "shapefile, the .cpg file beside it names the encoding: if there is one it is wrong "
        "(Chinese data is usually GBK: write GBK into it); if there is none, add one. Other "
        "formats (GeoJSON, GeoPackage) must be UTF-8: save the file again as UTF-8."
    )


def _read_raw(
    path: Path | str, layer: str | None, encoding: str | None, label: str
) -> gpd.GeoDataFrame:
    shp = Path(path).suffix.lower() in {".shp", ".dbf"}
    if shp and isinstance(path, Path) and names_cut_mid_character(path, encoding):
        return _read_bytewise(path, layer, encoding or cpg_encoding(path) or "UTF-8", label)
    try:
        with warnings.catch_warnings():
            # GDAL warns, then GEOS refuses the ring: handled below, naming the features
            warnings.filterwarnings("ignore", "Non closed ring", RuntimeWarning)
            if Path(path).suffix.lower() in _PARQUET_SUFFIXES:
                return gpd.read_parquet(path)
            return pyogrio.read_dataframe(
                path, layer=layer, use_arrow=True, encoding=encoding, fid_as_index=True
            )
    except shapely.errors.GEOSException:
        # a geometry GEOS cannot even build (a polygon ring that does not close): read again
        # with the rings closed, and name those features
        return _read_closing_rings(path, layer, encoding, label)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        if "UTF-8" in str(exc) or "use_arrow" in str(exc):
            raise _encoding_error(label, encoding or "UTF-8") from None
        raise InputError(f"{label} could not be read: {exc}") from None
    except UnicodeDecodeError as exc:
        raise _encoding_error(label, exc.encoding) from None
    except ValueError as exc:  # e.g. parquet without geo metadata; Arrow's invalid UTF-8
        if "utf8" in str(exc).lower().replace("-", ""):
            raise _encoding_error(label, encoding or "UTF-8") from None
        raise InputError(f"{label} could not be read as a geospatial layer: {exc}") from None


def _read_bytewise(path: Path, layer: str | None, encoding: str, label: str) -> gpd.GeoDataFrame:
    """Read a shapefile as Latin-1 (every byte one character) and decode the text ourselves.

    For DBFs whose field names were cut at 10 bytes in the middle of a UTF-8 character, which
    GDAL cannot hand over as text: the split character is dropped, the rest decoded.
    """
    logger.warning(
        "%s: field names cut mid-character at 10 bytes; reading the text byte by byte (%s)",
        label,
        encoding,
    )
    try:
        gdf = pyogrio.read_dataframe(
            path, layer=layer, use_arrow=False, encoding="ISO-8859-1", fid_as_index=True
        )
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(f"{label} could not be read: {exc}") from None

    def name(text: str) -> str:  # a cut character at the end is dropped
        return text.encode("latin-1").decode(encoding, errors="ignore")

    def value(text: str) -> str:
        return text.encode("latin-1").decode(encoding)

    geom = gdf.geometry.name
    try:
        gdf = gdf.rename(columns={c: name(c) for c in gdf.columns if c != geom})
        for col in gdf.columns:
            if col != geom and (gdf[col].dtype == object or pd.api.types.is_string_dtype(gdf[col])):
                gdf[col] = gdf[col].map(lambda v: value(v) if isinstance(v, str) else v)
    except (UnicodeError, LookupError):
        raise _encoding_error(label, encoding) from None
    return gdf


def _check_text(gdf: pd.DataFrame, label: str, encoding: str | None) -> None:
    """Arrow takes text in a wrong encoding without complaint and fails on first use: check the
    text columns now and say which one is not in the encoding it was read with."""
    import pyarrow as pa

    for col in gdf.columns:
        arr = gdf[col].array
        if not hasattr(arr, "__arrow_array__") or not pd.api.types.is_string_dtype(arr.dtype):
            continue
        try:
            pa.chunked_array(arr.__arrow_array__()).validate(full=True)
        except pa.ArrowInvalid:
            raise _encoding_error(label, encoding or "UTF-8", str(col)) from None


def _read_closing_rings(
    path: Path | str, layer: str | None, encoding: str | None, label: str
) -> gpd.GeoDataFrame:
    """Read a layer whose WKB has unclosed polygon rings: rings closed, fixed feature ids in
    ``attrs["closed_rings"]``; features that still cannot be built are an InputError."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Non closed ring", RuntimeWarning)
        if Path(path).suffix.lower() in _PARQUET_SUFFIXES:
            attrs, wkb, crs = _parquet_wkb(Path(path))
        else:
            attrs = pyogrio.read_dataframe(
                path, layer=layer, encoding=encoding, read_geometry=False, fid_as_index=True
            )
            meta, _fids, wkb, _ = pyogrio.raw.read(
                path, layer=layer, encoding=encoding, columns=[], return_fids=True
            )
            crs = meta["crs"]
    wkb = np.asarray(wkb, dtype=object)
    strict = shapely.from_wkb(wkb, on_invalid="ignore")
    fixed = shapely.from_wkb(wkb, on_invalid="fix")
    has = ~pd.isna(wkb)
    broken = has & pd.isna(fixed)
    if broken.any():
        ids = ", ".join(repr(i) for i in attrs.index[broken][:10])
        raise InputError(
            f"{label}: the geometries of features {ids} ({int(broken.sum())} in all) cannot be "
            "read (malformed WKB). Repair them in QGIS (Vector > Geometry Tools > Fix "
            "Geometries) or delete them, then read the layer again."
        )
    closed = attrs.index[has & pd.isna(strict)]
    shown = ", ".join(repr(i) for i in closed[:10])
    more = f" and {len(closed) - 10} more" if len(closed) > 10 else ""
    logger.warning(
        "%s: feature(s) %s%s have polygon rings that do not close; each was closed by "
        "repeating its first point (check their outlines)",
        label,
        shown,
        more,
    )
    gdf = gpd.GeoDataFrame(attrs, geometry=fixed, crs=crs)
    gdf.attrs["closed_rings"] = list(closed)
    return gdf


def _parquet_wkb(path: Path) -> tuple[pd.DataFrame, np.ndarray, object]:
    """Attributes, WKB geometries and CRS of a GeoParquet file, without building geometries."""
    import json

    import pyarrow.parquet as pq

    table = pq.read_table(path)
    meta = json.loads((table.schema.metadata or {}).get(b"geo", b"{}"))
    col = meta.get("primary_column", "geometry")
    info = meta.get("columns", {}).get(col, {})
    if col not in table.column_names or info.get("encoding", "WKB").upper() != "WKB":
        raise InputError(f"{path}: no WKB geometry column {col!r} in this GeoParquet file.")
    crs = (
        CRS.from_json_dict(info["crs"])
        if info.get("crs")
        else ("OGC:CRS84" if "crs" not in info else None)
    )
    wkb = table.column(col).to_numpy(zero_copy_only=False)
    attrs = table.drop([col]).to_pandas()
    return attrs, wkb, crs


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
        if kind != "any":
            repaired = parts_of_kind(repaired, kind)
        fixed[todo] = repaired
        rep.repaired = int(invalid.sum())
        lost = shapely.is_missing(fixed) | shapely.is_empty(fixed)
        rep.dropped_unrepairable = int(lost.sum())
        gdf = gdf.set_geometry(gpd.GeoSeries(fixed, index=gdf.index, crs=gdf.crs))[~lost]
        if len(gdf) == 0:
            raise EmptyLayerError(f"{label}: no feature has a usable geometry after repair.")
    return gdf
