"""``geoplan zones``: 三生 composition per cell, dominant function, zones → zones.gpkg, zones.csv."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING, Any

import click

from geoplan.cli._common import county_argument, open_county, out_dir, out_option, read_source

if TYPE_CHECKING:
    import geopandas as gpd

    from geoplan.county import County

logger = logging.getLogger(__name__)

SCHEMES = ("auto", "sandiao", "ydyh2023", "worldcover", "clcd")


@click.command()
@county_argument
@click.option(
    "--landuse",
    "landuse_src",
    metavar="SRC",
    help="Land-use parcels (path[:layer]) or a land-cover GeoTIFF.",
)
@click.option(
    "--scheme",
    type=click.Choice(SCHEMES),
    default=None,
    help="Land-use scheme (default: auto, or the county's [parameters.landcover] scheme for a raster).",
)
@click.option(
    "--cell",
    type=float,
    default=None,
    metavar="METRES",
    help="Square grid cell size (default 500).",
)
@click.option(
    "--h3",
    "h3_res",
    type=click.IntRange(0, 15),
    default=None,
    metavar="RES",
    help="H3 hexagons at this resolution instead of a grid.",
)
@click.option(
    "--units",
    "units_src",
    metavar="SRC",
    help="Any polygon layer as units (townships, villages …).",
)
@click.option(
    "--boundary", "boundary_src", metavar="SRC", help="County boundary (grid anchor and clip)."
)
@click.option(
    "--single-share",
    type=float,
    default=None,
    help="Share that makes a unit single-function (default 0.5).",
)
@click.option(
    "--min-zone-ha",
    type=float,
    default=None,
    help="Merge zones smaller than this many ha (default 100).",
)
@click.option(
    "--regions",
    type=int,
    default=None,
    metavar="K",
    help="Also cluster into K contiguous regions (needs geoplan[regions]).",
)
@out_option
def zones(
    county: str | None,
    landuse_src: str | None,
    scheme: str | None,
    cell: float | None,
    h3_res: int | None,
    units_src: str | None,
    boundary_src: str | None,
    single_share: float | None,
    min_zone_ha: float | None,
    regions: int | None,
    out: str | None,
) -> None:
    """Functional zones (三生空间) of a county: composition per cell, dominant function, zones.

    With COUNTY (or none: the demo county) the land use, boundary, townships and zoning come from
    the package; --landuse/--boundary/--units override them. Writes zones.gpkg (layers cells,
    zones, townships) and zones.csv (one row per cell: cell_id, area_m2, production, living,
    ecological, dominant, mix_label, entropy, …) into --out (default maps/<county>/).
    """
    from geoplan.errors import InputError
    from geoplan.zones import functional_zones, h3_units, landuse_composition, make_grid

    if sum(x is not None for x in (cell, h3_res, units_src)) > 1:
        raise InputError("Give only one of --cell, --h3 and --units.")
    cty: County | None = None
    if county is not None or landuse_src is None:
        cty = open_county(county)
    params = cty.params("zones") if cty is not None else {}
    folder = out_dir(out, cty)  # before any analysis: fail fast
    crs = cty.crs if cty is not None else None

    landuse, scheme_used = _landuse(cty, landuse_src, scheme, crs)
    boundary = None
    if boundary_src is not None:
        boundary = read_source(boundary_src, role="boundary", crs=crs)
    elif cty is not None and cty.has("boundary"):
        boundary = cty.layer("boundary")
    if crs is None and boundary is not None:
        crs = boundary.crs

    if units_src is not None:
        units: Any = _read_units(units_src, crs)
    elif h3_res is not None:
        if boundary is None:
            raise InputError("--h3 needs a boundary: give --boundary or a county with one.")
        units = h3_units(boundary, h3_res)
    else:
        size = float(cell if cell is not None else params.get("cell", 500.0))
        if boundary is not None:
            units = make_grid(boundary, size)
        else:
            units = size  # anchored at the land-use bounds
    comp = landuse_composition(landuse, units, scheme=scheme_used, boundary=None)
    towns = cty.layer("townships") if cty is not None and cty.has("townships") else None
    zoning = cty.layer("zoning") if cty is not None and cty.has("zoning") else None
    share = single_share if single_share is not None else float(params.get("single_share", 0.5))
    min_ha = min_zone_ha if min_zone_ha is not None else float(params.get("min_zone_ha", 100.0))
    result = functional_zones(
        comp,
        single_share=share,
        min_zone_area=min_ha * 1e4,
        regions=regions if regions is not None else params.get("regions"),
        townships=towns,
        zoning=zoning,
    )
    files = result.to_files(folder)
    s = result.summary
    click.echo(
        f"{s['cells']} cells: {s['cells_production']} production, {s['cells_living']} living, "
        f"{s['cells_ecological']} ecological, {s['cells_mixed']} mixed; {s['zones']} zones"
    )
    if s.get("ugb_expansion_multiple") is not None:
        click.echo(f"UGB expansion multiple: {s['ugb_expansion_multiple']:.2f}")
    for path in files.values():
        click.echo(f"wrote {path}")
    logger.debug("summary: %s", json.dumps(s, ensure_ascii=False, default=str))


def _read_units(src: str, crs: Any) -> gpd.GeoDataFrame:
    from geoplan.crs import to_metric
    from geoplan.io import read_layer

    gdf = read_layer(src)
    return to_metric(gdf, crs, name=f"units ({src})")


def _landuse(cty: County | None, src: str | None, scheme: str | None, crs: Any) -> tuple[Any, str]:
    from geoplan.zones._raster import is_raster_path

    if src is not None:
        if is_raster_path(src):
            return src, scheme or "auto"
        return read_source(src, role="landuse", crs=crs), scheme or "auto"
    assert cty is not None
    if cty.has("landuse"):
        return cty.layer("landuse"), scheme or "auto"
    if cty.has("landcover"):
        lc_scheme = scheme or str(cty.params("landcover").get("scheme", "auto"))
        return cty.source("landcover"), lc_scheme
    from geoplan.errors import InputError

    raise InputError(
        f"County {cty.name} has neither a landuse layer nor a landcover raster; add one under "
        "[layers] in county.toml or pass --landuse SRC."
    )
