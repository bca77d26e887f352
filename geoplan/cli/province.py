"""``geoplan province SOURCE``: every county of a province on Dask, into province.gpkg,
province.xlsx, index.html and one folder per county."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import click

from geoplan.cli._common import out_option

if TYPE_CHECKING:
    from geoplan.province import Progress, ProvinceResult

#: exit status of ``geoplan province --strict`` when some county × analysis failed
EXIT_FAILED = 3
ANALYSES = ("audit", "zones", "connectivity", "hierarchy")


def _only(ctx: click.Context, param: click.Parameter, value: str | None) -> tuple[str, ...]:
    if value is None:
        return ANALYSES
    chosen = tuple(v.strip() for v in value.split(",") if v.strip())
    unknown = [v for v in chosen if v not in ANALYSES]
    if unknown or not chosen:
        raise click.BadParameter(
            f"{value!r}: a comma-separated list of {', '.join(ANALYSES)}, e.g. audit,zones"
        )
    return chosen


@click.command()
@click.argument("source", type=click.Path(path_type=str))
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    default=None,
    help="Address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786) whose workers see "
    "SOURCE and --out at the same paths. Default: a local cluster on this machine.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes of the local cluster (default: one per core).",
)
@click.option(
    "--only",
    callback=_only,
    default=None,
    metavar="LIST",
    help="Run only these analyses, comma-separated: audit,zones,connectivity,hierarchy "
    "(default all; the county reports are built only when all four run).",
)
@click.option(
    "--force", is_flag=True, help="Run every county again, even those whose outputs are newer "
    "than their inputs."
)  # fmt: skip
@click.option(
    "--strict",
    is_flag=True,
    help=f"Exit with status {EXIT_FAILED} when any county's analysis failed (after writing "
    "the province files).",
)
@out_option
def province(
    source: str,
    scheduler: str | None,
    workers: int | None,
    only: tuple[str, ...],
    force: bool,
    strict: bool,
    out: str | None,
) -> None:
    """Run the analyses of every county of a province on Dask.

    SOURCE is a province package: a folder of county packages (each with its county.toml),
    with an optional province.toml (name, as_of and [parameters.*] defaults that each
    county.toml may override), or a province.toml whose [layers] are province-wide
    (counties = the county boundaries with adcode; approvals, supplies, landuse, roads,
    settlements, parks, townships, zoning), split by county first.

    One task per county and analysis; each writes into --out/<county>/ (default
    maps/<province>/); a county that fails is listed and the others go on; a rerun skips
    counties whose outputs are newer than their inputs (--force redoes them). Writes
    province.gpkg, province.xlsx, province.json and index.html. Exit status: 0 done (failed
    counties are listed); 2 bad input; 3 with --strict when a county failed; 1 unexpected
    failure.
    """
    from geoplan.province import connect, run_province

    _quiet_dask()
    with connect(scheduler=scheduler, workers=workers) as client:
        result = run_province(
            source, analyses=only, client=client, out=out, force=force, progress=_echo
        )
    click.echo(summary_text(result))
    click.echo("Wrote " + ", ".join(str(p) for p in result.files.values()))
    if strict and len(result.failed):
        raise SystemExit(EXIT_FAILED)


def _quiet_dask() -> None:
    """Dask's own INFO lines (workers starting, comms closing) would drown the progress."""
    try:
        import distributed  # noqa: F401  (its loggers exist once it is imported)
    except ImportError:
        return  # run_province says how to install it
    level = max(logging.WARNING, logging.getLogger("geoplan").getEffectiveLevel())
    for name in list(logging.root.manager.loggerDict):
        if name.split(".")[0] in ("distributed", "tornado", "bokeh"):
            logging.getLogger(name).setLevel(level)


def _echo(p: Progress) -> None:
    if p.done == 1 and p.dashboard:
        click.echo(f"Dask dashboard: {p.dashboard}")
    last = p.last
    what = f"{last.get('county', '?')} {last.get('analysis', '')}".strip()
    status = last.get("status", "")
    if status:
        what += f" {status}"
    if status in ("error", "bug"):
        what += f": {str(last.get('message', '')).splitlines()[0][:200]}"
    click.echo(
        f"[{p.done:>{len(str(p.total))}}/{p.total}] {what} — done {p.done}, failed {p.failed}, "
        f"running {p.running}"
    )


def summary_text(result: ProvinceResult) -> str:
    """The console summary: counties, tasks, province totals, failures."""
    s = result.summary
    t = s.get("totals", {})

    def num(key: str, fmt: str = ",.2f") -> str:
        v = t.get(key)
        return "—" if v is None else format(v, fmt)

    lines = [
        f"{result.name}: {s['counties']} counties, {s['tasks']} tasks "
        f"({s['tasks_ok']} ok, {s['tasks_skipped']} skipped for want of layers, "
        f"{s['tasks_failed']} failed, {s['tasks_reused']} up to date) in {s['seconds']:.1f} s",
        f"  批而未供 {num('unsupplied_mu')} 亩, 闲置 {num('idle_mu')} 亩, "
        f"供地率 {num('supply_rate', '.1%')}, 近五年 {num('supply_rate_5y', '.1%')}, "
        f"闲置费 {num('idle_fee_wan')} 万元",
    ]
    if s.get("split_conserved") is not None and result.split is not None:
        lines.append("  split by county: " + result.split.to_text().replace("\n", "\n  "))
    for row in result.failed.itertuples():
        first = str(row.message).splitlines()[0] if row.message else ""
        lines.append(f"  FAILED {row.county} {row.analysis} ({row.status}): {first}")
    return "\n".join(lines)
