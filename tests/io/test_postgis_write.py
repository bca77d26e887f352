"""Writing results to PostGIS: the audit read back equal to its files, the table structure
(types, key, SRID, GiST, Chinese comments), replace vs append, one transaction (a failure or a
killed process leaves the database as it was) and the error cases — on a real server."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyogrio
import pytest
import shapely

from geoplan.audit import AuditResult, audit_land
from geoplan.county import County
from geoplan.datasets import demo_path
from geoplan.errors import DatabaseError, InputError
from geoplan.io import check_postgis_target, read_layer
from geoplan.runs import run_audit
from tests.support.postgis import Cluster

ROOT = Path(__file__).resolve().parents[2]
TABLES = {  # database table -> audit.gpkg layer
    "audit_batches": "batches",
    "audit_unsupplied": "unsupplied",
    "audit_supplies": "supplies",
    "audit_idle": "idle",
    "audit_supplied_unused": "supplied_unused",
    "audit_unmatched_supplies": "unmatched_supplies",
}


@pytest.fixture(scope="module")
def demo_audit() -> AuditResult:
    return run_audit(County.open(demo_path()))


def _rows(url: str, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    with psycopg.connect(url) as con:
        return con.execute(sql, params).fetchall()  # type: ignore[arg-type]


def _counts(url: str, schema: str = "land") -> dict[str, int]:
    names = [*TABLES, "audit_cohorts", "geoplan_runs"]
    return {n: int(_rows(url, f"SELECT count(*) FROM {schema}.{n}")[0][0]) for n in names}  # type: ignore[arg-type]


def test_the_audit_read_back_equals_its_files(
    demo_audit: AuditResult, pg_url: str, tmp_path: Path
) -> None:
    files = demo_audit.to_files(tmp_path)
    record = demo_audit.to_postgis(f"{pg_url}#land", adcode="410225", county_name="示范县")
    assert record.schema == "land" and record.replaced == ()
    for table, layer in TABLES.items():
        from_file = pyogrio.read_dataframe(files["gpkg"], layer=layer)
        from_db = read_layer(f"{pg_url}#land.{table}?where=run_id={record.run_id}")
        assert record.tables[table] == len(from_file) == len(from_db), table
        from_db = from_db.drop(columns=["run_id"])
        assert list(from_db.columns) == list(from_file.columns), table
        for col in from_file.columns:  # a GeoPackage keeps booleans with nulls as 1.0/0.0/NaN
            if from_file[col].dtype == "float64" and from_db[col].dtype == object:
                from_db[col] = from_db[col].map(lambda v: float("nan") if v is None else float(v))
            if from_file[col].isna().all() and from_db[col].isna().all():  # typeless all-null
                from_file[col] = from_db[col]
        # same values; the GeoPackage stores nullable integers as floats, the database as bigint
        pd.testing.assert_frame_equal(
            pd.DataFrame(from_db.drop(columns="geometry")).reset_index(drop=True),
            pd.DataFrame(from_file.drop(columns="geometry")).reset_index(drop=True),
            check_dtype=False,
        )
        # same shapes (a Polygon is stored as a one-part MultiPolygon)
        assert shapely.equals(from_db.geometry.values, from_file.geometry.values).all(), table
        assert from_db.crs.to_epsg() == 4547
    cohorts = pd.DataFrame(read_layer_plain(pg_url, "land.audit_cohorts"))
    expected = demo_audit.cohorts.reset_index(drop=True)
    pd.testing.assert_frame_equal(cohorts[list(expected.columns)], expected, check_dtype=False)
    summary = json.loads(files["summary"].read_text(encoding="utf-8"))
    (stored,) = _rows(
        pg_url, "SELECT summary, parameters, as_of, county_name FROM land.geoplan_runs"
    )
    assert stored[0] == summary
    assert stored[1]["sliver_width"] == 1.0 and stored[1]["as_of"] == "2026-06-30"  # type: ignore[index]
    assert stored[2:] == (dt.date(2026, 6, 30), "示范县")


def read_layer_plain(url: str, table: str) -> pd.DataFrame:
    """A table without geometry, read with psycopg (independently of geoplan)."""
    with psycopg.connect(url) as con:
        cur = con.execute(f"SELECT * FROM {table} ORDER BY gid")
        names = [d.name for d in cur.description or []]
        return pd.DataFrame(cur.fetchall(), columns=names).drop(columns=["gid", "run_id"])


def test_tables_are_typed_keyed_indexed_and_commented(demo_audit: AuditResult, pg_url: str) -> None:
    demo_audit.to_postgis(f"{pg_url}#land", adcode="410225")
    geoms = dict(
        (r[0], r[1:])
        for r in _rows(
            pg_url,
            "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = 'land'",
        )
    )
    assert geoms == {t: ("MULTIPOLYGON", 4547) for t in TABLES}
    types = dict(
        _rows(
            pg_url,
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'land' AND table_name = 'audit_supplies'",
        )
    )
    assert types["supplied_on"] == "date" and types["land_price"] == "double precision"
    assert types["days_late"] == "bigint" and types["gov_cause"] == "boolean"
    assert types["supply_id"] == "text" and types["gid"] == "bigint"
    for table in TABLES:
        indexes = [r[0] for r in _rows(pg_url, "SELECT indexdef FROM pg_indexes WHERE "
                                       "schemaname = 'land' AND tablename = %s", (table,))]  # fmt: skip
        assert any("USING gist (geom)" in i for i in indexes), table
        assert any("(gid)" in i and "UNIQUE" in i for i in indexes), table  # the primary key
    comments = dict(
        _rows(
            pg_url,
            "SELECT a.attname, col_description(a.attrelid, a.attnum) FROM pg_attribute a "
            "WHERE a.attrelid = 'land.audit_supplies'::regclass AND a.attnum > 0",
        )
    )
    # the ledger's 供地 sheet headers (audit/_write.SUPPLY_COLS), one source for both
    assert comments["supply_id"] == "电子监管号"
    assert comments["idle_fee"] == "土地闲置费(元)"
    assert comments["status_zh"] == "状态"
    assert comments["geom"] == "几何图形"
    (table_comment,) = _rows(pg_url, "SELECT obj_description('land.audit_idle'::regclass)")
    assert table_comment == ("土地摸排 · 闲置土地",)
    runs_comment = _rows(
        pg_url, "SELECT col_description('land.geoplan_runs'::regclass, 2)"
    )  # county_adcode
    assert runs_comment == [("县级行政区划代码",)]


def test_replace_and_append(demo_audit: AuditResult, pg_url: str) -> None:
    url = f"{pg_url}#land"
    first = demo_audit.to_postgis(url, adcode="410225")
    once = _counts(pg_url)
    second = demo_audit.to_postgis(url, adcode="410225")  # the same county and as-of: replaced
    assert second.replaced == (first.run_id,) and _counts(pg_url) == once
    assert once["geoplan_runs"] == 1
    third = demo_audit.to_postgis(url, adcode="410225", mode="append")
    twice = _counts(pg_url)
    assert third.replaced == () and twice["geoplan_runs"] == 2
    assert all(twice[t] == 2 * once[t] for t in TABLES)
    # another county (or as-of date) is never replaced
    demo_audit.to_postgis(url, adcode="410226")
    runs = _rows(
        pg_url, "SELECT county_adcode, count(*) FROM land.geoplan_runs GROUP BY 1 ORDER BY 1"
    )
    assert runs == [("410225", 2), ("410226", 1)]
    # a replace removes every earlier run of that county and as-of, appended ones too
    last = demo_audit.to_postgis(url, adcode="410225")
    assert set(last.replaced) == {second.run_id, third.run_id}
    assert _counts(pg_url)["audit_supplies"] == 2 * once["audit_supplies"]  # 410225 + 410226


def test_a_failure_mid_write_leaves_the_database_as_it_was(
    demo_audit: AuditResult, pg_url: str
) -> None:
    # the last table of the run exists already, made by hand for something else: the run
    # fails there, after the other tables were created and filled in the same transaction
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE SCHEMA land")
        con.execute("CREATE TABLE land.audit_cohorts (id int, note text)")
        con.execute("INSERT INTO land.audit_cohorts VALUES (1, '别动')")
    with pytest.raises(DatabaseError, match="exists but does not fit") as err:
        demo_audit.to_postgis(f"{pg_url}#land", adcode="410225")
    assert "Nothing was written" in str(err.value)
    tables = _rows(pg_url, "SELECT tablename FROM pg_tables WHERE schemaname = 'land'")
    assert tables == [("audit_cohorts",)]
    assert _rows(pg_url, "SELECT * FROM land.audit_cohorts") == [(1, "别动")]


_WRITER = """
import sys
from geoplan.county import County
from geoplan.datasets import demo_path
from geoplan.runs import run_audit
run_audit(County.open(demo_path())).to_postgis(sys.argv[1], adcode="410225")
print("committed")
"""


def _wait(predicate: object, what: str, timeout: float = 90.0, log: Path | None = None) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():  # type: ignore[operator]
            return
        time.sleep(0.1)
    output = log.read_text(errors="replace")[-3000:] if log is not None else ""
    raise AssertionError(f"timed out waiting for {what}\n{output}")


def test_a_run_killed_mid_write_leaves_no_rows(
    demo_audit: AuditResult, pg_url: str, tmp_path: Path
) -> None:
    url = f"{pg_url}#land"
    before_run = demo_audit.to_postgis(url, adcode="410225")
    before = _counts(pg_url)
    # hold the run's last table: the writer fills the other six, then waits for this lock
    locker = psycopg.connect(pg_url)
    locker.execute("LOCK TABLE land.audit_cohorts IN ACCESS EXCLUSIVE MODE")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = tmp_path / "writer.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-c", _WRITER, url], env=env, stdout=out,
                                stderr=subprocess.STDOUT)  # fmt: skip
    try:
        waiting: list[int] = []

        def blocked() -> bool:
            rows = _rows(
                pg_url,
                "SELECT pid FROM pg_stat_activity WHERE application_name = 'geoplan' "
                "AND wait_event_type = 'Lock'",
            )
            waiting[:] = [int(r[0]) for r in rows]  # type: ignore[call-overload]
            return bool(rows)

        _wait(blocked, "the writer to block on the last table", log=log)
        (pid,) = waiting
        # it is mid-write: it holds write locks on the tables it filled and its run row
        written = {
            r[0]
            for r in _rows(
                pg_url,
                "SELECT c.relname FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
                "WHERE l.pid = %s AND l.mode = 'RowExclusiveLock' AND l.granted",
                (pid,),
            )
        }
        assert {"geoplan_runs", "audit_batches", "audit_supplies", "audit_idle"} <= written
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        locker.rollback()
        locker.close()
    _wait(
        lambda: not _rows(pg_url, "SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)),
        "the killed writer's server process to end",
    )
    assert proc.returncode == -signal.SIGKILL
    assert _counts(pg_url) == before
    assert _rows(pg_url, "SELECT run_id, status FROM land.geoplan_runs") == [
        (before_run.run_id, "complete")
    ]


# ---------------------------------------------------------------- errors


def test_errors_before_anything_is_written(
    demo_audit: AuditResult, pg_cluster: Cluster, tmp_path: Path
) -> None:
    from tests.support.postgis import new_database

    plain = new_database(pg_cluster, "write_no_postgis", postgis=False)
    with pytest.raises(DatabaseError, match="no PostGIS extension"):
        demo_audit.to_postgis(f"{plain}#land", adcode="410225")
    assert _rows(plain, "SELECT count(*) FROM pg_namespace WHERE nspname = 'land'") == [(0,)]
    nowhere = f"postgresql://postgres@{str(tmp_path).replace('/', '%2F')}:5999/db#land"
    with pytest.raises(DatabaseError, match="cannot be reached"):
        demo_audit.to_postgis(nowhere, adcode="410225")
    with pytest.raises(InputError, match="adcode"):
        demo_audit.to_postgis(f"{plain}#land", adcode="")
    with pytest.raises(InputError, match="only the schema"):
        demo_audit.to_postgis(f"{plain}#land.audit", adcode="410225")
    with pytest.raises(InputError, match="password"):
        demo_audit.to_postgis("postgresql://u:pw@h/db#land", adcode="410225")
    with pytest.raises(InputError, match="mode"):
        demo_audit.to_postgis(f"{plain}#land", adcode="410225", mode="merge")  # type: ignore[arg-type]


def test_a_crs_without_an_srid_is_refused(pg_url: str) -> None:
    crs = "+proj=tmerc +lat_0=0 +lon_0=114.2 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m"
    approvals = gpd.GeoDataFrame(
        {"batch_id": ["B1"], "approved_on": pd.to_datetime(["2020-03-01"])},
        geometry=[shapely.box(500000, 3800000, 500100, 3800100)],
        crs=crs,
    )
    supplies = gpd.GeoDataFrame(
        {
            "supply_id": ["S1"],
            "agreed_start": pd.to_datetime(["2024-03-01"]),
            "actual_start": pd.to_datetime([None]),
        },
        geometry=[shapely.box(500000, 3800000, 500040, 3800100)],
        crs=crs,
    )
    result = audit_land(approvals, supplies, as_of="2024-06-30")
    with pytest.raises(InputError, match="SRID"):
        result.to_postgis(f"{pg_url}#land", adcode="410225")
    assert _rows(pg_url, "SELECT count(*) FROM pg_namespace WHERE nspname = 'land'") == [(0,)]


def test_the_target_is_checked_for_create_rights(pg_cluster: Cluster, pg_url: str) -> None:
    with psycopg.connect(pg_url, autocommit=True) as con:
        con.execute("CREATE ROLE reader LOGIN")
        con.execute("CREATE SCHEMA land")
    dbname = pg_url.rsplit("/", 1)[1]
    as_reader = pg_cluster.url(dbname, user="reader")
    with pytest.raises(DatabaseError, match="may not create tables in schema 'land'"):
        check_postgis_target(f"{as_reader}#land")
    assert check_postgis_target(f"{pg_url}#land") == "land"
    assert check_postgis_target(pg_url) == "public"


def test_zones_connectivity_and_hierarchy_write_their_tables(pg_url: str) -> None:
    from geoplan.runs import run_connectivity, run_hierarchy, run_zones

    county = County.open(demo_path())
    url = f"{pg_url}#plan"
    results = {
        "zones": run_zones(county, cell=2000.0),
        "connectivity": run_connectivity(county),
        "hierarchy": run_hierarchy(county),
    }
    for result in results.values():
        record = result.to_postgis(  # type: ignore[attr-defined]
            url, adcode="410225", as_of=county.as_of, parameters={"note": "测试"}
        )
        assert record.replaced == ()
    geoms = {
        r[0]: r[1:]
        for r in _rows(
            pg_url,
            "SELECT f_table_name, type, srid FROM geometry_columns WHERE f_table_schema = 'plan'",
        )
    }
    assert geoms == {
        "zones_cells": ("MULTIPOLYGON", 4547),
        "zones_zones": ("MULTIPOLYGON", 4547),
        "zones_townships": ("MULTIPOLYGON", 4547),
        "connectivity_parks": ("MULTIPOLYGON", 4547),
        "connectivity_routes": ("MULTILINESTRING", 4547),
        "connectivity_isochrones": ("MULTIPOLYGON", 4547),
        "hierarchy_settlements": ("POINT", 4547),
        "hierarchy_catchment_links": ("MULTILINESTRING", 4547),
        "hierarchy_reach": ("POINT", 4547),
    }
    z, k, h = results["zones"], results["connectivity"], results["hierarchy"]
    counts = {
        "zones_cells": len(z.cells), "zones_zones": len(z.zones),
        "connectivity_access": len(k.access), "connectivity_routes": len(k.routes),
        "hierarchy_settlements": len(h.settlements), "hierarchy_reach": len(h.reach),
    }  # fmt: skip
    for table, n in counts.items():
        assert _rows(pg_url, f"SELECT count(*) FROM plan.{table}") == [(n,)], table
    back = read_layer(f"{pg_url}#plan.hierarchy_settlements").drop(columns="run_id")
    assert back["name"].tolist() == h.settlements["name"].tolist()
    assert back["tier"].tolist() == h.settlements["tier"].tolist()
    assert np.allclose(back.geometry.x, h.settlements.geometry.x)
    runs = _rows(pg_url, "SELECT analysis, parameters->>'note' FROM plan.geoplan_runs ORDER BY 1")
    assert runs == [("connectivity", "测试"), ("hierarchy", "测试"), ("zones", "测试")]
    comments = dict(
        _rows(
            pg_url,
            "SELECT attname, col_description(attrelid, attnum) FROM pg_attribute "
            "WHERE attrelid = 'plan.hierarchy_settlements'::regclass AND attnum > 0",
        )
    )
    assert comments["kind"] == "类型" and comments["tier"] == "等级"
    # the hierarchy's targets and weights are its parameters
    (params,) = _rows(
        pg_url, "SELECT parameters FROM plan.geoplan_runs WHERE analysis = 'hierarchy'"
    )
    assert {"targets", "weights"} <= set(params[0])  # type: ignore[arg-type]
    again = h.to_postgis(url, adcode="410225", as_of=county.as_of)
    assert len(again.replaced) == 1
