"""The ``geoplan`` command line: thin wrappers, each calling one library function.

One module per command (``geoplan/cli/<command>.py``), loaded lazily by :data:`COMMANDS`;
``main`` is the entry point (``geoplan = "geoplan.cli:main"``).
"""

from __future__ import annotations

from geoplan.cli.main import COMMANDS, main

__all__ = ["COMMANDS", "main"]
