"""Offline interactive maps: folium maps whose HTML needs no network."""

from __future__ import annotations

from geoplan.maps._context import MapContext, add_context, compose
from geoplan.maps._embed import MapParts, map_parts, shared_assets_html
from geoplan.maps._encode import format_values
from geoplan.maps._map import (
    add_legend,
    add_lines,
    add_points,
    add_polygons,
    check_tiles,
    finish,
    lang_of,
    new_map,
    save_html,
    to_html,
)

__all__ = [
    "MapContext",
    "MapParts",
    "add_context",
    "add_legend",
    "add_lines",
    "add_points",
    "add_polygons",
    "check_tiles",
    "compose",
    "finish",
    "format_values",
    "lang_of",
    "map_parts",
    "new_map",
    "save_html",
    "shared_assets_html",
    "to_html",
]
