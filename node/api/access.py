"""Who may read a channel through this node: the gate every channel request passes first.

A channel request is admitted when, in this order (the first failure answers):

1. it carries the three signature headers (`node.api.signature`), else 401 ``unsigned``;
2. they are well formed (strict base64, a readable certificate, a decimal time), else 400
   ``bad-request`` naming the header;
3. the signature verifies with the certificate's key over the request, else 401
   ``bad-signature``;
4. the certificate is within its own validity dates, and is a current identity of a member
   organisation of the channel (`check_identity` against the channel's trust: issuer, expiry,
   revocation; regulators are members, so a regulator's clients read too), else 404
   ``unknown-channel``, as for a channel that does not exist (a certificate outside its own validity
   dates is 403 ``forbidden``: that says nothing of any channel);
5. its time lies within the channel's clock-skew window of this node's clock, else 401
   ``stale-request``;
6. the same signed request (certificate and signed message) was not seen before, else 409
   ``replayed``.

Why this order: steps 1 to 3 depend on the request alone, never on the channel, and step 4
answers an unknown channel exactly as it answers a channel the caller is no member of, with
one message: nothing after it (the window, the replay memory) is consulted before the caller
is known to be a member. So a non-member learns nothing of a channel, not even that it exists.

A session instead of a signature: a request may carry ``Authorization: Bearer TOKEN`` (a token
from ``POST /api/v1/sessions``: `node.users.sessions`) in place of the three headers, never
both (400 ``bad-request``). Steps 1 to 3 are then: the token names a live session, else 401
``bad-token`` or ``session-expired``; step 4 is the same, on the session's certificate
(`Gate.admit_session`), so membership, revocation and the regulators' reading rule hold for
a session exactly as for a signature; steps 5 and 6 have no object (the token is the proof,
and TLS keeps it from being seen).

Replays: a signed request is remembered until its time leaves the window, after which step 5
refuses it anyway. Two requests a client makes in one millisecond would collide, so the client
library never reuses a time (`node.client`). The memory is bounded (`ReplayGuard.capacity`):
when full of requests still inside their windows, new ones get 429 ``busy`` rather than
weakening the guarantee.
"""

from __future__ import annotations

import base64
import binascii
import heapq
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from node.api.errors import ApiError, bad_request
from node.api.signature import HEADER_CERTIFICATE, HEADER_SIGNATURE, HEADER_TIME, request_message
from node.chain.channel import Channel
from node.chain.config import DEFAULTS
from node.identity import Certificate, CertificateError, IdentityRefused, VerifiedIdentity, check_identity
from node.tx import limits as L
from node.tx.clock import check_timestamp
from node.tx.errors import TimestampError
from node.users.sessions import Session
from node.recent import Recent

_TIME_DIGITS_MAX = 16
HEADER_AUTHORIZATION = "Authorization"
_CERTIFICATE_CACHE = 1024


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """A request whose signature verified with its certificate's key (membership not yet checked)."""

    certificate: Certificate
    time_ms: int
    message: bytes


def forbidden(channel: str) -> ApiError:
    """The one answer for an unknown channel and for one the caller may not read: 404, as for
    anything that is not there, so that a non-member learns nothing, not even that it exists."""
    return ApiError(404, "unknown-channel", f"no channel {channel!r} that this identity may read: there is no such "
                    "channel, or the identity is not a current identity of one of its member organisations")


class ReplayGuard:
    """Signed requests seen, each kept until its time leaves its window."""

    def __init__(self, capacity: int = 200_000) -> None:
        self.capacity = capacity
        self._seen: set[bytes] = set()
        self._expiry: list[tuple[int, bytes]] = []

    def __len__(self) -> int:
        return len(self._seen)

    def remember(self, key: bytes, expires_ms: int, now_ms: int) -> None:
        """Note ``key`` until ``expires_ms``; `ApiError` if it was noted already, or memory is full."""
        while self._expiry and self._expiry[0][0] < now_ms:
            self._seen.discard(heapq.heappop(self._expiry)[1])
        if key in self._seen:
            raise ApiError(409, "replayed", "this signed request was received already; sign each request anew")
        if len(self._seen) >= self.capacity:
            raise ApiError(429, "busy", "too many signed requests in the clock-skew window; try again shortly")
        self._seen.add(key)
        heapq.heappush(self._expiry, (expires_ms, key))


class Gate:
    """Reads and checks request signatures (and sessions' certificates) and decides who may read
    which channel."""

    def __init__(self, replay: ReplayGuard | None = None) -> None:
        self.replay = replay if replay is not None else ReplayGuard()
        self._certificates: Recent[bytes, Certificate] = Recent(_CERTIFICATE_CACHE)

    def signed(self, headers: Mapping[str, str], method: str, target: str, body: bytes) -> SignedRequest | None:
        """The request's verified signature; None when it carries none of the headers."""
        present = [h for h in (HEADER_CERTIFICATE, HEADER_TIME, HEADER_SIGNATURE) if headers.get(h) is not None]
        if not present:
            return None
        missing = [h for h in (HEADER_CERTIFICATE, HEADER_TIME, HEADER_SIGNATURE) if h not in present]
        if missing:
            raise ApiError(401, "unsigned", f"the request lacks the header {missing[0]}")
        der = _base64(headers[HEADER_CERTIFICATE], HEADER_CERTIFICATE, L.CERTIFICATE_MAX_BYTES)
        signature = _base64(headers[HEADER_SIGNATURE], HEADER_SIGNATURE, L.SIGNATURE_MAX_BYTES)
        text = headers[HEADER_TIME]
        if not (text.isascii() and text.isdigit()) or len(text) > _TIME_DIGITS_MAX:
            raise bad_request(HEADER_TIME, "expected milliseconds since 1970 as decimal digits")
        time_ms = int(text)
        certificate = self._certificate(der)
        message = request_message(certificate.suite, method, target, time_ms, body)
        if not certificate.suite.verify(certificate.public_key, message, signature):
            raise ApiError(401, "bad-signature", f"{HEADER_SIGNATURE}: not a signature of the certificate's key over "
                           "this request (method, target, time and body)")
        return SignedRequest(certificate, time_ms, message)

    def admit(self, signed: SignedRequest | None, name: str, channel: Channel | None, now_ms: int) -> VerifiedIdentity:
        """The caller as a reader of channel ``name`` (``channel`` None: this node has no such channel)."""
        if signed is None:
            raise ApiError(401, "unsigned", "channel requests must be signed: send the headers "
                           f"{HEADER_CERTIFICATE}, {HEADER_TIME} and {HEADER_SIGNATURE}, or a session's "
                           f"{HEADER_AUTHORIZATION}: Bearer TOKEN")
        who = self._member(signed.certificate, name, channel, now_ms)
        assert channel is not None
        self._fresh(signed, now_ms, channel.config.clock_skew_ms)
        return who

    def admit_session(self, session: Session, name: str, channel: Channel | None, now_ms: int) -> VerifiedIdentity:
        """The session's certificate as a reader of channel ``name``: step 4 of the module docstring."""
        return self._member(self._certificate(session.certificate), name, channel, now_ms)

    def fresh(self, signed: SignedRequest, now_ms: int) -> None:
        """Steps 5 and 6 for a signed request that is not a channel's (a session, the users): the
        default clock-skew window, and the replay memory."""
        self._fresh(signed, now_ms, DEFAULTS["clock_skew_ms"])

    def visible(self, signed: SignedRequest | Session | None, channels: Mapping[str, Channel],
                now_ms: int) -> list[str]:
        """The names of the channels the caller may read (none for an unsigned request)."""
        if signed is None:
            return []
        at = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)
        certificate = self._certificate(signed.certificate) if isinstance(signed, Session) else signed.certificate
        _within_dates(certificate, at)
        if isinstance(signed, SignedRequest):
            self._window(signed, now_ms, DEFAULTS["clock_skew_ms"])
        names = []
        for name, channel in sorted(channels.items()):
            try:
                check_identity(certificate, channel.config.trust(), at=at)
            except IdentityRefused:
                continue
            names.append(name)
        return names

    @staticmethod
    def _member(certificate: Certificate, name: str, channel: Channel | None, now_ms: int) -> VerifiedIdentity:
        at = datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc)
        _within_dates(certificate, at)
        if channel is None:
            raise forbidden(name)
        try:
            return check_identity(certificate, channel.config.trust(), at=at)
        except IdentityRefused:
            raise forbidden(name) from None

    def _fresh(self, signed: SignedRequest, now_ms: int, skew_ms: int) -> None:
        self._window(signed, now_ms, skew_ms)
        suite = signed.certificate.suite
        self.replay.remember(suite.hash(signed.certificate.der + signed.message), signed.time_ms + skew_ms, now_ms)

    @staticmethod
    def _window(signed: SignedRequest, now_ms: int, skew_ms: int) -> None:
        try:
            check_timestamp(signed.time_ms, now_ms, skew_ms)
        except TimestampError as exc:
            message = str(exc).replace("proposal's timestamp", "request's time")
            raise ApiError(401, "stale-request", f"{HEADER_TIME}: {message}") from None

    def _certificate(self, der: bytes) -> Certificate:
        found = self._certificates.get(der)
        if found is None:
            try:
                found = Certificate.load(der)
            except CertificateError as exc:
                raise bad_request(HEADER_CERTIFICATE, str(exc)) from None
            self._certificates.put(der, found)
        return found


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of ``Authorization: Bearer TOKEN``; None without the header."""
    value = headers.get(HEADER_AUTHORIZATION)
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "bad-token", f"{HEADER_AUTHORIZATION}: expected 'Bearer TOKEN', with a token from "
                       "POST /api/v1/sessions")
    return token.strip()


def _within_dates(certificate: Certificate, at: datetime) -> None:
    # The certificate's own dates say nothing of any channel, so a precise refusal is safe here.
    if at > certificate.not_after:
        raise ApiError(403, "forbidden", f"the certificate expired at {certificate.not_after.isoformat()}")
    if at < certificate.not_before:
        raise ApiError(403, "forbidden", f"the certificate is valid from {certificate.not_before.isoformat()}")


def _base64(text: str, header: str, max_bytes: int) -> bytes:
    if len(text) > 4 * (max_bytes // 3 + 1):
        raise bad_request(header, f"more than {max_bytes} bytes")
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise bad_request(header, "not base64") from None
    if not data:
        raise bad_request(header, "empty")
    return data
