"""The units a composition is measured in: a square grid, H3 hexagons, or any polygons."""

from __future__ import annotations

import os
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.crs import ensure_projected, to_metric
from geoplan.errors import CRSError, GeometryTypeError, InputError
from geoplan.io import is_raster_source
from geoplan.zones._raster import raster_bounds, raster_metric_crs
from geoplan.zones._vector import h3_cells, make_grid_cells, union_geometry

__all__ = ["LandUse", "check_polygons", "h3_units", "make_grid", "resolve_units"]

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


def check_polygons(gdf: gpd.GeoDataFrame, name: str) -> None:
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


def resolve_units(
    landuse: LandUse, units: gpd.GeoDataFrame | float, boundary: Any
) -> gpd.GeoDataFrame:
    if isinstance(units, gpd.GeoDataFrame):
        check_polygons(units, "units layer")
        out = to_metric(units, name="units layer")
    elif isinstance(units, (int, float)) and not isinstance(units, bool):
        if boundary is not None:
            out = make_grid(to_metric(boundary, name="boundary"), float(units))
        elif is_raster_source(landuse):
            box = gpd.GeoSeries([raster_bounds(landuse, None)], crs=raster_metric_crs(landuse))
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
