"""Linking enterprises to supplied land: by 电子监管号, else by the firm's point inside a supplied
polygon, else by the area it declares; land that several firms share is split by declared area.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.units import m2_to_mu

__all__ = ["LINK_ZH", "firm_places", "link_firms", "supply_plots"]

logger = logging.getLogger(__name__)

#: link methods, with the words the ledger uses
LINK_ZH = {
    "supply_id": "按电子监管号",
    "point": "按坐标落入供地",
    "declared": "按申报用地面积",
    "none": "未关联用地",
}
_ID_SEP = re.compile(r"\s*[;；,，、\n]\s*")


def supply_plots(supplies: gpd.GeoDataFrame, industrial_uses: Sequence[str]) -> gpd.GeoDataFrame:
    """One plot per 电子监管号 (records of one id united), with its area and whether its 土地用途
    is industrial (``industrial``: True / False, NA when the record has no 土地用途)."""
    sup = supplies[supplies["supply_id"].notna() & supplies.geometry.notna()]
    if "land_use" not in sup.columns:
        sup = sup.assign(land_use=pd.array([pd.NA] * len(sup), dtype="string"))
    keep = [c for c in sup.columns if c.startswith("std_")]
    keep += [c for c in ("land_use", "agreed_finish", "supply_method") if c in sup.columns]
    ids = sup["supply_id"].astype(str).to_numpy()
    order = pd.unique(ids)
    geoms = sup.geometry.to_numpy()
    codes = pd.Index(order).get_indexer(ids)
    united = np.empty(len(order), dtype=object)
    counts = np.bincount(codes, minlength=len(order))
    first = ~pd.Series(codes).duplicated().to_numpy()
    united[codes[first]] = geoms[first]
    for k in np.flatnonzero(counts > 1):
        united[k] = shapely.union_all(geoms[codes == k])
    attrs = sup.loc[first, keep].reset_index(drop=True)
    plots = gpd.GeoDataFrame(
        {"supply_id": pd.array(order, dtype="string"), **{c: attrs[c] for c in keep}},
        geometry=list(united),
        crs=supplies.crs,
    )
    area = shapely.area(plots.geometry.to_numpy())
    plots["area_m2"] = area
    plots["area_mu"] = m2_to_mu(area)
    use = plots["land_use"].astype("string")
    pattern = "|".join(re.escape(u) for u in industrial_uses) if industrial_uses else "$^"
    plots["industrial"] = use.str.contains(pattern, regex=True).astype("boolean")
    return plots


def _id_links(firms: pd.DataFrame, plots: gpd.GeoDataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(firm row, plot row) pairs from 电子监管号 (one id, or several separated by ; ， 、), and
    the ids each firm gave that no supply has."""
    text = firms["supply_id"].astype("string")
    rows, plot_rows = [], []
    missing = np.full(len(firms), None, dtype=object)
    where = {sid: k for k, sid in enumerate(plots["supply_id"].astype(str))}
    for i, value in enumerate(text):
        if value is pd.NA or value is None:
            continue
        text_id = str(value).strip()
        ids = [text_id] if text_id in where else [s for s in _ID_SEP.split(text_id) if s]
        lost = [s for s in ids if s not in where]
        if lost:
            missing[i] = "；".join(lost)
        for s in dict.fromkeys(ids):
            if s in where:
                rows.append(i)
                plot_rows.append(where[s])
    return pd.DataFrame({"firm": rows, "plot": plot_rows}, dtype="int64"), missing


def _point_links(
    firms: gpd.GeoDataFrame, plots: gpd.GeoDataFrame, todo: np.ndarray
) -> pd.DataFrame:
    """(firm row, plot row) for firms in ``todo`` whose point lies in a plot: an industrial plot
    first, then the smallest (the most specific of overlapping records)."""
    geoms = firms.geometry.to_numpy()
    cand = np.flatnonzero(todo & ~(shapely.is_missing(geoms) | shapely.is_empty(geoms)))
    if len(cand) == 0 or len(plots) == 0:
        return pd.DataFrame({"firm": [], "plot": []}, dtype="int64")
    tree = shapely.STRtree(plots.geometry.to_numpy())
    pts, hit = tree.query(geoms[cand], predicate="within")
    pairs = pd.DataFrame({"firm": cand[pts], "plot": hit})
    industrial = plots["industrial"].fillna(False).to_numpy(dtype=bool)
    pairs["not_industrial"] = ~industrial[pairs["plot"]]
    pairs["area"] = plots["area_m2"].to_numpy()[pairs["plot"]]
    pairs = pairs.sort_values(["firm", "not_industrial", "area", "plot"], kind="stable")
    return pairs.drop_duplicates("firm")[["firm", "plot"]].astype("int64")


def link_firms(
    firms: gpd.GeoDataFrame, plots: gpd.GeoDataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each firm's link method and land, and the (firm, plot, share) links.

    Returns ``(land, links)``: ``land`` is indexed like ``firms`` with ``link_method``,
    ``linked_supplies`` (ids joined by ；), ``unknown_supply_ids``, ``land_area_mu`` and
    ``land_note``; ``links`` has one row per firm and plot with ``share`` (of the plot) and
    ``area_mu`` (the firm's part). Several firms on one plot split it by their declared areas
    (equally, with a note, when one of them declares none).
    """
    by_id, unknown_ids = _id_links(firms, plots)
    todo = np.ones(len(firms), dtype=bool)
    todo[by_id["firm"].to_numpy()] = False
    by_point = _point_links(firms, plots, todo)
    links = pd.concat(
        [by_id.assign(method="supply_id"), by_point.assign(method="point")], ignore_index=True
    )
    declared = firms["declared_area"].to_numpy(dtype="float64", na_value=np.nan)
    links["declared"] = declared[links["firm"].to_numpy()]
    per_plot = links.groupby("plot")
    n_on_plot = per_plot["firm"].transform("size")
    all_declared = per_plot["declared"].transform(lambda d: bool((d > 0).all()))
    total = per_plot["declared"].transform("sum")
    links["share"] = np.where(
        n_on_plot == 1, 1.0, np.where(all_declared, links["declared"] / total, 1.0 / n_on_plot)
    )
    plot_mu = plots["area_mu"].to_numpy()
    links["area_mu"] = plot_mu[links["plot"].to_numpy()] * links["share"]
    links["shared_equally"] = (n_on_plot > 1) & ~all_declared.astype(bool)
    land = pd.DataFrame(index=firms.index)
    method = np.full(len(firms), "none", dtype=object)
    area = np.full(len(firms), np.nan)
    ids = np.full(len(firms), None, dtype=object)
    notes = np.full(len(firms), None, dtype=object)
    sid = plots["supply_id"].astype(str).to_numpy()
    for firm, grp in links.groupby("firm"):
        k = int(str(firm))
        method[k] = grp["method"].iloc[0]
        area[k] = float(grp["area_mu"].sum())
        ids[k] = "；".join(sid[grp["plot"].to_numpy()])
        if (grp["share"] < 1.0).any():
            notes[k] = (
                "与其他企业共用供地，按申报用地面积分摊"
                if not grp["shared_equally"].any()
                else "与其他企业共用供地，部分企业无申报面积，平均分摊"
            )
    rest = (method == "none") & np.isfinite(declared) & (declared > 0)
    method[rest] = "declared"
    area[rest] = declared[rest]
    land["link_method"] = pd.array(method, dtype="string")
    land["link_method_zh"] = land["link_method"].map(LINK_ZH).astype("string")
    land["linked_supplies"] = pd.array(ids, dtype="string")
    land["unknown_supply_ids"] = pd.array(unknown_ids, dtype="string")
    land["land_area_mu"] = area
    land["land_note"] = pd.array(notes, dtype="string")
    links["credit_code"] = firms["credit_code"].to_numpy()[links["firm"].to_numpy()]
    links["supply_id"] = sid[links["plot"].to_numpy()]
    return land, links


def firm_places(
    firms: gpd.GeoDataFrame,
    links: pd.DataFrame,
    plots: gpd.GeoDataFrame,
) -> gpd.GeoSeries:
    """Where each firm is on a map: its own point, else a point inside its largest plot."""
    geoms = firms.geometry.to_numpy().copy()
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if len(links):
        main = links.sort_values(["firm", "area_mu"], ascending=[True, False]).drop_duplicates(
            "firm"
        )
        inside = shapely.point_on_surface(plots.geometry.to_numpy()[main["plot"].to_numpy()])
        rows = main["firm"].to_numpy()
        fill = missing[rows]
        geoms[rows[fill]] = inside[fill]
    return gpd.GeoSeries(geoms, index=firms.index, crs=firms.crs)
