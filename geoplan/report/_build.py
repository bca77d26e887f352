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
import logging
import os
import time
from pathlib import Path
from typing import Any

from geoplan import maps
from geoplan._version import __version__
from geoplan.county import County
from geoplan.errors import GeoplanError, InputError
from geoplan.report._analyses import ANALYSES, Analysis, Context, _kwargs_for, summary_figures
from geoplan.report._html import Section, map_parts, relative_files, render_page
from geoplan.report._overview import layer_or_none, overview_section
from geoplan.report._text import ROLE_LABELS, t

__all__ = ["build_report"]

logger = logging.getLogger(__name__)

MAP_HEIGHT = "560px"


def build_report(
    county: County | str | os.PathLike[str],
    *,
    out: str | os.PathLike[str],
    lang: str = "zh",
    tiles: str | None = None,
) -> Path:
    """Run every analysis the county allows and write ``index.html`` plus the data files.

    Parameters
    ----------
    county
        A :class:`~geoplan.county.County` or the folder of a county package.
    out
        Output folder (created): ``index.html``, ``county.json`` (the layer summary),
        ``report.json`` (every section's status — ``ok``, ``skipped``, ``error`` for bad input,
        ``bug`` for an unexpected failure — note and files) and one sub-folder per analysis with
        that analysis's files.
    lang
        ``"zh"`` (default) or ``"en"``.
    tiles
        Optional tile URL template for the maps' base layer (default: none, fully offline).

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

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from geoplan.datasets import demo_path
    >>> page = build_report(demo_path(), out=tempfile.mkdtemp(), lang="en")
    >>> page.name, sorted(p.name for p in page.parent.iterdir() if p.is_dir())
    ('index.html', ['audit', 'connectivity', 'hierarchy', 'zones'])
    >>> import re  # no script or stylesheet from a CDN
    >>> re.findall(r"<(?:script|link)[^>]+(?:src|href)=.?https?:", page.read_text())
    []
    """
    from geoplan.io import ensure_writable_dir, write_json

    # every option is checked, and the output folder proved writable, before any analysis runs
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
    folder = ensure_writable_dir(out, what="report folder")
    t_start = time.perf_counter()
    ctx = Context(c, lang)
    results: dict[str, Any] = {}
    sections: list[Section] = []
    for analysis in ANALYSES:
        sec, result = _run(analysis, ctx, folder, lang)
        sections.append(sec)
        if result is not None:
            results[analysis.key] = result
    t0 = time.perf_counter()
    try:
        overview, summary, omap = overview_section(
            c, lang, tiles=tiles, with_land_records="audit" not in results, map_height=MAP_HEIGHT
        )
    except Exception as exc:  # the overview must not lose the analyses' sections either
        overview, summary, omap = Section("overview", t(lang, "overview")), None, None
        _failed(overview, "overview", exc, lang)
    if omap is not None:
        try:
            overview.map = map_parts(omap)
        except Exception as exc:  # one failing map must not lose the report
            _failed(overview, "overview map", exc, lang)
    if summary is not None:
        write_json(folder / "county.json", summary.to_dict())
        overview.files = ["county.json"]
    overview.seconds = time.perf_counter() - t0
    for key, result in results.items():
        sec = next(s for s in sections if s.key == key)
        t1 = time.perf_counter()
        try:
            sec.map = map_parts(_section_map(result, ctx, tiles))
        except Exception as exc:  # one failing map must not lose the report
            _failed(sec, f"{key} map", exc, lang)
        sec.seconds += time.perf_counter() - t1
    sections.insert(0, overview)
    meta = [
        (t(lang, "as_of"), c.as_of.isoformat()),
        (t(lang, "generated"), dt.datetime.now().strftime("%Y-%m-%d %H:%M")),
    ]
    if summary is not None:
        meta.append((t(lang, "crs"), summary.crs))
    page = render_page(
        lang=lang,
        title=t(lang, "title", name=c.name),
        meta=meta,
        sections=sections,
        footer=t(lang, "footer", version=__version__),
    )
    from geoplan.io import atomic_path

    target = folder / "index.html"
    with atomic_path(target) as tmp:
        tmp.write_text(page, encoding="utf-8")
    write_json(folder / "report.json", _manifest(c, sections))
    logger.info(
        "report for %s: %s (%.1f MB) in %.1f s; sections: %s",
        c.name,
        target,
        target.stat().st_size / 1e6,
        time.perf_counter() - t_start,
        ", ".join(f"{s.key}={s.status}" for s in sections),
    )
    return target


def _run(analysis: Analysis, ctx: Context, folder: Path, lang: str) -> tuple[Section, Any]:
    """Run one analysis guarded: (its section, its result or None)."""
    sec = Section(analysis.key, t(lang, analysis.key))
    missing = analysis.missing_roles(ctx.county)
    if missing:
        labels = ROLE_LABELS[lang]
        roles = "、".join(" / ".join(labels.get(r, r) for r in g.split(" / ")) for g in missing)
        sec.status, sec.note = "skipped", t(lang, "skipped", roles=roles)
        logger.info("%s skipped: no %s layer", analysis.key, ", ".join(missing))
        return sec, None
    if not analysis.available():
        sec.status = "skipped"
        sec.note = t(lang, "unavailable", error=f"{analysis.module} not installed")
        logger.warning("%s skipped: %s is not available", analysis.key, analysis.module)
        return sec, None
    t0 = time.perf_counter()
    try:
        result = analysis.run(ctx)
        files = result.to_files(folder / analysis.key)
    except Exception as exc:  # one failing analysis must not lose the others
        _failed(sec, analysis.key, exc, lang)
        sec.seconds = time.perf_counter() - t0
        return sec, None
    sec.files = relative_files(files, folder)
    sec.figures, every = summary_figures(dict(result.summary), analysis, lang)
    sec.blocks = analysis.blocks(result, lang)
    if analysis.headline is not None:  # what could not be judged, in words, above the figures
        sec.note = analysis.headline(result, lang)
    if every is not None:
        sec.blocks.append(every)
    sec.seconds = time.perf_counter() - t0
    logger.info("%s done in %.1f s", analysis.key, sec.seconds)
    return sec, result


def _manifest(c: County, sections: list[Section]) -> dict[str, Any]:
    """What ``report.json`` records: the county and every section's status, note and files."""
    return {
        "county": c.name,
        "as_of": c.as_of.isoformat(),
        "geoplan": __version__,
        "sections": [
            {
                "key": sec.key,
                "status": sec.status,
                "note": sec.note,
                "seconds": round(sec.seconds, 3),
                "files": sec.files,
            }
            for sec in sections
        ],
    }


def _failed(sec: Section, what: str, exc: Exception, lang: str) -> None:
    """Mark a section failed: bad input (a GeoplanError) with its message; anything else is a
    bug, logged with its traceback and shown as such."""
    if isinstance(exc, GeoplanError):
        logger.error("%s failed: %s", what, exc)
        sec.status, sec.note = "error", f"{t(lang, 'failed')} {exc}"
    else:
        logger.exception("%s failed unexpectedly (a bug in geoplan)", what)
        sec.status, sec.note = "bug", f"{t(lang, 'bug')} {type(exc).__name__}: {exc}"


def _section_map(result: Any, ctx: Context, tiles: str | None) -> Any:
    c = ctx.county
    problems: dict[str, str] = {}
    boundary = layer_or_none(c, "boundary", problems)
    m = maps.new_map(*([boundary] if boundary is not None else []), tiles=tiles,
                     lang=ctx.lang, height=MAP_HEIGHT)  # fmt: skip
    if boundary is not None:
        maps.add_polygons(m, boundary, name=t(ctx.lang, "lyr_boundary"), color="#333333",
                          fill_opacity=0.0, weight=2.5)  # fmt: skip
    extra = _kwargs_for(result.add_to_map, townships=ctx.townships())
    result.add_to_map(m, **extra)
    return maps.finish(m)
