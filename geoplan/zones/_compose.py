"""Class areas per unit (vector or raster land use) as one long table."""

from __future__ import annotations

import logging
import os
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.landuse import SANSHENG_SUBS, Scheme, load_scheme
from geoplan.zones._raster import raster_class_areas
from geoplan.zones._vector import pair_areas

logger = logging.getLogger(__name__)

ATTRS = ("code", "sanlei", "sansheng", "sansheng_sub", "cultivated", "urban")
SANLEI_COLUMNS = {
    "农用地": "agricultural_land",
    "建设用地": "construction_land",
    "未利用地": "unused_land",
    "海域": "sea",
}
SUB_COLUMNS = tuple(f"{s}_{sub}" for s, subs in SANSHENG_SUBS.items() for sub in subs)
UNCLASSIFIED = "unclassified"


def urban_flag(lu: pd.DataFrame) -> pd.Series:
    """CZCSXM 201/202 (city, town; ``A`` suffix included): urban construction land. NA if absent."""
    col = next((c for c in lu.columns if str(c).upper() == "CZCSXM"), None)
    if col is None or lu[col].isna().all():
        return pd.Series(pd.NA, index=lu.index, dtype="boolean")
    cz = lu[col].astype("string").str.strip().str[:3]
    return cz.isin(["201", "202"]).fillna(False).astype("boolean")


def vector_class_areas(lu: gpd.GeoDataFrame, units: np.ndarray) -> pd.DataFrame:
    """Long table ``unit, code, sanlei, sansheng, sansheng_sub, cultivated, urban, area_m2,
    recorded_m2`` for classified parcels ``lu`` (already in the units' CRS).

    A parcel with a deducted 田坎 area splits each of its unit intersections between its class
    and the 田坎 class in the ratio TBDLMJ : KCMJ (``kc_share``). ``recorded_m2`` apportions the
    recorded class area (TBDLMJ / KCMJ) by the planar share of the parcel inside the unit.
    """
    geoms = np.asarray(lu.geometry.values)
    parcel_area = lu["area_m2"].to_numpy(dtype="float64")
    ui, pi, a = pair_areas(units, geoms, parcel_area)
    n = len(lu)
    urban = urban_flag(lu)
    # a piece's classes follow from (code, sub-class, urban): factorize those, main then 田坎 part
    cols = {
        "code": ("code", "kc_code"),
        "sanlei": ("sanlei", "kc_sanlei"),
        "sansheng": ("sansheng", "kc_sansheng"),
        "sansheng_sub": ("sansheng_sub", "kc_sansheng_sub"),
    }
    both = {name: pd.concat([lu[a], lu[b]], ignore_index=True) for name, (a, b) in cols.items()}
    both["cultivated"] = pd.concat(
        [lu["cultivated"].astype("boolean"), pd.Series(np.zeros(n, dtype=bool), dtype="boolean")],
        ignore_index=True,
    )
    both["urban"] = pd.concat([urban, urban], ignore_index=True)
    key = _combo_key(pd.DataFrame({c: both[c] for c in ("code", "sansheng_sub", "urban")}))
    kmain, kkc = key[:n], key[n:]
    kc_share = lu["kc_share"].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore", divide="ignore"):
        frac_in = np.where(parcel_area[pi] > 0, a / parcel_area[pi], 0.0)
    cls_rec = lu["class_area_m2"].to_numpy(dtype="float64")
    kc_rec = lu["kc_area_m2"].to_numpy(dtype="float64")
    s = kc_share[pi]
    has_kc = s > 0
    unit = np.concatenate([ui, ui[has_kc]])
    k = np.concatenate([kmain[pi], kkc[pi[has_kc]]])
    area = np.concatenate([a * (1 - s), (a * s)[has_kc]])
    rec = np.concatenate([cls_rec[pi] * frac_in, (kc_rec[pi] * frac_in)[has_kc]])
    nk = int(key.max()) + 1 if len(key) else 1
    combo = unit.astype("int64") * nk + k
    uniq, inv = np.unique(combo, return_inverse=True)
    _, first = np.unique(key, return_index=True)  # row of the first piece of each key
    rows = first[uniq % nk]
    res = pd.DataFrame({"unit": uniq // nk})
    for c in ATTRS:
        res[c] = both[c].take(rows).reset_index(drop=True)
    res["area_m2"] = np.bincount(inv, weights=area, minlength=len(uniq))
    res["recorded_m2"] = np.bincount(inv, weights=rec, minlength=len(uniq))
    return res


def _combo_key(frame: pd.DataFrame) -> np.ndarray:
    """Dense integer id of each row's combination of values (NA is a value of its own)."""
    combined = np.zeros(len(frame), dtype="int64")
    for col in frame.columns:
        codes, uniq = pd.factorize(frame[col], use_na_sentinel=True)
        combined = combined * (len(uniq) + 1) + (codes + 1)
    key, _ = pd.factorize(combined)
    return np.asarray(key, dtype="int64")


def raster_long(
    path: str | os.PathLike[str],
    units: np.ndarray,
    crs: Any,
    scheme: str | Scheme,
    mapping: Any,
    unknown: str,
) -> tuple[pd.DataFrame, Scheme]:
    """Long table like :func:`vector_class_areas` for a land-cover raster."""
    sch_in: str | Scheme = scheme
    if mapping and not (isinstance(scheme, str) and scheme == "auto"):
        sch_in = load_scheme(scheme, mapping=mapping)
    long, sch = raster_class_areas(path, units, crs, scheme=sch_in, unknown=unknown)
    if mapping and isinstance(scheme, str) and scheme == "auto":
        sch = sch.with_mapping(mapping)
    lut = sch.table.reindex(long["code"].to_numpy())
    for col in ("sanlei", "sansheng", "sansheng_sub"):
        long[col] = pd.array(lut[col].to_numpy(), dtype="string")
    long["cultivated"] = pd.array(lut["cultivated"].to_numpy(), dtype="boolean")
    long["urban"] = pd.array([pd.NA] * len(long), dtype="boolean")
    long["recorded_m2"] = np.nan
    return long[["unit", *ATTRS, "area_m2", "recorded_m2"]], sch


def wide_shares(
    long: pd.DataFrame, unit_area: np.ndarray, by: str
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Shares of each class in each unit (of the unit's area), one column per class."""
    n = len(unit_area)
    if by == "sansheng":
        cols: dict[str, np.ndarray] = {}
        keys = long["sansheng"].astype("string").fillna(UNCLASSIFIED)
        classes: tuple[str, ...] = ("production", "living", "ecological")
        cols.update(_pivot(long, keys, n, classes))
        sub = long["sansheng"].astype("string") + "_" + long["sansheng_sub"].astype("string")
        cols.update(_pivot(long, sub.fillna(UNCLASSIFIED), n, SUB_COLUMNS))
    elif by == "sanlei":
        keys = long["sanlei"].astype("string").map(SANLEI_COLUMNS).fillna(UNCLASSIFIED)
        present = [c for c in SANLEI_COLUMNS.values() if c != "sea" or (keys == "sea").any()]
        classes = tuple(present)
        cols = _pivot(long, keys, n, classes)
    elif by == "sansheng_sub":
        keys = long["sansheng"].astype("string") + "_" + long["sansheng_sub"].astype("string")
        classes = SUB_COLUMNS
        cols = _pivot(long, keys.fillna(UNCLASSIFIED), n, classes)
    else:  # code
        keys = ("code_" + long["code"].astype("string")).fillna(UNCLASSIFIED)
        classes = tuple(sorted(k for k in keys.unique() if k != UNCLASSIFIED))
        cols = _pivot(long, keys, n, classes)
    unclassified = np.bincount(
        long["unit"].to_numpy()[(keys == UNCLASSIFIED).to_numpy()],
        weights=long["area_m2"].to_numpy()[(keys == UNCLASSIFIED).to_numpy()],
        minlength=n,
    )
    frame = pd.DataFrame(cols)
    with np.errstate(invalid="ignore", divide="ignore"):
        frame = frame.div(np.where(unit_area > 0, unit_area, np.nan), axis=0).fillna(0.0)
        if unclassified.any():
            frame[UNCLASSIFIED] = np.where(unit_area > 0, unclassified / unit_area, 0.0)
    return frame, classes


def _pivot(
    long: pd.DataFrame, keys: pd.Series, n: int, classes: tuple[str, ...]
) -> dict[str, np.ndarray]:
    unit = long["unit"].to_numpy()
    area = long["area_m2"].to_numpy()
    k = keys.to_numpy()
    return {c: np.bincount(unit[k == c], weights=area[k == c], minlength=n) for c in classes}
