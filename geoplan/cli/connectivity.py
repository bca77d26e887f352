"""``geoplan connectivity [COUNTY]``: park-to-trunk connectivity → connectivity.gpkg/.csv/.html."""

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


def _minutes(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        return tuple(float(p) for p in text.replace(";", ",").split(",") if p.strip())
    except ValueError as exc:
        raise click.BadParameter(f"expected minutes such as 10,20,30; got {text!r}") from exc


def _snap(ctx: click.Context, param: click.Parameter, value: float | None) -> float | None:
    if value is None:
        return None
    from geoplan.connectivity import check_snap
    from geoplan.errors import InputError

    try:
        check_snap(value, names=("--snap", "max_snap_m"))
    except InputError as exc:
        raise click.BadParameter(str(exc)) from None
    return value


@click.command()
@county_argument
@click.option(
    "--roads",
    "roads_src",
    metavar="SRC",
    default=None,
    help="Roads: an .osm.pbf/.osm file or a line layer (path, path:layer or postgresql://…#schema.table); default: the "
    "county's roads.",
)
@click.option(
    "--parks",
    "parks_src",
    metavar="SRC",
    default=None,
    help="Park polygons (path, path:layer or postgresql://…#schema.table); default: the county's parks layer.",
)
@click.option(
    "--max-routes",
    type=click.IntRange(min=0),
    default=None,
    help="Cap on counted edge-disjoint access routes (default 4; 0 skips the count).",
)
@click.option(
    "--snap",
    "snap_tolerance",
    type=float,
    default=None,
    callback=_snap,
    help="Road nodes within this many metres of a park are its access nodes (default 50; at "
    "most 500: they are reached at no cost, so a larger value skips real travel).",
)
@click.option(
    "--minutes",
    default=None,
    metavar="LIST",
    help="Isochrone budgets in minutes, e.g. 10,20,30 (default); '' for none.",
)
@click.option("--html/--no-html", default=True, help="Also write connectivity.html (offline map).")
@out_option
@database_options
def connectivity(
    county: str | None,
    roads_src: str | None,
    parks_src: str | None,
    max_routes: int | None,
    snap_tolerance: float | None,
    minutes: str | None,
    html: bool,
    out: str | None,
    to_url: str | None,
    mode: str | None,
    adcode: str | None,
) -> None:
    """Park-to-trunk connectivity: distance and time from each industrial park to the nearest
    national/provincial road and motorway entrance, detour index, independent access routes,
    routes and isochrones.

    Writes connectivity.gpkg (layers parks, routes, isochrones), connectivity.csv (one row per
    park) and connectivity.html into --out (default maps/<county>/connectivity). Options come
    from [parameters.connectivity] in county.toml; command-line options win. With both --roads
    and --parks and no COUNTY, no county package is needed (layers in different CRSs are
    projected to the parks' metric CRS).
    """
    from geoplan.runs import map_context, run_connectivity

    started = time.perf_counter()
    c = resolve_county(
        county,
        sources={"parks": parks_src, "roads": roads_src},
        required=[("parks",), ("roads",)],
    )
    target = out_dir(out, c, "connectivity")  # before any analysis: fail fast
    db = database_target(to_url, mode, adcode, c)
    started_at = dt.datetime.now(dt.UTC)
    result = run_connectivity(
        c,
        max_routes=max_routes,
        snap_tolerance=snap_tolerance,
        isochrone_minutes=_minutes(minutes),
    )
    context = map_context(c)
    files = result.to_files(target, context=context)
    if html:
        from geoplan import maps

        files["html"] = maps.save_html(
            result.explore(context=context), target / "connectivity.html"
        )
    s = result.summary
    click.echo(
        f"{s['parks']} parks: {s['parks_reaching_trunk']} reach a trunk road (median "
        f"{_fmt(s['median_trunk_distance_m'], 'm')}, {_fmt(s['median_trunk_time_min'], 'min')}); "
        f"{s['parks_within_30min']} within 30 min of a motorway entrance."
    )
    click.echo(
        f"{s['parks_detour_flagged']} with detour index > {s['detour_limit']:g}, "
        f"{s['parks_single_access_route']} with a single access route, "
        f"{s['parks_with_reason']} with a note (see the reason column)."
    )
    for path in files.values():
        click.echo(f"wrote {path}")
    if db is not None:
        given = {"max_routes": max_routes, "snap_tolerance": snap_tolerance,
                 "isochrone_minutes": _minutes(minutes)}  # fmt: skip
        params = {**c.params("connectivity"), **{k: v for k, v in given.items() if v is not None}}
        url, code, write_mode = db
        record = result.to_postgis(url, adcode=code, as_of=c.as_of, mode=write_mode,
                                   county_name=c.name, parameters=params, started=started_at)  # fmt: skip
        click.echo(database_message(record, url))
    logger.info("connectivity done in %.1f s", time.perf_counter() - started)


def _fmt(value: float | None, unit: str) -> str:
    return (
        "-" if value is None else f"{value:,.0f} {unit}" if unit == "m" else f"{value:.1f} {unit}"
    )
