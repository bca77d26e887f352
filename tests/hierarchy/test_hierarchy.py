"""Settlement hierarchy on a hand-built network, checked against NetworkX and hand computation.

The network (metres, EPSG:4547; maxspeed 60 km/h = 1 min per km unless noted)::

                      V9
                B(0,11000)──4 km──(4000,11000)
                  │ 3 km
        (0,8000) ─┼──── 10.77 km ───── V1 (10000,4000)
                  │ 8 km                  ↑ one-way A → V1 only
    V2            │   V5 (3000,3000)      │
    │ 5 km @30    │  ╱ 4.24 km            │
    C(-12000,0) ─12 km─ S(0,0) ─10 km─ A(10000,0) ───22 km─── E(32000,0)
    │ 6 km            │ 9.5 km            │ 3 km                │ 8 km @20
    F(-12000,-6000)   D(0,-9500)          V3                    V4
                      │ 4 km
                      V8
    V6: on a road piece that reaches no town (50000,50000); V7: 40 km from any road.

The one-way makes V1's fastest town B (13.77 min) although A is 4 km away.
"""

from __future__ import annotations

import math

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geoplan.cli import main
from geoplan.errors import CRSError, InputError
from geoplan.hierarchy import (
    HierarchyResult,
    HierarchyWeights,
    ReachTargets,
    hierarchy_options,
    settlement_hierarchy,
)
from geoplan.network import road_network

CRS = 4547
XSS = "<script>alert(1)</script>"

ROADS = [
    # (coords, highway, oneway, maxspeed)
    ([(0, 0), (10000, 0)], "primary", None, "60"),  # S-A
    ([(0, 0), (0, 8000), (0, 11000)], "primary", None, "60"),  # S-B
    ([(0, 0), (-12000, 0)], "primary", None, "60"),  # S-C
    ([(0, 0), (0, -9500)], "secondary", None, "60"),  # S-D
    ([(10000, 0), (32000, 0)], "secondary", None, "60"),  # A-E
    ([(10000, 0), (10000, 4000)], "tertiary", "yes", "60"),  # A -> V1, one-way
    ([(10000, 4000), (0, 8000)], "tertiary", None, "60"),  # V1 - (0,8000)
    ([(-12000, 0), (-12000, 5000)], "unclassified", None, "30"),  # C-V2 (10 min)
    ([(10000, 0), (10000, -3000)], "unclassified", "no", "60"),  # A-V3
    ([(32000, 0), (32000, 8000)], "unclassified", None, "20"),  # E-V4 (24 min)
    ([(0, 0), (3000, 3000)], "unclassified", None, "60"),  # S-V5
    ([(50000, 50000), (51000, 50000)], "unclassified", None, "60"),  # isolated
    ([(0, -9500), (0, -13500)], "unclassified", None, "60"),  # D-V8
    ([(0, 11000), (4000, 11000)], "unclassified", None, "60"),  # B-V9
    ([(-12000, 0), (-12000, -6000)], "secondary", None, "60"),  # C-F
]

SETTLEMENTS = [
    # name, kind, population, x, y
    ("S", "county_seat", 80000, 0, 0),
    ("A", "town", 12000, 10000, 0),
    ("B", "town", 9000, 0, 11000),
    ("C", "town", 15000, -12000, 0),
    ("D", "town", 4000, 0, -9500),
    ("E", "town", 8000, 32000, 0),
    ("F", "town", 3000, -12000, -6000),
    ("V1", "village", 800, 10000, 4000),
    ("V2", "village", 600, -12000, 5000),
    ("V3", "village", 700, 10000, -3000),
    ("V4", "village", 500, 32000, 8000),
    ("V5", "village", 900, 3000, 3000),
    ("V6", "village", 300, 50000, 50100),
    ("V7", "village", np.nan, -30000, -30000),
    ("V8", "village", 400, 0, -13500),
    (XSS, "village", 650, 4000, 11000),  # V9
]
TOWNS = ["A", "B", "C", "D", "E", "F"]


def roads_gdf() -> gpd.GeoDataFrame:
    coords, hw, oneway, speed = zip(*ROADS, strict=True)
    return gpd.GeoDataFrame(
        {"highway": list(hw), "oneway": list(oneway), "maxspeed": list(speed)},
        geometry=[shapely.LineString(c) for c in coords],
        crs=CRS,
    )


def settlements_gdf(rows: list[tuple[object, ...]] = SETTLEMENTS) -> gpd.GeoDataFrame:
    names, kinds, pops, xs, ys = zip(*rows, strict=True)
    return gpd.GeoDataFrame(
        {"name": list(names), "kind": list(kinds), "population": list(pops)},
        geometry=shapely.points(np.array(xs, float), np.array(ys, float)),
        crs=CRS,
    )


@pytest.fixture(scope="module")
def net():  # type: ignore[no-untyped-def]
    return road_network(roads_gdf())


@pytest.fixture(scope="module")
def result(net) -> HierarchyResult:  # type: ignore[no-untyped-def]
    return settlement_hierarchy(settlements_gdf(), net)


def by_name(res: HierarchyResult) -> pd.DataFrame:
    s = res.settlements
    return pd.DataFrame(s.drop(columns="geometry")).set_index(s["name"].astype(str))


# --------------------------------------------------------------------------- NetworkX reference


def nx_reference(net, pts: gpd.GeoDataFrame, tiers: pd.Series):  # type: ignore[no-untyped-def]
    """Parents and times from NetworkX on RoadNetwork.graph(), node per settlement by a brute
    force nearest search."""
    g = net.graph()
    rg = g.reverse(copy=True)
    xy = np.array([[d["x"], d["y"]] for _, d in g.nodes(data=True)])
    ids = np.array(list(g.nodes))
    px, py = pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy()
    d2 = (xy[None, :, 0] - px[:, None]) ** 2 + (xy[None, :, 1] - py[:, None]) ** 2
    node = ids[d2.argmin(axis=1)]
    snap = np.sqrt(d2.min(axis=1))
    name = pts["name"].astype(str).to_numpy()
    on = snap <= 2000
    tier = tiers.to_numpy()
    town_nodes = {int(node[i]): name[i] for i in range(len(pts)) if tier[i] != "village" and on[i]}
    dist, paths = nx.multi_source_dijkstra(rg, set(town_nodes), weight="travel_time")
    seat_node = int(node[tier == "county_seat"][0])
    to_seat = nx.single_source_dijkstra_path_length(rg, seat_node, weight="travel_time")
    ref = {}
    for i in range(len(pts)):
        n_i = int(node[i])
        parent = town_nodes[paths[n_i][0]] if on[i] and n_i in dist else None
        ref[name[i]] = {
            "node": n_i,
            "snap": snap[i],
            "parent": parent,
            "time": dist[n_i] / 60 if parent is not None else math.nan,
            "seat": to_seat[n_i] / 60 if on[i] and n_i in to_seat else math.nan,
        }
    return g, node, ref


def test_villages_match_networkx_multi_source_dijkstra(net, result) -> None:  # type: ignore[no-untyped-def]
    pts = settlements_gdf()
    s = by_name(result)
    _, _, ref = nx_reference(net, pts, pts["kind"])
    villages = [n for n, k in zip(pts["name"], pts["kind"], strict=True) if k == "village"]
    for v in villages:
        got, want = s.loc[v], ref[v]
        assert (None if pd.isna(got["parent"]) else got["parent"]) == want["parent"], v
        np.testing.assert_allclose(got["time_to_parent_min"], want["time"], rtol=1e-9, err_msg=v)
        np.testing.assert_allclose(got["snap_distance_m"], want["snap"], atol=1e-6, err_msg=v)
    # the one-way: V1 is 4 km from A but can only leave towards B
    assert s.loc["V1", "parent"] == "B"
    assert s.loc["V1", "time_to_parent_min"] == pytest.approx(math.hypot(10000, 4000) / 1000 + 3)
    dist_to_towns = {t: math.dist((10000, 4000), xy) for t, *_, xy in
                     [(r[0], (r[3], r[4])) for r in SETTLEMENTS if r[0] in TOWNS]}  # fmt: skip
    assert min(dist_to_towns, key=dist_to_towns.__getitem__) == "A"
    # hand-computed times of the others
    expect = {"V2": ("C", 10), "V3": ("A", 3), "V4": ("E", 24), "V5": ("S", math.hypot(3, 3)),
              "V8": ("D", 4), XSS: ("B", 4)}  # fmt: skip
    for v, (parent, minutes) in expect.items():
        assert s.loc[v, "parent"] == parent
        assert s.loc[v, "time_to_parent_min"] == pytest.approx(minutes)


def test_time_to_seat_matches_networkx(net, result) -> None:  # type: ignore[no-untyped-def]
    pts = settlements_gdf()
    s = by_name(result)
    _, _, ref = nx_reference(net, pts, pts["kind"])
    got = s["time_to_seat_min"].to_numpy(dtype=float)
    want = np.array([ref[n]["seat"] for n in s.index])
    np.testing.assert_allclose(got, want, rtol=1e-9)
    assert s.loc["V1", "time_to_seat_min"] == pytest.approx(math.hypot(10, 4) + 8)
    assert s.loc["E", "time_to_seat_min"] == pytest.approx(32)
    assert s.loc["V4", "time_to_seat_min"] == pytest.approx(56)


def test_tiers_from_kind_and_inferred_central_town_scores(net, result) -> None:  # type: ignore[no-untyped-def]
    s = by_name(result)
    # raw terms, counted by hand on the drawing above
    assert s.loc[TOWNS, "villages_served"].tolist() == [1, 2, 1, 1, 0, 0]
    # A reaches S, D, V1, V3, V5 and B (via the one-way to V1: 4 + 10.77 + 3 = 17.77 min)
    assert s.loc[TOWNS, "settlements_within"].tolist() == [6, 4, 4, 4, 0, 3]
    pop = np.array([12000, 9000, 15000, 4000, 8000, 3000.0])
    served = np.array([1, 2, 1, 1, 0, 0.0])
    within = np.array([6, 4, 4, 4, 0, 3.0])
    seat_t = np.array([10, 11, 12, 9.5, 32, 18.0])
    np.testing.assert_allclose(s.loc[TOWNS, "time_to_seat_min"], seat_t)
    expect = (
        0.35 * (pop - 3000) / 12000
        + 0.25 * served / 2
        + 0.2 * within / 6
        + 0.2 * (seat_t - 9.5) / 22.5
    )
    np.testing.assert_allclose(expect, [0.591944, 0.571667, 0.630556, 0.2875, 0.345833,
                                        0.175556], atol=1e-6)  # fmt: skip
    np.testing.assert_allclose(s.loc[TOWNS, "score"], expect, rtol=1e-9)
    # floor(0.25 * 6 towns) = 1 central town: C has the best score
    assert s["tier"].to_dict() == {
        "S": "county_seat", "A": "town", "B": "town", "C": "central_town", "D": "town",
        "E": "town", "F": "town", **{v: "village" for v in s.index[7:]},
    }  # fmt: skip
    assert result.summary["central_towns"] == "C" and result.summary["central_inferred"]
    assert s.loc[["S", "V1"], "score"].isna().all()


def test_settlements_within_match_networkx(net, result) -> None:  # type: ignore[no-untyped-def]
    pts = settlements_gdf()
    g, node, ref = nx_reference(net, pts, pts["kind"])
    on = np.array([ref[n]["snap"] <= 2000 for n in pts["name"]])
    s = by_name(result)
    for t in TOWNS:
        reach = nx.single_source_dijkstra_path_length(g, ref[t]["node"], cutoff=1200,
                                                      weight="travel_time")  # fmt: skip
        count = sum(1 for i, n in enumerate(node) if on[i] and int(n) in reach) - 1
        assert s.loc[t, "settlements_within"] == count, t


def test_town_parents_middle_level(result) -> None:  # type: ignore[no-untyped-def]
    s = by_name(result)
    # central town C hangs from the seat; F reaches C (6 min) before the seat (18 min)
    assert (s.loc["C", "parent"], s.loc["C", "time_to_parent_min"]) == ("S", 12)
    assert s.loc["F", "parent"] == "C" and s.loc["F", "time_to_parent_min"] == pytest.approx(6)
    for t in ("A", "B", "D", "E"):
        assert s.loc[t, "parent"] == "S"
        assert s.loc[t, "time_to_parent_min"] == pytest.approx(s.loc[t, "time_to_seat_min"])
    assert pd.isna(s.loc["S", "parent"]) and s.loc["S", "time_to_seat_min"] == 0
    # parent_id points at the parent's settlement_id (the input index label)
    ids = s["settlement_id"]
    assert s.loc["F", "parent_id"] == ids["C"] and s.loc["V1", "parent_id"] == ids["B"]
    links = result.catchment_links.set_index(result.catchment_links["name"].astype(str))
    assert links.loc["F", "link"] == "town-central" and links.loc["A", "link"] == "town-seat"
    assert links.loc["V3", "link"] == "village-town"


def test_via_central_off_and_n_central(net) -> None:  # type: ignore[no-untyped-def]
    flat = by_name(settlement_hierarchy(settlements_gdf(), net, via_central=False))
    assert flat.loc["F", "parent"] == "S" and flat.loc["F", "time_to_parent_min"] == 18
    two = by_name(settlement_hierarchy(settlements_gdf(), net, n_central=2))
    assert sorted(two.index[two["tier"] == "central_town"]) == ["A", "C"]
    none = settlement_hierarchy(settlements_gdf(), net, n_central=0)
    assert none.summary["n_central_town"] == 0 and none.summary["central_towns"] == ""
    heavy_pop = settlement_hierarchy(settlements_gdf(), net, weights=HierarchyWeights(1, 0, 0, 0))
    assert by_name(heavy_pop).loc["C", "score"] == 1.0
    with pytest.raises(InputError, match="only 6 towns"):
        settlement_hierarchy(settlements_gdf(), net, n_central=7)


def test_given_central_towns_are_kept(net) -> None:  # type: ignore[no-untyped-def]
    rows = [(r[0], "central_town" if r[0] == "A" else r[1], *r[2:]) for r in SETTLEMENTS]
    res = settlement_hierarchy(settlements_gdf(rows), net)
    s = by_name(res)
    assert list(s.index[s["tier"] == "central_town"]) == ["A"]
    assert not res.summary["central_inferred"]
    # E reaches A in 22 min, the seat in 32: it now hangs from A
    assert s.loc["E", "parent"] == "A" and s.loc["E", "time_to_parent_min"] == pytest.approx(22)
    assert s.loc[TOWNS, "score"].notna().all()


def test_unreachable_and_off_network(result) -> None:  # type: ignore[no-untyped-def]
    s = by_name(result)
    assert pd.isna(s.loc["V6", "parent"]) and np.isnan(s.loc["V6", "time_to_parent_min"])
    assert s.loc["V6", "reason"] == "no town reachable by road"
    assert np.isnan(s.loc["V6", "time_to_seat_min"])
    assert s.loc["V7", "reason"].startswith("no road node within 2000 m (nearest")
    assert s.loc["V7", "snap_distance_m"] == pytest.approx(math.hypot(30000 - 12000, 30000 - 6000))
    assert result.summary["off_network"] == 1 and result.summary["no_parent"] == 2
    assert pd.isna(s.loc["A", "reason"])
    assert set(result.catchment_links["name"]) == set(s.index) - {"S", "V6", "V7"}


def test_reach_table_shortfalls(result) -> None:  # type: ignore[no-untyped-def]
    r = result.reach
    assert len(r) == 6 + 9
    seat = r[r["check"] == "seat_town"].set_index("name")
    assert (seat["target_min"] == 30).all() and (seat["counterpart"] == "S").all()
    assert seat.loc["E", "shortfall_min"] == pytest.approx(2)
    assert not seat.loc["E", "meets"] and seat.drop(index="E")["meets"].all()
    assert (seat.drop(index="E")["shortfall_min"] == 0).all()
    vil = r[r["check"] == "town_village"].set_index("name")
    assert vil.loc["V4", "shortfall_min"] == pytest.approx(4) and not vil.loc["V4", "meets"]
    assert vil.loc["V4", "counterpart"] == "E"
    assert not vil.loc["V6", "meets"] and np.isnan(vil.loc["V6", "shortfall_min"])
    assert vil.loc["V6", "reason"] == "no town reachable by road"
    assert sorted(vil.index[~vil["meets"]]) == ["V4", "V6", "V7"]
    sm = result.summary
    assert (sm["seat_town_checked"], sm["seat_town_meet"], sm["seat_town_miss"]) == (6, 5, 1)
    assert (sm["town_village_checked"], sm["town_village_meet"]) == (9, 6)
    assert sm["town_village_share_meeting"] == pytest.approx(6 / 9, abs=1e-4)
    assert sm["seat_town_max_min"] == pytest.approx(32) and sm["max_village_time_min"] == 24
    assert sm["n_village"] == 9 and sm["n_town"] == 5 and sm["n_central_town"] == 1


def test_custom_targets(net) -> None:  # type: ignore[no-untyped-def]
    res = settlement_hierarchy(settlements_gdf(), net,
                               targets=ReachTargets(seat_to_town_min=11.5, town_to_village_min=5))  # fmt: skip
    seat = res.reach[res.reach["check"] == "seat_town"].set_index("name")
    assert sorted(seat.index[~seat["meets"]]) == ["C", "E", "F"]
    assert seat.loc["C", "shortfall_min"] == pytest.approx(0.5)
    # a 5-minute budget: only V3, V5 and V8, V9 are served; A serves 1, B 1 (V9), D 1, others 0
    assert by_name(res).loc[TOWNS, "villages_served"].tolist() == [1, 1, 0, 1, 0, 0]


def test_routed_links_follow_the_roads(net, result) -> None:  # type: ignore[no-untyped-def]
    links = result.catchment_links.set_index(result.catchment_links["name"].astype(str))
    v1 = links.loc["V1", "geometry"]
    assert shapely.get_coordinates(v1).tolist() == [[10000, 4000], [0, 8000], [0, 11000]]
    assert links.loc["V1", "time_min"] == pytest.approx(math.hypot(10, 4) + 3)
    # every link = child point, the NetworkX shortest path's vertices, parent point
    pts = settlements_gdf()
    g, _, ref = nx_reference(net, pts, pts["kind"])
    rg = g.reverse(copy=True)
    s = by_name(result)
    for name, row in links.iterrows():
        parent_node = ref[row["parent"]]["node"]
        path = nx.dijkstra_path(rg, parent_node, ref[name]["node"], weight="travel_time")[::-1]
        route = sum(
            min(d["length"] for d in g[a][b].values()) for a, b in zip(path, path[1:], strict=False)
        )
        expected = route + s.loc[name, "snap_distance_m"] + s.loc[row["parent"], "snap_distance_m"]
        assert row.geometry.length == pytest.approx(expected), name
        start, end = shapely.get_point(row.geometry, 0), shapely.get_point(row.geometry, -1)
        assert start.equals(pts.geometry[pts["name"] == name].iloc[0])
        assert end.equals(pts.geometry[pts["name"] == row["parent"]].iloc[0])
    # the same geometry RoadNetwork.path_geometry gives for the route part
    res = net.multi_source([ref["B"]["node"]], reverse=True)
    assert net.path_geometry(res, ref["V1"]["node"]).equals(v1)


# --------------------------------------------------------------------------- bad input


def test_two_county_seats_is_an_error_naming_them(net) -> None:  # type: ignore[no-untyped-def]
    rows = [(r[0], "县城" if r[0] in ("S", "D") else r[1], *r[2:]) for r in SETTLEMENTS]
    with pytest.raises(InputError, match=r"exactly one county seat.*id 0 \(S\), id 4 \(D\)"):
        settlement_hierarchy(settlements_gdf(rows), net)
    rows = [(r[0], "town" if r[0] == "S" else r[1], *r[2:]) for r in SETTLEMENTS]
    with pytest.raises(InputError, match="none has kind county_seat"):
        settlement_hierarchy(settlements_gdf(rows), net)


def test_bad_kinds_crs_and_options(net) -> None:  # type: ignore[no-untyped-def]
    rows = [(r[0], "hamlet" if r[0] == "V2" else r[1], *r[2:]) for r in SETTLEMENTS]
    with pytest.raises(InputError, match=r"'hamlet' \(1\).*id 8 \(V2\)"):
        settlement_hierarchy(settlements_gdf(rows), net)
    rows = [(r[0], None if r[0] == "V3" else r[1], *r[2:]) for r in SETTLEMENTS]
    with pytest.raises(InputError, match=r"kind is empty for 1 of 16.*id 9 \(V3\)"):
        settlement_hierarchy(settlements_gdf(rows), net)
    with pytest.raises(CRSError, match="geographic"):
        settlement_hierarchy(settlements_gdf().set_crs(4490, allow_override=True), net)
    with pytest.raises(CRSError, match="road_network.source, crs=settlements.crs"):
        settlement_hierarchy(settlements_gdf().set_crs(4546, allow_override=True), net)
    with pytest.raises(InputError, match="town_to_village_min"):
        ReachTargets(town_to_village_min=0)
    with pytest.raises(InputError, match="all 0"):
        HierarchyWeights(0, 0, 0, 0)
    with pytest.raises(InputError, match="unknown key"):
        hierarchy_options({"town_to_vilage_min": 15})
    far = settlements_gdf().copy()
    far.loc[0, "geometry"] = shapely.Point(-90000, 0)
    with pytest.raises(InputError, match="county seat 'S' is .* from the nearest road"):
        settlement_hierarchy(far, net)


def test_inputs_are_not_mutated_and_kinds_in_chinese(net) -> None:  # type: ignore[no-untyped-def]
    zh = {"county_seat": "县城", "town": "镇", "village": "村"}
    rows = [(r[0], zh[str(r[1])], *r[2:]) for r in SETTLEMENTS]
    pts = settlements_gdf(rows)
    before = pts.copy()
    res = settlement_hierarchy(pts, roads_gdf())  # builds the network itself
    pd.testing.assert_frame_equal(pts, before)
    assert res.settlements["kind"].iloc[0] == "county_seat"
    assert list(res.settlements.index) == list(pts.index)
    assert by_name(res).loc["V1", "parent"] == "B"


# --------------------------------------------------------------------------- outputs and CLI


def test_files_keep_script_name_as_text(result, tmp_path) -> None:  # type: ignore[no-untyped-def]
    files = result.to_files(tmp_path)
    assert {p.name for p in files.values()} == {"hierarchy.gpkg", "hierarchy.html"}
    layers = {name for name, _ in pyogrio.list_layers(files["gpkg"])}
    assert layers == {"settlements", "catchment_links", "reach"}
    back = gpd.read_file(files["gpkg"], layer="settlements")
    assert XSS in back["name"].tolist()
    assert back.loc[back["name"] == "V1", "parent"].item() == "B"
    links = gpd.read_file(files["gpkg"], layer="catchment_links")
    assert links.loc[links["name"] == "V1", "geometry"].item().length == pytest.approx(
        math.hypot(10000, 4000) + 3000
    )
    page = files["html"].read_text(encoding="utf-8")
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert '<script src="http' not in page and '<link href="http' not in page
    assert not list(tmp_path.glob(".*tmp*"))


def test_explore_returns_map_with_layers(result) -> None:  # type: ignore[no-untyped-def]
    from geoplan import maps

    m = result.explore(lang="en")
    page = maps.to_html(m)
    for label in ("County seat", "Central town", "Village–town links", "Trunk routes"):
        assert label in page
    zh = maps.to_html(result.explore())
    assert "中心镇" in zh and "村—镇联系" in zh


def _write_inputs(tmp_path, rows=SETTLEMENTS):  # type: ignore[no-untyped-def]
    src = tmp_path / "in.gpkg"
    # files are read with a check that coordinates lie in the CRS's area of use: move the
    # fixtures from (0, 0) to about 114°E 34.3°N in EPSG:4547 (no distance changes)
    pts = settlements_gdf(rows).rename(
        columns={"name": "名称", "kind": "类型", "population": "人口"}
    )
    pts.set_geometry(pts.geometry.translate(500_000, 3_800_000)).to_file(src, layer="settlements")
    roads = roads_gdf()
    roads.set_geometry(roads.geometry.translate(500_000, 3_800_000)).to_file(src, layer="roads")
    return src


def test_cli_on_files(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = _write_inputs(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        ["hierarchy", "--settlements", f"{src}:settlements", "--roads", f"{src}:roads",
         "--out", str(out)],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "1 central towns (C, inferred)" in res.output
    assert "town -> villages <= 20 min: 6 of 9 meet" in res.output
    back = gpd.read_file(out / "hierarchy.gpkg", layer="settlements")
    assert back.set_index("name").loc["V1", "parent"] == "B"
    assert (out / "hierarchy.html").stat().st_size > 50_000
    res = CliRunner().invoke(
        main,
        ["hierarchy", "--settlements", f"{src}:settlements", "--roads", f"{src}:roads",
         "--out", str(out), "--n-central", "2"],
    )  # fmt: skip
    assert res.exit_code == 0 and "2 central towns" in res.output


def test_cli_bad_input_exits_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    rows = [(r[0], "county_seat" if r[0] == "A" else r[1], *r[2:]) for r in SETTLEMENTS]
    src = _write_inputs(tmp_path, rows)
    res = CliRunner().invoke(
        main,
        ["hierarchy", "--settlements", f"{src}:settlements", "--roads", f"{src}:roads",
         "--out", str(tmp_path / "o")],
    )  # fmt: skip
    assert res.exit_code == 2
    assert "exactly one county seat" in res.output and "Traceback" not in res.output
    res = CliRunner().invoke(
        main, ["hierarchy", "--settlements", f"{src}:nope", "--roads", f"{src}:roads"]
    )
    assert res.exit_code == 2


def test_cli_on_demo_county(tmp_path) -> None:  # type: ignore[no-untyped-def]
    datasets = pytest.importorskip("geoplan.datasets")
    demo = datasets.demo_path()
    if not (demo / "county.toml").exists():
        pytest.skip("demo county not built yet")
    res = CliRunner().invoke(main, ["hierarchy", str(demo), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    s = gpd.read_file(tmp_path / "hierarchy.gpkg", layer="settlements")
    assert (s["tier"] == "county_seat").sum() == 1
    assert s.loc[s["tier"] == "village", "parent"].notna().mean() > 0.9


def test_demo_county_matches_networkx() -> None:
    datasets = pytest.importorskip("geoplan.datasets")
    from geoplan.county import County

    demo = datasets.demo_path()
    if not (demo / "county.toml").exists():
        pytest.skip("demo county not built yet")
    county = County.open(demo)
    net = road_network(county.source("roads"), crs=county.crs)
    pts = county.settlements
    res = settlement_hierarchy(pts, net)
    s = res.settlements
    _, _, ref = nx_reference(net, pts, s["tier"].astype(str))
    got_parent = s["parent"].astype(object).where(s["parent"].notna(), None).tolist()
    assert got_parent[:1] == [None]
    vil = (s["tier"] == "village").to_numpy()
    names = s["name"].astype(str).to_numpy()
    assert len(set(names)) == len(names)  # names identify settlements in this check
    want_parent = [ref[n]["parent"] for n in names[vil]]
    assert [p for p, v in zip(got_parent, vil, strict=True) if v] == want_parent
    want_time = np.array([ref[n]["time"] for n in names[vil]])
    np.testing.assert_allclose(s.loc[vil, "time_to_parent_min"], want_time, rtol=1e-9)
    want_seat = np.array([ref[n]["seat"] for n in names])
    np.testing.assert_allclose(s["time_to_seat_min"], want_seat, rtol=1e-9)
