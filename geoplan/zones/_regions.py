"""Dominant function, mix and entropy per unit; contiguous zones; optional regionalisation."""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from geoplan.errors import InputError, MissingExtraError
from geoplan.zones._compose import SUB_COLUMNS
from geoplan.zones._vector import adjacency

logger = logging.getLogger(__name__)

FUNCTIONS = ("production", "living", "ecological")
NONE = "none"
MIXED = "mixed"


def dominance(
    shares: pd.DataFrame, single_share: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``dominant``, ``mix_label`` and normalised Shannon ``entropy`` per unit.

    Shares are taken relative to the classified area of the unit (the three functions sum to 1),
    so that a cell half outside the land-use layer is judged on what is there. Ties go to the
    order production, living, ecological.
    """
    a = shares[list(FUNCTIONS)].to_numpy(dtype="float64")
    total = a.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = np.where(total[:, None] > 0, a / total[:, None], 0.0)
        plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    entropy = -plogp.sum(axis=1) / math.log(len(FUNCTIONS))
    order = np.argsort(-p, axis=1, kind="stable")
    top1 = np.take_along_axis(p, order[:, :1], axis=1)[:, 0]
    names = np.array(FUNCTIONS, dtype=object)
    first, second = names[order[:, 0]], names[order[:, 1]]
    single = top1 >= single_share - 1e-12
    empty = total <= 0
    dominant = np.where(empty, NONE, np.where(single, first, MIXED)).astype(object)
    mix = np.where(single, first, first + "+" + second).astype(object)
    mix[empty] = NONE
    entropy[empty] = np.nan
    return dominant, mix, entropy


def eco_index(shares: pd.DataFrame, weights: Mapping[str, float]) -> np.ndarray:
    """EV = Σ share × weight over 三生 sub-classes (shares of the classified area)."""
    sub = shares[[c for c in SUB_COLUMNS if c in shares]].to_numpy(dtype="float64")
    names = [c.split("_", 1)[1] for c in SUB_COLUMNS if c in shares]
    missing = [n for n in names if n not in weights]
    if missing:
        raise InputError(
            f"eco_weights lacks weights for {', '.join(missing)}; give a weight for every "
            f"sub-class ({', '.join(names)})."
        )
    w = np.array([float(weights[n]) for n in names])
    total = sub.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, (sub @ w) / total, np.nan)


def contiguous_zones(
    geoms: np.ndarray, labels: np.ndarray, areas: np.ndarray, min_zone_area: float
) -> tuple[np.ndarray, np.ndarray, dict[str, int]]:
    """Zone id and zone label per unit.

    Adjacent units (sharing a border, not only a corner) with the same label form one zone; then
    zones smaller than ``min_zone_area`` are merged, smallest first, into the neighbouring zone
    with the longest shared border (ties: the larger neighbour), repeatedly, until every zone is
    large enough or has no neighbour (an island).
    """
    n = len(geoms)
    i, j, length = adjacency(geoms)
    same = labels[i] == labels[j]
    g = coo_matrix((np.ones(int(same.sum())), (i[same], j[same])), shape=(n, n))
    ncomp, comp = connected_components(g, directed=False)
    zone_label = {z: labels[np.flatnonzero(comp == z)[0]] for z in range(ncomp)}
    zone_area = np.bincount(comp, weights=areas, minlength=ncomp).astype(float)
    # zone adjacency: summed shared border length
    zi, zj = comp[i], comp[j]
    diff = zi != zj
    nb: dict[int, dict[int, float]] = {z: {} for z in range(ncomp)}
    for a, b, ln in zip(zi[diff], zj[diff], length[diff], strict=True):
        nb[a][b] = nb[a].get(b, 0.0) + ln
        nb[b][a] = nb[b].get(a, 0.0) + ln
    parent = np.arange(ncomp)
    merged = 0
    isolated = 0
    if min_zone_area > 0:
        import heapq

        heap = [(zone_area[z], z) for z in range(ncomp) if zone_area[z] < min_zone_area]
        heapq.heapify(heap)
        alive = np.ones(ncomp, dtype=bool)
        while heap:
            area, z = heapq.heappop(heap)
            if not alive[z] or area != zone_area[z] or zone_area[z] >= min_zone_area:
                continue
            if not nb[z]:
                isolated += 1
                continue
            target = max(nb[z], key=lambda t: (nb[z][t], zone_area[t], -t))
            # merge z into target
            for other, ln in nb[z].items():
                if other == target:
                    continue
                nb[target][other] = nb[target].get(other, 0.0) + ln
                nb[other][target] = nb[other].get(target, 0.0) + ln
                del nb[other][z]
            del nb[target][z]
            nb[z] = {}
            alive[z] = False
            parent[z] = target
            zone_area[target] += zone_area[z]
            merged += 1
            if zone_area[target] < min_zone_area:
                heapq.heappush(heap, (zone_area[target], target))
    root = np.arange(ncomp)
    for z in range(ncomp):
        r = z
        while parent[r] != r:
            r = parent[r]
        root[z] = r
    final = root[comp]
    uniq, zone_id = np.unique(final, return_inverse=True)
    lab = np.array([zone_label[int(r)] for r in uniq], dtype=object)[zone_id]
    stats = {
        "components": int(ncomp),
        "zones": len(uniq),
        "merged": merged,
        "small_isolated": isolated,
    }
    return zone_id + 1, lab, stats


def dissolve_zones(cells: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One polygon per zone with its area, unit count and mean shares."""
    zid = cells["zone_id"].to_numpy()
    geoms = np.asarray(cells.geometry.values)
    order = np.argsort(zid, kind="stable")
    uniq, starts = np.unique(zid[order], return_index=True)
    ends = np.r_[starts[1:], len(order)]
    polys = [shapely.union_all(geoms[order[s:e]]) for s, e in zip(starts, ends, strict=True)]
    area = cells["area_m2"].to_numpy()
    rows = pd.DataFrame({"zone_id": uniq})
    grp = cells.groupby("zone_id", sort=True)
    rows["label"] = grp["zone_label"].first().to_numpy()
    rows["n_units"] = grp.size().to_numpy()
    rows["area_m2"] = np.bincount(zid, weights=area)[uniq]
    rows["area_ha"] = rows["area_m2"] / 1e4
    for f in FUNCTIONS:
        w = np.bincount(zid, weights=cells[f].to_numpy() * area)[uniq]
        rows[f] = np.where(rows["area_m2"] > 0, w / rows["area_m2"], 0.0)
    return gpd.GeoDataFrame(rows, geometry=polys, crs=cells.crs)


def regionalise(cells: gpd.GeoDataFrame, k: int) -> np.ndarray:
    """Spatially constrained clustering of the units into ``k`` regions (spopt SKATER)."""
    try:
        import libpysal
        from spopt.region import Skater
    except ImportError:
        raise MissingExtraError(
            "Regionalisation into k zones needs spopt, an optional extra: "
            "pip install geoplan[regions]"
        ) from None
    if not (isinstance(k, (int, np.integer)) and 1 <= k <= len(cells)):
        raise InputError(f"regions must be an integer between 1 and {len(cells)}; got {k!r}.")
    # queen contiguity (a shared corner is enough) so that clipped edge cells are not islands
    geoms = np.asarray(cells.geometry.values)
    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    i, j = i[i < j], j[i < j]
    neighbors: dict[int, list[int]] = {u: [] for u in range(len(cells))}
    for a, b in zip(i.tolist(), j.tolist(), strict=True):
        neighbors[a].append(b)
        neighbors[b].append(a)
    frame = pd.DataFrame(cells[list(FUNCTIONS)].to_numpy(), columns=list(FUNCTIONS))
    total = frame.sum(axis=1).replace(0, np.nan)
    frame = frame.div(total, axis=0).fillna(0.0)
    gdf = gpd.GeoDataFrame(frame, geometry=cells.geometry.values, crs=cells.crs)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        w = libpysal.weights.W(neighbors, silence_warnings=True)
        model = Skater(gdf, w, list(FUNCTIONS), n_clusters=int(k), islands="increase")
        model.solve()
    return np.asarray(model.labels_, dtype="int64") + 1
