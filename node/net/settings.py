"""Who the peers are and how big and how patient the links may be.

`Peer` names one other node (its certificate's CN and O, and where it listens). `LinkSettings`
holds every bound and timer of the links in one place, each default with its reason, so that
the memory a mesh may use is a sum anyone can do (see the package docstring, "Bounds").
"""

from __future__ import annotations

from dataclasses import dataclass

from node.identity.names import check_name
from node.net.values import SCAN_FROM

MiB = 1024 * 1024
FRAME_LIMIT = 2**32 - 1  # what a 4-byte length prefix can say


@dataclass(frozen=True, slots=True)
class Peer:
    """Another node: `name` and `org` are its transport certificate's CN and O."""

    name: str
    org: str
    host: str
    port: int

    def __post_init__(self) -> None:
        check_name("node name", self.name)
        check_name("organisation", self.org)
        if not 0 < self.port < 65536:
            raise ValueError(f"port {self.port} of peer {self.name} is not in 1..65535")

    @classmethod
    def at(cls, name: str, org: str, address: str) -> Peer:
        """A peer listening at `address`: ``host:port``, or ``[v6 address]:port``."""
        host, port = parse_address(address)
        return cls(name, org, host, port)


def parse_address(address: str) -> tuple[str, int]:
    """``"127.0.0.1:40123"`` -> ``("127.0.0.1", 40123)``; ``"[::1]:40123"`` -> ``("::1", 40123)``.
    Port 0 is allowed here (a listener asks for an ephemeral port with it)."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise ValueError(f"address {address!r} is not host:port")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"address {address!r}: write an IPv6 host in brackets, [::1]:port")
    number = int(port)
    if number > 65535:
        raise ValueError(f"address {address!r}: port above 65535")
    return host, number


@dataclass(frozen=True, slots=True)
class LinkSettings:
    """Bounds and timers of the links; the defaults suit a consortium on a LAN or WAN."""

    # docs/node.md fixes 64 MiB: a block of large transactions fits, and one frame is still a
    # bounded amount of memory.
    max_frame: int = 64 * MiB
    # Values (containers and scalars) in one frame: decoded, a value costs up to 64 bytes, so a
    # frame decodes to at most ~64 MB beyond its body. A block is a few bin values; a pull answer
    # a few hundred; PBFT's largest messages (view changes) thousands.
    max_frame_values: int = 1_000_000
    # Per peer, frames waiting to be written. A frame always fits an empty queue, so the bytes
    # bound is really max(send_queue_bytes, one frame). 16 MiB is a few seconds of a busy link.
    send_queue_frames: int = 4096
    send_queue_bytes: int = 16 * MiB
    # Per peer, frames read but not yet handed to on_message; when full the link stops reading,
    # TCP's window closes, and the sender's queue fills instead of our memory. Each is charged its
    # body plus 64 bytes per value (`values.decoded_weight`), so this bounds decoded memory.
    inbound_queue_frames: int = 256
    inbound_queue_bytes: int = 16 * MiB
    # The transport's write buffer high-water mark (low = a quarter of it): above it the writer
    # waits in drain(), so a peer that reads slowly holds at most this much of ours in the kernel's
    # stead, plus the frame being written.
    write_buffer: int = 1 * MiB
    # The stream reader's buffer limit; it pauses the socket at twice this (asyncio's rule) except
    # while a frame's body, at most max_frame, is being read.
    read_buffer: int = 256 * 1024
    # An idle writer sends a ping this often; a reader that waits longer than idle_timeout for the
    # next frame's header gives the link up (a peer behind a dead route sends no FIN).
    heartbeat: float = 5.0
    idle_timeout: float = 15.0
    # TLS plus the hello exchange must finish within this; an unauthenticated connection that
    # stalls must not hold a slot for long.
    handshake_timeout: float = 10.0
    # At most this many connections may be in their handshake at once (a flood of TCP connects
    # from anywhere must not grow memory); beyond it new connections are closed at once.
    max_handshakes: int = 64
    # A polite close (TLS close_notify) waits this long for the peer before aborting.
    close_timeout: float = 1.0
    # Redial back-off: doubling from initial up to max, each wait drawn from [step/2, step].
    backoff_initial: float = 0.1
    backoff_max: float = 5.0

    def __post_init__(self) -> None:
        if not 0 < self.max_frame <= FRAME_LIMIT:
            raise ValueError(f"max_frame must be in 1..{FRAME_LIMIT}")
        if self.max_frame_values < SCAN_FROM:
            raise ValueError(f"max_frame_values must be at least {SCAN_FROM}: shorter bodies are not counted")
        for field in ("send_queue_frames", "send_queue_bytes", "inbound_queue_frames", "inbound_queue_bytes",
                      "write_buffer", "read_buffer", "max_handshakes"):
            if getattr(self, field) < 1:
                raise ValueError(f"{field} must be at least 1")
        for field in ("heartbeat", "idle_timeout", "handshake_timeout", "close_timeout", "backoff_initial"):
            if not getattr(self, field) > 0:
                raise ValueError(f"{field} must be positive")
        if self.idle_timeout <= self.heartbeat:
            raise ValueError("idle_timeout must exceed heartbeat, or an idle but healthy link is given up")
        if self.backoff_max < self.backoff_initial:
            raise ValueError("backoff_max must be at least backoff_initial")
