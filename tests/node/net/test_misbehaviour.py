"""Peers and strangers that misbehave: each is refused or loses its own link, with the reason
logged, and the node keeps serving its other links."""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import msgpack
import pytest

from node import codec
from node.net import Peer, issue_tls_cert
from node.net.frames import link_frame
from node.net.handshake import hello_frame

from .conftest import FAST, Identity, Inbox, Pki, closed_by_server, make_mesh, raw_client, run, started, wait_until

pytestmark = pytest.mark.filterwarnings("error")

Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _frame(body: bytes) -> bytes:
    return len(body).to_bytes(4, "big") + body


async def _hello_then(stream: Stream, *chunks: bytes) -> None:
    _, writer = stream
    writer.write(hello_frame("peer0-org0", "Org0") + b"".join(chunks))
    await writer.drain()


def _bad_peers(pki: Pki, tmp_path: Path) -> list[tuple[str, Identity | None, Callable[[Stream], Awaitable[None]], str]]:
    """(what, whose certificate, what it does after connecting, words the logged reason holds)."""
    org0 = pki.nodes["Org0"]
    stranger = Identity("peer1-org1", "Org1", *issue_tls_cert(*pki.cas["Org1"], "peer1-org1", "Org1", tmp_path))

    async def sends(stream: Stream, data: bytes) -> None:
        stream[1].write(data)
        await stream[1].drain()

    return [
        ("a plaintext client", None, lambda s: sends(s, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), "SSL"),
        ("plaintext garbage", None, lambda s: sends(s, bytes(range(256)) * 4), "SSL"),
        ("a client of a foreign CA", pki.foreign, lambda s: sends(s, hello_frame("peer0-org0", "Org0")),
         "certificate verify failed"),
        ("a CA speaking for another org", pki.cross, lambda s: sends(s, hello_frame("peer0-org0", "Org0")),
         "another organisation's CA"),
        ("a node not in the peer list", stranger, lambda s: sends(s, hello_frame("peer1-org1", "Org1")),
         "not a known peer"),
        ("garbage instead of a hello", org0, lambda s: sends(s, b"\x00\x00\x00\x03abc"), "bad first frame"),
        ("a huge hello", org0, lambda s: sends(s, (1 << 20).to_bytes(4, "big")), "bad first frame"),
        ("a ping instead of a hello", org0, lambda s: sends(s, link_frame({"type": "ping"})), "not a hello"),
        ("a hello naming another node", org0, lambda s: sends(s, hello_frame("peer0-org1", "Org1")),
         "the hello says"),
        ("a huge length prefix", org0, lambda s: _hello_then(s, b"\xff\xff\xff\xff"), "over the limit"),
        ("bytes that are not codec", org0, lambda s: _hello_then(s, _frame(b"\xc1\xc1")), "not canonical"),
        ("a map out of key order", org0,
         lambda s: _hello_then(s, _frame(msgpack.packb({"type": "x", "n": 1}))), "canonical order"),
        ("a float", org0, lambda s: _hello_then(s, _frame(msgpack.packb({"n": 1.5, "type": "x"}))), "not canonical"),
        ("a list, not a map", org0, lambda s: _hello_then(s, _frame(codec.encode(["type"]))), "not a map"),
        ("a map without a type", org0, lambda s: _hello_then(s, _frame(codec.encode({"kind": "x"}))), '"type"'),
        ("a second hello", org0, lambda s: _hello_then(s, hello_frame("peer0-org0", "Org0")), "second hello"),
        ("two million empty arrays", org0, lambda s: _hello_then(s, _frame(
            b"\x81\xa4type\xdd" + (2_000_000).to_bytes(4, "big") + b"\x90" * 2_000_000)), "values"),
    ]


def test_each_bad_peer_loses_only_its_own_connection(pki: Pki, tmp_path: Path,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="node.net")

    async def main() -> None:
        inboxes: dict[str, Inbox] = {}
        one, two = await started(pki, ("Org1", "Org2"), inboxes)
        # Org0's node is a known peer of `two` that dials it (org0 < org2); misbehaving clients use
        # its certificate, so the good link one-two is never the one replaced.
        two.add_peer(Peer("peer0-org0", "Org0", "127.0.0.1", 9))
        try:
            await wait_until(lambda: one.connected(two.name))
            for what, who, behave, words in _bad_peers(pki, tmp_path):
                caplog.clear()
                try:
                    stream = await raw_client(pki, two.port, who)
                except (ssl.SSLError, ConnectionError):
                    stream = None  # refused within the TLS handshake itself
                if stream is not None:
                    try:
                        await behave(stream)
                    except (ssl.SSLError, ConnectionError):
                        pass
                    assert await closed_by_server(*stream), f"{what}: the connection was not closed"
                await wait_until(lambda words=words: any(words in getattr(r, "reason", "") for r in caplog.records), 3)
                # The good link is untouched and still carries messages.
                one.send_nowait(two.name, {"type": "x", "after": what})
                await inboxes["Org2"].wait_for(len(inboxes["Org2"].messages) + 1)
                assert inboxes["Org2"].messages[-1][1]["after"] == what
            assert one.stats(two.name).connects == 1 and two.stats(one.name).connects == 1
        finally:
            await one.close()
            await two.close()

    run(main)


def test_a_frame_cut_short_closes_its_link(pki: Pki, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="node.net")

    async def main() -> None:
        async with make_mesh(pki, "Org2", [Peer("peer0-org0", "Org0", "127.0.0.1", 9)], Inbox()) as two:
            stream = await raw_client(pki, two.port, pki.nodes["Org0"])
            await _hello_then(stream, _frame(codec.encode({"type": "x", "pad": bytes(100)}))[:50])
            await wait_until(lambda: two.connected("peer0-org0"))
            stream[1].write_eof() if stream[1].can_write_eof() else stream[1].close()
            assert await closed_by_server(*stream)
            await wait_until(lambda: any("middle of a frame" in getattr(r, "reason", "") for r in caplog.records))

    run(main)


def test_a_silent_peer_is_given_up_after_the_idle_timeout(pki: Pki, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="node.net")

    async def main() -> None:
        async with make_mesh(pki, "Org2", [Peer("peer0-org0", "Org0", "127.0.0.1", 9)], Inbox()) as two:
            stream = await raw_client(pki, two.port, pki.nodes["Org0"])
            await _hello_then(stream)  # and then nothing, not even pings
            await wait_until(lambda: two.connected("peer0-org0"))
            began = asyncio.get_running_loop().time()
            assert await closed_by_server(*stream, timeout=FAST.idle_timeout * 3)
            waited = asyncio.get_running_loop().time() - began
            assert FAST.idle_timeout * 0.9 <= waited <= FAST.idle_timeout * 1.25 + 0.3
            assert any("nothing received" in getattr(r, "reason", "") for r in caplog.records)

    run(main)


def test_a_peer_with_pings_only_stays_linked(pki: Pki) -> None:
    async def main() -> None:
        one, two = await started(pki, ("Org1", "Org2"))
        try:
            await asyncio.sleep(FAST.idle_timeout * 2)  # nothing to say: only heartbeats flow
            assert one.connected(two.name) and one.stats(two.name).connects == 1
            assert two.stats(one.name).frames_in >= 3
        finally:
            await one.close()
            await two.close()

    run(main)


def test_handshakes_are_bounded_in_number_and_time(pki: Pki, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="node.net")
    settings = replace(FAST, max_handshakes=2, handshake_timeout=0.5)

    async def main() -> None:
        async with make_mesh(pki, "Org2", [], Inbox(), settings=settings) as two:
            silent = [await raw_client(pki, two.port, None) for _ in range(2)]
            await asyncio.sleep(0.05)
            extra = await raw_client(pki, two.port, None)
            assert await closed_by_server(*extra, timeout=0.3)  # refused at once
            assert any(r.reason == "too many handshakes" for r in caplog.records if hasattr(r, "reason"))
            for stream in silent:  # given up after the handshake timeout
                assert await closed_by_server(*stream, timeout=2)

    run(main)


def test_a_higher_name_may_not_dial_a_lower_one(pki: Pki, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="node.net")

    async def main() -> None:
        # peer0-org1 dials peer0-org3 itself (the lower name dials), so it refuses peer0-org3's call.
        async with make_mesh(pki, "Org1", [Peer("peer0-org3", "Org3", "127.0.0.1", 9)], Inbox()) as one:
            stream = await raw_client(pki, one.port, pki.nodes["Org3"])
            stream[1].write(hello_frame("peer0-org3", "Org3"))
            assert await closed_by_server(*stream)
            await wait_until(lambda: any("lower name" in getattr(r, "reason", "") for r in caplog.records))

    run(main)


def test_a_new_connection_from_a_peer_replaces_its_old_link(pki: Pki, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="node.net")

    async def main() -> None:
        inbox = Inbox()
        async with make_mesh(pki, "Org2", [Peer("peer0-org0", "Org0", "127.0.0.1", 9)], inbox) as two:
            first = await raw_client(pki, two.port, pki.nodes["Org0"])
            await _hello_then(first, _frame(codec.encode({"type": "x", "i": 1})))
            await inbox.wait_for(1)
            second = await raw_client(pki, two.port, pki.nodes["Org0"])  # its dialler gave the first up
            await _hello_then(second, _frame(codec.encode({"type": "x", "i": 2})))
            assert await closed_by_server(*first)
            await inbox.wait_for(2)
            assert [m["i"] for m in inbox.from_("peer0-org0")] == [1, 2]
            assert two.connected("peer0-org0") and two.stats("peer0-org0").connects == 2
            await wait_until(lambda: any("replaced" in getattr(r, "reason", "") for r in caplog.records))
            second[1].transport.abort()
            await wait_until(lambda: not two.connected("peer0-org0"))

    run(main)


def test_a_large_frame_arriving_slowly_is_not_taken_for_silence(pki: Pki) -> None:
    async def main() -> None:
        inbox = Inbox()
        async with make_mesh(pki, "Org2", [Peer("peer0-org0", "Org0", "127.0.0.1", 9)], inbox) as two:
            stream = await raw_client(pki, two.port, pki.nodes["Org0"])
            await _hello_then(stream)
            frame = _frame(codec.encode({"type": "block", "block": bytes(3 * 1024 * 1024)}))
            began = asyncio.get_running_loop().time()
            for start in range(0, len(frame), 128 * 1024):  # 1 MiB every 0.4 s, 1.2 s in all
                stream[1].write(frame[start:start + 128 * 1024])
                await asyncio.sleep(0.05)
            await inbox.wait_for(1)
            assert asyncio.get_running_loop().time() - began > FAST.idle_timeout
            assert two.stats("peer0-org0").connects == 1 and two.connected("peer0-org0")
            stream[1].transport.abort()

    run(main)
