"""Routable road networks from OSM files or line layers, with a compact array graph.

:func:`road_network` reads an ``.osm.pbf`` / ``.osm`` file (pyosmium) or a line layer and returns a
:class:`RoadNetwork`: node and edge GeoDataFrames in a metric CRS, an osmnx-compatible NetworkX
graph on request, and CSR matrices for fast multi-source shortest paths (scipy.sparse.csgraph).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from geoplan.errors import CRSError, InputError
from geoplan.network import _graph
from geoplan.network._build import NetworkReport, assemble, raw_from_source
from geoplan.network._roadclass import RoadClasses, Speeds, network_highways

if TYPE_CHECKING:
    import networkx as nx
    from scipy.sparse import csr_array

__all__ = [
    "MultiSourceResult",
    "NetworkReport",
    "RoadClasses",
    "RoadNetwork",
    "Speeds",
    "road_network",
]

logger = logging.getLogger(__name__)

_WEIGHT_ALIASES = {"length": "length_m", "travel_time": "time_s"}


@dataclass(frozen=True)
class MultiSourceResult:
    """Shortest paths from (or, with ``reverse``, to) the nearest of several source nodes.

    Arrays are per node row (the order of ``RoadNetwork.nodes``): ``dist`` (inf where not
    reached), ``origin`` (node id of the nearest source, -1 where not reached) and
    ``predecessors`` (row of the previous node on the search tree, -1 at sources and unreached
    nodes; with ``reverse`` it is the *next* node towards the source).
    """

    dist: np.ndarray
    origin: np.ndarray
    predecessors: np.ndarray
    sources: np.ndarray
    weight: str
    reverse: bool

    @property
    def reached(self) -> np.ndarray:
        """Boolean per node row: was the node reached."""
        return np.isfinite(self.dist)


class RoadNetwork:
    """A directed road network in a metric CRS.

    Attributes
    ----------
    crs : pyproj.CRS
        Metric CRS of all coordinates and lengths.
    nodes : GeoDataFrame
        Index ``node_id`` (int64, OSM id for OSM sources); columns x, y, street_count, highway
        (node tag, e.g. motorway_junction), is_trunk, is_motorway_entrance, trunk_ref, geometry.
    edges : GeoDataFrame
        One row per directed edge: u, v, key, osmid, highway, ref, name, oneway, reversed,
        maxspeed (raw tag), length_m, speed_kmh, time_s, is_trunk, geometry (drawn from u to v).
    report : NetworkReport
        Counts of kept, excluded, cut and defaulted ways.
    """

    def __init__(
        self,
        nodes: gpd.GeoDataFrame,
        edges: gpd.GeoDataFrame,
        *,
        report: NetworkReport,
        speeds: Speeds,
        classes: RoadClasses,
        piece: np.ndarray | None = None,
    ) -> None:
        self.nodes = nodes
        self.edges = edges
        self.crs: CRS = CRS.from_user_input(nodes.crs)
        self.report = report
        self.speeds = speeds
        self.classes = classes
        self._ids = nodes.index.to_numpy(dtype=np.int64)
        self._u = np.searchsorted(self._ids, edges["u"].to_numpy(dtype=np.int64))
        self._v = np.searchsorted(self._ids, edges["v"].to_numpy(dtype=np.int64))
        self._csr: dict[tuple[str, bool], tuple[csr_array, np.ndarray]] = {}
        self._pairs: dict[bool, _graph.Pairs] = {}
        self._tree: shapely.STRtree | None = None
        if piece is None:  # one id per physical road piece (both directions share it)
            lo, hi = np.minimum(self._u, self._v), np.maximum(self._u, self._v)
            length = np.round(edges["length_m"].to_numpy(dtype=float), 6)
            keys = pd.MultiIndex.from_arrays([lo, hi, length])
            piece = pd.factorize(keys)[0]
        self._piece = np.asarray(piece, dtype=np.int64)

    def __repr__(self) -> str:
        return (
            f"RoadNetwork(nodes={len(self.nodes)}, edges={len(self.edges)}, "
            f"trunk_nodes={int(self.nodes['is_trunk'].sum())}, "
            f"motorway_entrances={int(self.nodes['is_motorway_entrance'].sum())}, "
            f"crs={self.crs.to_string()!r})"
        )

    # ------------------------------------------------------------------ lookups
    def node_rows(self, ids: Sequence[int] | np.ndarray | pd.Index | int) -> np.ndarray:
        """Row positions (in ``nodes``) of node ids; raises InputError for unknown ids."""
        arr = np.atleast_1d(np.asarray(ids, dtype=np.int64))
        rows = np.searchsorted(self._ids, arr)
        rows = np.minimum(rows, max(len(self._ids) - 1, 0))
        bad = (self._ids[rows] != arr) if len(self._ids) else np.ones(len(arr), dtype=bool)
        if bad.any():
            raise InputError(
                f"{int(bad.sum())} node id(s) are not in the road network, e.g. "
                f"{arr[bad][:5].tolist()}. Use ids from RoadNetwork.nodes.index or nearest_nodes()."
            )
        return rows

    def _weights(self, weight: str) -> np.ndarray:
        col = _WEIGHT_ALIASES.get(weight, weight)
        if col not in self.edges.columns:
            raise InputError(
                f"Unknown edge weight {weight!r}; use 'time_s' (seconds), 'length_m' (metres) or "
                f"another numeric edge column: {list(self.edges.columns)}."
            )
        w = pd.to_numeric(self.edges[col], errors="coerce").to_numpy(dtype=float)
        if not np.all(np.isfinite(w)) or (w < 0).any():
            raise InputError(f"Edge weight {col!r} has missing, infinite or negative values.")
        return w

    def csr(self, weight: str = "time_s", *, reverse: bool = False) -> csr_array:
        """Sparse adjacency matrix (rows/cols = node rows) with the minimum ``weight`` over
        parallel edges; ``reverse`` transposes it (shortest paths *to* nodes). Cached."""
        return self._csr_entries(weight, reverse)[0]

    def _csr_entries(self, weight: str, reverse: bool) -> tuple[csr_array, np.ndarray]:
        col = _WEIGHT_ALIASES.get(weight, weight)
        cached = self._csr.get((col, reverse))
        if cached is None:
            cached = _graph.csr_from_edges(self._pairs_of(reverse), self._weights(col))
            self._csr[(col, reverse)] = cached
        return cached

    def _pairs_of(self, reverse: bool) -> _graph.Pairs:
        pairs = self._pairs.get(reverse)
        if pairs is None:
            pairs = _graph.pair_structure(len(self._ids), self._u, self._v, reverse=reverse)
            self._pairs[reverse] = pairs
        return pairs

    def nearest_nodes(
        self, geoms_or_xy: Any, *, max_distance: float | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Nearest network node to each geometry (or each x, y pair) and its distance (m).

        ``geoms_or_xy``: a GeoSeries/GeoDataFrame in the network's CRS, an array of shapely
        geometries, an (n, 2) array of coordinates, or a tuple ``(xs, ys)``. Where no node is
        within ``max_distance`` the id is -1 and the distance inf.
        """
        geoms = self._as_geoms(geoms_or_xy)
        ids = np.full(len(geoms), -1, dtype=np.int64)
        dist = np.full(len(geoms), np.inf)
        ok = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        if ok.any() and len(self._ids):
            src, hit = self.node_tree().query_nearest(
                geoms[ok], max_distance=max_distance, return_distance=False, all_matches=False
            )
            rows = np.flatnonzero(ok)[src]
            ids[rows] = self._ids[hit]
            dist[rows] = shapely.distance(geoms[rows], self.nodes.geometry.to_numpy()[hit])
        return ids, dist

    def _as_geoms(self, obj: Any) -> np.ndarray:
        if isinstance(obj, gpd.GeoDataFrame | gpd.GeoSeries):
            if obj.crs is not None and not CRS.from_user_input(obj.crs).equals(self.crs):
                raise CRSError(
                    f"Geometries are in {obj.crs.name} but the road network is in "
                    f"{self.crs.name}. Reproject them first: gdf.to_crs(network.crs)."
                )
            return np.asarray(obj.geometry.to_numpy() if hasattr(obj, "geometry") else obj)
        if isinstance(obj, tuple) and len(obj) == 2:
            return shapely.points(np.asarray(obj[0], float), np.asarray(obj[1], float))
        arr = np.asarray(obj)
        if arr.dtype != object and arr.ndim == 2 and arr.shape[1] == 2:
            return shapely.points(arr.astype(float))
        return np.atleast_1d(arr).astype(object)

    def node_tree(self) -> shapely.STRtree:
        """An STRtree of the node points (positions = node rows). Cached."""
        if self._tree is None:
            self._tree = shapely.STRtree(self.nodes.geometry.to_numpy())
        return self._tree

    @property
    def edge_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """Node rows (positions in ``nodes``) of each edge's start and end, aligned with
        ``edges``."""
        return self._u, self._v

    @property
    def edge_pieces(self) -> np.ndarray:
        """One id per physical road piece for each edge (both directions of a two-way road
        share it), aligned with ``edges``."""
        return self._piece

    def edge_disjoint_routes(
        self, source_rows: Sequence[np.ndarray], target_ids: Sequence[int] | np.ndarray, cap: int
    ) -> np.ndarray:
        """For each group of start node rows, the number of edge-disjoint directed paths to any
        of ``target_ids`` (node ids), at most ``cap`` (exact maximum flow, unit capacities).

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> roads = gpd.GeoDataFrame({"highway": ["primary"] * 3}, geometry=[
        ...     shapely.LineString([(0, 0), (1000, 0)]), shapely.LineString([(0, 0), (0, 800)]),
        ...     shapely.LineString([(0, 800), (1000, 0)])], crs=3857)
        >>> net = road_network(roads)
        >>> start = net.node_rows(net.nearest_nodes([(0, 0)])[0])
        >>> net.edge_disjoint_routes([start], net.nearest_nodes([(1000, 0)])[0], 4).tolist()
        [2]
        """
        sinks = self.node_rows(np.asarray(target_ids, dtype=np.int64))
        return _graph.edge_disjoint_paths(self._pairs_of(False), list(source_rows), sinks, cap)

    # ------------------------------------------------------------------ routing
    def multi_source(
        self,
        sources: Sequence[int] | np.ndarray,
        *,
        weight: str = "time_s",
        reverse: bool = False,
        limit: float = np.inf,
    ) -> MultiSourceResult:
        """One Dijkstra pass from all ``sources`` (node ids) at once.

        Each node gets the cost from its nearest source (``reverse=False``) or to its nearest
        source (``reverse=True``: travel towards the sources, one-ways respected), the id of
        that source and the search tree. Nodes beyond ``limit`` are not reached.

        Examples
        --------
        >>> import geopandas as gpd, shapely
        >>> roads = gpd.GeoDataFrame(
        ...     {"highway": ["primary", "residential"], "oneway": [None, "yes"]},
        ...     geometry=[shapely.LineString([(0, 0), (1000, 0)]),
        ...               shapely.LineString([(1000, 0), (1000, 600)])], crs=3857)
        >>> net = road_network(roads)
        >>> res = net.multi_source([0], weight="length_m")
        >>> res.dist.tolist()
        [0.0, 1000.0, 1600.0]
        >>> net.multi_source([0], weight="length_m", reverse=True).dist.tolist()
        [0.0, 1000.0, inf]
        """
        col = _WEIGHT_ALIASES.get(weight, weight)
        src = np.asarray(sources, dtype=np.int64)
        rows = self.node_rows(src) if len(src) else np.empty(0, dtype=np.int64)
        mat, _ = self._csr_entries(col, reverse)
        dist, pred, origin = _graph.multi_source(mat, rows, limit=limit)
        origin_ids = np.where(origin >= 0, self._ids[np.maximum(origin, 0)], -1)
        return MultiSourceResult(
            dist=dist,
            origin=origin_ids,
            predecessors=pred,
            sources=np.unique(np.asarray(sources, dtype=np.int64)),
            weight=col,
            reverse=reverse,
        )

    def _path_rows(self, result: MultiSourceResult, target: int) -> list[int]:
        row = int(self.node_rows([target])[0])
        if not np.isfinite(result.dist[row]):
            return []
        rows = _graph.path_rows(result.predecessors, row)
        return rows if result.reverse else rows[::-1]

    def path(self, result: MultiSourceResult, target: int) -> list[int]:
        """Node ids of the shortest path, in travel order: from the source to ``target``, or
        with a ``reverse`` result from ``target`` to its nearest source. Empty if not reached."""
        return self._ids[self._path_rows(result, target)].tolist()

    def path_edges(self, result: MultiSourceResult, target: int) -> np.ndarray:
        """Row positions in ``edges`` of the shortest path's edges, in travel order."""
        rows = np.asarray(self._path_rows(result, target), dtype=np.int64)
        return self._edges_between(rows[:-1], rows[1:], result.weight)

    def _edges_between(self, a: np.ndarray, b: np.ndarray, weight: str) -> np.ndarray:
        _, entry_edge = self._csr_entries(weight, False)
        pos = _graph.lookup_entries(self._pairs_of(False), a, b)
        if (pos < 0).any():  # pragma: no cover - consecutive path nodes always share an edge
            raise RuntimeError("path steps without an edge")
        return entry_edge[pos]

    def path_geometry(self, result: MultiSourceResult, target: int) -> shapely.LineString:
        """The shortest path as one LineString in travel order (empty if not reached or if
        ``target`` is itself a source)."""
        edges = self.path_edges(result, target)
        return self.edges_line(edges)

    def edges_line(self, edge_rows: np.ndarray) -> shapely.LineString:
        """Join consecutive edges' geometries (given by row in ``edges``) into one LineString."""
        if len(edge_rows) == 0:
            return shapely.LineString()
        coords, part = shapely.get_coordinates(
            self.edges.geometry.to_numpy()[edge_rows], return_index=True
        )
        first = np.ones(len(part), dtype=bool)
        first[1:] = part[1:] != part[:-1]
        first[0] = False
        return shapely.LineString(coords[~first])

    # ------------------------------------------------------------------ NetworkX
    def graph(self) -> nx.MultiDiGraph:
        """The network as an osmnx-compatible ``networkx.MultiDiGraph``.

        Graph attribute ``crs``; node attributes x, y, street_count (and highway,
        is_trunk, is_motorway_entrance); edge attributes osmid, highway, ref, name, oneway,
        reversed, length (m), speed_kph, travel_time (s), is_trunk, geometry. Untagged
        attributes are absent, as in osmnx.
        """
        import networkx as nx

        g = nx.MultiDiGraph(crs=self.crs, simplified=True, source=self.report.source)
        n = self.nodes
        node_cols = ["x", "y", "street_count", "highway", "is_trunk", "is_motorway_entrance"]
        g.add_nodes_from(
            (int(i), {k: v for k, v in zip(node_cols, vals, strict=True) if v is not None})
            for i, *vals in zip(n.index, *(_pylist(n[c]) for c in node_cols), strict=True)
        )
        e = self.edges
        rename = {"length_m": "length", "speed_kmh": "speed_kph", "time_s": "travel_time"}
        cols = ["osmid", "highway", "ref", "name", "maxspeed", "oneway", "reversed",
                "length_m", "speed_kmh", "time_s", "is_trunk"]  # fmt: skip
        names = [rename.get(c, c) for c in cols] + ["geometry"]
        values = [_pylist(e[c]) for c in cols] + [list(e.geometry.to_numpy())]
        g.add_edges_from(
            (u, v, k, {a: x for a, x in zip(names, vals, strict=True) if x is not None})
            for u, v, k, *vals in zip(
                e["u"].tolist(), e["v"].tolist(), e["key"].tolist(), *values, strict=True
            )
        )
        return g


def _pylist(col: pd.Series) -> list[Any]:
    """Python values of a column, with every missing value (NA, NaN) as None."""
    values = col.astype(object)
    return values.where(values.notna(), None).tolist()


def road_network(
    source: str | Path | gpd.GeoDataFrame,
    *,
    network: str | Sequence[str] = "drive",
    speeds: Speeds | None = None,
    classes: RoadClasses | None = None,
    crs: CRS | str | int | None = None,
) -> RoadNetwork:
    """Build a routable, directed road network.

    Parameters
    ----------
    source
        An OpenStreetMap file (``.osm.pbf``, ``.osm`` XML; read with pyosmium), a vector line
        file or ``file.gpkg:layer`` (read with :func:`geoplan.io.read_layer`, role ``roads``),
        or a line GeoDataFrame with columns highway, ref, oneway, maxspeed, name (all but
        highway optional). Lines are joined where they share an endpoint or any vertex
        (coordinates equal to 1 mm); crossings without a shared vertex are not joined.
    network
        ``"drive"`` (motor roads, no tracks), ``"drive_track"`` (plus tracks), ``"all"``, or a
        set of highway values. Ways tagged area=yes or closed to cars (access=no/private) are
        dropped and counted.
    speeds
        Default speed per highway class where maxspeed is missing or not understood.
    classes
        Which roads are trunk routes (highway class or ref pattern).
    crs
        Metric CRS to work in; default: the CGCS2000 Gauss–Krüger zone (China) or UTM zone of
        the data, or the layer's own CRS when it is already projected.

    Returns
    -------
    RoadNetwork

    Raises
    ------
    InputError
        The source holds no roads of the chosen network.
    DataFileNotFoundError
        The file does not exist.

    Notes
    -----
    Clipped OSM extracts reference nodes that are not in the file: such ways are cut into runs
    of present nodes and never joined across the gap (``report.ways_cut``). One-way: yes/true/1
    forward, -1 backward, no/false/0 both; motorway, motorway_link and roundabouts are one-way
    unless tagged otherwise; reversible/unknown values are treated as two-way and counted.
    Speed is the tagged maxspeed (km/h; mph and knots converted; several values averaged), else
    the class default; unparsable values ("CN:urban", "signals", "none") are counted.
    Edge length is planar in the metric CRS.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> roads = gpd.GeoDataFrame(
    ...     {"highway": ["primary", "residential", "footway"], "maxspeed": ["60", None, None]},
    ...     geometry=[shapely.LineString([(0, 0), (600, 0)]),
    ...               shapely.LineString([(600, 0), (600, 300)]),
    ...               shapely.LineString([(0, 0), (600, 300)])], crs=3857)
    >>> net = road_network(roads)
    >>> net.edges[["u", "v", "highway", "length_m", "time_s"]].round(1)
       u  v      highway  length_m  time_s
    0  0  1      primary     600.0    36.0
    1  1  0      primary     600.0    36.0
    2  1  2  residential     300.0    36.0
    3  2  1  residential     300.0    36.0
    >>> net.report.excluded
    {'highway=footway': 1}
    """
    speeds = speeds if speeds is not None else Speeds()
    classes = classes if classes is not None else RoadClasses()
    highways = network_highways(network)
    net_name = network if isinstance(network, str) else ",".join(sorted(highways))
    raw, metric, label = raw_from_source(source, highways, crs)
    if len(raw.ptr) <= 1:
        raise InputError(
            f"{label} contains no roads of the {net_name!r} network: {raw.ways_read} ways with a "
            f"highway tag were read, excluded: {dict(raw.excluded) or 'none'}. Check that this is "
            "a road extract (OSM ways tagged highway=*), or choose network='all' / a set of "
            "highway values."
        )
    nodes, edges, report, piece = assemble(raw, metric, label, net_name, speeds, classes)
    return RoadNetwork(nodes, edges, report=report, speeds=speeds, classes=classes, piece=piece)
