"""Offline interactive maps: folium maps whose HTML needs no network."""

from __future__ import annotations

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
