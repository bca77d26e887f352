"""``geoplan hierarchy [COUNTY]``: settlement tiers, catchments and reach → hierarchy.gpkg/.html."""

from __future__ import annotations

import logging
import time

import click

from geoplan.cli._common import county_argument, open_county, out_dir, out_option, read_source

logger = logging.getLogger(__name__)


@click.command()
@county_argument
@click.option(
    "--settlements",
    "settlements_src",
    metavar="SRC",
    default=None,
    help="Settlement points (path or path:layer); default: the county's settlements layer.",
)
@click.option(
    "--roads",
    "roads_src",
    metavar="SRC",
    default=None,
    help="Roads: an .osm.pbf/.osm file or a line layer (path or path:layer); default: the "
    "county's roads.",
)
@click.option(
    "--n-central",
    type=click.IntRange(min=0),
    default=None,
    help="Number of central towns to infer (default: county.toml, else a quarter of the towns).",
)
@out_option
def hierarchy(
    county: str | None,
    settlements_src: str | None,
    roads_src: str | None,
    n_central: int | None,
    out: str | None,
) -> None:
    """Settlement hierarchy: county seat, central towns, towns and villages over the roads.

    Writes hierarchy.gpkg (layers settlements, catchment_links, reach) and hierarchy.html (an
    offline map) into --out (default maps/<county>/hierarchy). Targets and weights come from
    [parameters.hierarchy] in county.toml. With both --settlements and --roads and no COUNTY,
    no county package is needed.
    """
    from geoplan.hierarchy import hierarchy_options, settlement_hierarchy
    from geoplan.network import road_network

    started = time.perf_counter()
    need_county = county is not None or settlements_src is None or roads_src is None
    c = open_county(county) if need_county else None
    opts = hierarchy_options(c.params("hierarchy") if c is not None else {})
    if n_central is not None:
        opts["n_central"] = n_central
    target = out_dir(out, c, "hierarchy")  # before any analysis: fail fast
    crs = c.crs if c is not None else None
    if settlements_src is not None:
        settlements = read_source(settlements_src, role="settlements", crs=crs)
    else:
        assert c is not None
        settlements = c.layer("settlements")
    roads = roads_src if roads_src is not None else (c.source("roads") if c else None)
    assert roads is not None
    network = road_network(roads, crs=settlements.crs)
    result = settlement_hierarchy(settlements, network, **opts)
    townships = c.layer("townships") if c is not None and c.has("townships") else None
    files = result.to_files(target, townships=townships)
    s = result.summary
    click.echo(
        f"{s['settlements']} settlements: county seat {s['county_seat']}, "
        f"{s['n_central_town']} central towns ({s['central_towns'] or '-'}"
        f"{', inferred' if s['central_inferred'] else ''}), {s['n_town']} towns, "
        f"{s['n_village']} villages."
    )
    for check, label in (("seat_town", "county seat -> towns"),
                         ("town_village", "town -> villages")):  # fmt: skip
        click.echo(
            f"{label} <= {s[f'{check}_target_min']:g} min: {s[f'{check}_meet']} of "
            f"{s[f'{check}_checked']} meet, max {s[f'{check}_max_min']} min."
        )
    if s["off_network"] or s["no_parent"]:
        click.echo(
            f"{s['off_network']} settlements off the road network, {s['no_parent']} without a "
            "reachable parent (see the reason column)."
        )
    for path in files.values():
        click.echo(f"wrote {path}")
    logger.info("hierarchy done in %.1f s", time.perf_counter() - started)
