"""``geoplan zones``: 三生 composition per cell, dominant function, zones → zones.gpkg, zones.csv."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

import click

from geoplan.cli._common import (
    county_argument,
    database_message,
    database_options,
    database_target,
    out_dir,
    out_option,
    resolve_county,
)

if TYPE_CHECKING:
    import geopandas as gpd


logger = logging.getLogger(__name__)

SCHEMES = ("auto", "sandiao", "ydyh2023", "worldcover", "clcd")  # geoplan.zones.SCHEMES


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
@click.option("--html/--no-html", default=True, help="Also write zones.html (offline map).")
@out_option
@database_options
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
    html: bool,
    out: str | None,
    to_url: str | None,
    mode: str | None,
    adcode: str | None,
) -> None:
    """Functional zones (三生空间) of a county: composition per cell, dominant function, zones.

    With COUNTY (or none: the demo county) the land use, boundary, townships and zoning come from
    the package; --landuse/--boundary/--units override them. Writes zones.gpkg (layers cells,
    zones, townships) and zones.csv (one row per cell: cell_id, area_m2, production, living,
    ecological, dominant, mix_label, entropy, …) and zones.html (an offline map over the county
    and township outlines) into --out (default maps/<county>/). With --to postgresql://…#schema
    also into PostGIS (tables zones_*, a geoplan_runs row).
    """
    from geoplan.errors import InputError
    from geoplan.io import is_raster_source
    from geoplan.runs import map_context, run_zones

    if sum(x is not None for x in (cell, h3_res, units_src)) > 1:
        raise InputError("Give only one of --cell, --h3 and --units.")
    raster = landuse_src is not None and is_raster_source(landuse_src)
    cty = resolve_county(
        county,
        sources={
            "landcover" if raster else "landuse": landuse_src,
            "boundary": boundary_src,
        },
        required=[("landuse", "landcover")],
        options={"landuse": "--landuse", "landcover": "--landuse"},
        drop=(("landuse",) if raster else ("landcover",)) if landuse_src is not None else (),
    )
    folder = out_dir(out, cty)  # before any analysis: fail fast
    db = database_target(to_url, mode, adcode, cty)
    started = dt.datetime.now(dt.UTC)
    units = _read_units(units_src, cty.crs) if units_src is not None else None
    result = run_zones(
        cty,
        units=units,
        cell=cell,
        h3_resolution=h3_res,
        scheme=scheme,
        single_share=single_share,
        min_zone_ha=min_zone_ha,
        regions=regions,
    )
    context = map_context(cty)
    files = result.to_files(folder, context=context)
    if html:
        from geoplan import maps

        files["html"] = maps.save_html(result.explore(context=context), folder / "zones.html")
    s = result.summary
    click.echo(
        f"{s['cells']} cells: {s['cells_production']} production, {s['cells_living']} living, "
        f"{s['cells_ecological']} ecological, {s['cells_mixed']} mixed; {s['zones']} zones"
    )
    if s.get("ugb_expansion_multiple") is not None:
        click.echo(f"UGB expansion multiple: {s['ugb_expansion_multiple']:.2f}")
    for path in files.values():
        click.echo(f"wrote {path}")
    if db is not None:
        given = {"cell": cell, "h3_resolution": h3_res, "scheme": scheme, "units": units_src,
                 "single_share": single_share, "min_zone_ha": min_zone_ha, "regions": regions}  # fmt: skip
        params = {**cty.params("zones"), **{k: v for k, v in given.items() if v is not None}}
        url, code, write_mode = db
        record = result.to_postgis(url, adcode=code, as_of=cty.as_of, mode=write_mode,
                                   county_name=cty.name, parameters=params, started=started)  # fmt: skip
        click.echo(database_message(record, url))
    logger.debug("summary: %s", json.dumps(s, ensure_ascii=False, default=str))


def _read_units(src: str, crs: Any) -> gpd.GeoDataFrame:
    from geoplan.crs import to_metric
    from geoplan.io import read_layer

    gdf = read_layer(src)
    return to_metric(gdf, crs, name=f"units ({src})")
