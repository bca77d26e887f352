"""Settlement hierarchy: county seat → central towns → towns → villages over the road network."""

from __future__ import annotations

from geoplan.hierarchy._settlements import (
    HierarchyResult,
    HierarchyWeights,
    ReachTargets,
    hierarchy_options,
    settlement_hierarchy,
)

__all__ = [
    "HierarchyResult",
    "HierarchyWeights",
    "ReachTargets",
    "hierarchy_options",
    "settlement_hierarchy",
]
