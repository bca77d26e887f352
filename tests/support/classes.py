"""A county in which every code a reader can see occurs at least once (written by code).

Every supply status (not yet due, started, supplied-unused, idle types 1 and 2, to verify),
lapsed and open approvals matched both by id and by overlay, every settlement tier plus a
village off the road network and one cut off from every town, a park far from any road, the
three control lines, every OSM road class the overview counts, 三生 functions with mixed cells,
and a park polygon that needs repair (a read note). Names are Chinese, as a bureau's data is:
the "no English in a Chinese report" test scans what this county's report shows.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

X0, Y0 = 500_000.0, 3_800_000.0  # EPSG:4547 (CGCS2000 GK CM 114E), ~34.3N 114E
CRS = 4547

#: every road class the overview's breakdown can show (OSM highway values)
ROAD_CLASSES = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified", "residential",
    "living_street", "service", "road", "track",
)  # fmt: skip

ALL_ROLES = (
    "boundary", "townships", "settlements", "roads", "parks", "approvals", "supplies", "landuse",
    "zoning",
)  # fmt: skip


def _box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)


def _line(*xy: tuple[float, float]) -> shapely.LineString:
    return shapely.LineString([(X0 + x, Y0 + y) for x, y in xy])


def _roads() -> gpd.GeoDataFrame:
    rows = [
        ("motorway", "G4", _line((0, 500), (5000, 500))),
        ("motorway", "G4", _line((5000, 500), (12000, 500))),
        ("motorway_link", None, _line((5000, 500), (5000, 4000))),
        ("trunk", "G107", _line((0, 4000), (2500, 4000))),
        ("trunk", "G107", _line((2500, 4000), (5000, 4000))),
        ("trunk", "G107", _line((5000, 4000), (7500, 4000))),
        ("trunk", "G107", _line((7500, 4000), (12000, 4000))),
        ("trunk_link", None, _line((5000, 4000), (5200, 4300))),
        ("primary", "S312", _line((2500, 4000), (2500, 8000))),
        ("primary_link", None, _line((2500, 6000), (2700, 6200))),
        ("secondary", "X001", _line((2500, 4000), (2500, 1500))),
        ("secondary_link", None, _line((2500, 1500), (2700, 1300))),
        ("tertiary", "Y002", _line((7500, 4000), (7500, 6500))),
        ("tertiary_link", None, _line((7500, 6500), (7700, 6700))),
        ("unclassified", None, _line((7500, 4000), (9000, 4000), (9000, 1500))),
        ("residential", None, _line((5000, 4000), (5000, 3800))),
        ("living_street", None, _line((5000, 3800), (5200, 3700))),
        ("service", None, _line((5200, 4200), (5600, 4600))),
        ("road", None, _line((7500, 1500), (7500, 4000))),
        ("track", None, _line((1000, 7000), (2000, 7500))),
        # a piece of road joined to nothing: its village can reach no town
        ("unclassified", None, _line((11000, 7000), (11800, 7500))),
    ]
    return gpd.GeoDataFrame(
        {"highway": [r[0] for r in rows], "ref": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=CRS,
    )


def _settlements() -> gpd.GeoDataFrame:
    pts = [
        ("城关镇", "county_seat", 50000, 5000, 4000),
        ("东坝镇", "central_town", 9000, 2500, 4000),
        ("西河乡", "town", 6000, 7500, 4000),
        ("北岗乡", "town", 5000, 2500, 8000),
        ("甲村", "village", 800, 2500, 6500),
        ("乙村", "village", 600, 2500, 1500),
        ("丙村", "village", 500, 7500, 6500),
        ("丁村", "village", 700, 9000, 1500),
        ("远山村", "village", 300, 11900, 7900),  # only the lone road piece is near
        ("孤岛村", "village", 200, 4000, 9900),  # no road node within 2 km
    ]
    return gpd.GeoDataFrame(
        {
            "name": [p[0] for p in pts],
            "kind": [p[1] for p in pts],
            "population": [float(p[2]) for p in pts],
        },
        geometry=[shapely.Point(X0 + p[3], Y0 + p[4]) for p in pts],
        crs=CRS,
    )


def _approvals() -> gpd.GeoDataFrame:
    rows = [  # batch, date, box
        ("批次甲", "2019-05-01", (5200, 4200, 6200, 5200)),
        ("批次乙", "2020-03-01", (1000, 1000, 2000, 1600)),
        ("批次丙", "2021-03-01", (3000, 5000, 4000, 5600)),
        ("批次丁", "2022-09-01", (8000, 6000, 8600, 6600)),  # nothing supplied: lapsed
        ("批次戊", "2025-09-01", (6500, 1000, 7000, 1500)),  # nothing supplied yet, recent
    ]
    return gpd.GeoDataFrame(
        {
            "batch_id": [r[0] for r in rows],
            "approval_no": [f"豫政土〔{r[1][:4]}〕{i + 1}号" for i, r in enumerate(rows)],
            "approved_on": pd.to_datetime([r[1] for r in rows]),
        },
        geometry=[_box(*r[2]) for r in rows],
        crs=CRS,
    )


def _supplies() -> gpd.GeoDataFrame:
    nat = None
    rows = [
        # id, batch, supplied, agreed, actual, developed, invested, suspended, box
        ("供一", "批次甲", "2020-01-01", "2026-12-01", nat, None, None, nat,
         (5200, 4200, 5700, 5200)),  # not yet due
        ("供二", "批次甲", "2020-01-01", "2021-01-01", "2021-03-01", 0.9, 0.9, nat,
         (5700, 4200, 6200, 4700)),  # started
        ("供三", "批次乙", "2021-01-01", "2026-01-01", nat, None, None, nat,
         (1000, 1000, 1500, 1600)),  # supplied, unused (agreed start < 1 year ago)
        ("供四", "批次乙", "2021-01-01", "2023-01-01", nat, None, None, nat,
         (1500, 1000, 2000, 1600)),  # idle type 1, recoverable
        ("供五", "批次丙", "2021-06-01", "2022-01-01", "2022-03-01", 0.1, 0.1, "2024-01-01",
         (3000, 5000, 3500, 5600)),  # idle type 2
        ("供六", "批次丙", "2021-06-01", nat, nat, None, None, nat,
         (3500, 5000, 4000, 5600)),  # to verify: no agreed start date
        ("供七", "批次甲", "2020-01-01", "2021-01-01", "2021-02-01", 1.0, 1.0, nat,
         (300, 300, 600, 600)),  # outside every approval: unmatched supply
    ]  # fmt: skip
    cols = ("supply_id", "batch_id", "supplied_on", "agreed_start", "actual_start",
            "developed_ratio", "invested_ratio", "suspended_since")  # fmt: skip
    data: dict[str, object] = {c: [r[i] for r in rows] for i, c in enumerate(cols)}
    for c in ("supplied_on", "agreed_start", "actual_start", "suspended_since"):
        data[c] = pd.to_datetime(data[c])  # type: ignore[arg-type]
    for c in ("developed_ratio", "invested_ratio"):
        data[c] = pd.array(data[c], dtype="Float64")  # type: ignore[arg-type]
    data["supply_method"] = ["出让"] * len(rows)
    data["land_price"] = [3.0e6] * len(rows)
    return gpd.GeoDataFrame(data, geometry=[_box(*r[8]) for r in rows], crs=CRS)


def _landuse() -> gpd.GeoDataFrame:
    # 700 m parcels: 500 m cells straddle parcels of different functions (mixed cells)
    codes = ["0101", "0301", "0702", "0601", "1101", "0701", "0201", "1201"]
    geoms, dlbm, czcs = [], [], []
    for i in range(17):
        for j in range(15):
            x, y = i * 700.0, j * 700.0
            if x >= 12000 or y >= 10000:
                continue
            geoms.append(_box(x, y, min(x + 700, 12000), min(y + 700, 10000)))
            code = codes[(i * 3 + j) % len(codes)]
            dlbm.append(code)
            czcs.append("201" if code in ("0701", "1201", "0601") else None)
    g = gpd.GeoSeries(geoms, crs=CRS)
    return gpd.GeoDataFrame(
        {"DLBM": dlbm, "TBDLMJ": g.area.to_numpy(), "CZCSXM": czcs}, geometry=g.values, crs=CRS
    )


def _zoning() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"zone_type": ["城镇开发边界", "永久基本农田", "生态保护红线"], "name": ["城区", "农田", "山区"]},
        geometry=[_box(4000, 3000, 6500, 5500), _box(0, 0, 3000, 3000), _box(9000, 7000, 12000, 10000)],
        crs=CRS,
    )  # fmt: skip


def _parks() -> gpd.GeoDataFrame:
    # the first park's outline crosses itself (a bow tie): it is repaired when read
    bowtie = shapely.Polygon(
        [(X0 + 5200, Y0 + 4200), (X0 + 6200, Y0 + 5200), (X0 + 6200, Y0 + 4200),
         (X0 + 5200, Y0 + 5200)]
    )  # fmt: skip
    return gpd.GeoDataFrame(
        {"park_id": ["园一", "园二"], "name": ["经开区", "山区产业园"], "level": ["省级", "县级"]},
        geometry=[bowtie, _box(3800, 9600, 4200, 9900)],  # the second: no road within 2 km
        crs=CRS,
    )


def make_every_class_county(folder: Path, roles: tuple[str, ...] = ALL_ROLES) -> Path:
    """Write the county package (12 × 10 km, two townships) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    layers = {
        "boundary": gpd.GeoDataFrame(
            {"name": ["样例县"], "adcode": ["410000"]},
            geometry=[_box(0, 0, 12000, 10000)],
            crs=CRS,
        ),  # fmt: skip
        "townships": gpd.GeoDataFrame(
            {"name": ["东坝镇", "西河乡"], "code": ["001", "002"]},
            geometry=[_box(0, 0, 6000, 10000), _box(6000, 0, 12000, 10000)],
            crs=CRS,
        ),
        "settlements": _settlements(),
        "roads": _roads(),
        "parks": _parks(),
        "approvals": _approvals(),
        "supplies": _supplies(),
        "landuse": _landuse(),
        "zoning": _zoning(),
    }
    for role in roles:
        layers[role].to_file(folder / "county.gpkg", layer=role, driver="GPKG")
    manifest = ["[county]", 'name = "样例县"', 'adcode = "410000"', 'as_of = "2026-06-30"', ""]
    manifest += ["[layers]", *(f'{r} = "county.gpkg:{r}"' for r in roles), ""]
    manifest += ["[parameters.audit]", 'match = "both"', ""]
    (folder / "county.toml").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    return folder
