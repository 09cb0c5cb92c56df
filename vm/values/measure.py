"""How big and how deep a value is, whatever parts it shares.

Values are immutable, so a program may put one value in many places: fifteen steps of
``n = Node(kids: [n, n, n, n, n, n, n, n])`` cost a few hundred gas and describe 8**15 leaves. Bao means
the value written out (``==``, ``text``, hashing and state all see every leaf), so every price
and limit that depends on a value's size uses its written-out size, never how Python happens to
store it; otherwise the translator and the reference interpreter, which share differently, would
charge differently.

Two measures, both functions of the value alone:

- **units**: one per List, Map or record, one per element or field in it (recursively), and one
  more per `TEXT_CHARS_PER_UNIT` characters of each Text (`vm.gas`). It prices walks (`==`, `in`).
- **depth**: 0 for a primitive, 1 + the deepest element for a List, Map or record. It is held to
  `Limits.nesting` wherever a value is made (see below), so every walk of a value recurses at most
  that deep on the Python stack, far below any host's recursion limit.

`Meter` computes both over the value *as stored*: each distinct List, Map or record is visited once
per call and remembered by identity (the memo holds the object, so its identity stays unique
for the call). The cost of measuring is therefore bounded by what the call built or read, which
gas already paid for; the number it returns may be astronomically larger, and is then charged.

Where depth is checked: a type whose values cannot nest deeper than the limit (most types: any
type that does not contain itself and is written fewer than `nesting` levels deep) needs no check
at run time. For the others (`types_needing_check`), every opcode that builds one (record, list,
map, field update, append, map update) calls `Meter.nest` on the result; arguments and decoded
state are checked as they are read (`vm.values.jsonform`, `vm.values.encoding`).
"""

from __future__ import annotations

from vm import types as T
from vm.types import Value
from vm.gas import TEXT_CHARS_PER_UNIT
from vm.errors import nested_too_deep
from vm.values.party import Party

UNBOUNDED = 1 << 30  # the static depth of a type that contains itself


def nesting_bound(t: T.Type, table: T.TypeTable, _seen: frozenset[str] = frozenset()) -> int:
    """The deepest a value of type ``t`` can nest, or `UNBOUNDED` for a type that contains itself."""
    if isinstance(t, T.OptionalType):  # `none` or T's value: no level of its own
        return nesting_bound(t.inner, table, _seen)
    if isinstance(t, T.ListType):
        return 1 + nesting_bound(t.elem, table, _seen)
    if isinstance(t, T.MapType):
        return 1 + max(nesting_bound(t.key, table, _seen), nesting_bound(t.value, table, _seen))
    if isinstance(t, T.TupleType):
        return 1 + max(nesting_bound(p, table, _seen) for p in t.parts)
    if isinstance(t, T.RecordType):
        if t.name in _seen:
            return UNBOUNDED
        inner = _seen | {t.name}
        fields = table.records.get(t.name, ())
        return 1 + max((nesting_bound(ft, table, inner) for _, ft in fields), default=0)
    return 0


# Element types for which `x in xs` is a flat scan in C at `NATIVE_SCAN_PER_GAS` elements a gas:
# values of bounded size (a Text or a Party may be long, so theirs is a walk priced by units).
_NATIVE_SCAN = T.INT_HELD | {T.BOOL, T.HASH}


def scans_natively(elem: T.Type) -> bool:
    """Whether `x in xs` over elements of type ``elem`` is priced per element, not by units."""
    return elem in _NATIVE_SCAN or isinstance(elem, T.EnumType)


def walks_to_compare(t: T.Type) -> bool:
    """Whether `==` on type ``t`` walks the values (Lists, Maps, records), priced by units."""
    if isinstance(t, T.OptionalType):
        return walks_to_compare(t.inner)
    return isinstance(t, (T.ListType, T.MapType, T.RecordType, T.TupleType))


def needs_nesting_check(t: T.Type, table: T.TypeTable, nesting: int) -> bool:
    """Whether building a value of type ``t`` must check its depth at run time."""
    return nesting_bound(t, table) > nesting


class Meter:
    """One call's measures of the values it touches (see the module docstring)."""

    __slots__ = ("_memo", "nesting")

    def __init__(self, nesting: int) -> None:
        self._memo: dict[int, tuple[object, int, int]] = {}
        self.nesting = nesting

    def units(self, v: Value) -> int:
        return self._measure(v)[0]

    def nest(self, v: Value) -> Value:
        """``v``, after checking that it nests at most `nesting` deep (abort "limit" if not)."""
        depth = self._measure(v)[1]
        if depth > self.nesting:
            raise nested_too_deep(self.nesting)
        return v

    def _measure(self, v: Value) -> tuple[int, int]:
        kind = type(v)
        if kind is tuple or kind is dict:
            hit = self._memo.get(id(v))
            if hit is not None:
                return hit[1], hit[2]
            units, depth = 1, 0
            measure = self._measure
            for x in (v if kind is tuple else _pairs(v)):
                u, d = measure(x)
                units += u
                if d > depth:
                    depth = d
            depth += 1
            self._memo[id(v)] = (v, units, depth)
            return units, depth
        if kind is str:
            return 1 + len(v) // TEXT_CHARS_PER_UNIT, 0
        if kind is Party:
            return 1 + (len(v.org) + len(v.id) + len(v.role)) // TEXT_CHARS_PER_UNIT, 0
        return 1, 0


def _pairs(m: dict) -> list:
    out: list = []
    for k, x in m.items():
        out.append(k)
        out.append(x)
    return out
