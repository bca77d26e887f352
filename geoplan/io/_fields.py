"""Field normalisation for layer roles: aliases to canonical names, types, value vocabularies."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.errors import InputError, MissingFieldError
from geoplan.io._dates import parse_dates
from geoplan.io._schema import (
    SCALE_VALUES,
    SETTLEMENT_KIND_VALUES,
    ZONE_TYPE_VALUES,
    Field,
    Role,
)

logger = logging.getLogger(__name__)

_VALUE_MAPS: dict[tuple[str, str], Mapping[str, str]] = {
    ("settlements", "kind"): SETTLEMENT_KIND_VALUES,
    ("zoning", "zone_type"): ZONE_TYPE_VALUES,
    ("enterprises", "scale"): SCALE_VALUES,
}
_TRUE = {"1", "true", "t", "yes", "y", "是", "真", "√"}
_FALSE = {"0", "false", "f", "no", "n", "否", "假", ""}


#: bytes a DBF (shapefile) field name may hold
DBF_NAME_BYTES = 10
#: encodings whose byte lengths cut shapefile field names: GBK 2 bytes a Chinese character, UTF-8 3
_CUT_ENCODINGS = ("gb18030", "utf-8")
#: accepted units of money fields and their factor to 元
MONEY_UNITS = {"元": 1.0, "万元": 10_000.0, "yuan": 1.0, "wan": 10_000.0}
_MONEY_FIELDS = {("supplies", "land_price")}
_WAN = re.compile(r"(万元|万$|[(（_\-\s]万|wanyuan|wan_?yuan|\b10k)", re.IGNORECASE)
_YUAN = re.compile(r"([(（_\-\s]元|[(（]?元[)）]?$|_yuan$)", re.IGNORECASE)


@dataclass
class FieldReport:
    """How a layer's source columns were matched to a role's canonical fields."""

    matched: dict[str, str] = field(default_factory=dict)  # source column -> canonical field
    truncated: dict[str, str] = field(default_factory=dict)  # source column -> full alias
    unused: list[str] = field(default_factory=list)  # source columns not used
    units: dict[str, str] = field(default_factory=dict)  # canonical field -> unit read as
    notes: list[str] = field(default_factory=list)


def cut_names(name: str, limit: int = DBF_NAME_BYTES) -> set[str]:
    """The forms ``name`` takes when a shapefile cuts it at ``limit`` bytes (GBK and UTF-8).

    A character split by the cut is dropped, as GDAL drops it when it reads the name back.

    Examples
    --------
    >>> sorted(cut_names("约定动工日期"))
    ['约定动', '约定动工日']
    >>> cut_names("PZRQ"), sorted(cut_names("developed_ratio"))
    (set(), ['developed_'])
    """
    out = set()
    for enc in _CUT_ENCODINGS:
        raw = name.encode(enc, errors="ignore")
        if len(raw) > limit:
            cut = raw[:limit].decode(enc, errors="ignore").rstrip()
            if cut:
                out.add(cut)
    return out


def _clean_name(col: str) -> str:
    """A source column name as read back: replacement characters of a split byte removed."""
    return col.replace("\ufffd", "").strip()


def _find_column(columns: list[str], candidates: tuple[str, ...]) -> str | None:
    lower = {c.lower(): c for c in columns}
    for cand in candidates:
        if cand in columns:
            return cand
        hit = lower.get(cand.lower())
        if hit is not None:
            return hit
    return None


def _match_cut(
    columns: list[str], role: Role, todo: list[Field], used: set[str], label: str
) -> dict[str, tuple[str, str]]:
    """``{field: (column, alias)}`` for fields found only as a shapefile-cut alias.

    A column that is the cut form of aliases of two different fields is ambiguous: that is an
    error asking for an explicit ``[fields.<role>]`` mapping.
    """
    forms: dict[str, dict[str, str]] = {}  # cut form (lower) -> {field: alias}
    for f in todo:
        for alias in (f.name, *f.aliases):
            for cut in cut_names(alias):
                forms.setdefault(cut.lower(), {}).setdefault(f.name, alias)
    found: dict[str, tuple[str, str]] = {}
    ambiguous: list[str] = []
    for col in columns:
        if col in used:
            continue
        hits = forms.get(_clean_name(col).lower())
        if not hits:
            continue
        if len(hits) > 1:
            opts = " or ".join(f"{fn} (alias {al})" for fn, al in hits.items())
            ambiguous.append(f"column {col!r} is the 10-byte shapefile cut of {opts}")
            continue
        ((fname, alias),) = hits.items()
        found.setdefault(fname, (col, alias))
    if ambiguous:
        first = ambiguous[0].split("'")[1]
        raise InputError(
            f"{label}: field names cut to 10 bytes by the shapefile format are ambiguous: "
            f"{'; '.join(ambiguous)}. Say which column is which in county.toml under "
            f'[fields.{role.name}] (e.g. <field> = "{first}"), with --field '
            f"{role.name}.<field>={first} on the command line, or fields={{...}} in read_layer."
        )
    return found


def money_unit_from_name(column: str) -> str | None:
    """The unit a money column's name states (``"万元"`` or ``"元"``), or None.

    Examples
    --------
    >>> [money_unit_from_name(c) for c in ("成交价款(万元)", "成交价款_万元", "成交价款万", "成交价款（元）", "成交价款")]
    ['万元', '万元', '万元', '元', None]
    """
    name = _clean_name(column)
    if _WAN.search(name):
        return "万元"
    if _YUAN.search(name):
        return "元"
    return None


def _canonical_unit(value: str, label: str, name: str) -> str:
    unit = str(value).strip()
    if unit not in MONEY_UNITS:
        raise InputError(
            f"{label}: the unit given for {name} is {value!r}; accepted: 元 or 万元 (yuan, wan). "
            'Fix [units] in county.toml (e.g. land_price = "万元") or --price-unit.'
        )
    return "万元" if MONEY_UNITS[unit] == 10_000.0 else "元"


def _money_unit(
    role: Role, fname: str, src: str, units: Mapping[str, str], label: str, rep: FieldReport
) -> float:
    """Factor to 元 for a money column: from its name or the configured unit (they must agree)."""
    by_name = money_unit_from_name(src)
    given = units.get(fname)
    conf = _canonical_unit(given, label, fname) if given is not None else None
    if by_name and conf and by_name != conf:
        raise InputError(
            f"{label}: column {src!r} ({role.name}.{fname}) says its unit is {by_name} in its "
            f"name, but the configuration says {conf}. Remove one of them ([units] in "
            "county.toml or --price-unit), or rename the column."
        )
    unit = by_name or conf or "元"
    how = "column name" if by_name else "configuration" if conf else "default"
    rep.units[fname] = f"{unit} ({how})"
    if how == "default" and src in rep.truncated:
        rep.notes.append(
            f"{fname}: column {src!r} is a name cut to 10 bytes, so a unit written in it "
            '(成交价款(万元)) is lost; read as 元. If it is in 万元, say so: [units] land_price = "万元" '
            "in county.toml or --price-unit 万元."
        )
    if unit == "万元":
        logger.info("%s: %s (%s) is in 万元 (%s); stored in 元", label, fname, src, how)
    return MONEY_UNITS[unit]


def normalise_fields(
    gdf: gpd.GeoDataFrame,
    role: Role,
    fields: Mapping[str, str] | None,
    label: str,
    renamed: dict[str, str],
    added: list[str],
    *,
    units: Mapping[str, str] | None = None,
    report: FieldReport | None = None,
) -> gpd.GeoDataFrame:
    """Rename aliases, type columns and add missing optional fields (recorded in the lists).

    Columns are found by canonical name or alias (case-insensitive), then by the form an alias
    takes when a shapefile cuts field names to 10 bytes (GBK or UTF-8). ``units`` gives the unit
    of money fields (``{"land_price": "万元"}``) when the column name does not; values are
    stored in 元. ``report`` receives the mapping made and the columns left unused.
    """
    rep = report if report is not None else FieldReport()
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    fields = dict(fields or {})
    units = dict(units or {})
    _check_mapping(role, fields, units)
    # 1. which source column holds each canonical field
    source = _find_sources(columns, role, fields, label, rep)
    rename = {src: name for name, src in source.items() if src != name}
    for f in role.fields:
        if f.name in source:
            rep.matched[source[f.name]] = f.name
    missing = [f for f in role.fields if f.required and f.name not in source]
    if missing:
        lines = "; ".join(f"{f.name} (tried: {', '.join((f.name, *f.aliases))})" for f in missing)
        raise MissingFieldError(
            f"{label} is missing required field(s) for a {role.name} layer: {lines}, also as "
            f"shapefile names cut to 10 bytes. Columns present: {', '.join(columns) or '(none)'}"
            f". Rename the column, or map it in county.toml under [fields.{role.name}] (e.g. "
            f'{missing[0].name} = "<column>"), or with --field {role.name}.{missing[0].name}='
            "<column> on the command line, or pass fields={...} to read_layer."
        )
    # 2. rename (a canonical name already used by an unrelated source column would be
    #    shadowed: drop that column)
    clash = [c for c in rename.values() if c in columns and c not in rename]
    out = gdf.drop(columns=clash).rename(columns=rename)
    renamed.update(rename)
    rep.unused = [
        c for c in columns if c not in rep.matched and c not in role.extra and c not in clash
    ] + clash
    # 3. types, units and value vocabularies; typed nulls for absent optional fields
    for f in role.fields:
        if f.name not in out.columns:
            added.append(f.name)
            out[f.name] = _null_column(f.type, len(out), out.index)
        else:
            out[f.name] = _convert(out[f.name], f.type, f.name, label)
            if (role.name, f.name) in _MONEY_FIELDS:
                factor = _money_unit(role, f.name, source[f.name], units, label, rep)
                if factor != 1.0:
                    out[f.name] = out[f.name] * factor
        mapping = _VALUE_MAPS.get((role.name, f.name))
        if mapping is not None:
            out[f.name] = _map_values(out[f.name], mapping, f.name, label)
    for col, typ in role.extra.items():
        if col in out.columns:
            out[col] = _convert(out[col], typ, col, label)
    shown = ", ".join(
        f"{src} → {dst}" + (" (cut name)" if src in rep.truncated else "")
        for src, dst in rep.matched.items()
    )
    logger.info("%s: fields %s; unused columns: %s", label, shown or "(none)",
                ", ".join(rep.unused) or "(none)")  # fmt: skip
    return out


def _check_mapping(role: Role, fields: dict[str, str], units: dict[str, str]) -> None:
    """A field mapping or unit names only fields the role has (money fields for units)."""
    unknown = set(fields) - {f.name for f in role.fields}
    if unknown and role.rename:
        raise InputError(
            f"Field mapping for {role.name} names unknown canonical fields {sorted(unknown)}; "
            f"known: {[f.name for f in role.fields]}."
        )
    money = [f for r, f in _MONEY_FIELDS if r == role.name]
    bad_units = set(units) - set(money)
    if bad_units and role.rename:
        raise InputError(
            f"A unit is given for {sorted(bad_units)} of the {role.name} layer, but only money "
            f"fields take one ({', '.join(money) or 'none here'})."
        )


def _find_sources(
    columns: list[str], role: Role, fields: dict[str, str], label: str, rep: FieldReport
) -> dict[str, str]:
    """``{canonical field: source column}``: the explicit mapping, else the name or an alias,
    else an alias as a shapefile cuts it to 10 bytes (cut names recorded in ``rep``)."""
    source: dict[str, str] = {}
    todo: list[Field] = []
    for f in role.fields:
        if f.name in fields:
            src = fields[f.name]
            if src not in columns:
                raise MissingFieldError(
                    f"{label}: the field mapping says {f.name} = {src!r}, but there is no column "
                    f"{src!r}. Columns present: {', '.join(columns)}."
                )
            source[f.name] = src
            continue
        found = _find_column(columns, (f.name, *f.aliases))
        if found is None:
            todo.append(f)
        else:
            source[f.name] = found
    if todo:
        cut = _match_cut(columns, role, todo, set(source.values()), label)
        for name, (col, alias) in cut.items():
            source[name] = col
            rep.truncated[col] = alias
    # in the role's field order, as the report lists them
    return {f.name: source[f.name] for f in role.fields if f.name in source}


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
