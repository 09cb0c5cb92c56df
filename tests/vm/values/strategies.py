"""Hypothesis strategies for Bao types and values of them, shared by the encoding and JSON tests
(no tests of its own; named test_* to sit among the value tests)."""

from __future__ import annotations

from hypothesis import strategies as st

from vm import types as T
from vm.values import CURRENCY_DIGITS, INT_LIMIT, MAX_DATE, Money, Party

TABLE = T.TypeTable(
    records={"Claim": (("id", T.TEXT), ("amount", T.MONEY), ("status", T.EnumType("Status"))),
             "Empty": (), "Note": (("text", T.TEXT), ("due", T.OptionalType(T.DATE)))},
    enums={"Status": ("Open", "Paid", "Denied")},
)

_CUR = sorted(CURRENCY_DIGITS)
big = st.integers(-(INT_LIMIT - 1), INT_LIMIT - 1)
ints = st.one_of(st.integers(-1000, 1000), st.integers(-2**64, 2**64), big,
                 st.sampled_from([INT_LIMIT - 1, -(INT_LIMIT - 1), 2**53, -2**53, 0]))
texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=8)
dates = st.integers(1, MAX_DATE)
money = st.builds(Money, st.sampled_from(_CUR), ints)
# org and role are names: without ":" and "/" the Party text form "role:org/id" reads back
_names = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters=":/"), max_size=8)
parties = st.builds(Party, _names, texts, _names)
hashes = st.binary(min_size=32, max_size=32)
# Timestamps whose text form stays inside years 0001..9999 (in UTC+08:00)
timestamps = st.integers(-62135596800000 + 8 * 3600_000, 253402300799999 - 8 * 3600_000)

PRIM_VALUES = {
    T.INT: ints, T.DECIMAL: ints, T.PERCENT: ints, T.DURATION: ints, T.TIMESTAMP: timestamps,
    T.DATE: dates, T.TEXT: texts, T.BOOL: st.booleans(), T.HASH: hashes, T.MONEY: money,
    T.PARTY: parties,
}
KEY_TYPES = [*PRIM_VALUES, T.EnumType("Status")]

key_types = st.sampled_from(KEY_TYPES)
types = st.recursive(
    st.sampled_from([*PRIM_VALUES, T.EnumType("Status"), T.RecordType("Claim"), T.RecordType("Empty"),
                     T.RecordType("Note")]),
    lambda inner: st.one_of(st.builds(T.ListType, inner), st.builds(T.MapType, key_types, inner),
                            inner.map(lambda t: t if isinstance(t, T.OptionalType) else T.OptionalType(t))),
    max_leaves=4,
)


def values_of(t: T.Type) -> st.SearchStrategy:
    if t in PRIM_VALUES:
        return PRIM_VALUES[t]
    if isinstance(t, T.EnumType):
        return st.integers(0, len(TABLE.enum_values(t.name)) - 1)
    if isinstance(t, T.RecordType):
        return st.tuples(*[values_of(ft) for _, ft in TABLE.record_fields(t.name)])
    if isinstance(t, T.ListType):
        return st.lists(values_of(t.elem), max_size=4).map(tuple)
    if isinstance(t, T.MapType):
        return st.dictionaries(values_of(t.key), values_of(t.value), max_size=4)
    if isinstance(t, T.OptionalType):  # `none` (None) or a value of T
        return st.none() | values_of(t.inner)
    raise AssertionError(t)


typed_values = types.flatmap(lambda t: st.tuples(st.just(t), values_of(t)))
