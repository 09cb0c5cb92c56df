"""Blocks: what the orderer cuts and every peer validates and commits, in one order.

Wire form (`node.codec`): ``{"header": H, "items": [item bytes, ...]}`` with the header

    H = {"number": n, "previous": hash of block n-1's header (zeros for block 0),
         "data": hash of the codec list of the items, "state": the state hash after block n-1
         (zeros for block 0), "time": the orderer's clock when it cut the block, ms since 1970}

and each item the codec encoding of a one-field map: ``{"envelope": envelope bytes}`` (a
transaction, `node.tx.envelope`) or ``{"config": config update bytes}`` (`node.chain.config`;
the genesis block holds exactly one, the first configuration, unsigned).

Choices, each with its reason:
- The block id is the suite hash of the header's encoding; the header commits to the items
  through their hash, so a block's transactions are fixed by its id.
- The header carries the state hash *before* the block: ordering happens before validation, so
  the orderer cannot know the state after the block it cuts (ARCHITECTURE.md). The state after
  block n is in block n+1's header, and in the commit record (`node.chain.store`) at once.
- Validation codes are not in the block: every peer computes the same ones from the same state,
  and they are stored beside the block, not hashed into it.
- ``time`` is the orderer's: it decides EXPIRED (a proposal whose timestamp is outside the
  channel's window of it), so that every peer decides alike whatever its own clock says.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from node import codec
from node.crypto import CryptoSuite
from node.tx import wire
from node.tx.errors import TxFormatError

BLOCK_MAX_BYTES = 64 * 1024 * 1024
ITEMS_MAX = 10_000
ITEM_MAX_BYTES = 8 * 1024 * 1024
ITEM_KINDS = ("envelope", "config")


class BlockFormatError(ValueError):
    """Bytes that are not a block (the message names the field)."""


@dataclass(frozen=True, slots=True)
class Header:
    number: int
    previous: bytes
    data: bytes
    state: bytes
    time_ms: int


@dataclass(frozen=True, slots=True)
class Item:
    kind: str  # "envelope" or "config"
    body: bytes


@dataclass(frozen=True, slots=True)
class Block:
    header: Header
    items: tuple[bytes, ...]  # each item's bytes, as hashed

    @property
    def number(self) -> int:
        return self.header.number


def encode_item(kind: str, body: bytes) -> bytes:
    if kind not in ITEM_KINDS:
        raise ValueError(f"unknown item kind {kind!r}")
    return codec.encode({kind: body})


def decode_item(data: bytes) -> Item:
    """One item of a block; `TxFormatError` naming the field for malformed bytes. A node reads
    each item several times (admitting it, as a PBFT request, in the pre-prepare's batch, when it
    validates the block): the later readings are the first's (`wire.Memo`)."""
    return _ITEMS.decoded(data, _decode_item)


_ITEMS = wire.Memo(4096)


def _decode_item(data: bytes) -> Item:
    m = wire.fields(wire.decode(data, "item", ITEM_MAX_BYTES), "item", (), ITEM_KINDS)
    kind = wire.one_of(m, "item", ITEM_KINDS)
    return Item(kind, wire.blob(m[kind], f"item.{kind}", 1, ITEM_MAX_BYTES))


def data_hash(suite: CryptoSuite, items: Sequence[bytes]) -> bytes:
    return suite.hash(codec.encode(list(items)))


def header_bytes(h: Header) -> bytes:
    return codec.encode({"number": h.number, "previous": h.previous, "data": h.data, "state": h.state,
                         "time": h.time_ms})


def block_id(suite: CryptoSuite, h: Header) -> bytes:
    """The block's id: the suite hash of its header's encoding."""
    return suite.hash(header_bytes(h))


def make_block(suite: CryptoSuite, number: int, previous: bytes, state: bytes, time_ms: int,
               items: Sequence[bytes]) -> Block:
    return Block(Header(number, previous, data_hash(suite, items), state, time_ms), tuple(items))


def encode_block(b: Block) -> bytes:
    return codec.encode({"header": header_bytes(b.header), "items": list(b.items)})


def decode_block(data: bytes, suite: CryptoSuite) -> Block:
    """The block `data` encodes, its data hash checked; `BlockFormatError` for anything else."""
    try:
        m = wire.fields(wire.decode(data, "block", BLOCK_MAX_BYTES), "block", ("header", "items"))
        header = _header(m["header"], suite)
        items = tuple(wire.blob(x, f"block.items[{i}]", 1, ITEM_MAX_BYTES)
                      for i, x in enumerate(wire.array(m["items"], "block.items", ITEMS_MAX)))
    except TxFormatError as exc:
        raise BlockFormatError(str(exc)) from None
    if data_hash(suite, items) != header.data:
        raise BlockFormatError("block.header.data: does not match the block's items")
    return Block(header, items)


def decode_header(data: bytes, suite: CryptoSuite) -> Header:
    """The header of the block ``data`` encodes, without reading its items (a page of blocks
    shows headers only); `BlockFormatError` for bytes that are not a block."""
    try:
        m = wire.fields(wire.decode(data, "block", BLOCK_MAX_BYTES), "block", ("header", "items"))
        return _header(m["header"], suite)
    except TxFormatError as exc:
        raise BlockFormatError(str(exc)) from None


def _header(value: object, suite: CryptoSuite) -> Header:
    raw = wire.blob(value, "block.header", 1, 4096)
    h = wire.fields(wire.decode(raw, "block.header", 4096), "block.header",
                    ("number", "previous", "data", "state", "time"))
    n = suite.digest_size
    return Header(
        wire.counter(h["number"], "block.header.number"),
        wire.blob(h["previous"], "block.header.previous", n, n),
        wire.blob(h["data"], "block.header.data", n, n),
        wire.blob(h["state"], "block.header.state", n, n),
        wire.counter(h["time"], "block.header.time"),
    )
