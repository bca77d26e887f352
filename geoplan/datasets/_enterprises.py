"""A synthetic enterprise table for the 亩均效益 evaluation, made from a county's supplies.

Drawn with its own random stream (``default_rng([seed, ENTERPRISE_STREAM])``), so adding it
changed no other layer of the demo. It covers every case the evaluation handles: firms linked by
电子监管号, by coordinates only, by declared area only, and with no land at all; plots shared by
two firms; 规上 and 规下 firms; utilities, start-ups and a project under construction
(不定等级); firms with a missing figure (待核实); producing industrial plots with no firm.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

__all__ = ["ENTERPRISE_STREAM", "make_enterprises"]

#: the second word of the generator's seed for the enterprise table
ENTERPRISE_STREAM = 15
MU = 10000.0 / 15.0
_INDUSTRIES = ("1713 棉印染精加工", "1811 运动机织服装制造", "2110 木质家具制造", "3311 金属结构制造",
               "3484 机械零部件加工", "2929 塑料零件及其他塑料制品制造", "3021 水泥制品制造",
               "1391 食用菌加工")  # fmt: skip
_UTILITIES = ("4411 火力发电", "4620 污水处理及其再生利用")
_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _credit_code(rng: np.random.Generator, adcode: str) -> str:
    tail = "".join(rng.choice(list(_CHARS), 8))
    return f"91{adcode}MA{tail}"


def _firm_figures(rng: np.random.Generator, land_mu: float) -> dict[str, Any]:
    tax_per_mu = float(rng.lognormal(np.log(7.0), 0.8))
    tax = tax_per_mu * land_mu
    revenue = tax * float(rng.lognormal(np.log(22.0), 0.3))
    value_added = revenue * float(rng.uniform(0.18, 0.3))
    return {
        "税收(万元)": round(tax, 2),
        "营业收入(万元)": round(revenue, 1),
        "工业增加值(万元)": round(value_added, 1),
        "综合能耗(吨标煤)": round(value_added / float(rng.lognormal(np.log(2.5), 0.5)), 1),
        "主要污染物排放(吨)": round(value_added / float(rng.lognormal(np.log(200.0), 0.6)), 2),
        "年平均职工人数": int(max(5, revenue / float(rng.lognormal(np.log(80.0), 0.3)))),
        "研发经费(万元)": round(revenue * float(rng.uniform(0.0, 0.04)), 1),
        "用电量(万千瓦时)": round(tax / float(rng.lognormal(np.log(0.3), 0.5)), 1),
    }


def make_enterprises(
    supplies: gpd.GeoDataFrame, *, adcode: str, as_of: dt.date, seed: int
) -> pd.DataFrame:
    """The enterprise table (Chinese headers with units, as the departments hand it over) for the
    industrial supplies of a synthetic county (``supplies`` as the generator writes them)."""
    rng = np.random.default_rng([seed, ENTERPRISE_STREAM])
    ind = supplies[(supplies["土地用途"] == "工业用地").to_numpy()].drop_duplicates("电子监管号")
    signed = pd.to_datetime(ind["合同签订日期"], format="mixed", errors="coerce")
    started = ind["实际动工日期"].notna().to_numpy()
    early = (signed < pd.Timestamp(as_of) - pd.DateOffset(years=1)).to_numpy()
    producing = ind[started & early]
    lonlat = gpd.GeoSeries(
        shapely.point_on_surface(producing.geometry.to_numpy()), crs=supplies.crs
    ).to_crs(4490)
    rows: list[dict[str, Any]] = []
    for k, (_, plot) in enumerate(producing.iterrows()):
        draw = rng.random()
        if draw < 0.1:
            continue  # a producing plot no firm reports on: 无企业工业用地
        land_mu = float(plot.geometry.area) / MU
        sharers = 2 if draw > 0.93 else 1
        for j in range(sharers):
            share = land_mu / sharers if sharers == 1 else land_mu * (0.6 if j == 0 else 0.4)
            row = {"统一社会信用代码": _credit_code(rng, adcode),
                   "企业名称": f"示范县{_INDUSTRIES[k % len(_INDUSTRIES)][5:7]}企业{len(rows) + 1:03d}有限公司",
                   "行业": _INDUSTRIES[int(rng.integers(len(_INDUSTRIES)))],
                   **_firm_figures(rng, share),
                   "用地面积(亩)": round(share * float(rng.uniform(0.95, 1.05)), 2),
                   "建筑面积(平方米)": round(share * MU * float(rng.lognormal(np.log(1.15), 0.35)), 0),
                   "电子监管号": plot["电子监管号"], "经度": None, "纬度": None,
                   "投产日期": (pd.Timestamp(signed.loc[plot.name]) + pd.DateOffset(days=int(rng.integers(150, 330)))).date(),
                   "企业状态": "投产"}  # fmt: skip
            how = rng.random()
            if sharers == 1 and how < 0.15:  # coordinates only: linked by point in polygon
                row["电子监管号"] = None
                row["经度"] = round(float(lonlat.iloc[k].x), 7)
                row["纬度"] = round(float(lonlat.iloc[k].y), 7)
            elif sharers == 1 and how < 0.2:  # declared area only
                row["电子监管号"] = None
            rows.append(row)
    cols = ["统一社会信用代码", "企业名称", "规上规下", "行业", "税收(万元)", "营业收入(万元)",
            "工业增加值(万元)", "综合能耗(吨标煤)", "主要污染物排放(吨)", "年平均职工人数",
            "研发经费(万元)", "用电量(万千瓦时)", "用地面积(亩)", "建筑面积(平方米)", "电子监管号",
            "经度", "纬度", "投产日期", "企业状态"]  # fmt: skip
    frame = pd.DataFrame(rows, columns=[c for c in cols if c != "规上规下"])
    frame["规上规下"] = np.where(frame["营业收入(万元)"] >= 2000.0, "规上", "规下")
    _special_cases(frame, rng, adcode, as_of)
    return frame[cols]


def _special_cases(
    frame: pd.DataFrame, rng: np.random.Generator, adcode: str, as_of: dt.date
) -> None:
    """Utilities, a start-up and a project under construction (不定等级); missing figures (待核实);
    firms with no land at all."""
    n = len(frame)
    picks = list(rng.choice(n, min(8, n), replace=False))  # a tiny county has fewer firms
    changes: list[tuple[str | list[str], Any]] = [
        ("行业", _UTILITIES[0]),
        ("行业", _UTILITIES[1]),
        ("投产日期", as_of - dt.timedelta(days=400)),
        ("企业状态", "在建"),
        ("综合能耗(吨标煤)", None),
        ("税收(万元)", None),
        # reported, but on land the records do not show
        (["电子监管号", "用地面积(亩)", "经度", "纬度"], None),
        (["电子监管号", "用地面积(亩)", "经度", "纬度"], None),
    ]
    for p, (col, value) in zip(picks, changes, strict=False):
        frame.loc[p, col] = value
    for k in range(2):  # firms in the table whose land no record holds
        extra: dict[str, Any] = {c: None for c in frame.columns}
        extra.update({"统一社会信用代码": _credit_code(rng, adcode),
                      "企业名称": f"示范县新办企业{k + 1}有限公司", "规上规下": "规下",
                      "行业": _INDUSTRIES[k], "税收(万元)": 12.0 + k, "营业收入(万元)": 600.0,
                      "企业状态": "投产"})  # fmt: skip
        frame.loc[n + k] = extra
