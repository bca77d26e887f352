"""Writing a 亩均效益 evaluation: efficiency.gpkg, efficiency.xlsx (the ledger with Chinese
headers, the unit in each), summary.json and efficiency.html; every file atomically."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from geoplan.efficiency._land import STANDARD, STATUS_ZH
from geoplan.efficiency._scheme import GROUPS, INDICATORS
from geoplan.io import (
    LedgerWorkbook,
    atomic_path,
    write_gpkg,
    write_json,
    xlsx_cell,
    xlsx_table,
    xlsx_value,
)

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    from geoplan.efficiency._result import EfficiencyResult
    from geoplan.maps import MapContext

__all__ = ["COLUMNS", "SHEETS", "postgis_tables", "write_all", "write_xlsx"]

logger = logging.getLogger(__name__)

SHEETS = ("汇总", "企业评价", "园区", "乡镇", "存量土地台账", "低效用地", "标准地", "未关联供地企业",
          "无企业工业用地", "评价基准")  # fmt: skip
GPKG_LAYERS = ("firms", "land", "low_efficiency", "standard_land", "vacant_land")
MU, NUM, INT, TEXT, DATE = "0.00", "#,##0.00", "0", None, "yyyy-mm-dd"
Spec = list[tuple[str, str, str | None]]

_IND = [(k, f"{i.zh}({i.unit})", NUM) for k, i in INDICATORS.items()]
FIRM_COLS: Spec = [
    ("credit_code", "统一社会信用代码", TEXT), ("name", "企业名称", TEXT),
    ("group_zh", "规上/规下", TEXT), ("township", "乡镇", TEXT), ("park", "园区", TEXT),
    ("class_zh", "评价等级", TEXT), ("score", "综合得分", NUM), ("rank", "组内排名", INT),
    ("ranked_of", "组内参评企业数", INT), ("managed_as", "按类管理", TEXT),
    ("exempt_reason", "不定等级原因", TEXT), ("unknown_reason", "待核实原因", TEXT),
    ("link_method_zh", "用地关联方式", TEXT), ("linked_supplies", "关联电子监管号", TEXT),
    ("land_area_mu", "用地面积(亩)", MU), ("declared_area", "申报用地面积(亩)", MU),
    ("land_note", "用地说明", TEXT), ("unknown_supply_ids", "未找到的电子监管号", TEXT),
    *_IND,
    ("tax", "税收(万元)", NUM), ("revenue", "营业收入(万元)", NUM),
    ("value_added", "工业增加值(万元)", NUM), ("energy", "综合能耗(吨标煤)", NUM),
    ("emissions", "主要污染物排放(吨)", NUM), ("employees", "年平均职工人数(人)", INT),
    ("rnd", "研发经费(万元)", NUM), ("power", "用电量(万千瓦时)", NUM),
    ("floor_area", "建筑面积(平方米)", NUM), ("fixed_investment", "固定资产投资(万元)", NUM),
    ("industry", "行业", TEXT), ("started_on", "投产日期", DATE), ("status", "企业状态", TEXT),
]  # fmt: skip
AREA_COLS: Spec = [
    ("tax_rank", "亩均税收排名", INT), ("name", "名称", TEXT), ("n_firms", "企业数", INT),
    ("n_A", "A类", INT), ("n_B", "B类", INT), ("n_C", "C类", INT), ("n_D", "D类", INT),
    ("n_exempt", "不定等级", INT), ("n_unknown", "待核实", INT),
    ("firm_land_mu", "企业用地面积(亩)", MU), ("tax", "税收(万元)", NUM),
    ("tax_per_mu", "亩均税收(万元/亩)", NUM), ("revenue_per_mu", "亩均营业收入(万元/亩)", NUM),
    ("industrial_land_mu", "工业供地面积(亩)", MU), ("vacant_land_mu", "无企业工业用地(亩)", MU),
    ("low_efficiency_mu", "低效用地面积(亩)", MU),
]  # fmt: skip
STOCK_COLS: Spec = [
    ("unit_kind_zh", "统计单元类型", TEXT), ("unit", "统计单元", TEXT),
    ("unsupplied_mu", "批而未供(亩)", MU), ("idle_mu", "闲置土地(亩)", MU),
    ("low_efficiency_mu", "低效用地(亩)", MU), ("stock_mu", "存量土地合计(亩)", MU),
    ("stock_m2", "存量土地合计(平方米)", NUM), ("new_quota_mu", "增存挂钩可得新增用地计划(亩)", MU),
]  # fmt: skip
PLOT_COLS: Spec = [
    ("supply_id", "电子监管号", TEXT), ("land_use", "土地用途", TEXT), ("township", "乡镇", TEXT),
    ("park", "园区", TEXT), ("area_mu", "面积(亩)", MU), ("area_m2", "面积(平方米)", NUM),
    ("audit_status_zh", "土地摸排状态", TEXT), ("n_firms", "企业数", INT), ("firms", "企业", TEXT),
    ("plot_class", "主要企业等级", TEXT), ("far", "容积率", NUM),
    ("tax_per_mu", "亩均税收(万元/亩)", NUM),
]  # fmt: skip
LOW_COLS: Spec = [
    *PLOT_COLS,
    ("low_reasons", "低效原因", TEXT),
    ("low_area_mu", "低效面积(亩)", MU),
    ("low_area_m2", "低效面积(平方米)", NUM),
]
STD_COLS: Spec = [
    ("supply_id", "电子监管号", TEXT), ("township", "乡镇", TEXT), ("park", "园区", TEXT),
    ("area_mu", "面积(亩)", MU), ("agreed_finish", "约定竣工日期", DATE), ("firms", "企业", TEXT),
    ("standard_status_zh", "总体结论", TEXT),
]  # fmt: skip
for _field, _actual, _zh, _unit, _ in STANDARD:
    _name = _actual if _actual != "value_added_per_energy" else "energy_value_added"
    _u = f"({_unit})" if _unit else ""
    STD_COLS += [(_field, f"{_zh}约定值{_u}", NUM), (_actual, f"{_zh}实际值{_u}", NUM),
                 (f"{_name}_status_zh", f"{_zh}考核结论", TEXT),
                 (f"{_name}_shortfall", f"{_zh}差额{_u}", NUM)]  # fmt: skip
#: every sheet's (column, Chinese header, number format)
COLUMNS: dict[str, Spec] = {
    "企业评价": FIRM_COLS, "园区": AREA_COLS, "乡镇": AREA_COLS, "存量土地台账": STOCK_COLS,
    "低效用地": LOW_COLS, "标准地": STD_COLS, "未关联供地企业": FIRM_COLS[:18],
    "无企业工业用地": PLOT_COLS,
}  # fmt: skip
SUMMARY_LABELS = {
    "as_of": "评价基准日", "scheme": "评价方案", "firms": "参评企业数", "firms_above": "规上企业数",
    "firms_below": "规下企业数", "linked_by_supply_id": "按电子监管号关联供地的企业",
    "linked_by_point": "按坐标关联供地的企业", "linked_by_declared": "按申报用地面积计的企业",
    "unlinked_firms": "无用地数据的企业", "class_A": "A类企业", "class_B": "B类企业",
    "class_C": "C类企业", "class_D": "D类企业", "class_exempt": "不定等级企业",
    "class_unknown": "待核实企业", "firm_land_mu": "企业用地面积(亩)",
    "tax_total_wan": "税收合计(万元)", "tax_per_mu": "全县亩均税收(万元/亩)",
    "industrial_land_mu": "工业供地面积(亩)", "vacant_industrial_plots": "无企业工业用地宗数",
    "vacant_industrial_mu": "无企业工业用地面积(亩)", "low_efficiency_plots": "低效用地宗数",
    "low_efficiency_mu": "低效用地面积(亩)", "unsupplied_mu": "批而未供面积(亩)",
    "idle_mu": "闲置土地面积(亩)", "stock_mu": "存量土地合计(亩)",
    "new_quota_mu": "增存挂钩可得新增用地计划(亩)", "standard_plots": "标准地宗数",
    "standard_met": "标准地达标", "standard_not_met": "标准地未达标",
    "standard_not_due": "标准地未到考核期", "standard_unknown": "标准地待核实",
}  # fmt: skip


# (table, attribute, comment, geometry kind) of the database tables (to_postgis)
POSTGIS_TABLES = (
    ("efficiency_firms", "firms", "企业评价", "point"),
    ("efficiency_land", "land", "参评用地", "polygon"),
    ("efficiency_parks", "parks", "园区汇总", None),
    ("efficiency_townships", "townships", "乡镇汇总", None),
    ("efficiency_low", "low_efficiency", "低效用地", "polygon"),
    ("efficiency_stock", "stock", "存量土地台账", None),
    ("efficiency_standard_land", "standard_land", "标准地", "polygon"),
    ("efficiency_unlinked_firms", "unlinked_firms", "未关联供地企业", None),
    ("efficiency_vacant_land", "vacant_land", "无企业工业用地", "polygon"),
)
# columns the sheets do not show under these names
_EXTRA_COLS = [
    ("group", "规上/规下(代码)", TEXT), ("class", "评价等级(代码)", TEXT),
    ("link_method", "用地关联方式(代码)", TEXT), ("audit_status", "土地摸排状态(代码)", TEXT),
    ("unit_kind", "统计单元类型(代码)", TEXT), ("standard_status", "总体结论(代码)", TEXT),
    ("supply_id", "电子监管号", TEXT), ("unit_id", "统计单元编号", TEXT),
    ("scale", "企业规模", TEXT), ("lon", "经度", NUM), ("lat", "纬度", NUM),
    ("x", "X坐标(米)", NUM), ("y", "Y坐标(米)", NUM), ("supply_method", "供地方式", TEXT),
    ("industrial", "工业用地", TEXT),
]  # fmt: skip
for _field, _actual, _zh, _unit, _ in STANDARD:
    _name = _actual if _actual != "value_added_per_energy" else "energy_value_added"
    _EXTRA_COLS.append((f"{_name}_status", f"{_zh}考核结论(代码)", TEXT))


def postgis_tables(
    result: EfficiencyResult,
) -> list[tuple[str, pd.DataFrame | None, str, str | None]]:
    """The evaluation's tables for :func:`geoplan.io.write_result` — ``(name, frame, comment,
    geometry kind)`` — every column commented with the ledger's Chinese header. Firms keep
    their rows without a point (a NULL geometry); the tables without geometry (parks,
    townships, stock, firms without land) are plain tables."""
    return [
        (table, getattr(result, attr), f"亩均效益 · {comment}", kind)
        for table, attr, comment, kind in POSTGIS_TABLES
    ]


def postgis_labels() -> dict[str, str]:
    """``{column: Chinese header}`` over every sheet's columns (the first header wins)."""
    from geoplan.io import label_map

    return label_map(FIRM_COLS, PLOT_COLS, LOW_COLS, STD_COLS, AREA_COLS, STOCK_COLS, _EXTRA_COLS)


def write_all(
    result: EfficiencyResult, directory: Path, *, context: MapContext | None = None
) -> dict[str, Path]:
    """Write the evaluation's four files into ``directory`` (created if needed); the map draws
    ``context`` (county and township outlines) under the land."""
    directory.mkdir(parents=True, exist_ok=True)
    out: dict[str, Path] = {}
    layers = {name: _gpkg_frame(getattr(result, name)) for name in GPKG_LAYERS}
    out["gpkg"] = write_gpkg(directory / "efficiency.gpkg", layers)
    out["xlsx"] = write_xlsx(result, directory / "efficiency.xlsx")
    out["summary"] = write_json(directory / "summary.json", result.summary)
    from geoplan import maps

    out["html"] = maps.save_html(
        result.explore(context=context, title="亩均效益评价 · 低效用地"),
        directory / "efficiency.html",
    )
    logger.info("efficiency evaluation written to %s", directory)
    return out


def _gpkg_frame(gdf: Any) -> Any:
    out = gdf.copy()
    for col in out.columns:
        if isinstance(out[col].dtype, pd.Int64Dtype):
            out[col] = out[col].astype("float64")
    return out[out.geometry.notna()] if len(out) else out


def _zh_frames(result: EfficiencyResult) -> dict[str, pd.DataFrame]:
    """The frames of each sheet, with Chinese values where codes would mean nothing."""
    firms = pd.DataFrame(result.firms.drop(columns=result.firms.geometry.name))
    firms["group_zh"] = firms["group"].map(GROUPS).astype("string")
    firms = firms.sort_values(["group", "rank", "credit_code"], na_position="last", kind="stable")
    std = pd.DataFrame(result.standard_land)
    for col in [c for c in std.columns if c.endswith("_status")]:
        std[f"{col}_zh"] = std[col].map(STATUS_ZH).astype("string")
    unlinked = firms[firms["link_method"].isin(["none", "declared"])]
    return {
        "企业评价": firms, "园区": result.parks, "乡镇": result.townships,
        "存量土地台账": result.stock, "低效用地": pd.DataFrame(result.low_efficiency),
        "标准地": std, "未关联供地企业": unlinked, "无企业工业用地": pd.DataFrame(result.vacant_land),
    }  # fmt: skip


def write_xlsx(result: EfficiencyResult, path: Path) -> Path:
    """The ledger workbook (sheets :data:`SHEETS`)."""
    wb = LedgerWorkbook()
    _summary_sheet(wb.create_sheet(SHEETS[0]), result)
    frames = _zh_frames(result)
    for name in SHEETS[1:-1]:
        _table_sheet(
            wb.create_sheet(name), frames[name], COLUMNS[name], total=name != "存量土地台账"
        )
    _benchmark_sheet(wb.create_sheet(SHEETS[-1]), result)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


def _summed(col: str, fmt: str | None) -> bool:
    """Columns a ledger sheet totals: areas in 亩, taxes and counts."""
    return fmt == MU or col in ("tax", "n_firms") or col.startswith("n_")


def _table_sheet(ws: WriteOnlyWorksheet, frame: pd.DataFrame, spec: Spec, *, total: bool = True) -> None:  # fmt: skip
    """A ledger sheet; with ``total`` and rows, a 合计 row (:func:`_summed`)."""
    xlsx_table(ws, frame, spec, summed=_summed if total and len(frame) else None)


def _summary_sheet(ws: WriteOnlyWorksheet, result: EfficiencyResult) -> None:
    ws.column_dimensions["A"].width = 36
    ws.column_dimensions["B"].width = 60
    ws.append([xlsx_cell(ws, "指标", header=True), xlsx_cell(ws, "数值", header=True)])
    s = result.summary
    for key, label in SUMMARY_LABELS.items():
        value = s.get(key)
        fmt = MU if key.endswith("_mu") else NUM if key.endswith(("_wan", "per_mu")) else None
        ws.append([label, xlsx_cell(ws, "无数据" if value is None else value, fmt)])
    if result.scheme is not None:
        ws.append(["评价方案说明", result.scheme.title])
    ws.append(["增存挂钩比例(新增:盘活)", f"1:{1 / result.rules.new_quota_per_stock_mu:g}"
               if result.rules.new_quota_per_stock_mu else "0"])  # fmt: skip
    for sentence in result.notes():
        ws.append([xlsx_cell(ws, "注意", header=True), sentence])


def _benchmark_sheet(ws: WriteOnlyWorksheet, result: EfficiencyResult) -> None:
    ws.column_dimensions["A"].width = 10
    ws.column_dimensions["B"].width = 24
    ws.column_dimensions["C"].width = 12
    ws.column_dimensions["D"].width = 20
    ws.column_dimensions["E"].width = 12
    heads = ["组别", "指标", "权重", "基准值", "基准口径", "单项封顶(倍)"]
    ws.append([xlsx_cell(ws, h, header=True) for h in heads])
    scheme = result.scheme
    if scheme is None:
        return
    for g, weights in scheme.weights.items():
        for key, w in weights.items():
            ind = INDICATORS[key]
            b = result.benchmarks.get(g, {}).get(key)
            rule = scheme.benchmark(key)
            ws.append([
                GROUPS[g], f"{ind.zh}({ind.unit})", w, xlsx_cell(ws, xlsx_value(b), NUM),
                "全县平均" if rule == "mean" else (f"第{rule[1:]}百分位" if isinstance(rule, str) else "固定值"),
                scheme.cap(key),
            ])  # fmt: skip
