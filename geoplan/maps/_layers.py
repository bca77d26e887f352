"""Internals of :mod:`geoplan.maps`: the folium elements geoplan adds, map bookkeeping, and the
common path of ``add_polygons`` / ``add_lines`` / ``add_points``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from itertools import count
from typing import Any, TypeAlias

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import Figure, MacroElement
from folium.template import Template

from geoplan.errors import InputError
from geoplan.maps._assets import install_assets
from geoplan.maps._encode import (
    COARSE_FEATURES,
    COARSE_SCALE,
    SCALE,
    Kind,
    as_frame,
    encode_fields,
    encode_geometry,
    format_values,
    pack_ints,
    prepare,
    require_columns,
    wgs84_bounds,
)
from geoplan.maps._safe import safe_html, safe_html_all, safe_json
from geoplan.maps._style import PALETTE, classify, radii

Bounds: TypeAlias = tuple[float, float, float, float]

LANGS = ("zh", "en")
ZOOM_TITLES = {"zh": ("放大", "缩小"), "en": ("Zoom in", "Zoom out")}
NORTH = {"zh": "北", "en": "N"}
#: data (geometry, popups, tooltips) a page's maps may hold before popup columns of large
#: layers are left out: with the inlined Leaflet (~0.6 MB) a map stays under 5 MB
MAP_DATA_BYTES = 4_200_000
MIN_FIELD_BYTES = 150_000
MORE_TEXT = {"zh": "另有 {n} 项见数据文件", "en": "{n} more fields in the data files"}
LABEL_PX_PER_CHAR = {"zh": 13.0, "en": 7.5}
_layer_ids = count()


class VectorLayer(MacroElement):
    """One encoded layer, decoded by ``geoplan.addLayer`` into its parent feature group."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "geoplan.addLayer({{ this._parent.get_name() }}, {{ this.spec_json }});"
        "{% endmacro %}"
    )

    def __init__(self, spec_json: str) -> None:
        super().__init__()
        self._name = "GeoplanLayer"
        self.spec_json = spec_json

    def render(self, **kwargs: Any) -> Any:
        figure = self.get_root()
        if isinstance(figure, Figure):  # also works on a plain folium.Map
            install_assets(figure, runtime_only=True)
        return super().render(**kwargs)


class Legend(MacroElement):
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "geoplan.addLegend({{ this._parent.get_name() }}, {{ this.html_json }}, "
        "{{ this.position_json }});"
        "{% endmacro %}"
    )

    def __init__(self, html_text: str, position: str) -> None:
        super().__init__()
        self._name = "GeoplanLegend"
        self.html_json = safe_json(html_text)
        self.position_json = safe_json(position)

    def render(self, **kwargs: Any) -> Any:
        figure = self.get_root()
        if isinstance(figure, Figure):
            install_assets(figure, runtime_only=True)
        return super().render(**kwargs)


class ZoomControl(MacroElement):
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "L.control.zoom({{ this.options_json }}).addTo({{ this._parent.get_name() }});"
        "{% endmacro %}"
    )

    def __init__(self, lang: str) -> None:
        super().__init__()
        self._name = "GeoplanZoom"
        zin, zout = ZOOM_TITLES[lang]
        self.options_json = safe_json({"zoomInTitle": zin, "zoomOutTitle": zout})


class MapDecor(MacroElement):
    """A metric scale bar, a north arrow and no "Leaflet" link in the attribution
    (``geoplan.decorate`` in the runtime)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "geoplan.decorate({{ this._parent.get_name() }}, {{ this.options_json }});"
        "{% endmacro %}"
    )

    def __init__(self, lang: str) -> None:
        super().__init__()
        self._name = "GeoplanDecor"
        self.options_json = safe_json({"north": NORTH[lang]})

    def render(self, **kwargs: Any) -> Any:
        figure = self.get_root()
        if isinstance(figure, Figure):
            install_assets(figure, runtime_only=True)
        return super().render(**kwargs)


TILE_SCHEMES = ("http", "https", "file")
TILE_PLACEHOLDERS = ("{s}", "{z}", "{x}", "{y}", "{r}")
_TILE_BAD_CHARS = re.compile(r"[\s\"'<>`\\^|]|[\x00-\x1f\x7f]")


def check_tiles(tiles: object) -> str:
    """A tile URL template checked strictly, or an :class:`InputError` that says how to fix it.

    The URL must use http, https or file, name ``{z}``, ``{x}`` and ``{y}``, and hold no other
    braces than the placeholders ``{s} {z} {x} {y} {r}``, no spaces and no quotes or angle
    brackets. (The check runs before any analysis, so a typo costs nothing; it also keeps the
    URL from carrying template or script syntax into the page.)

    Examples
    --------
    >>> check_tiles("https://tiles.example.org/{z}/{x}/{y}.png")
    'https://tiles.example.org/{z}/{x}/{y}.png'
    >>> check_tiles("notaurl")
    Traceback (most recent call last):
    ...
    geoplan.errors.InputError: The tile URL 'notaurl' is not a tile URL template: ...
    """
    from urllib.parse import urlsplit

    example = "https://tile.example.org/{z}/{x}/{y}.png (or file:///D:/tiles/{z}/{x}/{y}.png)"
    head = f"The tile URL {tiles!r} is not a tile URL template:"
    if not isinstance(tiles, str) or not tiles:
        raise InputError(f"{head} expected a non-empty text such as {example}.")
    problem = None
    rest = tiles
    for ph in TILE_PLACEHOLDERS:
        rest = rest.replace(ph, "")
    parts = urlsplit(tiles)
    if _TILE_BAD_CHARS.search(tiles):
        problem = "it holds spaces, quotes, angle brackets or control characters"
    elif parts.scheme.lower() not in TILE_SCHEMES:
        problem = f"it must start with {', '.join(s + '://' for s in TILE_SCHEMES)}"
    elif parts.scheme.lower() != "file" and not parts.netloc:
        problem = "it names no host"
    elif "{" in rest or "}" in rest:
        problem = "braces may only hold the placeholders " + " ".join(TILE_PLACEHOLDERS)
    elif not all(ph in tiles for ph in ("{z}", "{x}", "{y}")):
        problem = "it must contain the placeholders {z}, {x} and {y}"
    if problem is not None:
        raise InputError(
            f"{head} {problem}. Give the tile server's URL template, e.g. {example}, or leave "
            "the option out for a map without a base layer (works offline)."
        )
    return tiles


def check_lang(lang: str) -> str:
    if lang not in LANGS:
        raise InputError(f"lang must be one of {LANGS}, got {lang!r}.")
    return lang


def union(a: Bounds | None, b: Bounds | None) -> Bounds | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


def bounds_of(item: Any) -> Bounds | None:
    if isinstance(item, gpd.GeoDataFrame | gpd.GeoSeries):
        return wgs84_bounds(as_frame(item, "extent"))
    if isinstance(item, tuple | list) and len(item) == 4:
        minx, miny, maxx, maxy = (float(v) for v in item)
        if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
            raise InputError(
                f"Map bounds {tuple(item)!r} are not (minx, miny, maxx, maxy) in WGS 84 degrees. "
                "Pass a GeoDataFrame (any CRS) or bounds in longitude/latitude."
            )
        return minx, miny, maxx, maxy
    raise InputError(
        f"new_map takes GeoDataFrames, GeoSeries or (minx, miny, maxx, maxy) WGS 84 tuples, got "
        f"{type(item).__name__}."
    )


def state(m: folium.Map) -> dict[str, Any]:
    """geoplan's bookkeeping on a map (works on plain folium maps too)."""
    st: dict[str, Any] | None = getattr(m, "_geoplan", None)
    if st is None:
        st = {"lang": "zh", "bounds": None, "layers": 0, "control": None, "fit": None}
        m._geoplan = st  # type: ignore[attr-defined]
    return st


def add_layer(
    m: folium.Map,
    gdf: gpd.GeoDataFrame | gpd.GeoSeries,
    *,
    kind: Kind,
    name: str,
    color: str | None,
    color_by: str | None,
    colors: Mapping[Any, str] | None,
    popup: Mapping[str, str] | None,
    tooltip: Mapping[str, str] | None,
    show: bool,
    style: dict[str, Any],
    radius: float | None = None,
    radius_by: str | None = None,
    simplify: float | None = None,
    legend: str | None = None,
    label: str | None = None,
) -> folium.FeatureGroup:
    if not isinstance(m, folium.Map):
        raise InputError(
            f"Expected a folium map from geoplan.maps.new_map, got {type(m).__name__}."
        )
    st = state(m)
    lang = st["lang"]
    prep = prepare(gdf, kind=kind, name=name, simplify=simplify)
    frame = prep.frame
    wanted = [c for c in (color_by, radius_by, label) if c is not None]
    require_columns(frame, wanted, layer=name, option="color_by/radius_by/label")
    layer_no = st["layers"]
    st["layers"] = layer_no + 1
    if color_by is not None:
        ci, palette, legend_items = classify(frame[color_by], colors, lang=lang)
    else:
        palette = [color or PALETTE[layer_no % len(PALETTE)]]
        ci = None
        legend_items = {name: palette[0]}
    scale = COARSE_SCALE if len(frame) > COARSE_FEATURES else SCALE
    spec: dict[str, Any] = encode_geometry(frame.geometry.values, kind, scale=scale)
    layer_id = f"gp{next(_layer_ids)}"
    # the page's data budget: what geometry leaves of it goes to popup and tooltip columns
    used = int(st.get("bytes", 0)) + len(safe_json(spec))
    budget = [max(MIN_FIELD_BYTES, MAP_DATA_BYTES - used)]
    columns: dict[str, tuple[int, int]] = {}
    table: list[dict[str, Any]] = []
    tip, pop = (
        encode_fields(
            frame,
            spec_fields,
            layer=name,
            option=option,
            lang=lang,
            columns=columns,
            table=table,
            budget=budget,
        )  # fmt: skip
        for option, spec_fields in (("tooltip", tooltip), ("popup", popup))
    )
    if pop is not None and pop.get("more"):
        pop["more"] = safe_html(MORE_TEXT[lang].format(n=pop["more"]))
    spec.update(
        k=kind,
        id=layer_id,
        map=m.get_name(),
        name=name,
        cls=f"gp-layer {layer_id}",
        pal=palette,
        st=style,
        cols=table,
        pop=pop,
        tip=tip,
    )
    st["bytes"] = used + sum(size for _i, size in columns.values())
    if ci is not None and len(palette) > 1:
        spec["ci"] = pack_ints(ci)
    if label is not None and len(frame):
        spec["lab"] = label_spec(frame, label, lang=lang)
    if kind == "point":
        if radius_by is not None:
            spec["rad"] = radii(frame[radius_by], float(radius or 5))
    fg = folium.FeatureGroup(name=safe_html(name), show=show)
    fg.add_child(VectorLayer(safe_json(spec)))
    fg.add_to(m)
    fg.geoplan_id = layer_id  # type: ignore[attr-defined]
    fg.geoplan_count = int(spec["n"])  # type: ignore[attr-defined]
    fg.geoplan_legend = legend_items  # type: ignore[attr-defined]
    if len(frame):
        st["bounds"] = union(st["bounds"], tuple(float(v) for v in frame.total_bounds))  # type: ignore[arg-type]
    if legend is not None:
        m.add_child(legend_element(legend, legend_items, "bottomright"))
    return fg


def label_spec(frame: gpd.GeoDataFrame, column: str, *, lang: str) -> dict[str, Any]:
    """Labels of a WGS 84 layer: a point inside each feature, its escaped text and the zoom
    from which it shows — the first zoom at which the feature is wider than 1.3 × its label and
    taller than 20 pixels (so small townships get their names only when zoomed in)."""
    text = format_values(frame[column], lang=lang)
    keep = (text != "").to_numpy()
    geoms = np.asarray(frame.geometry.values)[keep]
    names = [str(v) for v in text[keep]]
    pts = shapely.get_coordinates(shapely.point_on_surface(geoms))
    b = shapely.bounds(geoms)
    width = np.maximum(b[:, 2] - b[:, 0], 1e-9)
    lat = np.radians(np.clip((b[:, 1] + b[:, 3]) / 2, -85, 85))
    height = np.maximum(b[:, 3] - b[:, 1], 1e-9) / np.cos(lat)
    label_px = np.array([len(n) for n in names], dtype=float) * LABEL_PX_PER_CHAR[lang] + 8.0
    # pixels per degree at zoom z: 256 * 2**z / 360
    z_wide = np.log2(1.3 * label_px * 360.0 / (256.0 * width))
    z_tall = np.log2(20.0 * 360.0 / (256.0 * height))
    minz = np.clip(np.ceil(np.maximum(z_wide, z_tall)), 0, 22).astype(np.int64)
    q = np.rint(pts * SCALE).astype(np.int64)
    deltas = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).ravel()
    return {"d": pack_ints(deltas), "t": safe_html_all(names), "z": pack_ints(minz)}


def legend_element(title: str, items: Mapping[str, str], position: str) -> Legend:
    """A legend control: title and ``{label: colour}`` rows, every text escaped."""
    if position not in ("bottomright", "bottomleft", "topleft", "topright"):
        raise InputError(f"Legend position {position!r} is not a Leaflet corner.")
    esc = safe_html
    rows = "".join(
        f'<div class="gp-legend-item"><span class="gp-swatch" style="background:'
        f'{esc(colour)}"></span>{esc(label)}</div>'
        for label, colour in items.items()
    )
    return Legend(f'<div class="gp-legend-title">{esc(title)}</div>{rows}', position)
