"""Synthetic county, part 1: outline, settlements, townships, water and the eco areas.

Everything here is in the county's metric CRS (the CGCS2000 Gauss–Krüger zone of the outline).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import shapely
from pyproj import CRS, Transformer
from scipy.ndimage import map_coordinates
from scipy.spatial import cKDTree

from geoplan.crs import metric_crs_for
from geoplan.datasets._names import township_names, village_names

__all__ = ["Landscape", "SmoothField", "make_landscape", "wiggle_line"]

SEAT_POPULATION = 220_000
SEAT_RADIUS = 2600.0  # m, built-up extent of the county seat
TOWNS_PER_SCALE = 15
VILLAGES_PER_SCALE = 300


@dataclass
class Landscape:
    """Geometry of the county that every later step builds on (metric CRS)."""

    boundary: shapely.Polygon
    crs: CRS
    adcode: str
    scale: float
    seat: np.ndarray  # (2,)
    seat_radius: float
    seat_name: str
    towns: np.ndarray  # (n, 2)
    town_radius: np.ndarray
    town_names: list[str]  # with 镇/乡 suffix
    town_population: np.ndarray
    villages: np.ndarray  # (m, 2)
    village_radius: np.ndarray
    village_names: list[str]
    village_population: np.ndarray
    village_township: np.ndarray  # index into townships
    village_code: np.ndarray  # 3-digit code within its township, as str
    townships: np.ndarray  # shapely polygons, 0 = the seat's township, i = town i-1
    township_names: list[str]
    township_codes: list[str]  # 9 digits
    river: shapely.LineString  # the big river
    river_width: float
    floodplain_width: float
    small_rivers: list[shapely.LineString]
    canals: list[shapely.LineString]
    ditches: list[shapely.LineString]
    railway: shapely.LineString
    reservoirs: list[shapely.Polygon]  # with an island hole
    islands: list[shapely.Polygon]
    eco_blobs: list[shapely.Polygon]
    field: SmoothField

    @property
    def settlement_xy(self) -> np.ndarray:
        """Seat, towns, villages stacked (seat first)."""
        return np.vstack([self.seat[None, :], self.towns, self.villages])


class SmoothField:
    """A smooth random field in [0, 1]-ish (bicubic interpolation of coarse Gaussian noise)."""

    def __init__(
        self, rng: np.random.Generator, bounds: tuple[float, ...], cell: float, k: int = 3
    ):
        x0, y0, x1, y1 = bounds
        self.x0, self.y0, self.cell = x0 - 2 * cell, y0 - 2 * cell, cell
        nx = int((x1 - x0) / cell) + 5
        ny = int((y1 - y0) / cell) + 5
        self.grids = rng.normal(size=(k, ny, nx))

    def __call__(self, xy: np.ndarray, k: int = 0) -> np.ndarray:
        cols = (xy[:, 0] - self.x0) / self.cell
        rows = (xy[:, 1] - self.y0) / self.cell
        v = map_coordinates(self.grids[k], [rows, cols], order=3, mode="nearest")
        return 0.5 + 0.5 * np.tanh(v)


def load_outline() -> tuple[shapely.Polygon, str]:
    """The bundled real county outline (EPSG:4490) and its adcode."""
    text = resources.files("geoplan._data").joinpath("demo_outline.geojson").read_text("utf-8")
    feat = json.loads(text)["features"][0]
    geom = shapely.from_geojson(json.dumps(feat["geometry"]))
    return geom, str(feat["properties"]["adcode"])


def _project(geom: shapely.Geometry, src: CRS | int, dst: CRS | int) -> shapely.Geometry:
    tr = Transformer.from_crs(src, dst, always_xy=True)
    return shapely.transform(geom, lambda c: np.column_stack(tr.transform(c[:, 0], c[:, 1])))


def wiggle_line(
    pts: np.ndarray, rng: np.random.Generator, *, step: float, amp: float, wavelength: float
) -> np.ndarray:
    """Densify a polyline every ``step`` m and add a smooth lateral meander (ends stay fixed)."""
    line = shapely.linestrings(pts)
    n = max(int(line.length / step), 1)
    d = np.linspace(0.0, line.length, n + 1)
    xy = shapely.get_coordinates(shapely.line_interpolate_point(line, d))
    if amp <= 0 or n < 2:
        return xy
    tang = np.gradient(xy, axis=0)
    norm = np.column_stack([-tang[:, 1], tang[:, 0]])
    norm /= np.maximum(np.linalg.norm(norm, axis=1, keepdims=True), 1e-9)
    ph = rng.uniform(0, 2 * np.pi, 2)
    off = amp * (
        0.7 * np.sin(2 * np.pi * d / wavelength + ph[0])
        + 0.3 * np.sin(2 * np.pi * d / (wavelength * 0.37) + ph[1])
    )
    off *= np.clip(np.sin(np.pi * d / line.length), 0, 1) ** 0.5  # taper to zero at both ends
    return xy + norm * off[:, None]


def _spread_points(
    region: shapely.Geometry,
    n: int,
    rng: np.random.Generator,
    existing: np.ndarray,
    candidates: int = 24,
) -> np.ndarray:
    """Mitchell's best-candidate sampling: ``n`` well-spread points in ``region``."""
    pts = [p for p in existing]
    shapely.prepare(region)
    x0, y0, x1, y1 = region.bounds
    out = []
    for _ in range(n):
        c = rng.uniform((x0, y0), (x1, y1), (candidates * 4, 2))
        c = c[shapely.contains_xy(region, c[:, 0], c[:, 1])][:candidates]
        if len(c) == 0:
            continue
        if pts:
            d = np.min(np.linalg.norm(c[:, None, :] - np.asarray(pts)[None, :, :], axis=2), axis=1)
            best = c[int(np.argmax(d))]
        else:
            best = c[0]
        pts.append(best)
        out.append(best)
    return np.asarray(out).reshape(-1, 2)


def _lattice(region: shapely.Geometry, n: int, rng: np.random.Generator) -> np.ndarray:
    """About ``n`` points on a jittered hexagonal lattice inside ``region``."""
    area = region.area
    d = math.sqrt(2 * area / (math.sqrt(3) * max(n, 1)))
    x0, y0, x1, y1 = region.bounds
    for _ in range(3):
        xs = np.arange(x0, x1 + d, d)
        ys = np.arange(y0, y1 + d, d * math.sqrt(3) / 2)
        gx, gy = np.meshgrid(xs, ys)
        gx = gx + (np.arange(len(ys))[:, None] % 2) * d / 2
        pts = np.column_stack([gx.ravel(), gy.ravel()])
        pts += rng.uniform(-0.28 * d, 0.28 * d, pts.shape)
        pts = pts[shapely.contains_xy(region, pts[:, 0], pts[:, 1])]
        if abs(len(pts) - n) <= max(2, 0.03 * n):
            break
        d *= math.sqrt(len(pts) / max(n, 1))
    return pts


def _line_across(
    boundary: shapely.Polygon, through: np.ndarray, angle: float
) -> shapely.LineString | None:
    """The longest part of the line through ``through`` at ``angle`` inside the boundary."""
    x0, y0, x1, y1 = boundary.bounds
    L = 2 * math.hypot(x1 - x0, y1 - y0)
    v = np.array([math.cos(angle), math.sin(angle)])
    line = shapely.linestrings([through - L * v, through + L * v])
    parts = shapely.get_parts(shapely.intersection(line, boundary))
    parts = [p for p in parts if p.geom_type == "LineString"]
    return max(parts, key=lambda p: p.length) if parts else None


def make_landscape(rng: np.random.Generator, scale: float) -> Landscape:
    """Outline (enlarged by sqrt(scale)), settlements, townships, water, eco areas."""
    b, crs, adcode, centre = _outline(scale)
    f = math.sqrt(scale)
    shapely.prepare(b)
    towns = _seat_and_towns(b, centre, rng, scale)
    tpolys, codes = _townships(b, towns, adcode)
    villages = _villages(b, towns, tpolys, rng, scale)
    water = _water(b, towns, villages, rng, scale)
    railway_ln = _line_across(b, towns.seat + np.array([0, -1800.0]), rng.normal(0, 0.06))
    assert railway_ln is not None
    railway = shapely.linestrings(
        wiggle_line(shapely.get_coordinates(railway_ln), rng, step=400, amp=200, wavelength=20000)
    )
    reservoirs, islands = _reservoirs(b, water.river, rng, scale)
    eco_blobs = _eco_blobs(b, towns.seat, rng, scale)
    return Landscape(
        boundary=b, crs=crs, adcode=adcode, scale=scale,
        seat=towns.seat, seat_radius=towns.seat_radius, seat_name=towns.seat_name,
        towns=towns.points, town_radius=towns.radius, town_names=towns.names,
        town_population=towns.population,
        villages=villages.points, village_radius=villages.radius, village_names=villages.names,
        village_population=villages.population, village_township=villages.township,
        village_code=villages.code,
        townships=tpolys, township_names=[towns.seat_name, *towns.names], township_codes=codes,
        river=water.river, river_width=420.0, floodplain_width=2600.0 * min(f, 2.0),
        small_rivers=water.small_rivers, canals=water.canals, ditches=water.ditches,
        railway=railway, reservoirs=reservoirs, islands=islands, eco_blobs=eco_blobs,
        field=water.field,
    )  # fmt: skip


@dataclass
class _Towns:
    seat: np.ndarray
    seat_radius: float
    seat_name: str
    points: np.ndarray  # township seats other than the county seat
    population: np.ndarray
    radius: np.ndarray
    names: list[str]
    is_xiang: np.ndarray


@dataclass
class _Villages:
    points: np.ndarray
    population: np.ndarray
    radius: np.ndarray
    names: list[str]
    township: np.ndarray
    code: np.ndarray


@dataclass
class _Water:
    river: shapely.Geometry
    field: SmoothField
    small_rivers: list[shapely.Geometry]
    canals: list[shapely.Geometry]
    ditches: list[shapely.Geometry]


def _outline(scale: float) -> tuple[shapely.Geometry, Any, str, np.ndarray]:
    """The county outline in its metric CRS, enlarged by sqrt(scale) about its centre (which
    is returned too: the county seat is placed from it)."""
    outline, adcode = load_outline()
    c = shapely.centroid(outline)
    crs = metric_crs_for(c.x, c.y)
    b = _project(outline, 4490, crs)
    f = math.sqrt(scale)
    cen = np.array(shapely.centroid(b).coords[0])
    b = shapely.transform(b, lambda xy: cen + (xy - cen) * f)
    return shapely.set_precision(b, 0.1), crs, adcode, cen


def _seat_and_towns(
    b: shapely.Geometry, cen: np.ndarray, rng: np.random.Generator, scale: float
) -> _Towns:
    """The county seat near the middle, well inside (smaller in a small test county), and the
    township seats spread over the county."""
    f = math.sqrt(scale)
    x0, y0, x1, y1 = b.bounds
    w, h = x1 - x0, y1 - y0
    seat_radius = SEAT_RADIUS * min(1.0, f)
    inner = _inner(b, seat_radius * 1.6)
    seat = cen + rng.normal(0, 0.04, 2) * np.array([w, h]) / f
    if not shapely.contains_xy(inner, *seat):
        seat = np.array(shapely.point_on_surface(inner).coords[0])
    n_towns = max(3, round(TOWNS_PER_SCALE * scale))
    inner_t = _inner(b, 1500 * min(1.0, f))
    towns = _spread_points(inner_t, n_towns, rng, existing=seat[None, :])
    n_towns = len(towns)
    town_pop = np.round(rng.lognormal(math.log(18_000), 0.45, n_towns), -1)
    town_radius = np.clip(np.sqrt(town_pop / 6000.0 / math.pi) * 1000 * 0.9, 500, 1500)
    town_radius *= min(1.0, f)
    is_xiang = rng.random(n_towns) < 0.35
    tnames = township_names(rng, n_towns + 1)
    town_names = [n + ("乡" if x else "镇") for n, x in zip(tnames[1:], is_xiang, strict=True)]
    town_pop[is_xiang] = np.round(town_pop[is_xiang] * 0.6, -1)
    return _Towns(seat, seat_radius, "城关镇", towns, town_pop, town_radius, town_names, is_xiang)


def _townships(b: shapely.Geometry, towns: _Towns, adcode: str) -> tuple[np.ndarray, list[str]]:
    """Townships: Voronoi cells of the township seats clipped to the boundary, and codes."""
    seats = np.vstack([towns.seat[None, :], towns.points])
    vor = shapely.voronoi_polygons(
        shapely.multipoints(seats), extend_to=shapely.box(*shapely.bounds(b)), ordered=True
    )
    tpolys = _merge_detached(shapely.intersection(shapely.get_parts(vor), b))
    xiang_no = iter(range(200, 1000))
    zhen_no = iter(range(101, 1000))
    codes = [adcode + "100"] + [
        adcode + str(next(xiang_no) if x else next(zhen_no)) for x in towns.is_xiang
    ]
    return tpolys, codes


def _villages(
    b: shapely.Geometry, towns: _Towns, tpolys: Any, rng: np.random.Generator, scale: float
) -> _Villages:
    """Villages on a jittered lattice, away from the seat and towns, with their township."""
    keep_out = shapely.union_all(
        [shapely.buffer(shapely.points(towns.seat), towns.seat_radius + 500)]
        + list(shapely.buffer(shapely.points(towns.points), towns.radius + 350))
    )
    vregion = shapely.difference(shapely.buffer(b, -250), keep_out)
    villages = _lattice(vregion, round(VILLAGES_PER_SCALE * scale), rng)
    n_v = len(villages)
    vpop = np.round(np.clip(rng.lognormal(math.log(1700), 0.55, n_v), 250, 7000), -1)
    vrad = np.clip(np.sqrt(vpop * 140.0 / math.pi), 110, 520)  # ~140 m2 of village per person
    vnames = village_names(rng, n_v, taken={n[:-1] for n in towns.names})
    tree = cKDTree(np.vstack([towns.seat[None, :], towns.points]))
    vt = np.full(n_v, -1)
    for i, poly in enumerate(tpolys):
        inside = shapely.contains_xy(poly, villages[:, 0], villages[:, 1])
        vt[inside] = i
    vt[vt < 0] = tree.query(villages[vt < 0])[1]
    vcode = np.empty(n_v, dtype=object)
    for i in range(len(tpolys)):
        idx = np.flatnonzero(vt == i)
        vcode[idx] = [f"{200 + k:03d}" for k in range(len(idx))]
    return _Villages(villages, vpop, vrad, vnames, vt, vcode)


def _water(
    b: shapely.Geometry,
    towns: _Towns,
    villages: _Villages,
    rng: np.random.Generator,
    scale: float,
) -> _Water:
    """The big river across the north (with its floodplain), tributaries, canals, ditches."""
    f = math.sqrt(scale)
    x0, y0, x1, y1 = b.bounds
    w, h = x1 - x0, y1 - y0
    river_pts = np.array([[x0 - 0.05 * w, y0 + 0.86 * h], [x1 + 0.05 * w, y0 + 0.74 * h]])
    river_xy = wiggle_line(river_pts, rng, step=250, amp=1400 * f, wavelength=9000 * f)
    river = shapely.linestrings(river_xy)
    field = SmoothField(rng, b.bounds, 2500.0, k=4)
    small_rivers = []
    for _ in range(max(2, round(2 * f))):
        p = np.array([rng.uniform(x0, x1), rng.uniform(y0 + 0.3 * h, y1)])
        ln = _line_across(b, p, -math.pi / 4 + rng.normal(0, 0.25))
        if ln is not None:
            xy = wiggle_line(shapely.get_coordinates(ln), rng, step=150, amp=600, wavelength=5000)
            small_rivers.append(shapely.linestrings(xy))
    canals = []
    for _ in range(max(2, round(2 * f))):
        p = np.array([rng.uniform(x0 + 0.1 * w, x1 - 0.1 * w), rng.uniform(y0, y1)])
        ln = _line_across(b, p, math.pi / 2 + rng.normal(0, 0.12))
        if ln is not None:
            xy = wiggle_line(shapely.get_coordinates(ln), rng, step=300, amp=120, wavelength=8000)
            canals.append(shapely.linestrings(xy))
    n_ditch = round(45 * scale)
    dstart = rng.uniform((x0, y0), (x1, y1), (n_ditch, 2))
    dang = rng.choice([0.0, math.pi / 2], n_ditch) + rng.normal(0, 0.05, n_ditch)
    dlen = rng.uniform(900, 2600, n_ditch)
    dend = dstart + dlen[:, None] * np.column_stack([np.cos(dang), np.sin(dang)])
    ditches = list(shapely.linestrings(np.stack([dstart, dend], axis=1)))
    # drop ditches that run into a settlement
    discs = shapely.buffer(
        shapely.points(np.vstack([villages.points, towns.points, towns.seat])), 1.0
    )
    rad = np.concatenate([villages.radius + 60, towns.radius + 350, [towns.seat_radius + 500]])
    di, si = shapely.STRtree(discs).query(ditches, predicate="dwithin", distance=float(rad.max()))
    dist = shapely.distance(np.asarray(ditches)[di], discs[si])
    hit = np.zeros(len(ditches), bool)
    hit[di[dist < rad[si]]] = True
    ditches = [d for d, x in zip(ditches, hit, strict=True) if not x]
    return _Water(river, field, small_rivers, canals, ditches)


def _reservoirs(
    b: shapely.Geometry, river: shapely.Geometry, rng: np.random.Generator, scale: float
) -> tuple[list[Any], list[Any]]:
    """Reservoirs near the river, each with an island."""
    f = math.sqrt(scale)
    reservoirs, islands = [], []
    near_river = shapely.intersection(shapely.buffer(river, 3500 * f), shapely.buffer(b, -800))
    for _ in range(max(1, round(scale))):
        if near_river.is_empty:
            break
        pt = _random_point_in(near_river, rng)
        a, bb = rng.uniform(500, 800), rng.uniform(250, 400)
        ell = _ellipse(pt, a, bb, rng.uniform(0, math.pi))
        island = shapely.buffer(shapely.points(pt + rng.normal(0, 40, 2)), 85, quad_segs=4)
        reservoirs.append(shapely.difference(ell, island))
        islands.append(island)
    return reservoirs, islands


def _eco_blobs(
    b: shapely.Geometry, seat: np.ndarray, rng: np.random.Generator, scale: float
) -> list[Any]:
    """Sand-fixing forest blobs far from the county seat."""
    f = math.sqrt(scale)
    eco_blobs = []
    far = shapely.difference(
        _inner(b, 1000), shapely.buffer(shapely.points(seat), 8000 * min(1, f))
    )
    far = far if far.area > 0 else b
    for _ in range(max(2, round(2 * scale))):
        pt = _random_point_in(far, rng)
        r = rng.uniform(900, 1800)
        blob = shapely.buffer(shapely.points(pt), r, quad_segs=6)
        blob = shapely.transform(
            blob, lambda xy, pt=pt: pt + (xy - pt) * [1.0, rng.uniform(0.5, 1)]
        )
        eco_blobs.append(blob)
    return eco_blobs


def _inner(b: shapely.Geometry, d: float) -> shapely.Geometry:
    """``b`` shrunk by ``d`` metres, or ``b`` itself when that leaves too little."""
    g = shapely.buffer(b, -d)
    return g if g.area > 0.15 * b.area else b


def _merge_detached(polys: np.ndarray) -> np.ndarray:
    """Give each detached part of a clipped Voronoi cell to the neighbour it shares most border
    with, so that every township is one polygon and together they still tile the boundary."""
    main, extra = [], []
    for i, g in enumerate(polys):
        parts = sorted(
            (p for p in shapely.get_parts(g) if p.geom_type == "Polygon"), key=lambda p: -p.area
        )
        main.append(parts[0])
        extra += [(i, p) for p in parts[1:]]
    out = np.array(main, dtype=object)
    for i, part in extra:
        shared = shapely.length(shapely.intersection(shapely.boundary(out), shapely.boundary(part)))
        shared[i] = -1
        j = int(np.argmax(shared))
        merged = shapely.union(out[j], part)
        out[j] = merged if merged.geom_type == "Polygon" else shapely.union(out[i], part)
    return out


def _random_point_in(region: shapely.Geometry, rng: np.random.Generator) -> np.ndarray:
    x0, y0, x1, y1 = region.bounds
    for _ in range(200):
        p = rng.uniform((x0, y0), (x1, y1), (64, 2))
        ok = shapely.contains_xy(region, p[:, 0], p[:, 1])
        if ok.any():
            return p[int(np.argmax(ok))]
    return np.array(shapely.point_on_surface(region).coords[0])


def _ellipse(centre: np.ndarray, a: float, b: float, angle: float) -> shapely.Polygon:
    t = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    x, y = a * np.cos(t), b * np.sin(t)
    ca, sa = math.cos(angle), math.sin(angle)
    return shapely.polygons(
        np.column_stack([centre[0] + ca * x - sa * y, centre[1] + sa * x + ca * y])
    )
