"""Settlement hierarchy, network parts: parents from multi-source passes, reach counts and
routed catchment links.

Every catchment is one multi-source Dijkstra on the reversed graph (``reverse=True``: travel
*to* the sources), so a settlement's distance is its travel time to the nearest source and the
search tree leads from it to that source. Nodes are addressed by row in ``RoadNetwork.nodes``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from scipy.sparse.csgraph import dijkstra

from geoplan.network import MultiSourceResult, RoadNetwork

__all__ = ["Owners", "nearest_parent", "owners", "reach_counts", "routed_links"]

_CELLS = 8_000_000  # float64 cells per dijkstra chunk (~64 MB)


@dataclass(frozen=True)
class Owners:
    """Which settlement stands for each source node (several may share one node)."""

    nodes: np.ndarray  # sorted unique node ids
    pos: np.ndarray  # settlement position owning each node


def owners(cand_pos: np.ndarray, cand_nodes: np.ndarray, rank: np.ndarray) -> Owners:
    """Owner of each source node: the candidate with the lowest ``rank`` (tier), then the first
    in input order."""
    order = np.lexsort((cand_pos, rank))
    nodes_sorted = cand_nodes[order]
    uniq, first = np.unique(nodes_sorted, return_index=True)
    return Owners(nodes=uniq, pos=cand_pos[order][first])


def nearest_parent(
    result: MultiSourceResult, rows: np.ndarray, own: Owners
) -> tuple[np.ndarray, np.ndarray]:
    """Parent position (-1 when no source is reached) and travel time in minutes (NaN) for
    settlements at node ``rows`` (-1: not on the network)."""
    n = len(rows)
    parent = np.full(n, -1, dtype=np.int64)
    minutes = np.full(n, np.nan)
    on = rows >= 0
    if not on.any() or len(own.nodes) == 0:
        return parent, minutes
    r = rows[on]
    dist = result.dist[r]
    origin = result.origin[r]
    reached = np.isfinite(dist)
    k = np.clip(np.searchsorted(own.nodes, origin), 0, len(own.nodes) - 1)
    hit = reached & (own.nodes[k] == origin)
    par = np.where(hit, own.pos[k], -1)
    idx = np.flatnonzero(on)
    parent[idx] = par
    minutes[idx] = np.where(hit, dist / 60.0, np.nan)
    return parent, minutes


def reach_counts(
    net: RoadNetwork, town_rows: np.ndarray, settle_rows: np.ndarray, budget_s: float
) -> np.ndarray:
    """For each town node row, how many settlement node rows (with repeats: one per settlement)
    it reaches within ``budget_s`` seconds, travelling from the town (bounded Dijkstra, in chunks
    so memory stays bounded). A town's own settlement is counted; the caller subtracts it."""
    out = np.zeros(len(town_rows), dtype=np.int64)
    ok = town_rows >= 0
    targets = settle_rows[settle_rows >= 0]
    if not ok.any() or len(targets) == 0:
        return out
    mat = net.csr("time_s")
    n_nodes = mat.shape[0]
    chunk = max(1, _CELLS // max(n_nodes, 1))
    idx = np.flatnonzero(ok)
    for start in range(0, len(idx), chunk):
        part = idx[start : start + chunk]
        dist = dijkstra(mat, directed=True, indices=town_rows[part], limit=budget_s)
        dist = np.atleast_2d(dist)
        out[part] = (dist[:, targets] <= budget_s).sum(axis=1)
    return out


def routed_links(
    net: RoadNetwork,
    result: MultiSourceResult,
    child_rows: np.ndarray,
    child_xy: np.ndarray,
    parent_xy: np.ndarray,
) -> np.ndarray:
    """Lines from each child settlement along its shortest path (the reversed search tree of
    ``result``) to its parent: child point → snapped node → road geometry → parent's node →
    parent point. All children must have been reached. Vectorised over children: the paths are
    walked in lock-step and each step's edge is the fastest one between the two nodes, as in
    ``RoadNetwork.path_geometry``."""
    k = len(child_rows)
    if k == 0:
        return np.empty(0, dtype=object)
    pred = result.predecessors
    # walk all paths in lock-step: (path id, step, from row, to row)
    steps_a: list[np.ndarray] = []
    steps_b: list[np.ndarray] = []
    steps_p: list[np.ndarray] = []
    active = np.arange(k)
    cur = child_rows.astype(np.int64).copy()
    while len(active):
        nxt = pred[cur]
        go = nxt >= 0
        active, cur, nxt = active[go], cur[go], nxt[go]
        if not len(active):
            break
        steps_p.append(active)
        steps_a.append(cur)
        steps_b.append(nxt)
        cur = nxt
    if steps_p:
        path_id = np.concatenate(steps_p)
        a = np.concatenate(steps_a)
        b = np.concatenate(steps_b)
        order = np.argsort(path_id, kind="stable")  # steps stay in travel order per path
        path_id, a, b = path_id[order], a[order], b[order]
        edge = _fastest_edges(net, a, b, result.weight)
        coords, part = shapely.get_coordinates(
            net.edges.geometry.to_numpy()[edge], return_index=True
        )
        # drop each edge's first vertex except on a path's first edge (shared with the previous)
        step_path = path_id[part]
        keep = np.ones(len(part), dtype=bool)
        starts = np.r_[True, part[1:] != part[:-1]]
        new_path = np.r_[True, step_path[1:] != step_path[:-1]]
        keep[starts & ~new_path] = False
        coords, owner = coords[keep], step_path[keep]
    else:
        coords = np.empty((0, 2))
        owner = np.empty(0, dtype=np.int64)
    node_xy = np.column_stack([net.nodes["x"].to_numpy(), net.nodes["y"].to_numpy()])
    # paths of length 0 (child on its parent's node) still pass through that node
    has_path = np.zeros(k, dtype=bool)
    has_path[owner] = True
    lone = np.flatnonzero(~has_path)
    all_xy = np.concatenate([child_xy, coords, node_xy[child_rows[lone]], parent_xy], axis=0)
    all_id = np.concatenate([np.arange(k), owner, lone, np.arange(k)])
    seq = np.concatenate([np.zeros(k), np.ones(len(owner)), np.ones(len(lone)), np.full(k, 2.0)])
    order = np.lexsort((np.arange(len(all_id)), seq, all_id))
    all_xy, all_id = all_xy[order], all_id[order]
    # drop consecutive repeated points (a settlement exactly on its node)
    dup = np.r_[False, (all_id[1:] == all_id[:-1]) & np.all(all_xy[1:] == all_xy[:-1], axis=1)]
    all_xy, all_id = all_xy[~dup], all_id[~dup]
    counts = np.bincount(all_id, minlength=k)
    short = np.flatnonzero(counts < 2)
    if len(short):  # child, path and parent all at one point: a zero-length line
        all_xy = np.concatenate([all_xy, child_xy[short]])
        all_id = np.concatenate([all_id, short])
        order = np.argsort(all_id, kind="stable")
        all_xy, all_id = all_xy[order], all_id[order]
    return np.asarray(shapely.linestrings(all_xy, indices=all_id), dtype=object)


def _fastest_edges(net: RoadNetwork, a: np.ndarray, b: np.ndarray, weight: str) -> np.ndarray:
    """Row in ``net.edges`` of the lowest-``weight`` edge from node row ``a`` to node row ``b``."""
    ids = net.nodes.index.to_numpy(dtype=np.int64)
    n = len(ids)
    eu = np.searchsorted(ids, net.edges["u"].to_numpy(dtype=np.int64))
    ev = np.searchsorted(ids, net.edges["v"].to_numpy(dtype=np.int64))
    w = net.edges[weight].to_numpy(dtype=float)
    key = eu * n + ev
    order = np.lexsort((np.arange(len(key)), w, key))
    skey = key[order]
    first = np.r_[True, skey[1:] != skey[:-1]]
    ukey, urow = skey[first], order[first]
    want = a * n + b
    pos = np.clip(np.searchsorted(ukey, want), 0, max(len(ukey) - 1, 0))
    if len(ukey) == 0 or not np.all(ukey[pos] == want):  # pragma: no cover - tree edges exist
        raise RuntimeError("a shortest-path step has no edge")
    return urow[pos]
