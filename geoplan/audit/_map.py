"""The audit's layers on an offline map (:mod:`geoplan.maps`): batches, 批而未供, supplies by
status, unmatched supply, with a legend of the statuses (labels from :mod:`geoplan.labels`,
in the map's language)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geoplan.labels import code_label, code_labels, field_labels

if TYPE_CHECKING:
    import folium

    from geoplan.audit._result import AuditResult

STATUS_COLORS = {
    "idle_type1": "#b2182b",
    "idle_type2": "#e7298a",
    "supplied_unused": "#ff7f0e",
    "not_due": "#9ecae1",
    "started": "#2ca02c",
    "unknown": "#7f7f7f",
}
UNSUPPLIED_COLORS = {"lapsed": "#54278f", "unsupplied": "#fdae6b"}
BATCH_COLOR = "#636363"
UNMATCHED_COLOR = "#17becf"

_TEXT = {
    "zh": {"batches": "批准用地（批次）", "supplies": "供地（按状态）", "unsupplied": "批而未供",
           "unmatched": "未匹配供地（批准范围外）", "unmatched_short": "未匹配供地",
           "batch": "批准用地", "legend": "土地摸排", "kind": "类别"},
    "en": {"batches": "approved land (batches)", "supplies": "supplies (by status)",
           "unsupplied": "approved, unsupplied", "unmatched": "unmatched supply (outside approvals)",
           "unmatched_short": "unmatched supply", "batch": "approved land",
           "legend": "land audit", "kind": "kind"},
}  # fmt: skip


def add_audit_layers(result: AuditResult, m: folium.Map) -> None:
    """Add batches, unsupplied pieces, supplies by status and unmatched supply to ``m``."""
    from geoplan import maps

    lang = maps.lang_of(m)
    tx = _TEXT[lang]
    statuses = {code_label("supply_status", k, lang): c for k, c in STATUS_COLORS.items()}
    kinds = code_labels("unsupplied_kind", lang)
    unsupplied = {kinds[k]: c for k, c in UNSUPPLIED_COLORS.items()}
    b = result.batches
    batches = b[["batch_id", "approval_no", "approved_on", "approved_area_mu", "supply_rate",
                 "geometry"]].copy()  # fmt: skip
    maps.add_polygons(
        m, batches, name=tx["batches"], color=BATCH_COLOR, fill_opacity=0.05, weight=1.5,
        tooltip=field_labels(["batch_id"], lang),
        popup=field_labels(["batch_id", "approval_no", "approved_on", "approved_area_mu",
                            "supply_rate"], lang),
    )  # fmt: skip
    supply_rows = result.supplies
    if len(supply_rows):
        shown = supply_rows[
            ["supply_id", "status", "area_mu", "days_late", "idle_fee", "geometry"]
        ].copy()
        shown["status"] = pd.array(
            [code_label("supply_status", s, lang) for s in shown["status"]], dtype="string"
        )
        maps.add_polygons(
            m, shown, name=tx["supplies"], color_by="status", colors=statuses, fill_opacity=0.55,
            tooltip=field_labels(["supply_id", "status"], lang),
            popup=field_labels(["supply_id", "status", "area_mu", "days_late", "idle_fee"], lang),
        )  # fmt: skip
    pieces = result.unsupplied
    if len(pieces):
        p = pieces[["batch_id", "approved_on", "age_years", "area_mu", "lapsed", "geometry"]].copy()
        lapsed = p["lapsed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        p["kind"] = pd.array(
            [kinds["lapsed"] if x else kinds["unsupplied"] for x in lapsed], dtype="string"
        )
        popup = field_labels(["batch_id", "approved_on", "age_years", "area_mu"], lang)
        maps.add_polygons(
            m, p, name=tx["unsupplied"], color_by="kind", colors=unsupplied, fill_opacity=0.7,
            tooltip=field_labels(["batch_id", "area_mu"], lang),
            popup={**popup, "kind": tx["kind"]},
        )  # fmt: skip
    un = result.unmatched_supplies
    if len(un):
        maps.add_polygons(
            m, un[["supply_id", "area_mu", "geometry"]], name=tx["unmatched"],
            color=UNMATCHED_COLOR, fill_opacity=0.6, show=False,
            tooltip=field_labels(["supply_id", "area_mu"], lang),
        )  # fmt: skip
    legend = {**unsupplied, **statuses, tx["unmatched_short"]: UNMATCHED_COLOR,
              tx["batch"]: BATCH_COLOR}  # fmt: skip
    maps.add_legend(m, tx["legend"], legend)
