"""PBFT ordering on a node: the asyncio driver of one channel's `node.order.pbft.Replica`.

The replica decides; this module carries out what it asks (`node.order.pbft.actions`) with the
node's clock, links and ledger:

- Broadcast and Send go over the node's links as ``{"type": "pbft", "channel", "data"}`` to the
  channel's other replicas; a full link drops the message (the replicas' statuses resend what
  was lost), so no peer can make this node hold more than the links' bounds (`node.net`).
- SetTimer becomes one asyncio timer; its callback runs `Replica.tick`.
- Deliver(sequence, batch) cuts and commits a block: block ``base + sequence - 1`` holding the
  batch's requests (block items), stamped with the batch's time, which the primary chose and the
  backups checked, so that every node cuts the same block. A null batch (a view change's filler)
  becomes an empty block stamped with the previous block's time: one block per sequence number
  keeps the mapping from sequence numbers to blocks a plain offset. The block is kept with its
  commit certificate (``(PBFT_ATTESTATION, [commit message bytes, ...])``), which proves it to
  any node that later pulls it.
- After a block whose number is a multiple of K (from ``base``) the node reports its state
  digest, the suite hash of [block id, state hash], so the checkpoint agrees on the chain and
  the state at once.
- NeedStateTransfer: the node pulls blocks from the other replicas (the node's pull protocol,
  `node.daemon.node`), checks each against its commit certificate (`check_block`) and reports
  each pulled block with `state_transferred`; a pull that stalls moves on to another peer at
  the next housekeeping tick.

One instance per configuration. The replicas, their keys, the batch size and timeout come from
the channel's configuration in force (`node.chain.config`: ``consenters``, ``block_max_tx``,
``block_timeout_ms``, ``clock_skew_ms``), and a configuration block ends the instance: after
committing it every node starts a new replica from the new configuration, at sequence 0 after
that block (``base``). Each instance's messages are signed under the domain ``CHANNEL/SEQUENCE``
(the configuration's sequence), so no vote of one instance counts in another. Deliveries the old
replica made beyond the configuration block are dropped by every node alike, and the requests
this node held (its own clients') are handed to the new replica.

Choices, each with its reason:
- Every consensus step of a channel runs under one lock: the replica is a plain object, and a
  commit awaits (waking the node's waiters), so without it a second message could cut block
  n + 1 before block n is written.
- A restarted replica starts from its ledger (`Replica.state_transferred` with its height) and
  the last stable checkpoint proof the node kept, so its window is where it was. It has
  forgotten the votes it signed, so it must not vote again in a view it may have voted in: the
  node keeps the highest view its replica reached (written, synced, before any message of that
  view leaves) and restarts the replica silent through that view (`Replica` argument
  ``silent_through_view``); it votes again after the next view change. Keeping every vote
  instead would cost a synced write per message; a view is written once per view change. A
  whole network restarted at once therefore orders again after one request timeout.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from node import codec
from node.chain.block import Block, decode_item
from node.chain.channel import Channel
from node.chain.config import CONFIG_KEY, ChannelConfig
from node.crypto.suite import PrivateKey
from node.identity import Certificate
from node.order.pbft import (
    NULL_BATCH, Batch, Broadcast, Deliver, MessageError, NeedStateTransfer, PbftConfig, Replica, ReplicaBusy,
    RequestRefused, Send, SetTimer, Signed, StateDiverged, ViewEntered, decode_signed, suite_signer,
    suite_verifier,
)
from node.order.pbft import certificates
from node.order.pbft.actions import Action
from node.order.pbft.auth import Authenticator
from node.tx.clock import now_ms

PBFT_ATTESTATION = b"pbft"  # the first half of a PBFT block's attestation; the second: its commit certificate
CERTIFICATE_MAX_BYTES = 1024 * 1024  # 64 commits of well under 1 KiB each
STABLE_PROOF_KEY = b"pbft/stable-proof"  # [configuration sequence, [checkpoint message bytes, ...]]
VIEW_KEY = b"pbft/view"  # [configuration sequence, the highest view this node's replica reached]
HOUSEKEEPING_S = 1.0
TIMER_SLACK_S = 0.001  # a timer fires this much after its deadline: the loop's clock is not the replica's  # how often a stalled state transfer moves on to another peer
log = logging.getLogger("baochain.pbft")


class OrderingRefused(Exception):
    """This replica will not take the request: ``reason`` is ``unavailable`` (try again) or
    ``malformed``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class ConsensusFigures:
    """What a node reports of one channel's consensus (status, metrics)."""

    view: int
    leader: str
    sequence: int  # the last block this node committed through consensus (its height - 1)
    checkpoint: int  # the block of the last stable checkpoint
    replicas: tuple[str, ...]
    peers: tuple[str, ...]  # the other replicas with a live link
    messages_in: dict[str, int]
    messages_out: dict[str, int]
    view_changes: int
    dropped: int


class Links(Protocol):
    """What the orderer needs of the node's links (`node.net.Mesh`)."""

    def connected(self, peer: str) -> bool: ...

    def send_nowait(self, peer: str, message: dict[str, Any]) -> bool: ...


Commit = Callable[[Block, tuple[bytes, bytes], float], Awaitable[None]]
Pull = Callable[[str], None]


@dataclass(slots=True)
class _Instance:
    """One configuration's consensus: its parameters, who checks its messages, and this node's
    replica in it (None when this node is not a consenter)."""

    sequence: int  # of the channel configuration
    base: int  # the block that sequence number 1 cuts
    config: PbftConfig
    auth: Authenticator
    replica: Replica | None


def state_digest(channel: Channel) -> bytes:
    """What a checkpoint agrees on: the suite hash of [latest block id, state hash]."""
    return channel.suite.hash(codec.encode([channel.latest_id(), channel.state_hash()]))


def batch_of(block: Block) -> Batch:
    """The batch a PBFT block was cut from (its digest is what the commit certificate names)."""
    return NULL_BATCH if not block.items else Batch(block.header.time_ms, block.items)


def _accept_request(request: bytes) -> bool:
    try:
        decode_item(request)
    except ValueError:
        return False
    return True


class PbftOrderer:
    def __init__(self, channel: Channel, me: str, key: PrivateKey, commit: Commit, pull: Pull, *,
                 clock: Callable[[], int] = now_ms) -> None:
        self._channel = channel
        self._me = me
        self._key = key
        self._commit = commit
        self._pull = pull
        self._clock = clock
        self.links: Links | None = None
        self._lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._timer_at: int | None = None  # the replica's deadline the timer is for
        self._housekeeping: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task] = set()
        self._closed = False
        self._transfer_to = -1  # the block a state transfer must reach, or -1
        self._transfer_height = -1  # the height when the current pull began
        self._pull_turn = 0
        self._view_changes = 0
        self._retired: dict[str, int] = {}  # stats of replicas of earlier instances, summed
        self._kept_stable = 0  # the stable checkpoint whose proof the channel keeps
        self._kept_view = -1  # the view the channel keeps for this instance
        self._instance = self._new_instance()

    # --- what the node reads
    @property
    def name(self) -> str:
        return self._channel.name

    @property
    def replicas(self) -> tuple[str, ...]:
        return self._instance.config.replicas

    @property
    def is_replica(self) -> bool:
        return self._instance.replica is not None

    @property
    def pending(self) -> int:
        replica = self._instance.replica
        return 0 if replica is None else replica.pending

    def figures(self) -> ConsensusFigures:
        inst = self._instance
        replica = inst.replica
        stats: dict[str, int] = dict(self._retired)
        if replica is not None:
            for key, value in replica.stats.items():
                stats[key] = stats.get(key, 0) + value
        links = self.links
        peers = tuple(r for r in inst.config.replicas
                      if r != self._me and links is not None and links.connected(r))
        view = replica.view if replica is not None else 0
        return ConsensusFigures(
            view=view, leader=inst.config.primary(view), sequence=self._channel.height() - 1,
            checkpoint=(inst.base - 1 + replica.stable) if replica is not None else inst.base - 1,
            replicas=inst.config.replicas, peers=peers,
            messages_in={k[3:]: v for k, v in stats.items() if k.startswith("in.")},
            messages_out={k[4:]: v for k, v in stats.items() if k.startswith("out.")},
            view_changes=self._view_changes,
            dropped=sum(v for k, v in stats.items() if k.startswith("dropped.")))

    # --- life
    def start(self, links: Links) -> None:
        self.links = links
        self._spawn(self._locked(self._tick))
        self._schedule_housekeeping()

    async def close(self) -> None:
        self._closed = True
        for handle in (self._timer, self._housekeeping):
            if handle is not None:
                handle.cancel()
        self._timer = self._housekeeping = None
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    # --- inputs
    async def submit(self, item: bytes) -> None:
        """Order a block item; `OrderingRefused` when this replica cannot take it now."""
        async with self._lock:
            replica = self._instance.replica
            if replica is None or self._closed:
                raise OrderingRefused("unavailable", f"{self._me} does not order {self.name}")
            try:
                actions = replica.submit(item, self._clock())
            except ReplicaBusy as exc:
                raise OrderingRefused("unavailable", str(exc)) from None
            except RequestRefused as exc:
                raise OrderingRefused("malformed", str(exc)) from None
            await self._carry_out(actions)

    async def receive(self, peer: str, data: bytes) -> None:
        """A consensus message from the link to ``peer``."""
        async with self._lock:
            replica = self._instance.replica
            if replica is not None and not self._closed:
                await self._carry_out(replica.receive(data, peer, self._clock()))

    def check_block(self, block: Block, attestation: tuple[bytes, bytes]) -> str:
        """Why ``block`` is not proven the next block of this channel by ``attestation``, or ""."""
        inst = self._instance
        kind, proof = attestation
        if kind != PBFT_ATTESTATION:
            return "it carries no commit certificate"
        try:
            if len(proof) > CERTIFICATE_MAX_BYTES:
                return "its commit certificate is too large"
            raw = codec.decode(proof)
            if not isinstance(raw, list) or not all(isinstance(b, bytes) for b in raw):
                return "its commit certificate is not a list of messages"
            commits = [decode_signed(b, inst.config) for b in raw]
        except (MessageError, ValueError) as exc:
            return f"its commit certificate is malformed: {exc}"
        commit = certificates.commit_certificate(commits, inst.config, inst.auth)
        if commit is None:
            return f"its commit certificate is not {inst.config.quorum} valid commits of the channel's replicas"
        if commit.seq != block.number - inst.base + 1:
            return f"its commit certificate is for another sequence number ({commit.seq})"
        if inst.auth.batch_digest(batch_of(block).to_bytes()) != commit.digest:
            return "its commit certificate names another batch"
        return ""

    async def commit_pulled(self, block: Block, attestation: tuple[bytes, bytes], arrived: float) -> bool:
        """Commit a block pulled from a peer if it is the next one and proven; True if it was."""
        async with self._lock:
            if block.number != self._channel.height():
                return False
            reason = self.check_block(block, attestation)
            if reason:
                log.warning("block %d of %s refused: %s", block.number, self.name, reason)
                return False
            await self._commit(block, attestation, arrived)
            await self._after_commit(block, pulled=True)
            return True

    # --- carrying out
    async def _carry_out(self, actions: Sequence[Action]) -> None:
        replica = self._instance.replica
        if replica is not None:  # before any message of a new view leaves
            self._keep_view(self._instance.sequence, replica.view)
        self._keep_stable()
        work = list(actions)
        while work:
            action = work.pop(0)
            if isinstance(action, Broadcast):
                self._send(self._instance.config.replicas, action.message.to_bytes())
            elif isinstance(action, Send):
                self._send((action.to,), action.message.to_bytes())
            elif isinstance(action, Deliver):
                work.extend(await self._deliver(action))
            elif isinstance(action, SetTimer):
                self._set_timer(action.at_ms)
            elif isinstance(action, NeedStateTransfer):
                self._need_transfer(self._instance.base - 1 + action.to_sequence)
            elif isinstance(action, StateDiverged):
                log.error("the state of %s after block %d differs from the one the other replicas agreed on: "
                          "this node's ledger must be repaired from peers", self.name,
                          self._instance.base - 1 + action.sequence)
            elif isinstance(action, ViewEntered):
                self._view_changes += 1
                log.info("view %d of %s, led by %s", action.view, self.name, action.primary)

    def _send(self, to: Sequence[str], data: bytes) -> None:
        links = self.links
        if links is None:
            return
        message = {"type": "pbft", "channel": self.name, "data": data}
        for peer in to:
            if peer != self._me and links.connected(peer):
                links.send_nowait(peer, message)

    async def _deliver(self, d: Deliver) -> list[Action]:
        inst = self._instance
        number = inst.base - 1 + d.sequence
        height = self._channel.height()
        if number < height:  # pulled meanwhile
            return []
        if number > height:
            log.error("%s: block %d delivered at height %d; catching up from peers", self.name, number, height)
            self._need_transfer(number)
            return []
        began = time.perf_counter()
        block = self._cut(d.batch)
        proof = codec.encode([s.to_bytes() for s in d.certificate])
        await self._commit(block, (PBFT_ATTESTATION, proof), began)
        return await self._after_commit(block, pulled=False)

    def _cut(self, batch: Batch) -> Block:
        if batch.is_null:
            previous = self._channel.block(self._channel.height() - 1)
            return self._channel.cut([], previous.header.time_ms if previous is not None else 0)
        return self._channel.cut(list(batch.requests), batch.time_ms)

    async def _after_commit(self, block: Block, *, pulled: bool) -> list[Action]:
        """After a block is written: a new instance if it changed the configuration, else tell the
        replica (a pulled block, or a checkpoint's state)."""
        inst = self._instance
        if self._channel.config.sequence != inst.sequence:
            await self._switch()
            return []
        replica = inst.replica
        sequence = block.number - inst.base + 1
        if replica is None:
            return []
        now = self._clock()
        if pulled:
            if self._transfer_to >= 0 and block.number >= self._transfer_to:
                self._transfer_to = -1
            return replica.state_transferred(sequence, state_digest(self._channel), block.items, now_ms=now)
        if sequence % inst.config.checkpoint_interval == 0:
            return replica.checkpoint_state(sequence, state_digest(self._channel), now)
        return []

    async def _switch(self) -> None:
        """The configuration changed: the next instance starts after the block just committed."""
        old = self._instance.replica
        carried = old.own_requests() if old is not None else []
        if old is not None:
            for key, value in old.stats.items():
                self._retired[key] = self._retired.get(key, 0) + value
        self._instance = self._new_instance()
        log.info("%s: configuration %d in force; ordering by %s", self.name, self._instance.sequence,
                 ", ".join(self._instance.config.replicas))
        replica = self._instance.replica
        if replica is None:
            return
        actions = replica.tick(self._clock())
        for request in carried:
            try:
                actions += replica.submit(request, self._clock())
            except (ReplicaBusy, RequestRefused):
                pass
        await self._carry_out(actions)

    def _new_instance(self) -> _Instance:
        channel = self._channel
        cc: ChannelConfig = channel.config
        version = channel.state.version(CONFIG_KEY)
        base = (version.block if version is not None else 0) + 1
        certs = [Certificate.load(der) for der in cc.consenters]
        config = PbftConfig(domain=f"{cc.name}/{cc.sequence}", replicas=tuple(c.subject.name for c in certs),
                            batch_max=cc.block_max_tx, batch_timeout_ms=cc.block_timeout_ms,
                            clock_skew_ms=cc.clock_skew_ms)
        suite = channel.suite
        verifier = suite_verifier(suite, {c.subject.name: c.public_key for c in certs})
        signer = suite_signer(suite, self._key)
        auth = Authenticator(config, self._me if self._me in config.replicas else config.replicas[0], signer,
                             verifier, suite.hash)
        replica = None
        if self._me in config.replicas:
            now = self._clock()
            kept = self._kept_view_of(cc.sequence)
            replica = Replica(config, self._me, signer, verifier, hasher=suite.hash, accept_request=_accept_request,
                              now_ms=now, silent_through_view=kept)
            if kept >= 0:
                log.warning("%s: restarted in configuration %d after reaching view %d; this node votes again from "
                            "the next view change", cc.name, cc.sequence, kept)
            self._kept_view = -1
            self._keep_view(cc.sequence, max(kept, 0))
            done = channel.height() - base
            if done > 0:  # a restart: the ledger holds what this replica delivered before
                replica.state_transferred(done, state_digest(channel), now_ms=now)
                replica.restore_stable(self._kept_proof(config, cc.sequence), now_ms=now)
        self._kept_stable = replica.stable if replica is not None else 0
        return _Instance(cc.sequence, base, config, auth, replica)

    def _kept_proof(self, config: PbftConfig, sequence: int) -> tuple[Signed, ...]:
        """The stable checkpoint proof kept for configuration ``sequence`` (empty if none or unreadable)."""
        data = self._channel.kept(STABLE_PROOF_KEY)
        try:
            kept_sequence, messages = codec.decode(data) if data is not None else (-1, [])
            if kept_sequence != sequence:
                return ()
            return tuple(decode_signed(m, config) for m in messages)
        except (MessageError, ValueError, TypeError):
            return ()

    def _kept_view_of(self, sequence: int) -> int:
        """The highest view kept for configuration ``sequence``, or -1 (none: this replica never ran)."""
        data = self._channel.kept(VIEW_KEY)
        try:
            kept_sequence, view = codec.decode(data) if data is not None else (-1, -1)
        except (ValueError, TypeError):
            return -1
        return view if kept_sequence == sequence and isinstance(view, int) else -1

    def _keep_view(self, sequence: int, view: int) -> None:
        if view > self._kept_view:
            self._kept_view = view
            self._channel.keep(VIEW_KEY, codec.encode([sequence, view]))

    def _keep_stable(self) -> None:
        """Keep the replica's stable checkpoint proof when it moved (see `Replica.stable_proof`)."""
        inst = self._instance
        replica = inst.replica
        if replica is None or replica.stable <= self._kept_stable:
            return
        self._kept_stable = replica.stable
        self._channel.keep(STABLE_PROOF_KEY, codec.encode([inst.sequence, [s.to_bytes() for s in replica.stable_proof]]))

    # --- timers and state transfer
    def _set_timer(self, at_ms: int) -> None:
        """Wake the replica at ``at_ms`` (its clock: wall-clock milliseconds). The loop's timers run
        on another clock and may fire a little early; a tick before ``at_ms`` emits no new
        SetTimer (the deadline did not change), so `_tick` arms this one again."""
        if self._closed:
            return
        if self._timer is not None:
            self._timer.cancel()
        self._timer_at = at_ms
        delay = max(0.0, (at_ms - self._clock()) / 1000) + TIMER_SLACK_S
        self._timer = asyncio.get_running_loop().call_later(delay, self._wake)

    def _wake(self) -> None:
        self._timer = None
        self._spawn(self._locked(self._tick))

    async def _tick(self) -> None:
        replica = self._instance.replica
        if replica is not None and not self._closed:
            await self._carry_out(replica.tick(self._clock()))
            if self._timer is None and self._timer_at is not None:  # woken early: the same deadline stands
                self._set_timer(self._timer_at)

    def _need_transfer(self, to_block: int) -> None:
        if to_block < self._channel.height():
            return
        self._transfer_to = max(self._transfer_to, to_block)
        self._pull_next()

    def _pull_next(self) -> None:
        links = self.links
        peers = [r for r in self._instance.config.replicas
                 if r != self._me and links is not None and links.connected(r)]
        if not peers:
            return
        self._pull_turn += 1
        self._transfer_height = self._channel.height()
        self._pull(peers[self._pull_turn % len(peers)])

    def _schedule_housekeeping(self) -> None:
        if self._closed:
            return
        self._housekeeping = asyncio.get_running_loop().call_later(HOUSEKEEPING_S, self._housekeep)

    def _housekeep(self) -> None:
        """A state transfer that made no progress since the last tick asks another peer."""
        if self._transfer_to >= 0:
            if self._channel.height() > self._transfer_to:
                self._transfer_to = -1
            elif self._channel.height() == self._transfer_height:
                self._pull_next()
            else:
                self._transfer_height = self._channel.height()
        self._schedule_housekeeping()

    async def _locked(self, step: Callable[[], Awaitable[None]]) -> None:
        async with self._lock:
            await step()

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        if self._closed:
            coroutine.close()
            return
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("consensus step of %s failed", self.name, exc_info=task.exception())
