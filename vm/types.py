"""Bao's value types as data, shared by the checker, the compiler, the module ABI and the VM.

A type is a frozen, hashable value. Records and enums are named; their definitions (fields,
values) live in the module (``vm.module``) and in the checker's symbol tables.

Runtime representation of each type inside the VM (untagged: the compiler knows every type):

| type      | Python value                                                                   |
|-----------|--------------------------------------------------------------------------------|
| Int       | ``int`` (magnitude below 2**255)                                               |
| Decimal   | ``int`` scaled by 10**18 (``0.05`` is ``5 * 10**16``)                          |
| Percent   | ``int`` scaled by 10**18 as a fraction (``80%`` is ``8 * 10**17``)             |
| Money     | ``vm.values.Money(currency, units)``: units are the currency's minor units      |
| Date      | ``int``: the proleptic Gregorian ordinal (``datetime.date.toordinal()``)        |
| Duration  | ``int``: whole days                                                             |
| Timestamp | ``int``: milliseconds since 1970-01-01T00:00Z                                   |
| Text      | ``str``                                                                        |
| Bool      | ``bool``                                                                       |
| Hash      | ``bytes`` of length 32                                                         |
| Party     | ``vm.values.Party(org, id, role)`` (orders as the tuple)                       |
| List[T]   | ``tuple`` (immutable: value semantics come free)                               |
| Map[K, V] | ``dict`` never mutated in place (updates build a new dict)                     |
| record    | ``tuple`` of field values in declaration order                                 |
| enum      | ``int``: the value's index in declaration order                                |
| T?        | ``None`` for `none`, else T's value (T itself is never optional: no ``T??``)    |
"""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Callable, Iterable
from typing import Any, Union


@dataclass(frozen=True, slots=True)
class Prim:
    name: str

    def __str__(self) -> str:
        return self.name


INT = Prim("Int")
DECIMAL = Prim("Decimal")
MONEY = Prim("Money")
PERCENT = Prim("Percent")
DATE = Prim("Date")
DURATION = Prim("Duration")
TIMESTAMP = Prim("Timestamp")
TEXT = Prim("Text")
BOOL = Prim("Bool")
HASH = Prim("Hash")
PARTY = Prim("Party")

PRIMITIVES: dict[str, Prim] = {
    p.name: p
    for p in (INT, DECIMAL, MONEY, PERCENT, DATE, DURATION, TIMESTAMP, TEXT, BOOL, HASH, PARTY)
}


@dataclass(frozen=True, slots=True)
class ListType:
    elem: "Type"

    def __str__(self) -> str:
        return f"List[{self.elem}]"


@dataclass(frozen=True, slots=True)
class MapType:
    key: "Type"
    value: "Type"

    def __str__(self) -> str:
        return f"Map[{self.key}, {self.value}]"


@dataclass(frozen=True, slots=True)
class RecordType:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class EnumType:
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class TupleType:
    """``(Text, Int)``: two or more parts in order, an anonymous record: held, compared, ordered
    (part by part), encoded and measured as a record whose fields have the parts' types
    (`components`), and built and read by the record opcodes."""

    parts: tuple["Type", ...]

    def __str__(self) -> str:
        return "(" + ", ".join(str(p) for p in self.parts) + ")"


@dataclass(frozen=True, slots=True)
class OptionalType:
    """``T?``: a value of T, or `none`. ``inner`` is never itself optional."""

    inner: "Type"

    def __str__(self) -> str:
        return f"{self.inner}?"


Type = Union[Prim, ListType, MapType, RecordType, EnumType, OptionalType, TupleType]

# A runtime value, in the representation of the table above. Its Python type follows the Bao type
# that always travels beside it (``f(t, v)``), a relation mypy cannot express; code that works on
# values relies on the verifier (and the readers of JSON, text and state) having made them agree.
Value = Any

# Type groups of LANGUAGE.md section 5, defined once for the checker, the verifier and the VM.
# Primitive types with an order (`< <= > >=`, min, max): numbers and Money by value, Dates and
# Timestamps by time, Text by code point, Hash bytewise, Party by (org, id, role). Enums order by
# declaration too (`is_ordered`). Bool has no order in the language: `true < false` is an error.
ORDERED = frozenset({INT, DECIMAL, MONEY, PERCENT, DATE, DURATION, TIMESTAMP, TEXT, HASH, PARTY})
# Primitive types a Map key may have (any enum may be a key too): the ordered ones and Bool, which
# maps store and iterate false before true (`vm.values.keys`) though Bao cannot compare them.
# A record whose fields all have key types is a key too (a composite key, `is_key_type`).
KEY_TYPES = ORDERED | {BOOL}
# Types with a zero, a sum and a negation: `-x`, abs, sum, `+=` and `-=` (commutative updates).
ADDITIVE = frozenset({INT, DECIMAL, PERCENT, MONEY, DURATION})
# Types `round(x, places)` and `round_even` take.
ROUNDABLE = frozenset({DECIMAL, PERCENT, MONEY})
# Runtime representation (the table above), for the VM's fast paths: the additive types that are
# plain ints, and the primitive types whose Python values compare exactly as Bao orders them.
INT_HELD = frozenset({INT, DECIMAL, PERCENT, DATE, DURATION, TIMESTAMP})  # a Python int (enums too)
PLAIN_INTS = ADDITIVE - {MONEY}  # the additive ones among them
NATIVELY_ORDERED = KEY_TYPES - {MONEY}


def is_ordered(t: Type) -> bool:
    """Whether `<`, min and max apply to values of ``t``."""
    return t in ORDERED or isinstance(t, EnumType)


def is_key_type(t: Type, fields: Callable[[str], Iterable[Type]] | None = None) -> bool:
    """Whether ``t`` may be the key type of a Map: a primitive of KEY_TYPES, an enum, a tuple of
    key types, or a record whose fields' types, as ``fields(name)`` lists them, are key types
    (those two are the composite keys).
    Without ``fields`` no record is a key. Keys order, scan and encode field by field
    (`vm.values.keys`)."""
    return _is_key(t, fields, frozenset())


def _is_key(t: Type, fields: Callable[[str], Iterable[Type]] | None, open_records: frozenset[str]) -> bool:
    if t in KEY_TYPES or isinstance(t, EnumType):
        return True
    if isinstance(t, TupleType):
        return all(_is_key(p, fields, open_records) for p in t.parts)
    if isinstance(t, RecordType) and fields is not None and t.name not in open_records:
        inner = open_records | {t.name}  # a record that holds itself has no finite value: no key
        return all(_is_key(ft, fields, inner) for ft in fields(t.name))
    return False


def components(t: "RecordType | TupleType", table: "TypeTable | None") -> tuple[Type, ...]:
    """The types of a record's fields or a tuple's parts, in order (a record needs ``table``)."""
    if isinstance(t, TupleType):
        return t.parts
    if table is None:
        raise TypeError(f"record {t.name} needs the module's type table")
    return table.field_types(t.name)


def is_numeric(t: Type) -> bool:
    return t in (INT, DECIMAL)


@dataclass(frozen=True, slots=True)
class TypeTable:
    """The named types a module declares (its own and those of the modules it uses):
    what text forms, JSON conversion, state encoding and lifecycle checks need to know."""

    records: dict[str, tuple[tuple[str, "Type"], ...]]  # record name -> (field, type) in order
    enums: dict[str, tuple[str, ...]]  # enum name -> value names in declaration order

    def record_fields(self, name: str) -> tuple[tuple[str, "Type"], ...]:
        return self.records[name]

    def enum_values(self, name: str) -> tuple[str, ...]:
        return self.enums[name]

    def field_types(self, name: str) -> tuple["Type", ...]:
        """The types of record ``name``'s fields in order (`is_key_type`'s ``fields``)."""
        return tuple(ft for _, ft in self.records[name])
