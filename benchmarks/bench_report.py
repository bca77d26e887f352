"""Benchmark: offline map pages and the county report — size and headless-Chromium load time.

Run from the repository root (heavy runs under ``flock /tmp/geoplan-heavy.lock``)::

    python -m benchmarks.bench_report            # 100k parcels + 50k road lines + 5k points;
                                                 # report on a >= 500k-parcel synthetic county
    python -m benchmarks.bench_report --quick    # seconds: 5k parcels, no big report
    python -m benchmarks.bench_report --parcels 200000 --report-scale 1  # demo-sized county

Layers: Voronoi parcels (approval-like polygons with batch/date/area popups), a road grid cut into
segments (coloured by class) and settlement points (sized by population), all in EPSG:4547.
geoplan: ``maps.new_map`` + ``add_polygons/add_lines/add_points`` (simplified, rounded, compact
delta encoding, canvas). Baseline: the same layers as plain ``folium.GeoJson`` layers with
``GeoJsonTooltip``/``GeoJsonPopup`` on the same offline page shell (same inlined Leaflet, same
canvas renderer), i.e. what ``gdf.explore()``-style code produces. Check: both pages draw every
feature (geoplan's ``#geoplan-stats`` and a count of the baseline's ``L.GeoJSON`` layers after
load). Printed: page size, build time, build peak memory (VmHWM of a subprocess per side),
Chromium load-event time (real clock, no virtual time) and the ratios.

Report: ``geoplan.datasets.synthetic_county`` at ``--report-scale`` (default 25: >= 500k parcels;
the package ``benchmarks/_work/county_s<scale>`` from ``python -m benchmarks.make_county`` is
reused when it exists) → ``build_report``: index.html size (limit 25 MB at >= 500k parcels), build time, peak
memory, load-event time in Chromium (limit 5 s).
"""

from __future__ import annotations

import argparse
import json
import re
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
CLASSES = np.array(["trunk", "primary", "secondary", "tertiary", "unclassified"])


# ------------------------------------------------------------------ data


def layers(
    n_parcels: int, n_lines: int, n_points: int, seed: int = 0
) -> dict[str, gpd.GeoDataFrame]:
    """Parcels (Voronoi, mean 4,000 m² inside a square county), road segments and points."""
    rng = np.random.default_rng(seed)
    side = float(np.sqrt(max(n_parcels, 1) * 40_000.0))  # parcels cover ~10% of the county
    pts = shapely.points(
        rng.uniform(X0, X0 + side, n_parcels), rng.uniform(Y0, Y0 + side, n_parcels)
    )
    frame = shapely.box(X0, Y0, X0 + side, Y0 + side)
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame))
    cells = shapely.intersection(cells, frame)
    # shrink each cell towards its centre so parcels are separate, approval-like blocks
    cent = shapely.centroid(cells)
    scale = np.sqrt(0.1)
    coords = shapely.get_coordinates(cells)
    idx = np.repeat(np.arange(len(cells)), shapely.get_num_coordinates(cells))
    c = shapely.get_coordinates(cent)[idx]
    parcels = shapely.set_coordinates(cells.copy(), c + (coords - c) * scale)
    n = len(parcels)
    parcel = gpd.GeoDataFrame(
        {
            "batch_id": [f"批次{i // 20:05d}" for i in range(n)],
            "approved_on": pd.Timestamp("2015-01-01")
            + pd.to_timedelta(rng.integers(0, 3650, n), "D"),
            "area_mu": shapely.area(parcels) / (10000 / 15),
            "status": rng.choice(["idle_type1", "idle_type2", "supplied_unused", "started"], n),
        },
        geometry=parcels,
        crs=CRS,
    )
    k = max(int(np.sqrt(n_lines / 2)), 2)  # k x k grid: about 2 k^2 segments
    ticks = np.linspace(X0, X0 + side, k + 1)
    segs = []
    for i in range(k + 1):
        for j in range(k):
            y = Y0 + (ticks[i] - X0)
            segs.append(shapely.LineString([(ticks[j], y), (ticks[j + 1], y)]))
            x = ticks[i]
            segs.append(shapely.LineString([(x, Y0 + ticks[j] - X0), (x, Y0 + ticks[j + 1] - X0)]))
    segs = segs[:n_lines]
    roads = gpd.GeoDataFrame(
        {
            "highway": rng.choice(CLASSES, len(segs)),
            "ref": [f"X{i % 900:03d}" for i in range(len(segs))],
        },
        geometry=segs,
        crs=CRS,
    )
    sx, sy = rng.uniform(X0, X0 + side, n_points), rng.uniform(Y0, Y0 + side, n_points)
    points = gpd.GeoDataFrame(
        {
            "name": [f"村{i}" for i in range(n_points)],
            "population": rng.lognormal(6.5, 0.8, n_points).round(),
        },
        geometry=shapely.points(sx, sy),
        crs=CRS,
    )
    return {"parcels": parcel, "roads": roads, "points": points}


# ------------------------------------------------------------------ pages (in subprocesses)


def build_geoplan(data: dict[str, gpd.GeoDataFrame], out: Path) -> dict[str, Any]:
    from geoplan import maps

    m = maps.new_map(data["parcels"], title="bench")
    maps.add_polygons(
        m,
        data["parcels"],
        name="地块",
        color_by="status",
        popup={"batch_id": "批次", "approved_on": "批准日期", "area_mu": "面积（亩）"},
    )
    maps.add_lines(m, data["roads"], name="道路", color_by="highway", tooltip={"ref": "编号"})
    maps.add_points(m, data["points"], name="村庄", radius_by="population",
                    tooltip={"name": "名称", "population": "人口"})  # fmt: skip
    maps.finish(m)
    maps.save_html(m, out)
    return {}


def build_folium(data: dict[str, gpd.GeoDataFrame], out: Path) -> dict[str, Any]:
    """Plain folium GeoJson layers (on the same offline page shell, so it loads offline)."""
    import folium

    from geoplan import maps

    m = maps.new_map(data["parcels"], title="bench")
    palette = {"idle_type1": "#d62728", "idle_type2": "#ff7f0e", "supplied_unused": "#1f77b4",
               "started": "#2ca02c"}  # fmt: skip
    parcels = data["parcels"].to_crs(4326)
    parcels["approved_on"] = parcels["approved_on"].dt.strftime("%Y-%m-%d")
    folium.GeoJson(
        parcels,
        name="地块",
        style_function=lambda f: {"color": palette[f["properties"]["status"]], "weight": 1},
        popup=folium.GeoJsonPopup(
            ["batch_id", "approved_on", "area_mu"], ["批次", "批准日期", "面积（亩）"]
        ),
    ).add_to(m)
    folium.GeoJson(
        data["roads"].to_crs(4326), name="道路", tooltip=folium.GeoJsonTooltip(["ref"], ["编号"])
    ).add_to(m)
    folium.GeoJson(
        data["points"].to_crs(4326),
        name="村庄",
        marker=folium.CircleMarker(radius=5),
        tooltip=folium.GeoJsonTooltip(["name", "population"], ["名称", "人口"]),
    ).add_to(m)
    folium.LayerControl().add_to(m)
    m.save(str(out))
    return {}


def build_report(scale: float, out: Path) -> dict[str, Any]:
    from geoplan import datasets
    from geoplan.county import County
    from geoplan.report import build_report as build

    t0 = time.perf_counter()
    cached = Path(__file__).parent / "_work" / f"county_s{scale:g}"
    if (cached / "county.toml").is_file():  # written by `python -m benchmarks.make_county`
        path = cached
    else:
        path = datasets.synthetic_county(seed=0, scale=scale).write(
            out.parent / "county", landuse_format="parquet"
        )
    county = County.open(path)
    gen = time.perf_counter() - t0
    n = len(county.landuse) if county.has("landuse") else 0
    iso = _time_isochrones()
    t1 = time.perf_counter()
    page = build(county, out=out.parent / "report")
    return {"generate_s": gen, "report_s": time.perf_counter() - t1, "parcels": n,
            "page": str(page), "isochrones_s": iso}  # fmt: skip


def _time_isochrones() -> list[float]:
    """Time every isochrone pass (``reach_polygons``, every park x budget) the report makes,
    inside its connectivity step: the list is filled as the report runs."""
    import geoplan.connectivity._tables as tables

    seconds: list[float] = []
    inner = tables.reach_polygons

    def timed(*args: Any, **kwargs: Any) -> Any:
        t = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - t)

    tables.reach_polygons = timed  # type: ignore[assignment]
    return seconds


def _child(kind: str, arg: str, out: str) -> None:
    """Entry point of one measured subprocess: build one page, print JSON."""
    t0 = time.perf_counter()
    if kind == "report":
        extra = build_report(float(arg), Path(out))
    else:
        n_parcels, n_lines, n_points = (int(v) for v in arg.split(","))
        data = layers(n_parcels, n_lines, n_points)
        t0 = time.perf_counter()  # time the page, not the data generation
        extra = (build_geoplan if kind == "geoplan" else build_folium)(data, Path(out))
    secs = time.perf_counter() - t0
    rss_mb = peak_rss_mb()
    print(json.dumps({"seconds": secs, "peak_mb": rss_mb, **extra}))


def _measure(kind: str, arg: str, out: Path) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_report", "--child", kind, arg, str(out)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if proc.returncode != 0:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr[-3000:]}")
    res: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return res


_COUNT_GEOJSON = (
    "<script>window.addEventListener('load',function(){var n=0;for(var k in window){"
    "if(k.indexOf('geo_json_')===0&&window[k]&&window[k].getLayers){n+=window[k].getLayers().length;}}"
    "document.documentElement.setAttribute('data-geojson-features',String(n));});</script>"
)


def _drawn(page: Path, kind: str) -> int:
    from tests.support import browser

    if kind == "geoplan":
        run = browser.load(page, budget_ms=1000, timeout=600)
        return sum(int(s["data-objects"]) for s in browser.layer_stats(run.dom).values())
    probe = page.with_name("probe_" + page.name)
    probe.write_text(page.read_text(encoding="utf-8") + _COUNT_GEOJSON, encoding="utf-8")
    run = browser.load(probe, budget_ms=1000, timeout=600)
    m = re.search(r'data-geojson-features="(\d+)"', run.dom)
    return int(m.group(1)) if m else -1


def main(argv: list[str]) -> int:
    if argv[:1] == ["--child"]:
        _child(*argv[1:4])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="seconds-long smoke run")
    ap.add_argument("--parcels", type=int, default=None)
    ap.add_argument("--lines", type=int, default=None)
    ap.add_argument("--points", type=int, default=None)
    ap.add_argument("--report-only", action="store_true", help="skip the layer comparison")
    ap.add_argument("--report-scale", type=float, default=None,
                    help="synthetic_county scale for the report run (0 skips it)")  # fmt: skip
    args = ap.parse_args(argv)
    n_parcels = args.parcels or (5_000 if args.quick else 100_000)
    n_lines = args.lines or (2_000 if args.quick else 50_000)
    n_points = args.points or (500 if args.quick else 5_000)
    report_scale = args.report_scale if args.report_scale is not None else (0 if args.quick else 25)
    ok = True
    with tempfile.TemporaryDirectory(prefix="gp-bench-report-") as tmp:
        if not args.report_only:
            ok &= _compare_layers(Path(tmp), n_parcels, n_lines, n_points)
        if report_scale > 0:
            ok &= _report(Path(tmp), report_scale)
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


def _compare_layers(tmp: Path, n_parcels: int, n_lines: int, n_points: int) -> bool:
    """geoplan layers against plain folium GeoJson layers of the same data."""
    from tests.support import browser

    spec = f"{n_parcels},{n_lines},{n_points}"
    print(f"layers: {n_parcels:,} parcels, {n_lines:,} road lines, {n_points:,} points")
    rows = {}
    for kind in ("folium", "geoplan"):
        page = tmp / f"{kind}.html"
        res = _measure(kind, spec, page)
        res["size_mb"] = page.stat().st_size / 1e6
        res["load_ms"] = browser.load_time_ms(page, timeout=900)
        res["drawn"] = _drawn(page, kind)
        rows[kind] = res
        print(
            f"  {kind:8s} size {res['size_mb']:8.2f} MB  build {res['seconds']:6.2f} s  "
            f"peak {res['peak_mb']:7.0f} MB  load {res['load_ms'] / 1000:6.2f} s  "
            f"features drawn {res['drawn']:,}"
        )
    k = max(int(np.sqrt(n_lines / 2)), 2)
    want = n_parcels + min(n_lines, 2 * k * (k + 1)) + n_points
    equal = rows["geoplan"]["drawn"] == rows["folium"]["drawn"] == want
    f, g = rows["folium"], rows["geoplan"]
    print(
        f"  ratio folium/geoplan: size {f['size_mb'] / g['size_mb']:.1f}x, "
        f"load {f['load_ms'] / max(g['load_ms'], 1):.1f}x, build {f['seconds'] / g['seconds']:.1f}x; "
        f"every feature drawn by both: {equal} ({g['drawn']:,} of {want:,})"
    )
    return bool(equal)


def _report(tmp: Path, scale: float) -> bool:
    """The whole report on a synthetic county: size and load time against the limits."""
    from tests.support import browser

    out = tmp / "r" / "x"
    out.parent.mkdir()
    res = _measure("report", str(scale), out)
    page = Path(res["page"])
    size = page.stat().st_size / 1e6
    load = browser.load_time_ms(page, timeout=900)
    load_all = browser.load_time_ms(page, timeout=900, fragment="all-maps")
    run = browser.load(page, budget_ms=2000, timeout=900, fragment="all-maps")
    drawn = sum(int(s["data-objects"]) for s in browser.layer_stats(run.dom).values())
    sections = dict(re.findall(r'<section id="([a-z]+)" class="[^"]*" data-status="([a-z]+)"',
                               page.read_text(encoding="utf-8")))  # fmt: skip
    print(
        f"report: synthetic county scale {scale:g} ({res['parcels']:,} parcels): "
        f"report built in {res['report_s']:.1f} s (+{res['generate_s']:.1f} s to get the county), "
        f"peak {res['peak_mb']:.0f} MB; index.html {size:.2f} MB; load event {load / 1000:.2f} s "
        f"(maps built as their sections scroll into view), {load_all / 1000:.2f} s with every "
        f"map built (#all-maps: {drawn:,} features drawn); console messages {len(run.console)}; "
        f"sections {sections}"
    )
    timings = json.loads((page.parent / "report.json").read_text(encoding="utf-8"))["timings"]
    print("  steps: " + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()
                                  if k not in ("total", "peak_rss_mb")))  # fmt: skip
    iso = ", ".join(f"{s:.2f} s" for s in res["isochrones_s"]) or "none drawn"
    print(f"  isochrones inside the connectivity step (reach_polygons, every park x budget): {iso}")
    limit = 25 if res["parcels"] >= 500_000 else 10
    return size <= limit and load < 5000 and not run.console


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
