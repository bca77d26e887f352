"""The county report: every analysis the county's layers allow, in one self-contained HTML page.

:func:`build_report` opens the county, draws an overview of its layers, then runs the audit,
functional zones, park connectivity and settlement hierarchy — each only when the layers it needs
exist, each guarded so that a problem in one (bad input, a :class:`~geoplan.errors.GeoplanError`,
or an unexpected failure, logged with its traceback) is shown in its section while the others
still run; ``report.json`` records every section's status. Each analysis writes its own data
files into a sub-folder (``audit/``, ``zones/``, ``connectivity/``, ``hierarchy/``);
``index.html`` holds the summary, key figures, escaped tables, inline SVG charts and one offline
map per section, sharing one inlined copy of Leaflet.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from geoplan import maps
from geoplan._version import __version__
from geoplan.county import County
from geoplan.errors import GeoplanError, InputError
from geoplan.io import atomic_path, ensure_writable_dir, write_json
from geoplan.labels import crs_title
from geoplan.report._analyses import ANALYSES, Analysis, summary_figures
from geoplan.report._database import check_database, write_database
from geoplan.report._html import Section, relative_files, render_page
from geoplan.report._overview import layer_or_none, overview_section
from geoplan.report._text import ROLE_LABELS, error_kind_zh, t

__all__ = ["ReportStep", "build_report"]

logger = logging.getLogger(__name__)

MAP_HEIGHT = "560px"


@dataclass(frozen=True)
class ReportStep:
    """One step of :func:`build_report`, passed to its ``progress`` callback twice: when the
    step starts (``seconds`` is None) and when it ends (with the seconds it took and the
    section's status).

    ``name`` is ``"<analysis>"`` (audit, zones, connectivity, hierarchy), ``"overview"``,
    ``"<section> map"`` or ``"page"``; ``index`` counts steps from 1 to ``total``.
    """

    name: str
    index: int
    total: int
    seconds: float | None = None
    status: str | None = None


def build_report(
    county: County | str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    lang: str = "zh",
    tiles: str | None = None,
    results: Mapping[str, Any] | None = None,
    progress: Callable[[ReportStep], None] | None = None,
    to: str | None = None,
    mode: Literal["replace", "append"] = "replace",
    adcode: str | None = None,
) -> Path:
    """Run every analysis the county allows and write ``index.html`` plus the data files.

    Parameters
    ----------
    county
        A :class:`~geoplan.county.County` or the folder of a county package.
    out
        Output folder (created): ``index.html``, ``county.json`` (the layer summary),
        ``report.json`` (every section's status — ``ok``, ``skipped``, ``error`` for bad input,
        ``bug`` for an unexpected failure — note, files and seconds: the analysis with its files,
        its map, both; and ``timings``: each stage's seconds, the total and the peak memory) and
        one sub-folder per analysis with that analysis's files.
    lang
        ``"zh"`` (default) or ``"en"``.
    tiles
        Optional tile URL template for the maps' base layer (default: none, fully offline).
    results
        Analyses already run (``{"audit": AuditResult, …}``, e.g. by
        :func:`geoplan.province.run_province`'s workers) whose files are already in
        ``out/<analysis>/``: they are shown, not run again. An exception in place of a result
        is shown as that analysis's failure.
    progress
        Called at the start and end of every step (:class:`ReportStep`): each analysis, the
        overview, each section's map and the page. The library never prints; the command line
        draws a progress bar with it.
    to
        Also write every analysis that ran into PostGIS, ``postgresql://user@host/db#schema``
        (password from ``PGPASSWORD`` or ``~/.pgpass``), each as its own command's ``--to``
        would: one transaction and one ``geoplan_runs`` row per analysis. The target is checked
        before any analysis runs; ``report.json`` lists the runs written under ``database``.
    mode
        With ``to``: ``"replace"`` (default) the earlier runs of the same county, as-of date
        and analysis, or ``"append"`` beside them.
    adcode
        With ``to``: the county's adcode (行政区划代码) keying its runs (default: county.toml's).

    Returns
    -------
    pathlib.Path
        The path of ``index.html``.

    Raises
    ------
    InputError
        Unknown ``lang``, a ``tiles`` URL that :func:`geoplan.maps.check_tiles` rejects, or an
        ``out`` that is not a path.
    DataFileNotFoundError
        The county package does not exist.
    OutputError
        ``out`` cannot be written (a file, under a file, read-only, disk full); checked before
        any analysis runs.
    DatabaseError
        With ``to``: the database cannot be reached or written (checked before any analysis
        runs; a failure while writing the results comes after the report is written and says
        so).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from geoplan.datasets import demo_path
    >>> page = build_report(demo_path(), out=tempfile.mkdtemp(), lang="en")
    >>> page.name, sorted(p.name for p in page.parent.iterdir() if p.is_dir())
    ('index.html', ['audit', 'connectivity', 'efficiency', 'hierarchy', 'zones'])
    >>> import re  # no script or stylesheet from a CDN
    >>> re.findall(r"<(?:script|link)[^>]+(?:src|href)=.?https?:", page.read_text())
    []
    """
    # 1. every option checked, county.toml's parameters too, and the output folder proved
    #    writable, before any analysis runs
    if lang not in ("zh", "en"):
        raise InputError(f"lang must be 'zh' or 'en', got {lang!r}.")
    if tiles is not None:
        tiles = maps.check_tiles(tiles)
    if not isinstance(out, str | os.PathLike):
        raise InputError(
            f"out must be the path of the folder to write the report into, got "
            f"{type(out).__name__}."
        )
    c = county if isinstance(county, County) else County.open(county)
    c.check_parameters()
    folder = ensure_writable_dir(out, what="report folder")
    if mode not in ("replace", "append"):
        raise InputError(f"mode must be 'replace' or 'append', got {mode!r}.")
    code = check_database(to, c, adcode) if to is not None else None
    started = dt.datetime.now(dt.UTC)
    steps = _Steps(progress, total=2 * len(ANALYSES) + 2)
    # 2. the analyses, each guarded; each one's files and section map are made in a second
    #    thread while the next one runs (GEOS, GDAL and numpy release the GIL, and the
    #    analyses leave the second core idle most of the time), and collected in step 4
    sections: list[Section] = []
    given = dict(results or {})
    results = {}
    context = _context(c)
    writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="geoplan-report-files")
    written: dict[str, Future[dict[str, Path]]] = {}
    mapped: dict[str, Future[maps.MapParts]] = {}
    try:
        for analysis in ANALYSES:
            steps.start(analysis.key)
            section, result = _run(
                analysis, c, folder, lang, done=results, given=given.get(analysis.key)
            )
            steps.end(analysis.key, section.status)
            sections.append(section)
            if result is not None:
                results[analysis.key] = result
                if analysis.key not in given:  # a given result's files are there already
                    written[analysis.key] = writer.submit(
                        result.to_files, folder / analysis.key, context=context
                    )
                mapped[analysis.key] = writer.submit(_section_map, result, context, tiles, lang)
        # 3. the overview of the layers (with the land records when the audit did not run)
        steps.start("overview")
        overview, crs = _overview(c, folder, lang, tiles, with_land_records="audit" not in results)
        steps.end("overview", overview.status)
        sections.insert(0, overview)
        # 4. one map per analysis (made in the writer thread; a step's time is what was left to
        #    wait for)
        for analysis in ANALYSES:
            key = analysis.key
            section = next(s for s in sections if s.key == key)
            steps.start(f"{key} map")
            if key in mapped:
                try:
                    section.map = mapped[key].result()
                except Exception as exc:  # one failing map must not lose the report
                    _failed(section, f"{key} map", exc, lang)
            section.seconds += steps.end(f"{key} map", section.status)
        for key, future in written.items():
            _collect_files(next(s for s in sections if s.key == key), future, folder, lang)
    finally:  # an unexpected error (or ^C) must not leave the writer thread behind
        writer.shutdown(wait=True, cancel_futures=True)
    # 5. the page and its manifest
    steps.start("page")
    target = _write_page(c, folder, sections, lang, crs, steps)
    if to is not None and code is not None:
        # 6. the results into the database, after the page (a failure there loses nothing)
        records = write_database(
            results, c, to, adcode=code, mode=mode, started=started, page=target
        )
        manifest = json.loads((folder / "report.json").read_text(encoding="utf-8"))
        write_json(folder / "report.json", {**manifest, "database": records})
    logger.info(
        "report for %s: %s (%.1f MB) in %.1f s; sections: %s",
        c.name,
        target,
        target.stat().st_size / 1e6,
        steps.elapsed(),
        ", ".join(f"{s.key}={s.status}" for s in sections),
    )
    return target


def _section_map(
    result: Any, context: maps.MapContext, tiles: str | None, lang: str
) -> maps.MapParts:
    """An analysis's section map, ready for the page."""
    return maps.map_parts(
        maps.compose(result, extent=[], context=context, tiles=tiles, lang=lang, height=MAP_HEIGHT)
    )


class _Steps:
    """Times the steps of a report and tells ``progress`` about them."""

    def __init__(self, progress: Callable[[ReportStep], None] | None, *, total: int) -> None:
        self.progress, self.total, self.index = progress, total, 0
        self.began = time.perf_counter()
        self.seconds: dict[str, float] = {}
        self._t0 = self.began

    def start(self, name: str) -> None:
        self.index += 1
        self._t0 = time.perf_counter()
        if self.progress is not None:
            self.progress(ReportStep(name, self.index, self.total))

    def end(self, name: str, status: str | None = None) -> float:
        took = time.perf_counter() - self._t0
        self.seconds[name] = took
        if self.progress is not None:
            self.progress(ReportStep(name, self.index, self.total, took, status))
        return took

    def elapsed(self) -> float:
        return time.perf_counter() - self.began

    def timings(self) -> dict[str, Any]:
        """Seconds of each step so far, the total and the peak memory of the process."""
        out: dict[str, Any] = {k: round(v, 3) for k, v in self.seconds.items()}
        out["total"] = round(self.elapsed(), 3)
        out["peak_rss_mb"] = _peak_rss_mb()
        return out


def _peak_rss_mb() -> float | None:
    """Peak resident memory of this process so far (MB); None where the OS does not say."""
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return None
    import sys

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


def _run(
    analysis: Analysis,
    county: County,
    folder: Path,
    lang: str,
    *,
    done: Mapping[str, Any],
    given: Any = None,
) -> tuple[Section, Any]:
    """Run one analysis guarded (or show ``given``, a result already run — its files already in
    the folder — or its exception), given the results of the analyses before it: (its section,
    its result or None). Its files are written by the caller, in the writer thread."""
    section = Section(analysis.key, t(lang, analysis.key))
    if isinstance(given, Exception):
        _failed(section, analysis.key, given, lang)
        return section, None
    if given is not None:
        files = {p.name: p for p in sorted((folder / analysis.key).glob("*")) if p.is_file()}
        return _show(section, analysis, given, relative_files(files, folder), lang), given
    missing = analysis.missing_roles(county)
    if missing:
        labels = ROLE_LABELS[lang]
        roles = "、".join(" / ".join(labels.get(r, r) for r in g.split(" / ")) for g in missing)
        section.status, section.note = "skipped", t(lang, "skipped", roles=roles)
        logger.info("%s skipped: no %s layer", analysis.key, ", ".join(missing))
        return section, None
    t0 = time.perf_counter()
    try:
        result = analysis.run(county, done)
    except Exception as exc:  # one failing analysis must not lose the others
        _failed(section, analysis.key, exc, lang)
        section.seconds = time.perf_counter() - t0
        return section, None
    _show(section, analysis, result, [], lang)
    section.seconds = time.perf_counter() - t0
    logger.info("%s done in %.1f s", analysis.key, section.seconds)
    return section, result


def _show(
    section: Section, analysis: Analysis, result: Any, files: list[str], lang: str
) -> Section:
    """Fill the section with the result's files, figures, tables and charts."""
    section.files = files
    section.figures, every = summary_figures(dict(result.summary), analysis, lang)
    section.blocks = analysis.blocks(result, lang)
    if analysis.headline is not None:  # what could not be judged, in words, above the figures
        section.note = analysis.headline(result, lang)
    if every is not None:
        section.blocks.append(every)
    return section


def _collect_files(
    section: Section, future: Future[dict[str, Path]], folder: Path, lang: str
) -> None:
    """The files an analysis wrote (in the writer thread); a failure there fails the section
    as a failing analysis does (its figures, tables and map are not shown)."""
    t0 = time.perf_counter()
    try:
        section.files = relative_files(future.result(), folder)
    except Exception as exc:  # one failing analysis must not lose the others
        section.figures, section.blocks, section.map = [], [], None
        _failed(section, section.key, exc, lang)
    section.seconds += time.perf_counter() - t0  # what was left to wait for


def _overview(
    county: County, folder: Path, lang: str, tiles: str | None, *, with_land_records: bool
) -> tuple[Section, str | None]:
    """The overview section (layer table, key counts, overview map; county.json beside it)
    and the county's CRS as the title page shows it."""
    t0 = time.perf_counter()
    try:
        section, summary, omap = overview_section(
            county, lang, tiles=tiles, with_land_records=with_land_records, map_height=MAP_HEIGHT
        )
    except Exception as exc:  # the overview must not lose the analyses' sections either
        section, summary, omap = Section("overview", t(lang, "overview")), None, None
        _failed(section, "overview", exc, lang)
    if omap is not None:
        try:
            section.map = maps.map_parts(omap)
        except Exception as exc:  # one failing map must not lose the report
            _failed(section, "overview map", exc, lang)
    if summary is not None:
        write_json(folder / "county.json", summary.to_dict())
        section.files = ["county.json"]
    section.seconds = time.perf_counter() - t0
    return section, None if summary is None else crs_title(county.crs, lang)


def _write_page(
    county: County,
    folder: Path,
    sections: list[Section],
    lang: str,
    crs: str | None,
    steps: _Steps,
) -> Path:
    """Write index.html and report.json; the path of index.html."""
    meta = [
        (t(lang, "county"), county.name),
        *([(t(lang, "adcode"), county.adcode)] if county.adcode else []),
        (t(lang, "as_of"), county.as_of.isoformat()),
        (t(lang, "generated"), dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    if crs is not None:
        meta.append((t(lang, "crs"), crs))
    page = render_page(
        lang=lang,
        title=t(lang, "title", name=county.name),
        meta=meta,
        sections=sections,
        footer=t(lang, "footer", version=__version__),
    )
    target = folder / "index.html"
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    steps.end("page")
    write_json(folder / "report.json", _manifest(county, sections, steps.timings()))
    return target


def _manifest(county: County, sections: list[Section], timings: dict[str, Any]) -> dict[str, Any]:
    """What ``report.json`` records: the county, every section's status, note, files and
    seconds (``seconds`` = ``analysis_seconds`` + ``map_seconds``) and the report's
    ``timings`` (seconds per step, ``total``, ``peak_rss_mb``)."""
    return {
        "county": county.name,
        "as_of": county.as_of.isoformat(),
        "geoplan": __version__,
        "sections": [
            {
                "key": section.key,
                "status": section.status,
                "note": section.note,
                "detail": section.detail,
                "seconds": round(section.seconds, 3),
                "analysis_seconds": round(timings.get(section.key, section.seconds), 3),
                "map_seconds": round(timings.get(f"{section.key} map", 0.0), 3),
                "files": section.files,
            }
            for section in sections
        ],
        "timings": timings,
    }


def _failed(section: Section, what: str, exc: Exception, lang: str) -> None:
    """Mark a section failed: bad input (a GeoplanError) with its message; anything else is a
    bug, logged with its traceback and shown as such. In Chinese the note says what went wrong
    in words and the error's own (English) text is folded away below it."""
    bad_input = isinstance(exc, GeoplanError)
    if bad_input:
        logger.error("%s failed: %s", what, exc)
    else:
        logger.exception("%s failed unexpectedly (a bug in geoplan)", what)
    section.status = "error" if bad_input else "bug"
    if lang == "zh":
        section.note = t(lang, "failed", kind=error_kind_zh(exc)) if bad_input else t(lang, "bug")
        section.detail = f"{type(exc).__name__}: {exc}"
    else:
        text = str(exc) if bad_input else f"{type(exc).__name__}: {exc}"
        section.note = f"{t(lang, 'failed' if bad_input else 'bug')} {text}"


def _context(county: County) -> maps.MapContext:
    """The county and township outlines every section map draws first (a layer that cannot
    be read is left out here; the overview says why)."""
    problems: dict[str, GeoplanError] = {}
    return maps.MapContext(
        boundary=layer_or_none(county, "boundary", problems),
        townships=layer_or_none(county, "townships", problems),
    )
