"""Composition, functional zones, township table, zoning check, rasters and the zones CLI."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geoplan.cli import main
from geoplan.errors import InputError, MissingExtraError, UnknownCodeError
from geoplan.zones import functional_zones, h3_units, landuse_composition, make_grid

CRS = "EPSG:4547"
X0, Y0 = 500_000.0, 3_800_000.0  # a real place in GK zone 4547 (~114°E, 34°N)


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def layer(
    codes: list[str], geoms: list[shapely.Geometry], **cols: list[object]
) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"DLBM": codes, **cols}, geometry=geoms, crs=CRS)


@pytest.fixture
def plan() -> gpd.GeoDataFrame:
    """Four parcels on a 200 × 200 m square; a 100 m grid gives hand-computable shares."""
    tri = shapely.Polygon([(X0, Y0 + 100), (X0 + 200, Y0 + 100), (X0, Y0 + 200)])
    return layer(
        ["0101", "0702", "0301", "1201"],
        [box(0, 0, 150, 100), box(150, 0, 200, 100), tri, box(100, 150, 200, 200)],
        CZCSXM=[None, "203", None, "203"],
    )


@pytest.fixture
def square() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["县"]}, geometry=[box(0, 0, 200, 200)], crs=CRS)


# ------------------------------------------------------------------ units


def test_grid_anchored_and_clipped_to_boundary() -> None:
    # L-shaped county: 300 × 100 plus 100 × 150 on the left
    shape = shapely.union_all([box(0, 0, 300, 100), box(0, 100, 100, 250)])
    b = gpd.GeoDataFrame(geometry=[shape], crs=CRS)
    g = make_grid(b, 100)
    assert g["cell_id"].tolist() == [0, 1, 2, 3, 6]
    assert g["area_m2"].tolist() == [1e4, 1e4, 1e4, 1e4, 5e3]
    assert g.geometry.iloc[0].bounds == (X0, Y0, X0 + 100, Y0 + 100)  # lower-left anchor
    assert math.isclose(g["area_m2"].sum(), shape.area)
    with pytest.raises(InputError, match="positive"):
        make_grid(b, 0)


def test_grid_islands() -> None:
    shape = shapely.union_all([box(0, 0, 200, 200), box(300, 300, 350, 350)])
    g = make_grid(gpd.GeoDataFrame(geometry=[shape], crs=CRS), 100)
    assert g["cell_id"].tolist() == [0, 1, 4, 5, 15]
    assert g.set_index("cell_id").loc[15, "area_m2"] == 2500.0


def test_h3_units_cover_boundary() -> None:
    b = gpd.GeoDataFrame(geometry=[box(0, 0, 3000, 2000)], crs=CRS)
    h = h3_units(b, 8)
    assert math.isclose(h["area_m2"].sum(), 6e6, rel_tol=1e-9)
    assert h["cell_id"].is_unique and len(h) > 6
    assert all(b.geometry.iloc[0].buffer(1e-6).covers(g) for g in h.geometry)
    with pytest.raises(InputError, match="resolution"):
        h3_units(b, 16)


# ------------------------------------------------------------------ composition


def test_exact_shares_on_grid(plan, square) -> None:
    comp = landuse_composition(plan, make_grid(square, 100))
    u = comp.units.set_index("cell_id")
    assert u.loc[0, ["production", "living", "ecological"]].tolist() == [1.0, 0.0, 0.0]
    assert u.loc[1, ["production", "living", "ecological"]].tolist() == [0.5, 0.5, 0.0]
    assert u.loc[2, ["production", "living", "ecological", "nodata"]].tolist() == [0, 0, 0.75, 0.25]
    assert u.loc[3, ["production", "living", "ecological", "nodata"]].tolist() == [
        0,
        0.5,
        0.25,
        0.25,
    ]
    assert u.loc[3, "living_rural"] == 0.5 and u.loc[3, "ecological_forest"] == 0.25
    assert comp.summary["landuse_outside_units_ha"] == 0.0

    z = functional_zones(comp, min_zone_area=0)
    c = z.cells.set_index("cell_id")
    assert c["dominant"].tolist() == ["production", "production", "ecological", "living"]
    assert c["mix_label"].tolist() == ["production", "production", "ecological", "living"]
    assert math.isclose(c.loc[1, "entropy"], math.log(2) / math.log(3))
    h3 = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(3)
    assert math.isclose(c.loc[3, "entropy"], h3)
    assert math.isclose(c.loc[3, "eco_index"], 2 / 3 * 0.20 + 1 / 3 * 0.73)
    assert math.isclose(c.loc[0, "eco_index"], 0.28)


def test_mixed_label_and_threshold(plan, square) -> None:
    comp = landuse_composition(plan, make_grid(square, 100))
    c = functional_zones(comp, single_share=0.7, min_zone_area=0).cells.set_index("cell_id")
    assert c.loc[1, "dominant"] == "mixed" and c.loc[1, "mix_label"] == "production+living"
    assert c.loc[3, "dominant"] == "mixed" and c.loc[3, "mix_label"] == "living+ecological"


def test_by_sanlei_and_code(plan, square) -> None:
    cells = make_grid(square, 100)
    u = landuse_composition(plan, cells, by="sanlei").units.set_index("cell_id")
    assert u.loc[1, ["agricultural_land", "construction_land"]].tolist() == [0.5, 0.5]
    assert u.loc[3, ["agricultural_land", "construction_land"]].tolist() == [0.25, 0.5]
    codes = landuse_composition(plan, cells, by="code").units
    assert codes["code_0301"].sum() == 1.0  # 7500 + 2500 over 10000-m² cells


def test_kcmj_added_back_as_tiankan(square) -> None:
    lu = layer(
        ["0103", "0301"],
        [box(0, 0, 100, 200), box(100, 0, 200, 200)],
        TBMJ=[20000.0, 20000.0],
        TBDLMJ=[16000.0, 20000.0],
        KCMJ=[4000.0, 0.0],
    )
    comp = landuse_composition(lu, make_grid(square, 100), by="code")
    u = comp.units.set_index("cell_id")
    assert u.loc[0, "code_0103"] == pytest.approx(0.8) and u.loc[0, "code_1203"] == pytest.approx(
        0.2
    )
    a = comp.areas.groupby("code")[["area_m2", "recorded_m2"]].sum()
    assert a.loc["1203", "recorded_m2"] == pytest.approx(4000.0)
    assert a.loc["0103", "recorded_m2"] == pytest.approx(16000.0)
    s = landuse_composition(lu, make_grid(square, 100)).units
    assert s["production_agricultural"].tolist() == pytest.approx([1.0, 0.0, 1.0, 0.0])


def _voronoi_parcels(n: int, seed: int) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    pts = shapely.points(rng.uniform(X0, X0 + 1000, n), rng.uniform(Y0, Y0 + 1000, n))
    frame = box(0, 0, 1000, 1000)
    polys = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame))
    polys = shapely.intersection(polys, frame)
    codes = rng.choice(["0101", "0301", "0702", "0601", "1101", "0404"], len(polys))
    return layer(list(codes), list(polys))


def test_matches_geopandas_overlay_on_clipped_cells() -> None:
    lu = _voronoi_parcels(400, 1)
    county = gpd.GeoDataFrame(geometry=[shapely.Point(X0 + 500, Y0 + 500).buffer(480)], crs=CRS)
    cells = make_grid(county, 130)
    comp = landuse_composition(lu, cells, by="code")
    ov = gpd.overlay(cells[["cell_id", "geometry"]], lu[["DLBM", "geometry"]], how="intersection")
    ov["a"] = ov.area
    ref = ov.pivot_table(index="cell_id", columns="DLBM", values="a", aggfunc="sum", fill_value=0)
    ref = ref.div(cells.set_index("cell_id")["area_m2"], axis=0)
    got = comp.units.set_index("cell_id")[[f"code_{c}" for c in ref.columns]]
    np.testing.assert_allclose(got.loc[ref.index].to_numpy(), ref.to_numpy(), atol=1e-9)


def test_polygon_units_and_reprojection(plan) -> None:
    towns = gpd.GeoDataFrame(
        {"name": ["西", "东"]},
        geometry=[
            shapely.Polygon([(X0, Y0), (X0 + 200, Y0), (X0, Y0 + 200)]),
            shapely.Polygon([(X0 + 200, Y0), (X0 + 200, Y0 + 200), (X0, Y0 + 200)]),
        ],
        crs=CRS,
    ).to_crs(4326)
    comp = landuse_composition(plan, towns, by="code")
    assert comp.units.crs.to_epsg() != 4326  # projected automatically
    total = (comp.units[[c for c in comp.classes]].mul(comp.units["area_m2"], axis=0)).sum().sum()
    assert total == pytest.approx(plan.area.sum(), rel=1e-6)


def test_units_as_cell_size_anchored_at_landuse(plan) -> None:
    comp = landuse_composition(plan, 100.0)
    assert len(comp.units) == 4 and comp.units.geometry.iloc[0].bounds[:2] == (X0, Y0)


def test_islands_zones_and_merge() -> None:
    shape = shapely.union_all([box(0, 0, 200, 200), box(300, 300, 350, 350)])
    county = gpd.GeoDataFrame(geometry=[shape], crs=CRS)
    lu = layer(["0101", "1105"], [box(0, 0, 200, 200), box(300, 300, 350, 350)])
    comp = landuse_composition(lu, 100.0, boundary=county)
    z = functional_zones(comp, min_zone_area=1e6)
    c = z.cells.set_index("cell_id")
    assert c.loc[15, "area_m2"] == 2500.0 and c.loc[15, "ecological"] == 1.0
    assert len(z.zones) == 2  # the island cannot merge: it has no neighbour
    assert z.summary["small_isolated_zones"] == 2


def test_small_zone_merges_into_longest_border() -> None:
    units = gpd.GeoDataFrame(
        {"unit_id": [1, 2, 3]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 110, 150), box(110, 0, 210, 150)],
        crs=CRS,
    )
    lu = layer(["0101", "0702", "0301"], list(units.geometry))
    comp = landuse_composition(lu, units)
    z = functional_zones(comp, min_zone_area=5000)
    assert z.cells["dominant"].tolist() == ["production", "living", "ecological"]
    assert z.cells["zone_label"].tolist() == ["production", "ecological", "ecological"]
    assert len(z.zones) == 2 and z.summary["zones_merged"] == 1
    zz = z.zones.set_index("label")
    assert zz.loc["ecological", "area_m2"] == 16500.0
    assert zz.loc["ecological", "geometry"].area == pytest.approx(16500.0)


def test_township_table_and_zoning_check() -> None:
    lu = layer(
        ["0101", "0601", "0702", "0301"],
        [
            box(0, 0, 100, 100),
            box(100, 0, 200, 100),
            box(0, 100, 100, 200),
            box(100, 100, 200, 200),
        ],
        CZCSXM=[None, "202", "203", None],
    )
    towns = gpd.GeoDataFrame(
        {"name": ["西乡", "东镇"]}, geometry=[box(0, 0, 100, 200), box(100, 0, 200, 200)], crs=CRS
    )
    zoning = gpd.GeoDataFrame(
        {"zone_type": ["ugb", "basic_farmland", "eco_redline"]},
        geometry=[box(50, 0, 200, 50), box(0, 0, 100, 150), box(50, 150, 150, 200)],
        crs=CRS,
    )
    comp = landuse_composition(lu, 100.0)
    z = functional_zones(comp, min_zone_area=0, townships=towns, zoning=zoning)
    t = z.townships.set_index("name")
    mu = 10000 / 15  # m² per 亩
    assert t.loc["西乡", "agricultural_land_mu"] == pytest.approx(10000 / mu)
    assert t.loc["西乡", "construction_land_mu"] == pytest.approx(15.0)
    assert t.loc["东镇", "construction_share"] == pytest.approx(0.5)
    assert t.loc["东镇", "production_ha"] == pytest.approx(1.0)
    assert t.loc["西乡", "entropy"] == pytest.approx(math.log(2) / math.log(3))
    assert t.loc["西乡", "construction_outside_ugb_mu"] == pytest.approx(15.0)
    assert t.loc["东镇", "construction_outside_ugb_mu"] == pytest.approx(5000 / mu)
    assert t.loc["西乡", "basic_farmland_mu"] == pytest.approx(15000 / mu)
    assert t.loc["西乡", "cultivated_in_farmland_mu"] == pytest.approx(15.0)
    assert t.loc["西乡", "non_cultivated_in_farmland_mu"] == pytest.approx(5000 / mu)
    assert t.loc["西乡", "construction_in_redline_mu"] == pytest.approx(2500 / mu)
    assert t.loc["东镇", "construction_in_redline_mu"] == 0.0
    assert z.summary["ugb_expansion_multiple"] == pytest.approx(1.5)
    assert "CZCSXM" in z.summary["ugb_basis"]


def test_regions_need_the_extra(plan, square, monkeypatch) -> None:
    comp = landuse_composition(plan, make_grid(square, 100))
    monkeypatch.setitem(sys.modules, "spopt", None)
    monkeypatch.setitem(sys.modules, "spopt.region", None)
    with pytest.raises(MissingExtraError, match=r"pip install geoplan\[regions\]"):
        functional_zones(comp, regions=2)


def test_regions_are_contiguous(plan, square) -> None:
    pytest.importorskip("spopt")  # installed by `make test` (the regions extra)
    comp = landuse_composition(plan, make_grid(square, 100))
    z = functional_zones(comp, regions=2, min_zone_area=0)
    assert sorted(z.cells["region"].unique()) == [1, 2]
    for _, cells in z.cells.groupby("region"):
        merged = shapely.union_all(cells.geometry.to_numpy())
        assert merged.geom_type == "Polygon", "a region must be one connected piece"


def test_bad_arguments(plan, square) -> None:
    comp = landuse_composition(plan, make_grid(square, 100), by="sanlei")
    with pytest.raises(InputError, match="by='sansheng'"):
        functional_zones(comp)
    with pytest.raises(InputError, match="by="):
        landuse_composition(plan, 100.0, by="colour")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="units"):
        landuse_composition(plan, "cells")  # type: ignore[arg-type]
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(X0, Y0)], crs=CRS)
    with pytest.raises(InputError, match="polygons"):
        landuse_composition(pts, 100.0)


# ------------------------------------------------------------------ raster


def _write_tif(path: Path, arr: np.ndarray, nodata: int = 0) -> Path:
    import rasterio
    from affine import Affine

    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=arr.shape[1],
        height=arr.shape[0],
        count=1,
        dtype="uint8",
        crs=CRS,
        nodata=nodata,
        transform=Affine(10, 0, X0, 0, -10, Y0 + 10 * arr.shape[0]),
    ) as ds:
        ds.write(arr.astype("uint8"), 1)
    return path


LC = np.array([[10, 10, 40, 40], [10, 10, 40, 40], [50, 50, 80, 80], [50, 50, 80, 0]])


def test_raster_partial_pixels(tmp_path) -> None:
    tif = _write_tif(tmp_path / "wc.tif", LC)
    units = gpd.GeoDataFrame(
        {"unit_id": ["a", "b"]}, geometry=[box(0, 0, 15, 40), box(25, 0, 40, 15)], crs=CRS
    )
    comp = landuse_composition(str(tif), units)
    u = comp.units.set_index("unit_id")
    # a: 2 full + 2 half pixels of tree cover (10) and of built-up (50) over 600 m²
    assert u.loc["a", ["ecological", "living", "production"]].tolist() == pytest.approx(
        [0.5, 0.5, 0]
    )
    # b: water pixels weighted .25 + .5 + .5 = 125 m² of 225; one nodata pixel = 100 m²
    assert u.loc["b", "ecological_water"] == pytest.approx(125 / 225)
    assert u.loc["b", "nodata"] == pytest.approx(100 / 225)
    assert comp.summary["scheme"] == "worldcover"


def test_raster_window_in_memory_matches_reading_by_window(tmp_path, monkeypatch) -> None:
    """The raster is read once into memory over the units' window; units reaching off the
    raster and the window-by-window path (huge rasters) give the same areas."""
    from geoplan.zones import _raster as _zones_raster

    tif = _write_tif(tmp_path / "wc.tif", LC)
    units = gpd.GeoDataFrame(
        {"unit_id": ["in", "edge", "off"]},
        geometry=[box(12, 12, 27, 33), box(30, -5, 55, 20), box(100, 100, 120, 120)],
        crs=CRS,
    )
    cols = ["landuse_m2", "ecological", "living", "production", "nodata"]
    fast = landuse_composition(str(tif), units).units.set_index("unit_id")[cols]
    monkeypatch.setattr(_zones_raster, "IN_MEMORY_PIXELS", 0)
    slow = landuse_composition(str(tif), units).units.set_index("unit_id")[cols]
    pd.testing.assert_frame_equal(fast, slow, rtol=1e-12)
    assert fast.loc["off", "landuse_m2"] == 0.0
    # 'edge' overlaps the raster's last column in its two bottom pixels: water (80) and nodata
    assert fast.loc["edge", "landuse_m2"] == pytest.approx(100.0)
    assert fast.loc["edge", "ecological"] == pytest.approx(100 / 625)


def test_raster_clcd_detected_and_unknown_values(tmp_path) -> None:
    clcd = _write_tif(tmp_path / "clcd.tif", np.where(LC == 10, 2, np.where(LC == 40, 1, LC // 10)))
    u = landuse_composition(str(clcd), 20.0).units
    assert u["production"].sum() == pytest.approx(1.0) and len(u) == 4
    bad = _write_tif(tmp_path / "bad.tif", np.full((4, 4), 77))
    with pytest.raises(UnknownCodeError, match="77"):
        landuse_composition(str(bad), 20.0)
    with pytest.raises(UnknownCodeError, match="77"):
        landuse_composition(str(bad), 20.0, scheme="worldcover")


def test_real_dem_is_not_land_cover(data_dir) -> None:
    dem = data_dir / "dem_small.tif"
    if not dem.exists():
        pytest.skip("tests/data/dem_small.tif not committed yet")
    with pytest.raises(UnknownCodeError, match="Cannot tell the scheme"):
        landuse_composition(str(dem), 100_000.0)


# ------------------------------------------------------------------ outputs and CLI


def test_files_and_map(plan, square, tmp_path) -> None:
    z = functional_zones(
        landuse_composition(plan, make_grid(square, 100)), min_zone_area=0, townships=square
    )
    files = z.to_files(tmp_path)
    assert set(pyogrio.list_layers(files["gpkg"])[:, 0]) == {"cells", "zones", "townships"}
    csv = pd.read_csv(files["csv"], encoding="utf-8-sig")
    assert list(csv.columns[:8]) == [
        "cell_id",
        "area_m2",
        "production",
        "living",
        "ecological",
        "dominant",
        "mix_label",
        "entropy",
    ]
    assert len(csv) == 4
    html = z.explore().get_root().render()
    assert "三生空间主导功能（网格）" in html and "生态空间" in html
    html_en = z.explore(lang="en").get_root().render()
    assert "dominant function (cells)" in html_en and "三生空间主导功能" not in html_en


def _package(tmp_path: Path, codes: list[str]) -> tuple[Path, Path]:
    gpkg = tmp_path / "in.gpkg"
    lu = layer(codes, [box(0, 0, 600, 400), box(600, 0, 1000, 400), box(0, 400, 1000, 1000)])
    lu.to_file(gpkg, layer="landuse")
    gpd.GeoDataFrame({"name": ["县"]}, geometry=[box(0, 0, 1000, 1000)], crs=CRS).to_file(
        gpkg, layer="boundary"
    )
    return gpkg, tmp_path / "out"


def test_cli_zones(tmp_path) -> None:
    gpkg, out = _package(tmp_path, ["0101", "0601", "0301"])
    res = CliRunner().invoke(
        main,
        [
            "zones",
            "--landuse",
            f"{gpkg}:landuse",
            "--boundary",
            f"{gpkg}:boundary",
            "--cell",
            "500",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(out / "zones.csv", encoding="utf-8-sig", dtype={"cell_id": str})
    assert len(csv) == 4
    assert csv["production"].round(6).tolist() == [0.8, 0.8, 0.0, 0.0]
    assert csv["dominant"].tolist() == ["production", "production", "ecological", "ecological"]
    assert {"cells", "zones"} <= set(pyogrio.list_layers(out / "zones.gpkg")[:, 0])


def test_cli_bad_input_exits_2(tmp_path) -> None:
    gpkg, out = _package(tmp_path, ["0101", "9999", "0301"])
    res = CliRunner().invoke(main, ["zones", "--landuse", f"{gpkg}:landuse", "--out", str(out)])
    assert res.exit_code == 2 and "9999" in res.output
    res = CliRunner().invoke(
        main,
        ["zones", "--landuse", f"{gpkg}:landuse", "--cell", "100", "--h3", "8", "--out", str(out)],
    )
    assert res.exit_code == 2 and "only one" in res.output


def test_h3_units_are_neighbours_for_zoning() -> None:
    b = gpd.GeoDataFrame(geometry=[box(0, 0, 2000, 2000)], crs=CRS)
    h = h3_units(b, 9)
    lu = layer(["0101", "0301"], [box(0, 0, 1000, 2000), box(1000, 0, 2000, 2000)])
    z = functional_zones(landuse_composition(lu, h), min_zone_area=0)
    # reprojected hexagons share edges: one zone per side of the county
    assert sorted(z.zones["label"]) == ["ecological", "production"]
    assert z.zones["n_units"].sum() == len(h)
    assert z.zones["area_m2"].sum() == pytest.approx(4e6)


def test_geographic_raster_gives_metric_areas(tmp_path) -> None:
    import rasterio
    from affine import Affine

    tif = tmp_path / "wc4326.tif"
    arr = np.array([[10, 40], [50, 80]], dtype="uint8")
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="uint8",
        crs="EPSG:4326",
        nodata=0,
        transform=Affine(0.001, 0, 114.0, 0, -0.001, 34.002),
    ) as ds:
        ds.write(arr, 1)
    u = landuse_composition(str(tif), 10_000.0).units  # one cell covering the raster
    assert len(u) == 1 and u.crs.to_epsg() == 4547
    row = u.iloc[0]
    covered = row["landuse_m2"]
    assert covered == pytest.approx(
        0.002 * 111_320 * 0.002 * 110_900 * math.cos(math.radians(34.001)), rel=0.01
    )
    for col in ("ecological_forest", "production_agricultural", "living_urban", "ecological_water"):
        assert row[col] * row["area_m2"] / covered == pytest.approx(0.25, abs=1e-3)


def test_cli_county_with_landcover_raster(tmp_path) -> None:
    _write_tif(tmp_path / "lc.tif", np.kron(LC, np.ones((5, 5), dtype=int)))  # 20 × 20 px, 200 m
    gpd.GeoDataFrame({"name": ["县"]}, geometry=[box(0, 0, 200, 200)], crs=CRS).to_file(
        tmp_path / "c.gpkg", layer="boundary"
    )
    (tmp_path / "county.toml").write_text(
        '[county]\nname = "测试县"\nas_of = "2026-06-30"\n\n[layers]\n'
        'boundary = "c.gpkg:boundary"\nlandcover = "lc.tif"\n\n'
        '[parameters.landcover]\nscheme = "worldcover"\n\n[parameters.zones]\ncell = 100\n',
        encoding="utf-8",
    )
    out = tmp_path / "out"
    res = CliRunner().invoke(main, ["zones", str(tmp_path), "--out", str(out)])
    assert res.exit_code == 0, res.output
    csv = pd.read_csv(out / "zones.csv", encoding="utf-8-sig").set_index("cell_id")
    # 100 m cells = 5 × 5 blocks of the 4 × 4 class pattern: one class per quarter
    assert csv.loc[0, "living"] == pytest.approx(1.0)  # lower-left: built-up (50)
    assert csv.loc[2, "ecological"] == pytest.approx(1.0)  # upper-left: tree cover (10)
    assert csv.loc[3, "production"] == pytest.approx(1.0)  # upper-right: cropland (40)
    assert csv.loc[1, "ecological"] == pytest.approx(0.75) and csv.loc[
        1, "nodata"
    ] == pytest.approx(0.25)


# ------------------------------------------------------------------ GEOS rectangle clip

# Parcels of synthetic counties (the demo; scale 25) for which GEOS 3.14.1's clip_by_rect is
# wrong without raising: the whole 500 m cell for a parcel that only grazes it, and a piece
# 2,300 m² too large for a parcel with a hole near a cell edge. Each with one of its cells.
BAD_CLIPS = [
    (
        "POLYGON ((587343.276564628 3866706.806971516, 587403.1505786779 3866688.000091031, "
        "587205.542560769 3866638.535361534, 587125.4316432303 3866598.826203561, "
        "587343.276564628 3866706.806971516))",
        (587130.5, 3866129.2),
    ),
    (
        "POLYGON ((665671.2781883634 3832393.740252042, 665668.8255468995 3832329.4671164607, "
        "665664.8622153609 3832252.813257476, 665685.8276775121 3832232.23613802, "
        "665690.8000379225 3832328.405386038, 665690.8067116841 3832328.5539232073, "
        "665693.2942002987 3832393.740252042, 665693.9485919501 3832410.8890297795, "
        "665694.5367720332 3832410.1074866736, 665694.760170301 3832409.8259876734, "
        "665804.1028518953 3832279.0838037087, 665808.6907843483 3832295.4205631865, "
        "665705.6147750966 3832418.669621719, 665627.7817273733 3832522.0901278052, "
        "665622.3705654478 3832519.44794551, 665848.8913811338 3832630.0543729286, "
        "665892.3737595578 3832593.3998059924, 665790.9807586522 3832232.3585122284, "
        "665686.9047945946 3832231.1789723486, 665473.8745220598 3832440.2632908337, "
        "665471.129316986 3832445.5993055073, 665614.9685171454 3832515.8336458006, "
        "665672.9950220052 3832438.7310438263, 665671.2781883634 3832393.740252042), "
        "(665677.094815067 3832546.1689059003, 665673.8405819717 3832460.889517118, "
        "665694.7941519168 3832433.0475030714, 665699.5288343496 3832557.123072377, "
        "665677.094815067 3832546.1689059003))",
        (665224.0, 3832298.0),
    ),
]


@pytest.mark.parametrize(("wkt", "corner"), BAD_CLIPS)
def test_pair_areas_survive_a_wrong_rectangle_clip(wkt: str, corner: tuple) -> None:
    from geoplan.zones._vector import pair_areas

    parcel = shapely.from_wkt(wkt)
    x, y = corner
    # the 3 × 3 block of 500 m cells around the cell, so the parcel lies inside the units
    cells = np.array(
        [shapely.box(x + i * 500, y + j * 500, x + (i + 1) * 500, y + (j + 1) * 500)
         for i in (-1, 0, 1) for j in (-1, 0, 1)],
        dtype=object,
    )  # fmt: skip
    # a parcel holding a whole cell keeps its exact area too
    big = shapely.box(x - 10, y - 10, x + 510, y + 510)
    ui, pi, area = pair_areas(cells, np.array([parcel, big], dtype=object))
    got = np.zeros((9, 2))
    got[ui, pi] = area
    exact = shapely.area(shapely.intersection(cells[:, None], np.array([[parcel, big]])))
    np.testing.assert_allclose(got, exact, rtol=1e-9, atol=1e-6)
    assert got[:, 0].sum() == pytest.approx(parcel.area, rel=1e-12)


# Parcels of the scale-25 synthetic county on which GEOS's rectangle clip raises ("Invalid
# number of points in LinearRing found 3": a clipped ring collapses), with the cell they cross.
RAISING_CLIPS = [
    ("0103000000010000000500000079499692F1022241A19BDB3FED784D41B3EF21CC200322414BEA9B3DEC784D41"
     "FE00BFBF0A032241A83F2EB6EC784D41D17BADE4EF022241A5FB7043EB784D4179499692F1022241A19BDB3F"
     "ED784D41", (590224.0, 3862798.0)),
    ("010300000001000000080000007C3E14EBB5F721417A904FFEA5774D418268A048B7F721418FC56CFBA3774D"
     "418BD3620560F7214124FBC6469F774D411F7B96D168F72141FE473AC09F774D41CFFDBD5767F7214177E127"
     "76A1774D417F80E5DD65F72141F07A152CA3774D41C75555F0B4F721419E37A96FA7774D417C3E14EBB5F721"
     "417A904FFEA5774D41", (588224.0, 3862298.0)),
]  # fmt: skip


def test_pair_areas_survive_a_rectangle_clip_that_raises() -> None:
    """A parcel whose rectangle clip raises, among thousands of parcels whose clips do not (in
    the same cells), is measured by a general intersection, and the others keep their clips."""
    from geoplan.zones._vector import pair_areas

    rng = np.random.default_rng(5)
    cells, parcels = [], []
    for hexwkb, (x, y) in RAISING_CLIPS:
        cells += [shapely.box(x + i * 500, y, x + (i + 1) * 500, y + 500) for i in (-1, 0, 1)]
        # ordinary parcels across the cell edges around the one that raises
        cx = x + rng.uniform(-500, 1000, 3000)
        cy = y + rng.uniform(0, 480, 3000)
        parcels += list(shapely.box(cx, cy, cx + 20, cy + 20)) + [shapely.from_wkb(hexwkb)]
    cells_a, parcels_a = np.array(cells, dtype=object), np.array(parcels, dtype=object)
    with pytest.raises(shapely.errors.GEOSException):
        shapely.clip_by_rect(parcels_a[3000], *shapely.bounds(cells_a[1]))
    ui, pi, area = pair_areas(cells_a, parcels_a)
    qp, qu = shapely.STRtree(cells_a).query(parcels_a)
    exact = shapely.area(shapely.intersection(cells_a[qu], parcels_a[qp]))
    want = {(int(u), int(p)): a for u, p, a in zip(qu, qp, exact, strict=True) if a > 0}
    got = {(int(u), int(p)): a for u, p, a in zip(ui, pi, area, strict=True)}
    assert set(got) == set(want)
    np.testing.assert_allclose([got[k] for k in want], list(want.values()), rtol=1e-9, atol=1e-9)


def test_overlapping_parcels_are_counted_and_warned(square, caplog) -> None:
    lu = layer(["0101", "0301"], [box(0, 0, 100, 100), box(50, 0, 100, 100)])
    with caplog.at_level("WARNING", logger="geoplan"):
        comp = landuse_composition(lu, make_grid(square, 100))
    assert comp.summary["overlap_units"] == 1
    u = comp.units.set_index("cell_id")
    first = u["landuse_m2"].idxmax()
    assert u.loc[first, "landuse_m2"] == pytest.approx(15_000.0)
    assert "overlap" in caplog.text and "1 units" in caplog.text


def test_pair_areas_of_subdivided_units_equal_plain_intersections() -> None:
    from geoplan.zones._vector import pair_areas, subdivide

    rng = np.random.default_rng(3)
    # a 600-vertex disk and a 300-vertex ring as units; 400 random 40 m parcels
    disk = shapely.Point(0, 0).buffer(500, quad_segs=150)
    ring = (
        shapely.Point(900, 0)
        .buffer(300, quad_segs=75)
        .difference(shapely.Point(900, 0).buffer(100))
    )
    units = np.array([disk, ring, shapely.box(-1000, -1000, -600, -600)], dtype=object)
    xy = rng.uniform(-1100, 1300, (400, 2))
    parcels = shapely.box(xy[:, 0], xy[:, 1], xy[:, 0] + 40, xy[:, 1] + 40)
    ui, pi, area = pair_areas(units, parcels)
    # independently: every unit x parcel intersection area, no pieces
    full = shapely.area(shapely.intersection(units[:, None], parcels[None, :]))
    want = {(int(u), int(p)): full[u, p] for u, p in zip(*np.nonzero(full > 0), strict=True)}
    got = {(int(u), int(p)): a for u, p, a in zip(ui, pi, area, strict=True)}
    assert set(got) == set(want)
    assert max(abs(got[k] - want[k]) for k in want) < 1e-6
    pieces, owner = subdivide(units[:2], max_vertices=64)
    assert shapely.get_num_coordinates(pieces).max() <= 64
    np.testing.assert_allclose(np.bincount(owner, shapely.area(pieces)), shapely.area(units[:2]))


def test_rectangle_adjacency_equals_shared_boundary_length() -> None:
    from geoplan.zones._vector import adjacency, make_grid_cells

    boundary = shapely.Point(0, 0).buffer(2000, quad_segs=16)
    cells, _, _ = make_grid_cells(boundary, 500.0)
    # an overlapping rectangle takes the general way (its shared edges are partial)
    cells = np.append(cells, shapely.box(-250, -250, 250, 250))
    i, j, length = adjacency(cells)
    # independently: every pair's snapped shared boundary, kept when longer than the snap
    ai, aj = np.triu_indices(len(cells), 1)
    lines = shapely.set_precision(shapely.boundary(cells), 0.01)
    every = shapely.length(shapely.intersection(lines[ai], lines[aj]))
    keep = every > 0.01
    got = dict(zip(zip(i.tolist(), j.tolist(), strict=True), length.tolist(), strict=True))
    want = dict(zip(zip(ai[keep].tolist(), aj[keep].tolist(), strict=True),
                    every[keep].tolist(), strict=True))  # fmt: skip
    assert set(got) == set(want)
    assert max(abs(got[k] - want[k]) for k in want) < 0.02
    # inner grid cells have 4 neighbours sharing 500 m each; diagonal ones are not neighbours
    inner = shapely.area(cells[:-1]) == 250_000
    assert set(np.round(length[inner[i] & inner[j] & (j < len(cells) - 1)], 6)) == {500.0}
