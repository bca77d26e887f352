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

import logging
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextvars import ContextVar
from typing import Any

import numpy as np
import numpy.typing as npt
import shapely
from shapely.errors import GEOSException

logger = logging.getLogger(__name__)

GeomArray = npt.NDArray[np.object_]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

# GEOS type ids of polygonal geometries
_POLYGONAL = (3, 6)
# snapping grid (metres) used only to retry an operation GEOS rejects as a topology error
_RETRY_GRID = 1e-6


# below this many elements per thread a vectorised call is not split across threads
_CHUNK = 4096


# upper bound on threads for the current context (None: every CPU this process may use)
WORKERS: ContextVar[int | None] = ContextVar("geoplan_audit_workers", default=None)


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
    """``tree.query(q, "intersects")`` with query indices mapped back through ``i``."""
    qi, tj = tree.query(q, predicate="intersects")
    return np.stack([i[qi], tj])


def threaded(op: Callable[..., Any], *arrays: Any, **kwargs: Any) -> Any:
    """``op(*arrays, **kwargs)`` with the arrays split across threads when they are large.

    Vectorised shapely functions release the GIL while GEOS works, so chunks run in parallel.
    Small inputs (and single-CPU machines) run in one call. Results are concatenated in order
    (along the last axis).
    """
    n = len(arrays[0])
    workers = min(cpu_threads(), n // _CHUNK)
    if workers < 2:
        return op(*arrays, **kwargs)
    bounds = np.linspace(0, n, workers * 2 + 1).astype(int)
    chunks = [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda c: op(*(a[c] for a in arrays), **kwargs), chunks))
    return np.concatenate(parts, axis=-1)


def safe_binary(
    op: Callable[..., GeomArray],
    a: GeomArray,
    b: GeomArray,
    *,
    what: str,
    grid_size: float | None = None,
) -> GeomArray:
    """Apply a vectorised shapely overlay ``op(a, b)`` (threaded for large inputs).

    With ``grid_size`` the overlay snaps to that grid (GEOS snap-rounding: fully robust). On a
    GEOS topology error, the elements are retried one by one and those failing again are
    snapped to a 1 µm grid (logged), instead of failing the whole audit.
    """
    kw = {} if grid_size is None else {"grid_size": grid_size}
    try:
        return np.asarray(threaded(op, a, b, **kw), dtype=object)
    except GEOSException:
        out = np.empty(len(a), dtype=object)
        retried = 0
        for k in range(len(a)):  # only reached on broken input: keep going element by element
            try:
                out[k] = op(a[k], b[k], **kw)
            except GEOSException:
                out[k] = op(a[k], b[k], grid_size=max(grid_size or 0.0, _RETRY_GRID))
                retried += 1
        logger.warning("%s: %d operations retried on a 1 µm grid (topology errors)", what, retried)
        return out


def overlap_pairs(
    query: GeomArray,
    tree_geoms: GeomArray,
    *,
    keep: Callable[[IntArray, IntArray], BoolArray] | None = None,
    accept: Callable[[IntArray, IntArray], BoolArray] | None = None,
) -> tuple[IntArray, IntArray, BoolArray]:
    """Index pairs ``(i, j)`` where the interiors of ``query[i]`` and ``tree_geoms[j]`` meet.

    One STRtree ``intersects`` query finds candidates; ``keep(i, j)`` (optional) filters them
    first (e.g. by rank). Pairs that only touch along edges or at points are then removed: a
    pair whose bounding boxes overlap only in a line or point cannot share interior (a numpy
    test), and the rest are checked with :func:`shapely.touches` — except pairs for which
    ``accept(i, j)`` is true (a cheaper test already proving shared interior, such as a prepared
    ``covers``). Returns ``(i, j, accepted)``.
    """
    if len(query) == 0 or len(tree_geoms) == 0:
        empty = np.empty(0, dtype=np.intp)
        return empty, empty, np.empty(0, dtype=bool)
    tree = shapely.STRtree(tree_geoms)
    idx = np.arange(len(query))
    found = threaded(lambda q, i: _query(tree, q, i), query, idx)
    qi, tj = found[0].astype(np.intp), found[1].astype(np.intp)
    if keep is not None and len(qi):
        k = keep(qi, tj)
        qi, tj = qi[k], tj[k]
    if len(qi) == 0:
        return qi, tj, np.empty(0, dtype=bool)
    bq = shapely.bounds(query)
    bt = shapely.bounds(tree_geoms)
    wide = (np.minimum(bq[qi, 2], bt[tj, 2]) > np.maximum(bq[qi, 0], bt[tj, 0])) & (
        np.minimum(bq[qi, 3], bt[tj, 3]) > np.maximum(bq[qi, 1], bt[tj, 1])
    )
    qi, tj = qi[wide], tj[wide]
    ok = np.zeros(len(qi), dtype=bool) if accept is None else np.asarray(accept(qi, tj))
    todo = np.flatnonzero(~ok)
    inside = ok.copy()
    inside[todo] = ~threaded(shapely.touches, query[qi[todo]], tree_geoms[tj[todo]])
    return qi[inside], tj[inside], ok[inside]


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


def disjoint_by_priority(
    geoms: GeomArray, rank: npt.NDArray[np.int64], *, grid_size: float | None = None
) -> tuple[GeomArray, IntArray, IntArray]:
    """Make overlapping polygons disjoint: each loses what lower-``rank`` polygons hold.

    Returns the disjoint geometries (same length as ``geoms``; a geometry swallowed whole becomes
    an empty polygon) and the overlapping pairs ``(i, j)`` with ``rank[j] < rank[i]``.
    """
    geoms = np.asarray(geoms, dtype=object)
    qi, tj, _ = overlap_pairs(geoms, geoms, keep=lambda i, j: rank[j] < rank[i])
    out = geoms.copy()
    if len(qi):
        losers = np.unique(qi)
        unions = grouped_union(geoms[tj], qi, len(geoms), grid_size=grid_size)
        out[losers] = safe_binary(
            shapely.difference,
            geoms[losers],
            unions[losers],
            what="overlap removal",
            grid_size=grid_size,
        )
        out[losers] = polygonal(out[losers])
    return out, qi, tj


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
