"""Statuses and tables of the land audit: supply status, batches, cohorts, summary.

Supply status as of the assessment date ``D`` (闲置土地处置办法, 部令第53号; domain notes §2.2):

==================  =======================================================================
``not_due``         not started, agreed start date after ``D``
``supplied_unused`` not started, agreed start passed less than ``idle_days`` ago (供而未用)
``idle_type1``      not started ``idle_days`` or more after the agreed start (闲置, 未动工)
``idle_type2``      started, developed share < 1/3 or invested share < 25 %, suspended for
                    ``idle_days`` or more (闲置, 中止开发)
``started``         started and not idle
``unknown``         a date (or ratio) the rule needs is missing: listed, never guessed
==================  =======================================================================

A start recorded after ``D`` counts as not started on ``D``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geoplan.units import M2_PER_MU

STATUSES = ("idle_type1", "idle_type2", "supplied_unused", "not_due", "started", "unknown")
IDLE = ("idle_type1", "idle_type2")
STATUS_ZH = {
    "idle_type1": "闲置土地(未动工)",
    "idle_type2": "闲置土地(中止开发)",
    "supplied_unused": "供而未用",
    "not_due": "未到约定动工日期",
    "started": "已动工",
    "unknown": "日期缺失待核实",
}

SUMMARY_KEYS = (
    "as_of",
    "approved_area_mu",
    "supplied_area_mu",
    "unsupplied_area_mu",
    "sliver_area_mu",
    "supply_rate",
    "supply_rate_5y",
    "unsupplied_parcels",
    "supplied_unused_parcels",
    "idle_parcels",
    "idle_area_mu",
    "idle_fee_total",
    "recoverable_parcels",
    "unmatched_supply_area_mu",
    "unmatched_sliver_area_mu",
)


def _days(later: pd.Timestamp | pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days from ``earlier`` to ``later`` as float (NaN where a date is missing)."""
    delta = pd.Series(later - earlier)
    return (delta.dt.total_seconds() / 86400.0).astype("float64")


def supply_status(s: pd.DataFrame, as_of: pd.Timestamp, rules: Any) -> pd.DataFrame:
    """Status, days_late, idle_fee and recoverable for every supply record.

    ``days_late``: for a supply not started, the days since its agreed start; for
    ``idle_type2``, the days since development was suspended; 0 for ``started`` and
    ``not_due``; missing for ``unknown``.
    """
    agreed = s["agreed_start"]
    actual = s["actual_start"]
    susp = s["suspended_since"]
    started = (actual.notna() & (actual <= as_of)).to_numpy()
    since_agreed = _days(as_of, agreed).to_numpy()
    since_susp = _days(as_of, susp).to_numpy()
    dev = s["developed_ratio"].to_numpy(dtype="float64", na_value=np.nan)
    inv = s["invested_ratio"].to_numpy(dtype="float64", na_value=np.nan)
    low = (dev < rules.developed_ratio_min) | (inv < rules.invested_ratio_min)
    both_known = ~np.isnan(dev) & ~np.isnan(inv)
    suspended_long = ~np.isnan(since_susp) & (since_susp >= rules.idle_days)

    status = np.full(len(s), "started", dtype=object)
    ns = ~started
    status[ns & np.isnan(since_agreed)] = "unknown"
    status[ns & (since_agreed < 0)] = "not_due"
    status[ns & (since_agreed >= 0) & (since_agreed < rules.idle_days)] = "supplied_unused"
    status[ns & (since_agreed >= rules.idle_days)] = "idle_type1"
    status[started & suspended_long & low] = "idle_type2"
    status[started & suspended_long & ~low & ~both_known] = "unknown"

    days_late = np.where(ns, since_agreed, 0.0)
    days_late = np.where(status == "idle_type2", since_susp, days_late)
    days_late = np.where(status == "not_due", 0.0, days_late)
    days_late = np.where(status == "unknown", np.nan, days_late)

    gov = s["gov_cause"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    idle = np.isin(status, IDLE)
    price = s["land_price"].to_numpy(dtype="float64", na_value=np.nan)
    fee = np.where(idle & ~gov, rules.idle_fee_rate * price, 0.0)
    recoverable = (status == "idle_type1") & (days_late >= rules.recover_days) & ~gov
    out = pd.DataFrame(
        {
            "status": pd.array(status, dtype="string"),
            "status_zh": pd.array([STATUS_ZH[x] for x in status], dtype="string"),
            "days_late": pd.Series(np.round(days_late), index=s.index).astype("Int64"),
            "idle_fee": fee,
            "recoverable": recoverable,
        },
        index=s.index,
    )
    return out


def age_years(approved_on: pd.Series, as_of: pd.Timestamp) -> npt.NDArray[np.float64]:
    """Years from approval to the as-of date (days / 365.25; NaN where the date is missing)."""
    return (_days(as_of, approved_on) / 365.25).to_numpy()


def lapse_due(approved_on: pd.Series, as_of: pd.Timestamp, years: int) -> npt.NDArray[np.bool_]:
    """Whether ``years`` calendar years have passed since approval (False where unknown)."""
    due = approved_on + pd.DateOffset(years=years)
    return (due <= as_of).fillna(False).to_numpy(dtype=bool)


def rate(num: float, den: float) -> float | None:
    """num / den, or None when den is zero."""
    return float(num / den) if den > 0 else None


def cohorts(batches: pd.DataFrame, as_of: pd.Timestamp, window_years: int) -> pd.DataFrame:
    """Totals per approval year; ``in_window`` marks the years counted by the 5-year rate."""
    year = batches["approved_on"].dt.year.astype("Int64")
    cols = ["approved_area_m2", "supplied_area_m2", "unsupplied_area_m2", "sliver_area_m2"]
    g = batches[cols].groupby(year.rename("year"), dropna=False, sort=True)
    out = g.sum()
    out.insert(0, "batches", g.size())
    out = out.reset_index()
    for c in cols:
        out[c.replace("_m2", "_mu")] = out[c] / M2_PER_MU
    out["supply_rate"] = np.where(
        out["approved_area_m2"] > 0,
        out["supplied_area_m2"] / out["approved_area_m2"].where(out["approved_area_m2"] > 0),
        np.nan,
    )
    first, last = as_of.year - window_years, as_of.year - 1
    out["in_window"] = ((out["year"] >= first) & (out["year"] <= last)).fillna(False).astype(bool)
    return out


def window_rate(batches: pd.DataFrame, as_of: pd.Timestamp, window_years: int) -> float | None:
    """Supply rate of the batches approved in the ``window_years`` calendar years before as-of."""
    year = batches["approved_on"].dt.year
    inside = ((year >= as_of.year - window_years) & (year <= as_of.year - 1)).fillna(False)
    sub = batches[inside.to_numpy(dtype=bool)]
    return rate(float(sub["supplied_area_m2"].sum()), float(sub["approved_area_m2"].sum()))


def build_summary(
    *,
    as_of: pd.Timestamp,
    batches: pd.DataFrame,
    pieces_m2: float,
    n_pieces: int,
    supplies: pd.DataFrame,
    unmatched_m2: float,
    unmatched_sliver_m2: float,
    window_years: int,
) -> dict[str, Any]:
    """The summary dict with exactly :data:`SUMMARY_KEYS` (areas in 亩, rates 0–1).

    ``unmatched_supply_area_mu`` + ``unmatched_sliver_area_mu`` is the supplied area outside
    every approval: the pieces listed as unmatched supply plus the slivers dropped from them.
    """
    approved = float(batches["approved_area_m2"].sum())
    supplied = float(batches["supplied_area_m2"].sum())
    idle = supplies["status"].isin(IDLE).to_numpy(dtype=bool)
    out: dict[str, Any] = {
        "as_of": as_of.date().isoformat(),
        "approved_area_mu": approved / M2_PER_MU,
        "supplied_area_mu": supplied / M2_PER_MU,
        "unsupplied_area_mu": pieces_m2 / M2_PER_MU,
        "sliver_area_mu": float(batches["sliver_area_m2"].sum()) / M2_PER_MU,
        "supply_rate": rate(supplied, approved),
        "supply_rate_5y": window_rate(batches, as_of, window_years),
        "unsupplied_parcels": int(n_pieces),
        "supplied_unused_parcels": int((supplies["status"] == "supplied_unused").sum()),
        "idle_parcels": int(idle.sum()),
        "idle_area_mu": float(supplies.loc[idle, "area_m2"].sum()) / M2_PER_MU,
        "idle_fee_total": float(np.nansum(supplies.loc[idle, "idle_fee"].to_numpy(dtype=float))),
        "recoverable_parcels": int(supplies["recoverable"].sum()),
        "unmatched_supply_area_mu": unmatched_m2 / M2_PER_MU,
        "unmatched_sliver_area_mu": unmatched_sliver_m2 / M2_PER_MU,
    }
    assert tuple(out) == SUMMARY_KEYS
    return out
