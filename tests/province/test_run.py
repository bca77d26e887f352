"""run_province on a real LocalCluster (2 worker processes, TCP on loopback): the province
figures equal the per-county runs, a failing county does not stop the others, a rerun skips
counties that are up to date, the split layers give the same figures as the packages."""

from __future__ import annotations

import html
import json
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
from click.testing import CliRunner

from geoplan.cli import main
from geoplan.county import County
from geoplan.datasets import synthetic_province
from geoplan.errors import MissingExtraError
from geoplan.province import ProvinceResult, open_province, run_province
from geoplan.runs import run_audit, run_connectivity, run_hierarchy
from geoplan.units import m2_to_mu
from tests.support.province import BROKEN, PAYLOAD_NAME

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]
GOOD = ("419901", "419902")


def _by_hand(folder: Path, defaults: dict[str, Any]) -> dict[str, float]:
    """The province figures of one county, from the single-process runs (geoplan.runs)."""
    county = County.open(folder, defaults=defaults)
    audit = run_audit(county)
    window = audit.cohorts[audit.cohorts["in_window"].astype(bool)]
    conn = run_connectivity(county).summary
    hier = run_hierarchy(county).summary
    return {
        "approved_mu": audit.summary["approved_area_mu"],
        "unsupplied_mu": audit.summary["unsupplied_area_mu"],
        "idle_mu": audit.summary["idle_area_mu"],
        "supply_rate": audit.summary["supply_rate"],
        "supply_rate_5y": audit.summary["supply_rate_5y"],
        "approved_5y_mu": float(m2_to_mu(window["approved_area_m2"].sum())),
        "supplied_5y_mu": float(m2_to_mu(window["supplied_area_m2"].sum())),
        "idle_fee_wan": audit.summary["idle_fee_total_wan"],
        "parks_beyond_30min": conn["parks"] - conn["parks_within_30min"],
        "villages_missing_reach": hier["town_village_miss"],
    }


def test_province_figures_equal_the_per_county_runs(
    first_run: ProvinceResult, province_dir: Path
) -> None:
    result = first_run
    package = open_province(province_dir)
    table = result.counties.set_index("adcode")
    assert list(table.index) == ["419901", "419902", "419903"]
    expected = {a: _by_hand(province_dir / a, package.defaults) for a in GOOD}
    for adcode, figures in expected.items():
        for key, value in figures.items():
            assert table.loc[adcode, key] == pytest.approx(value, rel=1e-12, abs=1e-12), key
        assert table.loc[adcode, "status"] == "ok"
        assert bool(table.loc[adcode, "meets_floor_5y"]) == (figures["supply_rate_5y"] >= 0.6)
    # province totals: sums over the counties that have the figure; 供地率 of the summed areas
    tot = result.summary["totals"]
    assert tot["unsupplied_mu"] == pytest.approx(sum(e["unsupplied_mu"] for e in expected.values()))
    assert tot["supply_rate_5y"] == pytest.approx(
        sum(e["supplied_5y_mu"] for e in expected.values())
        / sum(e["approved_5y_mu"] for e in expected.values())
    )
    # the files: gpkg layers, xlsx with Chinese headers and a totals row
    assert [n for n, _ in pyogrio.list_layers(result.out / "province.gpkg")] == [
        "counties",
        "tasks",
    ]
    gpkg = gpd.read_file(result.out / "province.gpkg", layer="counties")
    assert len(gpkg) == 3 and gpkg.crs.to_epsg() == 4326 and gpkg.geometry.notna().all()
    sheet = openpyxl.load_workbook(result.out / "province.xlsx")["各县汇总"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    head = rows[0]
    assert head[:3] == ["县（市、区）", "行政区划代码", "辖区面积（亩）"]
    assert "批而未供（亩）" in head and "近五年供地率" in head and "土地闲置费（万元）" in head
    assert rows[-1][0] == "合计"
    col = head.index("批而未供（亩）")
    assert rows[-1][col] == pytest.approx(tot["unsupplied_mu"])
    # counties that have no figure (the broken one's audit) leave the cell empty
    broken = next(r for r in rows if r[1] == BROKEN)
    assert broken[col] is None and broken[0] == PAYLOAD_NAME


def test_a_failing_county_is_recorded_and_the_others_go_on(first_run: ProvinceResult) -> None:
    tasks = first_run.tasks.set_index(["county", "analysis"])
    assert tasks.loc[(BROKEN, "audit"), "status"] == "error"
    assert "NO_SUCH_COLUMN" in tasks.loc[(BROKEN, "audit"), "message"]
    for key in ("zones", "connectivity", "hierarchy", "report"):
        assert tasks.loc[(BROKEN, key), "status"] == "ok", key
    for county in GOOD:
        assert set(tasks.loc[county]["status"]) == {"ok"}
    assert len(first_run.tasks) == 15 and len(first_run.failed) == 1
    row = first_run.counties.set_index("adcode").loc[BROKEN]
    assert row["status"] == "failed" and row["failed"].startswith("audit: ")
    # the county's report shows the failure in its audit section (and in the overview, which
    # reads every layer, the broken supplies too); its other sections ran
    report = json.loads((first_run.out / BROKEN / "report.json").read_text("utf-8"))
    status = {s["key"]: s["status"] for s in report["sections"]}
    assert status == {"overview": "error", "audit": "error", "zones": "ok", "connectivity": "ok",
                      "hierarchy": "ok", "efficiency": "skipped"}  # fmt: skip
    # each task's record is in the county's folder, the audit files of the good counties too
    saved = json.loads((first_run.out / BROKEN / "audit" / "task.json").read_text("utf-8"))
    assert saved["status"] == "error"
    assert (first_run.out / "419901" / "audit" / "audit.xlsx").is_file()
    # progress: one event per task and outline, the last with everything done
    events = first_run.summary["_events"]
    assert [e.done for e in events] == list(range(1, 19))
    assert events[-1].total == 18 and events[-1].failed == 1


def test_index_html_is_offline_escaped_and_links_each_report(first_run: ProvinceResult) -> None:
    page = (first_run.out / "index.html").read_text("utf-8")
    assert re.findall(r"<(?:script|link)[^>]+(?:src|href)=.?https?:", page) == []
    links = re.findall(r'<a href="([^"]+)">', page)
    assert sorted(links) == [f"{a}/index.html" for a in ("419901", "419902", "419903")]
    assert all((first_run.out / link).is_file() for link in links)
    # the payload name is shown as text: escaped in the table, never evaluated or run
    assert "<script>alert(1)" not in page and "县42" not in page
    assert html.escape(PAYLOAD_NAME, quote=False) in page
    # one map layer per indicator, the first shown
    assert page.count("geoplan.addLayer(") == 6
    # the xlsx keeps the formula-like name as text
    book = openpyxl.load_workbook(first_run.out / "province.xlsx")
    cells = [c for ws in book.worksheets for r in ws.iter_rows() for c in r]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []


def test_rerun_skips_counties_that_are_up_to_date(
    first_run: ProvinceResult, province_dir: Path, dask_client: Any
) -> None:
    out = first_run.out
    again = run_province(province_dir, client=dask_client, out=out)
    reused = again.tasks.groupby("county")["reused"].all()
    # the two good counties are up to date; the broken one failed, so it runs again
    assert reused.to_dict() == {"419901": True, "419902": True, BROKEN: False}
    pd.testing.assert_frame_equal(
        again.counties.drop(columns="geometry"), first_run.counties.drop(columns="geometry")
    )
    # an input newer than the outputs: that county runs again, the other stays
    future = time.time() + 5
    os.utime(province_dir / "419902" / "county.gpkg", (future, future))
    third = run_province(province_dir, client=dask_client, out=out, analyses=["audit"])
    assert third.tasks.groupby("county")["reused"].all().to_dict() == {
        "419901": True, "419902": False, BROKEN: False,
    }  # fmt: skip
    assert not (third.counties["report"].isna().any())  # earlier reports are still linked
    forced = run_province(province_dir, client=dask_client, out=out, analyses=["audit"],
                          force=True)  # fmt: skip
    assert not forced.tasks["reused"].any()


def test_the_command_line_on_a_scheduler(
    province_dir: Path, dask_client: Any, tmp_path: Path
) -> None:
    address = dask_client.scheduler.address
    assert address.startswith("tcp://127.0.0.1:")
    args = ["province", str(province_dir), "--scheduler", address, "--only", "audit",
            "--out", str(tmp_path / "o")]  # fmt: skip
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    assert re.search(r"\[\s*6/6\] .* — done 6, failed 1, running \d", res.output)
    assert f"FAILED {BROKEN} audit (error)" in res.output
    assert "3 counties, 3 tasks (2 ok, 0 skipped for want of layers, 1 failed" in res.output
    assert not (tmp_path / "o" / "419901" / "index.html").exists()  # reports need all four
    res = CliRunner().invoke(main, [*args, "--strict", "--force"])
    assert res.exit_code == 3, res.output
    res = CliRunner().invoke(main, [*args[:4], "--workers", "2"])
    assert res.exit_code == 2 and "Give one of them" in res.output
    res = CliRunner().invoke(main, ["province", str(province_dir), "--only", "audit,parks"])
    assert res.exit_code == 2 and "audit,zones" in res.output


def test_province_wide_layers_give_the_figures_of_the_packages(
    province_dir: Path, dask_client: Any, tmp_path: Path
) -> None:
    """The same two counties as province-wide layers: split by county, then audited, they give
    what their county packages give (the split moves nothing: the counties lie apart)."""
    root = synthetic_province(tmp_path / "layers", counties=2, scale=0.03, seed=0, layout="layers")
    result = run_province(root, client=dask_client, out=tmp_path / "o",
                          analyses=["audit", "hierarchy"])  # fmt: skip
    assert result.split is not None and result.split.conserved
    rows = result.split.layers.set_index("layer")
    # every approval, parcel, settlement and park lies in its county; the generator draws a
    # few supplies and road ends beyond the outline: whole features, so area is conserved
    assert rows.loc["approvals", "outside"] == 0 and rows.loc["approvals", "crossing"] == 0
    assert rows.loc["landuse", "outside"] == 0 and rows.loc["settlements", "outside"] == 0
    for r in rows.itertuples():
        assert r.total_in == pytest.approx(r.total_assigned + r.total_outside, rel=1e-12)
    assert set(result.tasks["status"]) == {"ok"}, result.tasks[["county", "message"]]
    package = open_province(province_dir)
    table = result.counties.set_index("adcode")
    for adcode in GOOD:
        want = _by_hand(province_dir / adcode, package.defaults)
        # what rests on the approvals (and the supplies inside them) and on the settlements
        for key in ("approved_mu", "unsupplied_mu", "supply_rate", "supply_rate_5y",
                    "villages_missing_reach"):  # fmt: skip
            assert table.loc[adcode, key] == pytest.approx(want[key], rel=1e-9), key
    assert (tmp_path / "o" / "_packages" / "419901" / "county.toml").is_file()
    assert [n for n, _ in pyogrio.list_layers(result.out / "province.gpkg")][2:] == [
        "split_layers",
        "split_counties",
    ]
    # a rerun reuses the split and the counties
    again = run_province(root, client=dask_client, out=tmp_path / "o",
                         analyses=["audit", "hierarchy"])  # fmt: skip
    assert again.tasks["reused"].all() and again.split is not None and again.split.conserved


def test_missing_extra_says_how_to_install(
    province_dir: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed fails
    with pytest.raises(MissingExtraError, match=r"pip install 'geoplan\[scale\]'"):
        run_province(province_dir, out=tmp_path / "o")
    res = CliRunner().invoke(main, ["province", str(province_dir), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "geoplan[scale]" in res.output


def test_unknown_analyses_are_refused(province_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="choose one or more of audit, zones"):
        run_province(province_dir, analyses=["audit", "parks"], out=tmp_path)
