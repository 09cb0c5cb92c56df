"""Sessions: a token finds its session until it expires or ends; only the token's hash is kept;
sessions never outlive their certificate; the book is bounded per identity and in all; on a
running loop an expired session (and the key it holds) is dropped by a timer."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.crypto import get_suite
from node.users.errors import UserRefused
from node.users.sessions import SESSION_TTL_MS, SessionBook
from tests.node.conftest import make_leaf, make_root

SUITE = get_suite("intl")
NOW = datetime.now(timezone.utc)
ROOT = make_root(SUITE, "Org1", now=NOW)
ALICE = make_leaf(SUITE, *ROOT, "alice", now=NOW)
BOB = make_leaf(SUITE, *ROOT, "bob", now=NOW)
T0 = int(NOW.timestamp() * 1000)


def _refused(book, token, now, reason):
    with pytest.raises(UserRefused) as caught:
        book.find(token, now)
    assert caught.value.reason == reason, caught.value.message


def test_a_session_lives_until_its_expiry_or_its_end():
    book = SessionBook()
    cert, key = ALICE
    token, session = book.open(cert, key, now_ms=T0)
    assert (session.name, session.org, session.kind, session.expires_at) == ("alice", "Org1", "user",
                                                                             T0 + SESSION_TTL_MS)
    assert session.certificate == cert.der and session.key is key
    assert book.find(token, T0 + SESSION_TTL_MS - 1) is session
    _refused(book, token, T0 + SESSION_TTL_MS, "session-expired")
    _refused(book, "x" * 43, T0, "bad-token")
    other, _ = book.open(cert, None, now_ms=T0)
    assert book.find(other, T0).kind == "certificate"
    assert book.end(other) is not None and book.end(other) is None
    _refused(book, other, T0, "bad-token")
    assert len(book) == 0


def test_only_the_tokens_hash_is_kept():
    book = SessionBook()
    token, _ = book.open(*ALICE, now_ms=T0)
    assert token.encode() not in repr(vars(book)).encode() and token not in repr(book._live)
    assert len(token) == 43


def test_a_session_never_outlives_its_certificate():
    cert, key = make_leaf(SUITE, *ROOT, "brief", now=NOW - timedelta(days=365) + timedelta(hours=1))
    _, session = SessionBook().open(cert, key, now_ms=T0)
    assert session.expires_at == int(cert.not_after.timestamp() * 1000) < T0 + SESSION_TTL_MS


def test_the_book_is_bounded_per_identity_and_in_all():
    book = SessionBook(per_identity=2, capacity=3)
    first, _ = book.open(*ALICE, now_ms=T0)
    second, _ = book.open(*ALICE, now_ms=T0)
    third, _ = book.open(*ALICE, now_ms=T0)  # the oldest of alice's ends
    _refused(book, first, T0, "bad-token")
    assert book.find(second, T0) and book.find(third, T0)
    book.open(*BOB, now_ms=T0)
    with pytest.raises(UserRefused) as caught:
        book.open(*BOB, now_ms=T0)
    assert caught.value.reason == "busy"
    assert book.end_all("Org1", "alice") == 2 and book.sessions_of("Org1", "alice") == 0
    book.open(*BOB, now_ms=T0)


def test_on_a_running_loop_an_expired_session_is_dropped_by_its_timer():
    async def run() -> None:
        book = SessionBook(ttl_ms=30)
        token, _ = book.open(*ALICE, now_ms=T0)
        assert len(book) == 1
        await asyncio.sleep(0.1)
        assert len(book) == 0  # dropped with no look-up: its key is no longer held
        _refused(book, token, T0, "session-expired")

    asyncio.run(run())


@settings(max_examples=40)
@given(st.lists(st.tuples(st.sampled_from(["open", "end", "find"]), st.integers(0, 5), st.integers(0, 3)),
                max_size=30))
def test_a_token_finds_exactly_the_sessions_opened_not_ended_and_not_expired(steps):
    book = SessionBook(ttl_ms=10, per_identity=100)
    live: dict[str, int] = {}  # token -> expiry
    tokens: list[str] = []
    now = T0
    for action, pick, advance in steps:
        now += advance
        if action == "open":
            token, session = book.open(*ALICE, now_ms=now)
            live[token] = session.expires_at
            tokens.append(token)
        elif tokens:
            token = tokens[pick % len(tokens)]
            if action == "end":
                book.end(token)
                live.pop(token, None)
            else:
                alive = token in live and live[token] > now
                if alive:
                    assert book.find(token, now).expires_at == live[token]
                else:
                    with pytest.raises(UserRefused):
                        book.find(token, now)
