"""The report's county overview: layer summary table and a map of the raw layers."""

from __future__ import annotations

import logging
from typing import Any

import folium
import geopandas as gpd
import pandas as pd

from geoplan import maps
from geoplan.county import County, CountySummary
from geoplan.errors import GeoplanError
from geoplan.io import SETTLEMENT_KIND_VALUES, ZONE_TYPE_VALUES
from geoplan.labels import code_label, crs_title, translate
from geoplan.report._html import Section, table
from geoplan.report._text import (
    HIGHWAY_COLORS,
    HIGHWAY_LABELS,
    KIND_COLORS,
    KIND_LABELS,
    ROLE_LABELS,
    SANSHENG_COLORS,
    SANSHENG_LABELS,
    ZONING_COLORS,
    ZONING_LABELS,
    error_kind_zh,
    t,
)

logger = logging.getLogger(__name__)

#: land-use layers up to this many parcels are drawn parcel by parcel on the overview map
MAX_OVERVIEW_PARCELS = 20_000
TRUNK = ("motorway", "trunk", "primary")


def layer_or_none(
    county: County, role: str, problems: dict[str, GeoplanError]
) -> gpd.GeoDataFrame | None:
    """The county's layer for ``role``, or None (missing, or unreadable: noted in problems)."""
    if not county.has(role):
        return None
    try:
        return county.layer(role)
    except GeoplanError as exc:
        problems.setdefault(role, exc)
        logger.error("%s: %s layer unreadable: %s", county.name, role, exc)
        return None


_BREAKDOWN = {"settlements": "tier", "roads": "highway", "zoning": "zone_type"}


def _breakdown(role: str, counts: dict[str, int], lang: str) -> str:
    """ "村 304、一般镇（乡） 15、县城 1": a layer's counts by kind, class or type, labelled."""
    vocabulary = _BREAKDOWN.get(role)
    sep = "、" if lang == "zh" else ", "
    parts = []
    for code, n in counts.items():
        canon = SETTLEMENT_KIND_VALUES.get(code, code) if role == "settlements" else code
        canon = ZONE_TYPE_VALUES.get(canon, canon) if role == "zoning" else canon
        label = code_label(vocabulary, canon, lang) if vocabulary else code
        parts.append(f"{label} {n:,}")
    return sep.join(parts)


def summary_table(summary: CountySummary, lang: str) -> Any:
    labels = ROLE_LABELS[lang]
    rows = []
    for lyr in summary.layers:
        notes = [str(translate(n, lang)) for n in lyr.notes]
        if lyr.breakdown:
            notes.insert(0, _breakdown(lyr.role, lyr.breakdown, lang))
        kinds = [code_label("geometry", g, lang) for g in lyr.geometry.split("/")]
        rows.append(
            {
                "role": labels.get(lyr.role, lyr.role),
                "features": lyr.features,
                "geometry": "/".join(dict.fromkeys(kinds)),
                "area_mu": lyr.area_mu,
                "area_ha": lyr.area_ha,
                "length_km": lyr.length_km,
                "notes": ("；" if lang == "zh" else "; ").join(notes),
            }
        )
    for role, info in summary.rasters.items():
        rows.append(
            {
                "role": labels.get(role, role),
                "features": int(info["width"]) * int(info["height"]),
                "geometry": t(
                    lang,
                    "raster",
                    w=int(info["width"]),
                    h=int(info["height"]),
                    res=float(info["res_m"]),
                ),  # fmt: skip
                "notes": crs_title(info["crs"], lang) if info.get("crs") else "",
            }
        )
    df = pd.DataFrame(rows)
    cols = ["role", "features", "geometry", "area_mu", "area_ha", "length_km", "notes"]
    return table(df, {c: t(lang, c) for c in cols}, lang=lang, sentences=())


def _kinds(settlements: gpd.GeoDataFrame, lang: str) -> pd.Series:
    kind = (
        settlements["kind"]
        if "kind" in settlements.columns
        else pd.Series(pd.NA, index=settlements.index)
    )
    canon = kind.astype("string").map(
        lambda v: SETTLEMENT_KIND_VALUES.get(v, v) if isinstance(v, str) else v
    )
    return canon.map(lambda v: KIND_LABELS[lang].get(v, v) if isinstance(v, str) else pd.NA).astype(
        "string"
    )


def _road_class(highway: pd.Series) -> pd.Series:
    base = highway.astype("string").str.replace("_link", "", regex=False)
    known = set(HIGHWAY_COLORS) - {"other"}
    return base.where(base.isin(known), "other").fillna("other")


def add_raw_layers(
    m: folium.Map,
    county: County,
    lang: str,
    *,
    problems: dict[str, GeoplanError],
    with_land_records: bool,
    notes: list[str],
) -> int:
    """Draw the county's raw layers on ``m``; return the number of layers drawn."""
    drawn = 0
    boundary = layer_or_none(county, "boundary", problems)
    if boundary is not None:
        maps.add_polygons(m, boundary, name=t(lang, "lyr_boundary"), color="#333333",
                          fill_opacity=0.0, weight=2.5)  # fmt: skip
        drawn += 1
    towns = layer_or_none(county, "townships", problems)
    if towns is not None:
        maps.add_polygons(m, towns, name=t(lang, "lyr_townships"), color="#555555",
                          fill_opacity=0.03, weight=1, tooltip={"name": t(lang, "name")},
                          label="name" if "name" in towns.columns else None)  # fmt: skip
        drawn += 1
    drawn += _landuse(m, county, lang, problems, notes)
    zoning = layer_or_none(county, "zoning", problems)
    if zoning is not None:
        z = zoning.copy()
        canon = z["zone_type"].astype("string").map(lambda v: ZONE_TYPE_VALUES.get(v, v))
        z["zone_label"] = canon.map(lambda v: ZONING_LABELS[lang].get(v, v)).astype("string")
        colors = {ZONING_LABELS[lang][k]: c for k, c in ZONING_COLORS.items()}
        maps.add_polygons(m, z, name=t(lang, "lyr_zoning"), color_by="zone_label", colors=colors,
                          fill_opacity=0.2, show=False, tooltip={"zone_label": t(lang, "zone_type"),
                          "name": t(lang, "name")}, legend=t(lang, "legend_zoning"))  # fmt: skip
        drawn += 1
    if with_land_records:
        for role, color, fields in (
            ("approvals", "#f39c12", ("batch_id", "approval_no", "approved_on")),
            ("supplies", "#2980b9", ("supply_id", "batch_id", "supplied_on", "supply_method")),
        ):
            lyr = layer_or_none(county, role, problems)
            if lyr is not None:
                maps.add_polygons(m, lyr, name=t(lang, f"lyr_{role}"), color=color,
                                  popup={f: t(lang, f) for f in fields if f in lyr.columns})  # fmt: skip
                drawn += 1
    parks = layer_or_none(county, "parks", problems)
    if parks is not None:
        maps.add_polygons(m, parks, name=t(lang, "lyr_parks"), color="#8e44ad", fill_opacity=0.35,
                          tooltip={"name": t(lang, "name"), "level": t(lang, "level")})  # fmt: skip
        drawn += 1
    drawn += _roads(m, county, lang, problems)
    stl = layer_or_none(county, "settlements", problems)
    if stl is not None:
        s = stl.copy()
        s["kind_label"] = _kinds(s, lang)
        colors = {KIND_LABELS[lang][k]: c for k, c in KIND_COLORS.items()}
        maps.add_points(m, s, name=t(lang, "lyr_settlements"), color_by="kind_label",
                        colors=colors, radius=3.5,
                        radius_by="population" if s["population"].notna().any() else None,
                        tooltip={"name": t(lang, "name"), "kind_label": t(lang, "kind"),
                                 "population": t(lang, "population")},
                        legend=t(lang, "legend_settlements"))  # fmt: skip
        drawn += 1
    return drawn


def _landuse(
    m: folium.Map, county: County, lang: str, problems: dict[str, GeoplanError], notes: list[str]
) -> int:
    lu = layer_or_none(county, "landuse", problems)
    if lu is None:
        return 0
    if len(lu) > MAX_OVERVIEW_PARCELS:
        notes.append(t(lang, "landuse_skipped", n=len(lu)))
        return 0
    from geoplan.landuse import classify_landuse

    try:
        c = classify_landuse(lu, unknown="keep")
    except GeoplanError as exc:
        problems.setdefault("landuse", exc)
        return 0
    c = c[["sansheng", "class_name", "code", c.geometry.name]].copy()
    c["space"] = c["sansheng"].map(
        lambda v: SANSHENG_LABELS[lang].get(v, v) if isinstance(v, str) else pd.NA
    )
    c["space"] = c["space"].astype("string")
    colors = {SANSHENG_LABELS[lang][k]: col for k, col in SANSHENG_COLORS.items()}
    maps.add_polygons(m, c, name=t(lang, "lyr_landuse"), color_by="space", colors=colors,
                      weight=0.3, fill_opacity=0.55, show=True,
                      tooltip={"class_name": t(lang, "name"), "code": t(lang, "code"),
                               "space": t(lang, "sansheng")},
                      legend=t(lang, "legend_landuse"))  # fmt: skip
    return 1


def _roads(m: folium.Map, county: County, lang: str, problems: dict[str, GeoplanError]) -> int:
    roads = layer_or_none(county, "roads", problems)
    if roads is None or roads.empty:
        return 0
    r = roads.copy()
    r["road_class"] = _road_class(r["highway"])
    r["class_label"] = r["road_class"].map(HIGHWAY_LABELS[lang]).astype("string")
    colors = {HIGHWAY_LABELS[lang][k]: c for k, c in HIGHWAY_COLORS.items()}
    tip = {c: t(lang, c) for c in ("name", "ref") if c in r.columns}
    tip["class_label"] = t(lang, "highway")
    trunk = r["road_class"].isin(TRUNK).to_numpy()
    n = 0
    if (~trunk).any():
        maps.add_lines(m, r.loc[~trunk], name=t(lang, "lyr_roads"), color_by="class_label",
                       colors=colors, weight=1.2, tooltip=tip)  # fmt: skip
        n += 1
    if trunk.any():
        maps.add_lines(m, r.loc[trunk], name=t(lang, "lyr_trunk"), color_by="class_label",
                       colors=colors, weight=3.5, tooltip=tip)  # fmt: skip
        n += 1
    present = [HIGHWAY_LABELS[lang][k] for k in HIGHWAY_COLORS if (r["road_class"] == k).any()]
    maps.add_legend(m, t(lang, "legend_roads"), {k: colors[k] for k in present},
                    position="bottomleft")  # fmt: skip
    return n


def overview_section(
    county: County,
    lang: str,
    *,
    tiles: str | None,
    with_land_records: bool,
    map_height: str,
) -> tuple[Section, CountySummary | None, folium.Map | None]:
    """The county overview section: summary table (or the read problems) and the raw-layer map."""
    sec = Section("overview", t(lang, "overview"))
    problems: dict[str, GeoplanError] = {}
    summary: CountySummary | None = None
    try:
        summary = county.summary()
    except GeoplanError as exc:
        logger.error("%s: county summary failed: %s", county.name, exc)
        for role in county.roles:
            if role in ROLE_LABELS["en"] and role != "landcover":
                layer_or_none(county, role, problems)
        if not problems:
            problems["county"] = exc
    if summary is not None:
        sec.blocks.append(summary_table(summary, lang))
    notes: list[str] = []
    boundary = layer_or_none(county, "boundary", problems)
    extent: list[Any] = [boundary] if boundary is not None else []
    m = maps.new_map(*extent, tiles=tiles, lang=lang, height=map_height)
    drawn = add_raw_layers(m, county, lang, problems=problems,
                           with_land_records=with_land_records, notes=notes)  # fmt: skip
    if problems:
        lines = [f"{ROLE_LABELS[lang].get(k, k)}: {v}" for k, v in problems.items()]
        if lang == "zh":  # what went wrong in words here, the errors' own text folded away
            kinds = [
                f"{ROLE_LABELS[lang].get(k, k)}：{error_kind_zh(v)}" for k, v in problems.items()
            ]
            sec.note = t(lang, "summary_failed") + "\n" + "\n".join(kinds)
            sec.detail = "\n".join(lines)
        else:
            sec.note = t(lang, "summary_failed") + "\n" + "\n".join(lines)
        sec.status = "error" if summary is None else "ok"
    if notes:
        sec.note = "\n".join([*([sec.note] if sec.note else []), *notes])
    if drawn == 0:
        return sec, summary, None
    return sec, summary, maps.finish(m)
