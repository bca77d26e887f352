"""Real-export fixtures: shapefiles written the way a county's software writes them.

Not geoplan's writer: GDAL (through pyogrio) writes the DBF in GBK or UTF-8 with the full Chinese
field names, cutting them at 10 bytes itself (GBK 2 bytes a character, UTF-8 3 — a character
split by the cut is how GDAL leaves it); then, as exports from the 土地市场动态监测监管系统 often
arrive, the ``.cpg`` is deleted, the DBF language byte (byte 29) zeroed, and optionally the
``.prj`` deleted so only the Gauss–Krüger zone prefix of the coordinates (39xxxxxx) tells the CRS.

The county built by :func:`export_county` has a right answer derived by hand (see its docstring
and ``tests/test_exports.py``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import shapely

#: zone 39 of the CGCS2000 3° Gauss–Krüger zones, written with the zone prefix (EPSG:4527)
X0, Y0 = 39_500_000.0, 3_800_000.0
AS_OF = "2026-06-30"


def write_export(
    gdf: gpd.GeoDataFrame,
    path: Path,
    *,
    encoding: str = "GBK",
    keep_cpg: bool = False,
    keep_prj: bool = False,
) -> Path:
    """Write ``gdf`` as a shapefile export: DBF in ``encoding`` with names cut at 10 bytes by
    GDAL, no ``.cpg`` and a zeroed language byte (unless ``keep_cpg``), no ``.prj`` (unless
    ``keep_prj``)."""
    with warnings.catch_warnings():  # GDAL reports each name it cuts ("Normalized/laundered")
        warnings.simplefilter("ignore", RuntimeWarning)
        pyogrio.write_dataframe(gdf, path, encoding=encoding)
    if not keep_cpg:
        path.with_suffix(".cpg").unlink(missing_ok=True)
        dbf = path.with_suffix(".dbf")
        raw = bytearray(dbf.read_bytes())
        raw[29] = 0  # no code page in the DBF header
        dbf.write_bytes(bytes(raw))
    if not keep_prj:
        path.with_suffix(".prj").unlink(missing_ok=True)
    return path


def strip(x0: float, x1: float, y1: float = 500.0) -> shapely.Polygon:
    """A rectangle ``x0..x1`` × ``0..y1`` metres from the zone-39 origin of the fixtures."""
    return shapely.box(X0 + x0, Y0, X0 + x1, Y0 + y1)


def d(text: str | None) -> pd.Timestamp:
    return pd.Timestamp(text) if text else pd.NaT


#: the supplies of the export county: id, x-range (m, all 500 m deep), 合同签订日期, 约定动工日期,
#: 实际动工日期, 已开发比例, 已投资比例, 停工日期, 成交价款 (万元)
SUPPLY_ROWS = [
    # four idle parcels: 225 + 300 + 150 + 127.5 = 802.5 亩; fees 20 % of 7,650 万元 = 1,530 万元
    ("4102252021B00001", (0, 300), "2021-06-01", "2023-03-01", None, None, None, None, 2250.0),
    ("4102252021B00002", (300, 700), "2021-06-01", "2024-05-01", None, None, None, None, 3000.0),
    ("4102252022B00003", (700, 900), "2022-03-01", "2025-06-01", None, None, None, None, 1500.0),
    ("4102252021B00004", (900, 1070), "2021-06-01", "2021-12-01", "2022-01-01", 0.2, 0.1,
     "2024-01-01", 900.0),
    # started and well developed
    ("4102252021B00005", (1100, 1200), "2021-06-01", "2022-01-01", "2022-02-01", 0.9, 0.9, None,
     800.0),
    # agreed start 121 days before as-of, not started: 供而未用
    ("4102252025B00006", (1200, 1300), "2025-06-01", "2026-03-01", None, None, None, None, 500.0),
    # agreed start after as-of: 未到期
    ("4102252026B00007", (1300, 1400), "2026-01-10", "2027-01-01", None, None, None, None, 600.0),
    # no agreed start date: 待核实
    ("4102252021B00008", (1400, 1500), "2021-06-01", None, None, None, None, None, 700.0),
    # supplied after as-of: does not exist yet on 2026-06-30, its land is still unsupplied
    ("4102252026B00009", (1500, 1600), "2026-09-01", "2027-06-01", None, None, None, None, 400.0),
]  # fmt: skip


def supplies_frame(*, price_column: str = "成交价款万元") -> gpd.GeoDataFrame:
    """The supplies as the supervision system exports them (full Chinese names, 万元 prices)."""
    rows = SUPPLY_ROWS
    return gpd.GeoDataFrame(
        {
            "电子监管号": [r[0] for r in rows],
            "项目名称": [f"项目{i}" for i in range(1, len(rows) + 1)],
            "批次名称": ["2021年第1批次"] * len(rows),
            # text dates, as a spreadsheet round trip leaves them
            "合同签订日期": [r[2].replace("-", "/") for r in rows],
            "约定动工日期": pd.to_datetime([d(r[3]) for r in rows]),
            "实际动工日期": pd.to_datetime([d(r[4]) for r in rows]),
            "已开发比例": [r[5] for r in rows],
            "已投资比例": [r[6] for r in rows],
            "停工日期": pd.to_datetime([d(r[7]) for r in rows]),
            price_column: [r[8] for r in rows],
            "行政区划代码": ["410225"] * len(rows),
        },
        geometry=[strip(*r[1]) for r in rows],
        crs=4527,
    )


def approvals_frame() -> gpd.GeoDataFrame:
    """One batch of 1,275 亩 approved in 2021 and one approved after the as-of date."""
    return gpd.GeoDataFrame(
        {
            "批次名称": ["2021年第1批次", "2027年第1批次"],
            "批准文号": ["豫政土〔2021〕101号", "豫政土〔2027〕1号"],
            "批准日期": pd.to_datetime(["2021-05-01", "2027-01-01"]),
        },
        geometry=[strip(0, 1700), strip(2000, 2100)],
        crs=4527,
    )


def export_county(
    folder: Path, *, encoding: str = "GBK", units_in_toml: bool = False, crs_in_toml: bool = True
) -> Path:
    """A county package of shapefile exports (no .cpg, no .prj, zone-prefixed coordinates).

    The right answer as of 2026-06-30 (derived in ``tests/test_exports.py``): 4 idle parcels,
    802.5 亩, idle fees 15,300,000 元; one supply 待核实 for want of an agreed start date.
    ``units_in_toml``: the price column is plain 成交价款 and ``[units] land_price = "万元"``
    says the unit; otherwise the column is 成交价款万元 (cut to 成交价款万 in GBK).
    """
    folder.mkdir(parents=True, exist_ok=True)
    price_col = "成交价款" if units_in_toml else "成交价款万元"
    write_export(approvals_frame(), folder / "批准用地.shp", encoding=encoding)
    write_export(supplies_frame(price_column=price_col), folder / "供地.shp", encoding=encoding)
    toml = [
        "[county]",
        'name = "导出县"',
        f'as_of = "{AS_OF}"',
        "",
        "[layers]",
        'approvals = "批准用地.shp"',
        'supplies = "供地.shp"',
        "",
    ]
    if crs_in_toml:
        toml += ["[crs]", 'approvals = "EPSG:4527"', 'supplies = "EPSG:4527"', ""]
    if units_in_toml:
        toml += ["[units]", 'land_price = "万元"', ""]
    (folder / "county.toml").write_text("\n".join(toml), encoding="utf-8")
    return folder
