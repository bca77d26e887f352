"""What :meth:`geoplan.county.County.summary` returns: per layer its features, geometry,
area or length, counts by kind and read notes (:class:`LayerSummary`), and the county's
table (:class:`CountySummary`: text for the terminal, HTML for notebooks and the report)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd

from geoplan.units import m2_to_ha, m2_to_mu

__all__ = ["CountySummary", "LayerSummary", "layer_summary"]


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

    def _repr_html_(self) -> str:
        """The layers as a table (Chinese headers) when shown in a notebook."""
        return self.to_html("zh")

    def to_html(self, lang: str = "zh") -> str:
        """The layers as a small HTML table: role, features, geometry, areas (亩, ha), length,
        counts by kind or class; the caption names the county, its as-of date and its CRS.

        Examples
        --------
        >>> from geoplan.county import County
        >>> from geoplan.datasets import demo_path
        >>> html = County.open(demo_path()).summary().to_html()
        >>> 'lang="zh"' in html and "<th" in html and "要素数" in html and "县界" in html
        True
        """
        from geoplan._repr import table_html
        from geoplan.labels import code_label, crs_title

        zh = lang == "zh"
        header = (
            ("图层", "要素数", "几何类型", "面积（亩）", "面积（公顷）", "长度（公里）", "分类计数")
            if zh
            else ("layer", "features", "geometry", "area (mu)", "area (ha)", "length (km)", "by class")
        )  # fmt: skip

        def num(v: float | None) -> str:
            return "—" if v is None else f"{v:,.2f}"

        vocab = {"settlements": "tier", "roads": "highway", "zoning": "zone_type"}
        rows = [
            (
                code_label("role", lyr.role, lang),
                f"{lyr.features:,}",
                "/".join(code_label("geometry", g, lang) for g in lyr.geometry.split("/")),
                num(lyr.area_mu),
                num(lyr.area_ha),
                num(lyr.length_km),
                ("、" if zh else ", ").join(
                    f"{code_label(vocab[lyr.role], k, lang) if lyr.role in vocab else k} {v:,}"
                    for k, v in lyr.breakdown.items()
                ),
            )
            for lyr in self.layers
        ]
        epsg = self.crs.rsplit("(EPSG:", 1)[-1].rstrip(")") if "(EPSG:" in self.crs else None
        crs = crs_title(f"EPSG:{epsg}", lang) if epsg else self.crs
        as_of = "基准日期" if zh else "as of"
        code = "" if not self.adcode else f"（{self.adcode}）" if zh else f" ({self.adcode})"
        caption = f"{self.name}{code} · {as_of} {self.as_of.isoformat()} · {crs}"
        return table_html(
            caption, header, rows, lang=lang, numeric=(False, True, False, True, True, True, False)
        )

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


def layer_summary(role: str, source: str, gdf: gpd.GeoDataFrame, rep: Any) -> LayerSummary:
    """The summary of one vector layer read for ``role`` (``rep``: its read report or None)."""
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
