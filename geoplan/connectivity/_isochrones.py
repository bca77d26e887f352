"""Isochrone polygons: the part of the network reachable within a time budget, buffered.

A polygon is the union of buffers (``buffer_m``) around every reached node, every edge driven
in full and the driven part of each edge on the frontier (rasterised for large reach sets). Unreached nodes that fall inside that
union (a node beside a reached road but cut off by a one-way, say) are cut out with a small disk,
so the polygon contains exactly the reached nodes (except where a reached and an unreached node
share one position).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

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
    keep = (along < cut_v) | (np.arange(len(coords)) == start[part])  # always the first vertex
    ends = shapely.line_interpolate_point(lines, cut)
    end_xy = shapely.get_coordinates(ends)
    all_xy = np.concatenate([coords[keep], end_xy])
    all_part = np.concatenate([part[keep], np.arange(len(lines))])
    order = np.argsort(all_part, kind="stable")  # kept vertices precede the cut point
    return shapely.linestrings(all_xy[order], indices=all_part[order])


#: above this many road pieces an isochrone is rasterised (cells of buffer_m / 2) instead of
#: unioning one buffer per piece, which grows much faster than linearly.
VECTOR_MAX_PIECES = 1000


def reach_polygons(
    net: RoadNetwork, groups: list[np.ndarray], minutes: tuple[float, ...], buffer_m: float
) -> list[Reach]:
    """Isochrones of each group of start node rows (travel away from them, by ``time_s``).

    Small reach sets are exact buffers: budgets run in increasing order and each polygon grows
    from the previous one, so every road piece is buffered and unioned once per group. Large
    ones (more than :data:`VECTOR_MAX_PIECES` pieces) are drawn on a grid of ``buffer_m / 2``
    cells (roads sampled every quarter buffer), dilated by ``buffer_m`` and polygonised: edges
    follow the cells, within one cell of the exact buffer. Either way unreached nodes inside
    are then cut out.
    """
    out: list[Reach] = []
    if not minutes:
        return out
    eu, ev = net.edge_rows
    piece = net.edge_pieces
    node_ids = net.nodes.index.to_numpy()
    n_pieces = int(piece.max()) + 1 if len(piece) else 0
    first_edge = np.zeros(n_pieces, dtype=np.int64)
    first_edge[piece[::-1]] = np.arange(len(piece))[::-1]
    te = net.edges["time_s"].to_numpy(dtype=float)
    le = net.edges["length_m"].to_numpy(dtype=float)
    lines = net.edges.geometry.to_numpy()
    pts = net.nodes.geometry.to_numpy()
    tree = net.node_tree()
    budgets = sorted(float(m) for m in minutes)
    for gi, rows in enumerate(groups):
        if len(rows) == 0:
            out.extend(Reach(gi, m, 0, shapely.MultiPolygon(), 0) for m in budgets)
            continue
        dist = net.multi_source(node_ids[rows], weight="time_s", limit=budgets[-1] * 60.0).dist
        raw: shapely.Geometry = shapely.Polygon()
        done = np.zeros(n_pieces, dtype=bool)
        for m in budgets:
            t = m * 60.0
            reached = dist <= t
            du = dist[eu]
            full = (du + te <= t) & (eu != ev)
            now = np.zeros(n_pieces, dtype=bool)
            now[piece[full]] = True
            part = (du < t) & ~full & (te > 0) & ~now[piece]
            frac = np.clip((t - du[part]) / te[part], 0.0, 1.0)
            prefixes = line_prefixes(lines[part], frac * le[part])
            covered = np.zeros(len(pts), dtype=bool)
            covered[eu[full]] = True
            covered[ev[full]] = True
            lone = pts[reached & ~covered]
            if now.sum() + len(prefixes) > VECTOR_MAX_PIECES:
                whole = lines[first_edge[np.flatnonzero(now)]]
                raw = _raster_cover(np.concatenate([whole, prefixes, lone]), buffer_m)
            else:
                new = lines[first_edge[np.flatnonzero(now & ~done)]]
                extra = np.concatenate([new, prefixes, lone])
                bufs = shapely.buffer(extra, buffer_m, quad_segs=4)
                raw = shapely.union_all(np.concatenate([[raw], bufs]))
            done |= now
            poly, unseparated = _cut_unreached(raw, pts, reached, tree, buffer_m)
            out.append(Reach(gi, m, int(reached.sum()), _as_multi(poly), unseparated))
    return out


def _raster_cover(geoms: np.ndarray, buffer_m: float) -> shapely.Geometry:
    """Cells within ``buffer_m`` of the geometries (lines and points), as polygons."""
    from affine import Affine
    from rasterio import features
    from scipy import ndimage

    res = buffer_m / 2.0
    long = shapely.length(geoms) > 0  # GEOS cannot segmentize zero-length lines
    xy = np.concatenate(
        [
            shapely.get_coordinates(shapely.segmentize(geoms[long], res / 2.0)),
            shapely.get_coordinates(geoms[~long]),
        ]
    )
    pad = buffer_m + 2 * res
    x0 = np.floor((xy[:, 0].min() - pad) / res) * res
    y1 = np.ceil((xy[:, 1].max() + pad) / res) * res
    width = int(np.ceil((xy[:, 0].max() + pad - x0) / res))
    height = int(np.ceil((y1 - (xy[:, 1].min() - pad)) / res))
    mask = np.zeros((height, width), dtype=bool)
    mask[((y1 - xy[:, 1]) / res).astype(np.int64), ((xy[:, 0] - x0) / res).astype(np.int64)] = True
    r = int(np.ceil(buffer_m / res))
    yy, xx = np.mgrid[-r : r + 1, -r : r + 1]
    mask = ndimage.binary_dilation(mask, structure=(xx**2 + yy**2) <= r * r)
    polys = [
        shapely.geometry.shape(g)
        for g, _ in features.shapes(
            mask.astype(np.uint8), mask=mask, transform=Affine(res, 0.0, x0, 0.0, -res, y1)
        )
    ]
    return shapely.MultiPolygon(polys) if len(polys) != 1 else polys[0]


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
