"""A PBFT instance's fixed parameters: who the replicas are, and every bound and timeout with its reason.

One `PbftConfig` per channel; every replica of the channel must hold an equal one (the node builds
it from the channel's configuration), since the primary of a view, the quorum sizes and the
watermark window are computed from it and must agree everywhere.

Sizes: n replicas tolerate f = (n - 1) // 3 Byzantine ones. A quorum is (n + f) // 2 + 1
replicas, which is 2f + 1 when n = 3f + 1 (the paper's case), and for any n is the least size
whose two quorums share at least f + 1 replicas (so at least one correct one) while n - f
correct replicas can still form one. A weak certificate (at least one correct replica) is f + 1.
"""

from __future__ import annotations

from dataclasses import dataclass

# A replica's name is its node's name (`node.identity.names.check_name`, at most 64 characters);
# the bound only keeps a malformed message from carrying a huge one.
NAME_MAX_CHARACTERS = 256
# Digests are 32 bytes in both suites (SHA-256, SM3).
DIGEST_SIZE = 32


class ConfigError(ValueError):
    """Parameters that cannot make a PBFT instance (the message says which and why)."""


@dataclass(frozen=True, slots=True)
class PbftConfig:
    # Who: the replicas' names, in the order that decides the primaries (view v's primary is
    # replicas[v mod n]); ``domain`` (the channel's name) is signed into every message, so a
    # message of one channel is never accepted on another.
    domain: str
    replicas: tuple[str, ...]
    # Batching: the primary cuts a batch when it holds `batch_max` unproposed requests, or
    # `batch_timeout_ms` after the oldest of them arrived; a batch never passes `batch_max_bytes`
    # (requests included), and a request never passes `request_max_bytes` (a block item's limit).
    batch_max: int = 500
    batch_timeout_ms: int = 200
    batch_max_bytes: int = 16 * 1024 * 1024
    request_max_bytes: int = 8 * 1024 * 1024
    # Pipelining: the primary keeps at most `batches_in_flight` batches proposed and not yet
    # delivered. Each batch costs the same messages, signatures and synced block write whatever
    # its size, so under load the requests that wait meanwhile gather into fuller batches; four
    # keep the three phases of consecutive batches overlapping.
    batches_in_flight: int = 4
    # Checkpoints every K sequence numbers; the log holds sequence numbers in (h, h + L] where h is
    # the last stable checkpoint. L is a multiple of K, at least 2K, so the primary can keep
    # proposing while the next checkpoint gathers its votes.
    checkpoint_interval: int = 16
    window: int = 64
    # Liveness: a request waiting longer than `request_timeout_ms` (since it arrived or the view
    # began, whichever is later) makes a backup suspect the primary; a view change not completed
    # `view_change_timeout_ms` after a quorum joined it moves on to the next view. Both double per
    # view change in a row without progress, at most 2**max_backoff_doublings times.
    request_timeout_ms: int = 4_000
    view_change_timeout_ms: int = 4_000
    max_backoff_doublings: int = 6
    # Retransmission: every `status_interval_ms` a replica tells the others how far it is, and
    # resends requests that have waited that long; a peer that made no progress since its last
    # status is sent what it lacks (at most `catchup_max` committed batches per status).
    status_interval_ms: int = 1_000
    catchup_max: int = 16
    # A backup refuses a pre-prepare whose batch time is further than this from its own clock: the
    # batch time becomes the block's time, which decides EXPIRED for every peer.
    clock_skew_ms: int = 60_000
    # Memory bounds (see the package's docstring, "Bounds").
    max_pending: int = 50_000
    max_pending_bytes: int = 256 * 1024 * 1024
    dedup_memory: int = 100_000
    future_max_messages: int = 256
    future_max_bytes: int = 32 * 1024 * 1024

    def __post_init__(self) -> None:
        if not self.replicas:
            raise ConfigError("a PBFT instance needs at least one replica")
        if len(set(self.replicas)) != len(self.replicas):
            raise ConfigError("replica names must be distinct")
        for name in self.replicas:
            if not isinstance(name, str) or not 0 < len(name) <= NAME_MAX_CHARACTERS:
                raise ConfigError(f"replica name {name!r}: text of 1 to {NAME_MAX_CHARACTERS} characters expected")
        positive = ("batch_max", "batch_timeout_ms", "batch_max_bytes", "request_max_bytes", "batches_in_flight",
                    "checkpoint_interval",
                    "window", "request_timeout_ms", "view_change_timeout_ms", "status_interval_ms", "catchup_max",
                    "clock_skew_ms", "max_pending", "max_pending_bytes", "dedup_memory", "future_max_messages",
                    "future_max_bytes")
        for name in positive:
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name} must be positive")
        if self.max_backoff_doublings < 0:
            raise ConfigError("max_backoff_doublings must not be negative")
        if self.window % self.checkpoint_interval or self.window < 2 * self.checkpoint_interval:
            raise ConfigError("window must be a multiple of checkpoint_interval, at least twice it")
        if self.request_max_bytes > self.batch_max_bytes:
            raise ConfigError("request_max_bytes must not exceed batch_max_bytes")
        if self.max_pending < self.n or self.max_pending_bytes < self.n * self.request_max_bytes:
            raise ConfigError("max_pending and max_pending_bytes must allow each replica at least one largest request")

    @property
    def n(self) -> int:
        return len(self.replicas)

    @property
    def f(self) -> int:
        return (self.n - 1) // 3

    @property
    def quorum(self) -> int:
        return (self.n + self.f) // 2 + 1

    @property
    def weak(self) -> int:
        return self.f + 1

    def primary(self, view: int) -> str:
        return self.replicas[view % self.n]

    def backoff(self, base_ms: int, streak: int) -> int:
        return base_ms << min(streak, self.max_backoff_doublings)
