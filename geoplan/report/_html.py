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
import numpy as np
import pandas as pd
from markupsafe import Markup

from geoplan.labels import code_label, is_index, translate
from geoplan.maps import MapParts, format_values, shared_assets_html
from geoplan.report._text import file_label, t

MAX_TABLE_ROWS = 200
#: text columns whose longest value is at most this wide (em) never wrap
NOWRAP_EM = 12.0
#: tables with more columns print in a smaller font
WIDE_COLUMNS = 9
NUM_CLASS = ' class="num"'


# --------------------------------------------------------------------------- tables


def table(
    df: pd.DataFrame,
    columns: Mapping[str, str],
    *,
    lang: str,
    max_rows: int = MAX_TABLE_ROWS,
    percent: Sequence[str] = (),
    codes: Mapping[str, str] | None = None,
    sentences: Sequence[str] = ("reason", "notes"),
) -> Markup:
    """An HTML table of ``columns`` ({column: label}) with escaped, formatted values.

    Columns that are absent are left out. ``percent`` columns (0-1 rates) show as percentages,
    ``codes`` columns ({column: vocabulary of :data:`geoplan.labels.CODES`}) show their labels,
    ``sentences`` columns the analyses' English sentences in ``lang``. Numbers are right-aligned
    with thousands separators (indices with two decimals, years without separators), missing
    numbers as "—". The table has a fixed layout whose column widths follow their content, so
    names never wrap one character a line; a wide table scrolls inside its box.
    """
    cols = [c for c in columns if c in df.columns]
    shown = df.iloc[:max_rows]
    body_cols: list[list[str]] = []
    numeric: list[bool] = []
    widths: list[float] = []
    classes: list[str] = []
    for c in cols:
        text, is_num = _column_text(shown[c], c, lang=lang, percent=c in percent,
                                    vocabulary=(codes or {}).get(c),
                                    sentence=c in sentences)  # fmt: skip
        body_cols.append([escape(v) for v in text])
        numeric.append(is_num)
        widths.append(_column_em(str(columns[c]), text, is_num))
        # numbers and short texts (names, codes, dates) never wrap; long texts (notes) do
        short = max((_em(v) for v in text), default=0.0) <= NOWRAP_EM
        classes.append("num" if is_num else "nowrap" if short else "")
    attrs = [f' class="{k}"' if k else "" for k in classes]
    head = "".join(
        f"<th{NUM_CLASS if num else ''}>{escape(str(columns[c]))}</th>"
        for c, num in zip(cols, numeric, strict=True)
    )
    rows = []
    for i in range(len(shown)):
        cells = "".join(f"<td{a}>{col[i]}</td>" for col, a in zip(body_cols, attrs, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    more = ""
    if len(df) > max_rows:
        more = f'<p class="more">{escape(t(lang, "more_rows", n=len(df) - max_rows))}</p>'
    kind = "data wide" if len(cols) > WIDE_COLUMNS else "data"
    colgroup = "".join(f'<col style="width:{w:.1f}em">' for w in widths)
    return Markup(
        f'<div class="table-wrap"><table class="{kind}" style="width:{sum(widths):.1f}em">'
        f"<colgroup>{colgroup}</colgroup><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>{more}"
    )


def _column_text(
    s: pd.Series, name: str, *, lang: str, percent: bool, vocabulary: str | None, sentence: bool
) -> tuple[list[str], bool]:
    """Display text of one column and whether it is numeric."""
    if vocabulary is not None:
        return [("" if pd.isna(v) else code_label(vocabulary, v, lang)) for v in s], False
    if sentence and not pd.api.types.is_numeric_dtype(s.dtype):
        return [("" if pd.isna(v) else str(translate(str(v), lang))) for v in s], False
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        return [str(v) for v in format_values(s, lang=lang)], False
    vals = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    finite = vals[np.isfinite(vals)]
    if percent:
        fmt = "{:.1%}"
    elif name == "year":
        fmt = "{:.0f}"
    elif is_index(name):
        fmt = "{:.2f}"
    elif len(finite) and bool(np.all(finite == np.round(finite))):
        fmt = "{:,.0f}"
    else:
        fmt = "{:,.2f}"
    return ["—" if not np.isfinite(v) else fmt.format(v) for v in vals], True


def _em(text: str) -> float:
    """Approximate width of ``text`` in em (CJK and full-width characters 1, others 0.56)."""
    return sum(1.0 if ord(ch) > 0x2E7F else 0.56 for ch in text)


def _column_em(header: str, values: Sequence[str], numeric: bool) -> float:
    """Width of a column: its longest value (text capped at 16 em, where it wraps), and at
    least half its header (headers wrap onto two lines), plus padding."""
    longest = max((_em(v) for v in values), default=0.0)
    if not numeric:
        longest = min(longest, 16.0)
    return round(max(longest, _em(header) / 2.0, 2.5) + 1.2, 1)


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
    detail: str | None = None  # the errors' own text (English) under a zh note, folded away
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
            status_label=lambda status: code_label("section_status", status, lang),
            file_label=lambda path: file_label(lang, path),
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
