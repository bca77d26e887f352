"""read_layer: formats, roles, aliases, types, dates, encodings, repair and errors."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

from geoplan.errors import (
    CRSError,
    DataFileNotFoundError,
    DateParseError,
    EmptyLayerError,
    GeometryTypeError,
    InputError,
    LayerNotFoundError,
    MissingFieldError,
)
from geoplan.io import atomic_path, list_layers, read_layer, read_report, write_gpkg, write_json

CRS = "EPSG:4547"
# read_layer rejects coordinates outside the CRS's area of use: EPSG:4547 fixtures sit at
# (X0, Y0) + (x, y), about 114°E 34.3°N (the offsets change no area or distance)
X0, Y0 = 500_000.0, 3_800_000.0


def rect(x0: float, y0: float, w: float, h: float) -> shapely.Polygon:
    """A w x h rectangle at (x0, y0) from the EPSG:4547 fixture origin (X0, Y0)."""
    return shapely.box(X0 + x0, Y0 + y0, X0 + x0 + w, Y0 + y0 + h)


def lonlat_rect(lon: float, lat: float, w: float, h: float) -> shapely.Polygon:
    return shapely.box(lon, lat, lon + w, lat + h)


def gk(geom: shapely.Geometry) -> shapely.Geometry:
    """A geometry written around (0, 0), moved to the EPSG:4547 fixture origin."""
    return shapely.transform(geom, lambda xy: xy + (X0, Y0))


def approvals_cn() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "批次名称": ["2019年第1批次", "2020年第2批次", "单独选址A"],
            "批准文号": ["豫政土〔2019〕1号", "豫政土〔2020〕22号", None],
            "批准日期": ["2019-03-05", "2020/7/9", "2021年1月2日"],
            "备注": ["a", "b", "c"],
        },
        geometry=[rect(0, 0, 100, 50), rect(200, 0, 30, 30), rect(0, 200, 10, 10)],
        crs=CRS,
    )


def test_gpkg_role_aliases_types_and_added_fields(tmp_path: Path) -> None:
    path = tmp_path / "c.gpkg"
    approvals_cn().to_file(path, layer="approvals", engine="pyogrio")
    gdf = read_layer(f"{path}:approvals", role="approvals")
    assert list(gdf["batch_id"]) == ["2019年第1批次", "2020年第2批次", "单独选址A"]
    assert gdf["approved_on"].dt.strftime("%Y-%m-%d").tolist() == [
        "2019-03-05",
        "2020-07-09",
        "2021-01-02",
    ]
    assert gdf["approval_no"].isna().tolist() == [False, False, True]
    # optional canonical field absent from the file exists, all null
    assert gdf["approval_type"].isna().all()
    assert "备注" in gdf.columns  # other columns are kept
    rep = read_report(gdf)
    assert rep is not None and rep.renamed["批次名称"] == "batch_id"
    assert "approval_type" in rep.added
    np.testing.assert_allclose(gdf.area.to_numpy(), [5000.0, 900.0, 100.0])


def test_supplies_numbers_percent_bool_and_explicit_mapping(tmp_path: Path) -> None:
    path = tmp_path / "s.gpkg"
    gpd.GeoDataFrame(
        {
            "JGH": ["A1", "A2", "A3"],
            "约定动工日期": ["20200101", "44260", None],
            "已开发比例": ["35%", "0.2", ""],
            "成交价款": ["1,200,000", "800000", None],
            "政府原因": ["是", "否", None],
        },
        geometry=[rect(0, 0, 10, 10)] * 3,
        crs=CRS,
    ).to_file(path, engine="pyogrio")
    gdf = read_layer(path, role="supplies", fields={"supply_id": "JGH"})
    assert list(gdf["supply_id"]) == ["A1", "A2", "A3"]
    assert gdf["agreed_start"].iloc[1] == pd.Timestamp("2021-03-05")
    np.testing.assert_allclose(gdf["developed_ratio"].to_numpy(), [0.35, 0.2, np.nan])
    np.testing.assert_allclose(gdf["land_price"].to_numpy(), [1.2e6, 8e5, np.nan])
    assert gdf["gov_cause"].tolist()[:2] == [True, False] and gdf["gov_cause"].isna().iloc[2]


def test_codes_stay_strings(tmp_path: Path) -> None:
    path = tmp_path / "lu.gpkg"
    gpd.GeoDataFrame(
        {"DLBM": ["0101", "05H1", "1107A"], "TBDLMJ": [1.0, 2.0, 3.0], "CZCSXM": [None, 201, 203]},
        geometry=[rect(0, 0, 1, 1)] * 3,
        crs=CRS,
    ).to_file(path, engine="pyogrio")
    gdf = read_layer(path, role="landuse")
    assert gdf["DLBM"].tolist() == ["0101", "05H1", "1107A"]
    assert gdf["CZCSXM"].tolist()[1:] == ["201", "203"]


def test_settlement_kinds_mapped_and_unknown_rejected(tmp_path: Path) -> None:
    path = tmp_path / "p.geojson"
    pts = gpd.GeoDataFrame(
        {
            "名称": ["城关", "张镇", "李村"],
            "类型": ["县城", "镇", "村"],
            "人口": [80000, 9000, 600],
        },
        geometry=[gk(shapely.Point(0, 0)), gk(shapely.Point(1000, 0)), gk(shapely.Point(0, 1000))],
        crs=CRS,
    )
    pts.to_file(path, engine="pyogrio")
    gdf = read_layer(path, role="settlements")
    assert gdf["kind"].tolist() == ["county_seat", "town", "village"]
    assert gdf["population"].tolist() == [80000.0, 9000.0, 600.0]
    pts.assign(类型=["县城", "集市", "村"]).to_file(path, engine="pyogrio")
    with pytest.raises(InputError, match="集市"):
        read_layer(path, role="settlements")


def test_missing_required_field_lists_columns_and_aliases(tmp_path: Path) -> None:
    path = tmp_path / "a.gpkg"
    approvals_cn().drop(columns=["批准日期"]).to_file(path, engine="pyogrio")
    with pytest.raises(MissingFieldError) as err:
        read_layer(path, role="approvals")
    msg = str(err.value)
    assert "approved_on" in msg and "PZRQ" in msg and "批次名称" in msg and str(path) in msg


def test_unparseable_dates_give_row_ids(tmp_path: Path) -> None:
    path = tmp_path / "a.gpkg"
    approvals_cn().assign(批准日期=["2019-03-05", "不详", "2021-02-30"]).to_file(
        path, engine="pyogrio"
    )
    with pytest.raises(DateParseError) as err:
        read_layer(path, role="approvals")
    msg = str(err.value)
    assert "approved_on" in msg and "'不详'" in msg and "'2021-02-30'" in msg


def test_missing_file_and_unknown_layer(tmp_path: Path) -> None:
    with pytest.raises(DataFileNotFoundError, match="nope.gpkg"):
        read_layer(tmp_path / "nope.gpkg")
    path = tmp_path / "two.gpkg"
    g = approvals_cn()
    write_gpkg(path, {"approvals": g, "other": g})
    with pytest.raises(LayerNotFoundError, match="approvals, other|other, approvals"):
        read_layer(f"{path}:missing")
    with pytest.raises(LayerNotFoundError, match="several layers"):
        read_layer(path)
    # a layer named like the role is chosen without asking
    assert len(read_layer(path, role="approvals")) == 3
    assert sorted(list_layers(path)) == ["approvals", "other"]


def test_missing_crs_says_how_to_fix(tmp_path: Path) -> None:
    path = tmp_path / "nocrs.shp"
    g = gpd.GeoDataFrame({"name": ["x"]}, geometry=[lonlat_rect(114.0, 34.0, 0.01, 0.01)])
    with pytest.warns(UserWarning, match="crs"):
        g.to_file(path, engine="pyogrio")
    with pytest.raises(CRSError) as err:
        read_layer(path, role="boundary")
    assert "longitude/latitude" in str(err.value) and "crs=" in str(err.value)
    ok = read_layer(path, role="boundary", crs="EPSG:4490")
    assert ok.crs.to_epsg() == 4490
    assert read_report(ok).crs_assigned  # type: ignore[union-attr]


def test_wrong_geometry_type(tmp_path: Path) -> None:
    path = tmp_path / "lines.gpkg"
    gpd.GeoDataFrame(
        {"name": ["a"]}, geometry=[gk(shapely.LineString([(0, 0), (1, 1)]))], crs=CRS
    ).to_file(path, engine="pyogrio")
    with pytest.raises(GeometryTypeError, match="polygon"):
        read_layer(path, role="townships")


def test_empty_layer(tmp_path: Path) -> None:
    path = tmp_path / "empty.gpkg"
    approvals_cn().iloc[:0].to_file(path, engine="pyogrio")
    with pytest.raises(EmptyLayerError, match="no features"):
        read_layer(path, role="approvals")


def test_invalid_geometries_repaired_and_counted(tmp_path: Path) -> None:
    bowtie = gk(shapely.Polygon([(0, 0), (10, 10), (10, 0), (0, 10)]))  # two triangles of 25 m²
    sliver = gk(shapely.Polygon([(0, 0), (10, 0), (20, 0)]))  # collapses to a line
    path = tmp_path / "bad.gpkg"
    gpd.GeoDataFrame(
        {"name": ["ok", "bowtie", "sliver"]},
        geometry=[rect(0, 0, 2, 2), bowtie, sliver],
        crs=CRS,
    ).to_file(path, engine="pyogrio")
    gdf = read_layer(path, role="townships")
    rep = read_report(gdf)
    assert rep is not None and rep.repaired == 2 and rep.dropped_unrepairable == 1
    assert gdf["name"].tolist() == ["ok", "bowtie"]
    assert gdf.geometry.is_valid.all()
    assert gdf.area.tolist() == pytest.approx([4.0, 50.0])


@pytest.mark.parametrize("with_cpg", [True, False])
def test_gbk_shapefile(tmp_path: Path, with_cpg: bool) -> None:
    path = tmp_path / "townships.shp"
    names = ["城关镇", "固阳镇", "南漳镇"]
    g = gpd.GeoDataFrame(
        {"乡镇名称": names}, geometry=[rect(i * 10, 0, 10, 10) for i in range(3)], crs=CRS
    )
    pyogrio.write_dataframe(g, path, encoding="GBK")
    raw = path.with_suffix(".dbf").read_bytes()
    assert "城关镇".encode("gbk") in raw  # really GBK on disk
    if not with_cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
        dbf = bytearray(raw)
        dbf[29] = 0  # no language-driver hint either: detection must use the bytes
        path.with_suffix(".dbf").write_bytes(bytes(dbf))
    gdf = read_layer(path, role="townships")
    assert gdf["name"].tolist() == names


def test_wrong_cpg_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "t.shp"
    g = gpd.GeoDataFrame({"乡镇名称": ["城关镇"]}, geometry=[rect(0, 0, 1, 1)], crs=CRS)
    pyogrio.write_dataframe(g, path, encoding="GBK")
    path.with_suffix(".cpg").write_text("UTF-8")
    with pytest.raises(InputError, match=r"\.cpg.*GBK"):
        read_layer(path, role="townships")


def test_utf8_shapefile_without_cpg(tmp_path: Path) -> None:
    path = tmp_path / "t.shp"
    g = gpd.GeoDataFrame({"name": ["张庄"]}, geometry=[rect(0, 0, 1, 1)], crs=CRS)
    pyogrio.write_dataframe(g, path, encoding="UTF-8")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    assert read_layer(path, role="townships")["name"].tolist() == ["张庄"]


def test_geoparquet_and_filegdb(tmp_path: Path) -> None:
    g = approvals_cn()
    g.to_parquet(tmp_path / "a.parquet")
    assert (
        read_layer(tmp_path / "a.parquet", role="approvals")["batch_id"].iloc[0] == "2019年第1批次"
    )
    gdb = tmp_path / "land.gdb"
    pyogrio.write_dataframe(g, gdb, layer="PZYD", driver="OpenFileGDB")
    got = read_layer(f"{gdb}:PZYD", role="approvals")
    assert got.area.sum() == pytest.approx(6000.0)


def test_reprojection_on_read(tmp_path: Path) -> None:
    path = tmp_path / "b.geojson"
    gpd.GeoDataFrame(
        {"name": ["x"]}, geometry=[lonlat_rect(114.0, 34.0, 0.01, 0.01)], crs=4490
    ).to_file(path, engine="pyogrio")
    gdf = read_layer(path, role="boundary", crs=4547)
    assert gdf.crs.to_epsg() == 4547
    # 0.01° x 0.01° at 34°N ≈ 1.11 km x 0.92 km
    assert 1.0e6 < gdf.area.iloc[0] < 1.05e6


def test_atomic_writes_leave_nothing_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_json(target, {"a": np.int64(3), "d": pd.Timestamp("2021-01-02")})
    assert target.read_text(encoding="utf-8").count('"a": 3') == 1
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("boom")
    assert '"a": 3' in target.read_text(encoding="utf-8")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_cut_field_names_ambiguous_asks_for_a_mapping() -> None:
    """实际动工日期 and 实际动工面积 both become 实际动 in UTF-8 (9 bytes + a split character)."""
    from geoplan.io._fields import normalise_fields
    from geoplan.io._schema import Field, Role

    role = Role(
        "supplies",
        "polygon",
        (Field("supply_id", "str", True, ("电子监管号",)),
         Field("actual_start", "date", False, ("实际动工日期",)),
         Field("built_area", "float", False, ("实际动工面积",))),
    )  # fmt: skip
    g = gpd.GeoDataFrame(
        {"电子监": ["A"], "实际动": ["2020-01-01"]}, geometry=[rect(0, 0, 1, 1)], crs=CRS
    )
    with pytest.raises(
        InputError, match=r"ambiguous.*实际动.*actual_start.*built_area.*\[fields\.supplies\]"
    ):
        normalise_fields(g, role, None, "x.shp", {}, [])
    out = normalise_fields(g, role, {"actual_start": "实际动"}, "x.shp", {}, [])
    assert out["actual_start"].iloc[0] == pd.Timestamp("2020-01-01")
    assert out["supply_id"].iloc[0] == "A"  # 电子监 is the cut of 电子监管号 only


def test_crs_hint_names_the_zone_epsg(tmp_path: Path) -> None:
    from geoplan.errors import CRSError

    def no_crs(x: float, y: float) -> Path:
        g = gpd.GeoDataFrame({"名称": ["a"]}, geometry=[shapely.box(x, y, x + 10, y + 10)], crs=CRS)
        path = tmp_path / f"{int(x)}.shp"
        g.to_file(path)
        path.with_suffix(".prj").unlink()
        return path

    cases = [
        (39_500_000, 3_800_000, "EPSG:4527"),  # 3° zone 39 with prefix
        (38_400_000, 3_800_000, "EPSG:4526"),  # 3° zone 38
        (20_500_000, 4_000_000, "EPSG:4498"),  # 6° zone 20 with prefix
        (114.2, 34.8, "EPSG:4490"),  # longitude/latitude
    ]
    for x, y, epsg in cases:
        with pytest.raises(CRSError) as err:
            read_layer(no_crs(x, y), role="boundary")
        assert epsg in str(err.value) and 'boundary = "' + epsg + '"' in str(err.value)
    with pytest.raises(CRSError, match="without a zone prefix"):
        read_layer(no_crs(500_000, 3_800_000), role="boundary")
    # source_crs sets it; the report says where it came from
    g = read_layer(no_crs(39_500_000, 3_800_000), role="boundary", source_crs="EPSG:4527")
    assert g.crs.to_epsg() == 4527
    assert g.attrs["read_report"].source_crs.startswith("EPSG:4527")
