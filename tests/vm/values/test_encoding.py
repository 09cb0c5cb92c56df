"""Canonical state encoding and order-preserving key encoding."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.vm.values.strategies import KEY_TYPES, TABLE, key_types, typed_values, values_of
from vm import types as T
from vm.errors import EncodingError, VMError
from vm.values import (
    INT_LIMIT, Money, Party, compare, decode_key, decode_value, encode_key, encode_value, sorted_keys, value_size,
)


@given(typed_values)
def test_value_round_trip(tv) -> None:
    t, v = tv
    data = encode_value(t, v, TABLE)
    assert decode_value(t, data, TABLE) == v
    assert encode_value(t, decode_value(t, data, TABLE), TABLE) == data
    assert value_size(t, v) >= 1


@given(typed_values, st.binary(max_size=4), st.integers(0, 64))
def test_decoding_junk_raises_only_encoding_errors(tv, junk: bytes, cut: int) -> None:
    t, v = tv
    data = encode_value(t, v, TABLE)
    for candidate in (data + junk if junk else data + b"\x00", data[:cut] if cut < len(data) else junk,
                      bytes(b ^ 0x5A for b in data)):
        try:
            decoded = decode_value(t, candidate, TABLE)
        except EncodingError:
            continue
        # Whatever decodes must be canonical: it re-encodes to the same bytes.
        assert encode_value(t, decoded, TABLE) == candidate


@given(st.binary(max_size=40), st.sampled_from([T.ListType(T.MapType(T.TEXT, T.MONEY)), T.RecordType("Claim"),
                                                T.PARTY, T.MapType(T.INT, T.ListType(T.BOOL))]))
def test_random_bytes_never_escape_as_other_exceptions(data: bytes, t: T.Type) -> None:
    try:
        v = decode_value(t, data, TABLE)
    except VMError:
        return
    assert encode_value(t, v, TABLE) == data


def test_canonical_rejections() -> None:
    with pytest.raises(EncodingError, match="non-minimal"):
        decode_value(T.INT, b"\x80\x00")
    with pytest.raises(EncodingError, match="trailing"):
        decode_value(T.BOOL, b"\x01\x01")
    with pytest.raises(EncodingError, match="Bool"):
        decode_value(T.BOOL, b"\x02")
    with pytest.raises(EncodingError, match="currency"):
        decode_value(T.MONEY, b"\x03XYZ\x00")
    with pytest.raises(EncodingError, match="enum"):
        decode_value(T.EnumType("Status"), b"\x03", TABLE)
    unsorted = b"\x02" + encode_value(T.INT, 2) + b"\x00" + encode_value(T.INT, 1) + b"\x00"
    with pytest.raises(EncodingError, match="ascending"):
        decode_value(T.MapType(T.INT, T.BOOL), unsorted)
    with pytest.raises(EncodingError, match="out of range"):
        decode_value(T.INT, encode_value(T.INT, INT_LIMIT - 1)[:-1] + b"\x1f")
    with pytest.raises(EncodingError):
        encode_value(T.INT, INT_LIMIT)
    with pytest.raises(EncodingError):
        encode_value(T.MONEY, Money("XYZ", 1))
    with pytest.raises(EncodingError, match="count"):
        decode_value(T.ListType(T.INT), b"\xff\xff\x03")
    with pytest.raises(EncodingError, match="optional"):
        decode_value(T.OptionalType(T.INT), b"\x02\x00")
    with pytest.raises(EncodingError, match="trailing"):  # `none` is the tag alone
        decode_value(T.OptionalType(T.INT), b"\x00\x00")


def test_encodings_are_type_directed_and_compact() -> None:
    assert encode_value(T.INT, 0) == b"\x00"
    assert encode_value(T.INT, -1) == b"\x01"
    assert encode_value(T.INT, 1) == b"\x02"
    assert encode_value(T.MONEY, Money("CNY", 5)) == b"\x03CNY\x0a"
    assert encode_value(T.PARTY, Party("o", "i", "r")) == b"\x01o\x01i\x01r"
    assert encode_value(T.OptionalType(T.BOOL), None) == b"\x00"  # none, distinct from false
    assert encode_value(T.OptionalType(T.BOOL), False) == b"\x01\x00"
    # a map's entries are written in key order whatever the dict's order
    assert encode_value(T.MapType(T.TEXT, T.INT), {"b": 1, "a": 2}) == encode_value(
        T.MapType(T.TEXT, T.INT), {"a": 2, "b": 1})


@given(key_types.flatmap(lambda t: st.tuples(st.just(t), values_of(t))))
def test_key_round_trip(tk) -> None:
    t, k = tk
    assert decode_key(t, encode_key(t, k)) == k


def _key_pairs(t: T.Type):
    return st.tuples(st.just(t), values_of(t), values_of(t))


@given(key_types.flatmap(_key_pairs))
def test_encode_key_preserves_order(tab) -> None:
    t, a, b = tab
    ka, kb = encode_key(t, a), encode_key(t, b)
    if t == T.MONEY:
        expected = ((a.currency, a.units) > (b.currency, b.units)) - ((a.currency, a.units) < (b.currency, b.units))
    else:
        expected = compare(t, a, b, TABLE)
    assert ((ka > kb) - (ka < kb)) == expected
    # prefix-free: one key's bytes never start another's
    assert ka == kb or not (ka.startswith(kb) or kb.startswith(ka))


@given(st.lists(st.integers(-(INT_LIMIT - 1), INT_LIMIT - 1), max_size=20))
def test_int_keys_sort_like_ints(xs: list[int]) -> None:
    assert sorted(xs, key=lambda x: encode_key(T.INT, x)) == sorted(xs)


def test_key_edge_cases() -> None:
    assert encode_key(T.INT, 0) == b"\x80"
    assert encode_key(T.INT, -1) < encode_key(T.INT, 0) < encode_key(T.INT, 1)
    assert encode_key(T.INT, -256) < encode_key(T.INT, -255)
    assert encode_key(T.TEXT, "a") < encode_key(T.TEXT, "a\x00") < encode_key(T.TEXT, "a\x01")
    assert encode_key(T.MONEY, Money("CNY", 10**9)) < encode_key(T.MONEY, Money("USD", -5))
    m = {Money("USD", -5): 1, Money("CNY", 3): 2, Money("CNY", -3): 3}
    assert sorted_keys(T.MONEY, m) == sorted(m, key=lambda k: encode_key(T.MONEY, k))
    for t, junk in [(T.INT, b"\x81\x00"), (T.INT, b"\x7e\xff"), (T.INT, b"\x7f"), (T.TEXT, b"a\x00\x02"),
                    (T.TEXT, b"abc"), (T.BOOL, b"\x02"), (T.HASH, b"\x00" * 31), (T.INT, b"\x80\x80"),
                    (T.MONEY, b"XYZ\x00\x01\x80"), (T.DATE, b"\x80")]:
        with pytest.raises(EncodingError):
            decode_key(t, junk)
    with pytest.raises(EncodingError):
        encode_key(T.ListType(T.INT), (1,))


@given(st.sampled_from(KEY_TYPES).flatmap(lambda t: st.tuples(st.just(t), st.binary(max_size=12))))
def test_decode_key_of_junk(tb) -> None:
    t, data = tb
    try:
        k = decode_key(t, data)
    except EncodingError:
        return
    assert encode_key(t, k) == data
