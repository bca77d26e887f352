"""Audit outputs (GeoPackage, Excel ledger read back, summary.json, offline map) and the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import geopandas as gpd
import openpyxl
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geoplan.audit import AuditResult, audit_land
from geoplan.cli import main
from geoplan.units import M2_PER_MU

CRS = 4547
X0, Y0 = 500_000.0, 3_800_000.0
AS_OF = "2024-06-30"
SUMMARY_KEYS = [
    "as_of", "approved_area_mu", "supplied_area_mu", "unsupplied_area_mu", "sliver_area_mu",
    "supply_rate", "supply_rate_5y", "unsupplied_parcels", "supplied_unused_parcels",
    "idle_parcels", "idle_area_mu", "idle_fee_total", "idle_fee_total_wan",
    "idle_fee_unknown_parcels", "recoverable_parcels", "unmatched_supply_area_mu",
    "unmatched_sliver_area_mu",
    "unknown_parcels", "unknown_area_mu", "after_as_of_approvals", "after_as_of_supplies",
    "dates_out_of_order", "implausible_price_parcels", "undated_supplies", "notes",
]  # fmt: skip
SHEETS = ["汇总", "批次", "批而未供", "供地", "闲置土地", "供而未用", "未匹配供地"]


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def frames() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    a = gpd.GeoDataFrame(
        {
            "batch_id": ["2019年第1批次", "2021年第2批次", "2023年第3批次"],
            "approval_no": ["豫政土〔2019〕1号", "豫政土〔2021〕2号", "<b>豫政土</b>"],
            "approved_on": pd.to_datetime(["2019-03-01", "2021-05-01", "2023-02-01"]),
        },
        geometry=[box(0, 0, 100, 100), box(200, 0, 300, 100), box(400, 0, 500, 60)],
        crs=CRS,
    )
    s = gpd.GeoDataFrame(
        {
            "supply_id": ["GD1", "GD2", "GD3", "GD4"],
            "batch_id": ["2019年第1批次", "2019年第1批次", None, "2023年第3批次"],
            "agreed_start": pd.to_datetime(
                ["2020-01-01", "2024-03-01", "2021-01-01", "2025-01-01"]
            ),
            "actual_start": pd.to_datetime([None, None, None, None]),
            "land_price": [3_000_000.0, 1_000_000.0, 800_000.0, 500_000.0],
        },
        geometry=[
            box(0, 0, 40, 100),
            box(40, 0, 70, 100),
            box(700, 0, 730, 30),
            box(400, 0, 450, 60),
        ],
        crs=CRS,
    )
    t = gpd.GeoDataFrame(
        {"name": ["城关镇", "东乡"]},
        geometry=[box(-100, -100, 350, 200), box(350, -100, 900, 200)],
        crs=CRS,
    )
    return a, s, t


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[AuditResult, dict[str, Path]]:
    a, s, t = frames()
    result = audit_land(a, s, as_of=AS_OF, townships=t)
    return result, result.to_files(tmp_path_factory.mktemp("audit"))


def test_files_written(written: tuple[AuditResult, dict[str, Path]]) -> None:
    _, files = written
    assert {p.name for p in files.values()} == {
        "audit.gpkg", "audit.xlsx", "summary.json", "audit.html"
    }  # fmt: skip
    folder = files["gpkg"].parent
    assert not [p for p in folder.iterdir() if p.name.startswith(".")]  # no temp files left


def test_summary_json_keys(written: tuple[AuditResult, dict[str, Path]]) -> None:
    result, files = written
    data = json.loads(files["summary"].read_text(encoding="utf-8"))
    assert list(data) == SUMMARY_KEYS
    assert data == pytest.approx(result.summary)
    assert data["unsupplied_area_mu"] == pytest.approx((3000 + 10_000 + 3000) * 15 / 10000)


def test_geopackage_layers(written: tuple[AuditResult, dict[str, Path]]) -> None:
    result, files = written
    layers = {name for name, _ in pyogrio.list_layers(files["gpkg"])}
    assert layers == {
        "unsupplied", "supplied_unused", "idle", "unmatched_supplies", "supplies", "batches"
    }  # fmt: skip
    u = gpd.read_file(files["gpkg"], layer="unsupplied")
    assert u.crs.to_epsg() == CRS
    assert u.area.sum() == pytest.approx(16_000)
    assert sorted(u["township"]) == ["东乡", "城关镇", "城关镇"]
    b = gpd.read_file(files["gpkg"], layer="batches")
    assert b["approved_area_mu"].sum() == pytest.approx(result.summary["approved_area_mu"])


def _sheet_table(ws: openpyxl.worksheet.worksheet.Worksheet) -> tuple[list[str], list[tuple]]:
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    body = [r for r in rows[1:] if r[0] != "合计"]
    return header, body


def _column_total(ws: openpyxl.worksheet.worksheet.Worksheet, name: str) -> tuple[float, float]:
    header, body = _sheet_table(ws)
    k = header.index(name)
    total_row = [r for r in ws.iter_rows(values_only=True) if r[0] == "合计"][0]
    return sum(r[k] or 0 for r in body), total_row[k]


def test_excel_ledger(written: tuple[AuditResult, dict[str, Path]]) -> None:
    result, files = written
    wb = openpyxl.load_workbook(files["xlsx"])
    assert wb.sheetnames == SHEETS
    s = result.summary
    for ws in wb.worksheets:
        assert ws.freeze_panes in ("A2", "B2")  # the header row stays in view
        header = [c.value for c in ws[1] if c.value is not None]
        assert all(re.search(r"[\u4e00-\u9fff]", h) for h in header), header
        assert all(ws.column_dimensions[c].width >= 7 for c in "ABC")
    checks = {
        ("批次", "批准面积(亩)"): s["approved_area_mu"],
        ("批次", "已供面积(亩)"): s["supplied_area_mu"],
        ("批次", "批而未供面积(亩)"): s["unsupplied_area_mu"],
        ("批而未供", "面积(亩)"): s["unsupplied_area_mu"],
        ("闲置土地", "面积(亩)"): s["idle_area_mu"],
        ("闲置土地", "土地闲置费(元)"): s["idle_fee_total"],
        ("供地", "土地闲置费(元)"): s["idle_fee_total"],
        ("未匹配供地", "批准范围外面积(亩)"): s["unmatched_supply_area_mu"],
    }
    for (sheet, col), expected in checks.items():
        rows_sum, total = _column_total(wb[sheet], col)
        assert rows_sum == pytest.approx(expected, rel=1e-12), (sheet, col)
        assert total == pytest.approx(expected, rel=1e-12), (sheet, col)
    # areas in 亩 shown with 2 decimals, m² alongside
    header, body = _sheet_table(wb["批而未供"])
    k = header.index("面积(亩)")
    cell = wb["批而未供"].cell(row=2, column=k + 1)
    assert cell.number_format == "0.00"
    assert "面积(平方米)" in header and "乡镇" in header
    assert len(body) == s["unsupplied_parcels"] == 3
    # the summary sheet lists the headline figures in Chinese
    summary_rows = dict(r[:2] for r in wb["汇总"].iter_rows(values_only=True) if r[0])
    assert summary_rows["批而未供面积(亩)"] == pytest.approx(s["unsupplied_area_mu"])
    assert summary_rows["闲置土地宗数"] == s["idle_parcels"] == 2
    assert summary_rows["评估基准日"] == AS_OF
    # fee totals in 万元 in the summary: GD1 0.2 × 3,000,000 + GD3 0.2 × 800,000 = 760,000 元
    assert summary_rows["土地闲置费合计(万元)"] == pytest.approx(76.0)
    assert s["idle_fee_total"] == pytest.approx(760_000.0)
    # GD3 (30 × 30 m) lies outside every approval and is no sliver: nothing dropped from it
    assert summary_rows["未匹配供地面积(亩)"] == pytest.approx(900 / M2_PER_MU)
    assert summary_rows["未匹配供地中剔除的碎片面积(亩)"] == 0
    idle_header, idle_body = _sheet_table(wb["闲置土地"])
    assert idle_body[0][idle_header.index("电子监管号")] == "GD1"
    assert idle_body[0][idle_header.index("状态")] == "闲置(一类)"
    assert idle_body[0][idle_header.index("可无偿收回")] == "是"
    # 供地: every supply with its status in Chinese; numbers stay numbers (units in headers)
    sup_header, sup_body = _sheet_table(wb["供地"])
    k = sup_header.index
    rows = {r[k("电子监管号")]: r for r in sup_body}
    # as of 2024-06-30: GD1 agreed 2020-01-01 (1642 days), GD3 2021-01-01 (1276 days): idle;
    # GD2 agreed 2024-03-01 (121 days): supplied, unused; GD4 agreed 2025-01-01: not yet due
    assert {i: r[k("状态")] for i, r in rows.items()} == {
        "GD1": "闲置(一类)", "GD2": "供而未用", "GD3": "闲置(一类)", "GD4": "未到期"
    }  # fmt: skip
    assert rows["GD1"][k("逾期天数(天)")] == 1642 and rows["GD2"][k("逾期天数(天)")] == 121
    assert rows["GD1"][k("土地闲置费(元)")] == pytest.approx(600_000.0)
    assert rows["GD1"][k("成交价款(元)")] == pytest.approx(3_000_000.0)
    assert "待核实原因" in sup_header


def test_offline_map(written: tuple[AuditResult, dict[str, Path]]) -> None:
    _, files = written
    page = files["html"].read_text(encoding="utf-8")
    assert not re.search(r"<script[^>]+src=[\"']https?://", page)
    assert not re.search(r"<link[^>]+href=[\"']https?://", page)
    assert "批而未供" in page and "闲置(一类)" in page
    assert "<b>豫政土</b>" not in page  # attribute values are escaped


def _write_inputs(tmp_path: Path) -> tuple[Path, Path]:
    a, s, _ = frames()
    ap, sp = tmp_path / "approvals.gpkg", tmp_path / "supplies.gpkg"
    # Chinese field names, as counties keep them
    a.rename(
        columns={"batch_id": "批次名称", "approval_no": "批准文号", "approved_on": "批准日期"}
    ).to_file(ap)
    s.rename(columns={"supply_id": "电子监管号", "agreed_start": "约定动工日期"}).to_file(sp)
    return ap, sp


def test_cli_with_sources(tmp_path: Path) -> None:
    ap, sp = _write_inputs(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        ["audit", "--approvals", str(ap), "--supplies", str(sp), "--as-of", AS_OF,
         "--match", "both", "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "批而未供" in res.output and "24.00 亩" in res.output
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert data["unsupplied_area_mu"] == pytest.approx(24.0)
    b = gpd.read_file(out / "audit.gpkg", layer="batches")
    assert "match_disagree" in b.columns


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    ap, sp = _write_inputs(tmp_path)
    broken = tmp_path / "broken.gpkg"
    gpd.read_file(sp).drop(columns="电子监管号").to_file(broken)
    res = CliRunner().invoke(
        main, ["audit", "--approvals", str(ap), "--supplies", str(broken), "--as-of", AS_OF,
               "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert res.exit_code == 2
    assert "broken.gpkg" in res.output and "supply_id" in res.output
    res = CliRunner().invoke(main, ["audit", "--approvals", str(ap), "--as-of", AS_OF])
    assert res.exit_code == 2 and "--supplies" in res.output
    res = CliRunner().invoke(
        main, ["audit", "--approvals", str(ap), "--supplies", str(sp), "--as-of", "2010-01-01"]
    )
    assert res.exit_code == 2 and "before every approval" in res.output
    res = CliRunner().invoke(main, ["audit", "--approvals", str(ap), "--supplies", str(sp)])
    assert res.exit_code == 2 and "--as-of" in res.output


def test_cli_county_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    a, s, t = frames()
    pkg = tmp_path / "testxian"
    pkg.mkdir()
    for name, frame in (("approvals", a), ("supplies", s), ("townships", t)):
        frame.to_file(pkg / "county.gpkg", layer=name)
    (pkg / "county.toml").write_text(
        '[county]\nname = "测试县"\nas_of = "2024-06-30"\n\n[layers]\n'
        'approvals = "county.gpkg:approvals"\nsupplies = "county.gpkg:supplies"\n'
        'townships = "county.gpkg:townships"\n\n[parameters.audit]\nsliver_area = 5000.0\n',
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["audit", str(pkg)])
    assert res.exit_code == 0, res.output
    folder = tmp_path / "maps" / "testxian" / "audit"
    data = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    # [parameters.audit] applies: the 3000 m² pieces are now below the area tolerance
    assert data["sliver_area_mu"] == pytest.approx(6000 * 15 / 10000)
    assert data["unsupplied_parcels"] == 1
    # --as-of overrides the package's date
    res = CliRunner().invoke(main, ["audit", str(pkg), "--as-of", "2025-06-30", "--out", "o2"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "o2" / "summary.json").read_text())["as_of"] == "2025-06-30"
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "county.toml").write_text(
        (pkg / "county.toml").read_text(encoding="utf-8").replace("5000.0", "5000.0\nfoo = 1"),
        encoding="utf-8",
    )
    for f in ("county.gpkg",):
        (bad / f).write_bytes((pkg / f).read_bytes())
    res = CliRunner().invoke(main, ["audit", str(bad)])
    assert res.exit_code == 2 and "foo" in res.output
