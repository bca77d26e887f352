"""Synthetic county, part 2: the road network (OSM tagging as used for China).

Hierarchy: motorway (two one-way carriageways, exits with motorway_link ramps and
motorway_junction nodes), trunk (G1xx/G3xx national roads), primary (S2xx), secondary (X0xx,
linking the seat and the towns), tertiary (Y0xx, towns to villages), unclassified village roads
(some with C refs), residential streets in the seat, towns and villages, and park roads. Village
roads follow a pruned Delaunay graph of the settlements, so every settlement is connected; all
at-grade crossings become shared nodes (``node_lines``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import shapely
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra, minimum_spanning_tree
from scipy.spatial import Delaunay

from geoplan.datasets._graph import RoadBuilder
from geoplan.datasets._landscape import Landscape, wiggle_line
from geoplan.datasets._names import street_names
from geoplan.datasets._records import Parks, place_parks

__all__ = ["Roads", "make_roads"]

CARRIAGEWAY_OFFSET = 12.0


@dataclass
class Roads:
    builder: RoadBuilder
    parks: Parks
    motorway_lines: list[shapely.LineString]
    trunk_lines: list[shapely.LineString]  # trunk + primary skeleton (before noding)
    exits: np.ndarray  # (k, 2) interchange points
    settlement_node: np.ndarray  # node id of seat, towns, villages (stacked as settlement_xy)
    notes: dict[str, int] = field(default_factory=dict)


def _through(land: Landscape, anchor: np.ndarray, angle: float) -> np.ndarray | None:
    """Control points of a straight route across the county through ``anchor``."""
    b = land.boundary
    x0, y0, x1, y1 = b.bounds
    L = 2 * math.hypot(x1 - x0, y1 - y0)
    v = np.array([math.cos(angle), math.sin(angle)])
    line = shapely.linestrings([anchor - L * v, anchor + L * v])
    parts = [p for p in shapely.get_parts(shapely.intersection(line, b)) if p.length > 0]
    if not parts:
        return None
    # the part that contains the anchor (or nearest to it)
    pt = shapely.points(anchor)
    part = min(parts, key=lambda p: shapely.distance(p, pt))
    return shapely.get_coordinates(part)


def _route_xy(
    ctrl: np.ndarray, anchor: np.ndarray | None, rng: np.random.Generator, amp: float, step: float
) -> tuple[np.ndarray, int]:
    """Meandering polyline along ``ctrl`` passing exactly through ``anchor`` (returns its index)."""
    if anchor is None:
        xy = wiggle_line(ctrl, rng, step=step, amp=amp, wavelength=12000)
        return xy, -1
    a, b = ctrl[0], ctrl[-1]
    p1 = wiggle_line(np.array([a, anchor]), rng, step=step, amp=amp, wavelength=12000)
    p2 = wiggle_line(np.array([anchor, b]), rng, step=step, amp=amp, wavelength=12000)
    return np.vstack([p1, p2[1:]]), len(p1) - 1


def make_roads(land: Landscape, rng: np.random.Generator) -> Roads:
    """Build the whole network (already noded)."""
    rb = RoadBuilder()
    f = math.sqrt(land.scale)
    sxy = land.settlement_xy
    snode = rb.add_nodes(sxy)
    n_t = len(land.towns)
    seat_id = int(snode[0])

    # ---- skeleton: trunk (G) and primary (S) routes through the seat and towns
    skel: list[tuple[np.ndarray, dict[str, str], int, float]] = []
    g_refs = iter(["G106", "G310", "G220", "G240", "G327", "G343", "G105", "G311", "G230", "G207"])
    n_trunk = max(2, round(2 * f))
    anchors = [0, 0] + list(rng.choice(np.arange(1, n_t + 1), n_trunk - 2, replace=False))
    for k, si in enumerate(anchors):
        angle = (math.pi / 2 if k % 2 == 0 else 0.0) + rng.normal(0, 0.12)
        ref = next(g_refs, f"G{3 * k + 201}")
        skel.append(
            (sxy[si], {"highway": "trunk", "ref": ref, "name": f"{ref[1:]}国道"}, si, angle)
        )
    n_prim = max(2, round(3 * f))
    prim_anchor = rng.choice(np.arange(1, n_t + 1), n_prim, replace=n_prim > n_t)
    for k, si in enumerate(prim_anchor):
        angle = rng.uniform(0, math.pi)
        ref = f"S{211 + 2 * k}"
        skel.append((sxy[si], {"highway": "primary", "ref": ref, "name": f"{ref}省道"}, si, angle))
    trunk_lines = []
    for anchor, tags, si, angle in skel:
        ctrl = _through(land, anchor, angle)
        if ctrl is None:
            continue
        xy, ai = _route_xy(ctrl, anchor, rng, amp=600, step=260)
        ids = np.full(len(xy), -1, dtype=np.int64)
        ids[np.arange(len(xy)) != ai] = rb.add_nodes(np.delete(xy, ai, axis=0))
        ids[ai] = snode[si]
        for s in range(0, len(ids) - 1, 24):
            t = dict(tags)
            if rng.random() < 0.5:
                t["maxspeed"] = "80" if tags["highway"] == "trunk" else "60"
            rb.add_line(ids[s : s + 25], t)
        trunk_lines.append(shapely.linestrings(xy))

    # ---- motorway centre lines (grade separated) and exits
    mw_lines, exits, exit_ids = _motorways(land, rb, rng)

    # ---- parks next to trunk routes and exits
    parks = place_parks(land, trunk_lines, mw_lines, exits, rng)

    # ---- village roads: pruned Delaunay graph of all settlements
    _village_roads(land, rb, rng, snode, parks)

    # ---- streets: seat grid, town grids, village lanes
    _grid(rb, rng, land.seat, land.seat_radius * 0.95, 330.0, seat_id, main_every=3, oneways=7)
    for i in range(n_t):
        _grid(rb, rng, land.towns[i], land.town_radius[i] * 0.85, 260.0, int(snode[1 + i]))
    _village_lanes(land, rb, rng, snode[1 + n_t :])

    # ---- park roads and access
    notes = _park_roads(land, rb, rng, parks, trunk_lines, snode)

    # ---- motorway interchange connectors (to the nearest settlement on the near side)
    for k, p in enumerate(exits):
        pid = exit_ids[k]
        d = np.linalg.norm(sxy - p, axis=1)
        d[d < 400] = np.inf
        tgt = int(np.argmin(d))
        xy = wiggle_line(np.array([p, sxy[tgt]]), rng, step=200, amp=80, wavelength=4000)
        rb.add_polyline(
            xy, {"highway": "secondary", "ref": f"X{90 + k:03d}", "name": "高速连接线"},
            start=pid, end=int(snode[tgt]),
        )  # fmt: skip

    # ---- non-highway ways (must be ignored by road readers)
    rail = shapely.get_coordinates(shapely.segmentize(land.railway, 500))
    rb.add_polyline(rail, {"railway": "rail", "name": "陇海铁路", "gauge": "1435"}, -1, chunk=40)
    river = shapely.intersection(land.river, shapely.buffer(land.boundary, 2000))
    for part in shapely.get_parts(river):
        rb.add_polyline(
            shapely.get_coordinates(part), {"waterway": "river", "name": "黄河"}, -1, chunk=60
        )

    notes["junctions"] = rb.node()
    # the park without any road node inside: make sure of it
    nn = parks.no_node
    if nn >= 0:
        xy = rb.xy
        used = np.unique(np.concatenate(rb.lines))
        inside = used[shapely.contains_xy(parks.polygons[nn], xy[used, 0], xy[used, 1])]
        if len(inside):
            hole = shapely.buffer(shapely.points(xy[inside]), 40.0)
            parks.polygons[nn] = shapely.difference(parks.polygons[nn], shapely.union_all(hole))
        notes["no_node_park_trimmed"] = len(inside)
    notes["directed_edges"] = rb.directed_edges()
    return Roads(rb, parks, mw_lines, trunk_lines, exits, snode, notes)


def _motorways(
    land: Landscape, rb: RoadBuilder, rng: np.random.Generator
) -> tuple[list[shapely.LineString], np.ndarray, list[int]]:
    f = math.sqrt(land.scale)
    n_mw = max(1, round(f / 2))
    lines, exits = [], []
    exit_ids: list[int] = []
    exit_no = 1
    for k in range(n_mw):
        angle = (0.0 if k % 2 == 0 else math.pi / 2) + rng.normal(0, 0.08)
        normal = np.array([-math.sin(angle), math.cos(angle)])
        off = (5500 + 9000 * (k // 2)) * min(1.0, f) * (1 if k < 2 else -1)
        ctrl = _through(land, land.seat + normal * off, angle)
        if ctrl is None:
            continue
        c = wiggle_line(ctrl, rng, step=300, amp=900 * min(1.0, f), wavelength=30000)
        if len(c) < 16:
            continue
        line = shapely.linestrings(c)
        lines.append(line)
        ref, name = [("G30", "连霍高速"), ("G45", "大广高速"), ("G3", "京台高速")][k % 3]
        tang = np.gradient(c, axis=0)
        tang /= np.linalg.norm(tang, axis=1, keepdims=True)
        right = np.column_stack([tang[:, 1], -tang[:, 0]])
        fwd = rb.add_nodes(c + right * CARRIAGEWAY_OFFSET)
        bwd = rb.add_nodes(c - right * CARRIAGEWAY_OFFSET)  # travelled in reverse
        # exits every ~18 km (2-3 in the demo county), with the ramps on the seat side
        n_ex = (
            max(2, min(3, int(line.length / 18000)))
            if land.scale <= 1
            else int(line.length / 18000)
        )
        stations = np.linspace(0.2, 0.8, max(n_ex, 1)) * line.length
        cum = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(c, axis=0), axis=1))])
        cut_f, cut_b = [0, len(c) - 1], [0, len(c) - 1]
        for s in stations:
            i = int(np.searchsorted(cum, s))
            i = min(max(i, 3), len(c) - 4)
            side = 1.0 if np.dot(land.seat - c[i], right[i]) > 0 else -1.0
            p = c[i] + right[i] * side * 650
            if not shapely.contains_xy(land.boundary, *p):
                continue
            pid = int(rb.add_nodes(p[None, :])[0])
            exit_ids.append(pid)
            exits.append(p)
            iu, idn = i - 2, i + 2  # ~600 m up/down stream
            jname = f"{land.town_names[exit_no % len(land.town_names)][:-1]}站"
            # ramps for the forward carriageway (seat side when side > 0)
            for car, up, dn in ((fwd, iu, idn), (bwd, idn, iu)):
                div, mer = int(car[up]), int(car[dn])
                rb.node_tags[div] = {
                    "highway": "motorway_junction",
                    "ref": str(exit_no),
                    "name": jname,
                }
                for frm, to in ((div, pid), (pid, mer)):
                    a, b = rb.xy[frm], rb.xy[to]
                    mid = (a + b) / 2 + right[i] * side * 120
                    xy = wiggle_line(np.array([a, mid, b]), rng, step=90, amp=0, wavelength=1)
                    t = {"highway": "motorway_link", "oneway": "yes"}
                    if rng.random() < 0.5:
                        t["maxspeed"] = "40"
                    rb.add_polyline(xy, t, -1, start=frm, end=to)
            cut_f += [iu, idn]
            cut_b += [iu, idn]
            exit_no += 1
        tags = {"highway": "motorway", "ref": ref, "name": name, "oneway": "yes", "lanes": "2",
                "maxspeed": "120"}  # fmt: skip
        for car, cut_list in ((fwd, cut_f), (bwd[::-1], cut_b)):
            cuts = np.unique(np.clip(np.asarray(cut_list), 0, len(c) - 1))
            if car is not fwd:
                cuts = np.unique(len(c) - 1 - cuts)
            for s0, s1 in zip(cuts[:-1], cuts[1:], strict=True):
                rb.add_line(car[s0 : s1 + 1], dict(tags), -1)
    return lines, np.asarray(exits).reshape(-1, 2), exit_ids


def _village_roads(
    land: Landscape, rb: RoadBuilder, rng: np.random.Generator, snode: np.ndarray, parks: Parks
) -> None:
    sxy = land.settlement_xy
    n = len(sxy)
    tri = Delaunay(sxy)
    s = tri.simplices
    e = np.vstack([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    ln = np.linalg.norm(sxy[e[:, 0]] - sxy[e[:, 1]], axis=1)
    segs = shapely.linestrings(np.stack([sxy[e[:, 0]], sxy[e[:, 1]]], axis=1))
    blocked = np.zeros(len(e), bool)
    for k in (parks.detour, parks.no_node):
        if k >= 0:
            blocked |= shapely.intersects(segs, shapely.buffer(parks.polygons[k], 150))
    inside = shapely.within(segs, shapely.buffer(land.boundary, 300))
    w = np.where(blocked, 0, ln)
    g = coo_matrix((w, (e[:, 0], e[:, 1])), shape=(n, n)).tocsr()
    mst = minimum_spanning_tree(g).tocoo()
    in_mst = set(zip(np.minimum(mst.row, mst.col), np.maximum(mst.row, mst.col), strict=True))
    is_mst = np.array([(a, b) in in_mst for a, b in e])
    # drop the longest edge of many triangles, very long edges and edges leaving the county
    longest = np.zeros(len(e), bool)
    tri_e = np.sort(np.stack([s[:, [0, 1]], s[:, [1, 2]], s[:, [2, 0]]], axis=1), axis=2)
    tl = np.linalg.norm(sxy[tri_e[:, :, 0]] - sxy[tri_e[:, :, 1]], axis=2)
    lng = tri_e[np.arange(len(s)), np.argmax(tl, axis=1)]
    idx = {(a, b): k for k, (a, b) in enumerate(e)}
    lng_idx = np.array([idx[(a, b)] for a, b in lng])
    longest[lng_idx[rng.random(len(lng_idx)) < 0.45]] = True
    keep = (is_mst | (~longest & (ln < 6000) & inside)) & ~blocked
    e, ln = e[keep], ln[keep]
    # class by routes: X (seat <-> towns, over an MST of towns), Y (towns -> far villages)
    n_t = len(land.towns)
    g = coo_matrix((ln, (e[:, 0], e[:, 1])), shape=(n, n)).tocsr()
    g = g + g.T
    eidx = {(min(a, b), max(a, b)): k for k, (a, b) in enumerate(e)}
    cls = np.zeros(len(e), int)  # 0 unclassified, 1 tertiary, 2 secondary
    refs: list[list[str]] = [[] for _ in range(len(e))]
    hubs = np.arange(n_t + 1)
    hxy = sxy[hubs]
    dm = np.linalg.norm(hxy[:, None] - hxy[None], axis=2)
    tmst = minimum_spanning_tree(dm).tocoo()
    _, pred = dijkstra(g, indices=hubs, return_predecessors=True)
    for k, (a, b) in enumerate(zip(tmst.row, tmst.col, strict=True)):
        _mark(pred[a], int(hubs[a]), int(hubs[b]), eidx, cls, refs, 2, f"X{k + 1:03d}")
    yk = 1
    for ti in range(n_t + 1):
        vil = np.flatnonzero(land.village_township == ti)
        if len(vil) == 0:
            continue
        vn = 1 + n_t + vil
        d = np.linalg.norm(sxy[vn] - sxy[ti], axis=1)
        for v in vn[np.argsort(-d)[: max(1, len(vn) // 6)]]:
            _mark(pred[ti], ti, int(v), eidx, cls, refs, 1, f"Y{yk:03d}")
            yk += 1
    hw = np.array(["unclassified", "tertiary", "secondary"])[cls]
    ck = 1
    for k, (a, b) in enumerate(e):
        xa, xb = sxy[a], sxy[b]
        xy = wiggle_line(
            np.array([xa, xb]), rng, step=200, amp=0.03 * ln[k], wavelength=ln[k] * 1.3
        )
        tags = {"highway": str(hw[k])}
        if refs[k]:
            tags["ref"] = ";".join(sorted(set(refs[k])))
        elif rng.random() < 0.3:
            tags["ref"] = f"C{ck:03d}"
            ck += 1
        if cls[k] == 2 and rng.random() < 0.3:
            tags["maxspeed"] = "60"
        rb.add_polyline(xy, tags, start=int(snode[a]), end=int(snode[b]))


def _mark(
    pred: np.ndarray, src: int, dst: int, eidx: dict, cls: np.ndarray, refs: list, c: int, ref: str
) -> None:
    v = dst
    while v != src and v >= 0:
        u = int(pred[v])
        if u < 0:
            return
        k = eidx[(min(u, v), max(u, v))]
        if cls[k] < c:
            cls[k], refs[k] = c, [ref]
        elif cls[k] == c:
            refs[k].append(ref)
        v = u


def _grid(
    rb: RoadBuilder,
    rng: np.random.Generator,
    centre: np.ndarray,
    radius: float,
    spacing: float,
    centre_id: int,
    *,
    main_every: int = 0,
    oneways: int = 0,
) -> None:
    """A street grid clipped to a disc; the two central streets pass through ``centre_id``."""
    ang = rng.uniform(-0.25, 0.25)
    names = street_names(rng, 64)
    k = int(radius // spacing)
    specs = []
    for d in range(2):
        u = np.array([math.cos(ang + d * math.pi / 2), math.sin(ang + d * math.pi / 2)])
        v = np.array([-u[1], u[0]])
        for j in range(-k, k + 1):
            off = j * spacing
            half = math.sqrt(max(radius**2 - off**2, 0))
            if half < spacing:
                continue
            specs.append((d, j, centre + v * off - u * half, centre + v * off + u * half))
    one = set(rng.choice(len(specs), min(oneways, len(specs)), replace=False)) if oneways else set()
    for n, (_d, j, a, b) in enumerate(specs):
        main = main_every and j % main_every == 0
        tags = {"highway": "tertiary" if main else "residential", "name": names[n % len(names)]}
        if n in one and not main:
            tags["oneway"] = "-1" if n % 3 == 0 else "yes"
        if main and rng.random() < 0.4:
            tags["maxspeed"] = "40"
        if j == 0:  # through the centre node
            rb.add_polyline(np.array([a, centre]), tags, end=centre_id)
            rb.add_polyline(np.array([centre, b]), dict(tags), start=centre_id)
        else:
            rb.add_polyline(np.array([a, b]), tags)


def _village_lanes(
    land: Landscape, rb: RoadBuilder, rng: np.random.Generator, vnode: np.ndarray
) -> None:
    ang = rng.uniform(0, math.pi, len(vnode))
    for i, vid in enumerate(vnode):
        r = land.village_radius[i] * 0.9
        c = land.villages[i]
        for d in range(2):
            u = np.array([math.cos(ang[i] + d * math.pi / 2), math.sin(ang[i] + d * math.pi / 2)])
            rb.add_polyline(np.array([c - u * r, c]), {"highway": "residential"}, end=int(vid))
            rb.add_polyline(np.array([c, c + u * r]), {"highway": "residential"}, start=int(vid))
        if land.village_radius[i] > 180:  # a back lane parallel to the first, crossing the second
            u = np.array([math.cos(ang[i]), math.sin(ang[i])])
            v = np.array([-u[1], u[0]]) * r * 0.45
            rb.add_polyline(np.array([c + v - u * r * 0.8, c + v + u * r * 0.8]),
                            {"highway": "residential"})  # fmt: skip
    # a few odd maxspeed values as found in real extracts
    res = [k for k, t in enumerate(rb.tags) if t.get("highway") == "residential"]
    for k in rng.choice(res, min(3, len(res)), replace=False):
        rb.tags[int(k)]["maxspeed"] = "signals"
    ter = [k for k, t in enumerate(rb.tags) if t.get("highway") == "tertiary"]
    for k in rng.choice(ter, min(2, len(ter)), replace=False):
        rb.tags[int(k)]["maxspeed"] = "60 mph"


def _park_roads(
    land: Landscape,
    rb: RoadBuilder,
    rng: np.random.Generator,
    parks: Parks,
    trunk_lines: list,
    snode: np.ndarray,
) -> dict[str, int]:
    sxy = land.settlement_xy
    tl = shapely.union_all(trunk_lines)
    notes = {}
    for k, poly in enumerate(parks.polygons):
        c = np.array(shapely.centroid(poly).coords[0])
        if k == parks.no_node:
            # a dead-end road that stops short of the park: no road node inside it
            d = np.linalg.norm(sxy - c, axis=1)
            tgt = int(np.argmin(d))
            edge = shapely.get_coordinates(shapely.shortest_line(poly, shapely.points(sxy[tgt])))
            stop = edge[0] + (edge[1] - edge[0]) / np.linalg.norm(edge[1] - edge[0]) * 40
            rb.add_polyline(np.array([sxy[tgt], stop]), {"highway": "unclassified"},
                            start=int(snode[tgt]))  # fmt: skip
            notes["no_node_park"] = k
            continue
        group = 7 if k == parks.detour else 0
        # two internal streets along the park's axes
        rect = shapely.get_coordinates(shapely.oriented_envelope(poly))[:4]
        ax1, ax2 = rect[1] - rect[0], rect[3] - rect[0]
        for ax, other in ((ax1, ax2), (ax2, ax1)):
            a = c - ax * 0.45
            b = c + ax * 0.45
            for off in (-0.2, 0.2):
                rb.add_polyline(
                    np.array([a + other * off, b + other * off]),
                    {"highway": "unclassified", "name": parks.names[k] + "路"}, group,
                )  # fmt: skip
        if k == parks.detour:
            # the only way out: a long road away from the trunk route to a distant village
            away = c - np.array(
                shapely.get_coordinates(shapely.shortest_line(shapely.points(c), tl))[1]
            )
            away /= np.linalg.norm(away)
            d = np.linalg.norm(sxy - (c + away * 4000), axis=1)
            tgt = int(np.argmin(d))
            rb.add_polyline(np.array([c - ax1 * 0.2, sxy[tgt]]),
                            {"highway": "tertiary", "name": "园区北路", "layer": "1"}, 7,
                            end=int(snode[tgt]))  # fmt: skip
            notes["detour_park"] = k
            continue
        # access road to the nearest trunk route (ends exactly on it: a T-junction)
        near = shapely.get_coordinates(shapely.shortest_line(shapely.points(c), tl))[1]
        rb.add_polyline(
            np.array([c, near]), {"highway": "tertiary", "name": parks.names[k] + "大道"}
        )
    return notes
