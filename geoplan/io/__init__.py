"""Reading layers the way county staff really have them, and writing results atomically.

- reading: :func:`read_layer` (any vector format, roles and Chinese aliases, encodings, dates,
  units, CRS checks, geometry repair) with its :class:`ReadReport`; :func:`list_layers`;
- sources: :func:`split_source` (``path:layer``), :func:`is_osm_source`, :func:`is_raster_source`;
- the layer roles (:data:`ROLES`) and their value vocabularies;
- tables (Excel / CSV, units in headers): :func:`read_table` for the ``enterprises`` role;
- dates: :func:`parse_dates`, :func:`parse_date_value`;
- writing: :func:`atomic_path`, :func:`write_gpkg`, :func:`write_csv`, :func:`write_json` (strict
  JSON, :func:`dumps_json`) and :func:`ensure_writable_dir`.
"""

from __future__ import annotations

from geoplan.io._dates import parse_date_value, parse_dates
from geoplan.io._fields import MONEY_UNITS
from geoplan.io._read import ReadReport, list_layers, read_layer, read_report
from geoplan.io._schema import (
    ENTERPRISE_UNITS,
    ROLES,
    SCALE_VALUES,
    SETTLEMENT_KIND_VALUES,
    ZONE_TYPE_VALUES,
    Field,
    Role,
)
from geoplan.io._sources import (
    OSM_SUFFIXES,
    RASTER_SUFFIXES,
    is_osm_source,
    is_raster_source,
    split_source,
)
from geoplan.io._table import TABLE_ROLES, read_table, split_unit
from geoplan.io._write import (
    atomic_path,
    dumps_json,
    ensure_writable_dir,
    write_csv,
    write_gpkg,
    write_json,
)

__all__ = [
    "ENTERPRISE_UNITS",
    "MONEY_UNITS",
    "OSM_SUFFIXES",
    "RASTER_SUFFIXES",
    "ROLES",
    "SCALE_VALUES",
    "SETTLEMENT_KIND_VALUES",
    "TABLE_ROLES",
    "ZONE_TYPE_VALUES",
    "Field",
    "ReadReport",
    "Role",
    "atomic_path",
    "dumps_json",
    "ensure_writable_dir",
    "is_osm_source",
    "is_raster_source",
    "list_layers",
    "parse_date_value",
    "parse_dates",
    "read_layer",
    "read_report",
    "read_table",
    "split_source",
    "split_unit",
    "write_csv",
    "write_gpkg",
    "write_json",
]
