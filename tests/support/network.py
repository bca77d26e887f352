"""Small road inputs in code: OSM XML documents and line layers near (113.5°E, 34.5°N)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

LON0, LAT0 = 113.5, 34.5


M_PER_DEG = 111_320.0


def lonlat(x: float, y: float) -> tuple[float, float]:
    """Roughly metric offsets (m) from a point in Henan to lon/lat (7 decimals, as in OSM)."""
    lon = LON0 + x / (M_PER_DEG * np.cos(np.radians(LAT0)))
    return round(float(lon), 7), round(LAT0 + y / M_PER_DEG, 7)


def osm_xml(
    nodes: dict[int, tuple[float, float] | tuple[float, float, dict[str, str]]],
    ways: list[tuple[int, list[int], dict[str, str]]],
) -> str:
    """A small .osm XML document; node coordinates in metres from (LON0, LAT0)."""
    out = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for nid, spec in sorted(nodes.items()):
        lon, lat = lonlat(spec[0], spec[1])
        tags = spec[2] if len(spec) == 3 else {}  # type: ignore[misc]
        inner = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        out.append(f'<node id="{nid}" version="1" lat="{lat:.7f}" lon="{lon:.7f}">{inner}</node>')
    for wid, refs, tags in ways:
        nds = "".join(f'<nd ref="{r}"/>' for r in refs)
        tg = "".join(f'<tag k="{k}" v="{v}"/>' for k, v in tags.items())
        out.append(f'<way id="{wid}" version="1">{nds}{tg}</way>')
    out.append("</osm>")
    return "\n".join(out)


def lines(specs: list[tuple[list[tuple[float, float]], dict[str, str | None]]], crs: int = 4547):
    rows = [dict(tags) for _, tags in specs]
    keys = sorted({k for r in rows for k in r})
    return gpd.GeoDataFrame(
        {k: [r.get(k) for r in rows] for k in keys},
        geometry=[shapely.LineString(c) for c, _ in specs],
        crs=crs,
    )
