"""What every channel route depends on: the request's body read within its limit, the gate passed,
the read-your-writes wait done (`channel_request`), and what the routes need of the app
(`Serving`, on ``app.state.serving``). Routers in modules of their own take ``ChannelRequest``
as a parameter, as `node.api.app`'s routes do.

Who is calling (`credentials`): a request proves it by the signature headers or by
``Authorization: Bearer TOKEN`` (a session: `node.users.sessions`), never both; the gate then
admits the signature's certificate or the session's alike (`node.api.access`). An `Admitted`
request carries the session it came with (None for a signed one): a user's session holds the
user's key, with which a route may sign for the user."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Callable

from fastapi import Depends, Request
from starlette.types import Scope

from node.api.access import Gate, SignedRequest, bearer_token
from node.api.errors import ApiError, bad_request, refusal
from node.api.runtime import NodeRuntime
from node.api.signature import HEADER_CERTIFICATE, HEADER_MIN_HEIGHT, HEADER_SIGNATURE, HEADER_TIME
from node.chain.channel import Channel
from node.identity import VerifiedIdentity
from node.users.errors import UserRefused
from node.users.sessions import Session


@dataclass(frozen=True, slots=True)
class Admitted:
    """A channel request that passed the gate."""

    name: str
    channel: Channel
    caller: VerifiedIdentity  # whoever is calling: the signature's or the session's certificate, checked
    body: bytes
    session: Session | None = None  # the session of a bearer token; None for a signed request


@dataclass(frozen=True, slots=True)
class Serving:
    """What the routes need, kept on ``app.state``."""

    runtime: NodeRuntime
    gate: Gate
    clock: Callable[[], int]
    body_max_bytes: int
    min_height_wait_s: float


async def channel_request(request: Request, ch: str) -> Admitted:
    """The gate and the read-your-writes wait, before every channel route."""
    return await _admit(request, ch, None)


async def events_request(request: Request, ch: str, session: str | None = None) -> Admitted:
    """`channel_request` for the events stream, which also takes the session token as ``?session=``:
    a browser's EventSource cannot send an Authorization header. No other route reads it there
    (a URL is more often written down than a header); the node logs no request URLs."""
    return await _admit(request, ch, session)


async def _admit(request: Request, ch: str, query_token: str | None) -> Admitted:
    s: Serving = request.app.state.serving
    body = await read_body(request, s.body_max_bytes)
    who = credentials(s, request, body, query_token)
    channel = s.runtime.channels().get(ch)
    if isinstance(who, Session):
        caller = s.gate.admit_session(who, ch, channel, s.clock())
    else:
        caller = s.gate.admit(who, ch, channel, s.clock())
    assert channel is not None  # admit refuses an unknown channel
    why = s.runtime.unavailable(ch)
    if why is not None:  # told only to a member, after the gate
        raise ApiError(503, "repairing", why)
    wanted = request.headers.get(HEADER_MIN_HEIGHT)
    if wanted is not None:
        n = counter(wanted, HEADER_MIN_HEIGHT)
        if channel.height() < n and not await s.runtime.wait_for_height(ch, n, s.min_height_wait_s):
            raise ApiError(503, "behind", f"this node has {channel.height()} blocks of channel {ch!r}; the request "
                           f"needs {n} (waited {s.min_height_wait_s:g} s): ask another node")
    return Admitted(ch, channel, caller, body, who if isinstance(who, Session) else None)


ChannelRequest = Annotated[Admitted, Depends(channel_request)]
EventsRequest = Annotated[Admitted, Depends(events_request)]


def credentials(s: Serving, request: Request, body: bytes,
                query_token: str | None = None) -> SignedRequest | Session | None:
    """The request's verified signature, or the live session of its bearer token (or of
    ``query_token``, the events stream's ``?session=``); None when it carries neither.
    Membership, the window and replays are the gate's to check after."""
    token = bearer_token(request.headers)
    if query_token is not None:
        if token is not None:
            raise bad_request("session", "send the session token once: in the Authorization header or as "
                              "?session=, not both")
        token = query_token
    if token is None:
        return s.gate.signed(request.headers, request.method, request_target(request.scope), body)
    if any(request.headers.get(h) is not None for h in (HEADER_CERTIFICATE, HEADER_TIME, HEADER_SIGNATURE)):
        raise bad_request("Authorization", "send a bearer token or the signature headers, not both")
    try:
        return s.runtime.sessions.find(token, s.clock())
    except UserRefused as exc:
        raise refusal(exc.reason, exc.message) from None


def request_target(scope: Scope) -> str:
    """The request target as the client sent it: what its signature covers."""
    raw: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
    query: bytes = scope.get("query_string") or b""
    return raw.decode("latin-1") + ("?" + query.decode("latin-1") if query else "")


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isascii() or not declared.isdigit():
            raise bad_request("Content-Length", "expected a number of bytes")
        if int(declared) > limit:
            raise ApiError(413, "too-large", f"the body is {declared} bytes; at most {limit} are accepted")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ApiError(413, "too-large", f"the body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def counter(text: str, what: str, expected: str = "a whole number") -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise bad_request(what, f"expected {expected}, got {text[:40]!r}")
    return int(text)


