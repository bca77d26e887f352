"""Benchmark: PostGIS in and out (issue 16) — reading parcels from PostGIS against GeoPackage,
and the audit totals by geoplan against the same totals in SQL.

Run from the repository root (under the heavy-work lock on a shared machine)::

    python -m benchmarks.bench_postgis            # 500k parcels; the 50k and overlap audits
    python -m benchmarks.bench_postgis --quick    # 20k parcels, small audits: a smoke test
    python -m benchmarks.bench_postgis --part read --repeat 3   # only the reading part

Both parts run on a throwaway PostgreSQL + PostGIS cluster (``tests/support/postgis.py``:
``initdb`` in a temp dir, Unix socket only, stopped at the end; Debian's ``postgresql`` and
``postgresql-postgis``).

**Reading.** ``--parcels`` (500,000) 三调-like parcels (jittered quadrilaterals on a grid, BSM,
DLBM, DLMC, ZLDWDM, QSDWMC, TBMJ, KCMJ, TBDLMJ, a survey date) are written once to a GeoPackage
(pyogrio) and loaded into PostGIS with psycopg ``COPY`` (a ``serial`` key, ``numeric`` areas,
``geometry(MultiPolygon, 4547)``, GiST index, ``ANALYZE``) — not timed. Each side then runs in its
own process: ``read_layer(..., role="landuse")`` from ``county.gpkg:landuse`` (pyogrio, Arrow) and
from ``postgresql://…#public.dltb`` (psycopg server-side cursor, binary, chunks of 50,000 rows).
Reported: time, peak RSS (``VmHWM``) and peak RSS over the interpreter with its imports; the
check is that both frames hold the same parcels, classes and areas.

**Audit totals.** On the 50k benchmark data of ``bench_audit.py`` (``make_data(50000)``, less
the records dated after the as-of date, which the audit leaves out and SQL would not) and on
the overlap-heavy county (``synthetic_county(seed=11, scale=2, approvals_factor=20)``), the four
totals — approved, supplied inside approvals, unsupplied and supply outside every approval
(unsupplied and outside counted with their slivers) — by geoplan's full audit and by PostGIS
SQL (``ST_Union`` / ``ST_Intersection`` / ``ST_Difference``; ``bench_audit.POSTGIS_TOTALS``,
the same workers as ``bench_audit.py --overlap``). Areas must agree to a relative 1e-9.
"""

from __future__ import annotations

import argparse
import json
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
from benchmarks.bench_audit import AREA_KEYS, AS_OF, OVERLAP_COUNTY, OVERLAP_QUICK, make_data

CRS = 4547
CLASSES = [("0101", "水田"), ("0103", "旱地"), ("0301", "乔木林地"), ("0702", "农村宅基地"),
           ("0601", "工业用地"), ("1006", "农村道路"), ("1104", "坑塘水面"), ("0201", "果园")]  # fmt: skip


def make_parcels(n: int, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` 三调-like parcels: jittered quadrilaterals on a 60 m grid."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    x0 = 400_000.0 + (i % side) * 60.0
    y0 = 3_800_000.0 + (i // side) * 60.0
    jit = rng.uniform(-8, 8, (n, 4, 2))
    corners = np.stack([np.c_[x0, y0], np.c_[x0 + 60, y0], np.c_[x0 + 60, y0 + 60],
                        np.c_[x0, y0 + 60]], axis=1)  # fmt: skip
    corners[:, 1:3] += jit[:, 1:3]  # shared west/south edges stay straight, the rest jitter
    rings = np.concatenate([corners, corners[:, :1]], axis=1)
    geoms = shapely.polygons(rings)
    cls = rng.integers(0, len(CLASSES), n)
    area = shapely.area(geoms)
    kc = np.where(np.isin(cls, [0, 1]), np.round(area * rng.uniform(0, 0.08, n), 2), 0.0)
    village = (i // 2000).astype(int)
    return gpd.GeoDataFrame(
        {
            "BSM": pd.array([f"{k:010d}" for k in i], dtype="string"),
            "DLBM": pd.array([CLASSES[c][0] for c in cls], dtype="string"),
            "DLMC": pd.array([CLASSES[c][1] for c in cls], dtype="string"),
            "ZLDWDM": pd.array([f"410225{v % 20:03d}{v:03d}" for v in village], dtype="string"),
            "QSDWMC": pd.array([f"第{v}村民委员会" for v in village], dtype="string"),
            "TBMJ": np.round(area, 2),
            "KCMJ": kc,
            "TBDLMJ": np.round(area, 2) - kc,
            "GXSJ": pd.Timestamp("2019-12-31") + pd.to_timedelta(rng.integers(0, 1500, n), "D"),
        },
        geometry=geoms,
        crs=CRS,
    )


def read_worker(side: str, source: str) -> dict[str, Any]:
    """Read the parcels once from ``source``; time, memory and what was read."""
    import psycopg  # noqa: F401  (imported before measuring, like pyogrio and pyarrow)
    import pyarrow  # noqa: F401

    from geoplan.io import read_layer

    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    gdf = read_layer(source, role="landuse")
    seconds = time.perf_counter() - t0
    return {
        "side": side,
        "seconds": seconds,
        "peak_rss_mb": peak_rss_mb(),
        "rss_before_mb": rss0,
        "rows": len(gdf),
        "tbdlmj": float(gdf["TBDLMJ"].sum()),
        "area": float(gdf.geometry.area.sum()),
        "classes": gdf["DLBM"].value_counts().sort_index().to_dict(),
        "vertices": int(shapely.get_num_coordinates(gdf.geometry.values).sum()),
    }


def _load_parcels(url: str, parcels: gpd.GeoDataFrame) -> float:
    """COPY the parcels into public.dltb the way a bureau's table looks; seconds taken."""
    import psycopg

    t0 = time.perf_counter()
    cols = ["BSM", "DLBM", "DLMC", "ZLDWDM", "QSDWMC", "TBMJ", "KCMJ", "TBDLMJ", "GXSJ"]
    wkb = shapely.to_wkb(shapely.multipolygons(shapely.get_parts(parcels.geometry.values),
                                               indices=np.arange(len(parcels))), hex=True)  # fmt: skip
    with psycopg.connect(url, autocommit=True) as con:
        con.execute(
            'CREATE TABLE dltb (gid serial PRIMARY KEY, "BSM" varchar(18), "DLBM" varchar(5), '
            '"DLMC" varchar(60), "ZLDWDM" varchar(19), "QSDWMC" varchar(60), '
            '"TBMJ" numeric(15,2), "KCMJ" numeric(15,2), "TBDLMJ" numeric(15,2), "GXSJ" date, '
            "geom geometry(MultiPolygon, 4547))"
        )
        quoted = ", ".join(f'"{c}"' for c in cols)
        frame = parcels[cols]
        with con.cursor() as cur, cur.copy(f"COPY dltb ({quoted}, geom) FROM STDIN") as copy:
            for row, g in zip(frame.itertuples(index=False), wkb, strict=True):
                values = [None if pd.isna(v) else v for v in row]
                values[-1] = values[-1].date() if values[-1] is not None else None
                copy.write_row([*values, f"SRID={CRS};{g}"])
        con.execute("CREATE INDEX ON dltb USING gist (geom)")
        con.execute("ANALYZE dltb")
    return time.perf_counter() - t0


def _run(args: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", *args], check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def read_part(n: int, tmp: Path, url: str, repeat: int) -> bool:
    t0 = time.perf_counter()
    parcels = make_parcels(n)
    gpkg = tmp / "county.gpkg"
    parcels.to_file(gpkg, layer="landuse", engine="pyogrio")
    made = time.perf_counter() - t0
    loaded = _load_parcels(url, parcels)
    vertices = int(shapely.get_num_coordinates(parcels.geometry.values).sum())
    del parcels
    print(
        f"\nread: {n:,} parcels, {vertices:,} vertices; GeoPackage {gpkg.stat().st_size / 1e6:.0f} "
        f"MB (made in {made:.1f} s), loaded into PostGIS in {loaded:.1f} s (COPY, GiST, ANALYZE)"
    )
    sources = {"gpkg": f"{gpkg}:landuse", "postgis": f"{url}#public.dltb"}
    runs: dict[str, list[dict[str, Any]]] = {side: [] for side in sources}
    for _ in range(max(1, repeat)):
        for side, source in sources.items():
            runs[side].append(
                _run(["benchmarks.bench_postgis", "--read-worker", side, "--source", source])
            )
    best = {side: min(r, key=lambda x: x["seconds"]) for side, r in runs.items()}
    g, p = best["gpkg"], best["postgis"]
    print(f"{'':30}{'GeoPackage (pyogrio)':>22}{'PostGIS (psycopg)':>22}")
    print(f"{'read_layer time (s)':30}{g['seconds']:>22.2f}{p['seconds']:>22.2f}")
    print(f"{'peak RSS (MB)':30}{g['peak_rss_mb']:>22.0f}{p['peak_rss_mb']:>22.0f}")
    print(
        f"{'peak RSS over imports (MB)':30}{g['peak_rss_mb'] - g['rss_before_mb']:>22.0f}"
        f"{p['peak_rss_mb'] - p['rss_before_mb']:>22.0f}"
    )
    same = (
        g["rows"] == p["rows"] == n
        and g["classes"] == p["classes"]
        and g["vertices"] == p["vertices"]
        and abs(g["tbdlmj"] - p["tbdlmj"]) <= 1e-6 * g["tbdlmj"]
        and abs(g["area"] - p["area"]) <= 1e-9 * g["area"]
    )
    print(
        f"read: PostGIS / GeoPackage time {p['seconds'] / g['seconds']:.2f}x; same parcels, "
        f"classes and areas: {'ok' if same else 'MISMATCH'}; all times: "
        + ", ".join(f"{k} {[round(r['seconds'], 2) for r in v]}" for k, v in runs.items())
    )
    return same


def totals_part(name: str, data: Path, pg: dict[str, Any], repeat: int) -> bool:
    """geoplan's audit totals against PostGIS SQL on the county.gpkg in ``data``."""
    base = ["benchmarks.bench_audit", "--data", str(data), "--overlap", "--pg", json.dumps(pg)]
    runs: dict[str, list[dict[str, Any]]] = {"geoplan": [], "postgis": []}
    for _ in range(max(1, repeat)):
        for side in runs:
            runs[side].append(_run([*base[:1], "--worker", side, *base[1:]]))
    best = {side: min(r, key=lambda x: x["seconds"]) for side, r in runs.items()}
    g, o = best["geoplan"], best["postgis"]
    print(f"{'':28}{'geoplan.audit_land':>20}{'PostGIS ' + o.get('version', ''):>20}")
    print(f"{'time (s)':28}{g['seconds']:>20.2f}{o['seconds']:>20.2f}")
    worst = 0.0
    for key in AREA_KEYS:
        rel = abs(g[key] - o[key]) / max(abs(o[key]), 1.0)
        worst = max(worst, rel)
        print(f"{key:28}{g[key]:>20.3f}{o[key]:>20.3f}   rel. difference {rel:.1e}")
    ok = worst <= 1e-9
    print(
        f"{name}: PostGIS SQL / geoplan time {o['seconds'] / g['seconds']:.2f}x (geoplan runs "
        f"the whole audit, SQL only the four totals); areas agree to {worst:.1e} "
        f"({'ok' if ok else 'MISMATCH'}); all times: "
        + ", ".join(f"{k} {[round(r['seconds'], 2) for r in v]}" for k, v in runs.items())
    )
    return ok


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--parcels", type=int, default=500_000, help="parcels to read (500000)")
    p.add_argument("--n", type=int, default=50_000, help="approvals of the audit data (50000)")
    p.add_argument("--quick", action="store_true", help="small smoke run")
    p.add_argument("--repeat", type=int, default=1, help="runs per side; the fastest counts")
    p.add_argument("--part", choices=["all", "read", "totals"], default="all")
    p.add_argument("--read-worker", help=argparse.SUPPRESS)
    p.add_argument("--source", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.read_worker:
        print(json.dumps(read_worker(args.read_worker, args.source)))
        return 0
    from tests.support.postgis import new_database, postgis_cluster

    parcels = 20_000 if args.quick else args.parcels
    n = 2_000 if args.quick else args.n
    ok = True
    with tempfile.TemporaryDirectory(prefix="bench_postgis_") as tmp_text:
        tmp = Path(tmp_text)
        with postgis_cluster(tmp) as cluster:
            if args.part in ("all", "read"):
                ok &= read_part(parcels, tmp, new_database(cluster, "bench_read"), args.repeat)
            if args.part == "read":
                return 0 if ok else 1
            from geoplan.datasets import synthetic_county

            a, s = make_data(n)
            # records dated after the as-of date do not exist yet for the audit: leave them
            # out of both sides (the SQL totals know no as-of date)
            a = a[a["approved_on"] <= AS_OF]
            s = s[s["supplied_on"] <= AS_OF]
            overlap = synthetic_county(**(OVERLAP_QUICK if args.quick else OVERLAP_COUNTY))  # type: ignore[arg-type]
            datasets = {
                f"audit totals, bench_audit data ({len(a):,} approvals)": (a, s),
                f"audit totals, overlap county ({len(overlap.layers['approvals']):,} approvals)": (
                    overlap.layers["approvals"],
                    overlap.layers["supplies"],
                ),
            }
            for k, (name, (approvals, supplies)) in enumerate(datasets.items()):
                data = tmp / f"audit{k}"
                data.mkdir()
                approvals.to_file(data / "county.gpkg", layer="approvals", engine="pyogrio")
                supplies.to_file(data / "county.gpkg", layer="supplies", engine="pyogrio")
                pg = cluster.conninfo(f"bench_totals_{k}")
                new_database(cluster, f"bench_totals_{k}")
                print(f"\n{name}: {len(approvals):,} approval polygons, {len(supplies):,} supplies")
                ok &= totals_part(name, data, pg, args.repeat)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
