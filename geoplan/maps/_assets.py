"""Vendored Leaflet/jQuery assets inlined into every geoplan map, and the offline folium Map.

folium's default page pulls its JavaScript and CSS from CDNs. :class:`OfflineMap` declares no
external links; when it renders it puts the vendored assets (``geoplan/maps/_vendor``) and geoplan's
own map runtime (``geoplan/maps/static/geoplan_maps.js``) inline into the page header, then replaces
any CDN link that a folium element added for an asset geoplan vendors (Leaflet, jQuery) by the
inline copy. Links to assets geoplan does not vendor (a folium plugin a user adds) are kept and
logged as a warning: that page then needs the network.
"""

from __future__ import annotations

import base64
import logging
import re
from functools import cache
from importlib import resources
from typing import Any

import folium
from branca.element import CssLink, Element, Figure, JavascriptLink

logger = logging.getLogger(__name__)

_SOURCE_MAP = re.compile(r"\n?/[/*][#@] sourceMappingURL=[^\n]*")

# header names (as folium uses them) of the assets geoplan inlines, in page order
ASSET_NAMES: tuple[str, ...] = ("leaflet_css", "geoplan_css", "leaflet", "jquery", "geoplan_js")

# folium / plugin link names and URL endings that the vendored copies replace
_REPLACES: dict[str, tuple[str, ...]] = {
    "leaflet": ("leaflet.js", "leaflet-src.js"),
    "leaflet_css": ("leaflet.css",),
    "jquery": ("jquery.js", "jquery.min.js", "jquery-3.7.1.min.js"),
}


def _text(*parts: str) -> str:
    return resources.files("geoplan.maps").joinpath(*parts).read_text(encoding="utf-8")


def _data_uri(*parts: str) -> str:
    raw = resources.files("geoplan.maps").joinpath(*parts).read_bytes()
    return "data:image/png;base64," + base64.b64encode(raw).decode("ascii")


@cache
def leaflet_js() -> str:
    """Leaflet's JS with the default marker icon switched to inline PNG data URIs."""
    js = _SOURCE_MAP.sub("", _text("_vendor", "leaflet", "leaflet.js"))
    icons = {
        "iconUrl": _data_uri("_vendor", "leaflet", "images", "marker-icon.png"),
        "iconRetinaUrl": _data_uri("_vendor", "leaflet", "images", "marker-icon-2x.png"),
        "shadowUrl": _data_uri("_vendor", "leaflet", "images", "marker-shadow.png"),
    }
    merge = ",".join(f'{k}:"{v}"' for k, v in icons.items())
    # imagePath "" stops Leaflet from prefixing the CSS-detected path to the data URIs
    return js + f"\nL.Icon.Default.imagePath='';L.Icon.Default.mergeOptions({{{merge}}});\n"


@cache
def leaflet_css() -> str:
    """Leaflet's CSS with its image references replaced by data URIs."""
    css = _text("_vendor", "leaflet", "leaflet.css")
    for img in ("layers-2x.png", "layers.png", "marker-icon.png"):
        css = css.replace(
            f"url(images/{img})", f"url({_data_uri('_vendor', 'leaflet', 'images', img)})"
        )
    return css


@cache
def jquery_js() -> str:
    """jQuery (folium popups and some plugins call ``$``)."""
    return _SOURCE_MAP.sub("", _text("_vendor", "jquery", "jquery.min.js"))


@cache
def runtime_js() -> str:
    """geoplan's layer decoder and legend control."""
    return _text("static", "geoplan_maps.js")


@cache
def runtime_css() -> str:
    """geoplan's map styles (background, legend, popup tables)."""
    return _text("static", "geoplan_maps.css")


def _script(code: str) -> str:
    # an inline script ends at the first "</script": vendored code never contains it, but check
    if "</script" in code.lower():  # pragma: no cover - guards a vendoring mistake
        raise RuntimeError("vendored script contains '</script'; cannot inline it")
    return f"<script>{code}</script>"


@cache
def asset_html(name: str) -> str:
    """The inline ``<script>``/``<style>`` tag of one vendored asset, by its header name."""
    if name == "leaflet":
        return _script(leaflet_js())
    if name == "jquery":
        return _script(jquery_js())
    if name == "geoplan_js":
        return _script(runtime_js())
    if name == "leaflet_css":
        return f"<style>{leaflet_css()}</style>"
    if name == "geoplan_css":
        return f"<style>{runtime_css()}</style>"
    raise KeyError(name)


class InlineAsset(Element):
    """A header element holding one vendored asset inline."""

    def __init__(self, name: str) -> None:
        super().__init__(asset_html(name))
        self._name = "InlineAsset"
        self.asset = name


def install_assets(figure: Figure, *, runtime_only: bool = False) -> None:
    """Put the vendored assets into ``figure``'s header (replacing CDN links of the same name).

    ``runtime_only`` installs only geoplan's runtime (for geoplan layers on a plain folium map).
    """
    for name in ("geoplan_css", "geoplan_js") if runtime_only else ASSET_NAMES:
        current = figure.header._children.get(name)
        if not isinstance(current, InlineAsset):
            figure.header.add_child(InlineAsset(name), name=name)


def _vendored_for(name: str, url: str) -> str | None:
    if name in _REPLACES:
        return name
    tail = url.rsplit("/", 1)[-1].split("?", 1)[0]
    for asset, endings in _REPLACES.items():
        if tail in endings:
            return asset
    return None


def sanitize_header(figure: Figure) -> None:
    """Swap CDN links for vendored inline copies; warn about links geoplan cannot inline."""
    for name, child in list(figure.header._children.items()):
        if not isinstance(child, JavascriptLink | CssLink):
            continue
        asset = _vendored_for(name, child.url)
        if asset is not None:
            figure.header._children[name] = InlineAsset(asset)
            figure.header._children[name]._parent = figure.header
        else:
            logger.warning(
                "map element asset %r (%s) is not vendored by geoplan: the page needs the "
                "network for it",
                name,
                child.url,
            )
    # the same asset under two names (e.g. a plugin's own jQuery link) is inlined once
    seen: set[str] = set()
    for name, child in list(figure.header._children.items()):
        if isinstance(child, InlineAsset):
            if child.asset in seen:
                del figure.header._children[name]
            seen.add(child.asset)


class OfflineMap(folium.Map):
    """A :class:`folium.Map` whose page needs no network: Leaflet and jQuery are inlined.

    Renders the same way in ``m.save(...)``, ``m._repr_html_()`` (Jupyter) and
    ``m.get_root().render()``.
    """

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def render(self, **kwargs: Any) -> Any:
        figure = self.get_root()
        if isinstance(figure, Figure):
            install_assets(figure)
        out = super().render(**kwargs)
        if isinstance(figure, Figure):
            sanitize_header(figure)
        return out
