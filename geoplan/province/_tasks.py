"""What a Dask worker runs: one county × one analysis, a county's report, its outline.

Every function here is a plain module-level function of plain arguments (paths as strings,
dicts), so a worker on any machine that sees the same shared storage can run it. A task never
raises for a county's problem: a :class:`~geoplan.errors.GeoplanError` becomes status
``error`` with its message, anything else status ``bug`` with the traceback logged on the
worker and kept in the record; the other counties go on. Each task writes its files into the
county's output folder itself (atomically) and returns a small JSON-safe record.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import tomllib
import traceback
from collections import OrderedDict
from pathlib import Path
from typing import Any

import shapely

from geoplan.county import County
from geoplan.errors import GeoplanError
from geoplan.io import split_source, write_json
from geoplan.units import m2_to_mu

__all__ = [
    "ANALYSES",
    "TASK_FILE",
    "county_outline",
    "county_report",
    "first",
    "inputs_mtime",
    "is_fresh",
    "open_county",
    "read_record",
    "run_analysis",
    "second",
]

logger = logging.getLogger(__name__)

#: the analyses a province run knows, in their report order
ANALYSES = ("audit", "zones", "connectivity", "hierarchy")
#: the record each task leaves in ``<out>/<county>/<analysis>/`` (written last)
TASK_FILE = "task.json"
OUTLINE_FILE = "outline.json"
#: counties a worker keeps open (their layers and road network read once for all its tasks)
CACHE_SIZE = 2
_COUNTIES: OrderedDict[tuple[str, str, float], County] = OrderedDict()
_CACHE_LOCK = threading.Lock()


def open_county(package: str, defaults: dict[str, Any]) -> County:
    """The county at ``package``, from this worker's small cache when its inputs have not
    changed since it was opened: a worker that runs several analyses of one county (or its
    report) reads its layers and builds its road network once, as a single process would."""
    key = (
        str(Path(package).resolve()),
        json.dumps(defaults, sort_keys=True, default=str),
        inputs_mtime(Path(package)),
    )
    with _CACHE_LOCK:
        county = _COUNTIES.get(key)
        if county is not None:
            _COUNTIES.move_to_end(key)
            return county
    county = County.open(package, defaults=defaults)
    with _CACHE_LOCK:
        _COUNTIES[key] = county
        while len(_COUNTIES) > CACHE_SIZE:
            _COUNTIES.popitem(last=False)
    return county


def first(pair: tuple[Any, Any]) -> Any:
    """The record of a ``(record, result)`` pair (a tiny task, so only records reach the
    client)."""
    return pair[0]


def second(pair: tuple[Any, Any]) -> Any:
    """The result (or exception) of a ``(record, result)`` pair, for the county's report."""
    return pair[1]


def _worker() -> str | None:
    """The address of the Dask worker running this task (None outside a worker)."""
    try:
        from distributed import get_worker

        return str(get_worker().address)
    except (ImportError, ValueError):
        return None


def _record(package: str, key: str) -> dict[str, Any]:
    folder = Path(package)
    return {
        "worker": _worker(),
        "county": folder.name,
        "name": folder.name,
        "adcode": None,
        "analysis": key,
        "status": "bug",
        "message": "",
        "seconds": 0.0,
        "figures": {},
        "summary": {},
    }


def run_analysis(
    package: str, key: str, out: str, defaults: dict[str, Any], after: Any = None
) -> tuple[dict[str, Any], Any]:
    """Run analysis ``key`` on the county package at ``package`` through :mod:`geoplan.runs`
    and write its files into ``<out>/<county folder name>/<key>/``.

    ``after`` is ignored: given the county's outline future, it makes the scheduler run the
    county's tasks on the worker that opened the county (its layers are read once there);
    work stealing still moves tasks to an idle worker.

    Returns ``(record, result)``: the record (status ``ok``, ``skipped`` when the county lacks
    the layers, ``error``, ``bug``; message; seconds; the province figures; the summary) and the
    result object — or the exception, for the county's report to show.
    """
    from geoplan.runs import ANALYSIS_ROLES, RUNS

    t0 = time.perf_counter()
    record = _record(package, key)
    folder = Path(out) / record["county"] / key
    result: Any = None
    try:
        county = open_county(package, defaults)
        record.update(name=county.name, adcode=county.adcode)
        county.check_parameters()
        missing = [
            " / ".join(group)
            for group in ANALYSIS_ROLES[key]
            if not any(county.has(r) for r in group)
        ]
        if missing:
            record.update(status="skipped", message=f"no {', '.join(missing)} layer")
        else:
            result = RUNS[key](county)
            result.to_files(folder)
            record.update(status="ok", figures=FIGURES[key](result), summary=dict(result.summary))
    except GeoplanError as exc:
        logger.error("%s %s: %s", record["county"], key, exc)
        record.update(status="error", message=str(exc))
        result = exc
    except Exception as exc:  # a bug: logged with its traceback, the other counties go on
        logger.exception("%s %s failed unexpectedly (a bug in geoplan)", record["county"], key)
        record.update(
            status="bug",
            message=f"{type(exc).__name__}: {exc}",
            traceback=traceback.format_exc(),
        )
        result = RuntimeError(record["message"])  # picklable whatever the original was
    record["seconds"] = round(time.perf_counter() - t0, 3)
    write_json(folder / TASK_FILE, record)
    return record, result


def county_report(
    package: str, out: str, defaults: dict[str, Any], results: dict[str, Any]
) -> dict[str, Any]:
    """Build the county's report ``<out>/<county>/index.html`` from the analyses' results
    (already run, their files already written); a record like :func:`run_analysis`'s."""
    from geoplan.report import build_report

    t0 = time.perf_counter()
    record = _record(package, "report")
    try:
        county = open_county(package, defaults)
        record.update(name=county.name, adcode=county.adcode)
        given = {k: v for k, v in results.items() if v is not None}
        page = build_report(county, out=Path(out) / record["county"], results=given)
        record.update(status="ok", figures={"page": page.name})
    except GeoplanError as exc:
        logger.error("%s report: %s", record["county"], exc)
        record.update(status="error", message=str(exc))
    except Exception as exc:  # a bug: logged with its traceback, the other counties go on
        logger.exception("%s report failed unexpectedly (a bug in geoplan)", record["county"])
        record.update(status="bug", message=f"{type(exc).__name__}: {exc}")
    record["seconds"] = round(time.perf_counter() - t0, 3)
    return record


def county_outline(package: str, out: str, defaults: dict[str, Any]) -> dict[str, Any]:
    """The county's name, adcode and boundary (WKB hex, WGS 84) for the province map; also
    written to ``<out>/<county>/outline.json`` for reruns that skip the county."""
    record: dict[str, Any] = {"county": Path(package).name, "name": Path(package).name}
    try:
        county = open_county(package, defaults)
        record.update(name=county.name, adcode=county.adcode, as_of=county.as_of.isoformat())
        if county.has("boundary"):
            b = county.boundary
            record["area_mu"] = float(m2_to_mu(float(b.area.sum())))
            geom = shapely.union_all(b.to_crs(4326).geometry.values)
            record["wkb"] = shapely.to_wkb(geom, hex=True)
    except Exception as exc:  # the outline is only for the map: never lose the county for it
        logger.error("%s outline: %s", record["county"], exc)
        record["message"] = str(exc)
    write_json(Path(out) / record["county"] / OUTLINE_FILE, record)
    return record


# --------------------------------------------------------------------------- figures


def _audit_figures(result: Any) -> dict[str, Any]:
    s = result.summary
    cohorts = result.cohorts
    window = cohorts[cohorts["in_window"].astype(bool)] if len(cohorts) else cohorts
    floor = float(result.rules.supply_rate_floor)
    rate_5y = s.get("supply_rate_5y")
    return {
        "approved_mu": s.get("approved_area_mu"),
        "supplied_mu": s.get("supplied_area_mu"),
        "unsupplied_mu": s.get("unsupplied_area_mu"),
        "idle_mu": s.get("idle_area_mu"),
        "idle_parcels": s.get("idle_parcels"),
        "supply_rate": s.get("supply_rate"),
        "supply_rate_5y": rate_5y,
        "approved_5y_mu": float(m2_to_mu(float(window["approved_area_m2"].sum()))),
        "supplied_5y_mu": float(m2_to_mu(float(window["supplied_area_m2"].sum()))),
        "supply_rate_floor": floor,
        "meets_floor_5y": None if rate_5y is None else bool(rate_5y >= floor),
        "idle_fee_wan": s.get("idle_fee_total_wan"),
    }


def _zones_figures(result: Any) -> dict[str, Any]:
    s = result.summary
    keys = ("production_ha", "living_ha", "ecological_ha", "eco_index")
    return {k: s.get(k) for k in keys}


def _connectivity_figures(result: Any) -> dict[str, Any]:
    s = result.summary
    parks = int(s.get("parks") or 0)
    within = int(s.get("parks_within_30min") or 0)
    return {"parks": parks, "parks_within_30min": within, "parks_beyond_30min": parks - within}


def _hierarchy_figures(result: Any) -> dict[str, Any]:
    s = result.summary
    return {
        "villages_checked": s.get("town_village_checked"),
        "villages_missing_reach": s.get("town_village_miss"),
        "towns_missing_reach": s.get("seat_town_miss"),
    }


FIGURES = {
    "audit": _audit_figures,
    "zones": _zones_figures,
    "connectivity": _connectivity_figures,
    "hierarchy": _hierarchy_figures,
}


# --------------------------------------------------------------------------- reruns


def inputs_mtime(package: Path, extra: tuple[Path, ...] = ()) -> float:
    """The newest modification time of a county's inputs: its county.toml, every layer file
    it names, and ``extra`` (province.toml)."""
    manifest = package / "county.toml"
    paths = [manifest, *extra]
    try:
        layers = tomllib.loads(manifest.read_text(encoding="utf-8")).get("layers", {})
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        layers = {}
    for src in layers.values() if isinstance(layers, dict) else ():
        path, _ = split_source(package / str(src))
        paths.append(path)
    return max((p.stat().st_mtime for p in paths if p.exists()), default=float("inf"))


def read_record(path: Path) -> dict[str, Any] | None:
    """A task record written by :func:`run_analysis`, or None if missing or unreadable."""
    import json

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def is_fresh(folder: Path, keys: tuple[str, ...], *, report: bool, since: float) -> bool:
    """True when every output of the county in ``folder`` (each analysis's task record with
    status ok or skipped, the outline, the report when asked) is newer than ``since``."""
    records = [folder / k / TASK_FILE for k in keys]
    paths = [*records, folder / OUTLINE_FILE]
    if report:
        paths.append(folder / "index.html")
    if not all(p.is_file() and p.stat().st_mtime > since for p in paths):
        return False
    if report and (folder / "index.html").stat().st_mtime < max(p.stat().st_mtime for p in records):
        return False  # an analysis ran again (--only) after the report was built
    saved = [read_record(p) for p in records]
    return all(r is not None and r.get("status") in ("ok", "skipped") for r in saved)
