"""Back-pressure: a peer whose on_message is slow stops reading, and the sender's queue, not
anyone's memory, takes up the difference; when the handler catches up, everything arrives."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import pytest

from .conftest import FAST, Pki, make_mesh, peer_of, run, wait_until

pytestmark = pytest.mark.filterwarnings("error")

KiB = 1024
SETTINGS = replace(FAST, send_queue_frames=32, send_queue_bytes=256 * KiB, inbound_queue_frames=4,
                   inbound_queue_bytes=64 * KiB, write_buffer=64 * KiB, read_buffer=64 * KiB)
PAYLOAD = bytes(16 * KiB)
CAP = 4000  # 64 MB of frames: a sender that is not held back gets this far


def test_a_slow_handler_holds_the_sender_back_within_every_bound(pki: Pki) -> None:
    async def main() -> None:
        gate = asyncio.Event()
        handled: list[int] = []

        async def slow(peer: str, org: str, message: dict[str, Any]) -> None:
            await gate.wait()
            handled.append(message["i"])

        sender = make_mesh(pki, "Org1", [], slow, settings=SETTINGS)
        receiver = make_mesh(pki, "Org2", [], slow, settings=SETTINGS)
        for mesh in (sender, receiver):
            await mesh.start()
        sender.add_peer(peer_of(receiver))
        receiver.add_peer(peer_of(sender))
        try:
            await wait_until(lambda: sender.connected(receiver.name))
            # Send while the pipe takes frames: kernel buffers absorb some, then nothing moves.
            accepted, refused_since = 0, None
            loop = asyncio.get_running_loop()
            while accepted < CAP:
                if sender.send_nowait(receiver.name, {"type": "x", "i": accepted, "pad": PAYLOAD}):
                    accepted, refused_since = accepted + 1, None
                elif refused_since is None:
                    refused_since = loop.time()
                elif loop.time() - refused_since > 0.3:
                    break  # refused for a while: the pipeline is full
                await asyncio.sleep(0.001)
            assert accepted < CAP, "the sender was never held back"

            out, into = sender.stats(receiver.name), receiver.stats(sender.name)
            assert out.refused > 0
            assert out.send_queue_peak <= SETTINGS.send_queue_frames
            assert into.inbound_peak <= SETTINGS.inbound_queue_frames
            # The sender's transport holds at most its high-water mark plus one write batch.
            transport = sender._peers[receiver.name].link._writer.transport  # type: ignore[union-attr]
            assert transport.get_write_buffer_size() <= SETTINGS.write_buffer + 64 * KiB
            # Frames neither queued on either side nor handled are in kernel buffers (or in one
            # frame being read): a few MB on loopback, nowhere near the cap.
            in_flight = accepted - out.send_queued - into.inbound_queued
            assert in_flight * len(PAYLOAD) < 16 * 1024 * KiB

            # An awaited send of another such frame waits for room meanwhile (and, cancelled,
            # leaves nothing behind).
            last = {"type": "x", "i": accepted, "pad": PAYLOAD}
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(sender.send(receiver.name, last), 0.2)

            gate.set()
            await sender.send(receiver.name, last)
            await wait_until(lambda: len(handled) == accepted + 1, timeout=10)
            assert handled == list(range(accepted + 1))
            assert receiver.stats(sender.name).inbound_peak <= SETTINGS.inbound_queue_frames
            assert sender.stats(receiver.name).connects == 1  # held back, never cut off
        finally:
            await sender.close()
            await receiver.close()

    run(main)
