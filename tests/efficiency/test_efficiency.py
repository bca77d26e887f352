"""亩均效益 evaluation: scores, classes, links, 低效用地, 标准地 and the stock ledger, against
values derived by hand from tests/support/efficiency.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from geoplan.cli import main
from geoplan.county import County
from geoplan.efficiency import EfficiencyResult, land_efficiency, load_scheme
from geoplan.errors import DataFileNotFoundError, InputError
from geoplan.io import read_table
from geoplan.runs import run_efficiency
from tests.support import efficiency as sup


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> EfficiencyResult:
    folder = tmp_path_factory.mktemp("eff")
    scheme = folder / "scheme.toml"
    scheme.write_text(sup.SCHEME, encoding="utf-8")
    firms = read_table(sup.enterprises_csv(folder), source_crs="EPSG:4547")
    return land_efficiency(
        firms,
        sup.supplies(),
        parks=sup.parks(),
        townships=sup.townships(),
        scheme=scheme,
        as_of=sup.AS_OF,
    )


def _by_code(r: EfficiencyResult) -> pd.DataFrame:
    return r.firms.set_index("credit_code")


def test_links_land_and_shares(result: EfficiencyResult) -> None:
    f = _by_code(result)
    method = f["link_method"].to_dict()
    assert method == {
        "F1": "supply_id", "F2": "point", "F3": "supply_id", "F4": "declared",
        "F5": "supply_id", "F6": "declared", "U1": "none", "G1": "declared",
        "G2": "supply_id", "G3": "supply_id", "G4": "declared", "G5": "declared",
    }  # fmt: skip
    # land from the polygons when linked (P2 is 20 亩), the declared area otherwise; P5 (10 亩)
    # shared by G2 and G3, who declare 6 and 4 亩: 10 × 6/10 and 10 × 4/10
    land = f["land_area_mu"]
    assert land["F1"] == pytest.approx(10.0) and land["F2"] == pytest.approx(20.0)
    assert land["F4"] == 10.0 and np.isnan(land["U1"])
    assert land["G2"] == pytest.approx(6.0) and land["G3"] == pytest.approx(4.0)
    assert f.loc["G3", "unknown_supply_ids"] == "P9"
    assert "按申报用地面积分摊" in f.loc["G2", "land_note"]
    s = result.summary
    assert (s["linked_by_supply_id"], s["linked_by_point"], s["linked_by_declared"]) == (5, 1, 5)
    assert s["unlinked_firms"] == 1
    assert sorted(result.unlinked_firms["credit_code"]) == ["F4", "F6", "G1", "G4", "G5", "U1"]
    # supplied industrial land with no firm: P6 only (P7 is 住宅用地)
    assert result.vacant_land["supply_id"].tolist() == ["P6"]


def test_scores_ties_and_classes_by_hand(result: EfficiencyResult) -> None:
    f = _by_code(result)
    # 规上 benchmarks (county means over the evaluated, non-exempt firms with the indicator):
    #   亩均税收 = (100 + 100 + 50 + 50 + 30) / (10 + 20 + 10 + 10 + 10) = 5.5 万元/亩
    #   单位能耗增加值 = (200 + 100 + 100 + 100) / (100 + 100 + 50 + 50) = 5/3 万元/吨标煤
    assert result.benchmarks["above"]["tax_per_mu"] == pytest.approx(5.5)
    assert result.benchmarks["above"]["value_added_per_energy"] == pytest.approx(5 / 3)
    # scores = 60 × tax/5.5 + 40 × VA/E ÷ (5/3)
    #   F1: 60 × 10/5.5 + 40 × 2 × 3/5 = 109.0909 + 48 = 157.0909
    #   F3 = F4: 60 × 5/5.5 + 48 = 102.5455 (a tie)      F2: 60 × 5/5.5 + 40 × 3/5 = 78.5455
    assert f.loc["F1", "score"] == pytest.approx(60 * 10 / 5.5 + 48)
    assert f.loc["F3", "score"] == pytest.approx(60 * 5 / 5.5 + 48) == f.loc["F4", "score"]
    assert f.loc["F2", "score"] == pytest.approx(60 * 5 / 5.5 + 24)
    # 4 ranked: F1 rank 1 (0 ahead → A); F3, F4 share rank 2 (1/4 ahead, not < 0.25 → B);
    # F2 rank 4 (3/4 ahead, not < 0.75 → D)
    assert f.loc[["F1", "F3", "F4", "F2"], "rank"].tolist() == [1, 2, 2, 4]
    assert f.loc[["F1", "F3", "F4", "F2"], "class"].tolist() == ["A", "B", "B", "D"]
    assert set(f.loc[["F1", "F2", "F3", "F4"], "ranked_of"]) == {4}
    # 规下: 亩均税收 mean = (8 + 12 + 20) / (4 + 6 + 4) = 40/14; G1 = G2 = 2 → 70, G3 = 5 → 175
    assert result.benchmarks["below"]["tax_per_mu"] == pytest.approx(40 / 14)
    assert f.loc["G1", "score"] == pytest.approx(70.0) == f.loc["G2", "score"]
    assert f.loc["G3", "score"] == pytest.approx(175.0)
    assert f.loc[["G3", "G1", "G2"], "class"].tolist() == ["A", "B", "B"]


def test_exempt_and_missing_values_are_not_guessed(result: EfficiencyResult) -> None:
    f = _by_code(result)
    # utility and start-up: scored, not ranked, class 不定等级 managed as B
    assert f.loc["F6", "class"] == "exempt" and f.loc["F6", "exempt_reason"] == "公用事业"
    assert f.loc["G4", "exempt_reason"] == "投产未满3年" and f.loc["G4", "managed_as"] == "B"
    assert pd.isna(f.loc["G4", "rank"]) and f.loc["G4", "score"] == pytest.approx(35.0)
    # missing 综合能耗, no land, no 规上/规下: unknown with the reason, never a score of 0
    for code, reason in (("F5", "缺少综合能耗"), ("U1", "未关联供地且无申报用地面积"),
                         ("G5", "缺少规上/规下")):  # fmt: skip
        assert f.loc[code, "class"] == "unknown" and pd.isna(f.loc[code, "score"]), code
        assert reason in f.loc[code, "unknown_reason"], (code, f.loc[code, "unknown_reason"])
        assert f.loc[code, "class_zh"] == "待核实"
    s = result.summary
    assert (s["class_A"], s["class_B"], s["class_C"], s["class_D"]) == (2, 4, 0, 1)
    assert (s["class_exempt"], s["class_unknown"]) == (2, 3)


def test_low_efficiency_standard_land_and_stock(result: EfficiencyResult) -> None:
    low = result.low_efficiency.set_index("supply_id")
    # P2: 容积率 = 20 × MU × 0.5 / (20 × MU) = 0.5 < 1.0, and its only firm is class D;
    # P6: industrial, no firm. P3 (容积率 unknown, 5 万元/亩), P4 (3.0, not below 3.0),
    # P5 (32/10 = 3.2) and P1 (1.2, 10) are not 低效.
    assert sorted(low.index) == ["P2", "P6"]
    assert low.loc["P2", "low_area_mu"] == pytest.approx(20.0)
    assert (
        "D类企业用地" in low.loc["P2", "low_reasons"]
        and "容积率低于1" in low.loc["P2", "low_reasons"]
    )
    assert low.loc["P6", "low_reasons"] == "无企业使用"
    stock = result.stock.set_index("unit")
    # no audit: the ledger holds 低效 only; 增存挂钩 at 0.5 → 25 × 0.5
    assert stock.loc["全县", "stock_mu"] == pytest.approx(25.0)
    assert stock.loc["全县", "new_quota_mu"] == pytest.approx(12.5)
    assert stock.loc["西镇", "low_efficiency_mu"] == pytest.approx(20.0)
    assert stock.loc["东镇", "low_efficiency_mu"] == pytest.approx(5.0)
    assert stock.loc["甲园区", "low_efficiency_mu"] == pytest.approx(20.0)
    assert any("未进行土地摸排" in n for n in result.notes())
    park = result.parks.set_index("name").loc["甲园区"]
    # F1 (10 亩, 100 万元) and F2 (20 亩, 100 万元): 200 / 30
    assert park["tax_per_mu"] == pytest.approx(200 / 30) and (park["n_A"], park["n_D"]) == (1, 1)
    std = result.standard_land.set_index("supply_id")
    # P1: 容积率 due at completion 2026-01-01: 1.2 < 1.5 (short by 0.3); 亩均税收 due a year later
    assert std.loc["P1", "far_status"] == "not_met"
    assert std.loc["P1", "far_shortfall"] == pytest.approx(0.3)
    assert std.loc["P1", "tax_per_mu_status"] == "not_due"
    assert std.loc["P1", "standard_status"] == "not_met"
    # P3: finished 2024-01-01; 亩均税收 5 ≥ 4 met; 容积率 due but no floor area: unknown
    assert std.loc["P3", "tax_per_mu_status"] == "met"
    assert (
        std.loc["P3", "far_status"] == "unknown" and std.loc["P3", "standard_status"] == "unknown"
    )


def test_stock_ledger_takes_the_audit(tmp_path: Path) -> None:
    from geoplan.audit import audit_land

    firms = read_table(sup.enterprises_csv(tmp_path), source_crs="EPSG:4547")
    audit = audit_land(sup.approvals(), sup.supplies(), as_of=sup.AS_OF)
    assert sorted(audit.idle["supply_id"]) == ["P6", "P7"]  # never started
    r = land_efficiency(firms, sup.supplies(), parks=sup.parks(), townships=sup.townships(),
                        scheme=load_scheme(_scheme(tmp_path)), audit=audit)  # fmt: skip
    # P6 (no firm) is 闲置, so not 低效 as well: only P2 (20 亩) is
    assert r.low_efficiency["supply_id"].tolist() == ["P2"]
    stock = r.stock.set_index("unit")
    m2_mu = 10000 / 15
    # batch 1020 × 410 m = 627.3 亩, minus the 73 亩 of plots: 批而未供 554.3 亩; 闲置 P6 + P7 = 13
    assert stock.loc["全县", "unsupplied_mu"] == pytest.approx(1020 * 410 / m2_mu - 73)
    assert stock.loc["全县", "idle_mu"] == pytest.approx(13.0)
    assert stock.loc["全县", "stock_mu"] == pytest.approx(1020 * 410 / m2_mu - 73 + 13 + 20)
    assert stock.loc["全县", "new_quota_mu"] == pytest.approx(stock.loc["全县", "stock_mu"] / 2)
    # the unsupplied land crosses the township line at x = 420: west 430 × 410 m less P1-P3
    # (40 亩), east 590 × 410 m less P4-P7 (33 亩); the park (265 × 205 m) less P1, P2 (30 亩)
    assert stock.loc["西镇", "unsupplied_mu"] == pytest.approx(430 * 410 / m2_mu - 40)
    assert stock.loc["东镇", "unsupplied_mu"] == pytest.approx(590 * 410 / m2_mu - 33)
    assert stock.loc["甲园区", "unsupplied_mu"] == pytest.approx(265 * 205 / m2_mu - 30)
    assert (stock.loc["西镇", "idle_mu"], stock.loc["东镇", "idle_mu"]) == pytest.approx((0, 13))
    assert "(不在任何乡镇内)" not in stock.index
    assert r.summary["unsupplied_mu"] == pytest.approx(audit.summary["unsupplied_area_mu"])
    assert r.land.set_index("supply_id").loc["P6", "audit_status_zh"] == "闲置(一类)"


def _scheme(folder: Path) -> Path:
    path = folder / "scheme.toml"
    path.write_text(sup.SCHEME, encoding="utf-8")
    return path


def test_ledger_sheets_and_headers(result: EfficiencyResult, tmp_path: Path) -> None:
    files = result.to_files(tmp_path)
    assert sorted(p.name for p in files.values()) == [
        "efficiency.gpkg", "efficiency.html", "efficiency.xlsx", "summary.json",
    ]  # fmt: skip
    wb = load_workbook(files["xlsx"], read_only=True)
    assert wb.sheetnames == ["汇总", "企业评价", "园区", "乡镇", "存量土地台账", "低效用地", "标准地",
                             "未关联供地企业", "无企业工业用地", "评价基准"]  # fmt: skip
    firms = list(wb["企业评价"].iter_rows(values_only=True))
    head = firms[0]
    for h in ("统一社会信用代码", "评价等级", "综合得分", "亩均税收(万元/亩)", "税收(万元)",
              "用地面积(亩)", "待核实原因", "用地关联方式"):  # fmt: skip
        assert h in head, h
    rows = {r[head.index("统一社会信用代码")]: r for r in firms[1:]}
    assert rows["F2"][head.index("评价等级")] == "D类(调控帮扶)"
    assert rows["U1"][head.index("综合得分")] is None
    stock = list(wb["存量土地台账"].iter_rows(values_only=True))
    assert stock[0][1:] == ("统计单元类型", "统计单元", "批而未供(亩)", "闲置土地(亩)", "低效用地(亩)",
                            "存量土地合计(亩)", "存量土地合计(平方米)", "增存挂钩可得新增用地计划(亩)")  # fmt: skip
    assert stock[1][2] == "全县" and stock[1][6] == pytest.approx(25.0)


def test_scheme_checks() -> None:
    s = load_scheme("default")
    assert s.weights["above"] == {
        "tax_per_mu": 45.0, "revenue_per_mu": 20.0, "value_added_per_energy": 15.0,
        "rnd_intensity": 15.0, "labour_productivity": 5.0,
    }  # fmt: skip
    assert s.weights["below"] == {"tax_per_mu": 100.0}
    assert sum(load_scheme("six_indicators").weights["above"].values()) == 100.0
    with pytest.raises(DataFileNotFoundError, match="not found"):
        load_scheme("nowhere.toml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("tax_per_mu = 60", "tax_per_mu = 50"), "sum to 90, not 100"),
        (("tax_per_mu = 60", "tax_per_acre = 60"), "unknown indicator"),
        (("B = 0.5", "B = 0.2"), "cut-offs must rise"),
        (('default = "mean"', 'default = "average"'), "percentile"),
    ],
)
def test_bad_schemes_are_errors(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    p = tmp_path / "bad.toml"
    p.write_text(sup.SCHEME.replace(*change, 1), encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_scheme(p)


def test_units_in_headers_are_converted(tmp_path: Path) -> None:
    rows = [{"统一社会信用代码": "A", "税收(元)": 1_200_000, "用电量（千瓦时）": 50_000,
             "用地面积(平方米)": 6666.67, "综合能耗(万吨标煤)": 0.5, "规上规下": "规模以上"}]  # fmt: skip
    t = read_table(sup.enterprises_csv(tmp_path, rows))
    # 1,200,000 元 = 120 万元; 50,000 千瓦时 = 5 万千瓦时; 6666.67 m² = 10.00 亩; 0.5 万吨 = 5000 吨
    assert t.loc[0, "tax"] == pytest.approx(120.0) and t.loc[0, "power"] == pytest.approx(5.0)
    assert t.loc[0, "declared_area"] == pytest.approx(10.0, abs=1e-5)
    assert t.loc[0, "energy"] == pytest.approx(5000.0) and t.loc[0, "scale"] == "above"
    assert t.geometry.isna().all()


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"统一社会信用代码": "A", "税收(万元)": -5}], "tax must be a finite number from 0"),
        ([{"统一社会信用代码": "A", "税收(美元)": 5}], "'美元', a unit geoplan does not know"),
        ([{"统一社会信用代码": "A"}, {"统一社会信用代码": "A"}], "more than one row"),
        ([{"企业名称": "甲"}], "credit_code"),
    ],
)
def test_bad_tables_are_errors(tmp_path: Path, rows: list[dict[str, object]], message: str) -> None:
    with pytest.raises(InputError, match=message):
        read_table(sup.enterprises_csv(tmp_path, rows))


def test_county_run_and_cli_agree(tmp_path: Path) -> None:
    pkg = sup.package(tmp_path / "pkg")
    county = County.open(pkg)
    r = run_efficiency(county)
    f = r.firms.set_index("credit_code")
    assert r.scheme is not None and r.scheme.name == "test"
    assert f.loc[["F1", "F3", "F4", "F2"], "class"].tolist() == ["A", "B", "B", "D"]
    assert f.loc["F2", "link_method"] == "point" and f.loc["F2", "park"] == "甲园区"
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["efficiency", str(pkg), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "A 2  B 4  C 0  D 1" in res.output and (out / "efficiency.xlsx").is_file()


def _cli(args: list[str]) -> tuple[int, str]:
    res = CliRunner().invoke(main, args)
    return res.exit_code, res.output


def test_bad_input_exits_2(tmp_path: Path) -> None:
    pkg = sup.package(tmp_path / "pkg")
    bad = tmp_path / "bad.toml"
    bad.write_text(sup.SCHEME.replace("tax_per_mu = 60", "tax_per_mu = 70", 1), encoding="utf-8")
    code, out = _cli(["efficiency", str(pkg), "--scheme", str(bad), "--out", str(tmp_path / "o")])
    assert code == 2 and "sum to 110, not 100" in out and "Traceback" not in out
    (tmp_path / "neg").mkdir()
    neg = sup.enterprises_csv(tmp_path / "neg", [{"统一社会信用代码": "A", "税收(万元)": -1}])
    code, out = _cli(
        ["efficiency", str(pkg), "--enterprises", str(neg), "--out", str(tmp_path / "o")]
    )
    assert code == 2 and "tax must be a finite number" in out
    (tmp_path / "unit").mkdir()
    unit = sup.enterprises_csv(tmp_path / "unit", [{"统一社会信用代码": "A", "用电量(焦耳)": 1}])
    code, out = _cli(
        ["efficiency", str(pkg), "--enterprises", str(unit), "--out", str(tmp_path / "o")]
    )
    assert code == 2 and "'焦耳', a unit geoplan does not know" in out
    toml = pkg / "county.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + "quota = 1\n", encoding="utf-8")
    code, out = _cli(["efficiency", str(pkg), "--out", str(tmp_path / "o")])
    assert code == 2 and "unknown key(s) ['quota']" in out


@pytest.mark.parametrize(
    ("change", "f1_score"),
    [
        # a cap of 1.5 × the weight: F1's 亩均税收 ratio 10/5.5 = 1.82 counts as 1.5 → 90 + 48
        (("[caps]\n", "[caps]\ndefault = 1.5\n"), 60 * 1.5 + 48),
        # the median of the 规上 亩均税收 values (10, 5, 5, 5, 3) as benchmark: 60 × 10/5 + 48
        (('default = "mean"', 'default = "mean"\ntax_per_mu = "p50"'), 60 * 2 + 48),
        # a fixed benchmark of 8 万元/亩: 60 × 10/8 + 48
        (('default = "mean"', 'default = "mean"\n"亩均税收" = 8'), 60 * 10 / 8 + 48),
    ],
)
def test_caps_and_benchmark_rules(tmp_path: Path, change: tuple[str, str], f1_score: float) -> None:
    text = (
        sup.SCHEME
        if "[caps]" in sup.SCHEME
        else sup.SCHEME.replace("[classes]", "[caps]\n[classes]")
    )
    scheme = tmp_path / "s.toml"
    scheme.write_text(text.replace(*change, 1), encoding="utf-8")
    firms = read_table(sup.enterprises_csv(tmp_path), source_crs="EPSG:4547")
    r = land_efficiency(firms, sup.supplies(), scheme=scheme, as_of=sup.AS_OF)
    assert r.firms.set_index("credit_code").loc["F1", "score"] == pytest.approx(f1_score)


def test_report_section_in_chinese(tmp_path: Path) -> None:
    from geoplan.report import build_report

    pkg = sup.package(tmp_path / "pkg")
    page = build_report(pkg, out=tmp_path / "report").read_text(encoding="utf-8")
    section = page[page.index('<section id="efficiency"') :]
    section = section[: section.index("</section>")]
    assert 'data-status="ok"' in section
    for text in ("亩均效益与低效用地", "园区亩均税收排名（万元/亩）", "企业评价等级", "D类（调控帮扶）",
                 "存量土地台账（批而未供＋闲置＋低效，亩）", "甲园区", "低效用地 (2)",
                 "未进行土地摸排"):  # fmt: skip
        assert text in section, text
