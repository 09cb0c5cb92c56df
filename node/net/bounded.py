"""A FIFO queue bounded by item count and by total size, with both a refusing and a waiting put.

Every queue of the links (frames to send, frames read but not yet handled) is one of these, so
each holds at most `max_items` items and `max_bytes` bytes as the sender counts them, except that
one item always fits an empty queue (a legal frame larger than `max_bytes` must still be able to
pass; the bound is then that one frame). `put_nowait` refuses (returns False) when the item does
not fit or when waiting putters are ahead of it, so that `put` keeps its place in line; `put`
waits for room, in arrival order. `close` wakes every waiter: putters raise `QueueClosed`, getters
first take what is left. `peak_items` and `peak_bytes` record the most the queue ever held, for
tests and metrics.

Waiters are futures in deques, as in asyncio.Queue: a waiter woken and then cancelled passes its
wake-up on, so a cancelled get never loses an item and a cancelled put never strands the next.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Generic, TypeVar

T = TypeVar("T")


class QueueClosed(Exception):
    """The queue was closed: nothing more goes in, and nothing is left to take out."""


class BoundedQueue(Generic[T]):
    def __init__(self, max_items: int, max_bytes: int) -> None:
        if max_items < 1 or max_bytes < 1:
            raise ValueError("a queue must hold at least one item and one byte")
        self.max_items = max_items
        self.max_bytes = max_bytes
        self.peak_items = 0
        self.peak_bytes = 0
        self._items: deque[tuple[T, int]] = deque()
        self._bytes = 0
        self._getters: deque[asyncio.Future[None]] = deque()
        self._putters: deque[asyncio.Future[None]] = deque()
        self._closed = False

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size(self) -> int:
        """The total size of the items held."""
        return self._bytes

    @property
    def closed(self) -> bool:
        return self._closed

    def put_nowait(self, item: T, size: int) -> bool:
        """Add `item` if it fits and nobody waits to put; return whether it was added."""
        if self._closed:
            raise QueueClosed
        if self._putters or not self._fits(size):
            return False
        self._append(item, size)
        return True

    async def put(self, item: T, size: int) -> None:
        """Add `item`, waiting (in arrival order) until it fits."""
        woken = False
        while True:
            if self._closed:
                raise QueueClosed
            if (woken or not self._putters) and self._fits(size):
                self._append(item, size)
                if woken:
                    _wake_first(self._putters)  # there may be room for the next one too
                return
            waiter = asyncio.get_running_loop().create_future()
            # A putter woken for room that is still too small keeps its place at the front.
            if woken:
                self._putters.appendleft(waiter)
            else:
                self._putters.append(waiter)
            try:
                await waiter
            except BaseException:
                _forget(self._putters, waiter)
                if waiter.done() and not waiter.cancelled():
                    _wake_first(self._putters)
                raise
            woken = True

    def head_size(self) -> int:
        """The size of the oldest item (0 when empty)."""
        return self._items[0][1] if self._items else 0

    def get_nowait(self) -> T:
        """The oldest item; raises `asyncio.QueueEmpty` (or `QueueClosed` once closed) when empty."""
        if not self._items:
            raise QueueClosed if self._closed else asyncio.QueueEmpty
        return self._pop()

    async def get(self) -> T:
        """The oldest item, waiting for one; raises `QueueClosed` once closed and empty."""
        while not self._items:
            if self._closed:
                raise QueueClosed
            waiter = asyncio.get_running_loop().create_future()
            self._getters.append(waiter)
            try:
                await waiter
            except BaseException:
                _forget(self._getters, waiter)
                if waiter.done() and not waiter.cancelled() and self._items:
                    _wake_first(self._getters)
                raise
        return self._pop()

    def close(self) -> None:
        """Refuse further puts; wake every waiter. Items already in can still be taken."""
        self._closed = True
        for waiters in (self._putters, self._getters):
            while waiters:
                waiter = waiters.popleft()
                if not waiter.done():
                    waiter.set_result(None)

    def clear(self) -> None:
        """Drop every item held (a closed peer's frames), waking putters for the room."""
        self._items.clear()
        self._bytes = 0
        _wake_first(self._putters)

    def _fits(self, size: int) -> bool:
        if not self._items:
            return True
        return len(self._items) < self.max_items and self._bytes + size <= self.max_bytes

    def _append(self, item: T, size: int) -> None:
        self._items.append((item, size))
        self._bytes += size
        self.peak_items = max(self.peak_items, len(self._items))
        self.peak_bytes = max(self.peak_bytes, self._bytes)
        _wake_first(self._getters)

    def _pop(self) -> T:
        item, size = self._items.popleft()
        self._bytes -= size
        _wake_first(self._putters)
        return item


def _wake_first(waiters: deque[asyncio.Future[None]]) -> None:
    while waiters:
        waiter = waiters.popleft()
        if not waiter.done():
            waiter.set_result(None)
            return


def _forget(waiters: deque[asyncio.Future[None]], waiter: asyncio.Future[None]) -> None:
    try:
        waiters.remove(waiter)
    except ValueError:
        pass  # already popped by the one who woke it
