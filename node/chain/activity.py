"""A channel's recent activity, in memory: what the console's dashboard charts.

`Activity` keeps the last `WINDOW_MINUTES` of one channel in buckets of `BUCKET_MS` of wall-clock
time, a ring of `WINDOW_MINUTES * 60_000 / BUCKET_MS` slots reused as time passes: per bucket the
blocks committed, their transactions, the count of each validation code, and the commit
latencies of the transactions, from which the answer gives the median and the 99th percentile.

Commit latency is this node's commit time minus, for a transaction submitted through this node,
the time it received it (`received`, which the API calls as it hands an envelope to ordering),
else minus the block's time (when the orderer cut it). Received times are kept until the
transaction commits, at most `PENDING_MAX` of them (the oldest go first: a transaction that never
commits must not hold memory for ever).

Nothing here is replicated or hashed: a restarted node starts with an empty ring, and two nodes'
rings differ by when each committed. Memory is bounded: a bucket keeps at most `SAMPLES_MAX`
latencies; when full, it drops every second one and from then on keeps one in two (then one in
four...), so the samples of a busy bucket still spread evenly over its 10 s.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from node.tx.codes import ValidationCode

BUCKET_MS = 10_000
WINDOW_MINUTES = 60
PENDING_MAX = 100_000
SAMPLES_MAX = 2_000
_SLOTS = WINDOW_MINUTES * 60_000 // BUCKET_MS


@dataclass(slots=True)
class _Bucket:
    start: int
    blocks: int = 0
    transactions: int = 0
    codes: dict[str, int] = field(default_factory=dict)
    latencies: list[int] = field(default_factory=list)
    stride: int = 1  # keep one latency in `stride` (thinned past SAMPLES_MAX)
    seen: int = 0


class Activity:
    """The ring of one channel (see the module docstring); times are ms since 1970."""

    def __init__(self) -> None:
        self._slots: list[_Bucket | None] = [None] * _SLOTS
        self._received: OrderedDict[bytes, int] = OrderedDict()

    def received(self, tx_id: bytes, at_ms: int) -> None:
        """This node received ``tx_id`` for ordering at ``at_ms``."""
        self._received[tx_id] = at_ms
        if len(self._received) > PENDING_MAX:
            self._received.popitem(last=False)

    def committed(self, block_time_ms: int, codes: Sequence[ValidationCode], tx_ids: Sequence[bytes],
                  at_ms: int) -> None:
        """A block was committed at ``at_ms``: its codes, and the ids of its transactions."""
        bucket = self._bucket(at_ms)
        bucket.blocks += 1
        bucket.transactions += len(codes)
        for code in codes:
            bucket.codes[code.name] = bucket.codes.get(code.name, 0) + 1
        for tx in tx_ids:
            since = self._received.pop(tx, block_time_ms)
            bucket.seen += 1
            if bucket.seen % bucket.stride:
                continue
            bucket.latencies.append(max(at_ms - since, 0))
            if len(bucket.latencies) >= SAMPLES_MAX:
                bucket.latencies = bucket.latencies[::2]
                bucket.stride *= 2

    def buckets(self, span_ms: int, now: int) -> list[dict[str, Any]]:
        """The buckets of the last ``span_ms`` up to ``now``, oldest first, empty ones included."""
        last = now - now % BUCKET_MS
        count = min(max(span_ms // BUCKET_MS, 1), _SLOTS)
        out = []
        for start in range(last - (count - 1) * BUCKET_MS, last + 1, BUCKET_MS):
            b = self._slots[(start // BUCKET_MS) % _SLOTS]
            if b is None or b.start != start:
                out.append({"start": start, "blocks": 0, "transactions": 0, "codes": {}, "commit_latency_ms": None})
                continue
            out.append({"start": start, "blocks": b.blocks, "transactions": b.transactions, "codes": dict(b.codes),
                        "commit_latency_ms": _percentiles(b.latencies)})
        return out

    def _bucket(self, at_ms: int) -> _Bucket:
        start = at_ms - at_ms % BUCKET_MS
        i = (start // BUCKET_MS) % _SLOTS
        b = self._slots[i]
        if b is None or b.start != start:
            b = self._slots[i] = _Bucket(start)
        return b


def _percentiles(samples: list[int]) -> dict[str, int] | None:
    """The median and the 99th percentile (nearest rank) of ``samples``; None for none."""
    if not samples:
        return None
    ordered = sorted(samples)
    n = len(ordered)
    return {"p50": ordered[(n - 1) // 2], "p99": ordered[min(n - 1, -(-99 * n // 100) - 1)]}
