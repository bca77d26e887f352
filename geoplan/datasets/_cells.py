"""Synthetic county, part 5: the cells behind the 三调 parcels.

Parcels are Voronoi cells of seeds whose density follows the settlements (small urban plots,
large fields), cut by the township boundaries and by the corridors of roads, rivers, canals,
ditches and the railway (each corridor piece its own parcel, as in 三调). Everything is
vectorised: STRtree pairs and array-wise shapely operations, no per-parcel Python loop.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from scipy.spatial import cKDTree

from geoplan.datasets._codes import ZONE_CLASSES, road_width
from geoplan.datasets._landscape import Landscape
from geoplan.datasets._records import Parks
from geoplan.geometry import polygonal

__all__ = ["ZONES", "classes", "corridors", "overlay", "quad_split", "seeds", "zones"]

ZONES = ("farm", "flood", "eco", "village", "town", "seat", "park")
CELL_M2 = {"farm": 120_000, "flood": 95_000, "eco": 60_000, "village": 45_000, "town": 25_000,
           "seat": 18_000, "park": 30_000}  # fmt: skip


def _in_region(region: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    x0, y0, x1, y1 = region.bounds
    frac = max(region.area / ((x1 - x0) * (y1 - y0)), 0.05)
    out: list[np.ndarray] = []
    while sum(len(o) for o in out) < n:
        p = rng.uniform((x0, y0), (x1, y1), (int(n / frac * 1.2) + 16, 2))
        out.append(p[shapely.contains_xy(region, p[:, 0], p[:, 1])])
    return np.vstack(out)[:n]


def _disc(c: np.ndarray, r: float, n: int, rng: np.random.Generator) -> np.ndarray:
    rr = r * np.sqrt(rng.random(n))
    t = rng.uniform(0, 2 * np.pi, n)
    return c + np.column_stack([rr * np.cos(t), rr * np.sin(t)])


def seeds(land: Landscape, parks: Parks, rng: np.random.Generator) -> np.ndarray:
    b = land.boundary
    pts = [_in_region(b, round(b.area / CELL_M2["farm"]), rng)]
    r = land.seat_radius * 1.05
    pts.append(_disc(land.seat, r, round(math.pi * r * r / CELL_M2["seat"]), rng))
    for c, r in zip(land.towns, land.town_radius, strict=True):
        pts.append(_disc(c, r, round(math.pi * r * r / CELL_M2["town"]), rng))
    nv = np.maximum(np.round(math.pi * land.village_radius**2 / CELL_M2["village"]), 2).astype(int)
    rr = np.repeat(land.village_radius, nv) * np.sqrt(rng.random(nv.sum()))
    t = rng.uniform(0, 2 * np.pi, nv.sum())
    pts.append(
        np.repeat(land.villages, nv, axis=0) + np.column_stack([rr * np.cos(t), rr * np.sin(t)])
    )
    for p in parks.polygons:
        pts.append(_in_region(p, max(4, round(p.area / CELL_M2["park"])), rng))
    xy = np.vstack(pts)
    xy = xy[shapely.contains_xy(b, xy[:, 0], xy[:, 1])]
    return np.unique(np.round(xy, 1), axis=0)


def zones(
    land: Landscape, parks: Parks, xy: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Zone index per point (into ZONES) and the distances used for classes and zoning."""
    n = len(xy)
    z = np.zeros(n, dtype=np.int8)
    fld = land.field
    d_river = shapely.distance(land.river, shapely.points(xy))
    eco = np.zeros(n, bool)
    for blob in land.eco_blobs:
        eco |= shapely.contains_xy(blob, xy[:, 0], xy[:, 1])
    z[eco] = ZONES.index("eco")
    z[d_river < land.floodplain_width * (0.8 + 0.4 * fld(xy, 3))] = ZONES.index("flood")
    dv, iv = cKDTree(land.villages).query(xy)
    rel_v = dv / land.village_radius[iv]
    z[rel_v < 1.0] = ZONES.index("village")
    dt_, it = cKDTree(land.towns).query(xy)
    rel_t = dt_ / land.town_radius[it]
    z[rel_t < 1.0] = ZONES.index("town")
    d_seat = np.linalg.norm(xy - land.seat, axis=1)
    rel_s = d_seat / land.seat_radius
    z[rel_s < 0.92 + 0.16 * fld(xy, 2)] = ZONES.index("seat")
    park = np.full(n, -1)
    for k, p in enumerate(parks.polygons):
        park[shapely.contains_xy(p, xy[:, 0], xy[:, 1])] = k
    z[park >= 0] = ZONES.index("park")
    return z, {"river": d_river, "village": rel_v, "town": rel_t, "seat": rel_s, "park": park}


def classes(
    land: Landscape, xy: np.ndarray, z: np.ndarray, dist: dict, rng: np.random.Generator
) -> np.ndarray:
    """三调 class per seed: zone probabilities modulated by smooth fields (orchards, paddy)."""
    out = np.empty(len(xy), dtype=object)
    fld = land.field
    for zi, zone in enumerate(ZONES):
        idx = np.flatnonzero(z == zi)
        if len(idx) == 0:
            continue
        codes, weights = ZONE_CLASSES[zone]
        p = np.tile(np.asarray(weights, float), (len(idx), 1))
        if zone == "farm":
            pts = xy[idx]
            orch = fld(pts, 0) > 0.8
            p[orch, codes.index("0201")] += 2.5
            p[:, codes.index("0101")] *= (dist["river"][idx] < 2 * land.floodplain_width) * 4.0
            p[:, codes.index("0103")] *= 0.3 + 2.0 * fld(pts, 1)
            near_v = dist["village"][idx] < 1.6
            for c, k in (("1104", 4.0), ("1202", 3.0), ("0702", 2.0)):
                p[near_v, codes.index(c)] *= k
        p /= p.sum(axis=1, keepdims=True)
        u = rng.random(len(idx))[:, None]
        pick = (u > np.cumsum(p, axis=1)).sum(axis=1)
        out[idx] = np.asarray(codes, dtype=object)[np.minimum(pick, len(codes) - 1)]
    return out


def corridors(land: Landscape, roads: object) -> tuple[np.ndarray, np.ndarray]:
    """Corridor pieces (small polygons) and their 三调 class, not overlapping each other.

    Classes in priority order (reservoir, rivers, railway, roads, canals, streets, rural roads,
    ditches): each class is unioned, cut into small pieces, and has the earlier classes' pieces
    removed pair-wise (STRtree), so no operation ever runs on a county-sized geometry twice.
    """
    b = land.boundary
    rb = roads.builder  # type: ignore[attr-defined]
    geoms = rb.geometries()
    hw = np.array([t.get("highway", "") for t in rb.tags])
    is_rail = np.array(["railway" in t for t in rb.tags])
    width = np.array([road_width(h) for h in hw])
    # streets of the seat and towns (village lanes stay inside the homestead parcels)
    mid = shapely.line_interpolate_point(geoms, 0.5, normalized=True)
    mxy = shapely.get_coordinates(mid)
    urban = np.linalg.norm(mxy - land.seat, axis=1) < land.seat_radius * 1.1
    dt_, it = cKDTree(land.towns).query(mxy)
    urban |= dt_ < land.town_radius[it] * 1.1
    street = (hw == "residential") & urban
    groups: list[tuple[str, list]] = [
        ("1103", list(land.reservoirs)),
        ("1101", [shapely.buffer(land.river, land.river_width / 2, quad_segs=3)]
         + list(shapely.buffer(land.small_rivers, 20.0, quad_segs=2))),
        ("1001", list(shapely.buffer(geoms[is_rail], 15.0, quad_segs=2))),
        ("1003", list(shapely.buffer(geoms[width >= 8], width[width >= 8] / 2, quad_segs=2))),
        ("1107A", list(shapely.buffer(land.canals, 11.0, quad_segs=2))),
        ("1004", list(shapely.buffer(geoms[street], 3.5, quad_segs=2))),
        ("1006", list(shapely.buffer(geoms[hw == "unclassified"], 2.5, quad_segs=2))),
        ("1107", list(shapely.buffer(land.ditches, 3.0, quad_segs=2))),
    ]  # fmt: skip
    out: list[np.ndarray] = []
    codes: list[np.ndarray] = []
    for code, gs in groups:
        if not gs:
            continue
        pieces = quad_split(shapely.union_all(gs), clip=b)
        if out:
            _, _, _, rem = overlay(pieces, np.concatenate(out), min_area=0.0)
            pieces = shapely.get_parts(rem)
            pieces = pieces[shapely.area(pieces) > 1.0]
        out.append(pieces)
        codes.append(np.full(len(pieces), code, dtype=object))
    return np.concatenate(out), np.concatenate(codes)


def quad_split(
    geom: shapely.Geometry, max_coords: int = 160, *, clip: shapely.Geometry | None = None
) -> np.ndarray:
    """Cut a big geometry into pieces of at most ``max_coords`` vertices (quadtree, vectorised).

    With ``clip``, pieces are also intersected with it (done on the small pieces: cheap).
    """
    done = []
    todo = np.array([geom], dtype=object)
    while len(todo):
        nc = shapely.get_num_coordinates(todo)
        small = nc <= max_coords
        done.append(todo[small])
        big = todo[~small]
        if not len(big):
            break
        x0, y0, x1, y1 = shapely.bounds(big).T
        xm, ym = (x0 + x1) / 2, (y0 + y1) / 2
        boxes = np.concatenate([shapely.box(x0, y0, xm, ym), shapely.box(xm, y0, x1, ym),
                                shapely.box(x0, ym, xm, y1), shapely.box(xm, ym, x1, y1)])  # fmt: skip
        parts = shapely.intersection(np.tile(big, 4), boxes)
        todo = parts[~shapely.is_empty(parts)]
    pieces = np.concatenate(done)
    if clip is not None:
        shapely.prepare(clip)
        inside = shapely.contains_properly(clip, pieces)
        pieces[~inside] = polygonal(shapely.intersection(pieces[~inside], clip), merge=True)
    pieces = shapely.get_parts(pieces)
    return pieces[shapely.area(pieces) > 0]


def overlay(
    cells: np.ndarray, pieces: np.ndarray, min_area: float = 5.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Cut ``cells`` by non-overlapping ``pieces``.

    Returns (cut pieces, their cell index, their piece index, cell remainders). A cut piece smaller
    than ``min_area`` stays with its cell, so the output still tiles exactly the same area.
    """
    tree = shapely.STRtree(pieces)
    ci, pi = tree.query(cells, predicate="intersects")
    inter = polygonal(shapely.intersection(cells[ci], pieces[pi]), merge=True)
    keep = shapely.area(inter) >= min_area
    ci, pi, inter = ci[keep], pi[keep], inter[keep]
    rem = cells.copy()
    order = np.argsort(ci, kind="stable")
    ci_s = ci[order]
    rank = np.arange(len(ci_s)) - np.searchsorted(ci_s, ci_s)
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        sel = order[rank == r]
        rem[ci[sel]] = shapely.difference(rem[ci[sel]], inter[sel])
    return inter, ci, pi, polygonal(rem, merge=True)
