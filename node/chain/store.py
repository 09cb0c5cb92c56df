"""A channel's blocks and their indexes in the channel's LevelDB, beside its state.

Layout (every key under the namespace ``B``; the state lives under ``S``, `node.ledger`):

    B b number            the block's bytes (`node.chain.block`), 8-byte big-endian number
    B c number            the commit record: codec {"codes": [int, ...], "state": state hash after
                          the block, "id": block id, "messages": {index: abort message}}
    B i block id          the block's number (8 bytes)
    B s number            codec [signer certificate, signature]: who vouched for the block (the
                          solo orderer's signature over its id; PBFT's commit proof later)
    B t tx id             codec [block number, index, code]: where the transaction was recorded
    B v contract 0 event 0 number index position
                          b"": an event, indexed by contract and name, in commit order
    B h len(key) key number index
                          the record-history index: every VALID transaction that changed the
                          state key ``key`` (4-byte length, then the key, so that one key's
                          records never interleave with a longer key's that starts with it),
                          in commit order; codec [value after (None: deleted), tx id, block
                          time ms, creator org, creator name, role, entry (None: a deploy)]
    B H                   b"1": this database keeps the record-history index (written with the
                          genesis block; a database without it predates the index:
                          `Channel.open` rebuilds it, `node.chain.channel`)

`commit` writes the block, its commit record, the indexes and the state changes (staged by the
caller into the same batch) and the record history as one synced LevelDB write: after a crash (kill -9 included) a block
is either wholly there, with its state, or not at all, and the node resumes from the height it
finds. Numbers are big-endian so that LevelDB orders them numerically: the height is one
reverse seek.

The blocks and commit records last read or committed (`RECENT` of each) are kept decoded: every
client waiting on a transaction of the block just committed reads that block's record, and a
transaction's page its block, so a block of a hundred transactions is decoded once, not a
hundred times. Both are immutable once written, so a kept one is never stale.

Reads that must not scan the chain: a page of blocks (`summaries`) reads the commit record and
the header of each block it shows and nothing else; a key's history (`history`) is one range of
the ``h`` index (a page of it, read backwards from its newest end), however many blocks the
channel has.
"""

from __future__ import annotations

import dataclasses
import struct
from collections import OrderedDict
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

from node import codec
from node.chain.block import Block, Header, block_id, decode_block, decode_header, encode_block
from node.chain.validator import Written
from node.crypto import CryptoSuite
from node.tx.codes import ValidationCode

NAMESPACE = b"B"
_BLOCKS, _COMMITS, _IDS, _SIGNED, _TXS, _EVENTS, _HISTORY, _HISTORY_KEPT = (
    NAMESPACE + c for c in (b"b", b"c", b"i", b"s", b"t", b"v", b"h", b"H"))
HISTORY_FORMAT = b"1"
RECENT = 8  # decoded blocks and commit records kept: a few blocks' worth of clients wait on the newest


@dataclass(frozen=True, slots=True)
class CommitRecord:
    """What a peer decided for a block: a code per item, and the state hash after it."""

    codes: tuple[ValidationCode, ...]
    state: bytes
    id: bytes
    messages: dict[int, str]  # the contract's abort message, by item index
    tx_ids: dict[int, bytes] = field(default_factory=dict)  # by item index (as committed; not stored here)


@dataclass(frozen=True, slots=True)
class TxLocation:
    block: int
    index: int
    code: ValidationCode


@dataclass(frozen=True, slots=True)
class IndexedEvent:
    contract: str
    name: str
    block: int
    index: int
    position: int


@dataclass(frozen=True, slots=True)
class KeyChange:
    """One VALID transaction's change of a state key, from the record-history index."""

    block: int
    index: int
    tx_id: bytes
    time_ms: int  # its block's time
    org: str
    name: str
    role: str
    entry: str | None  # None for a deploy
    after: bytes | None  # the key's value after it (None: deleted)


@dataclass(frozen=True, slots=True)
class BlockSummary:
    """A block as a page of blocks lists it: its header and commit record, not its items."""

    header: Header
    record: CommitRecord


def _num(n: int) -> bytes:
    return n.to_bytes(8, "big")


def _keep(recent: OrderedDict[int, Any], number: int, value: Any) -> None:
    recent[number] = value
    recent.move_to_end(number)
    if len(recent) > RECENT:
        recent.popitem(last=False)


def _history_prefix(key: bytes) -> bytes:
    return _HISTORY + len(key).to_bytes(4, "big") + key


class BlockStore:
    """The blocks of one channel (``db`` is the channel's plyvel database)."""

    def __init__(self, db: Any, suite: CryptoSuite) -> None:
        self._db = db
        self._suite = suite
        self._blocks: OrderedDict[int, Block] = OrderedDict()
        self._records: OrderedDict[int, CommitRecord] = OrderedDict()

    def height(self) -> int:
        """The number of blocks committed (the genesis block is block 0)."""
        for key in self._db.iterator(prefix=_COMMITS, reverse=True, include_value=False):
            return int.from_bytes(key[len(_COMMITS):], "big") + 1
        return 0

    def block(self, number: int) -> Block | None:
        block = self._blocks.get(number)
        if block is None:
            data = self._db.get(_BLOCKS + _num(number))
            if data is None:
                return None
            block = decode_block(data, self._suite)
            _keep(self._blocks, number, block)
        return block

    def block_bytes(self, number: int) -> bytes | None:
        return self._db.get(_BLOCKS + _num(number))

    def number_of(self, ident: bytes) -> int | None:
        data = self._db.get(_IDS + ident)
        return None if data is None else int.from_bytes(data, "big")

    def commit_record(self, number: int) -> CommitRecord | None:
        record = self._records.get(number)
        if record is None:
            data = self._db.get(_COMMITS + _num(number))
            if data is None:
                return None
            m = codec.decode(data)
            record = CommitRecord(tuple(ValidationCode.of(c) for c in m["codes"]), m["state"], m["id"],
                                  {int(k): v for k, v in m["messages"].items()})
            _keep(self._records, number, record)
        return record

    def written(self, block: Block, record: CommitRecord) -> None:
        """``block`` and its ``record`` (as `stage` made it) are now in the database: keep them
        decoded for the readers that follow a commit."""
        _keep(self._blocks, block.number, block)
        _keep(self._records, block.number, dataclasses.replace(record, tx_ids={}))  # as a read gives it

    def header(self, number: int) -> Header | None:
        """Block ``number``'s header, its items left unread."""
        data = self._db.get(_BLOCKS + _num(number))
        return None if data is None else decode_header(data, self._suite)

    def summaries(self, before: int, limit: int) -> list[BlockSummary]:
        """Blocks ``before - 1`` down to ``before - limit`` (those that exist), newest first:
        each one's header and commit record, read by number (two gets a block)."""
        out: list[BlockSummary] = []
        for number in range(before - 1, max(before - limit, 0) - 1, -1):
            header = self.header(number)
            record = self.commit_record(number)
            if header is None or record is None:
                continue
            out.append(BlockSummary(header, record))
        return out

    def keeps_history(self) -> bool:
        """Whether this database keeps the record-history index (see the module docstring)."""
        return self._db.get(_HISTORY_KEPT) == HISTORY_FORMAT

    def history(self, key: bytes, *, before: tuple[int, int] | None = None,
                limit: int | None = None) -> list[KeyChange]:
        """The VALID transactions that changed state key ``key``, oldest first: all of them, or
        the last ``limit`` before the one at (block, index) ``before`` (the newest when None).
        One range of the index, read backwards when limited; no block read."""
        prefix = _history_prefix(key)
        stop = prefix + b"\xff" * 12 if before is None else prefix + _num(before[0]) + before[1].to_bytes(4, "big")
        out: list[KeyChange] = []
        with self._db.iterator(start=prefix, stop=stop, reverse=limit is not None) as rows:
            for k, v in rows:
                if limit is not None and len(out) == limit:
                    break
                number, index = struct.unpack_from(">QI", k, len(prefix))
                after, tx, time_ms, org, name, role, entry = codec.decode(v)
                out.append(KeyChange(number, index, tx, time_ms, org, name, role, entry, after))
        if limit is not None:
            out.reverse()
        return out

    def transaction(self, tx_id: bytes) -> TxLocation | None:
        data = self._db.get(_TXS + tx_id)
        if data is None:
            return None
        block, index, code = codec.decode(data)
        return TxLocation(block, index, ValidationCode.of(code))

    def events(self, contract: str, name: str, start_block: int = 0) -> Generator[IndexedEvent, None, None]:
        """The indexed ``contract``/``name`` events from ``start_block`` on, in commit order. The
        LevelDB iterator is bounded by start and stop keys (the prefix with its last 0 byte made 1)
        and closed when the generator is."""
        prefix = _EVENTS + contract.encode() + b"\x00" + name.encode() + b"\x00"
        with self._db.iterator(start=prefix + _num(start_block), stop=prefix[:-1] + b"\x01",
                               include_value=False) as keys:
            for key in keys:
                rest = key[len(prefix):]
                yield IndexedEvent(contract, name, int.from_bytes(rest[:8], "big"),
                                   int.from_bytes(rest[8:12], "big"), int.from_bytes(rest[12:14], "big"))

    def stage(self, batch: Any, block: Block, codes: Sequence[ValidationCode], state: bytes,
              tx_ids: dict[int, bytes], messages: dict[int, str],
              events: Sequence[tuple[int, int, str, str]],
              attestation: tuple[bytes, bytes] | None = None, written: Sequence[Written] = ()) -> CommitRecord:
        """Stage block ``block`` with its outcome into ``batch``: ``tx_ids`` the ids of its
        transactions by index, ``events`` (index, position, contract, event name) of the valid
        ones; ``attestation`` (signer certificate, signature) who vouched for the block;
        ``written`` what each valid transaction changed (the record-history index). The
        caller writes the batch, with the state's changes, in one synced write."""
        number = block.number
        ident = block_id(self._suite, block.header)
        record = {"codes": [c.value for c in codes], "state": state, "id": ident,
                  "messages": {str(i): m for i, m in messages.items()}}
        batch.put(_BLOCKS + _num(number), encode_block(block))
        batch.put(_COMMITS + _num(number), codec.encode(record))
        batch.put(_IDS + ident, _num(number))
        if attestation is not None:
            batch.put(_SIGNED + _num(number), codec.encode(list(attestation)))
        for index, tx in tx_ids.items():
            batch.put(_TXS + tx, codec.encode([number, index, codes[index].value]))
        if number == 0:
            batch.put(_HISTORY_KEPT, HISTORY_FORMAT)
        time_ms = block.header.time_ms
        for w in written:
            where = _num(number) + w.index.to_bytes(4, "big")
            for key, after in w.changes.items():
                batch.put(_history_prefix(key) + where,
                          codec.encode([after, w.tx_id, time_ms, w.org, w.name, w.role, w.entry]))
        for index, position, contract, name in events:
            batch.put(_EVENTS + contract.encode() + b"\x00" + name.encode() + b"\x00" + _num(number)
                      + index.to_bytes(4, "big") + position.to_bytes(2, "big"), b"")
        return CommitRecord(tuple(codes), state, ident, dict(messages), dict(tx_ids))

    def attestation(self, number: int) -> tuple[bytes, bytes] | None:
        data = self._db.get(_SIGNED + _num(number))
        if data is None:
            return None
        signer, signature = codec.decode(data)
        return signer, signature
