"""Offline interactive maps: folium maps whose HTML needs no network.

Every map made by :func:`new_map` inlines the vendored Leaflet, jQuery and geoplan's small map
runtime (no ``http(s)://`` script or stylesheet), has no base tiles unless a tile URL is given, and
draws its vector layers on a canvas. Layers are converted to WGS 84, large layers simplified and
coordinates rounded to 1e-6 degree, then written in a compact delta encoding that the runtime
decodes in the browser. Every attribute value shown in a popup, tooltip, legend or layer name is
HTML-escaped, and no text from the data ever becomes template source: folium renders each element's
output a second time as a Jinja2 template, so all text reaches the page only through
``maps._safe.safe_json`` / ``safe_html``, which write ``{`` and ``}`` as ``\\u007b``/``&#123;``
(see DESIGN.md, "User text is data").

Typical use (this is what result objects' ``explore()`` does)::

    m = new_map(county_boundary)
    add_polygons(m, parcels, name="闲置土地", color_by="status", popup={"batch_id": "批次"})
    add_legend(m, "状态", {"闲置": "#d62728", "供而未用": "#ff7f0e"})
    finish(m)
    save_html(m, "map.html")
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TypeAlias
from urllib.parse import urlsplit

import folium
import geopandas as gpd
from branca.element import Figure, MacroElement

from geoplan.errors import InputError
from geoplan.maps._assets import OfflineMap
from geoplan.maps._layers import (
    Bounds,
    MapDecor,
    ZoomControl,
    add_layer,
    bounds_of,
    check_lang,
    check_tiles,
    legend_element,
    state,
    union,
)
from geoplan.maps._safe import inert_html, safe_html

__all__ = [
    "add_legend",
    "add_lines",
    "add_points",
    "add_polygons",
    "check_tiles",
    "finish",
    "lang_of",
    "new_map",
    "save_html",
    "to_html",
]

logger = logging.getLogger(__name__)

LayerOrBounds: TypeAlias = gpd.GeoDataFrame | gpd.GeoSeries | tuple[float, float, float, float]


# --------------------------------------------------------------------------- map


def lang_of(m: folium.Map) -> str:
    """The label language of a geoplan map (``"zh"`` or ``"en"``).

    Result objects' ``add_to_map`` use it to pick Chinese or English layer names.

    Examples
    --------
    >>> lang_of(new_map((113.0, 34.0, 113.5, 34.4), lang="en"))
    'en'
    """
    return str(state(m)["lang"])


def new_map(
    *layers_or_bounds: LayerOrBounds,
    tiles: str | None = None,
    attribution: str | None = None,
    lang: str = "zh",
    title: str | None = None,
    height: str | int | None = None,
    prefer_canvas: bool = True,
) -> folium.Map:
    """A new offline map framed on the given layers or bounds.

    Parameters
    ----------
    *layers_or_bounds
        GeoDataFrames / GeoSeries in any CRS, or ``(minx, miny, maxx, maxy)`` tuples in WGS 84,
        whose combined extent frames the map (layers added later widen it in :func:`finish`).
    tiles
        A tile URL template (``https://.../{z}/{x}/{y}.png``) for a base map, checked by
        :func:`check_tiles`. By default there are no tiles: a plain background, so the map works
        with no network at all.
    attribution
        Attribution HTML for ``tiles`` (default: the tile server's host name); its braces are
        written as character references so that it cannot become template syntax.
    lang
        ``"zh"`` (default) or ``"en"``: language of the map's own labels.
    title
        The HTML page title when the map is saved on its own.
    height
        Height of the map (CSS length or pixels); default: the whole page.
    prefer_canvas
        Draw vector layers on a canvas (default; fast for large layers). ``False`` draws SVG
        paths (one DOM element per feature; used by tests that count paths).

    Returns
    -------
    folium.Map
        An :class:`~geoplan.maps._assets.OfflineMap` (a folium.Map subclass).

    Raises
    ------
    InputError
        Unknown ``lang``, bounds that are not WGS 84 degrees, or a ``tiles`` URL that
        :func:`check_tiles` rejects, or a ``height`` that is not a CSS length.
    CRSError
        A layer without a CRS.

    Examples
    --------
    >>> m = new_map((113.0, 34.0, 113.5, 34.4))
    >>> html = to_html(m)
    >>> "<script src=" in html, "leaflet" in html.lower()
    (False, True)
    """
    lang = check_lang(lang)
    bounds: Bounds | None = None
    for item in layers_or_bounds:
        bounds = union(bounds, bounds_of(item))
    if bounds is None:
        location, zoom = [35.0, 105.0], 4
    else:
        span = max(bounds[2] - bounds[0], bounds[3] - bounds[1], 1e-4)
        location = [(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2]
        zoom = int(max(3, min(17, math.floor(math.log2(360.0 / span)) + 1)))
    size: dict[str, Any] = {}
    if height is not None:
        size = {"height": height, "position": "relative"}
    try:
        m = OfflineMap(
            location=location,
            zoom_start=zoom,
            tiles=None,
            prefer_canvas=prefer_canvas,
            zoom_control=False,
            control_scale=False,
            **size,
        )
    except ValueError as exc:  # folium's size parser: a height it cannot read
        raise InputError(
            f"height must be pixels (e.g. 560) or a CSS length such as '560px' or '60%'; got "
            f"{height!r} ({exc})"
        ) from None
    Figure(title=safe_html(title) if title else None).add_child(m)
    m.add_child(ZoomControl(lang))
    m.add_child(MapDecor(lang))
    if tiles is not None and tiles != "":
        tiles = check_tiles(tiles)
        host = urlsplit(tiles).netloc or "file"
        attr = inert_html(attribution) if attribution is not None else safe_html(host)
        folium.TileLayer(tiles=tiles, attr=attr, control=False).add_to(m)
    st = state(m)
    st["lang"] = lang
    st["bounds"] = bounds
    return m


# --------------------------------------------------------------------------- layers


def add_polygons(
    m: folium.Map,
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    name: str,
    color: str | None = None,
    color_by: str | None = None,
    colors: Mapping[Any, str] | None = None,
    popup: Mapping[str, str] | None = None,
    tooltip: Mapping[str, str] | None = None,
    show: bool = True,
    fill_opacity: float = 0.45,
    weight: float = 1.0,
    simplify: float | None = None,
    legend: str | None = None,
    label: str | None = None,
) -> folium.FeatureGroup:
    """Draw a polygon layer, optionally coloured by a column, with escaped popups/tooltips.

    Parameters
    ----------
    m
        A map from :func:`new_map`.
    gdf
        Polygons in any CRS (GeometryCollections keep their polygonal parts; empty and missing
        geometries are skipped and logged).
    name
        Layer name in the layer control (escaped).
    color
        One colour for the whole layer (default: the next palette colour).
    color_by
        A column whose values choose the colour: categories, or 5 quantile classes for a numeric
        column with more than 10 distinct values.
    colors
        ``{value: colour}`` for ``color_by`` categories (others take palette colours).
    popup, tooltip
        ``{column: label}``; values are formatted (dates ``YYYY-MM-DD``, numbers with 2
        decimals) and HTML-escaped.
    show
        Whether the layer is on when the map opens.
    fill_opacity, weight
        Fill opacity and outline width (pixels).
    simplify
        Simplification tolerance in metres; default: automatic for layers over 20,000 vertices
        (1/25 of the median feature size, at most 1/3000 of the layer's extent, coarser when
        the layer would still hold more than 250,000 vertices); ``0`` keeps every vertex.
    legend
        If given, also add a legend with this title for the layer's colours.
    label
        A column whose text is written on the map inside each polygon (e.g. township names),
        each from the zoom at which its polygon is wide enough on screen for it.

    Returns
    -------
    folium.FeatureGroup
        The layer, with ``geoplan_id`` (its id in the page), ``geoplan_count`` (features drawn)
        and ``geoplan_legend`` (label -> colour used) attributes.

    Raises
    ------
    GeometryTypeError
        The layer holds lines or points.
    MissingFieldError
        ``color_by``, ``popup`` or ``tooltip`` name a column the layer lacks.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame(
    ...     {"name": ["<b>A</b>", "B"]},
    ...     geometry=[shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)],
    ...     crs=4547,
    ... )
    >>> m = new_map(g)
    >>> fg = add_polygons(m, g, name="地块", color_by="name", popup={"name": "名称"})
    >>> fg.geoplan_count, "&lt;b&gt;A&lt;/b&gt;" in to_html(finish(m))
    (2, True)
    """
    style = {"weight": weight, "opacity": 0.9, "fillOpacity": fill_opacity}
    return add_layer(
        m, gdf, kind="polygon", name=name, color=color, color_by=color_by, colors=colors,
        popup=popup, tooltip=tooltip, show=show, style=style, simplify=simplify, legend=legend,
        label=label,
    )  # fmt: skip


def add_lines(
    m: folium.Map,
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    name: str,
    color: str | None = None,
    color_by: str | None = None,
    colors: Mapping[Any, str] | None = None,
    weight: float = 2,
    popup: Mapping[str, str] | None = None,
    tooltip: Mapping[str, str] | None = None,
    show: bool = True,
    opacity: float = 0.85,
    simplify: float | None = None,
    legend: str | None = None,
) -> folium.FeatureGroup:
    """Draw a line layer (roads, routes, links); options as in :func:`add_polygons`.

    ``weight`` is the line width in pixels.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> roads = gpd.GeoDataFrame(
    ...     {"highway": ["trunk", "tertiary"]},
    ...     geometry=[shapely.LineString([(113.0, 34.0), (113.2, 34.1)]),
    ...               shapely.LineString([(113.2, 34.1), (113.3, 34.3)])],
    ...     crs=4326,
    ... )
    >>> m = new_map(roads, lang="en")
    >>> add_lines(m, roads, name="roads", color_by="highway").geoplan_legend
    {'tertiary': '#1f77b4', 'trunk': '#d62728'}
    """
    style = {"weight": weight, "opacity": opacity, "fill": False}
    return add_layer(
        m, gdf, kind="line", name=name, color=color, color_by=color_by, colors=colors,
        popup=popup, tooltip=tooltip, show=show, style=style, simplify=simplify, legend=legend,
    )  # fmt: skip


def add_points(
    m: folium.Map,
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    name: str,
    color: str | None = None,
    color_by: str | None = None,
    colors: Mapping[Any, str] | None = None,
    radius: float = 5,
    radius_by: str | None = None,
    popup: Mapping[str, str] | None = None,
    tooltip: Mapping[str, str] | None = None,
    show: bool = True,
    legend: str | None = None,
) -> folium.FeatureGroup:
    """Draw points as circle markers; options as in :func:`add_polygons`.

    ``radius`` is the marker radius in pixels; with ``radius_by`` (a numeric column, e.g.
    population) radii grow with the square root of the value from ``radius`` (zero) to
    ``3 * radius`` (the largest value). A MultiPoint is drawn at its first point.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> pts = gpd.GeoDataFrame(
    ...     {"name": ["<script>alert(1)</script>"], "population": [1200.0]},
    ...     geometry=[shapely.Point(113.1, 34.2)], crs=4326,
    ... )
    >>> m = new_map(pts)
    >>> fg = add_points(m, pts, name="村庄", radius_by="population", tooltip={"name": "名称"})
    >>> page = to_html(finish(m))
    >>> "<script>alert(1)" in page, "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    (False, True)
    """
    style = {"weight": 1, "opacity": 0.9, "color": "#333333", "fillOpacity": 0.85, "radius": radius}
    return add_layer(
        m, gdf, kind="point", name=name, color=color, color_by=color_by, colors=colors,
        popup=popup, tooltip=tooltip, show=show, style=style, radius=radius, radius_by=radius_by,
        legend=legend,
    )  # fmt: skip


def add_legend(
    m: folium.Map, title: str, items: Mapping[str, str], *, position: str = "bottomright"
) -> MacroElement:
    """Add a categorical legend (plain HTML/CSS; title and labels are escaped).

    Parameters
    ----------
    m
        A map from :func:`new_map`.
    title
        Legend title.
    items
        ``{label: colour}`` in display order (e.g. a layer's ``geoplan_legend``).
    position
        ``"bottomright"`` (default), ``"bottomleft"``, ``"topleft"`` or ``"topright"``.

    Examples
    --------
    >>> m = new_map((113.0, 34.0, 113.5, 34.4))
    >>> _ = add_legend(m, "等级", {"县城": "#d62728", "<i>镇</i>": "#1f77b4"})
    >>> "&lt;i&gt;镇&lt;/i&gt;" in to_html(m)
    True
    """
    legend = legend_element(title, items, position)
    m.add_child(legend)
    return legend


def finish(m: folium.Map) -> folium.Map:
    """Add the layer control and fit the map to everything drawn (safe to call again).

    Examples
    --------
    >>> m = finish(new_map((113.0, 34.0, 113.5, 34.4)))
    >>> "L.control.layers" in to_html(m)
    True
    """
    st = state(m)
    for key in ("control", "fit"):
        old = st.get(key)
        if old is not None:
            m._children.pop(old.get_name(), None)
    control = folium.LayerControl(collapsed=False)
    m.add_child(control)
    st["control"] = control
    b = st["bounds"]
    if b is not None:
        fit = folium.FitBounds([[b[1], b[0]], [b[3], b[2]]], padding=(10, 10))
        m.add_child(fit)
        st["fit"] = fit
    return m


def _root(m: folium.Map) -> Figure:
    root = m.get_root()
    if not isinstance(root, Figure):
        root = Figure()
        root.add_child(m)
    return root


def to_html(m: folium.Map) -> str:
    """The map's complete, self-contained HTML page.

    Examples
    --------
    >>> to_html(new_map((113.0, 34.0, 113.5, 34.4))).startswith("<!DOCTYPE html>")
    True
    """
    return str(_root(m).render())


def save_html(m: folium.Map, path: str | os.PathLike[str]) -> Path:
    """Write the map's self-contained HTML page atomically (temporary file, then rename).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = save_html(new_map((113.0, 34.0, 113.5, 34.4)), pathlib.Path(tempfile.mkdtemp()) / "m.html")
    >>> out.name, out.stat().st_size > 100_000
    ('m.html', True)
    """
    from geoplan.io import atomic_path

    target = Path(path)
    text = to_html(m)
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    logger.info("wrote map %s (%.1f MB)", target, target.stat().st_size / 1e6)
    return target
