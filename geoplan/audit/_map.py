"""The audit's layers on an offline map (:mod:`geoplan.maps`): batches, 批而未供, supplies by
status, unmatched supply, with a legend of the statuses."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geoplan.audit._status import STATUS_ZH

if TYPE_CHECKING:
    import folium

    from geoplan.audit._land import AuditResult

STATUS_COLORS = {
    STATUS_ZH["idle_type1"]: "#b2182b",
    STATUS_ZH["idle_type2"]: "#e7298a",
    STATUS_ZH["supplied_unused"]: "#ff7f0e",
    STATUS_ZH["not_due"]: "#9ecae1",
    STATUS_ZH["started"]: "#2ca02c",
    STATUS_ZH["unknown"]: "#7f7f7f",
}
UNSUPPLIED = {"已失效(满两年未供)": "#54278f", "批而未供": "#fdae6b"}
BATCH_COLOR = "#636363"
UNMATCHED_COLOR = "#17becf"


def add_audit_layers(result: AuditResult, m: folium.Map) -> None:
    """Add batches, unsupplied pieces, supplies by status and unmatched supply to ``m``."""
    from geoplan import maps

    b = result.batches
    batches = b[["batch_id", "approval_no", "approved_on", "approved_area_mu", "supply_rate",
                 "geometry"]].copy()  # fmt: skip
    maps.add_polygons(
        m, batches, name="批准用地(批次)", color=BATCH_COLOR, fill_opacity=0.05, weight=1.5,
        tooltip={"batch_id": "批次"},
        popup={"batch_id": "批次", "approval_no": "批准文号", "approved_on": "批准日期",
               "approved_area_mu": "批准面积(亩)", "supply_rate": "供地率"},
    )  # fmt: skip
    supply_rows = result.supplies
    if len(supply_rows):
        maps.add_polygons(
            m, supply_rows[["supply_id", "status_zh", "area_mu", "days_late", "idle_fee", "geometry"]],
            name="供地(按状态)", color_by="status_zh", colors=STATUS_COLORS, fill_opacity=0.55,
            tooltip={"supply_id": "电子监管号", "status_zh": "状态"},
            popup={"supply_id": "电子监管号", "status_zh": "状态", "area_mu": "面积(亩)",
                   "days_late": "逾期天数", "idle_fee": "土地闲置费(元)"},
        )  # fmt: skip
    pieces = result.unsupplied
    if len(pieces):
        p = pieces[["batch_id", "approved_on", "age_years", "area_mu", "lapsed", "geometry"]].copy()
        lapsed = p["lapsed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
        p["kind"] = pd.array(
            ["已失效(满两年未供)" if x else "批而未供" for x in lapsed], dtype="string"
        )
        maps.add_polygons(
            m, p, name="批而未供", color_by="kind", colors=UNSUPPLIED, fill_opacity=0.7,
            tooltip={"batch_id": "批次", "area_mu": "面积(亩)"},
            popup={"batch_id": "批次", "approved_on": "批准日期", "age_years": "批后年限",
                   "area_mu": "面积(亩)", "kind": "类别"},
        )  # fmt: skip
    un = result.unmatched_supplies
    if len(un):
        maps.add_polygons(
            m, un[["supply_id", "area_mu", "geometry"]], name="未匹配供地(批准范围外)",
            color=UNMATCHED_COLOR, fill_opacity=0.6, show=False,
            tooltip={"supply_id": "电子监管号", "area_mu": "面积(亩)"},
        )  # fmt: skip
    legend = {**UNSUPPLIED, **STATUS_COLORS, "未匹配供地": UNMATCHED_COLOR, "批准用地": BATCH_COLOR}
    maps.add_legend(m, "土地摸排", legend)
