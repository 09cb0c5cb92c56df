"""PBFT across real node processes of four organisations on loopback (issue 9): the leader killed
with SIGKILL under a steady stream of invokes, a follower stopped and restarted while the others
keep ordering, and at the end every node holding the same blocks and state, with every
transaction reported committed among them. Each test makes its own network (free ports) and stops
every node it started, by pid, whatever happens."""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import threading

import plyvel
from prometheus_client.parser import text_string_to_metric_families

from node import codec

from node.chain.channel import Channel
from node.client.errors import ClientError
from node.client.gateway import Gateway
from node.client.link import NodeDown
from node.network.layout import NetworkLayout
from node.crypto import get_suite
from node.order.pbft import decode_signed
from node.order.pbft_orderer import PBFT_ATTESTATION, PbftOrderer
from node.tx.codes import ValidationCode
from tests.node.live.conftest import CONTRACTS, wait_for

POLICY = {"holder": "Li Lei", "sum_insured": "10000.00 CNY", "deductible": "500.00 CNY", "copay": "20%",
          "start": "2024-01-01", "end": "2099-12-31", "status": "Active"}
NODES = ("peer0-org1", "peer0-org2", "peer0-org3", "peer0-org4")


def _stream(net, committed: list[str], stop: threading.Event, prefix: str) -> None:
    """Invoke `issue` again and again through whichever nodes answer; keep the tx id of every call
    reported committed."""
    with Gateway.for_network(net.folder, "insurer@Org2", commit_timeout_s=30) as gateway:
        contract = gateway.network("main").contract("health")
        i = 0
        while not stop.is_set():
            i += 1
            try:
                committed.append(contract.submit("issue", f"{prefix}{i}", POLICY).tx_id)
            except (ClientError, NodeDown):
                continue  # a node is down: the call may or may not have committed, so it is not counted


def _channels(net) -> dict[str, dict]:
    return {n["name"]: n["channels"].get("main", {}) for n in net.status()["nodes"] if n["alive"]}


def _level(net) -> bool:
    """All four nodes answer, at one height with one state hash."""
    seen = _channels(net)
    return len(seen) == 4 and len({(c["height"], c["state_hash"]) for c in seen.values()}) == 1


def _stop(net, node: str) -> None:
    """SIGTERM: the node shuts down cleanly."""
    pid = net.pids()[node]
    os.kill(pid, signal.SIGTERM)
    wait_for(lambda: node not in net.pids(), 20, f"{node} (pid {pid}) to stop after SIGTERM")


def test_a_killed_leader_is_replaced_a_stopped_follower_catches_up_and_nothing_committed_is_lost(live):
    net = live(orgs=4, suite="intl")
    code, out = net.cli("contract", "deploy", str(CONTRACTS / "health.bao"), "--network", str(net.folder),
                        "--channel", "main", "--as", "admin@Org1", "--policy", "2 of Org1, Org2, Org3, Org4")
    assert code == 0, out
    first = _channels(net)
    assert {c["consensus"] for c in first.values()} == {"pbft"}
    leader = first["peer0-org2"]["leader"]
    assert leader in NODES and {c["leader"] for c in first.values()} == {leader}

    committed: list[str] = []
    stop = threading.Event()
    writer = threading.Thread(target=_stream, args=(net, committed, stop, "K"))
    writer.start()
    try:
        wait_for(lambda: len(committed) >= 5, 60, "five commits before the leader is killed")
        net.kill9(leader)
        before = len(committed)
        # the others suspect it (a request waits), change view, and the stream resumes
        wait_for(lambda: len(committed) >= before + 5, 90, f"five commits after killing the leader {leader}")
        after = _channels(net)
        assert leader not in after
        assert all(c["view"] >= 1 and c["leader"] != leader for c in after.values()), after
        assert all(leader not in c["peers"] for c in after.values()), after
        # the old leader comes back from its database and catches up while the stream goes on
        net.up()
        wait_for(lambda: _level(net), 90, f"{leader} to catch up after its restart")
        # a follower stops cleanly; the other three (a quorum of four) keep ordering past a checkpoint
        follower = next(n for n in NODES if n != _channels(net)["peer0-org2"]["leader"] and n != "peer0-org2")
        _stop(net, follower)
        before = len(committed)
        wait_for(lambda: len(committed) >= before + 20, 120, f"twenty commits while {follower} is down")
        net.up()
        before = len(committed)
        wait_for(lambda: len(committed) >= before + 3, 90, f"three commits after {follower} restarted")
    finally:
        stop.set()
        writer.join(60)
    assert not writer.is_alive()

    wait_for(lambda: _level(net), 60, "all four nodes at one height with one state hash")
    # checkpoints became stable everywhere (a node that caught up by pulling learns the proof from
    # its peers' answers to its statuses, once its own progress stalls: after the stream)
    wait_for(lambda: all(c["checkpoint"] >= 16 for c in _channels(net).values()), 30,
             "every node to hold a stable checkpoint at block 16 or later")
    final = _channels(net)
    assert all(len(c["peers"]) == 3 for c in final.values()), final
    # the consensus in the node's metrics (loopback: labelled by channel)
    survivor = next(n for n in NODES if n != leader)
    metrics = net.get(survivor, "/metrics").text
    assert sample(metrics, "baochain_pbft_view", channel="main") >= 1
    assert sample(metrics, "baochain_pbft_view_changes_total", channel="main") >= 1
    assert sample(metrics, "baochain_pbft_messages_in_total", channel="main", type="prepare") > 0
    assert sample(metrics, "baochain_pbft_messages_out_total", channel="main", type="commit") > 0
    assert sample(metrics, "baochain_pbft_checkpoint", channel="main") >= 16
    net.stop_all()

    layout = NetworkLayout(net.folder)
    chains = set()
    for node in NODES:
        channel = Channel.open(layout.node(node) / "data" / "main", "intl")
        try:
            for tx in committed:  # every transaction reported committed is there, VALID
                found = channel.transaction(bytes.fromhex(tx))
                assert found is not None and found.code is ValidationCode.VALID, (node, tx)
            # each block after the genesis is kept with its commit certificate
            assert all(channel.blocks.attestation(n)[0] == PBFT_ATTESTATION for n in range(1, channel.height()))
            assert channel.state.recompute_root() == channel.state_hash(), node
            chains.add((channel.height(), channel.latest_id(), channel.state_hash()))
        finally:
            channel.close()
    assert len(chains) == 1
    _commit_certificates_prove_their_blocks_only(layout)


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series of a Prometheus exposition."""
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    raise AssertionError(f"no sample {name}{labels}")


def _commit_certificates_prove_their_blocks_only(layout: NetworkLayout) -> None:
    """What a node pulling blocks checks (`PbftOrderer.check_block`): a block with its own commit
    certificate passes; another block's certificate, a changed batch, too few commits or a forged
    one do not."""
    channel = Channel.open(layout.node("peer0-org2") / "data" / "main", "intl")
    try:
        key = get_suite("intl").generate_key()

        async def nothing(*_: object) -> None:
            return None

        # the configuration is the genesis one throughout: sequence number n is block n
        orderer = PbftOrderer(channel, "peer0-org2", key, nothing, lambda peer: None)
        block = channel.block(5)
        kind, proof = channel.blocks.attestation(5)
        assert orderer.check_block(block, (kind, proof)) == ""
        assert "another sequence number" in orderer.check_block(channel.block(6), (kind, proof))
        changed = dataclasses.replace(block, header=dataclasses.replace(block.header, time_ms=block.header.time_ms + 1))
        assert "another batch" in orderer.check_block(changed, (kind, proof))
        commits = codec.decode(proof)
        assert "valid commits" in orderer.check_block(block, (kind, codec.encode(commits[:2])))
        assert "valid commits" in orderer.check_block(block, (kind, codec.encode(commits[:2] + commits[1:2])))
        forged = decode_signed(commits[0], orderer._instance.config)
        forged = dataclasses.replace(forged, signature=bytes(len(forged.signature)))
        assert "valid commits" in orderer.check_block(block, (kind, codec.encode([forged.to_bytes(), *commits[1:3]])))
        assert "no commit certificate" in orderer.check_block(block, (b"solo", proof))
        assert "malformed" in orderer.check_block(block, (kind, b"\x01garbage"))
    finally:
        channel.close()


def test_add_node_under_load_makes_five_replicas_and_the_new_ones_votes_count(live):
    net = live(orgs=4, suite="intl")
    code, out = net.cli("contract", "deploy", str(CONTRACTS / "health.bao"), "--network", str(net.folder),
                        "--channel", "main", "--as", "admin@Org1", "--policy", "any of Org1, Org2, Org3, Org4")
    assert code == 0, out
    committed: list[str] = []
    stop = threading.Event()
    writer = threading.Thread(target=_stream, args=(net, committed, stop, "A"))
    writer.start()
    try:
        wait_for(lambda: len(committed) >= 3, 60, "three commits before the new node")
        code, out = net.cli("network", "add-node", str(net.folder), "--org", "Org5", "--roles", "insurer,hospital")
        assert code == 0, out
        assert "channel main: configuration 1 adds Org5 and its node as a consenter" in out
        assert "peer0-org5 of Org5 joined main" in out
        five = _channels(net)
        assert set(five) == {*NODES, "peer0-org5"}
        before = len(committed)
        wait_for(lambda: len(committed) >= before + 3, 60, "three commits with five replicas")
        # n = 5, f = 1, a quorum is 4: with an old node stopped, nothing commits without the new one's votes
        leader = _channels(net)["peer0-org2"]["leader"]
        stopped = next(n for n in NODES if n not in (leader, "peer0-org2"))
        _stop(net, stopped)
        before = len(committed)
        wait_for(lambda: len(committed) >= before + 5, 60, f"five commits with {stopped} stopped")
    finally:
        stop.set()
        writer.join(60)
    assert not writer.is_alive()
    seen = _channels(net)
    assert len(seen["peer0-org5"]["peers"]) == 3, seen  # linked to every running replica
    wait_for(lambda: len({(c["height"], c["state_hash"]) for c in _channels(net).values()}) == 1, 30,
             "the four running nodes at one height with one state hash")
    # the new organisation's identities work: its insurer reads through its own node
    code, out = net.cli("contract", "query", "health", "remaining", "A1", "--network", str(net.folder), "--channel",
                        "main", "--as", "insurer@Org5", "--json")
    assert code == 0 and json.loads(out) == {"result": "10000.00 CNY"}, out


def test_a_node_whose_block_store_was_damaged_sets_it_aside_and_rebuilds_it_from_its_peers(live):
    net = live(orgs=4, suite="intl")
    code, out = net.cli("contract", "deploy", str(CONTRACTS / "health.bao"), "--network", str(net.folder),
                        "--channel", "main", "--as", "admin@Org1", "--policy", "any of Org1, Org2, Org3, Org4")
    assert code == 0, out
    with Gateway.for_network(net.folder, "insurer@Org1") as gateway:
        contract = gateway.network("main").contract("health")
        for i in range(4):
            contract.submit("issue", f"D{i}", POLICY)
    wait_for(lambda: _level(net), 30, "all four nodes at one height")
    net.stop_all()
    # a changed byte in block 3 of peer0-org4: it no longer hashes to its id
    layout = NetworkLayout(net.folder)
    folder = layout.node("peer0-org4") / "data" / "main"
    db = plyvel.DB(str(folder))
    try:
        key = b"Bb" + (3).to_bytes(8, "big")
        data = bytearray(db.get(key))
        data[-20] ^= 0x01
        db.put(key, bytes(data), sync=True)
    finally:
        db.close()
    net.up()  # returns once every node is ready: peer0-org4 only after it rebuilt the channel
    log = (layout.node("peer0-org4") / "node.log").read_text()
    assert "its database is damaged (block 3 " in log, log[-2000:]
    assert "channel main rebuilt from the other nodes" in log
    assert len(list(folder.parent.glob("main.damaged-*"))) == 1  # kept for inspection, never read again
    assert _level(net)
    with Gateway.for_network(net.folder, "insurer@Org4") as gateway:  # and it serves again
        assert gateway.network("main").contract("health").evaluate("remaining", "D3") == "10000.00 CNY"
