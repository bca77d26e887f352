"""Isochrones of large reach sets drawn on a grid: every budget of one start group at once.

The road network is sampled once (:mod:`~geoplan.connectivity._road_samples`: every quarter
``buffer_m`` along each road piece, each sample with its position along the piece). For one start group, a sample's arrival time is the
earliest over the directed edges of its piece (start time at the edge's first node plus the
edge's time scaled by the distance along it), so edges driven in full and the driven part of
frontier edges come out of one formula, in both directions. Reached nodes are samples too.

On a grid of ``buffer_m / 2`` cells each cell holds the smallest budget index of the samples
in it; a minimum filter over a disk of ``buffer_m`` (2 cells) spreads it, and ``level <= k`` is
budget k's cover: within one cell of the exact ``buffer_m`` buffer of the reached roads. Its
outline is traced by marching squares (contourpy) through the midpoints between cell centres,
so a point whose four surrounding cell centres are all covered is inside and one whose four are
all uncovered is outside. Every reached node has its four covered (the disk reaches one cell
diagonally), hence is inside. Each unreached node whose surroundings are covered has its four
cell centres cleared (it is then outside), unless a reached node lies so close (in one of the
3 x 3 squares of cell centres around it) that clearing could take that node out too; those few
are cut out of the polygon as disks of half the gap to the nearest reached node, as the exact
path does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import numpy as np
import shapely

from geoplan.connectivity._road_samples import RoadSamples

__all__ = ["Scratch", "grid_polygons"]


@dataclass(frozen=True)
class _Grid:
    x0: float
    y0: float
    res: float
    shape: tuple[int, int]

    def cells(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the cell holding each point."""
        return (
            np.floor((y - self.y0) / self.res).astype(np.int64),
            np.floor((x - self.x0) / self.res).astype(np.int64),
        )

    def corners(self, x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Row and column of the lower-left of the four cell centres around each point."""
        return (
            np.floor((y - self.y0) / self.res - 0.5).astype(np.int64),
            np.floor((x - self.x0) / self.res - 0.5).astype(np.int64),
        )


def grid_polygons(
    samples: RoadSamples,
    start: np.ndarray,
    edges: tuple[np.ndarray, np.ndarray],
    nodes: tuple[np.ndarray, shapely.STRtree],
    budgets_s: list[float],
    buffer_m: float,
    scratch: Scratch | None = None,
) -> list[tuple[shapely.Geometry, int]]:
    """Per budget (seconds, increasing): the polygon and how many unreached nodes share a
    reached node's position (and so stay inside). ``nodes``: their coordinates and an STRtree
    of their points; ``edges``: ``time_s`` and start node row of each edge; ``scratch``: the
    calling thread's buffers for tracing."""
    te, eu = edges
    node_xy = nodes[0]
    res = buffer_m / 2.0
    idx, arrival = samples.arrivals(start, te, eu, budgets_s[-1])
    lone = np.flatnonzero(start <= budgets_s[-1])  # reached nodes are samples too
    x = np.concatenate([samples.x[idx], node_xy[lone, 0]])
    y = np.concatenate([samples.y[idx], node_xy[lone, 1]])
    level = np.searchsorted(np.asarray(budgets_s), np.concatenate([arrival, start[lone]]))
    r = 2  # buffer_m / res cells
    pad = (r + 3) * res
    x0, y0 = np.floor((x.min() - pad) / res) * res, np.floor((y.min() - pad) / res) * res
    shape = (int(np.ceil((y.max() + pad - y0) / res)), int(np.ceil((x.max() + pad - x0) / res)))
    grid = _Grid(float(x0), float(y0), res, shape)
    lv = np.full(shape, len(budgets_s), dtype=np.uint8)
    np.minimum.at(lv, grid.cells(x, y), level.astype(np.uint8))
    lv = _disk_minimum(lv)
    row, col = grid.corners(node_xy[:, 0], node_xy[:, 1])
    near = np.flatnonzero((row >= 0) & (col >= 0) & (row < shape[0] - 1) & (col < shape[1] - 1))
    out = []
    for k, t in enumerate(budgets_s):
        rows = np.flatnonzero((lv <= k).any(axis=1))
        cols = np.flatnonzero((lv <= k).any(axis=0))
        # the budget's own window (its cover stays 2 cells off the window's edge)
        r0, r1, c0, c1 = rows[0] - 2, rows[-1] + 3, cols[0] - 2, cols[-1] + 3
        cover = lv[r0:r1, c0:c1] <= k
        window = _Grid(grid.x0 + c0 * res, grid.y0 + r0 * res, res, cover.shape)
        disks, unseparated = _clear_unreached(
            cover, window, (node_xy, nodes[1], near), start <= t, buffer_m
        )
        out.append((_trace(cover, window, disks, scratch), unseparated))
    return out


def _disk_minimum(lv: np.ndarray) -> np.ndarray:
    """The minimum over the disk of radius 2 cells around each cell (the 3 x 3 square and the
    5-cell cross), from shifted views; the outermost 2 cells are left as they are (the grid is
    padded with empty cells)."""

    def shifted_min(a: np.ndarray, axis: int, reach: int) -> np.ndarray:
        out = a.copy()
        n = a.shape[axis]
        for d in range(1, reach + 1):
            lo = [slice(None)] * 2
            hi = [slice(None)] * 2
            lo[axis], hi[axis] = slice(0, n - d), slice(d, n)
            np.minimum(out[tuple(lo)], a[tuple(hi)], out=out[tuple(lo)])
            np.minimum(out[tuple(hi)], a[tuple(lo)], out=out[tuple(hi)])
        return out

    row3 = shifted_min(lv, 1, 1)
    out = shifted_min(row3, 0, 1)
    np.minimum(out, shifted_min(lv, 1, 2), out=out)
    np.minimum(out, shifted_min(lv, 0, 2), out=out)
    return out


def _clear_unreached(
    cover: np.ndarray,
    grid: _Grid,
    nodes: tuple[np.ndarray, shapely.STRtree, np.ndarray],
    reached: np.ndarray,
    buffer_m: float,
) -> tuple[np.ndarray, int]:
    """Clear the four cell centres around every unreached node in the cover (in place); return
    disks to cut around the nodes too close to a reached node for that (radius half the gap,
    at most ``buffer_m``) and the count of those that share a reached node's position."""
    node_xy, tree, near_grid = nodes
    h, w = cover.shape
    r_row, r_col = grid.corners(node_xy[reached, 0], node_xy[reached, 1])
    u = near_grid[~reached[near_grid]]
    row, col = grid.corners(node_xy[u, 0], node_xy[u, 1])
    inside = (row >= 0) & (col >= 0) & (row < h - 1) & (col < w - 1)
    u, row, col = u[inside], row[inside], col[inside]
    covered = cover[row, col] | cover[row + 1, col] | cover[row, col + 1] | cover[row + 1, col + 1]
    u, row, col = u[covered], row[covered], col[covered]
    if len(u) == 0:
        return np.empty(0, dtype=object), 0
    near = np.zeros((h + 2, w + 2), dtype=bool)  # squares holding a reached node, padded by 1
    ok = (r_row >= -1) & (r_col >= -1) & (r_row <= h) & (r_col <= w)
    near[r_row[ok] + 1, r_col[ok] + 1] = True
    close = np.zeros(len(u), dtype=bool)
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            close |= near[row + 1 + dr, col + 1 + dc]
    far = ~close
    for dr in (0, 1):
        for dc in (0, 1):
            cover[row[far] + dr, col[far] + dc] = False
    if not close.any():
        return np.empty(0, dtype=object), 0
    # a reached node in the 3 x 3 squares around lies within 2 sqrt(2) cells
    at = shapely.points(node_xy[u[close]])
    src, hit = tree.query(at, predicate="dwithin", distance=2.0 * np.sqrt(2.0) * grid.res + 1.0)
    ok = reached[hit]
    gap = np.full(len(at), np.inf)
    np.minimum.at(gap, src[ok], np.hypot(*(node_xy[u[close]][src[ok]] - node_xy[hit[ok]]).T))
    radius = np.minimum(buffer_m, 0.5 * gap)
    fits = radius > 1e-6
    return shapely.buffer(at[fits], radius[fits], quad_segs=4), int((~fits).sum())


class Scratch:
    """Float64 buffers for contourpy's x, y and z, reused from one window to the next (one per
    thread): fresh arrays of a window's size cost more in page faults than in tracing."""

    def __init__(self) -> None:
        self._buf = np.empty((3, 0))
        self._shape: tuple[int, int] = (0, 0)

    def xyz(self, cover: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x (column index), y (row index) and z (the cover as 0 / 1) of ``cover``'s grid."""
        h, w = cover.shape
        if self._buf.shape[1] < h * w:
            self._buf = np.empty((3, h * w))
            self._shape = (0, 0)
        x, y, z = (b[: h * w].reshape(h, w) for b in self._buf)
        if self._shape != (h, w):  # the index grids stay valid while the shape does
            x[:] = np.arange(w, dtype=np.float64)
            y[:] = np.arange(h, dtype=np.float64)[:, None]
            self._shape = (h, w)
        np.copyto(z, cover)
        return x, y, z


def _trace(
    cover: np.ndarray, grid: _Grid, disks: np.ndarray, scratch: Scratch | None = None
) -> shapely.Geometry:
    """The outline of the covered cells through the midpoints between cell centres, with the
    ``disks`` cut out (:func:`_punch`)."""
    if not cover.any():
        return shapely.MultiPolygon()
    x, y, z = (scratch or Scratch()).xyz(cover)
    # the "threaded" algorithm on one thread traces as "serial" does but without the GIL
    points, offsets, outer = _filled(x, y, z, name="threaded")
    ring_of_poly = np.repeat(np.arange(len(outer) - 1), np.diff(outer))
    ij, ring = _corners(points, offsets)
    polys = _polygons(ij, ring, ring_of_poly, grid)
    return _punch(polys, disks, (cover, grid))


def _filled(
    x: np.ndarray, y: np.ndarray, z: np.ndarray, *, name: str = "serial"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """contourpy's outline of ``z`` >= 0.5 (z of 0 and 1, no corner masking): the points, the
    start of each closed ring in them and the first ring of each polygon, in one chunk (every
    polygon in one array; OuterOffset makes an array per polygon). ``points`` is None where
    nothing is covered."""
    import contourpy

    gen = contourpy.contour_generator(
        x, y, z, name=name, thread_count=1,
        fill_type="ChunkCombinedOffsetOffset", corner_mask=False,
    )  # fmt: skip
    filled = cast(tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]], gen.filled(0.5, 1.5))
    return filled[0][0], filled[1][0], filled[2][0]


def _polygons(
    ij: np.ndarray, ring: np.ndarray, ring_of_poly: np.ndarray, grid: _Grid
) -> np.ndarray:
    """Polygons of rings traced in cell units (``ij``: column, row of each vertex) on ``grid``:
    cell (row i, column j) has its centre at x0 + (j + 0.5) res, y0 + (i + 0.5) res."""
    xy = (ij + 0.5) * grid.res + np.array([grid.x0, grid.y0])
    return cast(
        np.ndarray,
        shapely.polygons(shapely.linearrings(xy, indices=ring), indices=ring_of_poly),
    )


def _corners(pts: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The vertices of closed rings (``pts[starts[i]:starts[i+1]]``, first point repeated at
    the end) where the ring turns, and the ring of each: marching squares puts a vertex on
    every cell side it crosses, most of them on straight runs. The points are on a half-cell
    lattice, so the collinearity test is exact."""
    step = pts[1:] - pts[:-1]
    last = starts[1:] - 1  # the closing point of each ring
    into = np.empty_like(pts)  # the segment into each vertex; a ring's last one into its first
    into[1:] = step
    into[starts[:-1]] = step[last - 1]
    out = np.empty_like(pts)  # the segment out of each vertex
    out[:-1] = step
    out[-1] = 0.0  # a closing point, never kept
    turn = into[:, 0] * out[:, 1] != into[:, 1] * out[:, 0]
    turn[last] = False
    ring = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
    return pts[turn], ring[turn]


def _punch(
    polys: np.ndarray, disks: np.ndarray, traced: tuple[np.ndarray, _Grid]
) -> shapely.Geometry:
    """Cut ``disks`` (each around an unreached node, radius at most half the gap to the nearest
    reached node) out of the polygons as new holes; ``traced``: the cover and grid they were
    traced from.

    A disk that reaches the polygon's edge or a hole is halved until it lies inside (three
    times, then cut to half the node's distance to the edge; it still holds its node, and a
    node that is not strictly inside needs no cut), so no overlay with the whole polygon is
    ever needed: each polygon gets the unions of its disks as extra rings. Whether a disk lies
    inside is read from the cover where every square of cell centres around it is covered
    (:func:`_covered_around`), and elsewhere asked of GEOS against the outline traced again
    around each disk alone (:class:`_LocalOutlines`, traced once for the first disks: every
    smaller disk of the same node lies in the same tile), not against the whole polygon (whose
    prepared index cost more than everything else here).
    """
    multi = shapely.MultiPolygon(list(polys)) if len(polys) != 1 else polys[0]
    if len(disks) == 0:
        return multi
    tiles: list[_LocalOutlines] = []
    first = shapely.bounds(disks)

    def inside(ids: np.ndarray, geoms: np.ndarray) -> np.ndarray:
        """shapely.contains_properly(multi, geoms); ``ids``: their nodes' rows in ``first``"""
        res = _covered_around(*traced, shapely.bounds(geoms))
        if not res.all():
            if not tiles:
                tiles.append(_LocalOutlines(*traced, first))
            res[~res] = tiles[0].contains(ids[~res], geoms[~res])
        return res

    centre = shapely.centroid(disks)
    ids = np.arange(len(disks))
    keep = inside(ids, centre)
    ids, disks, centre = ids[keep], disks[keep], centre[keep]
    radius = np.sqrt(shapely.area(disks) / np.pi) * 1.05  # about the 16-gon's circumradius
    out = ~inside(ids, disks)
    for attempt in range(4):
        if not out.any():
            break
        if attempt < 3:
            radius[out] /= 2.0
        else:  # a node right at the edge: half its distance to the edge
            edge = shapely.boundary(multi)
            radius[out] = np.minimum(radius[out], 0.5 * shapely.distance(centre[out], edge))
        disks[out] = shapely.buffer(centre[out], radius[out], quad_segs=4)
        out[out] = ~inside(ids[out], disks[out])
    disks = disks[~out]
    if len(disks) == 0:
        return multi
    holes = shapely.get_exterior_ring(shapely.get_parts(shapely.union_all(disks)))
    # each hole lies inside one polygon: the one that holds its first vertex
    hole_at, owner = shapely.STRtree(polys).query(
        shapely.get_point(holes, 0), predicate="intersects"
    )
    rings, ring_owner = shapely.get_rings(polys, return_index=True)
    order = np.argsort(np.concatenate([ring_owner, owner]), kind="stable")  # shells first
    every = np.concatenate([rings, holes[hole_at]])[order]
    return shapely.multipolygons(
        shapely.polygons(every, indices=np.concatenate([ring_owner, owner])[order])
    )


def _covered_around(cover: np.ndarray, grid: _Grid, bounds: np.ndarray) -> np.ndarray:
    """Whether every square of four cell centres that each box (``bounds`` rows, grown by a
    hundredth of a cell) meets has its four centres covered: the traced polygon then holds the
    box in its interior (marching squares fills such squares whole). False where unsure."""
    h, w = cover.shape
    grow = 0.01
    c0 = np.floor((bounds[:, 0] - grid.x0) / grid.res - 0.5 - grow).astype(np.int64)
    r0 = np.floor((bounds[:, 1] - grid.y0) / grid.res - 0.5 - grow).astype(np.int64)
    c1 = np.floor((bounds[:, 2] - grid.x0) / grid.res - 0.5 + grow).astype(np.int64) + 2
    r1 = np.floor((bounds[:, 3] - grid.y0) / grid.res - 0.5 + grow).astype(np.int64) + 2
    ok = (r0 >= 0) & (c0 >= 0) & (r1 <= h) & (c1 <= w)
    out = np.zeros(len(bounds), dtype=bool)
    todo = np.flatnonzero(ok)
    # every box's cells gathered at once: an n x R x C block of the cover, R x C the largest
    # box, each box's own rows and columns repeated up to that size (which leaves all() as
    # it is); in slices so that one large box cannot make the block large
    largest = (r1[todo] - r0[todo]).max(initial=1) * (c1[todo] - c0[todo]).max(initial=1)
    step = max(1, 4_000_000 // int(largest))
    for lo in range(0, len(todo), step):
        k = todo[lo : lo + step]
        n_r, n_c = int((r1[k] - r0[k]).max()), int((c1[k] - c0[k]).max())
        rows = np.minimum(r0[k, None] + np.arange(n_r), r1[k, None] - 1)
        cols = np.minimum(c0[k, None] + np.arange(n_c), c1[k, None] - 1)
        out[k] = cover[rows[:, :, None], cols[:, None, :]].all(axis=(1, 2))
    return out


def _inside_traced(cover: np.ndarray, grid: _Grid, geoms: np.ndarray) -> np.ndarray:
    """``shapely.contains_properly(outline, geoms)``, ``outline`` traced from ``cover`` as
    :func:`_trace` does (before any disk is cut), from a tile of the cover around each
    geometry alone (:class:`_LocalOutlines`)."""
    tiles = _LocalOutlines(cover, grid, shapely.bounds(geoms))
    return tiles.contains(np.arange(len(geoms)), geoms)


class _LocalOutlines:
    """The outline traced from ``cover`` (as :func:`_trace` does) around each of a set of boxes
    alone, for ``shapely.contains_properly`` against the whole outline.

    Marching squares draws each square of four cell centres from those four alone, so within a
    tile's rectangle of cell centres the tile's outline is the whole one; a geometry inside that
    rectangle lies in the interior of one exactly where it lies in the interior of the other.
    Each tile reaches one square beyond its box (cells off the grid uncovered); the tiles,
    all of one size, are traced side by side in one call, an uncovered column on each side of
    every tile so that no outline runs from one tile into the next."""

    def __init__(self, cover: np.ndarray, grid: _Grid, bounds: np.ndarray) -> None:
        self.cover, self.grid = cover, grid
        n = len(bounds)
        self.local = np.full(n, None, dtype=object)  # None: no outline in the tile
        c0, r0 = self._index(bounds[:, 0], grid.x0, -1), self._index(bounds[:, 1], grid.y0, -1)
        c1, r1 = self._index(bounds[:, 2], grid.x0, 3), self._index(bounds[:, 3], grid.y0, 3)
        self.first = np.column_stack([c0, r0])  # each tile's first cell centre
        self.last = np.column_stack([c1, r1]) - 1  # and its last
        if n == 0:
            return
        s_r, s_c = int((r1 - r0).max()), int((c1 - c0).max())
        step = max(1, 2_000_000 // (s_r * (s_c + 2)))
        for lo in range(0, n, step):
            k = np.arange(lo, min(lo + step, n))
            self._trace_tiles(k, r0[k], c0[k], (s_r, s_c))

    def _index(self, v: np.ndarray, origin: float, shift: int) -> np.ndarray:
        """Column (or row) of a tile's first cell centre for a box starting at ``v``
        (``shift`` -1: one square before the square the box starts in) or one past its last for
        a box ending at ``v`` (``shift`` 3: one square after the square it ends in); ``v`` is
        read a hundredth of a cell outwards."""
        grow = 0.01 if shift > 0 else -0.01
        return np.floor((v - origin) / self.grid.res - 0.5 + grow).astype(np.int64) + shift

    def _trace_tiles(
        self, k: np.ndarray, r0: np.ndarray, c0: np.ndarray, size: tuple[int, int]
    ) -> None:
        cover = self.cover
        (h, w), (s_r, s_c) = cover.shape, size
        rows, cols = r0[:, None] + np.arange(s_r), c0[:, None] + np.arange(s_c)
        on_r, on_c = (rows >= 0) & (rows < h), (cols >= 0) & (cols < w)
        tiles = cover[np.clip(rows, 0, h - 1)[:, :, None], np.clip(cols, 0, w - 1)[:, None, :]]
        tiles &= on_r[:, :, None] & on_c[:, None, :]
        side = np.zeros((s_r, len(k), s_c + 2))  # the tiles side by side
        side[:, :, 1:-1] = tiles.transpose(1, 0, 2)
        z = side.reshape(s_r, -1)
        x, y = np.meshgrid(
            np.arange(z.shape[1], dtype=np.float64), np.arange(s_r, dtype=np.float64)
        )
        points, offsets, outer = _filled(x, y, z)
        if points is None or len(outer) < 2:
            return
        ring = np.repeat(np.arange(len(offsets) - 1), np.diff(offsets))
        ring_of_poly = np.repeat(np.arange(len(outer) - 1), np.diff(outer))
        tile_of_poly = (points[offsets[outer[:-1]], 0] // (s_c + 2)).astype(np.int64)
        at = tile_of_poly[ring_of_poly][ring]  # each point's tile
        ij = np.column_stack([
            points[:, 0] - at * (s_c + 2) - 1 + c0[at], points[:, 1] + r0[at],
        ])  # fmt: skip
        polys = _polygons(ij, ring, ring_of_poly, self.grid)
        order = np.argsort(tile_of_poly, kind="stable")
        held, which = np.unique(tile_of_poly[order], return_inverse=True)
        self.local[k[held]] = shapely.multipolygons(polys[order], indices=which)

    def contains(self, which: np.ndarray, geoms: np.ndarray) -> np.ndarray:
        """``contains_properly`` of the outline for ``geoms[i]`` in tile ``which[i]``; a
        geometry that does not lie half a square inside its tile gets tiles of its own."""
        b = shapely.bounds(geoms)
        lo = (b[:, :2] - [self.grid.x0, self.grid.y0]) / self.grid.res - 0.5
        hi = (b[:, 2:] - [self.grid.x0, self.grid.y0]) / self.grid.res - 0.5
        fits = np.all((lo > self.first[which] + 0.5) & (hi < self.last[which] - 0.5), axis=1)
        out = np.zeros(len(geoms), dtype=bool)
        if not fits.all():
            out[~fits] = _inside_traced(self.cover, self.grid, geoms[~fits])
        local = self.local[which]
        test = fits & ~shapely.is_missing(local)
        out[test] = shapely.contains_properly(local[test], geoms[test])
        return out
