"""Benchmark: geoplan.audit_land against geopandas.overlay(how="difference") + area sums.

Run from the repository root::

    python -m benchmarks.bench_audit            # >= 50k approvals and >= 50k supplies
    python -m benchmarks.bench_audit --quick    # a few seconds, smoke test
    python -m benchmarks.bench_audit --n 100000 --repeat 3
    python -m benchmarks.bench_audit --overlap  # only the overlapping-approvals county

The data are synthetic approval batches (irregular quadrilaterals, some batches of two polygons)
on a jittered grid; each batch is cut into parcels of which some are supplied; 30 % of supplies
are digitised with an offset of 0.2-1.5 m (so slivers appear inside and outside approvals) and
about 5 % of supplies lie outside every approval. Both sides run in their own subprocess on the
same GeoParquet files, so each peak memory (``VmHWM``) is its own. The check: geoplan's
unsupplied area before sliver removal (unsupplied + slivers) equals the baseline's difference area
within 0.01 %, and geoplan is at least 3x faster (the full audit: statuses, batches, cohorts,
unmatched supply, conservation checks — the baseline only computes the difference).

**Overlapping approvals** (``--overlap``; also run after the first part without it):
``synthetic_county(seed=11, scale=2, approvals_factor=20)`` — 17,963 approval polygons in 6,000
batches and 23,138 supplies that overlap heavily (re-approvals, 单独选址 over 批次 land: about 43
overlapping pairs per approval), written once to a GeoPackage in a temp dir and read by each side
with ``read_layer`` (not timed). geoplan runs the full audit; two PostGIS baselines compute
the four totals — approved, supplied inside approvals, unsupplied and supply outside every
approval. Like for like (``postgis_batch``, the speed target): the per-batch figures geoplan
reports, written with LATERAL joins and GiST indexes (each batch minus ``ST_Union`` of the
earlier batches it overlaps; per batch the union of the supplies it overlaps; each supply minus
the earlier supplies it overlaps, minus the batches it meets), summed. Bare (``postgis``): one
``ST_Union`` per layer, then ``ST_Intersection`` / ``ST_Difference`` — no per-batch figure at
all. Both run on a throwaway cluster
(``initdb`` in the temp dir, Unix socket only, stopped at the end; the tables are loaded with
psycopg ``COPY`` and indexed before timing). Where ``pg_ctl``, the PostGIS extension or psycopg
is missing, the baseline is the same totals with ``geopandas.overlay`` on the dissolved layers
(a message says so). Areas must agree to a relative 1e-9 (geoplan's unsupplied and unmatched
areas counted with their slivers).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from benchmarks._memory import peak_rss_mb

AS_OF = "2026-06-30"
# the no-overlap data run to 2029: audited as of a date after every record, so that nothing is
# left out and geoplan's figures compare with the overlay of all supplies
AS_OF_PLAIN = "2030-12-31"
CRS = 4547  # CGCS2000 / 3-degree Gauss-Kruger CM 114E


def make_data(n: int, seed: int = 0) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """``n`` approval polygons and their supplies (see the module docstring)."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n)))
    i = np.arange(n)
    cell = 150.0
    x0 = 500_000.0 + (i % side) * cell + rng.uniform(0, 15, n)
    y0 = 3_800_000.0 + (i // side) * cell + rng.uniform(0, 15, n)
    w = rng.uniform(60, 125, n)
    h = rng.uniform(60, 125, n)
    jit = rng.uniform(-4, 4, (n, 4, 2))
    # corners p0 (bottom-left), p1 (bottom-right), p2 (top-right), p3 (top-left)
    corners = np.stack(
        [
            np.c_[x0, y0],
            np.c_[x0 + w, y0],
            np.c_[x0 + w, y0 + h],
            np.c_[x0, y0 + h],
        ],
        axis=1,
    )
    corners = corners + jit
    approvals = shapely.polygons(np.concatenate([corners, corners[:, :1]], axis=1))
    # one batch in ten has two polygons (the next approval joins its batch)
    batch = i.copy()
    pair = (rng.random(n) < 0.1) & (i % side != side - 1) & (i + 1 < n)
    batch[np.flatnonzero(pair) + 1] = np.flatnonzero(pair)
    while (batch[batch] != batch).any():  # chains of pairs share the first polygon's batch
        batch = batch[batch]
    year_day = rng.integers(0, 14 * 365, n)
    approved_on = pd.Timestamp("2012-01-01") + pd.to_timedelta(year_day, unit="D")
    # the batch's date is its first polygon's date
    approved_on = approved_on.to_numpy()[batch]

    # parcels: strips between fractions along p0->p1 / p3->p2; k supplied strips per approval
    k = rng.choice([0, 1, 2, 3], size=n, p=[0.2, 0.4, 0.25, 0.15])
    owner = np.repeat(i, k)
    j = np.concatenate([np.arange(kk) for kk in k]) if n else np.empty(0, int)
    strips = k[owner] + (rng.random(len(owner)) < 0.6)  # often one strip left unsupplied
    t0 = j / strips
    t1 = (j + 1) / strips
    c = corners[owner]

    def lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
        return a + (b - a) * t[:, None]

    q = np.stack(
        [
            lerp(c[:, 0], c[:, 1], t0),
            lerp(c[:, 0], c[:, 1], t1),
            lerp(c[:, 3], c[:, 2], t1),
            lerp(c[:, 3], c[:, 2], t0),
        ],
        axis=1,
    )
    shifted = rng.random(len(owner)) < 0.3
    angle = rng.uniform(0, 2 * np.pi, len(owner))
    dist = rng.uniform(0.2, 1.5, len(owner))
    q[shifted] += (np.c_[np.cos(angle), np.sin(angle)] * dist[:, None])[shifted][:, None, :]
    supplies = shapely.polygons(np.concatenate([q, q[:, :1]], axis=1))
    # supplies outside every approval (existing construction land): in the grid gaps
    n_out = max(1, len(owner) // 20)
    cells = rng.integers(0, n, n_out)
    ox = 500_000.0 + (cells % side) * cell + 140.0
    oy = 3_800_000.0 + (cells // side) * cell + rng.uniform(0, 100, n_out)
    outside = shapely.box(ox, oy, ox + 8, oy + rng.uniform(20, 40, n_out))
    geoms = np.concatenate([supplies, outside])
    ns = len(geoms)
    sup_owner = np.concatenate([owner, cells])
    supplied_on = (
        approved_on[sup_owner] + pd.to_timedelta(rng.integers(60, 1200, ns), unit="D").to_numpy()
    )
    agreed = supplied_on + np.timedelta64(180, "D")
    started = rng.random(ns) < 0.6
    actual = np.where(
        started,
        agreed + pd.to_timedelta(rng.integers(-60, 400, ns), unit="D").to_numpy(),
        np.datetime64("NaT"),
    )
    suspended = started & (rng.random(ns) < 0.15)
    susp = np.where(
        suspended,
        actual + pd.to_timedelta(rng.integers(30, 700, ns), unit="D").to_numpy(),
        np.datetime64("NaT"),
    )
    a = gpd.GeoDataFrame(
        {
            "batch_id": pd.array([f"PC{b:06d}" for b in batch], dtype="string"),
            "approval_no": pd.array([f"豫政土〔{b % 97}〕{b}号" for b in batch], dtype="string"),
            "approved_on": pd.to_datetime(approved_on).astype("datetime64[ms]"),
            "approval_type": pd.array(["城市批次用地"] * n, dtype="string"),
        },
        geometry=approvals,
        crs=CRS,
    )
    s = gpd.GeoDataFrame(
        {
            "supply_id": pd.array([f"GD{x:07d}" for x in range(ns)], dtype="string"),
            "batch_id": pd.array([f"PC{b:06d}" for b in batch[sup_owner]], dtype="string"),
            "supplied_on": pd.to_datetime(supplied_on).astype("datetime64[ms]"),
            "agreed_start": pd.to_datetime(agreed).astype("datetime64[ms]"),
            "actual_start": pd.to_datetime(actual).astype("datetime64[ms]"),
            "developed_ratio": np.where(started, rng.uniform(0, 1, ns), np.nan),
            "invested_ratio": np.where(started, rng.uniform(0, 1, ns), np.nan),
            "suspended_since": pd.to_datetime(susp).astype("datetime64[ms]"),
            "land_price": rng.uniform(1e6, 5e7, ns).round(0),
            "gov_cause": pd.array(rng.random(ns) < 0.1, dtype="boolean"),
        },
        geometry=geoms,
        crs=CRS,
    )
    return a, s


def worker(side: str, data: Path) -> dict[str, Any]:
    """Run one side on the saved data; return its time, memory and areas."""
    a = gpd.read_parquet(data / "approvals.parquet")
    s = gpd.read_parquet(data / "supplies.parquet")
    if side.startswith("geoplan"):
        workers = 1 if side == "geoplan1" else None
        from geoplan.audit import audit_land  # imported before timing, like geopandas

        rss0 = peak_rss_mb()
        t0 = time.perf_counter()
        result = audit_land(a, s, as_of=AS_OF_PLAIN, workers=workers)
        seconds = time.perf_counter() - t0
        b = result.batches
        from geoplan.units import M2_PER_MU

        return {
            "seconds": seconds,
            "rss_after_load_mb": rss0,
            "peak_rss_mb": peak_rss_mb(),
            "approved_m2": float(b["approved_area_m2"].sum()),
            "unsupplied_raw_m2": float(b["unsupplied_area_m2"].sum() + b["sliver_area_m2"].sum()),
            "unsupplied_m2": float(b["unsupplied_area_m2"].sum()),
            "sliver_m2": float(b["sliver_area_m2"].sum()),
            "unsupplied_mu": result.summary["unsupplied_area_mu"],
            "pieces": len(result.unsupplied),
            "idle": result.summary["idle_parcels"],
            "unmatched_m2": result.summary["unmatched_supply_area_mu"] * M2_PER_MU,
        }
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    diff = gpd.overlay(a, s, how="difference")
    approved = float(a.area.sum())
    unsupplied = float(diff.area.sum())
    seconds = time.perf_counter() - t0
    return {
        "seconds": seconds,
        "rss_after_load_mb": rss0,
        "peak_rss_mb": peak_rss_mb(),
        "approved_m2": approved,
        "unsupplied_raw_m2": unsupplied,
        "pieces": len(diff),
    }


OVERLAP_COUNTY = {"seed": 11, "scale": 2.0, "approvals_factor": 20.0}
OVERLAP_QUICK = {"seed": 11, "scale": 0.3, "approvals_factor": 20.0}
AREA_KEYS = ("approved_m2", "supplied_m2", "unsupplied_m2", "unmatched_m2")


def _overlap_layers(data: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from geoplan.io import read_layer

    path = data / "county.gpkg"
    a = read_layer(f"{path}:approvals", role="approvals")
    s = read_layer(f"{path}:supplies", role="supplies")
    return a, s


def overlap_worker(side: str, data: Path, pg: dict[str, Any] | None) -> dict[str, Any]:
    """One side of the overlap benchmark: the four totals (m²) and the time they took."""
    a, s = _overlap_layers(data)
    if side.startswith("geoplan"):
        from geoplan.audit import audit_land
        from geoplan.units import M2_PER_MU

        rss0 = peak_rss_mb()
        t0 = time.perf_counter()
        r = audit_land(a, s, as_of=AS_OF, workers=1 if side == "geoplan1" else None)
        seconds = time.perf_counter() - t0
        b, q = r.batches, r.summary
        return {
            "seconds": seconds,
            "peak_rss_mb": peak_rss_mb(),
            "rss_after_load_mb": rss0,
            "approved_m2": float(b["approved_area_m2"].sum()),
            "supplied_m2": float(b["supplied_area_m2"].sum()),
            "unsupplied_m2": float(b["unsupplied_area_m2"].sum() + b["sliver_area_m2"].sum()),
            "unmatched_m2": (q["unmatched_supply_area_mu"] + q["unmatched_sliver_area_mu"])
            * M2_PER_MU,
            "batches": len(b),
            "overlap_pairs": r.quality["approval_overlap_pairs"],
            "supply_overlap_pairs": r.quality["supply_overlap_pairs"],
            "robust": r.quality["robust_recomputed"],
        }
    if side in ("postgis", "postgis_batch"):
        assert pg is not None
        return _postgis_totals(a, s, pg, per_batch=side == "postgis_batch")
    rss0 = peak_rss_mb()
    t0 = time.perf_counter()
    ua = gpd.GeoDataFrame(geometry=[a.geometry.union_all()], crs=a.crs)
    us = gpd.GeoDataFrame(geometry=[s.geometry.union_all()], crs=s.crs)
    inside = gpd.overlay(ua, us, how="intersection")
    unsupplied = gpd.overlay(ua, us, how="difference")
    outside = gpd.overlay(us, ua, how="difference")
    out = {
        "approved_m2": float(ua.area.sum()),
        "supplied_m2": float(inside.area.sum()),
        "unsupplied_m2": float(unsupplied.area.sum()),
        "unmatched_m2": float(outside.area.sum()),
    }
    return {"seconds": time.perf_counter() - t0, "peak_rss_mb": peak_rss_mb(),
            "rss_after_load_mb": rss0, **out}  # fmt: skip


POSTGIS_TOTALS = """
WITH a AS (SELECT ST_Union(geom) AS g FROM approvals),
     s AS (SELECT ST_Union(geom) AS g FROM supplies)
SELECT ST_Area(a.g), ST_Area(ST_Intersection(a.g, s.g)), ST_Area(ST_Difference(a.g, s.g)),
       ST_Area(ST_Difference(s.g, a.g))
FROM a, s
"""


# The same per-batch figures as geoplan, the way a PostGIS user would write them: each batch
# (the union of its polygons) minus the union of the earlier batches it overlaps (LATERAL, GiST);
# per batch the union of the supplies it overlaps, supplied = approved − unsupplied; each supply
# minus the earlier supplies it overlaps, then minus the batches it overlaps (unmatched). (Minus
# the union of the *disjoint* approved pieces instead, PostGIS 3.3 returned 353,552 m² for the
# quick county's unmatched land instead of 268,843 m², without an error.)
POSTGIS_PER_BATCH = [
    """CREATE TEMP TABLE batch AS
       SELECT batch_id, row_number() OVER (ORDER BY min(approved_on) NULLS LAST, batch_id) AS prio,
              ST_Union(geom) AS geom
       FROM approvals GROUP BY batch_id""",
    "CREATE INDEX ON batch USING gist (geom)",
    "ANALYZE batch",
    """CREATE TEMP TABLE approved AS
       SELECT b.batch_id, CASE WHEN e.g IS NULL THEN b.geom
                               ELSE ST_CollectionExtract(ST_Difference(b.geom, e.g), 3) END AS geom
       FROM batch b LEFT JOIN LATERAL (
         SELECT ST_Union(o.geom) AS g FROM batch o
         WHERE o.prio < b.prio AND ST_Intersects(o.geom, b.geom)) e ON true""",
    "CREATE INDEX ON approved USING gist (geom)",
    "ANALYZE approved",
    """CREATE TEMP TABLE supply AS
       SELECT supply_id, row_number() OVER (ORDER BY supplied_on NULLS LAST, supply_id) AS prio,
              geom
       FROM supplies""",
    "CREATE INDEX ON supply USING gist (geom)",
    "ANALYZE supply",
    """CREATE TEMP TABLE per_batch AS
       SELECT a.batch_id, ST_Area(a.geom) AS approved,
              ST_Area(CASE WHEN u.g IS NULL THEN a.geom ELSE ST_Difference(a.geom, u.g) END)
                AS unsupplied
       FROM approved a LEFT JOIN LATERAL (
         SELECT ST_Union(s.geom) AS g FROM supply s WHERE ST_Intersects(s.geom, a.geom)) u
       ON true""",
    """CREATE TEMP TABLE per_supply AS
       SELECT f.supply_id, ST_Area(CASE WHEN x.g IS NULL THEN f.geom
                                        ELSE ST_Difference(f.geom, x.g) END) AS unmatched
       FROM (SELECT s.supply_id, CASE WHEN e.g IS NULL THEN s.geom
                                      ELSE ST_CollectionExtract(ST_Difference(s.geom, e.g), 3)
                                 END AS geom
             FROM supply s LEFT JOIN LATERAL (
               SELECT ST_Union(o.geom) AS g FROM supply o
               WHERE o.prio < s.prio AND ST_Intersects(o.geom, s.geom)) e ON true) f
       LEFT JOIN LATERAL (
         SELECT ST_Union(b.geom) AS g FROM batch b WHERE ST_Intersects(b.geom, f.geom)) x
       ON true""",
]
POSTGIS_PER_BATCH_TOTALS = """
SELECT sum(approved), sum(approved - unsupplied), sum(unsupplied),
       (SELECT sum(unmatched) FROM per_supply)
FROM per_batch
"""


def _postgis_totals(
    a: gpd.GeoDataFrame, s: gpd.GeoDataFrame, pg: dict[str, Any], *, per_batch: bool = False
) -> dict[str, Any]:
    """Load both layers (COPY of hex EWKB, GiST indexes; not timed), then time the totals:
    the bare unions (:data:`POSTGIS_TOTALS`) or the per-batch figures
    (:data:`POSTGIS_PER_BATCH`)."""
    import psycopg

    srid = int(a.crs.to_epsg())
    layers = (
        ("approvals", a, "batch_id", "approved_on"),
        ("supplies", s, "supply_id", "supplied_on"),
    )
    with psycopg.connect(**pg, autocommit=True) as con, con.cursor() as cur:
        cur.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        for name, frame, key, day in layers:
            cur.execute(f"DROP TABLE IF EXISTS {name}")
            cur.execute(
                f"CREATE TABLE {name} ({key} text, {day} date, geom geometry(Geometry, {srid}))"
            )
            wkb = shapely.to_wkb(frame.geometry.values, hex=True)
            days = [None if pd.isna(d) else str(d.date()) for d in frame[day]]
            with cur.copy(f"COPY {name} ({key}, {day}, geom) FROM STDIN") as copy:
                for k, d, g in zip(frame[key].astype(str), days, wkb, strict=True):
                    copy.write_row((k, d, f"SRID={srid};{g}"))
            cur.execute(f"CREATE INDEX ON {name} USING gist (geom)")
            cur.execute(f"ANALYZE {name}")
        cur.execute("SELECT postgis_full_version()")
        version = str(cur.fetchone()[0]).split('"')[1].split()[0]  # type: ignore[index]
        t0 = time.perf_counter()
        if per_batch:
            for sql in POSTGIS_PER_BATCH:
                cur.execute(sql)
            cur.execute(POSTGIS_PER_BATCH_TOTALS)
        else:
            cur.execute(POSTGIS_TOTALS)
        row = cur.fetchone()
        seconds = time.perf_counter() - t0
    assert row is not None
    return {
        "seconds": seconds,
        "version": version,
        **dict(zip(AREA_KEYS, map(float, row), strict=True)),
    }


@contextlib.contextmanager
def postgis_cluster(tmp: Path) -> Iterator[tuple[dict[str, Any] | None, str]]:
    """A throwaway PostgreSQL cluster in ``tmp`` (``tests/support/postgis.py``: Unix socket
    only, stopped on exit). Yields ``(connection keywords, "")``, or ``(None, why)`` when PostGIS
    cannot be used."""
    try:
        import psycopg  # noqa: F401
    except ImportError as exc:
        yield None, f"psycopg cannot be imported ({exc}; pip install -e '.[postgis]')"
        return
    from tests.support.postgis import ClusterUnavailable
    from tests.support.postgis import postgis_cluster as cluster

    try:
        with cluster(tmp) as running:
            yield running.conninfo(), ""
    except ClusterUnavailable as exc:
        yield None, str(exc)


def _run_overlap_side(side: str, data: Path, pg: dict[str, Any] | None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.bench_audit", "--worker", side, "--data", str(data),
           "--overlap"]  # fmt: skip
    if pg is not None:
        cmd += ["--pg", json.dumps(pg)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def overlap_main(quick: bool, repeat: int) -> int:
    """The overlapping-approvals benchmark (see the module docstring)."""
    from geoplan.datasets import synthetic_county

    opts = OVERLAP_QUICK if quick else OVERLAP_COUNTY
    with tempfile.TemporaryDirectory(prefix="bench_audit_overlap_") as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        county = synthetic_county(**opts)  # type: ignore[arg-type]
        for role in ("approvals", "supplies"):
            county.layers[role].to_file(data / "county.gpkg", layer=role, engine="pyogrio")
        a, s = county.layers["approvals"], county.layers["supplies"]
        print(
            f"\noverlap county synthetic_county({', '.join(f'{k}={v:g}' for k, v in opts.items())}): "
            f"{len(a):,} approval polygons, {len(s):,} supplies (generated in "
            f"{time.perf_counter() - t0:.1f} s)"
        )
        with postgis_cluster(data) as (pg, why):
            baselines = ["postgis_batch", "postgis"] if pg is not None else ["overlay"]
            if pg is None:
                print(f"PostGIS baseline skipped: {why}; the baseline is gpd.overlay instead")
            runs: dict[str, list[dict[str, Any]]] = {
                k: [] for k in [*baselines, "geoplan", "geoplan1"]
            }
            for _ in range(max(1, repeat)):
                for side in runs:
                    runs[side].append(_run_overlap_side(side, data, pg))
    best = {side: min(r, key=lambda x: x["seconds"]) for side, r in runs.items()}
    g, g1 = best["geoplan"], best["geoplan1"]
    names = {"postgis_batch": "PostGIS per batch", "postgis": "PostGIS totals",
             "overlay": "gpd.overlay"}  # fmt: skip
    print(f"{'':28}{'geoplan.audit_land':>20}" + "".join(f"{names[k]:>20}" for k in baselines))
    print(f"{'time (s)':28}{g['seconds']:>20.2f}" + "".join(
        f"{best[k]['seconds']:>20.2f}" for k in baselines))  # fmt: skip
    print(f"{'time, 1 thread (s)':28}{g1['seconds']:>20.2f}")
    print(f"{'peak RSS (MB)':28}{g['peak_rss_mb']:>20.0f}")
    worst = 0.0
    for key in AREA_KEYS:
        line = f"{key:28}{g[key]:>20.3f}"
        for k in baselines:
            rel = abs(g[key] - best[k][key]) / max(abs(best[k][key]), 1.0)
            worst = max(worst, rel)
            line += f"{best[k][key]:>20.3f} ({rel:.1e})"
        print(line)
    if "version" in best[baselines[0]]:
        print(f"PostGIS {best[baselines[0]]['version']}")
    target = best[baselines[0]]  # like for like: the per-batch figures (or gpd.overlay)
    ratio, ratio1 = target["seconds"] / g["seconds"], target["seconds"] / g1["seconds"]
    ok_area = worst <= 1e-9
    ok_speed = ratio >= 2.0
    print(
        f"geoplan: {g['batches']:,} batches, {g['overlap_pairs']:,} overlapping batch pairs, "
        f"{g['supply_overlap_pairs']:,} overlapping supply pairs, robust recomputation "
        f"{g['robust']}"
    )
    bare = ""
    if "postgis" in best:
        bare = (
            f"; against the bare-union totals {best['postgis']['seconds'] / g['seconds']:.2f}x "
            f"({best['postgis']['seconds'] / g1['seconds']:.2f}x in one thread)"
        )
    print(
        f"overlap: speed-up {ratio:.2f}x over {names[baselines[0]]} with {_threads()} threads "
        f"({'ok' if ok_speed else 'BELOW 2x'}), {ratio1:.2f}x in one thread{bare}; areas agree "
        f"to {worst:.1e} ({'ok' if ok_area else 'MISMATCH'}); all times: "
        + ", ".join(f"{k} {[round(r['seconds'], 2) for r in v]}" for k, v in runs.items())
    )
    return 0 if ok_area and (ok_speed or quick) else 1


def _threads() -> int:
    from geoplan._threads import cpu_threads

    return cpu_threads()


def _run_side(side: str, data: Path) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "benchmarks.bench_audit", "--worker", side, "--data", str(data)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--n", type=int, default=50_000, help="approval polygons (default 50000)")
    p.add_argument("--quick", action="store_true", help="small smoke run (2000 approvals)")
    p.add_argument("--repeat", type=int, default=1, help="runs per side; the fastest counts")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--overlap", action="store_true", help="only the overlapping-approvals benchmark"
    )
    p.add_argument(
        "--worker",
        choices=["geoplan", "geoplan1", "overlay", "postgis", "postgis_batch"],
        help=argparse.SUPPRESS,
    )
    p.add_argument("--data", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--pg", type=json.loads, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        if args.overlap:
            print(json.dumps(overlap_worker(args.worker, args.data, args.pg)))
        else:
            print(json.dumps(worker(args.worker, args.data)))
        return 0
    if args.overlap:
        return overlap_main(args.quick, args.repeat)

    n = 2000 if args.quick else args.n
    with tempfile.TemporaryDirectory(prefix="bench_audit_") as tmp:
        data = Path(tmp)
        t0 = time.perf_counter()
        a, s = make_data(n, seed=args.seed)
        a.to_parquet(data / "approvals.parquet")
        s.to_parquet(data / "supplies.parquet")
        n_batches = a["batch_id"].nunique()
        print(
            f"data: {len(a):,} approval polygons in {n_batches:,} batches, {len(s):,} supplies, "
            f"{int(shapely.get_num_coordinates(a.geometry.values).sum() + shapely.get_num_coordinates(s.geometry.values).sum()):,} "
            f"vertices (generated in {time.perf_counter() - t0:.1f} s)"
        )
        runs: dict[str, list[dict[str, Any]]] = {"geoplan": [], "geoplan1": [], "overlay": []}
        for _ in range(max(1, args.repeat)):
            for side in ("overlay", "geoplan", "geoplan1"):
                runs[side].append(_run_side(side, data))
    best = {side: min(r, key=lambda x: x["seconds"]) for side, r in runs.items()}
    g, g1, o = best["geoplan"], best["geoplan1"], best["overlay"]
    ratio = o["seconds"] / g["seconds"]
    ratio1 = o["seconds"] / g1["seconds"]
    threads = _threads()
    rel = abs(g["unsupplied_raw_m2"] - o["unsupplied_raw_m2"]) / o["unsupplied_raw_m2"]
    rel_app = abs(g["approved_m2"] - o["approved_m2"]) / o["approved_m2"]
    print(f"{'':28}{'geoplan.audit_land':>20}{'gpd.overlay+area':>20}")
    print(f"{'time (s)':28}{g['seconds']:>20.2f}{o['seconds']:>20.2f}")
    print(f"{'time, 1 thread (s)':28}{g1['seconds']:>20.2f}")
    print(f"{'peak RSS (MB)':28}{g['peak_rss_mb']:>20.0f}{o['peak_rss_mb']:>20.0f}")
    print(
        f"{'peak RSS over load (MB)':28}{g['peak_rss_mb'] - g['rss_after_load_mb']:>20.0f}"
        f"{o['peak_rss_mb'] - o['rss_after_load_mb']:>20.0f}"
    )
    print(f"{'approved area (m²)':28}{g['approved_m2']:>20.1f}{o['approved_m2']:>20.1f}")
    print(
        f"{'unsupplied incl. slivers':28}{g['unsupplied_raw_m2']:>20.1f}{o['unsupplied_raw_m2']:>20.1f}"
    )
    print(
        f"geoplan also: {g['pieces']:,} unsupplied pieces after dropping "
        f"{g['sliver_m2']:.1f} m² of slivers, {g['idle']:,} idle parcels, "
        f"{g['unmatched_m2']:.1f} m² unmatched supply"
    )
    ok_area = rel <= 1e-4 and rel_app <= 1e-4
    ok_speed = ratio >= 3.0
    print(
        f"speed-up {ratio:.2f}x with {threads} threads ({'ok' if ok_speed else 'BELOW 3x'}), "
        f"{ratio1:.2f}x in one thread; unsupplied area relative "
        f"difference {rel:.2e} ({'ok' if ok_area else 'MISMATCH'}); all times: "
        + ", ".join(f"{k} {[round(r['seconds'], 2) for r in v]}" for k, v in runs.items())
    )
    plain = 0 if ok_area and (ok_speed or args.quick) else 1
    overlap = overlap_main(args.quick, args.repeat)
    return plain or overlap


if __name__ == "__main__":
    raise SystemExit(main())
