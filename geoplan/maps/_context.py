"""What a map of an analysis draws under it and how a result's map is put together: the
county boundary and township outlines (:func:`add_context`, :class:`MapContext`) and
:func:`compose`, which every result's ``explore`` is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import folium
import geopandas as gpd

from geoplan.maps._map import (
    LayerOrBounds,
    add_polygons,
    finish,
    lang_of,
    new_map,
    to_html,  # noqa: F401 (the doctests use it)
)

__all__ = ["MapContext", "add_context", "compose"]


_CONTEXT_NAMES = {
    "zh": {"boundary": "县界", "townships": "乡镇界", "name": "乡镇"},
    "en": {"boundary": "County boundary", "townships": "Townships", "name": "Township"},
}


def add_context(
    m: folium.Map,
    *,
    boundary: gpd.GeoDataFrame | gpd.GeoSeries | None = None,
    townships: gpd.GeoDataFrame | None = None,
) -> None:
    """Draw the county boundary and township outlines for orientation (beneath what follows).

    Every geoplan map that shows an analysis draws these first, in the same style: the
    boundary as a dark outline, townships as thin grey outlines with their names written on
    the map (each from the zoom at which it fits) and as tooltips.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> towns = gpd.GeoDataFrame({"name": ["城关镇", "东坝乡"]}, geometry=[
    ...     shapely.box(0, 0, 1000, 1000), shapely.box(1000, 0, 2000, 1000)], crs=4547)
    >>> m = new_map(towns, lang="en")
    >>> add_context(m, boundary=towns.dissolve(), townships=towns)
    >>> "Townships" in to_html(finish(m))
    True
    """
    names = _CONTEXT_NAMES[lang_of(m)]
    if townships is not None and len(townships):
        has_name = "name" in townships.columns
        tip = {"name": names["name"]} if has_name else None
        add_polygons(m, townships, name=names["townships"], color="#666666", fill_opacity=0.03,
                     weight=1.5, tooltip=tip, label="name" if has_name else None)  # fmt: skip
    if boundary is not None and len(boundary):
        add_polygons(m, boundary, name=names["boundary"], color="#333333", fill_opacity=0.0,
                     weight=2.5)  # fmt: skip


@dataclass(frozen=True, eq=False)
class MapContext:
    """What a map of an analysis draws under it for orientation: the county's boundary and
    its township outlines (with their names). Give it to a result's ``explore(context=…)`` or
    ``to_files(…, context=…)``; :func:`geoplan.runs.map_context` makes it from a county.

    Examples
    --------
    >>> import geopandas as gpd, shapely
    >>> towns = gpd.GeoDataFrame({"name": ["城关镇"]}, geometry=[shapely.box(0, 0, 900, 900)],
    ...                          crs=4547)
    >>> ctx = MapContext(boundary=towns, townships=towns)
    >>> m = compose(None, extent=[], context=ctx)
    >>> "乡镇界" in to_html(m) and "城关镇" in to_html(m)
    True
    """

    boundary: gpd.GeoDataFrame | gpd.GeoSeries | None = None
    townships: gpd.GeoDataFrame | None = None

    def draw(self, m: folium.Map) -> None:
        """Draw the outlines on ``m`` (:func:`add_context`)."""
        add_context(m, boundary=self.boundary, townships=self.townships)


class _Drawable(Protocol):
    def add_to_map(self, m: folium.Map) -> None: ...


def compose(
    result: _Drawable | None,
    *,
    extent: Sequence[LayerOrBounds],
    context: MapContext | None = None,
    **options: Any,
) -> folium.Map:
    """A finished map of a result: framed on the county (the context's boundary) or else on
    ``extent``, the context's outlines first, then the result's own layers (``add_to_map``).

    Every result's ``explore`` is this; ``options`` go to :func:`new_map` (``lang``,
    ``tiles``, ``title``, ``height`` …).
    """
    frame: list[LayerOrBounds] = []
    if context is not None and context.boundary is not None and len(context.boundary):
        frame.append(context.boundary)
    m = new_map(*(frame or extent), **options)
    if context is not None:
        context.draw(m)
    if result is not None:
        result.add_to_map(m)
    return finish(m)
