"""``geoplan efficiency [COUNTY]``: 亩均效益 evaluation, 低效用地 and the stock ledger into
efficiency.gpkg, efficiency.xlsx, summary.json and efficiency.html."""

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
    from geoplan.efficiency import EfficiencyResult

_ROLES = ("enterprises", "supplies", "approvals", "townships", "parks")


@click.command()
@county_argument
@click.option(
    "--enterprises",
    "enterprises_src",
    metavar="SRC",
    help="Enterprise table: an Excel workbook (book.xlsx or book.xlsx:sheet), a CSV file or a "
    "layer; money in 万元 unless the header says otherwise (税收(元)).",
)
@click.option("--supplies", "supplies_src", metavar="SRC", help="Supplies layer (供地).")
@click.option(
    "--approvals",
    "approvals_src",
    metavar="SRC",
    help="Approvals layer: with it the land audit gives 批而未供 and 闲置 for the stock ledger.",
)
@click.option("--townships", "townships_src", metavar="SRC", help="Townships to report by.")
@click.option("--parks", "parks_src", metavar="SRC", help="Industrial parks to report by.")
@click.option(
    "--scheme",
    metavar="FILE",
    default=None,
    help="Evaluation scheme: a .toml file (weights per indicator for 规上 / 规下, benchmarks, "
    "caps, class cut-offs, exempt kinds, 低效 thresholds) or a shipped name (default, "
    "six_indicators). Default: [parameters.efficiency] scheme, else default.",
)
@click.option(
    "--as-of",
    "as_of",
    metavar="DATE",
    help="Assessment date, YYYY-MM-DD (default: the county's; start-ups and 标准地 due dates).",
)
@click.option(
    "--field",
    "field_maps",
    multiple=True,
    metavar="ROLE.FIELD=COLUMN",
    help="Map a source column to a field, e.g. --field enterprises.tax=实缴税金 (repeatable).",
)
@click.option(
    "--crs",
    "layer_crs",
    multiple=True,
    metavar="ROLE=CRS",
    help="The CRS of a layer without one, e.g. --crs enterprises=EPSG:4547 for X/Y columns.",
)
@out_option
@database_options
def efficiency(
    county: str | None,
    enterprises_src: str | None,
    supplies_src: str | None,
    approvals_src: str | None,
    townships_src: str | None,
    parks_src: str | None,
    scheme: str | None,
    as_of: str | None,
    field_maps: tuple[str, ...],
    layer_crs: tuple[str, ...],
    out: str | None,
    to_url: str | None,
    mode: str | None,
    adcode: str | None,
) -> None:
    """Evaluate 亩均效益 (亩均论英雄): score and class (A–D) every enterprise on the land it uses,
    check 标准地 plots, find 低效用地 and tally the stock land (批而未供 + 闲置 + 低效) per township
    and park with the new quota it implies under 增存挂钩.

    With COUNTY (or none: the bundled demo county) the layers and [parameters.efficiency] come
    from the county package; the SRC options replace them. Without a county give --enterprises
    and --supplies (and --approvals for 批而未供 and 闲置). Writes efficiency.gpkg,
    efficiency.xlsx (the ledger, Chinese headers), summary.json and efficiency.html into --out
    (default maps/<county>/efficiency/). With --to postgresql://…#schema the evaluation is also
    written into PostGIS (tables efficiency_*, one geoplan_runs row). Exit status: 0 done; 2 bad input (negative tax, an
    unknown unit, scheme weights not summing to 100 …); 1 unexpected failure.
    """
    from geoplan.runs import map_context, run_efficiency

    maps = parse_assignments(field_maps, option="--field")
    crs_by_role = parse_role_values(layer_crs, option="--crs")
    for role in [*maps, *crs_by_role]:
        if role not in _ROLES:
            raise click.BadParameter(
                f"unknown role {role!r}: the evaluation reads {', '.join(_ROLES)}",
                param_hint="--field/--crs",
            )
    c = resolve_county(
        county,
        sources={"enterprises": enterprises_src, "supplies": supplies_src,
                 "approvals": approvals_src, "townships": townships_src, "parks": parks_src},
        required=[("enterprises",), ("supplies",)],
        as_of=as_of,
        fields=maps,
        layer_crs=crs_by_role,
    )  # fmt: skip
    if scheme is not None:
        from geoplan.efficiency import load_scheme

        load_scheme(scheme)  # a bad scheme file stops here, before any layer is read
    target = out_dir(out, c, "efficiency")
    db = database_target(to_url, mode, adcode, c)
    started = dt.datetime.now(dt.UTC)
    result = run_efficiency(c, scheme=scheme)
    files = result.to_files(target, context=map_context(c))
    click.echo(summary_text(result, c.name))
    click.echo("Wrote " + ", ".join(str(p) for p in files.values()))
    if db is not None:
        url, code, write_mode = db
        params = {**c.params("efficiency"), **({"scheme": scheme} if scheme else {})}
        record = result.to_postgis(url, adcode=code, mode=write_mode, county_name=c.name,
                                   parameters=params, started=started)  # fmt: skip
        click.echo(database_message(record, url))


def _mu(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.2f} 亩"


def summary_text(result: EfficiencyResult, label: str) -> str:
    """A few lines for the terminal."""
    s = result.summary
    tpm = s["tax_per_mu"]
    return "\n".join(
        [
            f"亩均效益 evaluation of {label} as of {s['as_of']} (scheme {s['scheme']})",
            f"  firms {s['firms']} (规上 {s['firms_above']}, 规下 {s['firms_below']}); land by "
            f"电子监管号 {s['linked_by_supply_id']}, by point {s['linked_by_point']}, declared "
            f"{s['linked_by_declared']}, none {s['unlinked_firms']}",
            f"  classes A {s['class_A']}  B {s['class_B']}  C {s['class_C']}  D {s['class_D']}  "
            f"不定等级 {s['class_exempt']}  待核实 {s['class_unknown']}",
            f"  亩均税收 {'n/a' if tpm is None else f'{tpm:,.2f} 万元/亩'}; industrial land with "
            f"no firm {s['vacant_industrial_plots']} plots, {_mu(s['vacant_industrial_mu'])}",
            f"  存量土地 {_mu(s['stock_mu'])} = 批而未供 {_mu(s['unsupplied_mu'])} + 闲置 "
            f"{_mu(s['idle_mu'])} + 低效 {_mu(s['low_efficiency_mu'])}; 增存挂钩 new quota "
            f"{_mu(s['new_quota_mu'])}",
            f"  标准地 {s['standard_plots']}: met {s['standard_met']}, not met "
            f"{s['standard_not_met']}, not due {s['standard_not_due']}, unknown "
            f"{s['standard_unknown']}",
            *(f"  注意: {note}" for note in result.notes()),
        ]
    )
