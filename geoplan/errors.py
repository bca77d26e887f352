"""Errors and warnings raised by geoplan.

Every error is a :class:`GeoplanError`; most also inherit a builtin (``ValueError``,
``FileNotFoundError``, ``ImportError``) so generic handlers keep working. Messages are one
paragraph that says what arrived, what was expected and how to fix it. The command line prints
the message of any ``GeoplanError`` without a traceback and exits with status 2.
"""

from __future__ import annotations

__all__ = [
    "CRSError",
    "DataFileNotFoundError",
    "DatabaseError",
    "DateParseError",
    "EmptyLayerError",
    "GeometryTypeError",
    "GeoplanError",
    "GeoplanWarning",
    "InputError",
    "LayerNotFoundError",
    "MissingExtraError",
    "MissingFieldError",
    "OutputError",
    "UnknownCodeError",
]


class GeoplanError(Exception):
    """Base class of every error geoplan raises on purpose."""


class InputError(GeoplanError, ValueError):
    """The input data cannot be used as it is (bad values, bad geometry, bad options)."""


class DataFileNotFoundError(GeoplanError, FileNotFoundError):
    """A file or folder named as input does not exist."""


class LayerNotFoundError(InputError):
    """A named layer is not in the data source; the message lists the layers that are."""


class CRSError(InputError):
    """A layer has no CRS, a geographic CRS where metres are needed, or CRSs that disagree."""


class GeometryTypeError(InputError):
    """A layer holds the wrong kind of geometry for its role (e.g. lines where polygons belong)."""


class MissingFieldError(InputError):
    """A field required for a layer's role is absent; the message lists columns and aliases."""


class DateParseError(InputError):
    """Values of a date field could not be read as dates; the message gives the row ids."""


class EmptyLayerError(InputError):
    """A layer holds no features (or none survive geometry repair)."""


class UnknownCodeError(InputError):
    """Class codes that the land-use scheme does not define."""


class OutputError(GeoplanError, OSError):
    """The output folder cannot be written (read-only, under a file, disk full)."""


class DatabaseError(GeoplanError, OSError):
    """A database cannot be reached or used (no server, wrong password, no PostGIS, a table that
    cannot be written); nothing was written. The message names the database and the fix."""


class MissingExtraError(GeoplanError, ImportError):
    """An optional dependency is not installed; the message names the extra to install."""


class GeoplanWarning(UserWarning):
    """Something was repaired, dropped or assumed; the result is still right."""
