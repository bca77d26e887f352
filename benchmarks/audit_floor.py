"""How fast a full audit could be in one thread: the GEOS work it cannot skip, on the data of
``bench_audit`` (issue 10's "≥ 3× `gpd.overlay` in one thread").

Run from the repository root (heavy: under ``flock /tmp/geoplan-heavy.lock``)::

    python -m benchmarks.audit_floor            # the 50k benchmark data, best of 3
    python -m benchmarks.audit_floor --n 5000   # smaller, seconds

The inputs of geoplan's own kernel (``audit._core.run_core``) are captured from one
``audit_land`` call; then, in one thread and in this process, the four pieces of GEOS work no
full audit can do without are timed with geoplan's own functions:

1. the batch/supply pairs (STRtree query and predicates);
2. ``E − ∪S`` per batch: the unsupplied pieces, which are also the overlay baseline's output;
3. ``S − ∪E`` for the supplies not inside one batch: the unmatched supply;
4. the sliver test of the pieces of 2 and 3.

Their sum is the floor. Printed beside it: ``audit_land(workers=1)`` and
``gpd.overlay(approvals, supplies, how="difference")`` + area, both on the same data, and what
the 3× target leaves for everything else (input checks, as-of, statuses, tables, checks).
"""

from __future__ import annotations

import argparse
import logging
import time
from collections.abc import Callable
from typing import Any

import geopandas as gpd
import numpy as np

import geoplan.audit._core as core_module
from benchmarks.bench_audit import AS_OF_PLAIN, make_data
from geoplan import audit_land
from geoplan._threads import WORKERS
from geoplan.audit._core import pairs
from geoplan.audit._geom import split_slivers
from geoplan.audit._ops import subtract_pairs


def _best(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _core_inputs(a: gpd.GeoDataFrame, s: gpd.GeoDataFrame) -> tuple[Any, ...]:
    """The arguments of the first ``run_core`` call of ``audit_land(a, s)``."""
    seen: list[tuple[Any, ...]] = []
    original = core_module.run_core

    def spy(*args: Any, **kwargs: Any) -> Any:
        if not seen:
            seen.append(args)
        return original(*args, **kwargs)

    core_module.run_core = spy
    try:
        audit_land(a, s, as_of=AS_OF_PLAIN, workers=1)
    finally:
        core_module.run_core = original
    return seen[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=50_000, help="approval polygons (default 50,000)")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    a, s = make_data(args.n)
    gross, _gross_m2, _exact, sgeom, _supply_m2, _rank = _core_inputs(a, s)
    token = WORKERS.set(1)
    try:
        t_pairs, (pb, ps, inside_pair) = _best(lambda: pairs(gross, sgeom), args.repeat)
        t_cut, unsup = _best(lambda: subtract_pairs(gross, sgeom, pb, ps, what="x"), args.repeat)
        inside = np.zeros(len(sgeom), dtype=bool)
        inside[ps[inside_pair]] = True
        m = ~inside[ps]
        t_out, outside = _best(
            lambda: subtract_pairs(sgeom, gross, ps[m], pb[m], what="x"), args.repeat
        )
        t_sl, _ = _best(
            lambda: (
                split_slivers(unsup, width=1.0, min_area=1.0),
                split_slivers(outside[~inside], width=1.0, min_area=1.0),
            ),
            args.repeat,
        )
        t_audit, _ = _best(lambda: audit_land(a, s, as_of=AS_OF_PLAIN, workers=1), args.repeat)
    finally:
        WORKERS.reset(token)
    t_ovl, _ = _best(lambda: gpd.overlay(a, s, how="difference").area.sum(), 2)
    floor = t_pairs + t_cut + t_out + t_sl
    print(f"data: {len(a):,} approval polygons, {len(s):,} supplies; one thread, best of "
          f"{args.repeat}")  # fmt: skip
    print(f"  pairs                                  {t_pairs:6.2f} s")
    print(f"  E − ∪S per batch (unsupplied pieces)   {t_cut:6.2f} s")
    print(f"  S − ∪E (supplies not inside: {int((~inside).sum()):,})".ljust(41) + f"{t_out:6.2f} s")
    print(f"  sliver test                            {t_sl:6.2f} s")
    print(f"  floor                                  {floor:6.2f} s")
    print(f"audit_land(workers=1) {t_audit:.2f} s; gpd.overlay + area {t_ovl:.2f} s; 3x needs "
          f"<= {t_ovl / 3:.2f} s: the floor alone is {t_ovl / floor:.2f}x, leaving "
          f"{t_ovl / 3 - floor:.2f} s for the rest of the audit")  # fmt: skip


if __name__ == "__main__":
    main()
