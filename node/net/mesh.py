"""The mesh: this node's links to every peer, kept up, with one send queue and one dispatcher per
peer. See the package docstring for the whole contract; this module holds its mechanics.

Who dials: for each pair of nodes the one with the lower name (Python string order, the same on
both sides) dials and keeps dialling with back-off; the higher one only accepts. So a pair has
exactly one link and no tie-break is ever needed. The accepting side refuses a connection from a
peer that should have been dialled, and a new connection from a peer replaces the link it had
(its dialler only redials once it has given the old one up, so the newer one is the live one).

Accepting: TLS runs inside our own handler (not in `start_server`), so that a failed handshake
(a foreign CA, a plaintext client) is logged with its reason; at most `max_handshakes`
connections may be between TCP accept and a verified hello, and each has `handshake_timeout`.
The listener accepts bare sockets (`loop.sock_accept`) and each handler wraps its socket in TLS
from the first byte (`loop.connect_accepted_socket`). Why not a plain server's stream upgraded
with `start_tls`: the dialler sends its ClientHello at once, and bytes the stream took in before
`start_tls` never reach TLS, so the handshake hangs until its timeout (CPython issue 142352,
uvloop issue 707). asyncio's loop rarely reads that early; uvloop's did on most links.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Self

from node.identity.names import check_name
from node.net.backoff import Backoff
from node.net.bounded import BoundedQueue, QueueClosed
from node.net.errors import HandshakeError, LinkClosed, UnknownPeer
from node.net.frames import encode_frame
from node.net.handshake import exchange_hellos
from node.net.link import Link, LinkCounters, log, logger
from node.net.settings import LinkSettings, Peer, parse_address
from node.net.tls import CertifiedName, TlsContexts, certified_name

OnMessage = Callable[[str, str, dict[str, Any]], Awaitable[None]]
OnConnected = Callable[[str], None]

# Everything a failed dial or accept can raise short of a bug.
_REFUSALS = (HandshakeError, OSError, TimeoutError, asyncio.IncompleteReadError)
LISTEN_BACKLOG = 128  # connections the kernel holds for the listener before it refuses more (asyncio's default: 100)
ACCEPT_RETRY_S = 0.1  # after an accept that failed (out of file descriptors): the backlog holds the connection


@dataclass(frozen=True, slots=True)
class PeerStats:
    """A snapshot of one peer's links and queues."""

    name: str
    org: str
    connected: bool
    frames_out: int
    bytes_out: int
    frames_in: int
    bytes_in: int
    refused: int
    connects: int
    send_queued: int
    send_queue_peak: int
    inbound_queued: int
    inbound_peak: int
    last_close_reason: str


class _PeerState:
    def __init__(self, peer: Peer, settings: LinkSettings) -> None:
        self.peer = peer
        self.outbound: BoundedQueue[bytes] = BoundedQueue(settings.send_queue_frames, settings.send_queue_bytes)
        self.inbound: BoundedQueue[dict[str, Any]] = BoundedQueue(settings.inbound_queue_frames,
                                                                  settings.inbound_queue_bytes)
        self.counters = LinkCounters()
        self.link: Link | None = None
        self.dialer: asyncio.Task[None] | None = None
        self.dispatcher: asyncio.Task[None] | None = None


class Mesh:
    """This node's links to its peers.

    `on_message(peer_name, peer_org, message)` is awaited for every message, one at a time per
    peer, in the order the peer sent them. It should not `await send(...)`: two nodes whose
    handlers each wait for room in the other's queue would wait forever; use `send_nowait`.
    `on_connected(peer_name)`, if given, is called each time a link to a peer comes up (to ask
    it for the blocks we missed, say); it must not block.
    """

    def __init__(self, name: str, org: str, tls: TlsContexts, peers: Iterable[Peer], on_message: OnMessage, *,
                 listen: str | tuple[str, int] = ("127.0.0.1", 0), settings: LinkSettings | None = None,
                 on_connected: OnConnected | None = None, rng: random.Random | None = None) -> None:
        self.name = check_name("node name", name)
        self.org = check_name("organisation", org)
        self._me = CertifiedName(self.name, self.org)
        self._tls = tls
        self._on_message = on_message
        self._on_connected = on_connected
        self._listen = parse_address(listen) if isinstance(listen, str) else listen
        self.settings = settings or LinkSettings()
        self._rng = rng or random.Random()
        self._peers: dict[str, _PeerState] = {}
        self._listener: socket.socket | None = None
        self._acceptor: asyncio.Task[None] | None = None
        self._handshakes: set[asyncio.Task[Any]] = set()
        self._links: set[asyncio.Task[None]] = set()
        self._closed = False
        for peer in peers:
            self.add_peer(peer)

    # -- life cycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        """Listen, and start dialling the peers this node dials."""
        if self._listener is not None or self._closed:
            raise RuntimeError("a mesh starts once")
        host, port = self._listen
        loop = asyncio.get_running_loop()
        family = (await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE))[0][0]
        self._listener = socket.create_server((host, port), family=family, backlog=LISTEN_BACKLOG)
        self._listener.setblocking(False)
        self._acceptor = asyncio.create_task(self._accept_loop(self._listener))
        for state in self._peers.values():
            self._spawn(state)
        log(logging.INFO, "listening", f"{self.name} listening on {self.address[0]}:{self.address[1]}",
            node=self.name, address=f"{self.address[0]}:{self.address[1]}")

    async def close(self) -> None:
        """Stop listening, close every link, and drop what is queued; `await send` callers get
        `LinkClosed`. Call it from outside `on_message` (it stops the dispatchers)."""
        if self._closed:
            return
        self._closed = True
        await _cancel([*([self._acceptor] if self._acceptor else []), *self._handshakes,
                       *(s.dialer for s in self._peers.values() if s.dialer)])
        for state in self._peers.values():
            if state.link is not None:
                state.link.close("this node is closing")
        await asyncio.gather(*self._links, return_exceptions=True)
        await _cancel([s.dispatcher for s in self._peers.values() if s.dispatcher])
        for state in self._peers.values():
            state.outbound.close()
            state.inbound.close()
        if self._listener is not None:
            self._listener.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def address(self) -> tuple[str, int]:
        """The address the listener is bound to (with the real port when asked for port 0)."""
        if self._listener is None:
            raise RuntimeError("the mesh is not listening")
        host, port = self._listener.getsockname()[:2]
        return host, port

    @property
    def port(self) -> int:
        return self.address[1]

    # -- peers ------------------------------------------------------------------------------------

    @property
    def peers(self) -> tuple[Peer, ...]:
        return tuple(state.peer for state in self._peers.values())

    def add_peer(self, peer: Peer) -> None:
        """Admit `peer`: accept it, or (when our name is lower) start dialling it."""
        if self._closed:
            raise LinkClosed("the mesh is closed")
        if peer.name == self.name:
            raise ValueError(f"{peer.name!r} is this node's own name")
        if peer.name in self._peers:
            raise ValueError(f"peer {peer.name!r} is already known; remove it first to change it")
        state = self._peers[peer.name] = _PeerState(peer, self.settings)
        if self._listener is not None:
            self._spawn(state)

    async def remove_peer(self, name: str) -> None:
        """Forget a peer: stop dialling, close its link, drop its queues."""
        state = self._state(name)
        del self._peers[name]
        await _cancel([state.dialer] if state.dialer else [])
        if state.link is not None:
            state.link.close("the peer was removed")
            if state.link.task is not None:
                await asyncio.gather(state.link.task, return_exceptions=True)
        await _cancel([state.dispatcher] if state.dispatcher else [])
        state.outbound.close()
        state.inbound.close()

    def connected(self, peer: str) -> bool:
        link = self._state(peer).link
        return link is not None and link.alive

    def stats(self, peer: str) -> PeerStats:
        state = self._state(peer)
        c = state.counters
        return PeerStats(
            name=state.peer.name, org=state.peer.org, connected=self.connected(peer),
            frames_out=c.frames_out, bytes_out=c.bytes_out, frames_in=c.frames_in, bytes_in=c.bytes_in,
            refused=c.refused, connects=c.connects,
            send_queued=len(state.outbound), send_queue_peak=state.outbound.peak_items,
            inbound_queued=len(state.inbound), inbound_peak=state.inbound.peak_items,
            last_close_reason=c.last_close_reason,
        )

    # -- sending ----------------------------------------------------------------------------------

    def send_nowait(self, peer: str, message: dict[str, Any]) -> bool:
        """Queue `message` for `peer`; False (and counted as refused) when its queue is full."""
        state = self._state(peer)
        frame = encode_frame(message, self.settings.max_frame)
        return self._queue(state, frame)

    async def send(self, peer: str, message: dict[str, Any]) -> None:
        """Queue `message` for `peer`, waiting for room. It waits while the peer is down (the
        queue keeps its frames for the next link): wrap it in a timeout when that matters."""
        state = self._state(peer)
        frame = encode_frame(message, self.settings.max_frame)
        try:
            await state.outbound.put(frame, len(frame))
        except QueueClosed:
            raise LinkClosed(f"peer {peer!r} was removed or the mesh closed") from None

    def broadcast(self, peers: Iterable[str], message: dict[str, Any]) -> list[str]:
        """Queue `message` for each of `peers` (encoded once); returns the peers whose queue was
        full (empty when every one took it)."""
        states = [self._state(peer) for peer in peers]
        frame = encode_frame(message, self.settings.max_frame)
        return [state.peer.name for state in states if not self._queue(state, frame)]

    def _queue(self, state: _PeerState, frame: bytes) -> bool:
        try:
            queued = state.outbound.put_nowait(frame, len(frame))
        except QueueClosed:
            raise LinkClosed(f"peer {state.peer.name!r} was removed or the mesh closed") from None
        if not queued:
            state.counters.refused += 1
        return queued

    def _state(self, peer: str) -> _PeerState:
        try:
            return self._peers[peer]
        except KeyError:
            raise UnknownPeer(f"{peer!r} is not a peer of {self.name}") from None

    # -- links ------------------------------------------------------------------------------------

    def _dials(self, peer: Peer) -> bool:
        """Whether this node dials `peer` (the lower name of a pair dials)."""
        return self.name < peer.name

    def _spawn(self, state: _PeerState) -> None:
        name = state.peer.name
        state.dispatcher = asyncio.create_task(self._dispatch(state), name=f"dispatch {self.name}<-{name}")
        if self._dials(state.peer):
            state.dialer = asyncio.create_task(self._keep_dialled(state), name=f"dial {self.name}->{name}")

    async def _dispatch(self, state: _PeerState) -> None:
        peer = state.peer
        while True:
            try:
                message = await state.inbound.get()
            except QueueClosed:
                return
            try:
                await self._on_message(peer.name, peer.org, message)
            except Exception:  # noqa: BLE001 - the handler's failure is not the link's
                logger.exception(f"on_message failed for a {message['type']!r} from {peer.name}",
                                 extra={"event": "handler_failed", "node": self.name, "peer": peer.name,
                                        "message_type": message["type"]})

    async def _keep_dialled(self, state: _PeerState) -> None:
        peer, settings = state.peer, self.settings
        backoff = Backoff(settings.backoff_initial, settings.backoff_max, self._rng)
        loop = asyncio.get_running_loop()
        failures = 0
        while True:
            try:
                reader, writer = await self._dial(peer)
            except _REFUSALS as exc:
                failures += 1
                delay = backoff.next_delay()
                log(logging.WARNING if failures == 1 else logging.DEBUG, "dial_failed",
                    f"cannot reach {peer.name} at {peer.host}:{peer.port} ({_reason(exc)}); "
                    f"attempt {failures}, next in {delay:.2f} s",
                    node=self.name, peer=peer.name, reason=_reason(exc), attempt=failures, delay=delay)
                await asyncio.sleep(delay)
                continue
            failures = 0
            link = self._attach(state, reader, writer, "dialled")
            began = loop.time()
            await link.lost.wait()
            if loop.time() - began >= settings.backoff_max:
                backoff.reset()  # it had proved itself; a link that keeps dying young keeps backing off
            await asyncio.sleep(backoff.next_delay())

    async def _dial(self, peer: Peer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        settings = self.settings
        writer: asyncio.StreamWriter | None = None
        try:
            async with asyncio.timeout(settings.handshake_timeout):
                reader, writer = await asyncio.open_connection(
                    peer.host, peer.port, ssl=self._tls.client, server_hostname="", limit=settings.read_buffer,
                    ssl_handshake_timeout=settings.handshake_timeout, ssl_shutdown_timeout=settings.close_timeout)
                certified = certified_name(writer.get_extra_info("ssl_object"))
                if certified != CertifiedName(peer.name, peer.org):
                    raise HandshakeError(f"dialled {peer.name} ({peer.org}) but its certificate says "
                                         f"CN={certified.name!r} O={certified.org!r}")
                await exchange_hellos(reader, writer, self._me, certified)
        except BaseException:
            if writer is not None:
                writer.transport.abort()
            raise
        return reader, writer

    async def _accept_loop(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                connection, _ = await loop.sock_accept(listener)
            except OSError as exc:  # out of file descriptors, say: the connection waits in the backlog
                log(logging.WARNING, "accept_failed", f"{self.name} cannot accept a connection: {exc}",
                    node=self.name, reason=str(exc))
                await asyncio.sleep(ACCEPT_RETRY_S)
                continue
            task = asyncio.create_task(self._accept(connection))
            self._handshakes.add(task)
            task.add_done_callback(self._handshakes.discard)

    async def _accept(self, connection: socket.socket) -> None:
        try:
            address = _address(connection.getpeername())
        except OSError:  # gone already
            connection.close()
            return
        if len(self._handshakes) > self.settings.max_handshakes or self._closed:
            log(logging.WARNING, "connection_refused", f"refused a connection from {address}: "
                f"{self.settings.max_handshakes} handshakes already under way",
                node=self.name, address=address, reason="too many handshakes")
            connection.close()
            return
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.settings.handshake_timeout  # for TLS and the hellos together
        reader = asyncio.StreamReader(limit=self.settings.read_buffer)
        protocol = asyncio.StreamReaderProtocol(reader)
        try:
            async with asyncio.timeout_at(deadline):
                transport, _ = await loop.connect_accepted_socket(
                    lambda: protocol, connection, ssl=self._tls.server,
                    ssl_handshake_timeout=self.settings.handshake_timeout)
        except _REFUSALS as exc:
            log(logging.WARNING, "connection_refused", f"refused a connection from {address}: {_reason(exc)}",
                node=self.name, address=address, reason=_reason(exc))
            connection.close()
            return
        except BaseException:
            connection.close()
            raise
        writer = asyncio.StreamWriter(transport, protocol, reader, loop)
        try:
            async with asyncio.timeout_at(deadline):
                certified = certified_name(writer.get_extra_info("ssl_object"))
                state = self._admit(certified)
                await exchange_hellos(reader, writer, self._me, certified)
        except _REFUSALS as exc:
            log(logging.WARNING, "connection_refused", f"refused a connection from {address}: {_reason(exc)}",
                node=self.name, address=address, reason=_reason(exc))
            writer.transport.abort()
            return
        except BaseException:
            writer.transport.abort()
            raise
        if self._closed or self._peers.get(state.peer.name) is not state:
            writer.transport.abort()  # closed, or the peer removed, during the handshake
            return
        while (old := state.link) is not None and old.alive:
            old.close("replaced by a new connection from the peer")
            await old.lost.wait()
        self._attach(state, reader, writer, "accepted")

    def _admit(self, certified: CertifiedName) -> _PeerState:
        state = self._peers.get(certified.name)
        if state is None or state.peer.org != certified.org:
            raise HandshakeError(f"CN={certified.name!r} O={certified.org!r} is not a known peer")
        if self._dials(state.peer):
            raise HandshakeError(f"{certified.name} dialled us, but the lower name of a pair dials and that is us")
        return state

    def _attach(self, state: _PeerState, reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                direction: str) -> Link:
        link = Link(self.name, state.peer, direction, reader, writer, state.outbound, state.inbound, state.counters,
                    self.settings)
        state.link = link
        state.counters.connects += 1
        task = link.start()
        self._links.add(task)
        task.add_done_callback(self._links.discard)
        log(logging.INFO, "link_up", f"link to {state.peer.name} ({state.peer.org}) up, {direction}",
            node=self.name, peer=state.peer.name, peer_org=state.peer.org, direction=direction)
        if self._on_connected is not None:
            try:
                self._on_connected(state.peer.name)
            except Exception:  # noqa: BLE001 - the callback's failure is not the link's
                logger.exception(f"on_connected failed for {state.peer.name}",
                                 extra={"event": "handler_failed", "node": self.name, "peer": state.peer.name})
        return link


async def _cancel(tasks: list[asyncio.Task[Any]]) -> None:
    current = asyncio.current_task()
    tasks = [task for task in tasks if task is not current]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, HandshakeError):
        return str(exc)
    if isinstance(exc, TimeoutError):
        return "the handshake timed out"
    if isinstance(exc, asyncio.IncompleteReadError):
        return "the peer closed the connection during the handshake"
    return f"{type(exc).__name__}: {exc}"


def _address(peername: Any) -> str:
    if isinstance(peername, tuple) and len(peername) >= 2:
        return f"{peername[0]}:{peername[1]}"
    return str(peername)
