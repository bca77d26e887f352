"""The command line with PostGIS: layers from the database (county.toml and SRC options),
``geoplan audit --to`` / ``--mode``, and every database error as exit 2 with one message."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pyogrio
import pytest
from click.testing import CliRunner

from geoplan.cli import main
from geoplan.datasets import demo_path
from tests.support.postgis import PASSWORD_USER, Cluster, load_table

DEMO = demo_path()
ROOT = Path(__file__).resolve().parents[2]


def _load_demo(url: str, *, srid: int | None = None) -> None:
    """The demo's approvals and supplies as the bureau's tables land.pzyd and land.gdxx."""
    for layer, table in (("approvals", "land.pzyd"), ("supplies", "land.gdxx")):
        raw = pyogrio.read_dataframe(DEMO / "county.gpkg", layer=layer, fid_as_index=True)
        load_table(url, table, raw, srid=srid)


def _package(folder: Path, url: str) -> Path:
    folder.mkdir()
    (folder / "county.toml").write_text(
        f"""
[county]
name = "示范县"
adcode = "410225"
as_of = "2026-06-30"

[layers]
approvals = "{url}#land.pzyd"
supplies = "{url}#land.gdxx?where=电子监管号^=41"
townships = "{DEMO / "county.gpkg"}:townships"

[parameters.audit]
sliver_width = 1.0
sliver_area = 10.0
""",
        encoding="utf-8",
    )
    return folder


def _geoplan(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "geoplan.cli", *args], capture_output=True,
                          text=True, check=False, env=env)  # fmt: skip


def test_audit_of_database_layers_written_back_to_the_database(pg_url: str, tmp_path: Path) -> None:
    _load_demo(pg_url)
    pkg = _package(tmp_path / "county", pg_url)
    proc = _geoplan("audit", str(pkg), "--out", str(tmp_path / "db"), "--to", f"{pg_url}#results")
    assert proc.returncode == 0, proc.stderr
    assert "Wrote run 1 (" in proc.stdout and "#results" in proc.stdout
    # the same audit from the files: the same figures (every supply id starts with 41)
    res = CliRunner().invoke(main, ["audit", "--out", str(tmp_path / "files")])
    assert res.exit_code == 0, res.output
    from_db = json.loads((tmp_path / "db" / "summary.json").read_text(encoding="utf-8"))
    from_files = json.loads((tmp_path / "files" / "summary.json").read_text(encoding="utf-8"))
    assert from_db == from_files
    with psycopg.connect(pg_url) as con:
        (row,) = con.execute(
            "SELECT county_adcode, county_name, analysis, status, summary FROM results.geoplan_runs"
        ).fetchall()
        assert row == ("410225", "示范县", "audit", "complete", from_files)
        pieces = con.execute("SELECT count(*) FROM results.audit_unsupplied").fetchone()
    assert pieces == (from_files["unsupplied_parcels"],)
    # again with --mode append: two runs; then replace: one
    for mode, runs in (("append", 2), ("replace", 1)):
        res = CliRunner().invoke(
            main, ["audit", str(pkg), "--out", str(tmp_path / "db"), "--to",
                   f"{pg_url}#results", "--mode", mode],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        with psycopg.connect(pg_url) as con:
            count = con.execute("SELECT count(*) FROM results.geoplan_runs").fetchone()
        assert count == (runs,), mode


def test_src_options_take_database_tables(pg_url: str, tmp_path: Path) -> None:
    _load_demo(pg_url)
    res = CliRunner().invoke(
        main,
        ["audit", "--approvals", f"{pg_url}#land.pzyd", "--supplies", f"{pg_url}#land.gdxx",
         "--as-of", "2026-06-30", "--out", str(tmp_path), "--to", f"{pg_url}#adhoc",
         "--adcode", "410225"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    with psycopg.connect(pg_url) as con:
        runs = con.execute("SELECT county_adcode, county_name FROM adhoc.geoplan_runs").fetchall()
    assert runs == [("410225", "pzyd")]  # a county of SRC tables is named after the first


def _fails(args: list[str]) -> str:
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert "Traceback" not in res.output
    return res.output


def test_database_errors_exit_2_with_one_message(
    pg_cluster: Cluster, pg_url: str, tmp_path: Path
) -> None:
    from tests.support.postgis import new_database

    _load_demo(pg_url)
    sock = str(tmp_path).replace("/", "%2F")
    common = ["--as-of", "2026-06-30", "--out", str(tmp_path / "out")]
    supplies = ["--supplies", f"{pg_url}#land.gdxx"]
    # unreachable server
    out = _fails(["audit", "--approvals", f"postgresql://u@{sock}:5999/db#t", *supplies, *common])
    assert "cannot connect to the database" in out and "cannot be reached" in out
    # wrong password (and none)
    dbname = pg_url.rsplit("/", 1)[1]
    as_pw_user = f"{pg_cluster.url(dbname, user=PASSWORD_USER)}#land.pzyd"
    out = _fails(["audit", "--approvals", as_pw_user, *supplies, *common])
    assert "PGPASSWORD" in out and "~/.pgpass" in out
    # missing table, missing column in a filter
    out = _fails(["audit", "--approvals", f"{pg_url}#land.nope", *supplies, *common])
    assert "no table or view 'nope'" in out and "land.pzyd" in out
    out = _fails(["audit", "--approvals", f"{pg_url}#land.pzyd?where=PZWH=1", *supplies, *common])
    assert "does not have" in out and "批准文号" in out
    # a database without PostGIS
    plain = new_database(pg_cluster, "cli_plain", postgis=False)
    out = _fails(["audit", "--approvals", f"{plain}#land.pzyd", *supplies, *common])
    assert "no PostGIS extension" in out
    # a password in the URL is refused before anything is tried
    out = _fails(["audit", "--approvals", "postgresql://u:hunter2@h/db#t", *supplies, *common])
    assert "password" in out and "hunter2" not in out


def test_srid_0_exits_2_and_crs_option_fixes_it(pg_url: str, tmp_path: Path) -> None:
    _load_demo(pg_url, srid=0)
    args = ["audit", "--approvals", f"{pg_url}#land.pzyd", "--supplies", f"{pg_url}#land.gdxx",
            "--as-of", "2026-06-30", "--out", str(tmp_path)]  # fmt: skip
    out = _fails(args)
    assert "no coordinate reference system" in out
    res = CliRunner().invoke(
        main, [*args, "--crs", "approvals=EPSG:4547", "--crs", "supplies=EPSG:4547"]
    )
    assert res.exit_code == 0, res.output


def test_to_is_checked_before_any_work(pg_cluster: Cluster, tmp_path: Path) -> None:
    from tests.support.postgis import new_database

    plain = new_database(pg_cluster, "cli_to_plain", postgis=False)
    out_dir = tmp_path / "out"
    out = _fails(["audit", "--out", str(out_dir), "--to", f"{plain}#results"])
    assert "no PostGIS extension" in out
    assert list(out_dir.iterdir()) == []  # no audit ran, no file was written
    out = _fails(["audit", "--out", str(out_dir), "--mode", "append"])
    assert "--mode and --adcode only go with --to" in out


def test_a_real_process_prints_no_traceback(tmp_path: Path) -> None:
    sock = str(tmp_path).replace("/", "%2F")
    proc = _geoplan("audit", "--out", str(tmp_path / "o"), "--to", f"postgresql://u@{sock}:1/db")
    assert proc.returncode == 2
    errors = [line for line in proc.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "Traceback" not in proc.stderr
    assert "cannot connect to the database" in proc.stderr


@pytest.mark.parametrize("command", ["zones", "connectivity", "hierarchy", "efficiency", "report"])
def test_every_analysis_command_takes_to(command: str) -> None:
    res = CliRunner().invoke(main, [command, "--help"])
    assert res.exit_code == 0 and "--to URL" in res.output and "--mode" in res.output


def test_report_writes_every_analysis_into_the_database(pg_url: str, tmp_path: Path) -> None:
    out = tmp_path / "report"
    res = CliRunner().invoke(main, ["report", "--out", str(out), "--to", f"{pg_url}#results"])
    assert res.exit_code == 0, res.output
    manifest = json.loads((out / "report.json").read_text(encoding="utf-8"))
    written = {run["analysis"]: run for run in manifest["database"]}
    assert sorted(written) == ["audit", "connectivity", "efficiency", "hierarchy", "zones"]
    for key in written:
        assert f"{key}: wrote run {written[key]['run_id']} (" in res.output
    with psycopg.connect(pg_url) as con:
        runs = con.execute(
            "SELECT analysis, county_adcode, as_of::text, summary FROM results.geoplan_runs"
        ).fetchall()
        counts = {
            table: con.execute(f"SELECT count(*) FROM results.{table}").fetchone()[0]  # type: ignore[index]
            for table in ("audit_unsupplied", "efficiency_firms", "hierarchy_settlements")
        }
        no_point = con.execute(
            "SELECT count(*) FROM results.efficiency_firms WHERE geom IS NULL"
        ).fetchone()
        comment = con.execute(
            "SELECT col_description('results.efficiency_firms'::regclass, attnum) "
            "FROM pg_attribute WHERE attrelid = 'results.efficiency_firms'::regclass "
            "AND attname = 'name'"
        ).fetchone()
    # one run per analysis, keyed like the commands' own --to, with the summaries of the files
    assert sorted(r[0] for r in runs) == sorted(written)
    assert {r[1] for r in runs} == {"410225"} and {r[2] for r in runs} == {"2026-06-30"}
    summaries = {analysis: summary for analysis, _, _, summary in runs}
    for analysis in ("audit", "efficiency"):  # the analyses that write a summary.json
        on_disk = json.loads((out / analysis / "summary.json").read_text(encoding="utf-8"))
        assert summaries[analysis] == on_disk, analysis
    assert all(summaries.values())
    audit = json.loads((out / "audit" / "summary.json").read_text(encoding="utf-8"))
    eff = json.loads((out / "efficiency" / "summary.json").read_text(encoding="utf-8"))
    assert counts["audit_unsupplied"] == audit["unsupplied_parcels"]
    assert (
        counts["efficiency_firms"]
        == eff["firms"]
        == written["efficiency"]["rows"]["efficiency_firms"]
    )
    firms = pyogrio.read_dataframe(out / "efficiency" / "efficiency.gpkg", layer="firms")
    assert no_point == (eff["firms"] - len(firms),)  # the file keeps only firms with a point
    assert comment == ("企业名称",)
    assert counts["hierarchy_settlements"] == written["hierarchy"]["rows"]["hierarchy_settlements"]
    # run again: each analysis's earlier run is replaced, not added to
    res = CliRunner().invoke(main, ["report", "--out", str(out), "--to", f"{pg_url}#results"])
    assert res.exit_code == 0, res.output
    with psycopg.connect(pg_url) as con:
        again = con.execute("SELECT count(*) FROM results.geoplan_runs").fetchone()
    assert again == (5,)


def test_report_to_is_checked_before_any_work(pg_cluster: Cluster, tmp_path: Path) -> None:
    from tests.support.postgis import new_database

    plain = new_database(pg_cluster, "report_to_plain", postgis=False)
    out_dir = tmp_path / "out"
    out = _fails(["report", "--out", str(out_dir), "--to", f"{plain}#results"])
    assert "no PostGIS extension" in out
    assert list(out_dir.iterdir()) == []  # no analysis ran, nothing was written
    out = _fails(["report", "--out", str(out_dir), "--adcode", "410225"])
    assert "--mode and --adcode only go with --to" in out


def test_efficiency_to_writes_its_tables(pg_url: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        main, ["efficiency", "--out", str(tmp_path), "--to", f"{pg_url}#eff", "--mode", "append"]
    )
    assert res.exit_code == 0, res.output
    assert "Wrote run 1 (" in res.output and "#eff" in res.output
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    with psycopg.connect(pg_url) as con:
        (row,) = con.execute("SELECT analysis, parameters FROM eff.geoplan_runs").fetchall()
        stock = con.execute(
            "SELECT stock_mu FROM eff.efficiency_stock WHERE unit_kind = 'county'"
        ).fetchone()
    assert row[0] == "efficiency" and row[1]["scheme"] == "default"
    assert stock is not None and stock[0] == pytest.approx(summary["stock_mu"])
