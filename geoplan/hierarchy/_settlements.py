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

import datetime as dt
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.connectivity import MAX_SNAP_LIMIT_M
from geoplan.errors import CRSError, InputError
from geoplan.hierarchy import _net as hnet
from geoplan.hierarchy import _tables as ht
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
    import folium

    from geoplan.io import RunRecord
    from geoplan.maps import MapContext

__all__ = [
    "HierarchyResult",
    "HierarchyWeights",
    "ReachTargets",
    "hierarchy_options",
    "settlement_hierarchy",
]

logger = logging.getLogger(__name__)

_TOWNS = ("county_seat", "central_town", "town")


#: Chinese labels of the hierarchy tables' columns (database comments)
HIERARCHY_LABELS = {
    "settlement_id": "居民点编号", "name": "名称", "kind": "类型", "population": "人口",
    "tier": "等级", "parent": "上级居民点", "parent_id": "上级居民点编号",
    "parent_tier": "上级等级", "time_to_parent_min": "到上级时间(分钟)",
    "time_to_seat_min": "到县城时间(分钟)", "score": "中心镇得分", "score_population": "人口得分",
    "score_villages": "服务村庄得分", "score_centrality": "中心性得分",
    "score_seat_distance": "距县城得分", "villages_served": "服务村庄数",
    "settlements_within": "范围内居民点数", "snap_distance_m": "到路网距离(米)", "reason": "说明",
    "link": "联系类型", "time_min": "时间(分钟)", "check": "核查项",
    "counterpart_id": "对应居民点编号", "counterpart": "对应居民点", "target_min": "目标时间(分钟)",
    "meets": "达到目标", "shortfall_min": "差距(分钟)",
}  # fmt: skip


@dataclass(frozen=True)
class HierarchyResult:
    """The settlement hierarchy of a county.

    Attributes
    ----------
    settlements : GeoDataFrame
        The input settlements (same index and columns) plus ``settlement_id`` (the index label),
        ``tier``, ``parent``, ``parent_id``, ``parent_tier``, ``time_to_parent_min``,
        ``time_to_seat_min``, ``score`` (towns only) with its four normalised terms
        ``score_population``, ``score_villages``, ``score_centrality``, ``score_seat_distance``
        and raw ``villages_served``, ``settlements_within``; ``snap_distance_m`` (to the nearest
        road node) and ``reason`` (why a time or parent is missing, else null).
    catchment_links : GeoDataFrame
        One routed line per settlement with a parent: ``settlement_id``, ``name``, ``tier``,
        ``parent_id``, ``parent``, ``parent_tier``, ``link`` (``village-town``,
        ``town-central``, ``town-seat``), ``time_min``.
    reach : GeoDataFrame
        One row per checked pair at the lower settlement's point: ``check``
        (``seat_town`` or ``town_village``), ``settlement_id``, ``name``, ``tier``,
        ``counterpart_id``, ``counterpart``, ``target_min``, ``time_min``, ``meets``,
        ``shortfall_min`` (minutes over the target, 0 when met, NaN when unreachable),
        ``reason``.
    summary : dict
        JSON-serialisable figures (see :func:`settlement_hierarchy`).
    roads : GeoDataFrame or None
        The road lines drawn under the hierarchy on maps (highway, ref, name, is_trunk).

    Examples
    --------
    >>> import tempfile, geopandas as gpd, shapely
    >>> roads = gpd.GeoDataFrame(
    ...     {"highway": ["trunk"]}, geometry=[shapely.LineString([(0, 0), (7000, 0)])], crs=4547)
    >>> pts = gpd.GeoDataFrame(
    ...     {"name": ["县城", "<b>村</b>"], "kind": ["县城", "村"]},
    ...     geometry=[shapely.Point(0, 0), shapely.Point(7000, 50)], crs=4547)
    >>> h = settlement_hierarchy(pts, roads)
    >>> m = h.explore(lang="en")          # a folium map; shows itself in Jupyter
    >>> files = h.to_files(tempfile.mkdtemp())
    >>> sorted(p.name for p in files.values())
    ['hierarchy.gpkg', 'hierarchy.html']
    >>> "&lt;b&gt;村&lt;/b&gt;" in files["html"].read_text(encoding="utf-8")
    True
    """

    settlements: gpd.GeoDataFrame
    catchment_links: gpd.GeoDataFrame
    reach: gpd.GeoDataFrame
    summary: dict[str, Any]
    roads: gpd.GeoDataFrame | None = None
    targets: ReachTargets = field(default_factory=ReachTargets)
    weights: HierarchyWeights = field(default_factory=HierarchyWeights)

    def _repr_html_(self) -> str:
        """The key figures as a table (Chinese headers) when shown in a notebook."""
        from geoplan._repr import figures_html

        return figures_html(
            "城镇村体系", self.summary, "hierarchy",
            tables={"居民点": self.settlements, "联系线": self.catchment_links,
                    "可达性检查": self.reach},
        )  # fmt: skip

    def to_files(
        self, directory: str | os.PathLike[str], *, context: MapContext | None = None
    ) -> dict[str, Path]:
        """Write ``hierarchy.gpkg`` (layers settlements, catchment_links, reach) and
        ``hierarchy.html`` (the offline map) into ``directory``, each atomically.

        The map draws ``context`` (county and township outlines,
        :func:`geoplan.runs.map_context`) under the hierarchy.
        """
        from geoplan import maps
        from geoplan.io import write_gpkg

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        gpkg = write_gpkg(
            out / "hierarchy.gpkg",
            {
                "settlements": self.settlements,
                "catchment_links": self.catchment_links,
                "reach": self.reach,
            },
        )
        html = maps.save_html(self.explore(context=context), out / "hierarchy.html")
        return {"gpkg": gpkg, "html": html}

    def to_postgis(
        self,
        url: str,
        *,
        adcode: str,
        as_of: dt.date,
        schema: str | None = None,
        mode: Literal["replace", "append"] = "replace",
        county_name: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        started: dt.datetime | None = None,
    ) -> RunRecord:
        """Write the result into a PostGIS database in one transaction: tables ``hierarchy_settlements``, ``hierarchy_catchment_links`` and ``hierarchy_reach``
        (typed, a ``gid`` primary key, ``geom`` with its SRID and a GiST index, Chinese column
        comments) and a ``geoplan_runs`` row keyed by county ``adcode``, ``as_of`` and the
        analysis (``parameters``: the options used, stored as jsonb). ``mode="replace"``
        removes the earlier runs of the same key, ``"append"`` keeps them. ``url`` is
        ``postgresql://user@host:5432/db#schema``, the password from ``PGPASSWORD`` or
        ``~/.pgpass``; see :func:`geoplan.io.write_postgis`.
        """
        from geoplan.io import write_result

        tables = (
            ("hierarchy_settlements", self.settlements, "城镇体系 · 居民点等级", "point"),
            ("hierarchy_catchment_links", self.catchment_links, "城镇体系 · 服务联系", "line"),
            ("hierarchy_reach", self.reach, "城镇体系 · 可达性目标核查", "point"),
        )
        return write_result(
            url, "hierarchy", tables, HIERARCHY_LABELS, adcode=adcode, as_of=as_of,
            summary=self.summary, parameters={"targets": self.targets, "weights": self.weights, **(parameters or {})}, county_name=county_name,
            started=started, schema=schema, mode=mode,
        )  # fmt: skip

    def add_to_map(self, m: folium.Map, *, roads: bool = True) -> None:
        """Add roads by class with trunk routes emphasised, catchment links, the settlements by
        tier (county seat largest; villages sized by population and coloured by whether they
        meet the town → village target) and legends."""
        from geoplan.hierarchy._map import add_hierarchy

        add_hierarchy(self, m, roads=roads)

    def explore(self, *, context: MapContext | None = None, **kwargs: Any) -> folium.Map:
        """An offline folium map of the hierarchy over ``context`` (county and township
        outlines; keywords go to :func:`geoplan.maps.new_map`: ``tiles``, ``lang``, ``title``,
        ``height``)."""
        from geoplan import maps

        kwargs.setdefault(
            "title", "Settlement hierarchy" if kwargs.get("lang") == "en" else "村镇体系"
        )
        return maps.compose(self, extent=[self.settlements], context=context, **kwargs)


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
