"""The audit on real county exports (issue 11): GBK/UTF-8 shapefiles without .cpg, field names
cut at 10 bytes, no .prj (Gauss–Krüger zone prefix), 成交价款 in 万元, and an as-of date in the
past. Fixtures are written by GDAL the way county software writes them (``tests/exports.py``).

The export county, derived by hand (1 亩 = 10000/15 m²; every parcel 500 m deep):

=================  ==========  ============  ====================================================
supply             x (m)       area          as of 2026-06-30
=================  ==========  ============  ====================================================
…001               0–300       150,000 m²    agreed 2023-03-01, not started: 1217 days → 闲置(一类),
                               = 225 亩      recoverable; fee 0.2 × 2,250 万元 = 4,500,000 元
…002               300–700     200,000 m²    agreed 2024-05-01: 790 days → 闲置(一类), recoverable;
                               = 300 亩      fee 0.2 × 3,000 万元 = 6,000,000 元
…003               700–900     100,000 m²    agreed 2025-06-01: 394 days → 闲置(一类) (< 730: not
                               = 150 亩      recoverable); fee 3,000,000 元
…004               900–1070    85,000 m²     started 2022-01-01, 20 % developed, suspended
                               = 127.5 亩    2024-01-01 (911 days) → 闲置(二类); fee 1,800,000 元
…005               1100–1200   75 亩         started, 90 % developed → 已动工
…006               1200–1300   75 亩         agreed 2026-03-01 (121 days) → 供而未用
…007               1300–1400   75 亩         agreed 2027-01-01 → 未到期
…008               1400–1500   75 亩         no agreed start → 待核实 (缺少约定动工日期)
…009               1500–1600   75 亩         supplied 2026-09-01, after as-of: left out
=================  ==========  ============  ====================================================

Idle: 4 parcels, 225 + 300 + 150 + 127.5 = 802.5 亩, fees 4.5 + 6 + 3 + 1.8 = 15.3 million 元.
Batch 2021年第1批次 is x 0–1700 (850,000 m² = 1,275 亩); supplied …001–…008 = 735,000 m²
(1,102.5 亩); unsupplied 115,000 m² = 172.5 亩 in 2 pieces (x 1070–1100 and 1500–1700).
Batch 2027年第1批次 is approved after as-of: left out.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from geoplan.audit import audit_land
from geoplan.cli import main
from geoplan.county import County
from geoplan.errors import CRSError, InputError
from geoplan.io import read_layer, read_report
from geoplan.units import M2_PER_MU
from tests.support.exports import AS_OF, export_county, strip, supplies_frame, write_export

IDS = [f"410225{y}B0000{i}" for y, i in
       [(2021, 1), (2021, 2), (2022, 3), (2021, 4), (2021, 5), (2025, 6), (2026, 7), (2021, 8)]]  # fmt: skip


def mu(m2: float) -> float:
    return m2 / M2_PER_MU


@pytest.fixture(scope="module")
def gbk_county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_county(tmp_path_factory.mktemp("gbk") / "导出县")


def test_fixture_is_a_real_export(gbk_county: Path) -> None:
    # no .cpg, no .prj, language byte 0, names cut to 10 GBK bytes by GDAL
    names = {p.suffix for p in gbk_county.iterdir()}
    assert ".cpg" not in names and ".prj" not in names
    raw = (gbk_county / "供地.dbf").read_bytes()
    assert raw[29] == 0
    assert "约定动工日".encode("gbk") in raw and "约定动工日期".encode("gbk") not in raw
    assert "成交价款万".encode("gbk") in raw


def test_gbk_export_read_with_cut_names(gbk_county: Path) -> None:
    c = County.open(gbk_county)
    s = c.supplies
    rep = read_report(s)
    assert rep is not None and rep.encoding == "GB18030"
    assert rep.fields["约定动工日"] == "agreed_start"
    assert rep.fields["实际动工日"] == "actual_start"
    assert rep.fields["合同签订日"] == "supplied_on"
    assert rep.truncated["约定动工日"] == "约定动工日期"
    assert rep.fields["成交价款万"] == "land_price" and rep.units["land_price"].startswith("万元")
    assert rep.unused == ["项目名称", "行政区划代"]
    # 2,250 万元 stored as 22,500,000 元
    assert s.set_index("supply_id").loc[IDS[0], "land_price"] == pytest.approx(22_500_000.0)
    assert rep.source_crs is not None and "4527" in rep.source_crs


def test_gbk_export_headline_figures(gbk_county: Path) -> None:
    c = County.open(gbk_county)
    r = audit_land(c.approvals, c.supplies, as_of=c.as_of)
    s = r.summary
    assert s["idle_parcels"] == 4
    assert s["idle_area_mu"] == pytest.approx(802.5, rel=1e-9)
    assert s["idle_fee_total"] == pytest.approx(15_300_000.0, rel=1e-12)
    assert s["idle_fee_total_wan"] == pytest.approx(1530.0, rel=1e-12)
    assert s["recoverable_parcels"] == 2
    assert s["supplied_unused_parcels"] == 1
    assert s["approved_area_mu"] == pytest.approx(1275.0, rel=1e-9)
    assert s["supplied_area_mu"] == pytest.approx(1102.5, rel=1e-9)
    assert s["unsupplied_area_mu"] == pytest.approx(172.5, rel=1e-9)
    assert s["unsupplied_parcels"] == 2
    assert s["unknown_parcels"] == 1 and s["unknown_area_mu"] == pytest.approx(75.0)
    assert s["after_as_of_approvals"] == 1 and s["after_as_of_supplies"] == 1
    assert s["implausible_price_parcels"] == 0
    assert "1 宗因缺少约定动工日期无法判定，待核实" in s["notes"]
    st = r.supplies.set_index("supply_id")
    assert st["status_zh"].to_dict() == dict(
        zip(IDS, ["闲置(一类)", "闲置(一类)", "闲置(一类)", "闲置(二类)", "已动工", "供而未用",
                  "未到期", "待核实"], strict=True)
    )  # fmt: skip
    assert st["days_late"].tolist()[:4] == [1217, 790, 394, 911]
    assert st.loc[IDS[7], "unknown_reason_zh"] == "缺少约定动工日期"
    assert r.quality["supplies_after_as_of"] == ["4102252026B00009"]
    assert r.quality["approvals_after_as_of"] == ["2027年第1批次"]


def test_gbk_export_audited_in_the_past(gbk_county: Path) -> None:
    """The same export as of 2024-06-30 (derivation):

    - …006 (supplied 2025-06-01), …007 (2026-01-10) and …009 did not exist: 3 left out;
    - …001 agreed 2023-03-01: 366 + 121 = 487 days → 闲置(一类), not yet recoverable;
      fee 4,500,000 元; …002 agreed 2024-05-01: 60 days → 供而未用; …003 agreed 2025-06-01 →
      未到期; …004 suspended 2024-01-01: 181 days < 365 → 已动工; …005 已动工; …008 待核实;
    - supplied …001–…005 and …008: 535,000 + 50,000 + 50,000 = 635,000 m² = 952.5 亩;
      unsupplied 850,000 − 635,000 = 215,000 m² = 322.5 亩 in 3 pieces (1070–1100,
      1200–1400, 1500–1700).
    """
    c = County.open(gbk_county)
    r = audit_land(c.approvals, c.supplies, as_of="2024-06-30")
    s = r.summary
    assert s["idle_parcels"] == 1 and s["idle_area_mu"] == pytest.approx(225.0)
    assert s["idle_fee_total"] == pytest.approx(4_500_000.0)
    assert s["recoverable_parcels"] == 0
    assert s["supplied_unused_parcels"] == 1
    assert s["supplied_area_mu"] == pytest.approx(952.5, rel=1e-9)
    assert s["unsupplied_area_mu"] == pytest.approx(322.5, rel=1e-9)
    assert s["unsupplied_parcels"] == 3
    assert s["supply_rate"] == pytest.approx(635_000 / 850_000, rel=1e-12)
    assert s["after_as_of_supplies"] == 3 and s["after_as_of_approvals"] == 1
    st = r.supplies.set_index("supply_id")["status"]
    assert st.to_dict() == dict(
        zip([IDS[i] for i in (0, 1, 2, 3, 4, 7)],
            ["idle_type1", "supplied_unused", "not_due", "started", "started", "unknown"],
            strict=True)
    )  # fmt: skip


def test_cli_on_the_export_strict_and_words(gbk_county: Path, tmp_path: Path) -> None:
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["audit", str(gbk_county), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "1 宗因缺少约定动工日期无法判定，待核实" in res.output
    assert "1,530.00 万元" in res.output
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert data["idle_parcels"] == 4 and data["idle_fee_total"] == pytest.approx(15_300_000.0)
    assert data["unknown_parcels"] == 1
    wb = openpyxl.load_workbook(out / "audit.xlsx")
    rows = [r for r in wb["汇总"].iter_rows(values_only=True) if r[0]]
    figures = dict(r[:2] for r in rows)
    assert figures["土地闲置费合计(万元)"] == pytest.approx(1530.0)
    assert figures["无法判定、待核实的供地宗数"] == 1
    assert ("注意", "1 宗因缺少约定动工日期无法判定，待核实") in [r[:2] for r in rows]
    sheet = list(wb["供地"].iter_rows(values_only=True))
    head = list(sheet[0])
    body = {r[head.index("电子监管号")]: r for r in sheet[1:] if r[0] != "合计"}
    assert len(body) == 8
    assert body[IDS[7]][head.index("状态")] == "待核实"
    assert body[IDS[7]][head.index("待核实原因")] == "缺少约定动工日期"
    assert body[IDS[0]][head.index("土地闲置费(元)")] == pytest.approx(4_500_000.0)
    strict = CliRunner().invoke(main, ["audit", str(gbk_county), "--out", str(out), "--strict"])
    assert strict.exit_code == 3, strict.output
    assert "could not be judged" in strict.output


def test_no_prj_suggests_the_zone_epsg_and_crs_table(tmp_path: Path) -> None:
    pkg = export_county(tmp_path / "县", crs_in_toml=False)
    with pytest.raises(CRSError) as err:
        County.open(pkg).layer("supplies")
    msg = str(err.value)
    assert "EPSG:4527" in msg and "zone prefix 39" in msg and "4490" not in msg
    assert "[crs]" in msg and 'supplies = "EPSG:4527"' in msg
    res = CliRunner().invoke(main, ["audit", str(pkg), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "EPSG:4527" in res.output


def test_crs_table_conflicting_with_the_file_is_an_error(tmp_path: Path) -> None:
    pkg = tmp_path / "县"
    pkg.mkdir()
    g = supplies_frame()
    write_export(g, pkg / "供地.shp", keep_prj=True)
    (pkg / "county.toml").write_text(
        '[county]\nname = "县"\nas_of = "2026-06-30"\n[layers]\nsupplies = "供地.shp"\n'
        '[crs]\nsupplies = "EPSG:4547"\n',
        encoding="utf-8",
    )
    with pytest.raises(CRSError, match=r"EPSG:4527.*EPSG:4547.*\[crs\] supplies"):
        County.open(pkg).layer("supplies")
    # the same CRS as the file is fine
    (pkg / "county.toml").write_text(
        (pkg / "county.toml").read_text(encoding="utf-8").replace("4547", "4527"),
        encoding="utf-8",
    )
    assert County.open(pkg).layer("supplies").crs.to_epsg() == 4527  # the file's own zone
    bad = (pkg / "county.toml").read_text(encoding="utf-8").replace("EPSG:4527", "EPSG:99999")
    (pkg / "county.toml").write_text(bad, encoding="utf-8")
    with pytest.raises(InputError, match=r"\[crs\] supplies = 'EPSG:99999' is not a CRS"):
        County.open(pkg)


def test_utf8_export_cut_mid_character(tmp_path: Path) -> None:
    # UTF-8: 3 bytes a character, so 10 bytes keep 3 characters and one byte of the fourth
    pkg = export_county(tmp_path / "县", encoding="UTF-8", units_in_toml=True)
    raw = (pkg / "供地.dbf").read_bytes()
    assert "约定动".encode() + "工".encode()[:1] + b"\x00" in raw
    c = County.open(pkg)
    rep = read_report(c.supplies)
    assert rep is not None
    assert rep.fields["约定动"] == "agreed_start" and rep.fields["实际动"] == "actual_start"
    assert rep.fields["成交价"] == "land_price" and rep.units["land_price"].startswith("万元")
    r = audit_land(c.approvals, c.supplies, as_of=c.as_of)
    assert r.summary["idle_parcels"] == 4
    assert r.summary["idle_fee_total"] == pytest.approx(15_300_000.0)


def test_wan_yuan_read_as_yuan_is_implausible(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # UTF-8 cuts 成交价款万元 to 成交价: the unit is lost; 2,250 "元" for 150,000 m² is 0.015 元/m²
    pkg = export_county(tmp_path / "县", encoding="UTF-8")
    c = County.open(pkg)
    with caplog.at_level(logging.WARNING, logger="geoplan"):
        r = audit_land(c.approvals, c.supplies, as_of=c.as_of)
    assert r.summary["implausible_price_parcels"] == 8
    first = r.quality["implausible_land_price"][0]
    assert first == {"supply_id": IDS[0], "land_price": 2250.0, "area_m2": 150_000.0,
                     "yuan_per_m2": 0.015}  # fmt: skip
    assert "implausible land price" in caplog.text and IDS[0] in caplog.text
    assert "成交价款折合单价不合常理" in r.summary["notes"]
    # --price-unit fixes it on the command line
    out = tmp_path / "o"
    res = CliRunner().invoke(main, ["audit", str(pkg), "--price-unit", "万元", "--out", str(out)])
    assert res.exit_code == 0, res.output
    data = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert data["idle_fee_total"] == pytest.approx(15_300_000.0)
    assert data["implausible_price_parcels"] == 0


def test_info_shows_mapping_and_source_crs(gbk_county: Path) -> None:
    res = CliRunner().invoke(main, ["info", str(gbk_county)])
    assert res.exit_code == 0, res.output
    assert "约定动工日 → agreed_start (shapefile cut of 约定动工日期)" in res.output
    assert "项目名称: not used" in res.output
    assert "source CRS: EPSG:4527" in res.output
    data = json.loads(CliRunner().invoke(main, ["info", str(gbk_county), "--json"]).output)
    sup = next(lyr for lyr in data["layers"] if lyr["role"] == "supplies")
    assert sup["source_crs"].startswith("EPSG:4527")
    assert (
        "成交价款万 → land_price (shapefile cut of 成交价款万元), unit 万元 (column name)"
        in sup["fields"]
    )


def test_field_option_maps_unknown_columns(tmp_path: Path) -> None:
    # ad-hoc files with columns geoplan cannot know: YDDG (agreed start), SJDG (actual start)
    approvals = tmp_path / "pz.gpkg"
    supplies = tmp_path / "gd.gpkg"
    from tests.support.exports import approvals_frame

    approvals_frame().to_file(approvals)
    g = supplies_frame(price_column="成交价款(万元)")
    g = g.rename(columns={"约定动工日期": "YDDG", "实际动工日期": "SJDG"})
    g.to_file(supplies)
    base = ["audit", "--approvals", str(approvals), "--supplies", str(supplies),
            "--as-of", "20260630"]  # fmt: skip
    res = CliRunner().invoke(main, [*base, "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    # without the mapping nothing can be judged, and the output says so in words
    data = json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))
    assert data["idle_parcels"] == 0 and data["unknown_parcels"] == 8
    assert "8 宗因缺少约定动工日期字段无法判定，待核实" in res.output
    res = CliRunner().invoke(
        main,
        [*base, "--field", "supplies.agreed_start=YDDG", "--field", "supplies.actual_start=SJDG",
         "--out", str(tmp_path / "b")],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    data = json.loads((tmp_path / "b" / "summary.json").read_text(encoding="utf-8"))
    # the unit comes from the column name 成交价款(万元)
    assert data["idle_parcels"] == 4 and data["idle_fee_total"] == pytest.approx(15_300_000.0)
    bad = CliRunner().invoke(main, [*base, "--field", "agreed_start=YDDG"])
    assert bad.exit_code == 2 and "ROLE.FIELD=COLUMN" in bad.output
    unknown = CliRunner().invoke(main, [*base, "--field", "supplies.start=YDDG"])
    assert unknown.exit_code == 2 and "unknown canonical fields" in unknown.output


def test_unit_in_name_and_configured_unit_must_agree(tmp_path: Path) -> None:
    g = supplies_frame(price_column="成交价款(万元)")
    path = tmp_path / "gd.gpkg"
    g.to_file(path)
    s = read_layer(path, role="supplies")
    assert s["land_price"].iloc[0] == pytest.approx(22_500_000.0)
    with pytest.raises(InputError, match="万元.*元"):
        read_layer(path, role="supplies", units={"land_price": "元"})
    plain = supplies_frame(price_column="成交价款")
    plain.to_file(tmp_path / "p.gpkg")
    yuan = read_layer(tmp_path / "p.gpkg", role="supplies")
    wan = read_layer(tmp_path / "p.gpkg", role="supplies", units={"land_price": "万元"})
    assert yuan["land_price"].iloc[0] == 2250.0 and wan["land_price"].iloc[0] == 22_500_000.0
    with pytest.raises(InputError, match="元 or 万元"):
        read_layer(tmp_path / "p.gpkg", role="supplies", units={"land_price": "千元"})


def test_units_table_in_county_toml(tmp_path: Path) -> None:
    pkg = export_county(tmp_path / "县", units_in_toml=True)
    c = County.open(pkg)
    assert c.supplies.set_index("supply_id").loc[IDS[1], "land_price"] == pytest.approx(3e7)
    text = (pkg / "county.toml").read_text(encoding="utf-8")
    (pkg / "county.toml").write_text(text.replace('"万元"', '"千元"'), encoding="utf-8")
    with pytest.raises(InputError, match=r"\[units\] land_price"):
        County.open(pkg)


def test_names_only_chinese_detects_gbk(tmp_path: Path) -> None:
    # every value ASCII, only the field names are Chinese: the names decide the encoding
    import geopandas as gpd

    from geoplan.io._encoding import detect_dbf_encoding

    g = gpd.GeoDataFrame(
        {"电子监管号": ["A1"], "约定动工日期": ["2020-01-01"]},
        geometry=[strip(0, 10)],
        crs=4527,
    )
    path = write_export(g, tmp_path / "a.shp", keep_prj=True)
    assert detect_dbf_encoding(path) == "GB18030"
    s = read_layer(path, role="supplies")
    assert s["agreed_start"].iloc[0] == pd.Timestamp("2020-01-01")
    assert s["supply_id"].iloc[0] == "A1"


def test_report_headline_says_the_unknowns_in_words(gbk_county: Path, tmp_path: Path) -> None:
    from geoplan.report import build_report

    build_report(County.open(gbk_county), out=tmp_path / "r")
    page = (tmp_path / "r" / "index.html").read_text(encoding="utf-8")
    audit = page[page.index('<section id="audit"') :]
    audit = audit[: audit.index("</section>")]
    # the sentence comes before the key figures, and fees are shown in 万元
    assert audit.index("1 宗因缺少约定动工日期无法判定，待核实") < audit.index("主要指标")
    assert "闲置费合计（万元）" in audit and "1,530.00" in audit
    assert "待核实宗数" in audit

    from geoplan.report._analyses import _audit_headline

    r = audit_land(County.open(gbk_county).approvals, County.open(gbk_county).supplies,
                   as_of=AS_OF)  # fmt: skip
    assert _audit_headline(r, "en").startswith(
        "1 supplies could not be judged (agreed start date missing): to be verified"
    )
