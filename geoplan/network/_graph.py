"""Array graph: topology from runs of nodes, CSR matrices, multi-source Dijkstra, paths, max-flow.

Nodes are addressed by *row* (0..n-1, the position in the sorted node-id array) everywhere in
here; :mod:`geoplan.network` translates rows to and from node ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse import csr_array
from scipy.sparse.csgraph import dijkstra, maximum_flow

__all__ = [
    "Pairs",
    "Topology",
    "build_topology",
    "csr_from_edges",
    "edge_disjoint_paths",
    "lookup_entries",
    "multi_source",
    "pair_structure",
    "path_rows",
]

_NO_PRED = -9999  # scipy's marker for "no predecessor"
_GEOM_CHUNK = 100_000  # directed edges per geometry-building chunk


@dataclass
class Topology:
    """Graph nodes (sorted ids, coordinates) and directed edges (rows, run, geometry, length)."""

    node_id: np.ndarray
    node_x: np.ndarray
    node_y: np.ndarray
    street_count: np.ndarray
    u: np.ndarray
    v: np.ndarray
    key: np.ndarray
    run: np.ndarray
    reversed: np.ndarray
    piece: np.ndarray
    length: np.ndarray
    geometry: np.ndarray
    runs_dropped: int
    pieces: int


def _compact(
    ptr: np.ndarray, node_id: np.ndarray, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """Drop repeated consecutive nodes and runs left with fewer than two nodes."""
    lengths = np.diff(ptr)
    n_runs = len(lengths)
    run_of = np.repeat(np.arange(n_runs), lengths)
    keep = np.ones(len(node_id), dtype=bool)
    if len(node_id) > 1:
        keep[1:] = ~((node_id[1:] == node_id[:-1]) & (run_of[1:] == run_of[:-1]))
    new_len = np.bincount(run_of[keep], minlength=n_runs)
    ok = new_len >= 2
    keep &= ok[run_of]
    runs = np.flatnonzero(ok)
    new_ptr = np.zeros(len(runs) + 1, dtype=np.int64)
    new_ptr[1:] = np.cumsum(new_len[runs])
    return new_ptr, node_id[keep], x[keep], y[keep], runs, int((~ok).sum())


def build_topology(
    ptr: np.ndarray,
    node_id: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    direction: np.ndarray,
    junction_nodes: np.ndarray,
) -> Topology:
    """Split runs at graph nodes and expand them into directed edges.

    A node is a graph node when it ends a run, occurs more than once over all runs (a junction,
    or a run that loops back on itself) or is in ``junction_nodes``. Each stretch of a run between
    two graph nodes becomes one edge, keeping every intermediate vertex in its geometry;
    ``direction`` (per run: 1 forward, -1 backward, 0 both) decides which directed edges exist.
    ``x``/``y`` must be metric: edge length is the planar length of the geometry.
    """
    ptr, node_id, x, y, run_index, dropped = _compact(ptr, node_id, x, y)
    n_pos = len(node_id)
    lengths = np.diff(ptr)
    run_of = np.repeat(np.arange(len(lengths)), lengths)
    _, inv, counts = np.unique(node_id, return_inverse=True, return_counts=True)
    is_node = counts[inv.ravel()] >= 2
    is_node[ptr[:-1]] = True
    if n_pos:
        is_node[ptr[1:] - 1] = True
    if junction_nodes.size:
        is_node |= np.isin(node_id, junction_nodes)
    gpos = np.flatnonzero(is_node)
    a, b = gpos[:-1], gpos[1:]
    same = run_of[a] == run_of[b]
    a, b = a[same], b[same]
    piece_run = run_of[a]

    seg = np.zeros(n_pos, dtype=float)
    if n_pos > 1:
        seg[:-1] = np.hypot(np.diff(x), np.diff(y))
        seg[:-1][run_of[1:] != run_of[:-1]] = 0.0
    piece_len = np.add.reduceat(seg, a) if len(a) else np.zeros(0)

    g_ids, g_first = np.unique(node_id[gpos], return_index=True)
    node_x, node_y = x[gpos[g_first]], y[gpos[g_first]]
    pu = np.searchsorted(g_ids, node_id[a])
    pv = np.searchsorted(g_ids, node_id[b])
    street_count = np.bincount(np.concatenate([pu, pv]), minlength=len(g_ids))

    pdir = direction[run_index[piece_run]]
    fwd = np.flatnonzero(pdir != -1)
    bwd = np.flatnonzero(pdir != 1)
    piece = np.concatenate([fwd, bwd])
    rev = np.concatenate([np.zeros(len(fwd), bool), np.ones(len(bwd), bool)])
    order = np.lexsort((rev, piece))
    piece, rev = piece[order], rev[order]
    u = np.where(rev, pv[piece], pu[piece])
    v = np.where(rev, pu[piece], pv[piece])
    geom = _edge_lines(x, y, a, b, piece, rev)

    key = np.zeros(len(u), dtype=np.int64)
    if len(u):
        o = np.lexsort((np.arange(len(u)), v, u))
        su, sv = u[o], v[o]
        new = np.ones(len(o), dtype=bool)
        new[1:] = (su[1:] != su[:-1]) | (sv[1:] != sv[:-1])
        group_start = np.maximum.accumulate(np.where(new, np.arange(len(o)), 0))
        key[o] = np.arange(len(o)) - group_start
    return Topology(
        node_id=g_ids,
        node_x=node_x,
        node_y=node_y,
        street_count=street_count,
        u=u,
        v=v,
        key=key,
        run=run_index[piece_run[piece]],
        reversed=rev,
        piece=piece,
        length=piece_len[piece],
        geometry=geom,
        runs_dropped=dropped,
        pieces=len(a),
    )


def _edge_lines(
    x: np.ndarray, y: np.ndarray, a: np.ndarray, b: np.ndarray, piece: np.ndarray, rev: np.ndarray
) -> np.ndarray:
    """Geometry of each directed edge, drawn from u to v: positions ``a..b`` of its piece, or
    ``b..a`` when reversed. Built in chunks so the index arrays stay small."""
    geom = np.empty(len(piece), dtype=object)
    for lo in range(0, len(piece), _GEOM_CHUNK):
        p, r = piece[lo : lo + _GEOM_CHUNK], rev[lo : lo + _GEOM_CHUNK]
        cnt = b[p] - a[p] + 1
        offs = np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        pos = np.where(np.repeat(r, cnt), np.repeat(b[p], cnt) - offs, np.repeat(a[p], cnt) + offs)
        geom[lo : lo + len(p)] = shapely.linestrings(
            np.column_stack([x[pos], y[pos]]), indices=np.repeat(np.arange(len(p)), cnt)
        )
    return geom


@dataclass
class Pairs:
    """Directed node pairs that have edges (self-loops left out), sorted by (row, col).

    ``order`` lists the edges sorted by pair, ``starts`` where each pair's run begins in it;
    ``keys`` = row * n + col per pair (sorted) for lookups. Shared by every weight's CSR.
    """

    n: int
    order: np.ndarray
    starts: np.ndarray
    rows: np.ndarray
    cols: np.ndarray
    keys: np.ndarray
    indptr: np.ndarray


def pair_structure(n: int, u: np.ndarray, v: np.ndarray, *, reverse: bool = False) -> Pairs:
    """The pairs of the graph, or of its transpose with ``reverse`` (travel towards nodes)."""
    r, c = (v, u) if reverse else (u, v)
    ei = np.flatnonzero(r != c)
    order = ei[np.lexsort((c[ei], r[ei]))]
    rr, cc = r[order], c[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (rr[1:] != rr[:-1]) | (cc[1:] != cc[:-1])
    starts = np.flatnonzero(new)
    rows, cols = rr[starts].astype(np.int64), cc[starts].astype(np.int64)
    idx_dtype = np.int32 if max(n, len(starts)) < np.iinfo(np.int32).max else np.int64
    indptr = np.zeros(n + 1, dtype=idx_dtype)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return Pairs(n, order, starts, rows, cols, rows * n + cols, indptr)


def csr_from_edges(pairs: Pairs, w: np.ndarray) -> tuple[csr_array, np.ndarray]:
    """CSR matrix of edge weights (the minimum over parallel edges) and, per stored entry, the
    index of the edge it came from (the first of equal minima)."""
    ws = w[pairs.order]
    if len(ws) == 0:
        mins = np.zeros(0)
        edge = np.zeros(0, dtype=np.int64)
    else:
        mins = np.minimum.reduceat(ws, pairs.starts)
        sizes = np.diff(np.append(pairs.starts, len(ws)))
        group = np.repeat(np.arange(len(mins)), sizes)
        hit = np.flatnonzero(ws == mins[group])
        _, first = np.unique(group[hit], return_index=True)
        edge = pairs.order[hit[first]]
    mat = csr_array(
        (mins.astype(np.float64), pairs.cols.astype(pairs.indptr.dtype), pairs.indptr),
        shape=(pairs.n, pairs.n),
        copy=False,
    )
    return mat, edge


def lookup_entries(pairs: Pairs, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Position in the CSR data of each (row, col) pair; -1 where there is no edge."""
    want = rows.astype(np.int64) * pairs.n + cols.astype(np.int64)
    if len(pairs.keys) == 0:
        return np.full(len(want), -1, dtype=np.int64)
    pos = np.minimum(np.searchsorted(pairs.keys, want), len(pairs.keys) - 1)
    return np.where(pairs.keys[pos] == want, pos, -1)


def multi_source(
    mat: csr_array, sources: np.ndarray, *, limit: float = np.inf
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One Dijkstra from all ``sources`` at once: distance to the nearest source, predecessor row
    (-1 at sources and unreached nodes) and the row of that nearest source (-1 if unreached)."""
    n = mat.shape[0]
    sources = np.unique(np.asarray(sources, dtype=np.int64))
    if len(sources) == 0 or n == 0:
        return np.full(n, np.inf), np.full(n, -1, np.int64), np.full(n, -1, np.int64)
    dist, pred, origin = dijkstra(
        mat,
        directed=True,
        indices=sources,
        return_predecessors=True,
        min_only=True,
        limit=limit,
    )
    pred = np.where(pred == _NO_PRED, -1, pred).astype(np.int64)
    origin = np.where(origin == _NO_PRED, -1, origin).astype(np.int64)
    return dist, pred, origin


def path_rows(pred: np.ndarray, target: int) -> list[int]:
    """Rows from ``target`` back along predecessors to the source (inclusive)."""
    path = [int(target)]
    limit = len(pred)
    while pred[path[-1]] >= 0:
        path.append(int(pred[path[-1]]))
        if len(path) > limit:  # pragma: no cover - predecessors from Dijkstra are acyclic
            raise RuntimeError("predecessor chain has a cycle")
    return path


def edge_disjoint_paths(
    pairs: Pairs,
    groups: list[np.ndarray],
    sinks: np.ndarray,
    cap: int,
) -> np.ndarray:
    """For each group of start rows, the number of edge-disjoint directed paths (over the forward
    ``pairs``) to any sink row, at most ``cap`` (maximum flow with unit edge capacities; parallel edges add up).

    Per group the flow runs on the *pre-sink region* only: the nodes reachable from the starts
    without passing through a sink, plus the sinks on its rim. That is exact: a path that runs
    on past its first sink can be cut there, which keeps paths edge-disjoint, so some maximum
    flow never leaves the region. Sinks drain into a super-sink ``T`` (capacity ``cap`` each),
    a super-source ``S0 -> S`` (capacity ``cap``) feeds the starts.
    """
    out = np.zeros(len(groups), dtype=np.int64)
    if cap <= 0 or len(sinks) == 0 or not groups:
        return out
    n, rows, cols = pairs.n, pairs.rows, pairs.cols
    caps = np.diff(np.append(pairs.starts, len(pairs.order)))  # parallel edges add up
    indptr = pairs.indptr.astype(np.int64)
    is_sink = np.zeros(n, dtype=bool)
    is_sink[sinks] = True
    open_arc = ~is_sink[rows]  # the region search stops at sinks
    region = csr_array(
        (np.ones(int(open_arc.sum())), (rows[open_arc], cols[open_arc])), shape=(n, n)
    )
    local = np.full(n, -1, dtype=np.int64)
    for i, group in enumerate(groups):
        starts = np.unique(np.asarray(group, dtype=np.int64))
        if len(starts) == 0:
            continue
        reach = dijkstra(region, indices=starts, min_only=True, unweighted=True)
        nodes = np.flatnonzero(np.isfinite(reach))
        k = len(nodes)
        local[nodes] = np.arange(k)
        src = nodes[~is_sink[nodes]]
        cnt = indptr[src + 1] - indptr[src]
        pos = np.repeat(indptr[src], cnt) + (
            np.arange(cnt.sum()) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        )
        snk = nodes[is_sink[nodes]]
        t, s, s0 = k, k + 1, k + 2
        a = np.concatenate([local[rows[pos]], local[snk], np.full(len(starts), s), [s0]])
        b = np.concatenate([local[cols[pos]], np.full(len(snk), t), local[starts], [s]])
        c = np.concatenate([caps[pos], np.full(len(snk) + len(starts) + 1, cap)])
        graph = csr_array((c.astype(np.int32), (a, b)), shape=(k + 3, k + 3))
        graph.sort_indices()
        out[i] = min(int(maximum_flow(graph, s0, t, method="dinic").flow_value), cap)
        local[nodes] = -1
    return out
