"""Park connectivity: hand-built networks with known answers, Karhula against NetworkX, CLI."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from click.testing import CliRunner

from geoplan.cli import main
from geoplan.connectivity import (
    PARK_COLUMNS,
    connectivity_options,
    isochrones,
    park_connectivity,
)
from geoplan.errors import CRSError, EmptyLayerError, InputError
from geoplan.network import RoadNetwork, road_network
from tests.support.network import lines, osm_xml

DATA = Path(__file__).resolve().parents[1] / "data"
KARHULA = DATA / "karhula.osm.pbf"


def box(x: float, y: float, r: float = 100.0) -> shapely.Polygon:
    return shapely.box(x - r, y - r, x + r, y + r)


@pytest.fixture(scope="module")
def county_roads() -> gpd.GeoDataFrame:
    """A trunk road along y=0, a motorway along y=6000 and the parks' roads (EPSG:4547, m)."""
    return lines(
        [
            ([(-1000, 0), (0, 0), (2000, 0), (4000, 0), (6000, 0)],
             {"highway": "trunk", "ref": "G107"}),
            ([(-1000, 6000), (2000, 6000), (6000, 6000)], {"highway": "motorway", "ref": "G4"}),
            ([(2000, 3000), (2000, 6000)], {"highway": "motorway_link"}),
            # park A: two separate roads to the trunk
            ([(0, 3000), (0, 0)], {"highway": "residential"}),
            ([(0, 3000), (2000, 3000)], {"highway": "unclassified"}),
            ([(2000, 3000), (2000, 0)], {"highway": "unclassified"}),
            # park B: one-way in (2 km), one-way out (4 km)
            ([(4000, 0), (4000, 2000)], {"highway": "residential", "oneway": "yes"}),
            ([(4000, 2000), (6000, 2000), (6000, 0)], {"highway": "residential", "oneway": "yes"}),
            # park C: an isolated road
            ([(10000, 10000), (10500, 10000)], {"highway": "residential"}),
            # park D: a dead end that stops 200 m short of the park
            ([(0, 0), (0, -1000)], {"highway": "residential"}),
        ]
    )  # fmt: skip


@pytest.fixture(scope="module")
def parks() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"park_id": ["A", "B", "C", "D", "E"], "name": ["甲园", "乙园", "丙园", "丁园", "戊园"],
         "level": ["省级", "县级", None, None, None]},
        geometry=[box(0, 3000), box(4000, 2000), box(10000, 10000), box(0, -1300),
                  box(50000, 50000)],
        crs=4547,
    )  # fmt: skip


@pytest.fixture(scope="module")
def result(county_roads: gpd.GeoDataFrame, parks: gpd.GeoDataFrame):
    return park_connectivity(parks, county_roads, isochrone_minutes=(5, 10))


def test_known_distances_times_and_routes(result) -> None:
    p = result.parks.set_index("park_id")
    assert list(result.parks.columns[: len(PARK_COLUMNS)]) == list(PARK_COLUMNS)
    # A: 3 km residential (30 km/h) to G107 at (0, 0); straight road, detour 1
    a = p.loc["A"]
    assert a["trunk_distance_m"] == 3000.0 and a["trunk_time_min"] == pytest.approx(6.0)
    assert a["nearest_trunk_ref"] == "G107" and a["detour_index"] == pytest.approx(1.0)
    assert a["access_routes"] == 2 and a["access_nodes"] == 1 and a["snap_distance_m"] == 0.0
    # motorway entrance where the link meets the unclassified road: 2 km at 30 km/h
    assert a["motorway_distance_m"] == 2000.0 and a["motorway_time_min"] == pytest.approx(4.0)
    assert a["within_30min"] and pd.isna(a["reason"])
    # B: out of the park only by the 4 km one-way (in: 2 km), to the trunk node (6000, 0)
    b = p.loc["B"]
    assert b["trunk_distance_m"] == 4000.0 and b["trunk_time_min"] == pytest.approx(8.0)
    assert b["detour_index"] == pytest.approx(4000.0 / math.hypot(2000, 2000))
    assert not b["detour_flag"] and b["access_routes"] == 1
    t_mw = 4000 / (30 / 3.6) + 4000 / (70 / 3.6) + 3000 / (30 / 3.6)
    assert b["motorway_distance_m"] == 11000.0
    assert b["motorway_time_min"] == pytest.approx(t_mw / 60)
    # C: its road has no trunk: NaN and a reason, no exception
    c = p.loc["C"]
    assert np.isnan(c["trunk_distance_m"]) and np.isnan(c["motorway_time_min"])
    assert c["access_routes"] == 0 and not c["within_30min"]
    assert "no trunk route can be reached" in c["reason"]
    # D: no road inside; joined to the nearest node 200 m away
    d = p.loc["D"]
    assert d["access_nodes"] == 1 and d["snap_distance_m"] == pytest.approx(200.0)
    assert d["trunk_distance_m"] == 1000.0 and pd.isna(d["reason"])
    # E: too far from any road
    e = p.loc["E"]
    assert e["access_nodes"] == 0 and np.isnan(e["trunk_distance_m"])
    assert e["reason"].startswith("no road within 2000 m")
    # routes: geometry length = distance, from the park to the trunk
    r = result.routes.set_index(["park_id", "target"])
    assert set(r.index) == {("A", "trunk"), ("A", "motorway"), ("B", "trunk"),
                            ("B", "motorway"), ("D", "trunk"), ("D", "motorway")}  # fmt: skip
    rb = r.loc[("B", "trunk")]
    assert rb["geometry"].length == pytest.approx(4000.0) and rb["distance_m"] == 4000.0
    assert shapely.get_coordinates(rb["geometry"]).tolist() == [
        [4000, 2000], [6000, 2000], [6000, 0]
    ]  # fmt: skip
    assert rb["to_ref"] == "G107" and rb["time_min"] == pytest.approx(8.0)
    assert r.loc[("B", "motorway"), "geometry"].length == pytest.approx(11000.0)
    s = result.summary
    assert s["parks"] == 5 and s["parks_reaching_trunk"] == 3 and s["parks_within_30min"] == 3
    assert s["parks_with_reason"] == 2 and s["parks_single_access_route"] == 2
    assert s["median_trunk_distance_m"] == 3000.0
    assert set(result.access["park_id"]) == {"A", "B", "C", "D"}
    assert result.parks.index.equals(pd.RangeIndex(5))
    assert result.parks["level"].iloc[0] == "省级"


def test_max_routes_cap_and_detour_flag(county_roads, parks) -> None:
    res = park_connectivity(
        parks.iloc[:2], county_roads, max_routes=1, detour_limit=1.2, isochrone_minutes=()
    )
    assert res.parks["access_routes"].tolist() == [1, 1]
    assert res.parks["detour_flag"].tolist() == [False, True]
    assert len(res.isochrones) == 0


def test_isochrones_contain_exactly_the_reached_nodes(result, county_roads) -> None:
    iso = result.isochrones.set_index(["park_id", "minutes"])
    net: RoadNetwork = result.network
    g = net.graph()
    pts = net.nodes.geometry.to_numpy()
    for pid, start in (("A", (0.0, 3000.0)), ("B", (4000.0, 2000.0))):
        src = int(net.nearest_nodes((np.array([start[0]]), np.array([start[1]])))[0][0])
        for minutes in (5.0, 10.0):
            within = nx.single_source_dijkstra_path_length(
                g, src, cutoff=minutes * 60, weight="travel_time"
            )
            reached = net.nodes.index.isin(list(within))
            poly = iso.loc[(pid, minutes), "geometry"]
            assert iso.loc[(pid, minutes), "nodes_reached"] == reached.sum()
            assert np.array_equal(shapely.contains(poly, pts), reached)
    # A in 5 min: 2.5 km of each road and (after 4 min at the entrance) 70 km/h up the link
    poly_a5 = iso.loc[("A", 5.0), "geometry"]
    assert poly_a5.covers(shapely.Point(0, 500 + 1))  # 2500 m down the residential road
    assert not poly_a5.intersects(shapely.Point(0, 500 - 101))
    link = 60 * 70 / 3.6
    assert poly_a5.covers(shapely.Point(2000, 3000 + link - 1))
    assert not poly_a5.intersects(shapely.Point(2000, 3000 + link + 101))
    assert iso.loc[("E", 5.0), "nodes_reached"] == 0 and iso.loc[("E", 5.0), "geometry"].is_empty


def test_rasterised_isochrones_contain_exactly_the_reached_nodes(
    county_roads, parks, monkeypatch: pytest.MonkeyPatch
) -> None:
    import geoplan.connectivity._isochrones

    monkeypatch.setattr(geoplan.connectivity._isochrones, "VECTOR_MAX_PIECES", 0)
    net = road_network(county_roads)
    g = net.graph()
    iso = isochrones(parks.iloc[:2], net, minutes=(5, 10, 20), buffer_m=100)
    exact = park_connectivity(parks.iloc[:2], net, isochrone_minutes=(5, 10, 20)).isochrones
    for (_, row), vec in zip(iso.iterrows(), exact.geometry, strict=True):
        src = net.nearest_nodes(parks.geometry.iloc[[row["source"]]].centroid)[0][0]
        within = nx.single_source_dijkstra_path_length(
            g, int(src), cutoff=row["minutes"] * 60, weight="travel_time"
        )
        reached = net.nodes.index.isin(list(within))
        assert np.array_equal(shapely.contains(row["geometry"], net.nodes.geometry.values), reached)
        # the grid version stays within one cell (50 m) of the exact buffer
        assert row["geometry"].buffer(1e-6).covers(vec.buffer(-50))
        assert vec.buffer(50 + 1e-6).covers(row["geometry"])


def test_isochrone_cuts_out_an_unreached_neighbour() -> None:
    roads = lines(
        [
            ([(0, 0), (1000, 0), (2000, 0)], {"highway": "residential"}),
            ([(1000, 60), (1000, 0)], {"highway": "residential", "oneway": "yes"}),  # in only
        ]
    )
    pts = gpd.GeoDataFrame({"name": ["s"]}, geometry=[shapely.Point(0, 0)], crs=4547)
    iso = isochrones(pts, roads, minutes=(5,), buffer_m=100)
    poly = iso.geometry.iloc[0]
    assert iso["nodes_reached"].tolist() == [3] and iso["source"].tolist() == [0]
    assert poly.contains(shapely.Point(2000, 0)) and not poly.contains(shapely.Point(1000, 60))
    assert poly.contains(shapely.Point(500, 50))  # still around the reached road
    with pytest.raises(CRSError):
        isochrones(pts.to_crs(4326), road_network(roads), minutes=(5,))


def test_bad_inputs(county_roads, parks) -> None:
    with pytest.raises(CRSError):
        park_connectivity(parks.to_crs(32650), county_roads)
    net = road_network(county_roads)
    with pytest.raises(CRSError, match="Reproject the parks"):
        park_connectivity(parks.to_crs(4326), net)
    with pytest.raises(EmptyLayerError):
        park_connectivity(parks.iloc[:0], net)
    dup = parks.assign(park_id=["A", "A", "B", "C", "D"])
    with pytest.raises(InputError, match="repeat"):
        park_connectivity(dup, net)
    with pytest.raises(InputError, match="Unknown"):
        connectivity_options({"max_route": 3})
    no_geom = parks.copy()
    no_geom.loc[1, "geometry"] = None
    res = park_connectivity(no_geom, net, isochrone_minutes=())
    assert res.parks["reason"].iloc[1] == "feature has no geometry"
    none = road_network(lines([([(0, 0), (0, 100)], {"highway": "residential"})]))
    res = park_connectivity(parks.iloc[:1], none, isochrone_minutes=())
    assert res.parks["reason"].iloc[0].startswith("no road within")


def test_to_files_and_map(result, tmp_path: Path) -> None:
    files = result.to_files(tmp_path)
    layers = dict(pyogrio.list_layers(files["gpkg"]))
    assert set(layers) == {"parks", "routes", "isochrones"}
    back = pd.read_csv(files["csv"], encoding="utf-8-sig")
    assert list(back.columns[: len(PARK_COLUMNS)]) == list(PARK_COLUMNS)
    assert back.loc[0, "trunk_distance_m"] == 3000.0 and back.loc[1, "name"] == "乙园"
    routes = gpd.read_file(files["gpkg"], layer="routes")
    assert len(routes) == 6
    from geoplan import maps

    page = maps.to_html(result.explore(lang="en"))
    assert "route to trunk road" in page and "乙园" in page


@pytest.fixture(scope="module")
def karhula_parks() -> tuple[RoadNetwork, gpd.GeoDataFrame]:
    if not KARHULA.exists():  # pragma: no cover - committed with the datasets
        pytest.skip("tests/data/karhula.osm.pbf is not there yet")
    net = road_network(KARHULA)
    polys = pyogrio.read_dataframe(KARHULA, layer="multipolygons", on_invalid="ignore")
    ind = polys[(polys["landuse"] == "industrial") & polys.geometry.notna()]
    ind = ind.reset_index(drop=True)[["osm_way_id", "geometry"]].to_crs(net.crs)
    return net, ind.rename(columns={"osm_way_id": "park_id"})


def test_karhula_industrial_parks_against_networkx(karhula_parks) -> None:
    net, parks = karhula_parks
    assert len(parks) >= 9
    res = park_connectivity(parks, net, isochrone_minutes=())
    g = net.graph()
    rev = g.reverse(copy=False)
    ids = net.nodes.index.to_numpy()
    acc = res.access.groupby("park_id")["node_id"].apply(list)
    for target, col_d, col_t in (
        ("is_trunk", "trunk_distance_m", "trunk_time_min"),
        ("is_motorway_entrance", "motorway_distance_m", "motorway_time_min"),
    ):
        src = set(ids[net.nodes[target].to_numpy()].tolist())
        d = nx.multi_source_dijkstra_path_length(rev, src, weight="length")
        t = nx.multi_source_dijkstra_path_length(rev, src, weight="travel_time")
        for pid, row in res.parks.set_index("park_id").iterrows():
            nodes = acc.get(pid, [])
            exp_d = min((d[n] for n in nodes if n in d), default=np.nan)
            exp_t = min((t[n] for n in nodes if n in t), default=np.nan) / 60
            np.testing.assert_allclose(row[col_d], exp_d, rtol=1e-9)
            np.testing.assert_allclose(row[col_t], exp_t, rtol=1e-9)
    # access routes: maximum flow in NetworkX with unit capacity per directed edge
    trunk = ids[net.nodes["is_trunk"].to_numpy()]
    flow_g = nx.DiGraph()
    for u, v in zip(net.edges["u"], net.edges["v"], strict=True):
        if u != v:
            cap = flow_g.get_edge_data(u, v, {"capacity": 0})["capacity"]
            flow_g.add_edge(u, v, capacity=cap + 1)
    for n in trunk:
        flow_g.add_edge(n, "T", capacity=4)
    for pid, row in res.parks.set_index("park_id").iterrows():
        h = flow_g.copy()
        h.add_edge("S0", "S", capacity=4)
        for n in acc.get(pid, []):
            h.add_edge("S", n, capacity=4)
        assert row["access_routes"] == nx.maximum_flow_value(h, "S0", "T")
    # at least one unreachable real park, with a reason; routes match the distances
    assert res.parks["trunk_distance_m"].isna().any()
    assert res.parks.loc[res.parks["trunk_distance_m"].isna(), "reason"].notna().all()
    rt = res.routes[res.routes["target"] == "trunk"].set_index("park_id")
    dist = res.parks.set_index("park_id")["trunk_distance_m"]
    np.testing.assert_allclose(rt.geometry.length, dist[rt.index], rtol=1e-9)


def _write_county_inputs(tmp: Path) -> tuple[Path, Path]:
    nodes = {1: (0, 0), 2: (0, 3000), 3: (-2000, 3000), 4: (2000, 3000)}
    ways = [
        (1, [1, 2], {"highway": "residential"}),
        (2, [3, 2, 4], {"highway": "trunk", "ref": "G107"}),
    ]
    osm = tmp / "roads.osm"
    osm.write_text(osm_xml(nodes, ways), encoding="utf-8")
    from tests.support.network import lonlat

    parks = gpd.GeoDataFrame(
        {"园区编号": ["Y1"], "园区名称": ["示范园"]},
        geometry=[shapely.Point(*lonlat(0, 0)).buffer(0.001)],
        crs=4326,
    )
    gpkg = tmp / "parks.gpkg"
    parks.to_file(gpkg, layer="parks")
    return osm, gpkg


def test_cli_writes_outputs(tmp_path: Path) -> None:
    osm, gpkg = _write_county_inputs(tmp_path)
    out = tmp_path / "out"
    res = CliRunner().invoke(
        main,
        ["connectivity", "--roads", str(osm), "--parks", f"{gpkg}:parks", "--out", str(out),
         "--minutes", "5"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    assert "1 parks: 1 reach a trunk road" in res.output
    table = pd.read_csv(out / "connectivity.csv", encoding="utf-8-sig")
    assert table.loc[0, "park_id"] == "Y1" and table.loc[0, "name"] == "示范园"
    from pyproj import Transformer

    from tests.support.network import lonlat

    tr = Transformer.from_crs(4326, 4547, always_xy=True)
    (x0, x1), (y0, y1) = tr.transform(*zip(lonlat(0, 0), lonlat(0, 3000), strict=True))
    assert table.loc[0, "trunk_distance_m"] == pytest.approx(math.hypot(x1 - x0, y1 - y0))
    assert table.loc[0, "nearest_trunk_ref"] == "G107"
    iso = gpd.read_file(out / "connectivity.gpkg", layer="isochrones")
    assert iso["minutes"].tolist() == [5.0]
    assert (out / "connectivity.html").stat().st_size > 10_000


def test_cli_bad_input_exits_2(tmp_path: Path) -> None:
    osm, gpkg = _write_county_inputs(tmp_path)
    empty = tmp_path / "nothing.osm"
    empty.write_text(osm_xml({1: (0, 0)}, []), encoding="utf-8")
    res = CliRunner().invoke(
        main, ["connectivity", "--roads", str(empty), "--parks", str(gpkg), "--out", str(tmp_path)]
    )
    assert res.exit_code == 2 and "nothing.osm contains no roads" in res.output
    res = CliRunner().invoke(main, ["connectivity", "--roads", str(osm), "--out", str(tmp_path)])
    assert res.exit_code == 2 and "--parks SRC" in res.output  # never the demo's parks with yours


def test_cli_reconciles_layers_in_different_crs(tmp_path: Path) -> None:
    """Parks and road lines in different CRSs (no county) are both projected to one metric CRS,
    as a county package's layers are: the figures equal those of roads already in that CRS."""
    _, gpkg = _write_county_inputs(tmp_path)
    from tests.support.network import lonlat

    path = [lonlat(0, 0), lonlat(0, 1000), lonlat(0, 3000)]
    trunk = [lonlat(-2000, 3000), lonlat(0, 3000), lonlat(2000, 3000)]
    roads = gpd.GeoDataFrame(
        {"highway": ["residential", "trunk"], "ref": [None, "G107"]},
        geometry=[shapely.LineString(path), shapely.LineString(trunk)],
        crs=4326,
    )
    figures = []
    for epsg in (4547, 32650):
        src = tmp_path / f"roads{epsg}.gpkg"
        roads.to_crs(epsg).to_file(src, layer="roads")
        out = tmp_path / f"out{epsg}"
        res = CliRunner().invoke(
            main,
            ["connectivity", "--roads", f"{src}:roads", "--parks", str(gpkg), "--out", str(out),
             "--minutes", ""],
        )  # fmt: skip
        assert res.exit_code == 0, res.output
        table = pd.read_csv(out / "connectivity.csv", encoding="utf-8-sig")
        figures.append(float(table.loc[0, "trunk_distance_m"]))
    # the park is a 0.001° buffer around the start of the residential road, 3 km from the trunk
    assert 2800 < figures[0] < 3000
    assert figures[1] == pytest.approx(figures[0], rel=1e-6)


def test_line_prefixes() -> None:
    from geoplan.connectivity._isochrones import line_prefixes

    ls = np.array([shapely.LineString([(0, 0), (3, 4), (3, 10)])] * 4)
    out = line_prefixes(ls, np.array([0.0, 2.5, 7.0, 11.0]))
    np.testing.assert_allclose(shapely.length(out), [0.0, 2.5, 7.0, 11.0])
    assert shapely.get_coordinates(out[2]).tolist() == [[0, 0], [3, 4], [3, 6]]


def test_cli_on_the_demo_county(tmp_path: Path) -> None:
    from geoplan.datasets import demo_path

    res = CliRunner().invoke(
        main, ["connectivity", str(demo_path()), "--out", str(tmp_path), "--no-html",
               "--max-routes", "2", "--minutes", ""],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "connectivity.csv", encoding="utf-8-sig")
    assert len(table) > 0 and table["access_routes"].between(0, 2).all()
    assert table["trunk_distance_m"].notna().all()
    assert len(gpd.read_file(tmp_path / "connectivity.gpkg", layer="isochrones")) == 0
    assert not (tmp_path / "connectivity.html").exists()


def test_grid_isochrone_cuts_frontier_edges_in_both_directions(monkeypatch) -> None:
    import geoplan.connectivity._isochrones

    monkeypatch.setattr(geoplan.connectivity._isochrones, "VECTOR_MAX_PIECES", 0)
    roads = lines(
        [
            ([(-3000, 0), (0, 0)], {"highway": "residential"}),
            ([(0, 0), (3000, 0)], {"highway": "residential"}),
            ([(0, 5000), (400, 5000)], {"highway": "residential"}),  # never reached
        ]
    )
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(0, 10)], crs=4547)
    iso = isochrones(pts, roads, minutes=(4,), buffer_m=100)
    poly = iso.geometry.iloc[0]
    # residential 30 km/h = 500 m/min: 4 min drive 2,000 m each way from (0, 0) along the
    # frontier edges; the cover is the 100 m buffer within one 50 m cell
    assert iso["nodes_reached"].tolist() == [1]  # only the start node; both ends unreached
    for x in (-2000 - 100 + 50 - 1, -1000, 0, 1000, 2000 + 100 - 50 + 1):
        assert poly.covers(shapely.Point(x, 0)), x
    assert poly.covers(shapely.Point(1000, 100 - 50 - 1))
    for x in (-2000 - 100 - 50 - 1, 2000 + 100 + 50 + 1):
        assert not poly.intersects(shapely.Point(x, 0)), x
    assert not poly.intersects(shapely.Point(1000, 100 + 50 + 1))
    assert not poly.intersects(shapely.Point(200, 5000)) and poly.is_valid
    # the exact buffer of the driven 4 km, 2 x 100 m wide with round ends: area within one cell
    exact = shapely.LineString([(-2000, 0), (2000, 0)]).buffer(100).area
    assert (
        abs(poly.area - exact) < 50 * shapely.LineString([(-2000, 0), (2000, 0)]).buffer(100).length
    )


def test_reach_times_of_all_groups_equal_one_search_per_group(county_roads, monkeypatch) -> None:
    import geoplan.connectivity._isochrones as iso_mod

    net = road_network(county_roads)
    ids = net.nodes.index.to_numpy()
    groups = [net.nearest_nodes([(0, 3000)])[0], np.empty(0, dtype=np.int64),
              net.nearest_nodes([(4000, 2000), (10000, 10000)])[0]]  # fmt: skip
    groups = [net.node_rows(g) if len(g) else g for g in groups]
    monkeypatch.setattr(iso_mod, "_MAX_DIST_ENTRIES", 1)  # one group per chunk
    for chunked in (False, True):
        if not chunked:
            monkeypatch.setattr(iso_mod, "_MAX_DIST_ENTRIES", 8_000_000)
        got = list(iso_mod.reach_times(net, groups, 600.0))
        assert [g for g, _ in got] == [0, 1, 2] and got[1][1] is None
        for (_, dist), rows in zip([got[0], got[2]], [groups[0], groups[2]], strict=True):
            # the same bounded search from the group's nodes alone (multi-source, min over them)
            want = net.multi_source(ids[rows], weight="time_s", limit=600.0).dist
            np.testing.assert_array_equal(dist, want)
