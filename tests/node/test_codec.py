"""The canonical codec: round trips, one encoding per value, and refusal of anything else."""

from __future__ import annotations

import msgpack
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from node.codec import CodecError, decode, encode

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**255), max_value=2**255)
    | st.text(max_size=40)
    | st.binary(max_size=40)
)
keys = st.text(max_size=12) | st.binary(max_size=8) | st.integers(min_value=-(2**70), max_value=2**70)
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=25,
)


def _normal(value):
    if isinstance(value, (list, tuple)):
        return [_normal(v) for v in value]
    if isinstance(value, dict):
        return {k: _normal(v) for k, v in value.items()}
    return value


@given(values)
def test_round_trip_and_fixed_point(value) -> None:
    data = encode(value)
    assert decode(data) == _normal(value)
    assert encode(decode(data)) == data


@given(st.dictionaries(keys, st.integers(), max_size=8), st.randoms(use_true_random=False))
def test_map_order_does_not_change_the_encoding(mapping, rng) -> None:
    items = list(mapping.items())
    rng.shuffle(items)
    assert encode(dict(items)) == encode(mapping)


@given(st.dictionaries(st.text(max_size=40), st.integers(), min_size=2, max_size=8))
def test_str_keys_sort_as_their_encodings(mapping) -> None:
    # The fast path for str keys must order exactly as the general rule: by encoded key bytes.
    ordered = sorted(mapping, key=lambda k: msgpack.packb(k))
    assert list(decode(encode(mapping))) == ordered


@given(values)
def test_non_canonical_forms_are_refused(value) -> None:
    loose = msgpack.packb(value, use_bin_type=True) if not _has_big_int(value) else None
    if loose is not None and loose != encode(value):
        with pytest.raises(CodecError):
            decode(loose)


def _has_big_int(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return not -(2**63) <= value < 2**64
    if isinstance(value, (list, tuple)):
        return any(_has_big_int(v) for v in value)
    if isinstance(value, dict):
        return any(_has_big_int(k) or _has_big_int(v) for k, v in value.items())
    return False


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"\xcd\x00\x01", "uint16 for a fixint"),
        (b"\xd0\x05", "int8 for a positive fixint"),
        (b"\xd9\x01a", "str8 for a fixstr"),
        (b"\xc5\x00\x01a", "bin16 for a bin8"),
        (b"\xdc\x00\x01\x01", "array16 for a fixarray"),
        (b"\x82\xa1b\x01\xa1a\x02", "keys out of order"),
        (b"\x82\xa1a\x01\xa1a\x02", "duplicate keys"),
        (b"\xcb" + bytes(8), "a float"),
        (b"\xca" + bytes(4), "a float32"),
        (b"\xd4\x05\x00", "an unknown extension"),
        (b"\xc7\x01\x01\x01", "a big-int extension for a small int"),
        (b"\xc7\x00\x01", "an empty big-int extension"),
        (b"\x01\x02", "trailing bytes"),
        (b"\xa2\xff\xfe", "invalid UTF-8"),
        (b"\x81\x80\x01", "a map as a map key"),
        (b"\x81\xc3\x01", "a bool map key"),
        (b"\xc1", "the never-used byte"),
        (b"\x92\x01", "a truncated array"),
        (b"", "nothing"),
    ],
)
def test_refused_inputs(data: bytes, why: str) -> None:
    with pytest.raises(CodecError):
        decode(data)


@pytest.mark.parametrize("value", [1.5, {True: 1}, {(1, 2): 3}, {None: 1}, object(), msgpack.ExtType(1, b"\x01"), "\ud800"])
def test_values_outside_the_subset_are_refused(value) -> None:
    with pytest.raises(CodecError):
        encode(value)


def test_big_ints_use_the_shortest_extension() -> None:
    assert encode(2**64 - 1) == b"\xcf" + b"\xff" * 8
    assert encode(2**64) == b"\xc7\x09\x01\x01" + bytes(8)
    assert encode(-(2**63) - 1) == b"\xc7\x09\x01\xff\x7f" + b"\xff" * 7
    assert encode(-(2**71)) == b"\xc7\x09\x01\x80" + bytes(8)
    assert encode(2**71) == b"\xc7\x0a\x01\x00\x80" + bytes(8)
    assert decode(encode(-(2**255) + 1)) == -(2**255) + 1
    with pytest.raises(CodecError):
        decode(b"\xc7\x0a\x01\xff\x80" + bytes(8))  # -2**71 with a redundant sign byte


def test_bytes_and_text_stay_distinct() -> None:
    assert decode(encode(b"a")) == b"a" and decode(encode("a")) == "a"
    assert encode(b"a") != encode("a")
    assert decode(encode(bytearray(b"x"))) == b"x"


loose_values = st.recursive(
    scalars | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3) | st.integers(-3, 3), inner, max_size=4),
    max_leaves=12,
)


@given(loose_values, st.booleans())
def test_decode_accepts_exactly_the_canonical_encodings(value, single_float) -> None:
    try:
        data = msgpack.packb(value, use_bin_type=True, use_single_float=single_float)
    except OverflowError:  # big ints and huge floats have no plain msgpack form
        assume(False)
    try:
        canonical = encode(msgpack.unpackb(data, raw=False, strict_map_key=False))
    except CodecError:
        canonical = None
    if canonical == data:
        assert encode(decode(data)) == data
    else:
        with pytest.raises(CodecError):
            decode(data)


@pytest.mark.parametrize(
    "data",
    [b"\xd6\xff\x00\x00\x00\x00", b"\xd7\xff" + bytes(8), b"\xc7\x0c\xff" + bytes(12)],
    ids=["timestamp32", "timestamp64", "timestamp96"],
)
def test_msgpack_timestamps_are_refused(data: bytes) -> None:
    # msgpack decodes its timestamp extension without consulting ext_hook; it is not in the subset.
    with pytest.raises(CodecError):
        decode(data)


def _nested(depth: int, leaf=None):
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("depth", [600, 1021])  # plus the three containers of the leaf: 1024
def test_deep_nesting_round_trips_up_to_the_decoders_limit(depth: int) -> None:
    value = _nested(depth, {"k": [2**70, {b"b": 1, 3: None}]})
    data = encode(value)
    assert data.startswith(b"\x91" * depth + b"\x81")
    assert encode(decode(data)) == data  # (== on the values themselves would recurse too deep)


@pytest.mark.parametrize("depth", [1025, 100_000])
def test_nesting_beyond_the_limit_is_refused_both_ways(depth: int) -> None:
    with pytest.raises(CodecError):
        encode(_nested(depth))
    with pytest.raises(CodecError):
        decode(b"\x91" * depth + b"\xc0")


@pytest.mark.parametrize("depth", [600, 1000])
def test_deep_non_canonical_input_is_refused_without_crashing(depth: int) -> None:
    # A non-shortest int deep inside sends decode down its general path (a full re-encoding).
    with pytest.raises(CodecError):
        decode(b"\x91" * depth + b"\xcc\x01")


def test_malformed_input_says_what_is_wrong() -> None:
    with pytest.raises(CodecError, match=r"malformed encoding: \S"):
        decode(b"\x91" * 2000 + b"\xc0")
