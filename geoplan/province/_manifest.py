"""The province package: ``province.toml`` and its county packages (or province-wide layers).

::

    [province]
    name = "示范省"
    as_of = "2026-06-30"          # the as-of of every county whose county.toml sets none
    # counties = "counties"       # folder of the county packages (default: this folder)

    [parameters.audit]            # defaults every county.toml may override, key by key
    sliver_width = 1.0            # (also [fields.<role>], [crs], [units])

    [layers]                      # OR province-wide layers, split by county (see _split)
    counties = "province.gpkg:counties"    # county boundaries with name and adcode
    approvals = "province.gpkg:approvals"
    supplies = "province.gpkg:supplies"
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoplan._manifest import (
    PARAMETER_SECTIONS,
    absolute_source,
    missing_file,
    raise_problems,
    unknown_field_roles,
)
from geoplan.errors import DataFileNotFoundError, GeoplanError, InputError
from geoplan.io import parse_date_value

__all__ = ["ProvincePackage", "open_province"]

logger = logging.getLogger(__name__)

#: tables province.toml may hold
TABLES = ("province", "parameters", "fields", "crs", "units", "layers")
#: the roles of province-wide layers (``counties`` is the county boundary layer)
SPLIT_ROLES = (
    "approvals", "supplies", "landuse", "roads", "settlements", "parks", "townships", "zoning",
)  # fmt: skip


@dataclass(frozen=True)
class ProvincePackage:
    """A province package as :func:`open_province` read it.

    Attributes
    ----------
    path
        The province folder.
    name
        Display name (``[province] name``, else the folder name).
    as_of
        The default as-of date of its counties, or None.
    defaults
        Manifest tables that each county.toml may override (``county.as_of``, ``parameters``,
        ``fields``, ``crs``, ``units``); passed to :meth:`geoplan.County.open`.
    counties
        The county package folders (empty for province-wide layers until they are split).
    layers
        Province-wide layers by role (``counties`` holds the county boundaries); empty for a
        folder of county packages.
    manifest
        The ``province.toml`` path, or None for a bare folder of county packages.
    """

    path: Path
    name: str
    as_of: dt.date | None
    defaults: dict[str, Any]
    counties: tuple[Path, ...] = ()
    layers: dict[str, str] = field(default_factory=dict)
    manifest: Path | None = None

    @property
    def is_split(self) -> bool:
        """True when the counties come from province-wide layers (split by county)."""
        return bool(self.layers)


def open_province(source: str | os.PathLike[str]) -> ProvincePackage:
    """Open a province package: a folder of county packages (each with its county.toml) and an
    optional ``province.toml``, or a ``province.toml`` whose ``[layers]`` are province-wide.

    Parameters
    ----------
    source
        The province folder or its ``province.toml``.

    Returns
    -------
    ProvincePackage

    Raises
    ------
    DataFileNotFoundError
        The folder does not exist, holds no county package, or a layer file is missing.
    InputError
        ``province.toml`` is malformed (all problems listed in one message).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> from geoplan.datasets import demo_path
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (root / "province.toml").write_text('[province]\\nname = "示范省"\\n'
    ...     '[parameters.audit]\\nsliver_area = 5.0\\n', encoding="utf-8")
    >>> (root / "demo").symlink_to(demo_path())
    >>> p = open_province(root)
    >>> p.name, [c.name for c in p.counties], p.defaults["parameters"]
    ('示范省', ['demo'], {'audit': {'sliver_area': 5.0}})
    """
    if not isinstance(source, str | os.PathLike):
        raise InputError(
            f"open_province takes the folder of a province package (or its province.toml) as a "
            f"str or pathlib.Path, got {type(source).__name__}."
        )
    p = Path(source).expanduser()
    folder = p.parent if p.suffix == ".toml" else p
    manifest_path = p if p.suffix == ".toml" else p / "province.toml"
    if not folder.is_dir():
        raise DataFileNotFoundError(
            f"No province package at {p}: the folder does not exist. A province package is a "
            "folder of county packages (each with its county.toml), optionally with a "
            "province.toml; see README.md ('Province scale')."
        )
    folder = folder.resolve()
    manifest: dict[str, Any] = {}
    if manifest_path.is_file():
        manifest = _load(manifest_path)
        _check(manifest, manifest_path)
    elif p.suffix == ".toml":
        raise DataFileNotFoundError(f"{manifest_path} does not exist.")
    meta = manifest.get("province", {})
    as_of = _as_of(meta.get("as_of"), manifest_path)
    defaults: dict[str, Any] = {
        k: manifest[k] for k in ("parameters", "fields", "crs", "units") if k in manifest
    }
    if as_of is not None:
        defaults["county"] = {"as_of": as_of.isoformat()}
    layers = {role: str(src) for role, src in manifest.get("layers", {}).items()}
    counties: tuple[Path, ...] = ()
    if not layers:
        counties = _county_folders(folder / str(meta.get("counties", ".")), manifest_path)
    package = ProvincePackage(
        path=folder,
        name=str(meta.get("name") or folder.name),
        as_of=as_of,
        defaults=defaults,
        counties=counties,
        layers={role: absolute_source(src, folder) for role, src in layers.items()},
        manifest=manifest_path if manifest_path.is_file() else None,
    )
    logger.info(
        "province %s at %s: %s",
        package.name,
        folder,
        f"{len(counties)} county packages" if counties else f"layers {sorted(layers)}",
    )
    return package


def _load(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path} is not valid TOML: {exc}.") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text; save it as UTF-8.") from None


def _check(manifest: Mapping[str, Any], path: Path) -> None:
    """All problems of province.toml in one message."""
    problems = [
        f"[{k}]: unknown table (known: {', '.join(TABLES)})" for k in manifest if k not in TABLES
    ]
    for key in TABLES:
        if key in manifest and not isinstance(manifest[key], dict):
            problems.append(f"[{key}] must be a table")
    if problems:
        raise InputError(f"{path} has problems:\n- " + "\n- ".join(problems))
    meta = manifest.get("province", {})
    problems += [
        f"[province] {k}: unknown key (known: name, as_of, counties)"
        for k in meta
        if k not in ("name", "as_of", "counties")
    ]
    for section, table in manifest.get("parameters", {}).items():
        if section not in PARAMETER_SECTIONS:
            problems.append(
                f"[parameters.{section}]: unknown section (known: {', '.join(PARAMETER_SECTIONS)})"
            )
        elif not isinstance(table, dict):
            problems.append(f"[parameters.{section}] must be a table of key = value")
        else:
            problems.extend(_check_options(section, table))
    layers = manifest.get("layers", {})
    if layers and "counties" not in layers:
        problems.append(
            '[layers] needs counties = "FILE:LAYER", the county boundaries (with name and '
            "adcode) that the province-wide layers are split by"
        )
    for role, src in layers.items():
        if role != "counties" and role not in SPLIT_ROLES:
            problems.append(
                f"[layers] {role}: unknown role (known: counties, {', '.join(SPLIT_ROLES)})"
            )
            continue
        problems.extend(missing_file(role, src, path.parent))
    problems.extend(unknown_field_roles(manifest))
    raise_problems(problems, path)


def _check_options(section: str, table: Mapping[str, Any]) -> list[str]:
    """A ``[parameters.<section>]`` default checked as each county will check it."""
    from geoplan.audit import audit_options
    from geoplan.connectivity import connectivity_options
    from geoplan.hierarchy import hierarchy_options
    from geoplan.zones import zones_options

    checks: dict[str, Any] = {
        "audit": audit_options,
        "zones": zones_options,
        "connectivity": connectivity_options,
        "hierarchy": hierarchy_options,
    }
    check = checks.get(section)
    if check is None:
        return []
    try:
        check(table)
    except GeoplanError as exc:
        return [f"[parameters.{section}]: {exc}"]
    return []


def _as_of(value: Any, path: Path) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return parse_date_value(value).date()
    except InputError:
        raise InputError(
            f'{path}: [province] as_of = {value!r} is not a date; write as_of = "2026-06-30".'
        ) from None


def _county_folders(folder: Path, manifest_path: Path) -> tuple[Path, ...]:
    if not folder.is_dir():
        raise DataFileNotFoundError(
            f"{manifest_path}: [province] counties = {str(folder)!r} is not a folder."
        )
    found = tuple(sorted(d for d in folder.resolve().iterdir() if (d / "county.toml").is_file()))
    if not found:
        raise DataFileNotFoundError(
            f"{folder} holds no county package (a sub-folder with a county.toml) and its "
            "province.toml has no [layers] to split by county. Put one folder per county "
            "next to province.toml, or name province-wide layers under [layers]."
        )
    return found
