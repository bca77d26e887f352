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
