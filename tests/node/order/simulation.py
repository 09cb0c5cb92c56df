"""A deterministic simulation of PBFT replicas (`node.order.pbft`) in one thread, from a seed.

The replicas are the real `Replica` objects; everything around them is simulated: a clock, a
network that delays, reorders, drops and duplicates messages (each message is copied at most
once more) and cuts partitions, clients that submit requests, an executor per replica that keeps
a hash chain of the delivered batches (its checkpoint state) and fetches state from a peer when
its replica asks, and faulty replicas:

- ``crash``: the replica stops at a random time in the first half of the run (messages to it are
  lost, it sends none);
- ``equivocate``: as primary it sends one pre-prepare to some backups and another (the same
  requests in another order or at another time, so another digest) to the others;
- ``censor``: it drops every request of client 0 (as primary it never proposes them);
- ``garbage``: it sends its prepares, commits and checkpoints with wrong digests, and noise:
  random bytes, truncated and re-signed messages, messages under other replicas' names, replays
  of old messages, view changes for far views, lying statuses, forged certificates;
- ``bad-new-view``: as a new primary it sends new views that leave a prepared batch out (or drop
  a view change), re-signed with its key;
- ``twins``: two honest copies of the replica run under one name and key, each hearing part of
  the network, which yields equivocation and forgotten state without written attack code;
- ``isolate``: a network fault, not a replica fault: the replica is cut off for an interval
  (it falls behind and must catch up, perhaps by state transfer);
- ``split``: a network fault: the replicas are split in two random halves for an interval (no
  half holds a quorum; after it heals, the views and logs must be reconciled).

Every request carries its client's tag (an HMAC under the client's key), and the replicas' request
check (`accept_request`) refuses requests without a valid one, so a faulty replica cannot invent
requests. Signatures are HMAC-SHA256 under a key per replica: fast, and no replica can sign for
another.

Invariants, checked at every delivery (each honest replica, crashed ones included up to their
crash; faulty ones are not checked):
- agreement: no two honest replicas deliver different batches at one sequence number (so the
  blocks form one hash chain, which every checkpoint also compares);
- total order: each delivers 1, 2, 3, ... without gap or repeat (a state transfer fills its gap
  with the batches of a peer, checked against the agreed state);
- validity: every delivered request was submitted by a client, and none twice unless a view
  change brought back a batch whose requests were proposed again (PBFT's known double execution,
  which the ledger turns into DUPLICATE_TXID; counted in the outcome);
- liveness: after the network stabilises (no more loss, duplication or partitions; the faulty
  replicas stay faulty), every request submitted to an honest replica is delivered by every
  honest live replica within a bounded simulated time.

    python -m tests.node.order.simulation --scenario equivocate --n 7 --seeds 200

replays seeds from the command line; a failing seed reproduces exactly from its number.
"""

from __future__ import annotations

import argparse
import hashlib
import heapq
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from node.order.pbft import (
    Batch, Broadcast, Deliver, NeedStateTransfer, PbftConfig, Replica, Send, SetTimer, Signed, ViewEntered,
)
from node.order.pbft.messages import (
    Checkpoint, CheckpointProof, Commit, Committed, NewView, Prepare, PrePrepare, Status, ViewChange,
    decode_batch, decode_signed,
)
from tests.node.order.keys import client_request, hmac_signer, hmac_verifier, request_check, request_client


class InvariantViolation(AssertionError):
    pass


# --- scenarios ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Fault:
    kind: str  # crash, equivocate, censor, garbage, bad-new-view, twins, isolate, split
    replica: int  # its index, or -1: a random backup of view 0 (chosen from the seed)


@dataclass(frozen=True)
class Scenario:
    name: str
    n: int
    faults: tuple[Fault, ...] = ()
    requests: int = 60
    submit_until_ms: int = 4_000  # clients submit until the network stabilises
    stable_at_ms: int = 4_000  # no network faults from here on
    liveness_ms: int = 30_000  # after stable_at_ms, everything submitted is delivered everywhere
    # Each seed draws its network from these ranges: the share of messages lost and duplicated,
    # and the longest delay, while unstable; after, delays are at most stable_delay_ms.
    drop: tuple[float, float] = (0.0, 0.3)
    duplicate: tuple[float, float] = (0.0, 0.2)
    max_delay_ms: tuple[int, int] = (5, 150)
    stable_delay_ms: int = 10
    isolate_ms: tuple[int, int] = (500, 3_500)  # when an isolated replica is cut off, or the network split


def sim_config(names: tuple[str, ...]) -> PbftConfig:
    """Small numbers so that a short run crosses checkpoints, the window's edge, view changes
    with back-off, and state transfers."""
    return PbftConfig(
        "sim", names, batch_max=4, batch_timeout_ms=20, checkpoint_interval=4, window=8,
        request_timeout_ms=300, view_change_timeout_ms=300, max_backoff_doublings=4,
        status_interval_ms=100, catchup_max=8, clock_skew_ms=1_000, max_pending=4_000,
        max_pending_bytes=64 * 1024 * 1024, request_max_bytes=4096, batch_max_bytes=64 * 1024,
    )


SCENARIOS: dict[str, list[Fault]] = {
    "clean": [],
    "crash-backup": [Fault("crash", -1)],
    "crash-primary": [Fault("crash", 0)],
    "equivocate": [Fault("equivocate", 0)],
    "censor": [Fault("censor", 0)],
    "garbage": [Fault("garbage", -1)],
    "bad-new-view": [Fault("bad-new-view", 1), Fault("isolate", 0)],
    "twins": [Fault("twins", 0)],
    "isolate": [Fault("isolate", -1)],
    "split": [Fault("split", 0)],
}
# With f = 2 two faults at once; the isolated replica is correct (a network fault).
SCENARIOS_7: dict[str, list[Fault]] = {
    "crash-primary+garbage": [Fault("crash", 0), Fault("garbage", -1)],
    "equivocate+crash": [Fault("equivocate", 0), Fault("crash", -1)],
    "censor+garbage": [Fault("censor", 0), Fault("garbage", -1)],
    "crash-primary+bad-new-view": [Fault("crash", 0), Fault("bad-new-view", 1)],
    "twins+equivocate": [Fault("twins", 0), Fault("equivocate", 1)],
    "isolate+garbage": [Fault("isolate", -1), Fault("garbage", -1)],
}


def scenario(name: str, n: int, **changes: Any) -> Scenario:
    faults = {**SCENARIOS, **SCENARIOS_7}[name]
    return replace(Scenario(name, n, tuple(faults)), **changes)


# --- the world ----------------------------------------------------------------------------

@dataclass
class History:
    """What one replica's executor delivered: digests, states and batches by sequence number."""

    digests: list[bytes] = field(default_factory=lambda: [b""])  # index 0 unused
    states: list[bytes] = field(default_factory=lambda: [bytes(32)])  # state after n; 0 is genesis
    batches: list[Batch] = field(default_factory=lambda: [Batch(0, ())])
    requests: Counter = field(default_factory=Counter)

    @property
    def executed(self) -> int:
        return len(self.digests) - 1

    def append(self, digest: bytes, batch: Batch) -> None:
        self.digests.append(digest)
        self.states.append(hashlib.sha256(self.states[-1] + digest).digest())
        self.batches.append(batch)
        self.requests.update(batch.requests)


@dataclass
class Copy:
    """One `Replica` and its executor (a twin node has two)."""

    replica: Replica
    history: History = field(default_factory=History)
    timer: int | None = None
    transfer: NeedStateTransfer | None = None


class Node:
    def __init__(self, name: str, kind: str, copies: list[Copy]) -> None:
        self.name = name
        self.kind = kind  # honest, or the fault's kind
        self.copies = copies
        self.crashed_at: int | None = None
        self.heard: list[bytes] = []  # a garbage replica's memory of messages, for replays
        self.noise_kinds: list[int] = []  # the kinds of noise it sends next (see `World._noise`)

    @property
    def replica(self) -> Replica:
        return self.copies[0].replica

    @property
    def history(self) -> History:
        return self.copies[0].history

    @property
    def honest(self) -> bool:
        return self.kind in ("honest", "crash")

    def alive(self, now: int) -> bool:
        return self.crashed_at is None or now < self.crashed_at


class World:
    def __init__(self, sc: Scenario, seed: int) -> None:
        self.sc = sc
        self.seed = seed
        self.rng = random.Random(f"{sc.name}/{sc.n}/{seed}")
        self.drop = self.rng.uniform(*sc.drop)
        self.duplicate = self.rng.uniform(*sc.duplicate)
        self.max_delay = self.rng.randint(*sc.max_delay_ms)
        self.settled_ms: int | None = None
        self.names = tuple(f"r{i}" for i in range(sc.n))
        self.config = sim_config(self.names)
        self.now = 0
        self.steps = 0
        self.events: list[tuple] = []
        self._order = 0
        self.decided: dict[int, bytes] = {}
        self.submitted: dict[bytes, int] = {}  # request -> time submitted (to honest replicas)
        self.isolated: dict[str, tuple[int, int]] = {}
        self.split: tuple[int, int, frozenset[str]] | None = None
        self.view_entered = 0
        self.transfers = 0
        self.duplicates = 0  # requests delivered a second time, summed over honest replicas
        self.trace = hashlib.sha256()
        self.nodes: dict[str, Node] = {}
        backups = list(self.names[1:])
        self.rng.shuffle(backups)
        kinds: dict[str, str] = {}
        for fault in sc.faults:
            name = self.names[fault.replica] if fault.replica >= 0 else next(b for b in backups if b not in kinds)
            if fault.kind == "split":
                start, end = sc.isolate_ms
                half = frozenset(self.rng.sample(self.names, sc.n // 2))
                self.split = (self.rng.randint(start, (start + end) // 2), end, half)
                continue
            if fault.kind == "isolate":
                start, end = sc.isolate_ms
                self.isolated[name] = (self.rng.randint(start, (start + end) // 2), end)
                kinds.setdefault(name, "honest")
            else:
                kinds[name] = fault.kind
        for name in self.names:
            kind = kinds.get(name, "honest")
            copies = [Copy(self._replica(name)) for _ in range(2 if kind == "twins" else 1)]
            self.nodes[name] = Node(name, kind, copies)
        for node in self.nodes.values():
            if node.kind == "crash":
                node.crashed_at = self.rng.randint(0, sc.submit_until_ms // 2)  # requests come after: it matters
            for copy in node.copies:
                self._schedule(node, copy, copy.replica.tick(0))
        self.entry = [n for n in self.names if self.nodes[n].kind == "honest"]
        for i in range(sc.requests):
            at = self.rng.randint(0, sc.submit_until_ms)
            self._push(at, "submit", client_request(i % 3, i), self.rng.choice(self.entry))

    def _replica(self, name: str) -> Replica:
        return Replica(self.config, name, hmac_signer(name), hmac_verifier(self.names), accept_request=request_check)

    # --- events
    def _push(self, at: int, kind: str, a: Any = None, b: Any = None, c: Any = None) -> None:
        self._order += 1
        heapq.heappush(self.events, (at, self._order, kind, a, b, c))

    def run(self) -> None:
        sc = self.sc
        deadline = sc.stable_at_ms + sc.liveness_ms
        while self.events:
            at, _, kind, a, b, c = heapq.heappop(self.events)
            if at > deadline:
                break
            self.now = at
            self.steps += 1
            if kind == "msg":
                self._on_message(a, b, c)
            elif kind == "tick":
                self._on_tick(a, b)
            elif kind == "submit":
                self._on_submit(a, b)
            elif kind == "transfer":
                self._on_transfer(a, b)
            if at >= sc.stable_at_ms and self.steps % 16 == 0 and self.done():
                self.settled_ms = self.now - sc.stable_at_ms
                return
        if not self.done():
            raise InvariantViolation(self.describe("liveness: requests not delivered everywhere "
                                                   f"{sc.liveness_ms} ms after the network stabilised"))

    def done(self) -> bool:
        if self.now < self.sc.stable_at_ms or len(self.submitted) < self.sc.requests:
            return False
        for node in self.nodes.values():
            if node.honest and node.alive(self.now):
                if any(node.history.requests[r] == 0 for r in self.submitted):
                    return False
        return True

    def _on_submit(self, request: bytes, name: str) -> None:
        node = self.nodes[name]
        self.submitted[request] = self.now
        copy = node.copies[0]
        self._schedule(node, copy, copy.replica.submit(request, self.now))

    def _on_tick(self, name: str, index: int) -> None:
        node = self.nodes[name]
        copy = node.copies[index]
        if not node.alive(self.now) or copy.timer != self.now:
            return  # crashed, or a timer a later one replaced
        if node.kind == "garbage":
            self._noise(node)
        self._schedule(node, copy, copy.replica.tick(self.now))

    def _on_message(self, src: str, dst: str, data: bytes) -> None:
        node = self.nodes[dst]
        if not node.alive(self.now):
            return
        if node.kind == "censor" and self._censored(data):
            return
        if node.kind == "garbage" and len(node.heard) < 500:
            node.heard.append(data)
        # Twins: each message reaches one of the two copies, chosen at random.
        copy = node.copies[self.rng.randrange(len(node.copies))]
        self._schedule(node, copy, copy.replica.receive(data, src, self.now))

    def _censored(self, data: bytes) -> bool:
        try:
            s = decode_signed(data, self.config)
        except Exception:
            return False
        return s.kind == "request" and request_client(s.message.request) == 0

    # --- actions
    def _schedule(self, node: Node, copy: Copy, actions: list) -> None:
        index = node.copies.index(copy)
        for action in actions:
            if isinstance(action, (Broadcast, Send)):
                for dst, data in self._outgoing(node, action):
                    self._send(node.name, dst, data)
            elif isinstance(action, Deliver):
                self._deliver(node, copy, action)
            elif isinstance(action, SetTimer):
                copy.timer = action.at_ms
                self._push(action.at_ms, "tick", node.name, index)
            elif isinstance(action, NeedStateTransfer):
                copy.transfer = action
                self._push(self.now + 20, "transfer", node.name, index)
            elif isinstance(action, ViewEntered):
                self.view_entered = max(self.view_entered, action.view)

    def _send(self, src: str, dst: str, data: bytes) -> None:
        sc, rng = self.sc, self.rng
        stable = self.now >= sc.stable_at_ms
        if not self.nodes[src].alive(self.now):
            return
        for name in (src, dst):
            window = self.isolated.get(name)
            if window and window[0] <= self.now < window[1]:
                return
        if self.split and self.split[0] <= self.now < self.split[1]:
            if (src in self.split[2]) != (dst in self.split[2]):
                return
        if not stable and rng.random() < self.drop:
            return
        copies = 2 if not stable and rng.random() < self.duplicate else 1
        for _ in range(copies):
            delay = rng.randint(1, sc.stable_delay_ms if stable else self.max_delay)
            self._push(self.now + delay, "msg", src, dst, data)

    def _deliver(self, node: Node, copy: Copy, d: Deliver) -> None:
        self.trace.update(f"{node.name}:{d.sequence}:".encode() + d.digest)
        h = copy.history
        if d.sequence != h.executed + 1:
            raise InvariantViolation(self.describe(f"total order: {node.name} delivered {d.sequence} "
                                                   f"after {h.executed}"))
        self._record(node, copy, d.sequence, d.digest, d.batch)
        if d.sequence % self.config.checkpoint_interval == 0:
            self._schedule(node, copy, copy.replica.checkpoint_state(d.sequence, h.states[-1], self.now))

    def _record(self, node: Node, copy: Copy, seq: int, digest: bytes, batch: Batch) -> None:
        if not node.honest:
            copy.history.append(digest, batch)
            return
        agreed = self.decided.setdefault(seq, digest)
        if agreed != digest:
            raise InvariantViolation(self.describe(f"agreement: {node.name} delivered another batch at {seq}"))
        for r in batch.requests:
            if r not in self.submitted:
                raise InvariantViolation(self.describe(f"validity: {node.name} delivered a request "
                                                       "no client submitted"))
            if copy.history.requests[r]:
                # PBFT orders a request twice when a view change brings back a prepared batch whose
                # requests a later view had proposed again; the ledger refuses the second copy
                # (DUPLICATE_TXID). Within one view it cannot happen: backups refuse batches
                # holding requests in flight or delivered.
                self.duplicates += 1
                if self.view_entered == 0:
                    first = next(n for n, b in enumerate(copy.history.batches) if r in b.requests)
                    raise InvariantViolation(self.describe(f"validity: {node.name} delivered request {r[:-8]!r} "
                                                           f"twice (at {first} and {seq}) without a view change"))
        copy.history.append(digest, batch)

    def _on_transfer(self, name: str, index: int) -> None:
        node = self.nodes[name]
        copy = node.copies[index]
        want = copy.transfer
        if want is None or not node.alive(self.now):
            return
        h = copy.history
        sources = [n for n in self.nodes.values() if n.honest and n.history.executed >= want.to_sequence]
        if not sources:
            self._push(self.now + 50, "transfer", name, index)
            return
        source = sources[self.rng.randrange(len(sources))].history
        if source.states[want.to_sequence] != want.state:
            raise InvariantViolation(self.describe(f"state transfer: the proven state at {want.to_sequence} "
                                                   "is not the honest replicas' state"))
        requests: list[bytes] = []
        for seq in range(h.executed + 1, want.to_sequence + 1):
            self._record(node, copy, seq, source.digests[seq], source.batches[seq])
            requests.extend(source.batches[seq].requests)
        copy.transfer = None
        self.transfers += 1
        self.trace.update(f"{name}:transfer:{want.to_sequence}".encode())
        actions = copy.replica.state_transferred(want.to_sequence, want.state, requests, now_ms=self.now)
        self._schedule(node, copy, actions)

    # --- faulty replicas' output
    def _outgoing(self, node: Node, action: Broadcast | Send) -> list[tuple[str, bytes]]:
        targets = [n for n in self.names if n != node.name] if isinstance(action, Broadcast) else [action.to]
        s = action.message
        if node.kind == "equivocate" and s.kind == "pre-prepare" and s.batches:
            return self._equivocate(node, s, targets)
        if node.kind == "garbage" and s.kind in ("prepare", "commit", "checkpoint"):
            s = self._wrong(node, s)
        if node.kind == "bad-new-view" and s.kind == "new-view":
            s = self._tamper_new_view(node, s)
        data = s.to_bytes()
        return [(t, data) for t in targets]

    def _sign(self, node: Node, message: Any, batch: bytes | None = None) -> Signed:
        return node.replica._auth.sign(message, batch)

    def _equivocate(self, node: Node, s: Signed, targets: list[str]) -> list[tuple[str, bytes]]:
        batch = decode_batch(s.batches[0], self.config)
        if len(batch.requests) > 1:
            other = Batch(batch.time_ms, batch.requests[::-1])
        else:
            other = Batch(batch.time_ms + 1, batch.requests)
        raw = other.to_bytes()
        pp = s.message
        forged = self._sign(node, PrePrepare(pp.view, pp.seq, hashlib.sha256(raw).digest()), raw).to_bytes()
        data = s.to_bytes()
        return [(t, forged if self.rng.random() < 0.5 else data) for t in targets]

    def _wrong(self, node: Node, s: Signed) -> Signed:
        m = s.message
        noise = hashlib.sha256(s.body).digest()
        if isinstance(m, Checkpoint):
            return self._sign(node, Checkpoint(m.seq, noise))
        return self._sign(node, type(m)(m.view, m.seq, noise))

    def _tamper_new_view(self, node: Node, s: Signed) -> Signed:
        nv = s.message
        assert isinstance(nv, NewView)
        null = node.replica._auth.null_digest
        pps = list(nv.pre_prepares)
        real = [i for i, p in enumerate(pps) if p.message.digest != null]
        changes = list(nv.view_changes)
        if real:  # leave a prepared batch out: a null in its place
            i = self.rng.choice(real)
            pps[i] = self._sign(node, PrePrepare(nv.view, pps[i].message.seq, null))
        else:  # or hold too few view changes
            changes = changes[:-1]
        return self._sign(node, NewView(nv.view, tuple(changes), tuple(pps)))

    def _noise(self, node: Node) -> None:
        """A garbage replica's unprompted messages, a few per tick."""
        rng = self.rng
        replica = node.replica
        for _ in range(rng.randint(0, 2)):
            to = rng.choice([n for n in self.names if n != node.name])
            # Every kind once in each nine, in a random order: a fair draw could leave a run's
            # scenario without the evidence it must show (a seed drew two malformed of 49).
            if not node.noise_kinds:
                node.noise_kinds = rng.sample(range(9), 9)
            pick = node.noise_kinds.pop()
            if pick == 0:
                data = rng.randbytes(rng.randint(0, 200))
            elif pick == 1 and node.heard:
                data = rng.choice(node.heard)  # a replay (an old view's, often)
            elif pick == 2 and node.heard:
                raw = rng.choice(node.heard)
                data = raw[: rng.randint(0, len(raw))]
            elif pick == 3:  # another replica's name on its own message: a bad signature
                s = self._sign(node, Prepare(replica.view, replica.executed + 1, bytes(32)))
                other = rng.choice([n for n in self.names if n not in (node.name, to)])
                data = Signed(other, s.message, s.body, s.signature).to_bytes()
            elif pick == 4:  # view change spam for far views
                data = self._sign(node, ViewChange(replica.view + rng.randint(1, 50), (), ())).to_bytes()
            elif pick == 5:  # a lying status
                data = self._sign(node, Status(replica.view + 3, True, replica.executed + 100, 0)).to_bytes()
            elif pick == 6:  # a forged commit certificate: its own commit, repeated
                c = self._sign(node, Commit(replica.view, replica.executed + 1, bytes(32)))
                data = self._sign(node, Committed((c,) * self.config.quorum), b"x").to_bytes()
            elif pick == 7:  # a pre-prepare while not the primary, of a request no client made (a bad tag)
                raw = Batch(self.now, (client_request(1, 10_000 + rng.randrange(100))[:-1] + b"?",)).to_bytes()
                pp = PrePrepare(replica.view, replica.executed + 1, hashlib.sha256(raw).digest())
                data = self._sign(node, pp, raw).to_bytes()
            else:  # a forged checkpoint proof
                cp = self._sign(node, Checkpoint(self.config.checkpoint_interval * 100, bytes(32)))
                data = self._sign(node, CheckpointProof((cp,) * self.config.quorum)).to_bytes()
            self._send(node.name, to, data)

    # --- reports
    def describe(self, problem: str) -> str:
        lines = [f"{problem} (scenario {self.sc.name}, n={self.sc.n}, seed {self.seed}, t={self.now} ms, "
                 f"step {self.steps}; network: drop {self.drop:.2f}, duplicate {self.duplicate:.2f}, "
                 f"delay <= {self.max_delay} ms)"]
        missing = Counter()
        for node in self.nodes.values():
            r = node.replica
            lost = sum(1 for q in self.submitted if node.history.requests[q] == 0)
            missing[node.name] = lost
            lines.append(f"  {node.name} {node.kind:12} alive={node.alive(self.now)} view={r.view} active={r.active} "
                         f"executed={r.executed} stable={r.stable} pending={r.pending} undelivered={lost} "
                         f"dropped={ {k: v for k, v in r.stats.items() if k.startswith('dropped')} }")
        return "\n".join(lines)


@dataclass(frozen=True)
class Outcome:
    steps: int
    sim_ms: int
    settled_ms: int  # from the network's stabilising to every request delivered everywhere
    delivered: int  # the highest sequence number an honest replica delivered
    views: int  # the highest view entered
    trace: str  # a digest of every delivery and transfer, in order: equal runs give equal traces
    stats: Counter  # the honest replicas' counters, summed


def run(sc: Scenario, seed: int) -> Outcome:
    world = World(sc, seed)
    world.run()
    honest = [n for n in world.nodes.values() if n.honest]
    stats: Counter = Counter()
    for node in honest:
        stats.update(node.replica.stats)
    stats["transfers"] = world.transfers
    stats["duplicates"] = world.duplicates
    assert world.settled_ms is not None
    delivered = max(n.history.executed for n in honest)
    return Outcome(world.steps, world.now, world.settled_ms, delivered, world.view_entered, world.trace.hexdigest(),
                   stats)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--scenario", default="all")
    p.add_argument("--n", type=int, default=4)
    p.add_argument("--seeds", type=int, default=20)
    p.add_argument("--first", type=int, default=0)
    args = p.parse_args(argv)
    names = [args.scenario] if args.scenario != "all" else list(SCENARIOS) + (list(SCENARIOS_7) if args.n >= 7 else [])
    failures = 0
    shown = ("view-changes", "transfers", "duplicates", "checkpoints", "dropped.conflicting-pre-prepare",
             "dropped.bad-new-view", "dropped.bad-signature", "dropped.malformed", "dropped.repeated-request",
             "dropped.future-overflow")
    for name in names:
        started, steps, stats, settle = time.perf_counter(), 0, Counter(), 0
        for seed in range(args.first, args.first + args.seeds):
            try:
                outcome = run(scenario(name, args.n), seed)
                steps += outcome.steps
                settle = max(settle, outcome.settled_ms)
                stats.update(outcome.stats)
            except InvariantViolation as exc:
                failures += 1
                print(exc, file=sys.stderr)
        took = time.perf_counter() - started
        counts = " ".join(f"{k.removeprefix('dropped.')}={stats[k]}" for k in shown if stats[k])
        print(f"{name:28} n={args.n} seeds={args.seeds} steps={steps} {took:.1f}s ({steps / took:.0f} steps/s) "
              f"settled<={settle}ms {counts}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
