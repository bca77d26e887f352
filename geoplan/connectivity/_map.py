"""Drawing a :class:`~geoplan.connectivity.ConnectivityResult` on a geoplan map (rendering only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan import maps
from geoplan.labels import FIELDS, code_label, code_labels, field_labels, translate

if TYPE_CHECKING:
    import folium

    from geoplan.connectivity._parks import ConnectivityResult

__all__ = ["STATUS_COLORS", "add_connectivity", "park_status"]

STATUS_COLORS = {"within_30": "#1a9850", "over_30": "#fc8d59", "no_motorway": "#d73027",
                 "no_trunk": "#252525"}  # fmt: skip
_ROAD_COLORS = {"motorway": "#7b3294", "trunk": "#b2182b", "primary": "#d6604d",
                "other": "#e08214"}  # fmt: skip
_ISO_COLORS = ["#2166ac", "#67a9cf", "#d1e5f0", "#f7f7f7"]

#: vertices an isochrone map layer is simplified to at most (the data files keep every vertex)
ISO_MAP_VERTICES = 250_000

_TEXT = {
    "zh": {
        "parks": "产业园区", "status": "园区交通可达性", "routes": "至干线最短路径",
        "routes_mw": "至高速出入口最短路径", "trunk": "干线公路", "entrances": "高速出入口",
        "iso": "等时圈（{m:g} 分钟）", "iso_legend": "园区等时圈（行车时间）",
        "other": "其他干线（编号）", "minutes_label": "{m:g} 分钟以内",
    },
    "en": {
        "parks": "industrial parks", "status": "park access", "routes": "route to trunk road",
        "routes_mw": "route to motorway entrance", "trunk": "trunk roads",
        "entrances": "motorway entrances", "iso": "isochrone ({m:g} min)",
        "iso_legend": "park isochrones (driving time)", "other": "other trunk (by ref)",
        "minutes_label": "within {m:g} min",
    },
}  # fmt: skip


def park_status(parks: pd.DataFrame) -> pd.Series:
    """within_30 / over_30 / no_motorway / no_trunk per park."""
    status = np.where(parks["within_30min"].to_numpy(dtype=bool), "within_30", "over_30")
    status = np.where(parks["motorway_time_min"].isna(), "no_motorway", status)
    status = np.where(parks["trunk_distance_m"].isna(), "no_trunk", status)
    return pd.Series(status, index=parks.index, dtype="string")


def add_connectivity(m: folium.Map, result: ConnectivityResult) -> None:
    """Isochrones, trunk roads, motorway entrances, routes and parks, with legends."""
    lang = maps.lang_of(m)
    tx = _TEXT[lang]
    iso = result.isochrones
    if len(iso):
        budgets = sorted(iso["minutes"].unique(), reverse=True)
        legend = {}
        for i, minutes in enumerate(budgets):
            colour = _ISO_COLORS[min(len(budgets) - 1 - i, len(_ISO_COLORS) - 1)]
            layer = iso[(iso["minutes"] == minutes) & ~iso.geometry.is_empty]
            if len(layer):
                layer = layer.set_geometry(display_isochrones(layer.geometry.to_numpy()))
                maps.add_polygons(
                    m, layer, name=tx["iso"].format(m=minutes), color=colour, weight=0.5,
                    fill_opacity=0.18, show=i == 0, simplify=0,
                    tooltip=field_labels(["park_id"], lang),
                )  # fmt: skip
            legend[tx["minutes_label"].format(m=minutes)] = colour
        maps.add_legend(m, tx["iso_legend"], legend, position="bottomleft")
    net = result.network
    edges = net.edges
    trunk = edges[edges["is_trunk"].to_numpy() & ~edges["reversed"].to_numpy()]
    if len(trunk):
        hw = trunk["highway"].astype("object")
        cls = np.where(hw.isin(["motorway", "trunk", "primary"]), hw, "other")
        cls = np.where(hw == "motorway_link", "motorway", cls)
        frame = gpd.GeoDataFrame(
            {"road": pd.array(cls, dtype="string"), "ref": trunk["ref"]},
            geometry=trunk.geometry.to_numpy(), crs=trunk.crs,
        )  # fmt: skip
        maps.add_lines(
            m, frame, name=tx["trunk"], color_by="road", colors=_ROAD_COLORS, weight=3,
            tooltip=field_labels(["ref"], lang, ref=FIELDS["to_ref"]),
        )  # fmt: skip
        names = {**{k: code_label("highway", k, lang) for k in ("motorway", "trunk", "primary")},
                 "other": tx["other"]}  # fmt: skip
        present = set(cls.tolist())
        maps.add_legend(
            m, tx["trunk"], {names[k]: c for k, c in _ROAD_COLORS.items() if k in present}
        )
    nodes = net.nodes
    entrances = nodes[nodes["is_motorway_entrance"].to_numpy()]
    if len(entrances):
        maps.add_points(
            m, entrances[["geometry"]], name=tx["entrances"], color=_ROAD_COLORS["motorway"],
            radius=4,
        )  # fmt: skip
    routes = result.routes
    for target, key, colour in (
        ("motorway", "routes_mw", "#7b3294"),
        ("trunk", "routes", "#111111"),
    ):
        layer = routes[routes["target"] == target]
        if len(layer):
            maps.add_lines(
                m, layer, name=tx[key], color=colour, weight=3,
                popup=field_labels(["park_id", "to_ref", "distance_m", "time_min"], lang),
            )  # fmt: skip
    parks = result.parks.copy()
    status = code_labels("park_status", lang)
    parks["status"] = park_status(parks).map(status).astype("string")
    parks["reason"] = parks["reason"].map(lambda v: translate(v, lang)).astype("string")
    cols = ["park_id", "name", "trunk_distance_m", "trunk_time_min", "nearest_trunk_ref",
            "motorway_time_min", "detour_index", "access_routes", "reason"]  # fmt: skip
    colors = {status[k]: c for k, c in STATUS_COLORS.items()}
    parks = parks[~parks.geometry.isna() & ~parks.geometry.is_empty]
    if len(parks):
        polys = parks[parks.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(polys):
            maps.add_polygons(
                m, polys, name=tx["parks"], color_by="status", colors=colors,
                fill_opacity=0.6, weight=1.5,
                popup=field_labels(cols, lang, name=("园区", "park")),
                tooltip=field_labels(["name"], lang, name=("园区", "park")),
            )  # fmt: skip
    maps.add_legend(m, tx["status"], colors)


def display_isochrones(
    geoms: np.ndarray, *, max_vertices: int = ISO_MAP_VERTICES, start_m: float = 50.0
) -> np.ndarray:
    """Isochrones simplified for the map: Douglas-Peucker from ``start_m`` metres, doubled
    until the layer has at most ``max_vertices`` vertices (the tolerance is found on a sample
    of the polygons); the few polygons it leaves invalid are repaired.

    Isochrones of a county-wide network hold millions of vertices (their edges follow the
    roads' 100 m buffers, around thousands of holes). A topology-preserving simplification
    of that took 40 s per layer; plain Douglas-Peucker takes about a second, and a repair of
    what it breaks keeps the drawing valid. Only the map is simplified.

    Examples
    --------
    >>> ring = shapely.Point(0, 0).buffer(1000, quad_segs=500)   # 2,001 vertices
    >>> out = display_isochrones(np.array([ring]), max_vertices=100)
    >>> int(shapely.get_num_coordinates(out).sum()) <= 100, bool(shapely.is_valid(out).all())
    (True, True)
    """
    counts = shapely.get_num_coordinates(geoms)
    total = int(counts.sum())
    if total <= max_vertices:
        return geoms
    # find the tolerance on every k-th polygon (vertex counts add up), then simplify all once
    k = max(1, len(geoms) // 10)
    sample, share = geoms[::k], counts[::k].sum() / total
    tol = start_m
    while tol < 16 * start_m:
        kept = shapely.get_num_coordinates(shapely.simplify(sample, tol, preserve_topology=False))
        if kept.sum() <= max_vertices * share:
            break
        tol *= 2.0
    out = shapely.simplify(geoms, tol, preserve_topology=False)
    for _ in range(3):  # the sample may have been kinder than the rest
        if int(shapely.get_num_coordinates(out).sum()) <= max_vertices:
            break
        tol *= 2.0
        out = shapely.simplify(geoms, tol, preserve_topology=False)
    bad = ~shapely.is_valid(out)
    if bad.any():
        out = out.copy()
        out[bad] = shapely.make_valid(out[bad], method="structure", keep_collapsed=False)
    return out
