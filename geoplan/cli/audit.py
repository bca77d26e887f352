"""``geoplan audit [COUNTY]``: land-inventory audit into audit.gpkg, audit.xlsx, summary.json and
audit.html."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import click

from geoplan.cli._common import (
    county_argument,
    database_message,
    database_options,
    database_target,
    out_dir,
    out_option,
    parse_assignments,
    parse_role_values,
    resolve_county,
)

if TYPE_CHECKING:
    from geoplan.audit import AuditResult


#: exit status of ``geoplan audit --strict`` when some supply could not be judged
EXIT_UNJUDGED = 3


@click.command()
@county_argument
@click.option(
    "--approvals",
    "approvals_src",
    metavar="SRC",
    help="Approvals layer (path, path:layer or postgresql://…#schema.table).",
)
@click.option(
    "--supplies",
    "supplies_src",
    metavar="SRC",
    help="Supplies layer (path, path:layer or postgresql://…#schema.table).",
)
@click.option(
    "--townships", "townships_src", metavar="SRC", help="Townships to attribute findings to."
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Assessment date, YYYY-MM-DD or YYYYMMDD (default: the county's). The audit describes "
    "the land as it stood that day: records dated later are left out and counted.",
)
@click.option(
    "--match",
    type=click.Choice(["overlay", "id", "both"]),
    default=None,
    help="Match supplies to batches by geometry (default), by batch id, or both (flag differences).",
)
@click.option(
    "--field",
    "field_maps",
    multiple=True,
    metavar="ROLE.FIELD=COLUMN",
    help="Map a source column to a field geoplan does not recognise, e.g. "
    "--field supplies.agreed_start=YDDG (repeatable; like [fields.<role>] in county.toml).",
)
@click.option(
    "--price-unit",
    type=click.Choice(["元", "万元"]),
    default=None,
    help="Unit of the supplies' 成交价款 when its column name does not say (the land-market "
    "supervision system exports 万元); stored and reported in 元 (totals in 万元).",
)
@click.option(
    "--crs",
    "layer_crs",
    multiple=True,
    metavar="ROLE=CRS",
    help="The CRS a layer's coordinates are in when its file records none, e.g. "
    "--crs supplies=EPSG:4527 (repeatable; like [crs] in county.toml).",
)
@click.option(
    "--strict",
    is_flag=True,
    help=f"Exit with status {EXIT_UNJUDGED} when any supply could not be judged (待核实), "
    "after writing the files.",
)
@out_option
@database_options
def audit(
    county: str | None,
    approvals_src: str | None,
    supplies_src: str | None,
    townships_src: str | None,
    as_of: str | None,
    match: str | None,
    field_maps: tuple[str, ...],
    price_unit: str | None,
    layer_crs: tuple[str, ...],
    strict: bool,
    out: str | None,
    to_url: str | None,
    mode: str | None,
    adcode: str | None,
) -> None:
    """Audit approved-but-unsupplied (批而未供), idle (闲置) and supplied-but-unused land.

    With COUNTY (or with no argument and no --approvals/--supplies: the bundled demo county) the
    layers, the as-of date and [parameters.audit] come from the county package; --approvals,
    --supplies and --as-of override them. Without a county give --approvals, --supplies and
    --as-of. Writes audit.gpkg, audit.xlsx (the ledger), summary.json and audit.html into
    --out (default maps/<county>/audit/). With --to postgresql://…#schema the audit is also
    written into PostGIS in one transaction (tables audit_*, a geoplan_runs row); --mode
    replace (default) replaces the earlier runs of the same county and as-of date.

    Supplies that cannot be judged (a date or field the rule needs is missing, or dates out of
    order) are listed as 待核实 with the reason and said in words on the console, in the
    ledger and in summary.json. Exit status: 0 done; 2 bad input; 3 with --strict when some
    supply could not be judged; 1 unexpected failure.
    """
    from geoplan.runs import map_context, run_audit

    maps = parse_assignments(field_maps, option="--field")
    crs_by_role = parse_role_values(layer_crs, option="--crs")
    for role in [*maps, *crs_by_role]:
        if role not in ("approvals", "supplies", "townships"):
            raise click.BadParameter(
                f"unknown role {role!r}: the audit reads approvals, supplies and townships",
                param_hint="--field/--crs",
            )
    if county is None and (approvals_src or supplies_src) and not as_of:
        raise click.UsageError("Without a COUNTY give the assessment date: --as-of YYYY-MM-DD.")
    c = resolve_county(
        county,
        sources={"approvals": approvals_src, "supplies": supplies_src, "townships": townships_src},
        required=[("approvals",), ("supplies",)],
        as_of=as_of,
        fields=maps,
        layer_crs=crs_by_role,
        units={"land_price": price_unit} if price_unit else None,
    )
    target = out_dir(out, c, "audit")  # before any reading or analysis: fail fast
    db = database_target(to_url, mode, adcode, c)
    started = dt.datetime.now(dt.UTC)
    result = run_audit(c, match=match)
    files = result.to_files(target, context=map_context(c))
    click.echo(summary_text(result, c.name))
    click.echo("Wrote " + ", ".join(str(p) for p in files.values()))
    if db is not None:
        url, code, write_mode = db
        record = result.to_postgis(
            url, adcode=code, mode=write_mode, county_name=c.name, started=started
        )
        click.echo(database_message(record, url))
    unjudged = int(result.summary["unknown_parcels"])
    if strict and unjudged:
        click.echo(
            f"--strict: {unjudged} supplies could not be judged (待核实); see 待核实原因 in the "
            f"供地 sheet of {files['xlsx']}. Exit status {EXIT_UNJUDGED}.",
            err=True,
        )
        click.get_current_context().exit(EXIT_UNJUDGED)


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.1f}%"


def summary_text(result: AuditResult, label: str) -> str:
    """A few lines for the terminal."""
    s = result.summary
    floor = result.rules.supply_rate_floor
    ok = result.meets_floor
    verdict = "no approvals in the window" if ok is None else ("ok" if ok else "BELOW the floor")
    as_of = result.as_of.isoformat() if isinstance(result.as_of, dt.date) else str(result.as_of)
    return "\n".join(
        [
            f"Land audit of {label} as of {as_of} (matching: {result.rules.match})",
            f"  approved   {s['approved_area_mu']:12.2f} 亩   supplied {s['supplied_area_mu']:.2f} 亩"
            f" (supply rate {_pct(s['supply_rate'])})",
            f"  5-year supply rate {_pct(s['supply_rate_5y'])} (floor {_pct(floor)}: {verdict})",
            f"  批而未供 {s['unsupplied_area_mu']:12.2f} 亩 in {s['unsupplied_parcels']} pieces"
            f" (slivers dropped {s['sliver_area_mu']:.2f} 亩)",
            f"  闲置土地 {s['idle_parcels']} parcels, {s['idle_area_mu']:.2f} 亩, idle fees "
            f"{s['idle_fee_total_wan']:,.2f} 万元 ({s['idle_fee_total']:,.2f} 元), "
            f"{s['recoverable_parcels']} recoverable",
            f"  供而未用 {s['supplied_unused_parcels']} parcels; supply outside approvals "
            f"{s['unmatched_supply_area_mu']:.2f} 亩 (slivers dropped "
            f"{s['unmatched_sliver_area_mu']:.2f} 亩)",
            *(
                [
                    f"  待核实 {s['unknown_parcels']} parcels, {s['unknown_area_mu']:.2f} 亩 could "
                    "not be judged (see 待核实原因 in the ledger's 供地 sheet)"
                ]
                if s["unknown_parcels"]
                else []
            ),
            *(f"  注意: {note}" for note in result.notes("zh")),
        ]
    )
