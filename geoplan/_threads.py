"""Threads for large GEOS steps (GEOS releases the GIL): split vectorised calls, run
independent steps side by side, map over independent items in order; honour ``workers=``
(:data:`WORKERS`, set by ``audit_land(workers=…)``). Used by the audit, the zones' parcel
intersections and the isochrones."""

from __future__ import annotations

import contextvars
import logging
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

logger = logging.getLogger(__name__)

# below this many elements per thread a vectorised call is not split across threads
_CHUNK = 4096


# upper bound on threads for the current context (None: every CPU this process may use)
WORKERS: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "geoplan_audit_workers", default=None
)


def cpu_threads() -> int:
    """Threads to use: the CPUs this process may run on, capped by :data:`WORKERS`.

    Shapely releases the GIL inside vectorised GEOS calls, so chunks run truly in parallel.
    """
    try:
        n = max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        n = max(1, os.cpu_count() or 1)
    cap = WORKERS.get()
    return n if cap is None else max(1, min(n, cap))


def threaded(
    op: Callable[..., Any], *arrays: Any, groups: npt.NDArray[Any] | None = None, **kwargs: Any
) -> Any:
    """``op(*arrays, **kwargs)`` with the arrays split across threads when they are large.

    Vectorised shapely functions release the GIL while GEOS works, so chunks run in parallel.
    Small inputs (and single-CPU machines) run in one call. Results are concatenated in order
    (along the last axis).

    ``groups`` (sorted, one key per element) keeps the elements of one key in one chunk: pass
    the index of a *prepared* geometry repeated along the array, since GEOS builds a prepared
    geometry's indexes lazily on first use and must not do so in two threads at once.
    """
    n = len(arrays[0])
    workers = min(cpu_threads(), n // _CHUNK)
    if workers < 2:
        return op(*arrays, **kwargs)
    bounds = np.linspace(0, n, workers * 2 + 1).astype(int)
    if groups is not None:  # move each inner bound back to the start of its group
        g = np.asarray(groups)
        bounds[1:-1] = np.searchsorted(g, g[bounds[1:-1]], side="left")
        bounds = np.unique(bounds)
    chunks = [slice(lo, hi) for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        parts = list(pool.map(lambda c: op(*(a[c] for a in arrays), **kwargs), chunks))
    return np.concatenate(parts, axis=-1)


def concurrently(*calls: Callable[[], Any]) -> list[Any]:
    """Run independent steps at the same time on threads when more than one CPU may be used
    (GEOS releases the GIL), each in a copy of the caller's context (so :data:`WORKERS`
    holds inside); one after another otherwise. Results in call order."""
    if cpu_threads() < 2 or len(calls) < 2:
        return [call() for call in calls]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        futures = [pool.submit(contextvars.copy_context().run, call) for call in calls]
        return [f.result() for f in futures]


_T = TypeVar("_T")
_R = TypeVar("_R")


def ordered_map(
    fn: Callable[[_T], _R], items: Iterable[_T], *, max_workers: int | None = None
) -> Iterator[_R]:
    """``map(fn, items)`` on up to ``max_workers`` threads (default: :func:`cpu_threads`),
    results in order, with at most two items per thread taken from ``items`` ahead of the
    results (so a generator of large items is never drawn all at once)."""
    workers = cpu_threads() if max_workers is None else min(cpu_threads(), max_workers)
    if workers < 2:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        pending: deque[Future[_R]] = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
