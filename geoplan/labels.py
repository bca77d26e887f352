"""What a reader sees instead of a code: one label table (Chinese / English) for every code,
column, summary figure and machine sentence that the report, the maps and the notebook show.

The analyses keep their codes (``idle_type1``, ``county_seat``, ``residential``, ``ugb_mu`` …)
in their tables and files; everything that *shows* a result looks its words up here, so a label
is written once and the report, the standalone maps and ``_repr_html_`` agree:

- :func:`code_label` / :func:`code_labels`: a code of a vocabulary (:data:`CODES`): supply
  statuses, settlement tiers, OSM highway classes, control lines, 三生 functions, matching
  methods, geometry types, section statuses ….
- :func:`field_label` / :func:`field_labels`: a column or a summary figure (:data:`FIELDS`),
  with its unit (亩, 公顷, 米, 分钟, 万元, 元).
- :func:`translate`: the sentences the analyses write in English (a settlement's or park's
  ``reason``, a layer's read notes, the zones' ``ugb_basis``) in the reader's language.
- :func:`crs_title`: the county's CRS as a bureau writes it ("CGCS2000 3度带高斯-克吕格投影
  中央经线114°E").
- :func:`format_figure`: a summary value as text (thousands separators, rates in %, indices
  with two decimals, money totals in 万元).

Examples
--------
>>> code_label("supply_status", "idle_type1", "zh"), code_label("tier", "village", "en")
('闲置(一类)', 'village')
>>> field_label("idle_fee_total_wan", "zh")
'闲置费合计（万元）'
>>> crs_title(4547, "zh")
'CGCS2000 3度带高斯-克吕格投影 中央经线114°E（EPSG:4547）'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from pyproj import CRS

__all__ = [
    "CODES",
    "FIELDS",
    "KEY_FIGURES",
    "LANGS",
    "code_label",
    "code_labels",
    "crs_title",
    "field_label",
    "field_labels",
    "format_figure",
    "is_index",
    "translate",
]

LANGS = ("zh", "en")

# --------------------------------------------------------------------------- codes

#: vocabulary -> code -> (zh, en)
CODES: dict[str, dict[str, tuple[str, str]]] = {
    "supply_status": {
        "idle_type1": ("闲置(一类)", "idle (not started)"),
        "idle_type2": ("闲置(二类)", "idle (suspended)"),
        "supplied_unused": ("供而未用", "supplied, unused"),
        "not_due": ("未到期", "not yet due"),
        "started": ("已动工", "started"),
        "unknown": ("待核实", "to verify (not judged)"),
    },
    "unsupplied_kind": {
        "lapsed": ("已失效（满两年未供）", "lapsed (two years unsupplied)"),
        "unsupplied": ("批而未供", "approved, unsupplied"),
    },
    "match_method": {
        "overlay": ("图形叠加", "by overlay"),
        "id": ("批次编号", "by batch id"),
        "both": ("编号与叠加一致", "id and overlay agree"),
    },
    "tier": {
        "county_seat": ("县城", "county seat"),
        "central_town": ("中心镇", "central town"),
        "town": ("一般镇（乡）", "town"),
        "village": ("村", "village"),
    },
    "highway": {
        "motorway": ("高速公路", "motorway"),
        "motorway_link": ("高速连接线", "motorway link"),
        "trunk": ("国道", "national road"),
        "trunk_link": ("国道连接线", "national road link"),
        "primary": ("省道", "provincial road"),
        "primary_link": ("省道连接线", "provincial road link"),
        "secondary": ("县道", "county road"),
        "secondary_link": ("县道连接线", "county road link"),
        "tertiary": ("乡道", "township road"),
        "tertiary_link": ("乡道连接线", "township road link"),
        "unclassified": ("村道", "village road"),
        "residential": ("街巷道路", "residential street"),
        "living_street": ("生活街道", "living street"),
        "service": ("专用道路", "service road"),
        "road": ("未分级道路", "road (unknown class)"),
        "track": ("机耕路", "farm track"),
        "footway": ("人行道", "footway"),
        "cycleway": ("自行车道", "cycleway"),
        "path": ("小路", "path"),
        "steps": ("台阶", "steps"),
        "pedestrian": ("步行街", "pedestrian street"),
        "bridleway": ("马道", "bridleway"),
        "corridor": ("室内通道", "corridor"),
        "construction": ("在建道路", "road under construction"),
        "proposed": ("规划道路", "proposed road"),
        "other": ("其他道路", "other roads"),
        "(none)": ("未标等级", "no class"),
    },
    "zone_type": {
        "ugb": ("城镇开发边界", "urban growth boundary"),
        "basic_farmland": ("永久基本农田", "basic farmland"),
        "eco_redline": ("生态保护红线", "ecological red line"),
        "(none)": ("未标类型", "no type"),
    },
    "sansheng": {
        "production": ("生产空间", "production"),
        "living": ("生活空间", "living"),
        "ecological": ("生态空间", "ecological"),
        "mixed": ("混合", "mixed"),
        "none": ("无数据", "no data"),
    },
    "sansheng_sub": {
        "production_agricultural": ("农业生产", "agricultural production"),
        "production_industrial": ("工矿生产", "industrial production"),
        "living_urban": ("城镇生活", "urban living"),
        "living_rural": ("农村生活", "rural living"),
        "ecological_forest": ("林地生态", "forest"),
        "ecological_grass": ("草地生态", "grassland"),
        "ecological_water": ("水域生态", "water"),
        "ecological_wetland": ("湿地生态", "wetland"),
        "ecological_other": ("其他生态", "other ecological"),
        "nodata": ("无数据", "no data"),
    },
    "sanlei": {
        "agricultural_land": ("农用地", "agricultural land"),
        "construction_land": ("建设用地", "construction land"),
        "unused_land": ("未利用地", "unused land"),
    },
    "composition_by": {
        "sansheng": ("三生空间", "production-living-ecological"),
        "sansheng_sub": ("三生空间二级类", "production-living-ecological subclasses"),
        "sanlei": ("三大类", "three land categories"),
        "code": ("地类编码", "land-use code"),
    },
    "landuse_source": {
        "vector": ("矢量图斑", "parcels (vector)"),
        "raster": ("土地覆盖栅格", "land-cover raster"),
    },
    "scheme": {
        "sandiao": ("第三次全国国土调查（三调）", "third national land survey (sandiao)"),
        "ydyh2023": ("国土空间用地用海分类（2023）", "land and sea use classes (2023)"),
        "worldcover": ("ESA WorldCover 土地覆盖", "ESA WorldCover"),
        "clcd": ("CLCD 年度土地覆盖", "CLCD annual land cover"),
        "auto": ("自动识别", "detected"),
    },
    "reach_check": {
        "seat_town": ("县城—乡镇", "county seat – town"),
        "town_village": ("乡镇—村", "town – village"),
    },
    "link": {
        "village-town": ("村—镇", "village – town"),
        "town-central": ("镇—中心镇", "town – central town"),
        "town-seat": ("镇—县城", "town – county seat"),
    },
    "village_reach": {
        "meets": ("达标", "within target"),
        "misses": ("超时", "over target"),
        "unreachable": ("不可达", "unreachable"),
    },
    "park_status": {
        "within_30": ("30分钟内到高速出入口", "motorway entrance within 30 min"),
        "over_30": ("超过30分钟", "over 30 min"),
        "no_motorway": ("无法到达高速", "no motorway reachable"),
        "no_trunk": ("无法到达干线", "no trunk road reachable"),
    },
    "route_target": {
        "trunk": ("干线公路", "trunk road"),
        "motorway": ("高速出入口", "motorway entrance"),
    },
    "geometry": {
        "Polygon": ("面", "polygon"),
        "MultiPolygon": ("多面", "multipolygon"),
        "LineString": ("线", "line"),
        "MultiLineString": ("多线", "multiline"),
        "Point": ("点", "point"),
        "MultiPoint": ("多点", "multipoint"),
        "GeometryCollection": ("几何集合", "geometry collection"),
        "raster": ("栅格", "raster"),
    },
    "section_status": {
        "ok": ("完成", "done"),
        "skipped": ("未运行", "not run"),
        "error": ("输入有误", "bad input"),
        "bug": ("程序故障", "bug"),
    },
    "bool": {"True": ("是", "yes"), "False": ("否", "no")},
    "role": {
        "boundary": ("县界", "boundary"),
        "townships": ("乡镇", "townships"),
        "settlements": ("居民点", "settlements"),
        "landuse": ("土地利用", "land use"),
        "approvals": ("批准用地", "approvals"),
        "supplies": ("供地", "supplies"),
        "parks": ("产业园区", "parks"),
        "roads": ("道路", "roads"),
        "zoning": ("三区三线", "zoning"),
        "landcover": ("土地覆盖栅格", "land cover (raster)"),
    },
}


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def code_label(vocabulary: str, code: Any, lang: str) -> str:
    """The label of ``code`` in a vocabulary of :data:`CODES`; an unknown code as it is.

    A mix label such as ``production+living`` is labelled part by part.

    Examples
    --------
    >>> code_label("highway", "residential", "zh"), code_label("highway", "busway", "zh")
    ('街巷道路', 'busway')
    >>> code_label("sansheng", "production+living", "zh")
    '生产空间+生活空间'
    """
    table = CODES[vocabulary]
    key = str(code)
    if key in table:
        return _pick(table[key], lang)
    if "+" in key and all(p in table for p in key.split("+")):
        return "+".join(_pick(table[p], lang) for p in key.split("+"))
    return key


def code_labels(vocabulary: str, lang: str) -> dict[str, str]:
    """``{code: label}`` of a whole vocabulary, in its order.

    Examples
    --------
    >>> code_labels("reach_check", "zh")
    {'seat_town': '县城—乡镇', 'town_village': '乡镇—村'}
    """
    return {code: _pick(pair, lang) for code, pair in CODES[vocabulary].items()}


# --------------------------------------------------------------------------- fields

#: column or summary key -> (zh, en); units in the label
FIELDS: dict[str, tuple[str, str]] = {
    # ---- audit: summary
    "as_of": ("基准日期", "as of"),
    "approved_area_mu": ("批准面积（亩）", "approved (mu)"),
    "supplied_area_mu": ("已供面积（亩）", "supplied (mu)"),
    "unsupplied_area_mu": ("批而未供面积（亩）", "approved, unsupplied (mu)"),
    "sliver_area_mu": ("剔除碎片（亩）", "slivers dropped (mu)"),
    "supply_rate": ("供地率", "supply rate"),
    "supply_rate_5y": ("近五年供地率", "5-year supply rate"),
    "unsupplied_parcels": ("批而未供图斑数", "unsupplied pieces"),
    "supplied_unused_parcels": ("供而未用宗数", "supplied, unused"),
    "idle_parcels": ("闲置土地宗数", "idle parcels"),
    "idle_area_mu": ("闲置面积（亩）", "idle area (mu)"),
    "idle_fee_total": ("闲置费合计（元）", "idle fees (yuan)"),
    "idle_fee_total_wan": ("闲置费合计（万元）", "idle fees (10k yuan)"),
    "idle_fee_unknown_parcels": ("闲置费无法计算宗数", "idle without a land price"),
    "recoverable_parcels": ("可无偿收回宗数", "recoverable parcels"),
    "unmatched_supply_area_mu": ("未匹配供地（亩）", "unmatched supply (mu)"),
    "unmatched_sliver_area_mu": ("未匹配供地碎片（亩）", "unmatched slivers dropped (mu)"),
    "unknown_parcels": ("待核实宗数", "not judged (to verify)"),
    "unknown_area_mu": ("待核实面积（亩）", "not judged (mu)"),
    "after_as_of_approvals": ("基准日后批准（未计入）", "approvals after as-of (left out)"),
    "after_as_of_supplies": ("基准日后供地（未计入）", "supplies after as-of (left out)"),
    "dates_out_of_order": ("日期先后矛盾宗数", "dates out of order"),
    "implausible_price_parcels": ("价款单价存疑宗数", "implausible land prices"),
    "notes": ("说明", "notes"),
    # ---- audit: tables
    "batch_id": ("批次", "batch"),
    "approval_no": ("批准文号", "approval no."),
    "approved_on": ("批准日期", "approved on"),
    "approval_type": ("批准类型", "approval type"),
    "match_method": ("匹配方式", "matched by"),
    "lapsed": ("已失效", "lapsed"),
    "age_years": ("批后年限（年）", "age (years)"),
    "year": ("批准年度", "approval year"),
    "batches": ("批次数", "batches"),
    "in_window": ("计入近五年", "in 5-year window"),
    "supply_id": ("电子监管号", "supply id"),
    "supplied_on": ("供地日期", "supplied on"),
    "supply_method": ("供地方式", "supply method"),
    "status": ("状态", "status"),
    "agreed_start": ("约定动工日期", "agreed start"),
    "actual_start": ("实际动工日期", "actual start"),
    "days_late": ("逾期天数", "days late"),
    "area_mu": ("面积（亩）", "area (mu)"),
    "area_ha": ("面积（公顷）", "area (ha)"),
    "area_m2": ("面积（平方米）", "area (m²)"),
    "idle_fee": ("闲置费（元）", "idle fee (yuan)"),
    "land_price": ("成交价款（元）", "land price (yuan)"),
    "recoverable": ("可无偿收回", "recoverable"),
    "township": ("乡镇", "township"),
    # ---- zones: summary
    "by": ("构成口径", "composition by"),
    "source": ("土地利用来源", "land-use source"),
    "scheme": ("分类体系", "classification"),
    "units": ("统计单元数", "units"),
    "units_area_ha": ("统计单元面积（公顷）", "units area (ha)"),
    "landuse_in_units_ha": ("单元内用地面积（公顷）", "land use inside units (ha)"),
    "overlap_units": ("相互重叠的单元数", "overlapping units"),
    "landuse_area_ha": ("用地总面积（公顷）", "land-use area (ha)"),
    "landuse_outside_units_ha": ("单元外用地面积（公顷）", "land use outside units (ha)"),
    "unknown_codes": ("未识别地类编码数", "unknown class codes"),
    "kc_area_ha": ("扣除田坎面积（公顷）", "deducted field ridges (ha)"),
    "single_share": ("单一功能占比阈值", "single-function share"),
    "min_zone_area_m2": ("最小分区面积（平方米）", "minimum zone area (m²)"),
    "cells": ("网格数", "cells"),
    "zones": ("功能分区数", "zones"),
    "zones_merged": ("合并的小分区数", "small zones merged"),
    "small_isolated_zones": ("孤立小分区数", "small isolated zones"),
    "cells_production": ("生产主导网格", "production cells"),
    "cells_living": ("生活主导网格", "living cells"),
    "cells_ecological": ("生态主导网格", "ecological cells"),
    "cells_mixed": ("混合网格", "mixed cells"),
    "cells_none": ("无数据网格", "cells without data"),
    "production_ha": ("生产空间（公顷）", "production (ha)"),
    "living_ha": ("生活空间（公顷）", "living (ha)"),
    "ecological_ha": ("生态空间（公顷）", "ecological (ha)"),
    "eco_index": ("生态质量指数", "eco index"),
    "mean_entropy": ("平均混合度（熵）", "mean entropy"),
    "zoning_types": ("控制线类型", "control line types"),
    "ugb_area_ha": ("城镇开发边界面积（公顷）", "urban growth boundary (ha)"),
    "ugb_existing_urban_ha": ("边界内现状城镇建设用地（公顷）", "existing urban land inside (ha)"),
    "ugb_expansion_multiple": ("城镇开发边界扩展倍数", "UGB expansion multiple"),
    "ugb_basis": ("扩展倍数计算口径", "basis of the multiple"),
    # ---- zones: township table (totals in the summary are "total_" + column)
    "name": ("名称", "name"),
    "code": ("代码", "code"),
    "production_mu": ("生产空间（亩）", "production (mu)"),
    "living_mu": ("生活空间（亩）", "living (mu)"),
    "ecological_mu": ("生态空间（亩）", "ecological (mu)"),
    "agricultural_land_mu": ("农用地（亩）", "agricultural land (mu)"),
    "construction_land_mu": ("建设用地（亩）", "construction land (mu)"),
    "unused_land_mu": ("未利用地（亩）", "unused land (mu)"),
    "recorded_mu": ("调查面积（亩）", "recorded area (mu)"),
    "construction_share": ("建设用地占比", "construction share"),
    "entropy": ("混合度（熵）", "entropy"),
    "ugb_mu": ("城镇开发边界（亩）", "urban growth boundary (mu)"),
    "construction_outside_ugb_mu": ("边界外建设用地（亩）", "construction outside the UGB (mu)"),
    "basic_farmland_mu": ("永久基本农田（亩）", "basic farmland (mu)"),
    "cultivated_in_farmland_mu": ("农田内耕地（亩）", "cultivated in basic farmland (mu)"),
    "non_cultivated_in_farmland_mu": (
        "农田内非耕地（亩）",
        "not cultivated in basic farmland (mu)",
    ),
    "eco_redline_mu": ("生态保护红线（亩）", "ecological red line (mu)"),
    "construction_in_redline_mu": ("红线内建设用地（亩）", "construction in the red line (mu)"),
    # ---- zones: cells and zones
    "cell_id": ("网格", "cell"),
    "unit_id": ("单元", "unit"),
    "dominant": ("主导功能", "dominant"),
    "mix_label": ("混合类型", "mix"),
    "production": ("生产", "production"),
    "living": ("生活", "living"),
    "ecological": ("生态", "ecological"),
    "zone_id": ("分区", "zone"),
    "label": ("类型", "type"),
    "n_units": ("网格数", "units"),
    # ---- connectivity
    "parks": ("园区数", "parks"),
    "parks_reaching_trunk": ("可达干线园区", "parks reaching a trunk road"),
    "parks_reaching_motorway": ("可达高速园区", "parks reaching a motorway"),
    "parks_within_30min": ("30分钟内上高速园区", "parks within 30 min of a motorway"),
    "share_within_30min": ("30分钟内上高速比例", "share within 30 min of a motorway"),
    "parks_detour_flagged": ("绕行过远园区", "parks with a long detour"),
    "parks_single_access_route": ("仅一条通道园区", "parks with one access route"),
    "parks_snapped_beyond_tolerance": ("远离路网的园区", "parks joined beyond the snap distance"),
    "parks_with_reason": ("有问题园区", "parks with a note"),
    "median_trunk_distance_m": ("至干线距离中位数（米）", "median distance to trunk (m)"),
    "max_trunk_distance_m": ("至干线最远距离（米）", "max distance to trunk (m)"),
    "median_trunk_time_min": ("至干线时间中位数（分钟）", "median time to trunk (min)"),
    "median_motorway_time_min": ("至高速时间中位数（分钟）", "median time to motorway (min)"),
    "max_motorway_time_min": ("至高速最长时间（分钟）", "max time to motorway (min)"),
    "max_routes": ("通道数上限", "access routes counted up to"),
    "snap_tolerance_m": ("园区接入距离（米）", "snap distance (m)"),
    "max_snap_m": ("最大接入距离（米）", "max snap distance (m)"),
    "detour_limit": ("绕行系数上限", "detour limit"),
    "network_nodes": ("路网节点数", "network nodes"),
    "network_edges": ("路网路段数", "network edges"),
    "trunk_nodes": ("干线节点数", "trunk nodes"),
    "motorway_entrances": ("高速出入口数", "motorway entrances"),
    "ways_cut": ("截断的道路数", "ways cut"),
    "unnoded_ends": ("未连通端点数", "unconnected ends"),
    "oneway_fallback": ("单行标记无法识别", "one-way tags not understood"),
    "maxspeed_fallback": ("限速无法识别（按等级默认）", "speed limits not understood"),
    "park_id": ("园区编号", "park id"),
    "level": ("级别", "level"),
    "access_nodes": ("接入节点数", "access nodes"),
    "snap_distance_m": ("接入距离（米）", "snap distance (m)"),
    "trunk_distance_m": ("至干线距离（米）", "to trunk (m)"),
    "trunk_time_min": ("至干线时间（分钟）", "to trunk (min)"),
    "nearest_trunk_ref": ("最近干线", "nearest trunk"),
    "motorway_distance_m": ("至高速出入口距离（米）", "to motorway (m)"),
    "motorway_time_min": ("至高速时间（分钟）", "to motorway (min)"),
    "detour_index": ("绕行系数", "detour index"),
    "detour_flag": ("绕行过远", "long detour"),
    "access_routes": ("独立通道数", "access routes"),
    "within_30min": ("30分钟内上高速", "motorway within 30 min"),
    "reason": ("说明", "note"),
    "target": ("目标", "target"),
    "to_ref": ("干线编号", "trunk ref"),
    "distance_m": ("距离（米）", "distance (m)"),
    "time_min": ("时间（分钟）", "time (min)"),
    "minutes": ("时间预算（分钟）", "budget (min)"),
    "nodes_reached": ("到达节点数", "nodes reached"),
    # ---- hierarchy
    "settlements": ("居民点数", "settlements"),
    "county_seat": ("县城", "county seat"),
    "n_central_town": ("中心镇数", "central towns"),
    "n_town": ("一般镇（乡）数", "towns"),
    "n_village": ("村数", "villages"),
    "central_towns": ("中心镇名单", "central towns"),
    "central_inferred": ("中心镇由评分推断", "central towns inferred"),
    "off_network": ("不在路网上", "off the road network"),
    "no_parent": ("无上级", "without a parent"),
    "seat_unreachable": ("无法到达县城", "county seat unreachable"),
    "unnamed": ("未命名居民点", "unnamed settlements"),
    "max_snap_distance_m": ("最大接入距离（米）", "max snap distance (m)"),
    "max_time_to_seat_min": ("至县城最长时间（分钟）", "max time to seat (min)"),
    "max_village_time_min": ("村至镇最长时间（分钟）", "max village-town time (min)"),
    "seat_town_target_min": ("县城至乡镇目标（分钟）", "seat-town target (min)"),
    "seat_town_checked": ("核查乡镇数", "towns checked"),
    "seat_town_meet": ("乡镇达标数", "towns meeting target"),
    "seat_town_miss": ("乡镇未达标数", "towns missing target"),
    "seat_town_share_meeting": ("乡镇达标比例", "share of towns meeting target"),
    "seat_town_max_min": ("县城至乡镇最长时间（分钟）", "max seat-town time (min)"),
    "town_village_target_min": ("乡镇至村目标（分钟）", "town-village target (min)"),
    "town_village_checked": ("核查村数", "villages checked"),
    "town_village_meet": ("村达标数", "villages meeting target"),
    "town_village_miss": ("村未达标数", "villages missing target"),
    "town_village_share_meeting": ("村达标比例", "share of villages meeting target"),
    "town_village_max_min": ("乡镇至村最长时间（分钟）", "max town-village time (min)"),
    "kind": ("类型", "kind"),
    "tier": ("等级", "tier"),
    "population": ("人口", "population"),
    "parent": ("上级", "parent"),
    "time_to_parent_min": ("至上级（分钟）", "to parent (min)"),
    "time_to_seat_min": ("至县城（分钟）", "to seat (min)"),
    "score": ("中心性评分", "score"),
    "check": ("检查", "check"),
    "counterpart": ("对应居民点", "to/from"),
    "target_min": ("目标（分钟）", "target (min)"),
    "shortfall_min": ("超出（分钟）", "over by (min)"),
    "meets": ("达标", "meets"),
    "link": ("联系", "link"),
}

#: the key figures of each analysis (report cards, notebook tables), in order
KEY_FIGURES: dict[str, tuple[str, ...]] = {
    "audit": (
        "approved_area_mu", "supplied_area_mu", "unsupplied_area_mu", "supply_rate",
        "supply_rate_5y", "idle_parcels", "idle_area_mu", "idle_fee_total_wan",
        "recoverable_parcels", "supplied_unused_parcels", "unknown_parcels",
        "unmatched_supply_area_mu",
    ),
    "zones": (
        "production_ha", "living_ha", "ecological_ha", "cells", "cells_production",
        "cells_living", "cells_ecological", "cells_mixed", "zones", "eco_index", "mean_entropy",
        "ugb_expansion_multiple",
    ),
    "composition": ("by", "source", "scheme", "units", "units_area_ha", "unknown_codes"),
    "connectivity": (
        "parks", "parks_reaching_trunk", "parks_within_30min", "share_within_30min",
        "median_trunk_distance_m", "median_trunk_time_min", "median_motorway_time_min",
        "max_motorway_time_min", "parks_detour_flagged", "parks_single_access_route",
        "parks_with_reason",
    ),
    "hierarchy": (
        "county_seat", "settlements", "n_central_town", "n_town", "n_village", "central_towns",
        "max_time_to_seat_min", "seat_town_share_meeting", "seat_town_miss",
        "town_village_share_meeting", "town_village_miss", "off_network",
    ),
}  # fmt: skip

#: figures and columns that are indices: always two decimals
INDEX_FIELDS = frozenset(
    {
        "eco_index", "mean_entropy", "entropy", "detour_index", "detour_limit", "score",
        "ugb_expansion_multiple",
    }
)  # fmt: skip


def is_index(key: str) -> bool:
    """Whether a column or figure is an index (shown with two decimals)."""
    return key in INDEX_FIELDS or key.startswith("score_")


def field_label(key: str, lang: str) -> str:
    """The label of a column or summary key; ``total_<column>`` as "合计 …"; unknown keys in
    words (underscores as spaces).

    Examples
    --------
    >>> field_label("total_ugb_mu", "zh"), field_label("ugb_mu", "en")
    ('合计城镇开发边界（亩）', 'urban growth boundary (mu)')
    """
    if key in FIELDS:
        return _pick(FIELDS[key], lang)
    if key.startswith("total_") and key[6:] in FIELDS:
        inner = _pick(FIELDS[key[6:]], lang)
        return f"合计{inner}" if lang == "zh" else f"total {inner}"
    return key.replace("_", " ")


def field_labels(keys: Iterable[str], lang: str, **overrides: tuple[str, str]) -> dict[str, str]:
    """``{key: label}`` for a table's columns; ``overrides`` give (zh, en) for some of them.

    Examples
    --------
    >>> field_labels(["name", "area_mu"], "zh", name=("乡镇", "township"))
    {'name': '乡镇', 'area_mu': '面积（亩）'}
    """
    return {k: _pick(overrides[k], lang) if k in overrides else field_label(k, lang) for k in keys}


# --------------------------------------------------------------------------- sentences

#: English sentences of the analyses and readers -> Chinese (regex, template with \\g<n>)
_SENTENCES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), zh)
    for p, zh in (
        # hierarchy reasons
        (r"^no road node within (?P<d>[\d.,]+) m \(no road node at all\)$",
         r"\g<d> 米内没有道路节点（路网中没有节点）"),
        (r"^no road node within (?P<d>[\d.,]+) m \(nearest (?P<n>[\d.,]+) m\)$",
         r"\g<d> 米内没有道路节点（最近的节点 \g<n> 米）"),
        (r"^no town reachable by road$", "无法经道路到达任何乡镇"),
        (r"^neither a central town nor the county seat reachable by road$",
         "无法经道路到达中心镇或县城"),
        (r"^county seat not reachable by road$", "无法经道路到达县城"),
        # connectivity reasons
        (r"^feature has no geometry$", "要素没有几何图形"),
        (r"^no road within (?P<d>[\d.,]+) m \(nearest network node (?P<n>[\d.,]+) m away; "
         r"the road data may not cover this park\)$",
         r"\g<d> 米内没有道路（最近的路网节点 \g<n> 米，道路数据可能未覆盖该园区）"),
        (r"^the road network has no trunk routes$", "路网中没有干线公路"),
        (r"^no trunk route can be reached by road from the park .*$",
         "园区无法经道路到达干线公路（所在路网片区没有干线，或单行道阻断出路）"),
        (r"^the road network has no motorway entrances$", "路网中没有高速公路出入口"),
        (r"^no motorway entrance can be reached by road from the park$",
         "园区无法经道路到达高速公路出入口"),
        # zones
        (r"^construction land with CZCSXM 201/202 inside the UGB$",
         "城镇开发边界内城市、建制镇（城镇村属性码201、202）的建设用地"),
        (r"^all construction land inside the UGB .*$",
         "城镇开发边界内全部建设用地（数据无城镇村属性码，无法区分城镇用地）"),
        # read notes
        (r"^(?P<n>\d+) geometries had unclosed rings \(closed when read\)$",
         r"\g<n> 个图形的边界未闭合（读取时已闭合）"),
        (r"^(?P<n>\d+) invalid geometries repaired \(make_valid\)$",
         r"\g<n> 个无效图形已修复"),
        (r"^(?P<n>\d+) features without geometry dropped$", r"\g<n> 个无图形要素已剔除"),
        (r"^(?P<n>\d+) features dropped: no geometry of the right kind left after repair$",
         r"\g<n> 个要素修复后无有效图形，已剔除"),
        (r"^CRS assigned by the caller: (?P<c>.*)$", r"坐标系由配置指定：\g<c>"),
    )
)  # fmt: skip


def translate(text: Any, lang: str) -> Any:
    """A sentence an analysis wrote in English, in ``lang``; several joined by "; " are
    translated one by one. Text it does not know (and anything in English) is returned as is.

    Examples
    --------
    >>> translate("no road node within 2000 m (nearest 2345 m)", "zh")
    '2000 米内没有道路节点（最近的节点 2345 米）'
    >>> translate("the road network has no trunk routes; feature has no geometry", "zh")
    '路网中没有干线公路；要素没有几何图形'
    """
    if lang != "zh" or not isinstance(text, str) or not text:
        return text
    whole = _sentence(text)
    if whole is not None:
        return whole
    return "；".join(_sentence(part) or part for part in text.split("; "))


def _sentence(text: str) -> str | None:
    for pattern, zh in _SENTENCES:
        if pattern.match(text):
            return pattern.sub(zh, text)
    return None


# --------------------------------------------------------------------------- CRS


def _gk(epsg: int) -> tuple[int, int | None, int] | None:
    """(band width, zone number when the coordinates carry it, central meridian) of a
    CGCS2000 Gauss–Krüger EPSG code, else None."""
    if 4513 <= epsg <= 4533:
        zone = 25 + epsg - 4513
        return 3, zone, 3 * zone
    if 4534 <= epsg <= 4554:
        return 3, None, 75 + 3 * (epsg - 4534)
    if 4491 <= epsg <= 4501:
        zone = 13 + epsg - 4491
        return 6, zone, 6 * zone - 3
    if 4502 <= epsg <= 4512:
        return 6, None, 75 + 6 * (epsg - 4502)
    return None


def crs_title(crs: Any, lang: str) -> str:
    """The CRS as a report's title page writes it.

    Examples
    --------
    >>> crs_title("EPSG:4527", "zh")
    'CGCS2000 3度带高斯-克吕格投影 第39带 中央经线117°E（EPSG:4527）'
    >>> crs_title(32650, "zh"), crs_title(4547, "en")
    ('WGS 84 UTM投影 第50带（北半球）（EPSG:32650）', 'CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547)')
    """
    c = CRS.from_user_input(crs)
    epsg = c.to_epsg()
    if lang != "zh":
        return f"{c.name} (EPSG:{epsg})" if epsg else c.name
    tail = f"（EPSG:{epsg}）" if epsg else ""
    gk = _gk(epsg) if epsg else None
    if gk is not None:
        width, zone, cm = gk
        band = f" 第{zone}带" if zone is not None else ""
        return f"CGCS2000 {width}度带高斯-克吕格投影{band} 中央经线{cm}°E{tail}"
    if epsg is not None and (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
        hemi = "北半球" if epsg < 32700 else "南半球"
        return f"WGS 84 UTM投影 第{epsg % 100}带（{hemi}）{tail}"
    if epsg == 4490:
        return f"CGCS2000 地理坐标系{tail}"
    if epsg == 4326:
        return f"WGS 84 地理坐标系{tail}"
    return f"{c.name}{tail}"


# --------------------------------------------------------------------------- figures

_FIGURE_CODES = {"by": "composition_by", "source": "landuse_source", "scheme": "scheme"}


def format_figure(key: str, value: Any, lang: str) -> str | None:
    """A summary value as display text; None for values that are not scalars.

    Rates and shares in %, indices with two decimals, other numbers with thousands
    separators (two decimals for fractions), missing values as "—", codes and machine
    sentences in ``lang``.

    Examples
    --------
    >>> format_figure("supply_rate", 0.6121, "zh"), format_figure("eco_index", 1.0, "zh")
    ('61.2%', '1.00')
    >>> format_figure("idle_parcels", 1234, "zh"), format_figure("supply_rate_5y", None, "zh")
    ('1,234', '—')
    >>> format_figure("scheme", "sandiao", "zh")
    '第三次全国国土调查（三调）'
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return code_label("bool", str(value), lang)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        if "rate" in key or "share" in key or key.startswith("pct"):
            return f"{100 * value:.1f}%"
        if is_index(key):
            return f"{value:.2f}"
        return f"{value:,.2f}"
    if isinstance(value, str):
        if not value.strip():
            return "—"
        if key in _FIGURE_CODES:
            return code_label(_FIGURE_CODES[key], value, lang)
        return str(translate(value, lang))
    return None
