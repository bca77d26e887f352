"""geoplan — county (县域) planning GIS toolkit."""

from geoplan._version import __version__

__all__ = ["__version__"]
