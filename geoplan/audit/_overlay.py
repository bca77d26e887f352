"""Area accounting of the land audit: approved, supplied, unsupplied, slivers, unmatched supply.

The accounting unit is the approval batch (``batch_id``): its polygons are unioned, and batches
that overlap are made disjoint by priority (earliest approval date first, then batch id), so the
approved area is the area of the union of all approvals and nothing counts twice. Supplies that
overlap each other are made disjoint the same way (earliest supply date first) before the area
outside every approval (unmatched supply) is measured. The geometry is computed, and checked
group by group, in :mod:`geoplan.audit._core`.

Unsupplied pieces that are digitising slivers are dropped and their area kept as ``sliver``.
Conservation, Σ approved = Σ supplied + Σ unsupplied kept + Σ slivers (relative 1e-9), is
checked with the supplied area measured independently of the unsupplied pieces — from the supply
side (overlay matching) or as an explicit intersection (id matching) — and a violation raises
:class:`~geoplan.errors.GeoplanError` (it would be a bug).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely
from shapely.errors import GEOSException

from geoplan.audit._core import ABS_TOL_M2, GRID_M, NEAR_M, REL_TOL, Core, checked_core, cut
from geoplan.audit._geom import GeomArray, IntArray, areas, split_slivers
from geoplan.audit._ops import OverlayError, grouped_union, safe_binary
from geoplan.errors import GeoplanError

logger = logging.getLogger(__name__)

FloatArray = npt.NDArray[np.float64]


@dataclass
class Figures:
    """Unsupplied geometry per batch for one matching method, and how it was matched."""

    unsupplied: GeomArray  # approved land minus that union, before sliver removal
    supplied_m2: FloatArray  # approved area minus raw unsupplied area, per batch
    pairs_b: IntArray
    pairs_s: IntArray
    inside: npt.NDArray[np.bool_]  # per pair: the supply lies inside the batch (within NEAR_M)


@dataclass
class Accounting:
    """Everything the geometric part of the audit produces (arrays indexed by batch/supply)."""

    batches: pd.DataFrame  # one row per batch, in priority order
    gross_geom: GeomArray  # union of each batch's polygons as approved
    approved_geom: GeomArray  # disjoint approved land per batch
    approved_m2: FloatArray
    gross_m2: FloatArray  # Σ area of the batch's polygons as drawn
    figures: Figures  # the figures used (overlay or id)
    other: Figures | None  # the id figures when match == "both"
    pieces: GeomArray  # unsupplied pieces kept
    piece_batch: IntArray
    piece_m2: FloatArray
    sliver_m2: FloatArray  # per batch
    unmatched: GeomArray  # supply pieces outside every approval, kept
    unmatched_supply: IntArray
    unmatched_m2: FloatArray
    unmatched_by_supply_m2: FloatArray
    unmatched_sliver_m2: float
    supply_overlap_m2: float
    approval_overlap_pairs: int
    supply_overlap_pairs: int
    overlay_batches: pd.Series  # per supply: ";"-joined batch ids it overlaps (overlay)
    id_batch: IntArray  # per supply: batch index named by its batch_id, -1 if none
    id_inside: npt.NDArray[np.bool_]  # per supply: overlaps the batch its batch_id names
    supply_geom: GeomArray
    supply_m2: FloatArray
    robust: tuple[int, int]  # batches, supplies recomputed on the robust grid


def batch_table(a: gpd.GeoDataFrame) -> tuple[pd.DataFrame, IntArray, list[str]]:
    """One row per batch in priority order, each approval's batch index, and conflicting ids.

    A batch's date and number come from its earliest polygon; ids whose polygons disagree on
    them are returned for the data-quality report.
    """
    order = a.sort_values(
        ["approved_on", "batch_id"], na_position="last", kind="stable"
    ).index.to_numpy()
    srt = a.loc[order]
    first = srt.drop_duplicates("batch_id", keep="first")
    code = pd.Index(first["batch_id"]).get_indexer(a["batch_id"]).astype(np.intp)
    nb = len(first)
    counts = np.bincount(code, minlength=nb)
    conflicts: list[str] = []
    multi = counts > 1
    if multi.any():
        sub = a[multi[code]]
        nun = sub.groupby("batch_id", sort=False)[["approved_on", "approval_no"]].nunique()
        conflicts = sorted(nun.index[(nun > 1).any(axis=1)].astype(str))
    batches = pd.DataFrame(
        {
            "batch_id": first["batch_id"].to_numpy(),
            "approval_no": first["approval_no"].to_numpy(),
            "approved_on": first["approved_on"].to_numpy(),
            "approval_type": first["approval_type"].to_numpy(),
            "n_polygons": counts,
        }
    )
    batches["batch_id"] = batches["batch_id"].astype("string")
    batches["approval_no"] = batches["approval_no"].astype("string")
    batches["approval_type"] = batches["approval_type"].astype("string")
    return batches, code, conflicts


def _joined_ids(ids: npt.NDArray[np.object_], pb: IntArray, ps: IntArray, ns: int) -> pd.Series:
    """Per supply, the ids of the batches it overlaps joined by ';' (None when it overlaps none)."""
    out = np.full(ns, None, dtype=object)
    if len(pb) == 0:
        return pd.Series(out, dtype=object)
    count = np.bincount(ps, minlength=ns)
    single = count[ps] == 1
    out[ps[single]] = ids[pb[single]]
    multi = ~single
    if multi.any():
        pm, bm = ps[multi], pb[multi]
        order = np.lexsort((bm, pm))
        pm, names = pm[order], ids[bm[order]].tolist()
        cuts = np.flatnonzero(pm[1:] != pm[:-1]) + 1
        starts, ends = np.r_[0, cuts], np.r_[cuts, len(pm)]
        out[pm[starts]] = [";".join(names[a:b]) for a, b in zip(starts, ends, strict=True)]
    return pd.Series(out, dtype=object)


def _id_figures(
    e: GeomArray,
    e_m2: FloatArray,
    s: GeomArray,
    pb: IntArray,
    ps: IntArray,
    inside: npt.NDArray[np.bool_],
) -> Figures:
    """Figures for id matching, each batch checked against an explicit intersection."""
    unsupplied, supplied = cut(e, e_m2, s, pb, ps)
    unions = grouped_union(s[ps], pb, len(e))
    has = np.unique(pb)
    inter = np.zeros(len(e))
    if len(has):
        got = safe_binary(shapely.intersection, e[has], unions[has], what="supplied part")
        inter[has] = areas(got)
    bad = np.abs(inter - supplied) > REL_TOL * e_m2 + ABS_TOL_M2
    if bad.any():
        rows = np.flatnonzero(bad)
        logger.info("id matching: recomputing %d batches on a %g m grid", len(rows), GRID_M)
        sel = bad[pb]
        remap = np.full(len(e), -1)
        remap[rows] = np.arange(len(rows))
        x2, s2 = cut(e[rows], e_m2[rows], s, remap[pb[sel]], ps[sel], grid=GRID_M)
        u2 = grouped_union(s[ps[sel]], remap[pb[sel]], len(rows), grid_size=GRID_M)
        unsupplied[rows], supplied[rows] = x2, s2
        got = safe_binary(shapely.intersection, e[rows], u2, what="supplied part", grid_size=GRID_M)
        inter[rows] = areas(got)
        tol = (
            REL_TOL * e_m2[rows]
            + ABS_TOL_M2
            + 2 * GRID_M * (shapely.length(e[rows]) + np.nan_to_num(shapely.length(u2)))
        )
        if (np.abs(inter[rows] - s2) > tol).any():
            raise GeoplanError(
                "Area is not conserved in the land audit (id matching): the supplied area of "
                "some batches differs between E ∩ U and E − (E − U) even after a robust "
                "recomputation. This is a bug in geoplan; please report it with the input layers."
            )
    return Figures(unsupplied, supplied, pb, ps, inside)


def account(
    approvals: gpd.GeoDataFrame,
    supplies: gpd.GeoDataFrame,
    *,
    match: str,
    sliver_width: float,
    sliver_area: float,
) -> Accounting:
    """Run the geometric accounting (see the module docstring).

    No GEOS exception leaves it: an overlay GEOS rejects even after repair and snapping
    (:class:`~geoplan.audit._ops.OverlayError`) becomes a
    :class:`~geoplan.errors.GeoplanError` naming the batches and supplies where it happened.
    """
    try:
        return _account(
            approvals, supplies, match=match, sliver_width=sliver_width, sliver_area=sliver_area
        )
    except (OverlayError, GEOSException) as exc:
        raise GeoplanError(_overlay_message(exc, approvals, supplies)) from exc


def _overlay_message(
    exc: OverlayError | GEOSException, approvals: gpd.GeoDataFrame, supplies: gpd.GeoDataFrame
) -> str:
    """The message for a failed overlay: what failed, where, and the records there."""
    where = ""
    if isinstance(exc, OverlayError):
        x0, y0, x1, y1 = exc.bounds
        box = shapely.box(x0, y0, x1, y1)
        names = []
        layers = (("batches", approvals, "batch_id"), ("supplies", supplies, "supply_id"))
        for layer, frame, col in layers:
            hit = frame.sindex.query(box, predicate="intersects")
            ids = sorted({str(v) for v in frame[col].to_numpy()[hit]})
            if ids:
                more = " …" if len(ids) > 10 else ""
                names.append(f"{layer} {', '.join(ids[:10])}{more}")
        where = f" at x {x0:.3f}–{x1:.3f}, y {y0:.3f}–{y1:.3f}" + (
            f" ({'; '.join(names)})" if names else ""
        )
    return (
        f"The land audit could not overlay the polygons{where}: GEOS failed with {exc}. Check "
        "these polygons for self-intersections, spikes or near-duplicate vertices (repair them in "
        "a GIS, e.g. with 'make valid' and 'snap to grid' of 1 mm) and run the audit again; if "
        "they look sound, please report it with the input layers."
    )


def _account(
    approvals: gpd.GeoDataFrame,
    supplies: gpd.GeoDataFrame,
    *,
    match: str,
    sliver_width: float,
    sliver_area: float,
) -> Accounting:
    # 1. batches: the union of each batch's polygons (gross, before overlaps are removed)
    batches, code, conflicts = batch_table(approvals)
    batches.attrs["conflicts"] = conflicts
    n_batches = len(batches)
    polygons = np.asarray(approvals.geometry.values, dtype=object)
    gross = grouped_union(polygons, code, n_batches)
    gross_m2 = np.bincount(code, weights=areas(polygons), minlength=n_batches).astype(np.float64)
    single = np.bincount(code, minlength=n_batches) == 1
    # 2. supplies, ranked by supply date (the earlier keeps land two supplies share)
    supply_geom = np.asarray(supplies.geometry.values, dtype=object)
    n_supplies = len(supply_geom)
    supply_m2 = areas(supply_geom)
    supply_rank = np.empty(n_supplies, dtype=np.int64)
    order = supplies.sort_values(["supplied_on", "supply_id"], na_position="last", kind="stable")
    supply_rank[order.index.to_numpy()] = np.arange(n_supplies)
    # 3. the checked geometric core: disjoint batches, supplied and unsupplied land
    core = checked_core(
        gross, gross_m2, single, supply_geom, supply_m2, supply_rank,
        batch_ids=batches["batch_id"].to_numpy(dtype=object),
    )  # fmt: skip
    # 4. the figures by overlay and/or by batch id, and the pieces with slivers split off
    id_batch = pd.Index(batches["batch_id"]).get_indexer(supplies["batch_id"]).astype(np.intp)
    by_id = id_batch[core.ps] == core.pb
    id_inside = np.zeros(n_supplies, dtype=bool)
    id_inside[core.ps[by_id]] = True
    overlay = id_figures = None
    if match in ("overlay", "both"):
        overlay = Figures(core.unsupplied, core.supplied_m2, core.pb, core.ps, core.inside_pair)
    if match in ("id", "both"):
        id_figures = _id_figures(
            core.approved, core.approved_m2, supply_geom,
            core.pb[by_id], core.ps[by_id], core.inside_pair[by_id],
        )  # fmt: skip
    figures = overlay if overlay is not None else id_figures
    assert figures is not None
    pieces, piece_batch, piece_m2, sliver_m2 = split_slivers(
        figures.unsupplied, width=sliver_width, min_area=sliver_area
    )
    unmatched, unmatched_supply, unmatched_m2, unmatched_sliver = split_slivers(
        core.outside, width=sliver_width, min_area=sliver_area
    )
    # 5. conservation, with the supplied area measured independently of the unsupplied pieces
    _check_conserved(core, figures, by_overlay=figures is overlay, supply_geom=supply_geom,
                     piece_m2=piece_m2, sliver_m2=sliver_m2)  # fmt: skip
    return Accounting(
        batches=batches,
        gross_geom=gross,
        approved_geom=core.approved,
        approved_m2=core.approved_m2,
        gross_m2=gross_m2,
        figures=figures,
        other=id_figures if match == "both" else None,
        pieces=pieces,
        piece_batch=piece_batch,
        piece_m2=piece_m2,
        sliver_m2=sliver_m2,
        unmatched=unmatched,
        unmatched_supply=unmatched_supply,
        unmatched_m2=unmatched_m2,
        unmatched_by_supply_m2=np.bincount(
            unmatched_supply, weights=unmatched_m2, minlength=n_supplies
        ).astype(float),
        unmatched_sliver_m2=float(unmatched_sliver.sum()),
        supply_overlap_m2=float(supply_m2.sum() - core.union_s_m2.sum()),
        approval_overlap_pairs=len(core.batch_overlaps[0]),
        supply_overlap_pairs=len(core.supply_overlaps[0]),
        overlay_batches=_joined_ids(
            batches["batch_id"].to_numpy(dtype=object), core.pb, core.ps, n_supplies
        ),
        id_batch=id_batch,
        id_inside=id_inside,
        supply_geom=supply_geom,
        supply_m2=supply_m2,
        robust=(core.robust_batches, core.robust_supplies),
    )


def _check_conserved(
    core: Core,
    figures: Figures,
    *,
    by_overlay: bool,
    supply_geom: GeomArray,
    piece_m2: npt.NDArray[np.float64],
    sliver_m2: npt.NDArray[np.float64],
) -> None:
    """approved = supplied + unsupplied pieces + slivers, the supplied area measured from the
    supply side (by overlay) or by batch id, within the slack of near-edge tests."""
    total_m2 = float(core.approved_m2.sum())
    if by_overlay:
        supplied = float(core.union_s_m2.sum() - core.outside_m2.sum())
        slack = NEAR_M * float(shapely.length(supply_geom[core.inside]).sum())
        longest = float(np.max(shapely.length(supply_geom), initial=0))
        slack += 2 * GRID_M * core.robust_supplies * longest
    else:
        supplied = float(figures.supplied_m2.sum())
        slack = 0.0
    check_conservation(
        total_m2, supplied, float(piece_m2.sum()), float(sliver_m2.sum()), slack=slack
    )


def substantive_supply(
    accounting: Accounting, candidates: npt.NDArray[np.bool_], *, width: float, min_area: float
) -> npt.NDArray[np.bool_]:
    """Whether each candidate batch holds supplied land that is more than slivers.

    Three steps, cheapest first: a batch holding a whole supply that is not itself a sliver
    qualifies; so does one whose supplied area exceeds what slivers could add up to (bound
    below); for the rest the supplied part ``E − X`` is computed and split into pieces.

    The bound: the supplied part is ``E − X`` (``X`` the unsupplied part); every piece of it has
    its vertices among the ``V ≤ 4·(n_E + n_X + n_E·n_X)`` vertices and edge crossings of ``E``
    and ``X``, its boundary on theirs. A thin piece has area ≤ ``r·L + (π/2)·r²·m`` (see
    :func:`geoplan.audit._geom.is_thin`), a small one < ``min_area``, and there are at most
    ``V/3`` pieces; so slivers alone cover at most ``(V/3)·min_area + r·(L_E + L_X) +
    (π/2)·r²·V``.
    """
    figures = accounting.figures
    out = np.zeros(len(candidates), dtype=bool)
    cand = candidates & (figures.supplied_m2 > 0)
    if not cand.any():
        return out
    inner = figures.inside & cand[figures.pairs_b]
    if inner.any():
        b = figures.pairs_b[inner]
        whole = accounting.supply_geom[figures.pairs_s[inner]]
        _, owner, _, _ = split_slivers(whole, width=width, min_area=min_area)
        out[np.unique(b[owner])] = True
    rest = np.flatnonzero(cand & ~out)
    if len(rest):
        e, x = accounting.approved_geom[rest], figures.unsupplied[rest]
        n_e = shapely.get_num_coordinates(e).astype(np.float64)
        n_x = shapely.get_num_coordinates(x).astype(np.float64)
        v = 4.0 * (n_e + n_x + n_e * n_x)
        r = width / 2.0
        bound = v / 3.0 * min_area + r * (shapely.length(e) + shapely.length(x))
        bound += np.pi / 2.0 * r * r * v
        big = figures.supplied_m2[rest] > bound
        out[rest[big]] = True
        rest = rest[~big]
    if len(rest):
        supplied = safe_binary(
            shapely.difference,
            accounting.approved_geom[rest],
            figures.unsupplied[rest],
            what="supplied part",
        )
        _, owner, _, _ = split_slivers(supplied, width=width, min_area=min_area)
        out[rest[np.unique(owner)]] = True
    return out


def check_conservation(
    approved: float, supplied: float, unsupplied: float, sliver: float, *, slack: float = 0.0
) -> None:
    """Raise unless approved = supplied + unsupplied + slivers to relative 1e-9 (+ ``slack`` m²)."""
    total = supplied + unsupplied + sliver
    if abs(approved - total) > REL_TOL * max(abs(approved), 1.0) + slack:
        raise GeoplanError(
            "Area is not conserved in the land audit: approved "
            f"{approved:.6f} m² but supplied {supplied:.6f} + unsupplied {unsupplied:.6f} + "
            f"slivers {sliver:.6f} = {total:.6f} m² (difference {approved - total:.6g} m²). "
            "This is a bug in geoplan; please report it with the input layers."
        )
    logger.debug("conservation holds: %.6f = %.6f m²", approved, total)
