"""Statuses and tables of the land audit: supply status, batches, cohorts, summary.

Supply status as of the assessment date ``D`` (闲置土地处置办法, 部令第53号; domain notes §2.2):

==================  =======================================================================
``not_due``         not started, agreed start date after ``D``
``supplied_unused`` not started, agreed start passed less than ``idle_days`` ago (供而未用)
``idle_type1``      not started ``idle_days`` or more after the agreed start (闲置, 未动工)
``idle_type2``      started, developed share < 1/3 or invested share < 25 %, suspended for
                    ``idle_days`` or more (闲置, 中止开发)
``started``         started and not idle
``unknown``         a date, field or ratio the rule needs is missing, or the dates it needs are
                    out of order: listed with the reason (``unknown_reason``), never guessed
==================  =======================================================================

The audit describes the land as it stood on ``D``: a start or suspension recorded after ``D``
had not happened yet (approvals and supplies dated after ``D`` are left out before this).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from geoplan.labels import code_labels
from geoplan.units import M2_PER_MU

STATUSES = ("idle_type1", "idle_type2", "supplied_unused", "not_due", "started", "unknown")
IDLE = ("idle_type1", "idle_type2")
#: statuses in Chinese (the ledger's 状态; one label table for every reader: geoplan.labels)
STATUS_ZH = code_labels("supply_status", "zh")
#: why a supply could not be judged (status ``unknown``), in the order they are tried
UNKNOWN_REASONS = {
    "no_agreed_start_field": "缺少约定动工日期字段",
    "missing_agreed_start": "缺少约定动工日期",
    "no_actual_start_field": "缺少实际动工日期字段",
    "start_before_supply": "实际动工日期早于供地日期",
    "agreed_before_supply": "约定动工日期早于供地日期",
    "suspended_before_start": "中止开发日期早于实际动工日期",
    "missing_ratios": "缺少已开发/已投资比例",
}
UNKNOWN_REASONS_EN = {
    "no_agreed_start_field": "the layer has no agreed-start-date field",
    "missing_agreed_start": "agreed start date missing",
    "no_actual_start_field": "the layer has no actual-start-date field",
    "start_before_supply": "work started before the land was supplied",
    "agreed_before_supply": "agreed start before the supply date",
    "suspended_before_start": "suspended before work started",
    "missing_ratios": "developed / invested share missing",
}
#: dates out of order: (key, later field, earlier field, Chinese text)
DATE_ORDER = (
    ("start_before_supply", "actual_start", "supplied_on", "实际动工日期早于供地日期"),
    ("agreed_before_supply", "agreed_start", "supplied_on", "约定动工日期早于供地日期"),
    ("suspended_before_start", "suspended_since", "actual_start", "中止开发日期早于实际动工日期"),
    ("supplied_before_approval", "supplied_on", "approved_on", "供地日期早于所在批次批准日期"),
)

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
    "idle_fee_total_wan",
    "idle_fee_unknown_parcels",
    "recoverable_parcels",
    "unmatched_supply_area_mu",
    "unmatched_sliver_area_mu",
    "unknown_parcels",
    "unknown_area_mu",
    "after_as_of_approvals",
    "after_as_of_supplies",
    "dates_out_of_order",
    "implausible_price_parcels",
    "undated_supplies",
    "notes",
)
#: how :data:`SUMMARY_KEYS` ``notes`` joins its sentences
NOTE_SEP = "；"


def _days(later: pd.Timestamp | pd.Series, earlier: pd.Series) -> pd.Series:
    """Whole days from ``earlier`` to ``later`` as float (NaN where a date is missing)."""
    delta = pd.Series(later - earlier)
    return (delta.dt.total_seconds() / 86400.0).astype("float64")


def happened(dates: pd.Series, as_of: pd.Timestamp) -> pd.Series:
    """``dates`` with those after ``as_of`` blanked: on ``as_of`` they had not happened yet."""
    return dates.where(~(dates > as_of).fillna(False))


def date_order(s: pd.DataFrame, approved_on: pd.Series | None = None) -> pd.DataFrame:
    """One boolean column per :data:`DATE_ORDER` check: True where the dates are out of order.

    ``s`` holds the dates as they stood on the as-of date (see :func:`happened`);
    ``approved_on`` is, per supply, the approval date of the batch it belongs to (NaT: none).
    """
    cols = dict(s)
    if approved_on is not None:
        cols["approved_on"] = approved_on
    out = pd.DataFrame(index=s.index)
    for key, later, earlier, _zh in DATE_ORDER:
        if later in cols and earlier in cols:
            bad = pd.Series(cols[later], index=s.index) < pd.Series(cols[earlier], index=s.index)
            out[key] = bad.fillna(False).to_numpy(dtype=bool)
        else:
            out[key] = False
    return out


def supply_status(
    s: pd.DataFrame,
    as_of: pd.Timestamp,
    rules: Any,
    *,
    absent: frozenset[str] = frozenset(),
    order: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Status, days_late, idle_fee, recoverable and unknown_reason for every supply record.

    Dates after ``as_of`` have not happened yet on ``as_of`` (a start recorded later is not a
    start; a suspension recorded later is not a suspension). ``absent`` names the fields the
    source layer did not have at all (an absent ``actual_start`` cannot tell "not started"
    from "not recorded"); ``order`` flags dates out of order (:func:`date_order`): a rule that
    needs such a date gives ``unknown`` with the reason, never a guess.

    ``days_late``: for a supply not started, the days since its agreed start; for
    ``idle_type2``, the days since development was suspended; 0 for ``started`` and
    ``not_due``; missing for ``unknown``.
    """
    agreed = s["agreed_start"]
    actual = happened(s["actual_start"], as_of)
    susp = happened(s["suspended_since"], as_of)
    started = actual.notna().to_numpy()
    since_agreed = _days(as_of, agreed).to_numpy()
    since_susp = _days(as_of, susp).to_numpy()
    dev = s["developed_ratio"].to_numpy(dtype="float64", na_value=np.nan)
    inv = s["invested_ratio"].to_numpy(dtype="float64", na_value=np.nan)
    low = (dev < rules.developed_ratio_min) | (inv < rules.invested_ratio_min)
    both_known = ~np.isnan(dev) & ~np.isnan(inv)
    suspended_long = ~np.isnan(since_susp) & (since_susp >= rules.idle_days)

    status = np.full(len(s), "started", dtype=object)
    ns = ~started
    status[ns & (since_agreed < 0)] = "not_due"
    status[ns & (since_agreed >= 0) & (since_agreed < rules.idle_days)] = "supplied_unused"
    status[ns & (since_agreed >= rules.idle_days)] = "idle_type1"
    status[started & suspended_long & low] = "idle_type2"

    n = len(s)
    flags = order if order is not None else pd.DataFrame(index=s.index)

    def flag(key: str) -> npt.NDArray[np.bool_]:
        if key in flags.columns:
            return flags[key].to_numpy(dtype=bool)
        return np.zeros(n, dtype=bool)

    # why a rule cannot be applied, in order of precedence (first reason wins)
    reasons: dict[str, npt.NDArray[np.bool_]] = {
        "no_agreed_start_field": ns & ("agreed_start" in absent),
        "missing_agreed_start": ns & np.isnan(since_agreed),
        # with no actual-start field, "not started" is only known to be harmless before the
        # agreed start date
        "no_actual_start_field": ns & (since_agreed >= 0) & ("actual_start" in absent),
        "start_before_supply": started & flag("start_before_supply"),
        "agreed_before_supply": ns & flag("agreed_before_supply"),
        "suspended_before_start": started & suspended_long & flag("suspended_before_start"),
        "missing_ratios": started & suspended_long & ~low & ~both_known,
    }
    reason = np.full(n, None, dtype=object)
    for key, mask in reasons.items():
        reason[mask & (reason == None)] = key  # noqa: E711 (elementwise)
    unknown = reason != None  # noqa: E711
    status[unknown] = "unknown"

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
            "unknown_reason": pd.array(reason, dtype="string"),
            "unknown_reason_zh": pd.array(
                [UNKNOWN_REASONS[r] if r is not None else None for r in reason], dtype="string"
            ),
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
    after_as_of: tuple[int, int] = (0, 0),
    out_of_order: int = 0,
    implausible_price: int = 0,
    undated_supplies: int = 0,
) -> dict[str, Any]:
    """The summary dict with exactly :data:`SUMMARY_KEYS` (areas in 亩, rates 0–1, fees in 元
    and 万元), every value a scalar; ``notes`` says in words (Chinese, sentences joined by
    :data:`NOTE_SEP`; empty when there is nothing to say) what could not be judged or was left
    out.

    ``unmatched_supply_area_mu`` + ``unmatched_sliver_area_mu`` is the supplied area outside
    every approval: the pieces listed as unmatched supply plus the slivers dropped from them.
    """
    approved = float(batches["approved_area_m2"].sum())
    supplied = float(batches["supplied_area_m2"].sum())
    idle = supplies["status"].isin(IDLE).to_numpy(dtype=bool)
    unknown = (supplies["status"] == "unknown").to_numpy(dtype=bool)
    fee = supplies["idle_fee"].to_numpy(dtype=float)
    fee_unknown = idle & np.isnan(fee)
    fee_total = float(np.nansum(fee[idle]))
    by_reason = unknown_by_reason(supplies)
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
        "idle_fee_total": fee_total,
        "idle_fee_total_wan": fee_total / 10_000.0,
        "idle_fee_unknown_parcels": int(fee_unknown.sum()),
        "recoverable_parcels": int(supplies["recoverable"].sum()),
        "unmatched_supply_area_mu": unmatched_m2 / M2_PER_MU,
        "unmatched_sliver_area_mu": unmatched_sliver_m2 / M2_PER_MU,
        "unknown_parcels": int(unknown.sum()),
        "unknown_area_mu": float(supplies.loc[unknown, "area_m2"].sum()) / M2_PER_MU,
        "after_as_of_approvals": int(after_as_of[0]),
        "after_as_of_supplies": int(after_as_of[1]),
        "dates_out_of_order": int(out_of_order),
        "implausible_price_parcels": int(implausible_price),
        "undated_supplies": int(undated_supplies),
    }
    out["notes"] = NOTE_SEP.join(notes_zh(out, by_reason))
    assert tuple(out) == SUMMARY_KEYS
    return out


def unknown_by_reason(supplies: pd.DataFrame) -> dict[str, int]:
    """``{reason: count}`` of the supplies with status ``unknown`` (:data:`UNKNOWN_REASONS`)."""
    unknown = (supplies["status"] == "unknown").to_numpy(dtype=bool)
    counts = supplies.loc[unknown, "unknown_reason"].astype(str).value_counts()
    return {k: int(counts[k]) for k in UNKNOWN_REASONS if k in counts.index}


def notes_zh(summary: dict[str, Any], by_reason: dict[str, int]) -> list[str]:
    """What could not be judged or was left out, in words (Chinese), from summary figures.

    Examples
    --------
    >>> notes_zh({"idle_fee_unknown_parcels": 0}, {"missing_agreed_start": 9})
    ['9 宗因缺少约定动工日期无法判定，待核实']
    """
    out = [f"{n} 宗因{UNKNOWN_REASONS[k]}无法判定，待核实" for k, n in by_reason.items()]
    if summary.get("idle_fee_unknown_parcels"):
        out.append(
            f"{summary['idle_fee_unknown_parcels']} 宗闲置土地缺少成交价款，土地闲置费无法计算，"
            "未计入合计"
        )
    if summary.get("after_as_of_approvals"):
        out.append(f"{summary['after_as_of_approvals']} 条批准记录的批准日期晚于基准日，未计入")
    if summary.get("after_as_of_supplies"):
        out.append(
            f"{summary['after_as_of_supplies']} 条供地记录的供地日期晚于基准日，未计入"
            "（其土地按未供计）"
        )
    if summary.get("undated_supplies"):
        out.append(
            f"{summary['undated_supplies']} 条供地记录缺少供地日期，按基准日前已供计入，待核实"
        )
    if summary.get("dates_out_of_order"):
        out.append(f"{summary['dates_out_of_order']} 宗供地的日期先后矛盾，见数据质量")
    if summary.get("implausible_price_parcels"):
        out.append(
            f"{summary['implausible_price_parcels']} 宗供地的成交价款折合单价不合常理"
            "（低于 1 元/平方米或高于 20 万元/平方米），请核对价款单位（元/万元）"
        )
    return out


def notes_en(summary: dict[str, Any], by_reason: dict[str, int]) -> list[str]:
    """The English counterpart of :func:`notes_zh`."""
    out = [
        f"{n} supplies could not be judged ({UNKNOWN_REASONS_EN[k]}): to be verified"
        for k, n in by_reason.items()
    ]
    if summary.get("idle_fee_unknown_parcels"):
        out.append(
            f"{summary['idle_fee_unknown_parcels']} idle parcels have no land price: their idle "
            "fee is unknown and not in the total"
        )
    if summary.get("after_as_of_approvals"):
        out.append(f"{summary['after_as_of_approvals']} approval records dated after the as-of "
                   "date left out")  # fmt: skip
    if summary.get("after_as_of_supplies"):
        out.append(f"{summary['after_as_of_supplies']} supply records dated after the as-of "
                   "date left out (their land counts as unsupplied)")  # fmt: skip
    if summary.get("undated_supplies"):
        out.append(
            f"{summary['undated_supplies']} supply records have no supply date: counted as "
            "supplied before the as-of date, to be verified"
        )
    if summary.get("dates_out_of_order"):
        out.append(f"{summary['dates_out_of_order']} supplies have dates out of order")
    if summary.get("implausible_price_parcels"):
        out.append(
            f"{summary['implausible_price_parcels']} supplies have an implausible price per m² "
            "(below 1 or above 200,000 yuan/m²): check the price unit (yuan / 10k yuan)"
        )
    return out
