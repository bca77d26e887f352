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
    from geoplan.audit._result import AuditRules

logger = logging.getLogger(__name__)


def mu(m2: Any) -> Any:
    return m2 / M2_PER_MU


def batches_table(
    accounting: Accounting, as_of: pd.Timestamp, rules: AuditRules, crs: Any
) -> gpd.GeoDataFrame:
    table = accounting.batches.copy()
    n_batches = len(table)
    figures = accounting.figures
    table["age_years"] = age_years(table["approved_on"], as_of)
    table["gross_area_m2"] = accounting.gross_m2
    table["approved_area_m2"] = accounting.approved_m2
    table["overlap_area_m2"] = np.maximum(accounting.gross_m2 - accounting.approved_m2, 0.0)
    table["supplied_area_m2"] = figures.supplied_m2
    table["unsupplied_area_m2"] = np.bincount(
        accounting.piece_batch, weights=accounting.piece_m2, minlength=n_batches
    )
    table["sliver_area_m2"] = accounting.sliver_m2
    for c in ("approved", "supplied", "unsupplied", "sliver"):
        table[f"{c}_area_mu"] = mu(table[f"{c}_area_m2"])
    approved = table["approved_area_m2"].to_numpy()
    table["supply_rate"] = np.where(
        approved > 0, table["supplied_area_m2"] / np.where(approved > 0, approved, 1), np.nan
    )
    table["n_supplies"] = np.bincount(figures.pairs_b, minlength=n_batches)
    due = lapse_due(table["approved_on"], as_of, rules.lapse_years) & (approved > 0)
    held = substantive_supply(accounting, due, width=rules.sliver_width, min_area=rules.sliver_area)
    lapsed = pd.array(due & ~held, dtype="boolean")
    lapsed[table["approved_on"].isna().to_numpy()] = pd.NA
    table["lapsed"] = lapsed
    if accounting.other is not None:
        id_supplied = accounting.other.supplied_m2
        table["id_supplied_area_mu"] = mu(id_supplied)
        table["id_unsupplied_area_mu"] = mu(np.maximum(approved - id_supplied, 0.0))
        disagree = np.abs(figures.supplied_m2 - id_supplied) > rules.match_tolerance_m2
        table["match_disagree"] = disagree
        table["match_method"] = pd.array(np.where(disagree, "overlay", "both"), dtype="string")
    else:
        table["match_method"] = pd.array([rules.match] * n_batches, dtype="string")
    return gpd.GeoDataFrame(table, geometry=accounting.gross_geom, crs=crs)


def pieces_table(accounting: Accounting, batches: gpd.GeoDataFrame, crs: Any) -> gpd.GeoDataFrame:
    idx = accounting.piece_batch
    cols = ["batch_id", "approval_no", "approved_on", "approval_type", "age_years", "lapsed"]
    out = pd.DataFrame({c: batches[c].to_numpy()[idx] for c in cols})
    out["lapsed"] = out["lapsed"].astype("boolean")
    for c in ("batch_id", "approval_no", "approval_type"):
        out[c] = out[c].astype("string")
    out["area_m2"] = accounting.piece_m2
    out["area_mu"] = mu(accounting.piece_m2)
    out = out[
        ["batch_id", "approval_no", "approved_on", "approval_type", "age_years", "area_m2",
         "area_mu", "lapsed"]
    ]  # fmt: skip
    return gpd.GeoDataFrame(out, geometry=np.asarray(accounting.pieces), crs=crs)


def supplies_table(
    supplies: gpd.GeoDataFrame, status: pd.DataFrame, accounting: Accounting, crs: Any
) -> gpd.GeoDataFrame:
    out = pd.DataFrame(supplies.drop(columns=supplies.geometry.name))
    out = out[[c for c in out.columns if c not in ("source_row", "geom_repaired")]]
    for c in status.columns:
        out[c] = status[c]
    area = accounting.supply_m2
    out["area_m2"] = area
    out["area_mu"] = mu(area)
    out["overlay_batches"] = accounting.overlay_batches.astype("string").to_numpy()
    has_id = supplies["batch_id"].notna().to_numpy()
    out["id_batch_found"] = pd.array(accounting.id_batch >= 0, dtype="boolean")
    out.loc[~has_id, "id_batch_found"] = pd.NA
    out["id_in_batch"] = accounting.id_inside
    out["unmatched_area_m2"] = accounting.unmatched_by_supply_m2
    out["geom_repaired"] = supplies["geom_repaired"].to_numpy()
    out["source_row"] = supplies["source_row"].to_numpy()
    return gpd.GeoDataFrame(out, geometry=supplies.geometry.values, crs=crs)


def unmatched_table(
    accounting: Accounting, supplies: gpd.GeoDataFrame, crs: Any
) -> gpd.GeoDataFrame:
    idx = accounting.unmatched_supply
    cols = ["supply_id", "batch_id", "supply_method", "supplied_on", "status"]
    out = pd.DataFrame({c: supplies[c].to_numpy()[idx] for c in cols})
    for c in ("supply_id", "batch_id", "supply_method", "status"):
        out[c] = out[c].astype("string")
    out["area_m2"] = accounting.unmatched_m2
    out["area_mu"] = mu(accounting.unmatched_m2)
    return gpd.GeoDataFrame(out, geometry=np.asarray(accounting.unmatched), crs=crs)


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
    missing_date = batches["approved_on"].isna().to_numpy()
    after = (batches["approved_on"] > as_of).fillna(False).to_numpy(dtype=bool)
    idle = supplies["status"].isin(IDLE).to_numpy(dtype=bool)
    gov = supplies["gov_cause"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    no_price = idle & ~gov & supplies["land_price"].isna().to_numpy()
    q: dict[str, Any] = {
        "match": rules.match,
        "approvals": approvals_quality,
        "supplies": {
            **supplies_quality,
            **{k: v for k, v in dedup_quality.items() if k == "duplicates_dropped"},
        },
        "approval_batches": len(batches),
        "approval_overlap_pairs": accounting.approval_overlap_pairs,
        "approval_overlap_area_m2": float(batches["overlap_area_m2"].sum()),
        "batch_attribute_conflicts": list(accounting.batches.attrs.get("conflicts", [])),
        "approvals_missing_date": _ids(batches.loc[missing_date, "batch_id"]),
        "approvals_after_as_of": _ids(batches.loc[after, "batch_id"]),
        "supply_duplicates_dropped": dedup_quality["duplicates_dropped"],
        "supply_duplicate_ids": dedup_quality["duplicate_ids_dropped"],
        "supply_same_id_different_geometry": dedup_quality["same_id_different_geometry"],
        "supply_overlap_pairs": accounting.supply_overlap_pairs,
        "supply_overlap_area_m2": accounting.supply_overlap_m2,
        "supplies_unknown_status": _ids(supplies.loc[supplies["status"] == "unknown", "supply_id"]),
        "supplies_batch_id_not_found": _ids(
            supplies.loc[supplies["id_batch_found"].fillna(True).eq(False), "supply_id"]
        ),
        "idle_without_land_price": _ids(supplies.loc[no_price, "supply_id"]),
        "unmatched_sliver_area_m2": accounting.unmatched_sliver_m2,
        "robust_recomputed": {"batches": accounting.robust[0], "supplies": accounting.robust[1]},
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
