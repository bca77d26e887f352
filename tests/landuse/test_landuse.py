"""Land-use schemes as data, scheme detection, classification and the 三调 area rules."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geoplan.errors import InputError, MissingFieldError, UnknownCodeError
from geoplan.landuse import (
    SANLEI,
    SANSHENG_SUBS,
    classify_landuse,
    detect_scheme,
    eco_weights,
    load_crosswalk,
    load_scheme,
)

CRS = "EPSG:4547"

# domain notes §3.1 三大类 (second-level 三调 codes), typed independently of the CSV
AGRI = {
    "0101",
    "0102",
    "0103",
    "0201",
    "0202",
    "0203",
    "0204",
    "0301",
    "0302",
    "0305",
    "0307",
    "0303",
    "0304",
    "0306",
    "0401",
    "0402",
    "0403",
    "1006",
    "1104",
    "1107",
    "1202",
    "1203",
}
UNUSED = {"0404", "1101", "1102", "1105", "1106", "1108", "1110", "1204", "1205", "1206", "1207"}
CONSTRUCTION = {
    "05H1",
    "0508",
    "0601",
    "0602",
    "0603",
    "0701",
    "0702",
    "08H1",
    "08H2",
    "0809",
    "0810",
    "1001",
    "1002",
    "1003",
    "1004",
    "1005",
    "1007",
    "1008",
    "1009",
    "1109",
    "1201",
}
# domain notes §3.4 default 三生 mapping
PROD_AGRI = {
    "0101",
    "0102",
    "0103",
    "0201",
    "0202",
    "0203",
    "0204",
    "1006",
    "1104",
    "1107",
    "1202",
    "1203",
}
PROD_IND = {
    "0508",
    "0601",
    "0602",
    "1001",
    "1002",
    "1003",
    "1005",
    "1007",
    "1008",
    "1009",
    "1109",
    "05H1",
}
LIV_URBAN = {"0701", "08H1", "08H2", "0809", "1004", "09"}
LIV_RURAL = {"0702"}
ECO = {
    "00",
    "0301",
    "0302",
    "0305",
    "0307",
    "0401",
    "0403",
    "0404",
    "0810",
    "1101",
    "1102",
    "1103",
    "1105",
    "1106",
    "1108",
    "1110",
    "1204",
    "1205",
    "1206",
    "1207",
    "0303",
    "0304",
    "0306",
    "0402",
}
# domain notes §3.2: one-to-one crosswalk pairs
ONE_TO_ONE = {
    "0305": "0303",
    "0307": "0304",
    "0403": "0402",
    "0404": "0403",
    "0303": "0507",
    "0304": "0501",
    "0306": "0502",
    "0402": "0503",
    "1105": "0505",
    "1106": "0506",
    "0603": "1003",
    "0508": "1101",
    "0601": "1001",
    "0602": "1002",
    "0702": "0703",
    "09": "15",
    "1001": "1201",
    "1003": "1202",
    "1004": "1207",
    "1006": "0601",
    "1007": "1203",
    "1008": "1204",
    "1009": "1205",
    "1101": "1701",
    "1102": "1702",
    "1103": "1703",
    "1104": "1704",
    "1107": "1705",
    "1201": "2301",
    "1202": "0602",
    "1203": "2303",
    "1204": "2304",
    "1205": "2305",
    "1206": "2306",
    "1207": "2307",
}
YDYH_FIRST = [
    "耕地",
    "园地",
    "林地",
    "草地",
    "湿地",
    "农业设施建设用地",
    "居住用地",
    "公共管理与公共服务用地",
    "商业服务业用地",
    "工矿用地",
    "仓储用地",
    "交通运输用地",
    "公用设施用地",
    "绿地与开敞空间用地",
    "特殊用地",
    "留白用地",
    "陆地水域",
]


def parcels(codes: list[str], **cols: list[object]) -> gpd.GeoDataFrame:
    geoms = [shapely.box(i * 10, 0, i * 10 + 10, 10) for i in range(len(codes))]
    return gpd.GeoDataFrame({"DLBM": codes, **cols}, geometry=geoms, crs=CRS)


# ------------------------------------------------------------------ scheme tables


def test_every_sandiao_code_maps() -> None:
    t = load_scheme("sandiao").table
    assert len(t) > 100
    assert t["sanlei"].isin(SANLEI).all()
    for code, row in t.iterrows():
        assert row["sansheng_sub"] in SANSHENG_SUBS[row["sansheng"]], code
    for code in AGRI:
        assert t.loc[code, "sanlei"] == "农用地", code
    for code in UNUSED:
        assert t.loc[code, "sanlei"] == "未利用地", code
    for code in CONSTRUCTION:
        assert t.loc[code, "sanlei"] == "建设用地", code
    # the 三调 extensions are there
    for code in ("00", "05H1", "0508", "08H1", "08H2", "0810A", "1104A", "1107A", "0201K"):
        assert code in t.index


def test_default_sansheng_mapping_follows_domain_notes() -> None:
    t = load_scheme("sandiao").table
    for codes, fn, sub in (
        (PROD_AGRI, "production", "agricultural"),
        (PROD_IND, "production", "industrial"),
        (LIV_URBAN, "living", "urban"),
        (LIV_RURAL, "living", "rural"),
    ):
        for code in codes:
            assert (t.loc[code, "sansheng"], t.loc[code, "sansheng_sub"]) == (fn, sub), code
    for code in ECO:
        assert t.loc[code, "sansheng"] == "ecological", code
    assert t.loc["0101", "cultivated"] and not t.loc["0201", "cultivated"]


def test_ydyh2023_table() -> None:
    t = load_scheme("ydyh2023").table
    first = t[t["level"] == 1]
    assert len(first) == 24
    assert first["name"].tolist()[:17] == YDYH_FIRST
    assert list(first.index) == [f"{i:02d}" for i in range(1, 25)]
    assert t["sanlei"].isin([*SANLEI, "海域"]).all()
    # same code, different meaning: 1001 is 工业用地 here, 铁路用地 in 三调
    assert t.loc["1001", "name"] == "工业用地"
    assert load_scheme("sandiao").table.loc["1001", "name"] == "铁路用地"
    # every second-level code's parent is a first-level code
    second = t[t["level"] == 2]
    assert second["parent"].isin(first.index).all()
    assert (second.index.str[:2] == second["parent"]).all()


def test_crosswalk() -> None:
    cw = load_crosswalk().set_index("sandiao_code")
    sandiao = load_scheme("sandiao").table
    ydyh = load_scheme("ydyh2023").table
    assert set(cw.index) == set(sandiao.index)
    for code in ("05H1", "08H1", "08H2", "0810"):
        assert cw.loc[code, "ambiguous"] and pd.isna(cw.loc[code, "ydyh_code"])
    for src, dst in ONE_TO_ONE.items():
        assert cw.loc[src, "ydyh_code"] == dst and not cw.loc[src, "ambiguous"], src
    targets = set(cw["ydyh_code"].dropna())
    cands = {c for v in cw["candidates"] for c in v.split(";")}
    assert targets <= set(ydyh.index) and cands <= set(ydyh.index)
    assert (cw["ambiguous"] == cw["ydyh_code"].isna()).all()


def test_raster_schemes_and_weights() -> None:
    wc = load_scheme("worldcover").table
    assert list(wc.index) == ["10", "20", "30", "40", "50", "60", "70", "80", "90", "95", "100"]
    clcd = load_scheme("clcd").table
    assert list(clcd.index) == [str(i) for i in range(1, 10)]
    assert wc.loc["40", "sansheng"] == "production" and clcd.loc["8", "sansheng"] == "living"
    w = eco_weights()
    assert w == {
        "agricultural": 0.28,
        "industrial": 0.15,
        "urban": 0.2,
        "rural": 0.2,
        "forest": 0.73,
        "grass": 0.53,
        "water": 0.62,
        "wetland": 0.63,
        "other": 0.03,
    }


def test_unknown_scheme_name() -> None:
    with pytest.raises(InputError, match="Unknown land-use scheme"):
        load_scheme("corine")


# ------------------------------------------------------------------ detection


def test_detect_scheme() -> None:
    assert detect_scheme(pd.DataFrame({"DLBM": [], "DLMC": []})) == ("sandiao", "DLBM")
    assert detect_scheme(pd.DataFrame({"YDYHFLDM": []})) == ("ydyh2023", "YDYHFLDM")
    assert detect_scheme(pd.DataFrame({"GHDLBM": []})) == ("ydyh2023", "GHDLBM")
    with pytest.raises(InputError, match="several schemes"):
        detect_scheme(pd.DataFrame({"DLBM": [], "GHDLBM": []}))
    with pytest.raises(MissingFieldError, match="code_field"):
        detect_scheme(pd.DataFrame({"landuse": []}))


def test_classify_planning_layer_uses_ydyh() -> None:
    gdf = gpd.GeoDataFrame(
        {"YDYHFLDM": ["1001", "0703"]}, geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=CRS
    )
    out = classify_landuse(gdf)
    assert out["class_name"].tolist() == ["工业用地", "农村宅基地"]
    assert out["sansheng_sub"].tolist() == ["industrial", "rural"]


# ------------------------------------------------------------------ classification


def test_classify_adds_classes_and_keeps_input() -> None:
    gdf = parcels(["0101", "05H1", "0810", "09"])
    before = gdf.copy()
    out = classify_landuse(gdf)
    pd.testing.assert_frame_equal(gdf, before)
    assert out["scheme"].tolist() == ["sandiao"] * 4
    assert out["sanlei"].tolist() == ["农用地", "建设用地", "建设用地", "建设用地"]
    assert out["sansheng"].tolist() == ["production", "production", "ecological", "living"]
    assert out["area_m2"].tolist() == [100.0] * 4


def test_code_normalisation() -> None:
    gdf = parcels([" 0702 ", "05h1", "101", "9", "201k"])
    out = classify_landuse(gdf)
    assert out["code"].tolist() == ["0702", "05H1", "0101", "09", "0201K"]
    assert out.attrs["landuse_report"]["codes_padded"] == {"101": 1, "9": 1, "201K": 1}


def test_numeric_codes() -> None:
    gdf = gpd.GeoDataFrame(
        {"DLBM": [101.0, 1001.0]}, geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=CRS
    )
    assert classify_landuse(gdf)["code"].tolist() == ["0101", "1001"]


def test_unknown_codes_raise_and_keep() -> None:
    gdf = parcels(["0101", "9999", "9999", "ABC", None])
    with pytest.raises(UnknownCodeError) as err:
        classify_landuse(gdf)
    msg = str(err.value)
    assert "9999 (2×)" in msg and "ABC (1×)" in msg and "DLBM" in msg and "unknown='keep'" in msg
    out = classify_landuse(gdf, unknown="keep")
    assert out["sansheng"].isna().tolist() == [False, True, True, True, True]
    assert out["code"].tolist()[:3] == ["0101", "9999", "9999"]
    assert out.attrs["landuse_report"]["unknown_codes"] == {"9999": 2, "ABC": 1}
    assert out.attrs["landuse_report"]["missing_code"] == 1


def test_tbdlmj_kcmj() -> None:
    gdf = parcels(
        ["0103", "0103", "0103", "0702"],
        TBMJ=[1000.0, 1000.0, 1000.0, 500.0],
        TBDLMJ=[900.0, np.nan, np.nan, 500.0],
        KCMJ=[100.0, 150.0, np.nan, np.nan],
        KCXS=[0.1, 0.15, 0.08, 0.0],
        KCDLBM=["1203", "1203", "1203", None],
    )
    out = classify_landuse(gdf)
    assert out["class_area_m2"].tolist() == [900.0, 850.0, 920.0, 500.0]
    assert out["kc_area_m2"].tolist() == [100.0, 150.0, 80.0, 0.0]
    assert out["kc_share"].round(12).tolist() == [0.1, 0.15, 0.08, 0.0]
    assert out["kc_code"].tolist()[:3] == ["1203"] * 3 and pd.isna(out["kc_code"].iloc[3])
    assert out["kc_sansheng_sub"].tolist()[:3] == ["agricultural"] * 3
    rep = out.attrs["landuse_report"]
    assert rep["kc_features"] == 3 and rep["kc_area_m2"] == 330.0 and rep["tbmj_mismatch"] == 0


def test_tbmj_mismatch_counted_and_negative_rejected() -> None:
    gdf = parcels(["0101"], TBMJ=[1000.0], TBDLMJ=[800.0], KCMJ=[100.0])
    assert classify_landuse(gdf).attrs["landuse_report"]["tbmj_mismatch"] == 1
    with pytest.raises(InputError, match="Negative"):
        classify_landuse(parcels(["0101"], TBDLMJ=[-1.0], KCMJ=[0.0]))


def test_czcsxm_rules() -> None:
    gdf = parcels(
        ["1201", "1201", "1201", "1201", "1201", "0701"],
        CZCSXM=["201A", "202", "203", "204", None, "203"],
    )
    out = classify_landuse(gdf)
    assert list(zip(out["sansheng"], out["sansheng_sub"], strict=True)) == [
        ("living", "urban"),
        ("living", "urban"),
        ("living", "rural"),
        ("production", "industrial"),
        ("living", "rural"),
        ("living", "urban"),
    ]
    assert out.attrs["landuse_report"]["czcsxm_rules_applied"] == 4


def test_mapping_overrides(tmp_path) -> None:
    gdf = parcels(["05H1", "0810", "1004"], CZCSXM=[None, None, "203"])
    out = classify_landuse(
        gdf,
        mapping={
            "05H1": "living",
            "0810": ("living", "urban"),
            "1004": {"czcsxm": "203", "sansheng": "living", "sansheng_sub": "rural"},
        },
    )
    assert out["sansheng_sub"].tolist() == ["urban", "urban", "rural"]
    csv = tmp_path / "m.csv"
    csv.write_text("code,sansheng,sansheng_sub\n0810,ecological,forest\n", encoding="utf-8")
    assert classify_landuse(gdf, mapping=str(csv))["sansheng_sub"].tolist()[1] == "forest"
    with pytest.raises(InputError, match="sansheng_sub"):
        classify_landuse(gdf, mapping={"0810": "ecological/industrial"})
    with pytest.raises(UnknownCodeError, match="does not define"):
        classify_landuse(gdf, mapping={"9999": "living"})
    # new codes can be added with their classes
    out = classify_landuse(
        parcels(["1208"]),
        mapping={
            "1208": {
                "name": "后备耕地",
                "sanlei": "未利用地",
                "sansheng": "ecological",
                "sansheng_sub": "other",
            }
        },
    )
    assert out["class_name"].tolist() == ["后备耕地"]


def test_custom_scheme_csv(tmp_path) -> None:
    csv = tmp_path / "local.csv"
    csv.write_text(
        "code,name,sanlei,sansheng,sansheng_sub\nA1,农田,农用地,production,agricultural\n"
        "B2,厂区,建设用地,production,industrial\n",
        encoding="utf-8",
    )
    gdf = gpd.GeoDataFrame({"code": ["a1", "B2"]}, geometry=[shapely.box(0, 0, 1, 1)] * 2, crs=CRS)
    out = classify_landuse(gdf, scheme=str(csv))
    assert out["class_name"].tolist() == ["农田", "厂区"]
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\nA1,x\n", encoding="utf-8")
    with pytest.raises(InputError, match="lacks column"):
        load_scheme(str(bad))


def test_classify_rejects_bad_input() -> None:
    with pytest.raises(InputError, match="GeoDataFrame"):
        classify_landuse(pd.DataFrame({"DLBM": ["0101"]}))  # type: ignore[arg-type]
    with pytest.raises(InputError, match="empty"):
        classify_landuse(parcels([]))
    with pytest.raises(MissingFieldError, match="code_field"):
        classify_landuse(parcels(["0101"]), scheme="ydyh2023")
