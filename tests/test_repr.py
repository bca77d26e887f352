"""Notebook tables: ``_repr_html_`` of County.summary() and of every result object — the key
figures under Chinese headers, in an element marked ``lang="zh"``, every text escaped."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from geoplan.county import County
from geoplan.runs import run_audit, run_connectivity, run_hierarchy, run_zones
from geoplan.zones import landuse_composition
from tests.support.report import EVIL, make_county


class _Table(HTMLParser):
    """Caption, header cells, body rows and the lang attribute of a repr table."""

    def __init__(self) -> None:
        super().__init__()
        self.lang: str | None = None
        self.caption = ""
        self.head: list[str] = []
        self.rows: list[list[str]] = []
        self._in: str | None = None
        self._cell: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "div" and self.lang is None:
            self.lang = dict(attrs).get("lang")
        if tag == "tr" and self._in != "head":
            self.rows.append([])
        if tag in ("caption", "th", "td"):
            self._in, self._cell = ("head" if tag == "th" else tag), []

    def handle_endtag(self, tag: str) -> None:
        text = "".join(self._cell)
        if tag == "caption":
            self.caption = text
        elif tag == "th":
            self.head.append(text)
        elif tag == "td":
            self.rows[-1].append(text)
        if tag in ("caption", "th", "td"):
            self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self._cell.append(data)


def _parse(html: str) -> _Table:
    p = _Table()
    p.feed(html)
    return p


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> County:
    folder = make_county(tmp_path_factory.mktemp("repr") / "c")
    toml = folder / "county.toml"
    toml.write_text(toml.read_text("utf-8").replace('name = "测试县"', f'name = "测试县{EVIL}"'),
                    encoding="utf-8")  # fmt: skip
    return County.open(folder)


def test_county_summary_table(county: County) -> None:
    html = county.summary()._repr_html_()
    t = _parse(html)
    assert t.lang == "zh"
    assert t.head == [
        "图层",
        "要素数",
        "几何类型",
        "面积（亩）",
        "面积（公顷）",
        "长度（公里）",
        "分类计数",
    ]
    # the county name is data: escaped in the markup, shown as text
    assert "<script>" not in html and f"测试县{EVIL}" in t.caption
    assert "2026-06-30" in t.caption and "中央经线114°E（EPSG:4547）" in t.caption
    rows = {r[0]: r for r in t.rows if r}
    # the boundary is a 10 × 8 km box: 8e7 m² = 120,000 亩 = 8,000 ha
    assert rows["县界"][1:5] == ["1", "面", "120,000.00", "8,000.00"]
    # settlements by tier, in words: five villages (two of them named like scripts), two
    # towns and the county seat
    assert rows["居民点"][6] == "村 5、一般镇（乡） 2、县城 1"


def _figures(html: str) -> dict[str, str]:
    t = _parse(html)
    assert t.lang == "zh" and t.head == ["指标", "数值"]
    return {r[0]: r[1] for r in t.rows if len(r) == 2}


def test_result_tables(county: County) -> None:
    audit = run_audit(county)
    figures = _figures(audit._repr_html_())
    # approvals: 1000×1000 + 500×400 + 600×600 m = 1.56e6 m² = 2,340 亩; supplied (inside):
    # 600×1000 + 500×200 m = 7e5 m² = 1,050 亩; rate 1050 / 2340 = 44.9 %
    assert figures["批准面积（亩）"] == "2,340.00"
    assert figures["已供面积（亩）"] == "1,050.00"
    assert figures["供地率"] == "44.9%"
    assert "批次：3 行" in audit._repr_html_()
    zones = run_zones(county)
    figures = _figures(zones._repr_html_())
    # 10 × 8 km in 500 m cells: 20 × 16 = 320 cells
    assert figures["网格数"] == "320"
    comp = landuse_composition(county.landuse, 1000.0, boundary=county.boundary)
    figures = _figures(comp._repr_html_())
    assert figures["构成口径"] == "三生空间" and figures["统计单元数"] == "80"
    conn = run_connectivity(county)
    assert _figures(conn._repr_html_())["园区数"] == "1"
    hier = run_hierarchy(county)
    html = hier._repr_html_()
    figures = _figures(html)
    assert figures["居民点数"] == "8" and figures["县城"] == "县城"
    # the village named like a script never appears as markup in any of them
    for result in (audit, zones, comp, conn, hier):
        assert not re.search(r"<script", result._repr_html_())


def test_repr_tables_are_small(county: County, tmp_path: Path) -> None:
    # a notebook cell shows a compact table, not the data
    for result in (run_audit(county), run_hierarchy(county)):
        assert len(result._repr_html_()) < 8_000
