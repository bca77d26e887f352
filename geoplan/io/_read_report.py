"""What :func:`geoplan.io.read_layer` did to a layer (:class:`ReadReport`): where it came from,
which columns became which fields, what was repaired, dropped or assigned."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd

__all__ = ["ReadReport", "read_report"]


@dataclass
class ReadReport:
    """What :func:`read_layer` did to a layer: where it came from, what it renamed and repaired."""

    source: str
    layer: str | None
    role: str | None
    features_read: int
    features: int = 0
    repaired: int = 0
    dropped_empty: int = 0
    dropped_unrepairable: int = 0
    closed_rings: int = 0
    renamed: dict[str, str] = field(default_factory=dict)
    added: list[str] = field(default_factory=list)
    encoding: str | None = None
    crs: str | None = None
    crs_assigned: bool = False
    source_crs: str | None = None
    fields: dict[str, str] = field(default_factory=dict)
    truncated: dict[str, str] = field(default_factory=dict)
    unused: list[str] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    field_notes: list[str] = field(default_factory=list)

    def mapping(self) -> list[str]:
        """One line per source column: what it became (``源列 → field``) or that it is unused.

        Examples
        --------
        >>> rep = ReadReport("a.shp", None, "supplies", 1, fields={"约定动工日": "agreed_start"},
        ...                  truncated={"约定动工日": "约定动工日期"}, unused=["BZ"])
        >>> rep.mapping()
        ['约定动工日 → agreed_start (shapefile cut of 约定动工日期)', 'BZ: not used']
        """
        out = []
        for src, dst in self.fields.items():
            line = f"{src} → {dst}"
            if src in self.truncated:
                line += f" (shapefile cut of {self.truncated[src]})"
            if dst in self.units:
                line += f", unit {self.units[dst]}"
            out.append(line)
        out.extend(f"{c}: not used" for c in self.unused)
        return out

    def notes(self) -> list[str]:
        """Human-readable lines on repairs and drops (empty when nothing happened)."""
        out = []
        if self.closed_rings:
            out.append(f"{self.closed_rings} geometries had unclosed rings (closed when read)")
        if self.repaired:
            out.append(f"{self.repaired} invalid geometries repaired (make_valid)")
        if self.dropped_empty:
            out.append(f"{self.dropped_empty} features without geometry dropped")
        if self.dropped_unrepairable:
            out.append(
                f"{self.dropped_unrepairable} features dropped: no geometry of the right kind "
                "left after repair"
            )
        if self.crs_assigned:
            out.append(f"CRS assigned by the caller: {self.source_crs}")
        out.extend(self.field_notes)
        return out


def read_report(gdf: gpd.GeoDataFrame) -> ReadReport | None:
    """The :class:`ReadReport` attached to a frame returned by :func:`read_layer`, if any."""
    rep = gdf.attrs.get("read_report")
    return rep if isinstance(rep, ReadReport) else None
