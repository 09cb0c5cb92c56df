"""The solo orderer: one node orders a channel's transactions alone.

It gathers submitted items and cuts a block when it holds the channel's ``block_max_tx`` items,
or ``block_timeout_ms`` after the first item of the block arrived, whichever comes first. Cutting
takes the next header from the channel (number, previous block id, state hash after the previous
block), so a block is cut only after the one before it was committed: ``deliver`` commits it
before the next cut begins (one lock). The block's time is this node's clock at the cut, which
then decides EXPIRED for every peer alike.

Bounds: at most ``max_pending`` items wait (beyond that `submit` refuses with `OrdererBusy`, and
the client may retry later), so a flood of submissions cannot grow memory without bound.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Protocol

from node.chain.block import Block
from node.chain.channel import Channel
from node.tx.clock import now_ms


class OrdererBusy(Exception):
    """Too many items are waiting to be ordered: try again shortly."""


class Orderer(Protocol):
    async def submit(self, item: bytes) -> None: ...

    async def close(self) -> None: ...


class SoloOrderer:
    def __init__(self, channel: Channel, deliver: Callable[[Block], Awaitable[None]], *,
                 max_pending: int = 50_000, clock: Callable[[], int] = now_ms) -> None:
        self._channel = channel
        self._deliver = deliver
        self._pending: list[bytes] = []
        self._max_pending = max_pending
        self._clock = clock
        self._timer: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self._closed = False

    @property
    def pending(self) -> int:
        return len(self._pending)

    async def submit(self, item: bytes) -> None:
        if self._closed:
            raise OrdererBusy("the orderer is shutting down")
        if len(self._pending) >= self._max_pending:
            raise OrdererBusy(f"{len(self._pending)} transactions are waiting to be ordered")
        self._pending.append(item)
        config = self._channel.config
        if len(self._pending) >= config.block_max_tx:
            self._spawn()
        elif self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(config.block_timeout_ms / 1000, self._spawn)

    def _spawn(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        task = asyncio.get_running_loop().create_task(self._cut())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _cut(self) -> None:
        async with self._lock:
            while self._pending:
                size = self._channel.config.block_max_tx
                items, self._pending = self._pending[:size], self._pending[size:]
                block = self._channel.cut(items, self._clock())
                await self._deliver(block)
                if len(self._pending) < size:
                    break
            if self._pending and self._timer is None and not self._closed:
                self._timer = asyncio.get_running_loop().call_later(
                    self._channel.config.block_timeout_ms / 1000, self._spawn)

    async def flush(self) -> None:
        """Cut whatever is waiting now (tests, and shutting down cleanly)."""
        if self._pending:
            self._spawn()
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    async def close(self) -> None:
        await self.flush()
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
