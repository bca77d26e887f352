"""PostGIS out: an analysis's tables and its ``geoplan_runs`` row, written in one transaction.

Each run of an analysis becomes one row of ``<schema>.geoplan_runs`` (run id, county adcode and
name, as-of date, analysis, geoplan version, parameters and summary as jsonb, the tables written
with their row counts, started/finished, status) and its rows in typed tables
(``<analysis>_<table>``: ``gid`` identity primary key, ``run_id`` referencing the run with
``ON DELETE CASCADE``, the result's columns typed from their dtypes, ``geom`` as
``geometry(MultiPolygon | MultiLineString | Point, SRID)`` with a GiST index; polygons and
lines are promoted to their multi type so one column takes both), with ``COMMENT ON`` the tables and columns in
Chinese. Everything — schema, tables, indexes, rows, the removal of replaced runs — happens in
one transaction: a failure, a lost connection or a killed process leaves the database as it was.
``mode="replace"`` removes the earlier runs of the same county, as-of date and analysis (their
rows go with them); ``mode="append"`` keeps them. Writers of one schema take turns (an advisory
transaction lock), so two runs of the same county never both survive a replace.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd
import shapely

from geoplan.errors import DatabaseError, InputError
from geoplan.io._pg_values import copy_values, ewkb, geometry_family, sql_type
from geoplan.io._postgis import _first_line, _psycopg, connect, require_postgis
from geoplan.io._sources import is_database_source, parse_database_source, redact
from geoplan.io._write import dumps_json

if TYPE_CHECKING:
    import psycopg

__all__ = [
    "RUNS_TABLE",
    "PostgisTable",
    "RunInfo",
    "RunRecord",
    "check_target",
    "json_ready",
    "label_map",
    "write_postgis",
]

logger = logging.getLogger(__name__)

WriteMode = Literal["replace", "append"]
RUNS_TABLE = "geoplan_runs"
_RESERVED = {"gid", "run_id", "geom"}
RUNS_COLUMNS: dict[str, tuple[str, str]] = {
    "run_id": ("bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY", "运行编号"),
    "county_adcode": ("text NOT NULL", "县级行政区划代码"),
    "county_name": ("text", "县名"),
    "as_of": ("date NOT NULL", "评估基准日"),
    "analysis": ("text NOT NULL", "分析(audit 土地摸排 / zones 功能分区 / connectivity 园区连通 / hierarchy 城镇体系)"),
    "geoplan_version": ("text NOT NULL", "geoplan 版本"),
    "parameters": ("jsonb NOT NULL", "分析参数"),
    "summary": ("jsonb", "结果摘要"),
    "tables": ("jsonb", "写入的表及行数"),
    "started_at": ("timestamptz NOT NULL", "开始时间"),
    "finished_at": ("timestamptz", "完成时间"),
    "status": ("text NOT NULL", "状态(complete: 完整写入)"),
}  # fmt: skip


@dataclass(frozen=True)
class PostgisTable:
    """One table of a result: its name (``audit_batches``), rows, and Chinese comments."""

    name: str
    frame: pd.DataFrame
    comment: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)
    kind: str | None = None  # polygon / line / point: the geometry column's type even when empty


@dataclass(frozen=True)
class RunInfo:
    """What the ``geoplan_runs`` row says about a run (JSON-safe ``parameters``/``summary``)."""

    analysis: str
    adcode: str
    as_of: dt.date
    county_name: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    summary: Mapping[str, Any] | None = None
    started: dt.datetime | None = None


@dataclass(frozen=True)
class RunRecord:
    """What :func:`write_postgis` wrote: the run id, the schema, rows per table, and the ids of
    the earlier runs it replaced."""

    run_id: int
    schema: str
    tables: dict[str, int]
    replaced: tuple[int, ...] = ()


def _target(url: str, schema: str | None) -> tuple[str, str, str]:
    """(conninfo, schema, label) of a ``postgresql://…[#schema]`` target."""
    if not is_database_source(url):
        raise InputError(
            f"{redact(url)!r} is not a database to write to; write "
            "postgresql://user@host:5432/db#schema (password from PGPASSWORD or ~/.pgpass)."
        )
    src = parse_database_source(url, need_table=False)
    named = src.table if src.schema is None else src.schema
    if src.schema is not None and src.table is not None or src.where or src.bbox:
        raise InputError(
            f"{src.label}: name only the schema to write into after '#' (…#{src.schema or 'public'}); "
            "the tables are named after the analysis."
        )
    if schema is not None and named is not None and schema != named:
        raise InputError(
            f"{src.label}: the URL names schema {named!r} but schema={schema!r} was given; "
            "give one of them."
        )
    target = schema or named or "public"
    return src.conninfo, target, f"{src.conninfo}#{target}"


def check_target(url: str, *, schema: str | None = None) -> str:
    """Check, before any work, that results can be written to ``url``: the server answers, the
    database has PostGIS, the user may create tables in the schema (or the schema). Returns the
    schema. Raises :class:`DatabaseError` (or :class:`InputError` for a malformed URL)."""
    conninfo, target, label = _target(url, schema)
    with connect(conninfo, label, autocommit=True) as con:
        require_postgis(con, label)
        row = con.execute(
            "SELECT CASE WHEN n.oid IS NULL THEN has_database_privilege(current_database(), "
            "'CREATE') ELSE has_schema_privilege(n.oid, 'CREATE') END "
            "FROM (SELECT 1) one LEFT JOIN pg_namespace n ON n.nspname = %s",
            (target,),
        ).fetchone()
        if row is None or not row[0]:
            raise DatabaseError(
                f"{label}: user {con.info.user!r} may not create tables in schema {target!r}. "
                f"Ask the administrator: GRANT CREATE ON SCHEMA {target} TO {con.info.user}; "
                "(or write to a schema of your own)."
            )
    return target


def write_postgis(
    url: str,
    tables: Sequence[PostgisTable],
    run: RunInfo,
    *,
    schema: str | None = None,
    mode: WriteMode = "replace",
) -> RunRecord:
    """Write a run's ``tables`` and its ``geoplan_runs`` row into ``url`` in one transaction.

    Parameters
    ----------
    url
        ``postgresql://user@host:5432/db#schema`` (no password: libpq reads ``PGPASSWORD`` or
        ``~/.pgpass``); the schema may instead be given as ``schema`` (default ``public``).
    tables
        The result's tables; a frame with a geometry column gets ``geom geometry(…, SRID)``
        (its CRS's EPSG code) and a GiST index.
    run
        The run's county, as-of date, analysis, parameters and summary.
    mode
        ``replace``: earlier runs of the same county adcode, as-of date and analysis are removed
        with their rows; ``append``: they are kept.

    Returns
    -------
    RunRecord

    Raises
    ------
    DatabaseError
        The server cannot be reached, PostGIS is missing, an existing table does not fit, or the
        write failed; nothing was written.
    InputError
        A malformed URL or mode, or a table geoplan cannot type.
    """
    if mode not in ("replace", "append"):
        raise InputError(f"mode={mode!r}: write 'replace' or 'append'.")
    if not run.adcode:
        raise InputError(
            f"Writing the {run.analysis} of {run.county_name or 'this county'} to a database "
            "needs the county's adcode (行政区划代码) to key its runs: set [county] adcode in "
            "county.toml (or pass adcode= to to_postgis)."
        )
    conninfo, target, label = _target(url, schema)
    specs = [_spec(t, label) for t in tables]
    psycopg = _psycopg()
    started = run.started or dt.datetime.now(dt.UTC)
    with connect(conninfo, label, autocommit=True) as con:
        require_postgis(con, label)
        try:
            with con.transaction():
                record = _write(con, target, specs, run, mode, started, label)
        except psycopg.Error as exc:
            raise DatabaseError(
                f"{label}: writing the {run.analysis} failed and nothing was written "
                f"(the transaction was rolled back): {_first_line(exc)}"
            ) from None
    logger.info(
        "%s: run %d written (%s), replacing %s",
        label,
        record.run_id,
        ", ".join(f"{k} {v}" for k, v in record.tables.items()),
        list(record.replaced) or "none",
    )
    return record


@dataclass(frozen=True)
class _Spec:
    table: PostgisTable
    columns: list[tuple[str, str]]  # (column, SQL type) of the attributes
    geometry: str | None  # the geometry column's SQL type
    srid: int
    kind: str  # polygon/line/point/any


def _spec(table: PostgisTable, label: str) -> _Spec:
    frame = table.frame
    geom_col = frame.geometry.name if isinstance(frame, gpd.GeoDataFrame) else None
    columns = []
    for col in frame.columns:
        if col == geom_col:
            continue
        if str(col) in _RESERVED:
            raise InputError(
                f"{label}: table {table.name} has a column named {col!r}, which geoplan uses itself."
            )
        columns.append((str(col), sql_type(frame[col], f"{table.name}.{col}", label)))
    if geom_col is None:
        return _Spec(table, columns, None, 0, "")
    crs = frame.crs
    srid = crs.to_epsg(min_confidence=70) if crs is not None else None
    if not srid:
        raise InputError(
            f"{label}: table {table.name} has no CRS with an EPSG code ({crs}); PostGIS needs "
            "an SRID. Reproject the result to an EPSG CRS (e.g. its CGCS2000 GK zone) first."
        )
    kind = table.kind or geometry_family(frame.geometry.values)
    if kind == "point" and (shapely.get_type_id(frame.geometry.values) != 4).all():
        kind = "single point"  # point layers stay Point (a MultiPoint makes them MultiPoint)
    typ = {"polygon": "MultiPolygon", "line": "MultiLineString", "point": "MultiPoint",
           "single point": "Point"}.get(kind, "Geometry")  # fmt: skip
    return _Spec(table, columns, f"geometry({typ}, {srid})", int(srid), kind)


def _write(
    con: psycopg.Connection,
    schema: str,
    specs: list[_Spec],
    run: RunInfo,
    mode: WriteMode,
    started: dt.datetime,
    label: str,
) -> RunRecord:
    from psycopg import sql

    con.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"geoplan:{schema}",))
    con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
    _ensure_runs_table(con, schema, label)
    runs = sql.Identifier(schema, RUNS_TABLE)
    from geoplan._version import __version__

    row = con.execute(
        sql.SQL(
            "INSERT INTO {} (county_adcode, county_name, as_of, analysis, geoplan_version, "
            "parameters, summary, started_at, status) VALUES (%s, %s, %s, %s, %s, %s::jsonb, "
            "%s::jsonb, %s, 'writing') RETURNING run_id"
        ).format(runs),
        (str(run.adcode), run.county_name, run.as_of, run.analysis, __version__,
         dumps_json(dict(run.parameters)), None if run.summary is None else dumps_json(dict(run.summary)),
         started),
    ).fetchone()  # fmt: skip
    assert row is not None
    run_id = int(row[0])
    counts = {}
    for spec in specs:
        _ensure_table(con, schema, spec, label)
        counts[spec.table.name] = _copy_rows(con, schema, spec, run_id)
        con.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(schema, spec.table.name)))
    replaced: tuple[int, ...] = ()
    if mode == "replace":
        rows = con.execute(
            sql.SQL(
                "DELETE FROM {} WHERE county_adcode = %s AND as_of = %s AND analysis = %s "
                "AND run_id <> %s RETURNING run_id"
            ).format(runs),
            (str(run.adcode), run.as_of, run.analysis, run_id),
        ).fetchall()
        replaced = tuple(sorted(int(r[0]) for r in rows))
    con.execute(
        sql.SQL(
            "UPDATE {} SET status = 'complete', finished_at = clock_timestamp(), "
            "tables = %s::jsonb WHERE run_id = %s"
        ).format(runs),
        (json.dumps(counts, ensure_ascii=False), run_id),
    )
    return RunRecord(run_id, schema, counts, replaced)


def _ensure_runs_table(con: psycopg.Connection, schema: str, label: str) -> None:
    from psycopg import sql

    runs = sql.Identifier(schema, RUNS_TABLE)
    if _existing_columns(con, schema, RUNS_TABLE) is None:
        cols = sql.SQL(", ").join(
            sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t))
            for c, (t, _) in RUNS_COLUMNS.items()
        )
        con.execute(sql.SQL("CREATE TABLE {} ({})").format(runs, cols))
        con.execute(sql.SQL("CREATE INDEX ON {} (county_adcode, as_of, analysis)").format(runs))
        _comment(
            con,
            runs,
            "geoplan 分析运行记录(每次写入一行;同一县、基准日、分析重写时替换)",
            {c: zh for c, (_, zh) in RUNS_COLUMNS.items()},
        )
        return
    missing = sorted(set(RUNS_COLUMNS) - set(_existing_columns(con, schema, RUNS_TABLE) or {}))
    if missing:
        raise DatabaseError(
            f"{label}: {schema}.{RUNS_TABLE} exists but lacks the columns {missing}; it was not "
            "made by this geoplan version. Rename or drop it, or write to another schema."
        )


def _existing_columns(con: psycopg.Connection, schema: str, table: str) -> dict[str, str] | None:
    """{column: format_type} of an existing table, or None when there is none."""
    rows = con.execute(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
        "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped "
        "ORDER BY a.attnum",
        (schema, table),
    ).fetchall()
    return {str(r[0]): str(r[1]) for r in rows} if rows else None


def _expected(spec: _Spec) -> dict[str, str]:
    out = {"gid": "bigint", "run_id": "bigint"}
    out.update({c: _format_type(t) for c, t in spec.columns})
    if spec.geometry is not None:
        out["geom"] = spec.geometry
    return {c: _format_type(t) for c, t in out.items()}


def _format_type(sql_type: str) -> str:
    """A type as ``format_type`` prints it, for comparing (lower case, no blanks after commas)."""
    long = {"timestamp": "timestamp without time zone", "timestamptz": "timestamp with time zone"}
    return long.get(sql_type, sql_type).lower().replace(", ", ",")


def _ensure_table(con: psycopg.Connection, schema: str, spec: _Spec, label: str) -> None:
    from psycopg import sql

    name = spec.table.name
    ident = sql.Identifier(schema, name)
    existing = _existing_columns(con, schema, name)
    if existing is not None:
        expected = _expected(spec)
        have = {k: _format_type(v) for k, v in existing.items()}
        if have != expected:
            diff = sorted(
                f"{c}: {have.get(c, 'missing')} (expected {expected.get(c, 'no such column')})"
                for c in set(have) | set(expected)
                if have.get(c) != expected.get(c)
            )
            raise DatabaseError(
                f"{label}: table {schema}.{name} exists but does not fit this result: "
                f"{'; '.join(diff[:8])}. It was made by another geoplan version, for another "
                "CRS (SRID), or by hand: rename or drop it, or write to another schema. "
                "Nothing was written."
            )
        return
    cols = [
        sql.SQL("gid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY"),
        sql.SQL("run_id bigint NOT NULL REFERENCES {} (run_id) ON DELETE CASCADE").format(
            sql.Identifier(schema, RUNS_TABLE)
        ),
        *(sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(t)) for c, t in spec.columns),
    ]
    if spec.geometry is not None:
        cols.append(sql.SQL("geom {}").format(sql.SQL(spec.geometry)))
    con.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, sql.SQL(", ").join(cols)))
    con.execute(
        sql.SQL("CREATE INDEX {} ON {} (run_id)").format(sql.Identifier(f"{name}_run_idx"), ident)
    )
    if spec.geometry is not None:
        con.execute(
            sql.SQL("CREATE INDEX {} ON {} USING gist (geom)").format(
                sql.Identifier(f"{name}_geom_idx"), ident
            )
        )
    present = {c for c, _ in spec.columns}
    labels = {"gid": "要素编号", "run_id": "运行编号(geoplan_runs)"}
    labels.update({c: t for c, t in spec.table.labels.items() if c in present})
    if spec.geometry is not None:
        labels["geom"] = "几何图形"
    _comment(con, ident, spec.table.comment, labels)


def _comment(con: psycopg.Connection, ident: Any, comment: str, labels: Mapping[str, str]) -> None:
    from psycopg import sql

    if comment:
        con.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(ident, sql.Literal(comment)))
    for column, text in labels.items():
        con.execute(
            sql.SQL("COMMENT ON COLUMN {}.{} IS {}").format(
                ident, sql.Identifier(column), sql.Literal(text)
            )
        )


def _copy_rows(con: psycopg.Connection, schema: str, spec: _Spec, run_id: int) -> int:
    """COPY the frame's rows in (text format; geometries as hex EWKB, promoted to Multi*)."""
    from psycopg import sql

    frame = spec.table.frame
    names = [c for c, _ in spec.columns]
    values = [copy_values(frame[c], t) for c, t in spec.columns]
    if spec.geometry is not None:
        names.append("geom")
        values.append(ewkb(frame.geometry.values, spec.srid, spec.kind))
    target = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(schema, spec.table.name),
        sql.SQL(", ").join(sql.Identifier(n) for n in ["run_id", *names]),
    )
    n = len(frame)
    with con.cursor() as cur, cur.copy(target) as copy:
        for row in zip([run_id] * n, *values, strict=True):
            copy.write_row(row)
    return n


def json_ready(value: Any) -> Any:
    """A dataclass or mapping as plain JSON-safe data (dates as ISO text, NaN as None).

    Examples
    --------
    >>> import datetime as dt
    >>> json_ready({"as_of": dt.date(2026, 6, 30), "share": float("nan")})
    {'as_of': '2026-06-30', 'share': None}
    """

    def plain(v: Any) -> Any:
        if dataclasses.is_dataclass(v) and not isinstance(v, type):
            return plain(dataclasses.asdict(v))
        if isinstance(v, Mapping):
            return {str(k): plain(x) for k, x in v.items()}
        if isinstance(v, list | tuple):
            return [plain(x) for x in v]
        return v

    return json.loads(dumps_json(plain(value)))


def label_map(*specs: Iterable[tuple[str, str, Any]]) -> dict[str, str]:
    """``{column: label}`` from ``(column, label, …)`` tuples (the ledger's column lists); the
    first list that labels a column wins.

    Examples
    --------
    >>> label_map([("area_mu", "面积(亩)", "0.00")], [("area_mu", "other"), ("gid", "编号")])
    {'area_mu': '面积(亩)', 'gid': '编号'}
    """
    out: dict[str, str] = {}
    for spec in specs:
        for column, label, *_ in spec:
            out.setdefault(column, label)
    return out
