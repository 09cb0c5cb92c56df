"""Sessions: a bearer token stands for an identity for a while (``Authorization: Bearer TOKEN``).

    token, session = book.open(certificate, key, now_ms=now)    # key None: a certificate's session
    book.find(token, now_ms)                                      # the Session, or UserRefused
    book.end(token)                                               # logout

Two kinds, one `Session`: a user's (after a login with name and password: it holds the user's
private key, opened for the session's life, so that the node can sign for the user) and a
certificate's (after a request signed with the certificate's key: it holds no key, the holder
keeps it). Either way the session's certificate is checked against the channel's trust on every
request (`node.api.access.Gate.admit_session`), exactly as a signed request's is, so a revoked
or expired certificate stops working with its sessions too.

Rules, each with its reason:
- A token is 32 random bytes (`secrets.token_urlsafe`: 43 characters). Only its SHA-256 is
  kept: a look-up by hash leaks nothing useful through timing (the attacker cannot steer the
  hash of the tokens it tries), and a dump of the node's memory shows no token that works. 256
  random bits need no salt and no slow hash: nobody guesses them.
- A session lives `SESSION_TTL_MS` (8 hours, a working shift: an application's user logs in
  once a shift, and a stolen token or a key held in memory lasts no longer than that), and never
  past its certificate's own expiry.
- It ends at its expiry: the book drops it (and with it the only reference it holds to the
  key) from a timer on the running event loop, so an idle node does not keep keys of ended
  sessions; every look-up also sweeps what has expired, for a book used without a loop. Python
  cannot wipe the key's memory; dropping the last reference is what can be done.
- At most `PER_IDENTITY` sessions per identity (the oldest ends when one more opens: an app
  that logs in on every request does not pile up keys) and `CAPACITY` in all (then ``busy``,
  429, rather than evicting someone else's session).
- An unknown token answers ``bad-token``; a token whose session expired answers
  ``session-expired`` while the book still remembers it (until the sweep), then ``bad-token``.
"""

from __future__ import annotations

import asyncio
import hashlib
import heapq
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from node.crypto.suite import PrivateKey
from node.identity import Certificate
from node.users.errors import UserRefused

SESSION_TTL_MS = 8 * 60 * 60 * 1000
PER_IDENTITY = 16
CAPACITY = 10_000
TOKEN_BYTES = 32
TOKEN_MAX_CHARACTERS = 128
_EXPIRED_REMEMBERED_MS = 60 * 60 * 1000  # an expired token says "expired" for this long, then "unknown"


@dataclass(frozen=True, slots=True)
class Session:
    """Who a bearer token stands for, until ``expires_at`` (ms)."""

    name: str
    org: str
    certificate: bytes = field(repr=False)  # DER
    key: PrivateKey | None = field(repr=False, compare=False)  # a user's key; None: a certificate's session
    expires_at: int
    started_at: int = 0

    @property
    def kind(self) -> str:
        return "certificate" if self.key is None else "user"


@dataclass(slots=True)
class _Entry:
    session: Session
    timer: asyncio.TimerHandle | None = None


class SessionBook:
    """The sessions of one node (see the module docstring). Safe to share between threads."""

    def __init__(self, *, ttl_ms: int = SESSION_TTL_MS, per_identity: int = PER_IDENTITY,
                 capacity: int = CAPACITY) -> None:
        self.ttl_ms = ttl_ms
        self.per_identity = per_identity
        self.capacity = capacity
        self._lock = threading.Lock()
        self._live: dict[bytes, _Entry] = {}  # token hash -> entry
        self._expired: dict[bytes, int] = {}  # token hash -> when to forget that it expired
        self._by_identity: dict[tuple[str, str], list[bytes]] = {}  # (org, name) -> token hashes, oldest first
        self._expiry: list[tuple[int, bytes]] = []

    def __len__(self) -> int:
        return len(self._live)

    def open(self, certificate: Certificate, key: PrivateKey | None, *, now_ms: int) -> tuple[str, Session]:
        """A new session for ``certificate`` (with the user's ``key``, or None); its token and itself."""
        expires = min(now_ms + self.ttl_ms, int(certificate.not_after.timestamp() * 1000))
        session = Session(certificate.subject.name, certificate.subject.org, certificate.der, key, expires, now_ms)
        token = secrets.token_urlsafe(TOKEN_BYTES)
        digest = _digest(token)
        with self._lock:
            self._sweep(now_ms)
            if len(self._live) >= self.capacity:
                raise UserRefused("busy", f"this node holds {self.capacity} sessions, as many as it may; try again "
                                  "later, or sign requests with the certificate instead")
            owned = self._by_identity.setdefault((session.org, session.name), [])
            while len(owned) >= self.per_identity:
                self._drop(owned[0])
            entry = _Entry(session)
            self._live[digest] = entry
            owned.append(digest)
            heapq.heappush(self._expiry, (expires, digest))
            if len(self._expiry) > 2 * len(self._live) + 1024:  # sessions ended early leave their entries behind
                self._expiry = [(e.session.expires_at, d) for d, e in self._live.items()]
                heapq.heapify(self._expiry)
        entry.timer = _timer(expires - now_ms, lambda: self._expire(digest))
        return token, session

    def find(self, token: str, now_ms: int) -> Session:
        """The live session of ``token``; `UserRefused` ``bad-token`` or ``session-expired``."""
        if not token or len(token) > TOKEN_MAX_CHARACTERS or not token.isascii():
            raise UserRefused("bad-token", "Authorization: not a session token")
        digest = _digest(token)
        with self._lock:
            self._sweep(now_ms)
            entry = self._live.get(digest)
            if entry is not None:
                return entry.session
            if digest in self._expired:
                raise UserRefused("session-expired", "the session of this token has expired; log in again")
        raise UserRefused("bad-token", "no session has this token (it was ended, or never existed); log in again")

    def end(self, token: str) -> Session | None:
        """End the session of ``token`` (logout); the session it was, or None."""
        digest = _digest(token)
        with self._lock:
            entry = self._live.get(digest)
            self._drop(digest)
        return None if entry is None else entry.session

    def end_all(self, org: str, name: str) -> int:
        """End every session of ``name`` of ``org`` (a user disabled); how many there were."""
        with self._lock:
            owned = list(self._by_identity.get((org, name), ()))
            for digest in owned:
                self._drop(digest)
        return len(owned)

    def sessions_of(self, org: str, name: str) -> int:
        with self._lock:
            return len(self._by_identity.get((org, name), ()))

    # --- internals (under the lock)
    def _sweep(self, now_ms: int) -> None:
        while self._expiry and self._expiry[0][0] <= now_ms:
            expires, digest = heapq.heappop(self._expiry)
            if digest in self._live and self._live[digest].session.expires_at == expires:
                self._drop(digest)
                self._expired[digest] = now_ms + _EXPIRED_REMEMBERED_MS
        for digest in [d for d, until in self._expired.items() if until <= now_ms]:
            del self._expired[digest]

    def _expire(self, digest: bytes) -> None:
        with self._lock:
            entry = self._live.get(digest)
            if entry is not None:
                self._drop(digest)
                self._expired[digest] = entry.session.expires_at + _EXPIRED_REMEMBERED_MS

    def _drop(self, digest: bytes) -> None:
        entry = self._live.pop(digest, None)
        if entry is None:
            return
        if entry.timer is not None:
            entry.timer.cancel()
        ident = (entry.session.org, entry.session.name)
        owned = self._by_identity.get(ident, [])
        if digest in owned:
            owned.remove(digest)
        if not owned:
            self._by_identity.pop(ident, None)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode("ascii", "replace")).digest()


def _timer(delay_ms: int, callback: Callable[[], object]) -> asyncio.TimerHandle | None:
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return None  # no loop here: look-ups sweep instead
    return loop.call_later(max(delay_ms, 0) / 1000, callback)
