"""Result tables of the land audit: batches, unsupplied pieces, supplies, unmatched supply and
the data-quality report, built from the geometric accounting (:mod:`geoplan.audit._overlay`)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.audit._overlay import Accounting, substantive_supply
from geoplan.audit._status import IDLE, age_years, lapse_due
from geoplan.units import M2_PER_MU

if TYPE_CHECKING:
    from geoplan.audit._land import AuditRules

logger = logging.getLogger(__name__)


def mu(m2: Any) -> Any:
    return m2 / M2_PER_MU


def batches_table(
    acc: Accounting, ts: pd.Timestamp, rules: AuditRules, crs: Any
) -> gpd.GeoDataFrame:
    b = acc.batches.copy()
    nb = len(b)
    fig = acc.figures
    b["age_years"] = age_years(b["approved_on"], ts)
    b["gross_area_m2"] = acc.gross_m2
    b["approved_area_m2"] = acc.approved_m2
    b["overlap_area_m2"] = np.maximum(acc.gross_m2 - acc.approved_m2, 0.0)
    b["supplied_area_m2"] = fig.supplied_m2
    b["unsupplied_area_m2"] = np.bincount(acc.piece_batch, weights=acc.piece_m2, minlength=nb)
    b["sliver_area_m2"] = acc.sliver_m2
    for c in ("approved", "supplied", "unsupplied", "sliver"):
        b[f"{c}_area_mu"] = mu(b[f"{c}_area_m2"])
    app = b["approved_area_m2"].to_numpy()
    b["supply_rate"] = np.where(app > 0, b["supplied_area_m2"] / np.where(app > 0, app, 1), np.nan)
    b["n_supplies"] = np.bincount(fig.pairs_b, minlength=nb)
    due = lapse_due(b["approved_on"], ts, rules.lapse_years) & (app > 0)
    held = substantive_supply(acc, due, width=rules.sliver_width, min_area=rules.sliver_area)
    lapsed = pd.array(due & ~held, dtype="boolean")
    lapsed[b["approved_on"].isna().to_numpy()] = pd.NA
    b["lapsed"] = lapsed
    if acc.other is not None:
        id_sup = acc.other.supplied_m2
        b["id_supplied_area_mu"] = mu(id_sup)
        b["id_unsupplied_area_mu"] = mu(np.maximum(app - id_sup, 0.0))
        disagree = np.abs(fig.supplied_m2 - id_sup) > rules.match_tolerance_m2
        b["match_disagree"] = disagree
        b["match_method"] = pd.array(np.where(disagree, "overlay", "both"), dtype="string")
    else:
        b["match_method"] = pd.array([rules.match] * nb, dtype="string")
    return gpd.GeoDataFrame(b, geometry=acc.gross_geom, crs=crs)


def pieces_table(acc: Accounting, batches: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    idx = acc.piece_batch
    cols = ["batch_id", "approval_no", "approved_on", "approval_type", "age_years", "lapsed"]
    out = pd.DataFrame({c: batches[c].to_numpy()[idx] for c in cols})
    out["lapsed"] = out["lapsed"].astype("boolean")
    for c in ("batch_id", "approval_no", "approval_type"):
        out[c] = out[c].astype("string")
    out["area_m2"] = acc.piece_m2
    out["area_mu"] = mu(acc.piece_m2)
    out = out[
        ["batch_id", "approval_no", "approved_on", "approval_type", "age_years", "area_m2",
         "area_mu", "lapsed"]
    ]  # fmt: skip
    return gpd.GeoDataFrame(out, geometry=np.asarray(acc.pieces), crs=crs)


def supplies_table(
    s: gpd.GeoDataFrame, status: pd.DataFrame, acc: Accounting, crs: Any
) -> gpd.GeoDataFrame:
    out = pd.DataFrame(s.drop(columns=s.geometry.name))
    out = out[[c for c in out.columns if c not in ("source_row", "geom_repaired")]]
    for c in status.columns:
        out[c] = status[c]
    area = acc.supply_m2
    out["area_m2"] = area
    out["area_mu"] = mu(area)
    out["overlay_batches"] = acc.overlay_batches.astype("string").to_numpy()
    has_id = s["batch_id"].notna().to_numpy()
    out["id_batch_found"] = pd.array(acc.id_batch >= 0, dtype="boolean")
    out.loc[~has_id, "id_batch_found"] = pd.NA
    out["id_in_batch"] = acc.id_inside
    out["unmatched_area_m2"] = acc.unmatched_by_supply_m2
    out["geom_repaired"] = s["geom_repaired"].to_numpy()
    out["source_row"] = s["source_row"].to_numpy()
    return gpd.GeoDataFrame(out, geometry=s.geometry.values, crs=crs)


def unmatched_table(acc: Accounting, sup: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    idx = acc.unmatched_supply
    cols = ["supply_id", "batch_id", "supply_method", "supplied_on", "status"]
    out = pd.DataFrame({c: sup[c].to_numpy()[idx] for c in cols})
    for c in ("supply_id", "batch_id", "supply_method", "status"):
        out[c] = out[c].astype("string")
    out["area_m2"] = acc.unmatched_m2
    out["area_mu"] = mu(acc.unmatched_m2)
    return gpd.GeoDataFrame(out, geometry=np.asarray(acc.unmatched), crs=crs)


def _ids(values: Any) -> list[str]:
    return [str(v) for v in values]


def quality_report(
    approvals_quality: dict[str, Any],
    supplies_quality: dict[str, Any],
    dedup_quality: dict[str, Any],
    *,
    accounting: Accounting,
    supplies: gpd.GeoDataFrame,
    batches: gpd.GeoDataFrame,
    as_of: pd.Timestamp,
    rules: AuditRules,
    summary: dict[str, Any],
) -> dict[str, Any]:
    """The data-quality report (``AuditResult.quality``): what was repaired, dropped, found to
    overlap or to disagree, by id; lists that matter are also logged."""
    acc, sup, qd = accounting, supplies, dedup_quality
    missing_date = batches["approved_on"].isna().to_numpy()
    after = (batches["approved_on"] > as_of).fillna(False).to_numpy(dtype=bool)
    idle = sup["status"].isin(IDLE).to_numpy(dtype=bool)
    gov = sup["gov_cause"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    no_price = idle & ~gov & sup["land_price"].isna().to_numpy()
    q: dict[str, Any] = {
        "match": rules.match,
        "approvals": approvals_quality,
        "supplies": {
            **supplies_quality,
            **{k: v for k, v in qd.items() if k == "duplicates_dropped"},
        },
        "approval_batches": len(batches),
        "approval_overlap_pairs": acc.approval_overlap_pairs,
        "approval_overlap_area_m2": float(batches["overlap_area_m2"].sum()),
        "batch_attribute_conflicts": list(acc.batches.attrs.get("conflicts", [])),
        "approvals_missing_date": _ids(batches.loc[missing_date, "batch_id"]),
        "approvals_after_as_of": _ids(batches.loc[after, "batch_id"]),
        "supply_duplicates_dropped": qd["duplicates_dropped"],
        "supply_duplicate_ids": qd["duplicate_ids_dropped"],
        "supply_same_id_different_geometry": qd["same_id_different_geometry"],
        "supply_overlap_pairs": acc.supply_overlap_pairs,
        "supply_overlap_area_m2": acc.supply_overlap_m2,
        "supplies_unknown_status": _ids(sup.loc[sup["status"] == "unknown", "supply_id"]),
        "supplies_batch_id_not_found": _ids(
            sup.loc[sup["id_batch_found"].fillna(True).eq(False), "supply_id"]
        ),
        "idle_without_land_price": _ids(sup.loc[no_price, "supply_id"]),
        "unmatched_sliver_area_m2": acc.unmatched_sliver_m2,
        "robust_recomputed": {"batches": acc.robust[0], "supplies": acc.robust[1]},
        "supply_rate_floor": rules.supply_rate_floor,
        "supply_rate_5y_window": [as_of.year - rules.window_years, as_of.year - 1],
        "supply_rate_5y_meets_floor": None
        if summary["supply_rate_5y"] is None
        else bool(summary["supply_rate_5y"] >= rules.supply_rate_floor),
    }
    if "match_disagree" in batches.columns:
        q["batches_match_disagree"] = _ids(batches.loc[batches["match_disagree"], "batch_id"])
    notes = {
        "approvals_missing_date": "batches without an approval date (age and lapse unknown)",
        "supplies_unknown_status": "supplies whose status needs a missing date or ratio "
        "(status 'unknown', listed in the ledger)",
    }
    for key, text in notes.items():
        if q[key]:
            more = " …" if len(q[key]) > 5 else ""
            logger.warning("%d %s: %s%s", len(q[key]), text, ", ".join(q[key][:5]), more)
    return q
