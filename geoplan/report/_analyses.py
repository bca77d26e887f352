"""The analyses the report runs: what each needs, how it is run on a County, what it shows.

Each analysis returns a result object with the contract of every geoplan analysis (``summary``,
``to_files``, ``add_to_map`` and its GeoDataFrames); the report only uses those members. The
tables and charts below look for the columns each analysis documents and leave out what is not
there, so a result that grows new columns never breaks the report.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
from markupsafe import Markup

from geoplan.county import County
from geoplan.labels import code_label, field_label, format_figure
from geoplan.report._html import bar_chart, stacked_shares, table
from geoplan.report._labels import (
    AUDIT_KEYS,
    AUDIT_LABELS,
    BATCH_COLS,
    COHORT_COLS,
    CONNECTIVITY_KEYS,
    CONNECTIVITY_LABELS,
    EFFICIENCY_CLASS_LABELS,
    EFFICIENCY_KEYS,
    EFFICIENCY_LABELS,
    EFFICIENCY_PARK_COLS,
    HIDDEN_FIGURES,
    HIERARCHY_KEYS,
    HIERARCHY_LABELS,
    IDLE_COLS,
    LOW_COLS,
    PARK_COLS,
    REACH_COLS,
    SETTLEMENT_COLS,
    STOCK_LEDGER_COLS,
    TOWNSHIP_COLS,
    ZONES_KEYS,
    ZONES_LABELS,
)
from geoplan.report._text import KIND_LABELS, SANSHENG_COLORS, SANSHENG_LABELS, t
from geoplan.runs import (
    ANALYSIS_ROLES,
    run_audit,
    run_connectivity,
    run_efficiency,
    run_hierarchy,
    run_zones,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Analysis:
    key: str
    roles: tuple[tuple[str, ...], ...]  # every group needs one of its roles
    # runs the analysis on a county, given the results of the analyses run before it
    run: Callable[[County, Mapping[str, Any]], Any]
    blocks: Callable[[Any, str], list[Markup]]
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    figure_keys: tuple[str, ...] = ()  # summary keys shown as cards (default: all)
    headline: Callable[[Any, str], str | None] | None = None  # a sentence above the figures

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


def summary_figures(
    summary: dict[str, Any], analysis: Analysis, lang: str
) -> tuple[list[tuple[str, str]], Markup | None]:
    """Key-figure cards (the analysis's chosen keys, or all) and a table of every figure."""
    names = analysis.labels.get(lang, {})
    every = []
    for key, value in summary.items():
        text = None if key in HIDDEN_FIGURES else format_figure(key, value, lang)
        if text is not None:
            every.append((key, names.get(key) or field_label(key, lang), text))
    if not analysis.figure_keys:
        return [(label, text) for _k, label, text in every], None
    chosen = {k: (label, text) for k, label, text in every}
    cards = [chosen[k] for k in analysis.figure_keys if k in chosen]
    rows = "".join(
        Markup('<tr title="{}"><td>{}</td><td class="num">{}</td></tr>').format(key, label, text)
        for key, label, text in every
    )
    details = Markup(
        '<details class="all-figures"><summary>{}</summary><div class="table-wrap"><table>'
        "<tbody>{}</tbody></table></div></details>"
    ).format(t(lang, "all_figures"), Markup(rows))
    return cards, details


# --------------------------------------------------------------------------- audit


def _audit_headline(result: Any, lang: str) -> str | None:
    """What the audit could not judge or left out, in words ("9 宗因缺少约定动工日期无法判定，
    待核实"), so a 0 in the figures is never read as "nothing found"."""
    return ("；" if lang == "zh" else "; ").join(result.notes(lang)) or None


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
        out.append(table(cohorts, COHORT_COLS[lang], lang=lang, percent=("supply_rate",)))
    supplies = _frame(result, "supplies")
    if supplies is not None and "status" in supplies.columns:
        counts = supplies["status"].value_counts()
        items2 = [(code_label("supply_status", k, lang), float(v)) for k, v in counts.items()]
        out.append(bar_chart(items2, title=t(lang, "supply_status"), value_format=",.0f",
                             color="#7f8c8d"))  # fmt: skip
    batches = _frame(result, "batches")
    if batches is not None:
        if "unsupplied_area_mu" in batches.columns:
            batches = batches.sort_values("unsupplied_area_mu", ascending=False)
        out.append(Markup("<h3>{}</h3>").format(t(lang, "batches")))
        out.append(table(batches, BATCH_COLS[lang], lang=lang, percent=("supply_rate",),
                         codes={"match_method": "match_method"}))  # fmt: skip
    idle = _frame(result, "idle")
    if idle is not None:
        out.append(Markup("<h3>{} ({:,})</h3>").format(t(lang, "idle_list"), len(idle)))
        out.append(table(idle, IDLE_COLS[lang], lang=lang, codes={"status": "supply_status"}))
    return out


# --------------------------------------------------------------------------- zones


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
        out.append(table(towns, TOWNSHIP_COLS[lang], lang=lang, percent=("construction_share",)))
    return out


# --------------------------------------------------------------------------- connectivity


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
                floor_label=t(lang, "minutes", m=30),
                color="#8e44ad",
                below_color=None,
            )  # fmt: skip
        )
    out.append(table(parks, PARK_COLS[lang], lang=lang))
    return out


# --------------------------------------------------------------------------- hierarchy


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
        out.append(Markup("<h3>{}</h3>").format(t(lang, "lyr_settlements")))
        out.append(table(shown, SETTLEMENT_COLS[lang], lang=lang, codes={"tier": "tier"}))
    reach = _frame(result, "reach")
    if reach is not None and "meets" in reach.columns:
        misses = reach[~reach["meets"].fillna(False).astype(bool)]
        if "shortfall_min" in misses.columns:
            misses = misses.sort_values("shortfall_min", ascending=False, na_position="first")
        out.append(Markup("<h3>{} ({:,})</h3>").format(t(lang, "reach_misses"), len(misses)))
        if len(misses):
            out.append(table(misses, REACH_COLS[lang], lang=lang, codes={"check": "reach_check"}))
    return out


# --------------------------------------------------------------------------- efficiency


def _efficiency_headline(result: Any, lang: str) -> str | None:
    """What could not be judged (待核实 firms, firms without land, no audit), in words."""
    return ("；" if lang == "zh" else "; ").join(result.notes()) or None


def _efficiency_blocks(result: Any, lang: str) -> list[Markup]:
    out: list[Markup] = []
    parks = _frame(result, "parks")
    if parks is not None and {"name", "tax_per_mu"} <= set(parks.columns):
        items = [(str(n), float(v) if pd.notna(v) else math.nan)
                 for n, v in zip(parks["name"], parks["tax_per_mu"], strict=True)]  # fmt: skip
        out.append(bar_chart(items, title=t(lang, "park_tax_ranking"), value_format=",.2f",
                             color="#1a9850"))  # fmt: skip
        out.append(table(parks, EFFICIENCY_PARK_COLS[lang], lang=lang))
    firms = _frame(result, "firms")
    if firms is not None and "class" in firms.columns:
        counts = firms["class"].value_counts()
        labels = EFFICIENCY_CLASS_LABELS[lang]
        items2 = [(labels[k], float(counts.get(k, 0))) for k in labels]
        out.append(bar_chart(items2, title=t(lang, "class_counts"), value_format=",.0f",
                             color="#7f8c8d"))  # fmt: skip
    stock = _frame(result, "stock")
    if stock is not None:
        out.append(Markup("<h3>{}</h3>").format(t(lang, "stock_ledger")))
        out.append(table(stock, STOCK_LEDGER_COLS[lang], lang=lang))
    low = _frame(result, "low_efficiency")
    if low is not None:
        low = low.sort_values("low_area_mu", ascending=False)
        out.append(Markup("<h3>{} ({:,})</h3>").format(t(lang, "low_list"), len(low)))
        out.append(table(low, LOW_COLS[lang], lang=lang))
    return out


ANALYSES: tuple[Analysis, ...] = (
    Analysis("audit", ANALYSIS_ROLES["audit"], lambda c, _: run_audit(c),
             _audit_blocks, AUDIT_LABELS, AUDIT_KEYS, _audit_headline),
    Analysis("zones", ANALYSIS_ROLES["zones"], lambda c, _: run_zones(c),
             _zones_blocks, ZONES_LABELS, ZONES_KEYS),
    Analysis("connectivity", ANALYSIS_ROLES["connectivity"], lambda c, _: run_connectivity(c),
             _connectivity_blocks, CONNECTIVITY_LABELS, CONNECTIVITY_KEYS),
    Analysis("hierarchy", ANALYSIS_ROLES["hierarchy"], lambda c, _: run_hierarchy(c),
             _hierarchy_blocks, HIERARCHY_LABELS, HIERARCHY_KEYS),
    Analysis("efficiency", ANALYSIS_ROLES["efficiency"],
             lambda c, done: run_efficiency(c, audit=done.get("audit")),
             _efficiency_blocks, EFFICIENCY_LABELS, EFFICIENCY_KEYS, _efficiency_headline),
)  # fmt: skip
