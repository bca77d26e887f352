"""Zipped shapefiles read like unzipped ones: ``parks.zip``, ``export.zip:parks`` and
``zip://export.zip!parks.shp``, through GDAL's ``/vsizip/`` with the DBF encoding detected."""

from __future__ import annotations

import os
import tempfile
import zipfile
from pathlib import Path

from geoplan.errors import InputError, LayerNotFoundError
from geoplan.io._encoding import detect_dbf_encoding

__all__ = ["zip_uri", "zipped_shapefile"]


def zip_uri(
    source: str | os.PathLike[str], layer: str | None
) -> tuple[str | os.PathLike[str], str | None]:
    """``zip://parks.zip`` or ``zip://export.zip!folder/parks.shp`` (the fiona/geopandas way of
    naming a zipped shapefile) as a path and a layer name."""
    text = os.fspath(source)
    if not text.lower().startswith("zip://"):
        return source, layer
    rest, _, member = text[len("zip://") :].partition("!")
    if member and layer is None:
        layer = Path(member).stem
    return rest, layer


def zipped_shapefile(path: Path, layer: str | None) -> tuple[str, str | None, str | None] | None:
    """GDAL path, layer and encoding of the shapefile inside a ``.zip`` (None: no shapefile).

    The zip may hold the shapefile at its root or in a folder; with several shapefiles, ``layer``
    (``file.zip:<name>``) names one. Its DBF encoding is detected as for an unzipped shapefile.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            shps = sorted(n for n in names if n.lower().endswith(".shp"))
            stems = [Path(n).stem for n in shps]
            if not shps:  # e.g. a zipped GeoJSON or GeoPackage: GDAL reads those itself
                return None
            if layer is not None:
                if layer not in stems:
                    raise LayerNotFoundError(
                        f"There is no shapefile {layer!r} in {path}; it holds "
                        f"{', '.join(stems)}. Name one as '{path}:<name>'."
                    )
                member = shps[stems.index(layer)]
            elif len(shps) > 1:
                raise LayerNotFoundError(
                    f"{path} holds several shapefiles ({', '.join(stems)}); say which one to "
                    f"read as '{path}:<name>', or unzip it and name the .shp."
                )
            else:
                member = shps[0]
            encoding = _zipped_dbf_encoding(zf, member, names)
    except zipfile.BadZipFile:
        raise InputError(
            f"{path} is not a readable zip file. Unzip it with another tool and read the "
            ".shp inside, or download it again."
        ) from None
    return f"/vsizip/{path.resolve().as_posix()}/{member}", Path(member).stem, encoding


def _zipped_dbf_encoding(zf: zipfile.ZipFile, member: str, names: list[str]) -> str | None:
    """Detect the DBF encoding of a zipped shapefile from a copy of its sidecars' first bytes."""
    base = member[:-4]
    lower = {n.lower(): n for n in names}
    with tempfile.TemporaryDirectory(prefix="geoplan-zip-") as tmp:
        for ext in (".dbf", ".cpg"):
            src = lower.get((base + ext).lower())
            if src is None:
                continue
            with zf.open(src) as fh, open(Path(tmp) / f"layer{ext}", "wb") as out:
                # the detector reads the header and the first 4 MiB of records
                out.write(fh.read(5 * 2**20))
        return detect_dbf_encoding(Path(tmp) / "layer.shp")
