"""The PBFT replica: one deterministic object, events in and actions out (the package docstring
is the protocol's specification). This module holds the inputs, the normal case (requests,
pre-prepare, prepare, commit, delivery in order), the timers and the messages kept for views not
reached yet; checkpoints, view changes and catching up are mixins of their own modules.

    replica = Replica(config, "peer0-org1", signer, verifier)
    actions = replica.submit(item, now_ms)            # a client request, by its bytes
    actions = replica.receive(data, "peer0-org2", now_ms)   # a message's bytes, from a link
    actions = replica.tick(now_ms)                    # time passes (at or after a SetTimer)
    actions = replica.checkpoint_state(seq, state, now_ms)  # the executor's state after seq
    actions = replica.state_transferred(seq, state, requests, now_ms)

Every input returns the actions to carry out (`node.order.pbft.actions`) and never reads a clock,
draws a random number or touches the network: ``now_ms`` is an input, so the same inputs always
give the same actions. `submit` raises `RequestRefused` for a request no replica would accept
and `ReplicaBusy` when this replica's share of pending requests is full; `receive` never raises:
whatever is wrong with a message (malformed, an unknown author, a bad signature, another view,
outside the window) it is dropped and counted in ``stats`` under ``dropped.<reason>``.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque
from collections.abc import Callable, Iterable
from typing import Literal

from node.order.pbft import certificates
from node.order.pbft.actions import Action, Broadcast, Deliver, Send, SetTimer
from node.order.pbft.auth import Authenticator, Hasher, Signer, Verifier
from node.order.pbft.catchup import CatchUp
from node.order.pbft.checkpoints import Checkpoints
from node.order.pbft.config import PbftConfig
from node.order.pbft.log import Log, Slot
from node.order.pbft.messages import (
    NULL_BATCH, AnyMessage, Batch, Checkpoint, CheckpointProof, Commit, Committed, Memo, Message, MessageError, NewView,
    Prepare, PrePrepare, Request, Signed, Status, ViewChange, decode_batch, decode_signed, of_kind,
)
from node.order.pbft.requests import RequestPool
from node.order.pbft.viewchange import ViewChanges


class RequestRefused(ValueError):
    """A request no replica would order: empty, too large, or refused by the request check."""


class ReplicaBusy(Exception):
    """This replica holds as many pending requests as its share allows: try again shortly."""


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


class Replica(Checkpoints, ViewChanges, CatchUp):
    def __init__(self, config: PbftConfig, me: str, signer: Signer, verifier: Verifier, *,
                 hasher: Hasher = sha256, accept_request: Callable[[bytes], bool] | None = None,
                 now_ms: int = 0, silent_through_view: int = -1) -> None:
        if me not in config.replicas:
            raise ValueError(f"{me!r} is not one of the configuration's replicas")
        self.config = config
        self.me = me
        self._auth = Authenticator(config, me, signer, verifier, hasher)
        self._memo = Memo()
        self._accept = accept_request or (lambda request: True)
        self.stats: Counter[str] = Counter()
        self._now = now_ms
        self._out: list[Action] = []
        self._timer_at: int | None = None
        # the view
        self.view = 0
        # A replica restarted without the votes it signed sends none (no pre-prepare, prepare or
        # commit) in the views it may have voted in before: it could contradict itself there.
        self._silent_through = silent_through_view
        self.active = True  # False from sending a view change for `view` until its new view is installed
        self._view_started = now_ms
        self._streak = 0  # view changes in a row without a batch delivered in between
        # ordering
        self._log = Log(config)
        self._pool = RequestPool(config)
        self._in_flight: dict[bytes, int] = {}  # request digest -> sequence of its current-view pre-prepare
        self._next_seq = 0  # as primary: the last sequence number assigned
        self._last_batch_time = 0
        self.executed = 0
        # messages of a view this replica has not reached yet, by author
        self._future: dict[str, deque[Signed[Message]]] = {}
        self._future_bytes: Counter[str] = Counter()
        Checkpoints.__init__(self)
        ViewChanges.__init__(self)
        CatchUp.__init__(self, now_ms)

    # --- what a driver may read
    @property
    def primary(self) -> str:
        return self.config.primary(self.view)

    @property
    def stable(self) -> int:
        """The sequence number of the last stable checkpoint (the low watermark h)."""
        return self._log.low

    @property
    def pending(self) -> int:
        return len(self._pool)

    @property
    def stable_proof(self) -> tuple[Signed[Checkpoint], ...]:
        """The proof of the last stable checkpoint (Q signed checkpoint messages; empty for 0): what a
        node keeps so that a restarted replica starts with its window where it was."""
        return self._stable_proof

    def restore_stable(self, proof: Iterable[Signed], now_ms: int) -> list[Action]:
        """A stable checkpoint proof kept from before a restart (after `state_transferred` brought
        `executed` to the ledger's height); ignored unless it proves a checkpoint above ``stable``."""
        self._begin(now_ms)
        proof = tuple(proof)
        proven = certificates.checkpoint_proof(proof, self.config, self._auth)
        if proven is not None and proven[0] > self._log.low:
            self._adopt_stable(proven[0], proven[1], proof)
        return self._end()

    def own_requests(self) -> list[bytes]:
        """The pending requests submitted to this replica (for a node handing them to the replica of
        its next configuration), oldest first."""
        return self._pool.own(self.me)

    # --- inputs
    def submit(self, request: bytes, now_ms: int) -> list[Action]:
        """Order a client's request (an item's bytes); a request already held or delivered lately is
        ignored. The request is broadcast, so every replica watches for its ordering."""
        if not isinstance(request, bytes) or not 0 < len(request) <= self.config.request_max_bytes:
            raise RequestRefused(f"a request is 1 to {self.config.request_max_bytes} bytes")
        digest = self._auth.hash(request)
        if not self._pool.known(digest):
            if not self._accept(request):
                raise RequestRefused("the request check refused it")
            if not self._pool.has_room(self.me, len(request)):
                raise ReplicaBusy(f"{len(self._pool)} requests are waiting to be ordered")
        self._begin(now_ms)
        if self._pool.add(digest, request, self.me, self._now):
            self._broadcast(Request(request))
            self._propose()
        return self._end()

    def receive(self, data: bytes, from_replica: str, now_ms: int) -> list[Action]:
        """A message's bytes as they came from the link to ``from_replica``."""
        self._begin(now_ms)
        reason = ""
        if from_replica not in self.config.replicas:
            reason = "unknown-peer"
        else:
            try:
                signed = decode_signed(data, self.config, memo=self._memo)
            except MessageError:
                reason = "malformed"
            else:
                if signed.author == self.me:
                    reason = "own"
                elif signed.author not in self.config.replicas:
                    reason = "unknown-author"
                elif not self._auth.verify(signed):
                    reason = "bad-signature"
        if reason:
            self._drop(reason)
        else:
            self.stats[f"in.{signed.kind}"] += 1
            self._dispatch(signed)
        return self._end()

    def tick(self, now_ms: int) -> list[Action]:
        """Time is now ``now_ms``: run the timers that are due."""
        self._begin(now_ms)
        self._status_tick()
        self._propose()
        deadline = self._progress_deadline()
        if deadline is not None and self._now >= deadline:
            self.stats["timeouts.request"] += 1
            self._start_view_change(self.view + 1)
        deadline = self._view_change_deadline
        if not self.active and deadline is not None and self._now >= deadline:
            self.stats["timeouts.view-change"] += 1
            self._start_view_change(self.view + 1)
        return self._end()

    def checkpoint_state(self, sequence: int, state: bytes, now_ms: int) -> list[Action]:
        """The executor's state digest after delivering ``sequence`` (a multiple of K): this
        replica's checkpoint vote. Others are ignored."""
        self._begin(now_ms)
        self._vote_checkpoint(sequence, state)
        return self._end()

    def state_transferred(self, sequence: int, state: bytes, requests: Iterable[bytes] = (), *,
                          now_ms: int) -> list[Action]:
        """The node installed the state after ``sequence`` from peers (after a NeedStateTransfer,
        or on starting from its ledger); ``requests`` are those of the batches it fetched, which
        are no longer pending."""
        self._begin(now_ms)
        self._transferred(sequence, state, requests)
        return self._end()

    # --- dispatch
    def _dispatch(self, s: Signed[Message]) -> None:
        m = s.message
        if isinstance(m, (PrePrepare, Prepare, Commit)):
            if m.view > self.view or (m.view == self.view and not self.active):
                self._buffer(s)
            elif m.view < self.view and not isinstance(m, Commit):
                self._drop("old-view")
            else:
                self._ordering(s)
        elif isinstance(m, Request):
            self._on_request(of_kind(s, Request))
        elif isinstance(m, Checkpoint):
            self._on_checkpoint(of_kind(s, Checkpoint))
        elif isinstance(m, ViewChange):
            self._on_view_change(of_kind(s, ViewChange))
        elif isinstance(m, NewView):
            self._on_new_view(of_kind(s, NewView))
        elif isinstance(m, Status):
            self._on_status(of_kind(s, Status))
        elif isinstance(m, Committed):
            self._on_committed(of_kind(s, Committed))
        elif isinstance(m, CheckpointProof):
            self._on_checkpoint_proof(of_kind(s, CheckpointProof))

    def _ordering(self, s: Signed[Message]) -> None:
        m = s.message
        assert isinstance(m, (PrePrepare, Prepare, Commit))
        if not self._log.in_window(m.seq):
            self._drop("out-of-window")
        elif isinstance(m, PrePrepare):
            self._on_pre_prepare(of_kind(s, PrePrepare), m)
        elif isinstance(m, Prepare):
            if s.author == self.config.primary(m.view):
                self._drop("prepare-from-primary")
                return
            slot = self._log.slot(m.seq)
            if s.author in slot.prepares:
                self.stats["duplicates"] += 1
                return
            slot.prepares[s.author] = of_kind(s, Prepare)
            self._check_prepared(slot)
        elif m.seq > self.executed:
            slot = self._log.slot(m.seq)
            if slot.add_commit(of_kind(s, Commit), self.config):
                self._execute()

    # --- normal case
    def _on_request(self, s: Signed[Request]) -> None:
        request = s.message.request
        digest = self._auth.hash(request)
        if self._pool.known(digest):
            self.stats["duplicates"] += 1
        elif not self._accept(request):
            self._drop("refused-request")
        elif not self._pool.add(digest, request, s.author, self._now):
            self._drop("pool-full")
        else:
            self._propose()

    def _on_pre_prepare(self, s: Signed[PrePrepare], pp: PrePrepare) -> None:
        if s.author != self.config.primary(pp.view):
            self._drop("not-primary")
            return
        batch = self._attached_batch(s, pp.digest)
        if batch is False:
            return
        slot = self._log.slot(pp.seq)
        if slot.pre_prepare is not None:  # one pre-prepare per view and number: a later one may only bring the batch
            if slot.digest != pp.digest:
                self._drop("conflicting-pre-prepare")
            elif batch is not None:
                self._learn_batch(slot, pp.digest, batch)
                self._execute()
            return
        reason = "no-batch" if batch is None else "stale" if pp.seq <= self.executed else self._batch_fault(batch)
        if reason:
            self._drop(reason)
            return
        assert batch is not None
        slot.pre_prepare = s.without_batches()
        self._learn_batch(slot, pp.digest, batch)
        if self.me != s.author and self._may_vote():
            slot.prepares[self.me] = self._broadcast(Prepare(pp.view, pp.seq, pp.digest))
        self._check_prepared(slot)
        self._execute()

    def _attached_batch(self, s: Signed[Message], digest: bytes) -> Batch | None | Literal[False]:
        """The batch riding with ``s`` (None when none does); False, counted, when it is not the
        batch ``digest`` names."""
        if not s.batches:
            return None
        raw = s.batches[0]
        if self._auth.hash(raw) != digest:
            self._drop("batch-digest")
            return False
        try:
            return decode_batch(raw, self.config)
        except MessageError:
            self._drop("malformed-batch")
            return False

    def _batch_fault(self, batch: Batch) -> str:
        """Why a backup refuses a new batch, or "". Refusing costs only liveness (a primary whose
        batches are refused is replaced), so the checks may depend on what this replica has seen:
        a request already in another batch of this view, or delivered lately, is refused, so that
        a faulty primary cannot order one request twice (a correct one never proposes those)."""
        if batch.is_null:
            return "empty-batch"
        if abs(batch.time_ms - self._now) > self.config.clock_skew_ms:
            return "batch-time"
        digests = [self._auth.hash(r) for r in batch.requests]
        if len(set(digests)) != len(digests) or any(d in self._in_flight for d in digests):
            return "repeated-request"
        if any(self._pool.delivered_lately(d) for d in digests):
            return "delivered-request"
        if not all(self._accept(r) for r in batch.requests):
            return "refused-request"
        return ""

    def _learn_batch(self, slot: Slot, digest: bytes, batch: Batch) -> None:
        slot.add_batch(digest, batch)
        self._missing_batches.discard(slot.seq)
        if digest != slot.digest or batch.is_null:
            return
        for request in batch.requests:
            d = self._auth.hash(request)
            if not self._pool.known(d):
                self._pool.add(d, request, None, self._now, proposed=True)
            self._pool.proposed(d)
            self._in_flight[d] = slot.seq

    def _check_prepared(self, slot: Slot) -> None:
        if slot.committed_view == self.view:
            return
        proof = slot.prepared_in(self.view, self.config)
        if proof is None:
            return
        slot.prepared = proof
        slot.committed_view = self.view
        if not self._may_vote():
            return
        commit = self._broadcast(Commit(self.view, slot.seq, proof.pre_prepare.message.digest))
        if slot.add_commit(commit, self.config):
            self._execute()

    def _propose(self) -> None:
        """As the primary: cut batches from the unproposed requests while the window allows. Not
        while a re-proposed batch or a state transfer is missing: its requests may be pending here,
        and proposing them again would order them twice."""
        cfg = self.config
        while self._may_propose():
            oldest = self._pool.oldest_unproposed()
            if oldest is None:
                return
            if len(self._pool.unproposed) < cfg.batch_max and oldest.arrived_ms + cfg.batch_timeout_ms > self._now:
                return
            taken = self._pool.batch(cfg.batch_max, cfg.batch_max_bytes)
            self._last_batch_time = max(self._now, self._last_batch_time)
            batch = Batch(self._last_batch_time, tuple(r for _, r in taken))
            raw = batch.to_bytes()
            digest = self._auth.hash(raw)
            self._next_seq += 1
            pp = self._broadcast(PrePrepare(self.view, self._next_seq, digest), batch=raw)
            slot = self._log.slot(self._next_seq)
            slot.pre_prepare = pp.without_batches()
            self._learn_batch(slot, digest, batch)
            self._check_prepared(slot)

    def _may_vote(self) -> bool:
        """Whether this replica may vote in its view (see ``silent_through_view``)."""
        return self.view > self._silent_through

    def _may_propose(self) -> bool:
        if (not self._may_vote() or not self.active or self.primary != self.me or self._missing_batches
                or self._transfer is not None):
            return False
        # never below what this replica executed: one restarted from its ledger remembers no
        # proposal, but every number up to `executed` is decided
        self._next_seq = max(self._next_seq, self._log.low, self.executed)
        return (self._next_seq < self._log.low + self.config.window
                and self._next_seq - self.executed < self.config.batches_in_flight)

    def _execute(self) -> None:
        """Deliver every committed batch that follows the last delivered one."""
        while self._transfer is None:
            slot = self._log.get(self.executed + 1)
            if slot is None or slot.certificate is None:
                break
            digest = slot.final_digest
            assert digest is not None
            batch = NULL_BATCH if digest == self._auth.null_digest else slot.final_batch
            if batch is None:
                break
            self.executed = slot.seq
            self._missing_batches.discard(slot.seq)
            self._out.append(Deliver(slot.seq, batch, digest, slot.certificate))
            for request in batch.requests:
                self._forget_request(self._auth.hash(request))
            if self.active:
                self._streak = 0
        self._propose()

    def _forget_request(self, digest: bytes) -> None:
        self._pool.delivered(digest)
        self._in_flight.pop(digest, None)

    # --- timers
    def _progress_deadline(self) -> int | None:
        """When a backup gives up on the primary: the oldest pending request has waited the
        request timeout since it arrived or the view began, whichever is later."""
        oldest = self._pool.oldest()
        if not self.active or oldest is None or self._transfer is not None:
            return None
        start = max(oldest.arrived_ms, self._view_started)
        return start + self.config.backoff(self.config.request_timeout_ms, self._streak)

    def _next_deadline(self) -> int:
        deadlines = [self._next_status]
        for d in (self._progress_deadline(), None if self.active else self._view_change_deadline):
            if d is not None:
                deadlines.append(d)
        if self._may_propose():  # a batch deadline that passed while it could not propose would wake it for nothing
            oldest = self._pool.oldest_unproposed()
            if oldest is not None:
                deadlines.append(oldest.arrived_ms + self.config.batch_timeout_ms)
        return max(min(deadlines), self._now)

    # --- future messages
    def _buffer(self, s: Signed[Message]) -> None:
        """Keep a message of a view not reached yet (bounded per author: its oldest go first)."""
        cfg = self.config
        queue = self._future.setdefault(s.author, deque())
        queue.append(s)
        self._future_bytes[s.author] += _size(s)
        while len(queue) > cfg.future_max_messages or self._future_bytes[s.author] > cfg.future_max_bytes:
            self._future_bytes[s.author] -= _size(queue.popleft())
            self.stats["dropped.future-overflow"] += 1

    def _replay_future(self) -> None:
        """The view moved: handle the kept messages of the view now working, keep those of views
        not reached yet, forget those of views left behind."""
        ready: list[Signed[Message]] = []
        for author, queue in list(self._future.items()):
            keep: deque[Signed[Message]] = deque()
            for s in queue:
                m = s.message
                assert isinstance(m, (PrePrepare, Prepare, Commit))  # only these wait for their view
                view = m.view
                if view == self.view and self.active:
                    ready.append(s)
                elif view >= self.view:
                    keep.append(s)
            self._future[author] = keep
            self._future_bytes[author] = sum(map(_size, keep))
            if not keep:
                del self._future[author], self._future_bytes[author]
        for s in ready:
            self._dispatch(s)

    # --- output
    def _begin(self, now_ms: int) -> None:
        self._now = max(self._now, now_ms)
        self._out = []

    def _end(self) -> list[Action]:
        at = self._next_deadline()
        if at != self._timer_at:
            self._timer_at = at
            self._out.append(SetTimer(at))
        out, self._out = self._out, []
        return out

    def _drop(self, reason: str) -> None:
        self.stats[f"dropped.{reason}"] += 1

    def _sign(self, message: AnyMessage, batch: bytes | None = None) -> Signed[AnyMessage]:
        return self._auth.sign(message, batch)

    def _broadcast(self, message: AnyMessage, batch: bytes | None = None) -> Signed[AnyMessage]:
        signed = self._auth.sign(message, batch)
        self._out.append(Broadcast(signed))
        self.stats[f"out.{signed.kind}"] += 1
        return signed

    def _send(self, to: str, signed: Signed[Message]) -> None:
        self._out.append(Send(to, signed))
        self.stats[f"out.{signed.kind}"] += 1


def _size(s: Signed) -> int:
    return len(s.body) + sum(map(len, s.batches))
