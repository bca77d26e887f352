"""Write a synthetic benchmark county package of a given scale.

    python -m benchmarks.make_county --scale 25            # -> benchmarks/_work/county_s25
    python -m benchmarks.make_county --scale 25 --osm-only --out big.osm.pbf
    python -m benchmarks.make_county --scale 25 --osm-only --node-spacing 60 --out big.osm  # >= 50 MB

Prints the time of each stage, the counts (parcels, approvals, supplies, road nodes/ways/directed
edges) and the size of every file written.
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import numpy as np

from geoplan.datasets import synthetic_county, write_osm
from geoplan.datasets._graph import densify_ways, osm_tables
from geoplan.datasets._landscape import make_landscape
from geoplan.datasets._roads import make_roads


def _fmt_size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GB"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--scale", type=float, default=25.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--approvals-factor",
        type=float,
        default=1.0,
        help="multiply the number of approval batches (audit benchmarks)",
    )
    ap.add_argument("--landuse-format", choices=["gpkg", "parquet"], default="gpkg")
    ap.add_argument(
        "--out",
        type=Path,
        default=None,
        help="folder (default benchmarks/_work/county_s<scale>); with --osm-only a "
        ".osm.pbf or .osm file",
    )
    ap.add_argument("--osm-only", action="store_true", help="write only the road network")
    ap.add_argument(
        "--node-spacing",
        type=float,
        default=None,
        help="with --osm-only: add nodes so that no way segment is longer than this "
        "(m), as dense as real OSM data (10 m at scale 25 gives a >= 50 MB PBF)",
    )
    ap.add_argument("--quick", action="store_true", help="scale 0.2 (a smoke run)")
    args = ap.parse_args(argv)
    scale = 0.2 if args.quick else args.scale
    tag = f"{scale:g}".replace(".", "_")
    t0 = time.perf_counter()
    if args.osm_only:
        return _osm_only(args, scale, tag, t0)
    county = synthetic_county(seed=args.seed, scale=scale, approvals_factor=args.approvals_factor)
    t1 = time.perf_counter()
    st = county.stats
    print(f"generated scale {scale:g} (seed {args.seed}) in {t1 - t0:.1f} s")
    for k in ("landscape", "roads", "parcels", "records"):
        print(f"  {k:<10} {st['seconds_' + k]:8.1f} s")
    for k in (
        "area_km2",
        "townships",
        "settlements",
        "parcels",
        "approval_polygons",
        "approval_batches",
        "supplies",
        "parks",
        "road_nodes",
        "road_ways",
        "directed_edges",
    ):
        print(f"  {k:<18} {st[k]:>12,.0f}")
    out = args.out or Path("benchmarks/_work") / f"county_s{tag}"
    county.write(out, overwrite=True, landuse_format=args.landuse_format)
    _report(sorted(p for p in out.iterdir() if p.is_file()), out, t0, t1)
    return 0


def _osm_only(args: argparse.Namespace, scale: float, tag: str, t0: float) -> int:
    """Only the road network: the same as synthetic_county's for this seed, without parcels."""
    rng = np.random.default_rng(args.seed)
    land = make_landscape(rng, scale)
    roads = make_roads(land, rng)
    nodes, ways = osm_tables(roads.builder, land.crs)
    print(f"road network of scale {scale:g} (seed {args.seed}): {len(nodes):,} nodes, "
          f"{len(ways):,} ways, {roads.notes['directed_edges']:,} directed edges")  # fmt: skip
    if args.node_spacing:
        nodes, ways = densify_ways(nodes, ways, args.node_spacing)
        print(f"  densified to {len(nodes):,} nodes (spacing {args.node_spacing:g} m)")
    t1 = time.perf_counter()
    print(f"generated in {t1 - t0:.1f} s")
    out = args.out or Path("benchmarks/_work") / f"roads_s{tag}.osm.pbf"
    out.parent.mkdir(parents=True, exist_ok=True)
    write_osm(nodes, ways, out)
    _report([out], out, t0, t1)
    return 0


def _report(files: list[Path], out: Path, t0: float, t1: float) -> None:
    t2 = time.perf_counter()
    print(f"written to {out} in {t2 - t1:.1f} s (total {t2 - t0:.1f} s)")
    total = 0
    for p in files:
        total += p.stat().st_size
        print(f"  {p.name:<18} {_fmt_size(p.stat().st_size):>12}")
    print(f"  {'total':<18} {_fmt_size(total):>12}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (maxrss) {peak:,.0f} MB")


if __name__ == "__main__":
    raise SystemExit(main())
