"""An analysis result's tables and run row into PostGIS: the part every result's
``to_postgis`` shares (see :func:`write_result`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from geoplan.io._postgis_write import (
    PostgisTable,
    RunInfo,
    RunRecord,
    WriteMode,
    json_ready,
    write_postgis,
)


def write_result(
    url: str,
    analysis: str,
    tables: Iterable[tuple[str, pd.DataFrame | None, str, str | None]],
    labels: Mapping[str, str],
    *,
    adcode: str,
    as_of: dt.date,
    summary: Mapping[str, Any] | None,
    parameters: Mapping[str, Any] | None = None,
    county_name: str | None = None,
    started: dt.datetime | None = None,
    schema: str | None = None,
    mode: WriteMode = "replace",
) -> RunRecord:
    """Write a result's ``tables`` — ``(name, frame, comment, geometry kind)``, a ``None``
    frame left out — with the column ``labels`` as comments, and its ``geoplan_runs`` row
    (``parameters`` made JSON-safe), by :func:`~geoplan.io.write_postgis` in one transaction.
    """
    run = RunInfo(
        analysis=analysis,
        adcode=adcode,
        as_of=as_of,
        county_name=county_name,
        parameters=json_ready(dict(parameters or {})),
        summary=summary,
        started=started,
    )
    frames = [
        PostgisTable(name, frame, comment, labels, kind=kind)
        for name, frame, comment, kind in tables
        if frame is not None
    ]
    return write_postgis(url, frames, run, schema=schema, mode=mode)
