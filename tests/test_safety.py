"""Issue 10, part 1: text from data, file names, county.toml and options is never template source.

folium/branca render each element's output a second time as a Jinja2 template. Every text field
of every layer of the county built here holds template and script payloads (plus the county's
name, its layer file's name and its folder's name); every command and the report must exit 0,
show the text literally, and evaluate nothing: ``{{ 7*6 }}`` never becomes ``42``, ``{{
cycler.__init__ }}`` never becomes ``<bound method ...>``, and the payload that calls
``os.mkdir`` never creates its folder. A browser test checks the rendered text in the DOM.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
import shapely
from click.testing import CliRunner

from geoplan import maps
from geoplan.cli import main
from geoplan.county import County
from geoplan.errors import InputError
from geoplan.maps._safe import safe_html, safe_json
from tests.support import browser

ARTIFACTS = Path(__file__).parent / "_artifacts"
X0, Y0 = 500_000.0, 3_800_000.0  # EPSG:4547 (CGCS2000 GK CM 114E), ~34.3N 114E
ALL_ROLES = (
    "boundary", "townships", "settlements", "roads", "parks", "approvals", "supplies", "zoning",
    "landuse", "enterprises",
)  # fmt: skip
needs_chromium = pytest.mark.skipif(browser.chromium() is None, reason="chromium not installed")

# the issue's payloads (each prefixed by a tag naming its layer, so that "<tag>42" proves that
# "<tag>{{ 7*6 }}" was evaluated, whatever other "42"s a page holds)
TEMPLATE_PAYLOADS = ("{{ 7*6 }}", "{% if %}", "{# x", "}}{{", "{{ cycler.__init__ }}")
XSS_PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','1')\">",
)


def payloads(tag: str, pwned: Path) -> list[str]:
    """Eight texts for one layer: the template and XSS payloads, and one that runs code."""
    rce = f"{{{{ cycler.__init__.__globals__.os.mkdir({str(pwned)!r}) }}}}"
    return [tag + p for p in (*TEMPLATE_PAYLOADS, *XSS_PAYLOADS, rce)]


def evaluated_markers(tag: str) -> list[str]:
    """What the page would show had the tag's payloads been evaluated as templates."""
    return [f"{tag}42", "bound method", "Cycler"]


def decoded(page: str) -> str:
    """The text a browser would get from a page: JSON \\uXXXX escapes and HTML references
    decoded (so a literal payload can be looked for, wherever and however it was escaped)."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)
    text = text.replace('\\"', '"').replace("\\/", "/")
    return html.unescape(text)


def make_payload_county(folder: Path, pwned: Path) -> Path:
    """A complete small county (10 x 8 km, like tests/test_report.py's) whose every text field
    holds the payloads; its county.toml name, its layer file and its folder name hold them too."""
    folder.mkdir(parents=True, exist_ok=True)
    crs = 4547

    def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
        return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)

    def line(*xy: tuple[float, float]) -> shapely.LineString:
        return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])

    st = payloads("居", pwned)
    kinds = ["county_seat", "town", "town", "village", "village", "village", "village", "village"]
    pts = [(50000, 5000, 4000), (8000, 2500, 4000), (6000, 7500, 4000), (900, 7500, 6500),
           (800, 2500, 6500), (600, 2500, 1500), (500, 7500, 1500), (700, 9000, 4000)]  # fmt: skip
    road_specs = [
        ("trunk", line((0, 4000), (2500, 4000))),
        ("trunk", line((2500, 4000), (5000, 4000))),
        ("trunk", line((5000, 4000), (7500, 4000))),
        ("trunk", line((7500, 4000), (10000, 4000))),
        ("secondary", line((2500, 4000), (2500, 6500))),
        ("secondary", line((2500, 4000), (2500, 1500))),
        ("tertiary", line((7500, 4000), (7500, 6500))),
        ("tertiary", line((7500, 4000), (7500, 1500))),
        ("unclassified", line((7500, 4000), (9000, 4000))),
        ("tertiary", line((5000, 4000), (5700, 4700))),
        ("motorway", line((0, 500), (5000, 500))),
        ("motorway", line((5000, 500), (10000, 500))),
        ("motorway_link", line((5000, 500), (5000, 4000))),
    ]
    refs = payloads("路", pwned)
    codes = ["0101", "0301", "0702", "0601", "1101", "0201"]
    cells = [(i, j) for i in range(10) for j in range(8)]
    lu = gpd.GeoSeries([box(i * 1000, j * 1000, (i + 1) * 1000, (j + 1) * 1000) for i, j in cells])
    # the third batch id is a spreadsheet formula: the ledger must keep it as text
    batches = [*payloads("批", pwned)[:2], '=HYPERLINK("https://example.org","批")']
    supplies = payloads("供", pwned)[:2]
    towns = payloads("镇", pwned)
    parks = payloads("园", pwned)
    enterprises = payloads("企", pwned)
    layers = {
        "boundary": gpd.GeoDataFrame(
            {"name": [payloads("县", pwned)[0]], "adcode": [payloads("码", pwned)[1]]},
            geometry=[box(0, 0, 10000, 8000)],
            crs=crs,
        ),
        "townships": gpd.GeoDataFrame(
            {"name": towns[:2], "code": towns[2:4]},
            geometry=[box(0, 0, 5000, 8000), box(5000, 0, 10000, 8000)],
            crs=crs,
        ),
        "settlements": gpd.GeoDataFrame(
            {"name": st, "kind": kinds, "population": [float(p[0]) for p in pts]},
            geometry=[shapely.Point(X0 + p[1], Y0 + p[2]) for p in pts],
            crs=crs,
        ),
        "roads": gpd.GeoDataFrame(
            {
                "highway": [r[0] for r in road_specs],
                "ref": [refs[i % len(refs)] for i in range(len(road_specs))],
                "name": [refs[(i + 3) % len(refs)] for i in range(len(road_specs))],
            },
            geometry=[r[1] for r in road_specs],
            crs=crs,
        ),
        "parks": gpd.GeoDataFrame(
            # the second park's name is a spreadsheet formula: CSV and Excel keep it as text
            {
                "park_id": parks[:2],
                "name": [parks[2], '=HYPERLINK("https://example.org","园")'],
                "level": parks[4:6],
            },
            geometry=[box(5200, 4200, 6200, 5200), box(2600, 6600, 3200, 7200)],
            crs=crs,
        ),
        "approvals": gpd.GeoDataFrame(
            {
                "batch_id": batches,
                "approval_no": payloads("文", pwned)[3:6],
                "approval_type": payloads("型", pwned)[5:8],
                "approved_on": pd.to_datetime(["2019-05-01", "2021-03-01", "2023-09-01"]),
            },
            geometry=[
                box(5200, 4200, 6200, 5200),
                box(1000, 1000, 1500, 1400),
                box(8000, 6000, 8600, 6600),
            ],
            crs=crs,
        ),
        "supplies": gpd.GeoDataFrame(
            {
                "supply_id": supplies,
                "batch_id": batches[:2],
                "supplied_on": pd.to_datetime(["2020-01-01", "2022-01-01"]),
                "supply_method": payloads("式", pwned)[4:6],
                "agreed_start": pd.to_datetime(["2020-06-01", "2022-06-01"]),
                "land_price": [1e6, 0.0],
                "land_use": ["工业用地" + payloads("用", pwned)[0], payloads("用", pwned)[1]],
            },
            geometry=[box(5200, 4200, 5800, 5200), box(1000, 1000, 1500, 1200)],
            crs=crs,
        ),
        "zoning": gpd.GeoDataFrame(
            {
                "zone_type": ["ugb", "basic_farmland", "eco_redline"],
                "name": payloads("线", pwned)[:3],
            },
            geometry=[
                box(4000, 3000, 7000, 6000),
                box(0, 0, 3000, 3000),
                box(8000, 0, 10000, 2000),
            ],
            crs=crs,
        ),
        "landuse": gpd.GeoDataFrame(
            {
                "DLBM": [codes[(i * 3 + j) % 6] for i, j in cells],
                "DLMC": [payloads("地", pwned)[k % 8] for k in range(len(cells))],
                "TBDLMJ": lu.area.values,
            },
            geometry=lu.values,
            crs=crs,
        ),
        # the 亩均效益 table: names and codes are payloads, one credit code a formula; the first
        # firm names its supply's (payload) 电子监管号, the second lies in the other supply
        "enterprises": gpd.GeoDataFrame(
            {
                "credit_code": [*enterprises[:2], '=HYPERLINK("https://example.org","企")'],
                "name": enterprises[2:5],
                "scale": ["规上", "规上", "规下"],
                "industry": enterprises[5:8],
                "tax": [100.0, 40.0, 10.0],
                "revenue": [3000.0, 2500.0, 500.0],
                "value_added": [600.0, 500.0, 100.0],
                "energy": [100.0, 200.0, 50.0],
                "employees": [50.0, 40.0, 10.0],
                "rnd": [30.0, 10.0, 0.0],
                "declared_area": [None, None, 3.0],
                "supply_id": [supplies[0], None, None],
            },
            geometry=[
                shapely.Point(X0 + 5300, Y0 + 4300),
                shapely.Point(X0 + 1200, Y0 + 1100),
                shapely.Point(X0 + 6000, Y0 + 2000),
            ],  # fmt: skip
            crs=crs,
        ),
    }
    gpkg = "图层{{ 7*6 }}{% if %}.gpkg"  # a file name is text too
    for role, frame in layers.items():
        frame.to_file(folder / gpkg, layer=role, driver="GPKG")
    name = payloads("名", pwned)[0] + payloads("名", pwned)[2]
    manifest = ["[county]", f"name = {json.dumps(name, ensure_ascii=False)}", 'adcode = "410000"',
                'as_of = "2026-06-30"', "", "[layers]"]  # fmt: skip
    manifest += [f"{role} = {json.dumps(f'{gpkg}:{role}', ensure_ascii=False)}" for role in layers]
    (folder / "county.toml").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def payload_county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("payloads")
    pwned = root / "pwned"
    county = make_payload_county(root / "县{{ 7*6 }}{# x", pwned)
    return county, pwned


def _no_evaluation(text: str, pwned: Path, tags: str) -> None:
    assert not pwned.exists(), "a payload ran code: it created a folder"
    for tag in tags:
        for marker in evaluated_markers(tag):
            assert marker not in text, f"{marker!r}: a payload was evaluated"


# --------------------------------------------------------------------------- escaping


def test_safe_json_and_safe_html_leave_no_template_syntax() -> None:
    nasty = "{{ 7*6 }}{% if %}{# x}}{{</script><!--\u2028"
    text = safe_json({"a": nasty, "b": [nasty], "c": {"d": 1}})
    # braces inside strings are \u007b / \u007d; JSON's own braces remain, never adjacent
    assert text == (
        '{"a":"\\u007b\\u007b 7*6 \\u007d\\u007d\\u007b% if %\\u007d\\u007b# x\\u007d\\u007d'
        '\\u007b\\u007b\\u003c/script>\\u003c!--\\u2028","b":["\\u007b\\u007b 7*6 \\u007d'
        "\\u007d\\u007b% if %\\u007d\\u007b# x\\u007d\\u007d\\u007b\\u007b\\u003c/script>"
        '\\u003c!--\\u2028"],"c":{"d":1}}'
    )
    assert json.loads(text) == {"a": nasty, "b": [nasty], "c": {"d": 1}}
    for opener in ("{{", "{%", "{#", "</"):
        assert opener not in text
    assert safe_html(nasty) == (
        "&#123;&#123; 7*6 &#125;&#125;&#123;% if %&#125;&#123;# x&#125;&#125;&#123;&#123;"
        "&lt;/script&gt;&lt;!--\u2028"
    )
    assert html.unescape(safe_html(nasty)) == nasty


def test_the_issue_reproduction_shows_literal_text() -> None:
    """The lead's reproduction: '42', '49', '64', '81' appeared; now the literal text does."""
    pts = gpd.GeoDataFrame(
        {"name": ["甲{{ 6*7 }}"]}, geometry=[shapely.Point(113.1, 34.2)], crs=4326
    )
    m = maps.new_map(pts, title="乙{{ 5*5 }}")
    maps.add_points(m, pts, name="丙{{ 7*7 }}", tooltip={"name": "名称"})
    maps.add_legend(m, "丁{{ 8*8 }}", {"戊{{ 9*9 }}": "#fff"})
    page = maps.to_html(maps.finish(m))
    for evaluated in ("甲42", "乙25", "丙49", "丁64", "戊81"):
        assert evaluated not in page
    text = decoded(page)
    for literal in ("甲{{ 6*7 }}", "乙{{ 5*5 }}", "丙{{ 7*7 }}", "丁{{ 8*8 }}", "戊{{ 9*9 }}"):
        assert literal in text


@pytest.mark.parametrize("payload", [*TEMPLATE_PAYLOADS, "{{ cycler.__init__.__globals__ }}"])
def test_every_map_text_takes_the_payloads(payload: str) -> None:
    """Names, legends, popups, tooltips, titles and attributions, all at once, per payload.

    Before the fix '{% if %}', '{# x' and '}}{{' raised TemplateSyntaxError here."""
    text = "标" + payload
    g = gpd.GeoDataFrame(
        {"name": [text, "b"], "kind": [text, text]},
        geometry=[shapely.box(X0, Y0, X0 + 500, Y0 + 500), shapely.box(X0 + 600, Y0, X0 + 900, Y0 + 300)],
        crs=4547,
    )  # fmt: skip
    m = maps.new_map(g, title=text, tiles="https://t.example.org/{z}/{x}/{y}.png", attribution=text)
    maps.add_polygons(m, g, name=text, color_by="kind", popup={"name": text}, legend=text)
    maps.add_lines(m, g.boundary, name=text)
    maps.add_points(m, g.representative_point(), name=text, tooltip=None)
    maps.add_legend(m, text, {text: "#123456"})
    page = maps.to_html(maps.finish(m))
    assert "标42" not in page and "bound method" not in page and "标{'" not in page
    # the text survives in every place it was put: title, layer names, legends, popup cells,
    # attribution (count of its occurrences after decoding, at least one per place)
    assert decoded(page).count(text) >= 8


def test_check_tiles_accepts_templates_and_rejects_the_rest() -> None:
    good = [
        "https://tile.example.org/{z}/{x}/{y}.png",
        "http://{s}.tile.example.org/{z}/{x}/{y}{r}.png",
        "file:///D:/tiles/{z}/{x}/{y}.png",
    ]
    for url in good:
        assert maps.check_tiles(url) == url
    bad = {
        "notaurl": "must start with",
        "ftp://h/{z}/{x}/{y}": "must start with",
        "https://h/{z}/{x}.png": "{z}, {x} and {y}",
        "https://h/{{7*6}}/{z}/{x}/{y}": "braces may only hold",
        "https://h/{{ 7*6 }}/{z}/{x}/{y}": "spaces",
        "https://h/{z}/{x}/{y}{%": "braces may only hold",
        "https://h/{z}/{x}/{y}{#": "braces may only hold",
        "https://h/{zz}/{x}/{y}": "braces may only hold",
        'https://h/{z}/{x}/{y}"onload="x': "quotes",
        "https://h/{z}/{x}/{y}</script>": "angle brackets",
        "https:///{z}/{x}/{y}": "no host",
        "javascript:alert(1)//{z}{x}{y}": "must start with",
    }
    for url, why in bad.items():
        with pytest.raises(InputError, match=re.escape(why)):
            maps.check_tiles(url)
    with pytest.raises(InputError, match="tile URL"):
        maps.new_map((113.0, 34.0, 113.5, 34.4), tiles="{{ 7*6 }}")
    with pytest.raises(InputError, match="height must be"):
        maps.new_map((113.0, 34.0, 113.5, 34.4), height="{{ 7*6 }}px")


# --------------------------------------------------------------------------- commands


def test_every_command_on_the_payload_county(
    payload_county: tuple[Path, Path], tmp_path: Path
) -> None:
    county, pwned = payload_county
    run = CliRunner()
    res = run.invoke(main, ["info", str(county)])
    assert res.exit_code == 0, res.output
    _no_evaluation(res.output, pwned, "名")
    res = run.invoke(main, ["info", str(county), "--json"])
    assert res.exit_code == 0, res.output
    info = _strict(res.output)
    assert info["name"] == County.open(county).name

    outputs = {}
    for cmd in ("audit", "zones", "connectivity", "hierarchy", "efficiency"):
        out = tmp_path / cmd
        res = run.invoke(main, [cmd, str(county), "--out", str(out)])
        assert res.exit_code == 0, f"{cmd}: {res.output}"
        outputs[cmd] = out
    # each HTML map shows its layers' texts literally and evaluated none of them
    shown = {
        "audit": ("批", "供"),  # batch ids in the unsupplied and supply popups
        "connectivity": ("园",),  # park ids and names
        "hierarchy": ("居",),  # settlement names
        "efficiency": ("企", "供"),  # firm names and codes, supply ids
    }
    for cmd, tags in shown.items():
        page = (outputs[cmd] / f"{cmd}.html").read_text(encoding="utf-8")
        _no_evaluation(page, pwned, "居路批供镇园县名地文型式码线企用")
        text = decoded(page)
        for tag in tags:
            expected = [p for p in payloads(tag, pwned) if p in text]
            assert len(expected) >= 2, f"{cmd}.html shows none of the {tag} texts literally"
    _strict((outputs["audit"] / "summary.json").read_text("utf-8"))
    # the ledger holds the texts as text: no cell is a formula, the formula batch id included
    book = openpyxl.load_workbook(outputs["audit"] / "audit.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert '=HYPERLINK("https://example.org","批")' in texts
    assert payloads("批", pwned)[0] in texts
    # a CSV opened in a spreadsheet runs no formula from the data: the name is kept as text
    table = pd.read_csv(outputs["connectivity"] / "connectivity.csv", encoding="utf-8-sig")
    assert '\'=HYPERLINK("https://example.org","园")' in set(table["name"])
    assert not any(str(v).startswith(("=", "+", "@")) for v in table.to_numpy().ravel())
    _strict((outputs["efficiency"] / "summary.json").read_text("utf-8"))
    book = openpyxl.load_workbook(outputs["efficiency"] / "efficiency.xlsx")
    cells = [c for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = {c.value for c in cells if isinstance(c.value, str)}
    assert '=HYPERLINK("https://example.org","企")' in texts
    assert payloads("企", pwned)[2] in texts and payloads("供", pwned)[0] in texts


def test_report_on_the_payload_county(payload_county: tuple[Path, Path], tmp_path: Path) -> None:
    county, pwned = payload_county
    out = tmp_path / "report"
    res = CliRunner().invoke(main, ["report", str(county), "--out", str(out)])
    assert res.exit_code == 0, res.output
    page = (out / "index.html").read_text(encoding="utf-8")
    _no_evaluation(page, pwned, "居路批供镇园县名地文型式码线")
    statuses = dict(
        re.findall(r'<section id="([a-z]+)" class="[^"]*" data-status="([a-z]+)"', page)
    )
    assert statuses == dict.fromkeys(
        ["overview", "audit", "zones", "connectivity", "hierarchy", "efficiency"], "ok"
    )
    text = decoded(page)
    name = County.open(county).name
    assert f"<title>{name} " in text and f"<h1>{name} " in text  # the county name, literally
    for tag in "居镇园批供":  # settlements, townships, parks, batches, supplies
        assert sum(p in text for p in payloads(tag, pwned)) >= 2, tag
    manifest = _strict((out / "report.json").read_text("utf-8"))
    assert manifest["county"] == name
    layers = _strict((out / "county.json").read_text("utf-8"))
    # the layer file's and the county folder's names, literally
    assert layers["path"].endswith("县{{ 7*6 }}{# x")
    assert {lyr["source"] for lyr in layers["layers"]} == {
        f"图层{{{{ 7*6 }}}}{{% if %}}.gpkg:{role}" for role in ALL_ROLES
    }


def _strict(text: str) -> Any:
    """Parse JSON strictly: NaN, Infinity and -Infinity are errors."""

    def refuse(token: str) -> None:
        raise ValueError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=refuse)


# --------------------------------------------------------------------------- in the browser


def _opener(tooltips: list[str], popups: list[str] = ()) -> str:  # type: ignore[assignment]
    """A script that, once the page has loaded, opens the tooltip (or popup) of the first layer
    of each name in the page's layer list (#geoplan-stats)."""
    return (
        "<script>window.addEventListener('load', function () { setTimeout(function () {"
        "function layer(n) {"
        "  var li = document.querySelector('#geoplan-stats li[data-name=' + JSON.stringify(n) + ']');"
        "  return li ? geoplan.layers[li.getAttribute('data-layer')] : null; }"
        f"{safe_json(list(tooltips))}.forEach(function (n) {{ var l = layer(n); if (l) {{ l.openTooltip(); }} }});"
        f"{safe_json(list(popups))}.forEach(function (n) {{ var l = layer(n); if (l) {{ l.openPopup(); }} }});"
        "}, 0); });</script>"
    )


def _dom_text(dom: str) -> str:
    """The DOM's text with markup references decoded (what a reader sees, tags aside)."""
    return html.unescape(dom)


@needs_chromium
@pytest.mark.browser
def test_payloads_render_as_literal_text_in_chromium(
    payload_county: tuple[Path, Path], tmp_path: Path
) -> None:
    county, pwned = payload_county
    # a standalone map: every place a text can go holds a payload
    settlements = County.open(county).layer("settlements")
    first = settlements.iloc[[0]]
    name = str(first["name"].iloc[0])  # '居{{ 7*6 }}'
    m = maps.new_map(settlements, title="题{% if %}")
    maps.add_points(m, first, name="层{{ 7*6 }}", tooltip={"name": "签{# x"})
    maps.add_points(m, first, name="窗}}{{", popup={"name": "弹{{ cycler.__init__ }}"})
    maps.add_legend(m, "例{{ 7*6 }}", {"项{% if %}": "#d62728"})
    page = maps.save_html(maps.finish(m), tmp_path / "standalone.html")
    page.write_text(
        page.read_text("utf-8") + _opener(["层{{ 7*6 }}"], ["窗}}{{"]), encoding="utf-8"
    )
    run = browser.load(page)
    assert run.console == [] and run.requests == []
    text = _dom_text(run.dom)
    for literal in ("<title>题{% if %}</title>", "层{{ 7*6 }}", "窗}}{{", "签{# x",
                    "弹{{ cycler.__init__ }}", "例{{ 7*6 }}", "项{% if %}", name):  # fmt: skip
        assert literal in text, literal
    tip = re.search(r'<div class="leaflet-tooltip[^"]*"[^>]*>(.*?)</div>', run.dom, re.S)
    assert tip is not None and "签{# x" in tip.group(1) and name in tip.group(1)
    popup = re.search(r'<div class="leaflet-popup-content"[^>]*>(.*?)</div>', run.dom, re.S)
    assert popup is not None and "弹{{ cycler.__init__ }}" in html.unescape(popup.group(1))
    _no_evaluation(text, pwned, "居层窗签弹例项题")
    ARTIFACTS.mkdir(exist_ok=True)
    browser.screenshot(page, ARTIFACTS / "payloads_standalone.png", size=(900, 600))

    # the report: tables and every map built; the overview's settlement tooltip opened
    out = tmp_path / "report"
    res = CliRunner().invoke(main, ["report", str(county), "--out", str(out)])
    assert res.exit_code == 0, res.output
    index = out / "index.html"
    index.write_text(index.read_text("utf-8") + _opener(["居民点"]), encoding="utf-8")
    run = browser.load(index, fragment="all-maps")
    assert run.console == [] and run.requests == []
    assert 'data-pwned="1"' not in run.dom
    text = _dom_text(run.dom)
    _no_evaluation(text, pwned, "居路批供镇园县名地文型式码线")
    cname = County.open(county).name
    assert f"<h1>{cname} " in text and f"<title>{cname} " in text
    built = re.findall(r'<section id="([a-z]+)"[^>]*data-map-built="1"', run.dom)
    assert built == ["overview", "audit", "zones", "connectivity", "hierarchy", "efficiency"]
    tip = re.search(r'<div class="leaflet-tooltip[^"]*"[^>]*>(.*?)</div>', run.dom, re.S)
    assert tip is not None and name in html.unescape(tip.group(1))
    for tag in "居批园":  # settlement, batch and park texts in the report's tables
        shown = [p for p in payloads(tag, pwned) if p in text]
        assert len(shown) >= 2, (tag, shown)
    browser.screenshot(index, ARTIFACTS / "payloads_report.png", size=(1200, 2400),
                       fragment="all-maps")  # fmt: skip
