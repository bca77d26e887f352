"""Every standalone map (audit.html, zones.html, connectivity.html, hierarchy.html) draws the
county and township outlines for orientation, township names as labels, a metric-only scale
bar and a north arrow, and no "Leaflet" link — checked in headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from geoplan.cli import main
from tests.support import browser
from tests.support.classes import make_every_class_county

needs_chromium = pytest.mark.skipif(browser.chromium() is None, reason="chromium not installed")
COMMANDS = ("audit", "zones", "connectivity", "hierarchy")


@needs_chromium
@pytest.mark.browser
@pytest.mark.slow
def test_every_standalone_map_draws_the_county_and_townships(tmp_path: Path) -> None:
    county = make_every_class_county(tmp_path / "county")
    for cmd in COMMANDS:
        out = tmp_path / cmd
        res = CliRunner().invoke(main, [cmd, str(county), "--out", str(out)])
        assert res.exit_code == 0, f"{cmd}: {res.output}"
        page = out / f"{cmd}.html"
        assert page.is_file(), cmd
        # open the page zoomed in two levels from the county view, where both townships
        # (6 × 10 km) are wide enough for their names
        html = page.read_text(encoding="utf-8")
        zoom = (
            "<script>window.addEventListener('load', function () { setTimeout(function () {"
            "geoplan.maps.forEach(function (m) { m.setZoom(m.getZoom() + 2, {animate: false}); });"
            "}, 0); });</script>"
        )
        page.write_text(html + zoom, encoding="utf-8")
        run = browser.load(page)
        assert run.console == [] and run.requests == [], cmd
        layers = {s["data-name"]: s for s in browser.layer_stats(run.dom).values()}
        assert layers["县界"]["data-features"] == "1", cmd
        assert layers["乡镇界"]["data-features"] == "2", cmd
        assert layers["乡镇界"]["data-labels"] == "2", cmd
        names = re.findall(r'<span class="gp-label-text">([^<\'"+]*)</span>', run.dom)
        assert sorted(names) == ["东坝镇", "西河乡"], cmd
        # one scale bar, in metres or kilometres only; a north arrow; no Leaflet link
        scales = re.findall(r'<div class="leaflet-control-scale-line"[^>]*>(.*?)</div>', run.dom)
        assert len(scales) == 1 and re.fullmatch(r"\d+ k?m", scales[0]), (cmd, scales)
        assert run.dom.count('<div class="gp-north leaflet-control"') == 1, cmd
        attribution = re.findall(r'<div class="leaflet-control-attribution[^"]*">(.*?)</div>',
                                 run.dom)  # fmt: skip
        assert attribution == [""], (cmd, attribution)
