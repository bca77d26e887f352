"""The geometric core of the land audit, checked piece by piece and repaired where GEOS slips.

:func:`checked_core` computes, for approval batches ``G`` (one geometry per batch, in priority
order) and supply records ``S``:

- ``E``: the batches made disjoint (the earliest approval keeps an overlap), by a sweep in
  priority order with a running union (:func:`~geoplan.audit._geom.prefix_sweep`);
- batch side, per batch: ``U_b`` = ∪ supplies meeting ``E_b`` (unions of its own, part by part),
  unsupplied ``E_b − U_b`` and supplied area ``area(E_b) − area(E_b − U_b)``;
- supply side, from the county's unions: ``UA = ∪ batches`` and ``US = ∪ supplies`` (GEOS
  cascaded unions, computed apart from the sweep), and ``US − UA`` (supply land outside every
  approval) shared out among the supplies by supply date (the earliest supply keeps an overlap).

The two sides measure the supplied land independently, and they must agree within each connected
group of batches and supplies that overlap each other or share a polygon of a union: Σ supplied
of the group's batches = area of its part of ``US`` − area of its part of ``US − UA``; and Σ
``E_b`` = area of its part of ``UA``. GEOS's floating-point overlay can, rarely, return a wrong
result without raising (nearly coincident edges); a group where the sides disagree is recomputed
with snap-rounding on a 1 µm grid (robust), and the audit fails only if it still disagrees.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geoplan._threads import concurrently, threaded
from geoplan.audit._geom import (
    BoolArray,
    GeomArray,
    IntArray,
    areas,
    explode,
    prepared_where_useful,
)
from geoplan.audit._ops import grouped_union, safe_binary, subtract_pairs, union_by_group
from geoplan.audit._priority import (
    attribute_by_priority,
    overlap_pairs,
    prefix_sweep,
    priority_pairs,
    touching_groups,
)
from geoplan.errors import GeoplanError

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]
REL_TOL = 1e-9
ABS_TOL_M2 = 1e-6
# a supply within this distance (metres) of a batch counts as inside it: covers() with no
# tolerance fails on supplies whose vertices were split along a batch edge (rounding noise)
NEAR_M = 1e-7
# snapping grid (metres) of the robust recomputation
GRID_M = 1e-6


@dataclass
class Core:
    """Results of :func:`checked_core` (arrays per batch or per supply, or per pair).

    Nodes of the check's graph are numbered batches first (``0 … nb−1``), then supplies
    (``nb + s``); ``links`` joins nodes whose polygons lie in one polygon of the union of
    approvals or of supplies, and ``union_b_m2`` / ``union_s_m2`` give each polygon of those
    unions to one node, so both sums can be split by connected group.
    """

    approved: GeomArray
    approved_m2: FloatArray
    batch_overlaps: tuple[IntArray, IntArray]
    supply_overlaps: tuple[IntArray, IntArray]
    pb: IntArray
    ps: IntArray
    inside_pair: BoolArray  # the pair's supply lies inside its batch (within NEAR_M)
    unsupplied: GeomArray  # per batch, before sliver removal
    supplied_m2: FloatArray
    outside: GeomArray  # per supply: land outside every approval, before sliver removal
    outside_m2: FloatArray
    inside: BoolArray  # per supply: inside one batch (nothing outside)
    union_b_m2: FloatArray  # per batch: area of the polygons of ∪ approvals given to it
    union_s_m2: FloatArray  # per supply: area of the polygons of ∪ supplies given to it
    links: tuple[IntArray, IntArray]
    robust_batches: int = 0
    robust_supplies: int = 0


def pairs(e: GeomArray, s: GeomArray) -> tuple[IntArray, IntArray, BoolArray]:
    """Batch/supply pairs sharing interior, and whether the supply lies inside the batch.

    "Inside" means covered by the batch grown by :data:`NEAR_M`: only a supply whose bounding
    box lies within the batch's (± NEAR_M) can be, so only those pairs are tested, with
    ``covers`` on the grown batches (only the batches concerned are buffered; prepared where
    tested often). Pairs found inside need no ``touches`` test.
    """
    be, bs = shapely.bounds(e), shapely.bounds(s)

    def accept(i: IntArray, j: IntArray) -> BoolArray:
        lo = bs[j, :2] >= be[i, :2] - NEAR_M
        hi = bs[j, 2:] <= be[i, 2:] + NEAR_M
        cand = np.flatnonzero(lo.all(axis=1) & hi.all(axis=1))
        ok = np.zeros(len(i), dtype=bool)
        if len(cand):
            cand = cand[np.argsort(i[cand], kind="stable")]
            ub, inv = np.unique(i[cand], return_inverse=True)
            grown = threaded(lambda g: shapely.buffer(g, NEAR_M, join_style="mitre"), e[ub])
            grown = prepared_where_useful(grown, inv)
            ok[cand] = threaded(shapely.covers, grown[inv], s[j[cand]], groups=inv)
        return ok

    return overlap_pairs(e, s, accept=accept)


def cut(
    e: GeomArray,
    e_m2: FloatArray,
    s: GeomArray,
    pb: IntArray,
    ps: IntArray,
    *,
    grid: float | None = None,
) -> tuple[GeomArray, FloatArray]:
    """Batch side: ``(E − U, area(E) − area(E − U))`` per batch, ``U`` the union of the supplies
    paired with it (computed as differences, part by part, without building ``U``)."""
    unsupplied = subtract_pairs(e, s, pb, ps, what="unsupplied part", grid_size=grid)
    supplied_m2 = np.zeros(len(e), dtype=np.float64)
    has = np.unique(pb)
    if len(has):
        supplied_m2[has] = np.maximum(e_m2[has] - areas(unsupplied[has]), 0.0)
    return unsupplied, supplied_m2


def union_links(
    geoms: GeomArray, up: GeomArray, base: int
) -> tuple[FloatArray, tuple[IntArray, IntArray]]:
    """Give each polygon of the union ``up`` (the polygons of the union of ``geoms``) to the
    first geometry inside it: per geometry the area given, and the links ``(node, node of the
    polygon's owner)`` (nodes are ``base + index``) of every geometry to the polygons holding
    its parts.

    A polygon (part) of a geometry lies inside one polygon of the union: the one holding its
    interior point (a prepared point-in-polygon test). Where rounding leaves that point in none,
    the part is linked to every polygon whose box meets it (a coarser group, never a wrong one).
    """
    given = np.zeros(len(geoms), dtype=np.float64)
    gp, go = explode(geoms)
    if len(up) == 0 or len(gp) == 0:
        empty = np.empty(0, dtype=np.intp)
        return given, (empty, empty)
    tree = shapely.STRtree(up)
    pts = shapely.point_on_surface(gp)
    qi, tj = tree.query(pts)
    srt = np.argsort(tj, kind="stable")
    qi, tj = qi[srt], tj[srt]
    up = prepared_where_useful(up, tj)
    hit = np.asarray(threaded(shapely.contains, up[tj], pts[qi], groups=tj), dtype=bool)
    found = np.zeros(len(gp), dtype=bool)
    found[qi[hit]] = True
    qi, tj = qi[hit], tj[hit]
    lost = np.flatnonzero(~found)
    if len(lost):
        li, lj = tree.query(gp[lost])
        qi, tj = np.r_[qi, lost[li]], np.r_[tj, lj]
    owner = np.full(len(up), len(geoms), dtype=np.intp)
    np.minimum.at(owner, tj, go[qi])
    held = owner < len(geoms)
    np.add.at(given, owner[held], areas(up[held]))
    return given, (base + go[qi], base + owner[tj])


@dataclass
class _Unions:
    """The county's unions group by group (see :func:`_unions`)."""

    ua: GeomArray  # per group: union of the batches' polygons (None: none there)
    us: GeomArray  # per group with overlapping supplies: union of their polygons
    overlapping: BoolArray  # per group: some of its supplies overlap each other
    s_parts: GeomArray  # the supplies' polygons
    s_group: IntArray  # per supply part: its group
    s_owner: IntArray  # per supply part: its supply
    union_b_m2: FloatArray
    union_s_m2: FloatArray
    links: tuple[IntArray, IntArray]


def _unions(
    gross: GeomArray, sgeom: GeomArray, supply_overlaps: IntArray, *, grid: float | None
) -> _Unions:
    """``UA = ∪ batches`` and ``US = ∪ supplies``, each union's polygons given to one batch or
    supply (:func:`union_links`).

    The unions are computed per group of polygons whose boxes meet (:func:`touching_groups`):
    a group's union is independent of the rest, and GEOS's cascaded union of a whole county of
    separate parcels (tens of thousands of polygons that never merge) is far slower than the
    same work group by group. A polygon alone in its group is its own union; the supplies of
    a group where none overlaps another (``supply_overlaps``: the supplies in an overlapping
    pair) add up to their union without one.
    """
    nb, ns = len(gross), len(sgeom)
    ap, ao = explode(gross)
    sp, so = explode(sgeom)
    ga, gs = touching_groups(ap, sp)
    n = int(max(ga.max(initial=-1), gs.max(initial=-1))) + 1
    overlapping = np.zeros(n, dtype=bool)
    overlapping[gs[np.isin(so, supply_overlaps)]] = True
    many = np.bincount(ga, minlength=n) > 1
    ua: GeomArray = np.full(n, None, dtype=object)
    alone = ~many[ga]
    ua[ga[alone]] = ap[alone]
    s_in = overlapping[gs]
    big, us = concurrently(
        lambda: union_by_group(ap[~alone], ga[~alone], n, grid_size=grid),
        lambda: union_by_group(sp[s_in], gs[s_in], n, grid_size=grid),
    )
    ua[many] = big[many]
    # batches: a polygon alone in its group is its own union
    union_b_m2 = np.bincount(ao[alone], weights=areas(ap[alone]), minlength=nb).astype(float)
    got_b, (lb, lb_to) = union_links(gross, explode(ua[many & ~shapely.is_missing(ua)])[0], 0)
    union_b_m2 += got_b
    # supplies: those of groups without overlaps count their own area
    union_s_m2 = np.bincount(so[~s_in], weights=areas(sp[~s_in]), minlength=ns).astype(float)
    got_s, (ls, ls_to) = union_links(sgeom, explode(us[overlapping])[0], nb)
    union_s_m2 += got_s
    links = (np.concatenate([lb, ls]), np.concatenate([lb_to, ls_to]))
    return _Unions(ua, us, overlapping, sp, gs, so, union_b_m2, union_s_m2, links)


def _unmatched(
    u: _Unions,
    sgeom: GeomArray,
    s_rank: npt.NDArray[np.int64],
    inside: BoolArray,
    *,
    grid: float | None,
) -> tuple[GeomArray, FloatArray]:
    """Supply side: the land ``US − UA`` outside every approval, per group that holds a supply
    not inside one batch. Where the group's supplies overlap, it is shared out among them by
    priority (:func:`attribute_by_priority`); where they do not, each supply's polygons minus
    the group's ``UA`` is its share. A supply inside one batch gets nothing (what sticks out is
    under NEAR_M), so groups of such supplies only are not overlaid. Returns per supply its
    land outside every approval and that land's area."""
    ns = len(sgeom)
    outside: GeomArray = np.full(ns, None, dtype=object)
    outside[:] = shapely.Polygon()
    outside_m2 = np.zeros(ns, dtype=np.float64)
    todo = np.zeros(len(u.ua), dtype=bool)
    todo[u.s_group[~inside[u.s_owner]]] = True
    no_ua = shapely.is_missing(u.ua)
    # groups whose supplies overlap: US − UA, shared out
    shared = todo & u.overlapping
    both = np.flatnonzero(shared & ~no_ua)
    diff = safe_binary(
        shapely.difference, u.us[both], u.ua[both], what="unmatched supply", grid_size=grid
    )
    out = explode(np.concatenate([diff, u.us[np.flatnonzero(shared & no_ua)]]))[0]
    shares, owner = attribute_by_priority(out, sgeom, s_rank, grid_size=grid)
    # groups whose supplies do not overlap: each supply part minus the group's UA
    own = np.flatnonzero(todo[u.s_group] & ~u.overlapping[u.s_group] & ~inside[u.s_owner])
    g = u.s_group[own]
    rest = u.s_parts[own].copy()
    cut_ = ~no_ua[g]
    rest[cut_] = safe_binary(
        shapely.difference, rest[cut_], u.ua[g[cut_]], what="unmatched supply", grid_size=grid
    )
    shares = np.concatenate([shares, rest])
    owner = np.concatenate([owner, u.s_owner[own]])
    keep = ~inside[owner] & ~shapely.is_empty(shares)
    shares, owner = shares[keep], owner[keep]
    if len(owner):
        # shares of one supply from different polygons of US − UA can meet along an edge
        # (where UA has a zero-width gap): unioned, they make the supply's pieces as one overlay
        # of the supply would
        got = np.unique(owner)
        outside[got] = grouped_union(shares, owner, ns, grid_size=grid)[got]
        outside_m2[got] = areas(outside[got])
    return outside, outside_m2


def run_core(
    gross: GeomArray,
    gross_m2: FloatArray,
    gross_exact: BoolArray,
    sgeom: GeomArray,
    supply_m2: FloatArray,
    s_rank: npt.NDArray[np.int64],
    *,
    grid: float | None = None,
) -> Core:
    """One pass of the core (see the module docstring); ``gross_exact`` marks batches whose
    ``gross_m2`` is already the area of their geometry.

    Independent steps run side by side: the priority sweep of the batches beside the pairs of
    overlapping batches and of overlapping supplies; the batch / supply pairs beside the
    unions; the batch side (``E_b − ∪ supplies meeting it``) beside the supply side (``US −
    UA`` shared out)."""
    nb, ns = len(gross), len(sgeom)
    brank = np.arange(nb, dtype=np.int64)
    approved, ((ov_i, ov_j), (sv_i, sv_j)) = concurrently(
        lambda: prefix_sweep(gross, brank, grid_size=grid),
        lambda: (priority_pairs(gross, brank), priority_pairs(sgeom, s_rank)),
    )
    approved_m2 = gross_m2.copy()
    redo = np.union1d(ov_i, np.flatnonzero(~gross_exact))
    if grid is not None:
        redo = np.arange(nb)
    approved_m2[redo] = areas(approved[redo])
    (pb, ps, inside_pair), u = concurrently(
        lambda: pairs(approved, sgeom),
        lambda: _unions(gross, sgeom, np.union1d(sv_i, sv_j), grid=grid),
    )
    inside = np.zeros(ns, dtype=bool)
    inside[ps[inside_pair]] = True
    (unsupplied, supplied_m2), (outside, outside_m2) = concurrently(
        lambda: cut(approved, approved_m2, sgeom, pb, ps, grid=grid),
        lambda: _unmatched(u, sgeom, s_rank, inside, grid=grid),
    )
    return Core(
        approved, approved_m2, (ov_i, ov_j), (sv_i, sv_j), pb, ps, inside_pair, unsupplied,
        supplied_m2, outside, outside_m2, inside, u.union_b_m2, u.union_s_m2, u.links,
    )  # fmt: skip


def _components(core: Core, nb: int, ns: int) -> tuple[IntArray, IntArray, int]:
    """Component label of every batch and supply in the graph of pairs, overlaps and links."""
    (oi, oj), (si, sj) = core.batch_overlaps, core.supply_overlaps
    li, lj = core.links
    rows = np.concatenate([core.pb, oi, nb + si, li])
    cols = np.concatenate([nb + core.ps, oj, nb + sj, lj])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(nb + ns, nb + ns))
    n, labels = connected_components(graph, directed=False)
    return labels[:nb], labels[nb:], int(n)


def mismatch(
    core: Core, sgeom: GeomArray, *, grid: float | None = None
) -> tuple[BoolArray, BoolArray, float]:
    """Batches and supplies in groups whose two sides disagree, and the largest gap (m²).

    Per connected group: the supplied area from the batches (Σ ``E_b − (E_b − ∪S)``) against
    the one from the unions (area of ``US`` − area outside ``UA``), and the approved area
    (Σ ``E_b``) against the area of ``UA``."""
    nb, ns = len(core.approved), len(sgeom)
    lab_b, lab_s, n = _components(core, nb, ns)
    from_batches = np.bincount(lab_b, weights=core.supplied_m2, minlength=n)
    from_supplies = np.bincount(lab_s, weights=core.union_s_m2 - core.outside_m2, minlength=n)
    approved = np.bincount(lab_b, weights=core.approved_m2, minlength=n)
    union = np.bincount(lab_b, weights=core.union_b_m2, minlength=n)
    tol = REL_TOL * approved + ABS_TOL_M2
    # supplies taken as inside may stick out of their batch by up to NEAR_M
    near = NEAR_M * np.where(core.inside, shapely.length(sgeom), 0.0)
    tol_s = tol + np.bincount(lab_s, weights=near, minlength=n)
    if grid is not None:  # snap-rounding moves each vertex by up to grid / 2
        snap_b = 2 * grid * np.bincount(lab_b, weights=shapely.length(core.approved), minlength=n)
        tol = tol + snap_b
        tol_s = tol_s + snap_b
        tol_s += 2 * grid * np.bincount(lab_s, weights=shapely.length(sgeom), minlength=n)
    gap = np.abs(from_batches - from_supplies)
    gap_a = np.abs(approved - union)
    bad = (gap > tol_s) | (gap_a > tol)
    worst = np.maximum(np.where(gap > tol_s, gap, 0.0), np.where(gap_a > tol, gap_a, 0.0))
    return bad[lab_b], bad[lab_s], float(worst.max()) if bad.any() else 0.0


def checked_core(
    gross: GeomArray,
    gross_m2: FloatArray,
    gross_exact: BoolArray,
    sgeom: GeomArray,
    supply_m2: FloatArray,
    s_rank: npt.NDArray[np.int64],
    *,
    batch_ids: npt.NDArray[np.object_],
) -> Core:
    """:func:`run_core`, then the per-component check, a robust redo of failing components, and
    a :class:`~geoplan.errors.GeoplanError` if they still fail."""
    core = run_core(gross, gross_m2, gross_exact, sgeom, supply_m2, s_rank)
    bad_b, bad_s, gap = mismatch(core, sgeom)
    if not (bad_b.any() or bad_s.any()):
        return core
    bb, ss = np.flatnonzero(bad_b), np.flatnonzero(bad_s)
    logger.info(
        "supplied area differs by up to %.3g m² between the two sides for %d batches and %d "
        "supplies (GEOS floating-point overlay); recomputing them on a %g m grid",
        gap, len(bb), len(ss), GRID_M,
    )  # fmt: skip
    sub = run_core(
        gross[bb], gross_m2[bb], gross_exact[bb], sgeom[ss], supply_m2[ss], s_rank[ss], grid=GRID_M
    )
    _splice(core, sub, bb, ss)
    core.robust_batches, core.robust_supplies = len(bb), len(ss)
    bad_b, bad_s, gap = mismatch(core, sgeom, grid=GRID_M)
    if bad_b.any() or bad_s.any():
        ids = ", ".join(str(x) for x in batch_ids[bad_b][:10])
        raise GeoplanError(
            f"Area is not conserved in the land audit: for batches {ids} the supplied area "
            f"measured from the batches and from the supplies differs by {gap:.6g} m², even "
            "after a robust recomputation. This is a bug in geoplan; please report it with the "
            "input layers."
        )
    return core


def _splice(core: Core, sub: Core, bb: IntArray, ss: IntArray) -> None:
    """Put the results of a sub-run (batches ``bb``, supplies ``ss``) back into ``core``."""
    for name in ("approved", "approved_m2", "unsupplied", "supplied_m2", "union_b_m2"):
        getattr(core, name)[bb] = getattr(sub, name)
    for name in ("outside", "outside_m2", "inside", "union_s_m2"):
        getattr(core, name)[ss] = getattr(sub, name)
    nb = len(core.approved)
    in_b = np.zeros(nb, dtype=bool)
    in_b[bb] = True
    in_s = np.zeros(len(core.outside), dtype=bool)
    in_s[ss] = True
    keep = ~in_b[core.pb]
    core.pb = np.concatenate([core.pb[keep], bb[sub.pb]])
    core.ps = np.concatenate([core.ps[keep], ss[sub.ps]])
    core.inside_pair = np.concatenate([core.inside_pair[keep], sub.inside_pair])
    oi, oj = core.batch_overlaps
    k = ~in_b[oi]
    core.batch_overlaps = (
        np.concatenate([oi[k], bb[sub.batch_overlaps[0]]]),
        np.concatenate([oj[k], bb[sub.batch_overlaps[1]]]),
    )
    si, sj = core.supply_overlaps
    k = ~in_s[si]
    core.supply_overlaps = (
        np.concatenate([si[k], ss[sub.supply_overlaps[0]]]),
        np.concatenate([sj[k], ss[sub.supply_overlaps[1]]]),
    )
    node = np.concatenate([bb, nb + ss])  # sub-run node -> node
    li, lj = core.links
    k = ~np.concatenate([in_b, in_s])[li]
    core.links = (
        np.concatenate([li[k], node[sub.links[0]]]),
        np.concatenate([lj[k], node[sub.links[1]]]),
    )
