"""Reading layers the way county staff really have them, and writing results atomically."""

from __future__ import annotations

from geoplan.io._read import (
    ReadReport,
    atomic_path,
    dumps_json,
    ensure_writable_dir,
    list_layers,
    read_layer,
    read_report,
    split_source,
    write_csv,
    write_gpkg,
    write_json,
)

__all__ = [
    "ReadReport",
    "atomic_path",
    "dumps_json",
    "ensure_writable_dir",
    "list_layers",
    "read_layer",
    "read_report",
    "split_source",
    "write_csv",
    "write_gpkg",
    "write_json",
]
