"""Endorse, query and submit over HTTP with real signatures, and every way a client can get them
wrong: each refused with its code and status, and the ledger (height and state hash) unchanged."""

from __future__ import annotations

import pytest

from node.tx.clock import now_ms
from node.tx.endorsement import decode_endorsement, verify_endorsement
from node.tx.envelope import sign_envelope
from node.tx.proposal import decode_signed_proposal
from node.tx.response import Aborted, Completed
from tests.node.api.world import deploy_ledger, envelope, invoke, signed_deploy, signed_proposal

CH = "/api/v1/channels/claims"


def _endorse_over_http(world, who, signed, orgs=("Org1", "Org2")):
    endorsements = []
    for org in orgs:
        answer = world.post(f"{CH}/endorse", signed, who=who, node=f"peer0-{org.lower()}")
        assert answer.status_code == 200, answer.text
        assert answer.headers["content-type"] == "application/octet-stream"
        endorsements.append(decode_endorsement(answer.content))
    return sign_envelope(world.suite, world.id(who).key, decode_signed_proposal(signed), endorsements)


def _ledger(world):
    channel = world.channel("peer0-org1")
    return channel.height(), channel.state_hash()


def test_deploy_invoke_and_query_over_http(any_suite):
    world = any_suite
    deploy = _endorse_over_http(world, "admin@Org1", signed_deploy(world), ("Org1", "Org2", "Org3"))
    answer = world.post(f"{CH}/submit", deploy, who="admin@Org1")
    assert answer.status_code == 202, answer.text
    assert world.get(f"{CH}/transactions/{answer.json()['tx_id']}").json()["code_name"] == "VALID"
    signed = signed_proposal(world, "insurer@Org2", "ledger", "set", "a", 42)
    endorsement = world.post(f"{CH}/endorse", signed, who="insurer@Org2", node="peer0-org3")
    verified = verify_endorsement(world.suite, endorsement.content,
                                  proposal_hash=world.suite.hash(decode_signed_proposal(signed).body))
    assert verified.endorser.subject.org == "Org3"
    env = _endorse_over_http(world, "insurer@Org2", signed, ("Org2", "Org3"))
    tx = world.post(f"{CH}/submit", env, who="insurer@Org2", node="peer0-org2").json()["tx_id"]
    assert world.get(f"{CH}/transactions/{tx}").json()["code_name"] == "VALID"
    query = signed_proposal(world, "insurer@Org3", "ledger", "get", "a")
    answer = world.post(f"{CH}/query", query, who="insurer@Org3", node="peer0-org3")
    assert answer.json() == {"result": 42}
    block = world.get(f"{CH}/blocks/2", who="regulator@Org3", node="peer0-org3").json()
    assert block["transactions"][0]["tx_id"] == tx


def test_an_abort_is_endorsed_with_its_message(world):
    deploy_ledger(world)
    answer = world.post(f"{CH}/endorse", signed_proposal(world, "insurer@Org1", "ledger", "refuse"))
    result = decode_endorsement(answer.content).response.result
    assert isinstance(result, Aborted) and "no, never" in result.message


def test_a_view_that_aborts_answers_with_the_contracts_message(world):
    deploy_ledger(world)
    answer = world.post(f"{CH}/query", signed_proposal(world, "insurer@Org1", "ledger", "must", "zz"))
    assert answer.status_code == 422 and answer.json()["code"] == "contract-abort"
    assert "no such key" in answer.json()["message"]


BAD_PROPOSALS = {
    # name: (proposal builder, status, code, words the message holds)
    "garbage": (lambda w: b"\x00garbage", 400, "malformed", "signed proposal"),
    "wrong argument type": (lambda w: signed_proposal(w, "insurer@Org1", "ledger", "set", "a", "seven"), 422,
                            "arguments", "v"),
    "too many arguments": (lambda w: signed_proposal(w, "insurer@Org1", "ledger", "get", "a", 1), 422,
                           "arguments", "get"),
    "unknown contract": (lambda w: signed_proposal(w, "insurer@Org1", "nothing", "get", "a"), 404,
                         "unknown-contract", "nothing"),
    "unknown entry": (lambda w: signed_proposal(w, "insurer@Org1", "ledger", "steal", "a"), 404,
                      "unknown-entry", "steal"),
    "stale timestamp": (lambda w: signed_proposal(w, "insurer@Org1", "ledger", "set", "a", 1, timestamp_ms=10**12),
                        422, "expired", "behind"),
    "foreign creator": (lambda w: signed_proposal(w, "insurer@Org4", "ledger", "set", "a", 1), 403, "identity",
                        "unknown issuer"),
    "expired creator": (lambda w: signed_proposal(w, "expired@Org1", "ledger", "set", "a", 1), 403, "identity",
                        "expired"),
    "revoked creator": (lambda w: signed_proposal(w, "revoked@Org2", "ledger", "set", "a", 1), 403, "identity",
                        "revoked"),
    "role not held": (lambda w: signed_proposal(w, "insurer@Org1", "ledger", "set", "a", 1, role="bank"), 403,
                      "identity", "bank"),
    "regulator invokes": (lambda w: signed_proposal(w, "regulator@Org3", "ledger", "set", "a", 1, role="regulator"),
                          403, "read-only", "regulator"),
    "deploy by a client": (lambda w: signed_deploy(w, who="insurer@Org1", name="other"), 403, "not-admin", "admin"),
    "deploy again": (lambda w: signed_deploy(w), 409, "exists", "already deployed"),
    "another channel": (lambda w: signed_proposal(w, "insurer@Org1", "ledger", "set", "a", 1,
                                                  channel="reinsurance"), 422, "channel", "reinsurance"),
}


def test_bad_proposals_are_refused_precisely_and_change_nothing(world):
    deploy_ledger(world)
    before = _ledger(world)
    for name, (build, status, code, words) in BAD_PROPOSALS.items():
        answer = world.post(f"{CH}/endorse", build(world))
        assert (answer.status_code, answer.json()["code"]) == (status, code), (name, answer.text)
        assert words in answer.json()["message"], (name, answer.json()["message"])
    query = world.post(f"{CH}/query", signed_proposal(world, "insurer@Org1", "ledger", "set", "a", 1))
    assert (query.status_code, query.json()["code"]) == (403, "read-only")
    assert _ledger(world) == before


def test_a_binary_endpoint_refuses_json(world):
    answer = world.post(f"{CH}/endorse", b'{"contract": "ledger"}', content_type="application/json")
    assert answer.status_code == 415 and answer.json()["code"] == "unsupported-media"


@pytest.fixture
def deployed(world):
    deploy_ledger(world)
    return world


def test_bad_envelopes_are_refused_before_ordering(deployed):
    world = deployed
    deploy_ledger(world, channel="reinsurance")
    before = _ledger(world)
    good = envelope(world, "insurer@Org1", signed_proposal(world, "insurer@Org1", "ledger", "set", "a", 1))
    tampered = bytearray(good)
    tampered[-5] ^= 0xFF  # inside the creator's signature
    old = signed_proposal(world, "insurer@Org1", "ledger", "set", "a", 1, timestamp_ms=now_ms() - 600_000)
    endorsed = [decode_endorsement(world.channel(n).endorse(old, now=now_ms() - 600_000))
                for n in ("peer0-org1", "peer0-org2")]  # endorsed back then, submitted now
    stale = sign_envelope(world.suite, world.id("insurer@Org1").key, decode_signed_proposal(old), endorsed)
    other = envelope(world, "insurer@Org1", signed_proposal(world, "insurer@Org1", "ledger", "set", "a", 1,
                                                              channel="reinsurance"), channel="reinsurance")
    for name, body, status, code in [("garbage", b"\x93junk", 400, "malformed"), ("empty", b"", 400, "malformed"),
                                     ("tampered", bytes(tampered), 403, "bad-signature"),
                                     ("stale", stale, 422, "expired"), ("other channel", other, 422, "channel")]:
        answer = world.post(f"{CH}/submit", body)
        assert (answer.status_code, answer.json()["code"]) == (status, code), (name, answer.text)
    assert "envelope" in world.post(f"{CH}/submit", b"\x93junk").json()["message"]
    assert _ledger(world) == before


def test_a_replayed_envelope_is_a_duplicate(deployed):
    world = deployed
    env = envelope(world, "insurer@Org1", signed_proposal(world, "insurer@Org1", "ledger", "add", 5))
    assert world.post(f"{CH}/submit", env).status_code == 202
    before = _ledger(world)
    again = world.post(f"{CH}/submit", env, node="peer0-org2")
    assert again.status_code == 409 and again.json()["code"] == "duplicate"
    assert "block 2 as VALID" in again.json()["message"]
    assert _ledger(world) == before


def test_a_pending_envelope_submitted_again_is_ordered_once(deployed):
    world = deployed
    world.network.auto_cut = False
    env = envelope(world, "insurer@Org1", signed_proposal(world, "insurer@Org1", "ledger", "add", 5))
    first = world.post(f"{CH}/submit", env)
    second = world.post(f"{CH}/submit", env)
    assert first.status_code == second.status_code == 202 and first.json() == second.json()
    record = world.network.cut("claims")
    assert len(record.codes) == 1


def test_an_unreachable_orderer_is_503(deployed):
    world = deployed
    world.network.orderer_up = False
    env = envelope(world, "insurer@Org1", signed_proposal(world, "insurer@Org1", "ledger", "add", 5))
    answer = world.post(f"{CH}/submit", env)
    assert answer.status_code == 503 and answer.json()["code"] == "unavailable"


def test_results_and_events_travel_in_the_endorsement(deployed):
    world = deployed
    invoke(world, "insurer@Org1", "set", "k", 3)
    answer = world.post(f"{CH}/endorse", signed_proposal(world, "insurer@Org1", "ledger", "set", "k", 4))
    result = decode_endorsement(answer.content).response.result
    assert isinstance(result, Completed)
    assert [(e.name, e.fields) for e in result.events] == [("Set", {"key": "k", "value": 4})]
