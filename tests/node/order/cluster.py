"""A hand-driven cluster of PBFT replicas for the unit tests: messages wait in one queue until a
test lets them through (all, some, or none), time moves only when a test moves it, and an
executor per replica keeps a hash chain of what it delivered and reports checkpoint states."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from node.order.pbft import (
    Action, Broadcast, Deliver, NeedStateTransfer, PbftConfig, Replica, Send, SetTimer, Signed, StateDiverged,
    ViewEntered,
)
from node.order.pbft.auth import Authenticator
from node.order.pbft.replica import sha256
from tests.node.order.keys import hmac_signer, hmac_verifier

DEFAULTS: dict[str, Any] = dict(
    batch_max=3, batch_timeout_ms=50, checkpoint_interval=2, window=4, request_timeout_ms=1_000,
    view_change_timeout_ms=1_000, status_interval_ms=10_000, max_backoff_doublings=3, clock_skew_ms=5_000,
)


@dataclass
class Packet:
    src: str
    dst: str
    message: Signed

    @property
    def kind(self) -> str:
        return self.message.kind


@dataclass
class Executor:
    delivered: list[Deliver] = field(default_factory=list)
    states: dict[int, bytes] = field(default_factory=lambda: {0: bytes(32)})
    transfers: list[NeedStateTransfer] = field(default_factory=list)
    diverged: list[StateDiverged] = field(default_factory=list)
    views: list[int] = field(default_factory=list)

    @property
    def sequences(self) -> list[int]:
        return [d.sequence for d in self.delivered]

    @property
    def requests(self) -> list[bytes]:
        return [r for d in self.delivered for r in d.batch.requests]


class Cluster:
    def __init__(self, n: int = 4, *, auto_checkpoint: bool = True, auto_transfer: bool = True,
                 wrong_state: set[str] | None = None,
                 accept_request: Callable[[bytes], bool] | None = None, **changes: Any) -> None:
        self.names = tuple(f"r{i}" for i in range(n))
        self.config = PbftConfig("test", self.names, **{**DEFAULTS, **changes})
        self.replicas = {name: Replica(self.config, name, hmac_signer(name), hmac_verifier(self.names),
                                       accept_request=accept_request) for name in self.names}
        self.executors = {name: Executor() for name in self.names}
        self.queue: list[Packet] = []
        self.timers: dict[str, int] = {}
        self.now = 0
        self.down: set[str] = set()
        self.auto_checkpoint = auto_checkpoint
        self.auto_transfer = auto_transfer
        self.wrong_state = wrong_state or set()

    def __getitem__(self, name: str) -> Replica:
        return self.replicas[name]

    def auth(self, name: str) -> Authenticator:
        """Signs as ``name`` (with its key): for messages a faulty replica makes up."""
        return Authenticator(self.config, name, hmac_signer(name), hmac_verifier(self.names), sha256)

    def apply(self, name: str, actions: list[Action]) -> list[Action]:
        """Carry out one replica's actions: messages are queued, deliveries recorded."""
        ex = self.executors[name]
        for a in actions:
            if isinstance(a, Broadcast):
                if name not in self.down:
                    self.queue.extend(Packet(name, dst, a.message) for dst in self.names if dst != name)
            elif isinstance(a, Send):
                if name not in self.down:
                    self.queue.append(Packet(name, a.to, a.message))
            elif isinstance(a, Deliver):
                assert a.sequence == max(ex.states) + 1, (name, a.sequence, max(ex.states))
                ex.delivered.append(a)
                previous = ex.states[a.sequence - 1]
                state = hashlib.sha256(previous + a.digest + (name.encode() if name in self.wrong_state else b"")).digest()
                ex.states[a.sequence] = state
                if self.auto_checkpoint and a.sequence % self.config.checkpoint_interval == 0:
                    self.apply(name, self.replicas[name].checkpoint_state(a.sequence, state, self.now))
            elif isinstance(a, SetTimer):
                self.timers[name] = a.at_ms
            elif isinstance(a, NeedStateTransfer):
                ex.transfers.append(a)
                source = next((n for n, e in self.executors.items() if e.states.get(a.to_sequence) == a.state), None)
                if self.auto_transfer and source is not None:
                    self.transfer(name, source)
            elif isinstance(a, StateDiverged):
                ex.diverged.append(a)
            elif isinstance(a, ViewEntered):
                ex.views.append(a.view)
        return actions

    def submit(self, name: str, request: bytes) -> list[Action]:
        return self.apply(name, self.replicas[name].submit(request, self.now))

    def deliver(self, packet: Packet) -> list[Action]:
        if packet.dst in self.down:
            return []
        return self.apply(packet.dst, self.replicas[packet.dst].receive(packet.message.to_bytes(), packet.src, self.now))

    def take(self, pred: Callable[[Packet], bool] = lambda p: True) -> list[Packet]:
        """Remove the queued packets ``pred`` picks (without delivering them)."""
        taken = [p for p in self.queue if pred(p)]
        self.queue = [p for p in self.queue if not pred(p)]
        return taken

    def flush(self, drop: Callable[[Packet], bool] = lambda p: False, limit: int = 100_000) -> int:
        """Deliver queued packets, first in first out, until none is left; ``drop`` loses some."""
        count = 0
        while self.queue:
            packet = self.queue.pop(0)
            count += 1
            assert count < limit, "messages never stop"
            if not drop(packet):
                self.deliver(packet)
        return count

    def advance(self, ms: int, drop: Callable[[Packet], bool] = lambda p: False, step: int = 10) -> None:
        """Let ``ms`` pass in steps: every live replica's due timers run, messages flow."""
        end = self.now + ms
        while self.now < end:
            self.now = min(end, self.now + step)
            for name in self.names:
                if name not in self.down and self.timers.get(name, 0) <= self.now:
                    self.apply(name, self.replicas[name].tick(self.now))
            self.flush(drop)

    def live(self) -> list[str]:
        return [n for n in self.names if n not in self.down]

    def transfer(self, name: str, source: str) -> None:
        """Play the node's state transfer for ``name``: copy ``source``'s executed state."""
        want = self.executors[name].transfers[-1]
        ex, src = self.executors[name], self.executors[source]
        assert src.states[want.to_sequence] == want.state
        requests = [r for d in src.delivered if want.from_sequence <= d.sequence <= want.to_sequence
                    for r in d.batch.requests]
        for seq in range(want.from_sequence, want.to_sequence + 1):
            ex.states[seq] = src.states[seq]
        self.apply(name, self.replicas[name].state_transferred(want.to_sequence, want.state, requests, now_ms=self.now))
