"""compose_landuse: a land-use layer in spatial partitions, composed on the Dask workers, equals
the single-process landuse_composition to 1e-12 relative (1e-9 absolute near zero): the
workers add a cell's pieces in the order their partitions finish, so the last bits of a
1,000,000 m² sum may differ (9.7e-9 m² was seen on a loaded machine)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from geoplan.datasets import synthetic_county
from geoplan.province import compose_landuse, partition_landuse
from geoplan.zones import landuse_composition, make_grid

pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("loopback")]


@pytest.mark.parametrize("by", ["sansheng", "code"])
def test_partitioned_composition_equals_the_single_process_one(
    dask_client: Any, tmp_path: Path, by: str
) -> None:
    county = synthetic_county(seed=3, scale=0.05)
    parcels = county.layers["landuse"]
    source = tmp_path / "landuse.parquet"
    parcels.to_parquet(source, row_group_size=500)  # read as 3-4 chunks, never whole
    dataset = partition_landuse(source, tmp_path / "parts", npartitions=4, client=dask_client)
    assert len(list(dataset.glob("*.parquet"))) == 4
    cells = make_grid(county.layers["boundary"], 1000.0)
    want = landuse_composition(parcels, cells, by=by).units  # type: ignore[arg-type]
    got = compose_landuse(dataset, cells, by=by, client=dask_client)
    assert list(got["unit_id"]) == list(want["unit_id"])
    shares = [c for c in want.columns if c not in cells.columns and c != "geometry"]
    assert set(shares) <= set(got.columns), set(shares) - set(got.columns)
    assert len(shares) > 4
    for col in shares:
        np.testing.assert_allclose(
            got[col].to_numpy(dtype=float), want[col].to_numpy(dtype=float), rtol=1e-12, atol=1e-9,
            err_msg=col,
        )  # fmt: skip
    # the parcels tile the county: every cell inside is covered, the covered area adds up
    np.testing.assert_allclose(got["landuse_m2"].sum(), parcels.area.sum(), rtol=1e-9)


def test_compose_refuses_bad_units(tmp_path: Path) -> None:
    import geopandas as gpd

    from geoplan.errors import InputError

    with pytest.raises(InputError, match="non-empty GeoDataFrame"):
        compose_landuse(tmp_path, gpd.GeoDataFrame(geometry=[], crs=4547))
    with pytest.raises(InputError, match="does not exist"):
        partition_landuse(tmp_path / "none.parquet", tmp_path / "o", npartitions=2)
