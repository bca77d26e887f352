"""A report a county bureau can hand out: no English or code values in the Chinese report, and
"Print → PDF" in Chromium gives A4 pages with a title page and every map drawn.

Both render real reports in headless Chromium: the bundled demo county, a county in which every
status and class a reader can see occurs (``tests/support/classes.py``) and one whose analyses
are all skipped (their badges and notes).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from geoplan.county import County
from geoplan.datasets import demo_path
from geoplan.labels import crs_title
from geoplan.report import build_report
from tests.support import browser
from tests.support.classes import make_every_class_county

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
needs_chromium = pytest.mark.skipif(browser.chromium() is None, reason="chromium not installed")

#: words a Chinese report may show in Latin letters: CRS and format names, the program's name
ALLOWED = {"EPSG", "CGCS", "WGS", "UTM", "OSM", "PDF", "geoplan"}
#: an English word or a code value (ugb_mu, county_seat, residential …): 3+ letters/underscores
LATIN = re.compile(r"[A-Za-z_]{3,}")
#: A4 in PDF points (210 × 297 mm); Chromium rounds the page to whole CSS pixels
A4 = (595.28, 841.89)
SECTIONS = ("县域概况", "存量土地核查", "三生空间与功能分区", "园区与交通干线连通性", "城镇村体系")


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(demo_path(), out=tmp_path_factory.mktemp("demo"), lang="zh")


def _latin_words(page: Path) -> dict[str, str]:
    """{word: where it stands} of the Latin words a reader sees once every map is built."""
    run = browser.load(page, fragment="all-maps", budget_ms=8000)
    assert run.console == [] and run.requests == []
    text = browser.visible_text(run.dom)
    return {
        m.group(): text[max(0, m.start() - 30) : m.end() + 30].replace("\n", " ")
        for m in LATIN.finditer(text)
        if m.group() not in ALLOWED
    }


def test_visible_text_leaves_out_scripts_and_styles() -> None:
    dom = "<html><head><title>t</title><style>.abc{}</style></head><body><p>县 city</p>" \
          "<script>var english = 1;</script><div>乡</div>" \
          "<details><summary>细节</summary><pre>folded</pre></details>" \
          "<details open><summary>开</summary><p>shown</p></details></body></html>"  # fmt: skip
    assert browser.visible_text(dom) == "县 city\n乡\n细节\n开\nshown"
    assert LATIN.findall(browser.visible_text(dom)) == ["city", "shown"]


@needs_chromium
@pytest.mark.browser
@pytest.mark.slow
def test_chinese_reports_show_no_english(demo_report: Path, tmp_path: Path) -> None:
    every = make_every_class_county(tmp_path / "every")
    skipped = make_every_class_county(tmp_path / "few", roles=("boundary", "townships"))
    # a layer that cannot be read: the overview and the hierarchy fail with GeoplanErrors
    broken = make_every_class_county(
        tmp_path / "broken", roles=("boundary", "townships", "settlements", "roads", "parks")
    )
    toml = broken / "county.toml"
    toml.write_text(
        toml.read_text(encoding="utf-8").replace("county.gpkg:settlements", "county.gpkg:居民点"),
        encoding="utf-8",
    )
    pages = {
        "demo": demo_report,
        "every class": build_report(every, out=tmp_path / "every_out", lang="zh"),
        "skipped": build_report(skipped, out=tmp_path / "few_out", lang="zh"),
        "failed": build_report(broken, out=tmp_path / "broken_out", lang="zh"),
    }
    for name, page in pages.items():
        words = _latin_words(page)
        assert words == {}, f"{name}: English or codes in the Chinese report: {words}"
    # the county with every class shows them in words (a few of each vocabulary)
    text = browser.visible_text(browser.load(pages["every class"], fragment="all-maps").dom)
    for shown in ("闲置(一类)", "闲置(二类)", "供而未用", "未到期", "已动工", "待核实",  # statuses
                  "编号与叠加一致",  # match method
                  "街巷道路", "专用道路", "机耕路", "高速连接线",  # OSM classes
                  "城镇开发边界", "永久基本农田", "生态保护红线",  # control lines
                  "中心镇", "乡镇—村", "无法经道路到达任何乡镇",  # tiers, checks, reasons
                  "道路数据可能未覆盖该园区", "1 个无效图形已修复",  # park reason, read note
                  "城镇开发边界（亩）"):  # fmt: skip
        assert shown in text, shown
    # the skipped analyses: badge and note in Chinese
    text = browser.visible_text(browser.load(pages["skipped"]).dom)
    assert text.count("未运行") >= 4 + 4  # four badges in the contents, four notes
    # the failures: what went wrong in Chinese, the error's own text one click away
    dom = browser.load(pages["failed"]).dom
    text = browser.visible_text(dom)
    assert "居民点：数据源中找不到所需图层" in text
    assert "分析失败：数据源中找不到所需图层。" in text and text.count("技术细节（英文原文）") == 2
    opened = dom.replace('<details class="detail">', '<details class="detail" open="">')
    assert "Layer '居民点' is not in" in browser.visible_text(opened)


@needs_chromium
@pytest.mark.browser
@pytest.mark.slow
def test_print_to_pdf_gives_a4_pages_with_every_map(demo_report: Path, tmp_path: Path) -> None:
    pypdf = pytest.importorskip("pypdf")
    pdf = browser.print_pdf(demo_report, tmp_path / "report.pdf")
    reader = pypdf.PdfReader(pdf)
    n = len(reader.pages)
    # a title page, each of the five sections from a new page, the tables (at most 200 rows
    # each) over a few more: the demo prints on 22 pages; more than 40 would mean runaway
    # layout (tables cut into slivers), fewer than 6 a section not starting its own page
    assert 6 <= n <= 40, n
    for page in reader.pages:
        box = page.mediabox
        assert float(box.width) == pytest.approx(A4[0], abs=1.0)
        assert float(box.height) == pytest.approx(A4[1], abs=1.0)
    texts = [p.extract_text() for p in reader.pages]
    # the title page: county, as-of date and CRS
    county = County.open(demo_path())
    title = re.sub(r"\s+", "", texts[0])
    for wanted in (county.name, county.as_of.isoformat(), crs_title(county.crs, "zh")):
        assert re.sub(r"\s+", "", wanted) in title, wanted
    # every section starts a page, and its map (the first thing after its figures) is drawn
    # there: north arrow, metric scale bar, and the canvas's paths (hundreds of kB of drawing
    # operators; a page of text and tables holds a few kB)
    starts = [next(i for i, t in enumerate(texts) if t.lstrip().startswith(s)) for s in SECTIONS]
    assert starts == sorted(starts) and starts[0] == 1
    for section, i in zip(SECTIONS, starts, strict=True):
        page = reader.pages[i]
        assert "北" in texts[i] and re.search(r"\d+ km", texts[i]), section
        assert not re.search(r"\d+ mi\b", texts[i]), section
        assert len(page.get_contents().get_data()) > 100_000, section
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "report_demo.pdf").write_bytes(pdf.read_bytes())
