"""One input path: the command line, the report and ``geoplan.runs`` give the same figures for
the same county, with non-default parameters (network speeds, a field mapping, sliver sizes,
zones cell) — and every one of those settings really takes effect."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import osmium
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from geoplan.cli import main
from geoplan.county import County
from geoplan.datasets import demo_path
from geoplan.errors import InputError
from geoplan.runs import run_audit, run_connectivity, run_efficiency, run_hierarchy, run_zones

SETTINGS = """
[fields.supplies]
agreed_start = "YDDG"

[parameters.audit]
sliver_width = 2.5
sliver_area = 40.0

[parameters.zones]
cell = 1000.0
single_share = 0.6

[parameters.connectivity]
speeds = { motorway = 60, trunk = 30, primary = 25, secondary = 20, tertiary = 15, unclassified = 10, residential = 10, default = 10 }
max_routes = 2

[parameters.hierarchy]
town_to_village_min = 12

[parameters.efficiency]
scheme = "six_indicators"
new_quota_per_stock_mu = 1.0
"""


@pytest.fixture(scope="module")
def county_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo county with non-default settings: 约定动工日期 renamed to YDDG (mapped back by
    [fields.supplies]), roads as a bzip2 OSM XML file, and the parameters above."""
    folder = tmp_path_factory.mktemp("custom") / "custom"
    shutil.copytree(demo_path(), folder)
    supplies = pyogrio.read_dataframe(folder / "county.gpkg", layer="supplies")
    supplies = supplies.rename(columns={"约定动工日期": "YDDG"})
    pyogrio.write_dataframe(supplies, folder / "supplies.gpkg", layer="supplies")
    writer = osmium.SimpleWriter(str(folder / "roads.osm.bz2"))
    for obj in osmium.FileProcessor(str(folder / "roads.osm.pbf")):
        writer.add(obj)
    writer.close()
    (folder / "roads.osm.pbf").unlink()
    toml = (
        """[county]
name = "定制县"
adcode = "410225"
as_of = "2026-06-30"

[layers]
boundary = "county.gpkg:boundary"
townships = "county.gpkg:townships"
settlements = "county.gpkg:settlements"
landuse = "landuse.parquet"
approvals = "county.gpkg:approvals"
supplies = "supplies.gpkg"
parks = "county.gpkg:parks"
zoning = "county.gpkg:zoning"
roads = "roads.osm.bz2"
enterprises = "enterprises.xlsx"
"""
        + SETTINGS
    )
    (folder / "county.toml").write_text(toml, encoding="utf-8")
    return folder


def test_the_settings_are_read(county_dir: Path) -> None:
    county = County.open(county_dir)
    county.check_parameters()
    assert county.params("zones") == {"cell": 1000.0, "single_share": 0.6}
    assert county.fields("supplies") == {"agreed_start": "YDDG"}
    assert county.road_network().speeds.residential == 10
    assert county.supplies["agreed_start"].notna().sum() > 0.8 * len(county.supplies)


@pytest.fixture(scope="module")
def outputs(county_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("outputs")
    runner = CliRunner()
    folders = {"report": out / "report"}
    res = runner.invoke(main, ["report", str(county_dir), "--out", str(folders["report"])])
    assert res.exit_code == 0, res.output
    for command in ("audit", "zones", "connectivity", "hierarchy", "efficiency"):
        folders[command] = out / command
        res = runner.invoke(main, [command, str(county_dir), "--out", str(folders[command])])
        assert res.exit_code == 0, res.output
    return folders


def test_report_sections_all_ran(outputs: dict[str, Path]) -> None:
    manifest = json.loads((outputs["report"] / "report.json").read_text(encoding="utf-8"))
    assert {s["key"]: s["status"] for s in manifest["sections"]} == {
        "overview": "ok",
        "audit": "ok",
        "zones": "ok",
        "connectivity": "ok",
        "hierarchy": "ok",
        "efficiency": "ok",
    }  # fmt: skip  (roads.osm.bz2 is an OSM extract for the report too)


def test_audit_same_in_cli_report_and_notebook(county_dir: Path, outputs: dict[str, Path]) -> None:
    cli = json.loads((outputs["audit"] / "summary.json").read_text(encoding="utf-8"))
    report = json.loads((outputs["report"] / "audit" / "summary.json").read_text(encoding="utf-8"))
    assert cli == report
    notebook = run_audit(County.open(county_dir)).summary
    assert notebook["sliver_area_mu"] == pytest.approx(cli["sliver_area_mu"], rel=1e-12)
    # the settings took effect: wider and larger slivers drop more than the defaults, and the
    # renamed agreed-start column was mapped (otherwise every supply would be 待核实)
    default = run_audit(County.open(demo_path())).summary
    assert cli["sliver_area_mu"] > default["sliver_area_mu"]
    assert cli["unknown_parcels"] == default["unknown_parcels"]
    assert cli["idle_parcels"] == default["idle_parcels"] > 0


def test_efficiency_same_in_cli_report_and_notebook(
    county_dir: Path, outputs: dict[str, Path]
) -> None:
    cli = json.loads((outputs["efficiency"] / "summary.json").read_text(encoding="utf-8"))
    report = json.loads(
        (outputs["report"] / "efficiency" / "summary.json").read_text(encoding="utf-8")
    )
    assert cli == report
    notebook = run_efficiency(County.open(county_dir)).summary
    assert notebook == cli
    # the settings took effect: the six-indicator scheme, 增存挂钩 at 1:1, and the audit's
    # wider slivers ([parameters.audit]) in its 批而未供
    assert cli["scheme"] == "six_indicators"
    assert cli["new_quota_mu"] == pytest.approx(cli["stock_mu"], rel=1e-12)
    audit = json.loads((outputs["audit"] / "summary.json").read_text(encoding="utf-8"))
    assert cli["unsupplied_mu"] == pytest.approx(audit["unsupplied_area_mu"], rel=1e-12)
    assert cli["idle_mu"] == pytest.approx(audit["idle_area_mu"], rel=1e-12)


def test_zones_same_in_cli_and_report(outputs: dict[str, Path]) -> None:
    cli = pd.read_csv(outputs["zones"] / "zones.csv", encoding="utf-8-sig")
    report = pd.read_csv(outputs["report"] / "zones" / "zones.csv", encoding="utf-8-sig")
    pd.testing.assert_frame_equal(cli, report)
    # 1 km cells: each full cell is 1e6 m²
    assert cli["area_m2"].max() == pytest.approx(1e6, rel=1e-9)
    assert (cli["dominant"] == "mixed").any()


def test_connectivity_same_in_cli_and_report(county_dir: Path, outputs: dict[str, Path]) -> None:
    cli = pd.read_csv(outputs["connectivity"] / "connectivity.csv", encoding="utf-8-sig")
    report = pd.read_csv(
        outputs["report"] / "connectivity" / "connectivity.csv", encoding="utf-8-sig"
    )
    pd.testing.assert_frame_equal(cli, report)
    assert cli["access_routes"].max() <= 2  # max_routes = 2
    # speeds halved or worse: every park takes longer to reach the trunk than by default
    default = run_connectivity(County.open(demo_path())).parks
    slow = run_connectivity(County.open(county_dir)).parks
    both = slow["trunk_time_min"].notna() & default["trunk_time_min"].notna()
    assert both.any()
    assert (slow["trunk_time_min"][both] >= default["trunk_time_min"][both]).all()
    assert (slow["trunk_time_min"][both] > default["trunk_time_min"][both]).any()


def test_hierarchy_same_in_cli_and_report(county_dir: Path, outputs: dict[str, Path]) -> None:
    cli = pyogrio.read_dataframe(outputs["hierarchy"] / "hierarchy.gpkg", layer="reach")
    report = pyogrio.read_dataframe(
        outputs["report"] / "hierarchy" / "hierarchy.gpkg", layer="reach"
    )
    pd.testing.assert_frame_equal(cli, report)
    # the bug this guards against: the CLI ignored [parameters.connectivity] speeds
    slow = run_hierarchy(County.open(county_dir)).summary
    default = run_hierarchy(County.open(demo_path())).summary
    assert slow["town_village_target_min"] == 12
    assert slow["town_village_meet"] < default["town_village_meet"]
    met = int(cli["meets"].astype(bool).sum())
    assert met == slow["town_village_meet"] + slow["seat_town_meet"]


def test_unknown_parameter_keys_are_an_error_everywhere(county_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    shutil.copytree(county_dir, bad)
    toml = (bad / "county.toml").read_text(encoding="utf-8")
    (bad / "county.toml").write_text(toml.replace("cell = 1000.0", "cel = 1000.0"), "utf-8")
    county = County.open(bad)
    with pytest.raises(InputError, match="cel"):
        run_zones(county)
    with pytest.raises(InputError, match="cel"):
        county.check_parameters()
    for command in ("zones", "audit", "report"):
        res = CliRunner().invoke(main, [command, str(bad), "--out", str(tmp_path / command)])
        assert res.exit_code == 2 and "cel" in res.output, (command, res.output)
        assert not (tmp_path / command / "index.html").exists()
