"""Vector machinery of the zones analysis: units (grid, H3), unit × parcel areas, adjacency.

Areas of units × parcels come from an STRtree pair query and vectorised shapely operations, never
from a whole-layer overlay:

- a parcel whose bounding box lies inside a rectangular unit lies inside it: its area is used as is;
- a parcel crossing a rectangular unit is cut with ``clip_by_rect`` (much cheaper than a general
  intersection), one vectorised call per unit; a parcel whose pieces do not add up to its area
  has those pairs recomputed by intersection (:func:`_check_clips`: the clip is not robust);
- against other units (cells clipped to the boundary, townships …) parcels the prepared unit
  properly contains keep their area, the rest go through ``shapely.intersection``.
"""

from __future__ import annotations

import logging
import math

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from geoplan._threads import threaded
from geoplan.errors import InputError
from geoplan.geometry import polygonal

logger = logging.getLogger(__name__)

_RECT_RTOL = 1e-9


def is_rectangle(geoms: np.ndarray) -> np.ndarray:
    """Axis-aligned rectangles (a polygon equal to its bounding box)."""
    b = shapely.bounds(geoms)
    box_area = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    simple = shapely.get_type_id(geoms) == 3  # Polygon
    simple &= shapely.get_num_interior_rings(geoms) == 0
    return simple & (np.abs(shapely.area(geoms) - box_area) <= _RECT_RTOL * np.maximum(box_area, 1))


#: units (other than rectangles) with more vertices than this are cut into pieces of at most
#: this many before their parcels are intersected (see :func:`subdivide`)
MAX_UNIT_VERTICES = 256


def subdivide(
    geoms: np.ndarray, *, max_vertices: int = MAX_UNIT_VERTICES, max_depth: int = 24
) -> tuple[np.ndarray, np.ndarray]:
    """Cut polygons into pieces of at most ``max_vertices`` vertices; ``(pieces, owner)``.

    Each polygon with more vertices is halved across the longer side of its bounding box
    (``shapely.intersection`` with the two half boxes, level by level for all polygons at once)
    until every piece is small enough or ``max_depth`` halvings were made, like PostGIS's
    ``ST_Subdivide``. The pieces of a polygon do not overlap and cover it exactly, so areas
    summed over them are its areas; ``owner`` is the position of each piece's polygon.

    The point: GEOS intersects a parcel with a unit in time that grows with the unit's vertex
    count, so a township (thousands of vertices) or the union of all UGB polygons (hundreds of
    thousands) made every parcel's intersection as slow as the whole unit; against pieces of
    256 vertices each costs about as much as the parcel.

    Examples
    --------
    >>> ring = shapely.Point(0, 0).buffer(1000, quad_segs=256)   # 1,025 vertices
    >>> pieces, owner = subdivide(np.array([ring, shapely.box(0, 0, 1, 1)]), max_vertices=100)
    >>> int(shapely.get_num_coordinates(pieces).max()) <= 100, sorted(set(owner.tolist()))
    (True, [0, 1])
    >>> bool(abs(shapely.area(pieces[owner == 0]).sum() - ring.area) < 1e-6 * ring.area)
    True
    """
    geoms = np.asarray(geoms, dtype=object)
    done_geoms: list[np.ndarray] = []
    done_owner: list[np.ndarray] = []
    todo, owner = geoms, np.arange(len(geoms))
    for _ in range(max_depth + 1):
        big = shapely.get_num_coordinates(todo) > max_vertices
        done_geoms.append(todo[~big])
        done_owner.append(owner[~big])
        if not big.any():
            break
        todo, owner = todo[big], owner[big]
        x0, y0, x1, y1 = shapely.bounds(todo).T
        wide = (x1 - x0) >= (y1 - y0)
        xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
        first = shapely.box(x0, y0, np.where(wide, xm, x1), np.where(wide, y1, ym))
        second = shapely.box(np.where(wide, xm, x0), np.where(wide, y0, ym), x1, y1)
        halves = polygonal(
            shapely.intersection(np.concatenate([todo, todo]), np.concatenate([first, second]))
        )
        owner = np.concatenate([owner, owner])
        keep = ~(shapely.is_missing(halves) | shapely.is_empty(halves))
        todo, owner = halves[keep], owner[keep]
    else:
        done_geoms.append(todo)
        done_owner.append(owner)
    return np.concatenate(done_geoms), np.concatenate(done_owner)


def pair_areas(
    units: np.ndarray, parcels: np.ndarray, parcel_area: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Positions ``(unit, parcel)`` of every intersecting pair and the area they share.

    Pairs that only touch (zero area) are dropped. Units with more than
    :data:`MAX_UNIT_VERTICES` vertices (townships, zoning unions) are cut into pieces first
    (:func:`subdivide`) and the areas of a parcel in the pieces of one unit summed.
    """
    if parcel_area is None:
        parcel_area = shapely.area(parcels)
    units = np.asarray(units, dtype=object)
    complex_units = shapely.get_num_coordinates(units) > MAX_UNIT_VERTICES
    if not complex_units.any() or len(parcels) == 0:
        return _pair_areas(units, parcels, parcel_area)
    # parcels a complex unit properly contains (a prepared test, fast however large the unit)
    # keep their area; the pairs left are measured against the unit's pieces
    big = np.flatnonzero(complex_units)
    pi, bi = shapely.STRtree(units[big]).query(parcels)
    shapely.prepare(units[big])
    inside = shapely.contains_properly(units[big][bi], parcels[pi])
    left = ~inside
    left[left] = shapely.intersects(units[big][bi[left]], parcels[pi[left]])
    edge = np.flatnonzero(left)  # on the unit's edge but inside it: zoning along parcel lines
    covered = edge[shapely.covers(units[big][bi[edge]], parcels[pi[edge]])]
    inside[covered], left[covered] = True, False
    small = np.flatnonzero(~complex_units)
    su, sp, sa = _pair_areas(units[small], parcels, parcel_area)
    pieces, owner = subdivide(units[big])
    cand = np.unique(pi[left])
    qu, qp, qa = _pair_areas(pieces, parcels[cand], parcel_area[cand])
    n = len(parcels)
    key = big[owner[qu]].astype(np.int64) * n + cand[qp]
    wanted = np.isin(key, big[bi[left]].astype(np.int64) * n + pi[left])
    ui = np.concatenate([small[su], big[bi[inside]], big[owner[qu[wanted]]]])
    pj = np.concatenate([sp, pi[inside], cand[qp[wanted]]])
    area = np.concatenate([sa, parcel_area[pi[inside]], qa[wanted]])
    key = ui.astype(np.int64) * n + pj
    uniq, inv = np.unique(key, return_inverse=True)
    summed = np.bincount(inv, weights=area, minlength=len(uniq))
    keep = summed > 0
    return uniq[keep] // n, uniq[keep] % n, summed[keep]


def _pair_areas(
    units: np.ndarray, parcels: np.ndarray, parcel_area: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    # bounding-box pairs only: exact predicates would cost as much as the areas themselves, and
    # pairs whose shapes do not meet get zero area below and are dropped
    tree = shapely.STRtree(units)
    pi, ui = tree.query(parcels)
    n = len(ui)
    area = np.zeros(n, dtype="float64")
    if n == 0:
        return ui, pi, area
    ub = shapely.bounds(units)
    pb = shapely.bounds(parcels)
    rect = is_rectangle(units)
    u_b, p_b = ub[ui], pb[pi]
    bbox_inside = (
        (p_b[:, 0] >= u_b[:, 0])
        & (p_b[:, 1] >= u_b[:, 1])
        & (p_b[:, 2] <= u_b[:, 2])
        & (p_b[:, 3] <= u_b[:, 3])
    )
    inside = rect[ui] & bbox_inside
    area[inside] = parcel_area[pi[inside]]

    # rectangles: clip_by_rect per unit (bounds must be scalars)
    cross_rect = np.flatnonzero(rect[ui] & ~inside)
    if len(cross_rect):
        order = cross_rect[np.argsort(ui[cross_rect], kind="stable")]
        uu = ui[order]
        starts = np.flatnonzero(np.r_[True, uu[1:] != uu[:-1]])
        ends = np.r_[starts[1:], len(order)]
        for s, e in zip(starts, ends, strict=True):
            x0, y0, x1, y1 = ub[uu[s]]
            idx = order[s:e]
            area[idx] = _clip_areas(parcels[pi[idx]], x0, y0, x1, y1)

    # other units: prepared containment first, then true intersections of the pairs that
    # meet at all (boxes of irregular units take in many parcels they do not touch)
    other = np.flatnonzero(~rect[ui])
    if len(other):
        shapely.prepare(units)
        cont = shapely.contains_properly(units[ui[other]], parcels[pi[other]])
        area[other[cont]] = parcel_area[pi[other[cont]]]
        cut = other[~cont]
        cut = cut[shapely.intersects(units[ui[cut]], parcels[pi[cut]])]
        # parcels that share the unit's edge (zoning drawn along parcel lines) and lie inside
        inside = shapely.covers(units[ui[cut]], parcels[pi[cut]])
        area[cut[inside]] = parcel_area[pi[cut[inside]]]
        cut = cut[~inside]
        if len(cut):
            area[cut] = _intersection_areas(units[ui[cut]], parcels[pi[cut]])
    if len(cross_rect):
        _check_clips(units, parcels, parcel_area, ui, pi, area, cross_rect)
    keep = area > 0
    return ui[keep], pi[keep], area[keep]


def _check_clips(
    units: np.ndarray,
    parcels: np.ndarray,
    parcel_area: np.ndarray,
    ui: np.ndarray,
    pi: np.ndarray,
    area: np.ndarray,
    clipped: np.ndarray,
) -> None:
    """Recompute, with a general intersection, the clipped pairs of every parcel whose pieces do
    not add up to its area (in place).

    GEOS's rectangle clipper is fast but not robust: with GEOS 3.14.1 it returned the whole
    cell for parcels that only graze it and a piece 2,300 m² too large for a parcel with a hole
    near a cell edge — no error either time. A parcel inside the area the units cover
    must have pieces summing to its own area; one that does not (a wrong clip, or simply a parcel
    reaching outside the units) has its clipped pairs recomputed.
    """
    total = np.bincount(pi, weights=area, minlength=len(parcels))
    off = np.abs(total - parcel_area) > 1e-9 * parcel_area + 1e-6
    redo = clipped[off[pi[clipped]]]
    if len(redo):
        area[redo] = _intersection_areas(units[ui[redo]], parcels[pi[redo]])
        logger.debug("rectangle clips: %d pairs recomputed by intersection", len(redo))


def _clip_areas(geoms: np.ndarray, x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """Areas of ``geoms`` inside a rectangle; GEOS's fast clip, a general intersection if the
    clip rejects a degenerate ring (e.g. a ring collapsed by coordinate rounding)."""
    try:
        return np.asarray(shapely.area(shapely.clip_by_rect(geoms, x0, y0, x1, y1)))
    except shapely.errors.GEOSException:
        rect = shapely.box(x0, y0, x1, y1)
        return _intersection_areas(np.full(len(geoms), rect, dtype=object), geoms)


def _intersection_areas(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Areas of ``a & b`` pairwise, split across threads when there are many pairs (vectorised
    shapely releases the GIL while GEOS works, so chunks run on every core)."""
    return np.asarray(threaded(_chunk_areas, a, b))


def _chunk_areas(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Areas of ``a & b`` pairwise, repairing an input GEOS rejects (one pair at a time)."""
    try:
        return np.asarray(shapely.area(shapely.intersection(a, b)))
    except shapely.errors.GEOSException:
        out = np.zeros(len(a))
        for k in range(len(a)):
            try:
                out[k] = shapely.area(shapely.intersection(a[k], b[k]))
            except shapely.errors.GEOSException:
                out[k] = shapely.area(shapely.intersection(a[k], shapely.make_valid(b[k])))
        logger.info("intersection: %d pair(s) needed a repaired geometry", len(a))
        return out


def make_grid_cells(
    boundary: shapely.Geometry | None,
    cell: float,
    *,
    bounds: tuple[float, float, float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Square cells of side ``cell`` anchored at the lower-left corner, clipped to ``boundary``.

    Returns ``(geometries, rows, cols)``; cells that do not reach the boundary are left out.
    """
    if not (cell > 0 and math.isfinite(cell)):
        raise InputError(f"Grid cell size must be a positive number of metres; got {cell!r}.")
    if boundary is not None:
        x0, y0, x1, y1 = shapely.bounds(boundary)
    elif bounds is not None:
        x0, y0, x1, y1 = bounds
    else:
        raise InputError("A grid needs a boundary or bounds.")
    ncol = max(1, math.ceil((x1 - x0) / cell - 1e-9))
    nrow = max(1, math.ceil((y1 - y0) / cell - 1e-9))
    if ncol * nrow > 20_000_000:
        raise InputError(
            f"A {cell:g} m grid over {x1 - x0:.0f} × {y1 - y0:.0f} m would have {ncol * nrow:,} "
            "cells; use a larger cell size."
        )
    rows, cols = np.divmod(np.arange(nrow * ncol, dtype="int64"), ncol)
    xs = x0 + cols * cell
    ys = y0 + rows * cell
    cells = shapely.box(xs, ys, xs + cell, ys + cell)
    if boundary is None:
        return cells, rows, cols
    shapely.prepare(boundary)
    hit = shapely.intersects(boundary, cells)
    cells, rows, cols = cells[hit], rows[hit], cols[hit]
    inside = shapely.contains_properly(boundary, cells)
    clipped = cells.copy()
    clipped[~inside] = shapely.intersection(cells[~inside], boundary)
    clipped[~inside] = polygonal(clipped[~inside])
    keep = ~shapely.is_empty(clipped) & (shapely.area(clipped) > 0)
    return clipped[keep], rows[keep], cols[keep]


def h3_cells(boundary: shapely.Geometry, crs: CRS, resolution: int) -> tuple[np.ndarray, list[str]]:
    """H3 cells covering ``boundary`` (metric CRS ``crs``), back in ``crs`` and clipped to it."""
    import h3

    if not (isinstance(resolution, (int, np.integer)) and 0 <= int(resolution) <= 15):
        raise InputError(f"H3 resolution must be an integer 0–15; got {resolution!r}.")
    to_ll = Transformer.from_crs(crs, 4326, always_xy=True)
    from_ll = Transformer.from_crs(4326, crs, always_xy=True)
    ll = shapely.transform(
        boundary, lambda xy: np.column_stack(to_ll.transform(xy[:, 0], xy[:, 1]))
    )
    ids: set[str] = set()
    for part in shapely.get_parts(ll):
        shape = h3.geo_to_h3shape(part)
        ids.update(h3.h3shape_to_cells_experimental(shape, int(resolution), contain="overlap"))
    cell_ids = sorted(ids)
    if len(cell_ids) > 2_000_000:
        raise InputError(
            f"H3 resolution {resolution} gives {len(cell_ids):,} cells; use a lower one."
        )
    rings = []
    for c in cell_ids:
        latlng = np.asarray(h3.cell_to_boundary(c))
        x, y = from_ll.transform(latlng[:, 1], latlng[:, 0])
        rings.append(np.column_stack([x, y]))
    polys = shapely.polygons([shapely.linearrings(r) for r in rings])
    shapely.prepare(boundary)
    inside = shapely.contains_properly(boundary, polys)
    clipped = polys.copy()
    clipped[~inside] = polygonal(shapely.intersection(polys[~inside], boundary))
    keep = ~shapely.is_empty(clipped) & (shapely.area(clipped) > 0)
    return clipped[keep], [c for c, k in zip(cell_ids, keep, strict=True) if k]


def adjacency(
    geoms: np.ndarray, *, snap: float = 0.01
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(i, j)``, ``i < j``, of units sharing a border, and the border length.

    Boundaries are snapped to ``snap`` metres first so that edges computed twice (reprojected H3
    cells, clipped cells) coincide. Units touching only at a corner are not neighbours.
    """
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if len(i) == 0:
        return i, j, np.zeros(0)
    length = np.zeros(len(i))
    # two axis-aligned rectangles (grid cells) share the overlap of two edges that lie on one
    # line (within the snap); the rest go through their snapped boundaries
    rect = is_rectangle(geoms)
    b = shapely.bounds(geoms)
    overlap = (np.minimum(b[i, 2], b[j, 2]) - np.maximum(b[i, 0], b[j, 0]) > snap) & (
        np.minimum(b[i, 3], b[j, 3]) - np.maximum(b[i, 1], b[j, 1]) > snap
    )
    both = rect[i] & rect[j] & ~overlap  # overlapping rectangles take the general way
    length[both] = _rectangle_borders(b, i[both], j[both], snap)
    other = np.flatnonzero(~both)
    if len(other):
        lines = shapely.set_precision(shapely.boundary(geoms), snap)
        oi, oj = i[other], j[other]
        length[other] = shapely.length(shapely.intersection(lines[oi], lines[oj]))
    ok = length > snap
    return i[ok], j[ok], length[ok]


def _rectangle_borders(b: np.ndarray, i: np.ndarray, j: np.ndarray, snap: float) -> np.ndarray:
    """Length of the border shared by rectangles ``i`` and ``j`` (bounds ``b``); 0 when they
    meet only at a corner or not at all."""
    a, c = b[i], b[j]
    x_overlap = np.minimum(a[:, 2], c[:, 2]) - np.maximum(a[:, 0], c[:, 0])
    y_overlap = np.minimum(a[:, 3], c[:, 3]) - np.maximum(a[:, 1], c[:, 1])
    stacked = (np.abs(a[:, 3] - c[:, 1]) <= snap) | (np.abs(a[:, 1] - c[:, 3]) <= snap)
    side_by_side = (np.abs(a[:, 2] - c[:, 0]) <= snap) | (np.abs(a[:, 0] - c[:, 2]) <= snap)
    return np.where(
        stacked & (x_overlap > 0),
        x_overlap,
        np.where(side_by_side & (y_overlap > 0), y_overlap, 0.0),
    )


def union_geometry(gdf: gpd.GeoDataFrame | gpd.GeoSeries) -> shapely.Geometry:
    """The union of a layer's polygons (a boundary from a layer with one or many rows)."""
    geoms = np.asarray(gdf.geometry.values if isinstance(gdf, gpd.GeoDataFrame) else gdf.values)
    return geoms[0] if len(geoms) == 1 else shapely.union_all(geoms)
