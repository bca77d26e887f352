"""Shared geometry helpers: keeping the parts of one kind from mixed GEOS results.

Overlays, repairs and clips in GEOS may return GeometryCollections (a polygon result with a
stray line or point where two edges touched). Every part of geoplan that needs "the polygonal
part" (or the lines, or the points) of such results uses these, vectorised over arrays.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt
import shapely

__all__ = ["Kind", "parts_of_kind", "polygonal"]

Kind = Literal["polygon", "line", "point"]
GeomArray = npt.NDArray[np.object_]

_TYPE_IDS: dict[str, tuple[int, int]] = {"polygon": (3, 6), "line": (1, 5), "point": (0, 4)}
_COLLECT = {"polygon": shapely.multipolygons, "line": shapely.multilinestrings,
            "point": shapely.multipoints}  # fmt: skip


def parts_of_kind(geoms: npt.ArrayLike, kind: Kind) -> GeomArray:
    """Each geometry reduced to its parts of one kind; None where it has none.

    Geometries already of that kind (single or multi) are returned as they are; collections
    (nested ones too) keep the parts of that kind as one multi-geometry (a single part stays
    single). The parts are not unioned: they come from one GEOS result, which never overlaps
    itself.

    Examples
    --------
    >>> mixed = shapely.GeometryCollection([shapely.box(0, 0, 1, 1),
    ...                                     shapely.LineString([(1, 0), (2, 0)])])
    >>> [g.geom_type if g is not None else None
    ...  for g in parts_of_kind([mixed, shapely.Point(0, 0)], "polygon")]
    ['Polygon', None]
    """
    geoms = np.asarray(geoms, dtype=object)
    wanted = _TYPE_IDS[kind]
    out = np.full(len(geoms), None, dtype=object)
    ids = shapely.get_type_id(geoms)
    same = np.isin(ids, wanted)
    out[same] = geoms[same]
    odd = np.flatnonzero(~same & (ids == 7))  # GeometryCollections
    if len(odd):
        parts, owner = shapely.get_parts(geoms[odd], return_index=True)
        parts, sub = shapely.get_parts(parts, return_index=True)  # collections of multis
        owner = owner[sub]
        keep = shapely.get_type_id(parts) == wanted[0]
        fixed = np.full(len(odd), None, dtype=object)
        if keep.any():
            _COLLECT[kind](parts[keep], indices=owner[keep], out=fixed)
            single = np.bincount(owner[keep], minlength=len(odd)) == 1
            first = {int(o): p for o, p in zip(owner[keep], parts[keep], strict=True)}
            for k in np.flatnonzero(single):
                fixed[k] = first[int(k)]
        out[odd] = fixed
    return out


def polygonal(geoms: npt.ArrayLike, *, merge: bool = False) -> GeomArray:
    """Keep only the polygonal parts of overlay results; an empty polygon where there are none
    (and for missing geometries).

    With ``merge`` the polygonal parts of a collection are unioned, so parts that share an edge
    become one polygon (the synthetic-county generator relies on that to keep parcels whole).

    Examples
    --------
    >>> line = shapely.LineString([(0, 0), (1, 0)])
    >>> mixed = shapely.GeometryCollection([shapely.box(0, 0, 2, 1), line])
    >>> [g.wkt for g in polygonal([mixed, line, None])]
    ['POLYGON ((2 0, 2 1, 0 1, 0 0, 2 0))', 'POLYGON EMPTY', 'POLYGON EMPTY']
    >>> halves = shapely.GeometryCollection([shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), line])
    >>> polygonal([halves])[0].geom_type, polygonal([halves], merge=True)[0].geom_type
    ('MultiPolygon', 'Polygon')
    """
    geoms = np.asarray(geoms, dtype=object)
    out = parts_of_kind(geoms, "polygon")
    if merge:  # union each collection's own polygonal parts (in their order)
        for k in np.flatnonzero((shapely.get_type_id(geoms) == 7) & ~shapely.is_missing(out)):
            parts = shapely.get_parts(geoms[k])
            out[k] = shapely.union_all(parts[np.isin(shapely.get_type_id(parts), (3, 6))])
    out[shapely.is_missing(out)] = shapely.Polygon()
    return out
