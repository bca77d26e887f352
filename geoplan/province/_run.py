"""``run_province``: every county of a province, one Dask task per county × analysis."""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from geoplan.errors import InputError
from geoplan.io import ensure_writable_dir, split_source
from geoplan.province._cluster import connect
from geoplan.province._manifest import ProvincePackage, open_province
from geoplan.province._outputs import county_table, write_outputs
from geoplan.province._split import SplitReport, split_province_layers
from geoplan.province._tasks import (
    ANALYSES,
    OUTLINE_FILE,
    TASK_FILE,
    county_outline,
    county_report,
    first,
    inputs_mtime,
    is_fresh,
    read_record,
    run_analysis,
    second,
)

__all__ = ["Progress", "ProvinceResult", "run_province"]

logger = logging.getLogger(__name__)

PACKAGES_DIR = "_packages"


@dataclass(frozen=True)
class Progress:
    """Where a province run stands, passed to the ``progress`` callback after each task."""

    total: int
    done: int
    failed: int
    running: int
    last: dict[str, Any]
    dashboard: str | None = None


@dataclass
class ProvinceResult:
    """The outcome of :func:`run_province`.

    Attributes
    ----------
    name, as_of
        The province's name and default as-of date (None when province.toml sets none).
    counties
        One row per county (WGS 84 outlines) with its key figures (approved / unsupplied /
        idle 亩, 供地率, five-year 供地率 against the floor, idle fees, parks beyond 30 min of a
        motorway, villages missing reach targets …), ``status`` and ``report`` (relative link).
    tasks
        One row per task (county × analysis, and each county's report): status (``ok``,
        ``skipped``, ``error``, ``bug``), ``reused`` (a rerun found its outputs up to date),
        message and seconds.
    split
        How province-wide layers were split by county (None for county packages).
    out
        The output folder; ``files`` the province files in it.
    summary
        Counts and province totals (JSON-safe).
    """

    name: str
    as_of: str | None
    counties: gpd.GeoDataFrame
    tasks: pd.DataFrame
    out: Path
    files: dict[str, Path] = field(default_factory=dict)
    split: SplitReport | None = None
    summary: dict[str, Any] = field(default_factory=dict)
    dashboard: str | None = None

    @property
    def failed(self) -> pd.DataFrame:
        """The tasks that failed (``error`` or ``bug``)."""
        return self.tasks[self.tasks["status"].isin(["error", "bug"])]


def run_province(
    source: str | os.PathLike[str] | ProvincePackage,
    *,
    analyses: Sequence[str] = ANALYSES,
    client: Any = None,
    out: str | os.PathLike[str] | None = None,
    workers: int | None = None,
    force: bool = False,
    progress: Callable[[Progress], None] | None = None,
) -> ProvinceResult:
    """Run the analyses on every county of a province on Dask; write the province's files.

    Parameters
    ----------
    source
        A province package (see :func:`open_province`): a folder of county packages, or a
        ``province.toml`` with province-wide layers, which are split by county first.
    analyses
        Which of ``audit``, ``zones``, ``connectivity``, ``hierarchy`` to run (default all).
        Each county's report (``<county>/index.html``) is built when all four run.
    client
        A ``distributed.Client`` (any Dask cluster whose workers see ``source`` and ``out``
        at the same paths). None starts a ``LocalCluster`` of ``workers`` processes (default:
        one per core) and closes it at the end.
    out
        Output folder (default ``maps/<province folder name>/``): ``province.gpkg``,
        ``province.xlsx``, ``index.html``, ``province.json``, one folder per county with each
        analysis's files and ``task.json``; ``_packages/`` with the split county packages.
    workers
        Worker processes of the local cluster (only without ``client``).
    force
        Run every county again; by default a rerun skips counties whose outputs are newer than
        their inputs (county.toml, its layer files, province.toml).
    progress
        Called with a :class:`Progress` after each task finishes.

    Returns
    -------
    ProvinceResult

    Raises
    ------
    InputError
        Unknown analyses, a malformed province.toml or counties layer.
    MissingExtraError
        dask.distributed is not installed (``pip install 'geoplan[scale]'``).
    OutputError
        ``out`` cannot be written (checked before any work).
    """
    keys = _check_analyses(analyses)
    package = source if isinstance(source, ProvincePackage) else open_province(source)
    target = ensure_writable_dir(
        Path(out) if out is not None else Path("maps") / package.path.name, what="output folder"
    )
    t0 = time.perf_counter()
    split = None
    counties = package.counties
    if package.is_split:
        counties, split = _split(package, target / PACKAGES_DIR, force=force)
    reports = keys == ANALYSES
    extra = (package.manifest,) if package.manifest is not None else ()
    plan = [
        (c, (not force) and is_fresh(target / c.name, keys, report=reports,
                                     since=inputs_mtime(c, extra)))
        for c in counties
    ]  # fmt: skip
    _check_unique(counties)
    with connect(client, workers=workers) as dask_client:
        dashboard = _dashboard(dask_client)
        if dashboard:
            logger.info("Dask dashboard: %s", dashboard)
        records, outlines = _execute(
            dask_client, plan, keys, str(target), package.defaults, reports, progress, dashboard
        )
    tasks = pd.DataFrame(records)
    table = county_table(outlines, tasks, keys, out=target)
    result = ProvinceResult(
        name=package.name,
        as_of=package.as_of.isoformat() if package.as_of else None,
        counties=table,
        tasks=tasks,
        out=target,
        split=split,
        dashboard=dashboard,
    )
    result.files, result.summary = write_outputs(result, seconds=time.perf_counter() - t0)
    logger.info(
        "province %s: %d counties, %d tasks (%d reused, %d failed) in %.1f s",
        package.name,
        len(table),
        len(tasks),
        int(tasks["reused"].sum()) if len(tasks) else 0,
        len(result.failed),
        time.perf_counter() - t0,
    )
    return result


def _check_analyses(analyses: Sequence[str]) -> tuple[str, ...]:
    if isinstance(analyses, str):
        analyses = [a.strip() for a in analyses.split(",") if a.strip()]
    unknown = [a for a in analyses if a not in ANALYSES]
    if unknown or not analyses:
        raise InputError(
            f"analyses={list(analyses)!r}: choose one or more of {', '.join(ANALYSES)} "
            "(e.g. --only audit,zones)."
        )
    return tuple(a for a in ANALYSES if a in analyses)


def _check_unique(counties: Sequence[Path]) -> None:
    names = [c.name for c in counties]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise InputError(
            f"County folders {dup} appear more than once; each county's outputs go to a folder "
            "of its name, so give every county package a folder name of its own."
        )


def _split(package: ProvincePackage, folder: Path, *, force: bool) -> tuple[Any, SplitReport]:
    """Split the province-wide layers, unless an earlier split is newer than every input."""
    stamp = folder / "split.json"
    inputs = [package.manifest] if package.manifest is not None else []
    inputs += [split_source(src)[0] for src in package.layers.values()]
    newest = max((p.stat().st_mtime for p in inputs if p.exists()), default=0.0)
    if not force and stamp.is_file() and stamp.stat().st_mtime > newest:
        saved = read_record(stamp) or {}
        folders = tuple(sorted(d for d in folder.iterdir() if (d / "county.toml").is_file()))
        layers = pd.DataFrame(saved.get("layers", []))
        per_county = pd.read_csv(folder / "split.csv", dtype={"adcode": str})
        logger.info("province layers unchanged since the last split: reusing %s", folder)
        return folders, SplitReport(layers, per_county)
    return split_province_layers(package.layers, folder, defaults=package.defaults)


def _dashboard(client: Any) -> str | None:
    try:
        link = client.dashboard_link
    except Exception:  # no dashboard (bokeh missing, or the scheduler serves none)
        return None
    info = client.scheduler_info()
    services = info.get("services", {}) if isinstance(info, dict) else {}
    return str(link) if "dashboard" in services else None


def _execute(
    client: Any,
    plan: list[tuple[Path, bool]],
    keys: tuple[str, ...],
    out: str,
    defaults: dict[str, Any],
    reports: bool,
    progress: Callable[[Progress], None] | None,
    dashboard: str | None,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Submit the tasks of every county not up to date; gather records as they finish."""
    from distributed import as_completed

    records: list[dict[str, Any]] = []
    outlines: list[dict[str, Any]] = []
    run = uuid.uuid4().hex[:8]  # task keys of this run: an earlier run's results never answer
    leaves: dict[Any, tuple[str, str, str]] = {}  # future -> (kind, county, analysis)
    for package, fresh in plan:
        if fresh:
            records.extend(_reused(Path(out) / package.name, keys, reports))
            outlines.append(read_record(Path(out) / package.name / OUTLINE_FILE) or {})
            continue
        pkg, slug = str(package), package.name
        outline = client.submit(county_outline, pkg, out, defaults, key=f"outline-{slug}-{run}",
                                pure=False)  # fmt: skip
        leaves[outline] = ("outline", slug, "outline")
        pairs = {
            k: client.submit(
                run_analysis, pkg, k, out, defaults, outline, key=f"{k}-{slug}-{run}", pure=False
            )  # fmt: skip
            for k in keys
        }
        for k, pair in pairs.items():
            leaves[client.submit(first, pair, key=f"{k}-record-{slug}-{run}")] = ("task", slug, k)
        if reports:
            results = {k: client.submit(second, pair, key=f"{k}-result-{slug}-{run}")
                       for k, pair in pairs.items()}  # fmt: skip
            report = client.submit(county_report, pkg, out, defaults, results,
                                   key=f"report-{slug}-{run}", pure=False)  # fmt: skip
            leaves[report] = ("task", slug, "report")
        del pairs  # each analysis's result stays on the cluster only until its report is built
    total = len(leaves) + len(records) + len(outlines)
    done = len(records) + len(outlines)
    failed = sum(r.get("status") in ("error", "bug") for r in records)
    for future in as_completed(list(leaves)):
        kind, slug, key = leaves.pop(future)
        value = _value(future, slug, key)
        future.release()
        if kind == "outline":
            outlines.append(value)
        else:
            value.setdefault("reused", False)
            records.append(value)
            failed += value.get("status") in ("error", "bug")
        done += 1
        if progress is not None:
            progress(Progress(total, done, failed, _running(client), value, dashboard))
    return records, outlines


def _value(future: Any, slug: str, key: str) -> dict[str, Any]:
    """A finished task's record; a task that itself failed (a worker lost, a task that could
    not be unpickled) becomes a ``bug`` record of its county."""
    try:
        value = future.result()
    except Exception as exc:
        logger.error("%s %s: the task failed on the cluster: %s", slug, key, exc)
        return {"county": slug, "name": slug, "analysis": key, "status": "bug",
                "message": f"the task failed on the cluster: {type(exc).__name__}: {exc}",
                "seconds": 0.0, "figures": {}, "summary": {}}  # fmt: skip
    return dict(value)


def _running(client: Any) -> int:
    try:
        return sum(len(v) for v in client.processing().values())
    except Exception:  # the count is only for the progress line
        return 0


def _reused(folder: Path, keys: tuple[str, ...], reports: bool) -> list[dict[str, Any]]:
    """The records of a county whose outputs are up to date, read back from its folder."""
    out = []
    for k in keys:
        rec = read_record(folder / k / TASK_FILE) or {}
        out.append({**rec, "reused": True})
    if reports and out:
        base = out[0]
        out.append({"county": folder.name, "name": base.get("name"), "adcode": base.get("adcode"),
                    "analysis": "report", "status": "ok", "message": "", "seconds": 0.0,
                    "figures": {"page": "index.html"}, "summary": {}, "reused": True})  # fmt: skip
    return out
