"""Node-to-node links: TLS 1.3 connections between organisations' nodes, carrying codec frames.

A node's `Mesh` keeps one link to each peer in its peer list, hands every message a peer sends to
`on_message(peer_name, peer_org, message)`, and queues what the node sends, within fixed bounds
whatever the load and whatever a peer does:

    mesh = Mesh(name, org, tls_contexts(cert, key, roots), peers, on_message,
                listen="127.0.0.1:40123", settings=LinkSettings(), on_connected=None)
    await mesh.start()              # mesh.address / mesh.port: the bound address (port 0 works)
    mesh.send_nowait(peer, msg)     # False when the peer's send queue is full
    await mesh.send(peer, msg)      # waits for room instead
    mesh.broadcast(peers, msg)      # encodes once; returns the peers whose queue was full
    mesh.connected(peer); mesh.stats(peer); mesh.add_peer(Peer(...)); await mesh.remove_peer(name)
    await mesh.close()

Connection and authentication
    TCP, then TLS 1.3 only, with a certificate required from both ends, chaining to one of the
    configured roots (every organisation's transport CA; intl suite, ECDSA P-256, because Python's
    TLS has no SM cipher suites). No hostname check: a peer *is* its certificate's subject,
    CN = node name and O = organisation, and that pair must be in the peer list. A transport CA
    vouches only for its own organisation: the certificate's issuer O must equal its subject O.
    Then each side sends the hello frame {"type": "hello", "node": NAME, "org": ORG}, which must
    be the first frame and name what the certificate names (`tls.py`, `handshake.py`).

Who dials
    For each pair the node with the lower name dials; the higher name only accepts, and a node
    refuses a connection from a peer it should dial itself. So a pair has exactly one link, and
    no tie-break between two crossing connections is ever needed. A new accepted connection from
    a peer replaces its old link (its dialler only redials after giving the old one up), and
    `on_connected(peer)` hears of every link that comes up. Redials back off
    exponentially with jitter: 0.1 s doubling to 5 s, each wait drawn from [step/2, step]; the
    step returns to 0.1 s after a link that lived at least 5 s (`backoff.py`).

Frames
    4-byte big-endian length, then that many bytes of `node.codec` encoding a map with a text
    "type"; at most 64 MiB (`LinkSettings.max_frame`) and 1,000,000 values (`max_frame_values`:
    decoding can multiply a body's size by 67, `values.py`). A frame that is too large (refused
    from its length before its body is read, or from its value count before it is decoded), not
    canonical codec, not such a map, or a second hello closes that link, with the reason logged;
    the listener and every other link carry on.
    "hello" and "ping" belong to the links and never reach `on_message` (`frames.py`).

Delivery
    In order per peer (one dispatcher per peer, across reconnects), at most once: frames queued
    while a peer is down wait for the next link, but a frame being written when a link failed is
    lost. Protocols above recover losses (block pull, PBFT retransmission). An idle writer sends a
    ping every 5 s; a reader that sees no frame for 15 s gives the link up (`link.py`).

Bounds (the memory a mesh may use is their sum; each default has its reason in `settings.py`)
    - per peer, a send queue of at most `send_queue_frames` frames and `send_queue_bytes` bytes
      (or one frame when empty). `send_nowait` returns False when it is full (counted as refused);
      `await send` waits for room. Frames are encoded (and checked) when queued.
    - per link, the transport's write buffer stops at `write_buffer` bytes: the writer waits in
      drain(), so a peer that reads slowly fills our send queue, not our memory.
    - per link, reading holds at most one frame (`max_frame`) beyond the stream reader's
      `read_buffer`; a length over the limit is refused before its body is read.
    - per peer, an inbound queue of at most `inbound_queue_frames` frames and
      `inbound_queue_bytes` bytes, each message charged its body plus 64 bytes per value (what
      decoding can cost), or one message when empty. When it is full the link stops reading, so
      TCP's window closes and the peer's writer blocks: a peer that sends faster than
      `on_message` handles is slowed down, not buffered.
    - at most `max_handshakes` connections between accept and a verified hello, each given
      `handshake_timeout` seconds: unauthenticated connections cannot pile up.

Logging
    Python logging on the "node.net" logger; each record carries `event` (link_up, link_closed,
    dial_failed, connection_refused, listening, handler_failed) and fields such as `node`, `peer`,
    `peer_org`, `direction`, `reason`, `address` as extra attributes, for the node's JSON
    formatter.

Certificates for tests and `baochain network init`: `transport_certs.make_tls_ca`,
`transport_certs.issue_tls_cert`; contexts from PEM files: `tls.tls_contexts`.
"""

from node.net.errors import FrameError, HandshakeError, LinkClosed, NetError, UnknownPeer
from node.net.mesh import Mesh, OnConnected, OnMessage, PeerStats
from node.net.settings import LinkSettings, Peer, parse_address
from node.net.tls import CertifiedName, TlsContexts, certified_name, tls_contexts
from node.net.transport_certs import issue_tls_cert, make_tls_ca

__all__ = [
    "CertifiedName", "FrameError", "HandshakeError", "LinkClosed", "LinkSettings", "Mesh", "NetError", "OnConnected",
    "OnMessage", "Peer", "PeerStats", "TlsContexts", "UnknownPeer", "certified_name", "issue_tls_cert", "make_tls_ca",
    "parse_address", "tls_contexts",
]
