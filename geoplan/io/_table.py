"""Reading attribute tables with optional coordinates: the enterprise table of the 亩均效益
evaluation, as the economic, tax and power departments hand it over (Excel, CSV, or a layer).

A header may state its unit in brackets — ``税收(元)``, ``用电量（千瓦时）``, ``用地面积(平方米)`` —
and the values are converted to the unit geoplan stores (:data:`~geoplan.io._schema.ENTERPRISE_UNITS`:
money in 万元, energy in 吨标煤, power in 万千瓦时, land in 亩); a header without a unit is read in
that stored unit; a unit geoplan does not know is an error that names the column. Positions come
from the layer's points, else from ``X坐标``/``Y坐标`` (in the CRS ``source_crs`` names), else from
``经度``/``纬度`` (CGCS2000); a row without them has no geometry.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from pyproj import CRS

from geoplan.errors import CRSError, EmptyLayerError, InputError
from geoplan.io._coords import check_coordinates
from geoplan.io._fields import FieldReport, normalise_fields
from geoplan.io._read import _require_exists
from geoplan.io._read_report import ReadReport
from geoplan.io._schema import ENTERPRISE_UNITS, ROLES, Role
from geoplan.io._sources import split_source

__all__ = ["TABLE_ROLES", "read_table", "split_unit"]

logger = logging.getLogger(__name__)

#: roles read as tables (Excel / CSV / a layer with or without geometry)
TABLE_ROLES = ("enterprises",)
_EXCEL = {".xlsx", ".xlsm", ".xls"}
_UNIT = re.compile(r"^(?P<name>.*?)\s*[(（\[【]\s*(?P<unit>[^()（）\[\]【】]*?)\s*[)）\]】]\s*$")


def split_unit(header: str) -> tuple[str, str | None]:
    """A column header split into its name and the unit written in brackets (None: no unit).

    Examples
    --------
    >>> split_unit("税收(万元)"), split_unit("用电量（千瓦时）"), split_unit("企业名称")
    (('税收', '万元'), ('用电量', '千瓦时'), ('企业名称', None))
    """
    m = _UNIT.match(str(header).strip())
    if m is None or not m.group("name"):
        return str(header).strip(), None
    return m.group("name"), m.group("unit")


def _read_frame(path: Path, layer: str | None, label: str) -> pd.DataFrame:
    suffix = path.suffix.lower()
    if suffix in _EXCEL:
        try:
            return pd.read_excel(path, sheet_name=layer if layer else 0, dtype=object)
        except ValueError as exc:  # a sheet that is not there
            raise InputError(f"{label}: {exc}. Name the sheet as '{path}:<sheet>'.") from None
        except Exception as exc:  # openpyxl's errors for a file that is not a workbook
            raise InputError(f"{label} could not be read as an Excel workbook: {exc}") from None
    if suffix in {".csv", ".txt"}:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return pd.read_csv(path, dtype=str, encoding=encoding)
            except UnicodeDecodeError:
                continue
        raise InputError(f"{label} is neither UTF-8 nor GBK text; save it as UTF-8 CSV.")
    try:
        return pyogrio.read_dataframe(path, layer=layer, use_arrow=True, fid_as_index=True)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(
            f"{label} could not be read ({exc}). An enterprise table is an Excel workbook "
            "(.xlsx), a CSV file or a layer of a GeoPackage."
        ) from None


def _strip_units(
    frame: pd.DataFrame, role: Role, label: str
) -> tuple[pd.DataFrame, dict[str, tuple[str, float]]]:
    """Headers with a unit in brackets renamed to their bare name; ``{bare name: (unit, factor
    to the stored unit)}`` for the quantities of :data:`ENTERPRISE_UNITS`."""
    names = {
        a.lower(): f.name
        for f in role.fields
        for a in (f.name, *f.aliases)
        if f.name in ENTERPRISE_UNITS
    }
    rename: dict[str, str] = {}
    units: dict[str, tuple[str, float]] = {}
    for col in frame.columns:
        if not isinstance(col, str):
            continue
        bare, unit = split_unit(col)
        if unit is None or bare.lower() not in names:
            continue
        fname = names[bare.lower()]
        stored, accepted = ENTERPRISE_UNITS[fname]
        factor = {k.lower(): v for k, v in accepted.items()}.get(unit.lower().replace(" ", ""))
        if factor is None:
            raise InputError(
                f"{label}: column {col!r} ({role.name}.{fname}) is in {unit!r}, a unit geoplan "
                f"does not know; accepted: {', '.join(accepted)} (stored in {stored}). Convert "
                f"the column, or write its unit in the header as e.g. {bare}({stored})."
            )
        rename[col] = bare
        units[bare] = (unit, factor)
    return frame.rename(columns=rename), units


def read_table(
    source: str | os.PathLike[str],
    *,
    role: str = "enterprises",
    fields: Mapping[str, str] | None = None,
    source_crs: CRS | str | int | None = None,
) -> gpd.GeoDataFrame:
    """Read an attribute table for a table role (``enterprises``), normalised like a layer.

    Parameters
    ----------
    source
        An Excel workbook (``.xlsx``; ``book.xlsx:sheet`` names a sheet), a CSV file (UTF-8 or
        GBK) or any vector source with ``:layer``.
    role
        The table role (``enterprises``).
    fields
        Explicit ``{canonical field: column}`` mapping (county.toml ``[fields.enterprises]``).
    source_crs
        The CRS of ``X坐标``/``Y坐标`` columns (county.toml ``[crs] enterprises``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per enterprise, every canonical field present; quantities in their stored unit;
        point geometry where the source gives a position, else None. ``attrs["read_report"]``
        records the mapping and the units converted.

    Raises
    ------
    DataFileNotFoundError, MissingFieldError, CRSError, InputError
        Missing file or field, coordinates without a CRS, unknown units, negative or
        non-numeric values, a credit code given twice.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "qy.csv"
    >>> _ = p.write_text("统一社会信用代码,企业名称,税收(元),用地面积(平方米)\\n"
    ...                  "91410225MA001,甲公司,1200000,6666.67\\n", encoding="utf-8")
    >>> t = read_table(p)
    >>> float(t["tax"].iloc[0]), round(float(t["declared_area"].iloc[0]), 3)
    (120.0, 10.0)
    """
    path, layer = split_source(source)
    _require_exists(path)
    role_def = ROLES[role]
    label = f"{path}" + (f":{layer}" if layer else "")
    raw = _read_frame(path, layer, label)
    if len(raw) == 0:
        raise EmptyLayerError(f"{label} has no rows. Check the file or the sheet name.")
    frame, units = _strip_units(raw, role_def, label)
    has_geometry = isinstance(frame, gpd.GeoDataFrame) and frame.geometry.notna().any()
    if isinstance(frame, gpd.GeoDataFrame):
        gdf = frame
    else:
        gdf = gpd.GeoDataFrame(
            frame, geometry=gpd.GeoSeries([None] * len(frame), index=frame.index)
        )
    rep = ReadReport(source=str(path), layer=layer, role=role, features_read=len(gdf))
    frep = FieldReport()
    renamed: dict[str, str] = {}
    out = normalise_fields(gdf, role_def, fields, label, renamed, rep.added, report=frep)
    rep.renamed = renamed
    headers = {bare: col for col, bare in zip(raw.columns, frame.columns, strict=True)}
    rep.fields = {str(headers.get(src, src)): fname for src, fname in frep.matched.items()}
    rep.truncated, rep.unused, rep.field_notes = frep.truncated, frep.unused, frep.notes
    for src, fname in frep.matched.items():
        stored = ENTERPRISE_UNITS.get(fname, (None, {}))[0]
        if stored is None:
            continue
        unit, factor = units.get(src, (stored, 1.0))
        if factor != 1.0:
            out[fname] = out[fname] * factor
        rep.units[fname] = stored if unit == stored else f"{unit} → {stored}"
    _check_codes(out, label)
    out = _positions(out, has_geometry, source_crs, label, rep)
    rep.features = len(out)
    rep.crs = out.crs.to_string() if out.crs is not None else None
    out.attrs["read_report"] = rep
    return out


def _check_codes(out: gpd.GeoDataFrame, label: str) -> None:
    codes = out["credit_code"]
    missing = codes.isna()
    if missing.any():
        rows = ", ".join(str(i) for i in out.index[missing][:10])
        raise InputError(
            f"{label}: rows {rows} have no 统一社会信用代码 (credit_code); every enterprise "
            "needs one to be evaluated and linked. Fill them in or remove those rows."
        )
    dup = codes[codes.duplicated(keep=False)]
    if len(dup):
        shown = ", ".join(sorted(set(dup.astype(str)))[:10])
        raise InputError(
            f"{label}: the 统一社会信用代码 {shown} appear in more than one row. The evaluation "
            "takes one row per enterprise: add the rows of each enterprise together (its plants "
            "and departments) and keep one."
        )


def _positions(
    gdf: gpd.GeoDataFrame,
    has_geometry: bool,
    source_crs: CRS | str | int | None,
    label: str,
    rep: ReadReport,
) -> gpd.GeoDataFrame:
    """Point geometry from the layer, X/Y columns or lon/lat columns (None where absent)."""
    if has_geometry:
        if gdf.crs is None:
            if source_crs is None:
                raise CRSError(
                    f"{label} has points but no CRS: set [crs] enterprises in county.toml."
                )
            gdf = gdf.set_crs(source_crs)
        located = gdf[gdf.geometry.notna()]
        check_coordinates(located, label)
        rep.source_crs = gdf.crs.to_string()
        return gdf
    xy = gdf[["x", "y"]].to_numpy(dtype="float64", na_value=np.nan)
    ll = gdf[["lon", "lat"]].to_numpy(dtype="float64", na_value=np.nan)
    crs: CRS | str | int | None = None
    if np.isfinite(xy).all(axis=1).any():
        if source_crs is None:
            raise CRSError(
                f"{label} gives X坐标/Y坐标 but not the CRS they are in. Say it in county.toml "
                '`[crs]` then `enterprises = "EPSG:4547"` (or --crs enterprises=EPSG:…), or give '
                "经度/纬度 instead."
            )
        coords, crs = xy, source_crs
    elif np.isfinite(ll).all(axis=1).any():
        coords, crs = ll, source_crs if source_crs is not None else "EPSG:4490"
    else:
        return gdf.set_geometry(gpd.GeoSeries([None] * len(gdf), index=gdf.index))
    ok = np.isfinite(coords).all(axis=1)
    geoms = np.full(len(gdf), None, dtype=object)
    geoms[ok] = shapely.points(coords[ok])
    out = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=crs))
    check_coordinates(out[ok], label)
    rep.source_crs = str(crs)
    return out
