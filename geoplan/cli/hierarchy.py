"""``geoplan hierarchy [COUNTY]``: settlement tiers, catchments and reach → hierarchy.gpkg/.html."""

from __future__ import annotations

import datetime as dt
import logging
import time

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

logger = logging.getLogger(__name__)


@click.command()
@county_argument
@click.option(
    "--settlements",
    "settlements_src",
    metavar="SRC",
    default=None,
    help="Settlement points (path, path:layer or postgresql://…#schema.table); default: the county's settlements layer.",
)
@click.option(
    "--roads",
    "roads_src",
    metavar="SRC",
    default=None,
    help="Roads: an .osm.pbf/.osm file or a line layer (path, path:layer or postgresql://…#schema.table); default: the "
    "county's roads.",
)
@click.option(
    "--n-central",
    type=click.IntRange(min=0),
    default=None,
    help="Number of central towns to infer (default: county.toml, else a quarter of the towns).",
)
@out_option
@database_options
def hierarchy(
    county: str | None,
    settlements_src: str | None,
    roads_src: str | None,
    n_central: int | None,
    out: str | None,
    to_url: str | None,
    mode: str | None,
    adcode: str | None,
) -> None:
    """Settlement hierarchy: county seat, central towns, towns and villages over the roads.

    Writes hierarchy.gpkg (layers settlements, catchment_links, reach) and hierarchy.html (an
    offline map) into --out (default maps/<county>/hierarchy). Targets and weights come from
    [parameters.hierarchy] in county.toml, the road network's speeds and trunk classes from
    [parameters.connectivity]. With both --settlements and --roads and no COUNTY, no county
    package is needed.
    """
    from geoplan.runs import map_context, run_hierarchy

    started = time.perf_counter()
    c = resolve_county(
        county,
        sources={"settlements": settlements_src, "roads": roads_src},
        required=[("settlements",), ("roads",)],
    )
    target = out_dir(out, c, "hierarchy")  # before any analysis: fail fast
    db = database_target(to_url, mode, adcode, c)
    started_at = dt.datetime.now(dt.UTC)
    result = run_hierarchy(c, n_central=n_central)
    files = result.to_files(target, context=map_context(c))
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
    if db is not None:
        params = {**c.params("hierarchy"), **({"n_central": n_central} if n_central else {})}
        url, code, write_mode = db
        record = result.to_postgis(url, adcode=code, as_of=c.as_of, mode=write_mode,
                                   county_name=c.name, parameters=params, started=started_at)  # fmt: skip
        click.echo(database_message(record, url))
    logger.info("hierarchy done in %.1f s", time.perf_counter() - started)
