"""Values as text (LANGUAGE.md sections 5 and 7): what ``text(x)`` and ``{x}`` write.

Choices the language leaves open, fixed here:
- Timestamp: RFC 3339 in UTC+08:00, the channels' default zone: ``2024-05-01T09:30:00+08:00``,
  with ``.mmm`` only when the milliseconds are not zero.
- Party: ``role:org/id``, e.g. ``insurer:PICC/PICC``.
- Text: bare at the top level; quoted with Bao's escapes (``\\"``, ``\\\\``, ``\\n``) inside a List,
  Map or record. Map entries are written in key order.
"""

from __future__ import annotations

from datetime import date

from vm import types as T
from vm.calendar import DEFAULT_TZ_MINUTES, EPOCH_ORDINAL, MAX_DATE, MIN_DATE, MS_PER_DAY
from vm.currencies import CURRENCY_DIGITS
from vm.money import Money
from vm.ordering import sorted_keys


def fixed_text(x: int, digits: int, keep_zeros: bool = False) -> str:
    """An int scaled by 10**digits as a decimal numeral; without trailing fractional zeros
    unless ``keep_zeros``."""
    sign = "-" if x < 0 else ""
    whole, frac = divmod(-x if x < 0 else x, 10**digits)
    if digits == 0:
        return f"{sign}{whole}"
    f = str(frac).rjust(digits, "0")
    if not keep_zeros:
        f = f.rstrip("0")
    return f"{sign}{whole}.{f}" if f else f"{sign}{whole}"


def money_text(m: Money) -> str:
    return f"{fixed_text(m.units, CURRENCY_DIGITS[m.currency], keep_zeros=True)} {m.currency}"


def decimal_text(x: int) -> str:
    return fixed_text(x, 18)


def percent_text(x: int) -> str:
    return fixed_text(x, 16) + "%"


def duration_text(days: int) -> str:
    return "1 day" if days == 1 else f"{days} days"


def timestamp_text(ms: int, tz_offset_minutes: int = DEFAULT_TZ_MINUTES) -> str:
    local = ms + tz_offset_minutes * 60_000
    days, in_day = divmod(local, MS_PER_DAY)
    ordinal = days + EPOCH_ORDINAL
    if not MIN_DATE <= ordinal <= MAX_DATE:
        return f"{ms} ms"  # beyond RFC 3339's years; never a real block time
    secs, milli = divmod(in_day, 1000)
    h, rest = divmod(secs, 3600)
    mi, s = divmod(rest, 60)
    frac = f".{milli:03d}" if milli else ""
    sign = "+" if tz_offset_minutes >= 0 else "-"
    oh, om = divmod(abs(tz_offset_minutes), 60)
    zone = "Z" if tz_offset_minutes == 0 else f"{sign}{oh:02d}:{om:02d}"
    return f"{date.fromordinal(ordinal).isoformat()}T{h:02d}:{mi:02d}:{s:02d}{frac}{zone}"


def quote_text(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def party_text(role: str, org: str, id_: str) -> str:
    return f"{role}:{org}/{id_}"


def to_text(t: T.Type, v: object, table: T.TypeTable | None = None) -> str:
    """``text(v)`` for a value of type ``t``."""
    if type(t) is T.Prim and t.name == "Text":
        return v  # type: ignore[return-value]
    return _nested(t, v, table)


_PRIM_TEXT = {
    "Text": quote_text,
    "Money": money_text,
    "Int": str,
    "Decimal": decimal_text,
    "Percent": percent_text,
    "Date": lambda v: date.fromordinal(v).isoformat(),
    "Duration": duration_text,
    "Bool": lambda v: "true" if v else "false",
    "Timestamp": timestamp_text,
    "Hash": lambda v: "0x" + v.hex(),
    "Party": lambda v: party_text(v.role, v.org, v.id),
}


def _nested(t: T.Type, v, table: T.TypeTable | None) -> str:
    if type(t) is T.Prim:
        return _PRIM_TEXT[t.name](v)
    if type(t) is T.EnumType:
        return _table(table, t).enum_values(t.name)[v]
    if type(t) is T.ListType:
        return "[" + ", ".join([_nested(t.elem, x, table) for x in v]) + "]"
    if type(t) is T.MapType:
        items = [f"{_nested(t.key, k, table)}: {_nested(t.value, v[k], table)}"
                 for k in sorted_keys(t.key, v, table)]
        return "{" + ", ".join(items) + "}"
    if type(t) is T.RecordType:
        fields = _table(table, t).record_fields(t.name)
        inner = ", ".join([f"{name}: {_nested(ft, x, table)}" for (name, ft), x in zip(fields, v)])
        return f"{t.name}({inner})"
    raise TypeError(f"no text form for type {t}")


def _table(table: T.TypeTable | None, t: T.Type) -> T.TypeTable:
    if table is None:
        raise TypeError(f"{t} needs a TypeTable")
    return table
