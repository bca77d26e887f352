"""Atomic writers: GeoPackage, CSV (UTF-8 with BOM for Excel), JSON.

Every file is written to a temporary name in the target folder and renamed over the target in one
step, so readers never see half a file and a failure leaves the previous file in place.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

__all__ = ["atomic_path", "write_csv", "write_gpkg", "write_json"]


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
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.stem}.{uuid.uuid4().hex[:8]}.tmp{target.suffix}")
    try:
        yield tmp
        os.replace(tmp, target)
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


def write_csv(path: str | os.PathLike[str], frame: pd.DataFrame) -> Path:
    """Write a table as UTF-8 CSV with a BOM (so Excel shows Chinese text), atomically.

    Geometry columns are left out.
    """
    target = Path(path)
    table = pd.DataFrame(frame.drop(columns=[c for c in frame.columns if _is_geom(frame[c])]))
    with atomic_path(target) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8-sig")
    return target


def _is_geom(col: pd.Series) -> bool:
    return isinstance(col.dtype, gpd.array.GeometryDtype)


def write_json(path: str | os.PathLike[str], obj: Any) -> Path:
    """Write JSON (UTF-8, Chinese kept readable, numpy scalars converted), atomically."""
    target = Path(path)
    with atomic_path(target) as tmp:
        tmp.write_text(
            json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default) + "\n",
            encoding="utf-8",
        )
    return target


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (pd.Timestamp,)):
        return value.date().isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
