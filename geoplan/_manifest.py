"""The county.toml manifest: merging defaults, the as-of date, absolute sources and the checks
that name every problem of a manifest at once. :mod:`geoplan.county` opens counties with it and
:mod:`geoplan.province` checks province.toml with the same pieces."""

from __future__ import annotations

import copy
import datetime as dt
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pyproj import CRS

from geoplan.errors import DataFileNotFoundError, GeoplanError, InputError
from geoplan.io import (
    MONEY_UNITS,
    ROLES,
    is_database_source,
    parse_database_source,
    parse_date_value,
    split_source,
)

__all__ = [
    "PARAMETER_SECTIONS",
    "RASTER_ROLES",
    "absolute_source",
    "check_manifest",
    "merge_manifest",
    "missing_file",
    "parse_as_of",
    "raise_problems",
    "unknown_field_roles",
]

RASTER_ROLES = {"landcover": "land-cover raster (GeoTIFF)"}
#: ``[parameters.<section>]`` tables county.toml may hold, and the analysis each configures.
PARAMETER_SECTIONS = ("audit", "zones", "landcover", "connectivity", "hierarchy", "efficiency")


def missing_file(role: str, src: object, folder: Path) -> list[str]:
    """The problem of a ``[layers]`` entry whose file (relative to ``folder``) does not exist."""
    file_path, _ = split_source(folder / str(src))
    if file_path.exists():
        return []
    return [f"[layers] {role} = {src!r}: file {file_path} does not exist"]


def unknown_field_roles(manifest: Mapping[str, Any]) -> list[str]:
    """The problems of ``[fields.<role>]`` tables for roles that do not exist."""
    return [
        f"[fields.{role}]: unknown role" for role in manifest.get("fields", {}) if role not in ROLES
    ]


def raise_problems(problems: list[str], where: object) -> None:
    """Raise every problem of a manifest in one message (nothing when there are none): a
    :class:`~geoplan.errors.DataFileNotFoundError` when only files are missing, else an
    :class:`~geoplan.errors.InputError`."""
    if not problems:
        return
    only_missing_files = all("does not exist" in p for p in problems)
    cls = DataFileNotFoundError if only_missing_files else InputError
    raise cls(f"{where} has problems:\n- " + "\n- ".join(problems))


def merge_manifest(defaults: Mapping[str, Any], manifest: Mapping[str, Any]) -> dict[str, Any]:
    """``manifest`` laid over ``defaults``: tables merge key by key, nested tables too
    (``[parameters.audit]``), and a value ``manifest`` sets wins.

    Examples
    --------
    >>> merge_manifest({"parameters": {"audit": {"sliver_width": 2.0, "sliver_area": 5.0}}},
    ...                {"parameters": {"audit": {"sliver_width": 0.5}}})
    {'parameters': {'audit': {'sliver_width': 0.5, 'sliver_area': 5.0}}}
    """
    out: dict[str, Any] = copy.deepcopy(dict(defaults))
    for key, value in manifest.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge_manifest(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def parse_as_of(value: Any, path: Path) -> dt.date:
    """The ``[county] as_of`` value of the manifest in folder ``path`` as a date (a TOML date,
    or text such as "2026-06-30")."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date_value(value).date()
    except InputError:
        raise InputError(
            f"{path / 'county.toml'}: [county] as_of = {value!r} is not a date; write it as "
            'as_of = "2026-06-30" (or a bare TOML date).'
        ) from None


def absolute_source(source: str | os.PathLike[str], base: Path | None = None) -> str:
    """A source string with its path made absolute, relative to ``base`` (else the working
    folder); the ``:layer`` part kept, a database URL as it is.

    >>> absolute_source("postgresql://gis@db/land#sdc.dltb ")
    'postgresql://gis@db/land#sdc.dltb'
    >>> absolute_source("county.gpkg:roads", Path("/data/x"))
    '/data/x/county.gpkg:roads'
    """
    if is_database_source(source):
        return os.fspath(source).strip()
    path, layer = split_source(source)
    if base is not None:
        path = base / path
    full = path.expanduser().resolve()
    return f"{full}:{layer}" if layer else str(full)


def check_manifest(manifest: dict[str, Any], path: Path, *, label: str | None = None) -> None:
    """All problems of a county manifest (``path``: its county.toml) in one error: missing
    [county] keys, unknown roles, missing files, bad database sources, unknown parameter
    sections and bad [crs] / [units] tables. ``label`` names it in the message instead."""
    problems = []
    meta = manifest.get("county")
    if not isinstance(meta, dict):
        problems.append("a [county] table with name and as_of is missing")
    else:
        if not meta.get("name"):
            problems.append("[county] name is missing")
        if not meta.get("as_of"):
            problems.append('[county] as_of is missing (e.g. as_of = "2026-06-30")')
    layers = manifest.get("layers")
    if not isinstance(layers, dict) or not layers:
        problems.append('[layers] is missing or empty (e.g. boundary = "county.gpkg:boundary")')
        layers = {}
    known = set(ROLES) | set(RASTER_ROLES)
    for role, src in layers.items():
        if role not in known:
            problems.append(f"[layers] {role}: unknown role (known: {', '.join(sorted(known))})")
            continue
        if is_database_source(src):
            try:  # the syntax and no password now; the server is asked when the layer is read
                parse_database_source(str(src))
            except GeoplanError as exc:
                problems.append(f"[layers] {role}: {exc}")
            if role in RASTER_ROLES:
                problems.append(f"[layers] {role}: a raster cannot come from a database")
            continue
        problems.extend(missing_file(role, src, path.parent))
    problems.extend(unknown_field_roles(manifest))
    parameters = manifest.get("parameters", {})
    if not isinstance(parameters, dict):
        problems.append("[parameters] must hold tables such as [parameters.audit]")
        parameters = {}
    for section, table in parameters.items():
        if section not in PARAMETER_SECTIONS:
            problems.append(
                f"[parameters.{section}]: unknown section (known: {', '.join(PARAMETER_SECTIONS)})"
            )
        elif not isinstance(table, dict):
            problems.append(f"[parameters.{section}] must be a table of key = value")
    problems.extend(_check_crs_table(manifest.get("crs", {}), known))
    problems.extend(_check_units_table(manifest.get("units", {})))
    raise_problems(problems, label or path)


def _check_crs_table(table: Any, known: set[str]) -> list[str]:
    """Problems of the per-layer ``[crs]`` table (role = "EPSG:…")."""
    if not isinstance(table, dict):
        return ['[crs] must be a table of role = "EPSG:…" (e.g. supplies = "EPSG:4527")']
    out = []
    for role, value in table.items():
        if role not in known or role in RASTER_ROLES:
            out.append(f"[crs] {role}: unknown vector role (known: {', '.join(sorted(ROLES))})")
            continue
        try:
            CRS.from_user_input(value)
        except Exception:  # pyproj's CRSError and type errors
            out.append(f'[crs] {role} = {value!r} is not a CRS; write it as "EPSG:4527"')
    return out


def _check_units_table(table: Any) -> list[str]:
    """Problems of the ``[units]`` table (land_price = "元" or "万元")."""
    if not isinstance(table, dict):
        return ['[units] must be a table such as land_price = "万元"']
    out = []
    for key, value in table.items():
        if key != "land_price":
            out.append(
                f"[units] {key}: unknown; the only money field is land_price (供地 成交价款)"
            )
        elif str(value) not in MONEY_UNITS:
            out.append(f'[units] land_price = {value!r}: write "元" or "万元"')
    return out
