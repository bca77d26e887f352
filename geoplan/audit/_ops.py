"""Overlay operations that never raise a raw GEOS error and always give polygons: binary ops
with retries, grouped and county-wide unions, differences against many partners."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException

from geoplan._threads import threaded
from geoplan.audit._geom import BoolArray, GeomArray, IntArray, explode
from geoplan.errors import GeoplanError
from geoplan.geometry import polygonal

logger = logging.getLogger(__name__)

# groups at least this large are unioned by GEOS's cascaded union, one call each
_CASCADE = 64


# snapping grid (metres) used only to retry an operation GEOS rejects as a topology error
_RETRY_GRID = 1e-6


class OverlayError(GeoplanError):
    """A polygon overlay that GEOS rejects even after repair and snapping.

    ``bounds`` is the bounding box ``(xmin, ymin, xmax, ymax)`` of the inputs involved, so the
    caller can name the records there (see :func:`geoplan.audit._overlay.account`).
    """

    def __init__(self, message: str, *, what: str, bounds: tuple[float, ...]) -> None:
        super().__init__(message)
        self.what = what
        self.bounds = bounds


def safe_binary(
    op: Callable[..., GeomArray],
    a: GeomArray,
    b: GeomArray,
    *,
    what: str,
    grid_size: float | None = None,
) -> GeomArray:
    """Apply a vectorised shapely overlay ``op(a, b)`` (threaded for large inputs), reduced to
    its polygonal part (:func:`polygonal`).

    With ``grid_size`` the overlay snaps to that grid (GEOS snap-rounding: fully robust). The
    result is always polygonal: snap-rounding can collapse a sliver into a line, which GEOS then
    returns in a GeometryCollection and rejects as the input of the next overlay ("Overlay input
    is mixed-dimension"); such parts are dropped here, they have no area. On a GEOS error the
    elements are retried one by one: again as they are, then repaired (``make_valid``, polygonal
    part) and snapped to a 1 µm grid (logged). An element that fails even so raises
    :class:`OverlayError` with the bounding box of its inputs, instead of a raw GEOS exception.
    """
    kw: dict[str, Any] = {} if grid_size is None else {"grid_size": grid_size}
    try:
        return polygonal(np.asarray(threaded(op, a, b, **kw), dtype=object))
    except GEOSException:
        pass
    out = np.empty(len(a), dtype=object)
    retried = 0
    grid = max(grid_size or 0.0, _RETRY_GRID)
    for k in range(len(a)):  # only reached on broken input: keep going element by element
        try:
            out[k] = op(a[k], b[k], **kw)
            continue
        except GEOSException:
            retried += 1
        try:
            ak, bk = polygonal(shapely.make_valid(np.array([a[k], b[k]], dtype=object)))
            out[k] = op(ak, bk, grid_size=grid)
        except GEOSException as exc:
            box = shapely.bounds(shapely.union_all(np.array([a[k], b[k]], dtype=object)))
            raise OverlayError(
                f"A polygon overlay ({what}) failed in GEOS even after repairing the polygons "
                f"and snapping them to a {grid:g} m grid ({exc}).",
                what=what,
                bounds=tuple(float(v) for v in box),
            ) from exc
    logger.warning("%s: %d operations retried on a 1 µm grid (topology errors)", what, retried)
    return polygonal(out)


def grouped_union(
    geoms: GeomArray, groups: IntArray, n_groups: int, *, grid_size: float | None = None
) -> GeomArray:
    """The union of ``geoms`` per group label in ``[0, n_groups)`` (None where a group is empty).

    Groups are reduced pairwise: each round unions members 0+1, 2+3, … of every group in one
    vectorised call, halving the group sizes, so a group of k members takes ceil(log2 k) rounds.
    """
    out: GeomArray = np.full(n_groups, None, dtype=object)
    if len(geoms) == 0:
        return out
    order = np.argsort(groups, kind="stable")
    g = np.asarray(geoms, dtype=object)[order]
    grp = np.asarray(groups)[order]
    while True:
        m = len(grp)
        same_next = np.zeros(m, dtype=bool)
        same_next[:-1] = grp[:-1] == grp[1:]
        if not same_next.any():
            break
        starts = np.ones(m, dtype=bool)
        starts[1:] = grp[1:] != grp[:-1]
        first = np.maximum.accumulate(np.where(starts, np.arange(m), 0))
        rank = np.arange(m) - first
        even = rank % 2 == 0
        pair = np.flatnonzero(even & same_next)
        merged = safe_binary(shapely.union, g[pair], g[pair + 1], what="union", grid_size=grid_size)
        slot = np.cumsum(even) - 1
        g_new = g[even]
        g_new[slot[pair]] = merged
        g = g_new
        grp = grp[even]
    out[grp] = g
    return out


def safe_union_all(geoms: GeomArray, *, grid_size: float | None = None) -> shapely.Geometry:
    """``shapely.union_all`` (GEOS cascaded union) reduced to its polygonal part; on a GEOS
    error, the pairwise :func:`grouped_union`, whose overlays are retried and reported by
    :func:`safe_binary`."""
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return shapely.Polygon()
    try:
        u = shapely.union_all(geoms, grid_size=grid_size)
    except GEOSException:
        u = grouped_union(geoms, np.zeros(len(geoms), dtype=np.intp), 1, grid_size=grid_size)[0]
    return polygonal(np.array([u], dtype=object))[0]


def union_by_group(
    geoms: GeomArray, groups: IntArray, n_groups: int, *, grid_size: float | None = None
) -> GeomArray:
    """The union of ``geoms`` per group label, like :func:`grouped_union` (None where a group
    is empty), with large groups by :func:`safe_union_all` (GEOS's cascaded union, which
    merges neighbours first) and the many small ones by the vectorised pairwise reduction."""
    geoms = np.asarray(geoms, dtype=object)
    groups = np.asarray(groups, dtype=np.intp)
    size = np.bincount(groups, minlength=n_groups)
    big = size[groups] >= _CASCADE
    out = grouped_union(geoms[~big], groups[~big], n_groups, grid_size=grid_size)
    if big.any():
        order = np.argsort(groups[big], kind="stable")
        members, label = geoms[big][order], groups[big][order]
        cuts = np.r_[0, np.flatnonzero(label[1:] != label[:-1]) + 1, len(label)]
        for lo, hi in zip(cuts[:-1], cuts[1:], strict=True):
            out[label[lo]] = safe_union_all(members[lo:hi], grid_size=grid_size)
    return out


def _subtract_rounds(
    out: GeomArray,
    i: IntArray,
    sub: GeomArray,
    *,
    what: str,
    grid_size: float | None,
    live: bool = False,
) -> IntArray:
    """``out[i[k]] -= sub[k]`` for every k, in place, one round per subtrahend (round r takes
    the r-th subtrahend of every target in one vectorised call). Returns the targets.

    With ``live``, a subtrahend is skipped where the target is already empty or no longer
    meets it (a prepared ``intersects`` when ``sub`` is prepared): nothing would change."""
    srt = np.argsort(i, kind="stable")
    i, sub = i[srt], sub[srt]
    first = np.r_[0, np.flatnonzero(i[1:] != i[:-1]) + 1]
    step = np.arange(len(i)) - np.repeat(first, np.diff(np.r_[first, len(i)]))
    for r in range(int(step.max()) + 1):
        at = np.flatnonzero(step == r)
        if live:
            cur = out[i[at]]
            at = at[~shapely.is_empty(cur)]
            at = at[np.asarray(shapely.intersects(sub[at], out[i[at]]), dtype=bool)]
            if len(at) == 0:
                continue
        out[i[at]] = safe_binary(
            shapely.difference, out[i[at]], sub[at], what=what, grid_size=grid_size
        )
    return np.asarray(i[first], dtype=np.intp)


def regroup(pieces: GeomArray, owner: IntArray, which: IntArray) -> GeomArray:
    """For each index in ``which``, the polygons of the ``pieces`` it owns as one geometry (a
    Polygon, a MultiPolygon or an empty Polygon). ``owner`` must be sorted; pieces of one owner
    must not overlap (parts of one valid geometry, cut down)."""
    n = int(max(owner.max(initial=-1), which.max(initial=-1))) + 1
    mine = np.isin(owner, which)
    polys, sub = shapely.get_parts(pieces[mine], return_index=True)
    own = owner[mine][sub]
    keep = shapely.get_type_id(polys) == 3
    polys, own = polys[keep], own[keep]
    count = np.bincount(own, minlength=n)
    merged: GeomArray = np.full(n, None, dtype=object)
    if len(polys):
        shapely.multipolygons(polys, indices=own, out=merged)
    one = np.flatnonzero(count == 1)
    merged[one] = polys[np.searchsorted(own, one)]
    empty = count == 0
    merged[empty] = shapely.Polygon()
    return merged[which]


def subtract_pairs(
    a: GeomArray,
    b: GeomArray,
    ai: IntArray,
    bj: IntArray,
    *,
    what: str,
    grid_size: float | None = None,
) -> GeomArray:
    """``a[k] − ∪ {b[j] : (k, j) a pair}`` for every ``k`` in ``ai`` (others unchanged).

    Computed part by part: each polygon of ``a[k]`` loses the union of those polygons of its
    partners whose bounding boxes overlap it, so a far-flung multi-part partner adds only its
    nearby parts, and no union spans more than one part's surroundings.
    """
    a = np.asarray(a, dtype=object)
    out = a.copy()
    if len(ai) == 0:
        return out
    who = np.unique(ai)
    ap, ao = explode(a[who])
    ao = who[ao]
    partners = np.unique(bj)
    bp, bo = explode(np.asarray(b, dtype=object)[partners])
    bo = partners[bo]
    nb = np.int64(len(b))
    keys = np.unique(ai.astype(np.int64) * nb + bj)
    pi, pj = _part_pairs(ap, ao, bp, bo, lambda i, j: np.isin(i.astype(np.int64) * nb + j, keys))
    if len(pi):
        cover = grouped_union(bp[pj], pi, len(ap), grid_size=grid_size)
        hit = np.unique(pi)
        ap[hit] = safe_binary(
            shapely.difference, ap[hit], cover[hit], what=what, grid_size=grid_size
        )
    out[who] = regroup(ap, ao, who)
    return out


PairFilter = Callable[[IntArray, IntArray], BoolArray]


def _query(tree: shapely.STRtree, q: GeomArray, i: IntArray) -> npt.NDArray[np.intp]:
    """``tree.query(q)`` (bounding boxes) with query indices mapped back through ``i``."""
    qi, tj = tree.query(q)
    return np.stack([i[qi], tj])


def _part_pairs(
    qp: GeomArray, qo: IntArray, tp: GeomArray, to: IntArray, keep: PairFilter | None
) -> tuple[IntArray, IntArray]:
    """Pairs of parts whose bounding boxes overlap in an area (not just a line or point),
    from one STRtree query, filtered by ``keep(owner_i, owner_j)``."""
    tree = shapely.STRtree(tp)
    found = threaded(lambda q, i: _query(tree, q, i), qp, np.arange(len(qp)))
    pi, pj = found[0].astype(np.intp), found[1].astype(np.intp)
    if keep is not None and len(pi):
        k = keep(qo[pi], to[pj])
        pi, pj = pi[k], pj[k]
    bq, bt = shapely.bounds(qp), shapely.bounds(tp)
    wide = (np.minimum(bq[pi, 2], bt[pj, 2]) > np.maximum(bq[pi, 0], bt[pj, 0])) & (
        np.minimum(bq[pi, 3], bt[pj, 3]) > np.maximum(bq[pi, 1], bt[pj, 1])
    )
    return pi[wide], pj[wide]
