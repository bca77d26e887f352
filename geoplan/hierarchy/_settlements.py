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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

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
from geoplan.network import RoadNetwork, road_network

if TYPE_CHECKING:
    import folium

__all__ = [
    "HierarchyResult",
    "HierarchyWeights",
    "ReachTargets",
    "hierarchy_options",
    "settlement_hierarchy",
]

logger = logging.getLogger(__name__)

_TOWNS = ("county_seat", "central_town", "town")


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

    def to_files(
        self, directory: str | os.PathLike[str], *, townships: gpd.GeoDataFrame | None = None
    ) -> dict[str, Path]:
        """Write ``hierarchy.gpkg`` (layers settlements, catchment_links, reach) and
        ``hierarchy.html`` (the offline map) into ``directory``, each atomically.

        ``townships`` (polygons) are drawn on the map as context when given.
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
        html = maps.save_html(self.explore(townships=townships), out / "hierarchy.html")
        return {"gpkg": gpkg, "html": html}

    def add_to_map(self, m: folium.Map, *, roads: bool = True) -> None:
        """Add roads by class with trunk routes emphasised, catchment links, the settlements by
        tier (county seat largest; villages sized by population and coloured by whether they
        meet the town → village target) and legends."""
        from geoplan.hierarchy._map import add_hierarchy

        add_hierarchy(self, m, roads=roads)

    def explore(self, *, townships: gpd.GeoDataFrame | None = None, **kwargs: Any) -> folium.Map:
        """An offline folium map of the hierarchy (keywords go to :func:`geoplan.maps.new_map`:
        ``tiles``, ``lang``, ``title``, ``height``)."""
        from geoplan import maps

        kwargs.setdefault(
            "title", "Settlement hierarchy" if kwargs.get("lang") == "en" else "村镇体系"
        )
        m = maps.new_map(self.settlements, **kwargs)
        maps.add_context(m, townships=townships)
        self.add_to_map(m)
        return maps.finish(m)


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
    pts, unnamed = check_settlements(settlements)
    net = roads if isinstance(roads, RoadNetwork) else road_network(roads, crs=pts.crs)
    if not net.crs.equals(pts.crs):
        raise CRSError(
            f"The settlements are in {pts.crs.name} but the road network is in {net.crs.name}. "
            "Build the network in the settlements' CRS (road_network(source, "
            "crs=settlements.crs); a County's layers are all in county.crs) or reproject the "
            "settlements with settlements.to_crs(network.crs)."
        )
    tier, seat, central_given = assign_tiers(pts)
    n = len(pts)
    names = pts["name"].astype(str).to_numpy()

    node, snap = net.nearest_nodes(pts.geometry)
    on_net = np.isfinite(snap) & (snap <= max_snap_m)
    if not on_net[seat]:
        raise InputError(
            f"The county seat {names[seat]!r} is {snap[seat]:.0f} m from the nearest road node "
            f"(max_snap_m={max_snap_m:g}); nothing can be timed to it. Check that the roads "
            "cover the county (same CRS, right extract) or raise max_snap_m."
        )
    rows = np.full(n, -1, dtype=np.int64)
    rows[on_net] = net.node_rows(node[on_net])
    rank = np.array([TIER_RANK[t] for t in tier])

    # 1. everyone -> the county seat
    seat_pass = net.multi_source([node[seat]], reverse=True)
    t_seat = np.full(n, np.nan)
    d = seat_pass.dist[rows[on_net]]
    t_seat[on_net] = np.where(np.isfinite(d), d / 60.0, np.nan)

    # 2. villages -> the fastest town of any tier
    is_town = np.isin(tier, _TOWNS)
    src = np.flatnonzero(is_town & on_net)
    town_own = hnet.owners(src, node[src], rank[src])
    town_pass = net.multi_source(node[src], reverse=True)
    v_parent, v_time = hnet.nearest_parent(town_pass, rows, town_own)

    # 3. scores of towns, central towns
    towns = np.flatnonzero(np.isin(tier, ("central_town", "town")))
    budget = targets.town_to_village_min
    is_village = tier == "village"
    served = np.bincount(v_parent[is_village & (v_parent >= 0) & (v_time <= budget)], minlength=n)
    within = hnet.reach_counts(net, rows[towns], rows, budget * 60.0)
    within = np.where(rows[towns] >= 0, within - 1, 0)  # not the town itself
    pop = pts["population"].to_numpy(dtype=float)
    terms = town_scores(
        population=pop[towns],
        villages_served=served[towns].astype(float),
        reach_count=within.astype(float),
        seat_time_min=t_seat[towns],
        weights=weights,
    )
    if central_given:
        if n_central is not None:
            logger.warning(
                "n_central=%s ignored: the settlements already mark central towns", n_central
            )
    else:
        k = n_central_for(len(towns), weights, n_central)
        chosen = towns[pick_central(terms["score"].to_numpy(), pop[towns], k)]
        tier[chosen] = "central_town"
        rank[chosen] = TIER_RANK["central_town"]

    # 4. parents of towns
    parent = np.where(is_village, v_parent, -1)
    t_parent = np.where(is_village, v_time, np.nan)
    central = np.flatnonzero(tier == "central_town")
    ordinary = np.flatnonzero(tier == "town")
    seat_ok = np.isfinite(t_seat)
    for group in (central, ordinary):
        parent[group] = np.where(seat_ok[group], seat, -1)
        t_parent[group] = t_seat[group]
    # the pass whose search tree routes each settlement's catchment link
    passes = [town_pass, seat_pass]
    pass_of = np.where(is_village, 0, 1)
    mid_src = np.concatenate([[seat], central[on_net[central]]])
    if via_central and len(mid_src) > 1 and len(ordinary):
        mid_own = hnet.owners(mid_src, node[mid_src], rank[mid_src])
        passes.append(net.multi_source(node[mid_src], reverse=True))
        o_parent, o_time = hnet.nearest_parent(passes[2], rows[ordinary], mid_own)
        parent[ordinary], t_parent[ordinary] = o_parent, o_time
        pass_of[ordinary] = 2

    out = ht.settlement_frame(pts, tier, parent, t_parent, t_seat, snap, towns, terms, served,
                            within, seat)  # fmt: skip
    why = ht.reasons(
        tier, on_net, parent, t_seat, snap, max_snap_m, via_central, has_central=len(central) > 0
    )
    out["reason"] = pd.array(why, dtype="string")
    geom = out.geometry.name
    out = out[[c for c in out.columns if c != geom] + [geom]]
    links = ht.links_frame(net, out, parent, rows, passes, pass_of)
    reach = ht.reach_frame(out, targets)
    summary = ht.summarise(out, reach, targets, central_inferred=not central_given, unnamed=unnamed)
    roads_drawn = ht.road_lines(net)
    logger.info(
        "hierarchy: %d settlements, %d central towns, %d towns, %d villages",
        n, summary["n_central_town"], summary["n_town"], summary["n_village"],
    )  # fmt: skip
    return HierarchyResult(
        settlements=out,
        catchment_links=links,
        reach=reach,
        summary=summary,
        roads=roads_drawn,
        targets=targets,
        weights=weights,
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
