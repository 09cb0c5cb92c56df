"""The deterministic state encoding of values, and their size estimate.

The encoding is untagged (the reader knows the type) and canonical: every value has exactly
one encoding, and `decode_value` rejects anything else (non-minimal varints, unsorted or
repeated map keys, out-of-range numbers, unknown currencies, enum indexes past the end,
invalid UTF-8, trailing bytes) with `EncodingError`, never another exception.

| type                                    | bytes                                              |
|-----------------------------------------|----------------------------------------------------|
| Int, Decimal, Percent, Duration, Timestamp | zigzag LEB128 varint of the (scaled) int        |
| Date, enum                              | LEB128 varint of the ordinal / index               |
| Bool                                    | 0x00 or 0x01                                       |
| Text                                    | varint byte length, UTF-8                          |
| Hash                                    | the 32 bytes                                       |
| Money                                   | currency as Text, then units as Int                |
| Party                                   | org, id, role as Text                              |
| List                                    | varint count, the elements                         |
| Map                                     | varint count, (key, value) pairs in ascending `encode_key` order |
| record                                  | the fields in declaration order                    |
| T?                                      | 0x00 for `none`; 0x01, then the value as T         |
"""

from __future__ import annotations

from typing import Callable

from vm import types as T
from vm.types import Value
from vm.values.calendar import MAX_DATE, MIN_DATE
from vm.values.currencies import CURRENCY_DIGITS
from vm.values.decimals import INT_LIMIT
from vm.errors import EncodingError, NestingError
from vm.gas import DEFAULT_LIMITS
from vm.values.keys import encode_key
from vm.values.money import Money
from vm.values.party import Party

_MAX_VARINT_BYTES = 37  # ceil(256 / 7): a zigzagged magnitude below 2**255 fits


def _put_uvarint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _put_text(out: bytearray, s: str) -> None:
    b = s.encode("utf-8")
    _put_uvarint(out, len(b))
    out += b


class ValueTooLarge(EncodingError):
    """`encode_value` with a ``limit`` stopped once the encoding passed it."""


class _Out(bytearray):
    """The encoding so far, and the size it may not pass (-1: no limit)."""

    __slots__ = ("limit",)
    limit: int


def encode_value(t: T.Type, v: Value, table: T.TypeTable | None = None, limit: int | None = None) -> bytes:
    """The canonical bytes of a value of type ``t``. With a ``limit``, raise `ValueTooLarge` as
    soon as the bytes pass it: the work is then bounded by the limit, however large the value is
    written out (a value that shares parts may describe more bytes than memory holds)."""
    out = _Out()
    out.limit = -1 if limit is None else limit
    try:
        _put(out, t, v, table)
    except (TypeError, AttributeError, ValueError, KeyError, IndexError, UnicodeEncodeError) as exc:
        raise EncodingError(f"cannot encode a value as {t}: {exc}") from None
    if 0 <= out.limit < len(out):
        raise ValueTooLarge(f"the value is larger than {out.limit} bytes")
    return bytes(out)


def _put_signed(out: bytearray, v: int) -> None:
    if not -INT_LIMIT < v < INT_LIMIT or v is True or v is False:
        raise ValueError(f"{v!r} is out of range")
    _put_uvarint(out, v + v if v >= 0 else -v - v - 1)


def _put_money(out: bytearray, v: Money) -> None:
    if v.currency not in CURRENCY_DIGITS:
        raise ValueError(f"unknown currency {v.currency!r}")
    _put_text(out, v.currency)
    _put_signed(out, v.units)


def _put_date(out: bytearray, v: int) -> None:
    if v is True or v is False or not MIN_DATE <= v <= MAX_DATE:
        raise ValueError(f"date {v!r} is out of range")
    _put_uvarint(out, v)


def _put_bool(out: bytearray, v: bool) -> None:
    out.append(1 if v else 0)


def _put_hash(out: bytearray, v: bytes) -> None:
    if len(v) != 32:
        raise ValueError("a Hash has 32 bytes")
    out += v


def _put_party(out: bytearray, v: Party) -> None:
    _put_text(out, v.org)
    _put_text(out, v.id)
    _put_text(out, v.role)


# Primitive types by name: a dict lookup instead of a chain of dataclass comparisons.
_PUT_PRIM: dict[str, Callable[[_Out, Value], None]] = {
    "Int": _put_signed, "Decimal": _put_signed, "Percent": _put_signed, "Duration": _put_signed,
    "Timestamp": _put_signed, "Text": _put_text, "Money": _put_money, "Bool": _put_bool,
    "Date": _put_date, "Hash": _put_hash, "Party": _put_party,
}


def _named(table: T.TypeTable | None, t: T.Type) -> T.TypeTable:
    """The table that defines record or enum ``t``; a caller that gave none gets EncodingError."""
    if table is None:
        raise EncodingError(f"a value of {t} needs the module's type table")
    return table


def _put(out: _Out, t: T.Type, v: Value, table: T.TypeTable | None) -> None:
    if 0 <= out.limit < len(out):  # checked at every element: each one adds at least a byte
        raise ValueTooLarge(f"the value is larger than {out.limit} bytes")
    if type(t) is T.Prim:
        _PUT_PRIM[t.name](out, v)
    elif type(t) is T.RecordType:
        fields = _named(table, t).record_fields(t.name)
        if len(v) != len(fields):
            raise ValueError(f"{t.name} has {len(fields)} fields")
        for (_, ft), x in zip(fields, v):
            _put(out, ft, x, table)
    elif type(t) is T.TupleType:
        if len(v) != len(t.parts):
            raise ValueError(f"{t} has {len(t.parts)} parts")
        for pt, x in zip(t.parts, v):
            _put(out, pt, x, table)
    elif type(t) is T.EnumType:
        if v is True or v is False or not 0 <= v < len(_named(table, t).enum_values(t.name)):
            raise ValueError(f"{v!r} is not a value of enum {t.name}")
        _put_uvarint(out, v)
    elif type(t) is T.ListType:
        _put_uvarint(out, len(v))
        e = t.elem
        for x in v:
            _put(out, e, x, table)
    elif type(t) is T.OptionalType:
        if v is None:
            out.append(0)
        else:
            out.append(1)
            _put(out, t.inner, v, table)
    elif type(t) is T.MapType:
        _put_uvarint(out, len(v))
        kt, vt = t.key, t.value
        for _, k in sorted([(encode_key(kt, k, table), k) for k in v], key=lambda p: p[0]):
            _put(out, kt, k, table)
            _put(out, vt, v[k], table)
    else:
        raise TypeError(f"no encoding for type {t}")


class _Reader:
    __slots__ = ("data", "pos", "depth")

    def __init__(self, data: bytes, nesting: int) -> None:
        self.data = data
        self.pos = 0
        self.depth = nesting  # how many more Lists, Maps and records may open inside each other

    def fail(self, why: str) -> EncodingError:
        return EncodingError(f"malformed value at byte {self.pos}: {why}")

    def uvarint(self) -> int:
        data, pos = self.data, self.pos
        if pos < len(data) and data[pos] < 0x80:  # one byte: most lengths, counts and small ints
            self.pos = pos + 1
            return data[pos]
        n = shift = 0
        for i in range(_MAX_VARINT_BYTES):
            if pos >= len(data):
                raise self.fail("truncated number")
            b = data[pos]
            pos += 1
            n |= (b & 0x7F) << shift
            shift += 7
            if b < 0x80:
                if b == 0 and i > 0:
                    raise self.fail("non-minimal number")
                self.pos = pos
                return n
        raise self.fail("number too long")

    def svarint(self) -> int:
        z = self.uvarint()
        v = z >> 1 if not z & 1 else -(z >> 1) - 1
        if not -INT_LIMIT < v < INT_LIMIT:
            raise self.fail("number out of range")
        return v

    def take(self, n: int) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise self.fail("truncated")
        b = self.data[self.pos:end]
        self.pos = end
        return b

    def text(self) -> str:
        n = self.uvarint()
        end = self.pos + n
        if end > len(self.data):
            raise self.fail("truncated text")
        b = self.data[self.pos:end]
        self.pos = end
        try:
            return b.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("invalid UTF-8") from None

    def count(self) -> int:
        n = self.uvarint()
        if n > len(self.data) - self.pos:  # every element takes at least one byte
            raise self.fail("count larger than the data")
        return n


def decode_value(t: T.Type, data: bytes, table: T.TypeTable | None = None,
                 nesting: int = DEFAULT_LIMITS.nesting) -> Value:
    """The value whose canonical encoding is ``data``; EncodingError for anything else, a value
    nested deeper than ``nesting`` (the language's limit, `vm.gas.Limits`) included."""
    r = _Reader(bytes(data), nesting)
    v = _get(r, t, table)
    if r.pos != len(r.data):
        raise r.fail("trailing bytes")
    return v


def _get_money(r: _Reader) -> Money:
    cur = r.text()
    if cur not in CURRENCY_DIGITS:
        raise r.fail(f"unknown currency {cur!r}")
    return Money(cur, r.svarint())


def _get_bool(r: _Reader) -> bool:
    b = r.take(1)[0]
    if b > 1:
        raise r.fail("a Bool is 0 or 1")
    return b == 1


def _get_date(r: _Reader) -> int:
    d = r.uvarint()
    if not MIN_DATE <= d <= MAX_DATE:
        raise r.fail("date out of range")
    return d


_GET_PRIM = {
    "Int": _Reader.svarint, "Decimal": _Reader.svarint, "Percent": _Reader.svarint,
    "Duration": _Reader.svarint, "Timestamp": _Reader.svarint, "Text": _Reader.text,
    "Money": _get_money, "Bool": _get_bool, "Date": _get_date,
    "Hash": lambda r: r.take(32), "Party": lambda r: Party(r.text(), r.text(), r.text()),
}


def _get(r: _Reader, t: T.Type, table: T.TypeTable | None) -> Value:
    if type(t) is T.Prim:
        return _GET_PRIM[t.name](r)
    if type(t) is T.EnumType:
        i = r.uvarint()
        if i >= len(_named(table, t).enum_values(t.name)):
            raise r.fail(f"no value {i} in enum {t.name}")
        return i
    if type(t) is T.OptionalType:  # no level of nesting of its own
        tag = r.take(1)[0]
        if tag > 1:
            raise r.fail("an optional value starts with 0 (none) or 1")
        return None if tag == 0 else _get(r, t.inner, table)
    if r.depth == 0:
        raise NestingError(f"malformed value at byte {r.pos}: values nested too deeply")
    r.depth -= 1
    v = _get_container(r, t, table)
    r.depth += 1
    return v


def _get_container(r: _Reader, t: T.Type, table: T.TypeTable | None) -> Value:
    if type(t) is T.RecordType:
        return tuple([_get(r, ft, table) for _, ft in _named(table, t).record_fields(t.name)])
    if type(t) is T.TupleType:
        return tuple([_get(r, pt, table) for pt in t.parts])
    if type(t) is T.ListType:
        return tuple([_get(r, t.elem, table) for _ in range(r.count())])
    if type(t) is T.MapType:
        out = {}
        last = None
        for _ in range(r.count()):
            k = _get(r, t.key, table)
            kb = encode_key(t.key, k, table)
            if last is not None and kb <= last:
                raise r.fail("map keys not in ascending order")
            last = kb
            out[k] = _get(r, t.value, table)
        return out
    raise TypeError(f"no encoding for type {t}")


def value_size(t: T.Type, v: Value, limit: int | None = None) -> int:
    """An estimate of a value's size in bytes (close to its encoding), for gas and limits. With a
    ``limit``, the count stops soon after passing it and returns a number above it: the work is
    bounded by the limit, however large the value is written out (each element counts >= 1)."""
    if limit is None:
        return _size(v)
    budget = [limit]
    try:
        _bounded(v, budget)
    except ValueTooLarge:
        return limit + 1
    return limit - budget[0]


def _size(v: Value) -> int:
    if isinstance(v, tuple):
        return 1 + sum([_size(x) for x in v])
    if isinstance(v, dict):
        return 1 + sum([_size(k) + _size(x) for k, x in v.items()])
    return _leaf_size(v)


def _leaf_size(v: Value) -> int:
    if isinstance(v, int):  # bool included
        return 1 + v.bit_length() // 7
    if isinstance(v, str):
        return 1 + len(v) if v.isascii() else 1 + len(v.encode("utf-8", "surrogatepass"))
    if isinstance(v, bytes):
        return len(v)
    if isinstance(v, Money):
        return 4 + 1 + v.units.bit_length() // 7
    if isinstance(v, Party):
        return _leaf_size(v.org) + _leaf_size(v.id) + _leaf_size(v.role)
    if v is None:  # `none` of an optional type
        return 1
    return 8


def _bounded(v: Value, budget: list[int]) -> None:
    if isinstance(v, tuple):
        n = 1
        for x in v:
            _bounded(x, budget)
    elif isinstance(v, dict):
        n = 1
        for k, x in v.items():
            _bounded(k, budget)
            _bounded(x, budget)
    else:
        n = _leaf_size(v)
    budget[0] -= n
    if budget[0] < 0:
        raise ValueTooLarge()
