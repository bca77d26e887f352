"""The evaluation on an offline map: supplied land by the class of its firm (A–D), 低效用地,
industrial land no firm uses, and the firms as points."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from geoplan.efficiency._score import CLASS_ZH

if TYPE_CHECKING:
    import folium

    from geoplan.efficiency._result import EfficiencyResult

CLASS_COLORS = {
    CLASS_ZH["A"]: "#1a9850",
    CLASS_ZH["B"]: "#91cf60",
    CLASS_ZH["C"]: "#fee08b",
    CLASS_ZH["D"]: "#d73027",
    CLASS_ZH["exempt"]: "#74add1",
    CLASS_ZH["unknown"]: "#969696",
}
VACANT = "无企业工业用地"
VACANT_COLOR = "#fdd0a2"
LOW_COLOR = "#762a83"


def add_efficiency_layers(result: EfficiencyResult, m: folium.Map) -> None:
    """Add the land by class, 低效用地, vacant industrial land and the firms to ``m``."""
    from geoplan import maps

    land = result.land
    if len(land):
        shown = land[["supply_id", "land_use", "area_mu", "n_firms", "firms", "plot_class",
                      "far", "tax_per_mu", "geometry"]].copy()  # fmt: skip
        cls = shown["plot_class"].astype(object)
        shown["class_zh"] = pd.array(
            [CLASS_ZH.get(c, VACANT) if isinstance(c, str) else VACANT for c in cls],
            dtype="string",
        )
        maps.add_polygons(
            m, shown, name="供地(按企业等级)", color_by="class_zh",
            colors={**CLASS_COLORS, VACANT: VACANT_COLOR}, fill_opacity=0.7,
            tooltip={"supply_id": "电子监管号", "class_zh": "等级"},
            popup={"supply_id": "电子监管号", "land_use": "土地用途", "area_mu": "面积(亩)",
                   "firms": "企业", "class_zh": "主要企业等级", "far": "容积率",
                   "tax_per_mu": "亩均税收(万元/亩)"},
        )  # fmt: skip
    low = result.low_efficiency
    if len(low):
        maps.add_polygons(
            m, low[["supply_id", "low_reasons", "low_area_mu", "geometry"]], name="低效用地",
            color=LOW_COLOR, fill_opacity=0.15, weight=2.5,
            tooltip={"supply_id": "电子监管号", "low_reasons": "低效原因"},
            popup={"supply_id": "电子监管号", "low_reasons": "低效原因", "low_area_mu": "低效面积(亩)"},
        )  # fmt: skip
    firms = result.firms[result.firms.geometry.notna()]
    if len(firms):
        pts = firms[["credit_code", "name", "class_zh", "score", "tax_per_mu", "geometry"]]
        maps.add_points(
            m, pts, name="企业", color_by="class_zh", colors=CLASS_COLORS, radius=4, show=False,
            tooltip={"name": "企业", "class_zh": "等级"},
            popup={"name": "企业名称", "credit_code": "统一社会信用代码", "class_zh": "等级",
                   "score": "综合得分", "tax_per_mu": "亩均税收(万元/亩)"},
        )  # fmt: skip
    maps.add_legend(m, "亩均效益", {**CLASS_COLORS, VACANT: VACANT_COLOR, "低效用地": LOW_COLOR})
