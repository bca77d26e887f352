"""The road samples of the grid isochrones: the numpy densify against ``shapely.segmentize``
to the bit, and the blocks of ``RoadSamples.of`` against one block."""

from __future__ import annotations

import numpy as np
import pytest
import shapely

import geoplan.connectivity._road_samples as road_samples
from geoplan.connectivity._road_samples import RoadSamples, _densified


def _odd_lines(seed: int, n: int) -> np.ndarray:
    """Lines as roads come: long and short segments, repeated vertices, zero-length lines,
    coordinates in a projected CRS's range."""
    rng = np.random.default_rng(seed)
    lines = []
    for _ in range(n):
        k = int(rng.integers(2, 7))
        xy = np.array([500_000.0, 3_800_000.0]) + np.cumsum(rng.normal(0, 40, (k, 2)), axis=0)
        if rng.random() < 0.2:  # a vertex repeated
            i = int(rng.integers(0, k))
            xy = np.insert(xy, i, xy[i], axis=0)
        if rng.random() < 0.05:  # a line of zero length
            xy = np.repeat(xy[:1], 2, axis=0)
        lines.append(shapely.linestrings(np.round(xy, int(rng.integers(0, 4)))))
    return np.array(lines, dtype=object)


def test_densified_is_shapely_segmentize_to_the_bit() -> None:
    lines = _odd_lines(3, 2000)
    long = shapely.length(lines) > 0
    assert (~long).sum() > 20
    dense = lines.copy()
    dense[long] = shapely.segmentize(lines[long], 10.0)
    want_xy, want_owner = shapely.get_coordinates(dense, return_index=True)
    x, y, owner = _densified(lines, 10.0)
    assert len(want_xy) > 3 * len(shapely.get_coordinates(lines))  # it did densify
    np.testing.assert_array_equal(x, want_xy[:, 0])
    np.testing.assert_array_equal(y, want_xy[:, 1])
    np.testing.assert_array_equal(owner, want_owner)


def test_road_samples_in_blocks_are_one_pass_to_the_bit(monkeypatch: pytest.MonkeyPatch) -> None:
    import geopandas as gpd

    from geoplan.network import road_network

    lines = _odd_lines(5, 600)
    roads = gpd.GeoDataFrame(
        {"highway": ["secondary"] * len(lines)}, geometry=list(lines), crs=4547
    )
    net = road_network(roads)
    one = RoadSamples.of(net, 25.0)
    monkeypatch.setattr(road_samples, "_BLOCK", 7)
    blocks = RoadSamples.of(net, 25.0)
    for name in ("x", "y", "frac", "offsets", "fwd", "bwd"):
        np.testing.assert_array_equal(getattr(blocks, name), getattr(one, name))
    assert (one.frac > 0).any() and (one.frac < 1).any()
    # frac is the distance along the piece over its length
    p = int(np.argmax(np.diff(one.offsets)))
    sl = slice(one.offsets[p], one.offsets[p + 1])
    along = np.concatenate([[0.0], np.cumsum(np.hypot(np.diff(one.x[sl]), np.diff(one.y[sl])))])
    np.testing.assert_allclose(one.frac[sl], along / along[-1], rtol=1e-12, atol=1e-12)
