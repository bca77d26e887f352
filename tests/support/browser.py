"""Drive Debian's headless Chromium on ``file://`` pages (helper for tests and benchmarks).

Every run uses the flags that keep Chromium quiet and offline (``--headless --no-sandbox
--disable-gpu --disable-background-networking --disable-component-update --disable-sync
--no-first-run``, a throw-away ``--user-data-dir``), plus a host resolver rule that resolves no
host and an unreachable proxy, so a page that tried the network would fail to load it.

What a run reports:

- ``dom``: the DOM after scripts ran (``--dump-dom``);
- ``console``: every console message and uncaught exception of the page, parsed from the
  ``CONSOLE`` lines Chromium writes to stderr with ``--enable-logging=stderr --v=0`` (that log
  does not carry the level, so tests require *no* console output at all, which is stricter than
  "no errors"; uncaught exceptions appear as ``Uncaught ...``);
- ``requests``: the http(s) URLs the page itself asked for, from a NetLog
  (``--log-net-log``; events ``URL_REQUEST_START_JOB`` whose network isolation key is the
  ``file://`` page — Chromium's own background requests are not counted);
- ``load_ms``: the page's load event time (``performance.timing``), measured on a copy of the
  page with a one-line script appended, in a run without virtual time (so the clock is real).

Layer counts: geoplan's map runtime lists every layer it built in a hidden
``<ul id="geoplan-stats">`` (``data-layer``, ``data-kind``, ``data-features``, ``data-objects``),
which works with the canvas renderer (which draws no DOM paths); with SVG rendering
(``new_map(prefer_canvas=False)``) tests can also count the ``<path class="... gpN ...">``
elements Leaflet put in the DOM.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND",
    "--proxy-server=127.0.0.1:9",
)
_CONSOLE = re.compile(r":CONSOLE(?:\(\d+\))?(?::\d+)?\] (?P<msg>.*)$")


def chromium() -> str | None:
    """Path of the Chromium binary, or None when it is not installed."""
    for cand in CHROMIUM_CANDIDATES:
        if os.access(cand, os.X_OK):
            return cand
    return shutil.which("chromium")


@dataclass
class PageRun:
    """What one headless Chromium run saw."""

    dom: str
    console: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _run(args: list[str], timeout: float) -> tuple[str, str, float]:
    exe = chromium()
    if exe is None:
        raise RuntimeError("chromium is not installed (make browser installs it)")
    with tempfile.TemporaryDirectory(prefix="gp-chromium-") as profile:
        cmd = [exe, *FLAGS, f"--user-data-dir={profile}", *args]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)
        secs = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"chromium failed ({proc.returncode}): {proc.stderr[-2000:]}")
    return proc.stdout, proc.stderr, secs


def _console(stderr: str) -> list[str]:
    return [m.group("msg") for line in stderr.splitlines() if (m := _CONSOLE.search(line))]


def _page_requests(netlog: Path) -> list[str]:
    if not netlog.exists():
        return []
    text = netlog.read_text(encoding="utf-8", errors="replace").rstrip().rstrip(",")
    if not text.endswith("}"):
        text += "]}"  # an unterminated log (Chromium killed early)
    data = json.loads(text)
    start = data["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    urls = []
    for ev in data.get("events", []):
        p = ev.get("params") or {}
        if ev.get("type") == start and "file://" in str(p.get("network_isolation_key", "")):
            url = str(p.get("url", ""))
            if url.startswith(("http://", "https://")):
                urls.append(url)
    return urls


def _uri(path: str | os.PathLike[str], fragment: str | None) -> str:
    uri = Path(path).resolve().as_uri()
    return f"{uri}#{fragment}" if fragment else uri


def load(
    path: str | os.PathLike[str],
    *,
    budget_ms: int = 5000,
    timeout: float = 120,
    fragment: str | None = None,
) -> PageRun:
    """Open a page, let its scripts run (virtual time budget), return DOM, console, requests.

    ``fragment`` is appended to the URL (e.g. ``"all-maps"``: the report builds every map at
    once instead of when its section scrolls into view).
    """
    with tempfile.TemporaryDirectory(prefix="gp-netlog-") as tmp:
        netlog = Path(tmp) / "net.json"
        out, err, secs = _run(
            [
                "--enable-logging=stderr",
                "--v=0",
                f"--log-net-log={netlog}",
                f"--virtual-time-budget={budget_ms}",
                "--window-size=1200,800",
                "--dump-dom",
                _uri(path, fragment),
            ],
            timeout,
        )
        requests = _page_requests(netlog)
    return PageRun(dom=out, console=_console(err), requests=requests, seconds=secs)


def screenshot(
    path: str | os.PathLike[str],
    png: str | os.PathLike[str],
    *,
    size: tuple[int, int] = (1200, 800),
    budget_ms: int = 5000,
    timeout: float = 120,
    fragment: str | None = None,
) -> Path:
    """Save a PNG screenshot of a page (after a virtual time budget for its scripts)."""
    target = Path(png).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            f"--virtual-time-budget={budget_ms}",
            f"--window-size={size[0]},{size[1]}",
            "--hide-scrollbars",
            f"--screenshot={target}",
            _uri(path, fragment),
        ],
        timeout,
    )
    return target


def print_pdf(
    path: str | os.PathLike[str],
    pdf: str | os.PathLike[str],
    *,
    budget_ms: int = 10000,
    timeout: float = 180,
    fragment: str | None = None,
) -> Path:
    """Print a page to PDF as "Print → Save as PDF" does (print media, the page's @page size,
    no header or footer), after a virtual time budget for its scripts."""
    target = Path(pdf).resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    _run(
        [
            f"--virtual-time-budget={budget_ms}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            _uri(path, fragment),
        ],
        timeout,
    )
    return target


_TIMER = (
    "<script>window.addEventListener('load',function(){setTimeout(function(){"
    "var t=performance.timing;document.documentElement.setAttribute('data-load-ms',"
    "String(t.loadEventStart-t.navigationStart));},0);});</script>"
)


def load_time_ms(
    path: str | os.PathLike[str], *, timeout: float = 120, fragment: str | None = None
) -> float:
    """Milliseconds from navigation start to the load event, in real (not virtual) time."""
    page = Path(path).resolve()
    with tempfile.TemporaryDirectory(prefix="gp-timing-") as tmp:
        copy = Path(tmp) / page.name
        text = page.read_text(encoding="utf-8")
        copy.write_text(text + _TIMER, encoding="utf-8")
        out, _err, _secs = _run(["--dump-dom", _uri(copy, fragment)], timeout)
    m = re.search(r'data-load-ms="(\d+)"', out)
    if m is None:
        raise RuntimeError("the page never reached its load event")
    return float(m.group(1))


class _Stats(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.layers: dict[str, dict[str, str]] = {}
        self.paths: dict[str, int] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "li" and "data-layer" in a:
            self.layers[a["data-layer"]] = a
        elif tag == "path":
            for cls in a.get("class", "").split():
                if re.fullmatch(r"gp\d+", cls):
                    self.paths[cls] = self.paths.get(cls, 0) + 1


def layer_stats(dom: str) -> dict[str, dict[str, str]]:
    """``{layer id: attributes}`` of the layers geoplan's runtime built (from ``#geoplan-stats``)."""
    p = _Stats()
    p.feed(dom)
    return p.layers


def svg_paths(dom: str) -> dict[str, int]:
    """``{layer id: number of SVG <path> elements}`` (maps drawn with ``prefer_canvas=False``)."""
    p = _Stats()
    p.feed(dom)
    return p.paths


_EXTERNAL = re.compile(
    r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?\s*(?:https?:)?//", re.I
)


def external_refs(html: str) -> list[str]:
    """``<script src>``/``<link href>``/``<img src>``/``<iframe src>`` tags pointing at http(s)."""
    return [html[m.start() : html.find(">", m.start()) + 1] for m in _EXTERNAL.finditer(html)]


class _Text(HTMLParser):
    """The text a reader sees: every text node outside <script>, <style> and <title>, and
    of a closed <details> only its <summary> (the rest shows when the reader opens it)."""

    _HIDDEN = ("script", "style", "title", "template")

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.parts: list[str] = []
        self.details: list[bool] = []  # open or closed, innermost last
        self.summary = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._HIDDEN:
            self.depth += 1
        elif tag == "details":
            self.details.append(any(name == "open" for name, _ in attrs))
        elif tag == "summary":
            self.summary += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self._HIDDEN and self.depth:
            self.depth -= 1
        elif tag == "details" and self.details:
            self.details.pop()
        elif tag == "summary" and self.summary:
            self.summary -= 1

    def handle_data(self, data: str) -> None:
        folded = bool(self.details) and not all(self.details) and not self.summary
        if not self.depth and not folded and data.strip():
            self.parts.append(data.strip())


def visible_text(dom: str) -> str:
    """The page's text nodes outside scripts and styles (a DOM from :func:`load`), one a line."""
    p = _Text()
    p.feed(dom)
    return "\n".join(p.parts)
