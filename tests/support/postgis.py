"""A throwaway PostgreSQL + PostGIS cluster for the tests and the benchmarks.

``initdb`` in a fresh temp dir, the server listening on a Unix socket only (``-k <dir> -c
listen_addresses=''``: the tests block TCP sockets), stopped and removed at the end. PostgreSQL
refuses to run as root, so as root the server runs as the ``postgres`` system user
(``runuser -u postgres --``) and the temp dir is made reachable for it. Debian's ``postgresql``
and ``postgresql-postgis`` packages provide the binaries (``make test`` installs them).

The package itself never imports this module: it is test and benchmark support only.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

#: a role that must log in with a password (scram-sha-256), for the authentication tests
PASSWORD_USER = "geoplan_pw"
PASSWORD = "right-password"


class ClusterUnavailable(RuntimeError):
    """The cluster could not be started; the message says why and how to fix it."""


@dataclass(frozen=True)
class Cluster:
    """Where a running throwaway cluster listens (a Unix socket directory and a port)."""

    socket_dir: Path
    port: int
    user: str = "postgres"

    def conninfo(self, dbname: str = "postgres", *, user: str | None = None) -> dict[str, object]:
        """Connection keywords for :func:`psycopg.connect`."""
        return {
            "host": str(self.socket_dir),
            "port": self.port,
            "user": user or self.user,
            "dbname": dbname,
        }

    def url(self, dbname: str = "postgres", *, user: str | None = None) -> str:
        """A ``postgresql://`` URL of the database (the socket dir percent-encoded as host)."""
        host = quote(str(self.socket_dir), safe="")
        return f"postgresql://{user or self.user}@{host}:{self.port}/{dbname}"


def pg_bin(name: str) -> str | None:
    """The path of a PostgreSQL server program (Debian keeps them off PATH)."""
    found = shutil.which(name)
    if found:
        return found
    hits = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return hits[-1] if hits else None


def _free_port() -> int:
    with socket.socket() as sock:  # the number only names the socket file
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


_HBA = f"""\
local all {PASSWORD_USER} scram-sha-256
local all all trust
"""


@contextlib.contextmanager
def postgis_cluster(tmp: Path | None = None) -> Iterator[Cluster]:
    """Start a throwaway cluster; yield where it listens; stop it (and remove it) on exit.

    Raises :class:`ClusterUnavailable` (with the reason) when the programs are missing or the
    server does not start. ``tmp``: a folder to put the cluster in (default: a new temp dir,
    removed at the end).
    """
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise ClusterUnavailable(
            "initdb/pg_ctl not found: install Debian's postgresql and postgresql-postgis "
            "(make test does: apt-get install postgresql postgresql-postgis)"
        )
    own = tmp is None
    base = Path(tempfile.mkdtemp(prefix="geoplan-pg-")) if tmp is None else tmp
    root = base / "pg"
    root.mkdir()
    run_as: list[str] = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use its own system user
        base.chmod(0o711)  # let it reach its folder inside our private temp dir
        shutil.chown(root, user="postgres")
        run_as = ["runuser", "-u", "postgres", "--"]
    data, log = root / "data", root / "server.log"
    port = _free_port()
    started = False
    try:
        _run([*run_as, initdb, "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
              "--locale=C.UTF-8", "--no-sync"], "initdb")  # fmt: skip
        hba = data / "pg_hba.conf"
        hba.write_text(_HBA)
        if run_as:
            shutil.chown(hba, user="postgres")
        opts = f"-k {root} -p {port} -c listen_addresses='' -c fsync=off -c full_page_writes=off"
        _run([*run_as, pg_ctl, "-D", str(data), "-o", opts, "-l", str(log), "-w", "start"],
             "pg_ctl start", log=log)  # fmt: skip
        started = True
        cluster = Cluster(root, port)
        _prepare(cluster)
        yield cluster
    finally:
        if started:
            subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"],
                           check=False, capture_output=True)  # fmt: skip
        if own:
            shutil.rmtree(base, ignore_errors=True)


def _run(cmd: list[str], what: str, *, log: Path | None = None) -> None:
    try:
        subprocess.run(cmd, check=True, capture_output=True, text=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", "") or str(exc)
        if log is not None and log.exists():
            detail += "\n" + log.read_text(errors="replace")[-2000:]
        raise ClusterUnavailable(f"{what} failed: {detail.strip()}") from None


def _prepare(cluster: Cluster) -> None:
    """A ``template_postgis`` database with the extension (new databases copy it in ms) and a
    role that needs a password."""
    import psycopg

    with psycopg.connect(**cluster.conninfo(), autocommit=True) as con:  # type: ignore[arg-type]
        con.execute("CREATE DATABASE template_postgis")
        con.execute(f"CREATE ROLE {PASSWORD_USER} LOGIN SUPERUSER PASSWORD '{PASSWORD}'")
    with psycopg.connect(**cluster.conninfo("template_postgis"), autocommit=True) as con:  # type: ignore[arg-type]
        try:
            con.execute("CREATE EXTENSION postgis")
        except psycopg.Error as exc:
            raise ClusterUnavailable(
                f"the PostGIS extension cannot be created ({exc}); install Debian's "
                "postgresql-postgis"
            ) from None


def new_database(cluster: Cluster, name: str, *, postgis: bool = True) -> str:
    """Create database ``name`` (from ``template_postgis``, or without PostGIS); its URL."""
    import psycopg

    template = "template_postgis" if postgis else "template0"
    with psycopg.connect(**cluster.conninfo(), autocommit=True) as con:  # type: ignore[arg-type]
        con.execute(f'CREATE DATABASE "{name}" TEMPLATE {template}')
    return cluster.url(name)


def _pg_type(series: Any) -> str:
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype):
        return "boolean"
    if pd.api.types.is_integer_dtype(dtype):
        return "bigint"
    if pd.api.types.is_float_dtype(dtype):
        return "double precision"
    if pd.api.types.is_datetime64_any_dtype(dtype):
        return "date"
    return "text"


def load_table(
    url: str,
    table: str,
    frame: Any,
    *,
    srid: int | None = None,
    key: str | None = "fid",
    types: dict[str, str] | None = None,
) -> None:
    """Put ``frame`` (a GeoDataFrame) into ``table`` (``schema.table``) with psycopg's COPY —
    independently of geoplan's own writer. Its index becomes the integer primary key ``key``
    (None: no key); ``srid`` (default: the frame's EPSG code, 0 for none) types the geometry
    column ``geom``; ``types`` overrides column types (``{"成交价款": "numeric(14,2)"}``)."""
    import psycopg
    import shapely
    from psycopg import sql

    geom_col = frame.geometry.name
    if srid is None:
        srid = frame.crs.to_epsg() if frame.crs is not None else 0
    columns = [c for c in frame.columns if c != geom_col]
    typed = {c: (types or {}).get(c) or _pg_type(frame[c]) for c in columns}
    schema, _, name = table.rpartition(".")
    ident = sql.Identifier(*([schema] if schema else []), name)
    defs = [sql.SQL("{} bigint PRIMARY KEY").format(sql.Identifier(key))] if key else []
    defs += [sql.SQL("{} {}").format(sql.Identifier(c), sql.SQL(typed[c])) for c in columns]
    defs.append(sql.SQL("geom geometry(Geometry, {})").format(sql.Literal(int(srid))))
    names = ([key] if key else []) + columns + ["geom"]
    wkb = shapely.to_wkb(frame.geometry.values, hex=True, include_srid=False)
    with psycopg.connect(url, autocommit=True) as con:
        if schema:
            con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
        con.execute(sql.SQL("CREATE TABLE {} ({})").format(ident, sql.SQL(", ").join(defs)))
        copy_sql = sql.SQL("COPY {} ({}) FROM STDIN").format(
            ident, sql.SQL(", ").join(sql.Identifier(n) for n in names)
        )
        with con.cursor() as cur, cur.copy(copy_sql) as copy:
            for i, (idx, row) in enumerate(frame[columns].iterrows()):
                values = [None if _missing(v) else _plain(v, typed[c]) for c, v in row.items()]
                g = None if wkb[i] is None else f"SRID={srid};{wkb[i]}"
                copy.write_row(([int(idx)] if key else []) + values + [g])


def _missing(value: Any) -> bool:
    import pandas as pd

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _plain(value: Any, pg_type: str) -> Any:
    import numpy as np

    if pg_type == "date" and hasattr(value, "date"):
        return value.date()
    if isinstance(value, np.generic):
        return value.item()
    if pg_type == "text":
        return str(value)
    return value
