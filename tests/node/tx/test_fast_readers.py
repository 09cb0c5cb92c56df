"""The readers' in-line checks of well-formed messages refuse exactly what the named checks
refused (tests/node/tx/reference.py, the readers before them): the same field, the same words."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from node import codec
from node.tx import TxFormatError
from node.tx import envelope as E
from node.tx import limits as L
from node.tx import proposal as P
from node.tx import response as R
from node.tx.proposal import Invoke, Proposal, proposal_from_wire, proposal_to_wire
from node.tx.response import (
    Aborted,
    Completed,
    EmittedEvent,
    Response,
    ScanRecord,
    StateDelta,
    Version,
    response_from_wire,
    response_to_wire,
)

from . import reference
from .strategies import damaged

H = bytes(32)

# Values at the edges of the limits the in-line checks repeat, and just past them.
_EDGES = [
    b"", b"x", bytes(L.SIGNATURE_MIN_BYTES - 1), bytes(L.SIGNATURE_MIN_BYTES), bytes(L.NONCE_MIN_BYTES - 1),
    bytes(L.NONCE_MIN_BYTES), bytes(L.DIGEST_SIZE - 1), bytes(L.DIGEST_SIZE), bytes(L.DIGEST_SIZE + 1),
    bytes(L.NONCE_MAX_BYTES + 1), bytes(L.SIGNATURE_MAX_BYTES), bytes(L.SIGNATURE_MAX_BYTES + 1),
    bytes(L.CERTIFICATE_MAX_BYTES), bytes(L.CERTIFICATE_MAX_BYTES + 1), bytes(L.RESPONSE_MAX_BYTES + 1),
    -1, 0, True, False, None, L.READS_MAX, L.READS_MAX + 1, L.TIMESTAMP_MAX_MS, L.TIMESTAMP_MAX_MS + 1,
    L.COUNTER_MAX, L.COUNTER_MAX + 1, 2**256 - 1, 2**256, -(2**256),
    "", "x", "1x", "a" * L.IDENTIFIER_MAX_CHARACTERS, "a" * (L.IDENTIFIER_MAX_CHARACTERS + 1),
    [], [1], [1, 2], [1, 2, 3], [0] * L.ARGS_MAX, [0] * (L.ARGS_MAX + 1), {}, {"x": None}, {1: 1},
]


def _paths(value, path=()):
    """Every place in `value`: the path to it, through map keys and list indices."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, path + (key,))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _paths(item, path + (i,))


def _replaced(value, path, new):
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        return {**value, head: _replaced(value[head], rest, new)}
    return value[:head] + [_replaced(value[head], rest, new)] + value[head + 1:]


def _edged(wire: dict):
    """`wire` with each place in turn replaced by each edge value."""
    for path in _paths(wire):
        for edge in _EDGES:
            yield _replaced(wire, path, edge)


def _outcome(read, value):
    try:
        return "read", read(value)
    except TxFormatError as exc:
        return "refused", exc.field, exc.problem


def _response_wire(aborted: bool) -> dict:
    if aborted:
        return response_to_wire(Response(H, Aborted("unknown policy", "require", 9)))
    return response_to_wire(Response(H, Completed(
        reads={b"\x01k": Version(3, 1), b"\x01z": None, b"\x01\x00\x00P1": Version(L.COUNTER_MAX, 0)},
        writes={b"\x01k": b"v", b"\x01w": None},
        deltas={b"\x01d": StateDelta("Money", b"\x03CNY\x90\x4e")},
        scans={b"\x01": ScanRecord(1, H)},
        value={"a": [1, True, "x"]},
        events=(EmittedEvent("Paid", {"amount": "1.00 CNY", "to": {"org": "PICC"}}), EmittedEvent("_x", {})),
        gas=5)))


@settings(max_examples=600)
@given(st.booleans(), st.data())
def test_responses_read_as_before(aborted: bool, data) -> None:
    wire = data.draw(damaged(_response_wire(aborted)))
    assert _outcome(response_from_wire, wire) == _outcome(reference.response_from_wire, wire)


def _proposal_wire(deploy: bool) -> dict:
    p = Proposal("ch1", "health", Invoke("settle"), ("P1", {"holder": "Li Lei", "sum": ["10000.00 CNY", 1]}, 7),
                 bytes(range(24)), 1_780_000_000_000, b"cert", "hospital")
    wire = proposal_to_wire(p)
    if deploy:
        del wire["entry"]
        wire["deploy"] = {"version": "1.0", "policy": ["of", 2, ["A", "B", "C"]], "source": "contract health"}
    return wire


@settings(max_examples=600)
@given(st.booleans(), st.data())
def test_proposals_read_as_before(deploy: bool, data) -> None:
    wire = data.draw(damaged(_proposal_wire(deploy)))
    assert _outcome(proposal_from_wire, wire) == _outcome(reference.proposal_from_wire, wire)


def _envelope_wire() -> dict:
    return {"proposal": codec.encode(_proposal_wire(False)), "response": codec.encode(_response_wire(False)),
            "endorsements": [[b"cert-a", bytes(64)], [b"cert-b", bytes(70)]], "signature": bytes(64)}


def _decode_envelope(data: bytes):
    E._DECODED.clear()
    R._DECODED.clear()
    P._DECODED.clear()
    return E._decode_envelope(data)


@settings(max_examples=600)
@given(st.data())
def test_envelopes_read_as_before(data) -> None:
    wire = data.draw(damaged(_envelope_wire()))
    encoded = codec.encode(wire)
    assert _outcome(_decode_envelope, encoded) == _outcome(reference.decode_envelope, encoded)


def test_every_field_at_every_edge_reads_as_before() -> None:
    checked = 0
    for aborted in (False, True):
        for wire in _edged(_response_wire(aborted)):
            assert _outcome(response_from_wire, wire) == _outcome(reference.response_from_wire, wire), wire
            checked += 1
    for deploy in (False, True):
        for wire in _edged(_proposal_wire(deploy)):
            assert _outcome(proposal_from_wire, wire) == _outcome(reference.proposal_from_wire, wire), wire
            checked += 1
    for wire in _edged(_envelope_wire()):
        encoded = codec.encode(wire)
        assert _outcome(_decode_envelope, encoded) == _outcome(reference.decode_envelope, encoded), wire
        checked += 1
    assert checked > 3000
