"""Functional zones: 三生 composition per unit, dominant function, mix, contiguous zones.

Planners zone a county by the dominant function of its land: production (agricultural,
industrial), living (urban, rural) or ecological (三生空间). :func:`landuse_composition` measures
the area share of each class in each unit (a grid clipped to the county, H3 hexagons, townships,
villages or any polygons) from 三调 / 用地用海 parcels or a land-cover raster;
:func:`functional_zones` labels each unit, measures its mix, dissolves neighbours of one label into
zones, adds the township table and the zoning check.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan._threads import concurrently
from geoplan.errors import InputError
from geoplan.landuse import eco_weights as default_eco_weights
from geoplan.zones._check import township_table, zoning_check
from geoplan.zones._compose import raster_long, vector_class_areas
from geoplan.zones._regions import (
    contiguous_zones,
    dissolve_zones,
    dominance,
    eco_index,
    regionalise,
)
from geoplan.zones._result import CompositionResult, ZonesResult
from geoplan.zones._units import check_polygons

__all__ = ["functional_zones"]

logger = logging.getLogger(__name__)


def functional_zones(
    composition: CompositionResult,
    *,
    single_share: float = 0.5,
    min_zone_area: float = 1_000_000.0,
    eco_weights: Mapping[str, float] | None = None,
    regions: int | None = None,
    townships: gpd.GeoDataFrame | None = None,
    zoning: gpd.GeoDataFrame | None = None,
) -> ZonesResult:
    """Dominant function, mix, entropy and eco index per unit; contiguous zones; township table.

    Parameters
    ----------
    composition
        A :func:`landuse_composition` result made ``by="sansheng"``.
    single_share
        A unit whose top function reaches this share of its classified area is single-function
        (``dominant`` = that function), otherwise ``mixed``.
    min_zone_area
        Zones (adjacent units with one label) smaller than this many m² are merged into the
        neighbour with the longest shared border, repeatedly (default 1 km²; 0 = no merging).
    eco_weights
        Weight per sub-class for the eco index (default ``geoplan/landuse/eco_weights.csv``).
    regions
        Also cluster the units into this many spatially contiguous regions (spopt SKATER on
        queen contiguity; needs ``pip install geoplan[regions]``); adds ``region``. Parts of
        the county not connected to the rest (islands) become regions of their own.
    townships
        Township polygons: adds the township table (areas in 亩 and ha by 三大类 and 三生,
        construction-land share, entropy).
    zoning
        三区三线 control lines (``zone_type`` ugb / basic_farmland / eco_redline): adds the zoning
        check per township and the UGB expansion multiple.

    Returns
    -------
    ZonesResult
        ``cells``: the units with ``dominant``, ``mix_label``, ``entropy`` (Shannon entropy of
        the three shares / ln 3), ``eco_index``, ``zone_id``, ``zone_label``; ``zones``: one
        polygon per zone; ``townships`` (or None); ``summary``.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> from geoplan.zones import landuse_composition
    >>> lu = gpd.GeoDataFrame({"DLBM": ["0101", "0702", "0101", "0301"]}, geometry=[
    ...     shapely.box(0, 0, 1000, 500), shapely.box(0, 500, 200, 1000),
    ...     shapely.box(200, 500, 350, 1000), shapely.box(350, 500, 1000, 1000)], crs=4547)
    >>> comp = landuse_composition(lu, 500.0)
    >>> z = functional_zones(comp, min_zone_area=0)
    >>> z.cells[["dominant", "mix_label"]].values.tolist()
    [['production', 'production'], ['production', 'production'], ['mixed', 'living+production'], ['ecological', 'ecological']]
    """
    if composition.by != "sansheng":
        raise InputError(
            f"functional_zones needs a composition made by='sansheng'; this one is by="
            f"{composition.by!r}. Run landuse_composition(..., by='sansheng')."
        )
    if not 0 < float(single_share) <= 1:
        raise InputError(f"single_share must be in (0, 1]; got {single_share!r}.")
    if not float(min_zone_area) >= 0:
        raise InputError(f"min_zone_area must be >= 0 m²; got {min_zone_area!r}.")
    weights = dict(default_eco_weights() if eco_weights is None else eco_weights)
    cells = composition.units.copy()
    dom, mix, ent = dominance(cells, float(single_share))
    cells["dominant"] = pd.array(dom, dtype="string")
    cells["mix_label"] = pd.array(mix, dtype="string")
    cells["entropy"] = ent
    cells["eco_index"] = eco_index(cells, weights)
    geoms, crs = np.asarray(cells.geometry.values), cells.crs

    def zones_of_units() -> tuple[gpd.GeoDataFrame, dict[str, int]]:
        zone_id, zone_label, zstats = contiguous_zones(
            geoms, mix.astype(object), cells["area_m2"].to_numpy(), float(min_zone_area)
        )
        cells["zone_id"] = zone_id
        cells["zone_label"] = pd.array(zone_label, dtype="string")
        if regions is not None:
            cells["region"] = regionalise(cells, regions)
        return dissolve_zones(cells), zstats

    def township_tables() -> tuple[gpd.GeoDataFrame | None, dict[str, Any]]:
        if townships is None and zoning is None:
            return None, {}
        return _townships(composition, geoms, crs, townships, zoning)

    # the units' zones and the township tables share nothing (the tables read the land use and
    # the units' geometries only): side by side, GEOS releases the GIL (zones 23 s -> 21 s on
    # the scale-25 county; the zone types one after another, side by side they added ~350 MB
    # to the report's peak)
    (zones, zstats), (town_table, check) = concurrently(zones_of_units, township_tables)
    summary = _summary(cells, zones, zstats, composition, single_share, min_zone_area)
    summary.update(check)
    if regions is not None:
        summary["regions"] = int(cells["region"].nunique())
    return ZonesResult(cells=cells, zones=zones, townships=town_table, summary=summary)


# --------------------------------------------------------------------------- helpers


def _areas_for(composition: CompositionResult, crs: Any) -> Any:
    def run(geoms: np.ndarray) -> pd.DataFrame:
        if composition.landuse is not None:
            return vector_class_areas(composition.landuse, geoms)
        sch = composition.scheme if composition.scheme is not None else "auto"
        long, _ = raster_long(composition.raster, geoms, crs, sch, None, "keep")  # type: ignore[arg-type]
        return long

    return run


def _townships(
    composition: CompositionResult,
    unit_geoms: np.ndarray,
    crs: Any,
    townships: gpd.GeoDataFrame | None,
    zoning: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    if townships is None:
        geom = shapely.union_all(unit_geoms)
        towns = gpd.GeoDataFrame({"name": ["(all units)"]}, geometry=[geom], crs=crs)
    else:
        check_polygons(townships, "townships layer")
        towns = townships.to_crs(crs) if not townships.crs.equals(crs) else townships
    run = _areas_for(composition, crs)
    tgeoms = np.asarray(towns.geometry.values)
    long = run(tgeoms)
    table = township_table(long, towns)
    summary: dict[str, Any] = {}
    if zoning is not None:
        check_polygons(zoning, "zoning layer")
        z = zoning.to_crs(crs) if not zoning.crs.equals(crs) else zoning
        check, summary = zoning_check(run, tgeoms, long, z)
        for col in check.columns:
            table[col] = check[col].to_numpy()
    return table, summary


def _summary(
    cells: gpd.GeoDataFrame,
    zones: gpd.GeoDataFrame,
    zstats: dict[str, int],
    composition: CompositionResult,
    single_share: float,
    min_zone_area: float,
) -> dict[str, Any]:
    area = cells["area_m2"].to_numpy()
    out: dict[str, Any] = dict(composition.summary)
    out.update(
        {
            "single_share": float(single_share),
            "min_zone_area_m2": float(min_zone_area),
            "cells": len(cells),
            "zones": len(zones),
            "zones_merged": zstats["merged"],
            "small_isolated_zones": zstats["small_isolated"],
        }
    )
    for d in ("production", "living", "ecological", "mixed", "none"):
        out[f"cells_{d}"] = int((cells["dominant"] == d).sum())
    for f in ("production", "living", "ecological"):
        out[f"{f}_ha"] = float((cells[f] * area).sum() / 1e4)
    ok = np.isfinite(cells["eco_index"].to_numpy())
    w = area[ok]
    out["eco_index"] = (
        float((cells["eco_index"].to_numpy()[ok] * w).sum() / w.sum()) if w.sum() > 0 else None
    )
    ent = cells["entropy"].to_numpy()
    out["mean_entropy"] = float(np.nanmean(ent)) if np.isfinite(ent).any() else None
    return out
