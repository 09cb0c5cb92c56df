"""An in-process network: several nodes' real channels (LevelDB, certificates, signatures) and one
solo orderer, in one process, each node a `NodeRuntime` the HTTP API can serve.

    network = LocalNetwork()
    node1 = network.add("peer0-org1", "Org1", {"claims": channel_of_org1})
    node2 = network.add("peer0-org2", "Org2", {"claims": channel_of_org2})
    app = create_app(node1)

What it does where the node daemon uses links and an orderer process:

- ``submit`` decodes the envelope (`SubmitRefused` ``malformed`` otherwise) and queues it for the
  channel (``submit_config`` queues a configuration update, as an item of kind ``config``);
  with ``auto_cut`` (the default) the queue is cut into a block at once, which every node
  holding the channel commits before ``submit`` returns. Without it the envelopes wait
  (``pending``) until `LocalNetwork.cut`. `LocalNetwork.enqueue` (`enqueue_config`) puts an
  item in the queue without cutting, so that it lands in one block with the next one
  submitted: how a test makes two transactions conflict.
- The block is cut from the channel of the node that is the channel's orderer (by name, else
  the first node holding it), with the orderer's clock (`clock`).
- A node can be paused: it then receives no blocks and reports itself not ready, and its
  peers see it disconnected; `resume` delivers the blocks it missed, in order. That is a node
  that lags behind, for read-your-writes. ``orderer_up = False`` makes every submit answer
  `SubmitRefused` ``unavailable``.
- Waiting (`wait_for_height`, `wait_for_tx`) works from any event loop and any thread: a
  commit wakes every waiter through its own loop.
- ``endorse_at`` asks the named node's channel directly (no HTTP, no signature: one process);
  another node that is paused, or any other node asked by a paused one, is `EndorserUnavailable`.
- Each node has its own `node.metrics.NodeMetrics` (with channel labels), to which its channels
  report; it has no links, and its orderer's pending items are the channel's queue.
- ``peer_api`` is None: a test or bench that serves the nodes' apps sets one (a
  `node.api.remote.PeerApi` whose ``connect`` reaches them in process) for ``GET /api/v1/network``.
- Each node has its own `node.users.sessions.SessionBook`; it keeps application users once
  `LocalNode.keep_users` gives it a folder (and, to enroll them, its organisation's CA).

Blocks are committed on the thread that submits or resumes (the app's, under the API), which is
what `node.api.runtime` asks of a runtime.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from node.api.runtime import EndorserUnavailable, Peer, PeerReader, SubmitRefused
from node.chain.block import encode_item
from node.ca import CertificateAuthority
from node.chain.channel import Channel
from node.chain.endorser import ProposalRefused
from node.order.pbft_orderer import ConsensusFigures
from node.chain.store import CommitRecord, TxLocation
from node.chain.update import update_id
from node.metrics import LinkFigures, NodeMetrics
from node.tx.clock import now_ms
from node.tx.envelope import decode_envelope
from node.tx.errors import TxFormatError
from node.tx.proposal import tx_id
from node.users.directory import UserDirectory
from node.users.keys import SCRYPT, ScryptCost
from node.users.sessions import SessionBook
from node.users.store import UserStore


def package_version() -> str:
    try:
        return importlib.metadata.version("baochain")
    except importlib.metadata.PackageNotFoundError:
        return "0+unknown"


class LocalNetwork:
    """The nodes of one process and the solo orderer of each of their channels."""

    def __init__(self, *, auto_cut: bool = True, clock: Callable[[], int] = now_ms) -> None:
        self.auto_cut = auto_cut
        self.clock = clock
        self.orderer_up = True
        self.nodes: dict[str, LocalNode] = {}
        self._queues: dict[str, list[tuple[bytes, bytes]]] = {}  # channel -> [(tx id, block item)]

    def add(self, name: str, org: str, channels: Mapping[str, Channel]) -> LocalNode:
        node = LocalNode(self, name, org, dict(channels))
        self.nodes[name] = node
        return node

    def holders(self, channel: str) -> list[LocalNode]:
        return [n for n in self.nodes.values() if channel in n.channels()]

    def pending(self, channel: str, tx: bytes) -> bool:
        return any(t == tx for t, _ in self._queues.get(channel, ()))

    def queued(self, channel: str) -> int:
        """Items waiting for the next block of ``channel``."""
        return len(self._queues.get(channel, ()))

    def enqueue(self, channel: str, envelope: bytes) -> bytes:
        """Queue ``envelope`` for the next block of ``channel`` without cutting; its tx id."""
        holders = self.holders(channel)
        if not holders:
            raise SubmitRefused("unavailable", f"no node of this network holds channel {channel!r}")
        try:
            ident = tx_id(holders[0].channels()[channel].suite, decode_envelope(envelope).proposal)
        except TxFormatError as exc:
            raise SubmitRefused("malformed", str(exc)) from None
        self._queues.setdefault(channel, []).append((ident, encode_item("envelope", envelope)))
        return ident

    def enqueue_config(self, channel: str, update: bytes) -> bytes:
        """Queue a configuration update for the next block of ``channel`` without cutting; its id."""
        holders = self.holders(channel)
        if not holders:
            raise SubmitRefused("unavailable", f"no node of this network holds channel {channel!r}")
        ident = update_id(holders[0].channels()[channel].suite, update)
        self._queues.setdefault(channel, []).append((ident, encode_item("config", update)))
        return ident

    def enqueue_item(self, channel: str, item: bytes) -> None:
        """Queue block item bytes as they are, unchecked (no tx id is pending for them): what no
        client could submit, for tests."""
        self._queues.setdefault(channel, []).append((b"", item))

    def submit(self, channel: str, envelope: bytes) -> bytes:
        return self._ordered(channel, lambda: self.enqueue(channel, envelope))

    def submit_config(self, channel: str, update: bytes) -> bytes:
        return self._ordered(channel, lambda: self.enqueue_config(channel, update))

    def _ordered(self, channel: str, enqueue: Callable[[], bytes]) -> bytes:
        if not self.orderer_up:
            raise SubmitRefused("unavailable", f"the orderer of channel {channel!r} cannot be reached")
        ident = enqueue()
        if self.auto_cut:
            self.cut(channel)
        return ident

    def cut(self, channel: str) -> CommitRecord | None:
        """Cut the queued envelopes of ``channel`` into one block and deliver it; None if none wait."""
        queue = self._queues.pop(channel, [])
        if not queue:
            return None
        source = self._orderer(channel)
        block = source.cut([item for _, item in queue], self.clock())
        record = source.commit(block)
        for node in self.holders(channel):
            node.catch_up(channel, source)
        return record

    def _orderer(self, channel: str) -> Channel:
        holders = [n for n in self.holders(channel) if not n.paused] or self.holders(channel)
        named = [n for n in holders if n.name == holders[0].channels()[channel].config.orderer]
        best = max(holders, key=lambda n: n.channels()[channel].height())
        return (named[0] if named else best).channels()[channel]


class LocalNode:
    """One node of a `LocalNetwork`, as the HTTP API sees it (a `node.api.runtime.NodeRuntime`)."""

    def __init__(self, network: LocalNetwork, name: str, org: str, channels: dict[str, Channel],
                 version: str | None = None) -> None:
        self.network = network
        self.name = name
        self.org = org
        self.version = version or package_version()
        self.paused = False
        self.repairing: dict[str, str] = {}  # channel -> why it is not served (a damaged database, in tests)
        self._channels = channels
        self._waiters: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self.metrics = NodeMetrics(name, org, self.version, self)
        for channel in channels.values():
            self.metrics.attach(channel)
        self.sessions = SessionBook()
        self.users: UserDirectory | None = None
        self.peer_api: PeerReader | None = None  # the other nodes' apps, when a test or bench serves them

    def keep_users(self, folder: Path, ca: CertificateAuthority | None = None, *, registrar: str = "ca-admin",
                   cost: ScryptCost = SCRYPT) -> UserDirectory:
        """Keep application users in ``folder``, enrolled through ``ca`` (see `node.users`)."""
        suite = ca.suite if ca is not None else next(iter(self._channels.values())).suite
        self.users = UserDirectory(UserStore(folder), org=self.org, suite=suite, sessions=self.sessions, ca=ca,
                                   registrar=registrar, cost=cost)
        return self.users

    # --- NodeRuntime
    def channels(self) -> Mapping[str, Channel]:
        return self._channels

    def peers(self) -> Sequence[Peer]:
        return [Peer(n.name, n.org, not n.paused and not self.paused)
                for n in self.network.nodes.values() if n is not self]

    def ready(self) -> bool:
        return not self.paused

    def consensus(self) -> Mapping[str, ConsensusFigures]:
        return {}  # in one process the network orders alone: no PBFT

    def unavailable(self, channel: str) -> str | None:
        return self.repairing.get(channel)

    def pending(self, channel: str, tx: bytes) -> bool:
        return self.network.pending(channel, tx)

    async def submit(self, channel: str, envelope: bytes) -> bytes:
        return self.network.submit(channel, envelope)

    async def submit_config(self, channel: str, update: bytes) -> bytes:
        return self.network.submit_config(channel, update)

    async def wait_for_height(self, channel: str, height: int, timeout_s: float) -> bool:
        ch = self._channels[channel]
        return await self._wait(lambda: ch.height() >= height, timeout_s)

    async def wait_for_tx(self, channel: str, tx: bytes, timeout_s: float) -> TxLocation | None:
        ch = self._channels[channel]
        await self._wait(lambda: ch.transaction(tx) is not None, timeout_s)
        return ch.transaction(tx)

    async def endorse_at(self, channel: str, node: str, signed_proposal: bytes) -> bytes:
        target = self.network.nodes.get(node)
        if target is None or channel not in target.channels():
            raise EndorserUnavailable(node, f"holds no channel {channel!r}")
        if target is not self and (target.paused or self.paused):
            raise EndorserUnavailable(node, "cannot be reached")
        try:
            return target.channels()[channel].endorse(signed_proposal)
        except TxFormatError as exc:
            raise ProposalRefused("unendorsable", f"the result cannot be endorsed: {exc}") from None

    # --- node.metrics.MetricSources (with channels and peers)
    def link_figures(self) -> Sequence[LinkFigures]:
        return ()  # in one process: no links

    def orderer_pending(self) -> Mapping[str, int]:
        return {name: self.network.queued(name) for name, channel in self._channels.items()
                if channel.config.orderer == self.name}

    # --- lagging behind
    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False
        for name in self._channels:
            holders = [n for n in self.network.holders(name) if not n.paused]
            best = max(holders, key=lambda n: n.channels()[name].height())
            self.catch_up(name, best.channels()[name])

    def catch_up(self, channel: str, source: Channel) -> None:
        """Commit the blocks of ``source`` this node's channel lacks (nothing while paused)."""
        if self.paused:
            return
        mine = self._channels[channel]
        if mine is not source:
            for number in range(mine.height(), source.height()):
                block = source.block(number)
                assert block is not None
                mine.commit(block)
        self._notify()

    # --- waiting from any loop
    def _notify(self) -> None:
        for loop, event in list(self._waiters):
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:  # that loop has closed: nobody waits there any more
                self._waiters.discard((loop, event))

    async def _wait(self, done: Callable[[], bool], timeout_s: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not done():
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            waiter = (loop, asyncio.Event())
            self._waiters.add(waiter)
            try:
                if done():
                    return True
                await asyncio.wait_for(waiter[1].wait(), remaining)
            except TimeoutError:
                return done()
            finally:
                self._waiters.discard(waiter)
        return True
