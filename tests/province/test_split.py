"""Province-wide layers split by county: each feature to the county holding most of it; the
split conserves area and says so. No Dask here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import shapely

from geoplan.county import County
from geoplan.errors import DataFileNotFoundError, InputError
from geoplan.province import assign_features, open_province, split_province_layers
from tests.support.province import X0, Y0, two_counties_layers


def _write_province(folder: Path, extra: str = "") -> Path:
    two_counties_layers(folder)
    (folder / "province.toml").write_text(
        '[province]\nname = "测试省"\nas_of = "2026-06-30"\n\n'
        "[layers]\n"
        'counties = "province.gpkg:counties"\n'
        'approvals = "province.gpkg:approvals"\n'
        'roads = "province.gpkg:roads"\n'
        'settlements = "province.gpkg:settlements"\n\n'
        "[parameters.audit]\nsliver_area = 5.0\n" + extra,
        encoding="utf-8",
    )
    return folder


def test_assign_features_by_largest_share() -> None:
    a = shapely.box(0, 0, 10, 10)
    b = shapely.box(10, 0, 20, 10)
    polys = [
        shapely.box(1, 1, 3, 3),  # inside a: 4
        shapely.box(9, 0, 13, 1),  # 1 in a, 3 in b -> b, 3 inside
        shapely.box(8, 0, 11, 2),  # 4 in a, 2 in b -> a, 4 inside
        shapely.box(19, 9, 21, 11),  # 1 in b, 3 outside -> b, 1 inside
        shapely.box(40, 40, 41, 41),  # outside -> -1
    ]
    county, inside, whole = assign_features(polys, [a, b])
    assert county.tolist() == [0, 1, 0, 1, -1]
    assert inside.tolist() == [4.0, 3.0, 4.0, 1.0, 0.0]
    assert whole.tolist() == [4.0, 4.0, 6.0, 4.0, 1.0]
    # lines by length: 2 in a, 6 in b -> b; points: the county they lie in
    c2, in2, _ = assign_features([shapely.LineString([(8, 5), (16, 5)])], [a, b])
    assert (c2.tolist(), in2.tolist()) == ([1], [6.0])
    c3, _, _ = assign_features([shapely.Point(5, 5), shapely.Point(15, 5)], [a, b])
    assert c3.tolist() == [0, 1]


def test_split_conserves_area_and_reports_it(tmp_path: Path) -> None:
    package = open_province(_write_province(tmp_path / "p"))
    assert package.is_split and package.counties == ()
    folders, report = split_province_layers(
        package.layers, tmp_path / "out", defaults=package.defaults
    )
    assert [f.name for f in folders] == ["419801", "419802"]
    rows = report.layers.set_index("layer")
    # approvals (by hand): 4 boxes of 100 x 100 m = 40,000 m² in; A gets the inside box and
    # the 70 % one (20,000), B the 30 % one (10,000), 10,000 m² lie outside both counties
    ap = rows.loc["approvals"]
    assert (ap["features"], ap["assigned"], ap["outside"], ap["crossing"]) == (4, 3, 1, 2)
    assert ap["total_in"] == pytest.approx(40_000, rel=1e-12)
    assert ap["total_assigned"] == pytest.approx(30_000, rel=1e-12)
    assert ap["total_outside"] == pytest.approx(10_000, rel=1e-12)
    assert ap["total_in"] == pytest.approx(ap["total_assigned"] + ap["total_outside"], rel=1e-12)
    # moved: the 3,000 m² of AB-70 in B and the 3,000 m² of AB-30 in A
    assert ap["moved"] == pytest.approx(6_000, rel=1e-9)
    # roads by length: the 12 km trunk has 8 km in A (x 2..10 km) -> A; 2 km tertiary in A
    rd = rows.loc["roads"]
    assert rd["measure"] == "length_m" and rd["total_in"] == pytest.approx(14_000)
    assert rd["moved"] == pytest.approx(4_000)
    assert report.conserved and bool(rows["conserved"].all())
    per = report.counties.set_index(["adcode", "layer"])["measure"]
    assert per[("419801", "approvals")] == pytest.approx(20_000)
    assert per[("419802", "approvals")] == pytest.approx(10_000)
    assert per[("419801", "roads")] == pytest.approx(14_000)
    saved = json.loads((tmp_path / "out" / "split.json").read_text("utf-8"))
    assert saved["conserved"] is True
    assert "40,000.0 m² in = 30,000.0 assigned + 10,000.0 outside" in report.to_text()

    # each split package opens as a county, with province.toml's defaults under its own
    a = County.open(folders[0], defaults=package.defaults)
    assert (a.name, a.adcode, a.as_of.isoformat()) == ("甲县", "419801", "2026-06-30")
    assert sorted(a.approvals["batch_id"]) == ["A-in", "AB-70"]
    assert a.params("audit") == {"sliver_area": 5.0}
    b = County.open(folders[1], defaults=package.defaults)
    assert list(b.approvals["batch_id"]) == ["AB-30"]
    assert not b.has("roads")  # no road of the province lies mostly in B
    np.testing.assert_allclose(b.approvals.area.sum(), 10_000, rtol=1e-9)
    assert b.boundary.total_bounds[0] == pytest.approx(X0 + 10_000)
    assert b.boundary.total_bounds[1] == pytest.approx(Y0)


def test_county_toml_overrides_province_defaults(tmp_path: Path) -> None:
    package = open_province(_write_province(tmp_path / "p", "sliver_width = 3.0\n"))
    folders, _ = split_province_layers(package.layers, tmp_path / "out", defaults=package.defaults)
    toml = folders[0] / "county.toml"
    toml.write_text(
        toml.read_text("utf-8") + "\n[parameters.audit]\nsliver_area = 1.0\n", encoding="utf-8"
    )
    a = County.open(folders[0], defaults=package.defaults)
    # the county's own key wins, the province's other keys still apply
    assert a.params("audit") == {"sliver_area": 1.0, "sliver_width": 3.0}
    assert County.open(folders[1], defaults=package.defaults).params("audit") == {
        "sliver_area": 5.0,
        "sliver_width": 3.0,
    }


def test_province_manifest_problems_are_one_clear_error(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "province.toml").write_text(
        '[province]\nname = "x"\ncolour = "red"\n[paramters.audit]\nx = 1\n'
        '[parameters.audit]\nsliver_widht = 1.0\n[layers]\napprovals = "missing.gpkg:a"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        open_province(folder)
    msg = str(err.value)
    assert "[paramters]: unknown table" in msg
    (folder / "province.toml").write_text(
        '[province]\nname = "x"\ncolour = "red"\n'
        '[parameters.audit]\nsliver_widht = 1.0\n[layers]\napprovals = "missing.gpkg:a"\n',
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        open_province(folder)
    msg = str(err.value)
    assert "[province] colour: unknown key" in msg
    assert "sliver_widht" in msg
    assert "[layers] needs counties" in msg
    assert "missing.gpkg" in msg and "does not exist" in msg


def test_a_folder_without_counties_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(DataFileNotFoundError, match="holds no county package"):
        open_province(tmp_path / "empty")
    with pytest.raises(DataFileNotFoundError, match="does not exist"):
        open_province(tmp_path / "nowhere")


def test_counties_layer_needs_unique_adcodes(tmp_path: Path) -> None:
    import geopandas as gpd

    from geoplan.io import write_gpkg

    counties = gpd.GeoDataFrame(
        {"name": ["a", "b"], "adcode": ["419801", "419801"]},
        geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)],
        crs="EPSG:4547",
    )
    counties.geometry = counties.translate(X0, Y0)
    write_gpkg(tmp_path / "c.gpkg", {"counties": counties})
    with pytest.raises(InputError, match=r"adcodes \['419801'\] appear more than once"):
        split_province_layers({"counties": f"{tmp_path / 'c.gpkg'}:counties"}, tmp_path / "o")
