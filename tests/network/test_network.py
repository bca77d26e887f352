"""Road network: OSM and line sources, clipping, one-ways, speeds, classes, routing vs NetworkX."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import osmium
import pytest
import shapely
from pyproj import CRS, Transformer

from geoplan.errors import CRSError, DataFileNotFoundError, InputError
from geoplan.network import RoadClasses, RoadNetwork, Speeds, road_network
from tests.support.network import lines, lonlat, osm_xml

DATA = Path(__file__).resolve().parents[1] / "data"
KARHULA = DATA / "karhula.osm.pbf"


# ----------------------------------------------------------------------------- OSM XML


@pytest.fixture
def tagged_osm(tmp_path: Path) -> Path:
    nodes = {i: (x, 0.0) for i, x in zip(range(1, 6), [0, 1000, 2000, 3000, 4000], strict=True)}
    nodes |= {
        10: (0, 1000), 11: (1000, 1000), 12: (2000, 1000, {"highway": "motorway_junction"}),
        13: (3000, 1000), 20: (1000, 2000), 21: (2000, 2000), 30: (0, -1000), 31: (1000, -1000),
        40: (3000, -1000), 41: (4000, -1000),
    }  # fmt: skip
    ways = [
        (100, [1, 2, 3], {"highway": "primary", "maxspeed": "60 mph", "name": "中山路"}),
        (101, [3, 4, 5], {"highway": "secondary", "ref": "S203", "maxspeed": "signals"}),
        (102, [10, 11], {"highway": "residential", "oneway": "yes", "maxspeed": "CN:urban"}),
        (103, [11, 20], {"highway": "residential", "oneway": "-1"}),
        (104, [20, 21], {"highway": "residential", "oneway": "reversible"}),
        (105, [11, 12, 13], {"highway": "motorway"}),  # implied one-way
        (106, [13, 3], {"highway": "motorway_link"}),  # meets secondary/primary at node 3
        (107, [30, 31], {"highway": "footway"}),
        (108, [1, 30], {"highway": "service", "access": "private"}),
        (109, [40, 41], {"highway": "service", "area": "yes"}),
        (110, [2, 11], {"highway": "tertiary", "maxspeed": "50 km/h"}),
        (111, [10, 1], {"highway": "unclassified", "oneway": "no", "maxspeed": "45;55"}),
        (112, [21, 2], {"highway": "residential", "oneway": "maybe"}),
    ]
    path = tmp_path / "tagged.osm"
    path.write_text(osm_xml(nodes, ways), encoding="utf-8")
    return path


def _edge(net: RoadNetwork, u: int, v: int):
    e = net.edges
    rows = e[(e["u"] == u) & (e["v"] == v)]
    assert len(rows) == 1, (u, v, len(rows))
    return rows.iloc[0]


def test_osm_filters_oneways_speeds_and_report(tagged_osm: Path) -> None:
    net = road_network(tagged_osm)
    assert net.crs.to_epsg() == 4547  # CGCS2000 GK zone of 113.5E
    rep = net.report
    assert rep.ways_read == 13 and rep.ways_kept == 10
    assert rep.excluded == {
        "highway=footway": 1, "access closed to cars": 1, "area=yes": 1,
    }  # fmt: skip
    assert rep.oneway_fallback == {"reversible": 1, "maybe": 1}
    assert rep.maxspeed_fallback == {"signals": 1, "CN:urban": 1}
    assert rep.ways_cut == 0 and rep.missing_node_refs == 0
    pairs = set(zip(net.edges["u"], net.edges["v"], strict=True))
    # one-way yes / -1, implied motorway and link one-ways
    assert (10, 11) in pairs and (11, 10) not in pairs
    assert (20, 11) in pairs and (11, 20) not in pairs
    assert (11, 12) in pairs and (12, 11) not in pairs and (13, 3) in pairs and (3, 13) not in pairs
    # reversible, unknown and explicit "no" are two-way
    for a, b in ((20, 21), (21, 2), (10, 1)):
        assert (a, b) in pairs and (b, a) in pairs
    # graph nodes: way ends, shared nodes and the motorway_junction; 4 is an interior node
    assert 4 not in net.nodes.index and 12 in net.nodes.index
    assert set(net.nodes.index) == {1, 2, 3, 5, 10, 11, 12, 13, 20, 21}
    # speeds: mph converted, unparsable -> class default, mean of "45;55"
    assert _edge(net, 1, 2)["speed_kmh"] == pytest.approx(60 * 1.609344)
    assert _edge(net, 3, 5)["speed_kmh"] == 50.0  # secondary default ("signals")
    assert _edge(net, 10, 11)["speed_kmh"] == 30.0  # residential default ("CN:urban")
    assert _edge(net, 2, 11)["speed_kmh"] == 50.0
    assert _edge(net, 10, 1)["speed_kmh"] == 50.0
    assert _edge(net, 13, 3)["speed_kmh"] == pytest.approx(70.0)  # link = 0.7 x motorway
    # lengths: planar in EPSG:4547 from an independent projection of the node coordinates
    tr = Transformer.from_crs(4326, 4547, always_xy=True)
    xy = {
        n: tr.transform(*lonlat(*c[:2])) for n, c in [(1, (0, 0)), (2, (1000, 0)), (3, (2000, 0))]
    }
    e = _edge(net, 1, 3) if (1, 3) in pairs else None
    assert e is None  # node 2 is shared with way 110, so way 100 splits there
    e12 = _edge(net, 1, 2)
    assert e12["length_m"] == pytest.approx(np.hypot(*np.subtract(xy[2], xy[1])), rel=1e-12)
    assert e12["time_s"] == pytest.approx(e12["length_m"] / (e12["speed_kmh"] / 3.6))
    assert e12["name"] == "中山路" and e12["osmid"] == 100
    # trunk: primary by class, secondary by ref S203, motorway; entrances
    trunk = net.edges.set_index(["u", "v"])["is_trunk"]
    assert trunk[(1, 2)] and trunk[(3, 5)] and trunk[(11, 12)] and not trunk[(2, 11)]
    assert net.nodes.loc[5, "trunk_ref"] == "S203" and net.nodes.loc[5, "is_trunk"]
    entrances = set(net.nodes.index[net.nodes["is_motorway_entrance"]])
    assert entrances == {12, 3}  # the junction node; the link meets local roads at 3
    assert net.nodes.loc[12, "highway"] == "motorway_junction"


def test_clipped_ways_are_cut_not_bridged(tmp_path: Path) -> None:
    nodes = {1: (0, 0), 2: (500, 0), 4: (1500, 0), 5: (2000, 0), 6: (2500, 0), 8: (3500, 0)}
    ways = [
        (1, [1, 2, 3, 4, 5, 6, 7, 8], {"highway": "residential"}),  # 3 and 7 missing
        (2, [9, 4], {"highway": "tertiary"}),  # only one node present: dropped
    ]
    path = tmp_path / "clipped.osm"
    path.write_text(osm_xml(nodes, ways), encoding="utf-8")
    net = road_network(path)
    rep = net.report
    assert rep.ways_cut == 2 and rep.missing_node_refs == 3 and rep.runs_dropped == 2
    pairs = set(zip(net.edges["u"], net.edges["v"], strict=True))
    assert pairs == {(1, 2), (2, 1), (4, 6), (6, 4)}  # 2-4 and 6-8 would bridge gaps
    res = net.multi_source([1], weight="length_m")
    reached = set(net.nodes.index[res.reached])
    assert reached == {1, 2}


def test_no_highways_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "buildings.osm"
    path.write_text(
        osm_xml({1: (0, 0), 2: (10, 0), 3: (10, 10)}, [(1, [1, 2, 3, 1], {"building": "yes"})]),
        encoding="utf-8",
    )
    with pytest.raises(InputError, match="buildings.osm contains no roads"):
        road_network(path)
    path2 = tmp_path / "paths.osm"
    path2.write_text(
        osm_xml({1: (0, 0), 2: (10, 0)}, [(1, [1, 2], {"highway": "footway"})]), encoding="utf-8"
    )
    with pytest.raises(InputError, match="highway=footway"):
        road_network(path2)
    assert len(road_network(path2, network="all").edges) == 2
    with pytest.raises(DataFileNotFoundError):
        road_network(tmp_path / "missing.osm.pbf")
    bad = tmp_path / "broken.osm.pbf"
    bad.write_bytes(b"not a pbf at all")
    with pytest.raises(InputError, match="broken.osm.pbf"):
        road_network(bad)


# ----------------------------------------------------------------------------- line layers


def test_lines_noded_at_shared_vertices_not_crossings() -> None:
    roads = lines(
        [
            ([(0, 0), (1000, 0), (2000, 0)], {"highway": "primary", "ref": "G107"}),
            ([(1000, -500), (1000, 0), (1000, 500)], {"highway": "residential"}),  # shares (1000,0)
            ([(1500, -500), (1500, 500)], {"highway": "residential"}),  # crosses, no shared vertex
            ([(2000, 0), (3000, 0)], {"highway": "tertiary", "oneway": "-1"}),
            ([(500, 500), (500, 0)], {"highway": "service"}),  # ends on the primary, no vertex
        ]
    )
    net = road_network(roads)
    assert net.crs.to_epsg() == 4547
    assert len(net.nodes) == 10
    assert net.report.unnoded_ends == 1  # counted and reported, not joined
    res = net.multi_source(net.nearest_nodes((np.array([0.0]), np.array([0.0])))[0])
    reach = dict(zip(map(tuple, net.nodes[["x", "y"]].to_numpy()), res.reached, strict=True))
    assert reach[(1000.0, 500.0)] and not reach[(1500.0, 500.0)]
    assert not reach[(3000.0, 0.0)]  # one-way -1: only 3000 -> 2000
    back = net.multi_source(net.nearest_nodes((np.array([3000.0]), np.array([0.0])))[0])
    assert back.reached.sum() == 6  # everything except the unconnected crossing line
    # lengths/times known exactly
    e = net.edges
    ids, _ = net.nearest_nodes((np.array([0.0, 1000.0]), np.array([0.0, 0.0])))
    row = e[(e["u"] == ids[0]) & (e["v"] == ids[1])].iloc[0]
    assert row["length_m"] == 1000.0 and row["time_s"] == pytest.approx(60.0)
    assert row["is_trunk"] and row["ref"] == "G107"


def test_line_source_checks() -> None:
    with pytest.raises(InputError, match="highway"):
        road_network(gpd.GeoDataFrame(geometry=[shapely.LineString([(0, 0), (1, 1)])], crs=4547))
    no_crs = lines([([(0, 0), (10, 0)], {"highway": "primary"})])
    no_crs = no_crs.set_crs(None, allow_override=True)
    with pytest.raises(CRSError):
        road_network(no_crs)
    geo = lines([([lonlat(0, 0), lonlat(1000, 0)], {"highway": "primary"})], crs=4326)
    net = road_network(geo)
    assert net.crs.to_epsg() == 4547
    assert net.edges["length_m"].iloc[0] == pytest.approx(1000.0, rel=2e-3)
    with pytest.raises(InputError, match="network"):
        road_network(geo, network="bus")
    with pytest.raises(InputError, match="positive"):
        Speeds(primary=0)
    with pytest.raises(InputError, match="regular expression"):
        RoadClasses(trunk_ref_pattern="([")


def test_line_layer_from_file(tmp_path: Path) -> None:
    roads = lines([([(0, 0), (500, 0)], {"highway": "secondary", "maxspeed": "60"})])
    # a file read checks that coordinates lie in the CRS's area of use: move off (0, 0)
    moved = roads.set_geometry(roads.geometry.translate(500_000, 3_800_000))
    moved.to_file(tmp_path / "roads.gpkg", layer="lines")
    net = road_network(f"{tmp_path / 'roads.gpkg'}:lines")
    assert len(net.edges) == 2 and net.edges["speed_kmh"].tolist() == [60.0, 60.0]


# ----------------------------------------------------------------------------- routing


def test_csr_parallel_edges_and_reverse() -> None:
    roads = lines(
        [
            ([(0, 0), (1000, 0)], {"highway": "residential"}),
            ([(0, 0), (500, 300), (1000, 0)], {"highway": "primary"}),  # longer but faster
            ([(1000, 0), (1000, 1000)], {"highway": "residential", "oneway": "yes"}),
        ]
    )
    net = road_network(roads)
    a, b, c = net.nearest_nodes(np.array([[0.0, 0.0], [1000.0, 0.0], [1000.0, 1000.0]]))[0]
    ra, rb, rc = net.node_rows([a, b, c])
    length = net.csr("length_m")
    time = net.csr("time_s")
    assert length[ra, rb] == 1000.0  # the shorter of the two parallel edges
    long = 2 * np.hypot(500, 300)
    assert time[ra, rb] == pytest.approx(long / (60 / 3.6))  # the faster one
    assert net.csr("length_m", reverse=True)[rc, rb] == 1000.0 and length[rc, rb] == 0
    res = net.multi_source([a], weight="time_s")
    assert net.path(res, c) == [a, b, c]
    geom = net.path_geometry(res, c)
    assert geom.length == pytest.approx(long + 1000.0)
    assert shapely.get_coordinates(geom)[[0, -1]].tolist() == [[0, 0], [1000, 1000]]
    to_c = net.multi_source([c], weight="length_m", reverse=True)
    assert to_c.dist[ra] == 2000.0 and net.path(to_c, a) == [a, b, c]
    assert to_c.origin[ra] == c and to_c.origin[net.node_rows([c])[0]] == c
    assert net.path(net.multi_source([c]), a) == []  # one-way: a not reachable from c
    assert shapely.LineString().equals(net.path_geometry(res, a))
    with pytest.raises(InputError, match="not in the road network"):
        net.node_rows([123456])
    with pytest.raises(InputError, match="weight"):
        net.csr("speed")


def _nx_multi_source(g: nx.MultiDiGraph, sources: list[int], weight: str) -> dict[int, float]:
    return nx.multi_source_dijkstra_path_length(g.reverse(copy=False), set(sources), weight=weight)


@pytest.fixture(scope="module")
def karhula() -> RoadNetwork:
    if not KARHULA.exists():  # pragma: no cover - committed with the datasets
        pytest.skip("tests/data/karhula.osm.pbf is not there yet")
    return road_network(KARHULA)


def test_karhula_matches_networkx(karhula: RoadNetwork) -> None:
    import osmnx as ox

    net = karhula
    assert net.crs.to_epsg() == 32635
    assert net.report.ways_cut > 0 and net.report.missing_node_refs > 0
    g = net.graph()
    assert g.graph["crs"] == net.crs
    assert g.number_of_nodes() == len(net.nodes) and g.number_of_edges() == len(net.edges)
    counts = ox.stats.count_streets_per_node(g)
    assert all(counts[n] == d for n, d in g.nodes(data="street_count"))
    ids = net.nodes.index.to_numpy()
    for targets in ("is_trunk", "is_motorway_entrance"):
        src = ids[net.nodes[targets].to_numpy()].tolist()
        assert src
        for weight, nx_weight in (("length_m", "length"), ("time_s", "travel_time")):
            res = net.multi_source(src, weight=weight, reverse=True)
            ref = _nx_multi_source(g, src, nx_weight)
            expect = np.array([ref.get(i, np.inf) for i in ids])
            assert np.array_equal(np.isfinite(expect), res.reached)
            ok = np.isfinite(expect)
            np.testing.assert_allclose(res.dist[ok], expect[ok], rtol=1e-9)
            # the path found is a real path of that cost
            far = ids[ok][np.argmax(expect[ok])]
            edges = net.path_edges(res, far)
            assert net.edges[weight].to_numpy()[edges].sum() == pytest.approx(
                res.dist[net.node_rows([far])[0]]
            )
    # forward single source from a random node, also against NetworkX
    start = int(ids[len(ids) // 2])
    res = net.multi_source([start], weight="length_m")
    ref = nx.single_source_dijkstra_path_length(g, start, weight="length")
    expect = np.array([ref.get(i, np.inf) for i in ids])
    ok = np.isfinite(expect)
    assert np.array_equal(ok, res.reached)
    np.testing.assert_allclose(res.dist[ok], expect[ok], rtol=1e-9)


def test_karhula_edges_follow_ways_of_the_file(karhula: RoadNetwork) -> None:
    """Every edge segment joins two nodes that are consecutive in some way of the file."""
    tr = Transformer.from_crs(4326, karhula.crs, always_xy=True)
    loc: dict[tuple[float, float], int] = {}
    consecutive: set[tuple[int, int]] = set()
    fp = osmium.FileProcessor(str(KARHULA), osmium.osm.NODE | osmium.osm.WAY).with_locations()
    for obj in fp:
        if isinstance(obj, osmium.osm.Node):
            x, y = tr.transform(obj.location.lon, obj.location.lat)
            loc[(round(x, 3), round(y, 3))] = obj.id
        elif isinstance(obj, osmium.osm.Way) and "highway" in obj.tags:
            refs = [n.ref for n in obj.nodes]
            consecutive |= set(zip(refs[:-1], refs[1:], strict=True))
            consecutive |= set(zip(refs[1:], refs[:-1], strict=True))
    coords, part = shapely.get_coordinates(karhula.edges.geometry.to_numpy(), return_index=True)
    node = np.array([loc[(round(x, 3), round(y, 3))] for x, y in coords])
    same = part[1:] == part[:-1]
    steps = set(zip(node[:-1][same].tolist(), node[1:][same].tolist(), strict=True))
    assert steps <= consecutive
    assert CRS.from_user_input(karhula.edges.crs).equals(karhula.crs)
