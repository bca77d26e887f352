"""Benchmark: a province on Dask — serial loop against Dask with 1 and 2 workers; the
dask-geopandas land-use composition against the single-process one.

Run from the repository root, under the heavy lock (it keeps both cores busy for minutes)::

    flock /tmp/geoplan-heavy.lock python -m benchmarks.bench_province            # 20 counties
    python -m benchmarks.bench_province --quick        # 4 small counties, 200k parcels
    python -m benchmarks.bench_province --counties 20 --scale 0.2 --parcels 2000000

Counties: ``synthetic_province(counties=N, scale=S)`` (``synthetic_county(seed=k, scale=S)``
moved apart), cached in ``benchmarks/_work``. Each side does the same work per county — the four
analyses through ``geoplan.runs``, their files, and the county report built from the results:

- serial: one process, a plain loop (what a user scripts without Dask);
- Dask, 1 worker and 2 workers: ``run_province`` on a ``LocalCluster`` of single-threaded
  worker processes (``force=True``, so nothing is reused).

It prints the wall times, the speed-up from 1 to 2 workers (target ≥ 1.8×), and each side's peak
memory: the serial process's own, and each worker's (``ru_maxrss`` read on the workers, which are
fresh processes for each cluster). The province figures of every side must agree.

Composition: a land-use layer of ``--parcels`` parcels (20 m squares with 三调 codes, GeoParquet
in row groups) against 1 km cells offset by 7 m (so parcels cross cells). Single process:
``landuse_composition`` on the whole layer, in its own process (its peak memory). Dask (2
workers): ``partition_landuse`` (Hilbert) then ``compose_landuse``; the shares must agree to 1e-9.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks._memory import peak_rss_mb

WORK = Path(__file__).parent / "_work"
CODES = ("0101", "0103", "0201", "0301", "0404", "0601", "0702", "1003", "1101", "1104", "1201")


def _province(counties: int, scale: float) -> Path:
    from geoplan.datasets import synthetic_province

    folder = WORK / f"province_{counties}_{scale:g}"
    if not (folder / "province.toml").is_file():
        t0 = time.perf_counter()
        synthetic_province(folder, counties=counties, scale=scale)
        print(
            f"generated {counties} counties (scale {scale:g}) in {time.perf_counter() - t0:.1f} s"
        )
    return folder


def _serial(province: str, out: str) -> dict[str, Any]:
    """The plain loop: every county's analyses, files and report in this one process."""
    from geoplan.county import County
    from geoplan.province import open_province
    from geoplan.report import build_report
    from geoplan.runs import RUNS

    package = open_province(province)
    t0 = time.perf_counter()
    figures = {}
    for folder in package.counties:
        county = County.open(folder, defaults=package.defaults)
        results = {}
        for key, run in RUNS.items():
            result = run(county)
            result.to_files(Path(out) / folder.name / key)
            results[key] = result
        build_report(county, out=Path(out) / folder.name, results=results)
        figures[folder.name] = results["audit"].summary["unsupplied_area_mu"]
    return {"seconds": time.perf_counter() - t0, "peak_mb": peak_rss_mb(), "figures": figures}


def _dask(province: Path, out: Path, workers: int) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    from geoplan.province import run_province

    with (
        LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                     host="127.0.0.1", dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        client.wait_for_workers(workers)
        t0 = time.perf_counter()
        result = run_province(province, client=client, out=out, force=True)
        seconds = time.perf_counter() - t0
        peaks = client.run(peak_rss_mb)
    failed = result.failed
    if len(failed):
        raise SystemExit(
            f"{len(failed)} tasks failed:\n{failed[['county', 'analysis', 'message']]}"
        )
    table = result.counties.set_index("county")
    return {
        "seconds": seconds,
        "worker_peak_mb": sorted(peaks.values()),
        "figures": {c: float(v) for c, v in table["unsupplied_mu"].items()},
    }


def _parcels(n: int) -> tuple[Path, int]:
    """A GeoParquet layer of about ``n`` 20 m square parcels in row groups of 100,000."""
    import geopandas as gpd
    import shapely

    side = int(np.ceil(np.sqrt(n)))
    path = WORK / f"parcels_{side * side}.parquet"
    if not path.is_file():
        WORK.mkdir(parents=True, exist_ok=True)
        rng = np.random.default_rng(7)
        i, j = np.divmod(np.arange(side * side), side)
        x0, y0 = 400_000.0 + j * 20.0, 3_700_000.0 + i * 20.0
        frame = gpd.GeoDataFrame(
            {"DLBM": np.asarray(CODES)[rng.integers(0, len(CODES), side * side)]},
            geometry=shapely.box(x0, y0, x0 + 20.0, y0 + 20.0),
            crs=4547,
        )
        frame.to_parquet(path, row_group_size=100_000)
    return path, side * side


def _cells(path: Path) -> Any:
    import geopandas as gpd
    import pyarrow.parquet as pq
    import shapely

    from geoplan.zones import make_grid

    n = pq.ParquetFile(path).metadata.num_rows
    side = int(round(np.sqrt(n))) * 20.0
    frame = gpd.GeoDataFrame(
        geometry=[shapely.box(400_007.0, 3_700_007.0, 400_000.0 + side, 3_700_000.0 + side)],
        crs=4547,
    )
    return make_grid(frame, 1000.0)


def _single(path: str, out: str) -> dict[str, Any]:
    import geopandas as gpd

    from geoplan.zones import landuse_composition

    t0 = time.perf_counter()
    parcels = gpd.read_parquet(path)
    units = landuse_composition(parcels, _cells(Path(path))).units
    seconds = time.perf_counter() - t0
    units.drop(columns="geometry").to_parquet(out)
    return {"seconds": seconds, "peak_mb": peak_rss_mb()}


def _composition(path: Path, npartitions: int) -> dict[str, Any]:
    import pandas as pd
    from distributed import Client, LocalCluster

    from geoplan.province import compose_landuse, partition_landuse

    single_out = WORK / "composition_single.parquet"
    single = _child("single", str(path), str(single_out))
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                     dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):  # fmt: skip
        client.wait_for_workers(2)
        t0 = time.perf_counter()
        parts = partition_landuse(path, WORK / "parcels_parts", npartitions=npartitions,
                                  client=client)  # fmt: skip
        t1 = time.perf_counter()
        got = compose_landuse(parts, _cells(path), client=client)
        t2 = time.perf_counter()
        peaks = sorted(client.run(peak_rss_mb).values())
    want = pd.read_parquet(single_out)
    cols = [c for c in want.columns if c not in ("cell_id", "unit_id")]
    diff = max(float(np.abs(got[c].to_numpy() - want[c].to_numpy()).max()) for c in cols
               if c not in ("area_m2", "landuse_m2"))  # fmt: skip
    rel = float(np.abs(got["landuse_m2"].to_numpy() / want["landuse_m2"].to_numpy() - 1).max())
    return {"single": single, "partition_s": t1 - t0, "compose_s": t2 - t1,
            "worker_peak_mb": peaks, "max_share_diff": diff, "max_rel_area_diff": rel,
            "cells": len(want)}  # fmt: skip


def _child(side: str, *args: str) -> dict[str, Any]:
    """Run one side in its own process (its own peak memory); its JSON result."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_province", "--side", side, *args],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--counties", type=int, default=20)
    ap.add_argument("--scale", type=float, default=0.2)
    ap.add_argument("--parcels", type=int, default=2_000_000)
    ap.add_argument("--npartitions", type=int, default=16)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--skip-counties", action="store_true")
    ap.add_argument("--skip-composition", action="store_true")
    ap.add_argument("--side", help=argparse.SUPPRESS)
    ap.add_argument("args", nargs="*", help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.side == "serial":
        print(json.dumps(_serial(*a.args)))
        return 0
    if a.side == "single":
        print(json.dumps(_single(*a.args)))
        return 0
    if a.quick:
        a.counties, a.scale, a.parcels, a.npartitions = 4, 0.05, 200_000, 4
    ok = True
    if not a.skip_counties:
        ok &= _bench_counties(a.counties, a.scale)
    if not a.skip_composition:
        ok &= _bench_composition(a.parcels, a.npartitions)
    return 0 if ok else 1


def _bench_counties(counties: int, scale: float) -> bool:
    province = _province(counties, scale)
    out = WORK / "province_out"
    serial = _child("serial", str(province), str(out / "serial"))
    one = _dask(province, out / "dask1", 1)
    two = _dask(province, out / "dask2", 2)
    speedup = one["seconds"] / two["seconds"]
    agree = all(
        abs(serial["figures"][c] - one["figures"][c]) < 1e-9
        and abs(one["figures"][c] - two["figures"][c]) < 1e-9
        for c in serial["figures"]
    )
    print(f"\n{counties} synthetic counties at scale {scale:g}: 4 analyses + report each")
    print(f"  serial loop       {serial['seconds']:8.1f} s   peak {serial['peak_mb']:,.0f} MB")
    print(f"  Dask, 1 worker    {one['seconds']:8.1f} s   worker peak "
          f"{', '.join(f'{m:,.0f}' for m in one['worker_peak_mb'])} MB")  # fmt: skip
    print(f"  Dask, 2 workers   {two['seconds']:8.1f} s   worker peaks "
          f"{', '.join(f'{m:,.0f}' for m in two['worker_peak_mb'])} MB")  # fmt: skip
    print(f"  1 -> 2 workers: {speedup:.2f}x (target >= 1.8x); Dask 1 worker / serial: "
          f"{one['seconds'] / serial['seconds']:.2f}; figures agree: {agree}")  # fmt: skip
    return agree


def _bench_composition(parcels: int, npartitions: int) -> bool:
    path, n = _parcels(parcels)
    r = _composition(path, npartitions)
    print(f"\nland-use composition: {n:,} parcels, {r['cells']:,} cells of 1 km")
    print(f"  single process (landuse_composition)  {r['single']['seconds']:8.1f} s   "
          f"peak {r['single']['peak_mb']:,.0f} MB")  # fmt: skip
    print(f"  dask-geopandas, 2 workers: partition {r['partition_s']:.1f} s + compose "
          f"{r['compose_s']:.1f} s = {r['partition_s'] + r['compose_s']:.1f} s; worker peaks "
          f"{', '.join(f'{m:,.0f}' for m in r['worker_peak_mb'])} MB")  # fmt: skip
    print(f"  max share difference {r['max_share_diff']:.2e}, max relative area difference "
          f"{r['max_rel_area_diff']:.2e} (limit 1e-9)")  # fmt: skip
    return r["max_share_diff"] <= 1e-9 and r["max_rel_area_diff"] <= 1e-9


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
