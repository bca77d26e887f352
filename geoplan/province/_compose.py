"""A province-wide land-use layer composed per county or grid cell with dask-geopandas.

10⁷ parcels do not fit one process comfortably. :func:`partition_landuse` reads the layer in
chunks with dask-geopandas (GeoParquet row groups, or feature ranges of a GeoPackage), sorts
it along a Hilbert curve into spatially compact partitions and writes them as a partitioned
GeoParquet dataset. :func:`compose_landuse` then runs the single-process
:func:`geoplan.landuse_composition` on each partition against only the units its extent meets,
on the Dask workers, and adds up the class areas per unit: a parcel lies in exactly one
partition, so the sums — and the shares — equal the single-process result to rounding.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.crs import to_metric
from geoplan.errors import InputError
from geoplan.province._cluster import require_dask_geopandas, require_distributed

__all__ = ["compose_landuse", "partition_landuse"]

logger = logging.getLogger(__name__)

UNIT = "_geoplan_unit"  # the row of each unit, carried through the partitions


def partition_landuse(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    npartitions: int,
    client: Any = None,
) -> Path:
    """Write a land-use layer as a Hilbert-sorted, spatially partitioned GeoParquet dataset.

    Parameters
    ----------
    source
        GeoParquet file or dataset folder (read one row group per partition: write large
        layers with row groups of ~100,000 parcels), or a GeoPackage / shapefile (read in
        feature ranges by pyogrio); never loaded whole in one process.
    out
        The dataset folder to write (one file per partition, with their extents).
    npartitions
        Number of partitions (≈ parcels / 200,000 is a good start).
    client
        A ``distributed.Client`` to run on (default: the current Dask scheduler).

    Returns
    -------
    pathlib.Path
        ``out``.
    """
    dgpd = require_dask_geopandas("partition_landuse")
    path = Path(source)
    if not path.exists():
        raise InputError(f"{path} does not exist: give a GeoParquet file or a GeoPackage.")
    if npartitions < 1:
        raise InputError(f"npartitions must be at least 1, got {npartitions}.")
    if path.is_dir() or path.suffix.lower() in (".parquet", ".geoparquet"):
        import dask.dataframe as dd
        from dask_geopandas.io.parquet import GeoArrowEngine

        # one partition per row group (dask_geopandas.read_parquet would read a file whole,
        # and fails to attach extents to row-group partitions)
        ddf = dd.read_parquet(str(path), engine=GeoArrowEngine, split_row_groups=True)
    else:
        ddf = dgpd.read_file(str(path), npartitions=npartitions)
    # the task-based shuffle: distributed's p2p shuffle hands geometries back as WKB bytes that
    # dask-geopandas 0.5 cannot rebuild ("Input must be valid geometry objects")
    shuffled = ddf.spatial_shuffle(by="hilbert", npartitions=npartitions, shuffle_method="tasks")
    kwargs = {"compute_kwargs": {"scheduler": client}} if client is not None else {}
    shuffled.to_parquet(str(out), write_index=False, **kwargs)
    logger.info("land use %s: %d spatial partitions written to %s", path, npartitions, out)
    return Path(out)


def compose_landuse(
    source: str | os.PathLike[str],
    units: gpd.GeoDataFrame,
    *,
    by: str = "sansheng",
    scheme: str = "auto",
    client: Any = None,
) -> gpd.GeoDataFrame:
    """The area share of each land-use class in each unit, over a partitioned land-use layer.

    The result equals ``geoplan.landuse_composition(parcels, units, by=by, scheme=scheme).units``
    (the same columns: ``unit_id``, ``area_m2``, ``landuse_m2``, one share per class,
    ``nodata``) to rounding (1e-9), without any process holding the whole layer.

    Parameters
    ----------
    source
        A GeoParquet dataset from :func:`partition_landuse` (or any GeoParquet file/folder;
        without partition extents every partition meets every unit).
    units
        Polygons in a projected CRS (counties, townships, grid cells …).
    by, scheme
        As for :func:`geoplan.landuse_composition`.
    client
        A ``distributed.Client`` (default: the current Dask scheduler).

    Returns
    -------
    geopandas.GeoDataFrame
        The units with their shares.

    Raises
    ------
    InputError
        ``units`` empty, not polygons, or in a geographic CRS; ``source`` missing.
    MissingExtraError
        dask-geopandas is not installed.
    """
    dgpd = require_dask_geopandas("compose_landuse")
    import dask

    if not isinstance(units, gpd.GeoDataFrame) or units.empty:
        raise InputError("units must be a non-empty GeoDataFrame of polygons.")
    if not Path(source).exists():
        raise InputError(f"{source} does not exist: give a GeoParquet file or dataset folder.")
    cells = to_metric(units, name="units").reset_index(drop=True)
    if "unit_id" not in cells.columns:
        ids = cells["cell_id"].to_numpy() if "cell_id" in cells else np.arange(len(cells))
        cells.insert(0, "unit_id", ids)
    cells[UNIT] = np.arange(len(cells))
    ddf = dgpd.read_parquet(str(source))
    hulls = _partition_extents(ddf, cells.crs)
    tree = shapely.STRtree(cells.geometry.values)
    tasks = []
    for i, part in enumerate(ddf.to_delayed()):
        mine = np.arange(len(cells)) if hulls is None else tree.query(hulls[i])
        if len(mine):
            subset = cells.iloc[np.sort(mine)]
            tasks.append(dask.delayed(_partition_areas)(part, subset, by, scheme))
    if client is not None:
        require_distributed("compose_landuse")
        parts = client.gather(client.compute(tasks))
    else:
        parts = list(dask.compute(*tasks))
    return _shares(cells, [p for p in parts if p is not None], by)


def _partition_extents(ddf: Any, crs: Any) -> np.ndarray | None:
    """Each partition's extent in the units' CRS (None when the dataset records none)."""
    sp = getattr(ddf, "spatial_partitions", None)
    if sp is None:
        return None
    if sp.crs is not None and crs is not None and not sp.crs.equals(crs):
        sp = sp.to_crs(crs)
    return np.asarray(sp.values)


def _partition_areas(
    parcels: gpd.GeoDataFrame, units: gpd.GeoDataFrame, by: str, scheme: str
) -> pd.DataFrame | None:
    """Class areas (m²) per unit of one partition: ``landuse_m2`` and one column per class,
    indexed by the unit's row."""
    from geoplan.zones import landuse_composition

    if parcels.empty:
        return None
    comp = landuse_composition(parcels, units, by=by, scheme=scheme)  # type: ignore[arg-type]
    u = comp.units
    area = u["area_m2"].to_numpy()
    fixed = {*units.columns, "area_m2", "landuse_m2", "nodata"}
    cols = [c for c in u.columns if c not in fixed]  # the share columns (sub-classes too)
    frame = pd.DataFrame({c: u[c].to_numpy() * area for c in cols}, index=u[UNIT].to_numpy())
    frame["landuse_m2"] = u["landuse_m2"].to_numpy()
    return frame


def _shares(cells: gpd.GeoDataFrame, parts: list[pd.DataFrame], by: str) -> gpd.GeoDataFrame:
    area = shapely.area(np.asarray(cells.geometry.values))
    classes: list[str] = []
    for p in parts:
        classes += [c for c in p.columns if c not in classes and c != "landuse_m2"]
    if by == "code":
        classes = sorted(c for c in classes if c != "unclassified") + (
            ["unclassified"] if "unclassified" in classes else []
        )
    total = pd.DataFrame(0.0, index=np.arange(len(cells)), columns=[*classes, "landuse_m2"])
    for p in parts:
        total = total.add(p.reindex(columns=total.columns), fill_value=0.0)
    total = total.fillna(0.0)
    out = cells.drop(columns=[UNIT]).copy()
    out["area_m2"] = area
    covered = total["landuse_m2"].to_numpy()
    out["landuse_m2"] = covered
    with np.errstate(invalid="ignore", divide="ignore"):
        for c in classes:
            if c == "unclassified" and not total[c].any():
                continue
            out[c] = np.where(area > 0, total[c].to_numpy() / np.where(area > 0, area, 1), 0.0)
        out["nodata"] = np.clip(np.where(area > 0, 1 - covered / area, 0.0), 0, 1)
    return out
