"""`NodeMetrics` on its own, over stand-in sources and channels: every row of the table is
exposed with its kind, events feed the instruments, scrape-time figures are read when scraped,
registries are per node, and which API addresses get channel labels."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from types import SimpleNamespace

from prometheus_client.parser import text_string_to_metric_families

from node.api.runtime import Peer
from node.metrics import METRICS, LinkFigures, NodeMetrics, ProcessReader, channel_labels_for
from node.order.pbft_orderer import ConsensusFigures
from node.tx.codes import ValidationCode


@dataclass
class FakeChannel:
    name: str
    blocks: int = 1
    observer: object = None

    def height(self) -> int:
        return self.blocks


@dataclass
class Sources:
    channels_: dict[str, FakeChannel] = field(default_factory=dict)
    links_: list[LinkFigures] = field(default_factory=list)
    pending: dict[str, int] = field(default_factory=dict)
    consensus_: dict[str, ConsensusFigures] = field(default_factory=dict)

    def channels(self):
        return self.channels_

    def peers(self):
        return [Peer(link.peer, link.org, link.connected) for link in self.links_]

    def link_figures(self):
        return self.links_

    def orderer_pending(self):
        return self.pending

    def consensus(self):
        return self.consensus_


def families(metrics: NodeMetrics) -> dict[str, object]:
    return {f.name: f for f in text_string_to_metric_families(metrics.exposition().decode())}


def samples(metrics: NodeMetrics) -> dict[tuple[str, tuple], float]:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for f in text_string_to_metric_families(metrics.exposition().decode()) for s in f.samples}


def record(*codes: ValidationCode) -> SimpleNamespace:
    return SimpleNamespace(codes=codes)


def _figures(*, view: int, leader: str, sequence: int, checkpoint: int, prepares: int) -> ConsensusFigures:
    return ConsensusFigures(view=view, leader=leader, sequence=sequence, checkpoint=checkpoint,
                            replicas=("peer0-org1", "peer0-org2", "peer0-org3"), peers=("peer0-org2",),
                            messages_in={"prepare": prepares, "commit": prepares + 1}, messages_out={"commit": 9},
                            view_changes=view, dropped=1)


def make(**options) -> tuple[NodeMetrics, Sources]:
    sources = Sources({"claims": FakeChannel("claims", 3), "audit": FakeChannel("audit")},
                      [LinkFigures("peer0-org2", "Org2", True, 100, 200, 1, 2, 1),
                       LinkFigures("peer0-org3", "Org3", False, 0, 0, 0, 0, 0)], {"claims": 4},
                      {"claims": _figures(view=2, leader="peer0-org3", sequence=40, checkpoint=32, prepares=70),
                       "audit": _figures(view=0, leader="peer0-org1", sequence=3, checkpoint=0, prepares=5)})
    metrics = NodeMetrics("peer0-org1", "Org1", "9.9", sources, **options)
    for channel in sources.channels_.values():
        metrics.attach(channel)
    return metrics, sources


def test_every_row_is_exposed_with_its_kind():
    metrics, _ = make()
    exposed = families(metrics)
    for row in METRICS:
        if row.kind == "info":  # the 0.0.4 text format has no info type: a gauge of 1
            assert exposed[row.name].type == "gauge", row.name
        else:
            family = exposed[row.name.removesuffix("_total")]
            assert family.type == row.kind, row.name


def test_events_feed_the_instruments_and_figures_are_read_when_scraped():
    metrics, sources = make()
    claims = sources.channels_["claims"]
    assert claims.observer is metrics
    metrics.committed(claims, None, record(ValidationCode.VALID, ValidationCode.VALID,
                                           ValidationCode.MVCC_READ_CONFLICT), 0.003)
    metrics.endorsed(claims, None, 0.002)
    metrics.endorsed(claims, "expired", 0.0001)
    s = samples(metrics)
    assert s[("baochain_transactions_total", (("channel", "claims"), ("code", "VALID")))] == 2
    assert s[("baochain_transactions_total", (("channel", "claims"), ("code", "MVCC_READ_CONFLICT")))] == 1
    assert s[("baochain_blocks_committed_total", (("channel", "claims"),))] == 1
    assert s[("baochain_blocks_committed_total", (("channel", "audit"),))] == 0  # attached: there from the start
    assert s[("baochain_commit_seconds_bucket", (("channel", "claims"), ("le", "0.0025")))] == 0
    assert s[("baochain_commit_seconds_bucket", (("channel", "claims"), ("le", "0.005")))] == 1
    assert s[("baochain_endorsements_total", (("channel", "claims"),))] == 1
    assert s[("baochain_endorsements_refused_total", (("channel", "claims"), ("reason", "expired")))] == 1
    assert s[("baochain_endorsement_seconds_count", (("channel", "claims"),))] == 2
    assert s[("baochain_channel_height", (("channel", "claims"),))] == 3
    assert s[("baochain_orderer_pending", (("channel", "claims"),))] == 4
    assert s[("baochain_peers_connected", ())] == 1 and s[("baochain_peers", ())] == 2
    assert s[("baochain_peer_connected", (("org", "Org3"), ("peer", "peer0-org3")))] == 0
    assert s[("baochain_link_sent_bytes_total", (("peer", "peer0-org2"),))] == 100
    assert s[("baochain_link_received_bytes_total", (("peer", "peer0-org2"),))] == 200
    assert s[("baochain_link_inbound_queue", (("peer", "peer0-org2"),))] == 2
    assert s[("baochain_node_info", (("name", "peer0-org1"), ("org", "Org1"), ("version", "9.9")))] == 1
    claims.blocks, sources.pending["claims"] = 7, 0
    s = samples(metrics)
    assert s[("baochain_channel_height", (("channel", "claims"),))] == 7
    assert s[("baochain_orderer_pending", (("channel", "claims"),))] == 0


def test_each_node_has_its_own_registry():
    one, _ = make()
    two, sources = make()
    two.committed(sources.channels_["claims"], None, record(ValidationCode.VALID), 0.001)
    assert samples(two)[("baochain_blocks_committed_total", (("channel", "claims"),))] == 1
    assert samples(one)[("baochain_blocks_committed_total", (("channel", "claims"),))] == 0
    assert one.registry is not two.registry


def test_without_channel_labels_counts_are_summed_and_no_channel_is_named():
    metrics, sources = make(channel_labels=False)
    metrics.committed(sources.channels_["claims"], None, record(ValidationCode.VALID), 0.001)
    metrics.committed(sources.channels_["audit"], None, record(ValidationCode.VALID), 0.001)
    metrics.endorsed(sources.channels_["audit"], "identity", 0.001)
    text = metrics.exposition().decode()
    assert "claims" not in text and "audit" not in text and 'channel="' not in text
    s = samples(metrics)
    assert s[("baochain_blocks_committed_total", ())] == 2
    assert s[("baochain_transactions_total", (("code", "VALID"),))] == 2
    assert s[("baochain_endorsements_refused_total", (("reason", "identity"),))] == 1
    assert s[("baochain_orderer_pending", ())] == 4
    assert not any(name == "baochain_channel_height" for name, _ in s)


def test_the_process_figures_are_this_process():
    figures = ProcessReader().read()
    assert figures.cpu_seconds > 0 and figures.memory_bytes > 0 and figures.uptime_s >= 0
    if os.path.isdir("/proc/self/fd"):  # listing it opens one more
        assert abs(figures.open_files - len(os.listdir("/proc/self/fd"))) <= 1
    host = ProcessReader.host_network()
    assert host is None or (host.sent_bytes >= 0 and host.received_bytes >= 0)


def test_channel_labels_only_for_an_api_on_loopback():
    assert channel_labels_for("127.0.0.1") and channel_labels_for("::1") and channel_labels_for("localhost")
    assert channel_labels_for("127.0.0.2")
    assert not channel_labels_for("0.0.0.0") and not channel_labels_for("10.1.2.3")
    assert not channel_labels_for("node1.example.com") and not channel_labels_for("::")


def test_the_package_docstring_lists_every_metric():
    import node.metrics

    for row in METRICS:
        assert row.name in node.metrics.__doc__, row.name


def test_consensus_figures_per_channel_and_summed_without_channel_labels():
    metrics, _ = make()
    s = samples(metrics)
    assert s[("baochain_pbft_view", (("channel", "claims"),))] == 2
    assert s[("baochain_pbft_leader", (("channel", "claims"), ("leader", "peer0-org3")))] == 1
    assert s[("baochain_pbft_checkpoint", (("channel", "claims"),))] == 32
    assert s[("baochain_pbft_peers_connected", (("channel", "audit"),))] == 1
    assert s[("baochain_pbft_messages_in_total", (("channel", "claims"), ("type", "prepare")))] == 70
    assert s[("baochain_pbft_view_changes_total", (("channel", "claims"),))] == 2
    bare = samples(make(channel_labels=False)[0])
    assert bare[("baochain_pbft_view", ())] == 2 and bare[("baochain_pbft_sequence", ())] == 40
    assert bare[("baochain_pbft_messages_in_total", (("type", "prepare"),))] == 75
    assert bare[("baochain_pbft_dropped_total", ())] == 2
    assert not [k for k in bare if k[0] == "baochain_pbft_leader"]  # a leader names a channel's replica
