"""Vectorised polygon accounting for the land audit: pair queries, grouped unions, slivers.

Everything here works on numpy arrays of shapely geometries; no Python loop runs per feature.
The building blocks:

- :func:`overlap_pairs` — pairs of polygons whose interiors meet (touching edges do not count),
  from one STRtree query.
- :func:`grouped_union` — the union of the geometries of each group, by pairwise tree reduction
  (``log2(group size)`` vectorised :func:`shapely.union` rounds).
- :func:`disjoint_by_priority` — make overlapping polygons disjoint: each keeps what no
  higher-priority polygon already holds, so areas never double count.
- :func:`split_slivers` — explode pieces and separate digitising slivers (too small, or thinner
  than a width) from real pieces.
"""

from __future__ import annotations

import contextvars
import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException

from geoplan.errors import GeoplanError

logger = logging.getLogger(__name__)

GeomArray = npt.NDArray[np.object_]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]
PairFilter = Callable[[IntArray, IntArray], BoolArray]

# GEOS type ids of polygonal geometries
_POLYGONAL = (3, 6)
# snapping grid (metres) used only to retry an operation GEOS rejects as a topology error
_RETRY_GRID = 1e-6


# below this many elements per thread a vectorised call is not split across threads
_CHUNK = 4096


# upper bound on threads for the current context (None: every CPU this process may use)
WORKERS: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "geoplan_audit_workers", default=None
)


def cpu_threads() -> int:
    """Threads to use: the CPUs this process may run on, capped by :data:`WORKERS`.

    Shapely releases the GIL inside vectorised GEOS calls, so chunks run truly in parallel.
    """
    try:
        n = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        n = max(1, os.cpu_count() or 1)
    cap = WORKERS.get()
    return n if cap is None else max(1, min(n, cap))


def _query(tree: shapely.STRtree, q: GeomArray, i: IntArray) -> npt.NDArray[np.intp]:
    """``tree.query(q)`` (bounding boxes) with query indices mapped back through ``i``."""
    qi, tj = tree.query(q)
    return np.stack([i[qi], tj])


def threaded(
    op: Callable[..., Any], *arrays: Any, groups: npt.NDArray[Any] | None = None, **kwargs: Any
) -> Any:
    """``op(*arrays, **kwargs)`` with the arrays split across threads when they are large.

    Vectorised shapely functions release the GIL while GEOS works, so chunks run in parallel.
    Small inputs (and single-CPU machines) run in one call. Results are concatenated in order
    (along the last axis).

    ``groups`` (sorted, one key per element) keeps the elements of one key in one chunk: pass
    the index of a *prepared* geometry repeated along the array, since GEOS builds a prepared
    geometry's indexes lazily on first use and must not do so in two threads at once.
    """
    n = len(arrays[0])
    workers = min(cpu_threads(), n // _CHUNK)
    if workers < 2:
        return op(*arrays, **kwargs)
    bounds = np.linspace(0, n, workers * 2 + 1).astype(int)
    if groups is not None:  # move each inner bound back to the start of its group
        g = np.asarray(groups)
        bounds[1:-1] = np.searchsorted(g, g[bounds[1:-1]], side="left")
        bounds = np.unique(bounds)
    chunks = [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda c: op(*(a[c] for a in arrays), **kwargs), chunks))
    return np.concatenate(parts, axis=-1)


class OverlayError(GeoplanError):
    """A polygon overlay that GEOS rejects even after repair and snapping.

    ``bounds`` is the bounding box ``(xmin, ymin, xmax, ymax)`` of the inputs involved, so the
    caller can name the records there (see :func:`geoplan.audit._overlay.account`).
    """

    def __init__(self, message: str, *, what: str, bounds: tuple[float, ...]) -> None:
        super().__init__(message)
        self.what = what
        self.bounds = bounds


def concurrently(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent steps at the same time on threads when more than one CPU may be used
    (GEOS releases the GIL), each in a copy of the caller's context (so :data:`WORKERS`
    holds inside); one after another otherwise. Results in call order."""
    if cpu_threads() < 2 or len(calls) < 2:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        return [f.result() for f in futures]


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


def _interiors_meet(a: GeomArray, b: GeomArray) -> BoolArray:
    """Whether the interiors of polygons ``a[k]`` and ``b[k]`` meet (they intersect, and not
    only along their boundaries). Faster with ``a`` prepared (see :func:`threaded`)."""
    meet = np.asarray(shapely.intersects(a, b), dtype=bool)
    idx = np.flatnonzero(meet)
    meet[idx] = ~np.asarray(shapely.touches(a[idx], b[idx]), dtype=bool)
    return meet


def overlap_pairs(
    query: GeomArray,
    tree_geoms: GeomArray,
    *,
    keep: PairFilter | None = None,
    accept: PairFilter | None = None,
) -> tuple[IntArray, IntArray, BoolArray]:
    """Index pairs ``(i, j)`` where the interiors of ``query[i]`` and ``tree_geoms[j]`` meet.

    Multi-part geometries are split into their polygons first, so a batch whose parts lie far
    apart does not drag every geometry inside its overall bounding box into the candidates. One
    STRtree query of the parts finds candidates by bounding box; ``keep(i, j)`` (optional)
    filters them (e.g. by rank); parts whose boxes overlap only in a line or point are dropped
    (a numpy test). Each remaining pair of geometries is then accepted if ``accept(i, j)`` is
    true (a cheaper test already proving shared interior, such as a prepared ``covers``), and
    otherwise if the interiors of any two of their parts meet. Returns ``(i, j, accepted)``,
    sorted by ``(i, j)``.
    """
    empty = np.empty(0, dtype=np.intp)
    if len(query) == 0 or len(tree_geoms) == 0:
        return empty, empty, np.empty(0, dtype=bool)
    qp, qo = explode(query)
    qp = shapely.set_srid(qp, 0)  # own copies, prepared below (never shared across threads)
    tp, to = explode(tree_geoms)
    pi, pj = _part_pairs(qp, qo, tp, to, keep)
    if len(pi) == 0:
        return empty, empty, np.empty(0, dtype=bool)
    n_t = np.int64(len(tree_geoms))
    key, inv = np.unique(qo[pi].astype(np.int64) * n_t + to[pj], return_inverse=True)
    ui, uj = (key // n_t).astype(np.intp), (key % n_t).astype(np.intp)
    ok = np.zeros(len(ui), dtype=bool) if accept is None else np.asarray(accept(ui, uj))
    todo = np.flatnonzero(~ok[inv])
    meet = np.zeros(len(ui), dtype=bool)
    if len(todo):
        shapely.prepare(qp[np.unique(pi[todo])])
        hit = threaded(_interiors_meet, qp[pi[todo]], tp[pj[todo]], groups=pi[todo])
        meet[inv[todo[hit]]] = True
    inside = ok | meet
    return ui[inside], uj[inside], ok[inside]


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


def priority_pairs(geoms: GeomArray, rank: npt.NDArray[np.int64]) -> tuple[IntArray, IntArray]:
    """Pairs ``(i, j)`` of geometries whose interiors meet, with ``rank[j] < rank[i]``, sorted.

    Found between the polygons (parts) of the geometries: one STRtree query of the parts, a
    numpy test of their boxes, then a prepared ``intersects`` and ``touches``.
    """
    geoms = np.asarray(geoms, dtype=object)
    empty = np.empty(0, dtype=np.intp)
    parts, owner = explode(geoms)
    parts = shapely.set_srid(parts, 0)  # own copies, prepared below
    pi, pj = _part_pairs(parts, owner, parts, owner, lambda i, j: rank[j] < rank[i])
    if len(pi):
        shapely.prepare(parts[np.unique(pi)])
        hit = threaded(_interiors_meet, parts[pi], parts[pj], groups=pi)
        pi, pj = pi[hit], pj[hit]
    if len(pi) == 0:
        return empty, empty
    n = np.int64(len(geoms))
    key = np.unique(owner[pi].astype(np.int64) * n + owner[pj])
    return (key // n).astype(np.intp), (key % n).astype(np.intp)


def disjoint_by_priority(
    geoms: GeomArray, rank: npt.NDArray[np.int64], *, grid_size: float | None = None
) -> tuple[GeomArray, IntArray, IntArray]:
    """Make overlapping polygons disjoint: each loses what lower-``rank`` polygons hold.

    Returns the disjoint geometries (same length as ``geoms``; a geometry swallowed whole becomes
    an empty polygon) and the overlapping pairs ``(i, j)`` with ``rank[j] < rank[i]``
    (:func:`priority_pairs`). Ranks must be distinct. The geometry is :func:`prefix_sweep`.
    """
    qi, tj = priority_pairs(geoms, rank)
    return prefix_sweep(geoms, rank, grid_size=grid_size), qi, tj


# parts per block of ranks in :func:`prefix_sweep`
_SWEEP_BLOCK = 2048


def prefix_sweep(
    geoms: GeomArray, rank: npt.NDArray[np.int64], *, grid_size: float | None = None
) -> GeomArray:
    """Each geometry minus the union of every geometry of lower ``rank`` (the geometry part of
    :func:`disjoint_by_priority`; an empty polygon where nothing is left).

    A sweep over the polygons (parts) in rank order, never a union per overlapping pair (which
    is quadratic where approvals pile up: 43 overlapping pairs per approval in one synthetic
    county). Only parts whose boxes overlap another part's box take part. They are taken in
    blocks of ranks, and a running union ``R`` of the earlier blocks is kept, exploded into its
    polygons and indexed: a part ``P`` of block ``k`` becomes ``P − R`` minus the earlier parts of
    its own block. Against ``R`` only the polygons near ``P`` count: a prepared ``contains``
    settles a swallowed part, a prepared ``intersects`` one that ``R`` does not reach, and only
    the rest are differenced. Inside the block, an earlier part is subtracted only while the
    remainder still meets it. The union of everything is a few thousand vertices even where
    approvals pile up, so ``R`` stays small.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    parts, owner = explode(geoms)
    if len(parts) < 2:
        return out
    rank = np.asarray(rank)
    prank = rank[owner]
    pi, pj = _part_pairs(parts, owner, parts, owner, lambda i, j: rank[j] < rank[i])
    if len(pi) == 0:
        return out
    involved = np.unique(np.concatenate([pi, pj]))
    order = involved[np.argsort(prank[involved], kind="stable")]
    # blocks of about _SWEEP_BLOCK parts, never splitting the parts of one rank
    pos = np.arange(len(order)) // _SWEEP_BLOCK
    r_sorted = prank[order]
    new_rank = np.r_[True, r_sorted[1:] != r_sorted[:-1]]
    blk = np.maximum.accumulate(np.where(new_rank, pos, 0))
    parts = shapely.set_srid(parts, 0)  # own copies, prepared below
    pieces = parts.copy()
    shapely.prepare(parts[order])
    running: shapely.Geometry | None = None
    edges = np.r_[0, np.flatnonzero(blk[1:] != blk[:-1]) + 1, len(order)]
    for b in range(len(edges) - 1):
        idx = order[edges[b] : edges[b + 1]]
        cur = parts[idx].copy()
        if running is not None:
            cur = _minus_running(cur, running, grid_size=grid_size)
        cur = _minus_earlier(cur, parts[idx], prank[idx], grid_size=grid_size)
        pieces[idx] = cur
        if b < len(edges) - 2:
            block = safe_union_all(parts[idx], grid_size=grid_size)
            running = (
                block
                if running is None
                else safe_binary(
                    shapely.union,
                    np.array([running], dtype=object),
                    np.array([block], dtype=object),
                    what="running union",
                    grid_size=grid_size,
                )[0]
            )
    changed = np.unique(owner[order])
    out[changed] = regroup(pieces, owner, changed)
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


# groups at least this large are unioned by GEOS's cascaded union, one call each
_CASCADE = 64


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


def touching_groups(*layers: GeomArray) -> list[IntArray]:
    """Label the polygons of several layers by connected group: two polygons whose boxes meet
    (in any layer) are in one group, so the union of any layer, or the overlay of two, can be
    computed group by group. Returns one label array per layer."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    allp = np.concatenate([np.asarray(g, dtype=object) for g in layers])
    if len(allp) == 0:
        return [np.empty(0, dtype=np.intp) for _ in layers]
    tree = shapely.STRtree(allp)
    qi, tj = threaded(lambda q, i: _query(tree, q, i), allp, np.arange(len(allp)))
    graph = coo_matrix((np.ones(len(qi)), (qi, tj)), shape=(len(allp), len(allp)))
    _, labels = connected_components(graph, directed=False)
    cuts = np.cumsum([len(g) for g in layers])[:-1]
    return [np.asarray(x, dtype=np.intp) for x in np.split(labels, cuts)]


def _minus_running(
    cur: GeomArray, running: shapely.Geometry, *, grid_size: float | None
) -> GeomArray:
    """``cur[k] − running`` for every k, against the polygons of ``running`` near each."""
    rp = np.asarray(shapely.get_parts(running), dtype=object)
    if len(rp) == 0:
        return cur
    qi, tj = shapely.STRtree(rp).query(cur)
    if len(qi) == 0:
        return cur
    shapely.prepare(rp)
    srt = np.argsort(tj, kind="stable")
    qi, tj = qi[srt], tj[srt]
    meet = np.asarray(threaded(shapely.intersects, rp[tj], cur[qi], groups=tj), dtype=bool)
    qi, tj = qi[meet], tj[meet]
    gone = np.asarray(threaded(shapely.contains, rp[tj], cur[qi], groups=tj), dtype=bool)
    cur = cur.copy()
    if gone.any():
        cur[np.unique(qi[gone])] = shapely.Polygon()
        keep = ~np.isin(qi, qi[gone])
        qi, tj = qi[keep], tj[keep]
    if len(qi):
        _subtract_rounds(cur, qi, rp[tj], what="overlap removal", grid_size=grid_size)
    return cur


def _minus_earlier(
    cur: GeomArray, orig: GeomArray, prank: npt.NDArray[np.int64], *, grid_size: float | None
) -> GeomArray:
    """``cur[k] − ∪ {orig[j] : prank[j] < prank[k]}`` within one block (``orig`` prepared)."""
    qi, tj = shapely.STRtree(orig).query(orig)
    keep = prank[tj] < prank[qi]
    qi, tj = qi[keep], tj[keep]
    if len(qi) == 0:
        return cur
    cur = cur.copy()
    _subtract_rounds(cur, qi, orig[tj], what="overlap removal", grid_size=grid_size, live=True)
    return cur


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


def attribute_by_priority(
    pieces: GeomArray, geoms: GeomArray, rank: npt.NDArray[np.int64], *, grid_size: float | None
) -> tuple[GeomArray, IntArray]:
    """Share out polygons that lie inside ``∪ geoms`` among the geometries covering them, the
    lowest ``rank`` first: piece ``p`` gives ``p ∩ g₁`` to the first geometry whose box meets
    it, ``(p − g₁) ∩ g₂`` to the second, …, and what is left to the last. Returns the shares
    (polygonal; empty ones dropped) and the index of the geometry each went to.

    A piece met by one geometry's box lies inside it and goes to it whole, without an overlay;
    shares of one piece add up to it, since the last one is a remainder, not an intersection.
    """
    pieces = np.asarray(pieces, dtype=object)
    geoms = np.asarray(geoms, dtype=object)
    if len(pieces) == 0 or len(geoms) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.intp)
    pi, gj = shapely.STRtree(geoms).query(pieces)
    # a geometry whose box meets a piece met by several others takes part only if their
    # interiors meet (a prepared test, cheaper than the overlays it saves)
    several = np.bincount(pi, minlength=len(pieces))[pi] > 1
    if several.any():
        idx = np.flatnonzero(several)
        own = shapely.set_srid(pieces, 0)  # own copies, prepared here only
        shapely.prepare(own[np.unique(pi[idx])])
        meet = threaded(_interiors_meet, own[pi[idx]], geoms[gj[idx]], groups=pi[idx])
        keep = np.ones(len(pi), dtype=bool)
        keep[idx[~np.asarray(meet, dtype=bool)]] = False
        pi, gj = pi[keep], gj[keep]
    if len(pi) == 0:
        return np.empty(0, dtype=object), np.empty(0, dtype=np.intp)
    srt = np.lexsort((rank[gj], pi))
    pi, gj = pi[srt], gj[srt]
    first = np.r_[0, np.flatnonzero(pi[1:] != pi[:-1]) + 1]
    count = np.diff(np.r_[first, len(pi)])
    step = np.arange(len(pi)) - np.repeat(first, count)
    last = step == np.repeat(count, count) - 1
    share: GeomArray = np.full(len(pi), None, dtype=object)
    rest = pieces.copy()
    for r in range(int(step.max()) + 1):
        at = np.flatnonzero((step == r) & ~last)
        if len(at):
            g, p = geoms[gj[at]], rest[pi[at]]
            share[at] = safe_binary(shapely.intersection, p, g, what="share", grid_size=grid_size)
            rest[pi[at]] = safe_binary(shapely.difference, p, g, what="share", grid_size=grid_size)
        end = np.flatnonzero((step == r) & last)
        share[end] = rest[pi[end]]
    keep = ~shapely.is_empty(share)
    return share[keep], gj[keep].astype(np.intp)


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


def polygonal(geoms: GeomArray) -> GeomArray:
    """Keep only the polygonal parts of overlay results (drop stray lines and points).

    Polygon/polygon overlays in GEOS return polygons, but collapsed results can be
    GeometryCollections; those are reduced to their polygons (or an empty polygon). Missing
    geometries become empty polygons.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    out[shapely.is_missing(geoms)] = shapely.Polygon()
    odd = ~np.isin(shapely.get_type_id(out), _POLYGONAL) & ~shapely.is_empty(out)
    if odd.any():
        idx = np.flatnonzero(odd)
        parts, owner = shapely.get_parts(out[idx], return_index=True)
        parts, sub = shapely.get_parts(parts, return_index=True)  # collections of multis
        owner = owner[sub]
        keep = shapely.get_type_id(parts) == 3
        fixed: GeomArray = np.full(len(idx), None, dtype=object)
        if keep.any():
            shapely.multipolygons(parts[keep], indices=owner[keep], out=fixed)
        fixed[shapely.is_missing(fixed)] = shapely.Polygon()
        out[idx] = fixed
    return out


def is_thin(parts: GeomArray, width: float) -> BoolArray:
    """Whether each polygon is thinner than ``width`` everywhere (no disc of that diameter fits).

    Exact test: the polygon vanishes under a negative buffer of ``width / 2``. A cheap bound
    clears most pieces first. With ``r = width / 2``, every point of a thin polygon lies within
    ``r`` of its boundary, and the band of points within ``r`` of the boundary of a polygon with
    perimeter ``L`` and ``n`` vertices has area at most ``r·L + (π/2)·r²·n`` (the inner offset
    curves are no longer than the edges plus arcs of at most π·t round reflex vertices). A piece
    whose area exceeds that bound cannot be thin and is not buffered.
    """
    parts = np.asarray(parts, dtype=object)
    thin = np.zeros(len(parts), dtype=bool)
    if len(parts) == 0 or width <= 0:
        return thin
    r = width / 2.0
    bound = r * shapely.length(parts) + (np.pi / 2.0) * r * r * shapely.get_num_coordinates(parts)
    todo = np.flatnonzero(shapely.area(parts) <= bound * (1.0 + 1e-9))
    if len(todo):
        eroded = threaded(lambda g: shapely.buffer(g, -r, quad_segs=8), parts[todo])
        thin[todo] = shapely.is_empty(eroded) | (shapely.area(eroded) <= 0.0)
    return thin


def split_slivers(
    geoms: GeomArray, *, width: float, min_area: float
) -> tuple[GeomArray, IntArray, npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Explode polygonal geometries into pieces and separate the slivers.

    Returns ``(pieces, owner, piece_area, sliver_area_by_owner)``: the kept single polygons, the
    index of the input geometry each came from, their areas, and per input the total area of the
    dropped pieces (area < ``min_area`` or thinner than ``width``).
    """
    geoms = np.asarray(geoms, dtype=object)
    sliver = np.zeros(len(geoms), dtype=np.float64)
    parts, owner = explode(geoms)
    if len(parts) == 0:
        return parts, owner, np.empty(0), sliver
    area = shapely.area(parts)
    polys = np.isin(shapely.get_type_id(parts), _POLYGONAL) & (area > 0)
    parts, owner, area = parts[polys], owner[polys], area[polys]
    drop = area < min_area
    big = np.flatnonzero(~drop)
    drop[big] = is_thin(parts[big], width)
    np.add.at(sliver, owner[drop], area[drop])
    keep = ~drop
    return parts[keep], owner[keep], area[keep], sliver


def explode(geoms: GeomArray) -> tuple[GeomArray, IntArray]:
    """Single parts of polygonal geometries and the index of the geometry each came from.

    Only multi-part geometries go through :func:`shapely.get_parts` (which copies every part);
    single polygons are passed through as they are.
    """
    geoms = np.asarray(geoms, dtype=object)
    multi = shapely.get_type_id(geoms) == 6
    if not multi.any():
        keep = ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms)
        return geoms[keep], np.flatnonzero(keep).astype(np.intp)
    single = np.flatnonzero(~multi & ~shapely.is_empty(geoms) & ~shapely.is_missing(geoms))
    midx = np.flatnonzero(multi)
    parts, sub = shapely.get_parts(geoms[midx], return_index=True)
    all_parts = np.concatenate([geoms[single], parts])
    owner = np.concatenate([single, midx[sub]]).astype(np.intp)
    order = np.argsort(owner, kind="stable")
    return all_parts[order], owner[order]


def areas(geoms: GeomArray) -> npt.NDArray[np.float64]:
    """Areas with missing geometries counted as 0."""
    a = shapely.area(np.asarray(geoms, dtype=object))
    return np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0)


def largest_overlap(geoms: GeomArray, zones: GeomArray) -> IntArray:
    """For each geometry, the index of the zone holding most of its area (-1 when none).

    A geometry meeting one zone takes it directly; only those meeting several have their
    intersection areas computed.
    """
    geoms = np.asarray(geoms, dtype=object)
    out = np.full(len(geoms), -1, dtype=np.intp)
    qi, tj, _ = overlap_pairs(geoms, np.asarray(zones, dtype=object))
    if len(qi) == 0:
        return out
    count = np.bincount(qi, minlength=len(geoms))
    single = count[qi] == 1
    out[qi[single]] = tj[single]
    multi = np.flatnonzero(~single)
    if len(multi):
        qm, tm = qi[multi], tj[multi]
        inter = areas(safe_binary(shapely.intersection, geoms[qm], zones[tm], what="township"))
        order = np.lexsort((-inter, qm))  # by geometry, largest area first
        first = np.ones(len(order), dtype=bool)
        first[1:] = qm[order][1:] != qm[order][:-1]
        out[qm[order][first]] = tm[order][first]
    return out
