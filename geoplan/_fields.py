"""Field normalisation for layer roles: aliases to canonical names, types, value vocabularies."""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan._dates import parse_dates
from geoplan._schema import SETTLEMENT_KIND_VALUES, ZONE_TYPE_VALUES, Field, Role
from geoplan.errors import InputError, MissingFieldError

_VALUE_MAPS: dict[tuple[str, str], Mapping[str, str]] = {
    ("settlements", "kind"): SETTLEMENT_KIND_VALUES,
    ("zoning", "zone_type"): ZONE_TYPE_VALUES,
}
_TRUE = {"1", "true", "t", "yes", "y", "是", "真", "√"}
_FALSE = {"0", "false", "f", "no", "n", "否", "假", ""}


def _find_column(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for cand in candidates:
        if cand in columns:
            return cand
        hit = lower.get(cand.lower())
        if hit is not None:
            return hit
    return None


def normalise_fields(
    gdf: gpd.GeoDataFrame,
    role: Role,
    fields: Mapping[str, str] | None,
    label: str,
    renamed: dict[str, str],
    added: list[str],
) -> gpd.GeoDataFrame:
    """Rename aliases, type columns and add missing optional fields (recorded in the lists)."""
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
            src_opt: str | None = src
        else:
            src_opt = _find_column(columns, (f.name, *f.aliases))
        if src_opt is None:
            if f.required:
                missing.append(f)
            continue
        if src_opt != f.name:
            rename[src_opt] = f.name
    if missing:
        lines = "; ".join(f"{f.name} (tried: {', '.join((f.name, *f.aliases))})" for f in missing)
        raise MissingFieldError(
            f"{label} is missing required field(s) for a {role.name} layer: {lines}. Columns "
            f"present: {', '.join(columns) or '(none)'}. Rename the column, or map it in "
            f'county.toml under [fields.{role.name}] (e.g. {missing[0].name} = "<column>"), or '
            "pass fields={...} to read_layer."
        )
    # a canonical name already used by an unrelated source column would be shadowed: drop it
    clash = [c for c in rename.values() if c in columns and c not in rename]
    out = gdf.drop(columns=clash).rename(columns=rename)
    renamed.update(rename)
    for f in role.fields:
        if f.name not in out.columns:
            added.append(f.name)
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


#: no number geoplan reads is larger: a county's area is < 1e11 m², its dearest parcel < 1e12 元
#: and its population < 1e9; beyond 1e15 a value is a typo or a corrupt record, and sums of such
#: values lose precision or overflow to infinity (a JSON file cannot hold that)
MAX_PLAUSIBLE = 1e15


def _to_float(s: pd.Series, name: str, label: str) -> pd.Series:
    return _check_plausible(_parse_float(s, name, label), s, name, label)


def _check_plausible(num: pd.Series, raw: pd.Series, name: str, label: str) -> pd.Series:
    """Every numeric field geoplan reads (population, areas, ratios, prices) is a finite,
    non-negative quantity of sane size: reject infinities, negatives and values beyond
    :data:`MAX_PLAUSIBLE`, naming the rows (missing values stay missing)."""
    vals = num.to_numpy(dtype="float64", na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = np.isinf(vals) | (vals < 0) | (np.abs(vals) > MAX_PLAUSIBLE)
    if bad.any():
        mask = pd.Series(bad, index=num.index)
        shown = pd.Series(raw.tolist(), index=raw.index, dtype=object)  # inf, not np.float64(inf)
        raise InputError(
            f"{label}: field {name} must be a finite number from 0 to {MAX_PLAUSIBLE:g}, but rows "
            f"{_rows(mask, shown)} are not (infinite, negative or implausibly large: a typo, a "
            "unit mix-up or a corrupt record). Fix those values, or leave them empty if unknown."
        )
    return num


def _parse_float(s: pd.Series, name: str, label: str) -> pd.Series:
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
