"""What the report shows of each analysis: its key-figure cards and table columns.

The words come from :mod:`geoplan.labels` (one table for the report, the maps and the
notebook); the ``*_LABELS`` dicts here only override a label for the report (none do now).
"""

from __future__ import annotations

from geoplan.labels import KEY_FIGURES, field_labels

#: label overrides per analysis, {lang: {summary key: label}}, on top of geoplan.labels
AUDIT_LABELS: dict[str, dict[str, str]] = {}
ZONES_LABELS: dict[str, dict[str, str]] = {}
CONNECTIVITY_LABELS: dict[str, dict[str, str]] = {}
HIERARCHY_LABELS: dict[str, dict[str, str]] = {}

#: summary keys never shown as figures: the as-of date is on the title page, the notes open the
#: section, a money total is shown in 万元 only, lists are not figures
HIDDEN_FIGURES = frozenset({"as_of", "notes", "idle_fee_total", "zoning_types"})


def _columns(*keys: str, **overrides: tuple[str, str]) -> dict[str, dict[str, str]]:
    return {lang: field_labels(keys, lang, **overrides) for lang in ("zh", "en")}


BATCH_COLS = _columns(
    "batch_id", "approval_no", "approved_on", "approved_area_mu", "supplied_area_mu",
    "unsupplied_area_mu", "supply_rate", "match_method",
)  # fmt: skip

IDLE_COLS = _columns(
    "supply_id", "batch_id", "status", "agreed_start", "days_late", "area_mu", "idle_fee",
    "recoverable", "township",
)  # fmt: skip

COHORT_COLS = _columns(
    "year", "batches", "approved_area_mu", "supplied_area_mu", "unsupplied_area_mu",
    "sliver_area_mu", "supply_rate", "in_window",
)  # fmt: skip

#: the township table: 三生 areas, then the 三区三线 checks when zoning was given
TOWNSHIP_COLS = _columns(
    "name", "area_mu", "production_mu", "living_mu", "ecological_mu", "construction_share",
    "entropy", "ugb_mu", "construction_outside_ugb_mu", "basic_farmland_mu",
    "cultivated_in_farmland_mu", "non_cultivated_in_farmland_mu", "eco_redline_mu",
    "construction_in_redline_mu",
    name=("乡镇", "township"),
)  # fmt: skip

PARK_COLS = _columns(
    "park_id", "name", "trunk_distance_m", "trunk_time_min", "nearest_trunk_ref",
    "motorway_distance_m", "motorway_time_min", "detour_index", "access_routes", "within_30min",
    "reason",
    name=("园区", "park"),
)  # fmt: skip

REACH_COLS = _columns(
    "check", "name", "counterpart", "target_min", "time_min", "shortfall_min", "reason",
    name=("居民点", "settlement"),
)  # fmt: skip

SETTLEMENT_COLS = _columns(
    "name", "tier", "population", "parent", "time_to_parent_min", "time_to_seat_min", "score",
    "reason",
)  # fmt: skip

AUDIT_KEYS = KEY_FIGURES["audit"]
ZONES_KEYS = KEY_FIGURES["zones"]
CONNECTIVITY_KEYS = KEY_FIGURES["connectivity"]
HIERARCHY_KEYS = KEY_FIGURES["hierarchy"]

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
