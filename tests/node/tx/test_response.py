"""Simulation results: round trips, precise refusals, deltas to and from the VM, scan digests."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node import codec
from node.crypto import get_suite
from node.tx import TxFormatError
from node.tx.response import (
    Aborted,
    Completed,
    Response,
    ScanRecord,
    StateDelta,
    Version,
    decode_response,
    encode_response,
    response_to_wire,
    scan_digest,
)
from vm import types as T
from vm.values.money import Money
from vm.runtime import Delta

from .strategies import damaged, responses

H = bytes(32)


def ok(**changes) -> dict:
    r = Response(H, Completed({b"\x01k": Version(3, 1)}, {b"\x01k": b"v"}, {}, {}, "800.00 CNY", (), 5))
    wire = response_to_wire(r)
    wire.update(changes)
    return wire


@given(responses)
def test_round_trip(r: Response) -> None:
    data = encode_response(r)
    assert decode_response(data) == r
    assert encode_response(decode_response(data)) == data


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"proposal": bytes(31)}, "response.proposal", "31 bytes; exactly 32"),
        ({"status": "maybe"}, "response.status", "'maybe'"),
        ({"status": "abort"}, "response.reads", "unknown field"),
        ({"message": "x"}, "response.message", "unknown field"),
        ({"gas": -1}, "response.gas", "outside"),
        ({"reads": {b"\x01k": [1]}}, "response.reads[0x016b]", "expected a pair, got 1 item"),
        ({"reads": {b"\x01k": [1, -2]}}, "response.reads[0x016b][1]", "outside"),
        ({"reads": {b"": None}}, "response.reads", "must not be empty"),
        ({"reads": {"k": None}}, "response.reads", "must be bytes, not text"),
        ({"writes": {b"\x01k": "v"}}, "response.writes[0x016b]", "expected bytes, got text"),
        ({"writes": {bytes(range(40)): 1}}, "response.writes[0x000102030405060708090a0b0c0d0e0f...]", "bytes"),
        ({"deltas": {b"\x01k": ["Int", b"\x02"]}}, "response.deltas[0x016b]", "counted twice"),
        ({"deltas": {b"\x01t": ["Text", b"\x00"]}}, "response.deltas[0x0174][0]", "one of Int"),
        ({"deltas": {b"\x01t": ["Money", b"\x03XXX\x02"]}}, "response.deltas[0x0174][1]", "not a Money"),
        ({"deltas": {b"\x01t": ["Int", b"\x02\x00"]}}, "response.deltas[0x0174][1]", "not an Int"),
        ({"scans": {b"\x01": [1, b"short"]}}, "response.scans[0x01][1]", "exactly 32"),
        ({"value": None, "events": [["Paid", []]]}, "response.events[0][1]", "fields are an object"),
        ({"events": [["not-a-name", {}]]}, "response.events[0][0]", "not a Bao identifier"),
        ({"events": [["Paid", {"x": None}]]}, "response.events[0][1].x", "no null"),
        ({"events": [["Paid", {}]] * 65}, "response.events", "at most 64"),
    ],
)
def test_decode_names_the_field(changes: dict, field: str, words: str) -> None:
    with pytest.raises(TxFormatError) as info:
        decode_response(codec.encode(ok(**changes)))
    assert info.value.field == field, str(info.value)
    assert words in info.value.problem


def test_float_bytes_are_refused() -> None:
    data = codec.encode(ok(value=0))
    floated = data.replace(b"\xa5value\x00", b"\xa5value\xcb" + bytes(8))
    with pytest.raises(TxFormatError, match="^response: "):
        decode_response(floated)


def test_aborted() -> None:
    r = Response(H, Aborted('key not found: "P9"', "key-not-found", 210))
    assert decode_response(encode_response(r)) == r
    for kind, field in (("no-such-kind", "response.kind"),):
        wire = response_to_wire(r)
        wire["kind"] = kind
        with pytest.raises(TxFormatError) as info:
            decode_response(codec.encode(wire))
        assert info.value.field == field
    with pytest.raises(TxFormatError, match="characters; at most 32768"):
        encode_response(Response(H, Aborted("x" * 40_000, "fail", 1)))


def test_limits_are_checked_when_encoding() -> None:
    big = Completed({}, {bytes([1, i >> 8, i & 255]): b"" for i in range(1025)}, {}, {}, None, (), 1)
    with pytest.raises(TxFormatError, match="1025 entries; at most 1024") as info:
        encode_response(Response(H, big))
    assert info.value.field == "response.writes"


def test_deltas_to_and_from_the_vm() -> None:
    for delta in (Delta(T.INT, -7), Delta(T.MONEY, Money("CNY", 150_000)), Delta(T.PERCENT, 25)):
        state_delta = StateDelta.from_vm(delta)
        assert state_delta.type == str(delta.type)
        assert state_delta.to_vm() == delta


def test_scan_digest() -> None:
    suite = get_suite("intl")
    entries = [(b"\x01b", Version(2, 0)), (b"\x01a", Version(1, 4))]
    digest = scan_digest(suite, b"\x01", entries)
    assert digest == suite.hash(codec.encode([b"\x01", [[b"\x01a", 1, 4], [b"\x01b", 2, 0]]]))
    assert digest == scan_digest(suite, b"\x01", reversed(entries))  # order of the scan does not matter
    assert digest != scan_digest(suite, b"\x01", entries[:1])  # a key gone: a phantom
    assert digest != scan_digest(suite, b"\x01", [entries[0], (b"\x01a", Version(1, 5))])
    assert len(scan_digest(get_suite("gm"), b"\x01", [])) == 32
    assert ScanRecord(2, digest) == decode_response(encode_response(
        Response(H, Completed({}, {}, {}, {b"\x01": ScanRecord(2, digest)}, None, (), 0)))).result.scans[b"\x01"]


@given(st.data())
def test_damaged_fields_raise_only_the_format_error(data) -> None:
    wire = ok(deltas={b"\x01d": ["Money", b"\x03CNY\x90\x4e"]}, scans={b"\x01": [1, H]}, reads={b"\x01k": [3, 1],
              b"\x01z": None}, events=[["Paid", {"amount": "1.00 CNY", "to": {"org": "PICC"}}]], value={"a": [1]})
    if data.draw(st.booleans()):
        wire = response_to_wire(Response(H, Aborted("unknown policy", "require", 9)))
    changed = data.draw(damaged(wire))
    try:
        decode_response(codec.encode(changed))
    except TxFormatError:
        pass


# --- the in-line checks of well-formed entries agree with the functions that name a refusal

from node.tx import limits as L  # noqa: E402
from node.tx import response as R  # noqa: E402
from node.tx import wire  # noqa: E402

entry_parts = st.none() | st.booleans() | st.text(max_size=3) | st.binary(max_size=3) | st.sampled_from(
    [H, bytes(31), bytes(33), -1, 0, 7, L.COUNTER_MAX, L.COUNTER_MAX + 1, L.READS_MAX, L.READS_MAX + 1, 2**64,
     "Paid", "a" * L.IDENTIFIER_MAX_CHARACTERS, "a" * (L.IDENTIFIER_MAX_CHARACTERS + 1), "not-a-name", "1x",
     {"x": 1}, {"x": None}, {"x": [True, "y"]}, {}, 2**300]
)
entries = st.recursive(
    entry_parts,
    lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner).map(list)
    | st.dictionaries(st.text(max_size=2) | st.integers(0, 2) | st.binary(max_size=1), inner, max_size=2),
    max_leaves=4,
)


def _outcome(read):
    try:
        return "read", read()
    except TxFormatError as exc:
        return "refused", exc.field, exc.problem


_BORDERS = [
    [0, L.COUNTER_MAX], [L.COUNTER_MAX, 0], [0, L.COUNTER_MAX + 1], [L.COUNTER_MAX + 1, 0], [-1, 0], [0, -1],
    [True, 0], [0, False], [L.READS_MAX, H], [L.READS_MAX + 1, H], [0, bytes(31)], [0, H, 0], [0], None,
    ["a" * L.IDENTIFIER_MAX_CHARACTERS, {}], ["a" * (L.IDENTIFIER_MAX_CHARACTERS + 1), {}], ["1x", {}],
    ["Paid", {1: 1}], ["Paid", {"x": 2**256}], ["Paid", {"x": 2**256 - 1}], ["Paid", {"x": -(2**256)}],
    ["Paid", []], [b"Paid", {}], b"v", b"", "v",
]


@pytest.mark.parametrize("value", _BORDERS)
def test_fast_entry_checks_agree_at_the_borders(value) -> None:
    test_fast_entry_checks_agree_with_the_named_ones.hypothesis.inner_test(value)  # type: ignore[attr-defined]


@settings(max_examples=500)
@given(entries)
def test_fast_entry_checks_agree_with_the_named_ones(value) -> None:
    where = "m"
    at = wire.at_key(where, b"\x01")
    pairs = [
        (lambda: R._reads({b"\x01": value}, where)[b"\x01"], lambda: R._version(value, at)),
        (lambda: R._writes({b"\x01": value}, where)[b"\x01"],
         lambda: None if value is None else wire.blob(value, at, 0, L.RESPONSE_MAX_BYTES)),
        (lambda: R._scans({b"\x01": value}, where)[b"\x01"], lambda: R._scan(value, at)),
        (lambda: R._event(value, "r", 0), lambda: R._named_event(value, "r.events[0]")),
        (lambda: wire.json_value(value, "v"), lambda: wire._json_value(value, "v", 0)),
        (lambda: wire.json_values([1, value], "a"),
         lambda: tuple(wire._json_value(x, f"a[{i}]", 0) for i, x in enumerate([1, value]))),
    ]
    for fast, named in pairs:
        assert _outcome(fast) == _outcome(named)


def test_a_deep_value_is_refused_by_both_checks() -> None:
    deep: object = 1
    for _ in range(L.JSON_DEPTH_MAX + 1):
        deep = [deep]
    for read in (lambda: wire.json_value(deep, "v"), lambda: wire._json_value(deep, "v", 0)):
        with pytest.raises(TxFormatError, match="nested more than"):
            read()
    assert wire.json_value(deep[0], "v") == deep[0]  # type: ignore[index]


@pytest.mark.parametrize(
    ("value", "field", "words"),
    [
        ({b"format": 1}, "m", "must be text, not bytes"),
        ({"a": 1, 2: 1}, "m", "must be text, not an integer"),
        ({"a": 1, "c": 2}, "m.c", "unknown field"),
        ({"b": 1}, "m.a", "missing"),
        ([], "m", "expected a map of fields"),
    ],
)
def test_fields_refusals(value, field: str, words: str) -> None:
    with pytest.raises(TxFormatError) as info:
        wire.fields(value, "m", ("a",), ("b",))
    assert (info.value.field, words in info.value.problem) == (field, True), str(info.value)
    assert wire.fields({"a": 1, "b": 2}, "m", ("a",), ("b",)) == {"a": 1, "b": 2}
