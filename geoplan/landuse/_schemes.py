"""Scheme tables: loading the bundled CSVs, normalising codes, user overrides of the mapping."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from geoplan.errors import DataFileNotFoundError, InputError, UnknownCodeError

logger = logging.getLogger(__name__)

SANSHENG: tuple[str, ...] = ("production", "living", "ecological")
SANSHENG_SUBS: dict[str, tuple[str, ...]] = {
    "production": ("agricultural", "industrial"),
    "living": ("urban", "rural"),
    "ecological": ("forest", "grass", "water", "wetland", "other"),
}
# the sub-class a bare "production"/"living"/"ecological" override gets
DEFAULT_SUB = {"production": "industrial", "living": "urban", "ecological": "other"}
SANLEI: tuple[str, ...] = ("农用地", "建设用地", "未利用地")
SEA = "海域"  # sea codes of 用地用海 2023: not a land class of the 三大类

_COLUMNS = ("name", "level", "parent", "sanlei", "sansheng", "sansheng_sub", "cultivated")

_BUILTIN: dict[str, dict[str, Any]] = {
    "sandiao": {
        "file": "sandiao.csv",
        "title": "三调工作分类 (GB/T 21010-2017 with the 三调 extensions)",
        "kind": "vector",
        "code_fields": ("DLBM",),
    },
    "ydyh2023": {
        "file": "ydyh2023.csv",
        "title": "国土空间调查、规划、用途管制用地用海分类 (2023)",
        "kind": "vector",
        "code_fields": ("YDYHFLDM", "GHDLBM"),
    },
    "worldcover": {
        "file": "worldcover.csv",
        "title": "ESA WorldCover 10 m",
        "kind": "raster",
        "code_fields": (),
    },
    "clcd": {
        "file": "clcd.csv",
        "title": "China Land Cover Dataset (CLCD, 30 m annual)",
        "kind": "raster",
        "code_fields": (),
    },
}
SCHEME_NAMES: tuple[str, ...] = tuple(_BUILTIN)


@dataclass(frozen=True, eq=False)
class Scheme:
    """A land-use classification: its codes and their 三大类 / 三生 classes.

    Attributes
    ----------
    name
        Short name (``sandiao``, ``ydyh2023``, ``worldcover``, ``clcd`` or a custom name).
    title
        Full title of the classification.
    kind
        ``"vector"`` (parcel codes) or ``"raster"`` (land-cover pixel values).
    table
        One row per code (the index, a string) with columns ``name, level, parent, sanlei,
        sansheng, sansheng_sub, cultivated``.
    code_fields
        Field names that carry this scheme's codes in parcel layers (used for detection).
    czcsxm_rules
        For 三调: classes that depend on CZCSXM (城镇村属性码), columns ``code, czcsxm,
        sansheng, sansheng_sub``; matched on the first three characters of CZCSXM.

    Examples
    --------
    >>> s = load_scheme("sandiao")
    >>> s.table.loc["0702", ["name", "sanlei", "sansheng", "sansheng_sub"]].tolist()
    ['农村宅基地', '建设用地', 'living', 'rural']
    """

    name: str
    title: str
    kind: Literal["vector", "raster"]
    table: pd.DataFrame
    code_fields: tuple[str, ...] = ()
    czcsxm_rules: pd.DataFrame | None = None

    def __repr__(self) -> str:
        return f"Scheme({self.name!r}, {len(self.table)} codes, {self.title})"

    @property
    def codes(self) -> list[str]:
        """All codes of the scheme, in table order."""
        return list(self.table.index)

    def normalise_codes(self, codes: pd.Series) -> tuple[pd.Series, dict[str, str]]:
        """Codes as the scheme writes them, and the leading-zero repairs made.

        Strings are stripped and upper-cased (``05h1`` → ``05H1``). A code that the scheme does
        not define but that becomes a defined code with one leading zero (``101`` → ``0101``,
        ``9`` → ``09``, ``201K`` → ``0201K``) lost that zero to a numeric field: it is repaired.
        That is unambiguous because the unpadded code itself is undefined. Anything else is left
        for :func:`classify_landuse` to report as unknown.
        """
        s = _code_strings(codes)
        known = set(self.table.index)
        uniq = pd.unique(s.dropna())
        fixes: dict[str, str] = {}
        for code in uniq:
            if code not in known and "0" + code in known:
                fixes[code] = "0" + code
        if fixes:
            s = s.replace(fixes)
        return s, fixes

    def with_mapping(self, mapping: Mapping[str, Any] | str | os.PathLike[str]) -> Scheme:
        """A copy with some codes' classes overridden (or new codes added).

        ``mapping`` is a dict ``{code: value}`` where value is ``"production"``,
        ``"production/industrial"``, a ``(sansheng, sub)`` tuple or a dict with any of ``name,
        sanlei, sansheng, sansheng_sub, cultivated``; or the path of a CSV with a ``code`` column
        and any of those columns. A bare function gets the default sub-class (production →
        industrial, living → urban, ecological → other) unless the code already has that function.

        Examples
        --------
        >>> s = load_scheme("sandiao").with_mapping({"05H1": "living/urban"})
        >>> s.table.loc["05H1", ["sansheng", "sansheng_sub"]].tolist()
        ['living', 'urban']
        """
        rows = _mapping_rows(mapping)
        table = self.table.copy()
        rules = self.czcsxm_rules
        new_rules = []
        for code, vals in rows:
            czcsxm = vals.pop("czcsxm", None)
            if czcsxm is not None:
                if "sansheng" not in vals:
                    raise InputError(
                        f"The CZCSXM rule for code {code} / CZCSXM {czcsxm} gives no sansheng."
                    )
                sub = vals.get("sansheng_sub") or DEFAULT_SUB.get(str(vals["sansheng"]), "")
                new_rules.append(
                    {
                        "code": code,
                        "czcsxm": str(czcsxm).strip()[:3],
                        "sansheng": vals["sansheng"],
                        "sansheng_sub": sub,
                    }
                )
                continue
            if code in table.index:
                row = table.loc[code].to_dict()
            else:
                missing = {"sanlei", "sansheng"} - set(vals)
                if missing:
                    raise UnknownCodeError(
                        f"The mapping adds code {code!r}, which the {self.name} scheme does not "
                        f"define, without {', '.join(sorted(missing))}. Give name, sanlei, "
                        "sansheng and sansheng_sub for new codes."
                    )
                row = {"name": code, "level": 2, "parent": "", "cultivated": False}
            if "sansheng" in vals and "sansheng_sub" not in vals:
                if vals["sansheng"] != row.get("sansheng"):
                    vals["sansheng_sub"] = DEFAULT_SUB[vals["sansheng"]]
            row.update(vals)
            _check_row(code, row, f"mapping for {self.name}")
            table.loc[code] = pd.Series(row)
        if new_rules:
            extra = pd.DataFrame(new_rules)
            for r in new_rules:
                _check_row(r["code"], r, f"CZCSXM mapping for {self.name}")
            rules = extra if rules is None else pd.concat([rules, extra], ignore_index=True)
            rules = rules.drop_duplicates(["code", "czcsxm"], keep="last").reset_index(drop=True)
        table["cultivated"] = table["cultivated"].astype(bool)
        table["level"] = table["level"].astype("int64")
        return replace(self, table=table, czcsxm_rules=rules)


def load_scheme(
    scheme: str | os.PathLike[str] | Scheme,
    *,
    mapping: Mapping[str, Any] | str | os.PathLike[str] | None = None,
) -> Scheme:
    """Load a classification scheme by name (or from a CSV of your own).

    Parameters
    ----------
    scheme
        ``"sandiao"`` (三调 / GB/T 21010-2017), ``"ydyh2023"`` (用地用海 2023), ``"worldcover"``,
        ``"clcd"``; the path of a CSV with columns ``code, name, sanlei, sansheng,
        sansheng_sub`` (``level, parent, cultivated`` optional); or a :class:`Scheme`.
    mapping
        Overrides of the classes of some codes, see :meth:`Scheme.with_mapping`.

    Returns
    -------
    Scheme

    Raises
    ------
    InputError
        Unknown scheme name, or a CSV with missing columns or invalid classes.

    Examples
    --------
    >>> s = load_scheme("ydyh2023")
    >>> s.table.loc["1207", "name"], s.table.loc["1207", "sansheng"]
    ('城镇村道路用地', 'living')
    >>> load_scheme("worldcover").table.loc["40", "sansheng"]
    'production'
    """
    if isinstance(scheme, Scheme):
        out = scheme
    elif str(scheme) in _BUILTIN:
        out = _builtin(str(scheme))
    elif str(scheme).lower().endswith(".csv"):
        out = _custom(Path(scheme))
    else:
        raise InputError(
            f"Unknown land-use scheme {str(scheme)!r}. Use one of {', '.join(SCHEME_NAMES)}, "
            "'auto' (detect from the field names), or the path of a CSV with columns code, name, "
            "sanlei, sansheng, sansheng_sub."
        )
    return out.with_mapping(mapping) if mapping else out


def load_crosswalk() -> pd.DataFrame:
    """The 三调 → 用地用海 2023 crosswalk (``sandiao_code, ydyh_code, ambiguous, candidates, note``).

    Codes that split several ways (05H1, 08H1, 08H2, 0810, …) have ``ambiguous`` True, an empty
    ``ydyh_code`` and the possible targets in ``candidates`` (``;``-separated): they are never
    guessed.

    Examples
    --------
    >>> cw = load_crosswalk().set_index("sandiao_code")
    >>> cw.loc["0702", "ydyh_code"], bool(cw.loc["0810", "ambiguous"])
    ('0703', True)
    """
    df = _read_csv("crosswalk_sandiao_ydyh2023.csv")
    df["ambiguous"] = df["ambiguous"].map({"true": True, "false": False}).astype(bool)
    df["ydyh_code"] = df["ydyh_code"].mask(df["ydyh_code"] == "")
    return df


def eco_weights() -> dict[str, float]:
    """Default eco-quality weights per 三生 sub-class (``eco_weights.csv``).

    Examples
    --------
    >>> eco_weights()["forest"]
    0.73
    """
    df = _read_csv("eco_weights.csv")
    return {str(k): float(v) for k, v in zip(df["sansheng_sub"], df["weight"], strict=True)}


# --------------------------------------------------------------------------- internals


def _code_strings(codes: pd.Series) -> pd.Series:
    if pd.api.types.is_float_dtype(codes.dtype):
        vals = codes.to_numpy(dtype="float64", na_value=np.nan)
        text = pd.Series(pd.NA, index=codes.index, dtype="string")
        ok = np.isfinite(vals)
        whole = ok & (vals == np.round(vals))
        text[whole] = pd.Series(vals[whole].astype("int64"), index=codes.index[whole]).astype(
            "string"
        )
        text[ok & ~whole] = codes[ok & ~whole].astype("string")
        s = text
    elif pd.api.types.is_integer_dtype(codes.dtype):
        s = codes.astype("string")
    else:
        s = codes.astype("string")
    s = s.str.strip().str.upper()
    return s.mask(s == "")


def _read_csv(filename: str) -> pd.DataFrame:
    with resources.files("geoplan.landuse").joinpath(filename).open("rb") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False, encoding="utf-8")


@cache
def _builtin_table(name: str) -> pd.DataFrame:
    return _table_from_frame(_read_csv(_BUILTIN[name]["file"]), f"geoplan/landuse/{name}")


def _builtin(name: str) -> Scheme:
    meta = _BUILTIN[name]
    rules = None
    if name == "sandiao":
        rules = _read_csv("sansheng_czcsxm.csv")
    return Scheme(
        name=name,
        title=meta["title"],
        kind=meta["kind"],
        table=_builtin_table(name).copy(),
        code_fields=meta["code_fields"],
        czcsxm_rules=rules,
    )


def _custom(path: Path) -> Scheme:
    if not path.exists():
        raise DataFileNotFoundError(f"Scheme file {path} does not exist.")
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise InputError(f"Cannot read scheme CSV {path}: {exc}. Save it as UTF-8 CSV.") from None
    return Scheme(
        name=path.stem,
        title=f"custom scheme {path.name}",
        kind="vector",
        table=_table_from_frame(df, str(path)),
        code_fields=(),
    )


def _table_from_frame(df: pd.DataFrame, label: str) -> pd.DataFrame:
    need = {"code", "name", "sanlei", "sansheng", "sansheng_sub"}
    missing = need - set(df.columns)
    if missing:
        raise InputError(
            f"Scheme table {label} lacks column(s) {', '.join(sorted(missing))}; it has "
            f"{', '.join(df.columns)}. A scheme CSV needs code, name, sanlei, sansheng, "
            "sansheng_sub (level, parent and cultivated are optional)."
        )
    df = df.copy()
    df["code"] = _code_strings(df["code"])
    if df["code"].isna().any() or df["code"].duplicated().any():
        dup = sorted(set(df.loc[df["code"].duplicated(), "code"].dropna()))
        raise InputError(f"Scheme table {label} has empty or duplicate codes: {dup}.")
    if "level" not in df:
        df["level"] = "1"
    if "parent" not in df:
        df["parent"] = ""
    if "cultivated" not in df:
        df["cultivated"] = "false"
    df["level"] = pd.to_numeric(df["level"], errors="coerce").fillna(1).astype("int64")
    df["cultivated"] = df["cultivated"].str.lower().isin(["true", "1", "yes"])
    table = df.set_index("code")[list(_COLUMNS)]
    for code, row in table.iterrows():
        _check_row(str(code), row.to_dict(), label)
    return table


def _check_row(code: str, row: Mapping[Any, Any], label: str) -> None:
    ss, sub, sl = row.get("sansheng"), row.get("sansheng_sub"), row.get("sanlei")
    if ss not in SANSHENG:
        raise InputError(
            f"{label}: code {code} has sansheng {ss!r}; expected one of {', '.join(SANSHENG)}."
        )
    if sub not in SANSHENG_SUBS[str(ss)]:
        raise InputError(
            f"{label}: code {code} has sansheng_sub {sub!r}; for {ss} expected one of "
            f"{', '.join(SANSHENG_SUBS[str(ss)])}."
        )
    if sl is not None and sl not in (*SANLEI, SEA):
        raise InputError(
            f"{label}: code {code} has sanlei {sl!r}; expected one of {', '.join(SANLEI)} "
            f"(or {SEA} for sea codes)."
        )


def _parse_value(code: str, value: Any) -> dict[str, Any]:
    if isinstance(value, str):
        parts = value.split("/")
        if len(parts) == 1:
            return {"sansheng": parts[0]}
        if len(parts) == 2:
            return {"sansheng": parts[0], "sansheng_sub": parts[1]}
    elif isinstance(value, tuple) and len(value) == 2:
        return {"sansheng": value[0], "sansheng_sub": value[1]}
    elif isinstance(value, Mapping):
        allowed = set(_COLUMNS) | {"czcsxm"}
        bad = set(value) - allowed
        if not bad:
            return {k: v for k, v in value.items() if v is not None and v != ""}
    raise InputError(
        f"Mapping value for code {code!r} is {value!r}; use 'production', "
        "'production/industrial', a (sansheng, sub) tuple, or a dict with keys among "
        "name, sanlei, sansheng, sansheng_sub, cultivated, czcsxm."
    )


def _mapping_rows(
    mapping: Mapping[str, Any] | str | os.PathLike[str],
) -> list[tuple[str, dict[str, Any]]]:
    if isinstance(mapping, (str, os.PathLike)):
        path = Path(mapping)
        if not path.exists():
            raise DataFileNotFoundError(f"Mapping file {path} does not exist.")
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        if "code" not in df:
            raise InputError(
                f"Mapping CSV {path} has no 'code' column (it has {', '.join(df.columns)})."
            )
        df["code"] = _code_strings(df["code"])
        rows: list[tuple[str, dict[str, Any]]] = []
        for rec in df.to_dict("records"):
            code = str(rec.pop("code"))
            vals = {k: v for k, v in rec.items() if k in (*_COLUMNS, "czcsxm") and v != ""}
            if "cultivated" in vals:
                vals["cultivated"] = str(vals["cultivated"]).lower() in ("true", "1", "yes")
            rows.append((code, vals))
        return rows
    out: list[tuple[str, dict[str, Any]]] = []
    for code, value in mapping.items():
        norm = _code_strings(pd.Series([code], dtype="string")).iloc[0]
        out.append((str(norm), _parse_value(str(code), value)))
    return out
