"""What the links refuse or report: one small hierarchy, so the node can catch `NetError`."""

from __future__ import annotations


class NetError(Exception):
    """Anything the node-to-node links refuse or report."""


class FrameError(NetError):
    """A frame that breaks the frame rules (too large, not canonical codec, not a map with a text
    "type"): on receipt it closes the link; on sending it is the caller's mistake."""


class HandshakeError(NetError):
    """A connection refused before it became a link: TLS failed, the certificate names no known
    peer, or the hello does not match the certificate."""


class UnknownPeer(NetError):
    """A peer name that is not in the peer list."""


class LinkClosed(NetError):
    """The peer was removed, or the mesh closed, while a frame waited for room in its queue."""
