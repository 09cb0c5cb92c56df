"""A node's metrics, for Prometheus at ``GET /metrics`` and for people at ``GET /api/v1/node``.

    metrics = NodeMetrics(name, org, version, sources, channel_labels=True)
    metrics.attach(channel)           # per channel: it reports endorsements and commits
    metrics.exposition()              # bytes in the Prometheus text format, CONTENT_TYPE
    metrics.process(); metrics.links()

Each node has a registry of its own (`NodeMetrics.registry`), never prometheus_client's global
one, so that several nodes in one process count apart. Modules: `registry` (the metrics, one table
`METRICS`, and `NodeMetrics`), `sources` (what is read from the node at each scrape), `process`
(the process's figures and the host's network bytes, by psutil).

Metrics (labels in brackets; ``channel`` only with channel labels, below)

    baochain_node_info{name, org, version}                  1
    baochain_transactions_total{channel, code}               block items committed, by code name
    baochain_blocks_committed_total{channel}                 blocks committed
    baochain_endorsements_total{channel}                     endorsements made (aborts included)
    baochain_endorsements_refused_total{channel, reason}     refusals, by the API's refusal code
    baochain_endorsement_seconds{channel}                    histogram: an endorse call, made or refused
    baochain_commit_seconds{channel}                         histogram: a block's cut (orderer) or
                                                             arrival (peer) until its commit is written
    baochain_channel_height{channel}                         blocks held (with channel labels only)
    baochain_orderer_pending{channel}                        items waiting in this node's orderer
    baochain_pbft_view{channel}, baochain_pbft_sequence{channel}, baochain_pbft_checkpoint{channel}
                                                             PBFT: the view, the last block, the last
                                                             stable checkpoint's block
    baochain_pbft_leader{channel, leader}                    1 for the view's primary (labelled only)
    baochain_pbft_peers_connected{channel}                   the other replicas with a live link
    baochain_pbft_view_changes_total{channel}, baochain_pbft_dropped_total{channel}
    baochain_pbft_messages_in_total{channel, type}, baochain_pbft_messages_out_total{channel, type}
                                                             consensus messages, by type (prepare, ...)
                                                             (without channel labels: the highest view,
                                                             block and checkpoint, the fewest peers,
                                                             the summed counts)
    baochain_peers, baochain_peers_connected                 peers configured, peers with a live link
    baochain_peer_connected{peer, org}                       1 or 0
    baochain_link_send_queue{peer}, baochain_link_inbound_queue{peer}     frames, messages waiting
    baochain_link_sent_bytes_total{peer}, baochain_link_received_bytes_total{peer},
    baochain_link_connects_total{peer}                       what the node's own links carried
    process_cpu_seconds_total, process_resident_memory_bytes, process_open_fds,
    process_start_time_seconds                               this process (the usual names)
    baochain_host_network_sent_bytes_total, baochain_host_network_received_bytes_total
                                                             the whole host's interfaces (system-wide)

Counts start when the node starts: the blocks a node replays from its database are not counted
again, and the genesis block, committed when a channel is created, is not counted. A block's
items are counted once each: a transaction, a deploy, or a configuration update, by its code.

Channel labels, and why a node serving its API beyond loopback goes without them
    ``/metrics`` answers without authentication: a Prometheus server scrapes it holding no
    certificate. Everywhere else the API keeps a channel from non-members so well that a foreign
    channel answers 404 as one that does not exist. A channel's name as a label would undo that
    for anyone who reaches the port: which channels this node holds, how busy each is, and how
    high. Hashing the name does not help: channel names are short words ("claims"), a plain hash
    is reversed by trying words, and a keyed one leaves the operator unable to read their own
    dashboards. So the choice is whether per-channel series exist at all:

    - with channel labels (``channel_labels=True``, the constructor's default): one series per
      channel. Right where whoever reaches the API runs the node: the loopback development
      network of ``baochain network init``;
    - without (``channel_labels=False``): every per-channel count is summed over the node's
      channels and the height series is left out. A non-member then learns how busy the node is
      as a whole, and nothing of any one channel. A member reads a channel's height and state
      from ``GET /api/v1/channels/{ch}`` with its signature.

    The daemon decides by where its API listens (`channel_labels_for`): loopback only, with
    labels; any other address, without. A ``[metrics]`` key of node.toml to choose otherwise is
    for later. Peer names and organisations are labels in both cases: ``GET /api/v1/node``
    shows them to anyone already, and they name nodes, not channels.
"""

from __future__ import annotations

import ipaddress

from node.metrics.process import HostNetwork, ProcessFigures, ProcessReader
from node.metrics.registry import CONTENT_TYPE, METRICS, MetricRow, NodeMetrics
from node.metrics.sources import LinkFigures, MetricSources


def channel_labels_for(api_host: str) -> bool:
    """Whether a node whose API listens on ``api_host`` labels its series by channel: only when
    that address is loopback (see the module docstring)."""
    if api_host == "localhost":
        return True
    try:
        return ipaddress.ip_address(api_host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


__all__ = [
    "CONTENT_TYPE", "HostNetwork", "LinkFigures", "METRICS", "MetricRow", "MetricSources", "NodeMetrics",
    "ProcessFigures", "ProcessReader", "channel_labels_for",
]
