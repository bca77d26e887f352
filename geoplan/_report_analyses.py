"""The analyses the report runs: what each needs, how it is run on a County, what it shows.

Each analysis returns a result object with the contract of every geoplan analysis (``summary``,
``to_files``, ``add_to_map`` and its GeoDataFrames); the report only uses those members. The
tables and charts below look for the columns each analysis documents and leave out what is not
there, so a result that grows new columns never breaks the report.
"""

from __future__ import annotations

import importlib.util
import inspect
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
from markupsafe import Markup

from geoplan._report_html import bar_chart, stacked_shares, table
from geoplan._report_text import KIND_LABELS, SANSHENG_COLORS, SANSHENG_LABELS, t
from geoplan.county import County
from geoplan.errors import InputError

logger = logging.getLogger(__name__)


@dataclass
class Context:
    """Things several analyses share while one report is built (the road network)."""

    county: County
    lang: str
    _network: Any = None

    def network(self) -> Any:
        if self._network is None:
            from geoplan.county import is_osm_file
            from geoplan.network import road_network

            c = self.county
            src = c.source("roads")
            # network options (speeds, trunk classes) live in [parameters.connectivity]; one
            # network serves connectivity and hierarchy
            net_kw = self.connectivity_options()[0]
            # an OSM extract is read by the network builder; a line layer comes from the County
            # (its field mapping applied), both in the county's CRS
            roads = src if is_osm_file(src) else c.layer("roads")
            self._network = road_network(roads, crs=c.crs, **net_kw)
        return self._network

    def connectivity_options(self) -> tuple[dict[str, Any], dict[str, Any]]:
        from geoplan.connectivity import connectivity_options

        opts: tuple[dict[str, Any], dict[str, Any]] = connectivity_options(
            self.county.params("connectivity")
        )
        return opts

    def townships(self) -> gpd.GeoDataFrame | None:
        return self.county.layer("townships") if self.county.has("townships") else None


@dataclass(frozen=True)
class Analysis:
    key: str
    module: str
    roles: tuple[tuple[str, ...], ...]  # every group needs one of its roles
    run: Callable[[Context], Any]
    blocks: Callable[[Any, str], list[Markup]]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    figure_keys: tuple[str, ...] = ()  # summary keys shown as cards (default: all)

    def available(self) -> bool:
        return importlib.util.find_spec(self.module) is not None

    def missing_roles(self, county: County) -> list[str]:
        return [" / ".join(group) for group in self.roles if not any(county.has(r) for r in group)]


# --------------------------------------------------------------------------- helpers


def _frame(result: Any, name: str) -> pd.DataFrame | None:
    value = getattr(result, name, None)
    if not isinstance(value, pd.DataFrame) or value.empty:
        return None
    if isinstance(value, gpd.GeoDataFrame):
        return pd.DataFrame(value.drop(columns=value.geometry.name))
    return value


def _kwargs_for(func: Callable[..., Any], **available: Any) -> dict[str, Any]:
    """The subset of ``available`` that ``func`` accepts as keywords."""
    try:
        params = inspect.signature(func).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return available
    return {k: v for k, v in available.items() if k in params}


def format_figure(key: str, value: Any, lang: str) -> str | None:
    """A summary value as display text; None for values that are not scalars."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("yes" if value else "no")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        if "rate" in key or "share" in key or key.startswith("pct"):
            return f"{100 * value:.1f}%"
        return f"{value:,.2f}"
    if isinstance(value, str):
        return value if value.strip() else "—"
    return None


def summary_figures(
    summary: dict[str, Any], analysis: Analysis, lang: str
) -> tuple[list[tuple[str, str]], Markup | None]:
    """Key-figure cards (the analysis's chosen keys, or all) and a table of every figure."""
    names = analysis.labels.get(lang, {})
    every = []
    for key, value in summary.items():
        text = format_figure(key, value, lang)
        if text is not None:
            every.append((key, names.get(key, key.replace("_", " ")), text))
    if not analysis.figure_keys:
        return [(label, text) for _k, label, text in every], None
    chosen = {k: (label, text) for k, label, text in every}
    cards = [chosen[k] for k in analysis.figure_keys if k in chosen]
    rows = "".join(
        Markup('<tr><td>{}</td><td><code>{}</code></td><td class="num">{}</td></tr>').format(
            label, key, text
        )
        for key, label, text in every
    )
    details = Markup(
        '<details class="all-figures"><summary>{}</summary><div class="table-wrap"><table>'
        "<tbody>{}</tbody></table></div></details>"
    ).format(t(lang, "all_figures"), Markup(rows))
    return cards, details


# --------------------------------------------------------------------------- audit


def _run_audit(ctx: Context) -> Any:
    from geoplan.audit import AuditRules, audit_land

    c = ctx.county
    rules = AuditRules.from_params(c.params("audit"))
    return audit_land(
        c.approvals, c.supplies, as_of=c.as_of, rules=rules, townships=ctx.townships()
    )


AUDIT_LABELS = {
    "zh": {
        "as_of": "基准日期", "approved_area_mu": "批准面积（亩）", "supplied_area_mu": "已供面积（亩）",
        "unsupplied_area_mu": "批而未供（亩）", "sliver_area_mu": "剔除碎片（亩）",
        "supply_rate": "供地率", "supply_rate_5y": "近五年供地率",
        "unsupplied_parcels": "批而未供图斑", "supplied_unused_parcels": "供而未用宗数",
        "idle_parcels": "闲置土地宗数", "idle_area_mu": "闲置面积（亩）",
        "idle_fee_total": "闲置费合计（元）", "recoverable_parcels": "可无偿收回宗数",
        "unmatched_supply_area_mu": "未匹配供地（亩）",
    },
    "en": {
        "as_of": "as of", "approved_area_mu": "approved (mu)", "supplied_area_mu": "supplied (mu)",
        "unsupplied_area_mu": "approved, unsupplied (mu)", "sliver_area_mu": "slivers dropped (mu)",
        "supply_rate": "supply rate", "supply_rate_5y": "5-year supply rate",
        "unsupplied_parcels": "unsupplied pieces", "supplied_unused_parcels": "supplied, unused",
        "idle_parcels": "idle parcels", "idle_area_mu": "idle area (mu)",
        "idle_fee_total": "idle fees (yuan)", "recoverable_parcels": "recoverable parcels",
        "unmatched_supply_area_mu": "unmatched supply (mu)",
    },
}  # fmt: skip

_BATCH_COLS = {
    "zh": {"batch_id": "批次", "approval_no": "批准文号", "approved_on": "批准日期",
           "approved_area_mu": "批准（亩）", "supplied_area_mu": "已供（亩）",
           "unsupplied_area_mu": "未供（亩）", "supply_rate": "供地率", "match_method": "匹配方式"},
    "en": {"batch_id": "batch", "approval_no": "approval no.", "approved_on": "approved on",
           "approved_area_mu": "approved (mu)", "supplied_area_mu": "supplied (mu)",
           "unsupplied_area_mu": "unsupplied (mu)", "supply_rate": "supply rate",
           "match_method": "matched by"},
}  # fmt: skip
_IDLE_COLS = {
    "zh": {"supply_id": "电子监管号", "batch_id": "批次", "status": "状态", "agreed_start": "约定动工",
           "days_late": "逾期天数", "area_mu": "面积（亩）", "idle_fee": "闲置费（元）",
           "recoverable": "可无偿收回", "township": "乡镇"},
    "en": {"supply_id": "supply id", "batch_id": "batch", "status": "status",
           "agreed_start": "agreed start", "days_late": "days late", "area_mu": "area (mu)",
           "idle_fee": "idle fee (yuan)", "recoverable": "recoverable", "township": "township"},
}  # fmt: skip


_COHORT_COLS = {
    "zh": {"year": "批准年度", "batches": "批次数", "approved_area_mu": "批准（亩）",
           "supplied_area_mu": "已供（亩）", "unsupplied_area_mu": "未供（亩）",
           "sliver_area_mu": "碎片（亩）", "supply_rate": "供地率", "in_window": "计入近五年"},
    "en": {"year": "approval year", "batches": "batches", "approved_area_mu": "approved (mu)",
           "supplied_area_mu": "supplied (mu)", "unsupplied_area_mu": "unsupplied (mu)",
           "sliver_area_mu": "slivers (mu)", "supply_rate": "supply rate",
           "in_window": "in 5-year window"},
}  # fmt: skip
STATUS_LABELS = {
    "zh": {"idle_type1": "闲置（未动工）", "idle_type2": "闲置（停建）", "supplied_unused": "供而未用",
           "not_due": "未到约定动工日", "started": "已动工", "unknown": "日期缺失"},
    "en": {"idle_type1": "idle (not started)", "idle_type2": "idle (suspended)",
           "supplied_unused": "supplied, unused", "not_due": "not yet due", "started": "started",
           "unknown": "dates missing"},
}  # fmt: skip


def _audit_blocks(result: Any, lang: str) -> list[Markup]:
    out: list[Markup] = []
    cohorts = _frame(result, "cohorts")
    rules = getattr(result, "rules", None)
    floor = float(getattr(rules, "supply_rate_floor", 0.6))
    if cohorts is not None and {"year", "supply_rate"} <= set(cohorts.columns):
        items = [
            (str(y) if pd.notna(y) else "—", float(r) if pd.notna(r) else math.nan)
            for y, r in zip(cohorts["year"], cohorts["supply_rate"], strict=True)
        ]
        out.append(
            bar_chart(
                items, title=t(lang, "supply_rate_by_cohort"), value_format=".1f", scale=100,
                floor=floor, floor_label=t(lang, "floor", v=f"{100 * floor:.0f}%"),
                max_value=1.0, below_color="#e74c3c",
            )
        )  # fmt: skip
        out.append(table(cohorts, _COHORT_COLS[lang], lang=lang, percent=("supply_rate",)))
    supplies = _frame(result, "supplies")
    if supplies is not None and "status" in supplies.columns:
        counts = supplies["status"].value_counts()
        labels = STATUS_LABELS[lang]
        items2 = [(labels.get(str(k), str(k)), float(v)) for k, v in counts.items()]
        out.append(bar_chart(items2, title=t(lang, "supply_status"), value_format=",.0f",
                             color="#7f8c8d"))  # fmt: skip
    batches = _frame(result, "batches")
    if batches is not None:
        if "unsupplied_area_mu" in batches.columns:
            batches = batches.sort_values("unsupplied_area_mu", ascending=False)
        out.append(Markup("<h3>{}</h3>").format(t(lang, "batches")))
        out.append(table(batches, _BATCH_COLS[lang], lang=lang, percent=("supply_rate",)))
    idle = _frame(result, "idle")
    if idle is not None:
        idle = idle.copy()
        if "status" in idle.columns:
            idle["status"] = idle["status"].map(lambda v: STATUS_LABELS[lang].get(str(v), v))
        out.append(Markup("<h3>{} ({:,})</h3>").format(t(lang, "idle_list"), len(idle)))
        out.append(table(idle, _IDLE_COLS[lang], lang=lang))
    return out


# --------------------------------------------------------------------------- zones


_ZONES_PARAMS = ("cell", "single_share", "min_zone_ha", "regions")


def _run_zones(ctx: Context) -> Any:
    from geoplan.zones import functional_zones, landuse_composition, make_grid

    c = ctx.county
    params = c.params("zones")
    unknown = sorted(set(params) - set(_ZONES_PARAMS))
    if unknown:
        raise InputError(
            f"[parameters.zones] has unknown key(s) {unknown}; known: {', '.join(_ZONES_PARAMS)}."
        )
    if c.has("landuse"):
        landuse: Any = c.layer("landuse")
        scheme = "auto"
    else:
        landuse = c.source("landcover")
        scheme = str(c.params("landcover").get("scheme", "auto"))
    units = make_grid(c.boundary, float(params.get("cell", 500.0)))
    comp = landuse_composition(landuse, units, scheme=scheme)
    return functional_zones(
        comp,
        single_share=float(params.get("single_share", 0.5)),
        min_zone_area=float(params.get("min_zone_ha", 100.0)) * 1e4,
        regions=params.get("regions"),
        townships=ctx.townships(),
        zoning=c.layer("zoning") if c.has("zoning") else None,
    )


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
_TOWNSHIP_COLS = {
    "zh": {"name": "乡镇", "area_mu": "面积（亩）", "production_mu": "生产（亩）",
           "living_mu": "生活（亩）", "ecological_mu": "生态（亩）",
           "construction_share": "建设用地占比", "entropy": "混合度（熵）"},
    "en": {"name": "township", "area_mu": "area (mu)", "production_mu": "production (mu)",
           "living_mu": "living (mu)", "ecological_mu": "ecological (mu)",
           "construction_share": "construction share", "entropy": "entropy"},
}  # fmt: skip
_FUNCS = ("production", "living", "ecological")


def _zones_blocks(result: Any, lang: str) -> list[Markup]:
    out: list[Markup] = []
    summary = dict(getattr(result, "summary", {}) or {})
    towns = _frame(result, "townships")
    rows: list[str] = []
    shares: dict[str, list[float]] = {f: [] for f in _FUNCS}
    county_total = [float(summary.get(f"{f}_ha") or 0.0) for f in _FUNCS]
    if sum(county_total) > 0:
        rows.append(t(lang, "whole_county"))
        for f, v in zip(_FUNCS, county_total, strict=True):
            shares[f].append(v / sum(county_total))
    if towns is not None and all(f"{f}_mu" in towns.columns for f in _FUNCS):
        vals = {f: pd.to_numeric(towns[f"{f}_mu"], errors="coerce").fillna(0.0) for f in _FUNCS}
        total = vals["production"] + vals["living"] + vals["ecological"]
        names = towns["name"] if "name" in towns.columns else pd.Series(range(len(towns)))
        for i, name in enumerate(names):
            tot = float(total.iloc[i])
            rows.append(str(name))
            for f in _FUNCS:
                shares[f].append(float(vals[f].iloc[i]) / tot if tot > 0 else math.nan)
    if rows:
        out.append(
            stacked_shares(
                rows,
                [(SANSHENG_LABELS[lang][f], SANSHENG_COLORS[f], shares[f]) for f in _FUNCS],
                title=t(lang, "township_shares"),
            )
        )
    if towns is not None:
        cols = dict(_TOWNSHIP_COLS[lang])
        for c in towns.columns:  # zoning-check columns, when zoning was given
            if c not in cols and any(k in c for k in ("ugb", "farmland", "redline")):
                cols[c] = c
        out.append(table(towns, cols, lang=lang, percent=("construction_share",)))
    return out


# --------------------------------------------------------------------------- connectivity


def _run_connectivity(ctx: Context) -> Any:
    from geoplan.connectivity import park_connectivity

    return park_connectivity(ctx.county.parks, ctx.network(), **ctx.connectivity_options()[1])


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


_PARK_COLS = {
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


def _connectivity_blocks(result: Any, lang: str) -> list[Markup]:
    out: list[Markup] = []
    parks = _frame(result, "parks")
    if parks is None:
        return out
    label = parks["name"] if "name" in parks.columns else parks.get("park_id")
    if label is not None and "motorway_time_min" in parks.columns:
        items = [
            (str(n), float(v) if pd.notna(v) else math.nan)
            for n, v in zip(label, pd.to_numeric(parks["motorway_time_min"]), strict=True)
        ]
        out.append(
            bar_chart(
                items,
                title=t(lang, "motorway_time"),
                floor=30.0,
                floor_label="30 min",
                color="#8e44ad",
                below_color=None,
            )  # fmt: skip
        )
    out.append(table(parks, _PARK_COLS[lang], lang=lang))
    return out


# --------------------------------------------------------------------------- hierarchy


def _run_hierarchy(ctx: Context) -> Any:
    from geoplan import hierarchy

    opts = hierarchy.hierarchy_options(ctx.county.params("hierarchy"))
    return hierarchy.settlement_hierarchy(ctx.county.settlements, ctx.network(), **opts)


_REACH_COLS = {
    "zh": {"check": "检查", "name": "居民点", "counterpart": "对应", "target_min": "目标（分）",
           "time_min": "时间（分）", "shortfall_min": "超出（分）", "reason": "说明"},
    "en": {"check": "check", "name": "settlement", "counterpart": "to/from",
           "target_min": "target (min)", "time_min": "time (min)",
           "shortfall_min": "over by (min)", "reason": "note"},
}  # fmt: skip


_SETTLEMENT_COLS = {
    "zh": {"name": "名称", "tier": "等级", "population": "人口", "parent": "上级",
           "time_to_parent_min": "至上级（分）", "time_to_seat_min": "至县城（分）",
           "score": "中心性评分", "reason": "说明"},
    "en": {"name": "name", "tier": "tier", "population": "population", "parent": "parent",
           "time_to_parent_min": "to parent (min)", "time_to_seat_min": "to seat (min)",
           "score": "score", "reason": "note"},
}  # fmt: skip


def _hierarchy_blocks(result: Any, lang: str) -> list[Markup]:
    out: list[Markup] = []
    stl = _frame(result, "settlements")
    if stl is not None and "tier" in stl.columns:
        counts = stl["tier"].value_counts()
        order = [k for k in KIND_LABELS["en"] if k in counts.index]
        items = [(KIND_LABELS[lang].get(k, k), float(counts[k])) for k in order]
        out.append(bar_chart(items, title=t(lang, "tier_counts"), value_format=",.0f"))
    if stl is not None:
        shown = stl.copy()
        if "tier" in shown.columns:
            rank = {k: i for i, k in enumerate(KIND_LABELS["en"])}
            shown["_rank"] = shown["tier"].map(rank)
            keys = ["_rank"] + (["population"] if "population" in shown.columns else [])
            shown = shown.sort_values(keys, ascending=[True] + [False] * (len(keys) - 1))
            shown["tier"] = shown["tier"].map(lambda v: KIND_LABELS[lang].get(v, v))
        out.append(Markup("<h3>{}</h3>").format(t(lang, "lyr_settlements")))
        out.append(table(shown, _SETTLEMENT_COLS[lang], lang=lang))
    reach = _frame(result, "reach")
    if reach is not None and "meets" in reach.columns:
        misses = reach[~reach["meets"].fillna(False).astype(bool)]
        if "shortfall_min" in misses.columns:
            misses = misses.sort_values("shortfall_min", ascending=False, na_position="first")
        out.append(Markup("<h3>{} ({:,})</h3>").format(t(lang, "reach_misses"), len(misses)))
        if len(misses):
            out.append(table(misses, _REACH_COLS[lang], lang=lang))
    return out


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
    "idle_parcels", "idle_area_mu", "idle_fee_total", "recoverable_parcels",
    "supplied_unused_parcels", "unmatched_supply_area_mu",
)  # fmt: skip

ANALYSES: tuple[Analysis, ...] = (
    Analysis("audit", "geoplan.audit", (("approvals",), ("supplies",)), _run_audit,
             _audit_blocks, AUDIT_LABELS, AUDIT_KEYS),
    Analysis("zones", "geoplan.zones", (("landuse", "landcover"), ("boundary",)), _run_zones,
             _zones_blocks, ZONES_LABELS, ZONES_KEYS),
    Analysis("connectivity", "geoplan.connectivity", (("parks",), ("roads",)),
             _run_connectivity, _connectivity_blocks, CONNECTIVITY_LABELS, CONNECTIVITY_KEYS),
    Analysis("hierarchy", "geoplan.hierarchy", (("settlements",), ("roads",)), _run_hierarchy,
             _hierarchy_blocks, HIERARCHY_LABELS, HIERARCHY_KEYS),
)  # fmt: skip
