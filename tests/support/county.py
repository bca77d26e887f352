"""A small county package written by code (10 x 6 km near 114.3°E, 34.8°N)."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import shapely

from geoplan.io import write_gpkg

GK = "EPSG:4547"


def small_package(
    folder: Path, *, toml_extra: str = "", approvals_date_col: str = "批准日期"
) -> Path:
    x0, y0 = 430000.0, 3850000.0
    boundary = gpd.GeoDataFrame(
        {"name": ["示例县"]}, geometry=[shapely.box(x0, y0, x0 + 10000, y0 + 6000)], crs=GK
    )
    townships = gpd.GeoDataFrame(
        {"乡镇名称": ["东镇", "西镇"]},
        geometry=[
            shapely.box(x0, y0, x0 + 5000, y0 + 6000),
            shapely.box(x0 + 5000, y0, x0 + 10000, y0 + 6000),
        ],
        crs=GK,
    )
    settlements = gpd.GeoDataFrame(
        {"名称": ["城关", "西镇", "一村", "二村"], "类型": ["县城", "镇", "村", "村"]},
        geometry=[
            shapely.Point(x0 + 2000, y0 + 3000),
            shapely.Point(x0 + 7000, y0 + 3000),
            shapely.Point(x0 + 1000, y0 + 1000),
            shapely.Point(x0 + 8000, y0 + 5000),
        ],
        crs=GK,
    )
    approvals = gpd.GeoDataFrame(
        {"PCMC": ["B1", "B2"], approvals_date_col: ["2019-05-01", "2021/6/30"]},
        geometry=[
            shapely.box(x0 + 100, y0 + 100, x0 + 300, y0 + 200),
            shapely.box(x0 + 500, y0 + 100, x0 + 600, y0 + 200),
        ],
        crs=GK,
    )
    write_gpkg(
        folder / "county.gpkg",
        {
            "boundary": boundary.to_crs(4490),
            "townships": townships.to_crs(4490),
            "settlements": settlements.to_crs(4490),
            "approvals": approvals,  # a different CRS in the same package: reconciled on open
        },
    )
    (folder / "county.toml").write_text(
        f"""
[county]
name = "示例县"
adcode = "410999"
as_of = 2026-06-30

[layers]
boundary = "county.gpkg:boundary"
townships = "county.gpkg:townships"
settlements = "county.gpkg:settlements"
approvals = "county.gpkg:approvals"

[parameters.audit]
sliver_width = 0.5
{toml_extra}
""",
        encoding="utf-8",
    )
    return folder
