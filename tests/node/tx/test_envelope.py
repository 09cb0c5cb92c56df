"""Endorsements and envelopes: signing, verifying, refusing, and tampering of every kind."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node import codec
from node.tx import EndorsementMismatch, SignatureError, TxFormatError
from node.tx.endorsement import decode_endorsement, sign_endorsement, verify_endorsement
from node.tx.envelope import (
    EndorserSignature,
    decode_envelope,
    envelope_message,
    envelope_to_wire,
    sign_envelope,
    verify_envelope,
)
from node.tx.proposal import build_invoke, encode_proposal, sign_proposal, verify_proposal
from node.tx.response import Aborted, Completed, EmittedEvent, Response, ScanRecord, StateDelta, Version

from .strategies import results


def simulate(proposal_hash: bytes, value: object = "800.00 CNY") -> Response:
    return Response(proposal_hash, Completed(
        reads={b"\x01\x00\x00P1": Version(7, 0), b"\x01\x00\x00P2": None},
        writes={b"\x01\x00\x00P1": b"\x02policy"},
        deltas={b"\x00\x00\x03": StateDelta("Money", b"\x03CNY\x90\x4e")},
        scans={b"\x01\x00\x01": ScanRecord(0, bytes(32))},
        value=value, events=(EmittedEvent("ClaimSettled", {"policy_id": "P1", "payable": "800.00 CNY"}),), gas=4321))


def transaction(net, endorsers=(0, 1), value: object = "800.00 CNY"):
    p = build_invoke("ch1", "health", "settle", ["P1", "1500.00 CNY", "2024-05-01"],
                     creator=net.client.cert.der, role="hospital")
    verified = verify_proposal(net.suite, sign_proposal(net.suite, net.client.key, p))
    response = simulate(verified.hash, value)
    endorsements = [decode_endorsement(sign_endorsement(net.suite, net.peers[i].key, net.peers[i].cert.der, response))
                    for i in endorsers]
    return verified, endorsements, sign_envelope(net.suite, net.client.key, verified.signed, endorsements)


@pytest.fixture(scope="module")
def envelope(net) -> bytes:
    return transaction(net)[2]


def test_endorse_submit_verify(net) -> None:
    verified, endorsements, data = transaction(net, (0, 1, 2))
    for e in endorsements:
        checked = verify_endorsement(net.suite, e, proposal_hash=verified.hash)
        assert checked.endorser.subject.type == "peer"
    env = verify_envelope(net.suite, data)
    assert env.tx_id == verified.tx_id and env.proposal_hash == verified.hash
    assert [c.subject.org for c in env.endorsers] == ["PICC", "CPIC", "Ruijin Hospital"]
    assert env.creator.der == net.client.cert.der
    assert env.envelope.response == endorsements[0].response
    assert codec.encode(envelope_to_wire(env.envelope)) == data


@settings(max_examples=15)
@given(result=results)
def test_endorsement_round_trip(net, result) -> None:
    response = Response(bytes(32), result)
    data = sign_endorsement(net.suite, net.peers[0].key, net.peers[0].cert.der, response)
    e = decode_endorsement(data)
    assert e.response == response
    assert verify_endorsement(net.suite, data).response_hash == net.suite.hash(e.response_bytes)
    assert codec.encode({"endorser": e.endorser, "response": e.response_bytes, "signature": e.signature}) == data


def test_an_aborted_call_can_be_submitted(net) -> None:
    p = build_invoke("ch1", "health", "settle", ["P9"], creator=net.client.cert.der, role="hospital")
    verified = verify_proposal(net.suite, sign_proposal(net.suite, net.client.key, p))
    response = Response(verified.hash, Aborted("unknown policy", "require", 380))
    e = decode_endorsement(sign_endorsement(net.suite, net.peers[0].key, net.peers[0].cert.der, response))
    env = verify_envelope(net.suite, sign_envelope(net.suite, net.client.key, p, [e]))
    assert env.envelope.response.result == Aborted("unknown policy", "require", 380)


def test_endorsement_refusals(net) -> None:
    verified, (e, _), _ = transaction(net)
    with pytest.raises(SignatureError) as info:
        verify_endorsement(net.suite, e, proposal_hash=bytes(32))
    assert info.value.field == "endorsement.response.proposal"
    swapped = codec.encode({"endorser": net.peers[1].cert.der, "response": e.response_bytes, "signature": e.signature})
    with pytest.raises(SignatureError) as info:
        verify_endorsement(net.suite, swapped)
    assert info.value.field == "endorsement.signature" and "peer0.CPIC" in info.value.problem


def test_assembly_refusals(net) -> None:
    verified, (a, b), _ = transaction(net)
    _, (other,), _ = transaction(net, (2,), value="799.00 CNY")
    with pytest.raises(EndorsementMismatch, match="another proposal"):
        sign_envelope(net.suite, net.client.key, verified.signed, [other])
    different = decode_endorsement(sign_endorsement(
        net.suite, net.peers[2].key, net.peers[2].cert.der, simulate(verified.hash, "799.00 CNY")))
    with pytest.raises(EndorsementMismatch, match=r"endorsements\[1\] reports another result"):
        sign_envelope(net.suite, net.client.key, verified.signed, [a, different])
    with pytest.raises(TxFormatError, match="at least one"):
        sign_envelope(net.suite, net.client.key, verified.signed, [])
    with pytest.raises(TxFormatError) as info:
        sign_envelope(net.suite, net.client.key, verified.signed, [a, b, a])
    assert info.value.field == "endorsements[2]" and "endorsements[0]" in info.value.problem


def _rewrite(data: bytes, **changes) -> bytes:
    wire = codec.decode(data)
    wire.update(changes)
    return codec.encode(wire)


def test_tampering_is_refused(net, envelope: bytes) -> None:
    env = decode_envelope(envelope)
    first, second = ([e.endorser, e.signature] for e in env.endorsements)
    other_p = build_invoke("ch1", "health", "settle", ["P1", "9999.00 CNY", "2024-05-01"],
                           creator=net.client.cert.der, role="hospital")
    cases = {
        "envelope.response.proposal": _rewrite(envelope, proposal=encode_proposal(other_p)),
        "envelope.signature": _rewrite(envelope, endorsements=[first]),  # the creator signed both
        "envelope.endorsements[1][1]": _resigned(net, env, endorsements=[first, [second[0], first[1]]]),
        "envelope.endorsements[0][1]": _resigned(net, env, response=codec.encode(
            dict(codec.decode(env.response_bytes), gas=1))),  # another result: the endorsers did not sign it
    }
    for field, data in cases.items():
        with pytest.raises(SignatureError) as info:
            verify_envelope(net.suite, data)
        assert info.value.field == field


def _resigned(net, env, **changes) -> bytes:
    """The envelope changed and signed again by its creator (a creator forging endorsements)."""
    wire = dict(envelope_to_wire(env), **changes)
    listed = [EndorserSignature(e, s) for e, s in wire["endorsements"]]
    wire["signature"] = net.suite.sign(net.client.key, envelope_message(
        net.suite.hash(wire["proposal"]), net.suite.hash(wire["response"]), listed))
    return codec.encode(wire)


def test_decode_refusals(envelope: bytes) -> None:
    env = codec.decode(envelope)
    cases = {
        "envelope.endorsements": dict(env, endorsements=[]),
        "envelope.endorsements[1]": dict(env, endorsements=[env["endorsements"][0]] * 2),
        "envelope.endorsements[0]": dict(env, endorsements=[[env["endorsements"][0][0]]]),
        "envelope.signature": dict(env, signature=b"x" * 73),
        "envelope.extra": dict(env, extra=1),
    }
    for field, wire in cases.items():
        with pytest.raises(TxFormatError) as info:
            decode_envelope(codec.encode(wire))
        assert info.value.field == field, str(info.value)
    with pytest.raises(TxFormatError) as info:
        decode_envelope(codec.encode(dict(env, endorsements=[[b"c%d" % i, b"s" * 8] for i in range(65)])))
    assert info.value.field == "envelope.endorsements" and "65 items; at most 64" in info.value.problem


def _refused(net, data: bytes) -> None:
    try:
        verify_envelope(net.suite, data)
    except (TxFormatError, SignatureError):
        return
    raise AssertionError("a damaged envelope was accepted")


def test_every_truncation_is_refused(net, envelope: bytes) -> None:
    for n in range(len(envelope)):
        with pytest.raises(TxFormatError):
            decode_envelope(envelope[:n])
    _refused(net, envelope + b"\x00")


@settings(max_examples=150)
@given(data=st.data())
def test_any_single_byte_change_is_refused(net, envelope: bytes, data) -> None:
    position = data.draw(st.integers(0, len(envelope) - 1))
    delta = data.draw(st.integers(1, 255))
    damaged = bytearray(envelope)
    damaged[position] ^= delta
    _refused(net, bytes(damaged))


def test_single_byte_changes_sweep(net, envelope: bytes) -> None:
    # Every position once, with a change that varies along the message.
    for position in range(len(envelope)):
        damaged = bytearray(envelope)
        damaged[position] ^= 1 << (position % 8)
        _refused(net, bytes(damaged))


@given(st.binary(max_size=300))
def test_garbage_raises_only_the_format_error(data: bytes) -> None:
    for decode in (decode_envelope, decode_endorsement):
        with pytest.raises(TxFormatError):
            decode(data)
