"""HTML pieces of the report: escaped tables, hand-written SVG charts, embedded maps, the page.

Everything returned here is ``markupsafe.Markup`` built from escaped text, so the Jinja template
(autoescaping on) can insert it as it is while any plain string it receives is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from geoplan.maps import MapParts, format_values, shared_assets_html
from geoplan.report._text import t

MAX_TABLE_ROWS = 200


# --------------------------------------------------------------------------- tables


def table(
    df: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    lang: str,
    max_rows: int = MAX_TABLE_ROWS,
    percent: Sequence[str] = (),
) -> Markup:
    """An HTML table of ``columns`` ({column: label}) with escaped, formatted values.

    Columns that are absent are left out; ``percent`` columns (0-1 rates) show as percentages.
    """
    cols = [c for c in columns if c in df.columns]
    shown = df.iloc[:max_rows]
    head = "".join(f"<th>{escape(str(columns[c]))}</th>" for c in cols)
    body_cols = []
    numeric = []
    for c in cols:
        s = shown[c]
        if c in percent:
            vals = pd.to_numeric(s, errors="coerce")
            text = pd.Series(
                ["" if pd.isna(v) else f"{100 * float(v):.1f}%" for v in vals], index=s.index
            )
        else:
            text = format_values(s, lang=lang)
        body_cols.append([escape(str(v)) for v in text])
        numeric.append(
            pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)
        )
    rows = []
    for i in range(len(shown)):
        cells = "".join(
            f'<td class="num">{col[i]}</td>' if num else f"<td>{col[i]}</td>"
            for col, num in zip(body_cols, numeric, strict=True)
        )
        rows.append(f"<tr>{cells}</tr>")
    more = ""
    if len(df) > max_rows:
        more = f'<p class="more">{escape(t(lang, "more_rows", n=len(df) - max_rows))}</p>'
    return Markup(
        f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def figures(items: Sequence[tuple[str, str]]) -> Markup:
    """Key figures as a definition grid (labels and values escaped)."""
    cells = "".join(
        f'<div class="fig"><div class="fig-v">{escape(v)}</div><div class="fig-l">{escape(k)}</div>'
        "</div>"
        for k, v in items
    )
    return Markup(f'<div class="figures">{cells}</div>')


# --------------------------------------------------------------------------- charts


def _fmt(v: float, fmt: str) -> str:
    if v is None or not math.isfinite(v):
        return "—"
    return format(v, fmt)


def bar_chart(
    items: Sequence[tuple[str, float]],
    *,
    title: str,
    value_format: str = ",.1f",
    scale: float = 1.0,
    floor: float | None = None,
    floor_label: str | None = None,
    color: str = "#2e86c1",
    below_color: str | None = None,
    max_value: float | None = None,
) -> Markup:
    """Horizontal bars (one per item), a value label per bar, an optional floor line.

    Values are multiplied by ``scale`` for their labels (e.g. 100 for percentages). With
    ``below_color``, bars under ``floor`` use that colour.
    """
    bar_h, gap, left, right, top = 20, 6, 150, 70, 28
    width = 640
    plot_w = width - left - right
    finite = [v for _k, v in items if v is not None and math.isfinite(v)]
    vmax = max_value if max_value is not None else max([*finite, floor or 0.0, 1e-12])
    height = top + len(items) * (bar_h + gap) + 24
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(items):
        y = top + i * (bar_h + gap)
        ok = value is not None and math.isfinite(value)
        w = max(0.0, plot_w * (value / vmax)) if ok and vmax > 0 else 0.0
        fill = color
        if below_color is not None and floor is not None and ok and value < floor:
            fill = below_color
        parts.append(
            f'<text x="{left - 6}" y="{y + bar_h * 0.72:.1f}" text-anchor="end">'
            f"{escape(str(label))}</text>"
            f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{escape(fill)}">'
            f"<title>{escape(str(label))}: {escape(_fmt(value * scale, value_format))}</title>"
            "</rect>"
            f'<text x="{left + w + 4:.1f}" y="{y + bar_h * 0.72:.1f}">'
            f"{escape(_fmt(value * scale if ok else math.nan, value_format))}</text>"
        )
    if floor is not None and vmax > 0:
        x = left + plot_w * floor / vmax
        bottom = top + len(items) * (bar_h + gap)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top - 4}" x2="{x:.1f}" y2="{bottom}" class="floor"/>'
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" class="floor-label">'
            f"{escape(floor_label or '')}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def stacked_shares(
    rows: Sequence[str],
    parts: Sequence[tuple[str, str, Sequence[float]]],
    *,
    title: str,
) -> Markup:
    """100% stacked horizontal bars: ``parts`` = (label, colour, share per row), with a legend."""
    bar_h, gap, left, top = 18, 6, 150, 48
    width = 640
    plot_w = width - left - 20
    height = top + len(rows) * (bar_h + gap) + 8
    out = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" class="chart-title">{escape(title)}</text>',
    ]
    lx = left
    for label, colour, _shares in parts:
        out.append(
            f'<rect x="{lx}" y="26" width="11" height="11" fill="{escape(colour)}"/>'
            f'<text x="{lx + 15}" y="36">{escape(label)}</text>'
        )
        lx += 30 + 13 * len(label) if not label.isascii() else 30 + 7 * len(label)
    for i, row in enumerate(rows):
        y = top + i * (bar_h + gap)
        out.append(
            f'<text x="{left - 6}" y="{y + bar_h * 0.75:.1f}" text-anchor="end">'
            f"{escape(str(row))}</text>"
        )
        x = float(left)
        for label, colour, shares in parts:
            share = float(shares[i]) if shares[i] is not None and math.isfinite(shares[i]) else 0.0
            w = plot_w * max(share, 0.0)
            out.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar_h}" '
                f'fill="{escape(colour)}"><title>{escape(str(row))} {escape(label)}: '
                f"{100 * share:.1f}%</title></rect>"
            )
            x += w
    out.append("</svg>")
    return Markup("".join(out))


# --------------------------------------------------------------------------- maps


# --------------------------------------------------------------------------- page


@dataclass
class Section:
    """One section of the report."""

    key: str
    title: str
    status: str = "ok"  # ok | skipped | error
    note: str | None = None
    figures: list[tuple[str, str]] = field(default_factory=list)
    blocks: list[Markup] = field(default_factory=list)
    map: MapParts | None = None
    files: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("geoplan.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_page(
    *, lang: str, title: str, meta: list[tuple[str, str]], sections: list[Section], footer: str
) -> str:
    """The whole self-contained report page."""
    from importlib import resources

    css = resources.files("geoplan.report").joinpath("templates", "report.css").read_text("utf-8")
    headers: dict[str, str] = {}
    for s in sections:
        if s.map is not None:
            for name, text in s.map.header.items():
                headers.setdefault(name, text)
    assets = Markup(shared_assets_html())
    return (
        _env()
        .get_template("report.html.j2")
        .render(
            lang="zh-CN" if lang == "zh" else "en",
            title=title,
            meta=meta,
            sections=sections,
            footer=footer,
            assets=assets,
            map_headers=Markup("\n".join(headers.values())),
            css=Markup(css),
            figures_html=figures,
            t=lambda key, **kw: t(lang, key, **kw),
            Markup=Markup,
        )
    )


def relative_files(files: Mapping[str, Any], out: Path) -> list[str]:
    """Paths of written files relative to the report folder, for links."""
    rel = []
    for p in files.values():
        path = Path(p)
        try:
            rel.append(path.resolve().relative_to(out.resolve()).as_posix())
        except ValueError:
            rel.append(str(path))
    return sorted(rel)
