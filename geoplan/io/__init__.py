"""Reading layers the way county staff really have them, and writing results atomically.

- reading: :func:`read_layer` (any vector format, roles and Chinese aliases, encodings, dates,
  units, CRS checks, geometry repair) with its :class:`ReadReport`; :func:`list_layers`;
- sources: :func:`split_source` (``path:layer``), :func:`is_osm_source`, :func:`is_raster_source`,
  :func:`is_database_source` and :func:`parse_database_source` (``postgresql://…#schema.table``);
- PostGIS out: :func:`write_postgis` (an analysis's :class:`PostgisTable` list and its
  ``geoplan_runs`` row, :class:`RunInfo`, in one transaction; :class:`RunRecord`),
  :func:`write_result` (the same from a result's ``(name, frame, comment, kind)`` tuples),
  :func:`check_postgis_target`;
- the layer roles (:data:`ROLES`) and their value vocabularies;
- tables (Excel / CSV, units in headers): :func:`read_table` for the ``enterprises`` role;
- Excel ledgers: :class:`LedgerWorkbook`, :func:`xlsx_table` (a sheet with Chinese headers,
  frozen, fitted, a 合计 row),
  :func:`xlsx_cell`, :func:`xlsx_value`, :func:`text_width`;
- dates: :func:`parse_dates`, :func:`parse_date_value`;
- writing: :func:`atomic_path`, :func:`write_gpkg`, :func:`write_csv`, :func:`write_json` (strict
  JSON, :func:`dumps_json`) and :func:`ensure_writable_dir`.
"""

from __future__ import annotations

from geoplan.io._dates import parse_date_value, parse_dates
from geoplan.io._fields import MONEY_UNITS
from geoplan.io._postgis_result import write_result
from geoplan.io._postgis_write import (
    RUNS_TABLE,
    PostgisTable,
    RunInfo,
    RunRecord,
    json_ready,
    label_map,
    write_postgis,
)
from geoplan.io._postgis_write import check_target as check_postgis_target
from geoplan.io._read import list_layers, read_layer
from geoplan.io._read_report import ReadReport, read_report
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
    DATABASE_SCHEMES,
    OSM_SUFFIXES,
    RASTER_SUFFIXES,
    DatabaseSource,
    Filter,
    is_database_source,
    is_osm_source,
    is_raster_source,
    parse_database_source,
    redact,
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
from geoplan.io._xlsx import (
    YES_NO,
    ColumnSpec,
    LedgerWorkbook,
    text_width,
    xlsx_cell,
    xlsx_table,
    xlsx_value,
)

__all__ = [
    "DATABASE_SCHEMES",
    "ENTERPRISE_UNITS",
    "MONEY_UNITS",
    "OSM_SUFFIXES",
    "RASTER_SUFFIXES",
    "ROLES",
    "RUNS_TABLE",
    "SCALE_VALUES",
    "SETTLEMENT_KIND_VALUES",
    "YES_NO",
    "ColumnSpec",
    "TABLE_ROLES",
    "ZONE_TYPE_VALUES",
    "DatabaseSource",
    "Field",
    "Filter",
    "LedgerWorkbook",
    "PostgisTable",
    "ReadReport",
    "Role",
    "RunInfo",
    "RunRecord",
    "atomic_path",
    "check_postgis_target",
    "dumps_json",
    "ensure_writable_dir",
    "is_database_source",
    "is_osm_source",
    "is_raster_source",
    "json_ready",
    "label_map",
    "list_layers",
    "parse_database_source",
    "parse_date_value",
    "parse_dates",
    "read_layer",
    "read_report",
    "redact",
    "read_table",
    "split_source",
    "split_unit",
    "write_csv",
    "write_gpkg",
    "write_json",
    "write_postgis",
    "write_result",
    "text_width",
    "xlsx_cell",
    "xlsx_table",
    "xlsx_value",
]
