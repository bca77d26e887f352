"""Shared fixtures. Every test runs with outbound network connections blocked."""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.support.postgis import Cluster

DATA = Path(__file__).parent / "data"

_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> None:
    if self.family == socket.AF_UNIX:
        return _real_connect(self, address)
    raise RuntimeError(f"test tried to open a network connection to {address!r}")


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)
    monkeypatch.setattr(
        socket,
        "create_connection",
        lambda *a, **k: (_ for _ in ()).throw(RuntimeError("network access in tests")),
    )


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    """A throwaway PostgreSQL + PostGIS cluster for the session (Unix socket only), started on
    first use. A server that cannot start fails the tests that need it, with the reason — these
    tests are never skipped."""
    from tests.support.postgis import ClusterUnavailable, postgis_cluster

    try:
        with postgis_cluster() as cluster:
            yield cluster
    except ClusterUnavailable as exc:
        pytest.fail(f"the PostGIS test cluster cannot start: {exc}")


_db_counter = itertools.count()


@pytest.fixture
def pg_url(pg_cluster: Cluster, monkeypatch: pytest.MonkeyPatch) -> str:
    """The URL of a new, empty database with PostGIS, for one test (no libpq environment
    variables from the machine leak in)."""
    from tests.support.postgis import new_database

    for var in (
        "PGPASSWORD",
        "PGPASSFILE",
        "PGSERVICE",
        "PGHOST",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
    ):
        monkeypatch.delenv(var, raising=False)
    return new_database(pg_cluster, f"test_{next(_db_counter)}")
