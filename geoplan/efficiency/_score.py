"""Indicators, benchmarks, scores and classes of the 亩均效益 evaluation.

A firm's score is Σ weight × min(value ÷ benchmark, cap) over its group's indicators (规上 and
规下 are scored, benchmarked and ranked separately). A value that cannot be computed — a field
missing, no land, a zero denominator — is never taken as 0: the firm's score is unknown
(``class`` = ``unknown``, 待核实) and ``unknown_reason`` says why. Exempt firms (utilities,
start-ups, projects under construction: 不定等级) are scored but not ranked or classed, and take
no part in the benchmarks. Classes go by rank: the share of ranked firms ahead of a firm (ties
share the better rank; scores equal to 6 decimals tie) below the A cut-off gives A, and so on.
"""

from __future__ import annotations

import datetime as dt
import re

import numpy as np
import pandas as pd

from geoplan.efficiency._scheme import CLASSES, GROUPS, INDICATORS, Scheme

__all__ = ["CLASS_ZH", "FIELD_ZH", "exemptions", "indicator_values", "score_firms"]

#: enterprise quantities in the words (and units) of the ledger
FIELD_ZH = {
    "tax": "税收(万元)",
    "revenue": "营业收入(万元)",
    "value_added": "工业增加值(万元)",
    "energy": "综合能耗(吨标煤)",
    "emissions": "主要污染物排放(吨)",
    "employees": "年平均职工人数(人)",
    "rnd": "研发经费(万元)",
    "power": "用电量(万千瓦时)",
    "land_area_mu": "用地面积(亩)",
}
CLASS_ZH = {
    **{k: f"{k}类({v})" for k, v in CLASSES.items()},
    "exempt": "不定等级",
    "unknown": "待核实",
}
_DIGITS = re.compile(r"^\d+$")


def indicator_values(firms: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every indicator of every firm (NaN where it cannot be computed) and, per indicator, the
    reason it cannot (None where it can)."""
    values = pd.DataFrame(index=firms.index)
    reasons = pd.DataFrame(index=firms.index)
    for key, ind in INDICATORS.items():
        num = firms[ind.numerator].to_numpy(dtype="float64", na_value=np.nan)
        den = firms[ind.denominator].to_numpy(dtype="float64", na_value=np.nan)
        ok = np.isfinite(num) & np.isfinite(den) & (den > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            values[key] = np.where(ok, num / den * ind.factor, np.nan)
        why = np.full(len(firms), None, dtype=object)
        for col, arr in ((ind.denominator, den), (ind.numerator, num)):
            if col == "land_area_mu":
                why[~np.isfinite(arr)] = "未关联供地且无申报用地面积"
            else:
                why[~np.isfinite(arr)] = f"缺少{FIELD_ZH[col]}"
        zero = np.isfinite(den) & (den == 0) & np.isfinite(num)
        why[zero] = f"{FIELD_ZH[ind.denominator].split('(')[0]}为0"
        reasons[key] = why
    return values, reasons


def exemptions(firms: pd.DataFrame, scheme: Scheme, as_of: dt.date) -> pd.Series:
    """The 不定等级 reason of each firm (公用事业 / 投产未满N年 / 在建项目), NA when none."""
    out = pd.Series(pd.NA, index=firms.index, dtype="string")
    industry = firms["industry"].astype("string").str.strip()
    codes = [c for c in scheme.utility_industries if _DIGITS.match(c)]
    words = [w for w in scheme.utility_industries if not _DIGITS.match(w)]
    utility = pd.Series(False, index=firms.index)
    for code in codes:
        utility |= industry.str.startswith(code).fillna(False).astype(bool)
    if words:
        pattern = "|".join(re.escape(w) for w in words)
        utility |= industry.str.contains(pattern, regex=True).fillna(False).astype(bool)
    cutoff = pd.Timestamp(as_of) - pd.DateOffset(days=round(365.25 * scheme.startup_years))
    started = pd.to_datetime(firms["started_on"])
    startup = (started > cutoff) & (started <= pd.Timestamp(as_of))
    status = firms["status"].astype("string").str.strip()
    building = status.isin(list(scheme.under_construction)).fillna(False).astype(bool)
    out[building.to_numpy()] = "在建项目"
    out[startup.fillna(False).to_numpy(dtype=bool)] = f"投产未满{scheme.startup_years:g}年"
    out[utility.to_numpy()] = "公用事业"
    return out


def _benchmark(values: np.ndarray, num: np.ndarray, den: np.ndarray, rule: str | float,
               factor: float) -> float:  # fmt: skip
    ok = np.isfinite(values)
    if not isinstance(rule, str):
        return float(rule)
    if not ok.any():
        return float("nan")
    if rule == "mean":
        return float(num[ok].sum() / den[ok].sum() * factor)
    return float(np.percentile(values[ok], float(rule[1:])))


def score_firms(
    firms: pd.DataFrame, scheme: Scheme, as_of: dt.date
) -> tuple[pd.DataFrame, dict[str, dict[str, float]]]:
    """Indicators, score, rank and class of each firm, and the benchmarks used per group.

    ``firms`` holds the enterprise fields and ``land_area_mu``. Returns the columns to add
    (indexed like ``firms``) and ``{group: {indicator: benchmark}}``.
    """
    values, reasons = indicator_values(firms)
    exempt = exemptions(firms, scheme, as_of)
    group = firms["scale"].astype("string")
    out = values.copy()
    out["group"] = group
    out["exempt_reason"] = exempt
    score = np.full(len(firms), np.nan)
    why = np.full(len(firms), None, dtype=object)
    why[group.isna().to_numpy()] = "缺少规上/规下"
    benchmarks: dict[str, dict[str, float]] = {}
    for g, weights in scheme.weights.items():
        rows = (group == g).fillna(False).to_numpy(dtype=bool)
        pool = rows & exempt.isna().to_numpy()
        total = np.zeros(len(firms))
        known = rows.copy()
        missing: list[list[str]] = [[] for _ in range(len(firms))]
        benchmarks[g] = {}
        for key, w in weights.items():
            ind = INDICATORS[key]
            v = values[key].to_numpy()
            num = firms[ind.numerator].to_numpy(dtype="float64", na_value=np.nan)
            den = firms[ind.denominator].to_numpy(dtype="float64", na_value=np.nan)
            b = _benchmark(np.where(pool, v, np.nan), num, den, scheme.benchmark(key), ind.factor)
            benchmarks[g][key] = b
            ratio = v / b if np.isfinite(b) and b > 0 else np.where(np.isfinite(v), 1.0, np.nan)
            cap = scheme.cap(key)
            if cap is not None:
                ratio = np.minimum(ratio, cap)
            total += w * np.nan_to_num(ratio)
            bad = rows & ~np.isfinite(ratio)
            known &= ~bad
            for k in np.flatnonzero(bad):
                missing[k].append(f"{ind.zh}: {reasons[key].iloc[k]}")
        score[known] = total[known]
        for k in np.flatnonzero(rows & ~known):
            why[k] = "；".join(dict.fromkeys(missing[k]))
    out["score"] = score
    out["unknown_reason"] = pd.array(why, dtype="string")
    out = out.join(_classes(out, scheme))
    return out, benchmarks


def _classes(scored: pd.DataFrame, scheme: Scheme) -> pd.DataFrame:
    """Rank and class within each group; exempt and unscored firms are not ranked."""
    cls = np.where(scored["score"].notna(), "", "unknown").astype(object)
    cls[scored["group"].isna().to_numpy()] = "unknown"
    cls[scored["exempt_reason"].notna().to_numpy()] = "exempt"
    rank = pd.Series(np.nan, index=scored.index)
    ranked_of = pd.Series(np.nan, index=scored.index)
    cut = list(scheme.cutoffs.items())
    for g in GROUPS:
        rows = (scored["group"] == g).fillna(False).to_numpy(dtype=bool) & (cls == "")
        if not rows.any():
            continue
        s = scored.loc[rows, "score"].round(6)  # scores equal to 6 decimals tie (float noise)
        r = s.rank(method="min", ascending=False)
        n = int(rows.sum())
        rank[rows] = r.to_numpy()
        ranked_of[rows] = n
        ahead = (r.to_numpy() - 1.0) / n
        cls[rows] = [next(c for c, v in cut if a < v or c == "D") for a in ahead]
    managed = np.where(cls == "exempt", scheme.managed_as, cls)
    managed = np.where(cls == "unknown", np.array(None, dtype=object), managed)
    return pd.DataFrame(
        {
            "rank": rank.astype("Int64"),
            "ranked_of": ranked_of.astype("Int64"),
            "class": pd.array(cls, dtype="string"),
            "class_zh": pd.array([CLASS_ZH[c] for c in cls], dtype="string"),
            "managed_as": pd.array(managed, dtype="string"),
        },
        index=scored.index,
    )
