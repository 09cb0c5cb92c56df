"""One link: an authenticated TLS connection to one peer after the hellos, and the tasks that move
its frames (a reader, a writer, a watchdog).

The reader reads a header, checks the length against `max_frame` before reading the body,
decodes, swallows pings, and puts the message into the peer's inbound queue; when that queue is
full it waits there, reading nothing, so the kernel's receive buffer fills, TCP's window closes,
and the sender's writer blocks in its drain().

The writer takes frames from the peer's send queue and writes each, then waits in drain() while
the transport holds more than `write_buffer` bytes: a peer that reads slowly holds up our writer,
and our send queue (bounded) fills instead of the transport's buffer. When the queue has been
empty for `heartbeat` seconds the writer sends a ping; a watchdog gives the link up when no frame,
nor a 1 MiB piece of a large one, came for `idle_timeout` seconds while the reader was ready to
read, so it fires on a dead route or a stalled peer and never on an idle but healthy one, nor on
our own back-pressure, nor on a large frame crossing a slow route (at least 1 MiB per
`idle_timeout`, 70 kB/s with the defaults).

The queues belong to the peer, not to the link: frames queued while a peer is down wait for the
next link, and one dispatcher per peer keeps `on_message` calls in order across reconnects. A
frame the writer had taken when the link failed is lost: delivery is in order and at most once,
and the protocols above (block pull, PBFT's retransmissions) recover what a broken link lost.

A link ends when any of its tasks ends or the mesh closes it. Its `lost` event is set once its
tasks have stopped (so a replacement's writer never races the old one for the send queue); then the
transport closes: politely (TLS close_notify, waiting up to `close_timeout`) after a normal end,
at once (abort) after a protocol violation or a lost connection. The reason is logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from dataclasses import dataclass
from typing import Any

from node.net.bounded import BoundedQueue, QueueClosed
from node.net.errors import FrameError
from node.net.frames import HEADER_SIZE, HELLO, PING, link_frame, read_body
from node.net.settings import LinkSettings, Peer

logger = logging.getLogger("node.net")

PING_FRAME = link_frame({"type": PING})
# Small frames waiting together are written at once (one TLS record per 16 KiB rather than per
# frame): on loopback one write per 100-byte frame gave ~26k frames/s, batches ~30-40k; batches of
# 16 KiB to 256 KiB were within the noise of one another.
WRITE_BATCH = 64 * 1024


def log(level: int, event: str, text: str, **fields: Any) -> None:
    """A structured log line: `event` and `fields` travel as the record's extra attributes (for
    the node's JSON formatter), `text` is for people."""
    logger.log(level, text, extra={"event": event, **fields}, stacklevel=2)


@dataclass(slots=True)
class LinkCounters:
    """What went through a peer's links, kept across reconnects."""

    frames_out: int = 0
    bytes_out: int = 0
    frames_in: int = 0
    bytes_in: int = 0
    refused: int = 0  # send_nowait calls refused because the send queue was full
    connects: int = 0
    last_close_reason: str = ""


class Link:
    def __init__(self, me: str, peer: Peer, direction: str, reader: asyncio.StreamReader,
                 writer: asyncio.StreamWriter, outbound: BoundedQueue[bytes], inbound: BoundedQueue[dict[str, Any]],
                 counters: LinkCounters, settings: LinkSettings) -> None:
        self.peer = peer
        self.direction = direction  # "dialled" or "accepted"
        self.lost = asyncio.Event()
        self._me = me
        self._reader = reader
        self._writer = writer
        self._outbound = outbound
        self._inbound = inbound
        self._counters = counters
        self._settings = settings
        self._closing: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.task: asyncio.Task[None] | None = None
        self._heard = asyncio.get_running_loop().time()  # when the last frame arrived
        self._held = False  # the reader waits for room in the inbound queue
        writer.transport.set_write_buffer_limits(high=settings.write_buffer, low=settings.write_buffer // 4)

    @property
    def alive(self) -> bool:
        return not self.lost.is_set()

    def start(self) -> asyncio.Task[None]:
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"link {self._me}-{self.peer.name}")
        return self.task

    def close(self, reason: str) -> None:
        """End the link politely; `lost` is set once its tasks have stopped."""
        if not self._closing.done():
            self._closing.set_result(reason)

    async def _run(self) -> None:
        tasks = [asyncio.create_task(work(), name=f"{work.__name__[1:]} {self._me}-{self.peer.name}")
                 for work in (self._read, self._write, self._watch)]
        reason, level, abort = "cancelled", logging.INFO, True
        try:
            await asyncio.wait({*tasks, self._closing}, return_when=asyncio.FIRST_COMPLETED)
            if self._closing.done():
                reason, level, abort = self._closing.result(), logging.INFO, False
            else:
                reason, level, abort = self._ending(next(task for task in tasks if task.done()))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            self.lost.set()
            self._counters.last_close_reason = reason
            await self._shut(abort)
            log(level, "link_closed", f"link to {self.peer.name} ({self.peer.org}) closed: {reason}",
                node=self._me, peer=self.peer.name, peer_org=self.peer.org, direction=self.direction, reason=reason)

    async def _read(self) -> str:
        reader, inbound, counters = self._reader, self._inbound, self._counters
        max_frame, max_values = self._settings.max_frame, self._settings.max_frame_values
        clock = asyncio.get_running_loop().time
        while True:
            try:
                header = await reader.readexactly(HEADER_SIZE)
            except asyncio.IncompleteReadError as exc:
                if exc.partial:
                    raise
                return "the peer closed the link"
            length = int.from_bytes(header, "big")
            message, weight = await read_body(reader, length, max_frame, max_values, self._hear)
            self._heard = clock()
            counters.frames_in += 1
            counters.bytes_in += HEADER_SIZE + length
            kind = message["type"]
            if kind == PING:
                continue
            if kind == HELLO:
                raise FrameError("a second hello")
            if not inbound.put_nowait(message, weight):
                # Back-pressure: read nothing until there is room. Time spent here is ours, not
                # the peer's silence, so the watchdog does not count it.
                self._held = True
                try:
                    await inbound.put(message, weight)
                finally:
                    self._held = False
                    self._heard = clock()

    def _hear(self) -> None:
        self._heard = asyncio.get_running_loop().time()

    async def _watch(self) -> str:
        """Give the link up when no frame (nor a 1 MiB piece of one) came for `idle_timeout`
        while we were ready to read. One timer per link rather than a timeout around every read:
        that cost a fifth of the receive path."""
        idle, clock = self._settings.idle_timeout, asyncio.get_running_loop().time
        while True:
            await asyncio.sleep(idle / 4)
            if not self._held and clock() - self._heard > idle:
                raise TimeoutError

    async def _write(self) -> str:
        writer, outbound, counters, heartbeat = self._writer, self._outbound, self._counters, self._settings.heartbeat
        while True:
            try:
                if outbound:
                    frame = outbound.get_nowait()
                else:
                    try:
                        async with asyncio.timeout(heartbeat):
                            frame = await outbound.get()
                    except TimeoutError:
                        frame = PING_FRAME
            except QueueClosed:
                return "the peer's queue was closed"
            # The batch is capped so that a large frame is never copied into one.
            if outbound and len(frame) + outbound.head_size() <= WRITE_BATCH:
                batch, size = [frame], len(frame)
                while outbound and size + outbound.head_size() <= WRITE_BATCH:
                    batch.append(outbound.get_nowait())
                    size += len(batch[-1])
                writer.write(b"".join(batch))
                counters.frames_out += len(batch)
                counters.bytes_out += size
            else:
                writer.write(frame)
                counters.frames_out += 1
                counters.bytes_out += len(frame)
            await writer.drain()

    def _ending(self, task: asyncio.Task[str]) -> tuple[str, int, bool]:
        """Why a link's task ended: (reason, log level, abort the transport?)."""
        exc = task.exception()
        if exc is None:
            return task.result(), logging.INFO, False
        if isinstance(exc, FrameError):
            return f"bad frame: {exc}", logging.WARNING, True
        if isinstance(exc, TimeoutError):
            return f"nothing received for {self._settings.idle_timeout:g} s", logging.WARNING, True
        if isinstance(exc, asyncio.IncompleteReadError):
            return "the peer closed the link in the middle of a frame", logging.WARNING, True
        if isinstance(exc, (ssl.SSLError, OSError)):
            return f"connection lost ({exc})", logging.INFO, True
        logger.error("link task failed", exc_info=exc, extra={"event": "link_bug", "peer": self.peer.name})
        return f"internal error ({exc!r})", logging.ERROR, True

    async def _shut(self, abort: bool) -> None:
        writer, timeout = self._writer, self._settings.close_timeout
        if not abort:
            writer.close()
            # Timed out, or the connection's own error: abort below.
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer.wait_closed(), timeout)
                return
        writer.transport.abort()
        with contextlib.suppress(Exception):  # the transport is closed either way
            await asyncio.wait_for(writer.wait_closed(), timeout)
