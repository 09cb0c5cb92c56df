"""What the metrics read from the node when they are scraped: the `MetricSources` protocol.

Counters of events (commits, endorsements) are fed as they happen (`node.chain.channel`'s
observer); figures that are a state (heights, queues, links) are read at each scrape from the
node, so they are never stale and cost nothing between scrapes. The node daemon and the
in-process `node.api.local.LocalNode` both provide:

- ``channels()``: the channels held, by name (their heights are read);
- ``peers()``: the other nodes, each with ``name``, ``org`` and ``connected``;
- ``link_figures()``: one `LinkFigures` per peer this node has a link to (empty for a node without
  links, as in process);
- ``orderer_pending()``: by channel this node orders, the items waiting to be cut into a block;
- ``consensus()``: by PBFT channel, its `node.order.pbft_orderer.ConsensusFigures`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from node.chain.channel import Channel
    from node.order.pbft_orderer import ConsensusFigures


@dataclass(frozen=True, slots=True)
class LinkFigures:
    """One peer's link, as `node.net.Mesh.stats` counts it (bytes across reconnections)."""

    peer: str
    org: str
    connected: bool
    sent_bytes: int
    received_bytes: int
    send_queued: int  # frames waiting to be written to the peer
    inbound_queued: int  # messages read from the peer, waiting to be handled
    connects: int  # links that came up, the first included


class PeerState(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def org(self) -> str: ...

    @property
    def connected(self) -> bool: ...


class MetricSources(Protocol):
    def channels(self) -> Mapping[str, Channel]: ...

    def peers(self) -> Sequence[PeerState]: ...

    def link_figures(self) -> Sequence[LinkFigures]: ...

    def orderer_pending(self) -> Mapping[str, int]: ...

    def consensus(self) -> Mapping[str, ConsensusFigures]: ...
