"""Read road ways into flat arrays: OSM files through pyosmium, line layers through shapely.

Both readers return :class:`RawWays`: runs of consecutive nodes (one OSM way, or the part of it
whose nodes are all present in a clipped extract) with node ids and coordinates per position,
and one row of tags per run. ``geoplan.network._graph.build_topology`` turns that into a graph.
"""

from __future__ import annotations

import logging
from array import array
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geoplan.errors import InputError
from geoplan.network._roadclass import excluded_by_access

__all__ = ["TAG_COLUMNS", "RawWays", "lines_to_ways", "read_osm_ways"]

logger = logging.getLogger(__name__)

#: way tags kept per run (the line-layer reader fills the same columns).
TAG_COLUMNS = ("highway", "ref", "name", "oneway", "maxspeed", "junction")

_WKB_CHUNK = 20_000  # ways per WKB parsing chunk (bounds the memory held as hex text)
_UNDEFINED_COORD = 2147483647  # osmium's undefined coordinate (int32 max)
_COORD_PRECISION = 1e7  # osmium stores degrees x 10^7 as integers


@dataclass
class RawWays:
    """Runs of road nodes, flat: run ``r`` covers positions ``ptr[r]:ptr[r + 1]``.

    ``node_id`` identifies a node (OSM id, or a coordinate key for line layers); ``x``/``y``
    are in ``crs``. ``tags`` has one row per run: ``osmid`` plus :data:`TAG_COLUMNS`.
    """

    ptr: np.ndarray
    node_id: np.ndarray
    x: np.ndarray
    y: np.ndarray
    tags: pd.DataFrame
    crs: Any
    junction_nodes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    ways_read: int = 0
    ways_kept: int = 0
    excluded: Counter[str] = field(default_factory=Counter)
    ways_cut: int = 0
    missing_node_refs: int = 0
    runs_dropped: int = 0
    unnoded_ends: int = 0


class _Stream:
    """One growable set of runs: node ids, and either WKB hex strings or fixed-point x/y."""

    def __init__(self) -> None:
        self.ids = array("q")
        self.ptr = array("q", [0])
        self.tags: list[list[str | None]] = []
        self.wkb: list[str] = []  # pending WKB (hex), parsed in chunks into ``xy``
        self.wkb_ways = 0  # ways whose WKB has been parsed already
        self.xy: list[np.ndarray] = []
        self.xs = array("q")
        self.ys = array("q")


class _Collector:
    """Accumulates kept ways from pyosmium into growable arrays.

    Complete ways (every node present) take a fast path: node ids are read through pyosmium's
    node list directly and coordinates come from osmium's C++ WKB factory in one string per way.
    Ways with missing nodes (clipped extracts) are cut into runs of present nodes node by node.
    """

    def __init__(self, highways: frozenset[str]) -> None:
        import osmium.geom

        self.highways = highways
        self.fast = _Stream()
        self.slow = _Stream()
        self.junctions = array("q")
        self.ways_read = 0
        self.ways_kept = 0
        self.excluded: Counter[str] = Counter()
        self.ways_cut = 0
        self.missing = 0
        self.runs_dropped = 0
        self._wkb = osmium.geom.WKBFactory()
        self._all_nodes = osmium.geom.use_nodes.ALL
        self._invalid = osmium.InvalidLocationError

    def way(self, w: Any) -> None:
        tags = w.tags
        hw = tags.get("highway")
        self.ways_read += 1
        if hw not in self.highways:
            self.excluded[f"highway={hw}"] += 1
            return
        if tags.get("area") == "yes":
            self.excluded["area=yes"] += 1
            return
        if excluded_by_access(tags.get("access"), tags.get("motor_vehicle"), tags.get("motorcar")):
            self.excluded["access closed to cars"] += 1
            return
        self.ways_kept += 1
        row = [str(w.id), hw, *(tags.get(k) for k in TAG_COLUMNS[1:])]
        nodes = w.nodes
        try:
            wkb = self._wkb.create_linestring(w, self._all_nodes)
        except (self._invalid, RuntimeError):
            wkb = None
        if wkb is not None:
            fast = self.fast
            try:  # pyosmium internals: ~4x faster than iterating NodeRef objects
                get, data = nodes._list.get, nodes._pyosmium_data
                fast.ids.extend([get(data, i).ref for i in range(nodes._list.size(data))])
            except AttributeError:  # pragma: no cover - other pyosmium versions
                fast.ids.extend([n.ref for n in nodes])
            fast.ptr.append(len(fast.ids))
            fast.wkb.append(wkb)
            if len(fast.wkb) >= _WKB_CHUNK:
                _flush_wkb(fast)
            fast.tags.append(row)
            return
        refs = [n.ref for n in nodes]
        xs = [n.x for n in nodes]
        ys = [n.y for n in nodes]
        runs: list[tuple[int, int]] = []
        start = -1
        for i, x in enumerate(xs):
            if x == _UNDEFINED_COORD:
                self.missing += 1
                if start >= 0:
                    runs.append((start, i))
                    start = -1
            elif start < 0:
                start = i
        if start >= 0:
            runs.append((start, len(xs)))
        if len(runs) != 1 or runs[0] != (0, len(xs)):
            self.ways_cut += 1
        slow = self.slow
        for a, b in runs:
            if b - a < 2:
                self.runs_dropped += 1
                continue
            slow.ids.extend(refs[a:b])
            slow.xs.extend(xs[a:b])
            slow.ys.extend(ys[a:b])
            slow.ptr.append(len(slow.ids))
            slow.tags.append(row)

    def finish(self) -> RawWays:
        fast, slow = self.fast, self.slow
        _flush_wkb(fast)
        f_ptr = np.frombuffer(fast.ptr, dtype=np.int64)
        f_xy = np.concatenate(fast.xy) if fast.xy else np.empty((0, 2))
        f_x, f_y = f_xy[:, 0], f_xy[:, 1]
        fast.xy = []
        s_ptr = np.frombuffer(slow.ptr, dtype=np.int64)
        tags = pd.DataFrame(fast.tags + slow.tags, columns=["osmid", *TAG_COLUMNS], dtype="object")
        tags["osmid"] = tags["osmid"].astype("int64")
        return RawWays(
            ptr=np.concatenate([f_ptr, s_ptr[1:] + f_ptr[-1]]),
            node_id=np.concatenate(
                [np.frombuffer(fast.ids, dtype=np.int64), np.frombuffer(slow.ids, dtype=np.int64)]
            ),
            x=np.concatenate([f_x, np.frombuffer(slow.xs, dtype=np.int64) / _COORD_PRECISION]),
            y=np.concatenate([f_y, np.frombuffer(slow.ys, dtype=np.int64) / _COORD_PRECISION]),
            tags=tags,
            crs="EPSG:4326",
            junction_nodes=np.unique(np.frombuffer(self.junctions, dtype=np.int64)),
            ways_read=self.ways_read,
            ways_kept=self.ways_kept,
            excluded=self.excluded,
            ways_cut=self.ways_cut,
            missing_node_refs=self.missing,
            runs_dropped=self.runs_dropped,
        )


def _flush_wkb(stream: _Stream) -> None:
    """Parse the pending WKB strings of ``stream`` into its coordinate chunks."""
    if not stream.wkb:
        return
    ptr = np.frombuffer(stream.ptr, dtype=np.int64)
    counts = np.diff(ptr[stream.wkb_ways : stream.wkb_ways + len(stream.wkb) + 1])
    x, y = _wkb_coords("".join(stream.wkb), counts)
    stream.xy.append(np.column_stack([x, y]))
    stream.wkb_ways += len(stream.wkb)
    stream.wkb = []


def _wkb_coords(hex_wkb: str, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates of concatenated 2D WKB linestrings with ``counts`` points each."""
    if not len(counts):
        return np.empty(0), np.empty(0)
    raw = np.frombuffer(bytes.fromhex(hex_wkb), dtype=np.uint8)
    sizes = 9 + 16 * counts
    starts = np.cumsum(sizes) - sizes
    if len(raw) != int(sizes.sum()) or np.any(raw[starts] != 1):
        raise RuntimeError("unexpected WKB layout from osmium")  # pragma: no cover
    keep = np.ones(len(raw), dtype=bool)
    keep[(starts[:, None] + np.arange(9)).ravel()] = False
    xy = raw[keep].view("<f8").reshape(-1, 2)
    return xy[:, 0].copy(), xy[:, 1].copy()


def read_osm_ways(path: str | Path, highways: frozenset[str]) -> RawWays:
    """Stream an ``.osm.pbf`` / ``.osm`` (XML) file with pyosmium into :class:`RawWays`.

    Only ways with a ``highway`` tag reach Python (pyosmium's key filter); node locations come
    from pyosmium's in-memory location index. Nodes tagged ``highway=motorway_junction`` are
    collected as motorway entrances.
    """
    import osmium

    path = Path(path)
    col = _Collector(highways)
    try:
        fp = (
            osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(osmium.filter.KeyFilter("highway"))
        )
        for obj in fp:
            if isinstance(obj, osmium.osm.Way):
                col.way(obj)
            elif (
                isinstance(obj, osmium.osm.Node) and obj.tags.get("highway") == "motorway_junction"
            ):
                col.junctions.append(obj.id)
    except RuntimeError as exc:  # osmium reports unreadable files as RuntimeError
        raise InputError(
            f"Cannot read {path} as an OpenStreetMap file ({exc}). Expected an .osm.pbf or .osm "
            "(XML) extract, e.g. from Geofabrik or exported with osmium."
        ) from exc
    return col.finish()


def lines_to_ways(gdf: Any, highways: frozenset[str], *, decimals: int = 3) -> RawWays:
    """Turn a projected line GeoDataFrame (columns highway, ref, oneway, maxspeed, name) into runs.

    Lines are exploded to single parts; vertices are identified by their coordinates rounded to
    ``decimals`` places of the CRS unit (1 mm in a metric CRS), so lines that share an endpoint
    **or any vertex** are joined there. Lines that cross without a shared vertex (bridges,
    tunnels, or undigitised junctions) are not joined.
    """
    if "highway" not in gdf.columns:
        raise InputError(
            "The roads layer has no 'highway' column (road class). Expected OSM-style values "
            "(motorway, trunk, primary, secondary, tertiary, unclassified, residential, service); "
            "map your class field to 'highway' (aliases: fclass, 道路等级, DLDJ)."
        )
    n_in = len(gdf)
    hw = gdf["highway"].astype("object")
    hw = hw.where(hw.notna(), None)
    keep = hw.isin(highways).to_numpy()
    excluded: Counter[str] = Counter(f"highway={v}" for v in hw[~keep])
    if "access" in gdf.columns:
        acc = gdf["access"].astype("object")
        closed = acc.isin(["no", "private"]).to_numpy() & keep
        if closed.any():
            excluded["access closed to cars"] += int(closed.sum())
            keep &= ~closed
    geoms = gdf.geometry.to_numpy()[keep]
    rows = np.flatnonzero(keep)
    empty = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if empty.any():
        excluded["empty geometry"] += int(empty.sum())
        geoms, rows = geoms[~empty], rows[~empty]
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    kinds = shapely.get_type_id(parts)
    bad = kinds != shapely.GeometryType.LINESTRING
    if bad.any():
        excluded["not a line"] += int(bad.sum())
        parts, part_of = parts[~bad], part_of[~bad]
    coords, coord_of = shapely.get_coordinates(parts, return_index=True)
    # drop repeated consecutive vertices within a part
    same = np.zeros(len(coords), dtype=bool)
    if len(coords) > 1:
        same[1:] = (coord_of[1:] == coord_of[:-1]) & np.all(coords[1:] == coords[:-1], axis=1)
    coords, coord_of = coords[~same], coord_of[~same]
    counts = np.bincount(coord_of, minlength=len(parts))
    short = counts < 2
    runs_dropped = int(short.sum())
    keep_pos = ~short[coord_of]
    coords, coord_of = coords[keep_pos], coord_of[keep_pos]
    part_keep = np.flatnonzero(~short)
    ptr = np.zeros(len(part_keep) + 1, dtype=np.int64)
    ptr[1:] = np.cumsum(counts[part_keep])
    key = np.round(coords, decimals)
    _, node_id, uses = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    node_id = node_id.ravel()
    unnoded = _unnoded_ends(parts[part_keep], ptr, coords, uses[node_id], 10.0**-decimals)
    src_rows = rows[part_of[part_keep]]
    tags = pd.DataFrame({"osmid": src_rows.astype(np.int64)})
    for col in TAG_COLUMNS:
        if col in gdf.columns:
            values = gdf[col].to_numpy(dtype=object)[src_rows]
            tags[col] = pd.Series(values, dtype="object").where(pd.notna(values), None)
        else:
            tags[col] = pd.Series([None] * len(src_rows), dtype="object")
    for col in ("highway", "ref", "name", "oneway", "maxspeed", "junction"):
        tags[col] = tags[col].map(lambda v: v if v is None else str(v))
    return RawWays(
        ptr=ptr,
        node_id=node_id.astype(np.int64),
        x=coords[:, 0].copy(),
        y=coords[:, 1].copy(),
        tags=tags,
        crs=gdf.crs,
        ways_read=n_in,
        ways_kept=int(len(np.unique(src_rows))),
        excluded=excluded,
        runs_dropped=runs_dropped,
        unnoded_ends=unnoded,
    )


def _unnoded_ends(
    lines: np.ndarray, ptr: np.ndarray, coords: np.ndarray, uses: np.ndarray, tol: float
) -> int:
    """Line ends that lie on another line without sharing a vertex with it (an undigitised
    T-junction): those roads are not joined, so they are counted for the report."""
    ends = np.unique(np.concatenate([ptr[:-1], ptr[1:] - 1]))
    ends = ends[uses[ends] == 1]  # a shared end is a junction already
    if len(ends) == 0:
        return 0
    own = np.searchsorted(ptr, ends, side="right") - 1
    pts = shapely.points(coords[ends])
    end_i, line_i = shapely.STRtree(lines).query(pts, predicate="dwithin", distance=tol)
    return int(len(np.unique(end_i[line_i != own[end_i]])))


def osm_road_lines(path: str | Path, *, network: str = "all") -> gpd.GeoDataFrame:
    """The highway ways of an OpenStreetMap extract as a line layer in WGS 84 (one line per run
    of present nodes), with ``osm_id`` and :data:`TAG_COLUMNS` — the roads *layer* of a county
    whose roads are an OSM file (the overview and its map; :func:`road_network` builds the
    routable network).

    Any file pyosmium reads: ``.osm.pbf``, ``.osm``, ``.osm.bz2``, ``.osm.gz``, ``.o5m``.
    """
    from geoplan.network._roadclass import network_highways

    raw = read_osm_ways(path, network_highways(network))
    runs = len(raw.ptr) - 1
    counts = np.diff(raw.ptr)
    coords = np.column_stack([raw.x, raw.y])
    geoms = shapely.linestrings(coords, indices=np.repeat(np.arange(runs), counts))
    tags = raw.tags.reset_index(drop=True).rename(columns={"osmid": "osm_id"})
    cols = {c: tags[c].astype("string") for c in TAG_COLUMNS if c in tags.columns}
    return gpd.GeoDataFrame(
        {"osm_id": tags["osm_id"].to_numpy(), **cols}, geometry=geoms, crs=raw.crs
    )
