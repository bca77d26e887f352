"""Compact HTML tables for notebooks (``_repr_html_`` of :class:`~geoplan.county.CountySummary`
and of every result object): the key figures with Chinese headers (``lang="zh"``), every text
escaped. Labels and number formats come from :mod:`geoplan.labels`, as in the report."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from geoplan.labels import KEY_FIGURES, field_label, format_figure

__all__ = ["figures_html", "table_html"]

_HEAD = {"zh": ("指标", "数值"), "en": ("figure", "value")}
_ROWS = {"zh": "{label}：{n:,} 行", "en": "{label}: {n:,} rows"}
_STYLE = (
    "border-collapse:collapse;font-size:13px;"
    'font-family:system-ui,"Noto Sans CJK SC","Microsoft YaHei",sans-serif'
)


def table_html(
    caption: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    lang: str = "zh",
    numeric: Sequence[bool] = (),
    note: str | None = None,
) -> str:
    """A small HTML table, every cell escaped; ``numeric`` columns right-aligned."""
    right = list(numeric) + [False] * (len(header) - len(numeric))
    th = "".join(
        f'<th style="text-align:{"right" if r else "left"};padding:2px 8px">{escape(str(h))}</th>'
        for h, r in zip(header, right, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td style="text-align:{"right" if r else "left"};padding:2px 8px">'
            f"{escape(str(v))}</td>"
            for v, r in zip(row, right, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    foot = f'<p style="margin:4px 0;font-size:12px;color:#555">{escape(note)}</p>' if note else ""
    return (
        f"<div lang=\"{escape(lang)}\"><table style='{_STYLE}'>"
        f'<caption style="text-align:left;font-weight:600;padding:4px 0">{escape(caption)}'
        f"</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>{foot}</div>"
    )


def figures_html(
    caption: str,
    summary: Mapping[str, Any],
    analysis: str,
    *,
    tables: Mapping[str, Any] | None = None,
    lang: str = "zh",
) -> str:
    """The analysis's key figures (:data:`geoplan.labels.KEY_FIGURES`) as a two-column table,
    with the number of rows of its tables (``{label: frame}``) underneath.

    Examples
    --------
    >>> html = figures_html("土地核查", {"supply_rate": 0.612, "idle_parcels": 3,
    ...                     "idle_fee_total_wan": 12.5}, "audit")
    >>> "<th" in html and "供地率" in html and "61.2%" in html and 'lang="zh"' in html
    True
    """
    rows = []
    for key in KEY_FIGURES[analysis]:
        if key in summary:
            text = format_figure(key, summary[key], lang)
            if text is not None:
                rows.append((field_label(key, lang), text))
    counts = [
        _ROWS[lang].format(label=name, n=len(frame))
        for name, frame in (tables or {}).items()
        if frame is not None
    ]
    note = ("；" if lang == "zh" else "; ").join(counts) or None
    return table_html(caption, _HEAD[lang], rows, lang=lang, numeric=(False, True), note=note)
