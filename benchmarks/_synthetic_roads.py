"""A grid-like synthetic county road network written as an OSM PBF, plus park polygons.

Used by ``bench_network``: rows and columns of streets (with shape points, random gaps, one-ways,
assorted maxspeed strings), trunk (G) and provincial (S) roads every few rows/columns, and a
dual-carriageway motorway with interchanges (motorway_junction + motorway_link). The file is
written by ``geoplan.datasets.write_osm`` (pyosmium).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.datasets import write_osm

LON0, LAT0 = 113.5, 34.5  # Henan
M_PER_DEG = 111_320.0

_SPEEDS = ["40", "60 km/h", "30 mph", "CN:urban", "signals", "50;60"]


@dataclass
class Synthetic:
    path: Path
    parks: gpd.GeoDataFrame
    nodes: int
    ways: int
    size_mb: float


def _to_lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = LAT0 + y / M_PER_DEG
    lon = LON0 + x / (M_PER_DEG * math.cos(math.radians(LAT0)))
    return lon, lat


def make_network(
    path: Path, *, n: int, shape: int = 2, spacing: float = 250.0, parks: int = 60, seed: int = 0
) -> Synthetic:
    """Write an ``n`` x ``n`` street grid (``shape`` extra vertices per block) to ``path``."""
    rng = np.random.default_rng(seed)
    gx, gy = np.meshgrid(np.arange(n) * spacing, np.arange(n) * spacing)
    gx = gx + rng.uniform(-0.15, 0.15, gx.shape) * spacing
    gy = gy + rng.uniform(-0.15, 0.15, gy.shape) * spacing
    grid_id = np.arange(1, n * n + 1).reshape(n, n)
    xs: list[np.ndarray] = [gx.ravel()]
    ys: list[np.ndarray] = [gy.ravel()]
    next_id = n * n + 1

    def new_nodes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        nonlocal next_id
        ids = np.arange(next_id, next_id + len(x))
        next_id += len(x)
        xs.append(np.asarray(x, float))
        ys.append(np.asarray(y, float))
        return ids

    def segment_nodes(a: tuple[int, int], b: tuple[int, int], k: int) -> list[int]:
        """Shape nodes strictly between grid nodes a and b (created now)."""
        if k == 0:
            return []
        t = np.arange(1, k + 1) / (k + 1)
        x = gx[a] + (gx[b] - gx[a]) * t + rng.normal(0, spacing * 0.03, k)
        y = gy[a] + (gy[b] - gy[a]) * t + rng.normal(0, spacing * 0.03, k)
        return new_nodes(x, y).tolist()

    ways: list[tuple[list[int], dict[str, str]]] = []
    junctions: list[int] = []

    def line_class(i: int, axis: str) -> tuple[str, str | None]:
        if i % 60 == 30:
            return "trunk", f"G{100 + i}"
        if i % 30 == 15:
            return "primary", f"S{200 + i}"
        if i % 5 == 0:
            return "secondary", f"X{i:03d}"
        return "", None

    for axis in ("row", "col"):
        for i in range(n):
            hw, ref = line_class(i, axis)
            keep = rng.random(n - 1) > (0.0 if hw else 0.07)
            j = 0
            while j < n - 1:
                if not keep[j]:
                    j += 1
                    continue
                length = int(rng.integers(1, 6))
                end = j
                while end < n - 1 and keep[end] and end - j < length:
                    end += 1
                ids: list[int] = []
                for k in range(j, end):
                    a, b = ((i, k), (i, k + 1)) if axis == "row" else ((k, i), (k + 1, i))
                    if not ids:
                        ids.append(int(grid_id[a]))
                    ids.extend(segment_nodes(a, b, shape))
                    ids.append(int(grid_id[b]))
                tags = {
                    "highway": hw or str(rng.choice(["residential", "tertiary", "unclassified"]))
                }
                if ref:
                    tags["ref"] = ref
                r = rng.random()
                if not hw and r < 0.08:
                    tags["oneway"] = "yes"
                elif not hw and r < 0.10:
                    tags["oneway"] = "-1"
                if rng.random() < 0.3:
                    tags["maxspeed"] = str(rng.choice(_SPEEDS))
                ways.append((ids, tags))
                j = end
    # a dual-carriageway motorway between two rows, interchanges every 25 columns
    im = n // 3
    ym = (gy[im].mean() + gy[im + 1].mean()) / 2
    cols = np.arange(n) * spacing
    east = new_nodes(cols, np.full(n, ym - 15.0))
    west = new_nodes(cols, np.full(n, ym + 15.0))
    for chain in (east.tolist(), west.tolist()[::-1]):
        for s in range(0, n - 1, 10):
            ways.append((chain[s : s + 11], {"highway": "motorway", "ref": "G4"}))
    for j in range(12, n - 1, 25):
        junctions += [int(east[j - 1]), int(west[j + 1])]
        ways.append(([int(east[j - 1]), int(grid_id[im, j])], {"highway": "motorway_link"}))
        ways.append(([int(grid_id[im, j]), int(east[j + 1])], {"highway": "motorway_link"}))
        ways.append(([int(west[j + 1]), int(grid_id[im + 1, j])], {"highway": "motorway_link"}))
        ways.append(([int(grid_id[im + 1, j]), int(west[j - 1])], {"highway": "motorway_link"}))
    x, y = np.concatenate(xs), np.concatenate(ys)
    lon, lat = _to_lonlat(x, y)
    tags = np.full(len(x), None, dtype=object)
    tags[np.asarray(junctions) - 1] = [{"highway": "motorway_junction"}] * len(junctions)
    nodes = pd.DataFrame({"id": np.arange(1, len(x) + 1), "lon": np.round(lon, 7),
                          "lat": np.round(lat, 7), "tags": tags})  # fmt: skip
    way_table = pd.DataFrame(
        {"id": np.arange(1, len(ways) + 1), "nodes": [w[0] for w in ways],
         "tags": [w[1] for w in ways]}
    )  # fmt: skip
    write_osm(nodes, way_table, path)
    side = n * spacing
    cx = rng.uniform(0.05, 0.95, parks) * side
    cy = rng.uniform(0.05, 0.95, parks) * side
    w = rng.uniform(300, 1200, parks)
    h = rng.uniform(300, 1200, parks)
    boxes = shapely.box(cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
    coords = shapely.get_coordinates(boxes)
    lon_b, lat_b = _to_lonlat(coords[:, 0], coords[:, 1])
    polys = shapely.set_coordinates(boxes.copy(), np.column_stack([lon_b, lat_b]))
    park_frame = gpd.GeoDataFrame(
        {"park_id": [f"P{i + 1:03d}" for i in range(parks)]}, geometry=polys, crs=4326
    )
    return Synthetic(path, park_frame, len(x), len(ways), path.stat().st_size / 1e6)
