"""The ``geoplan`` command line: thin wrappers, each calling one library function.

Commands live in ``geoplan/cli/<name>.py`` and are loaded lazily, so ``geoplan --help`` is quick
and one command's heavy imports do not slow the others. Any :class:`~geoplan.errors.GeoplanError`
is printed as its message, without a traceback, and exits with status 2; anything else exits 1.
"""

from __future__ import annotations

import importlib
import logging
import sys
from importlib.util import find_spec
from typing import Any

import click

from geoplan._version import __version__
from geoplan.errors import GeoplanError

# command name -> "module:attribute" of a click.Command
COMMANDS: dict[str, str] = {
    "info": "geoplan.cli.info:info",
    "report": "geoplan.cli.report:report",
    "audit": "geoplan.cli.audit:audit",
    "zones": "geoplan.cli.zones:zones",
    "connectivity": "geoplan.cli.connectivity:connectivity",
    "hierarchy": "geoplan.cli.hierarchy:hierarchy",
    "efficiency": "geoplan.cli.efficiency:efficiency",
    "province": "geoplan.cli.province:province",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(n for n, t in COMMANDS.items() if find_spec(t.split(":")[0]) is not None)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module, attr = target.split(":")
        cmd = getattr(importlib.import_module(module), attr)
        assert isinstance(cmd, click.Command)
        return cmd

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except GeoplanError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="geoplan")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.option("-q", "--quiet", is_flag=True, help="Only warnings and errors.")
def main(verbose: int, quiet: bool) -> None:
    """County planning GIS: audit, zones, connectivity, hierarchy and offline map reports.

    COUNTY arguments are a county-package folder (with county.toml); with none, commands run on
    the bundled demo county. Results go to --out (default maps/<county>/).
    """
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("geoplan").setLevel(level)
    for noisy in ("pyogrio", "fiona", "rasterio", "urllib3", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


if __name__ == "__main__":  # pragma: no cover
    main()
