"""Boundary checks for the land audit: columns, types, geometry repair, duplicate supplies.

Inputs normally come from :func:`geoplan.read_layer` (roles ``approvals`` and ``supplies``), but
frames built in code are accepted too, so every assumption is checked again here. Problems that
make a result wrong raise a :mod:`geoplan.errors` error; repairs and drops are counted in a
``notes`` dict that ends up in :attr:`geoplan.AuditResult.quality`.
"""

from __future__ import annotations

import logging
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan._threads import threaded
from geoplan.crs import ensure_projected
from geoplan.errors import (
    EmptyLayerError,
    GeometryTypeError,
    InputError,
    MissingFieldError,
)
from geoplan.geometry import polygonal
from geoplan.io import parse_date_value, parse_dates

logger = logging.getLogger(__name__)

APPROVAL_FIELDS: dict[str, str] = {
    "batch_id": "str",
    "approval_no": "str",
    "approved_on": "date",
    "approval_type": "str",
}
SUPPLY_FIELDS: dict[str, str] = {
    "supply_id": "str",
    "batch_id": "str",
    "supplied_on": "date",
    "supply_method": "str",
    "agreed_start": "date",
    "agreed_finish": "date",
    "actual_start": "date",
    "developed_ratio": "float",
    "invested_ratio": "float",
    "suspended_since": "date",
    "land_price": "float",
    "gov_cause": "bool",
}
APPROVAL_REQUIRED = ("batch_id", "approved_on")
SUPPLY_REQUIRED = ("supply_id", "agreed_start", "actual_start")

_TRUE = {"1", "true", "t", "yes", "y", "是"}
_FALSE = {"0", "false", "f", "no", "n", "否"}


def parse_as_of(value: Any) -> pd.Timestamp:
    """The assessment date as a midnight :class:`pandas.Timestamp`.

    A date, datetime or Timestamp; text ``2026-06-30``, ``2026/6/30``, ``20260630`` or
    ``2026年6月30日``; or a whole number ``YYYYMMDD`` (``20260630``). Anything else raises
    :class:`~geoplan.errors.DateParseError` (never read as seconds since 1970).

    Examples
    --------
    >>> parse_as_of(20260630).date().isoformat()
    '2026-06-30'
    """
    if value is None:
        raise InputError("as_of is required: the assessment date, e.g. as_of='2025-12-31'.")
    return parse_date_value(value, what="as_of")


def prepare_layer(
    gdf: Any,
    *,
    layer: str,
    fields: dict[str, str],
    required: tuple[str, ...],
    id_field: str,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Check and normalise one input layer; return a clean copy and what was done to it.

    The copy has a fresh ``RangeIndex``; the input's index is kept in column ``source_row``.
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(
            f"{layer} must be a GeoDataFrame, got {type(gdf).__name__}. Read it with "
            f"geoplan.read_layer(path, role={layer!r})."
        )
    if len(gdf) == 0:
        raise EmptyLayerError(f"The {layer} layer has no features; the audit needs at least one.")
    ensure_projected(gdf, name=f"the {layer} layer")
    missing = [f for f in required if f not in gdf.columns]
    if missing:
        present = [str(c) for c in gdf.columns if c != gdf.geometry.name]
        raise MissingFieldError(
            f"The {layer} layer lacks the field(s) {', '.join(missing)} needed by the audit; "
            f"its columns are: {', '.join(present) or '(none)'}. Read it with "
            f"geoplan.read_layer(..., role={layer!r}) so Chinese field names (批次名称, 批准日期, "
            "电子监管号, 约定动工日期 …) are recognised, or rename the columns."
        )
    notes: dict[str, Any] = {"features_in": len(gdf)}
    rep = gdf.attrs.get("read_report")
    added = set(getattr(rep, "added", ()) or ())
    # fields the source did not have at all (read_layer adds them as empty columns)
    notes["absent_fields"] = [f for f in fields if f not in gdf.columns or f in added]
    if rep is not None:
        notes["repaired_on_read"] = int(getattr(rep, "repaired", 0))
        notes["dropped_on_read"] = int(getattr(rep, "dropped_empty", 0)) + int(
            getattr(rep, "dropped_unrepairable", 0)
        )

    geoms, repaired, dropped = _clean_geometry(gdf.geometry.values, layer)
    keep = ~dropped
    out = pd.DataFrame(index=pd.RangeIndex(int(keep.sum())))
    out["source_row"] = np.asarray(gdf.index)[keep]
    for name, typ in fields.items():
        if name in gdf.columns:
            out[name] = _convert(gdf[name], typ, name, layer).to_numpy()[keep]
        else:
            out[name] = _null(typ, len(out))
    notes["geometries_repaired"] = int(repaired[keep].sum())
    notes["features_dropped"] = int(dropped.sum())
    if dropped.any():
        rows = list(np.asarray(gdf.index)[dropped][:10])
        logger.warning(
            "%s: %d features without a usable polygon dropped (rows %s)",
            layer,
            int(dropped.sum()),
            rows,
        )
    if keep.sum() == 0:
        raise EmptyLayerError(f"The {layer} layer has no feature with a usable polygon.")
    no_id = out[id_field].isna()
    notes["missing_ids"] = int(no_id.sum())
    if no_id.any():
        out.loc[no_id, id_field] = [f"未编号#{r}" for r in out.loc[no_id, "source_row"]]
        logger.warning(
            "%s: %d features without %s were given ids 未编号#<row>",
            layer,
            int(no_id.sum()),
            id_field,
        )
    out["geom_repaired"] = repaired[keep]
    result = gpd.GeoDataFrame(out, geometry=np.asarray(geoms)[keep], crs=gdf.crs)
    return result, notes


def _clean_geometry(geoms: Any, layer: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Repair invalid polygons (keeping polygonal parts); reject non-polygonal geometry.

    Returns the geometries, a repaired mask and a dropped mask (missing, empty, or nothing
    polygonal left after repair).
    """
    geoms = np.asarray(geoms, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    wrong = ~missing & ~np.isin(types, (3, 6, 7))
    if wrong.any():
        names = pd.Series(shapely.get_type_id(geoms[wrong])).map(
            dict(enumerate(shapely.geometry.base.GEOMETRY_TYPES))
        )
        raise GeometryTypeError(
            f"The {layer} layer must hold polygons, but {int(wrong.sum())} of {len(geoms)} "
            f"features are {names.value_counts().to_dict()}. Is this the right file or layer?"
        )
    todo = ~missing & ((types == 7) | ~threaded(shapely.is_valid, geoms))
    repaired = np.zeros(len(geoms), dtype=bool)
    out = geoms.copy()
    if todo.any():
        idx = np.flatnonzero(todo)
        fixed = polygonal(shapely.make_valid(geoms[idx]))
        out[idx] = fixed
        repaired[idx] = True
    dropped = missing | shapely.is_empty(out) | (shapely.area(out) <= 0)
    return out, repaired, dropped


def _null(typ: str, n: int) -> pd.Series:
    if typ == "str":
        return pd.Series(pd.NA, index=range(n), dtype="string")
    if typ == "date":
        return pd.Series(pd.NaT, index=range(n), dtype="datetime64[ms]")
    if typ == "bool":
        return pd.Series(pd.NA, index=range(n), dtype="boolean")
    return pd.Series(np.nan, index=range(n), dtype="float64")


def _convert(s: pd.Series, typ: str, name: str, layer: str) -> pd.Series:
    if typ == "str":
        text = s.astype("string").str.strip()
        return text.mask(text == "")
    if typ == "date":
        return parse_dates(s, field=name, layer=f"the {layer} layer")
    if typ == "bool":
        return _to_bool(s, name, layer)
    return _to_float(s, name, layer)


def _to_float(s: pd.Series, name: str, layer: str) -> pd.Series:
    try:
        num = pd.to_numeric(s, errors="raise").astype("float64")
    except (TypeError, ValueError):
        raise InputError(
            f"The {layer} layer: field {name} must be numeric, got values such as "
            f"{list(s.dropna().astype(str).unique()[:5])}."
        ) from None
    if name.endswith("_ratio"):
        bad = (num < 0) | (num > 1)
        if bad.any():
            raise InputError(
                f"The {layer} layer: field {name} must be a share between 0 and 1, but rows "
                f"{list(s.index[bad.to_numpy()][:10])} hold {list(num[bad].unique()[:5])}. If the "
                "values are percentages, divide them by 100."
            )
    elif (num < 0).any():
        raise InputError(
            f"The {layer} layer: field {name} must not be negative (rows "
            f"{list(s.index[(num < 0).to_numpy()][:10])})."
        )
    return num


def _to_bool(s: pd.Series, name: str, layer: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(s.dtype):
        return s.astype("boolean")
    text = s.astype("string").str.strip().str.lower()
    true = text.isin(_TRUE).fillna(False)
    false = text.isin(_FALSE).fillna(False)
    bad = text.notna() & (text != "") & ~true & ~false
    if bad.any():
        raise InputError(
            f"The {layer} layer: field {name} must be yes/no (是/否, true/false, 1/0), got "
            f"{list(s[bad].astype(str).unique()[:5])}."
        )
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[true.to_numpy()] = True
    out[false.to_numpy()] = False
    return out


def dedup_supplies(s: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    """Drop exact duplicate supply records (same supply_id and same geometry), keep the first.

    Records sharing a supply_id with different geometries are all kept and listed.
    """
    ids_all = s["supply_id"].to_numpy(dtype=object)
    shared = np.flatnonzero(pd.Series(ids_all).duplicated(keep=False).to_numpy())
    # only records sharing an id need their geometries compared (normalised WKB)
    wkb = shapely.to_wkb(shapely.normalize(s.geometry.values[shared]))
    key = pd.DataFrame({"id": ids_all[shared], "wkb": wkb})
    dup = np.zeros(len(s), dtype=bool)
    dup[shared] = key.duplicated(keep="first").to_numpy()
    kept = s.loc[~dup].reset_index(drop=True)
    ids = kept["supply_id"]
    same_id = ids[ids.duplicated(keep=False)]
    notes: dict[str, Any] = {
        "duplicates_dropped": int(dup.sum()),
        "duplicate_ids_dropped": sorted({str(x) for x in ids_all[dup]}),
        "same_id_different_geometry": sorted(set(same_id.astype(str))),
    }
    if dup.any():
        logger.warning("supplies: %d exact duplicate records dropped", int(dup.sum()))
    if len(same_id):
        logger.warning(
            "supplies: %d supply_ids occur with different geometries (kept): %s",
            len(notes["same_id_different_geometry"]),
            notes["same_id_different_geometry"][:10],
        )
    return kept, notes


def prepare_townships(townships: Any) -> gpd.GeoDataFrame:
    """Townships as clean polygons with a ``name`` column."""
    t, _ = prepare_layer(
        townships,
        layer="townships",
        fields={"name": "str", "code": "str"},
        required=("name",),
        id_field="name",
    )
    return t


#: a land price per m² outside this range (元/m²) is implausible: probably the wrong unit
PRICE_PER_M2_RANGE = (1.0, 200_000.0)


def implausible_prices(
    price: pd.Series, area_m2: np.ndarray, ids: pd.Series
) -> list[dict[str, Any]]:
    """Supplies whose land price per m² is outside :data:`PRICE_PER_M2_RANGE` (元/m²).

    A 成交价款 exported in 万元 but read as 元 gives about 0.01–0.2 元/m²; one in 元 read as 万元
    tens of millions. Each entry: supply_id, land_price (元), area_m2 and yuan_per_m2.

    Examples
    --------
    >>> implausible_prices(pd.Series([500.0, 3_000_000.0]), np.array([10_000.0, 10_000.0]),
    ...                    pd.Series(["S1", "S2"]))
    [{'supply_id': 'S1', 'land_price': 500.0, 'area_m2': 10000.0, 'yuan_per_m2': 0.05}]
    """
    p = price.to_numpy(dtype="float64", na_value=np.nan)
    a = np.asarray(area_m2, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        per = np.where(a > 0, p / np.where(a > 0, a, 1.0), np.nan)
    lo, hi = PRICE_PER_M2_RANGE
    bad = ~np.isnan(per) & (p > 0) & ((per < lo) | (per > hi))
    idx = np.flatnonzero(bad)
    return [
        {
            "supply_id": str(ids.iloc[i]),
            "land_price": float(p[i]),
            "area_m2": round(float(a[i]), 2),
            "yuan_per_m2": round(float(per[i]), 4),
        }
        for i in idx
    ]
