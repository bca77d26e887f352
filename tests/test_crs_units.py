"""CRS choice and unit conversions against independent numbers."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS

from geoplan.crs import (
    check_same_crs,
    ensure_projected,
    gk_zone_epsg,
    in_china,
    metric_crs_for,
    to_metric,
    utm_epsg,
)
from geoplan.errors import CRSError
from geoplan.units import M2_PER_MU, ha_to_m2, m2_to_ha, m2_to_mu, mu_to_m2


@pytest.mark.parametrize(
    ("lon", "lat", "epsg", "cm"),
    [
        (87.6, 43.8, 4538, 87),  # Urumqi
        (114.0, 34.8, 4547, 114),  # Henan, issue example
        (114.8, 34.8, 4547, 114),  # Lankao
        (116.4, 39.9, 4548, 117),  # Beijing: 116.4 is nearer 117 than 114
        (126.6, 45.8, 4551, 126),  # Harbin
        (121.56, 25.04, 4550, 123),  # Taipei: CGCS2000 too, zone 121.5-124.5E
        (91.1, 29.6, 4539, 90),  # Lhasa
    ],
)
def test_gk_zone_for_chinese_longitudes(lon: float, lat: float, epsg: int, cm: int) -> None:
    assert in_china(lon, lat)
    crs = metric_crs_for(lon, lat)
    assert crs.to_epsg() == epsg == gk_zone_epsg(lon)
    # the zone's central meridian really is the one expected
    params = {p.name: p.value for p in crs.coordinate_operation.params}
    assert params["Longitude of natural origin"] == cm
    assert params["False easting"] == 500000


@pytest.mark.parametrize(
    ("lon", "lat", "epsg"),
    [(26.9, 60.5, 32635), (2.35, 48.85, 32631), (-70.6, -33.4, 32719), (151.2, -33.9, 32756)],
)
def test_utm_outside_china(lon: float, lat: float, epsg: int) -> None:
    assert not in_china(lon, lat)
    assert metric_crs_for(lon, lat).to_epsg() == epsg == utm_epsg(lon, lat)


def test_no_gk_zone_far_west() -> None:
    with pytest.raises(CRSError, match="Gauss-Kruger"):
        gk_zone_epsg(10.0)


def test_to_metric_keeps_areas_true() -> None:
    # 0.01° square at 34.8°N: compare with the geodesic area computed by pyproj
    sq = shapely.box(114.30, 34.80, 114.31, 34.81)
    g = gpd.GeoDataFrame(geometry=[sq], crs=4490)
    m = to_metric(g)
    assert m.crs.to_epsg() == 4547
    geod_area = abs(CRS.from_epsg(4490).get_geod().geometry_area_perimeter(sq)[0])  # type: ignore[union-attr]
    assert m.area.iloc[0] == pytest.approx(geod_area, rel=2e-4)


def test_crs_errors() -> None:
    g = gpd.GeoSeries([shapely.Point(114, 34)])
    with pytest.raises(CRSError, match="no CRS"):
        to_metric(gpd.GeoDataFrame(geometry=g))
    with pytest.raises(CRSError, match="geographic"):
        ensure_projected(g.set_crs(4490), name="parks")
    with pytest.raises(CRSError, match="parks is in"):
        check_same_crs(("parks", g.set_crs(4547)), ("roads", g.set_crs(4548)))
    check_same_crs(("a", g.set_crs(4547)), ("b", g.set_crs(4547)))


def test_units() -> None:
    assert M2_PER_MU == pytest.approx(666.6666666667)
    assert m2_to_mu(666.6666666666666) == pytest.approx(1.0)
    assert mu_to_m2(15.0) == pytest.approx(10000.0)
    assert m2_to_ha(10000.0) == 1.0 and ha_to_m2(2.0) == 20000.0
    arr = np.array([10000.0, 20000.0])
    np.testing.assert_allclose(m2_to_mu(arr), [15.0, 30.0])
