"""``geoplan report [COUNTY] [--out DIR] [--lang zh|en] [--tiles URL] [--progress] [--to URL]``:
the county HTML report (and its results in PostGIS)."""

from __future__ import annotations

from typing import Literal

import click

from geoplan.cli._common import (
    county_argument,
    database_options,
    database_target,
    open_county,
    out_dir,
    out_option,
    tiles_option,
)


@click.command()
@county_argument
@out_option
@click.option(
    "--lang",
    type=click.Choice(["zh", "en"]),
    default="zh",
    show_default=True,
    help="Language of the report and its maps.",
)
@tiles_option
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress bar and each step's time on stderr (default: when stderr is a terminal).",
)
@database_options
def report(
    county: str | None,
    out: str | None,
    lang: str,
    tiles: str | None,
    progress: bool | None,
    to_url: str | None,
    mode: str | None,
    adcode: str | None,
) -> None:
    """Run every analysis the county's layers allow and write one offline HTML report.

    Writes index.html (summary, tables, charts, maps; opens with no network), report.json
    (each section's status) and each analysis's data files in sub-folders audit/, zones/,
    connectivity/, hierarchy/ of --out (default maps/<county>/). With no COUNTY, the bundled
    demo county goes to maps/demo/. With --to postgresql://…#schema every analysis that ran is
    also written into PostGIS, as its own command's --to would (one geoplan_runs row each). The
    report is written even when an analysis fails; the exit status is then 2 (bad input in its
    layers) or 1 (an unexpected failure).
    """
    import json
    import sys

    from geoplan.cli._progress import ReportProgress
    from geoplan.report import build_report

    c = open_county(county)
    target = out_dir(out, c)
    db = database_target(to_url, mode, adcode, c)
    show = sys.stderr.isatty() if progress is None else progress
    url: str | None = None
    code: str | None = None
    write_mode: Literal["replace", "append"] = "replace"
    if db is not None:
        url, code, write_mode = db
    with ReportProgress(enabled=show) as bar:
        page = build_report(c, out=target, lang=lang, tiles=tiles, progress=bar, to=url,
                            adcode=code, mode=write_mode)  # fmt: skip
    click.echo(str(page))
    manifest = json.loads((page.parent / "report.json").read_text(encoding="utf-8"))
    for run in manifest.get("database", []):
        rows = sum(run["rows"].values())
        replaced = (
            f", replacing run(s) {', '.join(map(str, run['replaced']))}" if run["replaced"] else ""
        )
        click.echo(f"{run['analysis']}: wrote run {run['run_id']} ({rows:,} rows in "
                   f"{len(run['rows'])} tables) to #{run['schema']}{replaced}")  # fmt: skip
    failed = [s for s in manifest["sections"] if s["status"] in ("error", "bug")]
    for sec in failed:  # the note, and the error's own text (file, layer, field, fix)
        detail = f"\n  {sec['detail']}" if sec.get("detail") else ""
        click.echo(f"{sec['key']}: {sec['note']}{detail}", err=True)
    if failed:
        raise SystemExit(1 if any(s["status"] == "bug" for s in failed) else 2)
