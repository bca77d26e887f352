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
    landuse = "postgresql://gis@db:5432/land#sdc.dltb?where=ZLDWDM^=410225"  # a PostGIS table

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

import copy
import datetime as dt
import logging
import os
import tomllib
from collections.abc import Callable, Mapping
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
from pyproj import CRS

from geoplan._county_summary import CountySummary, LayerSummary, layer_summary
from geoplan._manifest import (
    PARAMETER_SECTIONS,
    RASTER_ROLES,
    absolute_source,
    check_manifest,
    merge_manifest,
    parse_as_of,
)
from geoplan.crs import metric_crs_for, same_gk_zone, to_metric
from geoplan.errors import DataFileNotFoundError, GeoplanError, InputError
from geoplan.io import (
    ROLES,
    TABLE_ROLES,
    is_database_source,
    is_osm_source,
    parse_database_source,
    read_layer,
    read_report,
    read_table,
    split_source,
)

if TYPE_CHECKING:
    from geoplan.network import RoadNetwork

__all__ = ["County", "CountySummary", "LayerSummary", "merge_manifest"]

logger = logging.getLogger(__name__)


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

    def __init__(self, path: Path, manifest: dict[str, Any], *, adhoc: bool = False) -> None:
        self.path = path
        self._manifest = manifest
        self._adhoc = adhoc
        self._network: Any = None
        meta = manifest["county"]
        self.name: str = str(meta["name"])
        self.name_en: str | None = meta.get("name_en")
        self.adcode: str | None = None if meta.get("adcode") is None else str(meta["adcode"])
        self.as_of: dt.date = parse_as_of(meta.get("as_of"), path)
        self._sources: dict[str, str] = {
            role: str(src) for role, src in manifest.get("layers", {}).items()
        }
        self._cache: dict[str, gpd.GeoDataFrame] = {}

    # ------------------------------------------------------------------ opening
    @classmethod
    def open(
        cls, path: str | os.PathLike[str], *, defaults: Mapping[str, Any] | None = None
    ) -> County:
        """Open a county package (its folder, or its ``county.toml``).

        ``defaults`` are manifest tables that county.toml may override, table by table (a
        province's ``province.toml``: ``[county] as_of``, ``[parameters.<analysis>]``,
        ``[fields.<role>]``, ``[crs]``, ``[units]``); a key county.toml sets wins.

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
        if defaults:
            manifest = merge_manifest(defaults, manifest)
        check_manifest(manifest, manifest_path)
        county = cls(manifest_path.parent.resolve(), manifest)
        logger.info("opened county %s (%s) at %s", county.name, county.adcode, county.path)
        return county

    @classmethod
    def from_sources(
        cls,
        sources: Mapping[str, str | os.PathLike[str]],
        *,
        as_of: Any = None,
        name: str | None = None,
        fields: Mapping[str, Mapping[str, str]] | None = None,
        layer_crs: Mapping[str, str] | None = None,
        units: Mapping[str, str] | None = None,
        parameters: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> County:
        """A county made of loose files instead of a package (what ``geoplan audit --approvals
        … --supplies …`` does), read and checked exactly as a package's layers are.

        Parameters
        ----------
        sources
            ``{role: "path" or "path:layer"}`` (relative to the working folder), or a PostGIS
            table ``postgresql://user@host:5432/db#schema.table``.
        as_of
            The assessment date (default: today; only the audit uses it).
        name
            A name for messages and titles (default: the first source's file name).
        fields, layer_crs, units, parameters
            What ``[fields.<role>]``, ``[crs]``, ``[units]`` and ``[parameters.<analysis>]``
            would hold in a county.toml.

        The metric CRS is the first layer's own when it is projected (the boundary's, when one
        is given), else the CGCS2000 Gauss–Krüger / UTM zone of its centre.

        Examples
        --------
        >>> from geoplan.datasets import demo_path
        >>> gpkg = demo_path() / "county.gpkg"
        >>> c = County.from_sources({"approvals": f"{gpkg}:approvals",
        ...                          "supplies": f"{gpkg}:supplies"}, as_of="2026-06-30")
        >>> c.slug, c.crs.to_epsg(), len(c.approvals) > 0
        ('custom', 4547, True)
        """
        absolute = {role: absolute_source(src) for role, src in sources.items() if src is not None}
        if not absolute:
            raise InputError("County.from_sources needs at least one layer source.")
        first = next(iter(absolute.values()))
        manifest: dict[str, Any] = {
            "county": {
                "name": name or _source_name(first),
                "as_of": dt.date.today().isoformat() if as_of is None else as_of,
            },
            "layers": absolute,
            "fields": {role: dict(m) for role, m in (fields or {}).items()},
            "crs": dict(layer_crs or {}),
            "units": dict(units or {}),
            "parameters": {k: dict(v) for k, v in (parameters or {}).items()},
        }
        here = Path.cwd()
        check_manifest(manifest, here / "county.toml", label="the layers given")
        return cls(here, manifest, adhoc=True)

    def with_overrides(
        self,
        *,
        sources: Mapping[str, str | os.PathLike[str] | None] | None = None,
        as_of: Any = None,
        fields: Mapping[str, Mapping[str, str]] | None = None,
        layer_crs: Mapping[str, str] | None = None,
        units: Mapping[str, str] | None = None,
    ) -> County:
        """A copy of this county with some layers or settings replaced (command-line options).

        ``sources`` maps roles to new files (relative to the working folder; None removes the
        role); ``fields`` adds to ``[fields.<role>]``; ``layer_crs`` and ``units`` add to
        ``[crs]`` and ``[units]``; ``as_of`` replaces the assessment date. Layers already read
        are shared with the copy unless their role's source or settings changed.

        Examples
        --------
        >>> from geoplan.datasets import demo_path
        >>> c = County.open(demo_path())
        >>> c.with_overrides(as_of="2020-06-30").as_of.isoformat(), c.as_of.isoformat()
        ('2020-06-30', '2026-06-30')
        """
        manifest = copy.deepcopy(self._manifest)
        changed: set[str] = set()
        if as_of is not None:
            manifest["county"]["as_of"] = as_of
        for role, src in (sources or {}).items():
            changed.add(role)
            if src is None:
                manifest["layers"].pop(role, None)
            else:
                manifest["layers"][role] = absolute_source(src)
        for role, mapping in (fields or {}).items():
            changed.add(role)
            manifest.setdefault("fields", {}).setdefault(role, {}).update(mapping)
        for role, crs in (layer_crs or {}).items():
            changed.add(role)
            manifest.setdefault("crs", {})[role] = crs
        if units:
            changed.add("supplies")
            manifest.setdefault("units", {}).update(units)
        check_manifest(manifest, self.path / "county.toml")
        other = type(self)(self.path, manifest, adhoc=self._adhoc)
        if "crs" not in self.__dict__ or not changed.isdisjoint({self._crs_role()}):
            return other
        other.__dict__["crs"] = self.crs  # the metric CRS stays the county's
        other._cache = {r: g for r, g in self._cache.items() if r not in changed}
        return other

    def __repr__(self) -> str:
        return f"County({self.name!r}, as_of={self.as_of.isoformat()}, path={str(self.path)!r})"

    # ------------------------------------------------------------------ metadata
    @property
    def slug(self) -> str:
        """Short file-system name of the county (its folder name; ``custom`` for a county made
        :meth:`from_sources`), used for ``maps/<slug>/``."""
        return "custom" if self._adhoc else self.path.name

    @property
    def roles(self) -> list[str]:
        """The roles this package provides, in manifest order."""
        return list(self._sources)

    def has(self, role: str) -> bool:
        """Whether the package provides a layer for ``role``."""
        return role in self._sources

    def source(self, role: str) -> str:
        """The absolute source of a role's layer (``path`` or ``path:layer``, or a database
        URL as written)."""
        if role not in self._sources:
            raise InputError(
                f"County {self.name} has no {role} layer (it has: {', '.join(self.roles)}). Add "
                f'`{role} = "<file>"` under [layers] in {self.path / "county.toml"}.'
            )
        if is_database_source(self._sources[role]):
            return self._sources[role].strip()
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
        if section not in PARAMETER_SECTIONS:
            raise InputError(
                f"Unknown parameter section {section!r}; county.toml has "
                f"[parameters.<{'|'.join(PARAMETER_SECTIONS)}>]."
            )
        return dict(self._manifest.get("parameters", {}).get(section, {}))

    def check_parameters(self) -> None:
        """Check every ``[parameters.<analysis>]`` table against its analysis's options (unknown
        keys and bad values are an error), without reading any layer.

        Commands and the report call it before any analysis runs, so a typo in county.toml is
        one clear error at once, not after minutes of work.

        Raises
        ------
        InputError
            All problems found, in one message.
        """
        from geoplan.audit import audit_options
        from geoplan.connectivity import connectivity_options
        from geoplan.efficiency import efficiency_options
        from geoplan.hierarchy import hierarchy_options
        from geoplan.zones import zones_options

        checks: dict[str, Callable[[Mapping[str, Any]], object]] = {
            "audit": audit_options,
            "zones": zones_options,
            "landcover": _landcover_options,
            "connectivity": connectivity_options,
            "hierarchy": hierarchy_options,
            "efficiency": lambda p: efficiency_options(p, base=self.path),
        }
        problems = []
        for section, check in checks.items():
            try:
                check(self.params(section))
            except GeoplanError as exc:
                problems.append(f"- [parameters.{section}]: {exc}")
        if problems:
            raise InputError(
                f"{self._manifest_label()} has parameter problems:\n" + "\n".join(problems)
            )

    def road_network(self, **overrides: Any) -> RoadNetwork:
        """The county's routable road network, built once and cached.

        From the ``roads`` layer — an OpenStreetMap extract (read with pyosmium) or a line
        layer (read like any layer, its ``[fields.roads]`` mapping applied) — in :attr:`crs`,
        with the network options of ``[parameters.connectivity]`` (``network``, ``speeds``,
        ``trunk_highways``, ``trunk_ref_pattern``): one network serves connectivity, the
        settlement hierarchy and the report. ``overrides`` (those network options, not None)
        build a network of their own, not cached.

        Examples
        --------
        >>> from geoplan.datasets import demo_path
        >>> net = County.open(demo_path()).road_network()
        >>> len(net.edges) > 1000, net.crs.to_epsg()
        (True, 4547)
        """
        from geoplan.network import NETWORK_KEYS, network_options, road_network

        given = {k: v for k, v in overrides.items() if v is not None}
        unknown = sorted(set(given) - set(NETWORK_KEYS))
        if unknown:
            raise InputError(
                f"Unknown network option(s) {unknown}; known: {', '.join(NETWORK_KEYS)}."
            )
        if self._network is not None and not given:
            return self._network
        src = self.source("roads")
        options = network_options({**self.params("connectivity"), **given})
        roads: Any = src if is_osm_source(src) else self.layer("roads")
        network = road_network(roads, crs=self.crs, **options)
        if not given:
            self._network = network
        return network

    def _manifest_label(self) -> str:
        return "The layers given" if self._adhoc else str(self.path / "county.toml")

    @cached_property
    def crs(self) -> CRS:
        """The metric CRS every layer is projected to."""
        forced = self._manifest["county"].get("crs")
        if forced is not None:
            crs = CRS.from_user_input(forced)
            logger.info("%s: CRS %s set in county.toml", self.name, crs.name)
            return crs
        if not any(role in ROLES for role in self._sources) and self.has("landcover"):
            return _raster_metric_crs(self.source("landcover"))
        ref_role = self._crs_role()
        ref = self._read(ref_role)
        if self._adhoc and ref.crs is not None and ref.crs.is_projected:
            logger.info("%s: using the CRS of its %s, %s", self.name, ref_role, ref.crs.name)
            return CRS.from_user_input(ref.crs)
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

    def _crs_role(self) -> str:
        """The layer whose position chooses the metric CRS: the boundary, else the first."""
        return "boundary" if self.has("boundary") else self._first_vector_role()

    def _first_vector_role(self) -> str:
        for role in self._sources:
            osm = role == "roads" and is_osm_source(self._sources[role])
            if role in ROLES and role not in TABLE_ROLES and not osm:
                return role
        raise InputError(f"County {self.name} has no vector layer to place it by.")

    # ------------------------------------------------------------------ layers
    def _read(self, role: str) -> gpd.GeoDataFrame:
        src = self.source(role)
        if role == "roads" and is_osm_source(src):
            from geoplan.network import osm_road_lines

            return osm_road_lines(src)
        if role in TABLE_ROLES:
            return read_table(
                src, role=role, fields=self.fields(role), source_crs=self.layer_crs(role)
            )
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
            if gdf.crs is None and role in TABLE_ROLES:  # a table without positions
                gdf = gdf.set_crs(self.crs)
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
    enterprises = property(
        lambda self: self.layer("enterprises"), doc="Enterprises (亩均效益 table)."
    )

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
            layers.append(layer_summary(role, self._sources[role], gdf, rep))
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


def _raster_metric_crs(src: str) -> CRS:
    """A raster's own CRS when projected, else the metric zone of its centre."""
    import rasterio

    info = _raster_info(src)
    crs = CRS.from_user_input(info["crs"])
    if crs.is_projected:
        return crs
    with rasterio.open(src) as ds:
        b = ds.bounds
    return metric_crs_for((b.left + b.right) / 2, (b.bottom + b.top) / 2)


def _source_name(source: str) -> str:
    """A name for a county made of one source: the file's stem, or the table's name."""
    if is_database_source(source):
        return parse_database_source(source).table or "database"
    return split_source(source)[0].stem


def _landcover_options(params: Mapping[str, Any]) -> dict[str, Any]:
    """``[parameters.landcover]``: only ``scheme`` (the raster's classes)."""
    from geoplan.zones import SCHEMES

    unknown = sorted(set(params) - {"scheme"})
    if unknown:
        raise InputError(f"Unknown key(s) {unknown}; the only key is scheme.")
    scheme = params.get("scheme", "auto")
    if scheme not in SCHEMES:
        raise InputError(f"scheme = {scheme!r}: one of {', '.join(SCHEMES)}.")
    return dict(params)
