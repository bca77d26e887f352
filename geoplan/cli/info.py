"""``geoplan info [COUNTY]``: print a county package's layers, areas, CRS and as-of date."""

from __future__ import annotations

import click

from geoplan.cli._common import county_argument, open_county


@click.command()
@county_argument
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def info(county: str | None, as_json: bool) -> None:
    """Summarise a county package (default: the bundled demo county).

    Reads and validates every layer, then prints feature counts, areas in 亩 and ha, lengths,
    the metric CRS and the as-of date. Problems in any layer are reported together (exit 2).
    """
    summary = open_county(county).summary()
    if as_json:
        from geoplan.io import dumps_json

        click.echo(dumps_json(summary.to_dict()))
    else:
        click.echo(summary.to_text())
