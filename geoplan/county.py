"""The county package: a folder with a ``county.toml`` manifest and its layers.

::

    [county]
    name = "示范县"
    adcode = "410225"
    as_of = "2026-06-30"
    # crs = "EPSG:4547"           # optional: override the metric CRS geoplan would choose

    [layers]                      # role = "file" or "file:layer", relative to the folder
    boundary = "county.gpkg:boundary"
    roads = "roads.osm.pbf"       # an OSM extract, or a line layer
    landcover = "landcover.tif"   # an optional land-cover raster

    [fields.approvals]            # canonical field = column in the file
    batch_id = "PCMC_2"

    [crs]                         # the CRS a layer's coordinates are in, for files without one
    supplies = "EPSG:4527"        # (a file that records a different CRS is an error)

    [units]                       # units of money columns whose names do not say
    land_price = "万元"            # 成交价款 from 土地市场动态监测监管系统: stored in 元

    [parameters.audit]            # options for the analyses
    sliver_width = 1.0

Layers are opened lazily, validated for their role and projected to one metric CRS: the CGCS2000
3° Gauss–Krüger zone of the boundary's centre in China, UTM elsewhere.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tomllib
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
from pyproj import CRS

from geoplan.crs import metric_crs_for, same_gk_zone, to_metric
from geoplan.errors import DataFileNotFoundError, GeoplanError, InputError
from geoplan.io import read_layer, read_report, split_source
from geoplan.io._dates import parse_date_value
from geoplan.io._fields import MONEY_UNITS
from geoplan.io._schema import ROLES
from geoplan.units import m2_to_ha, m2_to_mu

__all__ = ["County", "CountySummary", "LayerSummary"]

logger = logging.getLogger(__name__)

RASTER_ROLES = {"landcover": "land-cover raster (GeoTIFF)"}
OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.xml")


def is_osm_file(source: str | os.PathLike[str]) -> bool:
    """Whether a roads source is an OSM extract (read by :func:`geoplan.road_network`)."""
    return str(source).lower().endswith(OSM_SUFFIXES)


@dataclass(frozen=True)
class LayerSummary:
    """One layer of a county package as :meth:`County.summary` reports it."""

    role: str
    source: str
    features: int
    geometry: str
    area_m2: float | None = None
    length_km: float | None = None
    notes: tuple[str, ...] = ()
    breakdown: dict[str, int] = field(default_factory=dict)
    source_crs: str | None = None
    fields: tuple[str, ...] = ()  # "source column → canonical field" lines, then unused ones

    @property
    def area_mu(self) -> float | None:
        return None if self.area_m2 is None else float(m2_to_mu(self.area_m2))

    @property
    def area_ha(self) -> float | None:
        return None if self.area_m2 is None else float(m2_to_ha(self.area_m2))


@dataclass(frozen=True)
class CountySummary:
    """Layer counts, areas (m², 亩, ha), CRS and as-of date of a county package."""

    name: str
    adcode: str | None
    as_of: dt.date
    crs: str
    path: str
    layers: tuple[LayerSummary, ...]
    rasters: dict[str, dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict."""
        return {
            "name": self.name,
            "adcode": self.adcode,
            "as_of": self.as_of.isoformat(),
            "crs": self.crs,
            "path": self.path,
            "layers": [
                {
                    "role": lyr.role,
                    "source": lyr.source,
                    "features": lyr.features,
                    "geometry": lyr.geometry,
                    "area_m2": lyr.area_m2,
                    "area_mu": lyr.area_mu,
                    "area_ha": lyr.area_ha,
                    "length_km": lyr.length_km,
                    "breakdown": lyr.breakdown,
                    "notes": list(lyr.notes),
                    "source_crs": lyr.source_crs,
                    "fields": list(lyr.fields),
                }
                for lyr in self.layers
            ],
            "rasters": self.rasters,
        }

    def to_text(self) -> str:
        """A plain-text table for the terminal."""
        lines = [
            f"{self.name}" + (f" ({self.adcode})" if self.adcode else ""),
            f"  as of   {self.as_of.isoformat()}",
            f"  CRS     {self.crs}",
            f"  folder  {self.path}",
            "",
            f"  {'layer':<12}{'features':>10}  {'geometry':<16}{'area (亩)':>16}{'area (ha)':>14}"
            f"{'length (km)':>13}",
        ]
        for lyr in self.layers:
            mu = f"{lyr.area_mu:,.2f}" if lyr.area_mu is not None else ""
            ha = f"{lyr.area_ha:,.2f}" if lyr.area_ha is not None else ""
            km = f"{lyr.length_km:,.1f}" if lyr.length_km is not None else ""
            lines.append(
                f"  {lyr.role:<12}{lyr.features:>10,}  {lyr.geometry:<16}{mu:>16}{ha:>14}{km:>13}"
            )
            if lyr.breakdown:
                parts = ", ".join(f"{k} {v:,}" for k, v in lyr.breakdown.items())
                lines.append(f"  {'':<12}{'':>10}  {parts}")
            for note in lyr.notes:
                lines.append(f"  {'':<12}{'':>10}  note: {note}")
            if lyr.source_crs:
                lines.append(f"  {'':<12}{'':>10}  source CRS: {lyr.source_crs}")
            if lyr.fields:
                lines.append(f"  {'':<12}{'':>10}  fields: " + "; ".join(lyr.fields))
        for role, info in self.rasters.items():
            lines.append(
                f"  {role:<12}{info['width']}x{info['height']} cells of {info['res_m']:g} m, "
                f"{info['dtype']}, {info['crs']}"
            )
        return "\n".join(lines)


class County:
    """A county package opened from its folder.

    Use :meth:`County.open`. Layers are read on first use (``county.layer("approvals")`` or the
    properties ``county.approvals`` …), validated for their role and projected to
    :attr:`crs`; each is read once and cached.

    Examples
    --------
    >>> from geoplan.datasets import demo_path
    >>> county = County.open(demo_path())
    >>> county.crs.to_epsg()
    4547
    >>> county.has("approvals"), county.as_of.year
    (True, 2026)
    """

    def __init__(self, path: Path, manifest: dict[str, Any]) -> None:
        self.path = path
        self._manifest = manifest
        meta = manifest["county"]
        self.name: str = str(meta["name"])
        self.name_en: str | None = meta.get("name_en")
        self.adcode: str | None = None if meta.get("adcode") is None else str(meta["adcode"])
        self.as_of: dt.date = _parse_as_of(meta.get("as_of"), path)
        self._sources: dict[str, str] = {
            role: str(src) for role, src in manifest.get("layers", {}).items()
        }
        self._cache: dict[str, gpd.GeoDataFrame] = {}

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> County:
        """Open a county package (its folder, or its ``county.toml``).

        Raises
        ------
        DataFileNotFoundError
            The folder, the manifest or a layer file does not exist.
        InputError
            ``path`` is not a path, or the manifest is malformed (all problems are listed in one
            message).
        """
        if not isinstance(path, str | os.PathLike):
            raise InputError(
                f"County.open takes the folder of a county package (or its county.toml) as a "
                f"str or pathlib.Path, got {type(path).__name__}. For the bundled demo county use "
                "County.open(geoplan.datasets.demo_path())."
            )
        p = Path(path)
        manifest_path = p if p.suffix == ".toml" else p / "county.toml"
        if not manifest_path.is_file():
            raise DataFileNotFoundError(
                f"No county package at {p}: {manifest_path} does not exist. A county package is "
                "a folder with a county.toml manifest; see README.md ('The county package')."
            )
        try:
            manifest = tomllib.loads(manifest_path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"{manifest_path} is not valid TOML: {exc}.") from None
        except UnicodeDecodeError:
            raise InputError(
                f"{manifest_path} is not UTF-8 text. Save it as UTF-8 (in Notepad: Save as, "
                "encoding UTF-8)."
            ) from None
        _check_manifest(manifest, manifest_path)
        county = cls(manifest_path.parent.resolve(), manifest)
        logger.info("opened county %s (%s) at %s", county.name, county.adcode, county.path)
        return county

    def __repr__(self) -> str:
        return f"County({self.name!r}, as_of={self.as_of.isoformat()}, path={str(self.path)!r})"

    # ------------------------------------------------------------------ metadata
    @property
    def slug(self) -> str:
        """Short file-system name of the county (its folder name), used for ``maps/<slug>/``."""
        return self.path.name

    @property
    def roles(self) -> list[str]:
        """The roles this package provides, in manifest order."""
        return list(self._sources)

    def has(self, role: str) -> bool:
        """Whether the package provides a layer for ``role``."""
        return role in self._sources

    def source(self, role: str) -> str:
        """The absolute source of a role's layer (``path`` or ``path:layer``)."""
        if role not in self._sources:
            raise InputError(
                f"County {self.name} has no {role} layer (it has: {', '.join(self.roles)}). Add "
                f'`{role} = "<file>"` under [layers] in {self.path / "county.toml"}.'
            )
        path, layer = split_source(self.path / self._sources[role])
        return f"{path}:{layer}" if layer else str(path)

    def fields(self, role: str) -> dict[str, str]:
        """The ``[fields.<role>]`` mapping from the manifest."""
        return dict(self._manifest.get("fields", {}).get(role, {}))

    def units(self, role: str) -> dict[str, str]:
        """Units of the role's money fields from ``[units]`` (only ``supplies``: land_price)."""
        units = {str(k): str(v) for k, v in self._manifest.get("units", {}).items()}
        return units if role == "supplies" else {}

    def layer_crs(self, role: str) -> str | None:
        """The CRS ``[crs] <role>`` says the role's file is in (None: the file's own)."""
        value = self._manifest.get("crs", {}).get(role)
        return None if value is None else str(value)

    def params(self, section: str) -> dict[str, Any]:
        """The ``[parameters.<section>]`` table from the manifest (empty if absent)."""
        return dict(self._manifest.get("parameters", {}).get(section, {}))

    @cached_property
    def crs(self) -> CRS:
        """The metric CRS every layer is projected to."""
        forced = self._manifest["county"].get("crs")
        if forced is not None:
            crs = CRS.from_user_input(forced)
            logger.info("%s: CRS %s set in county.toml", self.name, crs.name)
            return crs
        ref_role = "boundary" if self.has("boundary") else self._first_vector_role()
        ref = self._read(ref_role)
        lonlat = ref.to_crs(4326) if ref.crs is not None and not ref.crs.is_geographic else ref
        xmin, ymin, xmax, ymax = lonlat.total_bounds
        crs = metric_crs_for((xmin + xmax) / 2, (ymin + ymax) / 2)
        if ref.crs is not None and same_gk_zone(ref.crs, crs):
            # the layer is already in this zone, written with its zone prefix: keep its own
            # coordinates (reprojecting only to drop the prefix adds rounding noise)
            crs = ref.crs
        logger.info(
            "%s: using %s (EPSG:%s), chosen for the centre of its %s",
            self.name,
            crs.name,
            crs.to_epsg(),
            ref_role,
        )
        return crs

    def _first_vector_role(self) -> str:
        for role in self._sources:
            if role in ROLES and not (role == "roads" and is_osm_file(self._sources[role])):
                return role
        raise InputError(f"County {self.name} has no vector layer to place it by.")

    # ------------------------------------------------------------------ layers
    def _read(self, role: str) -> gpd.GeoDataFrame:
        src = self.source(role)
        if role == "roads" and is_osm_file(src):
            return _read_osm_lines(src)
        return read_layer(
            src,
            role=role,
            fields=self.fields(role),
            source_crs=self.layer_crs(role),
            units=self.units(role),
        )

    def layer(self, role: str) -> gpd.GeoDataFrame:
        """The layer for ``role``, validated and in :attr:`crs` (read once, then cached).

        For ``roads`` from an OSM extract this gives the highway lines as a layer (GDAL's OSM
        driver); build a routable network with :func:`geoplan.road_network` and
        ``county.source("roads")`` instead.
        """
        if role in RASTER_ROLES:
            raise InputError(f"{role} is a raster; open it with county.source({role!r}).")
        if role not in ROLES:
            raise InputError(f"Unknown layer role {role!r}; roles are: {', '.join(ROLES)}.")
        if role not in self._cache:
            gdf = self._read(role)
            rep = read_report(gdf)
            projected = to_metric(gdf, self.crs, name=f"{self.name} {role}")
            if rep is not None:
                projected.attrs["read_report"] = rep
            self._cache[role] = projected
        return self._cache[role]

    boundary = property(lambda self: self.layer("boundary"), doc="The county boundary.")
    townships = property(lambda self: self.layer("townships"), doc="Townships (乡镇).")
    settlements = property(lambda self: self.layer("settlements"), doc="Settlements (points).")
    landuse = property(lambda self: self.layer("landuse"), doc="Land-use parcels.")
    approvals = property(lambda self: self.layer("approvals"), doc="Approved land (批准用地).")
    supplies = property(lambda self: self.layer("supplies"), doc="Land supply records (供地).")
    parks = property(lambda self: self.layer("parks"), doc="Industrial parks (产业园区).")
    zoning = property(lambda self: self.layer("zoning"), doc="Control lines (三区三线).")

    def validate(self) -> None:
        """Read every layer; raise one error that lists every problem found."""
        problems: list[str] = []
        first: GeoplanError | None = None
        for role in self.roles:
            try:
                if role in RASTER_ROLES:
                    _raster_info(self.source(role))
                else:
                    self.layer(role)
            except GeoplanError as exc:
                first = first or exc
                problems.append(f"- {role}: {exc}")
        if len(problems) == 1 and first is not None:
            raise first
        if problems:
            raise InputError(
                f"County {self.name} ({self.path}) has {len(problems)} problems:\n"
                + "\n".join(problems)
            )

    def summary(self) -> CountySummary:
        """Counts, areas (m², 亩, ha) and lengths of every layer, with the CRS and as-of date.

        All layers are read; problems in any of them are raised together.
        """
        self.validate()
        layers = []
        rasters: dict[str, dict[str, Any]] = {}
        for role in self.roles:
            if role in RASTER_ROLES:
                rasters[role] = _raster_info(self.source(role))
                continue
            gdf = self.layer(role)
            rep = read_report(gdf)
            layers.append(_layer_summary(role, self._sources[role], gdf, rep))
        epsg = self.crs.to_epsg()
        return CountySummary(
            name=self.name,
            adcode=self.adcode,
            as_of=self.as_of,
            crs=f"{self.crs.name} (EPSG:{epsg})" if epsg else self.crs.name,
            path=str(self.path),
            layers=tuple(layers),
            rasters=rasters,
        )


def _layer_summary(role: str, source: str, gdf: gpd.GeoDataFrame, rep: Any) -> LayerSummary:
    types = gdf.geometry.geom_type.value_counts()
    geometry = "/".join(str(t) for t in types.index[:2])
    area = length = None
    if types.index.str.contains("Polygon").any():
        area = float(gdf.geometry.area.sum())
    elif types.index.str.contains("LineString").any():
        length = float(gdf.geometry.length.sum()) / 1000.0
    breakdown: dict[str, int] = {}
    column = {"settlements": "kind", "roads": "highway", "zoning": "zone_type"}.get(role)
    if column is not None and column in gdf.columns:
        counts = gdf[column].fillna("(none)").value_counts()
        breakdown = {str(k): int(v) for k, v in counts.items()}
    notes = tuple(rep.notes()) if rep is not None else ()
    return LayerSummary(
        role, source, len(gdf), geometry, area, length, notes, breakdown,
        source_crs=getattr(rep, "source_crs", None),
        fields=tuple(rep.mapping()) if rep is not None else (),
    )  # fmt: skip


def _read_osm_lines(src: str) -> gpd.GeoDataFrame:
    """Highway lines of an OSM extract as a roads layer (GDAL OSM driver)."""
    import pyogrio

    try:
        gdf = pyogrio.read_dataframe(src, layer="lines", use_arrow=True, fid_as_index=True)
    except pyogrio.errors.DataSourceError as exc:
        raise InputError(f"{src} could not be read as an OSM extract: {exc}") from None
    gdf = gdf[gdf["highway"].notna()]
    if gdf.empty:
        raise InputError(f"{src} holds no highway ways; is it the right OSM extract?")
    keep = [c for c in ("osm_id", "name", "highway") if c in gdf.columns]
    out = gdf[keep + ["geometry"]].copy()
    tags = gdf.get("other_tags")
    for key in ("ref", "oneway", "maxspeed"):
        if tags is not None:
            out[key] = tags.str.extract(rf'"{key}"=>"([^"]*)"', expand=False).astype("string")
        else:
            out[key] = np.nan
    out["highway"] = out["highway"].astype("string")
    return out


def _raster_info(src: str) -> dict[str, Any]:
    import rasterio

    path = Path(src)
    if not path.exists():
        raise DataFileNotFoundError(f"Raster not found: {path}. Check [layers] in county.toml.")
    try:
        with rasterio.open(path) as ds:
            if ds.crs is None:
                raise InputError(
                    f"{path} has no CRS; write one into the GeoTIFF (e.g. gdal_edit.py -a_srs)."
                )
            return {
                "source": str(path),
                "width": ds.width,
                "height": ds.height,
                "res_m": float(abs(ds.res[0])),
                "dtype": str(ds.dtypes[0]),
                "crs": ds.crs.to_string(),
            }
    except rasterio.errors.RasterioIOError as exc:
        raise InputError(f"{path} could not be opened as a raster: {exc}") from None


def _parse_as_of(value: Any, path: Path) -> dt.date:
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


def _check_manifest(manifest: dict[str, Any], path: Path) -> None:
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
        file_path, _ = split_source(path.parent / str(src))
        if not file_path.exists():
            problems.append(f"[layers] {role} = {src!r}: file {file_path} does not exist")
    for role in manifest.get("fields", {}):
        if role not in ROLES:
            problems.append(f"[fields.{role}]: unknown role")
    problems.extend(_check_crs_table(manifest.get("crs", {}), known))
    problems.extend(_check_units_table(manifest.get("units", {})))
    if problems:
        only_missing_files = all("does not exist" in p for p in problems)
        cls = DataFileNotFoundError if only_missing_files else InputError
        raise cls(f"{path} has problems:\n- " + "\n- ".join(problems))


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
