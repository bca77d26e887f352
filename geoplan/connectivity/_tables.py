"""The tables of a park-connectivity result: per-park metrics, reasons, routes, summary."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.connectivity._access import Access, best_per_feature
from geoplan.connectivity._isochrones import reach_polygons
from geoplan.network import MultiSourceResult, RoadNetwork

__all__ = ["isochrone_frame", "metrics", "reasons", "routes", "summary"]


def metrics(
    net: RoadNetwork,
    access: Access,
    passes: dict[tuple[str, str], MultiSourceResult],
    detour_limit: float,
) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """The per-park metrics, and per target the node row each shortest route starts from."""
    nodes = net.nodes
    xy = np.column_stack([nodes["x"].to_numpy(), nodes["y"].to_numpy()])
    td, t_row = best_per_feature(access, passes[("trunk", "length_m")].dist)
    tt, _ = best_per_feature(access, passes[("trunk", "time_s")].dist)
    md, _ = best_per_feature(access, passes[("motorway", "length_m")].dist)
    mt, _ = best_per_feature(access, passes[("motorway", "time_s")].dist)
    t_res = passes[("trunk", "length_m")]
    ok = t_row >= 0
    trunk_node = np.full(len(td), -1, dtype=np.int64)
    trunk_node[ok] = t_res.origin[t_row[ok]]
    straight = np.full(len(td), np.nan)
    if ok.any():
        end = net.node_rows(trunk_node[ok])
        straight[ok] = np.hypot(*(xy[t_row[ok]] - xy[end]).T)
    with np.errstate(divide="ignore", invalid="ignore"):
        detour = np.where(straight > 0, td / straight, np.nan)
    refs = np.full(len(td), None, dtype=object)
    if ok.any():
        r = nodes["trunk_ref"].to_numpy(dtype=object)[net.node_rows(trunk_node[ok])]
        refs[ok] = np.where(pd.isna(r), None, r)
    m_res = passes[("motorway", "length_m")]
    _, m_row = best_per_feature(access, m_res.dist)
    m_node = np.where(m_row >= 0, m_res.origin[np.maximum(m_row, 0)], -1)
    table = pd.DataFrame(
        {
            "access_nodes": access.count,
            "snap_distance_m": access.snap,
            "trunk_distance_m": td,
            "trunk_time_min": tt / 60.0,
            "nearest_trunk_ref": pd.array(refs, dtype="string"),
            "motorway_distance_m": md,
            "motorway_time_min": mt / 60.0,
            "detour_index": detour,
            "detour_flag": np.nan_to_num(detour, nan=0.0) > detour_limit,
            "within_30min": np.nan_to_num(mt, nan=np.inf) <= 30 * 60.0,
            "trunk_node": trunk_node,
            "motorway_node": m_node,
        }
    )
    return table, {"trunk": t_row, "motorway": m_row}


def reasons(access: Access, table: pd.DataFrame, n_trunk: int, n_mway: int) -> pd.Series:
    out: list[str | None] = []
    td = table["trunk_distance_m"].to_numpy()
    md = table["motorway_distance_m"].to_numpy()
    for i, base in enumerate(access.reason):
        notes = [base] if base else []
        if base is None:
            if n_trunk == 0:
                notes.append("the road network has no trunk routes")
            elif np.isnan(td[i]):
                notes.append(
                    "no trunk route can be reached by road from the park (its part of the "
                    "network has no trunk road, or one-ways block the way out)"
                )
            if n_mway == 0:
                notes.append("the road network has no motorway entrances")
            elif np.isnan(md[i]):
                notes.append("no motorway entrance can be reached by road from the park")
        out.append("; ".join(notes) if notes else None)
    return pd.Series(pd.array(out, dtype="string"), index=table.index)


def routes(
    net: RoadNetwork,
    parks: gpd.GeoDataFrame,
    passes: dict[tuple[str, str], MultiSourceResult],
    starts: dict[str, np.ndarray],
) -> gpd.GeoDataFrame:
    rows: list[dict[str, Any]] = []
    t_edge = net.edges["time_s"].to_numpy(dtype=float)
    l_edge = net.edges["length_m"].to_numpy(dtype=float)
    refs = net.nodes["trunk_ref"]
    for target, col in (("trunk", "trunk_node"), ("motorway", "motorway_node")):
        res = passes[(target, "length_m")]
        dist_col = f"{target}_distance_m"
        for pid, dist, to_node, start in zip(
            parks["park_id"], parks[dist_col], parks[col], starts[target], strict=True
        ):
            if not np.isfinite(dist) or dist <= 0 or start < 0:
                continue
            edges = net.path_edges(res, int(net.nodes.index[start]))
            ref = refs.loc[to_node] if target == "trunk" else None
            rows.append(
                {
                    "park_id": pid,
                    "target": target,
                    "from_node": int(net.nodes.index[start]),
                    "to_node": int(to_node),
                    "to_ref": None if ref is None or pd.isna(ref) else str(ref),
                    "distance_m": float(l_edge[edges].sum()),
                    "time_min": float(t_edge[edges].sum() / 60.0),
                    "geometry": net.edges_line(edges),
                }
            )
    cols = ["park_id", "target", "from_node", "to_node", "to_ref", "distance_m", "time_min"]
    frame = pd.DataFrame(rows, columns=[*cols, "geometry"])
    for c in ("park_id", "target", "to_ref"):
        frame[c] = frame[c].astype("string")
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=net.crs)


def isochrone_frame(
    net: RoadNetwork,
    access: Access,
    ids: np.ndarray,
    minutes: tuple[float, ...],
    buffer_m: float,
) -> gpd.GeoDataFrame:
    reach = reach_polygons(net, access.groups(), minutes, buffer_m)
    geoms = np.array([r.geometry for r in reach], dtype=object)
    return gpd.GeoDataFrame(
        {
            "park_id": pd.array([ids[r.group] for r in reach], dtype="string"),
            "minutes": np.array([r.minutes for r in reach], dtype=float),
            "nodes_reached": np.array([r.nodes_reached for r in reach], dtype=np.int64),
            "area_m2": shapely.area(geoms) if len(geoms) else np.zeros(0),
        },
        geometry=geoms if len(geoms) else [],
        crs=net.crs,
    )


def summary(
    parks: gpd.GeoDataFrame,
    net: RoadNetwork,
    max_routes: int,
    snap_tolerance: float,
    max_snap_m: float,
    detour_limit: float,
) -> dict[str, Any]:
    def stat(col: str, fn: Any) -> float | None:
        v = parks[col].to_numpy(dtype=float)
        v = v[np.isfinite(v)]
        return float(fn(v)) if len(v) else None

    n = len(parks)
    within = int(parks["within_30min"].sum())
    return {
        "parks": n,
        "parks_reaching_trunk": int(parks["trunk_distance_m"].notna().sum()),
        "parks_reaching_motorway": int(parks["motorway_distance_m"].notna().sum()),
        "parks_within_30min": within,
        "share_within_30min": within / n if n else None,
        "parks_detour_flagged": int(parks["detour_flag"].sum()),
        "parks_single_access_route": int((parks["access_routes"] == 1).sum()),
        "parks_snapped_beyond_tolerance": int((parks["snap_distance_m"] > snap_tolerance).sum()),
        "parks_with_reason": int(parks["reason"].notna().sum()),
        "median_trunk_distance_m": stat("trunk_distance_m", np.median),
        "max_trunk_distance_m": stat("trunk_distance_m", np.max),
        "median_trunk_time_min": stat("trunk_time_min", np.median),
        "median_motorway_time_min": stat("motorway_time_min", np.median),
        "max_motorway_time_min": stat("motorway_time_min", np.max),
        "max_routes": max_routes,
        "snap_tolerance_m": snap_tolerance,
        "max_snap_m": max_snap_m,
        "detour_limit": detour_limit,
        "network_nodes": len(net.nodes),
        "network_edges": len(net.edges),
        "trunk_nodes": net.report.trunk_nodes,
        "motorway_entrances": net.report.motorway_entrances,
        "ways_cut": net.report.ways_cut,
        "unnoded_ends": net.report.unnoded_ends,
        "oneway_fallback": sum(net.report.oneway_fallback.values()),
        "maxspeed_fallback": sum(net.report.maxspeed_fallback.values()),
    }
