"""GET /metrics and the figures of GET /api/v1/node on the in-process network: Prometheus text
without authentication, counts that move as transactions commit (by code) and endorsements are
made or refused (by reason), histograms that observe, the orderer's queue, the process, nodes that
count apart, and a node without channel labels that names no channel."""

from __future__ import annotations

import time

from prometheus_client.parser import text_string_to_metric_families

from node.metrics import NodeMetrics
from tests.node.api.world import deploy_ledger, envelope, invoke, signed_proposal

Series = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(world, node: str = "peer0-org1") -> Series:
    answer = world.get("/metrics", who=None, node=node)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def value(series: Series, metric: str, **labels: str) -> float | None:
    return series.get((metric, frozenset(labels.items())))


def test_metrics_answer_unsigned_in_the_prometheus_text_format_with_the_process(world):
    series = scrape(world)
    assert value(series, "baochain_node_info", name="peer0-org1", org="Org1",
                 version=world.nodes["peer0-org1"].version) == 1
    assert value(series, "process_cpu_seconds_total") > 0
    assert value(series, "process_resident_memory_bytes") > 10 * 2**20
    assert value(series, "process_open_fds") >= 3  # LevelDB files at least
    assert 0 < time.time() - value(series, "process_start_time_seconds") < 24 * 3600
    assert value(series, "baochain_host_network_sent_bytes_total") >= 0
    assert value(series, "baochain_channel_height", channel="claims") == 1  # the genesis block
    assert value(series, "baochain_peers") == 2 and value(series, "baochain_peers_connected") == 2
    assert value(series, "baochain_peer_connected", peer="peer0-org2", org="Org2") == 1
    assert value(series, "baochain_blocks_committed_total", channel="claims") == 0  # genesis is not counted
    assert world.get("/openapi.json", who=None).json()["paths"]["/metrics"]["get"]


def test_counts_move_as_transactions_commit_by_their_code(world):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 1)
    invoke(world, "insurer@Org1", "refuse")  # endorsed, ordered, recorded CONTRACT_ABORT
    thin = envelope(world, "insurer@Org1", signed_proposal(world, "insurer@Org1", "ledger", "set", "b", 2),
                    orgs=("Org1",))
    world.network.submit("claims", thin)  # one endorsement where the majority needs two
    for node in ("peer0-org1", "peer0-org2", "peer0-org3"):
        series = scrape(world, node)
        codes = {dict(labels)["code"]: v for (name, labels), v in series.items()
                 if name == "baochain_transactions_total"}
        assert codes == {"VALID": 2, "CONTRACT_ABORT": 1, "ENDORSEMENT_POLICY_FAILURE": 1}, node
        assert value(series, "baochain_blocks_committed_total", channel="claims") == 4
        assert value(series, "baochain_channel_height", channel="claims") == 5
        assert value(series, "baochain_commit_seconds_count", channel="claims") == 4
        assert value(series, "baochain_commit_seconds_bucket", channel="claims", le="+Inf") == 4
        assert 0 < value(series, "baochain_commit_seconds_sum", channel="claims") < 60
    assert value(scrape(world, "peer0-org2"), "baochain_blocks_committed_total", channel="reinsurance") == 0
    assert value(scrape(world, "peer0-org3"), "baochain_blocks_committed_total", channel="reinsurance") is None


def test_endorsements_made_and_refused_by_reason_through_the_api(world):
    deploy_ledger(world)
    good = signed_proposal(world, "insurer@Org1", "ledger", "set", "a", 1)
    unknown = signed_proposal(world, "insurer@Org1", "nothing", "set", "a", 1)
    assert world.post("/api/v1/channels/claims/endorse", good, node="peer0-org2").status_code == 200
    refused = world.post("/api/v1/channels/claims/endorse", unknown, node="peer0-org2")
    assert refused.status_code == 404 and refused.json()["code"] == "unknown-contract"
    series = scrape(world, "peer0-org2")
    assert value(series, "baochain_endorsements_total", channel="claims") == 2  # the deploy's, and this one
    assert value(series, "baochain_endorsements_refused_total", channel="claims", reason="unknown-contract") == 1
    assert value(series, "baochain_endorsement_seconds_count", channel="claims") == 3
    assert 0 < value(series, "baochain_endorsement_seconds_sum", channel="claims") < 60


def test_two_nodes_in_one_process_count_apart(world):
    deploy_ledger(world)  # endorsed by all three
    invoke(world, "insurer@Org1", "set", "a", 1)  # endorsed by Org1 and Org2
    world.nodes["peer0-org3"].pause()
    invoke(world, "insurer@Org1", "set", "b", 2)
    one, three = scrape(world, "peer0-org1"), scrape(world, "peer0-org3")
    assert value(one, "baochain_endorsements_total", channel="claims") == 3
    assert value(three, "baochain_endorsements_total", channel="claims") == 1
    assert value(one, "baochain_blocks_committed_total", channel="claims") == 3
    assert value(three, "baochain_blocks_committed_total", channel="claims") == 2
    assert value(three, "baochain_peers_connected") == 0
    nodes = world.nodes.values()
    assert len({id(n.metrics.registry) for n in nodes}) == 3


def test_the_orderers_pending_items(world):
    deploy_ledger(world)
    env = envelope(world, "insurer@Org1", signed_proposal(world, "insurer@Org1", "ledger", "set", "a", 1))
    world.network.enqueue("claims", env)
    assert value(scrape(world, "peer0-org1"), "baochain_orderer_pending", channel="claims") == 1
    assert value(scrape(world, "peer0-org2"), "baochain_orderer_pending", channel="claims") is None
    world.network.cut("claims")
    assert value(scrape(world, "peer0-org1"), "baochain_orderer_pending", channel="claims") == 0


def test_the_node_shows_its_process_and_its_peers_links(world):
    answer = world.get("/api/v1/node", who=None).json()
    process = answer["process"]
    assert set(process) == {"cpu_seconds", "memory_bytes", "open_files", "uptime_s"}
    assert process["cpu_seconds"] > 0 and process["memory_bytes"] > 0 and process["open_files"] > 0
    assert process["uptime_s"] >= 0
    assert answer["peers"][0] == {"name": "peer0-org2", "org": "Org2", "connected": True, "link": None}


def test_without_channel_labels_no_channel_is_named(world):
    node = world.nodes["peer0-org1"]
    node.metrics = NodeMetrics(node.name, node.org, node.version, node, channel_labels=False)
    for channel in node.channels().values():
        node.metrics.attach(channel)
    deploy_ledger(world)
    deploy_ledger(world, channel="reinsurance")
    invoke(world, "insurer@Org1", "refuse")
    answer = world.get("/metrics", who=None)
    assert "claims" not in answer.text and "reinsurance" not in answer.text and 'channel="' not in answer.text
    series = scrape(world)
    assert value(series, "baochain_blocks_committed_total") == 3  # summed over both channels
    assert value(series, "baochain_transactions_total", code="VALID") == 2
    assert value(series, "baochain_transactions_total", code="CONTRACT_ABORT") == 1
    assert value(series, "baochain_orderer_pending") == 0
    assert not [name for name, _ in series if name == "baochain_channel_height"]
