"""Ledger sheets written as XML (LedgerWorkbook + xlsx_table) against openpyxl's own cells."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError

from geoplan.io import YES_NO, LedgerWorkbook, text_width, xlsx_cell, xlsx_table
from geoplan.io._xlsx import _column_values

SPEC = [
    ("name", "名称", None),
    ("on", "日期", "yyyy-mm-dd"),
    ("area", "面积(亩)", "0.00"),
    ("rate", "比例", "0.00%"),
    ("n", "宗数", "0"),
    ("money", "金额(元)", "#,##0.00"),
    ("flag", "是否", YES_NO),
    ("note", "备注", None),
    ("missing", "不在表中", "0.00"),  # not a column of the frame: left out
]


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "name": ["甲 & <乙>", " padded ", "=SUM(A1:A2)", "#N/A", "", None, "=", "x\ty"],
            "on": pd.to_datetime(
                [
                    "2020-01-02",
                    None,
                    "1900-01-01",
                    "2026-06-30",
                    "1999-12-31",
                    None,
                    "2000-02-29",
                    "1900-03-01",
                ]  # fmt: skip
            ),
            "area": [1.0 / 3.0, np.nan, 0.0, 1e20, -2.5, 123456789.123456789, 5e-324, 7.0],
            "rate": [0.5, 1.0, np.nan, 0.0, 0.25, 0.125, 1.5, 0.0],
            "n": pd.array([1, None, 3, 10**17, 0, 2, 5, 6], dtype="Int64"),
            "money": [1e6, 2.5, np.nan, 0.1, 0.2, 0.3, 12.0, 99.99],
            "flag": pd.array([True, False, None, True, False, True, None, False], dtype="boolean"),
            "note": ["a", None, "b", "  ", "c\nd", "e", "f", 3],
        }
    )


def _openpyxl_table(ws, frame, spec, *, summed=None) -> None:  # type: ignore[no-untyped-def]
    """xlsx_table as geoplan wrote it before LedgerWorkbook: openpyxl cells, row by row."""
    cols = [(c, h, f) for c, h, f in spec if c in frame.columns]
    ws.freeze_panes = "B2"
    values = [_column_values(frame, c, f) for c, _, f in cols]
    ws.column_dimensions["A"].width = 7
    for i, ((_, h, _), vals) in enumerate(zip(cols, values, strict=True), start=2):
        w = max([text_width(h)] + [text_width(v) for v in vals[:500]])
        ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 8), 40)
    ws.append([xlsx_cell(ws, "序号", header=True)] + [xlsx_cell(ws, h, header=True) for _, h, _ in cols])  # fmt: skip
    fmts = [None if f == YES_NO else f for _, _, f in cols]
    for r in range(len(frame)):
        ws.append(
            [r + 1]
            + [
                xlsx_cell(ws, vals[r], fmt)
                if fmt or (isinstance(vals[r], str) and vals[r].startswith("="))
                else vals[r]
                for vals, fmt in zip(values, fmts, strict=True)
            ]
        )
    if summed is None:
        return
    total = [xlsx_cell(ws, "合计", header=True)]
    for (c, _, f), vals in zip(cols, values, strict=True):
        total.append(
            xlsx_cell(ws, float(sum(v for v in vals if v is not None)), f, header=True)
            if summed(c, f)
            else None
        )
    ws.append(total)


def _write(path: Path, fast: bool) -> None:
    wb = LedgerWorkbook() if fast else Workbook(write_only=True)
    head = wb.create_sheet("汇总")
    head.append([xlsx_cell(head, "指标", header=True), xlsx_cell(head, 0.5, "0.00%")])
    table = xlsx_table if fast else _openpyxl_table
    summed = lambda col, fmt: fmt in ("0.00", "#,##0.00")  # noqa: E731
    table(wb.create_sheet("台账"), _frame(), SPEC, summed=summed)
    table(wb.create_sheet("空表"), _frame().iloc[:0], SPEC)
    # a second table whose styles (header with "0", dates as datetimes) come later
    other = pd.DataFrame({"n": [1, 2], "at": [dt.datetime(2020, 1, 1, 12, 30), None]})
    table(wb.create_sheet("其他"), other, [("n", "宗数", "0"), ("at", "时间", None)],
          summed=lambda col, fmt: col == "n")  # fmt: skip
    tail = wb.create_sheet("说明")
    tail.append(["注意", xlsx_cell(tail, 3.0, "0.0")])
    wb.save(path)


def test_ledger_workbook_writes_the_parts_openpyxl_writes(tmp_path: Path) -> None:
    _write(tmp_path / "fast.xlsx", fast=True)
    _write(tmp_path / "slow.xlsx", fast=False)
    with zipfile.ZipFile(tmp_path / "fast.xlsx") as a, zipfile.ZipFile(tmp_path / "slow.xlsx") as b:
        assert a.namelist() == b.namelist()
        assert a.read("xl/worksheets/sheet2.xml").count(b"<row ") == 10  # header, 8, 合计
        for name in a.namelist():
            if name != "docProps/core.xml":  # creation time
                assert a.read(name) == b.read(name), name
    book = openpyxl.load_workbook(tmp_path / "fast.xlsx")
    ws = book["台账"]
    assert ws.freeze_panes == "B2" and ws["B3"].value == " padded " and ws["B4"].data_type == "s"
    assert ws["B4"].value == "=SUM(A1:A2)" and ws["D2"].number_format == "0.00"
    assert ws["A10"].value == "合计" and ws["A10"].font.b
    assert ws["D10"].value == pytest.approx(sum([1 / 3, 0.0, 1e20, -2.5, 123456789.123456789, 7.0]))


def test_xlsx_table_refuses_what_openpyxl_refuses(tmp_path: Path) -> None:
    wb = LedgerWorkbook()
    with pytest.raises(IllegalCharacterError):
        xlsx_table(wb.create_sheet("x"), pd.DataFrame({"a": ["bell\x07"]}), [("a", "A", None)])
    with pytest.raises(TypeError, match="LedgerWorkbook"):
        xlsx_table(Workbook(write_only=True).create_sheet("y"), _frame(), SPEC)
