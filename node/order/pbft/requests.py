"""Requests waiting to be ordered, and the memory of those lately delivered.

A request is an item's bytes; its digest (the channel suite's hash) names it. A replica holds a
request from the moment it learns of it (a local submit, a request message from another replica,
or a pre-prepare that carries it) until a batch holding it is delivered. Meanwhile:

- it is *pending*: its age drives the replica's suspicion of the primary (censorship), and every
  status interval the replica broadcasts the requests that have waited that long again;
- it is *unproposed* unless a pre-prepare of the current view holds it: the primary batches only
  unproposed requests, in the order they arrived; a view change makes every pending request
  unproposed again except those the new view's pre-prepares hold.

De-duplication: a request is refused while it is pending or among the `dedup_memory` digests
delivered last. Older duplicates may be ordered again: the ledger refuses those at validation as
DUPLICATE_TXID, so the bound costs a wasted slot, never a double effect.

Bounds: at most `max_pending` requests and `max_pending_bytes` bytes, shared out equally among
the replicas by origin (the author of the request message, or this replica for local submits), so
a faulty replica that floods requests fills its own share and cannot crowd out the requests of
the others. Requests learnt from pre-prepares are outside the shares: the log's window bounds them
(L batches of at most `batch_max` requests and `batch_max_bytes` bytes).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from node.order.pbft.config import PbftConfig
from node.recent import Recent


@dataclass(slots=True)
class Pending:
    request: bytes
    origin: str | None  # None: learnt from a pre-prepare, outside the shares
    arrived_ms: int
    sent_ms: int  # when this replica last broadcast it


class RequestPool:
    def __init__(self, config: PbftConfig) -> None:
        self._count_share = config.max_pending // config.n
        self._byte_share = config.max_pending_bytes // config.n
        self.pending: dict[bytes, Pending] = {}  # by digest, in arrival order
        self.unproposed: dict[bytes, None] = {}  # a subset of pending, in arrival order
        self._counts: Counter[str] = Counter()
        self._bytes: Counter[str] = Counter()
        self._delivered: Recent[bytes, None] = Recent(config.dedup_memory)  # oldest first

    def __len__(self) -> int:
        return len(self.pending)

    def known(self, digest: bytes) -> bool:
        return digest in self.pending or digest in self._delivered

    def delivered_lately(self, digest: bytes) -> bool:
        return digest in self._delivered

    def has_room(self, origin: str, size: int) -> bool:
        return self._counts[origin] < self._count_share and self._bytes[origin] + size <= self._byte_share

    def add(self, digest: bytes, request: bytes, origin: str | None, now_ms: int, *, proposed: bool = False) -> bool:
        """Hold a new request; False when it is known already or its origin's share is full."""
        if self.known(digest):
            return False
        if origin is not None:
            if not self.has_room(origin, len(request)):
                return False
            self._counts[origin] += 1
            self._bytes[origin] += len(request)
        self.pending[digest] = Pending(request, origin, now_ms, now_ms)
        if not proposed:
            self.unproposed[digest] = None
        return True

    def proposed(self, digest: bytes) -> None:
        self.unproposed.pop(digest, None)

    def reset_proposals(self, held: set[bytes]) -> None:
        """A new view: every pending request not in ``held`` may be proposed again."""
        self.unproposed = {d: None for d in self.pending if d not in held}

    def delivered(self, digest: bytes) -> None:
        entry = self.pending.pop(digest, None)
        self.unproposed.pop(digest, None)
        if entry is not None and entry.origin is not None:
            self._counts[entry.origin] -= 1
            self._bytes[entry.origin] -= len(entry.request)
            if not self._counts[entry.origin]:
                del self._counts[entry.origin], self._bytes[entry.origin]
        self._delivered.pop(digest, None)
        self._delivered.put(digest, None)

    def own(self, origin: str) -> list[bytes]:
        return [p.request for p in self.pending.values() if p.origin == origin]

    def oldest(self) -> Pending | None:
        return next(iter(self.pending.values()), None)

    def oldest_unproposed(self) -> Pending | None:
        for digest in self.unproposed:
            return self.pending[digest]
        return None

    def batch(self, max_count: int, max_bytes: int) -> list[tuple[bytes, bytes]]:
        """The oldest unproposed requests that fit a batch (at most ``max_count`` requests of at most
        ``max_bytes`` bytes together): (digest, request), in arrival order."""
        out: list[tuple[bytes, bytes]] = []
        budget = max_bytes
        for digest in self.unproposed:
            request = self.pending[digest].request
            if len(out) >= max_count or len(request) > budget:
                break
            out.append((digest, request))
            budget -= len(request)
        return out
