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
from geoplan.network._options import NETWORK_KEYS, network_options

__all__ = [
    "NETWORK_KEYS",
    "MultiSourceResult",
    "NetworkReport",
    "RoadClasses",
    "RoadNetwork",
    "Speeds",
    "network_options",
    "road_network",
]
