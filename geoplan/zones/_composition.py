"""``landuse_composition``: the area share of each land-use class in each unit."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import InputError
from geoplan.io import is_raster_source
from geoplan.landuse import ADDED_COLUMNS, Scheme, classify_landuse
from geoplan.zones._compose import raster_long, vector_class_areas, wide_shares
from geoplan.zones._result import CompositionResult
from geoplan.zones._units import LandUse, check_polygons, resolve_units

__all__ = ["By", "landuse_composition"]

logger = logging.getLogger(__name__)

By = Literal["sansheng", "sanlei", "sansheng_sub", "code"]


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
    >>> from geoplan.zones import make_grid
    >>> lu = gpd.GeoDataFrame({"DLBM": ["0101", "0301"]},
    ...     geometry=[shapely.box(0, 0, 600, 1000), shapely.box(600, 0, 1000, 1000)], crs=4547)
    >>> cells = make_grid(lu, 500, clip=False)
    >>> comp = landuse_composition(lu, cells)
    >>> comp.units[["cell_id", "production", "ecological"]].round(2).values.tolist()
    [[0.0, 1.0, 0.0], [1.0, 0.2, 0.8], [2.0, 1.0, 0.0], [3.0, 0.2, 0.8]]
    """
    if by not in ("sansheng", "sanlei", "sansheng_sub", "code"):
        raise InputError(f"by={by!r}; use 'sansheng', 'sanlei', 'sansheng_sub' or 'code'.")
    raster = is_raster_source(landuse)
    if not raster:
        if not isinstance(landuse, gpd.GeoDataFrame):
            raise InputError(
                f"landuse must be a GeoDataFrame of parcels or the path of a GeoTIFF; got "
                f"{type(landuse).__name__}."
            )
        check_polygons(landuse, "land-use layer")
    # 1. the units, 2. class areas per unit (raster: coverage fractions; vector: exact pieces)
    units_gdf = resolve_units(landuse, units, boundary)
    geoms = np.asarray(units_gdf.geometry.values)
    classified: gpd.GeoDataFrame | None = None
    if raster:
        long, sch = raster_long(landuse, geoms, units_gdf.crs, scheme, mapping, unknown)  # type: ignore[arg-type]
    else:
        classified = _classified(landuse, units_gdf.crs, scheme, mapping, unknown)
        long = vector_class_areas(classified, geoms)
        sch = classified.attrs.get("landuse_report", {}).get("scheme", "custom")
    # 3. shares per unit, 4. the summary
    out, classes, covered = _shares_table(units_gdf, long, by)
    long = long.assign(unit_id=units_gdf["unit_id"].to_numpy()[long["unit"].to_numpy()])
    summary = _summary(by, raster, sch, out["area_m2"].to_numpy(), covered, classified)
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
        raster=str(landuse) if raster else None,
        scheme=sch if isinstance(sch, Scheme) else None,
    )


def _shares_table(
    units_gdf: gpd.GeoDataFrame, long: pd.DataFrame, by: str
) -> tuple[gpd.GeoDataFrame, tuple[str, ...], np.ndarray]:
    """The units with their area, covered area, one share column per class and ``nodata``;
    the class names; the covered area per unit (m²)."""
    unit_area = shapely.area(np.asarray(units_gdf.geometry.values))
    shares, classes = wide_shares(long, unit_area, by)
    covered = np.bincount(
        long["unit"].to_numpy(), weights=long["area_m2"].to_numpy(), minlength=len(unit_area)
    )
    out = units_gdf.reset_index(drop=True).copy()
    out["area_m2"] = unit_area
    out["landuse_m2"] = covered
    for col in shares.columns:
        out[col] = shares[col].to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["nodata"] = np.clip(np.where(unit_area > 0, 1 - covered / unit_area, 0.0), 0, 1)
    return out, classes, covered


def _summary(
    by: str,
    raster: bool,
    scheme: Any,
    unit_area: np.ndarray,
    covered: np.ndarray,
    classified: gpd.GeoDataFrame | None,
) -> dict[str, Any]:
    summary: dict[str, Any] = {
        "by": by,
        "source": "raster" if raster else "vector",
        "scheme": scheme.name if isinstance(scheme, Scheme) else str(scheme),
        "units": len(unit_area),
        "units_area_ha": float(unit_area.sum() / 1e4),
        "landuse_in_units_ha": float(covered.sum() / 1e4),
        "overlap_units": int((covered > unit_area * (1 + 1e-9) + 1e-6).sum()),
    }
    if classified is not None:
        total = float(classified["area_m2"].sum())
        summary["landuse_area_ha"] = total / 1e4
        summary["landuse_outside_units_ha"] = max(total - float(covered.sum()), 0.0) / 1e4
        report = classified.attrs.get("landuse_report", {})
        summary["unknown_codes"] = len(report.get("unknown_codes", {}))
        summary["kc_area_ha"] = float(report.get("kc_area_m2", 0.0)) / 1e4
    if summary["overlap_units"]:
        logger.warning(
            "land use covers more than the unit's area in %d units: parcels overlap each other "
            "there (duplicate or overlapping polygons in the land-use layer?), so their shares "
            "sum to more than 1 (summary['overlap_units'])",
            summary["overlap_units"],
        )
    return summary


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
