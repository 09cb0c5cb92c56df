"""`NodeMetrics`: one node's Prometheus registry, its instruments, and their exposition.

Every metric is one row of `METRICS` (name as exposed, kind, labels, help); the instruments and
the scrape-time families are built from the rows, and the package docstring lists them. Each
node has its own ``CollectorRegistry``, never prometheus_client's global one: two nodes in one
process (the API tests, a bench) count apart, and nothing another library registers leaks in.

Fed as they happen (the node's channels call `NodeMetrics` as their `ChannelObserver`):
transactions by code, blocks, endorsements made and refused, the two latency histograms. Read
at each scrape from `MetricSources`: heights, the orderer's pending items, peers and their links,
the process and the host's network bytes (`node.metrics.process`).

Channel labels (``channel_labels``): with them every per-channel series carries its channel's
name; without them the per-channel counts are summed over the node's channels and the height
series is left out (a height without its channel says nothing). See the package docstring for
why a node serving its API beyond loopback goes without.
"""

from __future__ import annotations

import collections

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from prometheus_client import CollectorRegistry, Counter, Histogram, Info, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric as Family

from node.metrics.process import ProcessFigures, ProcessReader
from node.metrics.sources import LinkFigures, MetricSources

if TYPE_CHECKING:
    from node.chain.block import Block
    from node.chain.channel import Channel
    from node.chain.store import CommitRecord
    from node.order.pbft_orderer import ConsensusFigures

# The classic text format every Prometheus server reads (prometheus_client's "latest" is 1.0.0 now).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

# Seconds. An endorsement is a signature check, a simulation and a signature: milliseconds, up to
# a second for a contract near its gas limit. A commit validates a whole block (one signature check
# per endorsement) and syncs one LevelDB write: up to seconds for a full block on a slow disk.
ENDORSE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
COMMIT_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

Kind = Literal["counter", "gauge", "histogram", "info"]


@dataclass(frozen=True, slots=True)
class MetricRow:
    name: str  # as exposed; a counter's ends in _total, an info's in _info
    kind: Kind
    labels: tuple[str, ...]
    help: str
    scraped: bool = False  # read from the node at each scrape (else an instrument fed as things happen)


def _read(name: str, kind: Kind, labels: tuple[str, ...], help: str) -> MetricRow:
    return MetricRow(name, kind, labels, help, scraped=True)


METRICS: tuple[MetricRow, ...] = (
    MetricRow("baochain_node_info", "info", ("name", "org", "version"), "this node's name, organisation and version"),
    # fed at each commit and endorsement
    MetricRow("baochain_transactions_total", "counter", ("channel", "code"),
              "block items committed by this node, by validation code name (VALID, MVCC_READ_CONFLICT, ...)"),
    MetricRow("baochain_blocks_committed_total", "counter", ("channel",), "blocks committed by this node"),
    MetricRow("baochain_endorsements_total", "counter", ("channel",),
              "endorsements this node made (a contract's abort is endorsed too)"),
    MetricRow("baochain_endorsements_refused_total", "counter", ("channel", "reason"),
              "proposals this node refused to endorse, by reason (the API's refusal code)"),
    MetricRow("baochain_endorsement_seconds", "histogram", ("channel",), "time of an endorse call, made or refused"),
    MetricRow("baochain_commit_seconds", "histogram", ("channel",),
              "time from a block's cut (on its orderer) or arrival (on a peer) until its commit is written"),
    # read at each scrape
    _read("baochain_channel_height", "gauge", ("channel",), "blocks of the channel this node holds"),
    _read("baochain_orderer_pending", "gauge", ("channel",),
          "items waiting in this node's orderer to be cut into a block (channels it orders)"),
    _read("baochain_pbft_view", "gauge", ("channel",), "PBFT: the view this node works in"),
    _read("baochain_pbft_leader", "gauge", ("channel", "leader"), "PBFT: 1 for the primary of this node's view"),
    _read("baochain_pbft_sequence", "gauge", ("channel",), "PBFT: the last block this node committed"),
    _read("baochain_pbft_checkpoint", "gauge", ("channel",), "PBFT: the block of the last stable checkpoint"),
    _read("baochain_pbft_peers_connected", "gauge", ("channel",), "PBFT: the other replicas with a live link"),
    _read("baochain_pbft_view_changes_total", "counter", ("channel",), "PBFT: views this node entered"),
    _read("baochain_pbft_messages_in_total", "counter", ("channel", "type"),
          "PBFT: consensus messages received (signature checked), by type"),
    _read("baochain_pbft_messages_out_total", "counter", ("channel", "type"), "PBFT: consensus messages sent, by type"),
    _read("baochain_pbft_dropped_total", "counter", ("channel",),
          "PBFT: messages dropped (malformed, bad signature, stale, out of the window, ...)"),
    _read("baochain_peers", "gauge", (), "other nodes this node may talk to"),
    _read("baochain_peers_connected", "gauge", (), "other nodes this node has a live link to"),
    _read("baochain_peer_connected", "gauge", ("peer", "org"), "1 when the link to the peer is up, else 0"),
    _read("baochain_link_send_queue", "gauge", ("peer",), "frames waiting to be written to the peer"),
    _read("baochain_link_inbound_queue", "gauge", ("peer",), "messages from the peer waiting to be handled"),
    _read("baochain_link_sent_bytes_total", "counter", ("peer",), "bytes written to the peer's links"),
    _read("baochain_link_received_bytes_total", "counter", ("peer",), "bytes read from the peer's links"),
    _read("baochain_link_connects_total", "counter", ("peer",), "links to the peer that came up"),
    _read("process_cpu_seconds_total", "counter", (), "user and system CPU time of this process, in seconds"),
    _read("process_resident_memory_bytes", "gauge", (), "resident memory of this process, in bytes"),
    _read("process_open_fds", "gauge", (), "open file descriptors of this process (files, sockets, pipes)"),
    _read("process_start_time_seconds", "gauge", (), "start time of this process, seconds since 1970"),
    _read("baochain_host_network_sent_bytes_total", "counter", (),
          "bytes sent by every network interface of the host: system-wide, not this process alone"),
    _read("baochain_host_network_received_bytes_total", "counter", (),
          "bytes received by every network interface of the host: system-wide, not this process alone"),
)
ROWS = {row.name: row for row in METRICS}


class NodeMetrics:
    """One node's metrics (see the module docstring); also its channels' `ChannelObserver`."""

    def __init__(self, name: str, org: str, version: str, sources: MetricSources, *,
                 channel_labels: bool = True, process: ProcessReader | None = None) -> None:
        self.channel_labels = channel_labels
        self.registry = CollectorRegistry(auto_describe=True)
        self._sources = sources
        self._process = process or ProcessReader()
        r = self.registry
        Info(_bare(ROWS["baochain_node_info"]), ROWS["baochain_node_info"].help, registry=r).info(
            {"name": name, "org": org, "version": version})
        self._transactions = Counter(*self._spec("baochain_transactions_total"), registry=r)
        self._blocks = Counter(*self._spec("baochain_blocks_committed_total"), registry=r)
        self._endorsed = Counter(*self._spec("baochain_endorsements_total"), registry=r)
        self._refused = Counter(*self._spec("baochain_endorsements_refused_total"), registry=r)
        self._endorse_seconds = Histogram(*self._spec("baochain_endorsement_seconds"), buckets=ENDORSE_BUCKETS,
                                          registry=r)
        self._commit_seconds = Histogram(*self._spec("baochain_commit_seconds"), buckets=COMMIT_BUCKETS, registry=r)
        self._children: dict[tuple[int, tuple[str, ...]], Any] = {}  # (instrument, label values) -> its series
        r.register(_Scraped(self))

    def _spec(self, name: str) -> tuple[str, str, tuple[str, ...]]:
        row = ROWS[name]
        return _bare(row), row.help, self.labels_of(row)

    def labels_of(self, row: MetricRow) -> tuple[str, ...]:
        return row.labels if self.channel_labels else tuple(x for x in row.labels if x != "channel")

    def _ch(self, channel: str) -> dict[str, str]:
        return {"channel": channel} if self.channel_labels else {}

    # --- the node's channels
    def attach(self, channel: Channel) -> None:
        """Observe ``channel``; its series start at zero, so a rate is defined from the first scrape."""
        channel.observer = self
        at = self._ch(channel.name)
        if at:  # without channel labels the instruments have their one series already
            for instrument in (self._blocks, self._endorsed, self._endorse_seconds, self._commit_seconds):
                instrument.labels(**at)

    def endorsed(self, channel: Channel, refused: str | None, seconds: float) -> None:
        at = self._ch(channel.name)
        if refused is None:
            self._series(self._endorsed, at).inc()
        else:
            self._series(self._refused, {**at, "reason": refused}).inc()
        self._series(self._endorse_seconds, at).observe(seconds)

    def committed(self, channel: Channel, block: Block, record: CommitRecord, seconds: float) -> None:
        at = self._ch(channel.name)
        self._series(self._blocks, at).inc()
        for code, count in collections.Counter(c.name for c in record.codes).items():  # one add per code, not per tx
            self._series(self._transactions, {**at, "code": code}).inc(count)
        self._series(self._commit_seconds, at).observe(seconds)

    def _series(self, instrument: _Instrument, labels: dict[str, str]) -> _Instrument:
        """`_child`, kept: prometheus-client looks a series up by keyword arguments, which costs
        more than the increment itself, and the node updates a few series on every endorsement."""
        key = (id(instrument), tuple(labels.values()))
        found = self._children.get(key)
        if found is None:
            found = self._children[key] = _child(instrument, labels)
        return found

    # --- reading
    def exposition(self) -> bytes:
        """Every metric in the Prometheus text format (`CONTENT_TYPE`)."""
        return generate_latest(self.registry)

    def process(self) -> ProcessFigures:
        return self._process.read()

    def links(self) -> dict[str, LinkFigures]:
        return {link.peer: link for link in self._sources.link_figures()}

    def scraped(self) -> list[Family]:
        """The scrape-time families, read now from the node, the process and the host."""
        out = _Families(self)
        s = self._sources
        if self.channel_labels:
            for name, channel in sorted(s.channels().items()):
                out.add("baochain_channel_height", channel.height(), name)
        pending = s.orderer_pending()
        if self.channel_labels:
            for name, count in sorted(pending.items()):
                out.add("baochain_orderer_pending", count, name)
        elif pending:  # the node orders some channel: the sum, 0 included
            out.add("baochain_orderer_pending", sum(pending.values()))
        _consensus_series(out, s.consensus(), self.channel_labels)
        peers = s.peers()
        out.add("baochain_peers", len(peers))
        out.add("baochain_peers_connected", sum(1 for p in peers if p.connected))
        for p in peers:
            out.add("baochain_peer_connected", int(p.connected), p.name, p.org)
        for link in s.link_figures():
            out.add("baochain_link_send_queue", link.send_queued, link.peer)
            out.add("baochain_link_inbound_queue", link.inbound_queued, link.peer)
            out.add("baochain_link_sent_bytes_total", link.sent_bytes, link.peer)
            out.add("baochain_link_received_bytes_total", link.received_bytes, link.peer)
            out.add("baochain_link_connects_total", link.connects, link.peer)
        figures = self._process.read()
        out.add("process_cpu_seconds_total", figures.cpu_seconds)
        out.add("process_resident_memory_bytes", figures.memory_bytes)
        out.add("process_open_fds", figures.open_files)
        out.add("process_start_time_seconds", figures.started_at)
        host = self._process.host_network()
        if host is not None:
            out.add("baochain_host_network_sent_bytes_total", host.sent_bytes)
            out.add("baochain_host_network_received_bytes_total", host.received_bytes)
        return out.made()

def _consensus_series(out: _Families, figures: Mapping[str, ConsensusFigures], labelled: bool) -> None:
    """Per PBFT channel; without channel labels, the views, checkpoints and sequences are the
    highest of the node's channels and the counts their sums (the leader is left out: it names a
    channel's replica)."""
    if labelled:
        for name, f in sorted(figures.items()):
            out.add("baochain_pbft_view", f.view, name)
            out.add("baochain_pbft_leader", 1, name, f.leader)
            out.add("baochain_pbft_sequence", f.sequence, name)
            out.add("baochain_pbft_checkpoint", f.checkpoint, name)
            out.add("baochain_pbft_peers_connected", len(f.peers), name)
            out.add("baochain_pbft_view_changes_total", f.view_changes, name)
            out.add("baochain_pbft_dropped_total", f.dropped, name)
            for kind, count in sorted(f.messages_in.items()):
                out.add("baochain_pbft_messages_in_total", count, name, kind)
            for kind, count in sorted(f.messages_out.items()):
                out.add("baochain_pbft_messages_out_total", count, name, kind)
        return
    if not figures:
        return
    every = list(figures.values())
    out.add("baochain_pbft_view", max(f.view for f in every))
    out.add("baochain_pbft_sequence", max(f.sequence for f in every))
    out.add("baochain_pbft_checkpoint", max(f.checkpoint for f in every))
    out.add("baochain_pbft_peers_connected", min(len(f.peers) for f in every))
    out.add("baochain_pbft_view_changes_total", sum(f.view_changes for f in every))
    out.add("baochain_pbft_dropped_total", sum(f.dropped for f in every))
    for key, family in (("messages_in", "baochain_pbft_messages_in_total"),
                        ("messages_out", "baochain_pbft_messages_out_total")):
        totals: dict[str, int] = {}
        for f in every:
            for kind, count in getattr(f, key).items():
                totals[kind] = totals.get(kind, 0) + count
        for kind, count in sorted(totals.items()):
            out.add(family, count, kind)


def _bare(row: MetricRow) -> str:
    """The name prometheus_client takes: it adds ``_total`` to a counter and ``_info`` to an info."""
    suffix = {"counter": "_total", "info": "_info"}.get(row.kind, "")
    return row.name[: -len(suffix)] if suffix and row.name.endswith(suffix) else row.name


_Instrument = TypeVar("_Instrument", Counter, Histogram)


def _child(instrument: _Instrument, labels: dict[str, str]) -> _Instrument:
    """The series of ``labels``; the instrument itself when it has no labels."""
    return instrument.labels(**labels) if labels else instrument


class _Families:
    """The scrape-time families of one collection, each made from its row on first use."""

    def __init__(self, metrics: NodeMetrics) -> None:
        self._metrics = metrics
        self._families: dict[str, CounterMetricFamily | GaugeMetricFamily] = {}

    def _family(self, name: str) -> CounterMetricFamily | GaugeMetricFamily:
        if name not in self._families:
            row = ROWS[name]
            kind = CounterMetricFamily if row.kind == "counter" else GaugeMetricFamily
            self._families[name] = kind(_bare(row), row.help, labels=self._metrics.labels_of(row))
        return self._families[name]

    def add(self, name: str, value: float, *labels: str) -> None:
        self._family(name).add_metric(list(labels), value)

    def described(self) -> list[Family]:
        """Every scrape-time family, without samples: what the registry checks names against."""
        return [self._family(row.name) for row in METRICS if row.scraped]

    def made(self) -> list[Family]:
        return list(self._families.values())


class _Scraped:
    """The collector of the scrape-time families, registered in the node's registry."""

    def __init__(self, metrics: NodeMetrics) -> None:
        self._metrics = metrics

    def describe(self) -> list[Family]:
        return _Families(self._metrics).described()

    def collect(self) -> list[Family]:
        return self._metrics.scraped()
