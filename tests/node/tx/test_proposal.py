"""Proposals: encoding round trips, precise refusals, the tx id, signing and verifying."""

from __future__ import annotations

import hashlib

import pytest
from gmssl import func, sm3
from hypothesis import given, settings
from hypothesis import strategies as st

from node import codec
from node.crypto import get_suite
from node.tx import SignatureError, TxFormatError
from node.tx.limits import PROPOSAL_MAX_BYTES
from node.tx.policy import PolicyError, parse_policy
from node.tx.proposal import (
    Deploy,
    Invoke,
    Proposal,
    build_deploy,
    build_invoke,
    decode_proposal,
    decode_signed_proposal,
    encode_proposal,
    proposal_to_wire,
    sign_proposal,
    tx_id,
    verify_proposal,
)

from .strategies import damaged, proposals

NONCE = bytes(range(24))
TS = 1_780_000_000_000


def base(**changes) -> dict:
    p = Proposal("ch1", "health", Invoke("settle"), ("P1", "1500.00 CNY"), NONCE, TS, b"cert", "hospital")
    wire = proposal_to_wire(p)
    wire.update(changes)
    return wire


@given(proposals())
def test_round_trip(p: Proposal) -> None:
    data = encode_proposal(p)
    assert decode_proposal(data) == p
    assert encode_proposal(decode_proposal(data)) == data


def test_tx_id_is_stable() -> None:
    # The suite hash of the codec encoding of [creator, nonce]; these values must never change.
    p = Proposal("ch1", "health", Invoke("settle"), (), NONCE, TS, b"creator certificate", "insurer")
    encoded = codec.encode([b"creator certificate", NONCE])
    assert encoded == b"\x92\xc4\x13creator certificate\xc4\x18" + NONCE
    assert tx_id(get_suite("intl"), p) == hashlib.sha256(encoded).digest()
    assert tx_id(get_suite("intl"), p).hex() == "765ee8b3aa88274542ca87d7238ca0b550413c109c38f73ad6bc4bdc8bb6e6a6"
    assert tx_id(get_suite("gm"), p).hex() == sm3.sm3_hash(func.bytes_to_list(encoded))
    assert tx_id(get_suite("gm"), p).hex() == "61d9de7ed973b4722f81dc838a9a78957b97f03db70a1828ce192c080369b6c8"
    # Only creator and nonce count.
    other = Proposal("ch2", "motor", Invoke("claim"), (1,), NONCE, TS + 5, b"creator certificate", "insurer")
    assert tx_id(get_suite("gm"), other) == tx_id(get_suite("gm"), p)


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"format": 2}, "proposal.format", "not one this node reads"),
        ({"format": True}, "proposal.format", "not one this node reads"),
        ({"channel": "a/b"}, "proposal.channel", "separates folders"),
        ({"channel": "Cafe\u0301"}, "proposal.channel", "NFC"),
        ({"contract": 7}, "proposal.contract", "expected text, got an integer"),
        ({"entry": "settle-now"}, "proposal.entry", "not a Bao identifier"),
        ({"deploy": {"version": "1", "policy": ["all"], "source": "x"}}, "proposal", "holds both"),
        ({"args": [None]}, "proposal.args[0]", "no null"),
        ({"args": [{"a": [1, b"x"]}]}, "proposal.args[0].a[1]", "bytes is not a value"),
        ({"args": [{"no such": {1: 2}}]}, "proposal.args[0]['no such']", "keys are text"),
        ({"args": [2**300]}, "proposal.args[0]", "more than 256 bits"),
        ({"args": list(range(65))}, "proposal.args", "65 items; at most 64"),
        ({"args": [{"a": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}]},
         "proposal.args[0].a" + "[0]" * 33, "nested more than 34 deep"),
        ({"nonce": b"short"}, "proposal.nonce", "5 bytes; 16 to 32 expected"),
        ({"timestamp": -1}, "proposal.timestamp", "outside"),
        ({"timestamp": 253_402_300_800_000}, "proposal.timestamp", "outside"),
        ({"creator": b""}, "proposal.creator", "0 bytes"),
        ({"creator": bytes(16 * 1024 + 1)}, "proposal.creator", "16384"),
        ({"role": "Insurer"}, "proposal.role", "not a role"),
        ({"extra": 1}, "proposal.extra", "unknown field"),
    ],
)
def test_decode_names_the_field(changes: dict, field: str, words: str) -> None:
    with pytest.raises(TxFormatError) as info:
        decode_proposal(codec.encode(base(**changes)))
    assert info.value.field == field, str(info.value)
    assert words in info.value.problem


@pytest.mark.parametrize(
    ("deploy", "field"),
    [
        ({"version": "1", "policy": ["all"]}, "proposal.deploy"),
        ({"version": "1", "policy": ["all"], "source": "x", "module": b"m"}, "proposal.deploy"),
        ({"version": "1..2", "policy": ["all"], "source": "x"}, "proposal.deploy.version"),
        ({"version": "1", "policy": ["of", 3, ["A", "B"]], "source": "x"}, "proposal.deploy.policy"),
        ({"version": "1", "policy": ["all"], "module": b""}, "proposal.deploy.module"),
        ({"version": "1", "policy": ["all"], "source": "x" * (512 * 1024 + 1)}, "proposal.deploy.source"),
        ({"version": "1", "policy": ["all"], "source": "保" * (200 * 1024)}, "proposal.deploy.source"),
    ],
)
def test_deploy_refusals(deploy: dict, field: str) -> None:
    wire = base(deploy=deploy)
    del wire["entry"]
    with pytest.raises(TxFormatError) as info:
        decode_proposal(codec.encode(wire))
    assert info.value.field == field, str(info.value)


def test_missing_fields_and_size() -> None:
    wire = base()
    del wire["nonce"]
    with pytest.raises(TxFormatError, match=r"^proposal\.nonce: missing$"):
        decode_proposal(codec.encode(wire))
    with pytest.raises(TxFormatError, match="at most 1048576"):
        decode_proposal(bytes(PROPOSAL_MAX_BYTES + 1))
    with pytest.raises(TxFormatError, match="^proposal: expected a map of fields, got an array"):
        decode_proposal(codec.encode([1]))
    with pytest.raises(TxFormatError, match="^proposal: "):
        decode_proposal(codec.encode(base())[:-1])
    with pytest.raises(TxFormatError, match="expected bytes, got str"):
        decode_proposal("text")  # type: ignore[arg-type]


@given(st.binary(max_size=200))
def test_garbage_raises_only_the_format_error(data: bytes) -> None:
    with pytest.raises(TxFormatError):
        decode_signed_proposal(data)


def test_builders(net) -> None:
    p = build_invoke("ch1", "health", "issue", ["P1", {"holder": "Li Lei", "tags": ("a", "b")}],
                     creator=net.client.cert.der, role="insurer")
    assert p.args[1]["tags"] == ["a", "b"]  # returned as a node reads it
    assert len(p.nonce) == 24 and abs(p.timestamp_ms - build_invoke(
        "ch1", "health", "issue", [], creator=b"c", role="insurer").timestamp_ms) < 60_000
    d = build_deploy("ch1", "health", version="1.0", policy="2 of PICC, CPIC", source="contract health\n",
                     init_args=[1], creator=net.client.cert.der, role="insurer", timestamp_ms=TS, nonce=NONCE)
    assert d.action == Deploy("1.0", parse_policy("2 of CPIC, PICC"), source="contract health\n")
    with pytest.raises(PolicyError, match="column 1"):
        build_deploy("ch1", "health", version="1", policy="0 of A", module=b"m", creator=b"c", role="insurer")
    with pytest.raises(TxFormatError) as info:
        build_invoke("ch1", "health", "issue", ["ok", 1.5], creator=b"c", role="insurer")
    assert info.value.field == "proposal.args[1]"
    with pytest.raises(TxFormatError) as info:
        build_invoke("ch1", "health", "issue", [], creator=b"c", role="insurer", nonce=b"1")
    assert info.value.field == "proposal.nonce"
    with pytest.raises(TxFormatError) as info:
        build_deploy("ch1", "h", version="1", policy="all", source="x", module=b"m", creator=b"c", role="insurer")
    assert info.value.field == "proposal.deploy"


@settings(max_examples=10)
@given(data=st.data())
def test_sign_and_verify(net, data) -> None:
    p = data.draw(proposals(st.just(net.client.cert.der)))
    signed = sign_proposal(net.suite, net.client.key, p)
    verified = verify_proposal(net.suite, signed)
    assert verified.signed.proposal == p
    assert verified.hash == net.suite.hash(encode_proposal(p))
    assert verified.tx_id == tx_id(net.suite, p)
    assert verified.creator.der == net.client.cert.der
    assert verify_proposal(net.suite, verified.signed).tx_id == verified.tx_id


def test_verify_refusals(net) -> None:
    p = build_invoke("ch1", "health", "settle", ["P1"], creator=net.client.cert.der, role="insurer")
    forged = sign_proposal(net.suite, net.peers[0].key, p)  # another key than the certificate's
    with pytest.raises(SignatureError) as info:
        verify_proposal(net.suite, forged)
    assert info.value.field == "signature" and "claims-app" in info.value.problem

    foreign = build_invoke("ch1", "health", "settle", [], creator=net.foreign.cert.der, role="insurer")
    signed = sign_proposal(net.foreign.cert.suite, net.foreign.key, foreign)
    with pytest.raises(SignatureError, match="cannot sign on a") as info:
        verify_proposal(net.suite, signed)
    assert info.value.field == "proposal.creator"

    garbage = build_invoke("ch1", "health", "settle", [], creator=b"not a certificate", role="insurer")
    with pytest.raises(TxFormatError) as info:
        verify_proposal(net.suite, sign_proposal(net.suite, net.client.key, garbage))
    assert info.value.field == "proposal.creator"


def test_a_proposal_signature_is_not_an_envelope_signature(net) -> None:
    # The domain tag: the same key signing the same hash for another kind of message differs.
    p = build_invoke("ch1", "health", "settle", [], creator=net.client.cert.der, role="insurer")
    body = encode_proposal(p)
    raw = net.suite.sign(net.client.key, net.suite.hash(body))  # the hash alone, without the tag
    with pytest.raises(SignatureError):
        verify_proposal(net.suite, codec.encode({"proposal": body, "signature": raw}))


@given(st.data())
def test_damaged_fields_raise_only_the_format_error(data) -> None:
    wire = base(args=[{"holder": "Li Lei", "sum": ["10000.00 CNY", 1]}])
    if data.draw(st.booleans()):
        del wire["entry"]
        wire["deploy"] = {"version": "1.0", "policy": ["of", 2, ["A", "B", "C"]], "source": "contract health"}
    changed = data.draw(damaged(wire))
    try:
        decode_proposal(codec.encode(changed))
    except TxFormatError:
        pass


def test_approvals_on_the_wire(net) -> None:
    from node.tx.approval import Approval, approval_message, sign_approval

    module = b"module bytes"
    policy = parse_policy("majority")
    approval = sign_approval(net.suite, net.client.key, net.client.cert.der, channel="ch1", contract="health",
                             version="2", module=module, policy=policy)
    message = approval_message("ch1", "health", "2", net.suite.hash(module), policy)
    assert net.suite.verify(net.client.cert.public_key, message, approval.signature)
    assert codec.decode(message) == ["baochain/upgrade/1", "ch1", "health", "2", net.suite.hash(module), ["majority"]]
    d = build_deploy("ch1", "health", version="2", policy=policy, module=module, creator=net.client.cert.der,
                     role="insurer", approvals=[approval])
    assert d.action.approvals == (approval,) and isinstance(d.action.approvals[0], Approval)
    wire = proposal_to_wire(d)
    assert wire["deploy"]["approvals"] == [[net.client.cert.der, approval.signature]]
    assert decode_proposal(encode_proposal(d)) == d
    # a deploy without approvals is written as before they existed: no field at all
    plain = build_deploy("ch1", "health", version="1", policy=policy, module=module, creator=b"c", role="insurer")
    assert "approvals" not in proposal_to_wire(plain)["deploy"]
    # an empty list would be a second encoding of the same deploy
    wire = proposal_to_wire(plain)
    wire["deploy"]["approvals"] = []
    with pytest.raises(TxFormatError) as info:
        decode_proposal(codec.encode(wire))
    assert info.value.field == "proposal.deploy.approvals" and "leaving the field out" in info.value.problem
    wire["deploy"]["approvals"] = [[b"cert"]]
    with pytest.raises(TxFormatError) as info:
        decode_proposal(codec.encode(wire))
    assert info.value.field == "proposal.deploy.approvals[0]"
    wire["deploy"]["approvals"] = [[b"cert", b"short"]]
    with pytest.raises(TxFormatError) as info:
        decode_proposal(codec.encode(wire))
    assert info.value.field == "proposal.deploy.approvals[0][1]"
