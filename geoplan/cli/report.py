"""``geoplan report [COUNTY] [--out DIR] [--lang zh|en] [--tiles URL] [--progress]``: the county
HTML report."""

from __future__ import annotations

import click

from geoplan.cli._common import county_argument, open_county, out_dir, out_option, tiles_option


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
def report(
    county: str | None, out: str | None, lang: str, tiles: str | None, progress: bool | None
) -> None:
    """Run every analysis the county's layers allow and write one offline HTML report.

    Writes index.html (summary, tables, charts, maps; opens with no network), report.json
    (each section's status) and each analysis's data files in sub-folders audit/, zones/,
    connectivity/, hierarchy/ of --out (default maps/<county>/). With no COUNTY, the bundled
    demo county goes to maps/demo/. The report is written even when an analysis fails; the
    exit status is then 2 (bad input in its layers) or 1 (an unexpected failure).
    """
    import json
    import sys

    from geoplan.cli._progress import ReportProgress
    from geoplan.report import build_report

    c = open_county(county)
    show = sys.stderr.isatty() if progress is None else progress
    with ReportProgress(enabled=show) as bar:
        page = build_report(c, out=out_dir(out, c), lang=lang, tiles=tiles, progress=bar)
    click.echo(str(page))
    manifest = json.loads((page.parent / "report.json").read_text(encoding="utf-8"))
    failed = [s for s in manifest["sections"] if s["status"] in ("error", "bug")]
    for sec in failed:
        click.echo(f"{sec['key']}: {sec['note']}", err=True)
    if failed:
        raise SystemExit(1 if any(s["status"] == "bug" for s in failed) else 2)
