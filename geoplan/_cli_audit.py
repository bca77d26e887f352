"""``geoplan audit [COUNTY]``: land-inventory audit into audit.gpkg, audit.xlsx, summary.json and
audit.html."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import click

from geoplan._cli_common import county_argument, open_county, out_dir, out_option, read_source

if TYPE_CHECKING:
    from geoplan.audit import AuditResult


@click.command()
@county_argument
@click.option(
    "--approvals", "approvals_src", metavar="SRC", help="Approvals layer (path or path:layer)."
)
@click.option(
    "--supplies", "supplies_src", metavar="SRC", help="Supplies layer (path or path:layer)."
)
@click.option(
    "--townships", "townships_src", metavar="SRC", help="Townships to attribute findings to."
)
@click.option(
    "--as-of", "as_of", metavar="YYYY-MM-DD", help="Assessment date (default: the county's)."
)
@click.option(
    "--match",
    type=click.Choice(["overlay", "id", "both"]),
    default=None,
    help="Match supplies to batches by geometry (default), by batch id, or both (flag differences).",
)
@out_option
def audit(
    county: str | None,
    approvals_src: str | None,
    supplies_src: str | None,
    townships_src: str | None,
    as_of: str | None,
    match: str | None,
    out: str | None,
) -> None:
    """Audit approved-but-unsupplied (批而未供), idle (闲置) and supplied-but-unused land.

    With COUNTY (or with no argument and no --approvals/--supplies: the bundled demo county) the
    layers, the as-of date and [parameters.audit] come from the county package; --approvals,
    --supplies and --as-of override them. Without a county give --approvals, --supplies and
    --as-of. Writes audit.gpkg, audit.xlsx (the ledger), summary.json and audit.html into
    --out (default maps/<county>/audit/).
    """
    from geoplan.audit import AuditRules, audit_land
    from geoplan.crs import to_metric

    use_county = county is not None or (approvals_src is None and supplies_src is None)
    c = open_county(county) if use_county else None
    params: dict[str, Any] = {}
    townships = None
    if c is not None:
        crs = c.crs
        approvals = (
            read_source(approvals_src, role="approvals", crs=crs)
            if approvals_src
            else c.layer("approvals")
        )
        supplies = (
            read_source(supplies_src, role="supplies", crs=crs)
            if supplies_src
            else c.layer("supplies")
        )
        if townships_src:
            townships = read_source(townships_src, role="townships", crs=crs)
        elif c.has("townships"):
            townships = c.layer("townships")
        date: Any = as_of or c.as_of
        params = c.params("audit")
        label = c.name
    else:
        if not approvals_src or not supplies_src:
            raise click.UsageError(
                "Without a COUNTY give both --approvals SRC and --supplies SRC "
                "(or a county package folder)."
            )
        if not as_of:
            raise click.UsageError("Without a COUNTY give the assessment date: --as-of YYYY-MM-DD.")
        approvals = read_source(approvals_src, role="approvals")
        crs = approvals.crs
        supplies = to_metric(read_source(supplies_src, role="supplies"), crs, name="supplies")
        if townships_src:
            townships = read_source(townships_src, role="townships", crs=crs)
        date = as_of
        label = approvals_src
    rules = AuditRules.from_params(params, match=match)
    result = audit_land(approvals, supplies, as_of=date, rules=rules, townships=townships)
    target = out_dir(out, c, "audit")
    files = result.to_files(target)
    click.echo(summary_text(result, label))
    click.echo("Wrote " + ", ".join(str(p) for p in files.values()))


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
            f"{s['idle_fee_total']:,.2f} 元, {s['recoverable_parcels']} recoverable",
            f"  供而未用 {s['supplied_unused_parcels']} parcels; supply outside approvals "
            f"{s['unmatched_supply_area_mu']:.2f} 亩 (slivers dropped "
            f"{s['unmatched_sliver_area_mu']:.2f} 亩)",
        ]
    )
