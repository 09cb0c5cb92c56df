"""Monitoring real node processes: `network status` (text and --json) shows each node's process
and links, and a node's /metrics, unsigned, counts the links' bytes and the commits it made."""

from __future__ import annotations

import json

from prometheus_client.parser import text_string_to_metric_families

from node.client.gateway import Gateway
from tests.node.live.test_network import POLICY, deploy_health


def test_status_and_metrics_of_node_processes(live):
    net = live(orgs=2)
    deploy_health(net, "any of Org1, Org2", channel="main")
    with Gateway.for_network(net.folder, "insurer@Org2") as gateway:  # through the peer, to the orderer
        assert gateway.network("main").contract("health").submit("issue", "M1", POLICY).code == "VALID"
    code, out = net.cli("network", "status", str(net.folder), "--json")
    assert code == 0, out
    nodes = json.loads(out)["nodes"]
    for node, other in zip(nodes, reversed(nodes)):
        assert {"name", "org", "pid", "alive", "api", "channels", "version", "process", "peers"} <= set(node)
        process = node["process"]
        assert set(process) == {"cpu_seconds", "memory_bytes", "open_files", "uptime_s"}, process
        assert process["cpu_seconds"] > 0 and process["memory_bytes"] > 0 and process["open_files"] > 0
        (peer,) = node["peers"]
        assert peer["name"] == other["name"] and peer["connected"], peer
        assert peer["link"]["sent_bytes"] > 0 and peer["link"]["received_bytes"] > 0
    code, out = net.cli("network", "status", str(net.folder))
    assert code == 0 and "  process: cpu " in out and "  peers: peer0-org2 up" in out, out

    answer = net.get("peer0-org2", "/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    series = {(s.name, tuple(sorted(s.labels.items()))): s.value
              for family in text_string_to_metric_families(answer.text) for s in family.samples}
    assert series[("baochain_transactions_total", (("channel", "main"), ("code", "VALID")))] >= 2
    assert series[("baochain_commit_seconds_count", (("channel", "main"),))] >= 2  # from each block's arrival
    assert series[("baochain_endorsements_total", (("channel", "main"),))] >= 1
    assert series[("baochain_link_sent_bytes_total", (("peer", "peer0-org1"),))] > 0
    assert series[("baochain_peers_connected", ())] == 1
