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
from geoplan.network._osm import osm_road_lines

__all__ = [
    "NETWORK_KEYS",
    "MultiSourceResult",
    "NetworkReport",
    "RoadClasses",
    "RoadNetwork",
    "Speeds",
    "network_options",
    "osm_road_lines",
    "road_network",
]
