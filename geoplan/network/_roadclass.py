"""Road classes: which highway values form a network, one-way and maxspeed parsing, speeds,
trunk routes and motorway entrances.

Everything here works on whole arrays of tag values; unusual strings are parsed once per distinct
value and counted, so the network report can say exactly what fell back to a default.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from functools import cached_property

import numpy as np
import pandas as pd

from geoplan.errors import InputError

__all__ = [
    "DRIVE_HIGHWAYS",
    "RoadClasses",
    "Speeds",
    "excluded_by_access",
    "network_highways",
    "parse_maxspeed",
    "parse_oneway",
]

#: highway values of the drivable network (as osmnx's "drive" network, plus ``road``).
DRIVE_HIGHWAYS: frozenset[str] = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)

#: highway values that are never routable (not built yet, or not a road at all).
_NEVER = frozenset({"construction", "proposed", "planned", "abandoned", "disused", "razed", "no"})

#: every highway value kept by ``network="all"`` besides the drive set.
_NON_MOTOR = frozenset(
    {"track", "footway", "cycleway", "path", "steps", "pedestrian", "bridleway", "corridor"}
)

_ONEWAY_FORWARD = frozenset({"yes", "true", "1"})
_ONEWAY_REVERSE = frozenset({"-1", "reverse"})
_ONEWAY_BOTH = frozenset({"no", "false", "0"})

_IMPLIED_ONEWAY_HIGHWAYS = frozenset({"motorway", "motorway_link"})
_IMPLIED_ONEWAY_JUNCTIONS = frozenset({"roundabout", "circular"})

_NO_ACCESS = frozenset({"no", "private"})
_MOTOR_OK = frozenset({"yes", "designated", "permissive", "destination", "customers", "delivery"})

_SPEED_RE = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(km/h|kmh|kph|kmph|mph|knots)?$")
_UNIT_FACTOR = {None: 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "kmph": 1.0, "mph": 1.609344,
                "knots": 1.852}  # fmt: skip
_MAX_PLAUSIBLE_KMH = 300.0


def network_highways(network: str | Collection[str]) -> frozenset[str]:
    """The highway values a network keeps.

    ``"drive"``: motor roads (motorway … residential, living_street, service, road); ``track`` is
    excluded, as in osmnx. ``"drive_track"``: the same plus ``track`` (rural China maps many
    village roads as tracks). ``"all"``: every highway value except ones not built
    (construction, proposed, abandoned …). A collection of strings is used as given.

    Examples
    --------
    >>> "track" in network_highways("drive"), "track" in network_highways("drive_track")
    (False, True)
    """
    if isinstance(network, str):
        if network == "drive":
            return DRIVE_HIGHWAYS
        if network == "drive_track":
            return DRIVE_HIGHWAYS | {"track"}
        if network == "all":
            return DRIVE_HIGHWAYS | _NON_MOTOR
        raise InputError(
            f"Unknown network {network!r}. Use 'drive', 'drive_track', 'all', or a set of OSM "
            "highway values such as {'primary', 'secondary'}."
        )
    values = frozenset(str(v) for v in network)
    if not values:
        raise InputError("network is an empty set of highway values; name at least one.")
    return values


def excluded_by_access(access: str | None, motor_vehicle: str | None, motorcar: str | None) -> bool:
    """Whether access tags close a way to cars: access=no/private unless a motor tag re-opens it,
    or motor_vehicle/motorcar = no/private.

    Examples
    --------
    >>> excluded_by_access("private", None, None), excluded_by_access("no", "yes", None)
    (True, False)
    """
    motor = motorcar if motorcar is not None else motor_vehicle
    if motor is not None:
        if motor in _NO_ACCESS:
            return True
        if motor in _MOTOR_OK:
            return False
    return access in _NO_ACCESS


def _nullable_strings(values: Sequence[object] | np.ndarray | pd.Series) -> pd.Series:
    s = pd.Series(values, dtype="object")
    return s.where(s.notna(), None)


def parse_oneway(
    oneway: Sequence[object] | np.ndarray | pd.Series,
    highway: Sequence[object] | np.ndarray | pd.Series,
    junction: Sequence[object] | np.ndarray | pd.Series | None = None,
) -> tuple[np.ndarray, Counter[str]]:
    """Travel direction per way: 1 forward only, -1 against the drawing direction only, 0 both.

    ``yes``/``true``/``1`` → 1; ``-1``/``reverse`` → -1; ``no``/``false``/``0`` → 0.
    Untagged motorways, motorway_links and roundabouts are one-way (OSM's implied one-way).
    ``reversible``/``alternating`` (direction changes with time of day) are treated as two-way,
    i.e. reachable both ways at some time, as osmnx does. Any other string (e.g. ``"unknown"``)
    is treated as two-way. The returned counter holds each reversible or unrecognised value and
    how many ways carried it.

    Examples
    --------
    >>> d, odd = parse_oneway(["yes", "-1", None, None, "maybe"], ["primary"] * 3 + ["motorway", "primary"])
    >>> d.tolist(), dict(odd)
    ([1, -1, 0, 1, 0], {'maybe': 1})
    """
    ow = _nullable_strings(oneway)
    hw = _nullable_strings(highway)
    n = len(ow)
    out = np.zeros(n, dtype=np.int8)
    lowered = ow.map(lambda v: None if v is None else str(v).strip().lower())
    fwd = lowered.isin(_ONEWAY_FORWARD).to_numpy()
    rev = lowered.isin(_ONEWAY_REVERSE).to_numpy()
    both = lowered.isin(_ONEWAY_BOTH).to_numpy()
    missing = lowered.isna().to_numpy()
    implied = hw.isin(_IMPLIED_ONEWAY_HIGHWAYS).to_numpy().copy()
    if junction is not None:
        jn = _nullable_strings(junction)
        implied |= jn.isin(_IMPLIED_ONEWAY_JUNCTIONS).to_numpy()
    out[fwd] = 1
    out[rev] = -1
    out[missing & implied] = 1
    odd_mask = ~(fwd | rev | both | missing)
    odd: Counter[str] = Counter(str(v) for v in ow[odd_mask])
    return out, odd


def _parse_one_speed(text: str) -> float | None:
    parts = [p.strip() for p in re.split(r"[;|]", text.strip().lower()) if p.strip()]
    if not parts:
        return None
    values = []
    for part in parts:
        m = _SPEED_RE.match(part)
        if m is None:
            return None
        value = float(m.group(1).replace(",", ".")) * _UNIT_FACTOR[m.group(2)]
        if not 0 < value <= _MAX_PLAUSIBLE_KMH:
            return None
        values.append(value)
    return float(sum(values) / len(values))


def parse_maxspeed(
    maxspeed: Sequence[object] | np.ndarray | pd.Series,
) -> tuple[np.ndarray, Counter[str]]:
    """Parse OSM maxspeed strings to km/h; NaN where the class default must be used.

    Understood: ``"60"``, ``"60 km/h"``, ``"60kmh"``, ``"60 mph"`` (→ 96.56 km/h), ``"10 knots"``,
    and several values joined by ``;`` (their mean, as osmnx does). Not understood, so left NaN
    and counted: zone codes such as ``"CN:urban"`` or ``"RU:rural"``, ``"signals"``, ``"none"``,
    ``"walk"``, ``"variable"``, zero and values above 300 km/h. The counter maps each of those
    strings to the number of ways that carried it.

    Examples
    --------
    >>> kmh, odd = parse_maxspeed(["60", "60 mph", None, "signals", "40;60"])
    >>> kmh.round(2).tolist(), dict(odd)
    ([60.0, 96.56, nan, nan, 50.0], {'signals': 1})
    """
    s = _nullable_strings(maxspeed)
    out = np.full(len(s), np.nan)
    present = s.notna().to_numpy()
    if not present.any():
        return out, Counter()
    texts = s[present].astype(str)
    codes, uniques = pd.factorize(texts)
    parsed = np.array([_parse_one_speed(u) for u in uniques], dtype=float)  # None -> nan
    out[present] = parsed[codes]
    bad = np.isnan(parsed)
    odd: Counter[str] = Counter()
    if bad.any():
        counts = np.bincount(codes, minlength=len(uniques))
        for i in np.flatnonzero(bad):
            odd[str(uniques[int(i)])] = int(counts[i])
    return out, odd


@dataclass(frozen=True)
class Speeds:
    """Default speeds (km/h) by OSM highway class, used where a way has no usable maxspeed.

    Defaults follow the county practice in ``docs/domain.md`` §5 (motorway 100, trunk 70,
    primary 60, secondary 50, tertiary 40, unclassified/residential 30, service 20). ``*_link``
    roads (ramps) get ``link_factor`` × the speed of their class (0.7: a 100 km/h motorway's ramp
    is driven at 70 km/h). Any other highway value (``road``, ``busway`` …) gets ``default``.

    Examples
    --------
    >>> Speeds().for_highways(["motorway", "motorway_link", "busway"]).tolist()
    [100.0, 70.0, 30.0]
    >>> Speeds(residential=25).residential
    25
    """

    motorway: float = 100.0
    trunk: float = 70.0
    primary: float = 60.0
    secondary: float = 50.0
    tertiary: float = 40.0
    unclassified: float = 30.0
    residential: float = 30.0
    living_street: float = 15.0
    service: float = 20.0
    track: float = 15.0
    link_factor: float = 0.7
    default: float = 30.0

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
                raise InputError(
                    f"Speeds.{f.name} must be a positive number (km/h, or a factor for "
                    f"link_factor); got {value!r}."
                )

    @cached_property
    def _table(self) -> dict[str, float]:
        table = {f.name: float(getattr(self, f.name)) for f in fields(self)}
        del table["link_factor"], table["default"]
        for cls in ("motorway", "trunk", "primary", "secondary", "tertiary"):
            table[f"{cls}_link"] = table[cls] * self.link_factor
        return table

    def for_highways(self, highway: Sequence[object] | np.ndarray | pd.Series) -> np.ndarray:
        """Default speed (km/h) for each highway value."""
        s = pd.Series(highway, dtype="object")
        return s.map(self._table).astype(float).fillna(float(self.default)).to_numpy()


@dataclass(frozen=True)
class RoadClasses:
    """Which roads are trunk routes (国道/省道 level) for connectivity.

    A road is a trunk route when its highway value is in ``trunk_highways`` or any of its refs
    (split on ``;``) matches ``trunk_ref_pattern`` (``^[GS]\\d``: G 国道 / S 省道 numbers; set None
    to ignore refs). Motorway entrances are always motorway_junction nodes and the nodes where a
    motorway_link meets a road that is neither motorway nor motorway_link.

    Examples
    --------
    >>> rc = RoadClasses()
    >>> rc.is_trunk(["secondary", "secondary", "primary"], ["S203", "X012", None]).tolist()
    [True, False, True]
    """

    trunk_highways: frozenset[str] = frozenset({"motorway", "trunk", "primary"})
    trunk_ref_pattern: str | None = r"^[GS]\d"

    def __post_init__(self) -> None:
        if self.trunk_ref_pattern is not None:
            try:
                re.compile(self.trunk_ref_pattern)
            except re.error as exc:
                raise InputError(
                    f"RoadClasses.trunk_ref_pattern {self.trunk_ref_pattern!r} is not a valid "
                    f"regular expression ({exc}). Use e.g. r'^[GS]\\d'."
                ) from exc
        object.__setattr__(self, "trunk_highways", frozenset(self.trunk_highways))

    def is_trunk(
        self,
        highway: Sequence[object] | np.ndarray | pd.Series,
        ref: Sequence[object] | np.ndarray | pd.Series,
    ) -> np.ndarray:
        """Boolean array: is each (highway, ref) a trunk route."""
        hw = _nullable_strings(highway)
        out = hw.isin(self.trunk_highways).to_numpy().copy()
        if self.trunk_ref_pattern is None:
            return out
        pattern = re.compile(self.trunk_ref_pattern)
        refs = _nullable_strings(ref)
        present = refs.notna().to_numpy()
        if present.any():
            codes, uniques = pd.factorize(refs[present].astype(str))
            hit = np.array(
                [any(pattern.match(p.strip()) for p in u.split(";")) for u in uniques], dtype=bool
            )
            out[present] |= hit[codes]
        return out
