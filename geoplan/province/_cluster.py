"""The Dask client a province run uses: the caller's, one at an address, or a LocalCluster."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.util import find_spec
from typing import Any

from geoplan.errors import InputError, MissingExtraError

__all__ = ["connect", "require_distributed"]

logger = logging.getLogger(__name__)

INSTALL_HINT = (
    "Install the extra: pip install 'geoplan[scale]' (dask[distributed] and dask-geopandas), "
    "or with conda: conda install -c conda-forge dask distributed dask-geopandas."
)


def require_distributed(what: str = "A province run") -> Any:
    """The ``distributed`` module, or :class:`MissingExtraError` saying how to install it."""
    try:
        import distributed
    except ImportError as exc:
        raise MissingExtraError(
            f"{what} needs dask.distributed, which is not installed ({exc}). {INSTALL_HINT}"
        ) from None
    return distributed


def require_dask_geopandas(what: str) -> Any:
    """The ``dask_geopandas`` module, or :class:`MissingExtraError` saying how to install it."""
    try:
        import dask_geopandas
    except ImportError as exc:
        raise MissingExtraError(
            f"{what} needs dask-geopandas, which is not installed ({exc}). {INSTALL_HINT}"
        ) from None
    return dask_geopandas


@contextmanager
def connect(
    client: Any = None, *, scheduler: str | None = None, workers: int | None = None
) -> Iterator[Any]:
    """Yield a ``distributed.Client``: ``client`` as given, a new one connected to
    ``scheduler`` (an address such as ``tcp://10.0.0.5:8786``), or one on a new
    ``LocalCluster`` of ``workers`` single-threaded worker processes (default: one per core),
    closed again on exit. The dashboard is served only when bokeh is installed."""
    distributed = require_distributed()
    if client is not None:
        if scheduler is not None or workers is not None:
            raise InputError(
                "Give either a Dask client, or a scheduler address, or a number of workers "
                "for a local cluster, not several."
            )
        yield client
        return
    if scheduler is not None:
        if workers is not None:
            raise InputError(
                "--workers sizes a local cluster; with --scheduler the cluster's own workers "
                "run the tasks. Give one of them."
            )
        with distributed.Client(scheduler) as own:
            yield own
        return
    n = workers if workers is not None else (os.cpu_count() or 1)
    if not (isinstance(n, int) and n >= 1):
        raise InputError(f"workers must be a whole number of at least 1, got {workers!r}.")
    dashboard = ":0" if find_spec("bokeh") is not None else None
    with (
        distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            dashboard_address=dashboard,
        ) as cluster,
        distributed.Client(cluster) as own,
    ):
        logger.info("started a local Dask cluster of %d worker processes", n)
        yield own
