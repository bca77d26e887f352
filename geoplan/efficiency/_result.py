"""``land_efficiency``: the 亩均效益 evaluation of a county's enterprises on its supplied land, and
its result object."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from geoplan.crs import check_same_crs, ensure_projected
from geoplan.efficiency._land import (
    AUDIT_STATUS_ZH,
    attribute,
    low_efficiency,
    plot_figures,
    standard_checks,
    stock_ledger,
)
from geoplan.efficiency._link import firm_places, link_firms, supply_plots
from geoplan.efficiency._options import EfficiencyRules
from geoplan.efficiency._scheme import CLASSES, GROUPS, Scheme, load_scheme
from geoplan.efficiency._score import score_firms
from geoplan.errors import InputError, MissingFieldError

if TYPE_CHECKING:
    import folium

    from geoplan.audit import AuditResult
    from geoplan.io import RunRecord
    from geoplan.maps import MapContext

__all__ = ["EfficiencyResult", "land_efficiency"]

logger = logging.getLogger(__name__)

_NUMBERS = ("tax", "revenue", "value_added", "energy", "emissions", "employees", "rnd", "power",
            "declared_area", "floor_area", "fixed_investment")  # fmt: skip


@dataclass
class EfficiencyResult:
    """What :func:`land_efficiency` found.

    Attributes
    ----------
    firms
        One row per enterprise: inputs (money in 万元), link method and land (亩), township,
        park, the eight indicators, score, rank within its group (规上 / 规下), class (A–D,
        ``exempt`` 不定等级, ``unknown`` 待核实 with ``unknown_reason``); geometry: its point, else a
        point inside its land.
    land
        The supplied plots evaluated (industrial by 土地用途, or used by a firm), with their firms,
        tax, 容积率 (``far``), 亩均税收, the class of the main firm, the audit status, township
        and park.
    parks, townships
        Per park / township: firms by class, land, tax and 亩均税收, industrial land without a
        firm, 低效用地 (parks ranked by 亩均税收).
    low_efficiency
        低效用地 plots with ``low_area_mu`` and ``low_reasons``.
    stock
        The stock ledger: 批而未供 + 闲置 + 低效 (亩) per township, per park and for the county,
        and the new quota under 增存挂钩.
    standard_land
        标准地 plots with each control indicator met / not met / not yet due / unknown.
    unlinked_firms, vacant_land
        Firms on no supplied polygon (declared area only, or no land at all); supplied
        industrial plots no firm uses.
    summary
        Headline figures (``summary.json``); ``notes`` says in words what could not be judged.
    benchmarks
        ``{group: {indicator: benchmark}}`` used for the scores.

    Examples
    --------
    >>> from geoplan.runs import run_efficiency
    >>> from geoplan.county import County
    >>> from geoplan.datasets import demo_path
    >>> r = run_efficiency(County.open(demo_path()))
    >>> r.summary["firms"] == len(r.firms), sorted(set(r.firms["class"]))[:2]
    (True, ['A', 'B'])
    """

    firms: gpd.GeoDataFrame
    land: gpd.GeoDataFrame
    parks: pd.DataFrame
    townships: pd.DataFrame
    low_efficiency: gpd.GeoDataFrame
    stock: pd.DataFrame
    standard_land: gpd.GeoDataFrame
    unlinked_firms: pd.DataFrame
    vacant_land: gpd.GeoDataFrame
    summary: dict[str, Any]
    benchmarks: dict[str, dict[str, float]] = field(default_factory=dict)
    scheme: Scheme | None = None
    rules: EfficiencyRules = field(default_factory=EfficiencyRules)
    as_of: dt.date = dt.date(1970, 1, 1)

    def notes(self) -> list[str]:
        """What could not be judged or was left out, as sentences (Chinese)."""
        return list(self.summary.get("notes", []))

    def to_files(
        self, directory: str | os.PathLike[str], *, context: MapContext | None = None
    ) -> dict[str, Path]:
        """Write efficiency.gpkg, efficiency.xlsx (the ledger, Chinese headers), summary.json and
        efficiency.html into ``directory``; each atomically, the map over ``context`` (county
        and township outlines). Returns ``{kind: path}``."""
        from geoplan.efficiency._write import write_all

        return write_all(self, Path(directory), context=context)

    def to_postgis(
        self,
        url: str,
        *,
        adcode: str,
        schema: str | None = None,
        mode: Literal["replace", "append"] = "replace",
        county_name: str | None = None,
        parameters: Mapping[str, Any] | None = None,
        started: dt.datetime | None = None,
    ) -> RunRecord:
        """Write the evaluation into a PostGIS database in one transaction: tables
        ``efficiency_firms`` (points; firms without one keep a NULL geometry),
        ``efficiency_land``, ``efficiency_low``, ``efficiency_standard_land``,
        ``efficiency_vacant_land`` (polygons), ``efficiency_parks``, ``efficiency_townships``,
        ``efficiency_stock`` and ``efficiency_unlinked_firms`` (typed, a ``gid`` primary key,
        ``geom`` with its SRID and a GiST index, the ledger's Chinese headers as column
        comments) and a ``geoplan_runs`` row keyed by county ``adcode``, the as-of date and
        the analysis (``parameters``: the scheme and rules, updated by those given).
        ``mode="replace"`` removes the earlier runs of the same key, ``"append"`` keeps them.
        ``url`` is
        ``postgresql://user@host:5432/db#schema``, the password from ``PGPASSWORD`` or
        ``~/.pgpass``; see :func:`geoplan.io.write_postgis`.
        """
        from geoplan.efficiency._write import postgis_labels, postgis_tables
        from geoplan.io import json_ready, write_result

        parameters = {
            "scheme": self.summary.get("scheme"),
            **json_ready(self.rules),
            **dict(parameters or {}),
        }
        return write_result(
            url, "efficiency", postgis_tables(self), postgis_labels(), adcode=adcode,
            as_of=self.as_of, summary=self.summary, parameters=parameters,
            county_name=county_name, started=started, schema=schema, mode=mode,
        )  # fmt: skip

    def add_to_map(self, m: folium.Map) -> None:
        """Add the land by class, 低效用地, industrial land with no firm and the firms to ``m``."""
        from geoplan.efficiency._map import add_efficiency_layers

        add_efficiency_layers(self, m)

    def explore(self, *, context: MapContext | None = None, **kw: Any) -> folium.Map:
        """An offline folium map over ``context`` (county and township outlines; keywords go
        to :func:`geoplan.maps.new_map`)."""
        from geoplan import maps

        frames = [f for f in (self.land, self.firms) if len(f) and f.geometry.notna().any()]
        extent = [f[f.geometry.notna()] for f in frames[:1]]
        return maps.compose(self, extent=extent, context=context, **kw)


def _check_inputs(enterprises: gpd.GeoDataFrame, supplies: gpd.GeoDataFrame) -> None:
    for name, frame, need in (
        ("enterprises", enterprises, ("credit_code", "scale", *_NUMBERS, "supply_id", "industry",
                                      "started_on", "status", "name")),
        ("supplies", supplies, ("supply_id",)),
    ):  # fmt: skip
        missing = [c for c in need if c not in frame.columns]
        if missing:
            raise MissingFieldError(
                f"The {name} table lacks the field(s) {missing}. Read it with "
                f"geoplan.io.read_table / read_layer(role={name!r}), which adds every optional "
                "field, or add the columns."
            )
    if len(enterprises) == 0:
        raise InputError("The enterprise table is empty: nothing to evaluate.")
    ensure_projected(supplies, name="supplies")
    if enterprises.crs is not None and enterprises.geometry.notna().any():
        check_same_crs(("enterprises", enterprises), ("supplies", supplies))


def land_efficiency(
    enterprises: gpd.GeoDataFrame,
    supplies: gpd.GeoDataFrame,
    *,
    parks: gpd.GeoDataFrame | None = None,
    townships: gpd.GeoDataFrame | None = None,
    scheme: str | os.PathLike[str] | Scheme = "default",
    audit: AuditResult | None = None,
    as_of: dt.date | str | None = None,
    rules: EfficiencyRules | None = None,
) -> EfficiencyResult:
    """亩均效益 evaluation: each firm's indicators, score and class on the land it uses; 标准地
    checks; 低效用地; and the stock ledger (批而未供 + 闲置 + 低效) per township and park.

    Parameters
    ----------
    enterprises
        The enterprise table (role ``enterprises``, :func:`geoplan.io.read_table`): money in
        万元; points (or none) in the CRS of ``supplies``.
    supplies
        Supply records (role ``supplies``) in a projected CRS: ``supply_id``, ``land_use``
        (土地用途), 标准地 indicators, ``agreed_finish``.
    parks, townships
        Optional polygons (``name``) to attribute land and firms to.
    scheme
        A shipped scheme name (``default``, ``six_indicators``), a TOML file, or a
        :class:`Scheme`.
    audit
        The land audit (:func:`geoplan.audit_land`) of the same supplies: its 批而未供 and 闲置
        enter the stock ledger, and land it finds idle or not yet due is not judged 低效.
        Without it the ledger holds 低效 only (said in ``summary["notes"]``).
    as_of
        Assessment date (start-ups, 标准地 due dates); default the audit's, else today.
    rules
        :class:`EfficiencyRules` (增存挂钩 ratio, industrial 土地用途 words).

    Returns
    -------
    EfficiencyResult

    Raises
    ------
    InputError
        Missing fields, an empty table, a scheme that does not check, CRSs that differ.
    """
    sch = load_scheme(scheme)
    rules = rules or EfficiencyRules()
    _check_inputs(enterprises, supplies)
    when = _as_of(as_of, audit)
    plots = supply_plots(supplies, rules.industrial_uses)
    status = _audit_status(audit)
    plots["audit_status"] = plots["supply_id"].map(status).astype("string")
    plots["audit_status_zh"] = plots["audit_status"].map(AUDIT_STATUS_ZH).astype("string")
    firms = enterprises.reset_index(drop=True)
    land, links = link_firms(firms, plots)
    firms = firms.join(land)
    scored, benchmarks = score_firms(firms, sch, when)
    firms = firms.join(scored)
    plots = plot_figures(plots, firms, links)
    plots["township"] = attribute(plots, townships, "乡镇")
    plots["park"] = attribute(plots, parks, "园区")
    firms = _place_firms(firms, links, plots, townships, parks)
    low = low_efficiency(plots, firms, links, sch)
    std = standard_checks(plots, sch, when)
    evaluated = plots["industrial"].fillna(False).to_numpy(dtype=bool) | (plots["n_firms"] > 0)
    land_out = plots[evaluated.to_numpy() if hasattr(evaluated, "to_numpy") else evaluated].copy()
    vacant = land_out[land_out["industrial"].fillna(False).to_numpy(dtype=bool)
                      & (land_out["n_firms"] == 0).to_numpy()].copy()  # fmt: skip
    pieces = _stock_pieces(audit, low)
    stock = stock_ledger(pieces, townships=townships, parks=parks,
                         quota_ratio=rules.new_quota_per_stock_mu)  # fmt: skip
    unlinked = firms[firms["link_method"].isin(["none", "declared"]).to_numpy()]
    result = EfficiencyResult(
        firms=firms,
        land=land_out,
        parks=_area_table(firms, land_out, low, "park", parks, "园区"),
        townships=_area_table(firms, land_out, low, "township", townships, "乡镇"),
        low_efficiency=low,
        stock=stock,
        standard_land=std,
        unlinked_firms=pd.DataFrame(unlinked.drop(columns=unlinked.geometry.name)),
        vacant_land=vacant,
        summary={},
        benchmarks=benchmarks,
        scheme=sch,
        rules=rules,
        as_of=when,
    )
    result.summary = _summary(result, audit is not None)
    return result


def _as_of(value: dt.date | str | None, audit: AuditResult | None) -> dt.date:
    if value is None:
        return audit.as_of if audit is not None else dt.date.today()
    if isinstance(value, dt.date):
        return value
    try:
        return pd.Timestamp(value).date()
    except ValueError:
        raise InputError(f"as_of={value!r} is not a date; write it as 2026-06-30.") from None


def _audit_status(audit: AuditResult | None) -> dict[str, str]:
    if audit is None:
        return {}
    s = audit.supplies
    return dict(zip(s["supply_id"].astype(str), s["status"].astype(str), strict=True))


def _place_firms(
    firms: pd.DataFrame,
    links: pd.DataFrame,
    plots: gpd.GeoDataFrame,
    townships: gpd.GeoDataFrame | None,
    parks: gpd.GeoDataFrame | None,
) -> gpd.GeoDataFrame:
    """Firms on the map and in their township and park: those of their main plot, else of their
    own point."""
    gdf = gpd.GeoDataFrame(firms, geometry=firms.geometry.name, crs=plots.crs)
    own_town = attribute(gdf, townships, "乡镇")
    own_park = attribute(gdf, parks, "园区")
    town = pd.Series(pd.NA, index=gdf.index, dtype="string")
    park = pd.Series(pd.NA, index=gdf.index, dtype="string")
    if len(links):
        main = links.sort_values(["firm", "area_mu"], ascending=[True, False]).drop_duplicates(
            "firm"
        )
        rows = main["firm"].to_numpy()
        town.iloc[rows] = plots["township"].to_numpy()[main["plot"].to_numpy()]
        park.iloc[rows] = plots["park"].to_numpy()[main["plot"].to_numpy()]
    gdf["township"] = town.fillna(own_town)
    gdf["park"] = park.fillna(own_park)
    return gdf.set_geometry(firm_places(gdf, links, plots))


def _stock_pieces(audit: AuditResult | None, low: gpd.GeoDataFrame) -> dict[str, gpd.GeoDataFrame]:
    def piece(frame: gpd.GeoDataFrame, area: str) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame({"area_mu": frame[area].to_numpy(dtype="float64")},
                                geometry=frame.geometry.to_numpy(), crs=frame.crs)  # fmt: skip

    empty = gpd.GeoDataFrame({"area_mu": []}, geometry=[], crs=low.crs)
    return {
        "unsupplied": piece(audit.unsupplied if audit is not None else empty, "area_mu"),
        "idle": piece(audit.idle if audit is not None else empty, "area_mu"),
        "low_efficiency": piece(low, "low_area_mu"),
    }


def _area_table(
    firms: pd.DataFrame,
    land: gpd.GeoDataFrame,
    low: gpd.GeoDataFrame,
    key: str,
    areas: gpd.GeoDataFrame | None,
    label: str,
) -> pd.DataFrame:
    """Firms by class, land, tax, 亩均税收 and 低效 per park or township."""
    if areas is None:
        return pd.DataFrame()
    from geoplan.efficiency._land import _area_names

    rows = []
    for name in _area_names(areas, label):
        f = firms[(firms[key] == name).fillna(False).to_numpy(dtype=bool)]
        both = f["tax"].notna() & f["land_area_mu"].notna() & (f["land_area_mu"] > 0)
        rev = f["revenue"].notna() & f["land_area_mu"].notna() & (f["land_area_mu"] > 0)
        ind = land[(land[key] == name).fillna(False).to_numpy(dtype=bool)]
        ind = ind[ind["industrial"].fillna(False).to_numpy(dtype=bool)]
        lo = low[(low[key] == name).fillna(False).to_numpy(dtype=bool)]
        mu = float(f.loc[both, "land_area_mu"].sum())
        rmu = float(f.loc[rev, "land_area_mu"].sum())
        row: dict[str, Any] = {
            "name": name,
            "n_firms": len(f),
            **{f"n_{c}": int((f["class"] == c).sum()) for c in (*CLASSES, "exempt", "unknown")},
            "firm_land_mu": float(f["land_area_mu"].sum()),
            "tax": float(f.loc[both, "tax"].sum()),
            "tax_per_mu": float(f.loc[both, "tax"].sum()) / mu if mu > 0 else np.nan,
            "revenue_per_mu": float(f.loc[rev, "revenue"].sum()) / rmu if rmu > 0 else np.nan,
            "industrial_land_mu": float(ind["area_mu"].sum()),
            "vacant_land_mu": float(ind.loc[(ind["n_firms"] == 0).to_numpy(), "area_mu"].sum()),
            "low_efficiency_mu": float(lo["low_area_mu"].sum()),
        }
        rows.append(row)
    out = pd.DataFrame(rows)
    out = out.sort_values("tax_per_mu", ascending=False, na_position="last", kind="stable")
    out.insert(0, "tax_rank", out["tax_per_mu"].rank(method="min", ascending=False).astype("Int64"))
    return out.reset_index(drop=True)


def _summary(r: EfficiencyResult, with_audit: bool) -> dict[str, Any]:
    f = r.firms
    cls = f["class"].value_counts()
    link = f["link_method"].value_counts()
    county = r.stock.iloc[0]
    known = f["tax"].notna() & f["land_area_mu"].notna() & (f["land_area_mu"] > 0)
    mu = float(f.loc[known, "land_area_mu"].sum())
    std = r.standard_land
    std_counts = std["standard_status"].value_counts() if len(std) else pd.Series(dtype="int64")
    notes = []
    n_unknown = int(cls.get("unknown", 0))
    if n_unknown:
        notes.append(f"{n_unknown} 家企业因数据缺失无法评价，待核实(见企业评价表“待核实原因”)")
    if int(link.get("none", 0)):
        notes.append(f"{int(link.get('none', 0))} 家企业未关联到任何供地，且无申报用地面积")
    if not with_audit:
        notes.append(
            "未进行土地摸排(无批准用地图层)：存量土地台账只含低效用地，未含批而未供与闲置土地"
        )
    if r.land["industrial"].isna().all() and len(r.land):
        notes.append("供地记录无土地用途：无法识别未被企业使用的工业用地")
    elif "land_use" not in r.land.columns or r.land["land_use"].isna().all():
        notes.append("供地记录无土地用途：只评价企业使用的供地")
    if not len(std):
        notes.append(
            "供地记录中无标准地控制指标(固定资产投资强度、容积率、亩均税收、单位能耗增加值)"
        )
    return {
        "as_of": r.as_of.isoformat(),
        "scheme": r.scheme.name if r.scheme else None,
        "firms": len(f),
        **{f"firms_{g}": int((f["group"] == g).sum()) for g in GROUPS},
        **{f"linked_by_{m}": int(link.get(m, 0)) for m in ("supply_id", "point", "declared")},
        "unlinked_firms": int(link.get("none", 0)),
        **{f"class_{c}": int(cls.get(c, 0)) for c in CLASSES},
        "class_exempt": int(cls.get("exempt", 0)),
        "class_unknown": n_unknown,
        "firm_land_mu": float(f["land_area_mu"].sum()),
        "tax_total_wan": float(f["tax"].sum()),
        "tax_per_mu": float(f.loc[known, "tax"].sum()) / mu if mu > 0 else None,
        "industrial_land_mu": float(
            r.land.loc[r.land["industrial"].fillna(False).to_numpy(dtype=bool), "area_mu"].sum()
        ),
        "vacant_industrial_plots": len(r.vacant_land),
        "vacant_industrial_mu": float(r.vacant_land["area_mu"].sum()),
        "low_efficiency_plots": len(r.low_efficiency),
        "low_efficiency_mu": float(r.low_efficiency["low_area_mu"].sum()),
        "unsupplied_mu": float(county["unsupplied_mu"]),
        "idle_mu": float(county["idle_mu"]),
        "stock_mu": float(county["stock_mu"]),
        "new_quota_mu": float(county["new_quota_mu"]),
        "standard_plots": len(std),
        **{
            f"standard_{s}": int(std_counts.get(s, 0))
            for s in ("met", "not_met", "not_due", "unknown")
        },
        "notes": notes,
    }
