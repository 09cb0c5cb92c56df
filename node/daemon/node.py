"""The node: one process, asyncio throughout, holding this organisation's view of its channels.

`Node(config)` opens every channel of its configuration (one LevelDB each, under the data
folder), takes part in ordering the channels it is a consenter of (`node.order.pbft_orderer`), or
orders alone those it is the solo orderer of (`node.order.SoloOrderer`), keeps links to the
other nodes (`node.net`), and serves the HTTP API (`node.api`, FastAPI on uvicorn in the same
event loop). It is the `node.api.runtime.NodeRuntime` the API talks to.

How blocks move with PBFT (the default):
- A client's envelope reaches any node's API (`submit`); a consenter hands it to its replica,
  which broadcasts it to the others; a node that is not a consenter forwards it to one that is.
- Every consenter cuts and commits each block itself when the replicas agree on it, and keeps
  its commit certificate with it (`node.order.pbft_orderer`); no block travels in the normal case.
- A node behind (restarted, partitioned, or told by a stable checkpoint that it lags) pulls
  blocks from the other consenters (``pull`` / ``blocks`` below) and commits each one that its
  commit certificate proves; on start, and on every (re)connection to a consenter, it pulls
  from its height.

How blocks move with solo ordering:
- A client's envelope reaches any node's API (`submit`); a node that is not the channel's
  orderer forwards it over its link to the orderer (``{"type": "submit", "channel", "envelope"}``).
  A configuration update (`submit_config`) goes the same way (``{"type": "config", "channel",
  "update"}``) and is ordered as a block item of kind ``config``; the orderer reads the channel's
  configuration at every cut, so a new block size or timeout takes effect from the next block.
- The orderer cuts a block, signs its id (``[BLOCK_TAG, block id]``, the channel's suite, its
  peer identity), commits it, and sends it with the signature to every connected peer whose
  organisation is a member of the channel; nothing of a channel goes to any other node.
- A peer checks the orderer's signature (a current peer identity of the channel whose name is
  the configuration's orderer), commits the block if it is the next one, and asks for what it
  missed (``pull``) when it is not. It keeps the signature beside the block, so that it can
  hand blocks on to a peer catching up, which checks them the same way.
- On start, and on every (re)connection to the orderer, a peer pulls from its height: a node
  restarted after a crash catches up while the others keep running.

Everything a client waits on (a height, a transaction's commit) is an asyncio event resolved
after each commit; waits are bounded by the caller.

Metrics (`node.metrics`): the node's channels report to ``node.metrics``; a block's commit
latency runs from its cut (the orderer's deliver) or from the moment its link message is
handled (a peer), and the links' figures are the mesh's `stats`. Series are labelled by
channel only when the API listens on loopback (`node.metrics.channel_labels_for`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from node.api.remote import PeerApi, transport_roots
from node.api.runtime import EndorserUnavailable, Peer, SubmitRefused
from node.chain.block import Block, block_id, decode_block, encode_block, encode_item
from node.chain.channel import ChainError, Channel, Signer
from node.chain.endorser import ProposalRefused
from node.chain.store import TxLocation
from node.chain.update import update_id
from node.crypto import get_suite
from node.daemon.config import NodeConfig
from node.identity import Certificate, IdentityRefused, check_identity
from node.metrics import LinkFigures, NodeMetrics, channel_labels_for
from node.order.pbft_orderer import ConsensusFigures, OrderingRefused, PbftOrderer
from node.order.solo import OrdererBusy, SoloOrderer
from node.recent import Recent
from node.tx.envelope import decode_envelope
from node.tx.errors import TxFormatError
from node.tx.proposal import tx_id
from node.tx.signing import signed_message
from node.users.authority import open_ca
from node.users.directory import UserDirectory
from node.users.sessions import SessionBook
from node.users.store import UserStore

BLOCK_TAG = "baochain/block/1"
PULL_BATCH = 64  # blocks per answer to a pull at most: bounded frames, and the peer asks again
PULL_BYTES = 16 * 1024 * 1024  # ... and at most this many bytes of blocks (links carry 64 MiB frames)
_PENDING_MAX = 100_000  # tx ids remembered as pending per channel (the oldest forgotten first)
log = logging.getLogger("baochain.node")


@dataclass(slots=True)
class _ChannelState:
    channel: Channel
    orderer: SoloOrderer | None = None
    pbft: PbftOrderer | None = None
    height_changed: asyncio.Condition = field(default_factory=asyncio.Condition)
    tx_waiters: dict[bytes, list[asyncio.Future]] = field(default_factory=dict)
    # submitted through this node, not yet committed
    pending: Recent[bytes, None] = field(default_factory=lambda: Recent(_PENDING_MAX))
    caught_up: bool = False
    repairing: bool = False  # its database was damaged: rebuilt from peers, nothing served until caught up


class Node:
    version = "0.1.0"

    def __init__(self, config: NodeConfig) -> None:
        self.config = config
        self.name = config.name
        self.org = config.org
        cert = Certificate.load(config.certificate.read_bytes())
        suite = get_suite(cert.suite_name)
        self.suite = suite
        self.certificate = cert
        self.signer = Signer(cert.der, suite.load_private_key(config.key.read_bytes()))
        self._channels: dict[str, _ChannelState] = {}
        self.links = None  # node.net links, set by `start`
        self.peer_api = PeerApi(suite, cert.der, self.signer.key, self._peer_http)  # other nodes' APIs, to endorse
        self._started = False
        self.metrics = NodeMetrics(config.name, config.org, self.version, self,
                                   channel_labels=channel_labels_for(config.api.host))
        config.data.mkdir(parents=True, exist_ok=True)
        # Application users and sessions (node.users); "_users" is no channel's name: none starts with "_".
        self.sessions = SessionBook()
        ca = None if config.ca_home is None or config.ca_passphrase_file is None else \
            open_ca(config.ca_home, config.ca_passphrase_file, org=config.org, suite=cert.suite_name)
        self.users = UserDirectory(UserStore(config.data / "_users"), org=config.org, suite=suite,
                                   sessions=self.sessions, ca=ca, registrar=config.ca_registrar)
        for entry in config.channels:
            genesis = decode_block(entry.genesis.read_bytes(), suite)
            channel = Channel.open(config.data / entry.name, cert.suite_name, self.signer, genesis)
            if channel.name != entry.name:
                raise ChainError(f"{entry.genesis} is the genesis of channel {channel.name}, not {entry.name}")
            damage = channel.damage()
            if damage is not None:
                channel = self._set_aside(channel, config.data / entry.name, cert.suite_name, genesis, damage)
            self.metrics.attach(channel)
            state = _ChannelState(channel, repairing=damage is not None)
            if channel.config.consensus == "pbft":
                state.pbft = PbftOrderer(channel, self.name, self.signer.key, self._pbft_commit_for(state),
                                         self._puller_for(state))
                state.caught_up = state.pbft.replicas == (self.name,) and not state.repairing
            elif channel.config.orderer == self.name:
                state.orderer = SoloOrderer(channel, self._deliver_for(entry.name))
                state.caught_up = True
            self._channels[entry.name] = state

    def _set_aside(self, channel: Channel, folder: Path, suite: str, genesis: Block, damage: str) -> Channel:
        """A damaged channel database is moved aside (kept for inspection, never read again) and
        the channel starts afresh from its genesis block; it catches up from the other nodes,
        checking every block as it comes (`_on_block`), and serves nothing until then."""
        channel.close()
        aside = folder.with_name(f"{folder.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        folder.rename(aside)
        log.error("channel %s: its database is damaged (%s); it is moved to %s and the channel is rebuilt from its "
                  "genesis block and the other nodes' blocks; the channel is not served until then", folder.name,
                  damage, aside)
        return Channel.open(folder, suite, self.signer, genesis)

    # --- NodeRuntime
    def unavailable(self, channel: str) -> str | None:
        state = self._channels.get(channel)
        if state is not None and state.repairing:
            return (f"{self.name} is rebuilding channel {channel} from the other nodes (its database was damaged): "
                    "ask another node")
        return None

    def channels(self) -> dict[str, Channel]:
        return {name: s.channel for name, s in self._channels.items()}

    def peers(self) -> list[Peer]:
        return [Peer(p.name, p.org, bool(self.links and self.links.connected(p.name))) for p in self.config.peers]

    def pending(self, channel: str, tx_id: bytes) -> bool:
        return tx_id in self._state(channel).pending

    def ready(self) -> bool:
        return self._started and all(s.caught_up for s in self._channels.values())

    async def submit(self, channel: str, envelope: bytes) -> bytes:
        state = self._state(channel)
        try:
            env = decode_envelope(envelope)
        except TxFormatError as exc:
            raise SubmitRefused("malformed", f"not an envelope: {exc}") from None
        ident = tx_id(state.channel.suite, env.proposal)
        await self._order(state, channel, "envelope", envelope,
                          {"type": "submit", "channel": channel, "envelope": envelope})
        return self._pending(state, ident)

    async def submit_config(self, channel: str, update: bytes) -> bytes:
        state = self._state(channel)
        ident = update_id(state.channel.suite, update)
        await self._order(state, channel, "config", update, {"type": "config", "channel": channel, "update": update})
        return self._pending(state, ident)

    async def _order(self, state: _ChannelState, channel: str, kind: str, body: bytes, forward: dict) -> None:
        """Hand a block item to the channel's orderer: this node's, or over the link to it."""
        if state.pbft is not None:
            await self._order_pbft(state, channel, kind, body, forward)
            return
        if state.orderer is not None:
            try:
                await state.orderer.submit(encode_item(kind, body))
            except OrdererBusy as exc:
                raise SubmitRefused("unavailable", str(exc)) from None
            return
        orderer = state.channel.config.orderer
        if self.links is None or not self.links.connected(orderer):
            raise SubmitRefused("unavailable", f"the orderer of {channel} ({orderer}) cannot be reached from "
                                f"{self.name}; submit through another node, or retry")
        if not self.links.send_nowait(orderer, forward):
            raise SubmitRefused("unavailable", f"the link to the orderer {orderer} is full; retry shortly")

    async def _order_pbft(self, state: _ChannelState, channel: str, kind: str, body: bytes, forward: dict) -> None:
        pbft = state.pbft
        assert pbft is not None
        if pbft.is_replica:
            try:
                await pbft.submit(encode_item(kind, body))
            except OrderingRefused as exc:
                raise SubmitRefused(exc.reason, str(exc)) from None
            return
        for replica in pbft.replicas:
            if self.links is not None and self.links.connected(replica) and self.links.send_nowait(replica, forward):
                return
        raise SubmitRefused("unavailable", f"no consenter of {channel} ({', '.join(pbft.replicas)}) can be reached "
                            f"from {self.name}; submit through another node, or retry")

    @staticmethod
    def _pending(state: _ChannelState, ident: bytes) -> bytes:
        state.pending.put(ident, None)
        return ident

    async def wait_for_height(self, channel: str, height: int, timeout_s: float) -> bool:
        state = self._state(channel)
        try:
            async with state.height_changed:
                await asyncio.wait_for(state.height_changed.wait_for(lambda: state.channel.height() >= height),
                                       timeout_s)
            return True
        except asyncio.TimeoutError:
            return False

    async def wait_for_tx(self, channel: str, tx_id: bytes, timeout_s: float) -> TxLocation | None:
        state = self._state(channel)
        found = state.channel.transaction(tx_id)
        if found is not None or timeout_s <= 0:
            return found
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        state.tx_waiters.setdefault(tx_id, []).append(future)
        try:
            async with asyncio.timeout(timeout_s):  # one timer; wait_for would wrap the future in a task too
                return await future
        except TimeoutError:
            return state.channel.transaction(tx_id)
        finally:
            waiters = state.tx_waiters.get(tx_id, [])
            if future in waiters:
                waiters.remove(future)
            if not waiters:
                state.tx_waiters.pop(tx_id, None)

    async def endorse_at(self, channel: str, node: str, signed_proposal: bytes) -> bytes:
        """This node's endorsement, or a peer's through its API (`node.api.remote`), for the
        one-request invoke; a peer is asked for at least this node's height of the channel."""
        state = self._state(channel)
        if node != self.name:
            return await self.peer_api.endorse(node, channel, signed_proposal, state.channel.height())
        why = self.unavailable(channel)
        if why is not None:
            raise EndorserUnavailable(node, why)
        try:
            return state.channel.endorse(signed_proposal)
        except TxFormatError as exc:
            raise ProposalRefused("unendorsable", f"the result cannot be endorsed: {exc}") from None

    def _peer_http(self, name: str):  # noqa: ANN202 - httpx.AsyncClient | None (httpx imported here only)
        """A client for peer ``name``'s API: HTTPS trusting only its organisation's transport root
        when this node serves its own API over TLS (a network's nodes are made alike), else plain
        HTTP, which a node serves on loopback only."""
        import httpx

        peer = self.config.peer(name)
        if peer is None:
            return None
        if not getattr(self.config, "api_tls", False):
            return httpx.AsyncClient(base_url=f"http://{peer.api}")
        from node.api.transport import client_context

        root = transport_roots(self.config.tls_roots).get(peer.org)
        if root is None:
            return None
        return httpx.AsyncClient(base_url=f"https://{peer.api}", verify=client_context(root))

    # --- node.metrics.MetricSources (with channels and peers)
    def link_figures(self) -> list[LinkFigures]:
        if self.links is None:
            return []
        figures = []
        for p in self.config.peers:
            st = self.links.stats(p.name)
            figures.append(LinkFigures(p.name, p.org, st.connected, st.bytes_out, st.bytes_in, st.send_queued,
                                       st.inbound_queued, st.connects))
        return figures

    def orderer_pending(self) -> dict[str, int]:
        pending = {name: s.orderer.pending for name, s in self._channels.items() if s.orderer is not None}
        pending.update({name: s.pbft.pending for name, s in self._channels.items()
                        if s.pbft is not None and s.pbft.is_replica})
        return pending

    def consensus(self) -> dict[str, ConsensusFigures]:
        """By PBFT channel: its view, leader, checkpoint, connected replicas and message counts."""
        return {name: s.pbft.figures() for name, s in self._channels.items() if s.pbft is not None}

    # --- blocks
    def _state(self, channel: str) -> _ChannelState:
        state = self._channels.get(channel)
        if state is None:
            raise KeyError(channel)
        return state

    def _member_peers(self, channel: Channel) -> list[str]:
        members = set(channel.config.members)
        return [p.name for p in self.config.peers if p.org in members]

    def _pbft_commit_for(self, state: _ChannelState):
        async def commit(block: Block, attestation: tuple[bytes, bytes], since: float) -> None:
            await self._commit(state, block, attestation[0], attestation[1], since)
        return commit

    def _puller_for(self, state: _ChannelState):
        return lambda peer: self._pull(state, peer)

    def _deliver_for(self, name: str):
        async def deliver(block: Block) -> None:
            cut = time.perf_counter()  # the orderer delivers a block as soon as it is cut
            state = self._channels[name]
            signature = self.suite.sign(self.signer.key, signed_message(BLOCK_TAG, block_id(self.suite, block.header)))
            await self._commit(state, block, self.signer.certificate, signature, cut)
            message = {"type": "block", "channel": name, "block": encode_block(block), "signer": self.signer.certificate,
                       "signature": signature}
            if self.links is not None:
                for peer in self._member_peers(state.channel):
                    if self.links.connected(peer) and not self.links.send_nowait(peer, message):
                        log.warning("link full; %s will pull block %d", peer, block.number)
        return deliver

    async def _commit(self, state: _ChannelState, block: Block, signer: bytes, signature: bytes,
                      since: float) -> None:
        channel = state.channel
        record = channel.commit(block, (signer, signature), since=since)
        log.info("committed block", extra={"channel": channel.name, "block": block.number,
                                            "transactions": len(block.items)})
        async with state.height_changed:
            state.height_changed.notify_all()
        for tx in record.tx_ids.values():
            state.pending.pop(tx, None)
            for future in state.tx_waiters.pop(tx, []):
                if not future.done():
                    future.set_result(channel.transaction(tx))

    def _check_attestation(self, channel: Channel, block: Block, signer: bytes, signature: bytes) -> bool:
        config = channel.config
        try:
            cert = Certificate.load(signer)
            who = check_identity(cert, config.trust(), at=datetime.fromtimestamp(block.header.time_ms / 1000,
                                                                                timezone.utc))
        except (IdentityRefused, ValueError) as exc:
            log.warning("block %d of %s: its signer is refused: %s", block.number, channel.name, exc)
            return False
        if who.name != config.orderer or who.type != "peer":
            log.warning("block %d of %s is signed by %s, not the orderer %s", block.number, channel.name, who.name,
                        config.orderer)
            return False
        message = signed_message(BLOCK_TAG, block_id(channel.suite, block.header))
        return who.verify_signature(message, signature)

    async def on_message(self, peer: str, org: str, message: dict) -> None:
        arrived = time.perf_counter()
        kind = message.get("type")
        name = message.get("channel")
        state = self._channels.get(name) if isinstance(name, str) else None
        if state is None or org not in state.channel.config.members:
            log.warning("%s (%s) sent a %s for a channel it may not use", peer, org, kind)
            return
        try:
            if kind == "pbft" and state.pbft is not None:
                await state.pbft.receive(peer, message["data"])
            elif kind in ("submit", "config") and state.pbft is not None:
                item = encode_item("envelope", message["envelope"]) if kind == "submit" else \
                    encode_item("config", message["update"])
                try:
                    await state.pbft.submit(item)
                except OrderingRefused as exc:
                    log.warning("%s forwarded a %s that %s cannot order: %s", peer, kind, self.name, exc)
            elif kind == "submit" and state.orderer is not None:
                await state.orderer.submit(encode_item("envelope", message["envelope"]))
            elif kind == "config" and state.orderer is not None:
                await state.orderer.submit(encode_item("config", message["update"]))
            elif kind == "block":
                await self._on_block(state, peer, message["block"], message["signer"], message["signature"], arrived)
            elif kind == "pull":
                self._on_pull(state, peer, int(message["from"]))
            elif kind == "blocks":
                before = state.channel.height()
                for data, signer, signature in message["blocks"]:
                    await self._on_block(state, peer, data, signer, signature, arrived, pulling=True)
                if state.channel.height() >= int(message["height"]):
                    state.caught_up = True
                    if state.repairing:
                        state.repairing = False
                        log.info("channel %s rebuilt from the other nodes: %d blocks", name, state.channel.height())
                elif state.channel.height() > before:  # a peer whose blocks do not commit is not asked again
                    self._pull(state, peer)
            else:
                log.warning("%s sent an unexpected %r message", peer, kind)
        except (KeyError, TypeError, ValueError, OrdererBusy) as exc:
            log.warning("%s sent a malformed %r message: %s", peer, kind, exc)

    async def _on_block(self, state: _ChannelState, peer: str, data: bytes, signer: bytes, signature: bytes,
                        arrived: float, pulling: bool = False) -> None:
        channel = state.channel
        block = decode_block(data, channel.suite)
        height = channel.height()
        if block.number < height:
            return
        if block.number > height:
            if not pulling:
                self._pull(state, peer)
            return
        if state.pbft is not None:
            await state.pbft.commit_pulled(block, (signer, signature), arrived)
            return
        if not self._check_attestation(channel, block, signer, signature):
            return
        try:
            await self._commit(state, block, signer, signature, arrived)
        except ChainError as exc:
            log.error("block %d of %s from %s cannot be committed: %s", block.number, channel.name, peer, exc)

    def _pull(self, state: _ChannelState, peer: str) -> None:
        if self.links is not None and self.links.connected(peer):
            self.links.send_nowait(peer, {"type": "pull", "channel": state.channel.name,
                                          "from": state.channel.height()})

    def _on_pull(self, state: _ChannelState, peer: str, start: int) -> None:
        channel = state.channel
        height = channel.height()
        blocks: list[list[bytes]] = []
        size = 0
        for n in range(max(start, 0), min(height, start + PULL_BATCH)):
            attestation = channel.blocks.attestation(n)
            data = channel.blocks.block_bytes(n)
            if attestation is None or data is None or (blocks and size + len(data) > PULL_BYTES):
                break
            blocks.append([data, attestation[0], attestation[1]])
            size += len(data)
        if self.links is not None:
            self.links.send_nowait(peer, {"type": "blocks", "channel": channel.name, "blocks": blocks,
                                          "height": height})

    def on_connected(self, peer: str) -> None:
        """A link to ``peer`` came up: catch up from it if it orders one of our channels."""
        for state in self._channels.values():
            if state.pbft is not None:
                if peer in state.pbft.replicas:
                    self._pull(state, peer)
            elif state.orderer is None and state.channel.config.orderer == peer:
                self._pull(state, peer)

    def reconfigure(self, fresh: NodeConfig) -> None:
        """Take on a reloaded configuration's peers (`node.daemon.main.reload` has linked them);
        the rest of the running configuration stays until a restart."""
        known = {p.name for p in self.config.peers}
        peers = self.config.peers + tuple(p for p in fresh.peers if p.name not in known)
        self.config = dataclasses.replace(self.config, peers=peers, tls_roots=tuple(dict.fromkeys(
            self.config.tls_roots + fresh.tls_roots)))

    # --- life
    async def start(self, links) -> None:  # noqa: ANN001 - node.net links
        self.links = links
        self._started = True
        for state in self._channels.values():
            if state.pbft is not None:
                state.pbft.start(links)
        for p in self.config.peers:
            if links.connected(p.name):
                self.on_connected(p.name)

    async def close_orderers(self) -> None:
        """Cut what the orderers hold and stop them (before the links close); close the clients of
        the peers' APIs."""
        await self.peer_api.close()
        for state in self._channels.values():
            if state.orderer is not None:
                await state.orderer.close()
            if state.pbft is not None:
                await state.pbft.close()

    def close_channels(self) -> None:
        for state in self._channels.values():
            state.channel.close()
        self.users.close()

    async def close(self) -> None:
        await self.close_orderers()
        self.close_channels()
