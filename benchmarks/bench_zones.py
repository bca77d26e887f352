"""Benchmark: land-use composition per grid cell, geoplan against the baselines users write.

Run from the repository root (heavy runs under ``flock /tmp/geoplan-heavy.lock``)::

    python -m benchmarks.bench_zones              # >= 500k parcels, 500 m grid; 1.6e7-pixel raster
    python -m benchmarks.bench_zones --quick      # seconds: 20k parcels, 1e6 pixels
    python -m benchmarks.bench_zones --parcels 800000 --pixels 25000000

Vector: 三调-coded parcels (``geoplan.datasets.synthetic_county(scale=...)`` when it is available and
``--source synthetic``; otherwise Voronoi parcels over a square county with a wavy edge, so that
boundary cells are clipped). geoplan: ``landuse_composition(parcels, make_grid(boundary, 500))``
(classification included). Baseline: ``geopandas.overlay(cells, parcels, how="intersection")`` +
groupby on an already classified layer. Check: the 三生 shares of every cell agree within 1e-6;
geoplan at least 3x faster.

Raster: a WorldCover-like uint8 GeoTIFF (10 m pixels, patchy classes). geoplan: the exactextract
path of ``landuse_composition``; baseline: ``rasterstats.zonal_stats(categorical=True)``. The grid
is aligned with the pixels, so both count whole pixels and the shares agree within 1e-6; geoplan at
least 10x faster. Each side runs in its own subprocess, so each peak memory (VmHWM) is its own.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks._memory import peak_rss_mb

CRS = 4547
X0, Y0 = 400_000.0, 3_700_000.0
CODES = [
    "0101",
    "0102",
    "0103",
    "0201",
    "0301",
    "0305",
    "0404",
    "0601",
    "0701",
    "0702",
    "1003",
    "1006",
    "1101",
    "1104",
    "1107",
    "1201",
    "1203",
    "05H1",
    "08H2",
    "0810",
]
WC = np.array([10, 20, 30, 40, 50, 60, 80, 90], dtype="uint8")
FUNCS = ["production", "living", "ecological"]


# ------------------------------------------------------------------ data


def voronoi_county(n: int, seed: int = 0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``n`` Voronoi parcels (mean 4,000 m²) and a county boundary with a wavy edge."""
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(n * 4000.0))
    frame = shapely.box(X0, Y0, X0 + side, Y0 + side)
    t = np.linspace(0, 2 * np.pi, 721)[:-1]
    r = side * (0.47 + 0.03 * np.sin(7 * t) + 0.015 * np.cos(13 * t))
    ring = np.c_[X0 + side / 2 + r * np.cos(t), Y0 + side / 2 + r * np.sin(t)]
    county = shapely.Polygon(ring)
    pts = shapely.points(rng.uniform(X0, X0 + side, n), rng.uniform(Y0, Y0 + side, n))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    cells = cells[shapely.area(cells) > 0]
    codes = rng.choice(CODES, len(cells))
    lu = gpd.GeoDataFrame({"DLBM": codes}, geometry=cells, crs=CRS)
    return lu, gpd.GeoDataFrame({"name": ["county"]}, geometry=[county], crs=CRS)


def synthetic_county(scale: float) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Land use and boundary of ``geoplan.datasets.synthetic_county(scale=...)``."""
    from geoplan.datasets import synthetic_county as make

    county = make(seed=0, scale=scale)
    return county.layers["landuse"], county.layers["boundary"]


def make_raster(path: Path, pixels: int, seed: int = 0) -> Path:
    """A square uint8 GeoTIFF of about ``pixels`` 10 m pixels with patchy WorldCover classes."""
    import rasterio
    from affine import Affine

    rng = np.random.default_rng(seed)
    n = int(np.sqrt(pixels))
    n -= n % 50  # whole 500 m cells
    coarse = rng.choice(WC, size=(n // 25 + 1, n // 25 + 1))
    arr = np.repeat(np.repeat(coarse, 25, axis=0), 25, axis=1)[:n, :n]
    noise = rng.random((n, n)) < 0.15
    arr = np.where(noise, rng.choice(WC, size=(n, n)), arr).astype("uint8")
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=n,
        height=n,
        count=1,
        dtype="uint8",
        crs=f"EPSG:{CRS}",
        nodata=0,
        tiled=True,
        compress="deflate",
        transform=Affine(10, 0, X0, 0, -10, Y0 + 10 * n),
    ) as ds:
        ds.write(arr, 1)
    return path


# ------------------------------------------------------------------ one side, in a subprocess


def run_side(side: str, data: Path, out: Path) -> dict[str, Any]:
    from geoplan.zones import landuse_composition, make_grid

    if side in ("geoplan", "overlay"):
        lu = gpd.read_parquet(data / "landuse.parquet")
        boundary = gpd.read_parquet(data / "boundary.parquet")
        start = time.perf_counter()
        cells = make_grid(boundary, 500)
        if side == "geoplan":
            comp = landuse_composition(lu, cells)
            shares = comp.units.set_index("cell_id")[FUNCS]
        else:
            from geoplan.landuse import load_scheme

            table = load_scheme("sandiao").table
            lu = lu.assign(sansheng=table.reindex(lu["DLBM"].to_numpy())["sansheng"].to_numpy())
            start = time.perf_counter()  # classification not timed for the baseline
            cells = make_grid(boundary, 500)
            ov = gpd.overlay(
                cells[["cell_id", "geometry"]],
                lu[["sansheng", "geometry"]],
                how="intersection",
                keep_geom_type=True,
            )
            ov["a"] = ov.area
            agg = ov.groupby(["cell_id", "sansheng"])["a"].sum().unstack(fill_value=0.0)
            shares = (
                agg.reindex(columns=FUNCS, fill_value=0.0)
                .div(cells.set_index("cell_id")["area_m2"], axis=0)
                .reindex(cells["cell_id"])
                .fillna(0)
            )
        seconds = time.perf_counter() - start
        shares.to_parquet(out)
        return {"side": side, "seconds": seconds, "cells": len(shares), "peak_mb": peak_rss_mb()}
    # raster sides
    tif = data / "landcover.tif"
    import rasterio

    with rasterio.open(tif) as ds:
        b = ds.bounds
        npx = ds.width * ds.height
    area = gpd.GeoDataFrame(geometry=[shapely.box(b.left, b.bottom, b.right, b.top)], crs=CRS)
    start = time.perf_counter()
    cells = make_grid(area, 500, clip=False)
    if side == "exactextract":
        comp = landuse_composition(str(tif), cells, by="code", scheme="worldcover")
        shares = comp.units.set_index("cell_id")[[f"code_{c}" for c in WC]]
    else:
        from rasterstats import zonal_stats

        stats = zonal_stats(list(cells.geometry), str(tif), categorical=True, nodata=0)
        counts = pd.DataFrame(stats).reindex(columns=[int(c) for c in WC]).fillna(0)
        shares = counts * 100.0 / cells["area_m2"].to_numpy()[:, None]
        shares.index = cells["cell_id"].to_numpy()
        shares.columns = [f"code_{c}" for c in WC]
    seconds = time.perf_counter() - start
    shares.to_parquet(out)
    return {
        "side": side,
        "seconds": seconds,
        "cells": len(shares),
        "pixels": npx,
        "peak_mb": peak_rss_mb(),
    }


def _spawn(side: str, data: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    out = data / f"{side}.parquet"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.bench_zones",
            "--side",
            side,
            "--data",
            str(data),
            "--result",
            str(out),
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    info = json.loads(proc.stdout.strip().splitlines()[-1])
    return info, pd.read_parquet(out)


def _report(
    name: str, ours: dict[str, Any], base: dict[str, Any], diff: float, need: float, quick: bool
) -> bool:
    ratio = base["seconds"] / ours["seconds"]
    print(
        f"{name}: geoplan {ours['seconds']:.2f} s ({ours['peak_mb']:.0f} MB peak) vs "
        f"{base['side']} {base['seconds']:.2f} s ({base['peak_mb']:.0f} MB peak): "
        f"{ratio:.1f}x faster; max |share difference| {diff:.2e}"
    )
    ok = diff <= 1e-6 and (quick or ratio >= need)
    note = " (smoke run: the speed-up is checked at full size only)" if quick else ""
    print(f"{name}: {'OK' if ok else 'FAILED'} (need shares within 1e-6 and >= {need:g}x){note}")
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true", help="small sizes, seconds")
    p.add_argument("--parcels", type=int, default=None, help="number of parcels (default 520k)")
    p.add_argument("--pixels", type=int, default=None, help="raster pixels (default 1.6e7)")
    p.add_argument(
        "--source",
        choices=["auto", "voronoi", "synthetic"],
        default="auto",
        help="auto: geoplan.datasets.synthetic_county when present, else Voronoi",
    )
    p.add_argument("--scale", type=float, default=25.0, help="synthetic_county scale")
    p.add_argument("--only", choices=["vector", "raster"], default=None)
    p.add_argument("--side", help=argparse.SUPPRESS)
    p.add_argument("--data", help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    a = p.parse_args(argv)
    if a.side:
        print(json.dumps(run_side(a.side, Path(a.data), Path(a.result))))
        return 0
    n = a.parcels or (20_000 if a.quick else 520_000)
    npx = a.pixels or (1_000_000 if a.quick else 16_000_000)
    data = Path(tempfile.mkdtemp(prefix="geoplan-bench-zones-"))
    try:
        return _run(a, n, npx, data)
    finally:
        shutil.rmtree(data, ignore_errors=True)


def _run(a: argparse.Namespace, n: int, npx: int, data: Path) -> int:
    ok = True
    if a.only in (None, "vector"):
        t = time.perf_counter()
        use_synth = a.source == "synthetic" or (a.source == "auto" and _has_synthetic())
        lu = boundary = None
        if use_synth:
            try:
                lu, boundary = synthetic_county(a.scale)
            except Exception as exc:  # the generator is another module's: say so, go on
                if a.source == "synthetic":
                    raise
                print(f"synthetic_county(scale={a.scale:g}) failed ({exc}); using Voronoi parcels")
                use_synth = False
        if lu is None or boundary is None:
            lu, boundary = voronoi_county(n)
        lu[["DLBM", "geometry"]].to_parquet(data / "landuse.parquet")
        boundary[["geometry"]].to_parquet(data / "boundary.parquet")
        print(
            f"vector data: {len(lu):,} parcels ({'synthetic_county' if use_synth else 'Voronoi'}), "
            f"{boundary.area.sum() / 1e6:,.0f} km², 500 m grid; built in "
            f"{time.perf_counter() - t:.1f} s"
        )
        ours, s1 = _spawn("geoplan", data)
        base, s2 = _spawn("overlay", data)
        diff = float(np.abs(s1.loc[s2.index, FUNCS].to_numpy() - s2[FUNCS].to_numpy()).max())
        print(f"vector: {ours['cells']:,} cells")
        ok &= _report("vector", ours, base, diff, 3.0, a.quick)
    if a.only in (None, "raster"):
        make_raster(data / "landcover.tif", npx)
        ours, s1 = _spawn("exactextract", data)
        base, s2 = _spawn("rasterstats", data)
        cols = list(s1.columns)
        diff = float(np.abs(s1.loc[s2.index, cols].to_numpy() - s2[cols].to_numpy()).max())
        print(f"raster: {ours['pixels']:,} pixels, {ours['cells']:,} cells of 500 m")
        ok &= _report("raster", ours, base, diff, 10.0, a.quick)
    return 0 if ok else 1


def _has_synthetic() -> bool:
    try:
        from geoplan.datasets import synthetic_county  # noqa: F401
    except ImportError:
        return False
    return True


if __name__ == "__main__":
    raise SystemExit(main())
