"""Parsing the date formats found in Chinese land records.

Accepted: ISO ``2021-03-05`` (optionally with a time), ``2021/3/5``, ``2021.3.5``, ``20210305``,
``2021年3月5日``, Excel serial day numbers (10000–80000, i.e. 1927–2119), and real date/datetime
values. Anything else is an error that lists the offending rows — a date is never guessed.
"""

from __future__ import annotations

import re

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


_AS_OF_FORMS = "YYYY-MM-DD (2026-06-30), 2026/6/30, 2026年6月30日 or YYYYMMDD (20260630)"


def parse_date_value(value: object, *, what: str = "as_of") -> pd.Timestamp:
    """One date (an assessment date) as a midnight :class:`pandas.Timestamp`.

    Accepts ``datetime.date``/``datetime``/``Timestamp``/``numpy.datetime64``, the text forms of
    :func:`parse_dates` (without Excel serial numbers) and a whole number written ``YYYYMMDD``
    (``20260630``). Anything else — another number, a bool, an impossible date — raises
    :class:`~geoplan.errors.DateParseError` naming ``what``; a date is never guessed.

    Examples
    --------
    >>> [parse_date_value(v).date().isoformat() for v in ("2026-06-30", 20260630, "2026年6月30日")]
    ['2026-06-30', '2026-06-30', '2026-06-30']
    >>> parse_date_value(1700000000)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    geoplan.errors.DateParseError: as_of=1700000000 is not a date: a number is read as YYYYMMDD ...
    """
    if value is None or value is pd.NaT or isinstance(value, bool):
        raise DateParseError(f"{what}={value!r} is not a date. Give it as {_AS_OF_FORMS}.")
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        ts = _ymd_text(str(int(value)))
        if ts is None:
            raise DateParseError(
                f"{what}={value!r} is not a date: a number is read as YYYYMMDD (e.g. 20260630), "
                f"and this one is not. Give it as {_AS_OF_FORMS}."
            )
        return ts
    if isinstance(value, (float, np.floating)):
        raise DateParseError(
            f"{what}={value!r} is a decimal number, not a date. Give it as {_AS_OF_FORMS}."
        )
    if isinstance(value, str):
        ts = _ymd_text(value.strip())
        if ts is None:
            raise DateParseError(f"{what}={value!r} is not a date. Give it as {_AS_OF_FORMS}.")
        return ts
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DateParseError(
            f"{what}={value!r} ({type(value).__name__}) is not a date. Give it as {_AS_OF_FORMS}."
        ) from None
    if pd.isna(ts):
        raise DateParseError(f"{what} is missing (NaT). Give it as {_AS_OF_FORMS}.")
    if ts.tzinfo is not None:
        ts = ts.tz_localize(None)
    return ts.normalize()


def _ymd_text(text: str) -> pd.Timestamp | None:
    """A date in one of the text forms (no Excel numbers), or None."""
    for pattern in _PATTERNS:
        m = re.match(pattern, text)
        if m is None:
            continue
        try:
            return pd.Timestamp(int(m["y"]), int(m["m"]), int(m["d"]))
        except ValueError:
            return None
    return None
