"""The grid isochrones' tests of whether a disk lies inside the traced outline: from the cover
alone (``_covered_around``) against the definition box by box and against GEOS on the traced
polygon; on the outline traced around each disk alone (``_inside_traced``) against GEOS on the
whole traced polygon."""

from __future__ import annotations

import numpy as np
import shapely
from scipy import ndimage

from geoplan.connectivity._reach_grid import (
    _covered_around,
    _Grid,
    _inside_traced,
    _LocalOutlines,
    _trace,
)


def _blobby_cover(seed: int, shape: tuple[int, int]) -> np.ndarray:
    """A cover like a reach set's: grown blobs with holes, empty border of 3 cells."""
    rng = np.random.default_rng(seed)
    cover = ndimage.binary_dilation(rng.random(shape) < 0.05, iterations=3)
    cover &= ~ndimage.binary_dilation(rng.random(shape) < 0.01)
    cover[:3], cover[-3:], cover[:, :3], cover[:, -3:] = False, False, False, False
    return cover


def _by_definition(cover: np.ndarray, grid: _Grid, bounds: np.ndarray) -> np.ndarray:
    """Each box's squares of cell centres, one box at a time."""
    h, w = cover.shape
    out = np.zeros(len(bounds), dtype=bool)
    for k, (x0, y0, x1, y1) in enumerate(bounds):
        c0 = int(np.floor((x0 - grid.x0) / grid.res - 0.51))
        r0 = int(np.floor((y0 - grid.y0) / grid.res - 0.51))
        c1 = int(np.floor((x1 - grid.x0) / grid.res - 0.49)) + 2
        r1 = int(np.floor((y1 - grid.y0) / grid.res - 0.49)) + 2
        if r0 >= 0 and c0 >= 0 and r1 <= h and c1 <= w:
            out[k] = cover[r0:r1, c0:c1].all()
    return out


def _centres(grid: _Grid, rng: np.random.Generator, n: int, margin: float) -> np.ndarray:
    """``n`` random points over the grid and ``margin`` metres around it."""
    return np.column_stack([
        grid.x0 + rng.uniform(-margin, grid.shape[1] * grid.res + margin, n),
        grid.y0 + rng.uniform(-margin, grid.shape[0] * grid.res + margin, n),
    ])  # fmt: skip


def test_covered_around_matches_the_definition_and_geos() -> None:
    grid = _Grid(500_000.0, 3_800_000.0, 12.5, (120, 150))
    for seed in range(3):
        cover = _blobby_cover(seed, grid.shape)
        rng = np.random.default_rng(100 + seed)
        n = 3000
        centre = _centres(grid, rng, n, margin=20.0)
        radius = rng.choice([0.5, 3.0, 12.5, 25.0, 60.0], n)
        disks = shapely.buffer(shapely.points(centre), radius, quad_segs=4)
        bounds = shapely.bounds(disks)
        got = _covered_around(cover, grid, bounds)
        np.testing.assert_array_equal(got, _by_definition(cover, grid, bounds))
        assert 100 < got.sum() < n - 100  # both answers occur
        # what it says is inside, GEOS finds inside the traced outline
        outline = _trace(cover.copy(), grid, np.empty(0, dtype=object))
        assert shapely.contains_properly(outline, disks[got]).all()


def test_inside_traced_matches_geos_on_the_whole_outline() -> None:
    grid = _Grid(500_000.0, 3_800_000.0, 12.5, (120, 150))
    for seed in range(3):
        cover = _blobby_cover(seed, grid.shape)
        outline = _trace(cover.copy(), grid, np.empty(0, dtype=object))
        rng = np.random.default_rng(200 + seed)
        n = 2000
        centre = _centres(grid, rng, n, margin=20.0)
        # points on the outline's own lattice too (cell centres and the midpoints between them,
        # where the outline runs), and disks touching it
        lattice = np.floor(centre / (grid.res / 2.0)) * (grid.res / 2.0)
        lattice += np.array([grid.x0 % (grid.res / 2.0), grid.y0 % (grid.res / 2.0)])
        radius = rng.choice([0.5, 3.0, 6.25, 12.5, 25.0], n)
        geoms = np.concatenate([
            shapely.points(centre),
            shapely.points(lattice),
            shapely.buffer(shapely.points(centre), radius, quad_segs=4),
            shapely.buffer(shapely.points(lattice), radius, quad_segs=4),
            shapely.box(*lattice.T, *(lattice + grid.res / 2.0).T),
        ])  # fmt: skip
        got = _inside_traced(cover, grid, geoms)
        want = shapely.contains_properly(outline, geoms)
        np.testing.assert_array_equal(got, want)
        for part in np.split(want, 5):
            assert 100 < part.sum() < n - 100  # both answers occur for each kind


def test_local_outlines_reused_for_smaller_geometries_and_rebuilt_for_others() -> None:
    """Tiles traced around the first disks answer for the smaller disks and the centres of the
    same nodes; a geometry that does not lie inside its tile is answered on tiles of its own."""
    grid = _Grid(500_000.0, 3_800_000.0, 12.5, (120, 150))
    cover = _blobby_cover(7, grid.shape)
    outline = _trace(cover.copy(), grid, np.empty(0, dtype=object))
    rng = np.random.default_rng(7)
    n = 1500
    at = shapely.points(_centres(grid, rng, n, margin=0.0))
    tiles = _LocalOutlines(cover, grid, shapely.bounds(shapely.buffer(at, 25.0, quad_segs=4)))
    ids = np.arange(n)
    for geoms in (at, shapely.buffer(at, 6.0, quad_segs=4), shapely.buffer(at, 25.0, quad_segs=4)):
        np.testing.assert_array_equal(
            tiles.contains(ids, geoms), shapely.contains_properly(outline, geoms)
        )
    # each geometry asked with another node's tile: most do not lie in it
    other = rng.permutation(n)
    geoms = shapely.buffer(at, 3.0, quad_segs=4)
    want = shapely.contains_properly(outline, geoms)
    np.testing.assert_array_equal(tiles.contains(other, geoms), want)
    assert 100 < want.sum() < n - 100
