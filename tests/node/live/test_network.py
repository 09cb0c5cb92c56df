"""Real node processes of three organisations on loopback, driven through the CLI and the client
library: policies, crash safety with kill -9, channel isolation, and bad input on the node-to-node
port. Each test makes its own network (free ports) and stops every node it started."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
from pathlib import Path

import plyvel
import pytest

from node.chain.block import decode_block
from node.chain.channel import Channel
from node.client.errors import ClientError
from node.client.gateway import Gateway
from node.client.link import NodeDown
from node.crypto import get_suite
from node.network.layout import NetworkLayout
from node.tx.codes import ValidationCode
from tests.node.live.conftest import CONTRACTS, wait_for

POLICY = {"holder": "Li Lei", "sum_insured": "10000.00 CNY", "deductible": "500.00 CNY", "copay": "20%",
          "start": "2024-01-01", "end": "2099-12-31", "status": "Active"}

THREE_ORGS = '''
suite = "intl"
[[orgs]]
name = "Org1"
roles = ["insurer"]
[[orgs]]
name = "Org2"
roles = ["insurer", "hospital"]
[[orgs]]
name = "Org3"
roles = ["insurer", "hospital"]
[[channels]]
name = "claims"
orgs = ["Org1", "Org2", "Org3"]
'''


def deploy_health(net, policy: str, channel: str = "claims", admin: str = "admin@Org1") -> None:
    code, out = net.cli("contract", "deploy", str(CONTRACTS / "health.bao"), "--network", str(net.folder),
                        "--channel", channel, "--as", admin, "--policy", policy)
    assert code == 0, out


def test_two_of_three_policy_through_the_cli_and_a_policy_not_met_is_refused(live):
    net = live(THREE_ORGS)
    deploy_health(net, "2 of Org1, Org2, Org3")
    folder = str(net.folder)
    code, out = net.cli("contract", "invoke", "health", "issue", "P1", json.dumps(POLICY), "--network", folder,
                        "--channel", "claims", "--as", "insurer@Org1", "--json")
    assert code == 0, out
    issued = json.loads(out)
    assert issued["code"] == "VALID" and issued["block"] >= 2
    code, out = net.cli("contract", "invoke", "health", "settle", "P1", "1500.00 CNY", "2024-05-01", "--network",
                        folder, "--channel", "claims", "--as", "hospital@Org2", "--json")
    settled = json.loads(out)
    assert code == 0 and settled["result"] == "800.00 CNY", out
    assert [e["event"] for e in settled["events"]] == ["ClaimSettled"]
    # the effect is seen whichever node answers (read-your-writes through the height)
    code, out = net.cli("contract", "query", "health", "remaining", "P1", "--network", folder, "--channel", "claims",
                        "--as", "insurer@Org3", "--json")
    assert code == 0 and json.loads(out) == {"result": "9200.00 CNY"}, out
    code, out = net.cli("tx", "show", settled["tx_id"], "--network", folder, "--channel", "claims", "--json")
    assert code == 0 and json.loads(out)["code"] == "VALID", out
    # a refused call exits non-zero with the contract's own message
    code, out = net.cli("contract", "invoke", "health", "settle", "P9", "1.00 CNY", "2024-05-01", "--network",
                        folder, "--channel", "claims", "--as", "hospital@Org2", "--json")
    assert code != 0 and json.loads(out)["message"].startswith("unknown policy"), out
    # one endorsement where the policy needs two: ordered, then refused at validation
    with Gateway.for_network(net.folder, "insurer@Org1") as gateway:
        network = gateway.network("claims")
        contract = network.contract("health")
        endorsed = contract.endorse("issue", "P2", POLICY)
        assert len(endorsed.endorsements) == 2
        thin = dataclasses.replace(endorsed, endorsements=endorsed.endorsements[:1], endorsers=endorsed.endorsers[:1])
        tx_id, _ = network.submit_envelope(contract.envelope(thin))
        status = network.wait(tx_id)
        assert status.code is ValidationCode.ENDORSEMENT_POLICY_FAILURE
    report = net.status()
    hashes = {n["channels"]["claims"]["state_hash"] for n in report["nodes"]}
    heights = {n["channels"]["claims"]["height"] for n in report["nodes"]}
    assert len(heights) == 1 or wait_for(lambda: len({n["channels"]["claims"]["height"]
                                                       for n in net.status()["nodes"]}) == 1, 10, "equal heights")
    assert len({n["channels"]["claims"]["state_hash"] for n in net.status()["nodes"]}) == 1, hashes


def _stream(net, count: int, committed: list[str], stop: threading.Event) -> None:
    """Invoke `issue` again and again; keep the tx id of every call reported committed."""
    with Gateway.for_network(net.folder, "insurer@Org2", commit_timeout_s=20) as gateway:
        contract = gateway.network("claims").contract("health")
        for i in range(count):
            if stop.is_set():
                return
            try:
                committed.append(contract.submit("issue", f"S{i}", POLICY).tx_id)
            except (ClientError, NodeDown):
                continue  # a node is down: the call may or may not have committed, so it is not counted


def test_kill_9_during_a_stream_of_commits_loses_nothing_reported_committed(live):
    net = live(THREE_ORGS)
    deploy_health(net, "any of Org2, Org3")
    committed: list[str] = []
    stop = threading.Event()
    writer = threading.Thread(target=_stream, args=(net, 60, committed, stop))
    writer.start()
    try:
        wait_for(lambda: len(committed) >= 5, 60, "five commits before the crash")
        net.kill9("peer0-org3")  # a peer that endorses ...
        wait_for(lambda: len(committed) >= 15, 60, "commits while peer0-org3 is down")
        net.kill9("peer0-org1")  # ... and the orderer
        net.up()  # restart both from their databases
        wait_for(lambda: len(committed) >= 30, 90, "commits after the restart")
    finally:
        stop.set()
        writer.join(60)
    assert not writer.is_alive()
    final = {n["name"]: n["channels"]["claims"] for n in net.status()["nodes"]}
    wait_for(lambda: len({n["channels"]["claims"]["height"] for n in net.status()["nodes"]}) == 1, 30,
             "every node to reach the same height")
    net.stop_all()
    layout = NetworkLayout(net.folder)
    suite = get_suite("intl")
    roots = set()
    for node in ("peer0-org1", "peer0-org2", "peer0-org3"):
        channel = Channel.open(layout.node(node) / "data" / "claims", "intl")
        try:
            # every transaction reported committed is there, VALID
            for tx in committed:
                found = channel.transaction(bytes.fromhex(tx))
                assert found is not None and found.code is ValidationCode.VALID, (node, tx)
            # the hash chain is intact and each header carries the state hash after the block before
            previous = None
            for n in range(channel.height()):
                block = channel.block(n)
                record = channel.commit_record(n)
                if previous is not None:
                    assert block.header.previous == previous[0] and block.header.state == previous[1], (node, n)
                previous = (channel.block_id(block), record.state)
            # the stored state hash equals one recomputed from every entry
            assert channel.state.recompute_root() == channel.state_hash(), node
            roots.add(channel.state_hash())
        finally:
            channel.close()
    assert len(roots) == 1, final


TWO_CHANNELS = '''
suite = "intl"
consensus = "solo"
[[orgs]]
name = "Org1"
roles = ["insurer"]
[[orgs]]
name = "Org2"
roles = ["insurer"]
[[orgs]]
name = "Org3"
roles = ["insurer"]
[[channels]]
name = "alpha"
orgs = ["Org1", "Org2"]
[[channels]]
name = "beta"
orgs = ["Org2", "Org3"]
'''


def test_a_member_of_one_channel_reads_nothing_of_the_other(live):
    net = live(TWO_CHANNELS)
    deploy_health(net, "any of Org2, Org3", channel="beta", admin="admin@Org2")
    secret = "BETA-ONLY-" + "7" * 12
    with Gateway.for_network(net.folder, "insurer@Org3") as gateway:
        gateway.network("beta").contract("health").submit("issue", secret, POLICY)
    # Org1 (alpha only) asks every node about beta, through every endpoint: nothing, alike to a made-up channel
    with Gateway.for_network(net.folder, "insurer@Org1") as gateway:
        for node in gateway.nodes:
            link = gateway.link(node)
            for rest in ("", "/blocks/1", "/contracts/health", f"/transactions/{'00' * 32}"):
                answers = []
                for channel in ("beta", "made-up"):
                    try:
                        link.json("GET", f"/api/v1/channels/{channel}{rest}")
                        answers.append("answered")
                    except ClientError as exc:
                        answers.append(getattr(exc, "code", str(exc)))
                assert answers == ["unknown-channel", "unknown-channel"], (node.name, rest, answers)
    # beta's data never reached Org1's node: no database, and no byte of it in alpha's
    layout = NetworkLayout(net.folder)
    data = layout.node("peer0-org1") / "data"
    assert sorted(p.name for p in data.iterdir() if p.name != "_users") == ["alpha"]  # _users: node.users
    net.stop_all()
    db = plyvel.DB(str(data / "alpha"))
    try:
        assert not any(secret.encode() in k or secret.encode() in v for k, v in db.iterator())
    finally:
        db.close()
    log = (layout.node("peer0-org1") / "node.log").read_text()
    assert secret not in log


def test_garbage_on_the_node_to_node_port_is_dropped_and_the_node_keeps_serving(live):
    net = live(orgs=2)
    index = NetworkLayout(net.folder).load_index()
    node = index.node("peer0-org2")
    host, port = node.p2p.rsplit(":", 1)
    for garbage in (b"\x00\x00\x00\x05hello", b"GET / HTTP/1.1\r\n\r\n", b"\xff" * 4096, b"\x16\x03\x01\x00\x05abcde"):
        with socket.create_connection((host, int(port)), timeout=5) as s:
            s.sendall(garbage)
    deploy_health(net, "any of Org1, Org2", channel="main")
    with Gateway.for_network(net.folder, "insurer@Org1") as gateway:
        committed = gateway.network("main").contract("health").submit("issue", "G1", POLICY)
    assert committed.code == "VALID"
    assert all(n["alive"] for n in net.status()["nodes"])


def test_a_node_that_cannot_start_is_named_with_its_log_and_nothing_is_left_running(tmp_path):
    from node.network import control
    from node.network.init import init_network
    from node.network.spec import spec_for_orgs
    from tests.node.live.conftest import LiveNetwork

    init_network(spec_for_orgs(2, "intl"), tmp_path / "net")
    net = LiveNetwork(tmp_path / "net")
    broken = NetworkLayout(net.folder).node_config("peer0-org2")
    broken.write_text(broken.read_text().replace('org = "Org2"', 'orgg = "Org2"', 1))
    try:
        code, out = net.cli("network", "up", str(net.folder), "--timeout", "30")
        assert code == 1, out
        assert "peer0-org2" in out and "orgg" in out and "did you mean org" in out, out
        assert net.pids() == {}, "the nodes `up` started are stopped again"
    finally:
        net.stop_all()
    assert control.status(net.folder)["nodes"][0]["alive"] is False
