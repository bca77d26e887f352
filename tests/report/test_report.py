"""geoplan.report / ``geoplan report``: the county HTML report (checked in headless Chromium)."""

from __future__ import annotations

import dataclasses
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from geoplan.cli import main
from geoplan.errors import DataFileNotFoundError, InputError
from geoplan.report import _build as report_mod
from geoplan.report import build_report
from geoplan.report._html import bar_chart, stacked_shares, table
from tests.support import browser
from tests.support.report import EVIL, make_county

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
needs_chromium = pytest.mark.skipif(browser.chromium() is None, reason="chromium not installed")


def _not_json(token: str) -> None:
    raise ValueError(f"{token} is not JSON")


def _sections(page: str) -> dict[str, str]:
    return dict(re.findall(r'<section id="([a-z]+)" class="[^"]*" data-status="([a-z]+)"', page))


def _in_sections(page: str, pattern: str) -> dict[str, str]:
    """{section key: the first group of ``pattern``} of the sections where it matches."""
    out = {}
    for key, body in re.findall(r'<section id="([a-z]+)"(.*?)</section>', page, re.S):
        found = re.search(pattern, body, re.S)
        if found:
            out[key] = found.group(1)
    return out


def _notes(page: str) -> dict[str, str]:
    return _in_sections(page, r'<p class="note[^"]*">(.*?)</p>')


def _details(page: str) -> dict[str, str]:
    return _in_sections(page, r'<details class="detail">.*?<pre lang="en">(.*?)</pre>')


# --------------------------------------------------------------------------- pieces


def test_bar_chart_widths_are_proportional_and_labels_escaped() -> None:
    svg = str(
        bar_chart([("2019", 0.25), ("<b>2020</b>", 1.0), ("2021", float("nan"))], title="t<",
                  scale=100, value_format=".0f", max_value=1.0, floor=0.6, floor_label="60%")
    )  # fmt: skip
    widths = [float(w) for w in re.findall(r'<rect x="150" y="\d+" width="([\d.]+)"', svg)]
    plot_w = 640 - 150 - 70
    assert widths == pytest.approx([0.25 * plot_w, plot_w, 0.0])
    assert "&lt;b&gt;2020&lt;/b&gt;" in svg and "<b>" not in svg and "t&lt;" in svg
    assert ">25<" in svg and ">100<" in svg and ">—<" in svg
    floor_x = float(re.search(r'<line x1="([\d.]+)"', svg).group(1))  # type: ignore[union-attr]
    assert floor_x == pytest.approx(150 + 0.6 * plot_w)


def test_stacked_shares_fill_each_row() -> None:
    svg = str(stacked_shares(["甲", "乙"], [("a", "#f00", [0.2, 0.5]), ("b", "#0f0", [0.8, 0.5])],
                             title="x"))  # fmt: skip
    widths = [
        float(w) for w in re.findall(r'<rect x="[\d.]+" y="\d+" width="([\d.]+)" height="18"', svg)
    ]
    plot_w = 640 - 150 - 20
    assert widths == pytest.approx([0.2 * plot_w, 0.8 * plot_w, 0.5 * plot_w, 0.5 * plot_w])


def test_table_escapes_formats_and_truncates() -> None:
    df = pd.DataFrame({"name": [EVIL, "b", "c"], "rate": [0.5, 0.125, None], "n": [1, 2, 3]})
    html = str(table(df, {"name": "名称", "rate": "<i>率</i>", "missing": "x"}, lang="zh",
                     percent=("rate",), max_rows=2))  # fmt: skip
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert '<th class="num">&lt;i&gt;率&lt;/i&gt;</th>' in html
    assert ">50.0%<" in html and ">12.5%<" in html
    assert html.count("<tr>") == 3  # header + 2 rows
    assert "另有 1 行未显示" in html


def test_table_numbers_codes_and_widths() -> None:
    df = pd.DataFrame(
        {
            "year": [2019, 2020],
            "approved_area_mu": [1234567.891, None],
            "days_late": [1500, 3],
            "entropy": [1.0, 0.456],
            "supply_rate": [float("nan"), 0.25],
            "status": ["idle_type1", "unknown"],
            "name": ["甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥", "乙"],
            "reason": ["county seat not reachable by road", None],
        }
    )
    cols = {c: c for c in df.columns}
    html = str(table(df, cols, lang="zh", percent=("supply_rate",),
                     codes={"status": "supply_status"}))  # fmt: skip
    cells = re.findall(r"<td[^>]*>(.*?)</td>", html)
    # row by row: year without a separator; 1,234,567.89 with separators and two decimals (the
    # column has fractions); whole numbers with separators; an index always with two decimals;
    # an empty cohort's rate as "—" (never 0.0%); the status code and the sentence in Chinese
    assert cells[:8] == ["2019", "1,234,567.89", "1,500", "1.00", "—", "闲置(一类)",
                         "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳午未申酉戌亥", "无法经道路到达县城"]  # fmt: skip
    assert cells[8:13] == ["2020", "—", "3", "0.46", "25.0%"]
    assert html.count('<td class="num">') == 10  # numbers right-aligned
    # fixed layout, one <col> per column; the name column as wide as its longest name up to
    # 16 em (24 CJK characters: capped, wraps at 16 em, never one character a line), the year
    # column at its minimum (2.5 em + 1.2 em padding)
    widths = [float(w) for w in re.findall(r'<col style="width:([\d.]+)em">', html)]
    assert len(widths) == 8 and widths[6] == 16.0 + 1.2 and widths[0] == 2.5 + 1.2
    assert f'style="width:{sum(widths):.1f}em"' in html


# --------------------------------------------------------------------------- report


def test_report_skips_analyses_whose_layers_are_missing(tmp_path: Path) -> None:
    county = make_county(tmp_path / "c", roles=("boundary", "townships", "settlements"))
    page = build_report(county, out=tmp_path / "out", lang="en")
    text = page.read_text(encoding="utf-8")
    assert _sections(text) == {
        "overview": "ok", "audit": "skipped", "zones": "skipped", "connectivity": "skipped",
        "hierarchy": "skipped", "efficiency": "skipped",
    }  # fmt: skip
    notes = _notes(text)
    assert "approvals" in notes["audit"] and "supplies" in notes["audit"]
    assert "land use / land cover (raster)" in notes["zones"]
    assert "parks" in notes["connectivity"] and "roads" in notes["connectivity"]
    assert "roads" in notes["hierarchy"] and "settlements" not in notes["hierarchy"]
    assert "enterprises" in notes["efficiency"] and "supplies" in notes["efficiency"]
    summary = json.loads((tmp_path / "out" / "county.json").read_text(encoding="utf-8"))
    assert [lyr["features"] for lyr in summary["layers"]] == [1, 2, 8]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "county.json", "index.html", "report.json"
    ]  # fmt: skip
    manifest = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert {s["key"]: s["status"] for s in manifest["sections"]} == _sections(text)


def _break(monkeypatch: pytest.MonkeyPatch, key: str, exc: Exception) -> None:
    def broken(county: object, done: object) -> object:
        raise exc

    analyses = tuple(
        dataclasses.replace(a, run=broken) if a.key == key else a for a in report_mod.ANALYSES
    )
    monkeypatch.setattr(report_mod, "ANALYSES", analyses)


def test_a_failing_analysis_is_shown_and_the_others_still_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    county = make_county(tmp_path / "c", roles=("boundary", "settlements", "roads"))
    _break(monkeypatch, "hierarchy", InputError(f"settlements: bad kind {EVIL}"))
    text = build_report(county, out=tmp_path / "out").read_text(encoding="utf-8")
    assert _sections(text)["hierarchy"] == "error"
    assert _sections(text)["overview"] == "ok"
    note = _notes(text)["hierarchy"]
    # in a zh report: what went wrong in Chinese; the error's own (English) text, escaped,
    # folded away under 技术细节
    assert note == "分析失败：输入数据或参数无法直接使用。原因与修改方法见下方“技术细节”。"
    detail = _details(text)["hierarchy"]
    assert detail == "InputError: settlements: bad kind &lt;script&gt;alert(1)&lt;/script&gt;"
    manifest = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    hierarchy = next(s for s in manifest["sections"] if s["key"] == "hierarchy")
    assert hierarchy["detail"] == f"InputError: settlements: bad kind {EVIL}"
    assert not (tmp_path / "out" / "hierarchy").exists()
    # the command line writes the report, names the failure and its cause, and exits 2
    result = CliRunner().invoke(main, ["report", str(county), "--out", str(tmp_path / "cli")])
    assert result.exit_code == 2
    assert "hierarchy: 分析失败：输入数据或参数无法直接使用" in result.output
    assert f"settlements: bad kind {EVIL}" in result.output
    # in an en report the note carries the message itself
    en = build_report(county, out=tmp_path / "en", lang="en").read_text(encoding="utf-8")
    assert "Analysis failed: settlements: bad kind &lt;script&gt;" in _notes(en)["hierarchy"]
    assert "hierarchy" not in _details(en)
    assert (tmp_path / "cli" / "index.html").is_file()


def test_an_unexpected_failure_is_reported_as_a_bug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    county = make_county(tmp_path / "c", roles=("boundary", "settlements", "roads"))
    _break(monkeypatch, "hierarchy", ZeroDivisionError("division by zero"))
    with caplog.at_level("ERROR", logger="geoplan.report"):
        page = build_report(county, out=tmp_path / "out", lang="en")
    text = page.read_text(encoding="utf-8")
    assert _sections(text)["hierarchy"] == "bug"
    assert _sections(text)["overview"] == "ok"
    assert "a bug in geoplan" in _notes(text)["hierarchy"]
    assert "ZeroDivisionError: division by zero" in _notes(text)["hierarchy"]
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)
    manifest = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    assert {s["key"]: s["status"] for s in manifest["sections"]}["hierarchy"] == "bug"
    result = CliRunner().invoke(main, ["report", str(county), "--out", str(tmp_path / "cli")])
    assert result.exit_code == 1


def test_report_errors_at_the_boundary(tmp_path: Path) -> None:
    with pytest.raises(DataFileNotFoundError):
        build_report(tmp_path / "nowhere", out=tmp_path / "out")
    county = make_county(tmp_path / "c", roles=("boundary",))
    with pytest.raises(InputError, match="lang"):
        build_report(county, out=tmp_path / "out", lang="fr")
    result = CliRunner().invoke(main, ["report", str(tmp_path / "nowhere")])
    assert result.exit_code == 2 and "county.toml" in result.output


@needs_chromium
@pytest.mark.browser
def test_full_report_in_chromium(tmp_path: Path) -> None:
    county = make_county(tmp_path / "c")
    out = tmp_path / "report"
    result = CliRunner().invoke(main, ["report", str(county), "--out", str(out)])
    assert result.exit_code == 0, result.output
    page = Path(result.output.strip().splitlines()[-1])
    assert page == out / "index.html"
    text = page.read_text(encoding="utf-8")
    assert browser.external_refs(text) == []
    statuses = _sections(text)
    assert list(statuses) == ["overview", "audit", "zones", "connectivity", "hierarchy",
                              "efficiency"]  # fmt: skip
    assert "error" not in statuses.values(), _notes(text)
    for key, status in statuses.items():
        if status == "ok" and key != "overview":
            assert (out / key).is_dir() and any((out / key).iterdir())
    # open the evil settlement's tooltip on the overview map once the page has loaded
    opener = (
        "<script>window.addEventListener('load', function () {"
        "var li = document.querySelector('#geoplan-stats li[data-name=\"居民点\"]');"
        "if (li) { geoplan.layers[li.getAttribute('data-layer')].openTooltip(); }});</script>"
    )
    page.write_text(text + opener, encoding="utf-8")
    # maps are built when their section comes into view: at first only the top one
    lazy = browser.load(page)
    assert lazy.console == [] and lazy.requests == []
    built = re.findall(r'<section id="([a-z]+)"[^>]*data-map-built="1"', lazy.dom)
    assert built == ["overview"]
    run = browser.load(page, fragment="all-maps")  # every map at once
    assert run.console == [] and run.requests == []
    built = re.findall(r'<section id="([a-z]+)"[^>]*data-map-built="1"', run.dom)
    assert built == [k for k, v in statuses.items() if v == "ok"]
    overview_map = re.search(r'<section id="overview".*?id="(map_\w+)"', run.dom, re.S)
    assert overview_map is not None
    stats = browser.layer_stats(run.dom)
    by_name = {s["data-name"]: s for s in stats.values() if s["data-map"] == overview_map.group(1)}
    expected = {"县界": 1, "乡镇": 2, "居民点": 8, "产业园区": 1, "土地利用（三生）": 80}
    for name, n in expected.items():
        assert by_name[name]["data-features"] == str(n) == by_name[name]["data-objects"]
    roads = sum(
        int(s["data-features"]) for n, s in by_name.items() if n in ("干线公路", "其他道路")
    )
    assert roads == 13  # every road line
    tip = re.search(r'<div class="leaflet-tooltip[^"]*"[^>]*>(.*?)</div>', run.dom, re.S)
    assert tip is not None and "&lt;script&gt;alert(1)&lt;/script&gt;" in tip.group(1)
    assert 'data-pwned="1"' not in run.dom
    ARTIFACTS.mkdir(exist_ok=True)
    shot = browser.screenshot(
        page, ARTIFACTS / "report_fixture.png", size=(1200, 2400), fragment="all-maps"
    )
    assert shot.stat().st_size > 50_000


@needs_chromium
@pytest.mark.browser
@pytest.mark.slow
def test_demo_report_with_no_arguments(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    datasets = pytest.importorskip("geoplan.datasets")
    if not Path(datasets.demo_path(), "county.toml").exists():
        pytest.skip("the demo county is not bundled")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["report"])  # what `make demo` runs
    assert result.exit_code == 0, result.output
    page = tmp_path / "maps" / "demo" / "index.html"
    assert page.exists()
    assert page.stat().st_size <= 10 * 1024 * 1024
    # every JSON the report wrote is strict JSON (no NaN / Infinity tokens)
    written = sorted(p.relative_to(page.parent).as_posix() for p in page.parent.rglob("*.json"))
    assert written == ["audit/summary.json", "county.json", "efficiency/summary.json",
                       "report.json"]  # fmt: skip
    for name in written:
        json.loads((page.parent / name).read_text("utf-8"), parse_constant=_not_json)
    text = page.read_text(encoding="utf-8")
    assert browser.external_refs(text) == []
    assert not {"error", "bug"} & set(_sections(text).values()), _notes(text)
    run = browser.load(page, fragment="all-maps")
    assert run.console == [] and run.requests == []
    stats = browser.layer_stats(run.dom)
    assert all(s["data-features"] == s["data-objects"] for s in stats.values())
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(page, ARTIFACTS / "report_demo.png", size=(1200, 3000))
    assert browser.load_time_ms(page) < 5000
    assert browser.load_time_ms(page, fragment="all-maps") < 5000


def test_progress_steps_and_timings_in_report_json(tmp_path: Path) -> None:
    county = make_county(tmp_path / "c", roles=("boundary", "townships", "settlements"))
    steps: list[report_mod.ReportStep] = []
    build_report(county, out=tmp_path / "out", lang="en", progress=steps.append)
    # every step is announced, then finished with its time: five analyses, the overview, five
    # maps, the page
    names = ["audit", "zones", "connectivity", "hierarchy", "efficiency", "overview",
             "audit map", "zones map", "connectivity map", "hierarchy map", "efficiency map",
             "page"]  # fmt: skip
    assert [s.name for s in steps] == [n for n in names for _ in (0, 1)]
    assert [s.index for s in steps] == [i for i in range(1, 13) for _ in (0, 1)]
    assert {s.total for s in steps} == {12}
    assert all(s.seconds is None for s in steps[::2])
    assert all(s.seconds is not None and s.seconds >= 0 for s in steps[1::2])
    assert steps[1].status == "skipped" and steps[11].status == "ok"  # audit, the overview
    manifest = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    timings = manifest["timings"]
    assert set(timings) == {*names, "total", "peak_rss_mb"}
    assert timings["total"] >= sum(timings[n] for n in names) - 1e-3 * len(names)
    assert timings["peak_rss_mb"] is None or timings["peak_rss_mb"] > 10
    for sec in manifest["sections"]:
        assert sec["seconds"] == pytest.approx(
            sec["analysis_seconds"] + sec["map_seconds"], abs=2e-3
        )


def test_cli_progress_lines_on_stderr(tmp_path: Path) -> None:
    county = make_county(tmp_path / "c", roles=("boundary", "townships", "settlements"))
    res = CliRunner().invoke(main, ["report", str(county), "--out", str(tmp_path / "o"),
                                    "--progress"])  # fmt: skip
    assert res.exit_code == 0, res.output
    # the bar redraws itself after carriage returns; the finished steps are lines of their own
    pieces = re.split(r"[\r\n]", res.stderr)
    done = [m.group(1) for p in pieces if (m := re.match(r"(\w[\w ]*?)\s+[0-9.]+ s\b", p))]
    assert done == ["audit", "zones", "connectivity", "hierarchy", "efficiency", "overview",
                    "audit map", "zones map", "connectivity map", "hierarchy map",
                    "efficiency map", "page"]  # fmt: skip
    quiet = CliRunner().invoke(main, ["report", str(county), "--out", str(tmp_path / "q"),
                                      "--no-progress"])  # fmt: skip
    assert quiet.exit_code == 0 and " s  ok" not in quiet.stderr


def test_files_written_beside_the_next_analysis_and_their_failure_shown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from geoplan.errors import OutputError

    county = make_county(tmp_path / "c", roles=("boundary", "settlements", "roads"))
    real = next(a for a in report_mod.ANALYSES if a.key == "hierarchy")

    class Unwritable:
        def __init__(self, result: object) -> None:
            self.result = result

        def __getattr__(self, name: str) -> object:
            return getattr(self.result, name)

        def to_files(self, directory: object, **kwargs: object) -> dict[str, Path]:
            raise OutputError(f"cannot write {EVIL}")

    analyses = tuple(
        dataclasses.replace(a, run=lambda c, done: Unwritable(real.run(c, done))) if a.key == "hierarchy"
        else a for a in report_mod.ANALYSES
    )  # fmt: skip
    monkeypatch.setattr(report_mod, "ANALYSES", analyses)
    text = build_report(county, out=tmp_path / "out", lang="en").read_text(encoding="utf-8")
    assert _sections(text)["hierarchy"] == "error" and _sections(text)["overview"] == "ok"
    assert "cannot write &lt;script&gt;" in _notes(text)["hierarchy"]
    # no figures, tables or map of a section whose files failed
    body = re.search(r'<section id="hierarchy".*?</section>', text, re.S)
    assert body is not None and "<table" not in body.group(0)
    manifest = json.loads((tmp_path / "out" / "report.json").read_text(encoding="utf-8"))
    hierarchy = next(s for s in manifest["sections"] if s["key"] == "hierarchy")
    assert hierarchy["status"] == "error" and hierarchy["files"] == []
    # and without the failure the same files are listed as before (written by the thread)
    monkeypatch.setattr(report_mod, "ANALYSES", tuple(
        dataclasses.replace(a, run=real.run) if a.key == "hierarchy" else a for a in analyses
    ))  # fmt: skip
    build_report(county, out=tmp_path / "ok", lang="en")
    manifest = json.loads((tmp_path / "ok" / "report.json").read_text(encoding="utf-8"))
    files = next(s for s in manifest["sections"] if s["key"] == "hierarchy")["files"]
    assert files and all((tmp_path / "ok" / f).is_file() for f in files)
