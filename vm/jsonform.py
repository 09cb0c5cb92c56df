"""Values across the boundary as JSON (LANGUAGE.md section 7).

Int is a JSON number, or a string of digits when |x| >= 2**53 (where JSON readers lose
precision; both forms are accepted on input); Decimal "1.25" (a whole JSON number is accepted
too, a float never); Money "1200.50 CNY"; Percent "80%"; Date "2024-03-01"; Duration "30 days";
Timestamp RFC 3339 (written in UTC+08:00; any offset, and at most millisecond precision, read);
Hash "0x…"; List an array; Map an object keyed by the keys' text forms (written in key order);
a record an object of its fields (the type table knows no defaults, so every field is
required unless the caller passes the record defaults it knows; an unknown field is an error); an enum value its name; Party
{"org", "id", "role"}.

`from_json` raises `ValueFormError` naming ``where`` and the path inside it:
``argument policy.start: expected a Date like "2024-03-01", got "2024-3-1"``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass

from vm import types as T
from vm.calendar import EPOCH_ORDINAL, MS_PER_DAY
from vm.decimals import INT_LIMIT, SCALE
from vm.errors import LiteralError, ValueFormError
from vm.literals import (
    parse_date_literal, parse_decimal_literal, parse_duration_literal, parse_hash_literal,
    parse_int_literal, parse_money_literal, parse_percent_literal,
)
from vm.ordering import sorted_keys
from vm.party import Party
from vm.textform import to_text

JSON_SAFE = 2**53

_MONEY_RE = re.compile(r"(\S+) ([A-Za-z]{3})")
_DURATION_RE = re.compile(r"(\S+) (\S+)")
_TIMESTAMP_RE = re.compile(
    r"(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})")
_PARTY_RE = re.compile(r"([^:]*):([^/]*)/(.*)", re.S)

_EXPECTED = {
    T.INT: "an Int (a whole number, or a string of digits when large)",
    T.DECIMAL: 'a Decimal like "1.25"',
    T.MONEY: 'Money like "1200.50 CNY"',
    T.PERCENT: 'a Percent like "80%"',
    T.DATE: 'a Date like "2024-03-01"',
    T.DURATION: 'a Duration like "30 days"',
    T.TIMESTAMP: 'a Timestamp like "2024-03-01T09:30:00+08:00"',
    T.TEXT: "a Text (a JSON string)",
    T.BOOL: "true or false",
    T.HASH: 'a Hash like "0x" followed by 64 hex digits',
    T.PARTY: 'a Party like {"org": "PICC", "id": "PICC", "role": "insurer"}',
}


def _shown(j: object) -> str:
    try:
        s = json.dumps(j, ensure_ascii=False, default=repr)
    except ValueError:  # an int past Python's digit limit, or a circular structure
        return "a value too large to show"
    return s if len(s) <= 80 else s[:77] + "..."


def _expected(t: T.Type, table: T.TypeTable | None) -> str:
    if t in _EXPECTED:
        return _EXPECTED[t]  # type: ignore[index]
    if isinstance(t, T.ListType):
        return f"a {t} (a JSON array)"
    if isinstance(t, T.MapType):
        return f"a {t} (a JSON object)"
    if isinstance(t, T.RecordType):
        return f"a {t.name} (a JSON object of its fields)"
    if isinstance(t, T.EnumType) and table is not None:
        return "one of " + ", ".join(table.enum_values(t.name))
    return str(t)


class _Misfit(Exception):
    """Internal: a value does not fit; carries the path below ``where`` and an optional reason."""

    def __init__(self, path: str, t: T.Type, j: object, reason: str | None = None) -> None:
        self.path, self.t, self.j, self.reason = path, t, j, reason


@dataclass(frozen=True, slots=True)
class _Context:
    table: T.TypeTable | None
    defaults: Mapping[str, Mapping[str, object]]


def from_json(t: T.Type, j: object, table: T.TypeTable | None, where: str,
              defaults: Mapping[str, Mapping[str, object]] | None = None) -> object:
    """The value of type ``t`` that the JSON value ``j`` denotes; ValueFormError if none.
    ``defaults`` (record name -> field name -> value, in the runtime representation) supplies
    the fields an object may leave out; without it every field is required."""
    try:
        return _read(t, j, _Context(table, defaults or {}), "")
    except _Misfit as m:
        msg = f"{where}{m.path}: expected {_expected(m.t, table)}, got {_shown(m.j)}"
        if m.reason:
            msg += f" ({m.reason})"
        raise ValueFormError(msg) from None


def _reason(exc: LiteralError) -> str:
    # "invalid Date 2024-02-30: February 2024 has 29 days" repeats what the message already
    # shows; keep only the reason after it.
    text = str(exc)
    return text.split(": ", 1)[1] if text.startswith("invalid ") and ": " in text else text


def _literal(t: T.Type, j: object, path: str, parse, *args: str) -> object:
    try:
        return parse(*args)
    except LiteralError as exc:
        raise _Misfit(path, t, j, _reason(exc)) from None


def _read(t: T.Type, j: object, cx: _Context, path: str) -> object:
    if t == T.TEXT:
        if not isinstance(j, str):
            raise _Misfit(path, t, j)
        try:
            j.encode("utf-8")
        except UnicodeEncodeError:
            raise _Misfit(path, t, j, "not valid Unicode text") from None
        return j
    if t == T.BOOL:
        if not isinstance(j, bool):
            raise _Misfit(path, t, j)
        return j
    if t == T.INT:
        if isinstance(j, int) and not isinstance(j, bool):
            if -INT_LIMIT < j < INT_LIMIT:
                return j
            raise _Misfit(path, t, j, "out of range (the magnitude must stay below 2^255)")
        if isinstance(j, str) and re.fullmatch(r"-?\d+", j):
            return _literal(t, j, path, parse_int_literal, j)
        raise _Misfit(path, t, j)
    if t == T.DECIMAL:
        if isinstance(j, int) and not isinstance(j, bool):
            if -INT_LIMIT < j * SCALE < INT_LIMIT:
                return j * SCALE
            raise _Misfit(path, t, j, "out of range (the magnitude must stay below 2^255)")
        if isinstance(j, str) and re.fullmatch(r"-?\d+(?:\.\d+)?", j):
            return _literal(t, j, path, parse_decimal_literal, j)
        if isinstance(j, float):
            raise _Misfit(path, t, j, "write a Decimal as a string, there are no floats")
        raise _Misfit(path, t, j)
    if t == T.PERCENT:
        if isinstance(j, str) and j.endswith("%") and re.fullmatch(r"-?\d+(?:\.\d+)?", j[:-1]):
            return _literal(t, j, path, parse_percent_literal, j[:-1])
        raise _Misfit(path, t, j)
    if t == T.MONEY:
        m = _MONEY_RE.fullmatch(j) if isinstance(j, str) else None
        if m is None or not re.fullmatch(r"-?\d+(?:\.\d+)?", m[1]):
            raise _Misfit(path, t, j)
        return _literal(t, j, path, parse_money_literal, m[1], m[2])
    if t == T.DATE:
        if not (isinstance(j, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", j)):
            raise _Misfit(path, t, j)
        return _literal(t, j, path, parse_date_literal, j)
    if t == T.DURATION:
        m = _DURATION_RE.fullmatch(j) if isinstance(j, str) else None
        if m is None or not re.fullmatch(r"-?\d+", m[1]):
            raise _Misfit(path, t, j)
        return _literal(t, j, path, parse_duration_literal, m[1], m[2])
    if t == T.TIMESTAMP:
        return _read_timestamp(j, path)
    if t == T.HASH:
        if not isinstance(j, str):
            raise _Misfit(path, t, j)
        return _literal(t, j, path, parse_hash_literal, j)
    if t == T.PARTY:
        if not (isinstance(j, dict) and set(j) == {"org", "id", "role"}
                and all(isinstance(x, str) for x in j.values())):
            raise _Misfit(path, t, j)
        return Party(_read(T.TEXT, j["org"], cx, path + ".org"), _read(T.TEXT, j["id"], cx, path + ".id"),
                     _read(T.TEXT, j["role"], cx, path + ".role"))
    if isinstance(t, T.EnumType):
        names = _need(cx.table).enum_values(t.name)
        if isinstance(j, str) and j in names:
            return names.index(j)
        raise _Misfit(path, t, j)
    if isinstance(t, T.ListType):
        if not isinstance(j, list):
            raise _Misfit(path, t, j)
        return tuple([_read(t.elem, x, cx, f"{path}[{i}]") for i, x in enumerate(j)])
    if isinstance(t, T.MapType):
        if not isinstance(j, dict):
            raise _Misfit(path, t, j)
        out = {}
        for ks, x in j.items():
            sub = f"{path}[{json.dumps(ks, ensure_ascii=False)}]"
            out[_read_key(t.key, ks, cx, sub)] = _read(t.value, x, cx, sub)
        return out
    if isinstance(t, T.RecordType):
        fields = _need(cx.table).record_fields(t.name)
        if not isinstance(j, dict):
            raise _Misfit(path, t, j)
        names = [n for n, _ in fields]
        for k in j:
            if k not in names:
                raise _Misfit(path, t, j, f"{t.name} has no field {k}; its fields are {', '.join(names)}")
        given = cx.defaults.get(t.name, {})
        for n in names:
            if n not in j and n not in given:
                raise _Misfit(path, t, j, f"field {n} is missing")
        return tuple([_read(ft, j[n], cx, f"{path}.{n}") if n in j else given[n] for n, ft in fields])
    raise TypeError(f"no JSON form for type {t}")


def _need(table: T.TypeTable | None) -> T.TypeTable:
    if table is None:
        raise TypeError("records and enums need a TypeTable")
    return table


def _read_key(kt: T.Type, s: str, cx: _Context, path: str) -> object:
    """A Map key from its text form (an object key is always a string)."""
    if kt == T.TEXT:
        return _read(kt, s, cx, path)
    if kt == T.BOOL:
        if s in ("true", "false"):
            return s == "true"
        raise _Misfit(path, kt, s)
    if kt == T.INT:
        if re.fullmatch(r"-?\d+", s):
            return _literal(kt, s, path, parse_int_literal, s)
        raise _Misfit(path, kt, s)
    if kt == T.PARTY:
        m = _PARTY_RE.fullmatch(s)
        if m is None:
            raise _Misfit(path, kt, s, "a Party key is written role:org/id")
        return Party(m[2], m[3], m[1])
    return _read(kt, s, cx, path)


def _read_timestamp(j: object, path: str) -> int:
    m = _TIMESTAMP_RE.fullmatch(j) if isinstance(j, str) else None
    if m is None:
        raise _Misfit(path, T.TIMESTAMP, j)
    ordinal = _literal(T.TIMESTAMP, j, path, parse_date_literal, m[1])
    h, mi, s = int(m[2]), int(m[3]), int(m[4])
    if h > 23 or mi > 59 or s > 59:
        raise _Misfit(path, T.TIMESTAMP, j, "no such time of day")
    frac = m[5] or ""
    if frac.rstrip("0")[3:]:
        raise _Misfit(path, T.TIMESTAMP, j, "at most millisecond precision")
    ms = int(frac[:3].ljust(3, "0")) if frac else 0
    zone = m[6]
    offset = 0
    if zone not in ("Z", "z"):
        oh, om = int(zone[1:3]), int(zone[4:6])
        if oh > 23 or om > 59:
            raise _Misfit(path, T.TIMESTAMP, j, "no such time zone offset")
        offset = (oh * 60 + om) * (1 if zone[0] == "+" else -1)
    local = (ordinal - EPOCH_ORDINAL) * MS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000 + ms  # type: ignore[operator]
    return local - offset * 60_000


def to_json(t: T.Type, v: object, table: T.TypeTable | None = None) -> object:
    """The JSON-able form (dicts, lists, str, int, bool) of a value of type ``t``."""
    if t == T.INT:
        return v if -JSON_SAFE < v < JSON_SAFE else str(v)  # type: ignore[operator]
    if t in (T.TEXT, T.BOOL):
        return v
    if t == T.PARTY:
        return {"org": v.org, "id": v.id, "role": v.role}  # type: ignore[attr-defined]
    if isinstance(t, T.ListType):
        return [to_json(t.elem, x, table) for x in v]  # type: ignore[attr-defined]
    if isinstance(t, T.MapType):
        return {to_text(t.key, k, table): to_json(t.value, v[k], table)  # type: ignore[index]
                for k in sorted_keys(t.key, v, table)}  # type: ignore[arg-type]
    if isinstance(t, T.RecordType):
        fields = _need(table).record_fields(t.name)
        return {n: to_json(ft, x, table) for (n, ft), x in zip(fields, v)}  # type: ignore[call-overload]
    return to_text(t, v, table)

