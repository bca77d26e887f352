"""Park-to-trunk connectivity (园区与交通主干道互联互通): distances, times, detour, redundancy,
routes and isochrones over the real road network.

All parks are solved together: one multi-source Dijkstra *towards* all trunk-route nodes (and one
towards all motorway entrances) on the reversed CSR graph gives every node its cost to the nearest
target, so each park is a minimum over its access nodes. Edge-disjoint access routes come from a
unit-capacity maximum flow per park.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geoplan.connectivity import _tables as tables
from geoplan.connectivity._access import snap_features
from geoplan.connectivity._isochrones import reach_polygons
from geoplan.errors import CRSError, EmptyLayerError, InputError
from geoplan.network import NETWORK_KEYS, RoadNetwork, network_options, road_network

if TYPE_CHECKING:
    import folium

    from geoplan.io import RunRecord
    from geoplan.maps import MapContext

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

logger = logging.getLogger(__name__)

#: Upper bound of ``snap_tolerance`` (metres). Every road node within the tolerance of a park is
#: one of its entrances, reached at no cost: a tolerance of x m lets a route skip up to x m of
#: travel that is not on the network (at 1e9 m every node is an entrance and every park sits 0 m
#: from a trunk route). 500 m is more than any gap between a park's gate and the nearest junction
#: of a road layer; parks farther from the roads are handled by ``max_snap_m``.
SNAP_TOLERANCE_LIMIT_M = 500.0
#: Upper bound of ``max_snap_m`` (metres): a park (or settlement) with no node inside or within
#: the tolerance is joined to its nearest node if that is this close (the gap is reported as
#: ``snap_distance_m``, not routed). A park more than 10 km from every road node is not covered
#: by the road data, and its figures would describe another place.
MAX_SNAP_LIMIT_M = 10_000.0

#: columns of ``ConnectivityResult.parks`` / ``connectivity.csv``, in order (after park_id, name).
PARK_COLUMNS = (
    "park_id", "name", "access_nodes", "snap_distance_m", "trunk_distance_m", "trunk_time_min",
    "nearest_trunk_ref", "motorway_distance_m", "motorway_time_min", "detour_index",
    "detour_flag", "access_routes", "within_30min", "reason",
)  # fmt: skip

RoadsInput: TypeAlias = RoadNetwork | gpd.GeoDataFrame | str | Path


#: Chinese labels of the connectivity tables' columns (database comments)
CONNECTIVITY_LABELS = {
    "park_id": "园区编号", "name": "园区名称", "level": "园区级别", "access_nodes": "出入节点数",
    "snap_distance_m": "园区到路网距离(米)", "trunk_distance_m": "到干线公路距离(米)",
    "trunk_time_min": "到干线公路时间(分钟)", "nearest_trunk_ref": "最近干线编号",
    "motorway_distance_m": "到高速入口距离(米)", "motorway_time_min": "到高速入口时间(分钟)",
    "detour_index": "绕行系数", "detour_flag": "绕行过大", "access_routes": "独立出入路线数",
    "within_30min": "30分钟内到达高速入口", "reason": "说明", "trunk_node": "到达的干线节点",
    "motorway_node": "到达的高速入口节点", "target": "目标(trunk 干线 / motorway 高速入口)",
    "from_node": "起点节点", "to_node": "终点节点", "to_ref": "终点道路编号",
    "distance_m": "距离(米)", "time_min": "时间(分钟)", "minutes": "等时圈(分钟)",
    "nodes_reached": "可达节点数", "area_m2": "面积(平方米)", "node_id": "节点编号",
}  # fmt: skip


@dataclass(frozen=True)
class ConnectivityResult:
    """Connectivity of each park to trunk routes and motorway entrances.

    Attributes
    ----------
    parks : GeoDataFrame
        One row per park, indexed like the input: :data:`PARK_COLUMNS`, ``trunk_node`` and
        ``motorway_node`` (ids of the nodes reached), ``level`` when the input has it, geometry.
    routes : GeoDataFrame
        Shortest-distance route of each park to its nearest trunk-route node (``target`` =
        "trunk") and motorway entrance ("motorway"): park_id, target, from_node, to_node, to_ref,
        distance_m, time_min (driving time along this route), geometry.
    isochrones : GeoDataFrame
        park_id, minutes, nodes_reached, area_m2, geometry: what can be reached from the park.
    access : DataFrame
        park_id, node_id, distance_m: every access node of every park.
    summary : dict
        JSON-serialisable counts and figures.
    network : RoadNetwork
        The network used.
    """

    parks: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    isochrones: gpd.GeoDataFrame
    access: pd.DataFrame
    summary: dict[str, Any]
    network: RoadNetwork = field(repr=False)

    def _repr_html_(self) -> str:
        """The key figures as a table (Chinese headers) when shown in a notebook."""
        from geoplan._repr import figures_html

        return figures_html(
            "园区与交通干线连通性", self.summary, "connectivity",
            tables={"园区": self.parks, "最短路径": self.routes, "等时圈": self.isochrones},
        )  # fmt: skip

    def to_files(
        self, directory: str | Path, *, context: MapContext | None = None
    ) -> dict[str, Path]:
        """Write ``connectivity.gpkg`` (layers parks, routes, isochrones) and
        ``connectivity.csv`` (the parks table) atomically; return their paths.

        No map is written here (``geoplan connectivity`` saves ``explore(context=…)`` as
        ``connectivity.html``); ``context`` is accepted so every result is written alike."""
        from geoplan.io import write_csv, write_gpkg

        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        gpkg = write_gpkg(
            out / "connectivity.gpkg",
            {"parks": self.parks, "routes": self.routes, "isochrones": self.isochrones},
        )
        csv = write_csv(out / "connectivity.csv", self.parks)
        return {"gpkg": gpkg, "csv": csv}

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
        """Write the result into a PostGIS database in one transaction: tables ``connectivity_parks``, ``connectivity_routes``, ``connectivity_isochrones`` and
        ``connectivity_access``
        (typed, a ``gid`` primary key, ``geom`` with its SRID and a GiST index, Chinese column
        comments) and a ``geoplan_runs`` row keyed by county ``adcode``, ``as_of`` and the
        analysis (``parameters``: the options used, stored as jsonb). ``mode="replace"``
        removes the earlier runs of the same key, ``"append"`` keeps them. ``url`` is
        ``postgresql://user@host:5432/db#schema``, the password from ``PGPASSWORD`` or
        ``~/.pgpass``; see :func:`geoplan.io.write_postgis`.
        """
        from geoplan.io import write_result

        tables = (
            ("connectivity_parks", self.parks, "园区连通性 · 园区到干线与高速入口", "polygon"),
            ("connectivity_routes", self.routes, "园区连通性 · 最短路线", "line"),
            ("connectivity_isochrones", self.isochrones, "园区连通性 · 等时圈", "polygon"),
            ("connectivity_access", self.access, "园区连通性 · 园区出入节点", None),
        )
        return write_result(
            url, "connectivity", tables, CONNECTIVITY_LABELS, adcode=adcode, as_of=as_of,
            summary=self.summary, parameters=parameters, county_name=county_name,
            started=started, schema=schema, mode=mode,
        )  # fmt: skip

    def add_to_map(self, m: folium.Map) -> None:
        """Add isochrones, parks (coloured by minutes to a motorway entrance), routes and the
        trunk network to a :mod:`geoplan.maps` map."""
        from geoplan.connectivity._map import add_connectivity

        add_connectivity(m, self)

    def explore(self, *, context: MapContext | None = None, **kw: Any) -> folium.Map:
        """An offline folium map of the result over ``context`` (county and township outlines;
        keywords go to :func:`geoplan.maps.new_map`)."""
        from geoplan import maps

        return maps.compose(self, extent=[self.parks], context=context, **kw)


def _resolve(parks: gpd.GeoDataFrame, roads: RoadsInput) -> tuple[gpd.GeoDataFrame, RoadNetwork]:
    """Bring parks and roads into one metric CRS, explicitly."""
    from geoplan.crs import check_same_crs, to_metric

    if not isinstance(parks, gpd.GeoDataFrame):
        raise InputError(f"parks must be a GeoDataFrame of polygons; got {type(parks).__name__}.")
    if len(parks) == 0:
        raise EmptyLayerError("The parks layer holds no features; there is nothing to measure.")
    if parks.crs is None:
        raise CRSError("The parks layer has no CRS; set it with parks.set_crs(...).")
    if isinstance(roads, RoadNetwork):
        if not CRS.from_user_input(parks.crs).equals(roads.crs):
            raise CRSError(
                f"parks are in {parks.crs.name} but the road network is in {roads.crs.name}. "
                "Reproject the parks first: parks.to_crs(network.crs)."
            )
        return parks, roads
    if isinstance(roads, gpd.GeoDataFrame):
        check_same_crs(("parks", parks), ("roads", roads))
        net = road_network(roads)
        return to_metric(parks, net.crs, name="parks"), net
    crs = parks.crs if CRS.from_user_input(parks.crs).is_projected else None
    net = road_network(roads, crs=crs)
    return to_metric(parks, net.crs, name="parks"), net


def _park_ids(parks: gpd.GeoDataFrame) -> pd.Series:
    ids = pd.Series([str(i) for i in parks.index], index=parks.index, dtype="string")
    if "park_id" in parks.columns:
        given = parks["park_id"].astype("string")
        ids = given.where(given.notna() & (given.str.strip() != ""), ids)
    dup = ids[ids.duplicated(keep=False)]
    if len(dup):
        raise InputError(
            f"park_id values repeat: {sorted(set(dup.tolist()))[:10]}. Each park needs its own id "
            "so routes and isochrones can be matched to it; fix the ids or drop the column "
            "(the row index is then used)."
        )
    return ids


def park_connectivity(
    parks: gpd.GeoDataFrame,
    roads: RoadsInput,
    *,
    max_routes: int = 4,
    snap_tolerance: float = 50.0,
    max_snap_m: float = 2000.0,
    detour_limit: float = 1.5,
    isochrone_minutes: Sequence[float] = (10, 20, 30),
    isochrone_buffer_m: float = 100.0,
) -> ConnectivityResult:
    """Distance, time, detour and redundancy of each park's connection to trunk routes.

    Parameters
    ----------
    parks
        Park polygons (columns park_id, name, level used when present).
    roads
        A :class:`~geoplan.network.RoadNetwork`, a road line GeoDataFrame (same CRS as the
        parks), or a path accepted by :func:`~geoplan.network.road_network` (an OSM file is
        projected into the parks' CRS when that is metric).
    max_routes
        Cap on ``access_routes`` (the number of edge-disjoint paths from the park to any trunk
        route, from a unit-capacity maximum flow; one-ways respected). 0 skips the flow.
    snap_tolerance
        Access nodes are the network nodes inside the park or within this many metres of it
        (0 to 500 m: see :data:`SNAP_TOLERANCE_LIMIT_M` for why).
    max_snap_m
        A park with no node inside/within the tolerance is joined to its nearest node if that is
        within this distance (the gap is ``snap_distance_m``); farther parks get NaN and a reason
        (0 to 10,000 m).
    detour_limit
        ``detour_flag`` marks parks whose detour index exceeds this (1.5 by default).
    isochrone_minutes
        Travel-time budgets for the isochrones from each park (empty: none).
    isochrone_buffer_m
        Half-width of the isochrone polygons around the reached roads.

    Returns
    -------
    ConnectivityResult

    Notes
    -----
    Travel is out of the park: from its access nodes to the target, one-ways respected.
    ``trunk_distance_m`` is the shortest network distance to any node of a trunk route and
    ``trunk_time_min`` the shortest driving time (the fastest and the shortest route may end at
    different nodes); ``nearest_trunk_ref``, the route geometry and ``detour_index`` (network ÷
    straight-line distance between the same start node and trunk node) follow the shortest
    route. The detour index is NaN when the park touches a trunk route (distance 0).
    ``snap_distance_m`` is not added to the network distances. ``within_30min`` is True when a
    motorway entrance is reachable in at most 30 minutes; False when it is not or cannot be
    reached (see ``reason``).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> roads = gpd.GeoDataFrame(
    ...     {"highway": ["residential", "trunk"], "ref": [None, "G107"]},
    ...     geometry=[shapely.LineString([(0, 0), (0, 3000)]),
    ...               shapely.LineString([(-5000, 3000), (0, 3000), (5000, 3000)])], crs=4547)
    >>> parks = gpd.GeoDataFrame({"park_id": ["P1"]}, geometry=[shapely.box(-200, -200, 200, 200)],
    ...                          crs=4547)
    >>> res = park_connectivity(parks, roads, isochrone_minutes=())
    >>> res.parks[["trunk_distance_m", "trunk_time_min", "nearest_trunk_ref", "access_routes"]]
       trunk_distance_m  trunk_time_min nearest_trunk_ref  access_routes
    0            3000.0             6.0              G107              1
    """
    check_snap(snap_tolerance, max_snap_m)
    if max_routes < 0 or not isochrone_buffer_m > 0:
        raise InputError(
            "max_routes must be >= 0 and isochrone_buffer_m > 0; "
            f"got {max_routes}, {isochrone_buffer_m}."
        )
    parks, net = _resolve(parks, roads)
    ids = _park_ids(parks)
    geoms = parks.geometry.to_numpy()
    access = snap_features(net, geoms, tolerance=snap_tolerance, max_snap=max_snap_m)
    nodes = net.nodes
    trunk_ids = nodes.index.to_numpy()[nodes["is_trunk"].to_numpy()]
    mway_ids = nodes.index.to_numpy()[nodes["is_motorway_entrance"].to_numpy()]
    passes = {
        (target, w): net.multi_source(t_ids, weight=w, reverse=True)
        for target, t_ids in (("trunk", trunk_ids), ("motorway", mway_ids))
        for w in ("length_m", "time_s")
    }
    table, starts = tables.metrics(net, access, passes, detour_limit)
    table.insert(0, "park_id", ids.to_numpy())
    table.index = parks.index
    name = parks["name"].astype("string") if "name" in parks.columns else None
    table.insert(1, "name", name if name is not None else pd.Series(pd.NA, dtype="string"))
    if max_routes > 0:
        flows = net.edge_disjoint_routes(access.groups(), trunk_ids, max_routes)
    else:
        flows = np.zeros(len(parks), dtype=np.int64)
    table.insert(list(table.columns).index("detour_flag") + 1, "access_routes", flows)
    table["reason"] = tables.reasons(access, table, len(trunk_ids), len(mway_ids))
    if "level" in parks.columns:
        table["level"] = parks["level"].astype("string")
    table = table[[*PARK_COLUMNS, *(c for c in table.columns if c not in PARK_COLUMNS)]]
    out = gpd.GeoDataFrame(table, geometry=geoms, crs=net.crs)
    routes = tables.routes(net, out, passes, starts)
    iso = tables.isochrone_frame(
        net, access, ids.to_numpy(), tuple(isochrone_minutes), isochrone_buffer_m
    )
    acc = pd.DataFrame(
        {
            "park_id": pd.array(ids.to_numpy()[access.feature], dtype="string"),
            "node_id": nodes.index.to_numpy()[access.row],
            "distance_m": access.distance,
        }
    )
    summary = tables.summary(out, net, max_routes, snap_tolerance, max_snap_m, detour_limit)
    logger.info(
        "connectivity: %d parks, %d reach a trunk route, %d within 30 min of a motorway entrance",
        len(out), summary["parks_reaching_trunk"], summary["parks_within_30min"],
    )  # fmt: skip
    return ConnectivityResult(out, routes, iso, acc, summary, net)


def check_snap(
    snap_tolerance: object = None,
    max_snap_m: object = None,
    *,
    names: tuple[str, str] = ("snap_tolerance", "max_snap_m"),
) -> None:
    """Check the snap distances (those given; None is skipped) against their bounds.

    ``snap_tolerance`` must be a number of metres from 0 to :data:`SNAP_TOLERANCE_LIMIT_M`
    (500), ``max_snap_m`` from 0 to :data:`MAX_SNAP_LIMIT_M` (10,000); ``names`` are the option
    names the message uses (e.g. ``("--snap", "max_snap_m")``).

    Examples
    --------
    >>> check_snap(50.0, 2000.0)
    >>> check_snap(1e9)
    Traceback (most recent call last):
    ...
    geoplan.errors.InputError: snap_tolerance must be a distance from 0 to 500 m, got 1e+09. ...
    """
    why = {
        0: (
            f"every road node within {names[0]} of a park is one of its entrances, reached at no "
            "cost, so a larger tolerance skips travel that is not on the road network (at 1e9 m "
            "every park would be 0 m from a trunk route). For parks far from the roads raise "
            f"{names[1]} instead: that gap is reported as snap_distance_m, not hidden."
        ),
        1: (
            f"a feature farther than {MAX_SNAP_LIMIT_M:,.0f} m from every road node is not "
            "covered by the road data (check that the roads layer covers the whole county)."
        ),
    }
    limits = (SNAP_TOLERANCE_LIMIT_M, MAX_SNAP_LIMIT_M)
    for i, value in enumerate((snap_tolerance, max_snap_m)):
        if value is None:
            continue
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not isinstance(value, int | float) or not number or not 0 <= value <= limits[i]:
            shown = f"{value:g}" if isinstance(value, int | float) else repr(value)
            raise InputError(
                f"{names[i]} must be a distance from 0 to {limits[i]:,.0f} m, got {shown}. "
                f"Why the bound: {why[i]}"
            )


_ANALYSIS_KEYS = ("max_routes", "snap_tolerance", "max_snap_m", "detour_limit",
                  "isochrone_minutes", "isochrone_buffer_m")  # fmt: skip


def connectivity_options(
    params: Mapping[str, Any], **overrides: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split ``[parameters.connectivity]`` from county.toml into keywords for
    :func:`~geoplan.network.road_network` and for :func:`park_connectivity`.

    Network keys (:func:`geoplan.network.network_options`): ``network``, ``trunk_highways``,
    ``trunk_ref_pattern``, ``speeds``. Analysis keys: max_routes, snap_tolerance, max_snap_m,
    detour_limit, isochrone_minutes, isochrone_buffer_m. Unknown keys are an error;
    ``overrides`` that are not None win (command-line options).

    Examples
    --------
    >>> net_kw, kw = connectivity_options({"max_routes": 3, "trunk_ref_pattern": "^[GSX][0-9]",
    ...                                    "speeds": {"residential": 25}})
    >>> kw, net_kw["classes"].trunk_ref_pattern, net_kw["speeds"].residential
    ({'max_routes': 3}, '^[GSX][0-9]', 25)
    """
    merged = {**dict(params), **{k: v for k, v in overrides.items() if v is not None}}
    unknown = sorted(set(merged) - set(_ANALYSIS_KEYS) - set(NETWORK_KEYS))
    if unknown:
        raise InputError(
            f"Unknown [parameters.connectivity] keys {unknown} in county.toml. Known keys: "
            f"{', '.join(_ANALYSIS_KEYS + NETWORK_KEYS)}."
        )
    kw = {k: merged[k] for k in _ANALYSIS_KEYS if k in merged}
    check_snap(
        kw.get("snap_tolerance"),
        kw.get("max_snap_m"),
        names=("[parameters.connectivity] snap_tolerance", "[parameters.connectivity] max_snap_m"),
    )
    return network_options(merged), kw


def isochrones(
    points: gpd.GeoDataFrame | gpd.GeoSeries,
    roads: RoadsInput,
    *,
    minutes: Sequence[float] = (10, 20, 30),
    snap_tolerance: float = 50.0,
    max_snap_m: float = 2000.0,
    buffer_m: float = 100.0,
) -> gpd.GeoDataFrame:
    """Polygons of what can be reached by road from each feature within each time budget.

    A point starts from its nearest network node (if within ``max_snap_m``); a polygon from
    every node inside it or within ``snap_tolerance``. The polygon is the union of
    ``buffer_m`` buffers around the reached roads (edges driven in full, and the driven part of
    frontier edges) and reached nodes, with unreached nodes cut out, so it contains exactly the
    reached nodes.

    Returns
    -------
    GeoDataFrame
        One row per feature and budget: source (the feature's index label), minutes,
        nodes_reached, area_m2, geometry (MultiPolygon; empty when the feature has no road).

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> roads = gpd.GeoDataFrame({"highway": ["secondary"]},
    ...     geometry=[shapely.LineString([(0, 0), (10000, 0)])], crs=4547)   # 50 km/h
    >>> pts = gpd.GeoDataFrame(geometry=[shapely.Point(0, 10)], crs=4547)
    >>> iso = isochrones(pts, roads, minutes=(6,), buffer_m=50)
    >>> iso[["minutes", "nodes_reached"]].to_dict("records"), round(iso.geometry[0].bounds[2])
    ([{'minutes': 6.0, 'nodes_reached': 1}], 5050)
    """
    if isinstance(points, gpd.GeoSeries):
        points = gpd.GeoDataFrame(geometry=points)
    check_snap(snap_tolerance, max_snap_m)
    if not buffer_m > 0:
        raise InputError(f"buffer_m must be > 0, got {buffer_m!r}.")
    pts, net = _resolve(points, roads)
    access = snap_features(net, pts.geometry.to_numpy(), tolerance=snap_tolerance,
                           max_snap=max_snap_m)  # fmt: skip
    reach = reach_polygons(net, access.groups(), tuple(float(m) for m in minutes), buffer_m)
    labels = pts.index.to_numpy()
    geoms = np.array([r.geometry for r in reach], dtype=object)
    return gpd.GeoDataFrame(
        {
            "source": [labels[r.group] for r in reach],
            "minutes": np.array([r.minutes for r in reach], dtype=float),
            "nodes_reached": np.array([r.nodes_reached for r in reach], dtype=np.int64),
            "area_m2": shapely.area(geoms) if len(geoms) else np.zeros(0),
        },
        geometry=geoms if len(geoms) else [],
        crs=net.crs,
    )
