"""Network options from county.toml: how a county's roads become a routable network.

They are read from ``[parameters.connectivity]`` (one network serves connectivity and the
settlement hierarchy): ``network``, ``trunk_highways``, ``trunk_ref_pattern`` and ``speeds``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from geoplan.errors import InputError
from geoplan.network._roadclass import RoadClasses, Speeds

__all__ = ["NETWORK_KEYS", "network_options"]

#: Keys of ``[parameters.connectivity]`` that shape the road network.
NETWORK_KEYS: tuple[str, ...] = ("network", "trunk_highways", "trunk_ref_pattern", "speeds")


def network_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """Keywords for :func:`~geoplan.network.road_network` from the network keys of ``params``
    (other keys are left to the caller to check).

    ``network`` (``"drive"`` …), ``trunk_highways`` (a list of highway classes),
    ``trunk_ref_pattern`` (a regex; ``""`` to ignore refs), ``speeds`` (a table of
    :class:`~geoplan.network.Speeds` fields, km/h).

    Examples
    --------
    >>> kw = network_options({"speeds": {"residential": 25}, "trunk_ref_pattern": "^[GSX][0-9]"})
    >>> kw["speeds"].residential, kw["classes"].trunk_ref_pattern
    (25, '^[GSX][0-9]')
    """
    kw: dict[str, Any] = {}
    if "network" in params:
        kw["network"] = params["network"]
    if "speeds" in params:
        table = params["speeds"]
        if not isinstance(table, Mapping):
            raise InputError(
                f"[parameters.connectivity] speeds must be a table of highway class = km/h "
                f"(e.g. speeds = {{ residential = 25 }}), got {table!r}."
            )
        try:
            kw["speeds"] = Speeds(**dict(table))
        except TypeError as exc:
            raise InputError(
                f"[parameters.connectivity.speeds] in county.toml: {exc}. Keys are highway "
                "classes (motorway, trunk, ... service, track), link_factor and default."
            ) from exc
    if "trunk_highways" in params or "trunk_ref_pattern" in params:
        default = RoadClasses()
        pattern = params.get("trunk_ref_pattern", default.trunk_ref_pattern)
        kw["classes"] = RoadClasses(
            trunk_highways=frozenset(params.get("trunk_highways", default.trunk_highways)),
            trunk_ref_pattern=pattern or None,
        )
    return kw
