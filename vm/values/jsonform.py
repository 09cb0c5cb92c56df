"""Values across the boundary as JSON (LANGUAGE.md section 7).

Int is a JSON number, or a string of digits when |x| >= 2**53 (where JSON readers lose
precision; both forms are accepted on input); Decimal "1.25" (a whole JSON number is accepted
too, a float never); Money "1200.50 CNY"; Percent "80%"; Date "2024-03-01"; Duration "30 days";
Timestamp RFC 3339 (written in UTC+08:00; any offset, and at most millisecond precision, read);
Hash "0x…"; an optional value (``T?``) null for `none`, else T's form; List an array; Map an object keyed by the keys' text forms (written in key order),
or, when its key is composite (a record or a tuple), an array of ``[key, value]`` pairs in key
order, each key in its own form; a tuple an array of its parts;
a record an object of its fields (the type table knows no defaults, so every field is
required unless the caller passes the record defaults it knows; an unknown field is an error); an enum value its name; Party
{"org", "id", "role"}.

`from_json` raises `ValueFormError` naming ``where`` and the path inside it:
``argument policy.start: expected a Date like "2024-03-01", got "2024-3-1"``.

An argument is held to the value limits (`vm.gas.Limits`) before the work of converting it
grows with it, so a caller cannot make a node convert what no call could hold: a JSON array or
object longer than ``collection_length`` is refused before any element is read, a string longer
than ``text_length`` before it is parsed, a List, Map or record at the first level past
``nesting`` (a Party's object and every string form are primitives, as in the VM), and the value
as soon as its size written out (`vm.values.encoding.value_size`, counted as it is read) passes
``value_size``. So the work is bounded by the limits, whatever the JSON, and the walk recurses at
most ``nesting`` levels deep:
``argument claims: a list of 1000000 items is longer than 10000``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from vm import types as T
from vm.types import Value
from vm.values.calendar import EPOCH_ORDINAL, MS_PER_DAY
from vm.values.decimals import INT_LIMIT, SCALE
from vm.values.encoding import value_size
from vm.errors import LiteralError, ValueFormError
from vm.gas import DEFAULT_LIMITS, Limits
from vm.values.literals import (
    parse_date_literal, parse_decimal_literal, parse_duration_literal, parse_hash_literal,
    parse_int_literal, parse_money_literal, parse_percent_literal,
)
from vm.values.ordering import sorted_keys
from vm.values.party import Party
from vm.values.textform import to_text

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


def json_nesting_bound(limits: Limits = DEFAULT_LIMITS) -> int:
    """How deep arrays and objects may nest in a JSON value that fits some type: a value's own
    levels, and one more for a Party, whose form is an object. A reader of JSON text may refuse
    anything deeper before parsing it (`baochain run` does), so no parser meets deep input."""
    return limits.nesting + 1


# -- paths and previews, written out only for a message ----------------------------------------------

# A path is built for every element read, so it is a chain of small tuples (parent, step) that
# costs the same whatever the keys above it; only a refusal writes it out. A step is an index
# (int), a record field (str) or a map key (_Key).
class _Key(str):
    __slots__ = ()


_KEY_SHOWN = 40  # characters of a map key shown in a path


def _path_text(path: tuple | None) -> str:
    steps = []
    while path is not None:
        path, step = path
        if isinstance(step, int):
            steps.append(f"[{step}]")
        elif isinstance(step, _Key):
            key = step if len(step) <= _KEY_SHOWN else step[:_KEY_SHOWN - 3] + "..."
            steps.append(f"[{json.dumps(str(key), ensure_ascii=False)}]")
        else:
            steps.append(f".{step}")
    return "".join(reversed(steps))


_SHOWN = 80


class _TooLargeToShow(Exception):
    pass


def _shown(j: object) -> str:
    """At most 80 characters of ``j`` as JSON. Every level written adds a character, and writing
    stops when the width is filled, so any value is shown in bounded time and stack."""
    out: list[str] = []
    try:
        _preview(j, out, [_SHOWN + 1])
    except _TooLargeToShow:
        return "a value too large to show"
    s = "".join(out)
    return s if len(s) <= _SHOWN else s[:_SHOWN - 3] + "..."


def _preview(x: Value, out: list[str], room: list[int]) -> None:
    def put(s: str) -> None:
        out.append(s[:max(room[0], 0)])
        room[0] -= len(s)

    if isinstance(x, (list, dict)):
        put("[" if isinstance(x, list) else "{")
        for i, item in enumerate(x.items() if isinstance(x, dict) else x):
            if room[0] <= 0:
                return
            if i:
                put(", ")
            if isinstance(x, dict):
                put(_scalar(str(item[0])[:_SHOWN]) + ": ")
                item = item[1]
            _preview(item, out, room)
        put("]" if isinstance(x, list) else "}")
    else:
        put(_scalar(x[:_SHOWN + 1] if isinstance(x, str) else x))


def _scalar(x: Value) -> str:
    try:
        return json.dumps(x, ensure_ascii=False, default=repr)
    except ValueError:  # an int past Python's digit limit
        raise _TooLargeToShow() from None


def _expected(t: T.Type, table: T.TypeTable | None) -> str:
    if t in _EXPECTED:
        return _EXPECTED[t]
    if isinstance(t, T.ListType):
        return f"a {t} (a JSON array)"
    if isinstance(t, T.MapType):
        if _composite(t.key):
            return f"a {t} (a JSON array of [key, value] pairs)"
        return f"a {t} (a JSON object)"
    if isinstance(t, T.RecordType):
        return f"a {t.name} (a JSON object of its fields)"
    if isinstance(t, T.TupleType):
        return f"a {t} (a JSON array of its {len(t.parts)} parts)"
    if isinstance(t, T.EnumType) and table is not None:
        return "one of " + ", ".join(table.enum_values(t.name))
    if isinstance(t, T.OptionalType):
        return f"{_expected(t.inner, table)}, or null"
    return str(t)


class _Misfit(Exception):
    """Internal: a value does not fit; carries the path below ``where`` and an optional reason."""

    def __init__(self, path: tuple | None, t: T.Type, j: object, reason: str | None = None) -> None:
        self.path, self.t, self.j, self.reason = path, t, j, reason


class _OverLimit(Exception):
    """Internal: a value passes one of the limits; ``what`` says which, as the message ends."""

    def __init__(self, path: tuple | None, what: str) -> None:
        self.path, self.what = path, what


@dataclass(slots=True)
class _Context:
    table: T.TypeTable | None
    defaults: Mapping[str, Mapping[str, object]]
    limits: Limits
    budget: int  # bytes the value may still grow by (`vm.values.encoding.value_size`)
    depth: int = 0  # Lists, Maps and records open around the value being read

    def charge(self, n: int, path: tuple | None) -> None:
        self.budget -= n
        if self.budget < 0:
            cap = self.limits.value_size
            raise _OverLimit(path, f"the value passes {cap} bytes here (a value is at most {cap} bytes written out)")


def from_json(t: T.Type, j: object, table: T.TypeTable | None, where: str,
              defaults: Mapping[str, Mapping[str, object]] | None = None, *,
              limits: Limits = DEFAULT_LIMITS) -> Value:
    """The value of type ``t`` that the JSON value ``j`` denotes; ValueFormError if none, or if
    it passes one of ``limits`` (see the module docstring). ``defaults`` (record name -> field
    name -> value, in the runtime representation) supplies the fields an object may leave out;
    without it every field is required."""
    cx = _Context(table, defaults or {}, limits, limits.value_size)
    try:
        return _read(t, j, cx, None)
    except _Misfit as m:
        msg = f"{where}{_path_text(m.path)}: expected {_expected(m.t, table)}, got {_shown(m.j)}"
        if m.reason:
            msg += f" ({m.reason})"
        raise ValueFormError(msg) from None
    except _OverLimit as o:
        raise ValueFormError(f"{where}{_path_text(o.path)}: {o.what}") from None


def _reason(exc: LiteralError) -> str:
    # "invalid Date 2024-02-30: February 2024 has 29 days" repeats what the message already
    # shows; keep only the reason after it.
    text = str(exc)
    return text.split(": ", 1)[1] if text.startswith("invalid ") and ": " in text else text


def _literal(t: T.Type, j: object, path: tuple | None, parse, *args: str) -> Value:
    try:
        return parse(*args)
    except LiteralError as exc:
        raise _Misfit(path, t, j, _reason(exc)) from None


def _read(t: T.Type, j: object, cx: _Context, path: tuple | None) -> Value:
    if isinstance(t, T.OptionalType):
        if j is None:
            cx.charge(1, path)
            return None
        try:
            return _read(t.inner, j, cx, path)
        except _Misfit as m:
            if m.path == path and m.t == t.inner:  # the value itself misfits: say null would do
                raise _Misfit(path, t, m.j, m.reason) from None
            raise
    if isinstance(t, (T.ListType, T.MapType, T.RecordType, T.TupleType)):
        if cx.depth == cx.limits.nesting:
            raise _OverLimit(path, f"values nest at most {cx.limits.nesting} deep "
                                   "(Lists, Maps and records inside each other)")
        cx.charge(1, path)
        cx.depth += 1
        v = _read_container(t, j, cx, path)
        cx.depth -= 1
        return v
    v = _read_primitive(t, j, cx, path)
    cx.charge(value_size(t, v), path)
    return v


def _short(j: object, cx: _Context, path: tuple | None) -> None:
    """Refuse a string longer than a Text may be, before any parsing of it."""
    if isinstance(j, str) and len(j) > cx.limits.text_length:
        raise _OverLimit(path, f"a text of {len(j)} characters is longer than {cx.limits.text_length}")


def _read_primitive(t: T.Type, j: object, cx: _Context, path: tuple | None) -> Value:
    _short(j, cx, path)
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
        if not (isinstance(j, dict) and len(j) == 3 and set(j) == {"org", "id", "role"}
                and all(isinstance(x, str) for x in j.values())):
            raise _Misfit(path, t, j)
        return Party(*(_read_primitive(T.TEXT, j[n], cx, (path, n)) for n in ("org", "id", "role")))
    if isinstance(t, T.EnumType):
        names = _need(cx.table).enum_values(t.name)
        if isinstance(j, str) and j in names:
            return names.index(j)
        raise _Misfit(path, t, j)
    raise TypeError(f"no JSON form for type {t}")


def _read_container(t: T.Type, j: object, cx: _Context, path: tuple | None) -> Value:
    longest = cx.limits.collection_length
    if isinstance(t, T.ListType):
        if not isinstance(j, list):
            raise _Misfit(path, t, j)
        if len(j) > longest:
            raise _OverLimit(path, f"a list of {len(j)} items is longer than {longest}")
        if len(j) > cx.budget:  # each item adds at least a byte: refuse before reading any
            cx.charge(len(j), path)
        elem = t.elem
        return tuple([_read(elem, x, cx, (path, i)) for i, x in enumerate(j)])
    if isinstance(t, T.MapType) and _composite(t.key):
        return _read_pairs(t, j, cx, path)
    if isinstance(t, T.MapType):
        if not isinstance(j, dict):
            raise _Misfit(path, t, j)
        if len(j) > longest:
            raise _OverLimit(path, f"a map of {len(j)} entries is longer than {longest}")
        if 2 * len(j) > cx.budget:
            cx.charge(2 * len(j), path)
        out = {}
        for ks, x in j.items():
            sub = (path, _Key(ks)) if isinstance(ks, str) else (path, _Key(repr(ks)))
            out[_read_key(t.key, ks, cx, sub)] = _read(t.value, x, cx, sub)
        return out
    if isinstance(t, T.RecordType):
        return _read_record(t, j, cx, path)
    if isinstance(t, T.TupleType):
        if not isinstance(j, list) or len(j) != len(t.parts):
            raise _Misfit(path, t, j)
        return tuple([_read(pt, x, cx, (path, i)) for i, (pt, x) in enumerate(zip(t.parts, j))])
    raise TypeError(f"no JSON form for type {t}")


def _composite(kt: T.Type) -> bool:
    """Whether Map keys of type ``kt`` are written as JSON values (pairs) rather than object keys."""
    return isinstance(kt, (T.RecordType, T.TupleType))


def _read_pairs(t: T.MapType, j: object, cx: _Context, path: tuple | None) -> dict:
    """A Map with a composite key from its array of ``[key, value]`` pairs (a key given twice is
    refused: the pairs are the entries)."""
    longest = cx.limits.collection_length
    if not isinstance(j, list):
        raise _Misfit(path, t, j)
    if len(j) > longest:
        raise _OverLimit(path, f"a map of {len(j)} entries is longer than {longest}")
    if 2 * len(j) > cx.budget:
        cx.charge(2 * len(j), path)
    out = {}
    for i, pair in enumerate(j):
        sub = (path, i)
        if not isinstance(pair, list) or len(pair) != 2:
            raise _Misfit(sub, t, pair, "each entry is a [key, value] pair")
        k = _read(t.key, pair[0], cx, (sub, 0))
        if k in out:
            raise _Misfit(sub, t, pair, "a key given twice")
        out[k] = _read(t.value, pair[1], cx, (sub, 1))
    return out


def _read_record(t: T.RecordType, j: object, cx: _Context, path: tuple | None) -> tuple:
    fields = _need(cx.table).record_fields(t.name)
    if not isinstance(j, dict):
        raise _Misfit(path, t, j)
    names = [n for n, _ in fields]
    for k in j:
        if k not in names:
            shown = k if not isinstance(k, str) or len(k) <= _KEY_SHOWN else k[:_KEY_SHOWN - 3] + "..."
            raise _Misfit(path, t, j, f"{t.name} has no field {shown}; its fields are {', '.join(names)}")
    given = cx.defaults.get(t.name, {})
    for n in names:
        if n not in j and n not in given:
            raise _Misfit(path, t, j, f"field {n} is missing")
    out = []
    for n, ft in fields:
        if n in j:
            out.append(_read(ft, j[n], cx, (path, n)))
        else:
            out.append(_default(ft, given[n], cx, (path, n)))
    return tuple(out)


def _default(t: T.Type, v: Value, cx: _Context, path: tuple | None) -> Value:
    """A field left out takes its default: held to the limits where it lands, like a given one."""
    if cx.depth + _depth(v) > cx.limits.nesting:
        raise _OverLimit(path, f"values nest at most {cx.limits.nesting} deep "
                               "(Lists, Maps and records inside each other); the field's default is too deep here")
    cx.charge(value_size(t, v, cx.budget), path)
    return v


def _depth(v: Value) -> int:
    """How deep a (verified, so at most `nesting` deep) default value nests."""
    if isinstance(v, tuple):
        return 1 + max((_depth(x) for x in v), default=0)
    if isinstance(v, dict):
        return 1 + max((max(_depth(k), _depth(x)) for k, x in v.items()), default=0)
    return 0


def _need(table: T.TypeTable | None) -> T.TypeTable:
    if table is None:
        raise TypeError("records and enums need a TypeTable")
    return table


def _read_key(kt: T.Type, s: object, cx: _Context, path: tuple | None) -> Value:
    """A Map key from its text form (an object key is always a string)."""
    if kt == T.PARTY:  # role:org/id, three Texts: each is held to the limit once it is split
        if isinstance(s, str) and len(s) > 3 * cx.limits.text_length + 2:
            raise _OverLimit(path, f"a key of {len(s)} characters is longer than a Party's text form may be")
    else:
        _short(s, cx, path)
    if not isinstance(s, str):
        raise _Misfit(path, kt, s)
    if kt == T.BOOL:
        if s not in ("true", "false"):
            raise _Misfit(path, kt, s)
        k: Value = s == "true"
    elif kt == T.INT:
        if not re.fullmatch(r"-?\d+", s):
            raise _Misfit(path, kt, s)
        k = _literal(kt, s, path, parse_int_literal, s)
    elif kt == T.PARTY:
        m = _PARTY_RE.fullmatch(s)
        if m is None:
            raise _Misfit(path, kt, s, "a Party key is written role:org/id")
        for part in m.groups():
            _short(part, cx, path)
        k = Party(m[2], m[3], m[1])
    else:
        k = _read_primitive(kt, s, cx, path)
    cx.charge(value_size(kt, k), path)
    return k


def _read_timestamp(j: object, path: tuple | None) -> int:
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
    local = (ordinal - EPOCH_ORDINAL) * MS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000 + ms
    return local - offset * 60_000


def to_json(t: T.Type, v: Value, table: T.TypeTable | None = None) -> object:
    """The JSON-able form (dicts, lists, str, int, bool) of a value of type ``t``. Written with a
    work list instead of recursion: however deep the value, no Python stack is spent on it."""
    root: list[object] = [None]
    work: list[tuple[T.Type, Value, Any, Any]] = [(t, v, root, 0)]  # (type, value, container, slot in it)
    while work:
        t, v, into, slot = work.pop()
        if isinstance(t, T.OptionalType):  # null, or the value's own form in its place
            if v is None:
                into[slot] = None
            else:
                work.append((t.inner, v, into, slot))
            continue
        if isinstance(t, T.ListType):
            out: Value = [None] * len(v)
            work.extend([(t.elem, x, out, i) for i, x in enumerate(v)])
        elif isinstance(t, T.MapType) and _composite(t.key):
            out = [[None, None] for _ in v]
            for pair, k in zip(out, sorted_keys(t.key, v, table)):
                work.append((t.key, k, pair, 0))
                work.append((t.value, v[k], pair, 1))
        elif isinstance(t, T.MapType):
            out = {}
            for k in sorted_keys(t.key, v, table):
                name = to_text(t.key, k, table)
                out[name] = None
                work.append((t.value, v[k], out, name))
        elif isinstance(t, T.RecordType):
            out = {}
            for (n, ft), x in zip(_need(table).record_fields(t.name), v):
                out[n] = None
                work.append((ft, x, out, n))
        elif isinstance(t, T.TupleType):
            out = [None] * len(v)
            work.extend([(pt, x, out, i) for i, (pt, x) in enumerate(zip(t.parts, v))])
        else:
            out = _leaf_json(t, v, table)
        into[slot] = out
    return root[0]


def _leaf_json(t: T.Type, v: Value, table: T.TypeTable | None) -> object:
    if t == T.INT:
        return v if -JSON_SAFE < v < JSON_SAFE else str(v)
    if t in (T.TEXT, T.BOOL):
        return v
    if t == T.PARTY:
        return {"org": v.org, "id": v.id, "role": v.role}
    return to_text(t, v, table)
