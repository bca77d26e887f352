"""Atomic writers: GeoPackage, CSV (UTF-8 with BOM for Excel), JSON; the output-folder check.

Every file is written to a temporary name in the target folder and renamed over the target in one
step, so readers never see half a file and a failure leaves the previous file in place. Every JSON
geoplan writes goes through :func:`dumps_json` (strict JSON: no NaN or Infinity).
:func:`ensure_writable_dir` proves an output folder can be written before any analysis runs.
"""

from __future__ import annotations

import errno
import json
import math
import os
import shutil
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from geoplan.errors import OutputError

__all__ = [
    "atomic_path",
    "dumps_json",
    "ensure_writable_dir",
    "write_csv",
    "write_gpkg",
    "write_json",
]

#: an output folder with less free space than this is refused before any analysis runs
MIN_FREE_BYTES = 16 * 2**20
_PROBE_BYTES = 64 * 2**10
# errors of the disk rather than of the program: reported as OutputError (exit status 2)
_DISK_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM, errno.EDQUOT}


def _blocking_file(folder: Path) -> Path | None:
    """The nearest existing ancestor of ``folder`` (or itself) that is not a folder, if any."""
    for p in (folder, *folder.parents):
        if p.exists():
            return None if p.is_dir() else p
    return None


def ensure_writable_dir(path: str | os.PathLike[str], *, what: str = "output folder") -> Path:
    """Create ``path`` if needed and prove that files can be written into it.

    Called before any analysis runs, so that a read-only folder, a path under a file or a full
    disk is reported at once instead of after minutes of work. A folder (or, when it must be
    created, its nearest existing parent) without any write permission bit is refused — even
    for root, who could write into it; then a small probe file is written, synced and removed,
    and at least :data:`MIN_FREE_BYTES` (16 MiB) must be free.

    Raises
    ------
    OutputError
        The folder is a file, lies under a file, cannot be created or written, or the disk is
        (nearly) full; the message names the folder and the fix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> ensure_writable_dir(pathlib.Path(tempfile.mkdtemp()) / "new" / "out").is_dir()
    True
    >>> ensure_writable_dir("/dev/null")
    Traceback (most recent call last):
    ...
    geoplan.errors.OutputError: The output folder /dev/null is a file, not a folder. ...
    """
    folder = Path(path)
    fix = (
        "Choose a folder you can write to (it is created if needed), e.g. --out "
        "maps/<name>, or free the space / fix the permissions and run again."
    )
    blocker = _blocking_file(folder)
    existing = next((p for p in (folder, *folder.parents) if p.exists()), None)
    if blocker is None and existing is not None and not existing.stat().st_mode & 0o222:
        # marked read-only (no write bit for anyone): refused even for root, who could write
        where = "is" if existing == folder else f"cannot be created: {existing} is"
        raise OutputError(
            f"The {what} {folder} {where} read-only (mode {existing.stat().st_mode & 0o777:o}). "
            f"{fix}"
        )
    if blocker == folder:
        raise OutputError(f"The {what} {folder} is a file, not a folder. {fix}")
    if blocker is not None:
        raise OutputError(
            f"The {what} {folder} cannot be created: {blocker} is a file, not a folder. {fix}"
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(
            f"The {what} {folder} cannot be created ({exc.strerror or exc}). {fix}"
        ) from None
    probe = folder / f".geoplan-write-test-{uuid.uuid4().hex[:8]}"
    try:
        with open(probe, "wb") as fh:
            fh.write(b"\0" * _PROBE_BYTES)
            fh.flush()
            os.fsync(fh.fileno())
    except OSError as exc:
        raise OutputError(
            f"The {what} {folder} cannot be written ({exc.strerror or exc}). {fix}"
        ) from None
    finally:
        try:
            probe.unlink(missing_ok=True)
        except OSError:  # pragma: no cover - a folder we could write but not delete in
            pass
    free = shutil.disk_usage(folder).free
    if free < MIN_FREE_BYTES:
        raise OutputError(
            f"The disk of the {what} {folder} is full: {free / 2**20:.1f} MiB free, geoplan "
            f"needs at least {MIN_FREE_BYTES // 2**20} MiB to write its results. {fix}"
        )
    return folder


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one rename.

    Readers never see a half-written file, and a failure leaves the old file in place.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    if not target.parent.is_dir():
        ensure_writable_dir(target.parent)
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp{target.suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
    except OSError as exc:
        if exc.errno not in _DISK_ERRNOS:
            raise
        raise OutputError(
            f"Could not write {target} ({exc.strerror or exc}). Free some space, fix the "
            "folder's permissions or choose another output folder (--out), then run again; "
            "earlier files are left as they were."
        ) from exc
    finally:
        for leftover in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm"), Path(f"{tmp}-journal")):
            if leftover.exists():
                leftover.unlink()


def write_gpkg(path: str | os.PathLike[str], layers: Mapping[str, gpd.GeoDataFrame]) -> Path:
    """Write several layers into one GeoPackage atomically (all or nothing).

    Non-spatial tables (plain DataFrames) are written as attribute-only layers.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd, shapely
    >>> g = gpd.GeoDataFrame({"a": [1]}, geometry=[shapely.Point(0, 0)], crs=4547)
    >>> p = write_gpkg(pathlib.Path(tempfile.mkdtemp()) / "x.gpkg", {"pts": g})
    >>> [name for name, _ in pyogrio.list_layers(p)]
    ['pts']
    """
    target = Path(path)
    with atomic_path(target) as tmp:
        for name, frame in layers.items():
            pyogrio.write_dataframe(
                _json_safe(frame), tmp, layer=name, driver="GPKG", append=tmp.exists()
            )
    return target


def _json_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """GDAL cannot store nullable booleans with NA or object columns of mixed types: tidy them."""
    out = frame.copy()
    for col in out.columns:
        dtype = out[col].dtype
        if isinstance(dtype, pd.BooleanDtype):
            out[col] = out[col].astype("Int8")
        elif pd.api.types.is_object_dtype(dtype) and col != getattr(
            out, "_geometry_column_name", None
        ):
            out[col] = out[col].astype("string")
    return out


#: first characters that make a spreadsheet read a cell as a formula (CSV injection)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _neutralise_formulas(table: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would run as a formula get a leading apostrophe (the usual
    defence: Excel shows the text as written and drops the apostrophe from view). Numbers are
    numbers and are left alone."""
    out = table
    for col in table.columns:
        values = table[col]
        if not (pd.api.types.is_string_dtype(values.dtype) or values.dtype == object):
            continue
        text = values.map(lambda v: isinstance(v, str) and v.startswith(FORMULA_STARTS))
        if text.any():
            if out is table:
                out = table.copy()
            out[col] = values.astype(object).where(~text, "'" + values.astype(str))
    return out


def write_csv(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write a table as UTF-8 CSV with a BOM (so Excel shows Chinese text), atomically.

    Geometry columns are left out. Text that a spreadsheet would take for a formula (starting
    with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading ``'`` so
    that opening the file never runs anything from the data.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = write_csv(out, pd.DataFrame({"name": ["=1+1", "东村"], "x": [-1.5, 2.0]}))
    >>> out.read_text(encoding="utf-8-sig").splitlines()
    ['name,x', "'=1+1,-1.5", '东村,2.0']
    """
    target = Path(path)
    table = pd.DataFrame(frame.drop(columns=[c for c in frame.columns if _is_geom(frame[c])]))
    table = _neutralise_formulas(table)
    with atomic_path(target) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8-sig")
    return target


def _is_geom(col: pd.Series) -> bool:
    return isinstance(col.dtype, gpd.array.GeometryDtype)


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write strict JSON (:func:`dumps_json`) as UTF-8, atomically.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_json(pathlib.Path(tempfile.mkdtemp()) / "s.json", {"rate": float("nan")})
    >>> p.read_text()
    '{\\n  "rate": null\\n}\\n'
    """
    target = Path(path)
    text = dumps_json(obj, where=str(target)) + "\n"
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return target


def dumps_json(obj: Any, *, indent: int | None = 2, where: str = "JSON") -> str:
    """Strict JSON text (UTF-8, Chinese kept readable), the one JSON encoder of geoplan's files.

    Numpy scalars, dates and timestamps are converted; NaN and missing values (``pd.NA``,
    ``NaT``) become ``null``; an infinite number is refused with a ``ValueError`` naming its key
    (read-time checks reject infinite inputs, so one here is a bug). The text parses with any
    strict JSON parser (no ``NaN`` / ``Infinity`` tokens).

    Examples
    --------
    >>> dumps_json({"a": np.float64("nan"), "b": np.int64(3)}, indent=None)
    '{"a": null, "b": 3}'
    >>> dumps_json({"fee": float("inf")})
    Traceback (most recent call last):
    ...
    ValueError: JSON: fee is inf, which JSON cannot hold. ...
    """
    return json.dumps(
        _json_ready(obj, where, ""),
        ensure_ascii=False,
        indent=indent,
        allow_nan=False,
        default=_json_default,
    )


def _json_ready(value: Any, where: str, key: str) -> Any:
    """``value`` with NaN/missing as None and containers walked; infinite numbers refused."""
    if isinstance(value, Mapping):
        return {k: _json_ready(v, where, f"{key}.{k}" if key else str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v, where, f"{key}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, float | np.floating):
        f = float(value)
        if math.isnan(f):
            return None
        if math.isinf(f):
            raise ValueError(
                f"{where}: {key or 'the value'} is {f}, which JSON cannot hold. Inputs are "
                "checked for infinite numbers when read, so this is a bug in geoplan: please "
                "report it with the input that produced it."
            )
        return f
    if value is pd.NA or value is pd.NaT or value is None:
        return None
    return value


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Timestamp,)):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
