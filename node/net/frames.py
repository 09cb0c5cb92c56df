"""Frames: a 4-byte big-endian length, then that many bytes of `node.codec`, encoding a map with
a text "type" field.

    +----------------+------------------------------------------+
    | length (u32be) | codec bytes: {"type": text, ...}         |
    +----------------+------------------------------------------+

A receiver checks the length against its limit *before* reading the body (a huge prefix costs
nothing), so it never holds more than one frame of at most `max_frame` bytes per link; a large
body's values are counted before it is decoded and one with more than `max_values` is refused
(decoding can multiply a body's size by 67: see `values.py`); then the body must decode under
the codec's canonical rule (`decode(b)` succeeds exactly when
`encode(decode(b)) == b`) to a map whose "type" is text. Anything else raises `FrameError` and
closes the link: a peer that sends one bad frame has lost its framing or its mind, and nothing
after it can be trusted to start on a frame boundary.

Two types belong to the links themselves and never reach `on_message`: "hello" (the first frame
each way; see `handshake.py`) and "ping" (an idle writer's heartbeat). A sender may not send them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from node import codec
from node.net.errors import FrameError
from node.net.values import decoded_weight

HEADER_SIZE = 4
PIECE = 1024 * 1024
HELLO = "hello"
PING = "ping"
LINK_TYPES = frozenset({HELLO, PING})


def encode_frame(message: dict[str, Any], max_frame: int) -> bytes:
    """The frame for `message`; raises `FrameError` when a receiver would refuse it, and
    `node.codec.CodecError` for a value outside the codec."""
    check_message(message)
    body = codec.encode(message)
    if len(body) > max_frame:
        raise FrameError(f"a {message['type']!r} message of {len(body)} bytes is over the frame limit of {max_frame}")
    return len(body).to_bytes(HEADER_SIZE, "big") + body


def link_frame(message: dict[str, Any]) -> bytes:
    """The frame of a link's own message (hello, ping), which `encode_frame` refuses to send."""
    body = codec.encode(message)
    return len(body).to_bytes(HEADER_SIZE, "big") + body


def check_message(message: Any) -> None:
    """A message an application may send: a map with a text "type" that is not a link type."""
    if type(message) is not dict:
        raise FrameError(f"a message is a map, not a {type(message).__name__}")
    kind = message.get("type")
    if type(kind) is not str:
        raise FrameError('a message needs a text "type" field')
    if kind in LINK_TYPES:
        raise FrameError(f"{kind!r} messages belong to the links; an application cannot send them")


async def read_frame(reader: asyncio.StreamReader, max_frame: int, max_values: int) -> tuple[dict[str, Any], int]:
    """The next frame's message and the memory it is charged (`values.decoded_weight`). Raises
    `FrameError` for a bad frame, and `asyncio.IncompleteReadError` when the stream ends
    (`partial` is empty at a frame boundary)."""
    header = await reader.readexactly(HEADER_SIZE)
    return await read_body(reader, int.from_bytes(header, "big"), max_frame, max_values)


async def read_body(reader: asyncio.StreamReader, length: int, max_frame: int, max_values: int,
                    progress: Callable[[], None] | None = None) -> tuple[dict[str, Any], int]:
    """The message of a frame whose header said `length`, and its weight; see `read_frame`. A
    body over `PIECE` bytes is read in pieces, calling `progress` after each: a large frame on a
    slow route is a peer that is alive, not an idle one. (Joining the pieces holds the body twice
    for a moment: at most two frames' worth.)"""
    if length > max_frame:
        raise FrameError(f"a frame of {length} bytes is over the limit of {max_frame}")
    if length <= PIECE:
        body = await reader.readexactly(length)
    else:
        pieces = []
        for start in range(0, length, PIECE):
            pieces.append(await reader.readexactly(min(PIECE, length - start)))
            if progress is not None:
                progress()
        body = b"".join(pieces)
    values, weight = decoded_weight(body, max_values)
    if values > max_values:
        raise FrameError(f"a frame of {length} bytes holding over {max_values} values")
    return decode_body(body), weight


def decode_body(body: bytes) -> dict[str, Any]:
    """The message a frame's body holds; raises `FrameError` naming what is wrong."""
    try:
        message = codec.decode(body)
    except codec.CodecError as exc:
        raise FrameError(f"a frame that is not canonical codec ({exc})") from None
    if type(message) is not dict:
        raise FrameError(f"a frame holding a {type(message).__name__}, not a map")
    if type(message.get("type")) is not str:
        raise FrameError('a frame whose map has no text "type" field')
    return message
