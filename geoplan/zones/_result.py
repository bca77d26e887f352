"""Result objects of the zones analysis: files, map layers, quick maps."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import pandas as pd

from geoplan.labels import code_labels
from geoplan.landuse import Scheme

if TYPE_CHECKING:
    import folium

    from geoplan.io import RunRecord
    from geoplan.maps import MapContext

# colours of the three functions (and mixed / empty units)
COLORS: dict[str, str] = {
    "production": "#e6a532",
    "living": "#d7301f",
    "ecological": "#2c9f4b",
    "mixed": "#8c6bb1",
    "none": "#bdbdbd",
}
# the functions in words (one label table: geoplan.labels)
LABELS_ZH: dict[str, str] = code_labels("sansheng", "zh")
LABELS_EN: dict[str, str] = code_labels("sansheng", "en")
# map texts: key -> (zh, en)
_TEXT: dict[str, tuple[str, str]] = {
    "cells": ("三生空间主导功能（网格）", "dominant function (cells)"),
    "zones": ("功能分区", "functional zones"),
    "townships": ("乡镇", "townships"),
    "legend": ("三生空间", "function"),
    "composition": ("用地构成", "land-use composition"),
    "largest": ("最大地类", "largest class"),
    "cell": ("网格", "cell"),
    "dominant": ("主导功能", "dominant"),
    "mix": ("混合类型", "mix"),
    "production": ("生产", "production"),
    "living": ("生活", "living"),
    "ecological": ("生态", "ecological"),
    "entropy": ("混合度（熵）", "entropy"),
    "eco index": ("生态质量指数", "eco index"),
    "zone": ("分区", "zone"),
    "label": ("类型", "label"),
    "ha": ("面积（公顷）", "area (ha)"),
    "units": ("网格数", "units"),
    "township": ("乡镇", "township"),
}


def _texts(m: folium.Map) -> tuple[dict[str, str], dict[str, str]]:
    """Map texts and function labels in the map's language."""
    from geoplan import maps

    en = maps.lang_of(m) == "en"
    return {k: v[1] if en else v[0] for k, v in _TEXT.items()}, (LABELS_EN if en else LABELS_ZH)


CSV_FIRST = (
    "cell_id",
    "area_m2",
    "production",
    "living",
    "ecological",
    "dominant",
    "mix_label",
    "entropy",
)


def _mix_colors(values: pd.Series) -> dict[str, str]:
    """A colour per mix label: single functions in their colour, pairs blended."""
    out: dict[str, str] = {}
    for v in pd.unique(values.dropna()):
        s = str(v)
        if s in COLORS:
            out[s] = COLORS[s]
        elif "+" in s:
            a, b = s.split("+", 1)
            out[s] = _blend(COLORS.get(a, "#888888"), COLORS.get(b, "#888888"))
    return out


def _label(value: Any, lang: str) -> Any:
    """A function or mix code (``production+living``) in words; missing values as they are."""
    from geoplan.labels import code_label

    return value if not isinstance(value, str) else code_label("sansheng", value, lang)


def _blend(c1: str, c2: str) -> str:
    r = [(int(c1[i : i + 2], 16) * 2 + int(c2[i : i + 2], 16)) // 3 for i in (1, 3, 5)]
    return "#" + "".join(f"{v:02x}" for v in r)


@dataclass(frozen=True, eq=False)
class CompositionResult:
    """Land-use composition of units (see :func:`geoplan.landuse_composition`).

    Attributes
    ----------
    units
        The units with ``unit_id``, ``area_m2``, ``landuse_m2``, one share column per class
        (0–1 of the unit's area; by 三生 also ``production_agricultural`` … sub-class shares) and
        ``nodata``.
    areas
        Long table: ``unit_id, unit, code, sanlei, sansheng, sansheng_sub, cultivated, urban,
        area_m2, recorded_m2`` (``recorded_m2``: TBDLMJ/KCMJ apportioned; NaN for rasters).
    by
        What the share columns are (``sansheng``, ``sanlei``, ``sansheng_sub``, ``code``).
    classes
        The share column names in order.
    summary
        JSON-safe figures (units, areas in ha, unknown codes …).
    landuse
        The classified parcels (vector input), else None.
    raster
        The land-cover raster path (raster input), else None.
    scheme
        The raster scheme (raster input), else None.
    """

    units: gpd.GeoDataFrame
    areas: pd.DataFrame
    by: str
    classes: tuple[str, ...]
    summary: dict[str, Any] = field(default_factory=dict)
    landuse: gpd.GeoDataFrame | None = None
    raster: str | None = None
    scheme: Scheme | None = None

    def _repr_html_(self) -> str:
        """The key figures as a table (Chinese headers) when shown in a notebook."""
        from geoplan._repr import figures_html

        return figures_html(
            "用地构成", self.summary, "composition", tables={"统计单元": self.units}
        )

    def to_files(
        self, directory: str | os.PathLike[str], *, context: MapContext | None = None
    ) -> dict[str, Path]:
        """Write ``composition.gpkg`` (layer units) and ``composition.csv`` atomically
        (no map: ``context`` is accepted so every result is written alike)."""
        from geoplan.io import write_csv, write_gpkg

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        return {
            "gpkg": write_gpkg(d / "composition.gpkg", {"units": self.units}),
            "csv": write_csv(
                d / "composition.csv", pd.DataFrame(self.units.drop(columns="geometry"))
            ),
        }

    def add_to_map(self, m: folium.Map) -> None:
        """Add the units coloured by their largest class, with the shares in popups."""
        from geoplan import maps
        from geoplan.labels import code_label

        t, labels = _texts(m)
        lang = maps.lang_of(m)
        vocabulary = {"sansheng": "sansheng", "sansheng_sub": "sansheng_sub", "sanlei": "sanlei"}
        vocab = vocabulary.get(self.by)
        units = self.units.copy()
        cols = [c for c in self.classes if c in units]
        top = units[cols].idxmax(axis=1).where(units[cols].sum(axis=1) > 0, "none")
        units["top_class"] = top
        units["top_label"] = top.map(
            lambda c: labels.get(c, c) if vocab is None else code_label(vocab, c, lang)
        ).astype("string")
        names = {c: (code_label(vocab, c, lang) if vocab else c) for c in cols}
        popup = {"unit_id": t["cell"], **names}
        colors = {
            units.loc[top == k, "top_label"].iloc[0]: v
            for k, v in COLORS.items()
            if (top == k).any()
        }
        by = code_label("composition_by", self.by, lang)
        maps.add_polygons(
            m,
            units,
            name=f"{t['composition']}（{by}）" if lang == "zh" else f"{t['composition']} ({by})",
            color_by="top_label",
            colors=colors or None,
            popup=popup,
            tooltip={"top_label": t["largest"]},
        )
        if colors:
            maps.add_legend(m, t["largest"], colors)

    def explore(self, *, context: MapContext | None = None, **kw: Any) -> folium.Map:
        """A map of the composition over ``context`` (county and township outlines; keywords
        go to :func:`geoplan.maps.new_map`)."""
        from geoplan import maps

        return maps.compose(self, extent=[self.units], context=context, **kw)


#: Chinese labels of the zones tables' columns (database comments)
ZONES_LABELS = {
    "unit_id": "单元编号", "cell_id": "格网编号", "row": "行号", "col": "列号",
    "area_m2": "面积(平方米)", "area_mu": "面积(亩)", "area_ha": "面积(公顷)",
    "landuse_m2": "有用地数据的面积(平方米)", "production": "生产空间占比", "living": "生活空间占比",
    "ecological": "生态空间占比", "production_agricultural": "农业生产占比",
    "production_industrial": "工业生产占比", "living_urban": "城镇生活占比",
    "living_rural": "农村生活占比", "ecological_forest": "林地生态占比",
    "ecological_grass": "草地生态占比", "ecological_water": "水域生态占比",
    "ecological_wetland": "湿地生态占比", "ecological_other": "其他生态占比",
    "nodata": "无数据占比", "dominant": "主导功能", "mix_label": "功能混合类型",
    "entropy": "功能混合度(归一化香农熵)", "eco_index": "生态质量指数",
    "zone_id": "功能区编号", "zone_label": "功能区类型", "label": "功能区类型",
    "n_units": "单元数", "region": "分区", "name": "名称", "code": "代码",
    "agricultural_land_mu": "农用地(亩)", "construction_land_mu": "建设用地(亩)",
    "unused_land_mu": "未利用地(亩)", "production_mu": "生产空间(亩)", "living_mu": "生活空间(亩)",
    "ecological_mu": "生态空间(亩)", "construction_share": "建设用地占比",
    "recorded_mu": "调查面积(亩)", "ugb_mu": "城镇开发边界(亩)",
    "construction_outside_ugb_mu": "开发边界外建设用地(亩)", "basic_farmland_mu": "永久基本农田(亩)",
    "cultivated_in_farmland_mu": "基本农田内耕地(亩)",
    "non_cultivated_in_farmland_mu": "基本农田内非耕地(亩)", "eco_redline_mu": "生态保护红线(亩)",
    "construction_in_redline_mu": "红线内建设用地(亩)",
}  # fmt: skip


@dataclass(frozen=True, eq=False)
class ZonesResult:
    """Functional zones (see :func:`geoplan.functional_zones`).

    Attributes
    ----------
    cells
        One row per unit: shares, ``dominant``, ``mix_label``, ``entropy``, ``eco_index``,
        ``zone_id``, ``zone_label`` (and ``region`` when regionalised).
    zones
        One polygon per contiguous zone: ``zone_id, label, n_units, area_m2, area_ha`` and
        area-weighted mean shares.
    townships
        Per township: areas in 亩 and ha by 三大类 and 三生, construction share, entropy, and the
        zoning check columns when zoning was given; None without townships or zoning.
    summary
        JSON-safe figures (counts by dominant function, areas, zones merged, UGB multiple …).
    """

    cells: gpd.GeoDataFrame
    zones: gpd.GeoDataFrame
    townships: gpd.GeoDataFrame | None = None
    summary: dict[str, Any] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """The per-cell table of ``zones.csv`` (no geometry; key columns first)."""
        df = pd.DataFrame(self.cells.drop(columns=self.cells.geometry.name))
        if "cell_id" not in df:
            df.insert(0, "cell_id", df["unit_id"])
        first = [c for c in CSV_FIRST if c in df]
        return df[first + [c for c in df.columns if c not in first]]

    def _repr_html_(self) -> str:
        """The key figures as a table (Chinese headers) when shown in a notebook."""
        from geoplan._repr import figures_html

        return figures_html(
            "三生空间与功能分区", self.summary, "zones",
            tables={"网格": self.cells, "功能分区": self.zones, "乡镇": self.townships},
        )  # fmt: skip

    def to_files(
        self, directory: str | os.PathLike[str], *, context: MapContext | None = None
    ) -> dict[str, Path]:
        """Write ``zones.gpkg`` (layers cells, zones, townships) and ``zones.csv`` atomically
        (no map here: ``geoplan zones`` saves ``explore(context=…)`` as ``zones.html``;
        ``context`` is accepted so every result is written alike)."""
        from geoplan.io import write_csv, write_gpkg

        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        cells = self.cells
        if "cell_id" not in cells:
            cells = cells.assign(cell_id=cells["unit_id"])
        layers: dict[str, gpd.GeoDataFrame] = {"cells": cells, "zones": self.zones}
        if self.townships is not None:
            layers["townships"] = self.townships
        return {
            "gpkg": write_gpkg(d / "zones.gpkg", layers),
            "csv": write_csv(d / "zones.csv", self.table()),
        }

    def to_postgis(
        self,
        url: str,
        *,
        adcode: str,
        as_of: dt.date,
        schema: str | None = None,
        mode: Literal["replace", "append"] = "replace",
        county_name: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        started: dt.datetime | None = None,
    ) -> RunRecord:
        """Write the result into a PostGIS database in one transaction: tables ``zones_cells``, ``zones_zones`` and ``zones_townships``
        (typed, a ``gid`` primary key, ``geom`` with its SRID and a GiST index, Chinese column
        comments) and a ``geoplan_runs`` row keyed by county ``adcode``, ``as_of`` and the
        analysis (``parameters``: the options used, stored as jsonb). ``mode="replace"``
        removes the earlier runs of the same key, ``"append"`` keeps them. ``url`` is
        ``postgresql://user@host:5432/db#schema``, the password from ``PGPASSWORD`` or
        ``~/.pgpass``; see :func:`geoplan.io.write_postgis`.
        """
        from geoplan.io import write_result

        tables = (
            ("zones_cells", self.cells, "功能分区 · 单元三生构成与主导功能", "polygon"),
            ("zones_zones", self.zones, "功能分区 · 连片功能区", "polygon"),
            ("zones_townships", self.townships, "功能分区 · 乡镇汇总与三区三线核查", "polygon"),
        )
        return write_result(
            url, "zones", tables, ZONES_LABELS, adcode=adcode, as_of=as_of,
            summary=self.summary, parameters=parameters, county_name=county_name,
            started=started, schema=schema, mode=mode,
        )  # fmt: skip

    def add_to_map(self, m: folium.Map) -> None:
        """Add cells (by dominant function), zones (by label) and townships, with legends."""
        from geoplan import maps

        t, labels = _texts(m)
        lang = maps.lang_of(m)
        cells = self.cells.assign(
            dominant_label=self.cells["dominant"].map(lambda v: _label(v, lang)),
            mix_text=self.cells["mix_label"].map(lambda v: _label(v, lang)),
        )
        cells_popup = {
            "cell_id" if "cell_id" in self.cells else "unit_id": t["cell"],
            "dominant_label": t["dominant"],
            "mix_text": t["mix"],
            "production": t["production"],
            "living": t["living"],
            "ecological": t["ecological"],
            "entropy": t["entropy"],
            "eco_index": t["eco index"],
        }
        present = set(self.cells["dominant"].dropna())
        dom_colors = {k: v for k, v in COLORS.items() if k in present}
        maps.add_polygons(
            m,
            cells,
            name=t["cells"],
            color_by="dominant",
            colors=dom_colors,
            popup=cells_popup,
            tooltip={"mix_text": t["mix"]},
            weight=0.3,
        )
        zone_colors = {_label(k, lang): c for k, c in _mix_colors(self.zones["label"]).items()}
        maps.add_polygons(
            m,
            self.zones.assign(label=self.zones["label"].map(lambda v: _label(v, lang))),
            name=t["zones"],
            color_by="label",
            colors=zone_colors,
            popup={
                "zone_id": t["zone"],
                "label": t["label"],
                "area_ha": t["ha"],
                "n_units": t["units"],
            },
            tooltip={"label": t["zone"]},
            show=False,
            weight=1.5,
        )
        if self.townships is not None:
            from geoplan.labels import field_labels

            keys = [c for c in self.townships.columns if c.endswith(("_mu", "share", "entropy"))]
            pop = field_labels(keys, lang)
            if "name" in self.townships:
                pop = {"name": t["township"], **pop}
            maps.add_polygons(
                m,
                self.townships,
                name=t["townships"],
                color="#555555",
                fill_opacity=0.0,
                popup=pop,
                weight=2.0,
                show=False,
            )
        maps.add_legend(m, t["legend"], {labels[k]: v for k, v in dom_colors.items()})

    def explore(self, *, context: MapContext | None = None, **kw: Any) -> folium.Map:
        """A map of the cells, zones and townships over ``context`` (county and township
        outlines; keywords go to :func:`geoplan.maps.new_map`)."""
        from geoplan import maps

        return maps.compose(self, extent=[self.cells], context=context, **kw)
