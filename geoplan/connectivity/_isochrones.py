"""Isochrone polygons: the part of the network reachable within a time budget, buffered.

A polygon is the union of buffers (``buffer_m``) around every reached node, every edge driven
in full and the driven part of each edge on the frontier. One Dijkstra bounded by the largest
budget runs from all start groups at once (:func:`reach_times`); small reach sets are unioned
exact buffers, large ones are drawn on a grid of ``buffer_m / 2`` cells, every budget of a group
in one pass (:mod:`geoplan.connectivity._reach_grid`). Unreached nodes that fall inside (a node
beside a reached road but cut off by a one-way, say) are cut out with a small disk or, on the
grid, by clearing their cells, so the polygon contains exactly the reached nodes (except where
a reached and an unreached node share one position).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import cast

import numpy as np
import shapely

from geoplan._threads import ordered_map
from geoplan.connectivity._reach_grid import Scratch, grid_polygons
from geoplan.connectivity._road_samples import RoadSamples
from geoplan.network import RoadNetwork

__all__ = ["Reach", "reach_polygons", "reach_times"]


@dataclass(frozen=True)
class Reach:
    group: int
    minutes: float
    nodes_reached: int
    geometry: shapely.Geometry
    unseparated: int


def line_prefixes(lines: np.ndarray, cut: np.ndarray) -> np.ndarray:
    """The first ``cut`` metres of each line (vectorised substring from the start)."""
    if len(lines) == 0:
        return np.empty(0, dtype=object)
    coords, part = shapely.get_coordinates(lines, return_index=True)
    step = np.zeros(len(coords))
    same = part[1:] == part[:-1]
    step[1:] = np.where(same, np.hypot(*(coords[1:] - coords[:-1]).T), 0.0)
    cum = np.cumsum(step)
    start = np.searchsorted(part, np.arange(len(lines)))
    along = cum - cum[start][part]  # distance of each vertex from its line's start
    cut_v = cut[part]
    keep = (along < cut_v) | (np.arange(len(coords)) == start[part])  # always the first vertex
    ends = shapely.line_interpolate_point(lines, cut)
    end_xy = shapely.get_coordinates(ends)
    all_xy = np.concatenate([coords[keep], end_xy])
    all_part = np.concatenate([part[keep], np.arange(len(lines))])
    order = np.argsort(all_part, kind="stable")  # kept vertices precede the cut point
    return shapely.linestrings(all_xy[order], indices=all_part[order])


#: above this many road pieces an isochrone is drawn on a grid (cells of buffer_m / 2, see
#: :mod:`geoplan.connectivity._reach_grid`) instead of unioning one exact buffer per piece,
#: whose cost grows much faster than linearly (about 30 ms at 300 pieces, 0.2 s at 1,000).
VECTOR_MAX_PIECES = 300

#: at most this many distances (groups x nodes) held at once by the Dijkstra over all groups
_MAX_DIST_ENTRIES = 8_000_000


def reach_polygons(
    net: RoadNetwork, groups: list[np.ndarray], minutes: tuple[float, ...], buffer_m: float
) -> list[Reach]:
    """Isochrones of each group of start node rows (travel away from them, by ``time_s``).

    One Dijkstra bounded by the largest budget runs from all groups at once
    (:func:`reach_times`). Small reach sets are exact buffers: budgets run in increasing order
    and each polygon grows from the previous one, so every road piece is buffered and unioned
    once per group. Larger ones (more than :data:`VECTOR_MAX_PIECES` pieces) are drawn, every
    budget of the group in one pass, on a grid of ``buffer_m / 2`` cells
    (:func:`~geoplan.connectivity._reach_grid.grid_polygons`): edges follow the cells, within
    one cell of the exact buffer. Either way every reached node is inside and unreached nodes
    inside are cut out.
    """
    out: list[Reach] = []
    if not minutes:
        return out
    budgets = sorted(float(m) for m in minutes)
    ctx = _Context.of(net, buffer_m)
    net.node_tree()  # built once here, then only queried by the threads

    def one(row: tuple[int, np.ndarray | None]) -> list[Reach]:
        gi, dist = row
        if dist is None:
            return [Reach(gi, m, 0, shapely.MultiPolygon(), 0) for m in budgets]
        return _group_reach(ctx, gi, dist, budgets)

    # the parks on two threads at most (numpy, GEOS and contourpy let the other run): each
    # holds its park's grid windows (contourpy takes float64 x, y and z of a whole window;
    # the second thread added ~180 MB to the peak of the scale-25 report)
    rows = reach_times(net, groups, budgets[-1] * 60.0)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="geoplan-road-samples") as pool:
        if len(ctx.first_edge) > VECTOR_MAX_PIECES:  # a group may be drawn on the grid
            ctx.sample_in(pool)
        for reaches in ordered_map(one, rows, max_workers=2):
            out.extend(reaches)
    return out


def reach_times(
    net: RoadNetwork, groups: list[np.ndarray], limit: float
) -> Iterator[tuple[int, np.ndarray | None]]:
    """Travel time (``time_s``) from each group of start node rows to every node, up to
    ``limit`` seconds (inf beyond); None for a group without nodes.

    One bounded Dijkstra for all groups: each group is a virtual node joined to its start nodes
    by zero-time edges, and scipy's ``dijkstra(indices=<all virtual nodes>, limit=...)`` returns
    one row per group (in chunks of at most ``_MAX_DIST_ENTRIES`` distances).
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import dijkstra

    mat = net.csr("time_s")
    n = mat.shape[0]
    sizes = np.array([len(g) for g in groups], dtype=np.int64)
    with_nodes = np.flatnonzero(sizes > 0)
    k = len(groups)
    targets = np.concatenate(
        [np.asarray(g, dtype=np.int64) for g in groups] or [np.empty(0, dtype=np.int64)]
    )
    indptr = np.concatenate([mat.indptr.astype(np.int64), mat.indptr[-1] + np.cumsum(sizes)])
    aug = csr_array(
        (
            np.concatenate([mat.data, np.zeros(len(targets))]),
            np.concatenate([mat.indices.astype(np.int64), targets]),
            indptr,
        ),
        shape=(n + k, n + k),
    )
    chunk = max(1, _MAX_DIST_ENTRIES // max(n + k, 1))
    done = 0
    for lo in range(0, len(with_nodes), chunk):
        part = with_nodes[lo : lo + chunk]
        dist = np.atleast_2d(dijkstra(aug, directed=True, indices=n + part, limit=limit))
        for gi, row in zip(part, dist, strict=True):
            for empty in range(done, int(gi)):
                yield empty, None
            yield int(gi), row[:n]
            done = int(gi) + 1
    for empty in range(done, k):
        yield empty, None


@dataclass
class _Context:
    """What every group's isochrones need from the network (the samples only when used)."""

    net: RoadNetwork
    buffer_m: float
    eu: np.ndarray
    ev: np.ndarray
    piece: np.ndarray
    first_edge: np.ndarray
    te: np.ndarray
    le: np.ndarray
    lines: np.ndarray
    pts: np.ndarray
    node_xy: np.ndarray
    _samples: RoadSamples | None = None
    _sampling: Future[RoadSamples] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _local: threading.local = field(default_factory=threading.local)

    @classmethod
    def of(cls, net: RoadNetwork, buffer_m: float) -> _Context:
        eu, ev = net.edge_rows
        piece = net.edge_pieces
        n_pieces = int(piece.max()) + 1 if len(piece) else 0
        first_edge = np.zeros(n_pieces, dtype=np.int64)
        first_edge[piece[::-1]] = np.arange(len(piece))[::-1]
        nodes = net.nodes
        return cls(
            net, buffer_m, eu, ev, piece, first_edge,
            net.edges["time_s"].to_numpy(dtype=float), net.edges["length_m"].to_numpy(dtype=float),
            net.edges.geometry.to_numpy(), nodes.geometry.to_numpy(),
            np.column_stack([nodes["x"].to_numpy(dtype=float), nodes["y"].to_numpy(dtype=float)]),
        )  # fmt: skip

    def sample_in(self, pool: ThreadPoolExecutor) -> None:
        """Sample the network on ``pool`` from now on: while the Dijkstra of the first groups
        runs (scipy releases the GIL), not in the first group drawn on the grid while the
        other park thread waits for it (0.4-1.1 s of one thread at county scale)."""
        self._sampling = pool.submit(RoadSamples.of, self.net, self.buffer_m / 4.0)

    @property
    def samples(self) -> RoadSamples:
        with self._lock:  # the first group drawn on the grid samples the network, once
            if self._samples is None:
                self._samples = (
                    self._sampling.result()
                    if self._sampling is not None
                    else RoadSamples.of(self.net, self.buffer_m / 4.0)
                )
            return self._samples

    @property
    def scratch(self) -> Scratch:
        """The calling thread's tracing buffers (kept from one group to the next)."""
        if not hasattr(self._local, "scratch"):
            self._local.scratch = Scratch()
        return cast(Scratch, self._local.scratch)


def _group_reach(ctx: _Context, gi: int, dist: np.ndarray, budgets: list[float]) -> list[Reach]:
    """The isochrones of one group: exact buffers while the reach is small, then the grid."""
    out: list[Reach] = []
    raw: shapely.Geometry = shapely.Polygon()
    done = np.zeros(len(ctx.first_edge), dtype=bool)
    for i, m in enumerate(budgets):
        t = m * 60.0
        reached = dist <= t
        now, part, full = _driven(ctx, dist, t)
        if now.sum() + len(part) > VECTOR_MAX_PIECES:
            out.extend(_grid_reach(ctx, gi, dist, budgets[i:]))
            return out
        du = dist[ctx.eu]
        frac = np.clip((t - du[part]) / ctx.te[part], 0.0, 1.0)
        prefixes = line_prefixes(ctx.lines[part], frac * ctx.le[part])
        covered = np.zeros(len(ctx.pts), dtype=bool)
        covered[ctx.eu[full]] = True
        covered[ctx.ev[full]] = True
        lone = ctx.pts[reached & ~covered]
        new = ctx.lines[ctx.first_edge[np.flatnonzero(now & ~done)]]
        bufs = shapely.buffer(np.concatenate([new, prefixes, lone]), ctx.buffer_m, quad_segs=4)
        raw = shapely.union_all(np.concatenate([[raw], bufs]))
        done |= now
        poly, unseparated = _cut_unreached(raw, ctx.pts, reached, ctx.net.node_tree(), ctx.buffer_m)
        out.append(Reach(gi, m, int(reached.sum()), _as_multi(poly), unseparated))
    return out


def _driven(ctx: _Context, dist: np.ndarray, t: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pieces driven in full within ``t`` seconds, the frontier edges driven in part (rows)
    and the edges driven in full (mask)."""
    du = dist[ctx.eu]
    full = (du + ctx.te <= t) & (ctx.eu != ctx.ev)
    now = np.zeros(len(ctx.first_edge), dtype=bool)
    now[ctx.piece[full]] = True
    part = np.flatnonzero((du < t) & ~full & (ctx.te > 0) & ~now[ctx.piece])
    return now, part, full


def _grid_reach(ctx: _Context, gi: int, dist: np.ndarray, budgets: list[float]) -> list[Reach]:
    """The remaining budgets of one group, drawn on the grid in one pass."""
    drawn = grid_polygons(
        ctx.samples, dist, (ctx.te, ctx.eu), (ctx.node_xy, ctx.net.node_tree()),
        [m * 60.0 for m in budgets],
        ctx.buffer_m,
        ctx.scratch,
    )  # fmt: skip
    return [
        Reach(gi, m, int((dist <= m * 60.0).sum()), _as_multi(poly), unseparated)
        for m, (poly, unseparated) in zip(budgets, drawn, strict=True)
    ]


def _cut_unreached(
    poly: shapely.Geometry,
    pts: np.ndarray,
    reached: np.ndarray,
    tree: shapely.STRtree,
    buffer_m: float,
) -> tuple[shapely.Geometry, int]:
    """Cut a disk of ``min(buffer_m, gap / 2)`` around every unreached node inside ``poly``,
    ``gap`` being its distance to the nearest reached node; also return how many share a
    reached node's position (no disk fits)."""
    inside = tree.query(poly, predicate="intersects")
    inside = inside[~reached[inside]]
    if len(inside) == 0:
        return poly, 0
    reached_pts = pts[reached]
    near_tree = shapely.STRtree(reached_pts)
    _, near = near_tree.query_nearest(pts[inside], all_matches=False)
    gap = shapely.distance(pts[inside], reached_pts[near])
    radius = np.minimum(buffer_m, 0.5 * gap)
    ok = radius > 1e-6
    if ok.any():
        disks = shapely.buffer(pts[inside][ok], radius[ok], quad_segs=4)
        poly = shapely.difference(poly, shapely.union_all(disks))
    return poly, int((~ok).sum())


def _as_multi(geom: shapely.Geometry) -> shapely.MultiPolygon:
    parts = shapely.get_parts(geom)
    polys = [p for p in parts if isinstance(p, shapely.Polygon) and not p.is_empty]
    return shapely.MultiPolygon(polys)
