"""``python -m geoplan.cli``."""

from geoplan.cli.main import main

main()
