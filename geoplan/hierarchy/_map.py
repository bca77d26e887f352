"""Drawing a :class:`~geoplan.hierarchy.HierarchyResult` on a geoplan map (rendering only)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan import maps
from geoplan.labels import FIELDS, field_labels, translate

if TYPE_CHECKING:
    import folium

    from geoplan.hierarchy._result import HierarchyResult

__all__ = ["TIER_COLORS", "add_hierarchy"]

TIER_COLORS = {
    "county_seat": "#b2182b",
    "central_town": "#ef8a00",
    "town": "#2166ac",
    "village": "#4d9221",
}
_VILLAGE_STATUS_COLORS = {"meets": "#4d9221", "misses": "#e7298a", "unreachable": "#252525"}
_ROAD_COLORS = {
    "motorway": "#7b3294",
    "trunk": "#b2182b",
    "primary": "#d6604d",
    "secondary": "#f4a582",
    "tertiary": "#878787",
    "unclassified": "#bababa",
}
# OSM highway classes as Chinese road administration levels (domain notes §5)
_ROAD_NAMES = {
    "zh": {
        "motorway": "高速公路",
        "trunk": "国道",
        "primary": "省道",
        "secondary": "县道",
        "tertiary": "乡道",
        "unclassified": "村道及其他",
    },
    "en": {
        "motorway": "Motorway",
        "trunk": "National road (trunk)",
        "primary": "Provincial road (primary)",
        "secondary": "County road (secondary)",
        "tertiary": "Township road (tertiary)",
        "unclassified": "Village and other roads",
    },
}
_TIER_RADIUS = {"county_seat": 13.0, "central_town": 9.5, "town": 7.0}
_VILLAGE_RADIUS = 3.0

_TEXT: dict[str, dict[str, str]] = {
    "zh": {
        "county_seat": "县城",
        "central_town": "中心镇",
        "town": "一般镇",
        "village": "村庄",
        "roads": "道路",
        "trunk": "干线公路",
        "road_classes": "道路等级",
        "links_village": "村—镇联系",
        "links_town": "镇—县城/中心镇联系",
        "tiers": "村镇等级",
        "village_status": "村庄到镇时间 ≤ {m:g} 分钟",
        "meets": "达标",
        "misses": "超时",
        "unreachable": "不可达",
        "name": "名称",
        "tier": "等级",
        "parent": "上级",
        "time_to_parent_min": "到上级（分钟）",
        "time_to_seat_min": "到县城（分钟）",
        "score": "中心性得分",
        "population": "人口",
        "reason": "说明",
        "from": "从",
        "to": "到",
        "time_min": "时间（分钟）",
        "highway": "等级",
        "ref": "编号",
        "road_name": "路名",
    },
    "en": {
        "county_seat": "County seat",
        "central_town": "Central town",
        "town": "Town",
        "village": "Village",
        "roads": "Roads",
        "trunk": "Trunk routes",
        "road_classes": "Road class",
        "links_village": "Village–town links",
        "links_town": "Town–seat / central-town links",
        "tiers": "Settlement tiers",
        "village_status": "Village to town ≤ {m:g} min",
        "meets": "within target",
        "misses": "over target",
        "unreachable": "unreachable",
        "name": "Name",
        "tier": "Tier",
        "parent": "Parent",
        "time_to_parent_min": "To parent (min)",
        "time_to_seat_min": "To county seat (min)",
        "score": "Score",
        "population": "Population",
        "reason": "Note",
        "from": "From",
        "to": "To",
        "time_min": "Time (min)",
        "highway": "Class",
        "ref": "Ref",
        "road_name": "Name",
    },
}


def add_hierarchy(result: HierarchyResult, m: folium.Map, *, roads: bool = True) -> None:
    """Draw roads, links and settlement tiers (bottom to top) with legends."""
    lang = maps.lang_of(m)
    tx = _TEXT[lang]
    if roads and result.roads is not None and len(result.roads):
        _add_roads(m, result.roads, tx, lang)
    _add_links(m, result.catchment_links, tx)
    _add_settlements(m, result, tx)


def _add_roads(m: folium.Map, lines: gpd.GeoDataFrame, tx: dict[str, str], lang: str) -> None:
    hw = lines["highway"].astype("string").str.replace("_link", "", regex=False)
    hw = hw.where(hw.isin(list(_ROAD_COLORS)), "unclassified").fillna("unclassified")
    names = _ROAD_NAMES[lang]
    frame = lines.assign(road_class=hw.map(names))
    colors = {names[k]: c for k, c in _ROAD_COLORS.items()}
    tip = {"road_class": tx["highway"], "ref": tx["ref"], "name": tx["road_name"]}
    trunk = frame["is_trunk"].to_numpy(dtype=bool)
    legend: dict[str, str] = {}
    if (~trunk).any():
        fg = maps.add_lines(m, frame[~trunk], name=tx["roads"], color_by="road_class",
                            colors=colors, weight=1.5, tooltip=tip)  # fmt: skip
        legend.update(fg.geoplan_legend)  # type: ignore[attr-defined]
    if trunk.any():
        fg = maps.add_lines(m, frame[trunk], name=tx["trunk"], color_by="road_class",
                            colors=colors, weight=4.5, opacity=0.9, tooltip=tip)  # fmt: skip
        legend.update(fg.geoplan_legend)  # type: ignore[attr-defined]
    order = list(colors)
    items = sorted(legend.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else 99)
    maps.add_legend(m, tx["road_classes"], dict(items), position="bottomright")


def _add_links(m: folium.Map, links: gpd.GeoDataFrame, tx: dict[str, str]) -> None:
    tip = {"name": tx["from"], "parent": tx["to"], "time_min": tx["time_min"]}
    village = (links["link"] == "village-town").to_numpy(dtype=bool)
    if village.any():
        maps.add_lines(m, links[village], name=tx["links_village"], color="#7f7f7f", weight=1.2,
                       opacity=0.7, tooltip=tip)  # fmt: skip
    if (~village).any():
        maps.add_lines(m, links[~village], name=tx["links_town"], color="#2166ac", weight=3,
                       opacity=0.8, tooltip=tip)  # fmt: skip


def _add_settlements(m: folium.Map, result: HierarchyResult, tx: dict[str, str]) -> None:
    s = result.settlements
    tier = s["tier"].astype(str)
    lang = maps.lang_of(m)
    shown = s.assign(
        tier_label=tier.map(lambda t: tx.get(t, t)),
        reason=s["reason"].map(lambda v: translate(v, lang)).astype("string"),
    )
    popup = field_labels(
        ["name", "tier_label", "population", "parent", "time_to_parent_min", "time_to_seat_min",
         "score", "reason"], lang, tier_label=FIELDS["tier"],
    )  # fmt: skip
    tooltip = {"name": tx["name"]}
    villages = shown[(tier == "village").to_numpy()]
    if len(villages):
        status = _village_status(villages, result.targets.town_to_village_min)
        villages = villages.assign(reach_status=status.map(tx))
        colors = {tx[k]: c for k, c in _VILLAGE_STATUS_COLORS.items()}
        maps.add_points(m, villages, name=tx["village"], color_by="reach_status", colors=colors,
                        radius=_VILLAGE_RADIUS, radius_by="population", popup=popup,
                        tooltip=tooltip)  # fmt: skip
        used = set(villages["reach_status"])
        maps.add_legend(
            m,
            tx["village_status"].format(m=result.targets.town_to_village_min),
            {label: c for label, c in colors.items() if label in used},
            position="bottomleft",
        )
    for t in ("town", "central_town", "county_seat"):
        sub = shown[(tier == t).to_numpy()]
        if len(sub):
            maps.add_points(m, sub, name=tx[t], color=TIER_COLORS[t], radius=_TIER_RADIUS[t],
                            popup=popup, tooltip=tooltip)  # fmt: skip
    present = set(tier)
    maps.add_legend(m, tx["tiers"], {tx[t]: TIER_COLORS[t] for t in TIER_COLORS if t in present})


def _village_status(villages: pd.DataFrame, target: float) -> pd.Series:
    t = villages["time_to_parent_min"].to_numpy(dtype=float, na_value=np.nan)
    status: Any = np.where(~np.isfinite(t), "unreachable", np.where(t <= target, "meets",
                                                                     "misses"))  # fmt: skip
    return pd.Series(status, index=villages.index)
