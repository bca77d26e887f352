"""County packages: manifest, lazy validated layers, metric CRS, summary, collected errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from geoplan.county import County
from geoplan.errors import DataFileNotFoundError, InputError, MissingFieldError
from geoplan.units import M2_PER_MU
from tests.support.county import small_package

# a 10 km x 6 km county near 114.3°E, 34.8°N, built in the GK zone and stored in lon/lat


def test_open_project_and_summarise(tmp_path: Path) -> None:
    county = County.open(small_package(tmp_path))
    assert county.name == "示例县" and county.adcode == "410999"
    assert county.as_of == dt.date(2026, 6, 30)
    assert county.crs.to_epsg() == 4547
    assert county.slug == tmp_path.name
    assert county.params("audit") == {"sliver_width": 0.5} and county.params("zones") == {}
    # layers are projected to the county CRS; areas survive the lon/lat round trip
    assert county.boundary.crs.to_epsg() == 4547
    assert county.boundary.area.iloc[0] == pytest.approx(60e6, rel=1e-6)
    assert county.layer("approvals") is county.approvals  # cached
    assert county.settlements["kind"].tolist() == ["county_seat", "town", "village", "village"]
    s = county.summary()
    by_role = {lyr.role: lyr for lyr in s.layers}
    assert by_role["townships"].features == 2
    assert by_role["approvals"].area_m2 == pytest.approx(30000.0)
    assert by_role["approvals"].area_mu == pytest.approx(30000.0 / M2_PER_MU)
    assert by_role["boundary"].area_ha == pytest.approx(6000.0, rel=1e-6)
    assert by_role["settlements"].breakdown == {"village": 2, "county_seat": 1, "town": 1}
    text = s.to_text()
    assert "示例县" in text and "EPSG:4547" in text and "2026-06-30" in text
    assert s.to_dict()["layers"][0]["role"] == "boundary"


def test_manifest_field_mapping(tmp_path: Path) -> None:
    pkg = small_package(
        tmp_path, approvals_date_col="PZSJ", toml_extra='[fields.approvals]\napproved_on = "PZSJ"\n'
    )
    county = County.open(pkg)
    assert county.approvals["approved_on"].dt.year.tolist() == [2019, 2021]


def test_layer_errors_are_collected(tmp_path: Path) -> None:
    pkg = small_package(tmp_path, approvals_date_col="日期")
    county = County.open(pkg)
    with pytest.raises(MissingFieldError, match="approved_on"):
        county.summary()


def test_manifest_errors(tmp_path: Path) -> None:
    with pytest.raises(DataFileNotFoundError, match="county.toml"):
        County.open(tmp_path / "nowhere")
    pkg = small_package(tmp_path)
    text = (pkg / "county.toml").read_text(encoding="utf-8")
    (pkg / "county.toml").write_text(
        text.replace("as_of = 2026-06-30", 'as_of = "soon"'), encoding="utf-8"
    )
    with pytest.raises(InputError, match="as_of"):
        County.open(pkg)
    (pkg / "county.toml").write_text(
        text.replace(
            'approvals = "county.gpkg:approvals"', 'approvals = "gone.gpkg"\nrivers = "x.gpkg"'
        ),
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        County.open(pkg)
    assert "gone.gpkg" in str(err.value) and "rivers: unknown role" in str(err.value)
    (pkg / "county.toml").write_text("[county\nname=", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        County.open(pkg)


def test_missing_role(tmp_path: Path) -> None:
    county = County.open(small_package(tmp_path))
    assert not county.has("supplies")
    with pytest.raises(InputError, match="no supplies layer"):
        county.layer("supplies")


def test_database_sources_in_the_manifest(tmp_path: Path) -> None:
    # a database table is no file: it is checked for its syntax when the package opens (a
    # password is refused with the other problems) and read only when the layer is asked for
    (tmp_path / "county.toml").write_text(
        """
[county]
name = "库县"
adcode = "410225"
as_of = "2026-06-30"

[layers]
approvals = "postgresql://gis@db.example:5432/land#sdc.pzyd?where=XZQDM=410225"
supplies = "postgresql://gis:secret@db.example:5432/land#sdc.gdxx"
parks = "missing.gpkg:parks"
""",
        encoding="utf-8",
    )
    with pytest.raises(InputError) as err:
        County.open(tmp_path)
    message = str(err.value)
    assert "[layers] supplies" in message and "password" in message and "secret" not in message
    assert "missing.gpkg" in message and "[layers] approvals" not in message
    text = (tmp_path / "county.toml").read_text(encoding="utf-8")
    text = text.replace("gis:secret@", "gis@").replace('parks = "missing.gpkg:parks"\n', "")
    (tmp_path / "county.toml").write_text(text, encoding="utf-8")
    county = County.open(tmp_path)
    url = "postgresql://gis@db.example:5432/land#sdc.pzyd?where=XZQDM=410225"
    assert county.source("approvals") == url  # as written, never made a path
    adhoc = County.from_sources({"approvals": url}, as_of="2026-06-30")
    assert adhoc.name == "pzyd" and adhoc.source("approvals") == url
