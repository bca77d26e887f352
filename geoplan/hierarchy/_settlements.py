"""Settlement hierarchy: county seat → central towns → towns → villages over the road network.

:func:`settlement_hierarchy` takes settlement points (name, kind, population) and a road network
and returns a :class:`HierarchyResult`: each settlement's tier, its parent (the settlement it
hangs from) and travel times, a composite score for every town, routed catchment links and a
reach table against the county's travel-time targets (:class:`ReachTargets`).

Catchments are single multi-source passes over the reversed road graph (travel *to* the
sources), never per-pair searches:

1. every settlement → the county seat (one pass from the seat): ``time_to_seat_min``;
2. every village → the fastest town of any tier (one pass from every county seat, central town
   and town node): a village's parent;
3. when central towns exist, every ordinary town → the fastest of the central towns and the
   county seat (one pass): an ordinary town's parent; central towns hang from the county seat.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.connectivity import MAX_SNAP_LIMIT_M
from geoplan.errors import CRSError, InputError
from geoplan.hierarchy import _net as hnet
from geoplan.hierarchy import _tables as ht
from geoplan.hierarchy._result import HierarchyResult
from geoplan.hierarchy._tiers import (
    TIER_RANK,
    HierarchyWeights,
    ReachTargets,
    assign_tiers,
    check_settlements,
    n_central_for,
    pick_central,
    town_scores,
)
from geoplan.network import MultiSourceResult, RoadNetwork, road_network

if TYPE_CHECKING:
    pass

__all__ = ["hierarchy_options", "settlement_hierarchy"]

logger = logging.getLogger(__name__)

_TOWNS = ("county_seat", "central_town", "town")


def settlement_hierarchy(
    settlements: gpd.GeoDataFrame,
    roads: RoadNetwork | str | os.PathLike[str] | gpd.GeoDataFrame,
    *,
    targets: ReachTargets | None = None,
    weights: HierarchyWeights | None = None,
    n_central: int | None = None,
    via_central: bool = True,
    max_snap_m: float = 2000.0,
) -> HierarchyResult:
    """Tiers, catchments and reach of a county's settlements over its road network.

    Parameters
    ----------
    settlements
        Points with ``name``, ``kind`` (county_seat / central_town / town / village, or 县城 /
        中心镇 / 镇 / 村) and optionally ``population``, in a projected CRS. Exactly one county
        seat. Read with ``geoplan.read_layer(path, role="settlements")``.
    roads
        A :class:`~geoplan.network.RoadNetwork` in the settlements' CRS, or anything
        :func:`~geoplan.network.road_network` accepts (OSM file, line layer, line GeoDataFrame),
        built in the settlements' CRS.
    targets
        Reach targets (default: county seat ↔ township seats 30 min, town ↔ villages 20 min).
    weights
        Weights of the central-town score (see :class:`HierarchyWeights`).
    n_central
        How many central towns to infer when no settlement has kind central_town (default:
        ``floor(weights.central_share × towns)``). Ignored when central towns are given.
    via_central
        Ordinary towns hang from the fastest of {central towns, county seat} (default); with
        False every town hangs from the county seat.
    max_snap_m
        Settlements farther than this from any road node are left off the network (no times,
        ``reason`` says why).

    Returns
    -------
    HierarchyResult
        ``summary`` keys: ``settlements``, ``county_seat``, ``n_central_town``, ``n_town``,
        ``n_village``, ``central_towns`` (names joined by 、), ``central_inferred``,
        ``off_network``, ``no_parent``, ``seat_unreachable``, ``unnamed``,
        ``max_snap_distance_m``, ``max_time_to_seat_min``, ``max_village_time_min``, and per
        target (``seat_town``, ``town_village``): ``<t>_target_min``, ``<t>_checked``,
        ``<t>_meet``, ``<t>_miss``, ``<t>_share_meeting``, ``<t>_max_min``.

    Raises
    ------
    InputError
        Not exactly one county seat (the rows are named), missing or unknown kinds, no
        projected CRS, CRS differing from the network's, the county seat off the network.

    Notes
    -----
    All times are travel from a settlement towards its parent / the county seat on the directed
    network (one-ways respected); the opposite direction may differ. A settlement is placed at
    its nearest road node (``snap_distance_m``, not timed). When several towns share a node, the
    higher tier (then the first row) stands for it. Scores are computed for every town (also
    when central towns are given); the county seat and villages have no score.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> roads = gpd.GeoDataFrame(
    ...     {"highway": ["primary", "tertiary"]},
    ...     geometry=[shapely.LineString([(0, 0), (10000, 0)]),
    ...               shapely.LineString([(10000, 0), (10000, 4000)])], crs=4547)
    >>> pts = gpd.GeoDataFrame(
    ...     {"name": ["城关镇", "河口镇", "李村"], "kind": ["县城", "镇", "村"],
    ...      "population": [80000, 12000, 900]},
    ...     geometry=[shapely.Point(0, 0), shapely.Point(10000, 0), shapely.Point(10000, 4000)],
    ...     crs=4547)
    >>> h = settlement_hierarchy(pts, roads)
    >>> h.settlements[["name", "tier", "parent", "time_to_parent_min", "time_to_seat_min"]]
      name         tier parent  time_to_parent_min  time_to_seat_min
    0  城关镇  county_seat   <NA>                 NaN               0.0
    1  河口镇         town    城关镇                10.0              10.0
    2   李村      village    河口镇                 6.0              16.0
    >>> h.summary["town_village_meet"], h.summary["seat_town_meet"]
    (1, 1)
    """
    targets = ReachTargets() if targets is None else targets
    weights = HierarchyWeights() if weights is None else weights
    _check_options(targets, weights, via_central, max_snap_m)
    points, unnamed = check_settlements(settlements)
    net = _network_for(points, roads)
    place = _place(points, net, max_snap_m)
    # 1. everyone -> the county seat
    seat_pass = net.multi_source([place.node[place.seat]], reverse=True)
    time_to_seat = _minutes(seat_pass.dist, place)
    # 2. villages -> the fastest town of any tier
    town_pass, village_parent, village_time = _village_parents(net, place)
    # 3. scores of towns; central towns inferred unless given
    scores = _score_towns(net, place, points, village_parent, village_time, time_to_seat,
                          targets, weights)  # fmt: skip
    if place.central_given:
        if n_central is not None:
            logger.warning(
                "n_central=%s ignored: the settlements already mark central towns", n_central
            )
    else:
        _mark_central_towns(place, scores, points, weights, n_central)
    # 4. parents of towns (the county seat, or the fastest central town)
    links = _town_parents(net, place, village_parent, village_time, time_to_seat, via_central)
    links.passes = [town_pass, seat_pass, *links.passes]
    # 5. the tables
    options = _Options(targets, weights, via_central, max_snap_m)
    return _result(net, place, points, links, scores, options, unnamed=unnamed)


# --------------------------------------------------------------------------- steps


@dataclass
class _Placement:
    """Where each settlement sits on the network, and its tier (mutable: central towns are
    marked once inferred)."""

    tier: np.ndarray  # tier names
    rank: np.ndarray  # TIER_RANK of each tier
    seat: int  # row of the county seat
    central_given: bool
    node: np.ndarray  # nearest node id
    snap: np.ndarray  # distance to it (m)
    on_net: np.ndarray  # within max_snap_m
    rows: np.ndarray  # node row, -1 off the network


@dataclass
class _TownScores:
    towns: np.ndarray  # rows of central towns and towns
    terms: pd.DataFrame  # score and its terms, one row per town
    served: np.ndarray  # villages each settlement serves within the budget
    within: np.ndarray  # nodes each town reaches within the budget (itself excluded)


@dataclass
class _Parents:
    parent: np.ndarray  # row of each settlement's parent, -1 none
    time_to_parent: np.ndarray  # minutes
    time_to_seat: np.ndarray  # minutes
    pass_of: np.ndarray  # which search tree (of ``passes``) routes its catchment link
    passes: list[MultiSourceResult]
    central: np.ndarray  # rows of central towns


@dataclass(frozen=True)
class _Options:
    targets: ReachTargets
    weights: HierarchyWeights
    via_central: bool
    max_snap_m: float


def _network_for(
    points: gpd.GeoDataFrame, roads: RoadNetwork | str | os.PathLike[str] | gpd.GeoDataFrame
) -> RoadNetwork:
    net = roads if isinstance(roads, RoadNetwork) else road_network(roads, crs=points.crs)
    if not net.crs.equals(points.crs):
        raise CRSError(
            f"The settlements are in {points.crs.name} but the road network is in "
            f"{net.crs.name}. Build the network in the settlements' CRS (road_network(source, "
            "crs=settlements.crs); a County's layers are all in county.crs) or reproject the "
            "settlements with settlements.to_crs(network.crs)."
        )
    return net


def _place(points: gpd.GeoDataFrame, net: RoadNetwork, max_snap_m: float) -> _Placement:
    tier, seat, central_given = assign_tiers(points)
    node, snap = net.nearest_nodes(points.geometry)
    on_net = np.isfinite(snap) & (snap <= max_snap_m)
    if not on_net[seat]:
        name = str(points["name"].iloc[seat])
        raise InputError(
            f"The county seat {name!r} is {snap[seat]:.0f} m from the nearest road node "
            f"(max_snap_m={max_snap_m:g}); nothing can be timed to it. Check that the roads "
            "cover the county (same CRS, right extract) or raise max_snap_m."
        )
    rows = np.full(len(points), -1, dtype=np.int64)
    rows[on_net] = net.node_rows(node[on_net])
    rank = np.array([TIER_RANK[t] for t in tier])
    return _Placement(tier, rank, seat, central_given, node, snap, on_net, rows)


def _minutes(dist_s: np.ndarray, place: _Placement) -> np.ndarray:
    """Seconds at each settlement's node as minutes (NaN off the network or unreached)."""
    out = np.full(len(place.rows), np.nan)
    d = dist_s[place.rows[place.on_net]]
    out[place.on_net] = np.where(np.isfinite(d), d / 60.0, np.nan)
    return out


def _village_parents(
    net: RoadNetwork, place: _Placement
) -> tuple[MultiSourceResult, np.ndarray, np.ndarray]:
    is_town = np.isin(place.tier, _TOWNS)
    sources = np.flatnonzero(is_town & place.on_net)
    owner = hnet.owners(sources, place.node[sources], place.rank[sources])
    town_pass = net.multi_source(place.node[sources], reverse=True)
    parent, minutes = hnet.nearest_parent(town_pass, place.rows, owner)
    return town_pass, parent, minutes


def _score_towns(
    net: RoadNetwork,
    place: _Placement,
    points: gpd.GeoDataFrame,
    village_parent: np.ndarray,
    village_time: np.ndarray,
    time_to_seat: np.ndarray,
    targets: ReachTargets,
    weights: HierarchyWeights,
) -> _TownScores:
    towns = np.flatnonzero(np.isin(place.tier, ("central_town", "town")))
    budget = targets.town_to_village_min
    is_village = place.tier == "village"
    kept = is_village & (village_parent >= 0) & (village_time <= budget)
    served = np.bincount(village_parent[kept], minlength=len(points))
    within = hnet.reach_counts(net, place.rows[towns], place.rows, budget * 60.0)
    within = np.where(place.rows[towns] >= 0, within - 1, 0)  # not the town itself
    population = points["population"].to_numpy(dtype=float)
    terms = town_scores(
        population=population[towns],
        villages_served=served[towns].astype(float),
        reach_count=within.astype(float),
        seat_time_min=time_to_seat[towns],
        weights=weights,
    )
    return _TownScores(towns, terms, served, within)


def _mark_central_towns(
    place: _Placement,
    scores: _TownScores,
    points: gpd.GeoDataFrame,
    weights: HierarchyWeights,
    n_central: int | None,
) -> None:
    population = points["population"].to_numpy(dtype=float)
    k = n_central_for(len(scores.towns), weights, n_central)
    best = pick_central(scores.terms["score"].to_numpy(), population[scores.towns], k)
    chosen = scores.towns[best]
    place.tier[chosen] = "central_town"
    place.rank[chosen] = TIER_RANK["central_town"]


def _town_parents(
    net: RoadNetwork,
    place: _Placement,
    village_parent: np.ndarray,
    village_time: np.ndarray,
    time_to_seat: np.ndarray,
    via_central: bool,
) -> _Parents:
    is_village = place.tier == "village"
    parent = np.where(is_village, village_parent, -1)
    time_to_parent = np.where(is_village, village_time, np.nan)
    central = np.flatnonzero(place.tier == "central_town")
    ordinary = np.flatnonzero(place.tier == "town")
    seat_reached = np.isfinite(time_to_seat)
    for group in (central, ordinary):
        parent[group] = np.where(seat_reached[group], place.seat, -1)
        time_to_parent[group] = time_to_seat[group]
    # the pass whose search tree routes each settlement's catchment link: 0 towns, 1 the seat
    pass_of = np.where(is_village, 0, 1)
    extra: list[MultiSourceResult] = []
    hubs = np.concatenate([[place.seat], central[place.on_net[central]]])
    if via_central and len(hubs) > 1 and len(ordinary):
        owner = hnet.owners(hubs, place.node[hubs], place.rank[hubs])
        extra.append(net.multi_source(place.node[hubs], reverse=True))
        hub_parent, hub_time = hnet.nearest_parent(extra[0], place.rows[ordinary], owner)
        parent[ordinary], time_to_parent[ordinary] = hub_parent, hub_time
        pass_of[ordinary] = 2
    return _Parents(parent, time_to_parent, time_to_seat, pass_of, extra, central)


def _result(
    net: RoadNetwork,
    place: _Placement,
    points: gpd.GeoDataFrame,
    links: _Parents,
    scores: _TownScores,
    options: _Options,
    *,
    unnamed: int,
) -> HierarchyResult:
    out = ht.settlement_frame(
        points,
        place.tier,
        parent=links.parent,
        time_to_parent=links.time_to_parent,
        time_to_seat=links.time_to_seat,
        snap=place.snap,
        towns=scores.towns,
        terms=scores.terms,
        served=scores.served,
        within=scores.within,
        seat=place.seat,
    )
    why = ht.reasons(
        place.tier,
        on_net=place.on_net,
        parent=links.parent,
        time_to_seat=links.time_to_seat,
        snap=place.snap,
        max_snap_m=options.max_snap_m,
        via_central=options.via_central,
        has_central=len(links.central) > 0,
    )
    out["reason"] = pd.array(why, dtype="string")
    geom = out.geometry.name
    out = out[[c for c in out.columns if c != geom] + [geom]]
    catchment = ht.links_frame(net, out, links.parent, place.rows, links.passes, links.pass_of)
    reach = ht.reach_frame(out, options.targets)
    central_inferred = not place.central_given
    summary = ht.summarise(
        out, reach, options.targets, central_inferred=central_inferred, unnamed=unnamed
    )
    logger.info(
        "hierarchy: %d settlements, %d central towns, %d towns, %d villages",
        len(out), summary["n_central_town"], summary["n_town"], summary["n_village"],
    )  # fmt: skip
    return HierarchyResult(
        settlements=out,
        catchment_links=catchment,
        reach=reach,
        summary=summary,
        roads=ht.road_lines(net),
        targets=options.targets,
        weights=options.weights,
    )


# --------------------------------------------------------------------------- helpers


def _check_options(
    targets: object, weights: object, via_central: object, max_snap_m: object
) -> None:
    if not isinstance(targets, ReachTargets):
        raise InputError(f"targets must be a ReachTargets, got {type(targets).__name__}.")
    if not isinstance(weights, HierarchyWeights):
        raise InputError(f"weights must be a HierarchyWeights, got {type(weights).__name__}.")
    if not isinstance(via_central, bool):
        raise InputError(f"via_central must be True or False, got {via_central!r}.")
    if (
        not isinstance(max_snap_m, int | float)
        or isinstance(max_snap_m, bool)
        or not 0 <= max_snap_m <= MAX_SNAP_LIMIT_M
    ):
        raise InputError(
            f"max_snap_m must be a distance from 0 to {MAX_SNAP_LIMIT_M:,.0f} m, got "
            f"{max_snap_m!r}. A settlement is joined to its nearest road node only if that is "
            "this close (the gap is reported as snap_distance_m, not routed); one farther than "
            f"{MAX_SNAP_LIMIT_M:,.0f} m from every road node is not covered by the road data."
        )


_TARGET_KEYS = ("seat_to_town_min", "town_to_village_min")
_WEIGHT_KEYS = ("population", "villages_served", "centrality", "seat_distance", "central_share")
_OTHER_KEYS = ("n_central", "via_central", "max_snap_m")


def hierarchy_options(params: Mapping[str, Any], **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for :func:`settlement_hierarchy` from a ``[parameters.hierarchy]``
    table of county.toml (``County.params("hierarchy")``).

    Keys: ``seat_to_town_min``, ``town_to_village_min`` (:class:`ReachTargets`);
    ``population``, ``villages_served``, ``centrality``, ``seat_distance``, ``central_share``
    (:class:`HierarchyWeights`); ``n_central``, ``via_central``, ``max_snap_m``. Unknown keys
    are an error; ``overrides`` that are not None win (command-line options).

    Examples
    --------
    >>> opts = hierarchy_options({"town_to_village_min": 15, "n_central": 3})
    >>> opts["targets"].town_to_village_min, opts["n_central"]
    (15, 3)
    """
    params = {**dict(params), **{k: v for k, v in overrides.items() if v is not None}}
    unknown = sorted(set(params) - set(_TARGET_KEYS) - set(_WEIGHT_KEYS) - set(_OTHER_KEYS))
    if unknown:
        raise InputError(
            f"[parameters.hierarchy] has unknown key(s) {unknown}; known: "
            f"{', '.join(_TARGET_KEYS + _WEIGHT_KEYS + _OTHER_KEYS)}."
        )
    opts: dict[str, Any] = {
        "targets": ReachTargets(**{k: params[k] for k in _TARGET_KEYS if k in params}),
        "weights": HierarchyWeights(**{k: params[k] for k in _WEIGHT_KEYS if k in params}),
    }
    for k in _OTHER_KEYS:
        if k in params:
            opts[k] = params[k]
    # checked here too, so that a bad county.toml value stops a command before any analysis
    _check_options(opts["targets"], opts["weights"], opts.get("via_central", True),
                   opts.get("max_snap_m", 0.0))  # fmt: skip
    return opts
