"""What a source string names: ``path:layer``, an OpenStreetMap extract, a raster or a vector file.

The one place that knows these suffixes: the County, the road-network builder, the zones raster
path and the command line all ask here, so a source that works in one works in all.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["OSM_SUFFIXES", "RASTER_SUFFIXES", "is_osm_source", "is_raster_source", "split_source"]

#: OpenStreetMap extracts pyosmium reads (PBF, XML, and XML compressed or in o5m).
OSM_SUFFIXES: tuple[str, ...] = (
    ".osm.pbf",
    ".pbf",
    ".osm",
    ".osm.xml",
    ".o5m",
    ".osm.bz2",
    ".osm.gz",
)
#: Raster files read with rasterio (land cover).
RASTER_SUFFIXES: tuple[str, ...] = (".tif", ".tiff", ".vrt", ".img")


def split_source(
    source: str | os.PathLike[str], layer: str | None = None
) -> tuple[Path, str | None]:
    """Split ``path:layer`` into a path and a layer name (``layer`` wins when given).

    A string that names an existing file is a path even if it contains a colon.

    Examples
    --------
    >>> split_source("county.gpkg:parks")
    (PosixPath('county.gpkg'), 'parks')
    >>> split_source("roads.osm.pbf")
    (PosixPath('roads.osm.pbf'), None)
    """
    text = os.fspath(source)
    path = Path(text)
    if layer is not None or path.exists():
        return path, layer
    head, sep, tail = text.rpartition(":")
    if sep and head and tail and "/" not in tail and "\\" not in tail:
        return Path(head), tail
    return path, None


def is_osm_source(source: object) -> bool:
    """Whether ``source`` names an OpenStreetMap extract (by its suffix; no layer part).

    Examples
    --------
    >>> [is_osm_source(s) for s in ("roads.osm.pbf", "roads.osm.bz2", "roads.gpkg:lines")]
    [True, True, False]
    """
    if not isinstance(source, str | os.PathLike):
        return False
    path, layer = split_source(source)
    return layer is None and path.name.lower().endswith(OSM_SUFFIXES)


def is_raster_source(source: object) -> bool:
    """Whether ``source`` names a raster file (by its suffix).

    Examples
    --------
    >>> is_raster_source("landcover.tif"), is_raster_source("county.gpkg:landuse")
    (True, False)
    """
    return isinstance(source, str | os.PathLike) and os.fspath(source).lower().endswith(
        RASTER_SUFFIXES
    )
