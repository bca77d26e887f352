"""Synthetic county, part 3: industrial parks and the land records (approvals, supplies).

Approvals come in batches (批次) near the seat, towns and parks; supplies (供地) cover parts of
them, digitised with sub-metre offsets (slivers). Dates and progress are drawn so that every
status of the land audit occurs (domain.md §2): idle type 1 and 2, 供而未用, not yet due, started,
unknown (missing dates), government-caused delays, recoverable (>= 730 days late) and lapsed
batches; plus unmatched, duplicated, overlapping and mislabelled supply records.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geoplan.datasets._landscape import Landscape
from geoplan.datasets._supplies import DAY, fmt_date, make_supplies, rect, styles

__all__ = ["Parks", "make_approvals", "place_parks"]


@dataclass
class Parks:
    polygons: list[shapely.Polygon]
    ids: list[str]
    names: list[str]
    levels: list[str]
    detour: int  # only reachable by a long detour
    no_node: int  # no road node inside

    def frame(self, crs: object) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(
            {"park_id": self.ids, "name": self.names, "level": self.levels},
            geometry=list(self.polygons),
            crs=crs,
        )


def place_parks(
    land: Landscape,
    trunk_lines: list[shapely.LineString],
    mw_lines: list[shapely.LineString],
    exits: np.ndarray,
    rng: np.random.Generator,
) -> Parks:
    """3-6 parks in the demo (about 4 per unit of scale), next to trunk routes and exits."""
    n = max(5, round(4.2 * land.scale))
    inner = shapely.buffer(land.boundary, -400)
    shapely.prepare(inner)
    skel = shapely.union_all(trunk_lines + mw_lines)
    allpts = np.vstack([land.villages, land.towns, land.seat[None, :]])
    clear = np.concatenate([land.village_radius + 200, land.town_radius + 200, [0.0]])
    polys: list[shapely.Polygon] = []
    kinds: list[str] = []
    plan = ["seat", "detour", "no_node"] + ["exit"] * min(len(exits), 2) + ["trunk"] * n
    for kind in plan:
        if len(polys) >= n:
            break
        for _ in range(400):
            if kind == "seat":
                tgt = exits[0] if len(exits) else land.seat + rng.normal(0, 1, 2)
                d = (tgt - land.seat) / np.linalg.norm(tgt - land.seat)
                d = d + rng.normal(0, 0.35, 2)
                d /= np.linalg.norm(d)
                c = land.seat + d * (land.seat_radius + rng.uniform(700, 1300))
                w, h = rng.uniform(1700, 2300), rng.uniform(1100, 1500)
                ang = math.atan2(d[1], d[0])
            elif kind == "exit":
                c = exits[len([k for k in kinds if k == "exit"])] + rng.normal(0, 900, 2)
                w, h, ang = rng.uniform(900, 1600), rng.uniform(600, 1100), rng.uniform(0, 3.14)
            else:
                line = trunk_lines[int(rng.integers(len(trunk_lines)))]
                s = rng.uniform(0.05, 0.95) * line.length
                p0 = np.array(shapely.line_interpolate_point(line, s).coords[0])
                p1 = np.array(shapely.line_interpolate_point(line, s + 50).coords[0])
                t = (p1 - p0) / max(np.linalg.norm(p1 - p0), 1e-9)
                nrm = np.array([-t[1], t[0]]) * rng.choice([-1, 1])
                w = rng.uniform(900, 1700) if kind != "no_node" else rng.uniform(550, 750)
                h = rng.uniform(600, 1100) if kind != "no_node" else rng.uniform(450, 600)
                gap = {"detour": 260.0, "no_node": rng.uniform(900, 1500)}.get(kind, 150.0)
                c = p0 + nrm * (h / 2 + gap)
                ang = math.atan2(t[1], t[0])
            poly = rect(c, w, h, ang)
            if not shapely.contains(inner, poly):
                continue
            if any(shapely.distance(poly, q) < 600 for q in polys):
                continue
            dist = shapely.distance(poly, shapely.points(allpts))
            if np.any(dist < clear):
                continue
            if kind != "seat" and shapely.distance(poly, shapely.points(land.seat)) < (
                land.seat_radius + 600
            ):
                continue
            dsk = shapely.distance(poly, skel)
            if kind == "detour" and not (200 < dsk < 400):
                continue
            if kind == "no_node" and dsk < 500:
                continue
            if kind in ("trunk", "exit") and dsk < 60:
                continue
            polys.append(shapely.set_precision(poly, 0.1))
            kinds.append(kind)
            break
    names, levels = [], []
    for k, (poly, kind) in enumerate(zip(polys, kinds, strict=True)):
        if kind == "seat":
            names.append("示范县产业集聚区")
            levels.append("省级")
            continue
        c = shapely.centroid(poly)
        ti = int(np.argmin(np.linalg.norm(land.towns - [c.x, c.y], axis=1)))
        base = land.town_names[ti][:-1]
        theme = ["食品", "纺织服装", "装备制造", "新材料", "家居", "物流", "农副产品加工"][k % 7]
        names.append(f"{base}{theme}产业园")
        levels.append("市级")
    return Parks(
        polygons=polys,
        ids=[f"P{k + 1:02d}" for k in range(len(polys))],
        names=names,
        levels=levels,
        detour=kinds.index("detour") if "detour" in kinds else -1,
        no_node=kinds.index("no_node") if "no_node" in kinds else -1,
    )


def make_approvals(
    land: Landscape,
    parks: Parks,
    rng: np.random.Generator,
    *,
    as_of: dt.date,
    factor: float = 1.0,
) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Approval polygons (one row per polygon, batch fields repeated) and supply records."""
    n_b = max(12, round(150 * land.scale * factor))
    y0, y1 = 2015, as_of.year
    years = rng.choice(np.arange(y0, y1 + 1), n_b, p=_year_weights(y0, y1, as_of))
    start = np.array([dt.date(int(y), 1, 1).toordinal() for y in years])
    end = np.array([min(dt.date(int(y), 12, 31), as_of - 20 * DAY).toordinal() for y in years])
    days = np.sort(start + (rng.random(n_b) * (end - start)).astype(int))
    years = np.array([dt.date.fromordinal(int(d)).year for d in days])
    single = rng.random(n_b) < 0.12
    village = (~single) & (rng.random(n_b) < 0.1)
    batch, pzwh, ptype = _batch_names(rng, years, single, village)
    approvals, frames = _approval_polygons(land, parks, rng, batch, pzwh, ptype, days)
    supplies = make_supplies(land, approvals, frames, days, batch, ptype, rng, as_of=as_of)
    return approvals.drop(columns="_batch"), supplies


_PROJECTS = (
    "G106改建工程",
    "变电站工程",
    "污水处理厂",
    "乡村公路",
    "110千伏输变电",
    "引黄调蓄工程",
)


def _batch_names(
    rng: np.random.Generator, years: np.ndarray, single: np.ndarray, village: np.ndarray
) -> tuple[list[str], list[str], list[str]]:
    """Batch names, document numbers (unique) and approval types, batch by batch."""
    n_b = len(years)
    counter: dict[tuple[int, str], int] = {}
    nos: set[str] = set()
    no_max = max(1500, 4 * n_b)  # document numbers per year: room for every batch
    batch, pzwh, ptype = [], [], []
    for i in range(n_b):
        y = int(years[i])
        if single[i]:
            k = counter.setdefault((y, "s"), 0) + 1
            counter[(y, "s")] = k
            batch.append(f"{y}年单独选址{_PROJECTS[(i + k) % len(_PROJECTS)]}项目（{k}）")
            ptype.append("单独选址用地")
        else:
            kind = "村镇" if village[i] else "城镇"
            k = counter.setdefault((y, "c"), 0) + 1
            counter[(y, "c")] = k
            batch.append(f"{y}年第{k}批次{kind}建设用地")
            ptype.append("城市批次用地")
        while True:
            pre = "汴政土" if village[i] else "豫政土"
            no = f"{pre}〔{y}〕{int(rng.integers(5, no_max))}号"
            if no not in nos:
                nos.add(no)
                pzwh.append(no)
                break
    return batch, pzwh, ptype


def _approval_polygons(
    land: Landscape,
    parks: Parks,
    rng: np.random.Generator,
    batch: list[str],
    pzwh: list[str],
    ptype: list[str],
    days: np.ndarray,
) -> tuple[gpd.GeoDataFrame, list[tuple[Any, ...]]]:
    """One to five rectangles per batch around the seat fringe, the towns and the parks
    (weights per hub, so that in a large county the many towns and parks take most batches,
    not the one seat); some overlap an earlier polygon of another batch. Also each polygon's
    frame (centre, axis, width, height, angle) for cutting it into supplies."""
    n_b = len(batch)
    hubs = [(land.seat, land.seat_radius, 0.45)]
    hubs += [(land.towns[i], land.town_radius[i], 0.25 / 15) for i in range(len(land.towns))]
    hubs += [(np.array(shapely.centroid(p).coords[0]), 0.0, 0.30 / 5) for p in parks.polygons]
    hw = np.array([h[2] for h in hubs])
    inner = shapely.buffer(land.boundary, -200)
    shapely.prepare(inner)
    rows: list[dict[str, Any]] = []
    geoms: list[shapely.Polygon] = []
    frames: list[tuple[Any, ...]] = []
    app_style = styles(rng, n_b)
    for i in range(n_b):
        h = int(rng.choice(len(hubs), p=hw / hw.sum()))
        centre, rad, _ = hubs[h]
        for _j in range(int(rng.integers(1, 6))):
            for _ in range(50):
                if geoms and rng.random() < 0.05:  # overlaps an earlier polygon of another batch
                    c0, u0, w0, h0, a0 = frames[int(rng.integers(len(frames)))]
                    c = c0 + u0 * w0 * rng.uniform(0.3, 0.6)
                elif rad > 0:
                    r = rad * rng.uniform(0.55, 1.3)
                    t = rng.uniform(0, 2 * math.pi)
                    c = centre + r * np.array([math.cos(t), math.sin(t)])
                else:
                    c = centre + rng.normal(0, 350, 2)
                area = float(np.clip(rng.lognormal(math.log(35000), 0.7), 5000, 250000))
                asp = rng.uniform(1.0, 2.4)
                w, hh = math.sqrt(area * asp), math.sqrt(area / asp)
                ang = rng.uniform(-0.3, 0.3)
                poly = rect(c, w, hh, ang)
                if shapely.contains(inner, poly):
                    break
            else:
                continue
            u = np.array([math.cos(ang), math.sin(ang)])
            frames.append((c, u, w, hh, ang))
            geoms.append(shapely.set_precision(poly, 0.1))
            rows.append(
                {
                    "批次名称": batch[i],
                    "批准文号": pzwh[i],
                    "批准日期": fmt_date(dt.date.fromordinal(int(days[i])), int(app_style[i]) % 4),
                    "批准类型": ptype[i],
                    "_batch": i,
                }
            )
    return gpd.GeoDataFrame(rows, geometry=geoms, crs=land.crs), frames


def _year_weights(y0: int, y1: int, as_of: dt.date) -> np.ndarray:
    w = np.ones(y1 - y0 + 1)
    w[-1] = max((as_of - dt.date(y1, 1, 1)).days / 365.0, 0.05)
    return w / w.sum()
