"""What the land earns: firms' figures on each plot, 标准地 checks, 低效用地, and the stock ledger
(批而未供 + 闲置 + 低效) per township and park."""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.efficiency._scheme import Scheme
from geoplan.units import M2_PER_MU

__all__ = [
    "AUDIT_STATUS_ZH",
    "STANDARD",
    "attribute",
    "low_efficiency",
    "plot_figures",
    "split_by_area",
    "standard_checks",
    "stock_ledger",
]

#: 标准地 control indicators: (supply field, actual figure, Chinese name, unit, due at output)
STANDARD = (
    ("std_investment_intensity", "investment_intensity", "固定资产投资强度", "万元/亩", False),
    ("std_far", "far", "容积率", "", False),
    ("std_tax_per_mu", "tax_per_mu", "亩均税收", "万元/亩", True),
    ("std_energy_value_added", "value_added_per_energy", "单位能耗增加值", "万元/吨标煤", True),
)
STATUS_ZH = {"met": "达标", "not_met": "未达标", "not_due": "未到考核期", "unknown": "待核实"}
#: the land audit's supply statuses in the ledger's words
AUDIT_STATUS_ZH = {
    "not_due": "未到期", "started": "已动工", "supplied_unused": "供而未用",
    "idle_type1": "闲置(一类)", "idle_type2": "闲置(二类)", "unknown": "待核实",
}  # fmt: skip
#: audit statuses whose land is not judged for 低效 (already 闲置, or not yet due to produce)
_NOT_PRODUCING = {"idle_type1", "idle_type2", "supplied_unused", "not_due"}
_IDLE = {"idle_type1", "idle_type2"}


def attribute(gdf: gpd.GeoDataFrame, areas: gpd.GeoDataFrame | None, label: str) -> pd.Series:
    """The ``name`` of the area (township or park) holding each feature's inner point."""
    out = pd.Series(pd.NA, index=gdf.index, dtype="string")
    if areas is None or len(gdf) == 0:
        return out
    geoms = gdf.geometry.to_numpy()
    ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
    pts = shapely.point_on_surface(geoms[ok])
    tree = shapely.STRtree(areas.geometry.to_numpy())
    i, j = tree.query(pts, predicate="within")
    names = _area_names(areas, label)
    first = pd.Series(j, index=i).groupby(level=0).min()
    vals = np.full(int(ok.sum()), None, dtype=object)
    vals[first.index.to_numpy()] = names[first.to_numpy()]
    out[ok] = pd.array(vals, dtype="string")
    return out


def _area_names(areas: gpd.GeoDataFrame, label: str) -> np.ndarray:
    names = areas["name"].astype("string") if "name" in areas.columns else None
    fallback = areas["park_id"].astype("string") if "park_id" in areas.columns else None
    if names is None:
        names = pd.Series(pd.NA, index=areas.index, dtype="string")
    if fallback is not None:
        names = names.fillna(fallback)
    names = names.fillna(
        pd.Series([f"{label}{k + 1}" for k in range(len(areas))], index=areas.index)
    )
    return names.to_numpy(dtype=object)


def plot_figures(
    plots: gpd.GeoDataFrame, firms: pd.DataFrame, links: pd.DataFrame
) -> gpd.GeoDataFrame:
    """Each plot with the firms on it and their figures (a firm on several plots counts on each
    in proportion to its land there): n_firms, firm names, tax, floor area, 容积率 (far),
    亩均税收 and the class of the firm holding most of it."""
    out = plots.copy()
    n = len(plots)
    for col in ("n_firms",):
        out[col] = np.zeros(n, dtype="int64")
    sums = {c: np.zeros(n) for c in ("tax", "floor_area", "fixed_investment", "value_added",
                                      "energy")}  # fmt: skip
    complete = {c: np.ones(n, dtype=bool) for c in sums}
    names = [[] for _ in range(n)]  # type: list[list[str]]
    main_class = np.full(n, None, dtype=object)
    if len(links):
        firm_land = firms["land_area_mu"].to_numpy(dtype="float64", na_value=np.nan)
        fr = links["firm"].to_numpy()
        pl = links["plot"].to_numpy()
        weight = links["area_mu"].to_numpy() / firm_land[fr]
        np.add.at(out["n_firms"].to_numpy(), pl, 1)
        out["n_firms"] = np.bincount(pl, minlength=n)
        for c in sums:
            v = firms[c].to_numpy(dtype="float64", na_value=np.nan)[fr] * weight
            np.add.at(sums[c], pl, np.nan_to_num(v))
            np.logical_and.at(complete[c], pl, np.isfinite(v))
        label = firms["name"].fillna(firms["credit_code"]).astype(str).to_numpy()
        for f, p in zip(fr, pl, strict=True):
            names[p].append(label[f])
        main = links.sort_values(["plot", "area_mu"], ascending=[True, False]).drop_duplicates(
            "plot"
        )
        cls = firms["class"].astype(object).to_numpy()
        main_class[main["plot"].to_numpy()] = cls[main["firm"].to_numpy()]
    has = out["n_firms"].to_numpy() > 0
    for c in sums:
        out[c] = np.where(has & complete[c], sums[c], np.nan)
    out["firms"] = pd.array(["；".join(x) if x else None for x in names], dtype="string")
    area_m2, area_mu = out["area_m2"].to_numpy(), out["area_mu"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["far"] = out["floor_area"] / area_m2
        out["tax_per_mu"] = out["tax"] / area_mu
        out["investment_intensity"] = out["fixed_investment"] / area_mu
        energy = out["energy"].to_numpy()
        out["value_added_per_energy"] = np.where(energy > 0, out["value_added"] / energy, np.nan)
    out["plot_class"] = pd.array(main_class, dtype="string")
    return out


def standard_checks(plots: gpd.GeoDataFrame, scheme: Scheme, as_of: dt.date) -> gpd.GeoDataFrame:
    """标准地 plots (any control indicator in the supply record), each indicator met / not met /
    not yet due / unknown, with the shortfall (required − actual) where not met."""
    fields = [f for f, *_ in STANDARD if f in plots.columns]
    if not fields:
        return plots.iloc[:0].copy()
    has = plots[fields].notna().any(axis=1)
    out = plots[has.to_numpy()].copy()
    finish = pd.to_datetime(out["agreed_finish"]) if "agreed_finish" in out.columns else None
    when = pd.Timestamp(as_of)
    worst = pd.Series("met", index=out.index, dtype=object)
    order = {"met": 0, "not_due": 1, "unknown": 2, "not_met": 3}
    for field, actual, _zh, _unit, at_output in STANDARD:
        if field not in out.columns:
            continue
        req = out[field].to_numpy(dtype="float64", na_value=np.nan)
        act = out[actual].to_numpy(dtype="float64", na_value=np.nan)
        status = np.full(len(out), None, dtype=object)
        if finish is None:
            due = np.zeros(len(out), dtype=bool)
            no_date = np.ones(len(out), dtype=bool)
        else:
            years = scheme.output_due_years if at_output else 0.0
            due_on = finish + pd.to_timedelta(round(365.25 * years), unit="D")
            due = (due_on <= when).fillna(False).to_numpy(dtype=bool)
            no_date = finish.isna().to_numpy()
        asked = np.isfinite(req)
        status[asked & no_date] = "unknown"
        status[asked & ~no_date & ~due] = "not_due"
        judged = asked & due
        status[judged & ~np.isfinite(act)] = "unknown"
        status[judged & np.isfinite(act) & (act >= req)] = "met"
        status[judged & np.isfinite(act) & (act < req)] = "not_met"
        name = actual if actual != "value_added_per_energy" else "energy_value_added"
        out[f"{name}_status"] = pd.array(status, dtype="string")
        out[f"{name}_shortfall"] = np.where(status == "not_met", req - act, np.nan)
        for k, s in enumerate(status):
            if s is not None and order[s] > order[worst.iloc[k]]:
                worst.iloc[k] = s
    out["standard_status"] = pd.array(worst.to_numpy(), dtype="string")
    out["standard_status_zh"] = out["standard_status"].map(STATUS_ZH).astype("string")
    return out


def low_efficiency(
    plots: gpd.GeoDataFrame, firms: pd.DataFrame, links: pd.DataFrame, scheme: Scheme
) -> gpd.GeoDataFrame:
    """Supplied industrial land that is 低效: a class D firm's share, or the whole plot when no
    firm uses it or its 容积率 / 亩均税收 is below the scheme's threshold.

    Land the audit finds 闲置 (counted as 闲置 in the stock ledger) or not yet due to produce
    (供而未用, 未到期), and land whose every firm is 不定等级, is not judged; nor is land with no
    firm whose audit status is 待核实.
    """
    ind = plots["industrial"].fillna(False).to_numpy(dtype=bool)
    audit = plots["audit_status"].astype(object).to_numpy()
    producing = np.array([not isinstance(s, str) or s not in _NOT_PRODUCING for s in audit])
    n = plots["n_firms"].to_numpy()
    exempt_only = np.zeros(len(plots), dtype=bool)
    d_area = np.zeros(len(plots))
    if len(links):
        fr, pl = links["firm"].to_numpy(), links["plot"].to_numpy()
        cls = firms["class"].astype(object).to_numpy()[fr]
        np.add.at(d_area, pl, np.where(cls == "D", links["area_mu"].to_numpy(), 0.0))
        not_exempt = np.zeros(len(plots))
        np.add.at(not_exempt, pl, (cls != "exempt").astype(float))
        exempt_only = (n > 0) & (not_exempt == 0)
    judge = ind & producing & ~exempt_only
    far = plots["far"].to_numpy(dtype="float64", na_value=np.nan)
    tax = plots["tax_per_mu"].to_numpy(dtype="float64", na_value=np.nan)
    # a plot the audit could not judge (待核实) and no firm reports on may be idle or not yet
    # due: left for the audit's follow-up, not called 低效
    unjudged = plots["audit_status"].eq("unknown").fillna(False).to_numpy(dtype=bool)
    no_firm = judge & (n == 0) & ~unjudged
    low_far = judge & (n > 0) & (far < scheme.min_far if scheme.min_far is not None else False)
    low_tax = (
        judge
        & (n > 0)
        & (tax < scheme.min_tax_per_mu if scheme.min_tax_per_mu is not None else False)
    )
    class_d = judge & (d_area > 0)
    whole = no_firm | low_far | low_tax
    area_mu = np.where(whole, plots["area_mu"].to_numpy(), np.where(class_d, d_area, 0.0))
    reasons = []
    for k in range(len(plots)):
        r = []
        if no_firm[k]:
            r.append("无企业使用")
        if class_d[k]:
            r.append("D类企业用地")
        if low_far[k]:
            r.append(f"容积率低于{scheme.min_far:g}")
        if low_tax[k]:
            r.append(f"亩均税收低于{scheme.min_tax_per_mu:g}万元/亩")
        reasons.append("；".join(r) or None)
    out = plots.copy()
    out["low_area_mu"] = area_mu
    out["low_area_m2"] = area_mu * M2_PER_MU
    out["low_reasons"] = pd.array(reasons, dtype="string")
    keep = area_mu > 0
    return out[keep].copy()


def split_by_area(frame: gpd.GeoDataFrame, areas: gpd.GeoDataFrame, label: str) -> pd.Series:
    """``frame["area_mu"]`` shared out among ``areas`` (by ``name``) in proportion to each
    feature's overlap with each area; what lies in none is under ``""``."""
    names = _area_names(areas, label)
    out = pd.Series(0.0, index=pd.Index([*dict.fromkeys(names), ""], dtype=object))
    if len(frame) == 0:
        return out
    geoms = frame.geometry.to_numpy()
    mu = frame["area_mu"].to_numpy(dtype="float64")
    whole = shapely.area(geoms)
    i, j = shapely.STRtree(areas.geometry.to_numpy()).query(geoms, predicate="intersects")
    part = shapely.area(shapely.intersection(geoms[i], areas.geometry.to_numpy()[j]))
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(whole[i] > 0, part / whole[i], 0.0)
    given = pd.Series(mu[i] * share).groupby(pd.Series(names[j])).sum()
    out[given.index] += given.to_numpy()
    out[""] = float(mu.sum()) - float(given.sum())
    return out


def stock_ledger(
    pieces: dict[str, gpd.GeoDataFrame],
    *,
    townships: gpd.GeoDataFrame | None,
    parks: gpd.GeoDataFrame | None,
    quota_ratio: float,
) -> pd.DataFrame:
    """批而未供 + 闲置 + 低效 in 亩 per township, per park and for the county, with the new
    construction quota the stock implies under 增存挂钩 (stock × ``quota_ratio``).

    ``pieces`` maps ``unsupplied``, ``idle`` and ``low_efficiency`` to polygons with
    ``area_mu``; a piece that crosses a township or park boundary is split by its overlap, so
    the township rows (with "不在任何乡镇内" for what lies outside them all) add up to the county.
    """
    cols = {"unsupplied": "unsupplied_mu", "idle": "idle_mu", "low_efficiency": "low_efficiency_mu"}
    county = {"unit_kind": "county", "unit_kind_zh": "全县", "unit": "全县",
              **{c: float(pieces[p]["area_mu"].sum()) for p, c in cols.items()}}  # fmt: skip
    rows: list[dict[str, Any]] = [county]
    for kind, zh, areas, outside in (
        ("township", "乡镇", townships, "(不在任何乡镇内)"),
        ("park", "园区", parks, None),
    ):
        if areas is None:
            continue
        split = {c: split_by_area(pieces[p], areas, zh) for p, c in cols.items()}
        for name in split["unsupplied_mu"].index:
            if name == "" and (outside is None or all(abs(v[""]) < 1e-9 for v in split.values())):
                continue
            row: dict[str, Any] = {"unit_kind": kind, "unit_kind_zh": zh,
                                   "unit": name or outside}  # fmt: skip
            row.update({c: float(v[name]) for c, v in split.items()})
            rows.append(row)
    ledger = pd.DataFrame(rows)
    ledger["stock_mu"] = ledger[list(cols.values())].sum(axis=1)
    ledger["stock_m2"] = ledger["stock_mu"] * M2_PER_MU
    ledger["new_quota_mu"] = ledger["stock_mu"] * quota_ratio
    return ledger
