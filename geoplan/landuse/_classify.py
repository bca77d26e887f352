"""classify_landuse and detect_scheme: codes → 三大类 and 三生 classes, 三调 area rules."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa

from geoplan.errors import InputError, MissingFieldError, UnknownCodeError
from geoplan.landuse._schemes import SCHEME_NAMES, Scheme, _code_strings, load_scheme

logger = logging.getLogger(__name__)

# field name (upper case) -> scheme; DLBM/DLMC are 三调, YDYHFLDM/GHDLBM planning data
FIELD_SCHEMES: dict[str, str] = {
    "DLBM": "sandiao",
    "地类编码": "sandiao",
    "YDYHFLDM": "ydyh2023",
    "YDYHFLBM": "ydyh2023",
    "GHDLBM": "ydyh2023",
    "用地用海分类代码": "ydyh2023",
    "用地用海分类编码": "ydyh2023",
}
KC_CODE = "1203"  # 田坎: the class of the deducted area KCMJ
_TOL_M2 = 0.01  # TBMJ = TBDLMJ + KCMJ is checked to this (the fields have 2 decimals)

ADDED_COLUMNS = (
    "code",
    "class_name",
    "scheme",
    "sanlei",
    "sansheng",
    "sansheng_sub",
    "cultivated",
    "area_m2",
    "class_area_m2",
    "kc_area_m2",
    "kc_share",
    "kc_code",
    "kc_sanlei",
    "kc_sansheng",
    "kc_sansheng_sub",
)


def detect_scheme(gdf: pd.DataFrame) -> tuple[str, str]:
    """Guess a land-use layer's scheme from its field names.

    ``DLBM`` (地类编码) means 三调 / GB/T 21010 (``"sandiao"``); ``YDYHFLDM`` or ``GHDLBM`` mean
    用地用海 2023 planning data (``"ydyh2023"``). The same code means different things in the two
    schemes (1001 is 铁路用地 in 三调 but 工业用地 in 用地用海), so the guess is logged and a layer
    with fields of both raises: pass ``scheme=`` and ``code_field=`` then.

    Returns
    -------
    tuple of str
        ``(scheme name, code field)``.

    Raises
    ------
    MissingFieldError
        No known code field.
    InputError
        Fields of more than one scheme.

    Examples
    --------
    >>> import pandas as pd
    >>> detect_scheme(pd.DataFrame({"DLBM": ["0101"], "DLMC": ["水田"]}))
    ('sandiao', 'DLBM')
    >>> detect_scheme(pd.DataFrame({"ghdlbm": ["0701"]}))
    ('ydyh2023', 'ghdlbm')
    """
    found: dict[str, list[str]] = {}
    for col in gdf.columns:
        scheme = FIELD_SCHEMES.get(str(col).strip().upper())
        if scheme is not None:
            found.setdefault(scheme, []).append(str(col))
    if not found:
        raise MissingFieldError(
            f"Cannot tell the land-use scheme: none of the fields {', '.join(FIELD_SCHEMES)} is "
            f"present (the layer has {', '.join(map(str, gdf.columns))}). Pass scheme= (one of "
            f"{', '.join(SCHEME_NAMES)}) and code_field= naming the class-code column."
        )
    if len(found) > 1:
        desc = "; ".join(f"{s}: {', '.join(cols)}" for s, cols in found.items())
        raise InputError(
            f"The land-use layer has code fields of several schemes ({desc}). Say which one to "
            "use with scheme= and code_field= (e.g. scheme='sandiao', code_field='DLBM')."
        )
    scheme, cols = next(iter(found.items()))
    field = cols[0]
    logger.info(
        "land use: scheme %s detected from field %s%s",
        scheme,
        field,
        f" (also present: {', '.join(cols[1:])})" if len(cols) > 1 else "",
    )
    return scheme, field


def classify_landuse(
    gdf: gpd.GeoDataFrame,
    *,
    scheme: str | os.PathLike[str] | Scheme = "auto",
    mapping: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    code_field: str | None = None,
    unknown: Literal["raise", "keep"] = "raise",
) -> gpd.GeoDataFrame:
    """Add land-use classes to parcels: code, name, 三大类, 三生 function and sub-class.

    Parameters
    ----------
    gdf
        Land-use parcels, e.g. from ``read_layer(..., role="landuse")`` (source field names kept:
        DLBM, TBDLMJ, KCMJ, CZCSXM … or YDYHFLDM / GHDLBM).
    scheme
        ``"auto"`` (from the field names, see :func:`detect_scheme`), a scheme name, the path of a
        scheme CSV, or a :class:`Scheme`.
    mapping
        Overrides of the default classes, ``{code: "production/industrial"}`` or a CSV (see
        :meth:`Scheme.with_mapping`); with a ``czcsxm`` entry it adds a CZCSXM-dependent rule.
    code_field
        The class-code column (default: the detected one, or the scheme's usual field).
    unknown
        ``"raise"`` (default): codes the scheme does not define raise :class:`UnknownCodeError`
        listing them. ``"keep"``: those parcels keep null classes and are counted in
        ``gdf.attrs["landuse_report"]``.

    Returns
    -------
    geopandas.GeoDataFrame
        A copy with columns ``code`` (normalised string), ``class_name``, ``scheme``, ``sanlei``
        (农用地/建设用地/未利用地), ``sansheng`` (production/living/ecological), ``sansheng_sub``,
        ``cultivated`` (耕地), ``area_m2`` (planar area of the geometry; NaN in a geographic CRS),
        ``class_area_m2`` (recorded class area: TBDLMJ, or TBMJ − KCMJ; the planar area when
        the layer records none), ``kc_area_m2`` (deducted 田坎 area KCMJ, 0 if none),
        ``kc_share`` (KCMJ / (TBDLMJ + KCMJ): the part of the polygon that is 田坎) and
        ``kc_code`` (1203). ``attrs["landuse_report"]`` counts what was repaired or unknown.

    Raises
    ------
    UnknownCodeError, MissingFieldError, InputError

    Notes
    -----
    三调 rule: a parcel's class area is TBDLMJ; its KCMJ is 田坎 (1203) lying inside the same
    polygon. Composition splits the polygon's area between the class and 1203 in the ratio
    TBDLMJ : KCMJ. CZCSXM-dependent classes (1201 空闲地 → urban living in 201/202, rural in 203)
    follow ``sansheng_czcsxm.csv``; an ``A`` suffix (201A) matches its settlement code.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> parcels = gpd.GeoDataFrame(
    ...     {"DLBM": ["0101", "0702", "1201"], "CZCSXM": [None, "203", "201"],
    ...      "TBDLMJ": [90.0, 100.0, 100.0], "KCMJ": [10.0, 0.0, 0.0]},
    ...     geometry=[shapely.box(0, 0, 10, 10)] * 3, crs=4547)
    >>> out = classify_landuse(parcels)
    >>> out[["code", "sanlei", "sansheng", "sansheng_sub", "kc_share"]].values.tolist()
    [['0101', '农用地', 'production', 'agricultural', 0.1], ['0702', '建设用地', 'living', 'rural', 0.0], ['1201', '建设用地', 'living', 'urban', 0.0]]
    """
    if not isinstance(gdf, gpd.GeoDataFrame):
        raise InputError(
            f"classify_landuse needs a GeoDataFrame of parcels; got {type(gdf).__name__}."
        )
    if len(gdf) == 0:
        raise InputError("The land-use layer is empty; there is nothing to classify.")
    if unknown not in ("raise", "keep"):
        raise InputError(f"unknown={unknown!r}; use 'raise' or 'keep'.")
    sch, field = _resolve(gdf, scheme, code_field)
    if mapping:
        sch = sch.with_mapping(mapping)

    codes = _CodeLookup.of(gdf[field], sch)
    report: dict[str, Any] = {
        "scheme": sch.name,
        "code_field": field,
        "features": len(gdf),
        "codes_padded": codes.padded_counts(),
        "missing_code": int(codes.missing.sum()),
        "unknown_codes": {},
    }
    if codes.fixes:
        logger.warning(
            "land use %s: %d code value(s) had lost a leading zero and were repaired: %s",
            field,
            len(codes.fixes),
            ", ".join(f"{k}→{v}" for k, v in sorted(codes.fixes.items())),
        )
    if codes.bad.any() or codes.missing.any():
        report["unknown_codes"] = _unknown_codes(codes, sch, field, unknown)
    out = gdf.copy()
    lut = sch.table.reindex(pd.Index(list(np.where(codes.known_u, codes.norm_obj, _NONE))))
    idx = np.where(codes.known, codes.take, -1)
    code_idx = np.where(codes.has & ~codes.missing, codes.take, -1)
    out["code"] = _spread(codes.norm_obj, code_idx, "string")
    out["class_name"] = _spread(lut["name"].to_numpy(dtype=object), idx, "string")
    out["scheme"] = pd.array(np.full(len(out), sch.name, dtype=object), dtype="string")
    for col in ("sanlei", "sansheng", "sansheng_sub"):
        out[col] = _spread(lut[col].to_numpy(dtype=object), idx, "string")
    out["cultivated"] = _spread(lut["cultivated"].to_numpy(dtype=object), idx, "boolean")
    report["czcsxm_rules_applied"] = _apply_czcsxm(out, sch)
    _add_areas(out, sch, report)
    out.attrs["landuse_report"] = report
    return out


_NONE = np.array(None, dtype=object)


@dataclass
class _CodeLookup:
    """The distinct code values of a layer, normalised and looked up in the scheme once, with
    the row → value index to spread the answers over the rows."""

    uniq: pd.Index  # distinct raw values
    inv: np.ndarray  # row -> position in uniq (-1 missing)
    norm_u: pd.Series  # normalised code of each distinct value
    fixes: dict[str, str]  # raw -> repaired code (a leading zero put back)
    known_u: np.ndarray  # distinct value defined by the scheme
    na_u: np.ndarray  # distinct value normalises to nothing
    norm_obj: np.ndarray  # normalised codes as objects (None for missing)
    per_value: np.ndarray  # rows per distinct value
    has: np.ndarray  # row has a value
    take: np.ndarray  # row -> distinct position (0 where missing)
    known: np.ndarray  # row's code is defined
    missing: np.ndarray  # row has no code
    bad: np.ndarray  # row's code is not defined

    @classmethod
    def of(cls, values: pd.Series, scheme: Scheme) -> _CodeLookup:
        inv, uniq = pd.factorize(values, use_na_sentinel=True)
        norm_u, fixes = scheme.normalise_codes(pd.Series(uniq))
        known_u = norm_u.isin(scheme.table.index).to_numpy(dtype=bool)
        na_u = norm_u.isna().to_numpy(dtype=bool)
        has = inv >= 0
        take = np.where(has, inv, 0)
        known = has & known_u[take] if len(uniq) else np.zeros(len(inv), dtype=bool)
        missing = ~has | (na_u[take] if len(uniq) else True)
        norm_obj = np.asarray(norm_u.astype(object).where(norm_u.notna(), None), dtype=object)
        per_value = np.bincount(inv[has], minlength=len(uniq)) if len(uniq) else np.zeros(0, int)
        return cls(uniq, inv, norm_u, fixes, known_u, na_u, norm_obj, per_value, has, take,
                   known, missing, ~known & ~missing)  # fmt: skip

    def padded_counts(self) -> dict[str, int]:
        """Rows per raw code that had lost its leading zero."""
        raw = _code_strings(pd.Series(self.uniq))
        return {k: int(self.per_value[(raw == k).to_numpy(dtype=bool)].sum()) for k in self.fixes}


def _unknown_codes(codes: _CodeLookup, scheme: Scheme, field: str, unknown: str) -> dict[str, int]:
    """``{code: rows}`` of codes the scheme does not define; raises unless ``unknown="keep"``."""
    bad_u = ~codes.known_u & ~codes.na_u
    counts = pd.Series(codes.per_value[bad_u], index=codes.norm_obj[bad_u]).groupby(level=0).sum()
    counts = counts[counts > 0].sort_values(ascending=False, kind="stable")
    if unknown == "raise":
        listed = ", ".join(f"{k} ({v}×)" for k, v in list(counts.items())[:30])
        more = f" and {len(counts) - 30} more" if len(counts) > 30 else ""
        n_missing = int(codes.missing.sum())
        nmiss = f"; {n_missing} parcel(s) have no code" if n_missing else ""
        raise UnknownCodeError(
            f"Field {field} of the land-use layer holds codes the {scheme.name} scheme "
            f"({scheme.title}) does not define: {listed or 'none'}{more}{nmiss}. Check that "
            f"the scheme is right (scheme=...), correct the codes, define them with "
            f"mapping={{code: 'production/industrial', ...}}, or pass unknown='keep' to "
            "leave those parcels unclassified."
        )
    logger.warning(
        "land use %s: %d parcel(s) with unknown or missing codes kept unclassified",
        field,
        int((codes.bad | codes.missing).sum()),
    )
    return {str(k): int(v) for k, v in counts.items()}


def _spread(values: np.ndarray, which: np.ndarray, dtype: Any) -> Any:
    """Per-distinct-value answers spread over the rows (``which`` = position, -1 = none)."""
    if dtype == "string" and len(values):
        # dictionary-encode through Arrow: much faster than an object array of strings
        ind = pa.array(which.astype("int32"), mask=which < 0)
        dic = pa.array([None if v is None or v is pd.NA else str(v) for v in values], pa.string())
        arr = pa.DictionaryArray.from_arrays(ind, dic).cast(pa.string())
        return pd.array(arr, dtype="string")
    picked = values[np.maximum(which, 0)] if len(values) else np.full(len(which), None)
    filled: np.ndarray = np.where(which >= 0, picked, _NONE)
    return pd.array(filled, dtype=dtype)


def _resolve(
    gdf: pd.DataFrame, scheme: str | os.PathLike[str] | Scheme, code_field: str | None
) -> tuple[Scheme, str]:
    if isinstance(scheme, str) and scheme == "auto":
        name, field = detect_scheme(gdf)
        sch = load_scheme(name)
    else:
        sch = load_scheme(scheme)
        field = ""
    if code_field is not None:
        field = code_field
    if not field:
        upper = {str(c).upper(): str(c) for c in gdf.columns}
        for cand in (*sch.code_fields, "CODE"):
            if cand.upper() in upper:
                field = upper[cand.upper()]
                break
    if not field or field not in gdf.columns:
        raise MissingFieldError(
            f"The land-use layer has no class-code field {field or '/'.join(sch.code_fields)!r} "
            f"for scheme {sch.name} (columns: {', '.join(map(str, gdf.columns))}). Name it with "
            "code_field=."
        )
    return sch, field


def _apply_czcsxm(out: gpd.GeoDataFrame, sch: Scheme) -> int:
    rules = sch.czcsxm_rules
    col = next((c for c in out.columns if str(c).upper() == "CZCSXM"), None)
    if rules is None or rules.empty or col is None:
        return 0
    cz = out[col].astype("string").str.strip().str.upper().str[:3]
    key = out["code"].astype("string") + "|" + cz
    rk = rules["code"].astype(str) + "|" + rules["czcsxm"].astype(str).str[:3]
    lut = pd.DataFrame(
        {"sansheng": rules["sansheng"].to_numpy(), "sub": rules["sansheng_sub"].to_numpy()},
        index=rk.to_numpy(),
    )
    lut = lut[~lut.index.duplicated(keep="last")]
    hit = key.isin(lut.index).fillna(False).to_numpy(dtype=bool)
    if hit.any():
        matched = lut.reindex(key[hit].to_numpy())
        out.loc[hit, "sansheng"] = matched["sansheng"].to_numpy()
        out.loc[hit, "sansheng_sub"] = matched["sub"].to_numpy()
    return int(hit.sum())


def _num(out: pd.DataFrame, name: str) -> pd.Series | None:
    col = next((c for c in out.columns if str(c).upper() == name), None)
    if col is None:
        return None
    s = pd.to_numeric(out[col], errors="coerce").astype("float64")
    return None if s.isna().all() else s


def _add_areas(out: gpd.GeoDataFrame, sch: Scheme, report: dict[str, Any]) -> None:
    n = len(out)
    crs = out.crs
    projected = crs is not None and crs.is_projected
    planar = out.geometry.area.to_numpy(dtype="float64") if projected else np.full(n, np.nan)
    tbmj, tbdlmj, kcmj, kcxs = (_num(out, f) for f in ("TBMJ", "TBDLMJ", "KCMJ", "KCXS"))
    kc = kcmj.to_numpy(copy=True) if kcmj is not None else np.full(n, np.nan)
    if tbmj is not None and kcxs is not None:
        # KCMJ missing but the ratio recorded: KCMJ = TBMJ × KCXS
        fill = np.isnan(kc)
        kc[fill] = (tbmj.to_numpy() * kcxs.to_numpy())[fill]
    cls = tbdlmj.to_numpy(copy=True) if tbdlmj is not None else np.full(n, np.nan)
    if tbmj is not None:
        fill = np.isnan(cls)
        cls[fill] = (tbmj.to_numpy() - np.nan_to_num(kc))[fill]
    recorded = ~np.isnan(cls)
    kc = np.where(np.isnan(kc), 0.0, kc)
    if (kc < 0).any() or (cls[recorded] < 0).any():
        rows = out.index[(kc < 0) | (recorded & (np.nan_to_num(cls) < 0))][:10].tolist()
        raise InputError(
            f"Negative KCMJ or TBDLMJ in the land-use layer (rows {rows}). Areas must be >= 0; "
            "fix the attribute values."
        )
    cls = np.where(recorded, cls, planar)
    total = cls + kc
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, kc / total, 0.0)
    share = np.where(np.isnan(share), 0.0, share)
    if sch.name != "sandiao" and (kc > 0).any():
        logger.info("land use: KCMJ present in a %s layer; treated as 田坎 as in 三调", sch.name)
    out["area_m2"] = planar
    out["class_area_m2"] = cls
    out["kc_area_m2"] = kc
    out["kc_share"] = share
    kcd = np.where(kc > 0, _kc_codes(out, sch), np.array(None, dtype=object))
    out["kc_code"] = pd.array(kcd, dtype="string")
    kc_lut = sch.table.reindex(pd.Index(kcd, dtype=object))
    for col in ("sanlei", "sansheng", "sansheng_sub"):
        out[f"kc_{col}"] = pd.array(kc_lut[col].to_numpy(), dtype="string")
    mismatch = 0
    if tbmj is not None and tbdlmj is not None:
        t = tbmj.to_numpy()
        ok = ~np.isnan(t) & ~np.isnan(tbdlmj.to_numpy())
        mismatch = int((np.abs(t - tbdlmj.to_numpy() - kc)[ok] > _TOL_M2).sum())
        if mismatch:
            logger.warning(
                "land use: %d parcel(s) where TBMJ != TBDLMJ + KCMJ (beyond %.2f m²); "
                "TBDLMJ and KCMJ are used as recorded",
                mismatch,
                _TOL_M2,
            )
    report["recorded_area"] = bool(recorded.any())
    report["kc_features"] = int((kc > 0).sum())
    report["kc_area_m2"] = float(kc.sum())
    report["tbmj_mismatch"] = mismatch


def _kc_codes(out: pd.DataFrame, sch: Scheme) -> np.ndarray:
    col = next((c for c in out.columns if str(c).upper() == "KCDLBM"), None)
    default = KC_CODE if KC_CODE in sch.table.index else None
    if col is None:
        return np.full(len(out), default, dtype=object)
    codes, _ = sch.normalise_codes(out[col])
    ok = codes.isin(sch.table.index).fillna(False).to_numpy(dtype=bool)
    vals = np.asarray(codes.astype(object).where(codes.notna(), None), dtype=object)
    out_codes: np.ndarray = np.where(ok, vals, np.array(default, dtype=object))
    return out_codes
