"""Excel ledgers the way auditors read them: Chinese headers, numbers stored as numbers, a
numbered and frozen header row, widths fitted to the content, a 合计 row, and text from the data
never stored as a formula. Used by the audit and the 亩均效益 ledgers (openpyxl write-only mode).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

if TYPE_CHECKING:  # pragma: no cover
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

#: pseudo number format of a column spec: write 是 / 否 (no number format)
YES_NO = "bool"

#: (column, Chinese header, number format or None) of a ledger sheet
ColumnSpec = Sequence[tuple[str, str, str | None]]

_FILL = PatternFill("solid", fgColor="DDEBF7")
_BOLD = Font(bold=True)
_CENTRE = Alignment(horizontal="center", vertical="center", wrap_text=True)
# rows sampled per column to fit its width
_WIDTH_SAMPLE = 500


def xlsx_cell(ws: WriteOnlyWorksheet, value: Any, fmt: str | None = None, *, header: bool = False) -> Any:  # fmt: skip
    """A write-only cell with number format ``fmt``; ``header`` cells are bold, shaded and
    centred. Text that starts with "=" stays text (openpyxl would store it as a formula)."""
    c = WriteOnlyCell(ws, value=value)
    if isinstance(value, str) and c.data_type == "f":
        c.data_type = "s"  # text from the data that starts with "=" is text, never a formula
    if fmt is not None:
        c.number_format = fmt
    if header:
        c.font, c.fill, c.alignment = _BOLD, _FILL, _CENTRE
    return c


def xlsx_value(value: Any, fmt: str | None = None) -> Any:
    """A value openpyxl can store: None for missing (None, NA, NaT, NaN), a date for a
    timestamp, a Python scalar for a numpy one, 是 / 否 for a :data:`YES_NO` column.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> [xlsx_value(v) for v in (np.int64(3), float("nan"), pd.NA, pd.Timestamp("2026-06-30"))]
    [3, None, None, datetime.date(2026, 6, 30)]
    >>> xlsx_value(True, YES_NO)
    '是'
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if fmt == YES_NO:
        return "是" if bool(value) else "否"
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime().date()
    if isinstance(value, np.generic):
        return value.item()
    return value


def text_width(value: Any) -> int:
    """Display width of a cell's text (CJK characters count two).

    >>> text_width("批次A1")
    6
    """
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in ("" if value is None else str(value)))


def _column_values(frame: pd.DataFrame, col: str, fmt: str | None) -> list[Any]:
    s = frame[col]
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return [None if pd.isna(v) else v.date() for v in s]
    return [xlsx_value(v, fmt) for v in s.astype(object)]


def xlsx_table(
    ws: WriteOnlyWorksheet,
    frame: pd.DataFrame,
    spec: ColumnSpec,
    *,
    summed: Callable[[str, str | None], bool] | None = None,
) -> None:
    """Write ``frame`` as a ledger sheet: the ``spec`` columns it has, under their headers, a
    序号 column, the header row frozen, widths fitted to the first rows, and — with ``summed``
    (``summed(column, fmt)``: whether the column is totalled) — a 合计 row."""
    cols = [(c, h, f) for c, h, f in spec if c in frame.columns]
    ws.freeze_panes = "B2"
    values = [_column_values(frame, c, f) for c, _, f in cols]
    ws.column_dimensions["A"].width = 7
    for i, ((_, h, _), vals) in enumerate(zip(cols, values, strict=True), start=2):
        w = max([text_width(h)] + [text_width(v) for v in vals[:_WIDTH_SAMPLE]])
        ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 8), 40)
    ws.append([xlsx_cell(ws, "序号", header=True)] + [xlsx_cell(ws, h, header=True) for _, h, _ in cols])  # fmt: skip
    fmts = [None if f == YES_NO else f for _, _, f in cols]
    for r in range(len(frame)):
        ws.append(
            [r + 1]
            + [
                # plain values need no cell object, unless text would be read as a formula
                xlsx_cell(ws, vals[r], fmt)
                if fmt or (isinstance(vals[r], str) and vals[r].startswith("="))
                else vals[r]
                for vals, fmt in zip(values, fmts, strict=True)
            ]
        )
    if summed is None:
        return
    total: list[Any] = [xlsx_cell(ws, "合计", header=True)]
    for (c, _, f), vals in zip(cols, values, strict=True):
        total.append(
            xlsx_cell(ws, float(sum(v for v in vals if v is not None)), f, header=True)
            if summed(c, f)
            else None
        )
    ws.append(total)
