"""Road samples for the grid isochrones: points along every road piece at most a spacing
apart, each with its position along the piece, and their arrival times from a start group
(:class:`RoadSamples`). The densifying is GEOS's own (:func:`_densified`, equal to
``shapely.segmentize`` to the bit) done in numpy, in blocks of pieces."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geoplan.network import RoadNetwork

__all__ = ["RoadSamples"]


#: road pieces sampled at once by :meth:`RoadSamples.of`
_BLOCK = 8192


@dataclass(frozen=True)
class RoadSamples:
    """Points along every road piece, with what is needed to time them from any start."""

    x: np.ndarray
    y: np.ndarray
    frac: np.ndarray  # position along the piece, 0 at its first vertex, 1 at its last
    offsets: np.ndarray  # samples of piece p are offsets[p]:offsets[p + 1]
    fwd: np.ndarray  # per piece: the directed edge drawn along the piece's geometry, or -1
    bwd: np.ndarray  # per piece: the directed edge drawn against it, or -1

    @classmethod
    def of(cls, net: RoadNetwork, spacing: float) -> RoadSamples:
        """Sample every piece of ``net`` at most ``spacing`` apart (its vertices included).

        In blocks of pieces, so that the temporaries stay small and are reused (fresh memory
        pages cost more here than the arithmetic); the running sum is carried from block to
        block, so the result is what one pass over all pieces gives, to the bit."""
        lines = net.edges.geometry.to_numpy()
        piece = net.edge_pieces
        n_pieces = int(piece.max()) + 1 if len(piece) else 0
        first = np.zeros(n_pieces, dtype=np.int64)
        first[piece[::-1]] = np.arange(len(piece))[::-1]
        geoms = lines[first]
        xs, ys, fracs = [], [], []
        counts = np.zeros(n_pieces, dtype=np.int64)
        carry = 0.0  # the running sum of the steps over the blocks before
        for lo in range(0, n_pieces, _BLOCK):
            x, y, owner = _densified(geoms[lo : lo + _BLOCK], spacing)
            step = np.empty(len(x))
            np.subtract(x[1:], x[:-1], out=step[1:])
            np.hypot(step[1:], y[1:] - y[:-1], out=step[1:])
            step[1:][owner[1:] != owner[:-1]] = 0.0
            step[0] = 0.0
            n = np.bincount(owner, minlength=min(_BLOCK, n_pieces - lo))
            total = np.bincount(owner, weights=step, minlength=len(n))
            step[0] = carry
            cum = np.cumsum(step, out=step)
            carry = float(cum[-1])
            start = np.cumsum(n) - n
            cum -= np.repeat(cum[start[n > 0]], n[n > 0])  # the distance along the piece
            cum /= np.repeat(np.where(total > 0, total, 1.0), n)
            cum[np.repeat(total == 0, n)] = 0.0
            xs.append(x)
            ys.append(y)
            fracs.append(cum)
            counts[lo : lo + len(n)] = n
        offsets = np.zeros(n_pieces + 1, dtype=np.int64)
        np.cumsum(counts, out=offsets[1:])
        # an edge runs along its piece when its first two vertices are the piece's first two
        e_xy, p_xy = _first_two(lines), _first_two(geoms)
        along_piece = np.all(e_xy == p_xy[piece], axis=1)
        fwd = np.full(n_pieces, -1, dtype=np.int64)
        bwd = np.full(n_pieces, -1, dtype=np.int64)
        edges = np.arange(len(piece))
        fwd[piece[along_piece]] = edges[along_piece]
        bwd[piece[~along_piece]] = edges[~along_piece]
        x, y, frac = (np.concatenate(p) if p else np.empty(0) for p in (xs, ys, fracs))
        return cls(x, y, frac, offsets, fwd, bwd)

    def arrivals(
        self, start: np.ndarray, te: np.ndarray, eu: np.ndarray, limit: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Positions of the samples reached before ``limit`` and their arrival times, for node
        times ``start`` (inf where not reached)."""
        t_f = np.where(self.fwd >= 0, start[eu[self.fwd]], np.inf)
        t_b = np.where(self.bwd >= 0, start[eu[self.bwd]], np.inf)
        pieces = np.flatnonzero(np.minimum(t_f, t_b) < limit)
        counts = self.offsets[pieces + 1] - self.offsets[pieces]
        idx = np.repeat(self.offsets[pieces] - np.cumsum(counts) + counts, counts)
        idx += np.arange(len(idx))
        p = np.repeat(pieces, counts)
        f = self.frac[idx]
        with np.errstate(invalid="ignore"):  # inf + inf * 0 where a direction does not exist
            a_f = t_f[p] + te[np.maximum(self.fwd[p], 0)] * f
            a_b = t_b[p] + te[np.maximum(self.bwd[p], 0)] * (1.0 - f)
        arrival = np.fmin(np.where(self.fwd[p] >= 0, a_f, np.inf),
                          np.where(self.bwd[p] >= 0, a_b, np.inf))  # fmt: skip
        keep = arrival <= limit
        return idx[keep], arrival[keep]


def _densified(lines: np.ndarray, spacing: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """x, y and line of the vertices of ``shapely.segmentize(lines, spacing)`` (lines of zero
    length as they are), computed in numpy without making the dense lines: the same formulas
    as GEOS's Densifier (a segment of length L cut into n = ceil(L / spacing) parts, the j-th
    point at fraction (j * (L / n)) / L, a point equal to the one before dropped), so the
    points are the same to the bit (tested against ``shapely.segmentize``)."""
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    x, y = np.ascontiguousarray(xy[:, 0]), np.ascontiguousarray(xy[:, 1])
    del xy
    seg = np.flatnonzero(owner[1:] == owner[:-1])  # segment: vertex seg to seg + 1
    dx, dy = x[seg + 1] - x[seg], y[seg + 1] - y[seg]
    length = np.sqrt(dx * dx + dy * dy)
    dense = np.bincount(owner[seg], weights=length, minlength=len(lines)) > 0
    parts = np.ceil(length / spacing)
    n = np.ones(len(x), dtype=np.int64)  # each vertex and the points added after it
    n[seg] = np.where((parts > 1) & dense[owner[seg]], parts, 1)
    start = np.cumsum(n) - n
    src = np.repeat(np.arange(len(x)), n)
    out_x, out_y = x[src], y[src]
    mid = np.flatnonzero(src[1:] == src[:-1]) + 1  # the added points
    if len(mid):
        s = src[mid]
        seg_len = np.zeros(len(x))
        seg_len[seg] = length
        cut = seg_len[s]
        frac = ((mid - start[s]) * (cut / n[s])) / cut
        out_x[mid] = x[s] + frac * (x[s + 1] - x[s])
        out_y[mid] = y[s] + frac * (y[s + 1] - y[s])
    own = owner[src]
    repeat = np.zeros(len(src), dtype=bool)
    repeat[1:] = (own[1:] == own[:-1]) & (out_x[1:] == out_x[:-1]) & (out_y[1:] == out_y[:-1])
    repeat &= dense[own]  # lines of zero length are not segmentized
    if not repeat.any():  # the usual case: no copies (fresh pages cost more than the work)
        return out_x, out_y, own
    keep = ~repeat
    return out_x[keep], out_y[keep], own[keep]


def _first_two(lines: np.ndarray) -> np.ndarray:
    """x0, y0, x1, y1 of the first two vertices of each line (one vertex repeated if alone)."""
    xy, owner = shapely.get_coordinates(lines, return_index=True)
    start = np.searchsorted(owner, np.arange(len(lines)))
    second = np.minimum(start + 1, np.append(start[1:], len(xy)) - 1)
    return np.hstack([xy[start], xy[second]])
