"""Writing an audit to files: audit.gpkg, audit.xlsx (the ledger), summary.json, audit.html.

The Excel ledger is what auditors read and sign: Chinese sheet names and headers with the unit
in each header, numbers stored as numbers, areas in 亩 (2 decimals) and m², money in 元 per
parcel and 万元 in the 汇总 totals, a frozen header row, widths fitted to the content and a 合计
(total) row per sheet whose 亩 totals equal ``summary.json``. 供地 lists every supply with its
status in Chinese (未到期 / 已动工 / 供而未用 / 闲置(一类) / 闲置(二类) / 待核实) and the reason
for 待核实; 汇总 says in words what could not be judged. Every file is written atomically.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geoplan.audit._status import DATE_ORDER, UNKNOWN_REASONS
from geoplan.io import (
    YES_NO,
    ColumnSpec,
    LedgerWorkbook,
    PostgisTable,
    atomic_path,
    label_map,
    write_gpkg,
    write_json,
    xlsx_cell,
    xlsx_table,
)

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from geoplan.audit._result import AuditResult
    from geoplan.maps import MapContext

__all__ = ["SHEETS", "postgis_tables", "write_all", "write_xlsx"]

logger = logging.getLogger(__name__)

SHEETS = ("汇总", "批次", "批而未供", "供地", "闲置土地", "供而未用", "未匹配供地")
GPKG_LAYERS = ("unsupplied", "supplied_unused", "idle", "unmatched_supplies", "supplies", "batches")

MU, M2, RATE, DATE, MONEY, YEARS, INT, TEXT, BOOL = (
    "0.00", "0.00", "0.00%", "yyyy-mm-dd", "#,##0.00", "0.0", "0", None, YES_NO,
)  # fmt: skip

# (column, Chinese header, number format) per sheet
BATCH_COLS: list[tuple[str, str, str | None]] = [
    ("batch_id", "批次名称/编号", TEXT),
    ("approval_no", "批准文号", TEXT),
    ("approved_on", "批准日期", DATE),
    ("approval_type", "批准类型", TEXT),
    ("township", "乡镇", TEXT),
    ("n_polygons", "图斑数", INT),
    ("age_years", "批后年限(年)", YEARS),
    ("approved_area_mu", "批准面积(亩)", MU),
    ("approved_area_m2", "批准面积(平方米)", M2),
    ("supplied_area_mu", "已供面积(亩)", MU),
    ("supplied_area_m2", "已供面积(平方米)", M2),
    ("unsupplied_area_mu", "批而未供面积(亩)", MU),
    ("unsupplied_area_m2", "批而未供面积(平方米)", M2),
    ("sliver_area_mu", "碎片面积(亩)", MU),
    ("sliver_area_m2", "碎片面积(平方米)", M2),
    ("overlap_area_m2", "与其他批次重叠面积(平方米)", M2),
    ("supply_rate", "供地率", RATE),
    ("n_supplies", "供地宗数", INT),
    ("lapsed", "批准失效(满两年未供)", BOOL),
    ("match_method", "匹配方式", TEXT),
    ("id_supplied_area_mu", "按批次号匹配已供面积(亩)", MU),
    ("id_unsupplied_area_mu", "按批次号匹配未供面积(亩)", MU),
    ("match_disagree", "两种匹配结果不一致", BOOL),
]
PIECE_COLS: list[tuple[str, str, str | None]] = [
    ("batch_id", "批次名称/编号", TEXT),
    ("approval_no", "批准文号", TEXT),
    ("approved_on", "批准日期", DATE),
    ("approval_type", "批准类型", TEXT),
    ("township", "乡镇", TEXT),
    ("age_years", "批后年限(年)", YEARS),
    ("area_mu", "面积(亩)", MU),
    ("area_m2", "面积(平方米)", M2),
    ("lapsed", "批准失效(满两年未供)", BOOL),
]
SUPPLY_COLS: list[tuple[str, str, str | None]] = [
    ("supply_id", "电子监管号", TEXT),
    ("batch_id", "批次名称/编号", TEXT),
    ("overlay_batches", "空间叠加所在批次", TEXT),
    ("township", "乡镇", TEXT),
    ("supply_method", "供地方式", TEXT),
    ("supplied_on", "供地日期", DATE),
    ("agreed_start", "约定动工日期", DATE),
    ("actual_start", "实际动工日期", DATE),
    ("suspended_since", "中止开发日期", DATE),
    ("developed_ratio", "已开发比例", RATE),
    ("invested_ratio", "已投资比例", RATE),
    ("status_zh", "状态", TEXT),
    ("unknown_reason_zh", "待核实原因", TEXT),
    ("days_late", "逾期天数(天)", INT),
    ("area_mu", "面积(亩)", MU),
    ("area_m2", "面积(平方米)", M2),
    ("land_price", "成交价款(元)", MONEY),
    ("gov_cause", "政府原因", BOOL),
    ("idle_fee", "土地闲置费(元)", MONEY),
    ("recoverable", "可无偿收回", BOOL),
]
UNMATCHED_COLS: list[tuple[str, str, str | None]] = [
    ("supply_id", "电子监管号", TEXT),
    ("batch_id", "记录的批次名称/编号", TEXT),
    ("township", "乡镇", TEXT),
    ("supply_method", "供地方式", TEXT),
    ("supplied_on", "供地日期", DATE),
    ("status", "状态", TEXT),
    ("area_mu", "批准范围外面积(亩)", MU),
    ("area_m2", "批准范围外面积(平方米)", M2),
]
COHORT_COLS: list[tuple[str, str, str | None]] = [
    ("year", "批准年度", INT),
    ("batches", "批次数", INT),
    ("approved_area_mu", "批准面积(亩)", MU),
    ("supplied_area_mu", "已供面积(亩)", MU),
    ("unsupplied_area_mu", "批而未供面积(亩)", MU),
    ("sliver_area_mu", "碎片面积(亩)", MU),
    ("supply_rate", "供地率", RATE),
    ("in_window", "计入近五年", BOOL),
]
#: labels of the columns the tables hold beyond the ledger's (database comments, one source)
EXTRA_COLS: list[tuple[str, str, str | None]] = [
    ("gross_area_m2", "批准毛面积(平方米,含与其他批次重叠部分)", M2),
    ("approved_area_m2", "批准面积(平方米)", M2),
    ("supplied_area_m2", "已供面积(平方米)", M2),
    ("unsupplied_area_m2", "批而未供面积(平方米)", M2),
    ("sliver_area_m2", "碎片面积(平方米)", M2),
    ("agreed_finish", "约定竣工日期", DATE),
    ("status", "状态代码(not_due/started/supplied_unused/idle_type1/idle_type2/unknown)", TEXT),
    ("unknown_reason", "待核实原因代码", TEXT),
    ("unmatched_area_m2", "批准范围外面积(平方米)", M2),
    ("id_batch_found", "所记批次号找到对应批次", BOOL),
    ("id_in_batch", "位于所记批次范围内", BOOL),
    ("geom_repaired", "图形已修复", BOOL),
    ("source_row", "源数据行号", INT),
]
#: database tables of an audit: (table, result attribute, Chinese name, column labels)
POSTGIS_TABLES: list[tuple[str, str, str, list[tuple[str, str, str | None]]]] = [
    ("audit_batches", "batches", "批次(按批准先后去除重叠后的批准、已供、批而未供面积)", BATCH_COLS),
    ("audit_unsupplied", "unsupplied", "批而未供图斑", PIECE_COLS),
    ("audit_supplies", "supplies", "供地(全部供地记录及状态)", SUPPLY_COLS),
    ("audit_idle", "idle", "闲置土地", SUPPLY_COLS),
    ("audit_supplied_unused", "supplied_unused", "供而未用", SUPPLY_COLS),
    ("audit_unmatched_supplies", "unmatched_supplies", "未匹配供地(批准范围外的供地,待核查)", UNMATCHED_COLS),
    ("audit_cohorts", "cohorts", "按批准年度汇总的供地率", COHORT_COLS),
]  # fmt: skip
TOTALS = {MU, M2, MONEY}
TOTAL_SKIP = {"age_years", "supply_rate", "developed_ratio", "invested_ratio", "land_price"}

SUMMARY_LABELS = {
    "as_of": "评估基准日",
    "approved_area_mu": "批准用地面积(亩)",
    "supplied_area_mu": "已供地面积(亩)",
    "unsupplied_area_mu": "批而未供面积(亩)",
    "sliver_area_mu": "剔除碎片面积(亩)",
    "supply_rate": "供地率",
    "supply_rate_5y": "近五年供地率",
    "unsupplied_parcels": "批而未供图斑数",
    "supplied_unused_parcels": "供而未用宗数",
    "idle_parcels": "闲置土地宗数",
    "idle_area_mu": "闲置土地面积(亩)",
    "idle_fee_total_wan": "土地闲置费合计(万元)",
    "idle_fee_unknown_parcels": "缺少成交价款、闲置费未计入的闲置宗数",
    "recoverable_parcels": "可无偿收回宗数",
    "unmatched_supply_area_mu": "未匹配供地面积(亩)",
    "unmatched_sliver_area_mu": "未匹配供地中剔除的碎片面积(亩)",
    "unknown_parcels": "无法判定、待核实的供地宗数",
    "unknown_area_mu": "无法判定、待核实的供地面积(亩)",
    "after_as_of_approvals": "批准日期晚于基准日、未计入的批准记录数",
    "after_as_of_supplies": "供地日期晚于基准日、未计入的供地记录数",
    "dates_out_of_order": "日期先后矛盾的供地宗数",
    "implausible_price_parcels": "成交价款折合单价不合常理的宗数",
    "undated_supplies": "缺少供地日期、按已供计入的供地记录数",
}
QUALITY_LABELS = {
    "match": "匹配方式",
    "approval_batches": "批次数",
    "approval_overlap_pairs": "批次间重叠对数",
    "approval_overlap_area_m2": "重叠面积(平方米,按批准先后只计一次)",
    "batch_attribute_conflicts": "同一批次日期/文号不一致",
    "approvals_missing_date": "批准日期缺失的批次",
    "approvals_after_as_of": "批准日期晚于基准日的批次(未计入)",
    "supplies_after_as_of": "供地日期晚于基准日的供地(未计入)",
    "supplies_absent_fields": "供地图层缺少的字段",
    "unknown_by_reason": "待核实供地(按原因)",
    "dates_out_of_order": "日期先后矛盾的供地",
    "implausible_land_price": "成交价款单价不合常理的供地(元/平方米)",
    "supply_duplicates_dropped": "重复供地记录(已去重)",
    "supply_duplicate_ids": "重复记录的电子监管号",
    "supply_same_id_different_geometry": "同一监管号不同图形(均保留)",
    "supply_overlap_pairs": "供地记录间重叠对数",
    "supply_overlap_area_m2": "供地重叠面积(平方米,只计一次)",
    "supplies_unknown_status": "无法判定、待核实的供地",
    "supplies_batch_id_not_found": "批次号找不到对应批次的供地",
    "idle_without_land_price": "缺少成交价款的闲置土地",
    "unmatched_sliver_area_m2": "未匹配供地中剔除的碎片(平方米)",
    "batches_match_disagree": "两种匹配结果不一致的批次",
    "robust_recomputed": "按1微米网格重算的批次/供地(浮点叠加校核未通过)",
}
_ORDER_ZH = {key: zh for key, _later, _earlier, zh in DATE_ORDER}
_REASON_ZH = UNKNOWN_REASONS
_MAX_LIST = 200


def write_all(
    result: AuditResult, directory: Path, *, context: MapContext | None = None
) -> dict[str, Path]:
    """Write the audit's four files into ``directory`` (created if needed); the map draws
    ``context`` (county and township outlines) under the findings."""
    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    layers = {name: _gpkg_frame(getattr(result, name)) for name in GPKG_LAYERS}
    out["gpkg"] = write_gpkg(directory / "audit.gpkg", layers)
    out["xlsx"] = write_xlsx(result, directory / "audit.xlsx")
    out["summary"] = write_json(directory / "summary.json", result.summary)
    from geoplan import maps

    out["html"] = maps.save_html(
        result.explore(title="土地摸排 · 批而未供与闲置土地", context=context),
        directory / "audit.html",
    )
    logger.info("audit written to %s", directory)
    return out


def postgis_tables(result: AuditResult) -> list[PostgisTable]:
    """The audit's tables for :func:`geoplan.io.write_postgis`, commented with the ledger's
    Chinese headers (the same column lists as the Excel sheets)."""
    out = []
    for table, attr, comment, cols in POSTGIS_TABLES:
        frame = getattr(result, attr)
        labels = label_map(cols, EXTRA_COLS, [("township", "乡镇", TEXT)])
        kind = "polygon" if attr != "cohorts" else None
        out.append(PostgisTable(table, frame, f"土地摸排 · {comment}", labels, kind=kind))
    return out


def _gpkg_frame(gdf: Any) -> Any:
    """GDAL-friendly copy: nullable integers as floats, strings kept, geometry as is."""
    out = gdf.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.Int64Dtype):
            out[col] = out[col].astype("float64")
    return out


def write_xlsx(result: AuditResult, path: Path) -> Path:
    """The ledger workbook (sheets :data:`SHEETS`)."""
    wb = LedgerWorkbook()
    _summary_sheet(wb.create_sheet(SHEETS[0]), result)
    _ledger_sheet(wb.create_sheet(SHEETS[1]), result.batches, BATCH_COLS)
    pieces = result.unsupplied.sort_values(["approved_on", "batch_id"], kind="stable")
    _ledger_sheet(wb.create_sheet(SHEETS[2]), pieces, PIECE_COLS)
    _ledger_sheet(wb.create_sheet(SHEETS[3]), result.supplies, SUPPLY_COLS)
    _ledger_sheet(wb.create_sheet(SHEETS[4]), result.idle, SUPPLY_COLS)
    _ledger_sheet(wb.create_sheet(SHEETS[5]), result.supplied_unused, SUPPLY_COLS)
    _ledger_sheet(wb.create_sheet(SHEETS[6]), result.unmatched_supplies, UNMATCHED_COLS)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _ledger_sheet(ws: WriteOnlyWorksheet, frame: pd.DataFrame, spec: ColumnSpec) -> None:
    """A ledger sheet with a 合计 row of the areas and money (not of ages, rates or prices)."""
    xlsx_table(ws, frame, spec, summed=lambda col, fmt: fmt in TOTALS and col not in TOTAL_SKIP)


def _summary_sheet(ws: WriteOnlyWorksheet, result: AuditResult) -> None:
    ws.freeze_panes = "A2"
    ws.column_dimensions["A"].width = 40
    ws.column_dimensions["B"].width = 24
    for col in "CDEFGHI":
        ws.column_dimensions[col].width = 16
    ws.append([xlsx_cell(ws, "指标", header=True), xlsx_cell(ws, "数值", header=True)])
    s = result.summary
    for key, label in SUMMARY_LABELS.items():
        value = s[key]
        fmt = (
            RATE
            if key.startswith("supply_rate")
            else MONEY
            if key.startswith("idle_fee_total")
            else (MU if key.endswith("_mu") else None if key == "as_of" else INT)
        )
        ws.append([label, xlsx_cell(ws, value if value is not None else "无数据", fmt)])
    # what could not be judged or was left out, in words: never only a 0 in a cell
    for sentence in result.notes("zh"):
        ws.append([xlsx_cell(ws, "注意", header=True), sentence])
    floor = result.rules.supply_rate_floor
    ok = result.meets_floor
    ws.append(["近五年供地率底线", xlsx_cell(ws, floor, RATE)])
    ws.append(["是否达到底线", "无数据" if ok is None else ("是" if ok else "否")])
    lo, hi = result.quality["supply_rate_5y_window"]
    ws.append(["近五年统计范围(批准年度)", f"{lo}–{hi}"])
    ws.append([])
    ws.append([xlsx_cell(ws, "数据质量", header=True), xlsx_cell(ws, "", header=True)])
    for key, label in QUALITY_LABELS.items():
        if key in result.quality:
            ws.append([label, _quality_value(result.quality[key])])
    for layer, label in (("approvals", "批准用地图层"), ("supplies", "供地图层")):
        notes = result.quality[layer]
        ws.append(
            [
                f"{label}:读入/修复/剔除",
                f"{notes.get('features_in', 0)} / {notes.get('geometries_repaired', 0)}"
                f" / {notes.get('features_dropped', 0)}",
            ]
        )
    ws.append([])
    _cohort_rows(ws, result.cohorts)


def _quality_value(value: Any) -> Any:
    if isinstance(value, (dict, list)) and not value:
        return 0
    if isinstance(value, dict) and any(isinstance(v, list) for v in value.values()):
        parts = [f"{_ORDER_ZH.get(k, k)} {len(v)}:{'、'.join(map(str, v[:_MAX_LIST]))}"
                 for k, v in value.items()]  # fmt: skip
        return ";".join(parts) or 0
    if isinstance(value, dict) and value and all(k in _REASON_ZH for k in value):
        return ";".join(f"{_REASON_ZH[k]} {v} 宗" for k, v in value.items())
    if isinstance(value, list) and value and isinstance(value[0], dict):
        shown = "、".join(
            f"{v.get('supply_id')}({v.get('yuan_per_m2')})" for v in value[:_MAX_LIST]
        )
        return f"{len(value)}:{shown}"
    if isinstance(value, dict):
        return " / ".join(str(v) for v in value.values())
    if isinstance(value, list):
        if not value:
            return 0
        shown = "、".join(str(v) for v in value[:_MAX_LIST])
        more = len(value) - _MAX_LIST
        return f"{len(value)}:{shown}" + (f" …(另 {more} 个)" if more > 0 else "")
    if isinstance(value, float):
        return round(value, 2)
    return value


def _cohort_rows(ws: WriteOnlyWorksheet, cohorts: pd.DataFrame) -> None:
    heads = [label for _, label, _ in COHORT_COLS]
    ws.append([xlsx_cell(ws, h, header=True) for h in heads])
    for row in cohorts.to_dict("records"):
        year: Any = row["year"]
        rate: Any = row["supply_rate"]
        ws.append(
            [
                "日期缺失" if pd.isna(year) else int(year),
                int(row["batches"]),
                *(
                    xlsx_cell(ws, float(row[f"{k}_area_mu"]), MU)
                    for k in ("approved", "supplied", "unsupplied", "sliver")
                ),
                xlsx_cell(ws, None if pd.isna(rate) else float(rate), RATE),
                "是" if row["in_window"] else "否",
            ]
        )
