"""Colours, categories, classes and symbol sizes for geoplan maps."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from geoplan.maps._encode import format_values

# qualitative palette (ColorBrewer Set1/Dark2 mix, readable on the plain background)
PALETTE: tuple[str, ...] = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#ff7f0e",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#7f7f7f",
    "#393b79",
    "#ad494a",
)
# sequential classes for numeric columns (ColorBrewer YlOrRd, 5 classes)
SEQUENTIAL: tuple[str, ...] = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
MISSING_COLOR = "#bdbdbd"
NUMERIC_CLASSES = 5
MAX_CATEGORIES_FOR_NUMBERS = 10


def missing_label(lang: str) -> str:
    return "无数据" if lang == "zh" else "no data"


def _lookup(colors: Mapping[Any, str] | None, value: Any, label: str) -> str | None:
    if not colors:
        return None
    for key in (value, label):
        try:
            if key in colors:
                return colors[key]
        except TypeError:  # unhashable
            continue
    return None


def classify(
    values: pd.Series, colors: Mapping[Any, str] | None, *, lang: str
) -> tuple[np.ndarray, list[str], dict[str, str]]:
    """Colour index per row, the palette, and the legend (label -> colour, in legend order).

    Numeric columns with more than 10 distinct values (and no ``colors``) are cut into 5 quantile
    classes; anything else is categorical. ``colors`` maps values (or their display labels) to
    colours; other categories take the next free palette colour. Missing values are grey.
    """
    n = len(values)
    is_number = pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(
        values.dtype
    )
    if is_number and not colors and values.nunique(dropna=True) > MAX_CATEGORIES_FOR_NUMBERS:
        return _classes(values.astype(float), lang=lang)
    labels = format_values(values, lang=lang)
    missing = values.isna().to_numpy()
    if missing.all():
        only = {missing_label(lang): MISSING_COLOR} if n else {}
        return np.zeros(n, dtype=np.int64), [MISSING_COLOR], only
    codes, uniques = pd.factorize(values.where(~values.isna()), sort=False)
    first_label: dict[int, str] = {}
    for code, lab in zip(codes.tolist(), labels, strict=True):
        if code >= 0 and code not in first_label:
            first_label[code] = str(lab)
    order_keys = list(colors) if colors else []

    def rank(code: int) -> tuple[int, str]:
        u, lab = uniques[code], first_label[code]
        for pos, key in enumerate(order_keys):
            if key == u or key == lab:
                return pos, lab
        return len(order_keys), lab

    ordered = sorted(range(len(uniques)), key=rank)
    used = {c.lower() for c in (colors or {}).values()}
    free = [c for c in PALETTE if c.lower() not in used]
    palette: list[str] = []
    legend: dict[str, str] = {}
    remap = np.zeros(len(uniques), dtype=np.int64)
    pool = free or list(PALETTE)
    auto = 0
    for new, code in enumerate(ordered):
        lab = first_label[code]
        col = _lookup(colors, uniques[code], lab)
        if col is None:
            col = pool[auto % len(pool)]
            auto += 1
        palette.append(col)
        legend[lab] = col
        remap[code] = new
    ci = np.where(codes >= 0, remap[np.maximum(codes, 0)], len(palette))
    if missing.any():
        palette.append(MISSING_COLOR)
        legend[missing_label(lang)] = MISSING_COLOR
    else:
        ci = np.minimum(ci, max(len(palette) - 1, 0))
    assert len(ci) == n
    return ci.astype(np.int64), palette or [MISSING_COLOR], legend


def _fmt(v: float) -> str:
    if v == 0 or abs(v) >= 100:
        return f"{v:,.0f}"
    digits = max(0, 2 - int(math.floor(math.log10(abs(v)))))
    return f"{v:,.{digits}f}"


def _classes(values: pd.Series, *, lang: str) -> tuple[np.ndarray, list[str], dict[str, str]]:
    vals = values.to_numpy(dtype=float, na_value=np.nan)
    finite = np.isfinite(vals)
    edges = np.unique(np.quantile(vals[finite], np.linspace(0, 1, NUMERIC_CLASSES + 1)))
    k = max(len(edges) - 1, 1)
    palette = [SEQUENTIAL[round(i * (len(SEQUENTIAL) - 1) / max(k - 1, 1))] for i in range(k)]
    ci = np.clip(np.searchsorted(edges, vals, side="right") - 1, 0, k - 1)
    legend = {f"{_fmt(edges[i])} – {_fmt(edges[i + 1])}": palette[i] for i in range(k)}
    if not finite.all():
        ci = np.where(finite, ci, k)
        palette.append(MISSING_COLOR)
        legend[missing_label(lang)] = MISSING_COLOR
    return ci.astype(np.int64), palette, legend


def radii(values: pd.Series, base: float) -> list[float]:
    """Marker radii growing with the square root of a non-negative value (area ∝ value).

    The largest value gets ``3 * base``, zero gets ``base``; missing values get ``base``.
    """
    vals = values.to_numpy(dtype=float, na_value=np.nan)
    vals = np.where(np.isfinite(vals), np.maximum(vals, 0.0), 0.0)
    top = float(vals.max()) if len(vals) else 0.0
    scaled = np.sqrt(vals / top) if top > 0 else np.zeros_like(vals)
    out: list[float] = np.round(base * (1.0 + 2.0 * scaled), 1).tolist()
    return out
