"""Embedding geoplan maps in a larger page: one copy of the vendored assets, each map's parts.

The county report holds several maps; each is rendered and split into its header elements,
body and script (:func:`map_parts`), and the page carries the vendored Leaflet/jQuery and
geoplan's runtime once (:func:`shared_assets_html`).
"""

from __future__ import annotations

from dataclasses import dataclass

import folium
from branca.element import Figure

from geoplan.maps._assets import ASSET_NAMES, asset_html

__all__ = ["MapParts", "map_parts", "shared_assets_html"]


@dataclass(frozen=True)
class MapParts:
    """A rendered folium map split for embedding: header elements, body and script."""

    header: dict[str, str]
    body: str
    script: str


def map_parts(m: folium.Map) -> MapParts:
    """Render ``m`` and split it; vendored assets are left out (the page holds them once).

    Examples
    --------
    >>> from geoplan.maps import new_map, finish
    >>> parts = map_parts(finish(new_map((113.0, 34.0, 113.5, 34.4))))
    >>> "leaflet" in " ".join(parts.header), parts.script.count("L.map(") >= 1
    (False, True)
    """
    root = m.get_root()
    if not isinstance(root, Figure):
        root = Figure()
        root.add_child(m)
    root.render()
    header = {
        name: str(child.render())
        for name, child in root.header._children.items()
        if name not in ASSET_NAMES and name != "meta_http"
    }
    return MapParts(header, str(root.html.render()), str(root.script.render()))


def shared_assets_html() -> str:
    """The inline ``<style>``/``<script>`` tags of the vendored assets, once for a whole page."""
    return "\n".join(asset_html(name) for name in ASSET_NAMES)
