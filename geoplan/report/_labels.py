"""Labels of the analyses' key figures, table columns and statuses in the report (zh / en)."""

from __future__ import annotations

AUDIT_LABELS = {
    "zh": {
        "as_of": "基准日期", "approved_area_mu": "批准面积（亩）", "supplied_area_mu": "已供面积（亩）",
        "unsupplied_area_mu": "批而未供（亩）", "sliver_area_mu": "剔除碎片（亩）",
        "supply_rate": "供地率", "supply_rate_5y": "近五年供地率",
        "unsupplied_parcels": "批而未供图斑", "supplied_unused_parcels": "供而未用宗数",
        "idle_parcels": "闲置土地宗数", "idle_area_mu": "闲置面积（亩）",
        "idle_fee_total": "闲置费合计（元）", "recoverable_parcels": "可无偿收回宗数",
        "unmatched_supply_area_mu": "未匹配供地（亩）", "idle_fee_total_wan": "闲置费合计（万元）",
        "idle_fee_unknown_parcels": "闲置费无法计算宗数", "unknown_parcels": "待核实宗数",
        "unknown_area_mu": "待核实面积（亩）", "after_as_of_approvals": "基准日后批准（未计入）",
        "after_as_of_supplies": "基准日后供地（未计入）", "dates_out_of_order": "日期先后矛盾宗数",
        "implausible_price_parcels": "价款单价存疑宗数", "undated_supplies": "无供地日期记录数",
        "notes": "说明",
        "unmatched_sliver_area_mu": "未匹配供地碎片（亩）",
    },
    "en": {
        "as_of": "as of", "approved_area_mu": "approved (mu)", "supplied_area_mu": "supplied (mu)",
        "unsupplied_area_mu": "approved, unsupplied (mu)", "sliver_area_mu": "slivers dropped (mu)",
        "supply_rate": "supply rate", "supply_rate_5y": "5-year supply rate",
        "unsupplied_parcels": "unsupplied pieces", "supplied_unused_parcels": "supplied, unused",
        "idle_parcels": "idle parcels", "idle_area_mu": "idle area (mu)",
        "idle_fee_total": "idle fees (yuan)", "recoverable_parcels": "recoverable parcels",
        "unmatched_supply_area_mu": "unmatched supply (mu)",
        "idle_fee_total_wan": "idle fees (10k yuan)", "unknown_parcels": "not judged (to verify)",
        "unknown_area_mu": "not judged (mu)",
        "unmatched_sliver_area_mu": "unmatched slivers dropped (mu)",
        "undated_supplies": "supplies without a date",
    },
}  # fmt: skip

BATCH_COLS = {
    "zh": {"batch_id": "批次", "approval_no": "批准文号", "approved_on": "批准日期",
           "approved_area_mu": "批准（亩）", "supplied_area_mu": "已供（亩）",
           "unsupplied_area_mu": "未供（亩）", "supply_rate": "供地率", "match_method": "匹配方式"},
    "en": {"batch_id": "batch", "approval_no": "approval no.", "approved_on": "approved on",
           "approved_area_mu": "approved (mu)", "supplied_area_mu": "supplied (mu)",
           "unsupplied_area_mu": "unsupplied (mu)", "supply_rate": "supply rate",
           "match_method": "matched by"},
}  # fmt: skip

IDLE_COLS = {
    "zh": {"supply_id": "电子监管号", "batch_id": "批次", "status": "状态", "agreed_start": "约定动工",
           "days_late": "逾期天数", "area_mu": "面积（亩）", "idle_fee": "闲置费（元）",
           "recoverable": "可无偿收回", "township": "乡镇"},
    "en": {"supply_id": "supply id", "batch_id": "batch", "status": "status",
           "agreed_start": "agreed start", "days_late": "days late", "area_mu": "area (mu)",
           "idle_fee": "idle fee (yuan)", "recoverable": "recoverable", "township": "township"},
}  # fmt: skip

COHORT_COLS = {
    "zh": {"year": "批准年度", "batches": "批次数", "approved_area_mu": "批准（亩）",
           "supplied_area_mu": "已供（亩）", "unsupplied_area_mu": "未供（亩）",
           "sliver_area_mu": "碎片（亩）", "supply_rate": "供地率", "in_window": "计入近五年"},
    "en": {"year": "approval year", "batches": "batches", "approved_area_mu": "approved (mu)",
           "supplied_area_mu": "supplied (mu)", "unsupplied_area_mu": "unsupplied (mu)",
           "sliver_area_mu": "slivers (mu)", "supply_rate": "supply rate",
           "in_window": "in 5-year window"},
}  # fmt: skip

STATUS_LABELS = {
    "zh": {"idle_type1": "闲置（一类）", "idle_type2": "闲置（二类）", "supplied_unused": "供而未用",
           "not_due": "未到期", "started": "已动工", "unknown": "待核实"},
    "en": {"idle_type1": "idle (not started)", "idle_type2": "idle (suspended)",
           "supplied_unused": "supplied, unused", "not_due": "not yet due", "started": "started",
           "unknown": "to verify (not judged)"},
}  # fmt: skip

ZONES_LABELS = {
    "zh": {"cells": "网格数", "zones": "功能分区数", "production_ha": "生产空间（公顷）",
           "living_ha": "生活空间（公顷）", "ecological_ha": "生态空间（公顷）",
           "cells_production": "生产主导网格", "cells_living": "生活主导网格",
           "cells_ecological": "生态主导网格", "cells_mixed": "混合网格",
           "eco_index": "生态质量指数", "mean_entropy": "平均混合度（熵）",
           "ugb_expansion_multiple": "城镇开发边界扩展倍数"},
    "en": {"production_ha": "production (ha)", "living_ha": "living (ha)",
           "ecological_ha": "ecological (ha)", "eco_index": "eco index",
           "mean_entropy": "mean entropy", "ugb_expansion_multiple": "UGB expansion multiple"},
}  # fmt: skip

ZONES_KEYS = (
    "production_ha", "living_ha", "ecological_ha", "cells", "cells_production", "cells_living",
    "cells_ecological", "cells_mixed", "zones", "eco_index", "mean_entropy",
    "ugb_expansion_multiple",
)  # fmt: skip

TOWNSHIP_COLS = {
    "zh": {"name": "乡镇", "area_mu": "面积（亩）", "production_mu": "生产（亩）",
           "living_mu": "生活（亩）", "ecological_mu": "生态（亩）",
           "construction_share": "建设用地占比", "entropy": "混合度（熵）"},
    "en": {"name": "township", "area_mu": "area (mu)", "production_mu": "production (mu)",
           "living_mu": "living (mu)", "ecological_mu": "ecological (mu)",
           "construction_share": "construction share", "entropy": "entropy"},
}  # fmt: skip

CONNECTIVITY_LABELS = {
    "zh": {"parks": "园区数", "parks_reaching_trunk": "可达干线园区",
           "parks_reaching_motorway": "可达高速园区", "parks_within_30min": "30分钟内上高速园区",
           "share_within_30min": "30分钟内上高速比例", "parks_detour_flagged": "绕行过远园区",
           "parks_single_access_route": "仅一条通道园区",
           "median_trunk_distance_m": "至干线距离中位数（米）",
           "median_trunk_time_min": "至干线时间中位数（分）",
           "median_motorway_time_min": "至高速时间中位数（分）",
           "max_motorway_time_min": "至高速最长时间（分）", "parks_with_reason": "有问题园区"},
    "en": {"share_within_30min": "share within 30 min of a motorway"},
}  # fmt: skip

CONNECTIVITY_KEYS = (
    "parks", "parks_reaching_trunk", "parks_within_30min", "share_within_30min",
    "median_trunk_distance_m", "median_trunk_time_min", "median_motorway_time_min",
    "max_motorway_time_min", "parks_detour_flagged", "parks_single_access_route",
    "parks_with_reason",
)  # fmt: skip

PARK_COLS = {
    "zh": {"park_id": "园区编号", "name": "园区", "trunk_distance_m": "至干线距离（米）",
           "trunk_time_min": "至干线时间（分）", "nearest_trunk_ref": "最近干线",
           "motorway_distance_m": "至高速出入口距离（米）", "motorway_time_min": "至高速时间（分）",
           "detour_index": "绕行系数", "access_routes": "独立通道数",
           "within_30min": "30分钟内上高速", "reason": "说明"},
    "en": {"park_id": "park id", "name": "park", "trunk_distance_m": "to trunk (m)",
           "trunk_time_min": "to trunk (min)", "nearest_trunk_ref": "nearest trunk",
           "motorway_distance_m": "to motorway (m)", "motorway_time_min": "to motorway (min)",
           "detour_index": "detour index", "access_routes": "access routes",
           "within_30min": "motorway within 30 min", "reason": "note"},
}  # fmt: skip

REACH_COLS = {
    "zh": {"check": "检查", "name": "居民点", "counterpart": "对应", "target_min": "目标（分）",
           "time_min": "时间（分）", "shortfall_min": "超出（分）", "reason": "说明"},
    "en": {"check": "check", "name": "settlement", "counterpart": "to/from",
           "target_min": "target (min)", "time_min": "time (min)",
           "shortfall_min": "over by (min)", "reason": "note"},
}  # fmt: skip

SETTLEMENT_COLS = {
    "zh": {"name": "名称", "tier": "等级", "population": "人口", "parent": "上级",
           "time_to_parent_min": "至上级（分）", "time_to_seat_min": "至县城（分）",
           "score": "中心性评分", "reason": "说明"},
    "en": {"name": "name", "tier": "tier", "population": "population", "parent": "parent",
           "time_to_parent_min": "to parent (min)", "time_to_seat_min": "to seat (min)",
           "score": "score", "reason": "note"},
}  # fmt: skip

HIERARCHY_LABELS = {
    "zh": {"settlements": "居民点", "county_seat": "县城", "n_central_town": "中心镇",
           "n_town": "一般镇（乡）", "n_village": "村", "central_towns": "中心镇名单",
           "central_inferred": "中心镇由评分推断", "off_network": "不在路网上",
           "no_parent": "无上级", "seat_unreachable": "无法到达县城",
           "max_time_to_seat_min": "至县城最长时间（分）",
           "max_village_time_min": "村至镇最长时间（分）",
           "seat_town_target_min": "县城至乡镇目标（分）", "seat_town_miss": "乡镇未达标",
           "seat_town_share_meeting": "乡镇达标比例", "town_village_target_min": "镇至村目标（分）",
           "town_village_miss": "村未达标", "town_village_share_meeting": "村达标比例"},
    "en": {"settlements": "settlements", "county_seat": "county seat",
           "n_central_town": "central towns", "n_town": "towns", "n_village": "villages",
           "central_towns": "central towns", "max_time_to_seat_min": "max time to seat (min)",
           "max_village_time_min": "max village-town time (min)",
           "seat_town_miss": "towns missing target", "seat_town_share_meeting": "towns meeting target",
           "town_village_miss": "villages missing target",
           "town_village_share_meeting": "villages meeting target"},
}  # fmt: skip

HIERARCHY_KEYS = (
    "county_seat", "settlements", "n_central_town", "n_town", "n_village", "central_towns",
    "max_time_to_seat_min", "seat_town_share_meeting", "seat_town_miss",
    "town_village_share_meeting", "town_village_miss", "off_network",
)  # fmt: skip

AUDIT_KEYS = (
    "approved_area_mu", "supplied_area_mu", "unsupplied_area_mu", "supply_rate", "supply_rate_5y",
    "idle_parcels", "idle_area_mu", "idle_fee_total_wan", "recoverable_parcels",
    "supplied_unused_parcels", "unknown_parcels", "unmatched_supply_area_mu",
)  # fmt: skip

EFFICIENCY_LABELS = {
    "zh": {
        "as_of": "评价基准日", "scheme": "评价方案", "firms": "参评企业", "firms_above": "规上企业",
        "firms_below": "规下企业", "linked_by_supply_id": "按电子监管号关联",
        "linked_by_point": "按坐标关联", "linked_by_declared": "按申报面积",
        "unlinked_firms": "无用地数据企业", "class_A": "A类", "class_B": "B类", "class_C": "C类",
        "class_D": "D类", "class_exempt": "不定等级", "class_unknown": "待核实",
        "firm_land_mu": "企业用地（亩）", "tax_total_wan": "税收合计（万元）",
        "tax_per_mu": "亩均税收（万元/亩）", "industrial_land_mu": "工业供地（亩）",
        "vacant_industrial_plots": "无企业工业用地宗数", "vacant_industrial_mu": "无企业工业用地（亩）",
        "low_efficiency_plots": "低效用地宗数", "low_efficiency_mu": "低效用地（亩）",
        "unsupplied_mu": "批而未供（亩）", "idle_mu": "闲置土地（亩）", "stock_mu": "存量土地合计（亩）",
        "new_quota_mu": "增存挂钩新增计划（亩）", "standard_plots": "标准地宗数",
        "standard_met": "标准地达标", "standard_not_met": "标准地未达标",
        "standard_not_due": "标准地未到考核期", "standard_unknown": "标准地待核实",
    },
    "en": {
        "firms": "enterprises", "class_exempt": "exempt (managed as B)",
        "class_unknown": "not judged (to verify)", "tax_per_mu": "tax per mu (10k yuan)",
        "low_efficiency_mu": "inefficient land (mu)", "stock_mu": "stock land (mu)",
        "new_quota_mu": "new quota (mu)", "unsupplied_mu": "unsupplied (mu)", "idle_mu": "idle (mu)",
    },
}  # fmt: skip
EFFICIENCY_KEYS = ("firms", "class_A", "class_D", "class_unknown", "tax_per_mu",
                   "low_efficiency_mu", "stock_mu", "new_quota_mu")  # fmt: skip
EFFICIENCY_CLASS_LABELS = {
    "zh": {"A": "A类（优先发展）", "B": "B类（鼓励提升）", "C": "C类（规范转型）", "D": "D类（调控帮扶）",
           "exempt": "不定等级", "unknown": "待核实"},
    "en": {"A": "A (priority)", "B": "B (encouraged)", "C": "C (to upgrade)", "D": "D (to restructure)",
           "exempt": "exempt", "unknown": "to verify"},
}  # fmt: skip
EFFICIENCY_PARK_COLS = {
    "zh": {"tax_rank": "排名", "name": "园区", "n_firms": "企业数", "n_A": "A类", "n_B": "B类",
           "n_C": "C类", "n_D": "D类", "firm_land_mu": "企业用地（亩）", "tax": "税收（万元）",
           "tax_per_mu": "亩均税收（万元/亩）", "vacant_land_mu": "无企业工业用地（亩）",
           "low_efficiency_mu": "低效用地（亩）"},
    "en": {"tax_rank": "rank", "name": "park", "n_firms": "firms", "n_A": "A", "n_B": "B",
           "n_C": "C", "n_D": "D", "firm_land_mu": "firm land (mu)", "tax": "tax (10k yuan)",
           "tax_per_mu": "tax per mu", "vacant_land_mu": "vacant industrial (mu)",
           "low_efficiency_mu": "inefficient (mu)"},
}  # fmt: skip
STOCK_LEDGER_COLS = {
    "zh": {"unit_kind_zh": "单元类型", "unit": "统计单元", "unsupplied_mu": "批而未供（亩）",
           "idle_mu": "闲置（亩）", "low_efficiency_mu": "低效（亩）", "stock_mu": "合计（亩）",
           "new_quota_mu": "增存挂钩新增计划（亩）"},
    "en": {"unit_kind": "kind", "unit": "unit", "unsupplied_mu": "unsupplied (mu)",
           "idle_mu": "idle (mu)", "low_efficiency_mu": "inefficient (mu)", "stock_mu": "total (mu)",
           "new_quota_mu": "new quota (mu)"},
}  # fmt: skip
LOW_COLS = {
    "zh": {"supply_id": "电子监管号", "township": "乡镇", "park": "园区", "firms": "企业",
           "low_reasons": "低效原因", "low_area_mu": "低效面积（亩）"},
    "en": {"supply_id": "supply id", "township": "township", "park": "park", "firms": "firms",
           "low_reasons": "reasons", "low_area_mu": "inefficient area (mu)"},
}  # fmt: skip
