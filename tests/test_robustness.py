"""Issue 10, part 2: bad input and bad options are one-paragraph errors (exit 2), found before any
analysis runs; never a traceback, never a late failure after files were written."""

from __future__ import annotations

import errno
import json
import logging
import os
import struct
import zipfile
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

import geoplan.io._write as write_mod
from geoplan.cli import main
from geoplan.connectivity import check_snap, park_connectivity
from geoplan.county import County
from geoplan.errors import InputError, LayerNotFoundError, OutputError
from geoplan.hierarchy import hierarchy_options
from geoplan.io import dumps_json, ensure_writable_dir, read_layer, read_report, write_json
from geoplan.report import build_report
from tests.support.report import X0, Y0, make_county

COMMANDS = ("audit", "zones", "connectivity", "hierarchy", "report")


def _strict(text: str) -> Any:
    def refuse(token: str) -> None:
        raise ValueError(f"not strict JSON: {token}")

    return json.loads(text, parse_constant=refuse)


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_county(tmp_path_factory.mktemp("robust") / "c")


@pytest.fixture
def no_analysis(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make every analysis fail loudly: a check that must come first proves it did."""

    def ran(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an analysis ran before the check")

    import geoplan.audit
    import geoplan.connectivity
    import geoplan.hierarchy
    import geoplan.report
    import geoplan.zones

    monkeypatch.setattr(geoplan.audit, "audit_land", ran)
    monkeypatch.setattr(geoplan.zones, "landuse_composition", ran)
    monkeypatch.setattr(geoplan.connectivity, "park_connectivity", ran)
    monkeypatch.setattr(geoplan.hierarchy, "settlement_hierarchy", ran)
    monkeypatch.setattr(geoplan.report._build, "_run", ran)


# --------------------------------------------------------------------------- the output folder


@pytest.mark.parametrize("cmd", COMMANDS)
def test_out_under_a_file_fails_before_any_analysis(
    cmd: str, county: Path, tmp_path: Path, no_analysis: None
) -> None:
    blocker = tmp_path / "a-file.txt"
    blocker.write_text("x")
    res = CliRunner().invoke(main, [cmd, str(county), "--out", str(blocker / "out")])
    assert res.exit_code == 2, res.output
    assert f"{blocker} is a file, not a folder" in res.output and "--out" in res.output
    assert "Traceback" not in res.output
    assert _files(tmp_path) == [blocker]  # nothing was written


@pytest.mark.parametrize(
    ("err", "says"),
    [(errno.EROFS, "Read-only file system"), (errno.ENOSPC, "No space left on device")],
)
def test_read_only_or_full_disk_fails_before_any_analysis(
    err: int, says: str, county: Path, tmp_path: Path, no_analysis: None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # the probe file's sync is where a read-only mount or a full disk shows
    def fail(fd: int) -> None:
        raise OSError(err, os.strerror(err))

    monkeypatch.setattr(write_mod.os, "fsync", fail)
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["report", str(county), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert f"The --out folder {out} cannot be written ({says})" in res.output
    assert _files(out) == []  # the probe was removed


def test_nearly_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real = write_mod.shutil.disk_usage

    def usage(path: Any) -> Any:  # 1 MiB free: less than MIN_FREE_BYTES (16 MiB)
        return real(path)._replace(free=2**20)

    monkeypatch.setattr(write_mod.shutil, "disk_usage", usage)
    with pytest.raises(OutputError, match=r"is full: 1\.0 MiB free.*at least 16 MiB"):
        ensure_writable_dir(tmp_path / "o")


def test_read_only_folder_for_real(county: Path, tmp_path: Path, no_analysis: None) -> None:
    """A folder marked read-only (mode 555) is refused, even when running as root."""
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(
            OutputError, match=f"The output folder {ro} is read-only \\(mode 555\\)"
        ):
            ensure_writable_dir(ro)
        res = CliRunner().invoke(main, ["zones", str(county), "--out", str(ro / "out")])
        assert res.exit_code == 2
        assert f"--out folder {ro / 'out'} cannot be created: {ro} is read-only" in res.output
        assert _files(ro) == [] and not (ro / "out").exists()
    finally:
        ro.chmod(0o755)


def test_build_report_out_dev_null_and_none(county: Path, no_analysis: None) -> None:
    with pytest.raises(OutputError, match="/dev/null is a file, not a folder"):
        build_report(county, out="/dev/null")
    with pytest.raises(InputError, match="out must be the path"):
        build_report(county, out=None)  # type: ignore[arg-type]


def test_a_full_disk_while_writing_is_an_output_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(write_mod.os, "replace", full)
    with pytest.raises(OutputError, match=r"Could not write .*s\.json \(No space left"):
        write_json(tmp_path / "s.json", {"a": 1})
    assert _files(tmp_path) == []  # the temporary file is gone too


# --------------------------------------------------------------------------- options first


def test_tiles_checked_before_anything(county: Path, tmp_path: Path, no_analysis: None) -> None:
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["report", str(county), "--out", str(out), "--tiles", "notaurl"])
    assert res.exit_code == 2
    assert "Invalid value for '--tiles'" in res.output and "{z}/{x}/{y}" in res.output
    assert not out.exists()
    with pytest.raises(InputError, match="tile URL"):
        build_report(county, out=out, tiles="https://h/{{ 7*6 }}/{z}/{x}/{y}")
    assert not out.exists()


def test_snap_options_are_bounded(county: Path, tmp_path: Path, no_analysis: None) -> None:
    res = CliRunner().invoke(main, ["connectivity", str(county), "--snap", "1e9",
                                    "--out", str(tmp_path / "o")])  # fmt: skip
    assert res.exit_code == 2
    assert "--snap must be a distance from 0 to 500 m, got 1e+09" in res.output
    assert "no cost" in res.output  # says why
    assert not (tmp_path / "o").exists()
    for bad in (float("nan"), float("inf"), -1.0, 501.0, "50", True):
        with pytest.raises(InputError, match="snap_tolerance must be a distance"):
            check_snap(bad)
    with pytest.raises(InputError, match="max_snap_m must be a distance from 0 to 10,000 m"):
        check_snap(50.0, 1e9)
    check_snap(500.0, 10_000.0)  # the bounds themselves are allowed
    roads = gpd.GeoDataFrame(
        {"highway": ["trunk"]}, geometry=[shapely.LineString([(X0, Y0), (X0 + 1e3, Y0)])], crs=4547
    )
    parks = gpd.GeoDataFrame(geometry=[shapely.box(X0, Y0 + 10, X0 + 10, Y0 + 20)], crs=4547)
    with pytest.raises(InputError, match="snap_tolerance"):
        park_connectivity(parks, roads, snap_tolerance=1e9)
    with pytest.raises(InputError, match="max_snap_m must be a distance from 0 to 10,000 m"):
        hierarchy_options({"max_snap_m": 1e9})


def test_snap_in_county_toml_checked_before_analysis(tmp_path: Path, no_analysis: None) -> None:
    c = make_county(tmp_path / "c")
    toml = c / "county.toml"
    toml.write_text(toml.read_text("utf-8") + "\n[parameters.connectivity]\nsnap_tolerance = 1e9\n",
                    encoding="utf-8")  # fmt: skip
    res = CliRunner().invoke(main, ["connectivity", str(c), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "[parameters.connectivity] snap_tolerance must be a distance" in res.output


def test_county_open_takes_a_path() -> None:
    with pytest.raises(InputError, match="County.open takes the folder .* got NoneType"):
        County.open(None)  # type: ignore[arg-type]


def test_county_toml_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "county.toml").write_bytes('[county]\nname = "兰考县"\n'.encode("gbk"))
    with pytest.raises(InputError, match="is not UTF-8 text"):
        County.open(tmp_path)


# --------------------------------------------------------------------------- reading


def _polygon_wkb(ring: list[tuple[float, float]]) -> bytes:
    """WKB of a one-ring polygon written as given (a ring that does not close stays open)."""
    out = struct.pack("<BII", 1, 3, 1) + struct.pack("<I", len(ring))
    return out + b"".join(struct.pack("<dd", x, y) for x, y in ring)


OPEN_SQUARE = [(X0, Y0), (X0 + 1000, Y0), (X0 + 1000, Y0 + 1000), (X0, Y0 + 1000)]
CLOSED_TRIANGLE = [(X0 + 2000, Y0), (X0 + 3000, Y0), (X0 + 3000, Y0 + 1000), (X0 + 2000, Y0)]


def test_unclosed_ring_in_geojson_is_closed_and_named(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    fc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4547"}},
        "features": [
            {"type": "Feature", "id": 7, "properties": {"park_id": "P7", "name": "开口"},
             "geometry": {"type": "Polygon", "coordinates": [[list(p) for p in OPEN_SQUARE]]}},
            {"type": "Feature", "id": 8, "properties": {"park_id": "P8", "name": "闭合"},
             "geometry": {"type": "Polygon",
                          "coordinates": [[list(p) for p in CLOSED_TRIANGLE]]}},
        ],
    }  # fmt: skip
    path = tmp_path / "parks.geojson"
    path.write_text(json.dumps(fc, ensure_ascii=False), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="geoplan.io"):
        gdf = read_layer(path, role="parks")
    assert gdf["park_id"].tolist() == ["P7", "P8"]
    # the open square closed by repeating its first point: 1000 m x 1000 m; the triangle 1/2 of it
    assert gdf.area.tolist() == pytest.approx([1e6, 5e5])
    assert read_report(gdf).closed_rings == 1  # type: ignore[union-attr]
    assert "feature(s) 7 have polygon rings that do not close" in caplog.text
    # the same through a command: exit 0, not a GEOSException traceback
    roads = gpd.GeoDataFrame(
        {"highway": ["trunk"]},
        geometry=[shapely.LineString([(X0 - 500, Y0 - 100), (X0 + 4000, Y0 - 100)])],
        crs=4547,
    )
    roads.to_file(tmp_path / "roads.gpkg", layer="roads")
    res = CliRunner().invoke(main, ["connectivity", "--parks", str(path), "--roads",
                                    f"{tmp_path / 'roads.gpkg'}:roads", "--out",
                                    str(tmp_path / "o"), "--no-html", "--minutes", ""])  # fmt: skip
    assert res.exit_code == 0, res.output


def test_unclosed_ring_in_geoparquet_is_closed(tmp_path: Path) -> None:
    crs = json.loads(gpd.GeoSeries([], crs=4547).crs.to_json())
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "WKB", "crs": crs, "geometry_types": ["Polygon"]}},
    }
    table = pa.table(
        {
            "park_id": ["P1", "P2"],
            "geometry": [_polygon_wkb(OPEN_SQUARE), _polygon_wkb(CLOSED_TRIANGLE)],
        }
    ).replace_schema_metadata({b"geo": json.dumps(geo).encode()})
    pq.write_table(table, tmp_path / "parks.parquet")
    gdf = read_layer(tmp_path / "parks.parquet", role="parks")
    assert gdf.crs.to_epsg() == 4547
    assert gdf.area.tolist() == pytest.approx([1e6, 5e5])
    assert read_report(gdf).closed_rings == 1  # type: ignore[union-attr]


def test_coordinates_outside_the_crs_are_rejected_naming_rows(county: Path, tmp_path: Path) -> None:
    # a polygon at 1e12 m: before, gpkg, xlsx and summary.json were written with its area
    approvals = gpd.read_file(county / "county.gpkg", layer="approvals")
    bad = approvals.copy()
    bad.loc[1, "geometry"] = shapely.box(1e12, 1e12, 1e12 + 100, 1e12 + 100)
    bad.to_file(tmp_path / "approvals.gpkg", layer="approvals")
    with pytest.raises(InputError) as err:
        read_layer(tmp_path / "approvals.gpkg", role="approvals")
    msg = str(err.value)
    assert "1 of 3 features have coordinates outside" in msg and "row 2: x 1e+12" in msg
    assert "CM 114E" in msg and "fix or delete them" in msg
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", "--approvals", str(tmp_path / "approvals.gpkg"),
                                    "--supplies", f"{county / 'county.gpkg'}:supplies",
                                    "--as-of", "2026-06-30", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 2 and "row 2: x 1e+12" in res.output
    assert _files(out) == []  # no gpkg, xlsx or summary.json with a bogus area
    # geographic coordinates beyond ±180 / ±90
    lonlat = gpd.GeoDataFrame(
        {"name": ["a", "b", "c"]},
        geometry=[shapely.Point(114, 34), shapely.Point(200, 34), shapely.Point(114, -91)],
        crs=4490,
    )
    lonlat.to_file(tmp_path / "pts.gpkg")
    with pytest.raises(
        InputError, match=r"2 of 3 features .* row 2: x 200.*row 3: x 114…114, y -91"
    ):
        read_layer(tmp_path / "pts.gpkg", role="settlements")


def test_null_island_in_a_gauss_kruger_layer_is_rejected(tmp_path: Path) -> None:
    """A zeroed point (0, 0) is the classic corrupt record: in EPSG:4547 it is 4.5° west of the
    zone and on the equator, far outside the zone's area of use (China, 21.5–45.5°N)."""
    g = gpd.GeoDataFrame(
        {"name": ["ok", "zero"]}, geometry=[shapely.Point(X0, Y0), shapely.Point(0, 0)], crs=4547
    )
    g.to_file(tmp_path / "s.gpkg")
    with pytest.raises(InputError, match=r"1 of 2 features .* row 2: x 0…0, y 0…0"):
        read_layer(tmp_path / "s.gpkg", role="settlements")


def test_non_finite_and_implausible_numbers_rejected_naming_rows(
    county: Path, tmp_path: Path
) -> None:
    supplies = gpd.read_file(county / "county.gpkg", layer="supplies")
    for value, shown in ((np.inf, "inf"), (1e300, "1e+300"), (-5.0, "-5.0")):
        bad = supplies.copy()
        bad["land_price"] = [1e6, value]
        bad.to_file(tmp_path / "s.gpkg", layer="supplies")
        with pytest.raises(InputError) as err:
            read_layer(tmp_path / "s.gpkg", role="supplies")
        assert (
            f"field land_price must be a finite number from 0 to 1e+15, but rows 2 ({shown})"
            in str(err.value)
        )
    # text columns: "inf" and "1e300" are read as numbers, then refused the same way
    text = supplies.copy()
    text["land_price"] = ["1e300", "inf"]
    text.to_file(tmp_path / "t.gpkg", layer="supplies")
    with pytest.raises(InputError, match=r"rows 1 \('1e300'\), 2 \('inf'\)"):
        read_layer(tmp_path / "t.gpkg", role="supplies")
    # through the CLI: exit 2, and no summary.json with "idle_fee_total": Infinity
    bad = supplies.copy()
    bad["land_price"] = [np.inf, 0.0]
    bad.to_file(tmp_path / "s.gpkg", layer="supplies")
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["audit", "--approvals", f"{county / 'county.gpkg'}:approvals",
                                    "--supplies", str(tmp_path / "s.gpkg"), "--as-of",
                                    "2026-06-30", "--out", str(out)])  # fmt: skip
    assert res.exit_code == 2 and "land_price" in res.output and "rows 1 (inf)" in res.output
    assert _files(out) == []


def test_strict_json_writer() -> None:
    text = dumps_json({"a": np.float32("nan"), "b": [pd.NA, pd.NaT, np.int64(2)], "c": 1.5})
    assert _strict(text) == {"a": None, "b": [None, None, 2], "c": 1.5}
    with pytest.raises(ValueError, match=r"summary: fees\[1\] is inf"):
        dumps_json({"fees": [1.0, float("inf")]}, where="summary")
    with pytest.raises(ValueError, match="-inf"):
        dumps_json({"x": np.float64("-inf")})


def _gbk_shapefile(folder: Path, name: str = "parks") -> list[Path]:
    """A GBK shapefile written the way county software writes it: no .cpg, language byte 0."""
    g = gpd.GeoDataFrame(
        {"园区编号": ["Y1"], "园区名称": ["示范园"]},
        geometry=[shapely.box(X0, Y0, X0 + 500, Y0 + 400)],
        crs=4547,
    )
    folder.mkdir(parents=True, exist_ok=True)
    shp = folder / f"{name}.shp"
    pyogrio.write_dataframe(g, shp, encoding="GBK")
    shp.with_suffix(".cpg").unlink(missing_ok=True)
    dbf = bytearray(shp.with_suffix(".dbf").read_bytes())
    dbf[29] = 0
    shp.with_suffix(".dbf").write_bytes(bytes(dbf))
    return sorted(folder.glob(f"{name}.*"))


def test_zipped_shapefile_read_like_an_unzipped_one(tmp_path: Path) -> None:
    files = _gbk_shapefile(tmp_path / "shp")
    flat, nested, two = tmp_path / "flat.zip", tmp_path / "nested.zip", tmp_path / "two.zip"
    with zipfile.ZipFile(flat, "w") as z:
        for f in files:
            z.write(f, f.name)
    with zipfile.ZipFile(nested, "w") as z:
        for f in files:
            z.write(f, f"导出/{f.name}")
    other = _gbk_shapefile(tmp_path / "shp2", "other")
    with zipfile.ZipFile(two, "w") as z:
        for f in [*files, *other]:
            z.write(f, f.name)
    for src in (flat, nested, f"{two}:parks", f"zip://{nested}", f"zip://{two}!parks.shp"):
        gdf = read_layer(src, role="parks")
        assert gdf["park_id"].tolist() == ["Y1"] and gdf["name"].tolist() == ["示范园"]
        assert gdf.area.tolist() == pytest.approx([2e5])  # 500 m x 400 m
    with pytest.raises(
        LayerNotFoundError, match=r"several shapefiles \(other, parks\).*two\.zip:<name>"
    ):
        read_layer(two, role="parks")
    with pytest.raises(LayerNotFoundError, match="no shapefile 'nope'"):
        read_layer(f"{two}:nope", role="parks")


def test_text_in_a_wrong_encoding_is_a_clear_error(tmp_path: Path) -> None:
    fc = {"type": "FeatureCollection", "features": [{"type": "Feature",
          "properties": {"park_id": "P1", "name": "示范园"},
          "geometry": {"type": "Point", "coordinates": [114.0, 34.0]}}]}  # fmt: skip
    path = tmp_path / "gbk.geojson"
    path.write_bytes(json.dumps(fc, ensure_ascii=False).encode("gbk"))
    with pytest.raises(InputError, match="text of field name is not in the encoding .*UTF-8"):
        read_layer(path)


def test_a_map_layer_off_the_globe_is_named() -> None:
    """A frame built in code (not read) with a polygon at 1e12 m: before, the map encoder failed
    with "ValueError: integer too large for the map encoding"."""
    from geoplan import maps

    g = gpd.GeoDataFrame(
        {"name": ["ok", "far"]},
        geometry=[shapely.box(X0, Y0, X0 + 100, Y0 + 100), shapely.box(1e12, 1e12, 1e12 + 1, 1e12 + 1)],
        crs=4547,
    )  # fmt: skip
    with pytest.raises(
        InputError, match=r"Map layer '地块': 1 feature\(s\) \(rows 1\) .* no place"
    ):
        maps.add_polygons(maps.new_map((113.0, 34.0, 114.0, 35.0)), g, name="地块")
