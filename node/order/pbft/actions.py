"""What a replica asks its driver to do: the outputs of every event it is given.

The driver (the node, or the simulation) carries them out in the order given. Messages are
`Signed` values; ``message.to_bytes()`` is what goes on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias, Union

from node.order.pbft.messages import Batch, Checkpoint, Commit, Message, Signed


@dataclass(frozen=True, slots=True)
class Send:
    """Send ``message`` to the replica named ``to``."""

    to: str
    message: Signed[Message]


@dataclass(frozen=True, slots=True)
class Broadcast:
    """Send ``message`` to every other replica."""

    message: Signed[Message]


@dataclass(frozen=True, slots=True)
class Deliver:
    """The batch at ``sequence`` is final: execute it (cut its block). Sequence numbers come 1, 2,
    3, ... each once. A null batch (no requests) fills a number a view change left empty: it
    changes no state; the node cuts no block for it, or an empty one. ``certificate`` is the
    commit certificate (Q signed commits) that proves the batch to anyone, to keep with the block
    and hand to peers that catch up."""

    sequence: int
    batch: Batch
    digest: bytes
    certificate: tuple[Signed[Commit], ...]


@dataclass(frozen=True, slots=True)
class NeedStateTransfer:
    """This replica is behind a stable checkpoint and its log no longer reaches back: fetch the
    batches (blocks) from ``from_sequence`` to ``to_sequence`` from peers, check that executing them
    gives ``state`` (``proof``: Q signed checkpoint messages for it), then call
    `Replica.state_transferred`. Delivery waits until then."""

    from_sequence: int
    to_sequence: int
    state: bytes
    proof: tuple[Signed[Checkpoint], ...]


@dataclass(frozen=True, slots=True)
class StateDiverged:
    """A quorum agreed on a state at ``sequence`` other than the one this replica's executor
    reported: its state is wrong (a non-deterministic execution, a damaged store) and must be
    repaired from peers. The replica keeps ordering meanwhile; its checkpoint votes do not count."""

    sequence: int
    local: bytes
    agreed: bytes


@dataclass(frozen=True, slots=True)
class ViewEntered:
    """The replica now works in ``view``, whose primary is ``primary`` (for logs and metrics)."""

    view: int
    primary: str


@dataclass(frozen=True, slots=True)
class SetTimer:
    """Call `Replica.tick` at ``at_ms`` (or any time after); a later SetTimer replaces it."""

    at_ms: int


Action: TypeAlias = Union[Send, Broadcast, Deliver, NeedStateTransfer, StateDiverged, ViewEntered, SetTimer]
