"""What a source string names: ``path:layer``, an OpenStreetMap extract, a raster, a vector file
or a table in a PostGIS database (``postgresql://user@host:5432/db#schema.table?where=…``).

The one place that knows these forms: the County, the road-network builder, the zones raster
path and the command line all ask here, so a source that works in one works in all.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from geoplan.errors import InputError

__all__ = [
    "DATABASE_SCHEMES",
    "OSM_SUFFIXES",
    "RASTER_SUFFIXES",
    "DatabaseSource",
    "Filter",
    "is_database_source",
    "is_osm_source",
    "is_raster_source",
    "parse_database_source",
    "split_source",
]

#: OpenStreetMap extracts pyosmium reads (PBF, XML, and XML compressed or in o5m).
OSM_SUFFIXES: tuple[str, ...] = (
    ".osm.pbf",
    ".pbf",
    ".osm",
    ".osm.xml",
    ".o5m",
    ".osm.bz2",
    ".osm.gz",
)
#: Raster files read with rasterio (land cover).
RASTER_SUFFIXES: tuple[str, ...] = (".tif", ".tiff", ".vrt", ".img")


def split_source(
    source: str | os.PathLike[str], layer: str | None = None
) -> tuple[Path, str | None]:
    """Split ``path:layer`` into a path and a layer name (``layer`` wins when given).

    A string that names an existing file is a path even if it contains a colon.

    Examples
    --------
    >>> split_source("county.gpkg:parks")
    (PosixPath('county.gpkg'), 'parks')
    >>> split_source("roads.osm.pbf")
    (PosixPath('roads.osm.pbf'), None)
    """
    text = os.fspath(source)
    if is_database_source(text):
        raise InputError(
            f"{redact(text)} is a database table, not a file: read it with read_layer (or "
            "parse it with geoplan.io.parse_database_source)."
        )
    path = Path(text)
    if layer is not None or path.exists():
        return path, layer
    head, sep, tail = text.rpartition(":")
    if sep and head and tail and "/" not in tail and "\\" not in tail:
        return Path(head), tail
    return path, None


def is_osm_source(source: object) -> bool:
    """Whether ``source`` names an OpenStreetMap extract (by its suffix; no layer part).

    Examples
    --------
    >>> [is_osm_source(s) for s in ("roads.osm.pbf", "roads.osm.bz2", "roads.gpkg:lines")]
    [True, True, False]
    """
    if not isinstance(source, str | os.PathLike) or is_database_source(source):
        return False
    path, layer = split_source(source)
    return layer is None and path.name.lower().endswith(OSM_SUFFIXES)


def is_raster_source(source: object) -> bool:
    """Whether ``source`` names a raster file (by its suffix).

    Examples
    --------
    >>> is_raster_source("landcover.tif"), is_raster_source("county.gpkg:landuse")
    (True, False)
    """
    return isinstance(source, str | os.PathLike) and os.fspath(source).lower().endswith(
        RASTER_SUFFIXES
    )


# --------------------------------------------------------------------------- databases

#: URL schemes of PostgreSQL connection strings (libpq's own two).
DATABASE_SCHEMES: tuple[str, ...] = ("postgresql://", "postgres://")
#: comparison operators a ``where=`` filter may use (``^=``: text starts with)
FILTER_OPERATORS: tuple[str, ...] = ("<=", ">=", "!=", "<>", "^=", "=", "<", ">")
_OPTIONS = ("where", "bbox", "geometry")
_PART = r'(?:"(?:[^"]|"")+"|[^."?]+)'
_TABLE = re.compile(rf"^(?P<first>{_PART})(?:\.(?P<second>{_PART}))?$")
_FILTER = re.compile(
    r"^\s*(?P<column>\"(?:[^\"]|\"\")+\"|[^\s=!<>^\"]+)\s*"
    r"(?P<op><=|>=|!=|<>|\^=|=|<|>)\s*(?P<value>.*?)\s*$",
    re.DOTALL,
)


@dataclass(frozen=True)
class Filter:
    """One ``where=COLUMN OP VALUE`` condition: a column name (checked against the table), an
    operator from :data:`FILTER_OPERATORS` and a value passed to the server as a parameter."""

    column: str
    op: str
    value: str

    def __str__(self) -> str:
        return f"{self.column} {self.op} {self.value!r}"


@dataclass(frozen=True)
class DatabaseSource:
    """A table (or view) in a PostGIS database, as parsed by :func:`parse_database_source`.

    ``conninfo`` is the libpq connection URL (without a password: libpq takes it from
    ``PGPASSWORD`` or ``~/.pgpass``); ``schema`` is None when the URL names the table alone
    (the server's search path finds it); ``quoted`` says which of schema and table were written
    in double quotes (kept exactly as written; unquoted names may match in lower case, as SQL
    folds them).
    """

    conninfo: str
    schema: str | None
    table: str | None
    where: tuple[Filter, ...] = ()
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs: str | None = None
    geometry: str | None = None
    quoted: tuple[bool, bool] = (False, False)

    @property
    def label(self) -> str:
        """The source as messages show it (the table and its filters; never a password)."""
        name = ".".join(p for p in (self.schema, self.table) if p)
        out = f"{self.conninfo}#{name}" if name else self.conninfo
        extra = [f"where {f}" for f in self.where]
        if self.bbox is not None:
            box = ",".join(f"{v:g}" for v in self.bbox)
            extra.append(f"bbox {box}" + (f" ({self.bbox_crs})" if self.bbox_crs else ""))
        return out + (f" [{'; '.join(extra)}]" if extra else "")


def is_database_source(source: object) -> bool:
    """Whether ``source`` names a database table (a ``postgresql://`` or ``postgres://`` URL).

    Examples
    --------
    >>> is_database_source("postgresql://gis@db:5432/land#sdc.dltb"), is_database_source("a.gpkg")
    (True, False)
    """
    return isinstance(source, str) and source.strip().lower().startswith(DATABASE_SCHEMES)


def redact(text: str) -> str:
    """``text`` with the password of a ``scheme://user:password@host`` URL replaced by ``***``.

    Examples
    --------
    >>> redact("postgresql://gis:secret@db/land#t")
    'postgresql://gis:***@db/land#t'
    >>> redact("postgresql://gis@db/land?sslmode=require&password=secret#t")
    'postgresql://gis@db/land?sslmode=require&password=***#t'
    """
    text = re.sub(r"^(\w+://[^:/@#?]*):[^@/#?]*@", r"\1:***@", text)
    return re.sub(r"([?&]password=)[^&#]*", r"\1***", text, flags=re.IGNORECASE)


def parse_database_source(source: str, *, need_table: bool = True) -> DatabaseSource:
    """Parse ``postgresql://user@host:5432/db[?libpq options]#[schema.]table[?filters]``.

    Everything before ``#`` is the libpq connection URL, its own ``?`` options (``sslmode``,
    ``connect_timeout`` …) included. After ``#`` come the table, as ``schema.table`` or
    ``table`` (``"Quoted"`` names keep their case and may hold dots), and after a second ``?``
    the filters, joined with ``&`` and percent-encoded where they hold ``&``, ``#`` or ``%``:

    - ``where=COLUMN OP VALUE`` (repeatable, all must hold): OP is one of ``= != <> < <= > >=``
      or ``^=`` (text starts with VALUE); the column must exist and the value is sent as a
      query parameter, never as SQL;
    - ``bbox=XMIN,YMIN,XMAX,YMAX[,CRS]``: features whose geometry meets the box (in the
      table's CRS unless a CRS such as ``EPSG:4490`` follows);
    - ``geometry=COLUMN``: the geometry column, for a table that has several.

    A password in the URL is refused: libpq reads it from ``PGPASSWORD`` or ``~/.pgpass``.

    Raises
    ------
    InputError
        The text is not such a URL, holds a password, or its table or filters are malformed.

    Examples
    --------
    >>> src = parse_database_source(
    ...     "postgresql://gis@db.local:5432/land#sdc.dltb?where=ZLDWDM^=410225&bbox=0,0,10,10")
    >>> src.conninfo, src.schema, src.table, src.bbox
    ('postgresql://gis@db.local:5432/land', 'sdc', 'dltb', (0.0, 0.0, 10.0, 10.0))
    >>> src.where
    (Filter(column='ZLDWDM', op='^=', value='410225'),)
    """
    text = source.strip()
    shown = redact(text)
    if not is_database_source(text):
        raise InputError(f"{shown!r} is not a postgresql:// URL.")
    conninfo, _, fragment = text.partition("#")
    _check_conninfo(conninfo, shown)
    table_part, _, query = fragment.partition("?")
    schema = table = None
    quoted = (False, False)
    if table_part:
        m = _TABLE.match(unquote(table_part))
        if m is None:
            raise InputError(
                f"{shown}: {table_part!r} is not a table name; write #schema.table (or "
                '#table, or #"Schema"."Table" for names with capitals or dots).'
            )
        first, second = m.group("first"), m.group("second")
        schema_part, name_part = (first, second) if second is not None else (None, first)
        quoted = (bool(schema_part and schema_part.startswith('"')), name_part.startswith('"'))
        schema = _unquote_ident(schema_part) if schema_part else None
        table = _unquote_ident(name_part)
    elif need_table:
        raise InputError(
            f"{shown}: name the table after '#', e.g. {conninfo}#public.approvals "
            "(password from PGPASSWORD or ~/.pgpass)."
        )
    where, bbox, bbox_crs, geometry = _parse_filters(query, shown)
    return DatabaseSource(conninfo, schema, table, where, bbox, bbox_crs, geometry, quoted)


def _unquote_ident(part: str) -> str:
    if part.startswith('"') and part.endswith('"'):
        return part[1:-1].replace('""', '"')
    return part


def _check_conninfo(conninfo: str, shown: str) -> None:
    parts = urlsplit(conninfo)
    if parts.password is not None or "password" in {
        k.lower() for k, _ in parse_qsl(parts.query, keep_blank_values=True)
    }:
        raise InputError(
            f"{shown}: the URL holds a password. Never write a password into county.toml, a "
            "script or a command line: remove it from the URL and give it to libpq in the "
            "environment (PGPASSWORD) or in ~/.pgpass (host:port:db:user:password, chmod 600)."
        )
    misplaced = sorted(
        {k for k, _ in parse_qsl(parts.query, keep_blank_values=True)} & set(_OPTIONS)
    )
    if misplaced:
        raise InputError(
            f"{shown}: {', '.join(misplaced)} belong after the table, not in the connection "
            "options: write postgresql://user@host:5432/db#schema.table?where=COLUMN=VALUE."
        )


def _parse_filters(
    query: str, shown: str
) -> tuple[tuple[Filter, ...], tuple[float, float, float, float] | None, str | None, str | None]:
    where: list[Filter] = []
    bbox: tuple[float, float, float, float] | None = None
    bbox_crs = geometry = None
    for item in query.split("&") if query else []:
        key, sep, raw = item.partition("=")
        value = unquote(raw)
        if not sep or key not in _OPTIONS:
            raise InputError(
                f"{shown}: {item!r} is not a filter; after the table write ?where=COLUMN=VALUE, "
                "&bbox=XMIN,YMIN,XMAX,YMAX or &geometry=COLUMN."
            )
        if key == "where":
            where.append(_parse_where(value, shown))
        elif key == "bbox":
            bbox, bbox_crs = _parse_bbox(value, shown)
        else:
            geometry = _unquote_ident(value.strip())
    return tuple(where), bbox, bbox_crs, geometry


def _parse_where(text: str, shown: str) -> Filter:
    m = _FILTER.match(text)
    if m is None:
        raise InputError(
            f"{shown}: where={text!r} is not COLUMN OP VALUE (OP one of "
            f"{' '.join(FILTER_OPERATORS)}); e.g. where=XZQDM=410225 or where=PDNF>=2019. "
            "Several where= must all hold."
        )
    op = "!=" if m.group("op") == "<>" else m.group("op")
    return Filter(_unquote_ident(m.group("column")), op, m.group("value"))


def _parse_bbox(text: str, shown: str) -> tuple[tuple[float, float, float, float], str | None]:
    items = [t.strip() for t in text.split(",")]
    crs = items.pop() if len(items) == 5 else None
    try:
        values = tuple(float(t) for t in items)
    except ValueError:
        values = ()
    if len(values) != 4 or not all(math.isfinite(v) for v in values):
        raise InputError(
            f"{shown}: bbox={text!r} is not XMIN,YMIN,XMAX,YMAX (four numbers, optionally a "
            "fifth item naming their CRS, e.g. bbox=113.5,34.2,114.1,34.9,EPSG:4490)."
        )
    xmin, ymin, xmax, ymax = values
    if xmin >= xmax or ymin >= ymax:
        raise InputError(f"{shown}: bbox={text!r}: XMIN must be below XMAX and YMIN below YMAX.")
    return (xmin, ymin, xmax, ymax), crs
