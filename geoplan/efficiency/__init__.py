"""亩均效益 evaluation (亩均论英雄): what supplied industrial land earns, 标准地 checks, 低效用地 and
the county's stock-land ledger (批而未供 + 闲置 + 低效) under 增存挂钩."""

from __future__ import annotations

from geoplan.efficiency._options import EFFICIENCY_KEYS, EfficiencyRules, efficiency_options
from geoplan.efficiency._result import EfficiencyResult, land_efficiency
from geoplan.efficiency._scheme import (
    CLASSES,
    INDICATORS,
    Indicator,
    Scheme,
    list_schemes,
    load_scheme,
)

__all__ = [
    "CLASSES",
    "EFFICIENCY_KEYS",
    "INDICATORS",
    "EfficiencyResult",
    "EfficiencyRules",
    "Indicator",
    "Scheme",
    "efficiency_options",
    "land_efficiency",
    "list_schemes",
    "load_scheme",
]
