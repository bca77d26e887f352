"""PostGIS in: connecting, and reading a table as a raw GeoDataFrame, streamed in chunks.

pyogrio's bundled GDAL has no PostgreSQL driver, so tables are read with psycopg 3 (the
``postgis`` extra): a server-side cursor in binary mode fetches ``chunk_rows`` rows at a time,
geometries as ``ST_AsBinary`` (built with :func:`shapely.from_wkb` chunk by chunk) and the other
columns into Arrow arrays, so a 10⁶-parcel table never exists twice in memory as Python rows.
:func:`geoplan.io.read_layer` then puts the frame through the same normalisation as a file.

Identifiers come from the server's catalog and are quoted (:class:`psycopg.sql.Identifier`);
filter values are query parameters: nothing from county.toml or the command line becomes SQL.
Every failure (no server, wrong password, no PostGIS, missing table or column, SRID 0) is a
:class:`~geoplan.errors.DatabaseError` or :class:`~geoplan.errors.CRSError` naming the source.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import CRSError, DatabaseError, LayerNotFoundError, MissingExtraError
from geoplan.io._sources import DatabaseSource, Filter

if TYPE_CHECKING:
    import psycopg

__all__ = ["connect", "list_tables", "read_table", "require_postgis"]

logger = logging.getLogger(__name__)

#: rows fetched per round trip (and built into geometries at once)
CHUNK_ROWS = 50_000
_INT_TYPES = {"smallint", "integer", "bigint"}
_FLOAT_TYPES = {"real", "double precision", "numeric"}
_NATIVE_TYPES = {"text", "character varying", "character", "boolean", "date",
                 "timestamp without time zone", "timestamp with time zone",
                 *_INT_TYPES, *_FLOAT_TYPES}  # fmt: skip


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError:
        raise MissingExtraError(
            "Reading or writing PostGIS needs psycopg 3: pip install 'geoplan[postgis]' "
            "(or: pip install 'psycopg[binary]')."
        ) from None
    return psycopg


@contextlib.contextmanager
def connect(
    conninfo: str, label: str, *, read_only: bool = False, autocommit: bool = False
) -> Iterator[psycopg.Connection]:
    """A psycopg connection to ``conninfo`` (closed on exit; a transaction left open is rolled
    back). With ``autocommit``, ``con.transaction()`` blocks are the transactions (writers);
    without, reads run in one read-only transaction. Connection failures become one
    :class:`DatabaseError` that says what to check."""
    psycopg = _psycopg()
    try:
        given = psycopg.conninfo.conninfo_to_dict(conninfo)
        defaults = {"connect_timeout": 10, "application_name": "geoplan"}
        con = psycopg.connect(conninfo, **{k: v for k, v in defaults.items() if k not in given})
    except psycopg.OperationalError as exc:
        raise DatabaseError(_connect_message(label, str(exc))) from None
    except psycopg.ProgrammingError as exc:  # a malformed conninfo
        raise DatabaseError(
            f"{label}: the connection URL is not valid ({_first_line(exc)}). Write it as "
            "postgresql://user@host:5432/database#schema.table."
        ) from None
    try:
        con.autocommit = autocommit
        con.read_only = read_only
        yield con
    finally:
        con.close()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _connect_message(label: str, detail: str) -> str:
    low = detail.lower()
    if "password authentication failed" in low:
        why = (
            "the server refused the password. Check PGPASSWORD or the line for this host, port, "
            "database and user in ~/.pgpass (host:port:db:user:password, chmod 600)"
        )
    elif "no password supplied" in low:
        why = (
            "the server asks for a password and none was given. Put it in PGPASSWORD or in "
            "~/.pgpass (host:port:db:user:password, chmod 600) — never in the URL or county.toml"
        )
    elif "does not exist" in low and "database" in low:
        why = "that database does not exist on the server. Check the database name in the URL"
    elif "role" in low and "does not exist" in low:
        why = "that user (role) does not exist on the server. Check the user name in the URL"
    elif "timeout" in low or "timed out" in low:
        why = "the server did not answer within 10 s. Check the host and port, and the firewall"
    else:
        why = (
            "the server cannot be reached. Check the host and port in the URL, that PostgreSQL "
            "is running there and accepts connections from this machine (pg_hba.conf)"
        )
    detail = " ".join(detail.split())
    return f"{label}: cannot connect to the database: {why}. (libpq: {detail})"


def require_postgis(con: psycopg.Connection, label: str) -> str:
    """The PostGIS version installed in the connected database; a :class:`DatabaseError` when the
    extension is missing."""
    row = con.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
    if row is None:
        db = con.info.dbname
        raise DatabaseError(
            f"{label}: the database {db!r} has no PostGIS extension. Ask its administrator to run "
            f"CREATE EXTENSION postgis; in {db!r} (Debian: apt-get install postgresql-postgis)."
        )
    return str(row[0])


@dataclass(frozen=True)
class _Table:
    schema: str
    name: str
    columns: dict[str, str]  # name -> format_type
    geometries: dict[str, int]  # geometry column -> SRID of its type (0: none)
    key: str | None  # a single-column integer primary key


def _find_table(con: psycopg.Connection, src: DatabaseSource, label: str) -> _Table:
    names = [src.table or ""]
    if not src.quoted[1] and src.table != (src.table or "").lower():
        names.append((src.table or "").lower())
    schemas: list[str | None] = [src.schema]
    if src.schema is not None and not src.quoted[0] and src.schema != src.schema.lower():
        schemas.append(src.schema.lower())
    for schema in schemas:
        for name in names:
            row = con.execute(
                "SELECT c.oid, n.nspname, c.relname FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE c.relname = %s AND c.relkind IN ('r', 'v', 'm', 'p', 'f') AND "
                "(n.nspname = %s OR (%s::text IS NULL AND pg_table_is_visible(c.oid)))",
                (name, schema, schema),
            ).fetchone()
            if row is not None:
                return _describe(con, int(row[0]), str(row[1]), str(row[2]))
    found = list_tables(con, src.schema)
    where = f"schema {src.schema!r}" if src.schema else "the search path"
    raise LayerNotFoundError(
        f"{label}: there is no table or view {src.table!r} in {where} of database "
        f"{con.info.dbname!r}. Tables with geometry there: {', '.join(found[:20]) or '(none)'}. "
        "Check the name after '#' (schema.table) and that this user may see it."
    )


def _describe(con: psycopg.Connection, oid: int, schema: str, name: str) -> _Table:
    rows = con.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod), t.typname, "
        "CASE WHEN t.typname = 'geometry' THEN postgis_typmod_srid(a.atttypmod) END "
        "FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid "
        "WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        (oid,),
    ).fetchall()
    columns = {str(r[0]): str(r[1]) for r in rows}
    geometries = {str(r[0]): max(int(r[3] or 0), 0) for r in rows if r[2] == "geometry"}
    key_rows = con.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = %s AND i.indisprimary",
        (oid,),
    ).fetchall()
    key = str(key_rows[0][0]) if len(key_rows) == 1 and key_rows[0][1] in _INT_TYPES else None
    return _Table(schema, name, columns, geometries, key)


def list_tables(con: psycopg.Connection, schema: str | None) -> list[str]:
    """``schema.table`` of every table or view with a geometry column (in ``schema``, or in all
    schemas but the system's)."""
    rows = con.execute(
        "SELECT DISTINCT f_table_schema, f_table_name FROM geometry_columns "
        "WHERE (%s::text IS NULL AND f_table_schema NOT IN ('pg_catalog', 'information_schema', "
        "'topology', 'tiger')) OR f_table_schema = %s ORDER BY 1, 2",
        (schema, schema),
    ).fetchall()
    return [f"{r[0]}.{r[1]}" for r in rows]


def _geometry_column(table: _Table, src: DatabaseSource, label: str) -> str:
    if src.geometry is not None:
        if src.geometry not in table.geometries:
            raise LayerNotFoundError(
                f"{label}: geometry={src.geometry!r} is not a geometry column of "
                f"{table.schema}.{table.name}; its geometry columns: "
                f"{', '.join(table.geometries) or '(none)'}."
            )
        return src.geometry
    if not table.geometries:
        raise LayerNotFoundError(
            f"{label}: {table.schema}.{table.name} has no PostGIS geometry column (its columns: "
            f"{', '.join(table.columns)}). Name a table with geometry (a geography column: "
            "cast it in a view, geom::geometry)."
        )
    if len(table.geometries) > 1:
        raise LayerNotFoundError(
            f"{label}: {table.schema}.{table.name} has several geometry columns "
            f"({', '.join(table.geometries)}); choose one with ?geometry=COLUMN after the table."
        )
    return next(iter(table.geometries))


def _filters(
    src: DatabaseSource, table: _Table, geom: str, srid: int, label: str
) -> tuple[Any, list[Any]]:
    """The WHERE clause (composed SQL: quoted identifiers, ``%s`` parameters) and its values."""
    from psycopg import sql

    parts: list[sql.Composable] = []
    params: list[Any] = []
    for f in src.where:
        parts.append(_condition(f, table, label))
        params.append(f.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_"))
        if f.op != "^=":
            params[-1] = f.value
    if src.bbox is not None:
        box_srid = _bbox_srid(src, srid, label)
        envelope: sql.Composable = sql.SQL("ST_MakeEnvelope(%s, %s, %s, %s, %s)")
        params.extend([*src.bbox, box_srid])
        if box_srid != srid:
            envelope = sql.SQL("ST_Transform({}, %s)").format(envelope)
            params.append(srid)
        parts.append(sql.SQL("ST_Intersects({}, {})").format(sql.Identifier(geom), envelope))
    if not parts:
        return sql.SQL(""), params
    return sql.SQL(" WHERE ") + sql.SQL(" AND ").join(parts), params


def _condition(f: Filter, table: _Table, label: str) -> Any:
    from psycopg import sql

    if f.column not in table.columns:
        raise LayerNotFoundError(
            f"{label}: the filter where {f} names a column that {table.schema}.{table.name} "
            f"does not have; its columns: {', '.join(table.columns)}."
        )
    column = sql.Identifier(f.column)
    if f.op == "^=":
        return sql.SQL("{}::text LIKE %s || '%%'").format(column)
    return sql.SQL("{} " + f.op + " %s").format(column)


def _bbox_srid(src: DatabaseSource, srid: int, label: str) -> int:
    if src.bbox_crs is None:
        return srid
    from pyproj import CRS

    try:
        epsg = CRS.from_user_input(src.bbox_crs).to_epsg()
    except Exception:  # pyproj's CRSError and friends
        epsg = None
    if epsg is None:
        raise CRSError(
            f"{label}: the bbox CRS {src.bbox_crs!r} is not an EPSG code geoplan understands; "
            "write it as EPSG:4490."
        )
    return int(epsg)


def _select_list(table: _Table, geom: str) -> tuple[Any, list[str], list[str]]:
    """Columns to fetch (numerics as float8, unusual types as text) and their names/types."""
    from psycopg import sql

    items: list[sql.Composable] = []
    names, kinds = [], []
    for name, typ in table.columns.items():
        if name in table.geometries or name == table.key:
            continue
        base = typ.split("(")[0].strip()
        ident = sql.Identifier(name)
        if base == "numeric":
            items.append(sql.SQL("{}::float8").format(ident))
            kind = "double precision"
        elif base in _NATIVE_TYPES:
            items.append(ident)
            kind = base
        else:  # uuid, json, arrays, geography …: their text form
            items.append(sql.SQL("{}::text").format(ident))
            kind = "text"
        names.append(name)
        kinds.append(kind)
    key = [sql.Identifier(table.key)] if table.key else []
    select = sql.SQL(", ").join(
        [*key, *items, sql.SQL("ST_AsBinary({})").format(sql.Identifier(geom))]
    )
    return select, names, kinds


def read_table(
    src: DatabaseSource, label: str, *, chunk_rows: int = CHUNK_ROWS
) -> gpd.GeoDataFrame:
    """The table's rows as a GeoDataFrame (CRS from its SRID; None for SRID 0), indexed by its
    integer primary key when it has one, read in chunks of ``chunk_rows``."""
    from psycopg import sql

    psycopg = _psycopg()
    with connect(src.conninfo, label, read_only=True) as con:
        require_postgis(con, label)
        table = _find_table(con, src, label)
        geom = _geometry_column(table, src, label)
        relation = sql.Identifier(table.schema, table.name)
        srid = table.geometries[geom] or _row_srid(con, relation, geom, label)
        where, params = _filters(src, table, geom, srid, label)
        select, names, kinds = _select_list(table, geom)
        query = sql.SQL("SELECT {} FROM {}{}").format(select, relation, where)
        if table.key:
            query += sql.SQL(" ORDER BY {}").format(sql.Identifier(table.key))
        try:
            with con.cursor(name="geoplan_read", binary=True) as cur:
                cur.itersize = chunk_rows
                cur.execute(query, params)
                keys, columns, geoms = _fetch(cur, chunk_rows, names, kinds, bool(table.key))
        except psycopg.DataError as exc:
            raise DatabaseError(
                f"{label}: the server rejected a filter value ({_first_line(exc)}). Compare a "
                "column with a value of its type (where=PDNF>=2019 on a number, "
                "where=PZRQ>=2019-01-01 on a date)."
            ) from None
        except psycopg.Error as exc:
            raise DatabaseError(f"{label}: reading the table failed: {_first_line(exc)}") from None
    geometry = np.concatenate(geoms) if geoms else np.empty(0, dtype=object)
    frame = _frame(names, kinds, columns, len(geometry))
    if table.key:
        frame.index = pd.Index(np.concatenate(keys) if keys else [], name=table.key)
    crs = f"EPSG:{srid}" if srid else None
    logger.info("%s: %d rows read (SRID %s)", label, len(frame), srid)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=frame.index), crs=crs)


def _row_srid(con: psycopg.Connection, relation: Any, geom: str, label: str) -> int:
    """The SRID of a column whose type does not state one: the SRID its rows share, or 0."""
    from psycopg import sql

    rows = con.execute(
        sql.SQL("SELECT DISTINCT ST_SRID({g}) FROM {t} WHERE {g} IS NOT NULL LIMIT 3").format(
            g=sql.Identifier(geom), t=relation
        )
    ).fetchall()
    srids = sorted({int(r[0]) for r in rows})
    if len(srids) > 1:
        raise CRSError(
            f"{label}: the rows of column {geom!r} have different SRIDs ({srids}). Make them "
            "one: UPDATE … SET geom = ST_Transform(geom, <srid>), then constrain the column "
            "(ALTER TABLE … ALTER COLUMN geom TYPE geometry(MultiPolygon, <srid>))."
        )
    return srids[0] if srids else 0


def _fetch(
    cur: psycopg.Cursor[Any], chunk_rows: int, names: list[str], kinds: list[str], keyed: bool
) -> tuple[list[np.ndarray], list[list[Any]], list[np.ndarray]]:
    import pyarrow as pa

    keys: list[np.ndarray] = []
    columns: list[list[Any]] = [[] for _ in names]
    geoms: list[np.ndarray] = []
    while rows := cur.fetchmany(chunk_rows):
        cols = list(zip(*rows, strict=True))
        del rows
        if keyed:
            keys.append(np.asarray(cols.pop(0), dtype=np.int64))
        wkb = cols.pop()
        geoms.append(shapely.from_wkb(np.asarray(wkb, dtype=object)))
        for out, values, kind in zip(columns, cols, kinds, strict=True):
            out.append(pa.array(values, type=_ARROW[kind]()))
    return keys, columns, geoms


_ARROW: dict[str, Any] = {}


def _arrow_types() -> None:
    import pyarrow as pa

    ints = dict.fromkeys(_INT_TYPES, pa.int64)
    floats = dict.fromkeys(_FLOAT_TYPES, pa.float64)
    texts = dict.fromkeys(("text", "character varying", "character"), pa.string)
    _ARROW.update({**ints, **floats, **texts, "boolean": pa.bool_, "date": pa.date32})
    _ARROW["timestamp without time zone"] = lambda: pa.timestamp("us")
    _ARROW["timestamp with time zone"] = lambda: pa.timestamp("us", tz="UTC")


_arrow_types()


def _frame(names: list[str], kinds: list[str], columns: list[list[Any]], n: int) -> pd.DataFrame:
    """A DataFrame from the Arrow chunks, converted the way pyogrio converts a file's Arrow
    table (so both paths reach the normalisation with the same dtypes)."""
    import pyarrow as pa

    arrays = [
        pa.chunked_array(chunks, type=_ARROW[kind]())
        for chunks, kind in zip(columns, kinds, strict=True)
    ]
    if not names:
        return pd.DataFrame(index=pd.RangeIndex(n))
    # dates as datetime64[ms] at midnight, as GDAL gives a GeoPackage's DATE columns
    arrays = [
        a.cast(pa.timestamp("ms")) if k == "date" else a for a, k in zip(arrays, kinds, strict=True)
    ]
    return pa.table(arrays, names=names).to_pandas()
