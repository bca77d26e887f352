"""Benchmark: road networks and park-to-trunk connectivity, geoplan against NetworkX / osmnx.

    python -m benchmarks.bench_network            # synthetic county (scale 25), a 320x320 grid,
                                                  # Karhula, and a >= 50 MB PBF build
    python -m benchmarks.bench_network --quick    # a smoke run: small sizes

For each network (a ``geoplan.datasets.synthetic_county`` road network with its parks, a grid of
streets written as an OSM PBF with random parks, and the real Karhula extract with its
landuse=industrial polygons), in the same run on the same graph:

1. one multi-source shortest-path pass from all trunk-route nodes (reversed graph: travel *to*
   the trunk): ``RoadNetwork.multi_source`` (scipy CSR Dijkstra) against NetworkX
   ``multi_source_dijkstra``; every node's distance must agree to 1e-9 (relative);
2. every park's distance and route to the nearest trunk-route node: ``park_connectivity``
   (all metrics: 4 passes, routes, edge-disjoint access routes by max-flow; no isochrones)
   against a per-park ``osmnx.shortest_path`` loop (a virtual source joined to the park's access
   nodes and a virtual sink joined from every trunk node, so the loop finds the same optimum);
3. edge-disjoint access routes against NetworkX ``maximum_flow_value`` on the whole graph
   (all parks on small graphs, ``--check-flow`` parks on large ones);
4. time of the full analysis with isochrones (10/20/30 min), and peak Python memory
   (tracemalloc).

Then the time and peak RSS (a fresh process) of ``road_network`` on a >= 50 MB PBF.
Data: Karhula © OpenStreetMap contributors, ODbL (tests/data/karhula.osm.pbf).
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import geopandas as gpd
import networkx as nx
import numpy as np

from benchmarks._synthetic_roads import make_network

ROOT = Path(__file__).resolve().parents[1]
KARHULA = ROOT / "tests" / "data" / "karhula.osm.pbf"


def _timed(fn: Any, *args: Any, **kw: Any) -> tuple[Any, float]:
    start = time.perf_counter()
    out = fn(*args, **kw)
    return out, time.perf_counter() - start


def _karhula_parks(crs: Any) -> gpd.GeoDataFrame:
    import pyogrio

    polys = pyogrio.read_dataframe(KARHULA, layer="multipolygons", on_invalid="ignore")
    ind = polys[(polys["landuse"] == "industrial") & polys.geometry.notna()]
    ind = ind.reset_index(drop=True)[["osm_way_id", "geometry"]]
    return ind.rename(columns={"osm_way_id": "park_id"}).to_crs(crs)


def _osmnx_loop(g: nx.MultiDiGraph, access: dict[str, list[int]], trunk: np.ndarray) -> dict:
    """Per park: osmnx.shortest_path from a virtual source to a virtual sink (by length)."""
    import osmnx as ox

    g2 = g.copy()
    sink, source = -2, -1
    g2.add_edges_from((int(n), sink, {"length": 0.0}) for n in trunk)
    out: dict[str, float] = {}
    start = time.perf_counter()
    for pid, nodes in access.items():
        g2.add_edges_from((source, int(n), {"length": 0.0}) for n in nodes)
        path = ox.shortest_path(g2, source, sink, weight="length")
        if path is None:
            out[pid] = math.nan
        else:
            out[pid] = sum(
                min(d["length"] for d in g2[a][b].values())
                for a, b in zip(path[:-1], path[1:], strict=True)
            )
        g2.remove_node(source)
    return {"dist": out, "time": time.perf_counter() - start}


def _nx_flow(net: Any, access: dict[str, list[int]], trunk: np.ndarray, cap: int, k: int) -> dict:
    flow = nx.DiGraph()
    for u, v in zip(net.edges["u"].tolist(), net.edges["v"].tolist(), strict=True):
        if u != v:
            flow.add_edge(u, v, capacity=flow.get_edge_data(u, v, {"capacity": 0})["capacity"] + 1)
    flow.add_edges_from((int(n), "T", {"capacity": cap}) for n in trunk)
    out = {}
    for pid in list(access)[:k]:
        h = flow.copy()
        h.add_edge("S0", "S", capacity=cap)
        h.add_edges_from(("S", int(n), {"capacity": cap}) for n in access[pid])
        out[pid] = int(nx.maximum_flow_value(h, "S0", "T"))
    return out


def _fresh(net: Any) -> Any:
    """The same network without cached CSR matrices or trees."""
    from geoplan.network import RoadNetwork

    return RoadNetwork(net.nodes, net.edges, report=net.report, speeds=net.speeds,
                       classes=net.classes, piece=net._piece)  # fmt: skip


def _peak(fn: Any, *args: Any, **kw: Any) -> float:
    """Peak traced Python memory (MB) of one call (a separate, untimed run)."""
    tracemalloc.start()
    try:
        fn(*args, **kw)
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def _routes_core(net: Any, parks: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    """What the per-park loop computes, the geoplan way: snap parks, one pass to the trunk,
    the best access node per park, and each park's route geometry."""
    from geoplan.connectivity._access import best_per_feature, snap_features

    access = snap_features(net, parks.geometry.to_numpy(), tolerance=50.0, max_snap=2000.0)
    ids = net.nodes.index.to_numpy()
    res = net.multi_source(ids[net.nodes["is_trunk"].to_numpy()], weight="length_m", reverse=True)
    best, start = best_per_feature(access, res.dist)
    lengths = np.array(
        [net.path_geometry(res, int(ids[r])).length if r >= 0 else np.nan for r in start]
    )
    return best, lengths


def compare(label: str, pbf: Path, parks: gpd.GeoDataFrame | None, check_flow: int) -> dict:
    """All comparisons on one network; raises AssertionError when results differ."""
    from geoplan.connectivity import park_connectivity
    from geoplan.network import road_network

    net, t_build = _timed(road_network, pbf)
    parks = _karhula_parks(net.crs) if parks is None else parks.to_crs(net.crs)
    g, t_graph = _timed(net.graph)
    ids = net.nodes.index.to_numpy()
    trunk = ids[net.nodes["is_trunk"].to_numpy()]
    row: dict[str, Any] = {
        "network": label, "pbf_mb": round(pbf.stat().st_size / 1e6, 2), "nodes": len(net.nodes),
        "edges": len(net.edges), "trunk_nodes": len(trunk), "parks": len(parks),
        "build_s": t_build, "to_networkx_s": t_graph,
    }  # fmt: skip
    # 1. one multi-source pass, both weights
    rev = g.reverse(copy=False)
    for weight, nx_weight in (("length_m", "length"), ("time_s", "travel_time")):
        fresh = _fresh(net)
        res, t_cold = _timed(fresh.multi_source, trunk, weight=weight, reverse=True)
        _, t_warm = _timed(fresh.multi_source, trunk, weight=weight, reverse=True)
        (ref, _paths), t_nx = _timed(
            nx.multi_source_dijkstra, rev, set(trunk.tolist()), weight=nx_weight
        )
        expect = np.array([ref.get(i, np.inf) for i in ids])
        assert np.array_equal(np.isfinite(expect), res.reached), "reachability differs"
        ok = np.isfinite(expect)
        rel = np.abs(res.dist[ok] - expect[ok]) / np.maximum(expect[ok], 1e-12)
        assert rel.max() <= 1e-9, f"{weight}: max relative difference {rel.max():g}"
        row[f"ms_{weight}_geoplan_cold_s"] = t_cold
        row[f"ms_{weight}_geoplan_s"] = t_warm
        row[f"ms_{weight}_networkx_s"] = t_nx
        row[f"ms_{weight}_max_rel_diff"] = float(rel.max())
    # 2. all parks: geoplan (fresh network, cold caches) against a per-park osmnx loop
    result, t_parks = _timed(park_connectivity, parks, _fresh(net), isochrone_minutes=())
    (core, core_len), t_core = _timed(_routes_core, _fresh(net), parks)
    row["parks_peak_mb"] = _peak(park_connectivity, parks, _fresh(net), isochrone_minutes=())
    access = result.access.groupby("park_id")["node_id"].apply(list).to_dict()
    loop = _osmnx_loop(g, access, trunk)
    got = result.parks.set_index("park_id")["trunk_distance_m"]
    for pid, d in loop["dist"].items():
        if math.isnan(d):
            assert math.isnan(got[pid]), pid
        else:
            assert abs(got[pid] - d) <= 1e-9 * max(d, 1e-12), (pid, got[pid], d)
    np.testing.assert_array_equal(core, got.to_numpy())
    ok = np.isfinite(core) & (core > 0)
    np.testing.assert_allclose(core_len[ok], core[ok], rtol=1e-9)  # route geometry = distance
    row["parks_geoplan_s"] = t_parks
    row["routes_core_s"] = t_core
    row["parks_osmnx_loop_s"] = loop["time"]
    row["parks_reaching_trunk"] = int(got.notna().sum())
    # 3. edge-disjoint access routes against NetworkX max-flow
    k = len(access) if len(net.edges) < 50_000 else check_flow
    expect_flow = _nx_flow(net, access, trunk, 4, k)
    routes = result.parks.set_index("park_id")["access_routes"]
    for pid, value in expect_flow.items():
        assert routes[pid] == value, (pid, routes[pid], value)
    row["flow_checked_parks"] = len(expect_flow)
    # 4. the full analysis, with isochrones
    _, t_full = _timed(park_connectivity, parks, _fresh(net))
    row["full_peak_mb"] = _peak(park_connectivity, parks, _fresh(net))
    row["full_with_isochrones_s"] = t_full
    return row


_BUILD = """
import json, sys, time

def peak_mb():  # VmHWM: this process's peak RSS (ru_maxrss would include the parent's, pre-exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

from geoplan.network import road_network
base = peak_mb()
t = time.perf_counter()
net = road_network(sys.argv[1])
dt = time.perf_counter() - t
print(json.dumps({"build_s": dt, "peak_rss_mb": peak_mb(), "rss_before_mb": base,
                  "nodes": len(net.nodes), "edges": len(net.edges)}))
"""


def big_build(path: Path) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", _BUILD, str(path)], capture_output=True, text=True, check=True,
        cwd=ROOT,
    )  # fmt: skip
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["pbf_mb"] = round(path.stat().st_size / 1e6, 1)
    return out


def _print_row(row: dict) -> None:
    print(f"\n## {row['network']}: {row['nodes']:,} nodes, {row['edges']:,} directed edges, "
          f"{row['trunk_nodes']:,} trunk nodes, {row['parks']} parks, PBF {row['pbf_mb']} MB")  # fmt: skip
    print(f"build (road_network) {row['build_s']:.2f} s; to NetworkX {row['to_networkx_s']:.2f} s")
    for w in ("length_m", "time_s"):
        g, c, n = (row[f"ms_{w}_geoplan_s"], row[f"ms_{w}_geoplan_cold_s"],
                   row[f"ms_{w}_networkx_s"])  # fmt: skip
        print(
            f"multi-source to trunk by {w}: geoplan {g * 1e3:.1f} ms (first call incl. CSR "
            f"{c * 1e3:.1f} ms), NetworkX multi_source_dijkstra {n * 1e3:.1f} ms: "
            f"{n / g:.0f}x ({n / c:.0f}x cold); max rel diff {row[f'ms_{w}_max_rel_diff']:.1e}"
        )
    p, o, c = row["parks_geoplan_s"], row["parks_osmnx_loop_s"], row["routes_core_s"]
    print(
        f"all parks, distance + route to the nearest trunk node: per-park osmnx.shortest_path "
        f"loop {o:.3f} s; geoplan one pass + routes {c * 1e3:.1f} ms: {o / c:.0f}x; geoplan "
        f"park_connectivity (every metric, no isochrones) {p:.3f} s: {o / p:.0f}x; distances "
        f"equal for all {row['parks']} parks ({row['parks_reaching_trunk']} reach a trunk road); "
        f"peak {row['parks_peak_mb']:.1f} MB"
    )
    print(f"access routes equal NetworkX max-flow for {row['flow_checked_parks']} parks")
    print(
        f"full analysis with isochrones 10/20/30 min: {row['full_with_isochrones_s']:.2f} s, "
        f"peak {row['full_peak_mb']:.1f} MB (tracemalloc)"
    )


def county_inputs(args: argparse.Namespace, work: Path) -> tuple[Path, gpd.GeoDataFrame, str]:
    """Roads and parks of a ``geoplan.datasets.synthetic_county`` (or of ``--county DIR``)."""
    import pyogrio

    if args.county is not None:
        parks = pyogrio.read_dataframe(args.county / "county.gpkg", layer="parks")
        return args.county / "roads.osm.pbf", parks, f"package {args.county}"
    from geoplan.datasets import synthetic_county, write_osm

    scale = 0.5 if args.quick else args.county_scale
    path = work / f"county_s{scale:g}.osm.pbf"
    parks_path = work / f"county_s{scale:g}_parks.gpkg"
    if args.keep is not None and path.exists() and parks_path.exists():  # from an earlier run
        parks = pyogrio.read_dataframe(parks_path)
        return path, parks, f"synthetic_county(seed=0, scale={scale:g}), kept in {work}"
    county, t_gen = _timed(synthetic_county, seed=0, scale=scale)
    write_osm(county.roads_nodes, county.roads_ways, path)
    pyogrio.write_dataframe(county.layers["parks"], parks_path)
    return path, county.layers["parks"], f"synthetic_county(seed=0, scale={scale:g}), {t_gen:.0f} s"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes: a smoke run in seconds")
    ap.add_argument(
        "--county-scale",
        type=float,
        default=25.0,
        help="scale of the synthetic county (default 25: >= 200k edges, ~100 parks)",
    )
    ap.add_argument(
        "--county",
        type=Path,
        default=None,
        help="use this county package (roads.osm.pbf + county.gpkg:parks) instead",
    )
    ap.add_argument("--grid", type=int, default=None, help="synthetic grid side (default 320)")
    ap.add_argument("--parks", type=int, default=60, help="parks on the grid (default 60)")
    ap.add_argument("--check-flow", type=int, default=3, help="parks checked by NetworkX flow")
    ap.add_argument("--skip-big", action="store_true", help="skip the >= 50 MB build")
    ap.add_argument("--keep", type=Path, default=None, help="write the PBFs here and keep them")
    args = ap.parse_args(argv)  # fmt: skip
    grid = args.grid or (60 if args.quick else 320)
    work = args.keep or Path(tempfile.mkdtemp(prefix="geoplan-bench-net-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    path, parks, how = county_inputs(args, work)
    print(f"synthetic county: {how}; roads {path.stat().st_size / 1e6:.1f} MB")
    rows.append(compare("synthetic county", path, parks, args.check_flow))
    _print_row(rows[-1])
    syn, t_gen = _timed(make_network, work / f"grid{grid}.osm.pbf", n=grid, shape=2,
                        parks=args.parks)  # fmt: skip
    print(f"\nsynthetic grid {grid}x{grid}: {syn.nodes:,} OSM nodes, {syn.ways:,} ways, "
          f"{syn.size_mb:.1f} MB, written in {t_gen:.1f} s")  # fmt: skip
    rows.append(compare(f"synthetic grid {grid}", syn.path, syn.parks, args.check_flow))
    _print_row(rows[-1])
    if KARHULA.exists():
        rows.append(compare("Karhula (OSM, clipped)", KARHULA, None, args.check_flow))
        _print_row(rows[-1])
    else:
        print(f"\n(skipping Karhula: {KARHULA} not found)")
    if not args.skip_big:
        n, shape = (100, 4) if args.quick else (600, 18)
        big, t_gen = _timed(make_network, work / f"big{n}.osm.pbf", n=n, shape=shape, parks=1)
        print(f"\n## build from a {big.size_mb:.1f} MB PBF ({big.nodes:,} OSM nodes, "
              f"{big.ways:,} ways; written in {t_gen:.0f} s)")  # fmt: skip
        b = big_build(big.path)
        print(
            f"road_network: {b['build_s']:.1f} s, {b['nodes']:,} nodes, {b['edges']:,} directed "
            f"edges; peak RSS {b['peak_rss_mb']:.0f} MB (process after imports "
            f"{b['rss_before_mb']:.0f} MB)"
        )
        rows.append({"network": f"build {big.size_mb:.0f} MB", **b})
    print("\nJSON " + json.dumps(rows, default=float))
    if args.keep is None:
        for f in work.glob("*"):
            f.unlink()
        work.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
