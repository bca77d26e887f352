"""Pieces and slivers of the land audit: array types, exploding, areas, thin pieces.

Everything in the audit works on numpy arrays of shapely geometries; no Python loop runs per
feature. The modules: :mod:`._threads` (threads for large GEOS steps), :mod:`._ops` (overlays
that never raise a raw GEOS error and always give polygons; grouped unions), :mod:`._priority`
(overlapping pairs, the priority sweep that makes batches disjoint), this one (pieces and
slivers: :func:`split_slivers` separates digitising slivers — too small, or thinner than a
width — from real pieces).
"""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt
import shapely

from geoplan._threads import threaded

logger = logging.getLogger(__name__)

GeomArray = npt.NDArray[np.object_]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

# GEOS type ids of polygonal geometries
_POLYGONAL = (3, 6)


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


# a geometry is prepared for a predicate only if it is tested against at least this many
# partners, or has at least this many vertices: preparing a small polygon costs more than the
# few tests it speeds up (intersects + touches of 20,000 pairs of five-vertex parcels: 0.07 s
# unprepared, 0.19 s with every first geometry prepared)
PREPARE_USES = 4
PREPARE_COORDS = 64


def prepared_where_useful(geoms: GeomArray, uses: IntArray) -> GeomArray:
    """``geoms`` with the geometries worth preparing replaced by prepared copies.

    ``uses`` lists the index of each test a geometry takes part in (repeated per partner). A
    geometry is worth preparing when it is tested :data:`PREPARE_USES` times or more, or has
    :data:`PREPARE_COORDS` vertices or more. The copies are the caller's own, so no geometry
    shared with another thread is ever prepared; the others are passed as they are (GEOS
    predicates on unprepared geometries are read-only).
    """
    geoms = np.asarray(geoms, dtype=object)
    out = geoms.copy()
    if len(uses) == 0:
        return out
    count = np.bincount(uses, minlength=len(geoms))
    u = np.flatnonzero(count > 0)
    busy = u[(count[u] >= PREPARE_USES) | (shapely.get_num_coordinates(geoms[u]) >= PREPARE_COORDS)]
    if len(busy):
        out[busy] = shapely.set_srid(geoms[busy], 0)  # copies
        shapely.prepare(out[busy])
    return out


def areas(geoms: GeomArray) -> npt.NDArray[np.float64]:
    """Areas with missing geometries counted as 0."""
    a = shapely.area(np.asarray(geoms, dtype=object))
    return np.nan_to_num(np.asarray(a, dtype=np.float64), nan=0.0)
