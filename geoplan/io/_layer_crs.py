"""The CRS of a layer read by :func:`geoplan.io.read_layer`: the file's own, the one county.toml
says its coordinates are in, or an error that suggests one from the coordinates."""

from __future__ import annotations

import logging

import geopandas as gpd
from pyproj import CRS

from geoplan.errors import CRSError
from geoplan.io._coords import check_coordinates
from geoplan.io._read_report import ReadReport

__all__ = ["apply_crs", "crs_text"]

logger = logging.getLogger(__name__)


def crs_text(crs: CRS | None) -> str | None:
    """``EPSG:<code> (<name>)``, or the name of a CRS without a code."""
    if crs is None:
        return None
    epsg = crs.to_epsg(min_confidence=70)
    return f"EPSG:{epsg} ({crs.name})" if epsg else crs.name


def _same_crs(a: CRS, b: CRS) -> bool:
    if a.equals(b, ignore_axis_order=True):
        return True
    ea, eb = a.to_epsg(min_confidence=70), b.to_epsg(min_confidence=70)
    return ea is not None and ea == eb


def apply_crs(
    gdf: gpd.GeoDataFrame,
    crs: CRS | str | int | None,
    label: str,
    rep: ReadReport,
    *,
    source_crs: CRS | str | int | None = None,
    role: str | None = None,
) -> gpd.GeoDataFrame:
    """``gdf`` in ``crs``: the file's own CRS, else ``source_crs`` (county.toml ``[crs]``), else
    ``crs``; a CRS the file records that ``source_crs`` contradicts, or none at all, is an error
    with a hint from the coordinates. Coordinates are checked in the source CRS; ``rep`` records
    the source CRS and whether it was assigned."""
    if source_crs is not None:
        given = _user_crs(source_crs, label)
        if gdf.crs is None:
            rep.crs_assigned = True
            rep.source_crs = crs_text(given)
            logger.info("%s: no CRS in the file; using %s as configured", label, rep.source_crs)
            gdf = gdf.set_crs(given)
        elif not _same_crs(gdf.crs, given):
            raise CRSError(
                f"{label} records its CRS as {crs_text(gdf.crs)}, but the configuration says "
                f"its coordinates are in {crs_text(given)} (county.toml [crs]"
                f"{' ' + role if role else ''}). One of them is wrong: remove the [crs] entry "
                "to use the file's own CRS, or fix the file's CRS (its .prj)."
            )
    if gdf.crs is None:
        if crs is None:
            key = role or "<role>"
            hint, epsg = _crs_hint(gdf)
            suggestion = f"EPSG:{epsg}" if epsg else "EPSG:<code>"
            raise CRSError(
                f"{label} has no coordinate reference system. {hint} Fix the file (a .prj next "
                "to a shapefile, or set the CRS in QGIS), or tell geoplan the CRS its "
                f'coordinates are in: in county.toml `[crs]` then `{key} = "{suggestion}"`, or '
                f"read_layer(..., source_crs='{suggestion}')."
            )
        rep.crs_assigned = True
        rep.source_crs = crs_text(CRS.from_user_input(crs))
        gdf = gdf.set_crs(crs)
        check_coordinates(gdf, label)
        return gdf
    check_coordinates(gdf, label)  # in the source CRS, before any reprojection
    if crs is not None and not gdf.crs.equals(CRS.from_user_input(crs)):
        return gdf.to_crs(crs)
    return gdf


def _user_crs(value: CRS | str | int, label: str) -> CRS:
    try:
        return CRS.from_user_input(value)
    except Exception as exc:  # pyproj.exceptions.CRSError and friends
        raise CRSError(
            f"{label}: {value!r} is not a coordinate reference system geoplan understands "
            f'({exc}). Write it as "EPSG:4527" (CGCS2000 3° GK zone 39 with zone prefix).'
        ) from None


def _crs_hint(gdf: gpd.GeoDataFrame) -> tuple[str, int | None]:
    """A sentence on what the coordinates look like, and the EPSG code they suggest (or None)."""
    from geoplan.crs import gk_prefix_epsg

    xmin, ymin, xmax, ymax = (float(v) for v in gdf.total_bounds)
    if -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90:
        return "Its coordinates look like longitude/latitude (CGCS2000 is EPSG:4490).", 4490
    epsg = gk_prefix_epsg(xmin, xmax, ymin, ymax)
    if epsg is not None:
        zone = int(xmin // 1_000_000)
        crs = CRS.from_epsg(epsg)
        return (
            f"Its x values carry the Gauss-Kruger zone prefix {zone} ({xmin:.0f}…): that is "
            f"{crs.name}, EPSG:{epsg}.",
            epsg,
        )
    if 1e5 <= xmin and xmax < 1e6 and 0 <= ymin and ymax < 1e7:
        return (
            "Its coordinates look like a Gauss-Kruger zone without a zone prefix "
            "(CGCS2000 3-degree zones are EPSG:4534-4554; the zone is the one of the county's "
            "central meridian).",
            None,
        )
    return "", None
