"""Composite map keys (a record of key-able fields, a tuple of key-able parts): their state
encoding sorts as the tuple of their parts does, each part by its own type's order, round-trips,
is canonical, and crosses JSON as an object (a record) or an array (a tuple); a Map keyed by them
as an array of [key, value] pairs."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from vm import types as T
from vm.errors import EncodingError, ValueFormError
from vm.values import decode_key, decode_value, encode_key, encode_value, from_json, sorted_keys, to_json
from tests.vm.values.strategies import PRIM_VALUES

ALL = T.RecordType("All")
PAIR = T.RecordType("Pair")
TUPLE = T.TupleType((T.TEXT, T.INT))
NESTED = T.TupleType((PAIR, T.MONEY, T.TupleType((T.BOOL, T.HASH))))
TABLE = T.TypeTable(
    records={
        # every key-able primitive, an enum and a nested record: the parts of a composite key
        "All": (*((p.name.lower(), p) for p in PRIM_VALUES), ("status", T.EnumType("Status")),
                ("inner", PAIR)),
        "Pair": (("policy_id", T.TEXT), ("year", T.INT)),
        "Holder": (("tags", T.ListType(T.TEXT)),),
    },
    enums={"Status": ("Open", "Paid")},
)


def values_of(t: T.Type) -> st.SearchStrategy:
    if t in PRIM_VALUES:
        return PRIM_VALUES[t]
    if isinstance(t, T.EnumType):
        return st.integers(0, 1)
    assert isinstance(t, (T.RecordType, T.TupleType))
    return st.tuples(*[values_of(ft) for ft in T.components(t, TABLE)])


def part_order(t: T.Type, a: object, b: object) -> int:
    """How two parts order in Bao (Money keys: by currency, then amount; Bool: false first)."""
    if isinstance(t, (T.RecordType, T.TupleType)):
        return next((c for ft, x, y in zip(T.components(t, TABLE), a, b) if (c := part_order(ft, x, y))), 0)
    if t == T.MONEY:
        a, b = (a.currency, a.units), (b.currency, b.units)  # type: ignore[attr-defined]
    return (a > b) - (a < b)  # type: ignore[operator]


keys = st.sampled_from([ALL, PAIR, TUPLE, NESTED]).flatmap(lambda t: st.tuples(st.just(t), values_of(t), values_of(t)))


@given(keys)
def test_composite_keys_sort_field_by_field(tab) -> None:
    t, a, b = tab
    ka, kb = encode_key(t, a, TABLE), encode_key(t, b, TABLE)
    assert ((ka > kb) - (ka < kb)) == part_order(t, a, b)
    assert (ka == kb) == (a == b)  # canonical: one encoding per key
    assert ka == kb or not (ka.startswith(kb) or kb.startswith(ka))  # prefix-free: they nest


@given(keys)
def test_composite_keys_round_trip_through_state_and_json(tab) -> None:
    t, a, b = tab
    assert decode_key(t, encode_key(t, a, TABLE), TABLE) == a
    j = to_json(t, a, TABLE)
    if isinstance(t, T.RecordType):
        assert isinstance(j, dict) and list(j) == [n for n, _ in TABLE.record_fields(t.name)]
    else:
        assert isinstance(j, list) and len(j) == len(t.parts)
    assert from_json(t, j, TABLE, "key") == a
    m = T.MapType(t, T.INT)
    entries = {a: 1, b: 2} if a != b else {a: 1}
    assert decode_value(m, encode_value(m, entries, TABLE), TABLE) == entries
    shown = to_json(m, entries, TABLE)
    assert isinstance(shown, list)
    assert [k for k, _ in shown] == [to_json(t, k, TABLE) for k in sorted_keys(t, entries, TABLE)]
    assert from_json(m, shown, TABLE, "claims") == entries


@given(st.binary(max_size=40))
def test_decoding_junk_raises_only_encoding_errors_and_accepts_only_canonical_keys(data: bytes) -> None:
    try:
        k = decode_key(PAIR, data, TABLE)
    except EncodingError:
        return
    assert encode_key(PAIR, k, TABLE) == data


@pytest.mark.parametrize("t", [PAIR, TUPLE])
def test_pairs_order_as_an_analyst_expects(t: T.Type) -> None:
    ks = [("P2", 2024), ("P10", 2025), ("P10", 2024), ("P2", -1), ("", 7)]
    assert sorted(ks, key=lambda k: encode_key(t, k, TABLE)) == sorted(ks)
    assert sorted_keys(t, dict.fromkeys(ks), TABLE) == sorted(ks)


def test_what_is_and_is_not_a_composite_key() -> None:
    assert T.is_key_type(PAIR, TABLE.field_types) and T.is_key_type(ALL, TABLE.field_types)
    assert not T.is_key_type(PAIR)  # without the record's fields no record is a key
    assert not T.is_key_type(T.RecordType("Holder"), TABLE.field_types)  # a List field
    with pytest.raises(EncodingError, match="type table"):
        encode_key(PAIR, ("P1", 1))
    assert T.is_key_type(TUPLE) and T.is_key_type(NESTED, TABLE.field_types)
    assert not T.is_key_type(T.TupleType((T.TEXT, T.ListType(T.INT))))
    assert str(NESTED) == "(Pair, Money, (Bool, Hash))"
    with pytest.raises(EncodingError, match="2 parts"):
        encode_key(PAIR, ("P1",), TABLE)


def test_json_of_a_composite_keyed_map_is_checked() -> None:
    m = T.MapType(PAIR, T.INT)
    assert from_json(m, [[{"policy_id": "P1", "year": 2024}, 3]], TABLE, "claims") == {("P1", 2024): 3}
    for bad, why in [({"P1": 3}, "array of \\[key, value\\] pairs"),
                     ([[{"policy_id": "P1", "year": 2024}]], "pair"),
                     ([[{"policy_id": "P1", "year": 1}, 3], [{"policy_id": "P1", "year": 1}, 4]], "twice"),
                     ([[{"policy_id": "P1"}, 3]], r"claims\[0\]\[0\].*year is missing")]:
        with pytest.raises(ValueFormError, match=why):
            from_json(m, bad, TABLE, "claims")


def test_json_of_a_tuple_keyed_map_and_of_a_tuple() -> None:
    m = T.MapType(TUPLE, T.INT)
    assert to_json(m, {("P1", 2024): 3, ("P1", 2023): 1}, TABLE) == [[["P1", 2023], 1], [["P1", 2024], 3]]
    assert from_json(m, [[["P1", 2024], 3]], TABLE, "claims") == {("P1", 2024): 3}
    for bad in [["P1"], ["P1", 2024, 1], {"0": "P1", "1": 2024}, ["P1", "x"]]:
        with pytest.raises(ValueFormError, match="claims\\[0\\]\\[0\\]"):
            from_json(m, [[bad, 3]], TABLE, "claims")
    with pytest.raises(ValueFormError, match="a JSON array of its 2 parts"):
        from_json(TUPLE, {"policy_id": "P1"}, TABLE, "key")
