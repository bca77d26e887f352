"""The province's files: ``province.gpkg``, ``province.xlsx``, ``province.json``, ``index.html``.

Each county's key figures come from its task records (small dicts the workers returned); the
province totals are sums, and the province's 供地率 are ratios of summed areas (never a mean of
rates). ``index.html`` is offline like the county report: a choropleth of the counties with one
layer per indicator (switch in the layer control), a ranked table with each county linked to
its own report by a relative path. Every data string reaches the page escaped.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from markupsafe import Markup, escape

from geoplan._version import __version__
from geoplan.io import atomic_path, dumps_json, write_gpkg, write_json

if TYPE_CHECKING:  # pragma: no cover
    from geoplan.province._run import ProvinceResult

__all__ = ["COLUMNS", "classify", "county_table", "province_totals", "write_outputs"]

logger = logging.getLogger(__name__)

#: the county table's figure columns: (column, Chinese header, kind)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("approved_mu", "批准面积（亩）", "area"),
    ("supplied_mu", "已供面积（亩）", "area"),
    ("unsupplied_mu", "批而未供（亩）", "area"),
    ("idle_mu", "闲置土地（亩）", "area"),
    ("supply_rate", "供地率", "rate"),
    ("approved_5y_mu", "近五年批准（亩）", "area"),
    ("supplied_5y_mu", "近五年已供（亩）", "area"),
    ("supply_rate_5y", "近五年供地率", "rate"),
    ("supply_rate_floor", "供地率下限", "rate"),
    ("meets_floor_5y", "近五年供地率达标", "flag"),
    ("idle_fee_wan", "土地闲置费（万元）", "money"),
    ("parks", "产业园区（个）", "count"),
    ("parks_beyond_30min", "30分钟内不达高速的园区（个）", "count"),
    ("villages_checked", "核查的村（个）", "count"),
    ("villages_missing_reach", "未达通达目标的村（个）", "count"),
    ("towns_missing_reach", "未达通达目标的乡镇（个）", "count"),
)
HEADERS = {
    "name": "县（市、区）",
    "adcode": "行政区划代码",
    "county": "文件夹",
    "area_mu": "辖区面积（亩）",
    "status": "状态",
    "failed": "失败的分析",
    "report": "县报告",
    **{c: h for c, h, _ in COLUMNS},
}
#: indicators the map can switch between (column, label); the first is shown when it opens
MAP_INDICATORS = (
    ("unsupplied_mu", "批而未供（亩）"),
    ("idle_mu", "闲置土地（亩）"),
    ("supply_rate_5y", "近五年供地率"),
    ("idle_fee_wan", "土地闲置费（万元）"),
    ("parks_beyond_30min", "30分钟内不达高速的园区"),
    ("villages_missing_reach", "未达通达目标的村"),
)
TASK_HEADERS = {
    "county": "文件夹", "name": "县（市、区）", "adcode": "行政区划代码", "analysis": "分析",
    "status": "状态", "reused": "沿用上次结果", "seconds": "用时（秒）", "message": "说明",
}  # fmt: skip


def county_table(
    outlines: list[dict[str, Any]], tasks: pd.DataFrame, keys: tuple[str, ...], *, out: Path
) -> gpd.GeoDataFrame:
    """One row per county: outline (WGS 84), figures from the task records, status, report."""
    rows = []
    by_county = {c: g for c, g in tasks.groupby("county", sort=False)} if len(tasks) else {}
    for o in outlines:
        slug = str(o.get("county", ""))
        if not slug:
            continue
        row: dict[str, Any] = {
            "county": slug,
            "name": o.get("name") or slug,
            "adcode": o.get("adcode"),
            "area_mu": o.get("area_mu"),
        }
        for col, _, _ in COLUMNS:
            row[col] = None
        mine = by_county.get(slug)
        failed = []
        if mine is not None:
            for rec in mine.to_dict(orient="records"):
                if rec.get("status") in ("error", "bug"):
                    failed.append(f"{rec['analysis']}: {rec.get('message', '')}")
                figures = rec.get("figures")
                if rec.get("analysis") in keys and isinstance(figures, dict):
                    row.update({k: v for k, v in figures.items() if k in HEADERS})
        row["status"] = "ok" if not failed else "failed"
        row["failed"] = "\n".join(failed)
        page = out / slug / "index.html"
        row["report"] = f"{slug}/index.html" if page.is_file() else None
        row["geometry"] = shapely.from_wkb(o["wkb"], on_invalid="ignore") if o.get("wkb") else None
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["county", "name", "adcode", "area_mu",
                                        *(c for c, _, _ in COLUMNS), "status", "failed",
                                        "report", "geometry"])  # fmt: skip
    for col, _, kind in COLUMNS:
        if kind != "flag":
            frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("float64")
    frame["meets_floor_5y"] = frame["meets_floor_5y"].astype("boolean")
    frame = frame.sort_values(["adcode", "county"], na_position="last").reset_index(drop=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs=4326)


def province_totals(table: pd.DataFrame) -> dict[str, Any]:
    """Province totals: sums of areas, fees and counts; 供地率 as ratios of summed areas.

    Examples
    --------
    >>> t = pd.DataFrame({"approved_mu": [100.0, 300.0], "supplied_mu": [90.0, 150.0],
    ...                   "approved_5y_mu": [50.0, 50.0], "supplied_5y_mu": [20.0, 40.0],
    ...                   "supply_rate_floor": [0.6, 0.6]})
    >>> tot = province_totals(t)
    >>> tot["supply_rate"], tot["supply_rate_5y"], tot["meets_floor_5y"]
    (0.6, 0.6, True)
    """
    out: dict[str, Any] = {}
    for col, _, kind in COLUMNS:
        if col in table.columns and kind in ("area", "money", "count"):
            values = pd.to_numeric(table[col], errors="coerce")
            out[col] = float(values.sum()) if values.notna().any() else None

    def ratio(num: str, den: str) -> float | None:
        n, d = out.get(num), out.get(den)
        return None if n is None or not d else n / d

    out["supply_rate"] = ratio("supplied_mu", "approved_mu")
    out["supply_rate_5y"] = ratio("supplied_5y_mu", "approved_5y_mu")
    floors = pd.Series(dtype="float64")
    if "supply_rate_floor" in table.columns:
        floors = pd.to_numeric(table["supply_rate_floor"], errors="coerce").dropna()
    floor = float(floors.median()) if len(floors) else None
    out["supply_rate_floor"] = floor
    rate = out["supply_rate_5y"]
    out["meets_floor_5y"] = None if rate is None or floor is None else bool(rate >= floor)
    return out


def write_outputs(result: ProvinceResult, *, seconds: float) -> tuple[dict[str, Path], dict]:
    """Write the province's files into ``result.out``; (files, summary)."""
    out = result.out
    totals = province_totals(result.counties)
    tasks = result.tasks
    statuses = tasks["status"].value_counts().to_dict() if len(tasks) else {}
    summary: dict[str, Any] = {
        "province": result.name,
        "as_of": result.as_of,
        "counties": len(result.counties),
        "counties_failed": int((result.counties["status"] != "ok").sum()),
        "tasks": len(tasks),
        "tasks_ok": int(statuses.get("ok", 0)),
        "tasks_skipped": int(statuses.get("skipped", 0)),
        "tasks_failed": int(statuses.get("error", 0) + statuses.get("bug", 0)),
        "tasks_reused": int(tasks["reused"].sum()) if len(tasks) else 0,
        "seconds": round(seconds, 2),
        "totals": totals,
        "split_conserved": None if result.split is None else result.split.conserved,
    }
    files = {
        "gpkg": _write_gpkg(out / "province.gpkg", result),
        "xlsx": _write_xlsx(out / "province.xlsx", result, totals),
        "json": write_json(
            out / "province.json",
            {
                "summary": summary,
                "geoplan": __version__,
                "split": None if result.split is None else result.split.to_dict(),
                "tasks": _task_frame(tasks).to_dict(orient="records"),
            },
        ),  # fmt: skip
        "html": _write_html(out / "index.html", result, totals),
    }
    return files, summary


def _task_frame(tasks: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in TASK_HEADERS if c in tasks.columns]
    frame = tasks[cols].copy() if len(tasks) else pd.DataFrame(columns=list(TASK_HEADERS))
    return frame.sort_values(["county", "analysis"]).reset_index(drop=True)


def _write_gpkg(path: Path, result: ProvinceResult) -> Path:
    layers: dict[str, Any] = {"counties": result.counties, "tasks": _task_frame(result.tasks)}
    if result.split is not None:
        layers["split_layers"] = result.split.layers
        layers["split_counties"] = result.split.counties
    return write_gpkg(path, layers)


def _write_xlsx(path: Path, result: ProvinceResult, totals: dict[str, Any]) -> Path:
    cols = ["name", "adcode", "area_mu", *(c for c, _, _ in COLUMNS), "status", "failed"]
    table = pd.DataFrame(result.counties[cols]).copy()
    total_row = {c: totals.get(c) for c in cols}
    total_row.update(name="合计", adcode="", status="", failed="",
                     area_mu=float(pd.to_numeric(table["area_mu"]).sum()))  # fmt: skip
    table = pd.concat([table, pd.DataFrame([total_row])], ignore_index=True)
    table["meets_floor_5y"] = table["meets_floor_5y"].map(
        lambda v: "" if v is None or v is pd.NA else ("是" if bool(v) else "否")
    )
    table = table.rename(columns=HEADERS)
    tasks = _task_frame(result.tasks).rename(columns=TASK_HEADERS)
    with atomic_path(path) as tmp, pd.ExcelWriter(tmp, engine="openpyxl") as writer:
        table.to_excel(writer, sheet_name="各县汇总", index=False)
        tasks.to_excel(writer, sheet_name="任务", index=False)
        if result.split is not None:
            result.split.layers.to_excel(writer, sheet_name="按县拆分", index=False)
        for sheet in writer.sheets.values():
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":  # text from the data starting with "=": text
                        cell.data_type = "s"
            sheet.freeze_panes = "B2"
            for column in sheet.columns:
                sheet.column_dimensions[column[0].column_letter].width = 16
    return path


# --------------------------------------------------------------------------- index.html


def _fmt(value: Any, kind: str) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if kind == "rate":
        return f"{100 * float(value):.1f}%"
    if kind == "flag":
        return "是" if bool(value) else "否"
    if kind == "count":
        return f"{int(value):,}"
    return f"{float(value):,.2f}"


TABLE_COLUMNS = ("unsupplied_mu", "idle_mu", "approved_mu", "supply_rate", "supply_rate_5y",
                 "meets_floor_5y", "idle_fee_wan", "parks_beyond_30min",
                 "villages_missing_reach")  # fmt: skip


def _table_html(table: pd.DataFrame, totals: dict[str, Any]) -> Markup:
    kinds = {c: k for c, _, k in COLUMNS}
    ranked = table.sort_values("unsupplied_mu", ascending=False, na_position="last")
    head = Markup("").join(
        Markup("<th>{}</th>").format(h)
        for h in (
            "排名",
            HEADERS["name"],
            HEADERS["adcode"],
            *(HEADERS[c] for c in TABLE_COLUMNS),
            HEADERS["status"],
        )  # fmt: skip
    )
    body = []
    for rank, rec in enumerate(ranked.drop(columns="geometry", errors="ignore").to_dict(
        orient="records"), start=1):  # fmt: skip
        name = escape(rec["name"])
        if rec["report"]:
            name = Markup('<a href="{}">{}</a>').format(rec["report"], rec["name"])
        status = "正常" if rec["status"] == "ok" else "失败"
        cells = Markup("").join(
            Markup('<td class="num">{}</td>').format(_fmt(rec[c], kinds[c])) for c in TABLE_COLUMNS
        )
        fail = Markup(' title="{}" class="failed"').format(rec["failed"]) if rec["failed"] else ""
        body.append(
            Markup("<tr><td>{}</td><td>{}</td><td>{}</td>{}<td{}>{}</td></tr>").format(
                rank, name, rec["adcode"] or "", cells, fail, status
            )
        )
    total_cells = Markup("").join(
        Markup('<td class="num">{}</td>').format(_fmt(totals.get(c), kinds[c]))
        for c in TABLE_COLUMNS
    )
    foot = Markup("<tr><th></th><th>合计</th><th></th>{}<th></th></tr>").format(total_cells)
    return Markup(
        '<table class="ranked"><thead><tr>{}</tr></thead><tbody>{}</tbody><tfoot>{}</tfoot></table>'
    ).format(head, Markup("").join(body), foot)


RAMP = ("#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15")  # low → high (ColorBrewer Reds)
NO_DATA = ("无数据", "#bdbdbd")


def classify(values: pd.Series, kind: str, *, reverse: bool = False) -> tuple[list[str], dict]:
    """Up to five quantile classes of ``values``: a label per value and ``{label: colour}`` in
    order, darker for worse (higher; lower with ``reverse``).

    Examples
    --------
    >>> labels, colours = classify(pd.Series([1.0, 2.0, None]), "area")
    >>> labels, list(colours.values())
    (['1.00 – 1.50', '1.50 – 2.00', '无数据'], ['#fee5d9', '#a50f15', '#bdbdbd'])
    """
    v = pd.to_numeric(values, errors="coerce").astype(float).to_numpy()
    ok = np.isfinite(v)
    labels = [NO_DATA[0]] * len(v)
    colours: dict[str, str] = {}
    if ok.any():
        k = min(len(RAMP), len(np.unique(v[ok])))  # no more classes than distinct values
        edges = np.unique(np.quantile(v[ok], np.linspace(0, 1, k + 1)))
        if len(edges) == 1:
            edges = np.array([edges[0], edges[0]])
        n = len(edges) - 1
        ramp = [RAMP[round(i * (len(RAMP) - 1) / max(n - 1, 1))] for i in range(n)]
        if reverse:
            ramp = ramp[::-1]
        names = [f"{_fmt(edges[i], kind)} – {_fmt(edges[i + 1], kind)}" for i in range(n)]
        colours = dict(zip(names, ramp, strict=True))
        idx = np.clip(np.searchsorted(edges[1:-1], v[ok], side="right"), 0, n - 1)
        for pos, k in zip(np.flatnonzero(ok), idx, strict=True):
            labels[pos] = names[k]
    if not ok.all():
        colours[NO_DATA[0]] = NO_DATA[1]
    return labels, colours


def _map_parts(table: gpd.GeoDataFrame) -> Any:
    """The choropleth: one layer per indicator (the first on), each in five quantile classes;
    tooltips and popups give the county's value."""
    from geoplan import maps

    drawn = table[table.geometry.notna() & ~table.geometry.is_empty]
    if drawn.empty:
        return None
    kinds = {c: k for c, _, k in COLUMNS}
    m = maps.new_map(drawn, height="520px")
    for i, (col, label) in enumerate(MAP_INDICATORS):
        layer = drawn[["name", "adcode", col, "geometry"]].copy()
        classes, colours = classify(layer[col], kinds[col], reverse=col.startswith("supply_rate"))
        layer["class"] = classes
        layer[col] = [_fmt(v, kinds[col]) for v in layer[col]]
        fields = {"name": "县（市、区）", "adcode": "行政区划代码", col: label}
        maps.add_polygons(
            m, layer, name=label, color_by="class", colors=colours, show=i == 0,
            legend=f"{label}（按五分位分级；切换图层查看其他指标）" if i == 0 else None,
            tooltip=fields, popup=fields, fill_opacity=0.7,
        )  # fmt: skip
    return maps.map_parts(maps.finish(m))


CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:0;
color:#222}header{background:#1f3b57;color:#fff;padding:16px 24px}h1{margin:0 0 4px;
font-size:22px}.meta{opacity:.85;font-size:13px}main{padding:16px 24px}.cards{display:flex;
flex-wrap:wrap;gap:12px;margin:0 0 16px}.card{border:1px solid #ddd;border-radius:6px;
padding:8px 12px;min-width:140px}.card b{display:block;font-size:18px}.map-box{height:520px;
border:1px solid #ccc;margin-bottom:16px;position:relative}table.ranked{border-collapse:collapse;
font-size:13px;width:100%}table.ranked th,table.ranked td{border:1px solid #ddd;padding:4px 6px}
table.ranked thead th{background:#f0f3f6;position:sticky;top:0}td.num{text-align:right}
td.failed{color:#c0392b;font-weight:bold}footer{padding:12px 24px;color:#777;font-size:12px}
"""


def _write_html(path: Path, result: ProvinceResult, totals: dict[str, Any]) -> Path:
    from geoplan import maps

    parts = _map_parts(result.counties)
    cards = [
        ("县（市、区）", f"{len(result.counties):,}"),
        ("批而未供（亩）", _fmt(totals.get("unsupplied_mu"), "area")),
        ("闲置土地（亩）", _fmt(totals.get("idle_mu"), "area")),
        ("近五年供地率", _fmt(totals.get("supply_rate_5y"), "rate")),
        ("土地闲置费（万元）", _fmt(totals.get("idle_fee_wan"), "money")),
        ("失败的县", f"{int((result.counties['status'] != 'ok').sum()):,}"),
    ]
    card_html = Markup("").join(
        Markup('<div class="card">{}<b>{}</b></div>').format(k, v) for k, v in cards
    )
    meta = f"截至 {result.as_of or '各县自定'} · 生成于 {dt.datetime.now():%Y-%m-%d %H:%M}"
    page = Markup(
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>{css}</style>{assets}{headers}</head><body><header><h1>{title}</h1>"
        '<div class="meta">{meta}</div></header><main><div class="cards">{cards}</div>'
        "{map}<h2>各县排名（按批而未供面积）</h2>{table}</main><footer>geoplan {version} · "
        "province.xlsx / province.gpkg 含全部数据</footer><script>{script}</script></body></html>"
    ).format(
        title=f"{result.name} 存量土地与县域概况",
        css=Markup(CSS),
        assets=Markup(maps.shared_assets_html()) if parts is not None else "",
        headers=Markup("\n".join(parts.header.values())) if parts is not None else "",
        meta=meta,
        cards=card_html,
        map=Markup('<div class="map-box">{}</div>').format(Markup(parts.body)) if parts else "",
        table=_table_html(result.counties, totals),
        version=__version__,
        script=Markup(parts.script) if parts is not None else "",
    )
    with atomic_path(path) as tmp:
        tmp.write_text(str(page), encoding="utf-8")
    return path


def summary_json(summary: dict[str, Any]) -> str:
    """The summary as strict JSON text (for the console's ``--json``)."""
    return dumps_json(summary)
