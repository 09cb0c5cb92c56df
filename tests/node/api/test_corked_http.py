"""`node.daemon.http`: an answer's writes within one turn of the loop leave as one write."""

from __future__ import annotations

import asyncio

from node.daemon.http import _Corked


class _Transport:
    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.events: list[str] = []
        self.closing = False

    def write(self, data: bytes) -> None:
        self.writes.append(data)
        self.events.append("write")

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True
        self.events.append("close")

    def abort(self) -> None:
        self.closing = True
        self.events.append("abort")

    def get_extra_info(self, name: str) -> str:
        return f"info:{name}"


def test_writes_in_one_turn_leave_as_one_at_its_end_and_the_next_turn_starts_anew() -> None:
    async def main() -> None:
        raw = _Transport()
        corked = _Corked(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n")
        corked.write(b"")  # nothing to send: no write
        corked.write(b"{}")
        assert raw.writes == []  # not before the turn ends
        await asyncio.sleep(0)
        assert raw.writes == [b"HTTP/1.1 202 Accepted\r\ncontent-length: 2\r\n\r\n{}"]
        corked.write(b"event: x\n\n")
        await asyncio.sleep(0)
        assert raw.writes[1:] == [b"event: x\n\n"]
        assert corked.get_extra_info("peername") == "info:peername"  # the rest is the transport's

    asyncio.run(main())


def test_close_sends_what_waits_first_and_abort_drops_it() -> None:
    async def main() -> None:
        raw = _Transport()
        corked = _Corked(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"last answer")
        corked.close()
        assert raw.events == ["write", "close"] and raw.writes == [b"last answer"]
        await asyncio.sleep(0)
        assert raw.writes == [b"last answer"]  # the scheduled flush found nothing left

        raw = _Transport()
        corked = _Corked(raw, asyncio.get_running_loop())  # type: ignore[arg-type]
        corked.write(b"never sent")
        corked.abort()
        await asyncio.sleep(0)
        assert raw.events == ["abort"]

    asyncio.run(main())
