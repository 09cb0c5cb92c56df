"""Values as text (LANGUAGE.md sections 5 and 7): what ``text(x)`` and ``{x}`` write.

Choices the language leaves open, fixed here:
- Timestamp: RFC 3339 in UTC+08:00, the channels' default zone: ``2024-05-01T09:30:00+08:00``,
  with ``.mmm`` only when the milliseconds are not zero.
- Party: ``role:org/id``, e.g. ``insurer:PICC/PICC``.
- An optional value: ``none``, or its value's text.
- Text: bare at the top level; quoted with Bao's escapes (``\\"``, ``\\\\``, ``\\n``) inside a List,
  Map or record. Map entries are written in key order.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

from vm import types as T
from vm.types import Value
from vm.values.calendar import DEFAULT_TZ_MINUTES, EPOCH_ORDINAL, MAX_DATE, MIN_DATE, MS_PER_DAY
from vm.values.currencies import CURRENCY_DIGITS
from vm.values.money import Money
from vm.values.ordering import sorted_keys


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


class TextTooLong(Exception):
    """`to_text` with a ``limit`` stopped once the text passed it (see `to_text`)."""


def to_text(t: T.Type, v: Value, table: T.TypeTable | None = None, limit: int | None = None) -> str:
    """``text(v)`` for a value of type ``t``.

    With a ``limit`` (in characters), raise `TextTooLong` as soon as the text grows past it: the
    work done is then bounded by the limit, whatever the value's written-out size (a value that
    shares parts can describe more text than memory holds). Every part written adds at least one
    character, so at most ``limit`` + 1 parts are made."""
    if type(t) is T.Prim and t.name == "Text":
        if limit is not None and len(v) > limit:
            raise TextTooLong()
        return v
    out = _Writer(limit if limit is not None else -1, table)
    out.value(t, v)
    return "".join(out.parts)


_PRIM_TEXT: dict[str, Callable[[Value], str]] = {
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


# Primitives whose text form is short whatever the value (not Text, not Party).
_SHORT = frozenset(_PRIM_TEXT) - {"Text", "Party"}


class _Writer:
    """Writes a value's text form part by part, counting characters against a limit (-1: none)."""

    __slots__ = ("parts", "left", "table")

    def __init__(self, limit: int, table: T.TypeTable | None) -> None:
        self.parts: list[str] = []
        self.left = limit
        self.table = table

    def put(self, s: str) -> None:
        self.parts.append(s)
        if self.left >= 0:
            self.left -= len(s)
            if self.left < 0:
                raise TextTooLong()

    def value(self, t: T.Type, v) -> None:
        put = self.put
        if type(t) is T.Prim:
            put(_PRIM_TEXT[t.name](v))
        elif type(t) is T.EnumType:
            put(_table(self.table, t).enum_values(t.name)[v])
        elif type(t) is T.ListType and type(t.elem) is T.Prim and t.elem.name in _SHORT:
            # Elements of a short text form (at most ~100 characters each): written in one go,
            # at most a collection's length of them, then counted.
            put("[" + ", ".join(map(_PRIM_TEXT[t.elem.name], v)) + "]")
        elif type(t) is T.ListType:
            put("[")
            for i, x in enumerate(v):
                if i:
                    put(", ")
                self.value(t.elem, x)
            put("]")
        elif type(t) is T.MapType:
            put("{")
            for i, k in enumerate(sorted_keys(t.key, v, self.table)):
                if i:
                    put(", ")
                self.value(t.key, k)
                put(": ")
                self.value(t.value, v[k])
            put("}")
        elif type(t) is T.RecordType:
            fields = _table(self.table, t).record_fields(t.name)
            put(f"{t.name}(")
            for i, ((name, ft), x) in enumerate(zip(fields, v)):
                put(f"{', ' if i else ''}{name}: ")
                self.value(ft, x)
            put(")")
        elif type(t) is T.TupleType:
            put("(")
            for i, (pt, x) in enumerate(zip(t.parts, v)):
                if i:
                    put(", ")
                self.value(pt, x)
            put(")")
        elif type(t) is T.OptionalType:
            if v is None:
                put("none")
            else:
                self.value(t.inner, v)
        else:
            raise TypeError(f"no text form for type {t}")


def _table(table: T.TypeTable | None, t: T.Type) -> T.TypeTable:
    if table is None:
        raise TypeError(f"{t} needs a TypeTable")
    return table
