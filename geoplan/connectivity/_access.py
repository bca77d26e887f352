"""Snap features (parks, points) to network nodes, and reduce node values per feature."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely

from geoplan.network import RoadNetwork

__all__ = ["Access", "best_per_feature", "snap_features"]


@dataclass(frozen=True)
class Access:
    """Access nodes of features, as pairs sorted by feature.

    ``feature`` (position of the feature), ``row`` (node row) and ``distance`` (m from the
    feature; 0 inside it) per pair; per feature ``snap`` (smallest pair distance, NaN without
    access nodes), ``count`` and ``reason`` (why there is no access node, else None).
    """

    feature: np.ndarray
    row: np.ndarray
    distance: np.ndarray
    snap: np.ndarray
    count: np.ndarray
    reason: list[str | None]

    def groups(self) -> list[np.ndarray]:
        """Node rows of each feature."""
        bounds = np.searchsorted(self.feature, np.arange(len(self.count) + 1))
        return [self.row[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def snap_features(
    net: RoadNetwork, geoms: np.ndarray, *, tolerance: float, max_snap: float
) -> Access:
    """Access nodes: every node inside a feature or within ``tolerance`` of it; failing that the
    nearest node if it is within ``max_snap``; otherwise none, with a reason."""
    n = len(geoms)
    nodes = net.nodes.geometry.to_numpy()
    tree = shapely.STRtree(nodes)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    ok = np.flatnonzero(~missing)
    feat, row = tree.query(geoms[ok], predicate="dwithin", distance=tolerance)
    feat = ok[feat]
    has = np.zeros(n, dtype=bool)
    has[feat] = True
    lone = np.flatnonzero(~has & ~missing)
    reason: list[str | None] = [None] * n
    for i in np.flatnonzero(missing):
        reason[i] = "feature has no geometry"
    if len(lone):
        lf, lr = tree.query_nearest(geoms[lone], max_distance=max_snap, all_matches=False)
        feat = np.concatenate([feat, lone[lf]])
        row = np.concatenate([row, lr])
        far = np.setdiff1d(np.arange(len(lone)), lf)
        if len(far):
            _, nearest = tree.query_nearest(geoms[lone[far]], all_matches=False)
            gap = shapely.distance(geoms[lone[far]], nodes[nearest])
            for i, g in zip(lone[far], gap, strict=True):
                reason[i] = (
                    f"no road within {max_snap:g} m (nearest network node {g:.0f} m away; "
                    "the road data may not cover this park)"
                )
    dist = shapely.distance(geoms[feat], nodes[row]) if len(feat) else np.zeros(0)
    order = np.lexsort((dist, feat))
    feat, row, dist = feat[order], row[order], dist[order]
    count = np.bincount(feat, minlength=n)
    snap = np.full(n, np.nan)
    firsts = np.searchsorted(feat, np.arange(n))
    has = count > 0
    snap[has] = dist[firsts[has]]
    return Access(feat.astype(np.int64), row.astype(np.int64), dist, snap, count, reason)


def best_per_feature(access: Access, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per feature, the smallest finite ``values[row]`` over its access nodes (NaN if none)
    and the node row where it occurs (-1 if none)."""
    n = len(access.count)
    v = values[access.row]
    finite = np.isfinite(v)
    f, r, v = access.feature[finite], access.row[finite], v[finite]
    order = np.lexsort((v, f))
    f, r, v = f[order], r[order], v[order]
    first = np.ones(len(f), dtype=bool)
    first[1:] = f[1:] != f[:-1]
    best = np.full(n, np.nan)
    where = np.full(n, -1, dtype=np.int64)
    best[f[first]] = v[first]
    where[f[first]] = r[first]
    return best, where
