"""A small, complete county package (every role, with XSS payloads in names) written by code."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

EVIL = "<script>alert(1)</script>"


PWN = "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','1')\">"


X0, Y0 = 500_000.0, 3_800_000.0  # EPSG:4547 (CGCS2000 GK CM 114E), ~34.3N 114E


ALL_ROLES = (
    "boundary", "townships", "settlements", "roads", "parks", "approvals", "supplies", "landuse",
)  # fmt: skip


def make_county(folder: Path, roles: tuple[str, ...] = ALL_ROLES) -> Path:
    """A small, complete county package (10 x 8 km) written to ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    crs = 4547

    def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
        return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)

    def line(*xy: tuple[float, float]) -> shapely.LineString:
        return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])

    pts = [  # the evil village comes first: tests open its tooltip
        (EVIL, "village", 900, 7500, 6500),
        ("县城", "county_seat", 50000, 5000, 4000),
        ("东镇", "town", 8000, 2500, 4000),
        ("西乡", "town", 6000, 7500, 4000),
        ("甲村", "village", 800, 2500, 6500),
        (PWN, "village", 600, 2500, 1500),
        ("丁村", "village", 500, 7500, 1500),
        ("戊村", "village", 700, 9000, 4000),
    ]
    roads = [
        ("trunk", "G107", line((0, 4000), (2500, 4000))),
        ("trunk", "G107", line((2500, 4000), (5000, 4000))),
        ("trunk", "G107", line((5000, 4000), (7500, 4000))),
        ("trunk", "G107", line((7500, 4000), (10000, 4000))),
        ("secondary", None, line((2500, 4000), (2500, 6500))),
        ("secondary", None, line((2500, 4000), (2500, 1500))),
        ("tertiary", None, line((7500, 4000), (7500, 6500))),
        ("tertiary", None, line((7500, 4000), (7500, 1500))),
        ("unclassified", None, line((7500, 4000), (9000, 4000))),
        ("tertiary", None, line((5000, 4000), (5700, 4700))),
        ("motorway", "G4", line((0, 500), (5000, 500))),
        ("motorway", "G4", line((5000, 500), (10000, 500))),
        ("motorway_link", None, line((5000, 500), (5000, 4000))),
    ]
    codes = ["0101", "0301", "0702", "0601", "1101", "0201"]
    cells = [(i, j) for i in range(10) for j in range(8)]
    lu = gpd.GeoSeries([box(i * 1000, j * 1000, (i + 1) * 1000, (j + 1) * 1000) for i, j in cells])
    layers = {
        "boundary": gpd.GeoDataFrame(
            {"name": ["测试县"], "adcode": ["410000"]}, geometry=[box(0, 0, 10000, 8000)], crs=crs
        ),
        "townships": gpd.GeoDataFrame(
            {"name": ["东镇", "西乡"], "code": ["1", "2"]},
            geometry=[box(0, 0, 5000, 8000), box(5000, 0, 10000, 8000)],
            crs=crs,
        ),
        "settlements": gpd.GeoDataFrame(
            {
                "name": [p[0] for p in pts],
                "kind": [p[1] for p in pts],
                "population": [float(p[2]) for p in pts],
            },
            geometry=[shapely.Point(X0 + p[3], Y0 + p[4]) for p in pts],
            crs=crs,
        ),  # fmt: skip
        "roads": gpd.GeoDataFrame(
            {"highway": [r[0] for r in roads], "ref": [r[1] for r in roads]},
            geometry=[r[2] for r in roads],
            crs=crs,
        ),
        "parks": gpd.GeoDataFrame(
            {"park_id": ["P1"], "name": ["经开区"], "level": ["省级"]},
            geometry=[box(5200, 4200, 6200, 5200)],
            crs=crs,
        ),
        "approvals": gpd.GeoDataFrame(
            {
                "batch_id": ["B2019", "B2021", "B2023"],
                "approval_no": ["豫政2019-1", "豫政2021-2", "豫政2023-3"],
                "approved_on": pd.to_datetime(["2019-05-01", "2021-03-01", "2023-09-01"]),
            },
            geometry=[
                box(5200, 4200, 6200, 5200),
                box(1000, 1000, 1500, 1400),
                box(8000, 6000, 8600, 6600),
            ],
            crs=crs,
        ),  # fmt: skip
        "supplies": gpd.GeoDataFrame(
            {
                "supply_id": ["S1", "S2"],
                "batch_id": ["B2019", "B2021"],
                "supplied_on": pd.to_datetime(["2020-01-01", "2022-01-01"]),
                "supply_method": ["出让", "划拨"],
                "agreed_start": pd.to_datetime(["2020-06-01", "2022-06-01"]),
                "land_price": [1e6, 0.0],
            },
            geometry=[box(5200, 4200, 5800, 5200), box(1000, 1000, 1500, 1200)],
            crs=crs,
        ),
        "landuse": gpd.GeoDataFrame(
            {"DLBM": [codes[(i * 3 + j) % 6] for i, j in cells], "TBDLMJ": lu.area.values},
            geometry=lu.values,
            crs=crs,
        ),
    }
    for role in roles:
        layers[role].to_file(folder / "county.gpkg", layer=role, driver="GPKG")
    manifest = ["[county]", 'name = "测试县"', 'adcode = "410000"', 'as_of = "2026-06-30"', ""]
    manifest += ["[layers]", *(f'{r} = "county.gpkg:{r}"' for r in roles)]
    (folder / "county.toml").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return folder
