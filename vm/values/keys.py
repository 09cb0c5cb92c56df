"""Order-preserving key encoding: the bytes a Map key is stored under.

For two keys ``a`` and ``b`` of one type, ``encode_key(a) < encode_key(b)`` bytewise exactly when
``a`` orders before ``b`` in Bao, so a prefix scan of state visits a map's entries in the order
`for k, v in map` does. Encodings are also prefix-free (no key's bytes start another key's), so
composite keys concatenate safely.

- Int, Decimal, Percent, Duration, Timestamp, Date, enum: one head byte then the magnitude,
  big-endian, in the fewest bytes. Head 0x80 + n for a value >= 0 of n magnitude bytes
  (0 is just 0x80); head 0x7F - n for a negative value, whose bytes are the n-byte
  complement of its magnitude (so a bigger magnitude sorts lower).
- Bool: 0x00 / 0x01.  Hash: its 32 bytes.
- Text: UTF-8 (whose byte order is code point order) with 0x00 written 0x00 0xFF, ended by
  0x00 0x01.
- Money: the currency code as Text, then the units: keys order by currency, then amount.
- Party: org, id, role as Text (Bao's Party order).
- A record or a tuple (a composite key, `vm.types.is_key_type`): its fields' (parts')
  encodings in order. Each part is prefix-free, so the concatenation is too, it decodes unambiguously, and
  two keys compare bytewise as their first differing field does: field by field, each by its
  own type's order (lexicographic, like the tuple of the fields). One encoding per key: every
  part's is canonical (minimal numbers, the one text escape).
"""

from __future__ import annotations

from vm import types as T
from vm.types import Value
from vm.values.calendar import MAX_DATE, MIN_DATE
from vm.values.currencies import CURRENCY_DIGITS
from vm.values.decimals import INT_LIMIT
from vm.errors import EncodingError
from vm.values.money import Money
from vm.values.party import Party

_TEXT_END = b"\x00\x01"


def _int_key(x: int) -> bytes:
    if x >= 0:
        n = (x.bit_length() + 7) // 8
        return bytes((0x80 + n,)) + x.to_bytes(n, "big")
    m = -x
    n = (m.bit_length() + 7) // 8
    return bytes((0x7F - n,)) + ((1 << (8 * n)) - 1 - m).to_bytes(n, "big")


def _text_key(s: str) -> bytes:
    return s.encode("utf-8").replace(b"\x00", b"\x00\xff") + _TEXT_END


def encode_key(t: T.Type, v: Value, table: T.TypeTable | None = None) -> bytes:
    """The order-preserving, prefix-free bytes of a Map key of type ``t`` (a record key needs
    the module's ``table``)."""
    if type(t) is T.RecordType or type(t) is T.TupleType:
        fields = _fields(t, table)
        if len(v) != len(fields):
            raise EncodingError(f"a {t} key has {len(fields)} parts")
        return b"".join([encode_key(ft, x, table) for ft, x in zip(fields, v)])
    if t == T.TEXT:
        return _text_key(v)
    if t in T.INT_HELD or isinstance(t, T.EnumType):
        if isinstance(v, bool) or not -INT_LIMIT < v < INT_LIMIT:
            raise EncodingError(f"key {v!r} out of range for {t}")
        return _int_key(v)
    if t == T.MONEY:
        return _text_key(v.currency) + _int_key(v.units)
    if t == T.PARTY:
        return _text_key(v.org) + _text_key(v.id) + _text_key(v.role)
    if t == T.BOOL:
        return b"\x01" if v else b"\x00"
    if t == T.HASH:
        if len(v) != 32:
            raise EncodingError("a Hash key has 32 bytes")
        return bytes(v)
    raise EncodingError(f"{t} cannot be a Map key")


def _fields(t: T.RecordType | T.TupleType, table: T.TypeTable | None) -> tuple[T.Type, ...]:
    try:
        return T.components(t, table)
    except TypeError:
        raise EncodingError(f"a {t} key needs the module's type table") from None


class _KeyReader:
    __slots__ = ("data", "pos")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def fail(self, why: str) -> EncodingError:
        return EncodingError(f"malformed key at byte {self.pos}: {why}")

    def integer(self) -> int:
        data, pos = self.data, self.pos
        if pos >= len(data):
            raise self.fail("truncated")
        head = data[pos]
        if head >= 0x80:
            n, negative = head - 0x80, False
        else:
            n, negative = 0x7F - head, True
            if n == 0:
                raise self.fail("bad number head")
        if n > 32 or pos + 1 + n > len(data):
            raise self.fail("bad number length")
        body = data[pos + 1:pos + 1 + n]
        self.pos = pos + 1 + n
        if negative:
            if body[0] == 0xFF:
                raise self.fail("non-minimal number")
            x = -((1 << (8 * n)) - 1 - int.from_bytes(body, "big"))
        else:
            if n and body[0] == 0:
                raise self.fail("non-minimal number")
            x = int.from_bytes(body, "big")
        if not -INT_LIMIT < x < INT_LIMIT:
            raise self.fail("number out of range")
        return x

    def text(self) -> str:
        data, pos = self.data, self.pos
        out = bytearray()
        while True:
            z = data.find(b"\x00", pos)
            if z < 0 or z + 1 >= len(data):
                raise self.fail("unterminated text")
            out += data[pos:z]
            mark = data[z + 1]
            pos = z + 2
            if mark == 0x01:
                break
            if mark != 0xFF:
                raise self.fail("bad text escape")
            out.append(0)
        self.pos = pos
        try:
            return out.decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("invalid UTF-8") from None


def decode_key(t: T.Type, data: bytes, table: T.TypeTable | None = None) -> Value:
    """The key whose `encode_key` bytes are ``data``; EncodingError for anything else.
    (Enum indexes are not checked against the enum here: keys carry no type table.)"""
    r = _KeyReader(bytes(data))
    v = _read_key(r, t, table)
    if r.pos != len(r.data):
        raise r.fail("trailing bytes")
    return v


def _read_key(r: _KeyReader, t: T.Type, table: T.TypeTable | None) -> Value:
    if type(t) is T.RecordType or type(t) is T.TupleType:
        return tuple([_read_key(r, ft, table) for ft in _fields(t, table)])
    if t in T.INT_HELD or isinstance(t, T.EnumType):
        v: Value = r.integer()
        if t == T.DATE and not MIN_DATE <= v <= MAX_DATE:
            raise r.fail("date out of range")
        if isinstance(t, T.EnumType) and v < 0:
            raise r.fail("negative enum index")
        return v
    if t == T.TEXT:
        return r.text()
    if t == T.MONEY:
        cur = r.text()
        if cur not in CURRENCY_DIGITS:
            raise r.fail(f"unknown currency {cur!r}")
        return Money(cur, r.integer())
    if t == T.PARTY:
        return Party(r.text(), r.text(), r.text())
    if t == T.BOOL:
        if r.pos >= len(r.data) or r.data[r.pos] > 1:
            raise r.fail("a Bool key is 0x00 or 0x01")
        r.pos += 1
        return r.data[r.pos - 1] == 1
    if t == T.HASH:
        if r.pos + 32 > len(r.data):
            raise r.fail("a Hash key has 32 bytes")
        r.pos += 32
        return r.data[r.pos - 32:r.pos]
    raise EncodingError(f"{t} cannot be a Map key")
