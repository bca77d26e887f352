"""Settlement hierarchy, output tables: the settlements frame, reasons, routed catchment links,
the reach table, the summary and the road lines drawn under the map."""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.hierarchy import _net as hnet
from geoplan.hierarchy._tiers import ReachTargets
from geoplan.network import MultiSourceResult, RoadNetwork

__all__ = [
    "links_frame",
    "reach_frame",
    "reasons",
    "road_lines",
    "settlement_frame",
    "summarise",
]


def settlement_frame(
    points: gpd.GeoDataFrame,
    tier: np.ndarray,
    *,
    parent: np.ndarray,
    time_to_parent: np.ndarray,
    time_to_seat: np.ndarray,
    snap: np.ndarray,
    towns: np.ndarray,
    terms: pd.DataFrame,
    served: np.ndarray,
    within: np.ndarray,
    seat: int,
) -> gpd.GeoDataFrame:
    """The settlements with their tier, parent, times, scores and snap distance."""
    n = len(points)
    out = points.copy()
    ids = _id_column(points.index)
    out["settlement_id"] = ids.array
    out["tier"] = pd.array(tier.astype(str), dtype="string")
    names = points["name"].astype("string").to_numpy()
    ok = parent >= 0
    out["parent"] = _masked_strings(names[np.maximum(parent, 0)], ok)
    pid = ids.iloc[np.maximum(parent, 0)].reset_index(drop=True)
    out["parent_id"] = pid.where(pd.Series(ok), other=None).astype(ids.dtype).array
    out["parent_tier"] = _masked_strings(tier[np.maximum(parent, 0)], ok)
    out["time_to_parent_min"] = time_to_parent
    out["time_to_seat_min"] = time_to_seat
    out.iloc[seat, out.columns.get_loc("time_to_seat_min")] = 0.0
    for col in ("score", "score_population", "score_villages", "score_centrality",
                "score_seat_distance"):  # fmt: skip
        vals = np.full(n, np.nan)
        vals[towns] = terms[col].to_numpy()
        out[col] = vals
    vs = np.full(n, np.nan)
    vs[towns] = served[towns]
    out["villages_served"] = pd.Series(vs).astype("Int64").array
    sw = np.full(n, np.nan)
    sw[towns] = within
    out["settlements_within"] = pd.Series(sw).astype("Int64").array
    out["snap_distance_m"] = np.where(np.isfinite(snap), snap, np.nan)
    return out


def _masked_strings(values: np.ndarray, ok: np.ndarray) -> Any:
    """A string array with ``values`` where ``ok``, missing elsewhere."""
    return pd.Series(values.astype(str), dtype="string").where(pd.Series(ok)).array


def _id_column(index: pd.Index) -> pd.Series:
    """Settlement ids from the index: integers as Int64, anything else as strings."""
    if pd.api.types.is_integer_dtype(index.dtype):
        return pd.Series(index.to_numpy(dtype=np.int64), dtype="Int64")
    return pd.Series(index.astype(str), dtype="string")


def reasons(
    tier: np.ndarray,
    *,
    on_net: np.ndarray,
    parent: np.ndarray,
    time_to_seat: np.ndarray,
    snap: np.ndarray,
    max_snap_m: float,
    via_central: bool,
    has_central: bool,
) -> list[str | None]:
    """Why a settlement has no time or parent (None where nothing is missing)."""
    out: list[str | None] = []
    for t, on, p, ts, sd in zip(tier, on_net, parent, time_to_seat, snap, strict=True):
        if not on:
            near = "no road node at all" if not np.isfinite(sd) else f"nearest {sd:.0f} m"
            out.append(f"no road node within {max_snap_m:g} m ({near})")
        elif t == "county_seat":
            out.append(None)
        elif p < 0:
            if t == "village":
                out.append("no town reachable by road")
            elif t == "town" and via_central and has_central:
                out.append("neither a central town nor the county seat reachable by road")
            else:
                out.append("county seat not reachable by road")
        elif not np.isfinite(ts):
            out.append("county seat not reachable by road")
        else:
            out.append(None)
    return out


_LINK_KIND = {
    ("village", "county_seat"): "village-town",
    ("village", "central_town"): "village-town",
    ("village", "town"): "village-town",
    ("town", "central_town"): "town-central",
    ("town", "county_seat"): "town-seat",
    ("central_town", "county_seat"): "town-seat",
}


def links_frame(
    net: RoadNetwork,
    out: gpd.GeoDataFrame,
    parent: np.ndarray,
    rows: np.ndarray,
    passes: list[MultiSourceResult],
    pass_of: np.ndarray,
) -> gpd.GeoDataFrame:
    """One routed line per settlement with a parent, along the search tree of the pass
    (``passes[pass_of[i]]``) that found the parent."""
    xy = np.column_stack([out.geometry.x.to_numpy(), out.geometry.y.to_numpy()])
    child = np.flatnonzero(parent >= 0)
    geoms = np.empty(len(child), dtype=object)
    for k, res in enumerate(passes):
        sel = np.flatnonzero(pass_of[child] == k)
        c = child[sel]
        geoms[sel] = hnet.routed_links(net, res, rows[c], xy[c], xy[parent[c]])
    cols = ["settlement_id", "name", "tier", "parent_id", "parent", "parent_tier"]
    links = pd.DataFrame(out[cols].iloc[child]).reset_index(drop=True)
    links["link"] = pd.array(
        [_LINK_KIND[(str(a), str(b))] for a, b in zip(links["tier"], links["parent_tier"],
                                                       strict=True)],
        dtype="string",
    )  # fmt: skip
    links["time_min"] = out["time_to_parent_min"].to_numpy()[child]
    return gpd.GeoDataFrame(links, geometry=list(geoms), crs=out.crs)


def reach_frame(out: gpd.GeoDataFrame, targets: ReachTargets) -> gpd.GeoDataFrame:
    tier = out["tier"].astype(str).to_numpy()
    seat = int(np.flatnonzero(tier == "county_seat")[0])
    parts = []
    for check, mask, target, time_col in (
        ("seat_town", np.isin(tier, ("central_town", "town")), targets.seat_to_town_min,
         "time_to_seat_min"),
        ("town_village", tier == "village", targets.town_to_village_min, "time_to_parent_min"),
    ):  # fmt: skip
        sub = out[mask]
        time = sub[time_col].to_numpy(dtype=float)
        frame = pd.DataFrame(
            {
                "check": pd.array([check] * len(sub), dtype="string"),
                "settlement_id": sub["settlement_id"].array,
                "name": sub["name"].to_numpy(),
                "tier": sub["tier"].to_numpy(),
                "counterpart_id": (
                    out["settlement_id"].iloc[[seat] * len(sub)].array
                    if check == "seat_town"
                    else sub["parent_id"].array
                ),
                "counterpart": (
                    pd.array([out["name"].iloc[seat]] * len(sub), dtype="string")
                    if check == "seat_town"
                    else sub["parent"].to_numpy()
                ),
                "target_min": float(target),
                "time_min": time,
                "meets": np.isfinite(time) & (time <= target),
                "shortfall_min": np.where(
                    np.isfinite(time), np.maximum(time - target, 0.0), np.nan
                ),  # fmt: skip
                "reason": sub["reason"].to_numpy(),
                "geometry": sub.geometry.to_numpy(),
            }
        )
        parts.append(frame)
    table = pd.concat(parts, ignore_index=True)
    dtypes: dict[str, Any] = {"settlement_id": out["settlement_id"].dtype,
                              "counterpart_id": out["settlement_id"].dtype, "name": "string",
                              "tier": "string", "counterpart": "string", "reason": "string"}  # fmt: skip
    table = table.astype(dtypes)
    return gpd.GeoDataFrame(table, geometry="geometry", crs=out.crs)


def _finite_max(values: pd.Series) -> float | None:
    v = values.to_numpy(dtype=float, na_value=np.nan)
    v = v[np.isfinite(v)]
    return round(float(v.max()), 3) if len(v) else None


def summarise(
    out: gpd.GeoDataFrame,
    reach: gpd.GeoDataFrame,
    targets: ReachTargets,
    *,
    central_inferred: bool,
    unnamed: int,
) -> dict[str, Any]:
    tier = out["tier"].astype(str)
    counts = tier.value_counts()
    names = out["name"].astype(str)
    summary: dict[str, Any] = {
        "settlements": len(out),
        "county_seat": str(names[tier == "county_seat"].iloc[0]),
        "n_central_town": int(counts.get("central_town", 0)),
        "n_town": int(counts.get("town", 0)),
        "n_village": int(counts.get("village", 0)),
        "central_towns": "、".join(names[tier == "central_town"].tolist()),
        "central_inferred": bool(central_inferred),
        "off_network": int(out["reason"].str.startswith("no road node").fillna(False).sum()),
        "no_parent": int((out["parent"].isna() & (tier != "county_seat")).sum()),
        "seat_unreachable": int(out["time_to_seat_min"].isna().sum()),
        "unnamed": int(unnamed),
        "max_snap_distance_m": _finite_max(out["snap_distance_m"]),
        "max_time_to_seat_min": _finite_max(out["time_to_seat_min"]),
        "max_village_time_min": _finite_max(out.loc[tier == "village", "time_to_parent_min"]),
    }
    for check, target in (("seat_town", targets.seat_to_town_min),
                          ("town_village", targets.town_to_village_min)):  # fmt: skip
        rows = reach[reach["check"] == check]
        meet = int(rows["meets"].sum())
        summary[f"{check}_target_min"] = float(target)
        summary[f"{check}_checked"] = len(rows)
        summary[f"{check}_meet"] = meet
        summary[f"{check}_miss"] = len(rows) - meet
        summary[f"{check}_share_meeting"] = round(meet / len(rows), 4) if len(rows) else None
        summary[f"{check}_max_min"] = _finite_max(rows["time_min"])
    return summary


_MAP_HIGHWAYS = (
    "motorway", "motorway_link", "trunk", "trunk_link", "primary", "primary_link", "secondary",
    "secondary_link", "tertiary", "tertiary_link", "unclassified",
)  # fmt: skip


def road_lines(net: RoadNetwork) -> gpd.GeoDataFrame:
    """One line per road piece (the backward copy of a two-way edge left out), classes down to
    unclassified (村道) plus any trunk route: what the hierarchy map draws."""
    e = net.edges
    keep = (~e["reversed"].to_numpy(dtype=bool)) | e["oneway"].to_numpy(dtype=bool)
    hw = e["highway"].astype("string")
    keep &= (hw.isin(_MAP_HIGHWAYS).fillna(False) | e["is_trunk"]).to_numpy(dtype=bool)
    cols = ["highway", "ref", "name", "is_trunk"]
    return gpd.GeoDataFrame(e.loc[keep, cols].reset_index(drop=True),
                            geometry=e.geometry[keep].to_numpy(), crs=e.crs)  # fmt: skip
