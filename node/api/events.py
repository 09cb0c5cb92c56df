"""A channel's contract events as a Server-Sent Events stream (``GET /api/v1/channels/{ch}/events``).

Each event of a VALID transaction is one SSE message:

    id: 12:0:1                      block : index of the transaction in it : position of the event
    data: {"block": 12, "index": 0, "position": 1, "tx_id": "…", "contract": "health",
           "event": "ClaimSettled", "fields": {…section-7 JSON…}}

The message has no ``event:`` line, so a browser's ``EventSource.onmessage`` sees every one;
the event's name is in the data. Events come in commit order. Lines starting with ``:`` are
comments: one when the stream starts, and a keep-alive every `KEEPALIVE_S` seconds while no
block commits, so that proxies do not close a quiet stream.

Where it starts, and resuming: ``Last-Event-ID`` (what a browser sends when it reconnects: the
id of the last message it received) resumes right after that event; else ``?from_block=N``
starts at block N (0: the whole history); else the stream starts at the next block to commit.
``?contract=NAME`` and ``?event=NAME`` keep the events of one contract, of one name, or both;
``?follow=false`` ends the stream once it has caught up (a script's "everything so far").

How it reads: from the ledger, never from a queue of its own. With ``contract`` the channel's
event index (`node.chain.store`, keyed by contract and event name) finds the events without
reading the blocks between them (the names are every event the contract's versions declare,
or the one asked for); without it the blocks are read in turn. Then it waits for the node's
commit notification (`NodeRuntime.wait_for_height`) and reads the new blocks the same way.

Memory stays bounded whatever the consumer's pace: the stream reads a page at a time (at most
`PAGE_EVENTS` events from the index, or the events of at most `PAGE_BLOCKS` blocks) and writes it
out one message at a time; each write waits until the connection takes it (the server's flow
control), so a slow consumer only reads the ledger later, and nothing piles up for it. A node
serves at most `MAX_STREAMS` streams at once (429 ``busy`` past that), so the sum is bounded too.
A client that leaves is noticed at the stream's next write, a keep-alive at the latest, and its
slot is given back then.
"""

from __future__ import annotations

import asyncio
import heapq
import json
import re
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from node.api.errors import ApiError, bad_request
from node.api.runtime import NodeRuntime
from node.chain.block import decode_item
from node.chain.channel import Channel
from node.chain.contracts import ContractError, module_key
from node.tx.codes import ValidationCode
from node.tx.envelope import Envelope, decode_envelope
from node.tx.errors import TxFormatError
from node.tx.proposal import tx_id
from node.tx.response import Completed

PAGE_EVENTS = 256
PAGE_BLOCKS = 64
KEEPALIVE_S = 15.0
MAX_STREAMS = 256
_MARK = re.compile(r"([0-9]{1,18}):([0-9]{1,9}):([0-9]{1,9})")

Mark = tuple[int, int, int]  # (block, index, position): an event's place, in commit order


@dataclass(frozen=True, slots=True)
class Selection:
    contract: str | None
    event: str | None


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where reading goes on: events of block ``block`` on, and only those after ``after``."""

    block: int
    after: Mark | None = None


@dataclass(frozen=True, slots=True)
class Found:
    mark: Mark
    tx_id: str
    contract: str
    event: str
    fields: dict[str, Any]

    def message(self) -> bytes:
        block, index, position = self.mark
        data = {"block": block, "index": index, "position": position, "tx_id": self.tx_id,
                "contract": self.contract, "event": self.event, "fields": self.fields}
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))  # one line: JSON escapes newlines
        return f"id: {block}:{index}:{position}\ndata: {text}\n\n".encode("utf-8")


def parse_mark(text: str, what: str) -> Mark:
    m = _MARK.fullmatch(text.strip())
    if m is None:
        raise bad_request(what, f"expected an event id BLOCK:INDEX:POSITION as this stream sends them, got "
                          f"{text[:40]!r}")
    return int(m[1]), int(m[2]), int(m[3])


class StreamSlots:
    """How many streams are open; `MAX_STREAMS` at most."""

    def __init__(self, limit: int = MAX_STREAMS) -> None:
        self.limit = limit
        self.open = 0

    def take(self) -> None:
        if self.open >= self.limit:
            raise ApiError(429, "busy", f"this node serves {self.limit} event streams already; try again later")
        self.open += 1

    def give_back(self) -> None:
        self.open -= 1


async def stream(runtime: NodeRuntime, name: str, channel: Channel, selection: Selection, cursor: Cursor,
                 follow: bool, release: Callable[[], None], keepalive_s: float = KEEPALIVE_S) -> AsyncIterator[bytes]:
    """The stream's bytes (see the module docstring); ``release`` gives its `StreamSlots` slot back."""
    try:
        yield f": events of channel {name} from block {cursor.block}\n\n".encode("utf-8")
        while True:
            end = channel.height()
            while cursor.block < end:
                found, cursor = read_page(channel, selection, cursor, end)
                for event in found:
                    yield event.message()
                await asyncio.sleep(0)  # a long catch-up leaves the loop to others between pages
            if not follow:
                return
            if not await runtime.wait_for_height(name, end + 1, keepalive_s):
                yield b": keep-alive\n\n"
    finally:
        release()


def read_page(channel: Channel, selection: Selection, cursor: Cursor, end: int) -> tuple[list[Found], Cursor]:
    """The next events before block ``end``, and where to go on (see the module docstring)."""
    if selection.contract is not None:
        return _indexed(channel, selection.contract, selection.event, cursor, end)
    found: list[Found] = []
    block = cursor.block
    stop = min(end, block + PAGE_BLOCKS)
    while block < stop and len(found) < PAGE_EVENTS:
        found.extend(f for f in block_events(channel, block, selection)
                     if cursor.after is None or f.mark > cursor.after)
        block += 1
    return found, Cursor(block)


def block_events(channel: Channel, number: int, selection: Selection) -> Iterator[Found]:
    """The selected events of the VALID transactions of block ``number``."""
    block = channel.block(number)
    record = channel.commit_record(number)
    if block is None or record is None:
        return
    for index, raw in enumerate(block.items):
        if record.codes[index] is not ValidationCode.VALID:
            continue
        envelope = _envelope(raw)
        if envelope is None or (selection.contract is not None and envelope.proposal.contract != selection.contract):
            continue
        result = envelope.response.result
        if not isinstance(result, Completed):
            continue
        ident = tx_id(channel.suite, envelope.proposal).hex()
        for position, event in enumerate(result.events):
            if selection.event is None or event.name == selection.event:
                yield Found((number, index, position), ident, envelope.proposal.contract, event.name, event.fields)


def _envelope(raw: bytes) -> Envelope | None:
    try:
        item = decode_item(raw)
        return decode_envelope(item.body) if item.kind == "envelope" else None
    except TxFormatError:
        return None


def _indexed(channel: Channel, contract: str, event: str | None, cursor: Cursor, end: int) \
        -> tuple[list[Found], Cursor]:
    names = [event] if event is not None else event_names(channel, contract)
    iterators = [_index_marks(channel, contract, n, cursor.block) for n in names]
    marks: list[Mark] = []
    try:
        for mark in heapq.merge(*iterators):
            if mark[0] >= end or len(marks) == PAGE_EVENTS:
                break
            if cursor.after is None or mark > cursor.after:  # those skipped are of one block at most
                marks.append(mark)
    finally:
        for it in iterators:
            it.close()  # the LevelDB iterators go with them: nothing stays open between pages
    full = len(marks) >= PAGE_EVENTS
    found: list[Found] = []
    decoded: dict[tuple[int, int], Envelope | None] = {}
    for mark in marks:
        block, index, position = mark
        if (block, index) not in decoded:
            whole = channel.block(block)
            decoded[(block, index)] = None if whole is None else _envelope(whole.items[index])
        envelope = decoded[(block, index)]
        result = None if envelope is None else envelope.response.result
        if envelope is None or not isinstance(result, Completed) or position >= len(result.events):
            continue  # the index and the block are written in one batch: this does not happen
        e = result.events[position]
        found.append(Found(mark, tx_id(channel.suite, envelope.proposal).hex(), contract, e.name, e.fields))
    if full:
        return found, Cursor(marks[PAGE_EVENTS - 1][0], marks[PAGE_EVENTS - 1])
    return found, Cursor(end)


def _index_marks(channel: Channel, contract: str, name: str, start_block: int) -> Generator[Mark, None, None]:
    """The marks of the index's ``contract``/``name`` events from ``start_block`` on, in order."""
    events = channel.blocks.events(contract, name, start_block)
    try:
        for e in events:
            yield e.block, e.index, e.position
    finally:
        events.close()


def event_names(channel: Channel, contract: str) -> list[str]:
    """Every event name a version of ``contract`` declared: the ones its events may carry."""
    record = channel.contract(contract)
    if record is None:
        return []
    names: dict[str, None] = {}
    for _, module, _ in record.history:
        def load(module: bytes = module) -> bytes:
            found = channel.state.get(module_key(module))
            if found is None:
                raise ContractError(f"the module {module.hex()} of {contract} is missing from the state")
            return found[0]

        try:
            machine = channel.machines.get(module, load)
        except ContractError:
            continue
        names.update((ev.name, None) for ev in machine.module.events)
    return list(names)
