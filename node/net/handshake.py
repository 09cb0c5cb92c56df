"""The hello exchange that turns an authenticated TLS connection into a link.

Right after the TLS handshake each side writes, as its first frame,

    {"type": "hello", "node": NAME, "org": ORG}

and then reads the other's. The hello must be the first frame, at most `HELLO_MAX` bytes (a
hello is two names; nothing bigger is read from a connection that is not yet a link), and name
exactly the node and organisation that the connection's certificate certifies. Keys other than
these three are ignored, so that a later version can add some (a protocol version) without
breaking older peers. The certificate already proves who is at the other end; the hello makes a
node's configuration mistake (wrong certificate for its name) visible at once, with both names in
the log, instead of as messages attributed to the wrong node.
"""

from __future__ import annotations

import asyncio

from node.net.errors import FrameError, HandshakeError
from node.net.frames import HELLO, link_frame, read_frame
from node.net.tls import CertifiedName

HELLO_MAX = 4096


def hello_frame(name: str, org: str) -> bytes:
    return link_frame({"type": HELLO, "node": name, "org": org})


async def exchange_hellos(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, me: CertifiedName,
                          certified: CertifiedName) -> None:
    """Send our hello, read theirs, and check it against their certificate's `certified` name."""
    writer.write(hello_frame(me.name, me.org))
    await writer.drain()
    try:
        message, _ = await read_frame(reader, HELLO_MAX, HELLO_MAX)
    except FrameError as exc:
        raise HandshakeError(f"bad first frame: {exc}") from None
    except asyncio.IncompleteReadError:
        raise HandshakeError("the peer closed the connection before its hello") from None
    if message["type"] != HELLO:
        raise HandshakeError(f"the first frame is {message['type']!r}, not a hello")
    said = (message.get("node"), message.get("org"))
    if said != (certified.name, certified.org):
        raise HandshakeError(f"the hello says node={said[0]!r} org={said[1]!r} but the certificate "
                             f"says CN={certified.name!r} O={certified.org!r}")
