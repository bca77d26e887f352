"""The report's results into PostGIS (``build_report(to=…)``, ``geoplan report --to``): each
analysis that ran is written as its own command's ``--to`` would write it, one transaction and
one ``geoplan_runs`` row per analysis."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from geoplan.errors import GeoplanError, InputError

if TYPE_CHECKING:
    from geoplan.county import County
    from geoplan.io import RunRecord

__all__ = ["check_database", "write_database"]

# the analyses in the order they are written (each has ``to_postgis``)
WRITTEN = ("audit", "zones", "connectivity", "hierarchy", "efficiency")


def check_database(to: str, county: County, adcode: str | None) -> str:
    """The adcode that keys the county's runs, after checking the target (the server answers,
    PostGIS is there, the schema can be written) — before any analysis runs."""
    from geoplan.io import check_postgis_target

    if not isinstance(to, str):
        raise InputError(f"to must be a postgresql://…#schema URL, got {type(to).__name__}.")
    code = adcode or county.adcode
    if not code:
        raise InputError(
            f"Writing the report's results into the database needs the county's adcode "
            f"(行政区划代码) to key its runs, and {county.name} has none: pass adcode=… "
            "(--adcode CODE), or set [county] adcode in county.toml."
        )
    check_postgis_target(to)
    return code


def write_database(
    results: Mapping[str, Any],
    county: County,
    to: str,
    *,
    adcode: str,
    mode: Literal["replace", "append"],
    started: dt.datetime,
    page: Path,
) -> list[dict[str, Any]]:
    """Write every result into ``to``; one record per analysis for ``report.json``
    (``analysis``, ``run_id``, ``schema``, ``rows`` per table, ``replaced`` run ids).

    The report is already written when this runs: a database failure raises a
    :class:`~geoplan.errors.DatabaseError` that says so and names the analyses already in.
    """
    from geoplan.errors import DatabaseError

    records: list[dict[str, Any]] = []
    for key in WRITTEN:
        if key not in results:
            continue
        try:
            record = _write_one(key, results[key], county, to, adcode, mode, started)
        except GeoplanError as exc:
            done = ", ".join(r["analysis"] for r in records) or "none"
            raise DatabaseError(
                f"The report is written ({page}), but writing the {key} results into the "
                f"database failed (analyses already written: {done}): {exc}"
            ) from exc
        records.append(
            {"analysis": key, "run_id": record.run_id, "schema": record.schema,
             "rows": dict(record.tables), "replaced": list(record.replaced)}
        )  # fmt: skip
    return records


def _write_one(
    key: str,
    result: Any,
    county: County,
    to: str,
    adcode: str,
    mode: Literal["replace", "append"],
    started: dt.datetime,
) -> RunRecord:
    common: dict[str, Any] = {"adcode": adcode, "mode": mode, "county_name": county.name,
                              "started": started}  # fmt: skip
    if key == "audit":  # its rules and as-of date are the run's parameters
        return result.to_postgis(to, **common)
    params = county.params(key)
    if key == "efficiency":
        return result.to_postgis(to, parameters=params, **common)
    return result.to_postgis(to, as_of=county.as_of, parameters=params, **common)
