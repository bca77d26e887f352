"""Province scale: every county of a province in one run, on a local or a real Dask cluster.

:func:`run_province` runs the analyses of every county of a province package (a folder of
county packages, or province-wide layers split by county with :func:`split_province_layers`)
as one Dask task per county × analysis; the workers write each county's files and return small
records, from which the province's ``province.gpkg``, ``province.xlsx`` and ``index.html`` are
made. :func:`compose_landuse` composes a province-wide land-use layer too large for one process
with dask-geopandas. Needs the ``scale`` extra (``pip install 'geoplan[scale]'``).
"""

from __future__ import annotations

from geoplan.province._cluster import connect
from geoplan.province._compose import compose_landuse, partition_landuse
from geoplan.province._manifest import ProvincePackage, open_province
from geoplan.province._outputs import province_totals
from geoplan.province._run import Progress, ProvinceResult, run_province
from geoplan.province._split import SplitReport, assign_features, split_province_layers

__all__ = [
    "Progress",
    "ProvincePackage",
    "ProvinceResult",
    "SplitReport",
    "assign_features",
    "compose_landuse",
    "connect",
    "open_province",
    "partition_landuse",
    "province_totals",
    "run_province",
    "split_province_layers",
]
