"""Isochrone polygons: the part of the network reachable within a time budget, buffered.

A polygon is the union of buffers (``buffer_m``) around every reached node, every edge driven
in full and the driven part of each edge on the frontier. Unreached nodes that fall inside that
union (a node beside a reached road but cut off by a one-way, say) are cut out with a small disk,
so the polygon contains exactly the reached nodes (except where a reached and an unreached node
share one position).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geoplan import _graph
from geoplan.network import RoadNetwork

__all__ = ["Reach", "reach_polygons"]


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
    keep = along < cut_v
    ends = shapely.line_interpolate_point(lines, cut)
    end_xy = shapely.get_coordinates(ends)
    all_xy = np.concatenate([coords[keep], end_xy])
    all_part = np.concatenate([part[keep], np.arange(len(lines))])
    order = np.argsort(all_part, kind="stable")  # kept vertices precede the cut point
    return shapely.linestrings(all_xy[order], indices=all_part[order])


def reach_polygons(
    net: RoadNetwork, groups: list[np.ndarray], minutes: tuple[float, ...], buffer_m: float
) -> list[Reach]:
    """Isochrones of each group of start node rows (travel away from them, by ``time_s``).

    Budgets are processed in increasing order and each polygon grows from the previous one
    (before unreached nodes are cut out), so every road piece is buffered once (cached on the
    network) and unioned once per group.
    """
    out: list[Reach] = []
    if not minutes:
        return out
    mat = net.csr("time_s")
    eu, ev, piece = net._u, net._v, net._piece
    te = net.edges["time_s"].to_numpy(dtype=float)
    le = net.edges["length_m"].to_numpy(dtype=float)
    lines = net.edges.geometry.to_numpy()
    pts = net.nodes.geometry.to_numpy()
    tree = net._node_tree()
    bufs = net.piece_buffers(buffer_m)
    budgets = sorted(float(m) for m in minutes)
    for gi, rows in enumerate(groups):
        if len(rows) == 0:
            out.extend(Reach(gi, m, 0, shapely.MultiPolygon(), 0) for m in budgets)
            continue
        dist, _, _ = _graph.multi_source(mat, rows, limit=budgets[-1] * 60.0)
        raw: shapely.Geometry = shapely.Polygon()
        done = np.zeros(len(bufs), dtype=bool)
        for m in budgets:
            t = m * 60.0
            reached = dist <= t
            du = dist[eu]
            full = (du + te <= t) & (eu != ev)
            now = np.zeros(len(bufs), dtype=bool)
            now[piece[full]] = True
            new = now & ~done
            done |= now
            part = (du <= t) & ~full & (te > 0) & ~now[piece]
            frac = np.clip((t - du[part]) / te[part], 0.0, 1.0)
            prefixes = line_prefixes(lines[part], frac * le[part])
            covered = np.zeros(len(pts), dtype=bool)
            covered[eu[full]] = True
            covered[ev[full]] = True
            lone = pts[reached & ~covered]
            extra = shapely.buffer(np.concatenate([prefixes, lone]), buffer_m, quad_segs=4)
            raw = shapely.union_all(np.concatenate([[raw], bufs[new], extra]))
            poly, unseparated = _cut_unreached(raw, pts, reached, tree, buffer_m)
            out.append(Reach(gi, m, int(reached.sum()), _as_multi(poly), unseparated))
    return out


def _cut_unreached(
    poly: shapely.Geometry,
    pts: np.ndarray,
    reached: np.ndarray,
    tree: shapely.STRtree,
    buffer_m: float,
) -> tuple[shapely.Geometry, int]:
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
