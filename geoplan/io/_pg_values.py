"""Python values → PostgreSQL: column types from pandas dtypes, rows for COPY, geometries as
hex EWKB (promoted to their multi type where a table's column is Multi…)."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import shapely

from geoplan.errors import InputError

__all__ = ["copy_values", "ewkb", "geometry_family", "sql_type"]


def geometry_family(geoms: Any) -> str:
    types = set(shapely.get_type_id(np.asarray(geoms, dtype=object)).tolist()) - {-1}
    for kind, ids in (("polygon", {3, 6}), ("line", {1, 2, 5}), ("point", {0, 4})):
        if types and types <= ids:
            return kind
    return "any"


def sql_type(series: pd.Series, name: str, label: str) -> str:
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        values = series.dropna()
        if getattr(dtype, "tz", None) is not None:
            return "timestamptz"
        midnight = (values == values.dt.normalize()).all() if len(values) else True
        return "date" if midnight else "timestamp"
    values = series.dropna()
    if len(values) and values.map(lambda v: isinstance(v, (list, dict, tuple))).all():
        return "jsonb"
    if (
        pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
    ):
        return "text"
    raise InputError(f"{label}: column {name} has type {dtype}, which geoplan cannot store.")


def copy_values(series: pd.Series, sql_type: str) -> list[Any]:
    missing = series.isna().to_numpy()
    if sql_type == "date":
        out: list[Any] = [None if m else v.date() for v, m in zip(series, missing, strict=True)]
    elif sql_type == "jsonb":
        out = [
            None if m else json.dumps(v, ensure_ascii=False, default=str)
            for v, m in zip(series.astype(object), missing, strict=True)
        ]
    elif sql_type in ("timestamp", "timestamptz"):
        out = [None if m else v.to_pydatetime() for v, m in zip(series, missing, strict=True)]
    elif sql_type == "text":
        out = [None if m else str(v) for v, m in zip(series.astype(object), missing, strict=True)]
    else:
        raw = series.astype(object).tolist()
        out = [
            None if m else (v.item() if isinstance(v, np.generic) else v)
            for v, m in zip(raw, missing, strict=True)
        ]
        if sql_type == "double precision":
            out = [None if v is None or not np.isfinite(v) else float(v) for v in out]
    return out


def ewkb(geoms: Any, srid: int, kind: str) -> list[str | None]:
    arr = np.asarray(geoms, dtype=object)
    if kind in ("polygon", "line", "point") and len(arr):
        has = ~(shapely.is_missing(arr) | shapely.is_empty(arr))
        parts, index = shapely.get_parts(arr[has], return_index=True)
        build = {
            "polygon": shapely.multipolygons,
            "line": shapely.multilinestrings,
            "point": shapely.multipoints,
        }[kind]
        multi = np.full(len(arr), None, dtype=object)
        multi[np.flatnonzero(has)] = build(parts, indices=index)
        arr = multi
    hexes = shapely.to_wkb(arr, hex=True)
    return [None if h is None else f"SRID={srid};{h}" for h in hexes]
