"""Province-wide layers split into county packages.

Each feature goes whole to the county that holds most of it: most of its area (polygons), of
its length (lines), the county it lies in (points). Features inside one county are found with
an STRtree ``within`` query; only those that cross a boundary (or lie partly outside every
county) are intersected with their candidate counties, vectorised over all pairs. Nothing is
cut, so the split conserves area: per layer, total in = total assigned + total outside every
county, and :class:`SplitReport` says so, with how much of the crossing features' area lies
outside the county they went to (``moved``).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from geoplan.crs import metric_crs_for
from geoplan.errors import CRSError, InputError
from geoplan.io import (
    atomic_path,
    is_osm_source,
    read_layer,
    split_source,
    write_csv,
    write_gpkg,
    write_json,
)

__all__ = ["SplitReport", "assign_features", "split_province_layers"]

logger = logging.getLogger(__name__)

#: a relative tolerance for "total in = total out"
CONSERVATION_RTOL = 1e-9


@dataclass(frozen=True)
class SplitReport:
    """How province-wide layers were split by county.

    Attributes
    ----------
    layers
        One row per layer: ``layer``, ``measure`` (``area_m2``, ``length_m`` or ``count``),
        ``features``, ``assigned``, ``outside`` (features in no county), ``crossing``
        (features in more than one county), ``total_in``, ``total_assigned``,
        ``total_outside`` (in the measure), ``moved`` (the part of crossing features that lies
        outside the county they went to) and ``conserved`` (total in = assigned + outside).
    counties
        One row per county and layer: ``adcode``, ``name``, ``layer``, ``features``,
        ``measure`` (the total of the features assigned to it).
    """

    layers: pd.DataFrame
    counties: pd.DataFrame

    @property
    def conserved(self) -> bool:
        """True when every layer's total in equals its total out."""
        return bool(self.layers["conserved"].all()) if len(self.layers) else True

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe: every layer's row."""
        return {"conserved": self.conserved, "layers": self.layers.to_dict(orient="records")}

    def to_text(self) -> str:
        """One line per layer: total in = assigned + outside, crossing and moved."""
        lines = []
        for r in self.layers.itertuples():
            unit = {"area_m2": "m²", "length_m": "m", "count": "features"}[str(r.measure)]
            lines.append(
                f"{r.layer}: {r.features:,} features, {r.total_in:,.1f} {unit} in = "
                f"{r.total_assigned:,.1f} assigned + {r.total_outside:,.1f} outside every county "
                f"({'conserved' if r.conserved else 'NOT conserved'}); {r.crossing:,} crossing "
                f"a boundary went to the county holding most of them ({r.moved:,.1f} {unit} "
                "of them lie outside the county they went to)"
            )
        return "\n".join(lines)


def assign_features(
    features: gpd.GeoSeries | np.ndarray, counties: gpd.GeoSeries | np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The county each feature goes to: the one holding most of its area / length.

    Both inputs are geometries in one metric CRS. Points go to the county they lie in (the
    first, for a point on a shared boundary).

    Returns
    -------
    (county, inside, whole)
        ``county``: index into ``counties`` per feature (-1: in no county); ``inside``: the
        measure (area, length, 1 for a point) of the feature inside that county; ``whole``:
        the feature's own measure.

    Examples
    --------
    >>> import shapely
    >>> counties = [shapely.box(0, 0, 10, 10), shapely.box(10, 0, 20, 10)]
    >>> parcels = [shapely.box(1, 1, 2, 2), shapely.box(8, 0, 14, 1), shapely.box(30, 0, 31, 1)]
    >>> county, inside, whole = assign_features(parcels, counties)
    >>> county.tolist(), inside.tolist(), whole.tolist()
    ([0, 1, -1], [1.0, 4.0, 0.0], [1.0, 6.0, 1.0])
    """
    geoms = np.asarray(features.values if hasattr(features, "values") else features, dtype=object)
    cgeoms = np.asarray(counties.values if hasattr(counties, "values") else counties, dtype=object)
    n = len(geoms)
    measure = _measure_fn(geoms)
    whole = measure(geoms)
    county = np.full(n, -1, dtype=np.int64)
    inside = np.zeros(n, dtype="float64")
    if n == 0 or len(cgeoms) == 0:
        return county, inside, whole
    tree = shapely.STRtree(cgeoms)
    # 1. features wholly inside one county: no geometry work beyond the predicate
    fi, ci = tree.query(geoms, predicate="within")
    first = np.unique(fi, return_index=True)[1]
    county[fi[first]] = ci[first]
    inside[fi[first]] = whole[fi[first]]
    # 2. the rest: intersect with every candidate county, keep the largest share
    rest = np.flatnonzero(county < 0)
    if len(rest):
        ri, ci2 = tree.query(geoms[rest], predicate="intersects")
        fi2 = rest[ri]
        part = measure(shapely.intersection(geoms[fi2], cgeoms[ci2]))
        keep = part > 0 if measure is not _count else np.ones(len(part), dtype=bool)
        fi2, ci2, part = fi2[keep], ci2[keep], part[keep]
        order = np.lexsort((ci2, -part, fi2))  # per feature: largest part first, then county
        fi2, ci2, part = fi2[order], ci2[order], part[order]
        best = np.unique(fi2, return_index=True)[1]
        county[fi2[best]] = ci2[best]
        inside[fi2[best]] = part[best]
    return county, inside, whole


def _count(geoms: np.ndarray) -> np.ndarray:
    return np.where(shapely.is_empty(geoms) | shapely.is_missing(geoms), 0.0, 1.0)


def _measure_fn(geoms: np.ndarray) -> Any:
    dims = shapely.get_dimensions(geoms[~shapely.is_missing(geoms)])
    dim = int(dims.max()) if len(dims) else 2
    if dim == 2:
        return shapely.area
    if dim == 1:
        return shapely.length
    return _count


def split_province_layers(
    layers: dict[str, str],
    out: str | os.PathLike[str],
    *,
    defaults: dict[str, Any] | None = None,
) -> tuple[tuple[Path, ...], SplitReport]:
    """Split province-wide layers into one county package per county of ``layers["counties"]``.

    Parameters
    ----------
    layers
        ``{role: "path" or "path:layer"}``; ``counties`` (polygons with name and adcode) is
        required, the others (approvals, supplies, landuse, roads as lines, settlements, parks,
        townships, zoning) are split. Features keep their columns and CRS.
    out
        Folder that receives one package per county, named by adcode (``county.toml`` and
        ``county.gpkg``), plus ``split.json`` and ``split.csv`` (the report).
    defaults
        The province's manifest tables (``fields``, ``crs`` …): ``[crs] <role>`` is the CRS of a
        layer whose file records none, ``[fields.boundary]`` maps the counties' columns.

    Returns
    -------
    (folders, report)
        The county package folders (in adcode order) and the :class:`SplitReport`.

    Raises
    ------
    InputError
        An OSM extract as a layer, duplicated or unusable adcodes, a layer without a CRS.
    """
    defaults = defaults or {}
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    counties = _counties(layers["counties"], defaults)
    crs = _metric_crs(counties)
    cgeoms = counties.to_crs(crs).geometry.values
    rows, per_county = [], []
    parts: dict[str, dict[str, gpd.GeoDataFrame]] = {a: {} for a in counties["adcode"]}
    for role, src in layers.items():
        if role == "counties":
            continue
        frame = _read_raw(role, src, defaults)
        county, inside, whole = assign_features(frame.to_crs(crs).geometry.values, cgeoms)
        rows.append(_layer_row(role, frame, county, inside, whole))
        for k, adcode in enumerate(counties["adcode"]):
            mine = county == k
            if mine.any():
                parts[adcode][role] = frame[mine]
            per_county.append(
                {"adcode": adcode, "name": counties["name"].iloc[k], "layer": role,
                 "features": int(mine.sum()), "measure": float(whole[mine].sum())}
            )  # fmt: skip
    report = SplitReport(pd.DataFrame(rows), pd.DataFrame(per_county))
    folders = tuple(
        _write_county(target / adcode, counties.iloc[[k]], parts[adcode])
        for k, adcode in enumerate(counties["adcode"])
    )
    write_json(target / "split.json", report.to_dict())
    write_csv(target / "split.csv", report.counties)
    logger.info("split by county into %s:\n%s", target, report.to_text())
    if not report.conserved:  # cannot happen with whole features; a guard against regressions
        raise InputError(f"The split by county did not conserve area:\n{report.to_text()}")
    return folders, report


def _counties(src: str, defaults: dict[str, Any]) -> gpd.GeoDataFrame:
    fields = defaults.get("fields", {}).get("boundary")
    source_crs = defaults.get("crs", {}).get("boundary")
    gdf = read_layer(src, role="boundary", fields=fields, source_crs=source_crs)
    adcodes = gdf["adcode"].astype("string")
    bad = [str(a) for a in adcodes if a is pd.NA or not re.fullmatch(r"[0-9A-Za-z_-]+", str(a))]
    if bad:
        raise InputError(
            f"{src}: the counties layer needs an adcode (行政区划代码) on every county, letters "
            f"and digits only (it names each county's folder); got {bad[:5]}. Fill the adcode "
            'column or map another column with [fields.boundary] adcode = "COLUMN".'
        )
    dup = sorted(set(adcodes[adcodes.duplicated()].astype(str)))
    if dup:
        raise InputError(
            f"{src}: adcodes {dup} appear more than once in the counties layer; dissolve each "
            "county into one feature (one row per adcode)."
        )
    out = gdf.assign(adcode=adcodes.astype(str), name=gdf["name"].astype("string").fillna(""))
    return out.sort_values("adcode").reset_index(drop=True)


def _metric_crs(counties: gpd.GeoDataFrame) -> Any:
    lonlat = counties.to_crs(4326)
    xmin, ymin, xmax, ymax = lonlat.total_bounds
    return metric_crs_for((xmin + xmax) / 2, (ymin + ymax) / 2)


def _read_raw(role: str, src: str, defaults: dict[str, Any]) -> gpd.GeoDataFrame:
    """A province layer as it is (its columns and CRS), for splitting only: each county checks
    and normalises its part when it opens it."""
    path, layer = split_source(src)
    if is_osm_source(src):
        raise InputError(
            f"[layers] {role} = {src}: an OpenStreetMap extract cannot be split by county; "
            "give the roads as a line layer (e.g. GeoPackage), or give each county its own "
            "extract in a folder of county packages."
        )
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        frame = gpd.read_parquet(path)
    else:
        frame = pyogrio.read_dataframe(path, layer=layer)
    if frame.crs is None:
        crs = defaults.get("crs", {}).get(role)
        if crs is None:
            raise CRSError(
                f"{src} ({role}) records no CRS; say which it is in province.toml, e.g. "
                f'[crs] {role} = "EPSG:4490".'
            )
        frame = frame.set_crs(crs)
    return frame


def _layer_row(
    role: str, frame: gpd.GeoDataFrame, county: np.ndarray, inside: np.ndarray, whole: np.ndarray
) -> dict[str, Any]:
    dims = shapely.get_dimensions(frame.geometry.values)
    dim = int(dims.max()) if len(dims) else 2
    measure = {2: "area_m2", 1: "length_m"}.get(dim, "count")
    hit = county >= 0
    total_in = float(whole.sum())
    assigned = float(whole[hit].sum())
    outside = float(whole[~hit].sum())
    crossing = hit & (inside < whole * (1 - 1e-12))
    return {
        "layer": role,
        "measure": measure,
        "features": len(frame),
        "assigned": int(hit.sum()),
        "outside": int((~hit).sum()),
        "crossing": int(crossing.sum()),
        "total_in": total_in,
        "total_assigned": assigned,
        "total_outside": outside,
        "moved": float((whole - inside)[crossing].sum()),
        "conserved": abs(total_in - assigned - outside) <= CONSERVATION_RTOL * max(total_in, 1.0),
    }


def _write_county(
    folder: Path, boundary: gpd.GeoDataFrame, parts: dict[str, gpd.GeoDataFrame]
) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    adcode, name = str(boundary["adcode"].iloc[0]), str(boundary["name"].iloc[0])
    frames = {"boundary": boundary[["name", "adcode", boundary.geometry.name]], **parts}
    write_gpkg(folder / "county.gpkg", frames)
    lines = "\n".join(f'{role} = "county.gpkg:{role}"' for role in frames)
    text = (
        "# Split from the province-wide layers by geoplan.province (each feature went to the\n"
        f"# county holding most of it), {dt.date.today().isoformat()}. Settings not given here\n"
        "# come from province.toml.\n"
        f"[county]\nname = {_toml_str(name)}\nadcode = {_toml_str(adcode)}\n\n[layers]\n{lines}\n"
    )
    with atomic_path(folder / "county.toml") as tmp:
        tmp.write_text(text, encoding="utf-8")
    return folder


def _toml_str(value: str) -> str:
    """A TOML basic string (quotes, backslashes and control characters escaped)."""
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    out = "".join(c if ord(c) >= 0x20 else f"\\u{ord(c):04x}" for c in out)
    return f'"{out}"'
