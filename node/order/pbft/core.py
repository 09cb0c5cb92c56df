"""What the replica's parts share: the state and the steps that checkpoints
(`node.order.pbft.checkpoints`), view changes (`node.order.pbft.viewchange`) and catching up
(`node.order.pbft.catchup`) use of the `Replica` they are mixed into.

Each mixin's methods take ``self: ReplicaCore``, so a mixin names what it needs here rather than
importing `node.order.pbft.replica` (which imports the mixins: a cycle, even under
``TYPE_CHECKING``). mypy checks the other side: `Replica` is passed wherever a ``ReplicaCore`` is
expected, so a member declared here and missing from the replica, or typed differently, is an
error. Declaring a member is not defining it: each is defined once, by the module named beside it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Literal, Protocol

from node.order.pbft.actions import Action, NeedStateTransfer
from node.order.pbft.auth import Authenticator
from node.order.pbft.certificates import NewViewPlan
from node.order.pbft.config import PbftConfig
from node.order.pbft.log import Log, Slot
from node.order.pbft.messages import (
    AnyMessage, Batch, Checkpoint, Message, NewView, Signed, Status, ViewChange,
)
from node.order.pbft.requests import RequestPool


class ReplicaCore(Protocol):
    # replica.py: identity, inputs, the view and the normal case
    config: PbftConfig
    me: str
    stats: Counter[str]
    view: int
    active: bool
    executed: int
    _auth: Authenticator
    _log: Log
    _pool: RequestPool
    _out: list[Action]
    _now: int
    _streak: int
    _view_started: int
    _next_seq: int
    _in_flight: dict[bytes, int]

    @property
    def primary(self) -> str: ...
    def _attached_batch(self, s: Signed[Message], digest: bytes) -> Batch | None | Literal[False]: ...
    def _learn_batch(self, slot: Slot, digest: bytes, batch: Batch) -> None: ...
    def _check_prepared(self, slot: Slot) -> None: ...
    def _propose(self) -> None: ...
    def _may_vote(self) -> bool: ...
    def _execute(self) -> None: ...
    def _forget_request(self, digest: bytes) -> None: ...
    def _replay_future(self) -> None: ...
    def _drop(self, reason: str) -> None: ...
    def _sign(self, message: AnyMessage, batch: bytes | None = None) -> Signed[AnyMessage]: ...
    def _broadcast(self, message: AnyMessage, batch: bytes | None = None) -> Signed[AnyMessage]: ...
    def _send(self, to: str, signed: Signed[Message]) -> None: ...

    # checkpoints.py
    _votes: dict[int, dict[str, Signed[Checkpoint]]]
    _own_states: dict[int, bytes]
    _stable_state: bytes
    _stable_proof: tuple[Signed[Checkpoint], ...]
    _transfer: NeedStateTransfer | None

    def _check_stable(self, seq: int) -> None: ...
    def _adopt_stable(self, seq: int, state: bytes, proof: tuple[Signed[Checkpoint], ...]) -> None: ...
    def _transferred(self, sequence: int, state: bytes, requests: Iterable[bytes]) -> None: ...

    # viewchange.py
    _view_changes: dict[str, Signed[ViewChange]]
    _new_view: Signed[NewView] | None
    _view_change_deadline: int | None
    _missing_batches: set[int]

    def _start_view_change(self, view: int) -> None: ...
    def _view_change_progress(self) -> None: ...
    def _send_new_view(self, joined: list[Signed[ViewChange]]) -> None: ...
    def _install_new_view(self, new_view: Signed[NewView], plan: NewViewPlan) -> None: ...

    # catchup.py
    _next_status: int
    _peer_status: dict[str, Status]
    _executed_at_status: int | None

    def _send_committed(self, peer: str, executed: int) -> None: ...
    def _send_in_flight(self, peer: str, above: int) -> None: ...
