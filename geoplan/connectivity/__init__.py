"""Park-to-trunk connectivity (园区与交通主干道互联互通): distance and time from each industrial
park to the nearest trunk road and motorway entrance, detour, independent access routes, routes
and isochrones; :func:`connectivity_options` reads ``[parameters.connectivity]``."""

from __future__ import annotations

from geoplan.connectivity._parks import (
    MAX_SNAP_LIMIT_M,
    PARK_COLUMNS,
    SNAP_TOLERANCE_LIMIT_M,
    ConnectivityResult,
    check_snap,
    connectivity_options,
    isochrones,
    park_connectivity,
)

__all__ = [
    "MAX_SNAP_LIMIT_M",
    "PARK_COLUMNS",
    "SNAP_TOLERANCE_LIMIT_M",
    "ConnectivityResult",
    "check_snap",
    "connectivity_options",
    "isochrones",
    "park_connectivity",
]
