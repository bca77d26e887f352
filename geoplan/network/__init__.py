"""Routable road networks from OSM files or line layers, with a compact array graph."""

from __future__ import annotations

from geoplan.network._network import (
    MultiSourceResult,
    NetworkReport,
    RoadClasses,
    RoadNetwork,
    Speeds,
    road_network,
)

__all__ = [
    "MultiSourceResult",
    "NetworkReport",
    "RoadClasses",
    "RoadNetwork",
    "Speeds",
    "road_network",
]
