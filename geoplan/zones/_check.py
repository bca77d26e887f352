"""Township table (areas by 三大类 and 三生) and the zoning check against 三区三线."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import InputError
from geoplan.geometry import polygonal
from geoplan.units import M2_PER_HA, M2_PER_MU
from geoplan.zones._compose import SANLEI_COLUMNS
from geoplan.zones._regions import FUNCTIONS
from geoplan.zones._vector import subdivide

logger = logging.getLogger(__name__)

ZONE_TYPES = ("ugb", "basic_farmland", "eco_redline")
CONSTRUCTION = "建设用地"
AreasFor = Callable[[np.ndarray], pd.DataFrame]


def _by_unit(long: pd.DataFrame, n: int, mask: np.ndarray | None = None) -> np.ndarray:
    unit = long["unit"].to_numpy()
    area = long["area_m2"].to_numpy()
    if mask is not None:
        unit, area = unit[mask], area[mask]
    return np.bincount(unit, weights=area, minlength=n)[:n]


def township_table(long: pd.DataFrame, townships: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Areas (m², 亩, ha) by 三大类 and 三生 per township, construction share and entropy."""
    n = len(townships)
    keep = [c for c in ("name", "code") if c in townships.columns]
    out = gpd.GeoDataFrame(
        townships[keep].reset_index(drop=True),
        geometry=townships.geometry.values,
        crs=townships.crs,
    )
    area = shapely.area(np.asarray(townships.geometry.values))
    out["area_m2"] = area
    out["area_mu"] = area / M2_PER_MU
    out["area_ha"] = area / M2_PER_HA
    classified = _by_unit(long, n, long["sansheng"].notna().to_numpy())
    out["landuse_m2"] = _by_unit(long, n)
    sanlei = long["sanlei"].astype("string").to_numpy()
    for zh, col in SANLEI_COLUMNS.items():
        a = _by_unit(long, n, sanlei == zh)
        if col == "sea" and not a.any():
            continue
        out[f"{col}_mu"] = a / M2_PER_MU
        out[f"{col}_ha"] = a / M2_PER_HA
    func = long["sansheng"].astype("string").to_numpy()
    fa = np.column_stack([_by_unit(long, n, func == f) for f in FUNCTIONS])
    for k, f in enumerate(FUNCTIONS):
        out[f"{f}_mu"] = fa[:, k] / M2_PER_MU
        out[f"{f}_ha"] = fa[:, k] / M2_PER_HA
    cons = _by_unit(long, n, sanlei == CONSTRUCTION)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["construction_share"] = np.where(classified > 0, cons / classified, np.nan)
        tot = fa.sum(axis=1, keepdims=True)
        p = np.where(tot > 0, fa / tot, 0.0)
        h = -np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0).sum(axis=1)
    out["entropy"] = np.where(tot[:, 0] > 0, h / math.log(3), np.nan)
    rec = long["recorded_m2"].to_numpy(dtype="float64")
    if np.isfinite(rec).any() and np.nansum(rec) > 0:
        unit = long["unit"].to_numpy()
        ok = np.isfinite(rec)
        out["recorded_mu"] = np.bincount(unit[ok], weights=rec[ok], minlength=n)[:n] / M2_PER_MU
    return out


def zoning_check(
    areas_for: AreasFor,
    town_geoms: np.ndarray,
    town_long: pd.DataFrame,
    zoning: gpd.GeoDataFrame,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Per township: construction outside the UGB, cultivated land in basic farmland, construction
    in the eco red line; and the county's UGB expansion multiple."""
    if "zone_type" not in zoning.columns:
        raise InputError(
            "The zoning layer has no zone_type field; read it with role='zoning' so 城镇开发边界 / "
            "永久基本农田 / 生态保护红线 are recognised (values ugb, basic_farmland, eco_redline)."
        )
    types = zoning["zone_type"].astype("string")
    bad = sorted(set(types.dropna()) - set(ZONE_TYPES))
    if bad:
        logger.warning("zoning: zone types %s are not checked (known: %s)", bad, ZONE_TYPES)
    n = len(town_geoms)
    sanlei = town_long["sanlei"].astype("string").to_numpy()
    cons_town = _by_unit(town_long, n, sanlei == CONSTRUCTION)
    table = pd.DataFrame(index=range(n))
    summary: dict[str, Any] = {"zoning_types": []}
    for t in ZONE_TYPES:
        polys = np.asarray(zoning.geometry.values[(types == t).fillna(False).to_numpy()])
        if len(polys) == 0:
            continue
        summary["zoning_types"].append(t)
        zone = shapely.union_all(polys)
        pieces, town_of = _pieces_in(town_geoms, zone)
        long = areas_for(pieces)
        long["unit"] = town_of[long["unit"].to_numpy()]
        sl = long["sanlei"].astype("string").to_numpy()
        cons_in = _by_unit(long, n, sl == CONSTRUCTION)
        zone_area = np.bincount(town_of, weights=shapely.area(pieces), minlength=n)[:n]
        if t == "ugb":
            table["ugb_mu"] = zone_area / M2_PER_MU
            table["construction_outside_ugb_mu"] = np.maximum(cons_town - cons_in, 0) / M2_PER_MU
            # the UGB's parcels are those of its pieces in the townships when the townships
            # cover it (no need to intersect every parcel with the whole UGB again)
            covered = abs(zone_area.sum() - shapely.area(zone)) <= 1e-9 * shapely.area(zone)
            summary.update(_ugb_multiple(areas_for, zone, long if covered else None))
        elif t == "basic_farmland":
            cult = long["cultivated"].astype("boolean").fillna(False).to_numpy(dtype=bool)
            cult_in = _by_unit(long, n, cult)
            classified_in = _by_unit(long, n, long["sanlei"].notna().to_numpy())
            table["basic_farmland_mu"] = zone_area / M2_PER_MU
            table["cultivated_in_farmland_mu"] = cult_in / M2_PER_MU
            table["non_cultivated_in_farmland_mu"] = (
                np.maximum(classified_in - cult_in, 0) / M2_PER_MU
            )
        else:
            table["eco_redline_mu"] = zone_area / M2_PER_MU
            table["construction_in_redline_mu"] = cons_in / M2_PER_MU
    for col in table.columns:
        summary[f"total_{col}"] = float(table[col].sum())
    return table, summary


def _pieces_in(town_geoms: np.ndarray, zone: shapely.Geometry) -> tuple[np.ndarray, np.ndarray]:
    """The zone inside each township as pieces, and each piece's township position.

    Both sides are cut into pieces of a few hundred vertices first (:func:`subdivide`) and only
    pairs whose boxes meet are intersected: a township intersected with the county's whole UGB
    or farmland union took as long as that union is large, 376 times over.
    """
    towns, town_of = subdivide(town_geoms)
    zones, _ = subdivide(np.array([zone], dtype=object))
    ti, zi = shapely.STRtree(zones).query(towns)
    if len(ti) == 0:  # one empty piece in the first township: every area is 0
        return np.array([shapely.Polygon()], dtype=object), np.zeros(1, dtype=np.int64)
    pieces = polygonal(shapely.intersection(towns[ti], zones[zi]))
    keep = shapely.area(pieces) > 0
    return pieces[keep], town_of[ti[keep]]


def _ugb_multiple(
    areas_for: AreasFor, ugb: shapely.Geometry, inside: pd.DataFrame | None = None
) -> dict[str, Any]:
    """扩展倍数 = UGB area / existing urban construction land inside it (class areas of the
    land inside the UGB: ``inside`` when given, e.g. summed over its pieces in the townships)."""
    long = areas_for(np.array([ugb], dtype=object)) if inside is None else inside
    long = long.assign(unit=0)
    sl = long["sanlei"].astype("string").to_numpy()
    cons = sl == CONSTRUCTION
    urban = long["urban"].astype("boolean")
    if urban.notna().any():
        mask = cons & urban.fillna(False).to_numpy(dtype=bool)
        basis = "construction land with CZCSXM 201/202 inside the UGB"
    else:
        mask = cons
        basis = "all construction land inside the UGB (no CZCSXM to tell urban land)"
    existing = float(_by_unit(long, 1, mask)[0])
    ugb_area = float(shapely.area(ugb))
    multiple = ugb_area / existing if existing > 0 else None
    return {
        "ugb_area_ha": ugb_area / M2_PER_HA,
        "ugb_existing_urban_ha": existing / M2_PER_HA,
        "ugb_expansion_multiple": multiple,
        "ugb_basis": basis,
    }
