"""Pairs of overlapping polygons and making them disjoint by priority (the earliest approval
keeps the overlap): the rank sweep against a running union, and sharing land out by priority."""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import shapely

from geoplan._threads import threaded
from geoplan.audit._geom import (
    BoolArray,
    GeomArray,
    IntArray,
    areas,
    explode,
    prepared_where_useful,
)
from geoplan.audit._ops import (
    PairFilter,
    _part_pairs,
    _query,
    _subtract_rounds,
    regroup,
    safe_binary,
    safe_union_all,
)

logger = logging.getLogger(__name__)

# parts per block of ranks in :func:`prefix_sweep`
_SWEEP_BLOCK = 2048


def _interiors_meet(a: GeomArray, b: GeomArray) -> BoolArray:
    """Whether the interiors of polygons ``a[k]`` and ``b[k]`` meet (they intersect, and not
    only along their boundaries). Faster with the ``a`` tested often prepared
    (:func:`~geoplan.audit._geom.prepared_where_useful`; see :func:`threaded`)."""
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
        qp = prepared_where_useful(qp, pi[todo])
        hit = threaded(_interiors_meet, qp[pi[todo]], tp[pj[todo]], groups=pi[todo])
        meet[inv[todo[hit]]] = True
    inside = ok | meet
    return ui[inside], uj[inside], ok[inside]


def priority_pairs(geoms: GeomArray, rank: npt.NDArray[np.int64]) -> tuple[IntArray, IntArray]:
    """Pairs ``(i, j)`` of geometries whose interiors meet, with ``rank[j] < rank[i]``, sorted.

    Found between the polygons (parts) of the geometries: one STRtree query of the parts, a
    numpy test of their boxes, then a prepared ``intersects`` and ``touches``.
    """
    geoms = np.asarray(geoms, dtype=object)
    empty = np.empty(0, dtype=np.intp)
    parts, owner = explode(geoms)
    pi, pj = _part_pairs(parts, owner, parts, owner, lambda i, j: rank[j] < rank[i])
    if len(pi):
        parts = prepared_where_useful(parts, pi)
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
        own = prepared_where_useful(pieces, pi[idx])
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
