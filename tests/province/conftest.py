"""Fixtures of the province tests: a real LocalCluster (2 worker processes) that may talk over
loopback only, and a small synthetic province with one county that fails its audit."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from geoplan.datasets import synthetic_province
from tests.support.province import BROKEN, PAYLOAD_NAME, REAL_CONNECT, local_cluster, loopback_only


@pytest.fixture
def loopback(monkeypatch: pytest.MonkeyPatch, _no_network: None) -> None:
    """Allow connections to 127.0.0.0/8 and ::1 (the Dask scheduler and workers); every other
    address stays refused, as tests/conftest.py refuses them all."""
    monkeypatch.setattr(socket.socket, "connect", loopback_only(REAL_CONNECT))


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    """A LocalCluster of 2 worker processes (dashboard off) and its client, for a module."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", loopback_only(REAL_CONNECT))
        with local_cluster(2) as client:
            yield client


@pytest.fixture(scope="module")
def first_run(
    province_dir: Path, dask_client: Any, tmp_path_factory: pytest.TempPathFactory
) -> Any:
    """The province run once for the module (progress events in ``summary["_events"]``)."""
    from geoplan.province import run_province

    out = tmp_path_factory.mktemp("out")
    events: list[Any] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket.socket, "connect", loopback_only(REAL_CONNECT))
        result = run_province(province_dir, client=dask_client, out=out, progress=events.append)
    result.summary["_events"] = events
    return result


@pytest.fixture(scope="module")
def province_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three synthetic counties (seeds 0-2, scale 0.03) as county packages; the third names a
    supplies column that does not exist and carries the payload name."""
    root = synthetic_province(
        tmp_path_factory.mktemp("province") / "prov", counties=3, scale=0.03, seed=0
    )
    (root / "province.toml").write_text(
        '[province]\nname = "示范省"\nas_of = "2026-06-30"\n\n'
        "[parameters.audit]\nsliver_area = 10.0\n",
        encoding="utf-8",
    )
    toml = root / BROKEN / "county.toml"
    text = toml.read_text("utf-8")
    text = text.replace('# developed_ratio = "KFJD"', 'supplied_on = "NO_SUCH_COLUMN"')
    text = text.replace('name = "示范3县"', f'name = "{PAYLOAD_NAME}"')
    toml.write_text(text, encoding="utf-8")
    return root
