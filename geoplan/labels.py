"""What a reader sees instead of a code: one label table (Chinese / English) for every code,
column, summary figure and machine sentence that the report, the maps and the notebook show.

The analyses keep their codes (``idle_type1``, ``county_seat``, ``residential``, ``ugb_mu`` …)
in their tables and files; everything that *shows* a result looks its words up here, so a label
is written once and the report, the standalone maps and ``_repr_html_`` agree:

- :func:`code_label` / :func:`code_labels`: a code of a vocabulary (:data:`CODES`): supply
  statuses, settlement tiers, OSM highway classes, control lines, 三生 functions, matching
  methods, geometry types, section statuses ….
- :func:`field_label` / :func:`field_labels`: a column or a summary figure (:data:`FIELDS`),
  with its unit (亩, 公顷, 米, 分钟, 万元, 元).
- :func:`translate`: the sentences the analyses write in English (a settlement's or park's
  ``reason``, a layer's read notes, the zones' ``ugb_basis``) in the reader's language.
- :func:`crs_title`: the county's CRS as a bureau writes it ("CGCS2000 3度带高斯-克吕格投影
  中央经线114°E").
- :func:`format_figure`: a summary value as text (thousands separators, rates in %, indices
  with two decimals, money totals in 万元).

Examples
--------
>>> code_label("supply_status", "idle_type1", "zh"), code_label("tier", "village", "en")
('闲置(一类)', 'village')
>>> field_label("idle_fee_total_wan", "zh")
'闲置费合计（万元）'
>>> crs_title(4547, "zh")
'CGCS2000 3度带高斯-克吕格投影 中央经线114°E（EPSG:4547）'
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from pyproj import CRS

from geoplan._label_tables import CODES, FIELDS, INDEX_FIELDS, KEY_FIGURES

__all__ = [
    "CODES",
    "FIELDS",
    "KEY_FIGURES",
    "LANGS",
    "code_label",
    "code_labels",
    "crs_title",
    "field_label",
    "field_labels",
    "format_figure",
    "is_index",
    "translate",
]

LANGS = ("zh", "en")

# --------------------------------------------------------------------------- codes


def _pick(pair: tuple[str, str], lang: str) -> str:
    return pair[0] if lang == "zh" else pair[1]


def code_label(vocabulary: str, code: Any, lang: str) -> str:
    """The label of ``code`` in a vocabulary of :data:`CODES`; an unknown code as it is.

    A mix label such as ``production+living`` is labelled part by part.

    Examples
    --------
    >>> code_label("highway", "residential", "zh"), code_label("highway", "busway", "zh")
    ('街巷道路', 'busway')
    >>> code_label("sansheng", "production+living", "zh")
    '生产空间+生活空间'
    """
    table = CODES[vocabulary]
    key = str(code)
    if key in table:
        return _pick(table[key], lang)
    if "+" in key and all(p in table for p in key.split("+")):
        return "+".join(_pick(table[p], lang) for p in key.split("+"))
    return key


def code_labels(vocabulary: str, lang: str) -> dict[str, str]:
    """``{code: label}`` of a whole vocabulary, in its order.

    Examples
    --------
    >>> code_labels("reach_check", "zh")
    {'seat_town': '县城—乡镇', 'town_village': '乡镇—村'}
    """
    return {code: _pick(pair, lang) for code, pair in CODES[vocabulary].items()}


# --------------------------------------------------------------------------- fields


def is_index(key: str) -> bool:
    """Whether a column or figure is an index (shown with two decimals)."""
    return key in INDEX_FIELDS or key.startswith("score_")


def field_label(key: str, lang: str) -> str:
    """The label of a column or summary key; ``total_<column>`` as "合计 …"; unknown keys in
    words (underscores as spaces).

    Examples
    --------
    >>> field_label("total_ugb_mu", "zh"), field_label("ugb_mu", "en")
    ('合计城镇开发边界（亩）', 'urban growth boundary (mu)')
    """
    if key in FIELDS:
        return _pick(FIELDS[key], lang)
    if key.startswith("total_") and key[6:] in FIELDS:
        inner = _pick(FIELDS[key[6:]], lang)
        return f"合计{inner}" if lang == "zh" else f"total {inner}"
    return key.replace("_", " ")


def field_labels(keys: Iterable[str], lang: str, **overrides: tuple[str, str]) -> dict[str, str]:
    """``{key: label}`` for a table's columns; ``overrides`` give (zh, en) for some of them.

    Examples
    --------
    >>> field_labels(["name", "area_mu"], "zh", name=("乡镇", "township"))
    {'name': '乡镇', 'area_mu': '面积（亩）'}
    """
    return {k: _pick(overrides[k], lang) if k in overrides else field_label(k, lang) for k in keys}


# --------------------------------------------------------------------------- sentences

#: English sentences of the analyses and readers -> Chinese (regex, template with \\g<n>)
_SENTENCES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), zh)
    for p, zh in (
        # hierarchy reasons
        (r"^no road node within (?P<d>[\d.,]+) m \(no road node at all\)$",
         r"\g<d> 米内没有道路节点（路网中没有节点）"),
        (r"^no road node within (?P<d>[\d.,]+) m \(nearest (?P<n>[\d.,]+) m\)$",
         r"\g<d> 米内没有道路节点（最近的节点 \g<n> 米）"),
        (r"^no town reachable by road$", "无法经道路到达任何乡镇"),
        (r"^neither a central town nor the county seat reachable by road$",
         "无法经道路到达中心镇或县城"),
        (r"^county seat not reachable by road$", "无法经道路到达县城"),
        # connectivity reasons
        (r"^feature has no geometry$", "要素没有几何图形"),
        (r"^no road within (?P<d>[\d.,]+) m \(nearest network node (?P<n>[\d.,]+) m away; "
         r"the road data may not cover this park\)$",
         r"\g<d> 米内没有道路（最近的路网节点 \g<n> 米，道路数据可能未覆盖该园区）"),
        (r"^the road network has no trunk routes$", "路网中没有干线公路"),
        (r"^no trunk route can be reached by road from the park .*$",
         "园区无法经道路到达干线公路（所在路网片区没有干线，或单行道阻断出路）"),
        (r"^the road network has no motorway entrances$", "路网中没有高速公路出入口"),
        (r"^no motorway entrance can be reached by road from the park$",
         "园区无法经道路到达高速公路出入口"),
        # zones
        (r"^construction land with CZCSXM 201/202 inside the UGB$",
         "城镇开发边界内城市、建制镇（城镇村属性码201、202）的建设用地"),
        (r"^all construction land inside the UGB .*$",
         "城镇开发边界内全部建设用地（数据无城镇村属性码，无法区分城镇用地）"),
        # read notes
        (r"^(?P<n>\d+) geometries had unclosed rings \(closed when read\)$",
         r"\g<n> 个图形的边界未闭合（读取时已闭合）"),
        (r"^(?P<n>\d+) invalid geometries repaired \(make_valid\)$",
         r"\g<n> 个无效图形已修复"),
        (r"^(?P<n>\d+) features without geometry dropped$", r"\g<n> 个无图形要素已剔除"),
        (r"^(?P<n>\d+) features dropped: no geometry of the right kind left after repair$",
         r"\g<n> 个要素修复后无有效图形，已剔除"),
        (r"^CRS assigned by the caller: (?P<c>.*)$", r"坐标系由配置指定：\g<c>"),
    )
)  # fmt: skip


def translate(text: Any, lang: str) -> Any:
    """A sentence an analysis wrote in English, in ``lang``; several joined by "; " are
    translated one by one. Text it does not know (and anything in English) is returned as is.

    Examples
    --------
    >>> translate("no road node within 2000 m (nearest 2345 m)", "zh")
    '2000 米内没有道路节点（最近的节点 2345 米）'
    >>> translate("the road network has no trunk routes; feature has no geometry", "zh")
    '路网中没有干线公路；要素没有几何图形'
    """
    if lang != "zh" or not isinstance(text, str) or not text:
        return text
    whole = _sentence(text)
    if whole is not None:
        return whole
    return "；".join(_sentence(part) or part for part in text.split("; "))


def _sentence(text: str) -> str | None:
    for pattern, zh in _SENTENCES:
        if pattern.match(text):
            return pattern.sub(zh, text)
    return None


# --------------------------------------------------------------------------- CRS


def _gk(epsg: int) -> tuple[int, int | None, int] | None:
    """(band width, zone number when the coordinates carry it, central meridian) of a
    CGCS2000 Gauss–Krüger EPSG code, else None."""
    if 4513 <= epsg <= 4533:
        zone = 25 + epsg - 4513
        return 3, zone, 3 * zone
    if 4534 <= epsg <= 4554:
        return 3, None, 75 + 3 * (epsg - 4534)
    if 4491 <= epsg <= 4501:
        zone = 13 + epsg - 4491
        return 6, zone, 6 * zone - 3
    if 4502 <= epsg <= 4512:
        return 6, None, 75 + 6 * (epsg - 4502)
    return None


def crs_title(crs: Any, lang: str) -> str:
    """The CRS as a report's title page writes it.

    Examples
    --------
    >>> crs_title("EPSG:4527", "zh")
    'CGCS2000 3度带高斯-克吕格投影 第39带 中央经线117°E（EPSG:4527）'
    >>> crs_title(32650, "zh"), crs_title(4547, "en")
    ('WGS 84 UTM投影 第50带（北半球）（EPSG:32650）', 'CGCS2000 / 3-degree Gauss-Kruger CM 114E (EPSG:4547)')
    """
    c = CRS.from_user_input(crs)
    epsg = c.to_epsg()
    if lang != "zh":
        return f"{c.name} (EPSG:{epsg})" if epsg else c.name
    tail = f"（EPSG:{epsg}）" if epsg else ""
    gk = _gk(epsg) if epsg else None
    if gk is not None:
        width, zone, cm = gk
        band = f" 第{zone}带" if zone is not None else ""
        return f"CGCS2000 {width}度带高斯-克吕格投影{band} 中央经线{cm}°E{tail}"
    if epsg is not None and (32601 <= epsg <= 32660 or 32701 <= epsg <= 32760):
        hemi = "北半球" if epsg < 32700 else "南半球"
        return f"WGS 84 UTM投影 第{epsg % 100}带（{hemi}）{tail}"
    if epsg == 4490:
        return f"CGCS2000 地理坐标系{tail}"
    if epsg == 4326:
        return f"WGS 84 地理坐标系{tail}"
    return f"{c.name}{tail}"


# --------------------------------------------------------------------------- figures

_FIGURE_CODES = {"by": "composition_by", "source": "landuse_source", "scheme": "scheme"}


def format_figure(key: str, value: Any, lang: str) -> str | None:
    """A summary value as display text; None for values that are not scalars.

    Rates and shares in %, indices with two decimals, other numbers with thousands
    separators (two decimals for fractions), missing values as "—", codes and machine
    sentences in ``lang``.

    Examples
    --------
    >>> format_figure("supply_rate", 0.6121, "zh"), format_figure("eco_index", 1.0, "zh")
    ('61.2%', '1.00')
    >>> format_figure("idle_parcels", 1234, "zh"), format_figure("supply_rate_5y", None, "zh")
    ('1,234', '—')
    >>> format_figure("scheme", "sandiao", "zh")
    '第三次全国国土调查（三调）'
    """
    if value is None:
        return "—"
    if isinstance(value, bool):
        return code_label("bool", str(value), lang)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return "—"
        if "rate" in key or "share" in key or key.startswith("pct"):
            return f"{100 * value:.1f}%"
        if is_index(key):
            return f"{value:.2f}"
        return f"{value:,.2f}"
    if isinstance(value, str):
        if not value.strip():
            return "—"
        if key in _FIGURE_CODES:
            return code_label(_FIGURE_CODES[key], value, lang)
        return str(translate(value, lang))
    return None
