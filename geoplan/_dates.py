"""Parsing the date formats found in Chinese land records.

Accepted: ISO ``2021-03-05`` (optionally with a time), ``2021/3/5``, ``2021.3.5``, ``20210305``,
``2021年3月5日``, Excel serial day numbers (10000–80000, i.e. 1927–2119), and real date/datetime
values. Anything else is an error that lists the offending rows — a date is never guessed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geoplan.errors import DateParseError

ACCEPTED = "2021-03-05, 2021/3/5, 2021.3.5, 20210305, 2021年3月5日, or an Excel date number"

_PATTERNS = (
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?$",
    r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})$",
    r"^(?P<y>\d{4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日?$",
)
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_SERIAL_MIN, _SERIAL_MAX = 10000, 80000


def parse_dates(values: pd.Series, *, field: str, layer: str) -> pd.Series:
    """Parse a column of dates to ``datetime64[ms]`` at midnight; NaT where empty.

    Raises :class:`~geoplan.errors.DateParseError` naming the rows that are not dates.

    Examples
    --------
    >>> s = pd.Series(["2021-03-05", "2021/3/5", "20210305", "2021年3月5日", "44260", None])
    >>> parse_dates(s, field="d", layer="x").dt.strftime("%Y-%m-%d").tolist()
    ['2021-03-05', '2021-03-05', '2021-03-05', '2021-03-05', '2021-03-05', nan]
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        out = values
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        return out.dt.normalize().astype("datetime64[ms]")
    if pd.api.types.is_numeric_dtype(values.dtype) and not pd.api.types.is_bool_dtype(values.dtype):
        text = _numbers_as_text(values)
    else:
        text = values.map(_to_text, na_action="ignore").astype("string").str.strip()
    text = text.mask(text == "")
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ms]")
    todo = text.notna()
    for pattern in _PATTERNS:
        if not todo.any():
            break
        parts = text[todo].str.extract(pattern)
        hit = parts["y"].notna()
        if hit.any():
            ymd = parts[hit].astype("int64")
            stamps = pd.to_datetime(
                {"year": ymd["y"], "month": ymd["m"], "day": ymd["d"]}, errors="coerce"
            )
            ok = stamps.notna()
            result.loc[ok[ok].index] = stamps[ok].astype("datetime64[ms]")
            todo.loc[ok[ok].index] = False
            # matched the shape but is not a calendar date (2021-02-30): stays in `todo`, so it
            # is reported with the other bad rows below
    if todo.any():
        num = pd.to_numeric(text[todo], errors="coerce")
        serial = num.notna() & (num >= _SERIAL_MIN) & (num <= _SERIAL_MAX) & (num == num.round())
        if serial.any():
            days = num[serial].astype("int64").to_numpy()
            result.loc[serial[serial].index] = (_EXCEL_EPOCH + days).astype("datetime64[ms]")
            todo.loc[serial[serial].index] = False
    if todo.any():
        _raise(values, todo, field, layer)
    return result


def _numbers_as_text(values: pd.Series) -> pd.Series:
    vals = values.astype("float64")
    text = pd.Series(pd.NA, index=values.index, dtype="string")
    finite = np.isfinite(vals.to_numpy())
    whole = finite & (vals.to_numpy() == np.round(vals.to_numpy()))
    text[whole] = vals[whole].astype("int64").astype("string")
    text[finite & ~whole] = vals[finite & ~whole].astype("string")
    return text


def _to_text(v: object) -> str:
    if hasattr(v, "isoformat"):
        return str(v.isoformat())
    if isinstance(v, float) and v == int(v):
        return str(int(v))
    return str(v)


def _raise(values: pd.Series, bad: pd.Series, field: str, layer: str) -> None:
    idx = list(bad[bad].index[:10])
    shown = ", ".join(f"{i} ({values.loc[i]!r})" for i in idx)
    more = int(bad.sum()) - len(idx)
    raise DateParseError(
        f"{layer}: field {field} has values that are not dates in rows {shown}"
        + (f" and {more} more" if more > 0 else "")
        + f". Accepted forms: {ACCEPTED}. Fix those rows, or leave them empty if unknown."
    )
