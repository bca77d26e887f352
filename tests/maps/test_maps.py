"""geoplan.maps: offline folium maps (encoding checked in Python, rendering in headless Chromium)."""

from __future__ import annotations

import base64
import html
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan import maps
from geoplan.errors import CRSError, GeometryTypeError, InputError, MissingFieldError
from geoplan.maps._encode import (
    COARSE_SCALE,
    SCALE,
    encode_geometry,
    pack_ints,
    prepare,
)
from geoplan.maps._safe import safe_json
from geoplan.maps._style import MISSING_COLOR, classify, radii
from geoplan.zones import ZonesResult
from tests.support import browser

ARTIFACTS = Path(__file__).resolve().parents[1] / "_artifacts"
EVIL = "<script>alert(1)</script>"
PWN = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','1')\">"
X0, Y0 = 500_000.0, 3_800_000.0  # CGCS2000 GK CM 114E (EPSG:4547), ~34.3N

needs_chromium = pytest.mark.skipif(browser.chromium() is None, reason="chromium not installed")


def _grid(nx: int, ny: int, size: float = 200.0) -> gpd.GeoDataFrame:
    boxes = [
        shapely.box(X0 + i * size, Y0 + j * size, X0 + (i + 0.9) * size, Y0 + (j + 0.9) * size)
        for j in range(ny)
        for i in range(nx)
    ]
    n = len(boxes)
    return gpd.GeoDataFrame(
        {
            "name": [f"p{i}" for i in range(n)],
            "status": np.where(np.arange(n) % 3 == 0, "idle", "supplied_unused"),
            "area_mu": np.arange(n) * 1.5,
            "approved_on": pd.to_datetime("2020-03-01") + pd.to_timedelta(np.arange(n), "D"),
        },
        geometry=boxes,
        crs=4547,
    )


def _ints(packed: str) -> list[int]:
    """Independent decoder of base64 zigzag varints (byte by byte, as the JS runtime does)."""
    out, v, shift = [], 0, 0
    for byte in base64.b64decode(packed):
        v |= (byte & 0x7F) << shift
        if byte & 0x80:
            shift += 7
        else:
            out.append(v >> 1 if v % 2 == 0 else -((v + 1) >> 1))
            v, shift = 0, 0
    return out


def _unpacked(spec: dict) -> dict:
    return {k: _ints(v) if k in ("d", "g", "p", "r", "ci") else v for k, v in spec.items()}


def _decode(spec: dict) -> list[list[list[tuple[float, float]]]]:
    """Independent Python decoder of the runtime's encoding: per feature, parts of rings."""
    spec = _unpacked(spec)
    d = np.asarray(spec["d"], dtype=np.int64).reshape(-1, 2).cumsum(axis=0) / SCALE
    pos = 0
    gi = pi = ri = 0
    out = []
    for _ in range(spec["n"]):
        parts = []
        for _ in range(spec["g"][gi]):
            rings = []
            for _ in range(spec["p"][pi]):
                k = spec["r"][ri]
                rings.append([tuple(xy) for xy in d[pos : pos + k]])
                pos += k
                ri += 1
            pi += 1
            parts.append(rings)
        gi += 1
        out.append(parts)
    assert pos == len(d)
    return out


# --------------------------------------------------------------------------- encoding


def test_polygon_encoding_round_trips_to_1e6_degree() -> None:
    outer = shapely.box(X0, Y0, X0 + 1000, Y0 + 800)
    holed = outer.difference(shapely.box(X0 + 100, Y0 + 100, X0 + 300, Y0 + 300))
    multi = shapely.MultiPolygon(
        [
            shapely.box(X0 + 2000, Y0, X0 + 2500, Y0 + 500),
            shapely.box(X0 + 3000, Y0, X0 + 3100, Y0 + 90),
        ]
    )
    gdf = gpd.GeoDataFrame(geometry=[holed, multi], crs=4547)
    prep = prepare(gdf, kind="polygon", name="t", simplify=None)
    spec = encode_geometry(prep.frame.geometry.values, "polygon")
    decoded = _decode(spec)
    spec = _unpacked(spec)
    wgs = gdf.to_crs(4326).geometry
    for feat, geom in zip(decoded, wgs, strict=True):
        polys = [shapely.Polygon(rings[0], rings[1:]) for rings in feat]
        back = shapely.MultiPolygon(polys) if len(polys) > 1 else polys[0]
        # every vertex within half a quantum of the original, and the same shape
        assert shapely.hausdorff_distance(back, geom) <= 0.5e-6 * 1.5
        assert abs(back.area - geom.area) <= geom.length * 0.5e-6  # quantisation bound
    assert spec["g"] == [1, 2] and spec["p"] == [2, 1, 1]
    # closing points dropped: a box ring is stored as 4 points
    assert spec["r"][2:] == [4, 4]


def test_lines_and_points_encoding() -> None:
    lines = gpd.GeoSeries(
        [
            shapely.LineString([(113.0, 34.0), (113.1, 34.0), (113.1, 34.0), (113.2, 34.05)]),
            shapely.MultiLineString(
                [[(113.3, 34.1), (113.4, 34.1)], [(113.5, 34.2), (113.6, 34.3)]]
            ),
        ],
        crs=4326,
    )
    spec = _unpacked(encode_geometry(np.asarray(lines.values), "line"))
    assert spec["g"] == [1, 2]
    assert spec["r"] == [3, 2, 2]  # the repeated vertex is dropped
    xy = np.asarray(spec["d"]).reshape(-1, 2).cumsum(axis=0)
    assert xy[0].tolist() == [113_000_000, 34_000_000]
    assert xy[-1].tolist() == [113_600_000, 34_300_000]
    pts = _unpacked(
        encode_geometry(np.asarray(shapely.points([(1.25, 2.5), (1.2500004, 2.4999996)])), "point")
    )
    assert np.asarray(pts["d"]).reshape(-1, 2).cumsum(axis=0).tolist() == [
        [1_250_000, 2_500_000],
        [1_250_000, 2_500_000],
    ]


def test_large_layers_are_simplified_small_ones_kept() -> None:
    theta = np.linspace(0, 2 * np.pi, 4001)[:-1]
    circles = [
        shapely.Polygon(np.c_[X0 + i * 3000 + 1000 * np.cos(theta), Y0 + 1000 * np.sin(theta)])
        for i in range(10)
    ]  # 40,000 vertices
    gdf = gpd.GeoDataFrame(geometry=circles, crs=4547)
    prep = prepare(gdf, kind="polygon", name="big", simplify=None)
    assert prep.tolerance_m > 0
    kept = shapely.get_num_coordinates(prep.frame.geometry.values).sum()
    assert kept < 40_000 / 4
    # simplification stays within its tolerance (checked in metres)
    back = prep.frame.to_crs(4547).geometry.values
    assert shapely.hausdorff_distance(back, np.asarray(circles)).max() <= prep.tolerance_m * 1.01
    small = prepare(gdf.iloc[:1], kind="polygon", name="small", simplify=None)
    assert small.tolerance_m == 0
    assert prepare(gdf, kind="polygon", name="off", simplify=0).tolerance_m == 0


def test_vertex_budget_coarsens_the_tolerance(monkeypatch: pytest.MonkeyPatch) -> None:
    from geoplan.maps import _encode as _maps_encode

    theta = np.linspace(0, 2 * np.pi, 4001)[:-1]
    circles = [
        shapely.Polygon(np.c_[X0 + i * 3000 + 1000 * np.cos(theta), Y0 + 1000 * np.sin(theta)])
        for i in range(10)
    ]
    gdf = gpd.GeoDataFrame(geometry=circles, crs=4547)
    base = prepare(gdf, kind="polygon", name="big", simplify=None)
    # 1/25 of the median size (sqrt(pi) km), capped at 1/3000 of the diagonal
    diag = float(np.hypot(29_000, 2_000))
    assert base.tolerance_m == pytest.approx(min(np.sqrt(np.pi) * 1000 / 25, diag / 3000), rel=1e-3)
    monkeypatch.setattr(_maps_encode, "MAX_LAYER_VERTICES", 300)
    tight = prepare(gdf, kind="polygon", name="big", simplify=None)
    assert tight.tolerance_m > base.tolerance_m
    assert shapely.get_num_coordinates(tight.frame.geometry.values).sum() <= 300


def test_vertex_budget_never_destroys_small_features(monkeypatch: pytest.MonkeyPatch) -> None:
    from geoplan.maps import _encode as _maps_encode

    theta = np.linspace(0, 2 * np.pi, 41)[:-1]  # 3,000 small 40-gons of radius 20 m
    polys = [
        shapely.Polygon(np.c_[X0 + (i % 60) * 100 + 20 * np.cos(theta), Y0 + (i // 60) * 100
                              + 20 * np.sin(theta)])
        for i in range(3000)
    ]  # fmt: skip
    gdf = gpd.GeoDataFrame(geometry=polys, crs=4547)
    monkeypatch.setattr(_maps_encode, "MAX_LAYER_VERTICES", 1000)  # cannot be met
    prep = prepare(gdf, kind="polygon", name="parcels", simplify=None)
    size = np.sqrt(shapely.area(polys[0]))
    assert prep.tolerance_m == pytest.approx(size / 4, rel=1e-6)
    kept = prep.frame.to_crs(4547).geometry.values
    assert (shapely.area(kept) > 0.5 * shapely.area(polys[0])).all()


def test_simplify_keeps_every_hole_and_part_fast_or_not() -> None:
    """Douglas-Peucker where it keeps the topology, the topology-preserving simplifier where
    it would drop a hole, a part or a whole small polygon: the result has the input's parts
    and holes, is valid and stays within the tolerance of the input."""
    from geoplan.maps._encode import _simplify

    theta = np.linspace(0, 2 * np.pi, 2001)[:-1]
    rng = np.random.default_rng(4)
    wobble = 1 + 0.01 * rng.standard_normal(len(theta))
    shell = np.c_[X0 + 5000 * wobble * np.cos(theta), Y0 + 5000 * wobble * np.sin(theta)]
    holes = [  # 400 small holes, each a wobbly 40-gon of radius 30 m
        np.c_[X0 + x + 30 * np.cos(theta[::50]), Y0 + y + 30 * np.sin(theta[::50])]
        for x, y in rng.uniform(-3000, 3000, (400, 2))
    ]
    holes = [h for i, h in enumerate(holes)
             if all(np.hypot(*(h[0] - g[0])) > 100 for g in holes[:i])]  # fmt: skip
    farmland = shapely.Polygon(shell, holes)
    sliver = shapely.box(X0 + 9000, Y0, X0 + 9400, Y0 + 2)  # Douglas-Peucker empties it
    parts = shapely.MultiPolygon([shapely.box(X0 + 9000, Y0 + 100, X0 + 9100, Y0 + 200),
                                  shapely.box(X0 + 9200, Y0 + 100, X0 + 9203, Y0 + 103)])  # fmt: skip
    pond = shapely.Polygon(  # a field with a 3 m well in it: Douglas-Peucker drops the hole
        shapely.box(X0 + 9500, Y0, X0 + 10500, Y0 + 1000).exterior,
        [shapely.box(X0 + 9900, Y0 + 500, X0 + 9903, Y0 + 503).exterior],
    )
    geoms = np.array([farmland, sliver, parts, pond], dtype=object)
    assert shapely.is_valid(geoms).all()
    tol = 25.0
    out = _simplify(geoms, tol, "polygon")
    assert shapely.is_valid(out).all() and not shapely.is_empty(out).any()
    assert shapely.get_num_interior_rings(out[0]) == len(holes)
    assert shapely.get_num_geometries(out[2]) == 2
    assert shapely.get_num_coordinates(out[0]) < shapely.get_num_coordinates(farmland) / 2
    for a, b in zip(geoms, out, strict=True):
        assert shapely.hausdorff_distance(a.boundary, b.boundary) <= tol * 1.0001
    # Douglas-Peucker alone would have lost the sliver and the small part
    dp = shapely.simplify(geoms, tol, preserve_topology=False)
    assert shapely.is_empty(dp[1]) and shapely.get_num_geometries(dp[2]) < 2
    assert shapely.get_num_interior_rings(dp[3]) == 0
    assert shapely.get_num_interior_rings(out[3]) == 1


def test_vertex_budget_jumps_to_the_cap_when_no_step_can_meet_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A layer of grid cells keeps its vertices at every tolerance: it is simplified at the
    first tolerance and at the cap, not at every step in between (the sample tells)."""
    from geoplan.maps import _encode as _maps_encode

    cells = [shapely.box(X0 + i * 1000, Y0 + j * 1000, X0 + i * 1000 + 1000, Y0 + j * 1000 + 1000)
             for i in range(80) for j in range(60)]  # fmt: skip
    gdf = gpd.GeoDataFrame(geometry=cells, crs=4547)
    monkeypatch.setattr(_maps_encode, "SIMPLIFY_MIN_VERTICES", 1000)
    monkeypatch.setattr(_maps_encode, "MAX_LAYER_VERTICES", 10_000)  # 4,800 cells x 5 vertices
    monkeypatch.setattr(_maps_encode, "_SAMPLE", 500)
    whole: list[int] = []
    inner = _maps_encode._simplify

    def counted(geoms: np.ndarray, tol: float, kind: _maps_encode.Kind) -> np.ndarray:
        if len(geoms) == len(cells):
            whole.append(len(geoms))
        return inner(geoms, tol, kind)

    monkeypatch.setattr(_maps_encode, "_simplify", counted)
    prep = prepare(gdf, kind="polygon", name="cells", simplify=None)
    diag = float(np.hypot(80_000, 60_000))
    assert prep.tolerance_m == pytest.approx(min(diag / 600, 1000 / 4), rel=1e-9)  # the cap
    assert len(whole) == 2  # the first tolerance and the cap
    assert shapely.get_num_coordinates(prep.frame.geometry.values).sum() == 5 * len(cells)


def test_empty_geometries_are_skipped_and_counted() -> None:
    gdf = gpd.GeoDataFrame(
        {"v": [1, 2, 3]}, geometry=[shapely.box(0, 0, 1, 1), None, shapely.Polygon()], crs=4326
    )
    m = maps.new_map(gdf)
    fg = maps.add_polygons(m, gdf, name="x")
    assert fg.geoplan_count == 1
    assert prepare(gdf, kind="polygon", name="x", simplify=None).dropped_empty == 2


def test_pack_ints_round_trips() -> None:
    rng = np.random.default_rng(1)
    values = np.concatenate(
        [rng.integers(-(2**40), 2**40, 500), rng.integers(-300, 300, 500), [0, -1, 2**52 - 1]]
    )
    assert _ints(pack_ints(values)) == values.tolist()
    assert pack_ints([]) == ""
    with pytest.raises(ValueError):
        pack_ints([2**53])


def test_safe_json_cannot_close_a_script() -> None:
    text = safe_json({"a": "</script><script>alert(1)</script>", "b": "\u2028&"})
    assert "<" not in text and "\u2028" not in text
    assert json.loads(text) == {"a": "</script><script>alert(1)</script>", "b": "\u2028&"}
    assert "\\u003c/script>" in text


# --------------------------------------------------------------------------- style


def test_classify_categories_with_given_and_default_colours() -> None:
    s = pd.Series(["b", "a", None, "c", "a"], dtype="string")
    ci, pal, legend = classify(s, {"c": "#000000", "a": "#ffffff"}, lang="en")
    assert list(legend) == ["c", "a", "b", "no data"]
    assert legend["c"] == "#000000" and legend["a"] == "#ffffff"
    assert [pal[i] for i in ci] == [legend["b"], "#ffffff", MISSING_COLOR, "#000000", "#ffffff"]


def test_classify_numbers_into_quantile_classes() -> None:
    s = pd.Series(np.arange(100, dtype=float))
    ci, pal, legend = classify(s, None, lang="zh")
    assert len(pal) == 5 and len(legend) == 5
    assert np.bincount(ci).tolist() == [20, 20, 20, 20, 20]
    assert list(legend)[0] == "0 – 19.8"


def test_bool_values_use_the_map_language() -> None:
    s = pd.Series([True, False, pd.NA], dtype="boolean")
    _ci, _pal, legend = classify(s, {True: "#ff0000"}, lang="zh")
    assert legend == {"是": "#ff0000", "否": legend["否"], "无数据": MISSING_COLOR}


def test_radii_scale_with_square_root() -> None:
    assert radii(pd.Series([0.0, 25.0, 100.0, np.nan]), 4) == [4.0, 8.0, 12.0, 4.0]


# --------------------------------------------------------------------------- API and errors


def test_errors_name_the_layer_and_the_fix() -> None:
    g = _grid(2, 1)
    m = maps.new_map(g)
    with pytest.raises(CRSError, match="no CRS"):
        maps.add_polygons(m, g.set_crs(None, allow_override=True), name="nocrs")
    with pytest.raises(GeometryTypeError, match="add_lines"):
        maps.add_polygons(m, g.boundary.to_frame("geometry"), name="lines")
    with pytest.raises(MissingFieldError, match="'nope'"):
        maps.add_polygons(m, g, name="p", popup={"nope": "x"})
    with pytest.raises(MissingFieldError):
        maps.add_points(m, g.representative_point().to_frame("geometry"), name="p", radius_by="pop")
    with pytest.raises(InputError):
        maps.new_map(g, lang="fr")
    with pytest.raises(InputError):
        maps.new_map((500000, 3800000, 500100, 3800100))


def test_inputs_are_not_mutated_and_bounds_follow_layers() -> None:
    g = _grid(3, 2)
    before = g.copy()
    m = maps.new_map()
    maps.add_polygons(m, g, name="g", color_by="status", popup={"name": "n"})
    pd.testing.assert_frame_equal(g, before)
    page = maps.to_html(maps.finish(m))
    minx, miny, maxx, maxy = g.to_crs(4326).total_bounds
    fit = re.search(r"fitBounds\(\s*\[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", page)
    assert fit is not None
    assert [float(v) for v in fit.groups()] == pytest.approx([miny, minx, maxy, maxx], abs=2e-6)


def test_page_is_offline_in_save_and_in_jupyter(tmp_path: Path) -> None:
    g = _grid(2, 2)
    m = maps.new_map(g, title="测试")
    maps.add_polygons(m, g, name="g")
    folium.Marker([34.3, 114.0], popup="folium popup").add_to(m)  # a plain folium element
    maps.finish(m)
    out = maps.save_html(m, tmp_path / "sub" / "m.html")
    page = out.read_text(encoding="utf-8")
    assert browser.external_refs(page) == []
    assert "Leaflet 1.9.4" in page and "jQuery v3.7.1" in page and "geoplan.addLayer" in page
    assert "sourceMappingURL" not in page
    assert [p.name for p in out.parent.iterdir()] == ["m.html"]  # atomic: no temp left
    jupyter = html.unescape(m._repr_html_())
    assert browser.external_refs(jupyter) == []
    assert "geoplan.addLayer" in jupyter
    assert "放大" in page  # Chinese zoom control by default
    assert "Zoom in" in maps.to_html(maps.new_map(g, lang="en"))


def test_tiles_only_when_given() -> None:
    g = _grid(1, 1)
    assert "L.tileLayer" not in maps.to_html(maps.new_map(g))
    page = maps.to_html(maps.new_map(g, tiles="https://tiles.example.org/{z}/{x}/{y}.png"))
    assert "tiles.example.org/{z}/{x}/{y}.png" in page and "L.tileLayer" in page
    assert browser.external_refs(page) == []  # tiles are images requested by Leaflet, not tags
    with pytest.raises(InputError):
        maps.new_map(g, tiles="OpenStreetMap")


def test_geoplan_layers_on_a_plain_folium_map_get_the_runtime() -> None:
    g = _grid(2, 1)
    m = folium.Map(tiles=None)
    maps.add_polygons(m, g, name="g")
    page = maps.to_html(m)
    assert "window.geoplan" in page


# --------------------------------------------------------------------------- in Chromium


class _Handlers(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found += [f"{tag}[{k}]" for k, _v in attrs if k.startswith("on")]


def _elements_with_handlers(dom: str) -> list[str]:
    """Elements with inline event-handler attributes (an injected payload would be one)."""
    p = _Handlers()
    p.feed(dom)
    return p.found


def _evil_layers() -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    polys = _grid(4, 3)
    polys.loc[0, "name"] = EVIL
    polys.loc[1, "name"] = PWN
    pts = polys.copy()
    pts["geometry"] = polys.representative_point()
    pts["population"] = np.linspace(100, 5000, len(pts))
    lines = polys.iloc[:5].copy()
    lines["geometry"] = polys.iloc[:5].boundary
    return polys, lines, pts


@needs_chromium
@pytest.mark.browser
@pytest.mark.parametrize("canvas", [True, False], ids=["canvas", "svg"])
def test_chromium_draws_every_feature_with_no_console_output(tmp_path: Path, canvas: bool) -> None:
    polys, lines, pts = _evil_layers()
    m = maps.new_map(polys, prefer_canvas=canvas, title=EVIL)
    fp = maps.add_polygons(
        m, polys, name=EVIL, color_by="status", popup={"name": "名称", "area_mu": "面积（亩）"}
    )
    fl = maps.add_lines(m, lines, name="线", color="#333333", tooltip={"name": "名称"})
    fpt = maps.add_points(
        m, pts, name="点", radius_by="population", popup={"name": "名称", "approved_on": "日期"}
    )
    hidden = maps.add_points(m, pts.iloc[:3], name="hidden", show=False)
    maps.add_legend(m, EVIL, {PWN: "#ff0000", "闲置": "#00ff00"})
    maps.finish(m)
    page = maps.save_html(m, tmp_path / "map.html")
    run = browser.load(page)
    assert run.console == []
    assert run.requests == []
    stats = browser.layer_stats(run.dom)
    expected = {fp: len(polys), fl: len(lines), fpt: len(pts), hidden: 3}
    for fg, n in expected.items():
        assert stats[fg.geoplan_id]["data-features"] == str(n)
        assert stats[fg.geoplan_id]["data-objects"] == str(n)
    assert stats[fp.geoplan_id]["data-name"] == EVIL  # set as an attribute, never as HTML
    paths = browser.svg_paths(run.dom)
    if canvas:
        assert paths == {} and "<canvas" in run.dom
    else:  # one SVG path per feature of each visible layer; the hidden layer is not drawn
        assert paths == {
            fp.geoplan_id: len(polys),
            fl.geoplan_id: len(lines),
            fpt.geoplan_id: len(pts),
        }
    # escaped text in the layer control and the legend; the payloads never became elements
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in run.dom
    assert 'data-pwned="1"' not in run.dom
    assert _elements_with_handlers(run.dom) == []
    ARTIFACTS.mkdir(exist_ok=True)
    shot = browser.screenshot(page, ARTIFACTS / f"maps_{'canvas' if canvas else 'svg'}.png")
    assert shot.stat().st_size > 10_000


@needs_chromium
@pytest.mark.browser
def test_popups_show_attribute_values_as_text(tmp_path: Path) -> None:
    polys, _lines, pts = _evil_layers()
    m = maps.new_map(polys)
    fp = maps.add_polygons(m, polys.iloc[[1, 0]], name="p", popup={"name": "<i>名称</i>"})
    fpt = maps.add_points(m, pts.iloc[[0]], name="pt", tooltip={"name": "名称"})
    maps.finish(m)
    page = maps.save_html(m, tmp_path / "popup.html")
    # open the first polygon's popup and the point's tooltip once the page has loaded
    opener = (
        "<script>window.addEventListener('load', function () {"
        f"geoplan.layers[{safe_json(fp.geoplan_id)}].openPopup();"
        f"geoplan.layers[{safe_json(fpt.geoplan_id)}].openTooltip();"
        "});</script>"
    )
    page.write_text(page.read_text(encoding="utf-8") + opener, encoding="utf-8")
    run = browser.load(page)
    assert run.console == []
    popup = re.search(r'<div class="leaflet-popup-content"[^>]*>(.*?)</div>', run.dom, re.S)
    assert popup is not None
    assert "&lt;i&gt;名称&lt;/i&gt;" in popup.group(1)
    assert html.escape(PWN, quote=False) in popup.group(1)
    tip = re.search(r'<div class="leaflet-tooltip[^"]*"[^>]*>(.*?)</div>', run.dom, re.S)
    assert tip is not None and "&lt;script&gt;alert(1)&lt;/script&gt;" in tip.group(1)
    assert 'data-pwned="1"' not in run.dom


# --------------------------------------------------------------------------- large layers


def _grid_zones(n_side: int, size: float = 250.0) -> ZonesResult:
    """A ZonesResult of n_side² square cells with random shares (a large county at a fine grid)."""
    xs, ys = np.meshgrid(np.arange(n_side), np.arange(n_side))
    x, y = X0 + xs.ravel() * size, Y0 + ys.ravel() * size
    geoms = shapely.box(x, y, x + size, y + size)
    rng = np.random.default_rng(1)
    p = rng.dirichlet([1, 1, 1], len(geoms))
    dom = np.array(["production", "living", "ecological"])[p.argmax(axis=1)]
    cells = gpd.GeoDataFrame(
        {"cell_id": np.arange(len(geoms)), "production": p[:, 0], "living": p[:, 1],
         "ecological": p[:, 2], "dominant": dom, "mix_label": dom,
         "entropy": rng.random(len(geoms)), "eco_index": rng.random(len(geoms))},
        geometry=geoms, crs=4547,
    )  # fmt: skip
    zones = gpd.GeoDataFrame(
        {"zone_id": [1], "label": ["production"], "area_ha": [100.0], "n_units": [16]},
        geometry=[shapely.box(X0, Y0, X0 + 1000, Y0 + 1000)], crs=4547,
    )  # fmt: skip
    return ZonesResult(cells=cells, zones=zones)


def test_coarse_quantisation_of_large_layers_round_trips() -> None:
    # a layer of more than COARSE_FEATURES features is written in 1e-5 degree quanta ("q")
    geoms = np.asarray(gpd.GeoSeries([shapely.box(114.0, 34.0, 114.001234, 34.004567)]).values)
    spec = encode_geometry(geoms, "polygon", scale=COARSE_SCALE)
    assert spec["q"] == 100_000
    xy = np.asarray(_ints(spec["d"])).reshape(-1, 2).cumsum(axis=0) / spec["q"]
    # each corner to the nearest 1e-5 degree (about 1 m): 114.001234 -> 114.00123,
    # 34.004567 -> 34.00457; the closing point is dropped
    assert sorted(map(tuple, xy.tolist())) == [
        (114.0, 34.0), (114.0, 34.00457), (114.00123, 34.0), (114.00123, 34.00457)
    ]  # fmt: skip


@needs_chromium
@pytest.mark.browser
@pytest.mark.slow
def test_explore_of_a_large_layer_stays_under_5_mb(tmp_path: Path) -> None:
    # 102,400 cells of 250 m with eight popup columns: before the page budget the map was
    # 7.0 MB (every popup column of every cell, 1e-6 degree coordinates)
    result = _grid_zones(320)
    page = maps.save_html(result.explore(), tmp_path / "zones.html")
    assert page.stat().st_size < 5 * 1024 * 1024
    run = browser.load(page, budget_ms=30000, timeout=300)
    assert run.console == [] and run.requests == []
    cells = [s for s in browser.layer_stats(run.dom).values() if s["data-name"].startswith("三生")]
    assert len(cells) == 1
    assert cells[0]["data-features"] == cells[0]["data-objects"] == str(320 * 320)
