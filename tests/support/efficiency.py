"""A tiny county for the 亩均效益 evaluation, built so that every score, class and area can be
derived by hand (tests/efficiency/test_efficiency.py writes the derivations out)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

CRS = 4547
MU = 10000.0 / 15.0
AS_OF = dt.date(2026, 6, 30)
#: supply id -> (x0, area in 亩, 土地用途)
PLOTS = {
    "P1": (0.0, 10.0, "工业用地"),
    "P2": (150.0, 20.0, "工业用地"),
    "P3": (300.0, 10.0, "工业用地"),
    "P4": (450.0, 10.0, "工业用地"),
    "P5": (600.0, 10.0, "工业用地"),
    "P6": (750.0, 5.0, "工业用地"),
    "P7": (900.0, 8.0, "住宅用地"),
}
#: the evaluation scheme of the tests: A top quarter, B to half, C to three quarters, D the rest
SCHEME = """
name = "test"
[weights.above]
tax_per_mu = 60
"单位能耗增加值" = 40
[weights."规下"]
tax_per_mu = 100
[benchmarks]
default = "mean"
[classes]
A = 0.25
B = 0.5
C = 0.75
D = 1.0
[exempt]
utility_industries = ["44", "燃气"]
startup_years = 3
under_construction = ["在建"]
[low_efficiency]
min_far = 1.0
min_tax_per_mu = 3.0
[standard_land]
output_due_years = 1
"""


#: where the layout sits in EPSG:4547 (CGCS2000 GK CM 114°E)
OX, OY = 500_000.0, 3_800_000.0


def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(OX + x0, OY + y0, OX + x1, OY + y1)


def plot_box(x0: float, area_mu: float) -> shapely.Polygon:
    return box(x0, 0.0, x0 + 100.0, area_mu * MU / 100.0)


def supplies() -> gpd.GeoDataFrame:
    ids = list(PLOTS)
    std_far = {"P1": 1.5, "P3": 1.0}
    std_tax = {"P1": 12.0, "P3": 4.0}
    finish = {"P1": "2026-01-01", "P3": "2024-01-01"}
    idle = {"P6", "P7"}  # never started: 闲置 for the audit
    return gpd.GeoDataFrame(
        {
            "supply_id": pd.array(ids, dtype="string"),
            "supplied_on": pd.to_datetime(["2019-01-01"] * len(ids)).astype("datetime64[ms]"),
            "agreed_start": pd.to_datetime(["2019-06-01"] * len(ids)).astype("datetime64[ms]"),
            "actual_start": pd.to_datetime(
                [None if i in idle else "2019-09-01" for i in ids]
            ).astype("datetime64[ms]"),
            "land_use": pd.array([PLOTS[i][2] for i in ids], dtype="string"),
            "agreed_finish": pd.to_datetime([finish.get(i) for i in ids]).astype("datetime64[ms]"),
            "std_investment_intensity": np.nan,
            "std_far": [std_far.get(i, np.nan) for i in ids],
            "std_tax_per_mu": [std_tax.get(i, np.nan) for i in ids],
            "std_energy_value_added": np.nan,
        },
        geometry=[plot_box(PLOTS[i][0], PLOTS[i][1]) for i in ids],
        crs=CRS,
    )


def approvals() -> gpd.GeoDataFrame:
    """One batch around every plot: 1020 m × 410 m."""
    return gpd.GeoDataFrame(
        {
            "batch_id": ["B1"],
            "approved_on": pd.to_datetime(["2018-01-01"]).astype("datetime64[ms]"),
        },
        geometry=[box(-10, -10, 1010, 400)],
        crs=CRS,
    )


def enterprise_rows() -> list[dict[str, object]]:
    """The enterprise table as the departments hand it over (Chinese headers, 万元)."""
    p2 = plot_box(150.0, 20.0).centroid
    rows: list[dict[str, object]] = [
        # 规上
        {"统一社会信用代码": "F1", "企业名称": "甲", "规上规下": "规上", "税收(万元)": 100,
         "工业增加值(万元)": 200, "综合能耗(吨标煤)": 100, "电子监管号": "P1",
         "建筑面积(平方米)": 10 * MU * 1.2},
        {"统一社会信用代码": "F2", "企业名称": "乙", "规上规下": "规上", "税收(万元)": 100,
         "工业增加值(万元)": 100, "综合能耗(吨标煤)": 100, "X坐标": p2.x, "Y坐标": p2.y,
         "建筑面积(平方米)": 20 * MU * 0.5},
        {"统一社会信用代码": "F3", "企业名称": "丙", "规上规下": "规上", "税收(万元)": 50,
         "工业增加值(万元)": 100, "综合能耗(吨标煤)": 50, "电子监管号": "P3"},
        {"统一社会信用代码": "F4", "企业名称": "丁", "规上规下": "规上", "税收(万元)": 50,
         "工业增加值(万元)": 100, "综合能耗(吨标煤)": 50, "用地面积(亩)": 10},
        {"统一社会信用代码": "F5", "企业名称": "戊", "规上规下": "规上", "税收(万元)": 30,
         "工业增加值(万元)": 60, "电子监管号": "P4"},
        {"统一社会信用代码": "F6", "企业名称": "电厂", "规上规下": "规上", "行业": "4411 火力发电",
         "税收(万元)": 1, "工业增加值(万元)": 10, "综合能耗(吨标煤)": 1000, "用地面积(亩)": 5},
        {"统一社会信用代码": "U1", "企业名称": "无地", "规上规下": "规上", "税收(万元)": 10},
        # 规下
        {"统一社会信用代码": "G1", "企业名称": "己", "规上规下": "规下", "税收(万元)": 8,
         "用地面积(亩)": 4},
        {"统一社会信用代码": "G2", "企业名称": "庚", "规上规下": "规下", "税收(万元)": 12,
         "用地面积(亩)": 6, "电子监管号": "P5"},
        {"统一社会信用代码": "G3", "企业名称": "辛", "规上规下": "规下", "税收(万元)": 20,
         "用地面积(亩)": 4, "电子监管号": "P5；P9"},
        {"统一社会信用代码": "G4", "企业名称": "壬", "规上规下": "规下", "税收(万元)": 2,
         "用地面积(亩)": 2, "投产日期": "2025-07-01"},
        {"统一社会信用代码": "G5", "企业名称": "癸", "税收(万元)": 9, "用地面积(亩)": 3},
    ]  # fmt: skip
    return rows


def enterprises_csv(folder: Path, rows: list[dict[str, object]] | None = None) -> Path:
    path = folder / "enterprises.csv"
    pd.DataFrame(rows if rows is not None else enterprise_rows()).to_csv(
        path, index=False, encoding="utf-8"
    )
    return path


def townships() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"name": ["西镇", "东镇"]},
        geometry=[box(-10, -10, 420, 500), box(420, -10, 1100, 500)],
        crs=CRS,
    )


def parks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"park_id": ["Y1"], "name": ["甲园区"]}, geometry=[box(-5, -5, 260, 200)], crs=CRS
    )


def package(folder: Path) -> Path:
    """A county package of these layers (county.toml, county.gpkg, enterprises.csv, scheme)."""
    folder.mkdir(parents=True, exist_ok=True)
    gpkg = folder / "county.gpkg"
    sup = (
        supplies()
        .rename(
            columns={
                "supply_id": "电子监管号",
                "land_use": "土地用途",
                "agreed_finish": "约定竣工日期",
                "std_far": "容积率",
                "std_tax_per_mu": "亩均税收",
            }  # fmt: skip
        )
        .drop(columns=["std_investment_intensity", "std_energy_value_added"])
    )
    sup.to_file(gpkg, layer="supplies", engine="pyogrio")
    townships().rename(columns={"name": "乡镇名称"}).to_file(
        gpkg, layer="townships", engine="pyogrio"
    )
    parks().to_file(gpkg, layer="parks", engine="pyogrio")
    enterprises_csv(folder)
    (folder / "scheme.toml").write_text(SCHEME, encoding="utf-8")
    (folder / "county.toml").write_text(
        f"""[county]
name = "效益县"
as_of = "{AS_OF.isoformat()}"

[layers]
supplies = "county.gpkg:supplies"
townships = "county.gpkg:townships"
parks = "county.gpkg:parks"
enterprises = "enterprises.csv"

[crs]
enterprises = "EPSG:4547"

[parameters.efficiency]
scheme = "scheme.toml"
new_quota_per_stock_mu = 0.5
""",
        encoding="utf-8",
    )
    return folder
