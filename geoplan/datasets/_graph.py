"""Synthetic county, road graph plumbing: a node/way builder, vectorised noding, OSM tables/files.

Lines are sequences of node ids into one coordinate table. ``node_lines`` inserts a shared node
wherever two lines of the same noding group cross (at-grade junctions); lines in group -1
(motorways, links, railways, rivers) are never noded: they cross on bridges.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS, Transformer

__all__ = ["RoadBuilder", "node_lines", "osm_tables", "write_osm"]


class RoadBuilder:
    """Collect nodes (metric x/y) and lines (node-id arrays with OSM tags and a noding group)."""

    def __init__(self) -> None:
        self._chunks: list[np.ndarray] = []
        self._xy: np.ndarray = np.empty((0, 2))
        self.n_nodes = 0
        self.lines: list[np.ndarray] = []
        self.tags: list[dict[str, str]] = []
        self.groups: list[int] = []
        self.node_tags: dict[int, dict[str, str]] = {}

    @property
    def xy(self) -> np.ndarray:
        if self._chunks:
            self._xy = np.vstack([self._xy, *self._chunks])
            self._chunks = []
        return self._xy

    def add_nodes(self, xy: np.ndarray) -> np.ndarray:
        xy = np.asarray(xy, dtype=float).reshape(-1, 2)
        ids = np.arange(self.n_nodes, self.n_nodes + len(xy))
        self._chunks.append(xy)
        self.n_nodes += len(xy)
        return ids

    def add_line(self, ids: np.ndarray, tags: dict[str, str], group: int = 0) -> int:
        ids = np.asarray(ids, dtype=np.int64)
        keep = np.ones(len(ids), bool)
        keep[1:] = ids[1:] != ids[:-1]
        ids = ids[keep]
        if len(ids) < 2:
            return -1
        self.lines.append(ids)
        self.tags.append(tags)
        self.groups.append(group)
        return len(self.lines) - 1

    def add_polyline(
        self,
        xy: np.ndarray,
        tags: dict[str, str],
        group: int = 0,
        *,
        start: int | None = None,
        end: int | None = None,
        chunk: int = 0,
    ) -> np.ndarray:
        """Add a line through ``xy``; ``start``/``end`` reuse existing node ids for its ends.

        With ``chunk`` > 0 the line is split into ways of at most ``chunk`` segments that share
        their end nodes (as OSM ways usually are). Returns the node ids used.
        """
        xy = np.asarray(xy, dtype=float)
        ids = np.empty(len(xy), dtype=np.int64)
        lo = 1 if start is not None else 0
        hi = len(xy) - 1 if end is not None else len(xy)
        ids[lo:hi] = self.add_nodes(xy[lo:hi])
        if start is not None:
            ids[0] = start
        if end is not None:
            ids[-1] = end
        if chunk and len(ids) - 1 > chunk:
            for s in range(0, len(ids) - 1, chunk):
                self.add_line(ids[s : s + chunk + 1], dict(tags), group)
        else:
            self.add_line(ids, tags, group)
        return ids

    def node(self, eps: float = 0.01) -> int:
        """Insert shared nodes at crossings; returns the number of junctions made."""
        xy, lines, made = node_lines(self.xy, self.lines, np.asarray(self.groups), eps=eps)
        self._xy, self._chunks, self.lines = xy, [], lines
        self.n_nodes = len(xy)
        return made

    def geometries(self) -> np.ndarray:
        """The lines as shapely LineStrings (metric)."""
        xy = self.xy
        return np.array([shapely.linestrings(xy[ln]) for ln in self.lines], dtype=object)

    def directed_edges(self) -> int:
        """Directed node-to-node edges of the highway ways (oneway counted once)."""
        n = 0
        for ln, t in zip(self.lines, self.tags, strict=True):
            if "highway" not in t:
                continue
            one = t.get("oneway") in ("yes", "-1") or t["highway"] in ("motorway", "motorway_link")
            n += (len(ln) - 1) * (1 if one else 2)
        return n


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]


def node_lines(
    xy: np.ndarray, lines: list[np.ndarray], groups: np.ndarray, *, eps: float = 0.01
) -> tuple[np.ndarray, list[np.ndarray], int]:
    """Insert a shared node where two lines of the same group (>= 0) cross or touch.

    A crossing within ``eps`` metres of an existing vertex of either line reuses that vertex
    (T-junctions). Vectorised: segment STRtree pairs, then parametric intersection in numpy.
    """
    lens = np.array([len(ln) for ln in lines])
    seg_line = np.repeat(np.arange(len(lines)), lens - 1)
    a = np.concatenate([ln[:-1] for ln in lines])
    b = np.concatenate([ln[1:] for ln in lines])
    seg_pos = np.concatenate([np.arange(n - 1) for n in lens])
    act = np.flatnonzero(groups[seg_line] >= 0)
    segs = shapely.linestrings(np.stack([xy[a[act]], xy[b[act]]], axis=1))
    tree = shapely.STRtree(segs)
    qi, qj = tree.query(segs, predicate="dwithin", distance=eps)
    i, j = act[qi], act[qj]
    m = (i < j) & (seg_line[i] != seg_line[j]) & (groups[seg_line[i]] == groups[seg_line[j]])
    m &= (a[i] != a[j]) & (a[i] != b[j]) & (b[i] != a[j]) & (b[i] != b[j])
    i, j = i[m], j[m]
    p, r = xy[a[i]], xy[b[i]] - xy[a[i]]
    q, s = xy[a[j]], xy[b[j]] - xy[a[j]]
    den = _cross(r, s)
    lr, ls = np.linalg.norm(r, axis=1), np.linalg.norm(s, axis=1)
    ok = np.abs(den) > 1e-9 * lr * ls
    den = np.where(ok, den, 1.0)
    t = _cross(q - p, s) / den
    u = _cross(q - p, r) / den
    tt, tu = eps / np.maximum(lr, 1e-9), eps / np.maximum(ls, 1e-9)
    ok &= (t >= -tt) & (t <= 1 + tt) & (u >= -tu) & (u <= 1 + tu)
    i, j, t, u, tt, tu, p, r = i[ok], j[ok], t[ok], u[ok], tt[ok], tu[ok], p[ok], r[ok]
    node = np.full(len(i), -1, dtype=np.int64)
    node = np.where(t <= tt, a[i], node)
    node = np.where((node < 0) & (t >= 1 - tt), b[i], node)
    node = np.where((node < 0) & (u <= tu), a[j], node)
    node = np.where((node < 0) & (u >= 1 - tu), b[j], node)
    new = node < 0
    n0 = len(xy)
    node[new] = n0 + np.arange(int(new.sum()))
    xy2 = np.vstack([xy, p[new] + t[new, None] * r[new]])
    ins_i = (node != a[i]) & (node != b[i])
    ins_j = (node != a[j]) & (node != b[j])
    # both ends already own (different) vertices there: leave them apart (rare)
    both = ins_i & ins_j & ~new
    ins_i &= ~both
    ins_j &= ~both
    e_line = np.concatenate([seg_line[i][ins_i], seg_line[j][ins_j]])
    e_pos = np.concatenate(
        [seg_pos[i][ins_i] + np.clip(t[ins_i], 0, 1), seg_pos[j][ins_j] + np.clip(u[ins_j], 0, 1)]
    )
    e_node = np.concatenate([node[ins_i], node[ins_j]])
    o_line = np.repeat(np.arange(len(lines)), lens)
    o_pos = np.concatenate([np.arange(n, dtype=float) for n in lens])
    o_node = np.concatenate(lines)
    all_line = np.concatenate([o_line, e_line])
    all_pos = np.concatenate([o_pos, e_pos])
    all_node = np.concatenate([o_node, e_node])
    order = np.lexsort((all_pos, all_line))
    all_line, all_node = all_line[order], all_node[order]
    keep = np.ones(len(all_line), bool)
    keep[1:] = ~((all_line[1:] == all_line[:-1]) & (all_node[1:] == all_node[:-1]))
    all_line, all_node = all_line[keep], all_node[keep]
    # an inserted node may repeat a vertex further along the same line (same crossing found from
    # two segments meeting at a vertex): drop exact (line, node) duplicates among inserted ones
    cut = np.flatnonzero(np.diff(all_line)) + 1
    out = np.split(all_node, cut)
    return xy2, out, int(new.sum())


def osm_tables(
    builder: RoadBuilder, crs: CRS, *, node_id0: int = 1, way_id0: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Node and way tables in OSM form: lon/lat (EPSG:4326, 1e-7 deg), ids, tags."""
    xy = builder.xy
    used = np.unique(np.concatenate(builder.lines))
    remap = np.full(len(xy), -1, dtype=np.int64)
    remap[used] = np.arange(len(used)) + node_id0
    tr = Transformer.from_crs(crs, 4326, always_xy=True)
    lon, lat = tr.transform(xy[used, 0], xy[used, 1])
    tags = [builder.node_tags.get(int(k)) for k in used]
    nodes = pd.DataFrame(
        {"id": remap[used], "lon": np.round(lon, 7), "lat": np.round(lat, 7), "tags": tags}
    )
    ways = pd.DataFrame(
        {
            "id": np.arange(len(builder.lines), dtype=np.int64) + way_id0,
            "nodes": [remap[ln] for ln in builder.lines],
            "tags": builder.tags,
        }
    )
    return nodes, ways


def write_osm(
    nodes: pd.DataFrame, ways: pd.DataFrame, path: str | os.PathLike[str], *, overwrite: bool = True
) -> Path:
    """Write node and way tables to an OSM file (``.osm.pbf`` or ``.osm``) with pyosmium.

    ``nodes`` has columns ``id``, ``lon``, ``lat`` (EPSG:4326) and optionally ``tags`` (dict or
    None); ``ways`` has ``id``, ``nodes`` (a sequence of node ids) and ``tags`` (dict). Nodes are
    written in id order, then ways. The file is written to a temporary name and renamed.

    Parameters
    ----------
    nodes, ways
        The tables (e.g. ``SyntheticCounty.roads_nodes`` / ``roads_ways``).
    path
        Output file; the format follows the extension (``.osm.pbf``, ``.osm``, ``.osm.bz2`` …).
    overwrite
        Replace an existing file (default) or raise ``FileExistsError``.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, osmium, pandas as pd
    >>> nodes = pd.DataFrame({"id": [1, 2], "lon": [114.1, 114.2], "lat": [34.8, 34.8]})
    >>> ways = pd.DataFrame({"id": [7], "nodes": [[1, 2]], "tags": [{"highway": "trunk"}]})
    >>> out = write_osm(nodes, ways, pathlib.Path(tempfile.mkdtemp()) / "r.osm.pbf")
    >>> [o.tags["highway"] for o in osmium.FileProcessor(str(out)) if o.is_way()]
    ['trunk']
    """
    import osmium
    from osmium.osm.mutable import Node, Way

    path = Path(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite=True to replace it.")
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}{''.join(path.suffixes)}")
    tmp.unlink(missing_ok=True)
    nodes = nodes.sort_values("id")
    ntags = nodes["tags"] if "tags" in nodes.columns else [None] * len(nodes)
    writer = osmium.SimpleWriter(str(tmp))
    try:
        for nid, lon, lat, tg in zip(
            nodes["id"].to_numpy(),
            nodes["lon"].to_numpy(),
            nodes["lat"].to_numpy(),
            ntags,
            strict=True,
        ):
            writer.add_node(Node(id=int(nid), location=(float(lon), float(lat)), tags=tg or {}))
        for wid, refs, tg in zip(ways["id"].to_numpy(), ways["nodes"], ways["tags"], strict=True):
            writer.add_way(Way(id=int(wid), nodes=[int(x) for x in refs], tags=tg or {}))
    finally:
        writer.close()
    os.replace(tmp, path)
    return path


def densify_ways(
    nodes: pd.DataFrame, ways: pd.DataFrame, spacing: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Insert nodes along every way so that no segment is longer than ``spacing`` metres.

    Real OSM roads carry a node every few tens of metres; this makes the synthetic network as
    dense (and its files as large) for I/O benchmarks. New nodes are untagged and private to
    their way; ids continue after the largest existing id. Lengths use a local equirectangular
    approximation of the lon/lat (plenty for placing nodes).
    """
    if spacing <= 0:
        raise ValueError("spacing must be positive")
    pos = pd.Index(nodes["id"].to_numpy())
    lon, lat = nodes["lon"].to_numpy(), nodes["lat"].to_numpy()
    lens = np.array([len(r) for r in ways["nodes"]])
    refs = np.concatenate([np.asarray(r, dtype=np.int64) for r in ways["nodes"]])
    idx = pos.get_indexer(refs)
    last = np.zeros(len(refs), bool)
    last[np.cumsum(lens) - 1] = True
    a, b = idx[~last], idx[np.flatnonzero(~last) + 1]
    kx = 111_320.0 * np.cos(np.radians(lat[a]))
    d = np.hypot((lon[b] - lon[a]) * kx, (lat[b] - lat[a]) * 110_574.0)
    k = np.floor(d / spacing).astype(np.int64)  # points inserted per segment
    seg = np.repeat(np.arange(len(a)), k)
    j = np.arange(k.sum()) - np.repeat(np.cumsum(k) - k, k) + 1
    t = j / (k[seg] + 1)
    # sub-metre jitter, as in surveyed data (perfectly collinear nodes compress unrealistically)
    jit = np.random.default_rng(0).uniform(-2e-6, 2e-6, (len(seg), 2))
    new_lon = np.round(lon[a[seg]] + t * (lon[b[seg]] - lon[a[seg]]) + jit[:, 0], 7)
    new_lat = np.round(lat[a[seg]] + t * (lat[b[seg]] - lat[a[seg]]) + jit[:, 1], 7)
    new_id = int(nodes["id"].max()) + 1 + np.arange(len(seg), dtype=np.int64)
    # output sequence: each segment start followed by its inserts; then each way's last node
    seg_start_rank = np.cumsum(k + 1) - (k + 1)
    out_len = len(refs) + len(seg)
    out = np.empty(out_len, dtype=np.int64)
    way_of_seg = np.repeat(np.arange(len(lens)), lens - 1)
    shift = np.arange(len(lens))  # each earlier way's last node shifts later positions by one
    start_pos = seg_start_rank + shift[way_of_seg]
    out[start_pos] = refs[~last]
    out[start_pos[seg] + j] = new_id
    way_total = np.bincount(way_of_seg, weights=k + 1, minlength=len(lens)).astype(np.int64) + 1
    ends = np.cumsum(way_total) - 1
    out[ends] = refs[last]
    new_nodes = pd.DataFrame(
        {"id": new_id, "lon": new_lon, "lat": new_lat, "tags": [None] * len(new_id)}
    )
    nodes2 = pd.concat([nodes, new_nodes], ignore_index=True)
    ways2 = ways.copy()
    ways2["nodes"] = pd.Series(np.split(out, np.cumsum(way_total)[:-1]), index=ways.index)
    return nodes2, ways2
