"""Dates (proleptic Gregorian ordinals), Durations (whole days) and Timestamps (ms since the
Unix epoch), and the date built-ins. A Date outside 0001-01-01 .. 9999-12-31 aborts."""

from __future__ import annotations

import calendar as _gregorian
import re
from datetime import date

from vm.values.decimals import check_int
from vm.errors import Abort, AbortKind, LiteralError

MIN_DATE = 1  # 0001-01-01
MAX_DATE = date(9999, 12, 31).toordinal()
EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
MS_PER_DAY = 86_400_000
DEFAULT_TZ_MINUTES = 480  # UTC+08:00, the channels' default time zone

_DATE_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


def date_out_of_range() -> Abort:
    return Abort("date overflow: outside 0001-01-01 .. 9999-12-31", AbortKind.OVERFLOW)


def parse_iso_date(text: str) -> int:
    """``YYYY-MM-DD`` -> ordinal; LiteralError (with the reason) otherwise."""
    m = _DATE_RE.fullmatch(text)
    if m is None:
        raise LiteralError(f"invalid date {text!r}: write it as YYYY-MM-DD, e.g. 2024-03-01")
    y, mo, d = int(m[1]), int(m[2]), int(m[3])
    if y < 1:
        raise LiteralError(f"invalid date {text}: the year must be 0001 or later")
    if not 1 <= mo <= 12:
        raise LiteralError(f"invalid date {text}: there is no month {mo}")
    last = _gregorian.monthrange(y, mo)[1]
    if not 1 <= d <= last:
        raise LiteralError(f"invalid date {text}: {_MONTHS[mo - 1]} {y} has {last} days")
    return date(y, mo, d).toordinal()


def iso_date(ordinal: int) -> str:
    return date.fromordinal(ordinal).isoformat()


def date_add(d: int, days: int) -> int:
    """Date + Duration."""
    r = d + days
    if MIN_DATE <= r <= MAX_DATE:
        return r
    raise date_out_of_range()


def date_sub(d: int, days: int) -> int:
    """Date - Duration."""
    r = d - days
    if MIN_DATE <= r <= MAX_DATE:
        return r
    raise date_out_of_range()


def date_diff(a: int, b: int) -> int:
    """Date - Date -> Duration (a - b days)."""
    return a - b


def days_between(a: int, b: int) -> int:
    """b - a in days."""
    return b - a


def duration_add(a: int, b: int) -> int:
    return check_int(a + b)


def duration_sub(a: int, b: int) -> int:
    return check_int(a - b)


def duration_mul(a: int, i: int) -> int:
    return check_int(a * i)


def add_months(d: int, n: int) -> int:
    """``d`` moved by ``n`` calendar months, clamped to the target month's last day."""
    day = date.fromordinal(d)
    months = day.year * 12 + (day.month - 1) + n
    y, m0 = divmod(months, 12)
    if not 1 <= y <= 9999:
        raise date_out_of_range()
    last = _gregorian.monthrange(y, m0 + 1)[1]
    return date(y, m0 + 1, min(day.day, last)).toordinal()


def year(d: int) -> int:
    return date.fromordinal(d).year


def month(d: int) -> int:
    return date.fromordinal(d).month


def day(d: int) -> int:
    return date.fromordinal(d).day


def today_of(timestamp_ms: int, tz_offset_minutes: int = DEFAULT_TZ_MINUTES) -> int:
    """The Date of a Timestamp in the time zone ``tz_offset_minutes`` east of UTC."""
    r = (timestamp_ms + tz_offset_minutes * 60_000) // MS_PER_DAY + EPOCH_ORDINAL
    if MIN_DATE <= r <= MAX_DATE:
        return r
    raise date_out_of_range()


def midnight_of(ordinal: int, tz_offset_minutes: int = DEFAULT_TZ_MINUTES) -> int:
    """The Timestamp at 00:00 of a Date in the time zone ``tz_offset_minutes`` east of UTC."""
    return (ordinal - EPOCH_ORDINAL) * MS_PER_DAY - tz_offset_minutes * 60_000
