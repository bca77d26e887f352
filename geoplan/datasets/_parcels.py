"""Synthetic county, part 6: 三调 parcels with their fields, the zoning lines, land cover.

The parcels tile the county exactly (Voronoi cells clipped by the townships and cut by the
corridors). 三调 fields: BSM, TBBH, DLBM (string codes), DLMC, QSXZ, ZLDWDM (12 digits: county,
township, village), TBMJ (the ellipsoidal area: planar area over the Gauss–Krüger scale factor
squared), KCDLBM/KCXS/KCMJ on cultivated land, TBDLMJ = TBMJ - KCMJ, CZCSXM on construction land
inside settlements ("201A"/"202A" for park industry outside the city).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from scipy.spatial import cKDTree

from geoplan.datasets._cells import (
    ZONES,
    classes,
    corridors,
    overlay,
    seeds,
    zones,
)
from geoplan.datasets._codes import CONSTRUCTION, DLMC, clcd_code
from geoplan.datasets._landscape import Landscape
from geoplan.geometry import polygonal

__all__ = ["Parcels", "make_parcels", "rasterise_landcover"]

R_EARTH = 6_371_000.0


@dataclass
class Parcels:
    landuse: gpd.GeoDataFrame
    zoning: gpd.GeoDataFrame
    notes: dict[str, float]


def make_parcels(land: Landscape, roads: object, rng: np.random.Generator) -> Parcels:
    """Parcels, zoning (ugb / basic_farmland / eco_redline) for a landscape and its roads."""
    parks = roads.parks  # type: ignore[attr-defined]
    xy = seeds(land, parks, rng)
    z, dist = zones(land, parks, xy)
    cls = classes(land, xy, z, dist, rng)
    frame = shapely.box(*shapely.bounds(shapely.buffer(land.boundary, 3000)))
    raw = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(xy), extend_to=frame, ordered=True)
    )
    cells = _township_cells(land, raw)
    pieces, pcode = corridors(land, roads)
    tiles, sliver_notes = _tiles(land, cells, pieces)
    rpxy = shapely.get_coordinates(shapely.point_on_surface(tiles.geoms))
    _, near_seed = cKDTree(xy).query(rpxy)
    seed = np.where(tiles.is_cor, near_seed, cells.seed[tiles.k_rem])
    tw = np.where(tiles.is_cor, tiles.piece_tw[tiles.k_cor], cells.tw[tiles.k_rem])
    code = np.where(tiles.is_cor, pcode[tiles.piece_of[tiles.k_cor]], cls[cells.seed[tiles.k_rem]])
    zone = np.asarray(ZONES, dtype=object)[z[seed]]
    _settle_codes(land, code, zone, rpxy)
    czc = _czcsxm(land, parks, code, zone, dist["park"][seed])
    zldwdm = _zldwdm(land, tw, zone, rpxy)
    landuse = _landuse_table(land, tiles.geoms, code, czc, zldwdm, zone, tw, rpxy, rng)
    zoning = _zoning(land, parks, raw, xy, z, dist)
    notes = {"seeds": float(len(xy)), "corridor_pieces": float(len(pieces)), **sliver_notes}
    return Parcels(landuse, zoning, notes)


@dataclass
class _Cells:
    geoms: np.ndarray  # Voronoi cells cut by the townships
    seed: np.ndarray  # the seed of each
    tw: np.ndarray  # the township of each


@dataclass
class _Tiles:
    geoms: np.ndarray  # the final pieces: cell remainders and corridor pieces
    is_cor: np.ndarray  # a corridor piece
    k_rem: np.ndarray  # its cell (for a remainder)
    k_cor: np.ndarray  # its corridor piece (for a corridor)
    piece_of: np.ndarray  # corridor piece -> corridor
    piece_tw: np.ndarray  # corridor piece -> township


def _township_cells(land: Landscape, raw: np.ndarray) -> _Cells:
    """The Voronoi cells clipped to the townships (which tile the boundary)."""
    tws = land.townships
    shapely.prepare(tws)
    ci, ti = shapely.STRtree(tws).query(raw, predicate="intersects")
    inside = shapely.contains_properly(tws[ti], raw[ci])
    cut = raw[ci].copy()
    cut[~inside] = shapely.intersection(raw[ci][~inside], tws[ti][~inside])
    cut = polygonal(cut, merge=True)
    ok = shapely.area(cut) > 0
    return _Cells(cut[ok], ci[ok], ti[ok])


def _tiles(land: Landscape, cells: _Cells, pieces: np.ndarray) -> tuple[_Tiles, dict[str, float]]:
    """Corridors (roads, water, railway) become parcels of their own, cut by the townships; the
    cells keep what the corridors leave; slivers are absorbed, needles dropped."""
    tws = land.townships
    _, _, _, rem = overlay(cells.geoms, pieces, min_area=0.0)
    pj, tj = shapely.STRtree(tws).query(pieces, predicate="intersects")
    inside = shapely.contains_properly(tws[tj], pieces[pj])
    pcs = pieces[pj].copy()
    pcs[~inside] = shapely.intersection(pieces[pj][~inside], tws[tj][~inside])
    pcs = polygonal(pcs, merge=True)
    geoms, src = shapely.get_parts(np.concatenate([rem, pcs]), return_index=True)
    n_rem = len(rem)
    del rem, pcs  # free the intermediate geometries early (large counties)
    is_cor = src >= n_rem
    k_rem = np.minimum(src, n_rem - 1)
    k_cor = np.maximum(src - n_rem, 0)
    area = shapely.area(geoms)
    keep = area > 0
    geoms, is_cor, k_rem, k_cor, area = (
        geoms[keep], is_cor[keep], k_rem[keep], k_cor[keep], area[keep],
    )  # fmt: skip
    geoms, gone = _absorb_slivers(geoms, area)
    needles = (area < 1e-3) & ~gone  # degenerate overlay needles (~1e-9 m² in all)
    notes = {
        "slivers_merged": float(gone.sum()),
        "needles_dropped": float(needles.sum()),
        "needles_dropped_m2": float(area[needles].sum()),
    }
    keep = ~(gone | needles)
    tiles = _Tiles(geoms[keep], is_cor[keep], k_rem[keep], k_cor[keep], pj, tj)
    return tiles, notes


def _settle_codes(land: Landscape, code: np.ndarray, zone: np.ndarray, rpxy: np.ndarray) -> None:
    """Roads inside settlements are 城镇村道路; island land is 其他林地 (in place)."""
    urban = np.isin(zone, ["seat", "town"])
    settled = urban | (zone == "village")
    code[(code == "1003") & urban] = "1004"
    code[(code == "1006") & settled] = "1004"
    for isl in land.islands:
        on = shapely.contains_xy(isl, rpxy[:, 0], rpxy[:, 1]) & ~np.isin(code, ["1103"])
        code[on] = "0307"


def _czcsxm(
    land: Landscape, parks: Any, code: np.ndarray, zone: np.ndarray, park_k: np.ndarray
) -> np.ndarray:
    """城镇村属性码 on construction land inside settlements (and parks, mines, special land)."""
    settled = np.isin(zone, ["seat", "town", "village"])
    czc = np.full(len(code), None, dtype=object)
    con = np.isin(code, list(CONSTRUCTION))
    czc[con & (zone == "seat")] = "201"
    czc[con & (zone == "town")] = "202"
    czc[con & (zone == "village")] = "203"
    if len(parks.polygons):
        pc = shapely.get_coordinates(shapely.centroid(np.asarray(parks.polygons)))
        near_seat = np.linalg.norm(pc - land.seat, axis=1) < land.seat_radius + 4000
        pk = con & (zone == "park")
        czc[pk] = np.where(near_seat[park_k[pk]], "201A", "202A")
    czc[con & (zone != "park") & ~settled & (code == "0702")] = "203"
    czc[con & (code == "0602")] = "204"
    czc[con & (code == "09") & ~settled] = "205"
    return czc


def _zldwdm(land: Landscape, tw: np.ndarray, zone: np.ndarray, rpxy: np.ndarray) -> np.ndarray:
    """ZLDWDM: township code + the nearest village of the same township (communities: 001)."""
    vill = np.full(len(tw), "001", dtype=object)
    for t in range(len(land.townships)):
        sel = np.flatnonzero((tw == t) & (zone != "seat"))
        vi = np.flatnonzero(land.village_township == t)
        if len(sel) == 0 or len(vi) == 0:
            continue
        _, k = cKDTree(land.villages[vi]).query(rpxy[sel])
        vill[sel] = land.village_code[vi[k]]
    return np.asarray(land.township_codes, dtype=object)[tw] + vill


def _landuse_table(
    land: Landscape,
    geoms: np.ndarray,
    code: np.ndarray,
    czc: np.ndarray,
    zldwdm: np.ndarray,
    zone: np.ndarray,
    tw: np.ndarray,
    rpxy: np.ndarray,
    rng: np.random.Generator,
) -> gpd.GeoDataFrame:
    """The 三调 table: TBMJ ellipsoidal (planar / k² of Gauss–Krüger), 田坎 deduction on
    cultivated land, ownership, numbering north-west first within each village."""
    area = shapely.area(geoms)
    e = rpxy[:, 0] - 500_000.0
    k = 1 + e**2 / (2 * R_EARTH**2) + e**4 / (24 * R_EARTH**4)
    tbmj = np.round(area / k**2, 2)
    cult = np.isin(code, ["0101", "0102", "0103"])
    kcxs_tw = np.round(rng.uniform(0.012, 0.06, len(land.townships)), 4)
    kcxs = np.where(cult, kcxs_tw[tw], 0.0)
    kcmj = np.round(tbmj * kcxs, 2)
    tbdlmj = np.round(tbmj - kcmj, 2)
    con = np.isin(code, list(CONSTRUCTION))
    state = (np.char.startswith(code.astype(str), "10") & (code != "1006")) | np.isin(
        code, ["1101", "1103", "1107A", "09"]
    ) | (con & (zone == "seat"))  # fmt: skip
    order = np.lexsort((rpxy[:, 0], -rpxy[:, 1], zldwdm.astype(str)))  # north-west first
    geoms, code, czc, zldwdm = geoms[order], code[order], czc[order], zldwdm[order]
    tbmj, kcxs, kcmj, tbdlmj = tbmj[order], kcxs[order], kcmj[order], tbdlmj[order]
    state, cult = state[order], cult[order]
    tbbh = pd.Series(zldwdm).groupby(zldwdm).cumcount().to_numpy() + 1
    n = len(code)
    landuse = gpd.GeoDataFrame(
        {
            "BSM": [f"{land.adcode}{i + 1:08d}" for i in range(n)],
            "TBBH": tbbh.astype(str),
            "DLBM": code.astype(str),
            "DLMC": [DLMC[c] for c in code],
            "QSXZ": np.where(state, "20", "30"),
            "ZLDWDM": zldwdm.astype(str),
            "TBMJ": tbmj,
            "KCDLBM": np.where(cult, "1203", np.full(len(cult), None, dtype=object)),
            "KCXS": kcxs,
            "KCMJ": kcmj,
            "TBDLMJ": tbdlmj,
            "CZCSXM": czc,
        },
        geometry=geoms,
        crs=land.crs,
    )
    for col in ("BSM", "TBBH", "DLBM", "DLMC", "QSXZ", "ZLDWDM", "KCDLBM", "CZCSXM"):
        landuse[col] = landuse[col].astype("string")
    return landuse


def _absorb_slivers(
    geoms: np.ndarray, area: np.ndarray, min_area: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Merge pieces under ``min_area`` m² (overlay slivers) into the neighbour sharing the
    longest border; returns the new geometries and a mask of the pieces merged away."""
    geoms = geoms.copy()
    gone = np.zeros(len(geoms), bool)
    tiny = np.flatnonzero(area < min_area)
    if not len(tiny):
        return geoms, gone
    ti, nj = shapely.STRtree(geoms).query(geoms[tiny], predicate="intersects")
    src = tiny[ti]
    ok = (nj != src) & (area[nj] >= min_area)
    src, nj = src[ok], nj[ok]
    shared = shapely.length(
        shapely.intersection(shapely.boundary(geoms[src]), shapely.boundary(geoms[nj]))
    )
    order = np.lexsort((-shared, src))
    src, nj = src[order], nj[order]
    first = np.ones(len(src), bool)
    first[1:] = src[1:] != src[:-1]
    src, nj = src[first], nj[first]
    # several slivers may go to one neighbour: merge in rounds
    rank = np.zeros(len(nj), int)
    o = np.argsort(nj, kind="stable")
    rank[o] = np.arange(len(nj)) - np.searchsorted(nj[o], nj[o])
    for r in range(int(rank.max()) + 1 if len(rank) else 0):
        sel = rank == r
        merged = shapely.union(geoms[nj[sel]], geoms[src[sel]])
        single = shapely.get_type_id(merged) == 3
        geoms[nj[sel][single]] = merged[single]
        gone[src[sel][single]] = True
    return geoms, gone


def _zoning(
    land: Landscape,
    parks: object,
    raw: np.ndarray,
    xy: np.ndarray,
    z: np.ndarray,
    dist: dict,
) -> gpd.GeoDataFrame:
    """三区三线 from the Voronoi cells (which share exact edges: coverage unions are cheap)."""
    b = land.boundary
    polys = list(parks.polygons)  # type: ignore[attr-defined]
    near_park = np.zeros(len(xy), bool)
    if polys:
        pi, _ = shapely.STRtree(polys).query(shapely.points(xy), predicate="dwithin", distance=300)
        near_park[pi] = True
    zone = np.asarray(ZONES, dtype=object)[z]
    ugb = (dist["seat"] < 1.2) | (dist["town"] < 1.25) | near_park
    farm = (zone == "farm") & ~ugb & (dist["village"] > 1.3)
    floodplain_village = (zone == "village") & (dist["river"] < land.floodplain_width * 0.8)
    eco = (np.isin(zone, ["flood", "eco"]) | floodplain_village) & ~ugb
    hubs = [(land.seat, f"{land.seat_name}")] + [
        (land.towns[i], land.town_names[i]) for i in range(len(land.towns))
    ]
    hub_xy = np.array([h[0] for h in hubs])
    rows: list[tuple[str, str, shapely.Geometry]] = []
    for zt, flag, min_area in (("ugb", ugb, 5e4), ("basic_farmland", farm, 2e5),
                               ("eco_redline", eco, 1e5)):  # fmt: skip
        if not flag.any():
            continue
        u = shapely.intersection(shapely.coverage_union_all(raw[flag]), b)
        parts = shapely.get_parts(u)
        parts = parts[shapely.get_type_id(parts) == 3]
        parts = parts[shapely.area(parts) >= min_area]
        cen = shapely.get_coordinates(shapely.point_on_surface(parts))
        for k, (g, c) in enumerate(zip(parts, cen, strict=True)):
            if zt == "ugb":
                h = int(np.argmin(np.linalg.norm(hub_xy - c, axis=1)))
                name = f"{hubs[h][1]}城镇开发边界"
            elif zt == "basic_farmland":
                name = f"永久基本农田保护片区{k + 1:03d}"
            else:
                near_river = (
                    shapely.distance(land.river, shapely.points(c)) < land.floodplain_width * 1.5
                )
                name = (
                    "黄河湿地生态保护红线" if near_river else f"防风固沙林生态保护红线{k + 1:02d}"
                )
            rows.append((zt, name, g))
    return gpd.GeoDataFrame(
        {"zone_type": [r[0] for r in rows], "name": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=land.crs,
    )


def rasterise_landcover(
    landuse: gpd.GeoDataFrame, boundary: shapely.Geometry, *, res: float = 30.0
) -> tuple[np.ndarray, Affine]:
    """CLCD codes (uint8, 0 = outside) on a ``res`` grid aligned to multiples of ``res``."""
    from rasterio.features import rasterize

    x0, y0, x1, y1 = boundary.bounds
    x0, y0 = np.floor(x0 / res) * res, np.floor(y0 / res) * res
    x1, y1 = np.ceil(x1 / res) * res, np.ceil(y1 / res) * res
    transform = Affine(res, 0, x0, 0, -res, y1)
    shape = (int(round((y1 - y0) / res)), int(round((x1 - x0) / res)))
    vals = np.array([clcd_code(c) for c in landuse["DLBM"].to_numpy()], dtype=np.uint8)
    geoms = landuse.geometry.to_numpy()
    arr = np.zeros(shape, dtype=np.uint8)
    # in chunks: rasterio turns every shape into a GeoJSON-like dict first (memory); parcels do
    # not overlap, so each pixel centre falls in one parcel whatever the chunking
    for s in range(0, len(geoms), 20_000):
        rasterize(
            zip(geoms[s : s + 20_000], vals[s : s + 20_000], strict=True),
            out=arr,
            transform=transform,
        )
    return arr, transform
