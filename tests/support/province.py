"""Builders of small province inputs, and a Dask cluster that may talk over loopback only."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import shapely

from geoplan.io import write_gpkg

GK = "EPSG:4547"
#: socket.connect as it was before any test patched it (support modules load at collection)
REAL_CONNECT = socket.socket.connect
#: the test province's county whose supplies name a column that does not exist
BROKEN = "419903"
#: its name: template, script and formula text, which every province file must keep as text
PAYLOAD_NAME = "=1+1<script>alert(1)</script>县{{ 7*6 }}"
X0, Y0 = 500_000.0, 3_800_000.0  # CGCS2000 GK CM 114E, ~34.3N 114E


def is_loopback(address: object) -> bool:
    """True for an (host, port, …) address on the loopback range (127.0.0.0/8, ::1)."""
    if not isinstance(address, tuple) or not address:
        return False
    host = str(address[0])
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def loopback_only(real_connect: Any) -> Any:
    """A ``socket.connect`` that lets Unix sockets and loopback addresses through and refuses
    every other address, as tests/conftest.py refuses all."""

    def connect(self: socket.socket, address: object) -> Any:
        if self.family == socket.AF_UNIX or is_loopback(address):
            return real_connect(self, address)
        raise RuntimeError(f"test tried to open a network connection to {address!r}")

    return connect


@contextmanager
def local_cluster(n_workers: int = 2) -> Iterator[Any]:
    """A real ``LocalCluster`` (worker processes, TCP on 127.0.0.1, no dashboard) and its
    client."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=n_workers,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client


def two_counties_layers(folder: Path) -> Path:
    """Province-wide layers over two 10 x 10 km counties side by side (A west of x = 10 km,
    B east of it), with features inside, crossing and outside; see the split test for the
    areas each goes with."""

    def box(x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
        return shapely.box(X0 + x0, Y0 + y0, X0 + x1, Y0 + y1)

    counties = gpd.GeoDataFrame(
        {"名称": ["甲县", "乙县"], "行政区划代码": ["419801", "419802"]},
        geometry=[box(0, 0, 10_000, 10_000), box(10_000, 0, 20_000, 10_000)],
        crs=GK,
    )
    approvals = gpd.GeoDataFrame(
        {"PCMC": ["A-in", "AB-70", "AB-30", "out"], "批准日期": ["2021-05-01"] * 4},
        geometry=[
            box(1_000, 1_000, 1_100, 1_100),  # 10,000 m² inside A
            box(9_930, 2_000, 10_030, 2_100),  # 7,000 m² in A, 3,000 in B -> A
            box(9_970, 3_000, 10_070, 3_100),  # 3,000 m² in A, 7,000 in B -> B
            box(30_000, 0, 30_100, 100),  # outside both
        ],
        crs=GK,
    )
    roads = gpd.GeoDataFrame(
        {"highway": ["trunk", "tertiary"]},
        geometry=[
            shapely.LineString([(X0 + 2_000, Y0 + 5_000), (X0 + 14_000, Y0 + 5_000)]),  # 8 km B
            shapely.LineString([(X0 + 1_000, Y0 + 8_000), (X0 + 3_000, Y0 + 8_000)]),  # inside A
        ],
        crs=GK,
    )
    settlements = gpd.GeoDataFrame(
        {"名称": ["甲城", "乙城"], "类型": ["县城", "县城"]},
        geometry=[shapely.Point(X0 + 5_000, Y0 + 5_000), shapely.Point(X0 + 15_000, Y0 + 5_000)],
        crs=GK,
    )
    path = folder / "province.gpkg"
    write_gpkg(
        path,
        {"counties": counties, "approvals": approvals, "roads": roads, "settlements": settlements},
    )
    return path
