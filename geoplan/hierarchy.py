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

from geoplan import _hierarchy_net as hnet
from geoplan._hierarchy_tiers import (
    TIER_RANK,
    HierarchyWeights,
    ReachTargets,
    assign_tiers,
    check_settlements,
    n_central_for,
    pick_central,
    town_scores,
)
from geoplan.crs import check_same_crs
from geoplan.errors import InputError
from geoplan.network import MultiSourceResult, RoadNetwork, road_network

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

    def add_to_map(
        self,
        m: folium.Map,
        *,
        townships: gpd.GeoDataFrame | None = None,
        roads: bool = True,
    ) -> None:
        """Add township outlines (if given), roads by class with trunk routes emphasised,
        catchment links, the settlements by tier (county seat largest; villages sized by
        population and coloured by whether they meet the town → village target) and legends."""
        from geoplan._hierarchy_map import add_hierarchy

        add_hierarchy(self, m, townships=townships, roads=roads)

    def explore(self, *, townships: gpd.GeoDataFrame | None = None, **kwargs: Any) -> folium.Map:
        """An offline folium map of the hierarchy (keywords go to :func:`geoplan.maps.new_map`:
        ``tiles``, ``lang``, ``title``, ``height``)."""
        from geoplan import maps

        kwargs.setdefault(
            "title", "Settlement hierarchy" if kwargs.get("lang") == "en" else "村镇体系"
        )
        m = maps.new_map(self.settlements, **kwargs)
        self.add_to_map(m, townships=townships)
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
    check_same_crs(("settlements", pts), ("roads", net.nodes))
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
    link_pass: dict[int, MultiSourceResult] = {
        int(i): town_pass for i in np.flatnonzero(is_village)
    }
    seat_ok = np.isfinite(t_seat)
    for group in (central, ordinary):
        parent[group] = np.where(seat_ok[group], seat, -1)
        t_parent[group] = t_seat[group]
    for i in np.concatenate([central, ordinary]):
        link_pass[int(i)] = seat_pass
    mid_src = np.concatenate([[seat], central[on_net[central]]])
    if via_central and len(mid_src) > 1 and len(ordinary):
        mid_own = hnet.owners(mid_src, node[mid_src], rank[mid_src])
        mid_pass = net.multi_source(node[mid_src], reverse=True)
        o_parent, o_time = hnet.nearest_parent(mid_pass, rows[ordinary], mid_own)
        parent[ordinary], t_parent[ordinary] = o_parent, o_time
        for i in ordinary:
            link_pass[int(i)] = mid_pass

    out = _settlement_frame(pts, tier, parent, t_parent, t_seat, snap, towns, terms, served,
                            within, seat)  # fmt: skip
    reasons = _reasons(
        tier, on_net, parent, t_seat, snap, max_snap_m, via_central, has_central=len(central) > 0
    )
    out["reason"] = pd.array(reasons, dtype="string")
    geom = out.geometry.name
    out = out[[c for c in out.columns if c != geom] + [geom]]
    links = _links(net, out, parent, rows, link_pass, seat)
    reach = _reach(out, targets)
    summary = _summary(out, reach, targets, central_inferred=not central_given, unnamed=unnamed)
    road_lines = _road_lines(net)
    logger.info(
        "hierarchy: %d settlements, %d central towns, %d towns, %d villages",
        n, summary["n_central_town"], summary["n_town"], summary["n_village"],
    )  # fmt: skip
    return HierarchyResult(
        settlements=out,
        catchment_links=links,
        reach=reach,
        summary=summary,
        roads=road_lines,
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
        or not max_snap_m >= 0
    ):
        raise InputError(f"max_snap_m must be a distance in metres >= 0, got {max_snap_m!r}.")


def _settlement_frame(
    pts: gpd.GeoDataFrame,
    tier: np.ndarray,
    parent: np.ndarray,
    t_parent: np.ndarray,
    t_seat: np.ndarray,
    snap: np.ndarray,
    towns: np.ndarray,
    terms: pd.DataFrame,
    served: np.ndarray,
    within: np.ndarray,
    seat: int,
) -> gpd.GeoDataFrame:
    n = len(pts)
    out = pts.copy()
    ids = _id_column(pts.index)
    out["settlement_id"] = ids.array
    out["tier"] = pd.array(tier.astype(str), dtype="string")
    names = pts["name"].astype("string").to_numpy()
    ok = parent >= 0
    out["parent"] = _masked_strings(names[np.maximum(parent, 0)], ok)
    pid = ids.iloc[np.maximum(parent, 0)].reset_index(drop=True)
    out["parent_id"] = pid.where(pd.Series(ok), other=None).astype(ids.dtype).array
    out["parent_tier"] = _masked_strings(tier[np.maximum(parent, 0)], ok)
    out["time_to_parent_min"] = t_parent
    out["time_to_seat_min"] = t_seat
    out.iloc[seat, out.columns.get_loc("time_to_seat_min")] = 0.0
    for col in ("score", "score_population", "score_villages", "score_centrality",
                "score_seat_distance"):  # fmt: skip
        vals = np.full(n, np.nan)
        vals[towns] = terms[col].to_numpy()
        out[col] = vals
    vs = np.full(n, np.nan)
    vs[towns] = served[towns]
    out["villages_served"] = pd.Series(vs).astype("Int64").array
    sw = np.full(n, np.nan)
    sw[towns] = within
    out["settlements_within"] = pd.Series(sw).astype("Int64").array
    out["snap_distance_m"] = np.where(np.isfinite(snap), snap, np.nan)
    return out


def _masked_strings(values: np.ndarray, ok: np.ndarray) -> Any:
    """A string array with ``values`` where ``ok``, missing elsewhere."""
    return pd.Series(values.astype(str), dtype="string").where(pd.Series(ok)).array


def _id_column(index: pd.Index) -> pd.Series:
    """Settlement ids from the index: integers as Int64, anything else as strings."""
    if pd.api.types.is_integer_dtype(index.dtype):
        return pd.Series(index.to_numpy(dtype=np.int64), dtype="Int64")
    return pd.Series(index.astype(str), dtype="string")


def _reasons(
    tier: np.ndarray,
    on_net: np.ndarray,
    parent: np.ndarray,
    t_seat: np.ndarray,
    snap: np.ndarray,
    max_snap_m: float,
    via_central: bool,
    *,
    has_central: bool,
) -> list[str | None]:
    out: list[str | None] = []
    for t, on, p, ts, sd in zip(tier, on_net, parent, t_seat, snap, strict=True):
        if not on:
            near = "no road node at all" if not np.isfinite(sd) else f"nearest {sd:.0f} m"
            out.append(f"no road node within {max_snap_m:g} m ({near})")
        elif t == "county_seat":
            out.append(None)
        elif p < 0:
            if t == "village":
                out.append("no town reachable by road")
            elif t == "town" and via_central and has_central:
                out.append("neither a central town nor the county seat reachable by road")
            else:
                out.append("county seat not reachable by road")
        elif not np.isfinite(ts):
            out.append("county seat not reachable by road")
        else:
            out.append(None)
    return out


_LINK_KIND = {
    ("village", "county_seat"): "village-town",
    ("village", "central_town"): "village-town",
    ("village", "town"): "village-town",
    ("town", "central_town"): "town-central",
    ("town", "county_seat"): "town-seat",
    ("central_town", "county_seat"): "town-seat",
}


def _links(
    net: RoadNetwork,
    out: gpd.GeoDataFrame,
    parent: np.ndarray,
    rows: np.ndarray,
    link_pass: Mapping[int, Any],
    seat: int,
) -> gpd.GeoDataFrame:
    xy = np.column_stack([out.geometry.x.to_numpy(), out.geometry.y.to_numpy()])
    child = np.flatnonzero(parent >= 0)
    geoms = np.empty(len(child), dtype=object)
    by_pass: dict[int, list[int]] = {}
    passes: dict[int, Any] = {}
    for j, i in enumerate(child):
        res = link_pass[int(i)]
        by_pass.setdefault(id(res), []).append(j)
        passes[id(res)] = res
    for key, js in by_pass.items():
        sel = np.asarray(js, dtype=np.int64)
        c = child[sel]
        geoms[sel] = hnet.routed_links(net, passes[key], rows[c], xy[c], xy[parent[c]])
    cols = ["settlement_id", "name", "tier", "parent_id", "parent", "parent_tier"]
    links = pd.DataFrame(out[cols].iloc[child]).reset_index(drop=True)
    links["link"] = pd.array(
        [_LINK_KIND[(str(a), str(b))] for a, b in zip(links["tier"], links["parent_tier"],
                                                       strict=True)],
        dtype="string",
    )  # fmt: skip
    links["time_min"] = out["time_to_parent_min"].to_numpy()[child]
    return gpd.GeoDataFrame(links, geometry=list(geoms), crs=out.crs)


def _reach(out: gpd.GeoDataFrame, targets: ReachTargets) -> gpd.GeoDataFrame:
    tier = out["tier"].astype(str).to_numpy()
    seat = int(np.flatnonzero(tier == "county_seat")[0])
    parts = []
    for check, mask, target, time_col in (
        ("seat_town", np.isin(tier, ("central_town", "town")), targets.seat_to_town_min,
         "time_to_seat_min"),
        ("town_village", tier == "village", targets.town_to_village_min, "time_to_parent_min"),
    ):  # fmt: skip
        sub = out[mask]
        time = sub[time_col].to_numpy(dtype=float)
        frame = pd.DataFrame(
            {
                "check": pd.array([check] * len(sub), dtype="string"),
                "settlement_id": sub["settlement_id"].array,
                "name": sub["name"].to_numpy(),
                "tier": sub["tier"].to_numpy(),
                "counterpart_id": (
                    out["settlement_id"].iloc[[seat] * len(sub)].array
                    if check == "seat_town"
                    else sub["parent_id"].array
                ),
                "counterpart": (
                    pd.array([out["name"].iloc[seat]] * len(sub), dtype="string")
                    if check == "seat_town"
                    else sub["parent"].to_numpy()
                ),
                "target_min": float(target),
                "time_min": time,
                "meets": np.isfinite(time) & (time <= target),
                "shortfall_min": np.where(
                    np.isfinite(time), np.maximum(time - target, 0.0), np.nan
                ),  # fmt: skip
                "reason": sub["reason"].to_numpy(),
                "geometry": sub.geometry.to_numpy(),
            }
        )
        parts.append(frame)
    table = pd.concat(parts, ignore_index=True)
    dtypes: dict[str, Any] = {"settlement_id": out["settlement_id"].dtype,
                              "counterpart_id": out["settlement_id"].dtype, "name": "string",
                              "tier": "string", "counterpart": "string", "reason": "string"}  # fmt: skip
    table = table.astype(dtypes)
    return gpd.GeoDataFrame(table, geometry="geometry", crs=out.crs)


def _finite_max(values: pd.Series) -> float | None:
    v = values.to_numpy(dtype=float, na_value=np.nan)
    v = v[np.isfinite(v)]
    return round(float(v.max()), 3) if len(v) else None


def _summary(
    out: gpd.GeoDataFrame,
    reach: gpd.GeoDataFrame,
    targets: ReachTargets,
    *,
    central_inferred: bool,
    unnamed: int,
) -> dict[str, Any]:
    tier = out["tier"].astype(str)
    counts = tier.value_counts()
    names = out["name"].astype(str)
    summary: dict[str, Any] = {
        "settlements": len(out),
        "county_seat": str(names[tier == "county_seat"].iloc[0]),
        "n_central_town": int(counts.get("central_town", 0)),
        "n_town": int(counts.get("town", 0)),
        "n_village": int(counts.get("village", 0)),
        "central_towns": "、".join(names[tier == "central_town"].tolist()),
        "central_inferred": bool(central_inferred),
        "off_network": int(out["reason"].str.startswith("no road node").fillna(False).sum()),
        "no_parent": int((out["parent"].isna() & (tier != "county_seat")).sum()),
        "seat_unreachable": int(out["time_to_seat_min"].isna().sum()),
        "unnamed": int(unnamed),
        "max_snap_distance_m": _finite_max(out["snap_distance_m"]),
        "max_time_to_seat_min": _finite_max(out["time_to_seat_min"]),
        "max_village_time_min": _finite_max(out.loc[tier == "village", "time_to_parent_min"]),
    }
    for check, target in (("seat_town", targets.seat_to_town_min),
                          ("town_village", targets.town_to_village_min)):  # fmt: skip
        rows = reach[reach["check"] == check]
        meet = int(rows["meets"].sum())
        summary[f"{check}_target_min"] = float(target)
        summary[f"{check}_checked"] = len(rows)
        summary[f"{check}_meet"] = meet
        summary[f"{check}_miss"] = len(rows) - meet
        summary[f"{check}_share_meeting"] = round(meet / len(rows), 4) if len(rows) else None
        summary[f"{check}_max_min"] = _finite_max(rows["time_min"])
    return summary


_MAP_HIGHWAYS = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified",
)  # fmt: skip


def _road_lines(net: RoadNetwork) -> gpd.GeoDataFrame:
    """One line per road piece (the backward copy of a two-way edge left out), classes down to
    unclassified (村道) plus any trunk route: what the hierarchy map draws."""
    e = net.edges
    keep = (~e["reversed"].to_numpy(dtype=bool)) | e["oneway"].to_numpy(dtype=bool)
    hw = e["highway"].astype("string")
    keep &= (hw.isin(_MAP_HIGHWAYS).fillna(False) | e["is_trunk"]).to_numpy(dtype=bool)
    cols = ["highway", "ref", "name", "is_trunk"]
    return gpd.GeoDataFrame(e.loc[keep, cols].reset_index(drop=True),
                            geometry=e.geometry[keep].to_numpy(), crs=e.crs)  # fmt: skip


_TARGET_KEYS = ("seat_to_town_min", "town_to_village_min")
_WEIGHT_KEYS = ("population", "villages_served", "centrality", "seat_distance", "central_share")
_OTHER_KEYS = ("n_central", "via_central", "max_snap_m")


def hierarchy_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments for :func:`settlement_hierarchy` from a ``[parameters.hierarchy]``
    table of county.toml (``County.params("hierarchy")``).

    Keys: ``seat_to_town_min``, ``town_to_village_min`` (:class:`ReachTargets`);
    ``population``, ``villages_served``, ``centrality``, ``seat_distance``, ``central_share``
    (:class:`HierarchyWeights`); ``n_central``, ``via_central``, ``max_snap_m``.

    Examples
    --------
    >>> opts = hierarchy_options({"town_to_village_min": 15, "n_central": 3})
    >>> opts["targets"].town_to_village_min, opts["n_central"]
    (15, 3)
    """
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
    return opts
