"""Settlement hierarchy: county seat → central towns → towns → villages over the road network."""

from __future__ import annotations

from geoplan.hierarchy._result import HierarchyResult
from geoplan.hierarchy._settlements import hierarchy_options, settlement_hierarchy
from geoplan.hierarchy._tiers import HierarchyWeights, ReachTargets

__all__ = [
    "HierarchyResult",
    "HierarchyWeights",
    "ReachTargets",
    "hierarchy_options",
    "settlement_hierarchy",
]
