"""The client library end to end against the API of an in-process network of three organisations:
views and calls, the policy's endorsers gathered (a 2-of-3 policy takes two), nodes that are
down skipped (the caller's own included), MVCC conflicts retried from a fresh simulation,
read-your-writes through a lagging node, step-by-step submits, aborts, refusals, events, proofs."""

from __future__ import annotations

import threading

import httpx
import pytest

from node.chain.block import decode_item
from node.client import (
    ContractAborted,
    Gateway,
    NodesUnavailable,
    Refused,
    RoleError,
    TransactionFailed,
)
from node.tx.codes import ValidationCode
from node.tx.envelope import decode_envelope
from tests.node.api.world import envelope, ledger_module, make_world, signed_proposal
from tests.node.client.conftest import identity, make_gateway


def deploy(world, policy="majority", down=None):
    with make_gateway(world, "admin@Org1", down=down) as gateway:
        return gateway.network("claims").deploy(ledger_module(), "ledger", policy=policy)


def endorsers_in_block(world, block):
    item = decode_item(world.channel("peer0-org1").block(block).items[0])
    return len(decode_envelope(item.body).endorsements)


def test_deploy_submit_and_evaluate(any_suite):
    world = any_suite
    deployed = deploy(world)
    assert deployed.code == "VALID" and deployed.block == 1
    with make_gateway(world, "insurer@Org2") as gateway:
        ledger = gateway.network("claims").contract("ledger")
        done = ledger.submit("set", "a", 41, role="insurer")
        assert done.code == "VALID" and done.block == 2 and done.result is None
        assert done.events == [{"event": "Set", "fields": {"key": "a", "value": 41}}]
        assert done.to_json() == {"tx_id": done.tx_id, "code": "VALID", "block": 2, "result": None,
                                  "events": done.events}
        assert ledger.evaluate("get", "a") == 41
        assert ledger.evaluate("grand_total") == 0
        assert gateway.network("claims").status(done.tx_id).code is ValidationCode.VALID


def test_a_two_of_three_policy_gathers_two_endorsements(world):
    deploy(world, policy="2 of Org1, Org2, Org3")
    with make_gateway(world, "insurer@Org3") as gateway:
        ledger = gateway.network("claims").contract("ledger")
        endorsed = ledger.endorse("set", "a", 1, role="insurer")
        assert len(endorsed.endorsements) == 2 and endorsed.orgs[0] == "Org3"  # its own organisation first
        done = ledger.submit("set", "a", 2, role="insurer")
    assert endorsers_in_block(world, done.block) == 2


def test_no_call_needs_the_callers_own_node(world):
    deploy(world, policy="2 of Org1, Org2, Org3")
    down = {"peer0-org1"}
    with make_gateway(world, "insurer@Org1", down=down) as gateway:
        ledger = gateway.network("claims").contract("ledger")
        endorsed = ledger.endorse("set", "a", 5, role="insurer")
        assert sorted(endorsed.orgs) == ["Org2", "Org3"] and "peer0-org1" not in endorsed.endorsers
        done = ledger.submit("set", "a", 5, role="insurer")
        assert done.code == "VALID" and ledger.evaluate("get", "a") == 5
        # a node that failed is tried last: it comes back once it answers again
        down.clear()
        assert ledger.evaluate("get", "a") == 5


def test_a_node_that_failed_is_not_asked_again_while_others_suffice(world):
    deploy(world, policy="2 of Org1, Org2, Org3")
    attempts = []

    def refuse(request):
        attempts.append(request.url.path)
        raise httpx.ConnectError("connection refused", request=request)

    def connect(node):
        transport = httpx.MockTransport(refuse) if node.name == "peer0-org2" else world.transport(node.name)
        return httpx.Client(transport=transport, base_url=node.api)

    nodes = [(name, node.org, f"http://{name}") for name, node in world.nodes.items()]
    with Gateway(identity(world, "insurer@Org1"), nodes, connect=connect) as gateway:
        ledger = gateway.network("claims").contract("ledger")
        assert ledger.submit("set", "a", 1, role="insurer").code == "VALID"
        tried = len(attempts)
        assert tried >= 1 and gateway.is_down("peer0-org2")
        assert ledger.submit("set", "a", 2, role="insurer").code == "VALID"
        assert len(attempts) == tried  # Org1 and Org3 meet the policy: Org2's node is left alone


def test_a_policy_the_live_nodes_cannot_meet_names_the_nodes_down(world):
    deploy(world, policy="all")
    with make_gateway(world, "insurer@Org1", down={"peer0-org2"}) as gateway:
        with pytest.raises(NodesUnavailable) as caught:
            gateway.network("claims").contract("ledger").submit("set", "a", 1, role="insurer")
    assert "'all'" in caught.value.message and "peer0-org2" in caught.value.message
    assert "connection refused" in caught.value.failures["peer0-org2"]
    assert world.channel("peer0-org1").height() == 2


def test_no_node_up_names_every_node(world):
    with make_gateway(world, down={"peer0-org1", "peer0-org2", "peer0-org3"}) as gateway:
        with pytest.raises(NodesUnavailable) as caught:
            gateway.network("claims").info()
    assert set(caught.value.failures) == {"peer0-org1", "peer0-org2", "peer0-org3"}


def _conflict_ahead(world):
    """An endorsed `bump a`, queued so that it lands first in the next block."""
    env = envelope(world, "insurer@Org2", signed_proposal(world, "insurer@Org2", "ledger", "bump", "a"))
    world.network.enqueue("claims", env)


def test_an_mvcc_conflict_is_retried_with_a_fresh_simulation(world):
    deploy(world)
    with make_gateway(world) as gateway:
        ledger = gateway.network("claims").contract("ledger")
        ledger.submit("set", "a", 0, role="insurer")
        _conflict_ahead(world)
        done = ledger.submit("bump", "a")
        assert ledger.evaluate("get", "a") == 2
    lost = world.get(f"/api/v1/channels/claims/blocks/{done.block - 1}").json()["transactions"]
    assert [t["code_name"] for t in lost] == ["VALID", "MVCC_READ_CONFLICT"]


def test_retries_are_bounded(world):
    deploy(world)
    with make_gateway(world, retries=0) as gateway:
        ledger = gateway.network("claims").contract("ledger")
        _conflict_ahead(world)
        with pytest.raises(TransactionFailed) as caught:
            ledger.submit("bump", "a")
    assert caught.value.code == "MVCC_READ_CONFLICT" and caught.value.status.block == 2


def test_a_read_after_a_write_waits_for_a_lagging_node(world):
    deploy(world)
    lagging = world.nodes["peer0-org2"]
    with make_gateway(world, "insurer@Org2") as gateway:
        claims = gateway.network("claims")
        ledger = claims.contract("ledger")
        lagging.pause()
        done = ledger.submit("set", "a", 7, role="insurer")
        assert claims.seen_height == done.block + 1
        assert world.channel("peer0-org2").height() == done.block  # it missed the write
        timer = threading.Timer(0.2, lagging.resume)
        timer.start()
        assert ledger.evaluate("get", "a") == 7  # asked its own node first, which waited
        timer.join()


def test_spread_waits_for_a_lagging_node_and_names_the_ones_that_stay_behind(tmp_path):
    world = make_world(tmp_path, "intl", min_height_wait_s=2.0)
    try:
        deploy(world)
        lagging = world.nodes["peer0-org2"]
        with make_gateway(world, "insurer@Org1") as gateway:
            claims = gateway.network("claims")
            lagging.pause()
            done = claims.contract("ledger").submit("set", "a", 7, role="insurer")
            assert world.channel("peer0-org2").height() == done.block  # it missed the block
            timer = threading.Timer(0.2, lagging.resume)
            timer.start()
            assert claims.spread(done.block) == []  # waited for it
            timer.join()
            assert world.channel("peer0-org2").height() == done.block + 1
            lagging.pause()
            later = claims.contract("ledger").submit("set", "a", 8, role="insurer")
            assert claims.spread(later.block, timeout_s=0.3) == ["peer0-org2"]  # bounded, and said
            lagging.resume()
    finally:
        world.close()


def test_a_node_too_far_behind_is_passed_over(tmp_path):
    world = make_world(tmp_path, "intl", min_height_wait_s=0.1)
    try:
        deploy(world)
        with make_gateway(world, "insurer@Org2") as gateway:
            ledger = gateway.network("claims").contract("ledger")
            world.nodes["peer0-org2"].pause()
            ledger.submit("set", "a", 8, role="insurer")
            assert ledger.evaluate("get", "a") == 8
            assert gateway.is_down("peer0-org2")
    finally:
        world.close()


def test_step_by_step(world):
    deploy(world)
    world.network.auto_cut = False
    with make_gateway(world) as gateway:
        claims = gateway.network("claims")
        ledger = claims.contract("ledger")
        endorsed = ledger.endorse("set", "b", 3, role="insurer")
        assert endorsed.result is None and endorsed.events[0]["fields"] == {"key": "b", "value": 3}
        tx, node = claims.submit_envelope(ledger.envelope(endorsed))
        assert tx == endorsed.tx_id and node == "peer0-org1"
        assert claims.status(tx).status == "pending"
        assert claims.submit_envelope(ledger.envelope(endorsed))[0] == tx  # a retry is harmless
        timer = threading.Timer(0.1, world.network.cut, args=("claims",))
        timer.start()
        status = claims.wait(tx, timeout_s=5)
        timer.join()
        assert status.committed and status.code is ValidationCode.VALID and status.block == 2
        assert claims.seen_height == 3


def test_an_abort_is_raised_with_the_contracts_message_and_orders_nothing(world):
    deploy(world)
    with make_gateway(world) as gateway:
        ledger = gateway.network("claims").contract("ledger")
        with pytest.raises(ContractAborted) as caught:
            ledger.submit("refuse", role="insurer")
        assert "no, never" in caught.value.message and caught.value.code == "CONTRACT_ABORT"
        assert world.channel("peer0-org1").height() == 2
        with pytest.raises(ContractAborted) as recorded:
            ledger.submit("refuse", role="insurer", record_abort=True)
        assert "recorded as transaction" in recorded.value.message
        assert world.channel("peer0-org1").height() == 3
        with pytest.raises(ContractAborted, match="no such key"):
            ledger.evaluate("must", "nothing")


def test_refusals_keep_the_nodes_word(world):
    deploy(world)
    with make_gateway(world) as gateway:
        ledger = gateway.network("claims").contract("ledger")
        for call, code in [(lambda: ledger.submit("steal", role="insurer"), "unknown-entry"),
                           (lambda: ledger.submit("set", "a", "seven", role="insurer"), "arguments"),
                           (lambda: gateway.network("claims").contract("nothing").evaluate("get", "a"),
                            "unknown-contract")]:
            with pytest.raises(Refused) as caught:
                call()
            assert caught.value.code == code
    with make_gateway(world, "insurer@Org4") as outsider:
        with pytest.raises(Refused) as caught:
            outsider.network("claims").info()
        assert caught.value.code == "unknown-channel"


def test_the_role_is_chosen_from_the_entrys_roles(world):
    deploy(world)
    with make_gateway(world) as gateway:  # insurer@Org1 holds insurer and hospital
        ledger = gateway.network("claims").contract("ledger")
        assert ledger.role_for("set") == "insurer"  # only insurer may set
        assert ledger.role_for("get") in ("insurer", "hospital")  # a view: any that fits
        with pytest.raises(RoleError, match="insurer, hospital|hospital, insurer"):
            ledger.role_for("add")  # either may add: the caller must say which
        assert ledger.submit("add", 3, role="hospital").code == "VALID"


def test_events_are_followed_in_commit_order(world):
    deploy(world)
    with make_gateway(world) as gateway:
        claims = gateway.network("claims")
        ledger = claims.contract("ledger")
        for key, value in (("a", 1), ("b", 2)):
            ledger.submit("set", key, value, role="insurer")
        stream = claims.events(contract="ledger", name="Set", start_block=0, poll_s=0.01)
        seen = [next(stream), next(stream)]
        assert [(e.block, e.fields) for e in seen] == [(2, {"key": "a", "value": 1}), (3, {"key": "b", "value": 2})]
        later = threading.Timer(0.1, lambda: make_gateway(world).network("claims").contract("ledger").submit(
            "set", "c", 3, role="insurer"))
        later.start()
        assert next(stream).fields == {"key": "c", "value": 3}  # a new block, followed as it commits
        later.join()


def test_a_state_proof_is_checked(world):
    deploy(world)
    with make_gateway(world) as gateway:
        claims = gateway.network("claims")
        claims.contract("ledger").submit("set", "a", 1, role="insurer")
        proof = claims.prove(b"\x00contract\x00ledger")
        assert proof.present and proof.block == 2
