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
import os
from collections.abc import Mapping
from typing import Any, Literal, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.crs import ensure_projected, to_metric
from geoplan.errors import CRSError, GeometryTypeError, InputError
from geoplan.landuse import ADDED_COLUMNS, Scheme, classify_landuse
from geoplan.landuse import eco_weights as default_eco_weights
from geoplan.zones._check import township_table, zoning_check
from geoplan.zones._compose import raster_long, vector_class_areas, wide_shares
from geoplan.zones._raster import is_raster_path, raster_bounds
from geoplan.zones._regions import (
    contiguous_zones,
    dissolve_zones,
    dominance,
    eco_index,
    regionalise,
)
from geoplan.zones._result import CompositionResult, ZonesResult
from geoplan.zones._vector import h3_cells, make_grid_cells, union_geometry

__all__ = [
    "CompositionResult",
    "ZonesResult",
    "functional_zones",
    "h3_units",
    "landuse_composition",
    "make_grid",
]

logger = logging.getLogger(__name__)

By = Literal["sansheng", "sanlei", "sansheng_sub", "code"]
LandUse: TypeAlias = gpd.GeoDataFrame | str | os.PathLike[str]


def make_grid(
    area: gpd.GeoDataFrame | gpd.GeoSeries, cell: float = 500.0, *, clip: bool = True
) -> gpd.GeoDataFrame:
    """Square cells of ``cell`` metres anchored at the lower-left corner of ``area``'s bounds.

    Parameters
    ----------
    area
        The county boundary (cells are clipped to it, so cells on the edge keep only their part
        inside, islands included); or, with ``clip=False``, any layer whose bounds the grid
        covers (e.g. the land-use layer when there is no boundary).
    cell
        Cell side in metres (the CRS must be projected).
    clip
        Clip to the union of ``area``'s polygons and drop cells outside it.

    Returns
    -------
    geopandas.GeoDataFrame
        ``cell_id`` (row × number of columns + column, counted from the lower-left cell),
        ``row``, ``col``, ``area_m2`` and the (clipped) cell polygons.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> b = gpd.GeoSeries([shapely.box(0, 0, 1000, 600)], crs=4547)
    >>> g = make_grid(b, 500)
    >>> len(g), sorted(g["area_m2"].round().tolist())
    (4, [50000.0, 50000.0, 250000.0, 250000.0])
    """
    ensure_projected(area, name="grid area")
    if cell is None or not float(cell) > 0:
        raise InputError(f"Grid cell size must be a positive number of metres; got {cell!r}.")
    boundary = union_geometry(area) if clip else None
    bounds = tuple(float(v) for v in area.total_bounds)
    geoms, rows, cols = make_grid_cells(boundary, float(cell), bounds=bounds)  # type: ignore[arg-type]
    ncol = int(np.ceil((bounds[2] - bounds[0]) / float(cell) - 1e-9)) or 1
    return gpd.GeoDataFrame(
        {"cell_id": rows * ncol + cols, "row": rows, "col": cols, "area_m2": shapely.area(geoms)},
        geometry=geoms,
        crs=area.crs,
    )


def h3_units(boundary: gpd.GeoDataFrame | gpd.GeoSeries, resolution: int) -> gpd.GeoDataFrame:
    """H3 hexagons at ``resolution`` covering the boundary, in its metric CRS, clipped to it.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> b = gpd.GeoSeries([shapely.box(500000, 3800000, 505000, 3805000)], crs=4547)
    >>> h = h3_units(b, 7)
    >>> bool(abs(h["area_m2"].sum() - 25e6) < 1.0), int(h["cell_id"].str.len().max())
    (True, 15)
    """
    ensure_projected(boundary, name="boundary")
    geoms, ids = h3_cells(union_geometry(boundary), boundary.crs, resolution)
    return gpd.GeoDataFrame(
        {"cell_id": pd.array(ids, dtype="string"), "area_m2": shapely.area(geoms)},
        geometry=geoms,
        crs=boundary.crs,
    )


def landuse_composition(
    landuse: LandUse,
    units: gpd.GeoDataFrame | float,
    *,
    by: By = "sansheng",
    scheme: str | os.PathLike[str] | Scheme = "auto",
    mapping: Mapping[str, Any] | str | os.PathLike[str] | None = None,
    unknown: Literal["raise", "keep"] = "raise",
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
) -> CompositionResult:
    """The area share of each land-use class in each unit.

    Parameters
    ----------
    landuse
        Parcels (三调 DLBM / 用地用海 YDYHFLDM, GHDLBM …; classified or not) or the path of a
        land-cover GeoTIFF (WorldCover, CLCD).
    units
        Polygons to measure in (grid cells, H3 cells, townships, villages …), or a number: the
        cell size of a square grid anchored at ``boundary`` (else at the land-use bounds).
    by
        ``"sansheng"`` (production/living/ecological, plus the sub-class shares
        ``production_agricultural`` …), ``"sanlei"`` (agricultural_land, construction_land,
        unused_land), ``"sansheng_sub"`` or ``"code"``.
    scheme, mapping, unknown
        As for :func:`geoplan.classify_landuse` (for a raster: ``"auto"`` tells WorldCover from
        CLCD by the values present).
    boundary
        County boundary: the grid's anchor and clip when ``units`` is a number.

    Returns
    -------
    CompositionResult
        ``units`` with ``unit_id``, ``area_m2`` (unit area), ``landuse_m2`` (area covered by
        land use), one share column per class (0–1 of the unit's area) and ``nodata`` (the part
        of the unit without land use); ``areas`` the long table of class areas per unit.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> lu = gpd.GeoDataFrame({"DLBM": ["0101", "0301"]},
    ...     geometry=[shapely.box(0, 0, 600, 1000), shapely.box(600, 0, 1000, 1000)], crs=4547)
    >>> cells = make_grid(lu, 500, clip=False)
    >>> comp = landuse_composition(lu, cells)
    >>> comp.units[["cell_id", "production", "ecological"]].round(2).values.tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.2, 0.8], [2.0, 1.0, 0.0], [3.0, 0.2, 0.8]]
    """
    if by not in ("sansheng", "sanlei", "sansheng_sub", "code"):
        raise InputError(f"by={by!r}; use 'sansheng', 'sanlei', 'sansheng_sub' or 'code'.")
    raster = is_raster_path(landuse)
    classified: gpd.GeoDataFrame | None = None
    if not raster:
        if not isinstance(landuse, gpd.GeoDataFrame):
            raise InputError(
                f"landuse must be a GeoDataFrame of parcels or the path of a GeoTIFF; got "
                f"{type(landuse).__name__}."
            )
        _check_polygons(landuse, "land-use layer")
    units_gdf = _units(landuse, units, boundary)
    crs = units_gdf.crs
    geoms = np.asarray(units_gdf.geometry.values)
    unit_area = shapely.area(geoms)
    if raster:
        long, sch = raster_long(landuse, geoms, crs, scheme, mapping, unknown)  # type: ignore[arg-type]
        source = str(landuse)
    else:
        classified = _classified(landuse, crs, scheme, mapping, unknown)
        long = vector_class_areas(classified, geoms)
        sch = classified.attrs.get("landuse_report", {}).get("scheme", "custom")
        source = "vector"
    ids = units_gdf["unit_id"].to_numpy()
    shares, classes = wide_shares(long, unit_area, by)
    covered = np.bincount(
        long["unit"].to_numpy(), weights=long["area_m2"].to_numpy(), minlength=len(geoms)
    )
    out = units_gdf.reset_index(drop=True).copy()
    out["area_m2"] = unit_area
    out["landuse_m2"] = covered
    for col in shares.columns:
        out[col] = shares[col].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["nodata"] = np.clip(np.where(unit_area > 0, 1 - covered / unit_area, 0.0), 0, 1)
    long = long.assign(unit_id=ids[long["unit"].to_numpy()])
    summary: dict[str, Any] = {
        "by": by,
        "source": "raster" if raster else "vector",
        "scheme": sch.name if isinstance(sch, Scheme) else str(sch),
        "units": len(out),
        "units_area_ha": float(unit_area.sum() / 1e4),
        "landuse_in_units_ha": float(covered.sum() / 1e4),
        "overlap_units": int((covered > unit_area * (1 + 1e-9) + 1e-6).sum()),
    }
    if classified is not None:
        total = float(classified["area_m2"].sum())
        summary["landuse_area_ha"] = total / 1e4
        summary["landuse_outside_units_ha"] = max(total - float(covered.sum()), 0.0) / 1e4
        rep = classified.attrs.get("landuse_report", {})
        summary["unknown_codes"] = len(rep.get("unknown_codes", {}))
        summary["kc_area_ha"] = float(rep.get("kc_area_m2", 0.0)) / 1e4
    if summary["overlap_units"]:
        logger.warning(
            "land use covers more than the unit's area in %d units: parcels overlap each other "
            "there (duplicate or overlapping polygons in the land-use layer?), so their shares "
            "sum to more than 1 (summary['overlap_units'])",
            summary["overlap_units"],
        )
    logger.info(
        "composition: %d units, %.1f ha of land use inside, by %s",
        len(out),
        covered.sum() / 1e4,
        by,
    )
    return CompositionResult(
        units=out,
        areas=long,
        by=by,
        classes=classes,
        summary=summary,
        landuse=classified,
        raster=source if raster else None,
        scheme=sch if isinstance(sch, Scheme) else None,
    )


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
    geoms = np.asarray(cells.geometry.values)
    zone_id, zone_label, zstats = contiguous_zones(
        geoms, mix.astype(object), cells["area_m2"].to_numpy(), float(min_zone_area)
    )
    cells["zone_id"] = zone_id
    cells["zone_label"] = pd.array(zone_label, dtype="string")
    if regions is not None:
        cells["region"] = regionalise(cells, regions)
    zones = dissolve_zones(cells)

    town_table = None
    check: dict[str, Any] = {}
    if townships is not None or zoning is not None:
        town_table, check = _townships(composition, cells, townships, zoning)
    summary = _summary(cells, zones, zstats, composition, single_share, min_zone_area)
    summary.update(check)
    if regions is not None:
        summary["regions"] = int(cells["region"].nunique())
    return ZonesResult(cells=cells, zones=zones, townships=town_table, summary=summary)


# --------------------------------------------------------------------------- helpers


def _check_polygons(gdf: gpd.GeoDataFrame, name: str) -> None:
    if len(gdf) == 0:
        raise InputError(f"The {name} is empty.")
    ids = set(np.unique(shapely.get_type_id(np.asarray(gdf.geometry.values))).tolist())
    kinds = {shapely.GeometryType(i).name.title() for i in ids - {-1}}
    if not ids - {-1} <= {3, 6}:
        raise GeometryTypeError(
            f"The {name} must hold polygons; it has {', '.join(sorted(kinds))}. Use a polygon "
            "layer (or buffer points/lines first)."
        )
    if gdf.crs is None:
        raise CRSError(f"The {name} has no CRS; set it with .set_crs(...).")


def _units(landuse: LandUse, units: gpd.GeoDataFrame | float, boundary: Any) -> gpd.GeoDataFrame:
    if isinstance(units, gpd.GeoDataFrame):
        _check_polygons(units, "units layer")
        out = to_metric(units, name="units layer")
    elif isinstance(units, (int, float)) and not isinstance(units, bool):
        if boundary is not None:
            out = make_grid(to_metric(boundary, name="boundary"), float(units))
        elif is_raster_path(landuse):
            box = gpd.GeoSeries([raster_bounds(landuse, None)], crs=_raster_metric_crs(landuse))
            out = make_grid(box, float(units), clip=False)
        else:
            out = make_grid(to_metric(landuse, name="land-use layer"), float(units), clip=False)
    else:
        raise InputError(
            f"units must be a polygon GeoDataFrame or a grid cell size in metres; got "
            f"{type(units).__name__}."
        )
    out = out.copy()
    if "unit_id" not in out.columns:
        out.insert(
            0, "unit_id", out["cell_id"].to_numpy() if "cell_id" in out else np.arange(len(out))
        )
    return out


def _raster_metric_crs(path: str | os.PathLike[str]) -> Any:
    import rasterio

    from geoplan.crs import metric_crs_for

    with rasterio.open(path) as ds:
        rcrs = ds.crs
        b = ds.bounds
    if rcrs is None:
        raise CRSError(f"Land-cover raster {path} has no CRS.")
    if rcrs.is_projected:
        return rcrs.to_wkt()
    ll = gpd.GeoSeries([shapely.box(b.left, b.bottom, b.right, b.top)], crs=rcrs.to_wkt())
    x0, y0, x1, y1 = ll.to_crs(4326).total_bounds
    return metric_crs_for((x0 + x1) / 2, (y0 + y1) / 2)


def _classified(
    landuse: gpd.GeoDataFrame, crs: Any, scheme: Any, mapping: Any, unknown: str
) -> gpd.GeoDataFrame:
    lu = landuse
    if lu.crs is not None and not lu.crs.equals(crs):
        logger.info("land use: reprojecting from %s to the units' %s", lu.crs.name, crs.name)
        lu = lu.to_crs(crs)
    done = set(ADDED_COLUMNS) <= set(lu.columns) and "landuse_report" in lu.attrs
    if (
        done
        and mapping is None
        and (scheme == "auto" or lu.attrs["landuse_report"].get("scheme") == scheme)
    ):
        lu = lu.copy()
        lu["area_m2"] = lu.geometry.area
        return lu
    return classify_landuse(lu, scheme=scheme, mapping=mapping, unknown=unknown)  # type: ignore[arg-type]


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
    cells: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame | None,
    zoning: gpd.GeoDataFrame | None,
) -> tuple[gpd.GeoDataFrame, dict[str, Any]]:
    crs = cells.crs
    if townships is None:
        geom = shapely.union_all(np.asarray(cells.geometry.values))
        towns = gpd.GeoDataFrame({"name": ["(all units)"]}, geometry=[geom], crs=crs)
    else:
        _check_polygons(townships, "townships layer")
        towns = townships.to_crs(crs) if not townships.crs.equals(crs) else townships
    run = _areas_for(composition, crs)
    tgeoms = np.asarray(towns.geometry.values)
    long = run(tgeoms)
    table = township_table(long, towns)
    summary: dict[str, Any] = {}
    if zoning is not None:
        _check_polygons(zoning, "zoning layer")
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
