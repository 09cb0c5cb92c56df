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
        (b"\x82\xc4\x01a\x01\xc3\x01", "a bool map key after a bytes key"),
        (b"\x82\xa1a\x01\xc0\x01", "a nil map key after a str key"),
        (b"\x81\x91\x01\x01", "an array as a map key"),
        (b"\xc1", "the never-used byte"),
        (b"\x92\x01", "a truncated array"),
        (b"", "nothing"),
    ],
)
def test_refused_inputs(data: bytes, why: str) -> None:
    with pytest.raises(CodecError):
        decode(data)


@pytest.mark.parametrize("value", [1.5, {True: 1}, {(1, 2): 3}, {None: 1}, object(), msgpack.ExtType(1, b"\x01"), "\ud800",
                                   ["\ud800"], [b"a", 1.5], [1, bytearray(b"x"), object()]])
def test_values_outside_the_subset_are_refused(value) -> None:
    with pytest.raises(CodecError):
        encode(value)


flat_items = (st.none() | st.booleans() | st.text(max_size=20) | st.binary(max_size=20)
              | st.integers(min_value=-(2**70), max_value=2**70)
              | st.sampled_from([2**64 - 1, 2**64, -(2**63), -(2**63) - 1]))


@given(st.lists(flat_items, max_size=12))
def test_flat_lists_encode_as_the_general_walk_does(items) -> None:
    # A flat list takes encode's one-pass path; inside another list it takes `_canonical`'s walk.
    assert b"\x91" + encode(items) == encode([items])
    assert decode(encode(items)) == items


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


# --- map keys read in one pass (all str or all bytes) and the general comparison (mixed)

map_keys = (
    st.binary(max_size=6)
    | st.binary(min_size=250, max_size=260)  # across the bin8/bin16 boundary (and str8/str16 below)
    | st.text(max_size=6)
    | st.text(min_size=30, max_size=33)  # across the fixstr/str8 boundary
    | st.integers(min_value=-300, max_value=300)
)


def _map_bytes(keys: list) -> bytes:
    """A map of `keys` (each to nil) written in the given order, repeats included."""
    n = len(keys)
    header = bytes([0x80 | n]) if n < 16 else b"\xde" + n.to_bytes(2, "big")
    return header + b"".join(encode(k) + b"\xc0" for k in keys)


@given(st.lists(map_keys, max_size=8) | st.lists(st.binary(max_size=3), max_size=8)
       | st.lists(st.text(alphabet="ab\u00e9\u4e2d\U0001f600\x7f\x80", max_size=3), max_size=8))
def test_a_map_is_read_exactly_when_its_keys_rise_by_their_encodings(keys) -> None:
    data = _map_bytes(keys)
    encoded = [encode(k) for k in keys]
    if all(a < b for a, b in zip(encoded, encoded[1:])):
        assert list(decode(data)) == keys
    else:  # out of order, or a key repeated
        with pytest.raises(CodecError):
            decode(data)


@given(st.dictionaries(st.binary(max_size=300), st.integers(), min_size=2, max_size=8))
def test_bytes_keys_sort_as_their_encodings(mapping) -> None:
    ordered = sorted(mapping, key=lambda k: msgpack.packb(k, use_bin_type=True))
    assert list(decode(encode(mapping))) == ordered


@pytest.mark.parametrize(
    ("keys", "accepted"),
    [
        ([b"a", b"b"], True),
        ([b"b", b"a"], False),
        ([b"a", b"a"], False),
        ([b"z", b"aa"], True),  # shorter first, whatever the bytes
        ([b"aa", b"z"], False),
        ([b"", b"\x00"], True),
        ([b"\xff" * 255, b"\x00" * 256], True),  # bin8 before bin16
        ([b"\x00" * 256, b"\xff" * 255], False),
        ([b"a", "a"], False),  # bin8 (0xc4) after fixstr (0xa1)
        (["a", b"a"], True),
        ([b"a", b"b", "a"], False),  # a str after bytes sends the map to the general check
        ([b"a", 1], False),  # fixint 0x01 before bin8
        ([1, b"a"], True),
        ([b"a", b"b", b"a"], False),  # a repeat that is not next to its first
    ],
)
def test_bytes_keyed_maps(keys, accepted) -> None:
    data = _map_bytes(keys)
    if accepted:
        assert list(decode(data)) == keys
    else:
        with pytest.raises(CodecError):
            decode(data)


@pytest.mark.parametrize(
    "data",
    [
        b"\x92\xc4\x02\xca\xcb\xcb" + bytes(8),  # both marker bytes in the input: packed under both widths
        b"\x92\xc4\x02\xca\xcb\xca" + bytes(4),
        b"\x92\xc4\x01\xca\xcb" + bytes(8),  # 0xca in the input only: packed under single width
        b"\x92\xc4\x01\xcb\xca" + bytes(4),  # 0xcb only: packed under double width
        b"\x92\xc4\x01\xca\xd6\xff" + bytes(4),  # a timestamp (decoded as a float)
        b"\x81\xc4\x01\xca\xcb" + bytes(8),
    ],
)
def test_floats_are_refused_whatever_marker_bytes_the_input_holds(data: bytes) -> None:
    with pytest.raises(CodecError):
        decode(data)


@given(st.lists(st.floats(allow_nan=False, width=32) | st.binary(max_size=4), min_size=1, max_size=4),
       st.sampled_from([b"", b"\xca", b"\xcb", b"\xca\xcb"]), st.booleans())
def test_a_float_is_refused_beside_any_marker_bytes(items, markers, single_float) -> None:
    # width=32: floats that pack as single ones too (msgpack refuses to narrow a larger one)
    data = msgpack.packb([markers, *items], use_bin_type=True, use_single_float=single_float)
    if any(type(i) is float for i in items):
        with pytest.raises(CodecError):
            decode(data)
    else:
        assert decode(data) == [markers, *items]


def test_str_key_orders_seen_before_do_not_admit_another_order() -> None:
    names = ["a", "b", "cc", "\u00e9"]
    assert list(decode(_map_bytes(names))) == names  # now remembered as canonical
    for other in (names[::-1], ["b", "a", "cc", "\u00e9"], names + ["d"], ["a", "b", "cc", "\u00e9", "\u00e9"]):
        with pytest.raises(CodecError):
            decode(_map_bytes(other))
    assert list(decode(_map_bytes(names))) == names


def test_str_key_orders_remembered_are_bounded() -> None:
    from node import codec

    for i in range(codec._ORDERED_NAMES.size + 10):
        decode(_map_bytes(["k", str(i).rjust(5, "0")]))
    assert len(codec._ORDERED_NAMES) == codec._ORDERED_NAMES.size
    with pytest.raises(CodecError):
        decode(_map_bytes([str(7).rjust(5, "0"), "k"]))


def test_a_failed_packing_leaves_nothing_behind() -> None:
    # The packers are kept per thread: a packing that fails half-way must not leak into the next.
    for bad in ([b"x" * 100, object()], [b"y" * 100, 1.5], _nested(1100)):
        with pytest.raises(CodecError):
            encode(bad)
        assert encode([b"z"]) == b"\x91\xc4\x01z"
    big = encode([b"w" * 100, 2**70])  # decode's native packing fails on the big int
    assert decode(big) == [b"w" * 100, 2**70]
    assert decode(b"\x91\xc4\x01z") == [b"z"]


def test_threads_pack_with_their_own_packers() -> None:
    import threading

    values = [{"k": [i, b"v" * (i % 50), str(i)], b"b": i} for i in range(300)]
    expected = [msgpack.packb({"k": v["k"], b"b": v[b"b"]}, use_bin_type=True) for v in values]  # fixstr < bin8
    failures: list[int] = []

    def run() -> None:
        for _ in range(20):
            for i, v in enumerate(values):
                data = encode(v)
                if data != expected[i] or decode(data) != v:
                    failures.append(i)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
