"""The geometric core of the land audit, checked piece by piece and repaired where GEOS slips.

:func:`checked_core` computes, for approval batches ``G`` (one geometry per batch, in priority
order) and supply records ``S``:

- ``E``: the batches made disjoint (the earliest approval keeps an overlap);
- ``F``: the supplies made disjoint (the earliest supply keeps an overlap);
- batch side: ``U_b`` = ∪ supplies meeting ``E_b``, unsupplied ``E_b − U_b`` and supplied area
  ``area(E_b) − area(E_b − U_b)``;
- supply side: ``F_s − ∪ batches meeting it`` (supply land outside every approval).

The two sides measure the supplied land independently, and they must agree within each connected
group of batches and supplies that touch each other (a component of the pair graph): Σ supplied
of the group's batches = Σ (area F − area outside) of its supplies. GEOS's floating-point overlay
can, rarely, return a wrong result without raising (nearly coincident edges); a group where the
sides disagree is recomputed with snap-rounding on a 1 µm grid (robust), and the audit fails
only if it still disagrees.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geoplan.audit._geom import (
    BoolArray,
    GeomArray,
    IntArray,
    areas,
    concurrently,
    disjoint_by_priority,
    overlap_pairs,
    safe_binary,
    subtract_pairs,
    threaded,
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
    """Results of :func:`checked_core` (arrays per batch or per supply, or per pair)."""

    approved: GeomArray
    approved_m2: FloatArray
    batch_overlaps: tuple[IntArray, IntArray]
    s_disjoint: GeomArray
    s_disjoint_m2: FloatArray
    supply_overlaps: tuple[IntArray, IntArray]
    pb: IntArray
    ps: IntArray
    inside_pair: BoolArray  # the pair's supply lies inside its batch (within NEAR_M)
    unsupplied: GeomArray  # per batch, before sliver removal
    supplied_m2: FloatArray
    outside: GeomArray  # per supply: land outside every approval, before sliver removal
    outside_m2: FloatArray
    inside: BoolArray  # per supply: inside one batch (nothing outside)
    robust_batches: int = 0
    robust_supplies: int = 0


def pairs(e: GeomArray, s: GeomArray) -> tuple[IntArray, IntArray, BoolArray]:
    """Batch/supply pairs sharing interior, and whether the supply lies inside the batch.

    "Inside" means covered by the batch grown by :data:`NEAR_M`: only a supply whose bounding
    box lies within the batch's (± NEAR_M) can be, so only those pairs are tested, with a
    prepared ``covers`` on the grown batches (only the batches concerned are buffered). Pairs
    found inside need no ``touches`` test.
    """
    be, bs = shapely.bounds(e), shapely.bounds(s)

    def accept(i: IntArray, j: IntArray) -> BoolArray:
        lo = bs[j, :2] >= be[i, :2] - NEAR_M
        hi = bs[j, 2:] <= be[i, 2:] + NEAR_M
        cand = np.flatnonzero(lo.all(axis=1) & hi.all(axis=1))
        ok = np.zeros(len(i), dtype=bool)
        if len(cand):
            ub, inv = np.unique(i[cand], return_inverse=True)
            grown = threaded(lambda g: shapely.buffer(g, NEAR_M, join_style="mitre"), e[ub])
            shapely.prepare(grown)
            ok[cand] = threaded(shapely.covers, grown[inv], s[j[cand]])
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


def _outside(
    f: GeomArray,
    f_m2: FloatArray,
    e: GeomArray,
    pb: IntArray,
    ps: IntArray,
    inside_pair: BoolArray,
    *,
    grid: float | None,
) -> tuple[GeomArray, FloatArray, BoolArray]:
    """Supply side: ``F − ∪ batches meeting it``; a supply inside one batch is not cut."""
    ns = len(f)
    inside = np.zeros(ns, dtype=bool)
    inside[ps[inside_pair]] = True
    keep = ~inside[ps]
    outside = safe_binary_pairs(f, e, ps[keep], pb[keep], grid=grid)
    outside_m2 = f_m2.copy()
    outside[inside] = shapely.Polygon()
    outside_m2[inside] = 0.0
    todo = np.unique(ps[keep])
    if len(todo):
        outside_m2[todo] = areas(outside[todo])
    return outside, outside_m2, inside


def safe_binary_pairs(
    f: GeomArray, e: GeomArray, fi: IntArray, ej: IntArray, *, grid: float | None
) -> GeomArray:
    """``f[k] − ∪ e[j]`` over the pairs, through :func:`safe_binary` (``what="unmatched
    supply"``) one round of differences at a time."""
    out = np.asarray(f, dtype=object).copy()
    if len(fi) == 0:
        return out
    srt = np.argsort(fi, kind="stable")
    fi, ej = fi[srt], ej[srt]
    first = np.r_[0, np.flatnonzero(fi[1:] != fi[:-1]) + 1]
    step = np.arange(len(fi)) - np.repeat(first, np.diff(np.r_[first, len(fi)]))
    for r in range(int(step.max()) + 1):
        at = step == r
        out[fi[at]] = safe_binary(
            shapely.difference, out[fi[at]], e[ej[at]], what="unmatched supply", grid_size=grid
        )
    return out


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
    ``gross_m2`` is already the area of their geometry."""
    nb = len(gross)
    (approved, ov_i, ov_j), (s_disjoint, sv_i, sv_j) = concurrently(
        lambda: disjoint_by_priority(gross, np.arange(nb, dtype=np.int64), grid_size=grid),
        lambda: disjoint_by_priority(sgeom, s_rank, grid_size=grid),
    )
    approved_m2 = gross_m2.copy()
    redo = np.union1d(ov_i, np.flatnonzero(~gross_exact))
    if grid is not None:
        redo = np.arange(nb)
    approved_m2[redo] = areas(approved[redo])
    s_disjoint_m2 = supply_m2.copy()
    s_redo = np.unique(sv_i) if grid is None else np.arange(len(sgeom))
    s_disjoint_m2[s_redo] = areas(s_disjoint[s_redo])
    pb, ps, inside_pair = pairs(approved, sgeom)
    (unsupplied, supplied_m2), (outside, outside_m2, inside) = concurrently(
        lambda: cut(approved, approved_m2, sgeom, pb, ps, grid=grid),
        lambda: _outside(s_disjoint, s_disjoint_m2, approved, pb, ps, inside_pair, grid=grid),
    )
    return Core(
        approved, approved_m2, (ov_i, ov_j), s_disjoint, s_disjoint_m2, (sv_i, sv_j),
        pb, ps, inside_pair, unsupplied, supplied_m2, outside, outside_m2, inside,
    )  # fmt: skip


def _components(core: Core, nb: int, ns: int) -> tuple[IntArray, IntArray, int]:
    """Component label of every batch and supply in the graph of pairs and overlaps."""
    (oi, oj), (si, sj) = core.batch_overlaps, core.supply_overlaps
    rows = np.concatenate([core.pb, oi, nb + si])
    cols = np.concatenate([nb + core.ps, oj, nb + sj])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(nb + ns, nb + ns))
    n, labels = connected_components(graph, directed=False)
    return labels[:nb], labels[nb:], int(n)


def mismatch(
    core: Core, sgeom: GeomArray, *, grid: float | None = None
) -> tuple[BoolArray, BoolArray, float]:
    """Batches and supplies in components whose two sides disagree, and the largest gap (m²)."""
    nb, ns = len(core.approved), len(sgeom)
    lab_b, lab_s, n = _components(core, nb, ns)
    from_batches = np.bincount(lab_b, weights=core.supplied_m2, minlength=n)
    from_supplies = np.bincount(lab_s, weights=core.s_disjoint_m2 - core.outside_m2, minlength=n)
    tol = REL_TOL * np.bincount(lab_b, weights=core.approved_m2, minlength=n) + ABS_TOL_M2
    # supplies taken as inside may stick out of their batch by up to NEAR_M
    near = NEAR_M * np.where(core.inside, shapely.length(sgeom), 0.0)
    tol += np.bincount(lab_s, weights=near, minlength=n)
    if grid is not None:  # snap-rounding moves each vertex by up to grid / 2
        tol += 2 * grid * np.bincount(lab_b, weights=shapely.length(core.approved), minlength=n)
        tol += 2 * grid * np.bincount(lab_s, weights=shapely.length(sgeom), minlength=n)
    gap = np.abs(from_batches - from_supplies)
    bad = gap > tol
    return bad[lab_b], bad[lab_s], float(gap[bad].max()) if bad.any() else 0.0


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
    for name in ("approved", "approved_m2", "unsupplied", "supplied_m2"):
        getattr(core, name)[bb] = getattr(sub, name)
    for name in ("s_disjoint", "s_disjoint_m2", "outside", "outside_m2", "inside"):
        getattr(core, name)[ss] = getattr(sub, name)
    in_b = np.zeros(len(core.approved), dtype=bool)
    in_b[bb] = True
    in_s = np.zeros(len(core.s_disjoint), dtype=bool)
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
