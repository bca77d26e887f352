"""Excel ledgers the way auditors read them: Chinese headers, numbers stored as numbers, a
numbered and frozen header row, widths fitted to the content, a 合计 row, and text from the data
never stored as a formula. Used by the audit and the 亩均效益 ledgers (openpyxl write-only mode).

The ledger tables themselves (:func:`xlsx_table`) are not appended cell by cell: openpyxl builds an
object and an XML element per cell (about 16 µs a cell, the GIL held throughout — 8.7 s for the
scale-25 audit ledger, while the report's next analysis waited). :class:`LedgerWorkbook` has
openpyxl write the workbook with those sheets' rows left empty and puts in rows serialised here,
byte for byte what openpyxl writes for the same cells (same types, number formats and style
ids, registered with openpyxl in the order it would register them).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import zipfile
from collections.abc import Callable, Sequence
from decimal import Decimal
from io import BytesIO
from typing import IO, TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.utils.exceptions import IllegalCharacterError

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


class LedgerWorkbook(Workbook):
    """openpyxl's write-only workbook whose :func:`xlsx_table` sheets get their rows as XML made
    by :class:`_SheetRows` (put in when the workbook is saved); every other sheet is plain
    openpyxl."""

    def __init__(self) -> None:
        super().__init__(write_only=True)
        self._rows_xml: dict[WriteOnlyWorksheet, str] = {}

    def save(self, filename: str | os.PathLike[str] | IO[bytes]) -> None:
        buf = BytesIO()
        super().save(buf)
        # the sheets' part names are known once saved (xl/worksheets/sheetN.xml)
        parts = {ws.path.lstrip("/"): xml for ws, xml in self._rows_xml.items()}
        empty = b"<sheetData></sheetData>"
        with zipfile.ZipFile(buf) as src, zipfile.ZipFile(filename, "w", zipfile.ZIP_DEFLATED) as dst:  # fmt: skip
            for info in src.infolist():
                data = src.read(info)
                rows = parts.get(info.filename)
                if rows is not None:
                    if data.count(empty) != 1:  # pragma: no cover - rows appended as well
                        raise RuntimeError(f"{info.filename}: a ledger table sheet got other rows")
                    data = data.replace(
                        empty, b"<sheetData>" + rows.encode("utf-8") + b"</sheetData>"
                    )
                dst.writestr(info, data)


def xlsx_table(
    ws: WriteOnlyWorksheet,
    frame: pd.DataFrame,
    spec: ColumnSpec,
    *,
    summed: Callable[[str, str | None], bool] | None = None,
) -> None:
    """Write ``frame`` as a ledger sheet of a :class:`LedgerWorkbook`: the ``spec`` columns it
    has, under their headers, a 序号 column, the header row frozen, widths fitted to the first
    rows, and — with ``summed`` (``summed(column, fmt)``: whether the column is totalled) — a 合计
    row. Nothing else may be appended to the sheet."""
    book = ws.parent
    if not isinstance(book, LedgerWorkbook):
        raise TypeError("xlsx_table writes into a sheet of a LedgerWorkbook")
    cols = [(c, h, f) for c, h, f in spec if c in frame.columns]
    ws.freeze_panes = "B2"
    values = [_column_values(frame, c, f) for c, _, f in cols]
    ws.column_dimensions["A"].width = 7
    for i, ((_, h, _), vals) in enumerate(zip(cols, values, strict=True), start=2):
        w = max([text_width(h)] + [text_width(v) for v in vals[:_WIDTH_SAMPLE]])
        ws.column_dimensions[get_column_letter(i)].width = min(max(w + 2, 8), 40)
    out = _SheetRows(ws)
    n = len(frame)
    out.add_row(1, [("序号", None, True)] + [(h, None, True) for _, h, _ in cols])
    fmts: list[str | None] = [None]  # 序号
    fmts += [None if f == YES_NO else f for _, _, f in cols]
    out.add_columns(2, [list(range(1, n + 1)), *values], fmts)
    if summed is not None:
        total: list[tuple[Any, str | None, bool] | None] = [("合计", None, True)]
        for (c, _, f), vals in zip(cols, values, strict=True):
            total.append(
                (float(sum(v for v in vals if v is not None)), f, True) if summed(c, f) else None
            )
        out.add_row(n + 2, total)
    book._rows_xml[ws] = out.xml()


_TIME_TYPES = (dt.datetime, dt.date, dt.time, dt.timedelta)
_NUMBERS = (int, float, Decimal)


class _SheetRows:
    """The ``<row>`` elements of a sheet, as openpyxl's write-only worksheet serialises the same
    cells (:func:`xlsx_cell` for a cell with a format or a header style, the value alone
    otherwise): a styled cell carries the style id openpyxl gives it, registered with the
    workbook on first use (cell by cell, row by row, as openpyxl does when it writes)."""

    def __init__(self, ws: WriteOnlyWorksheet) -> None:
        self.ws = ws
        self.rows: list[tuple[int, list[list[str]]]] = []  # (first row, cell XML per column)
        self._styles: dict[tuple[str | None, bool, type | None], str] = {}

    def add_row(self, r: int, cells: Sequence[tuple[Any, str | None, bool] | None]) -> None:
        """One row of (value, format, header) cells; None leaves a cell out."""
        self.rows.append((r, [[self._cell(k, r, c)] for k, c in enumerate(cells)]))

    def add_columns(self, r: int, columns: list[list[Any]], fmts: list[str | None]) -> None:
        """Rows from ``r`` on, column by column; a column's cells are styled by its format."""
        # openpyxl registers a style when it writes the first cell that has it, row by row:
        # register each column's styles in that order before the cells are made column-wise
        first: list[tuple[int, int, Any, str | None]] = []
        for k, (col, f) in enumerate(zip(columns, fmts, strict=True)):
            seen: set[type | None] = set()
            for i, v in enumerate(col):
                kind = type(v) if isinstance(v, _TIME_TYPES) else None
                if (f is not None or kind is not None) and kind not in seen:
                    seen.add(kind)
                    first.append((i, k, v, f))
        for _, _, v, f in sorted(first, key=lambda x: (x[0], x[1])):
            self._style(v, f, False)
        self.rows.append(
            (r, [[self._cell(k, r + i, (v, f, False)) for i, v in enumerate(col)]
                 for k, (col, f) in enumerate(zip(columns, fmts, strict=True))])
        )  # fmt: skip

    def xml(self) -> str:
        parts: list[str] = []
        for r0, columns in self.rows:
            for i in range(max((len(c) for c in columns), default=0)):
                cells = "".join(c[i] for c in columns if i < len(c))
                parts.append(f'<row r="{r0 + i}">{cells}</row>')
        return "".join(parts)

    def _style(self, value: Any, fmt: str | None, header: bool) -> str:
        kind = type(value) if isinstance(value, _TIME_TYPES) else None
        key = (fmt, header, kind)
        sid = self._styles.get(key)
        if sid is None:
            c = xlsx_cell(self.ws, value, fmt, header=header)
            sid = f' s="{c.style_id}"' if c.has_style else ""
            self._styles[key] = sid
        return sid

    def _cell(self, k: int, r: int, cell: tuple[Any, str | None, bool] | None) -> str:
        if cell is None:
            return ""
        value, fmt, header = cell
        styled = fmt is not None or header or isinstance(value, _TIME_TYPES)
        s = self._style(value, fmt, header) if styled else ""
        ref = f"{_letter(k)}{r}"
        if value is None:
            return f'<c r="{ref}"{s} t="n" />' if s else ""
        if isinstance(value, bool):
            return f'<c r="{ref}"{s} t="b"><v>{value:d}</v></c>'
        if isinstance(value, _NUMBERS) or isinstance(value, np.number):
            return f'<c r="{ref}"{s} t="n">{_number(value)}</c>'
        if isinstance(value, str):
            text = value[:32767]
            if ILLEGAL_CHARACTERS_RE.search(text):
                raise IllegalCharacterError(f"{text} cannot be used in worksheets.")
            if text in ERROR_CODES:
                return f'<c r="{ref}"{s} t="e"><v>{text}</v></c>'
            if text == "":
                return f'<c r="{ref}"{s} t="inlineStr" />'
            space = ' xml:space="preserve"' if text.strip() and text != text.strip() else ""
            text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            return f'<c r="{ref}"{s} t="inlineStr"><is><t{space}>{text}</t></is></c>'
        if isinstance(value, _TIME_TYPES):
            return f'<c r="{ref}"{s} t="n">{_number(to_excel(value))}</c>'
        raise ValueError(f"Cannot convert {value!r} to Excel")


def _number(value: Any) -> str:
    """openpyxl's ``<v>`` of a number (``safe_string``: 16 significant digits)."""
    if math.isnan(value) or math.isinf(value):
        return "<v />"
    return f"<v>{'%.16g' % value}</v>"  # noqa: UP031 - openpyxl's own formatting


_LETTERS: list[str] = []


def _letter(k: int) -> str:
    """Column letter of the 0-based column ``k``."""
    while len(_LETTERS) <= k:
        _LETTERS.append(get_column_letter(len(_LETTERS) + 1))
    return _LETTERS[k]
