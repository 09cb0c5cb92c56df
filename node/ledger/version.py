"""A state entry's version: the transaction that last wrote it, as (block number, index in block).

Endorsement records the version of every key a call read; validation compares them with the
versions at commit (MVCC), so a version must change whenever the value could have: every write
stamps the writing transaction's version, even one that writes back the same bytes.

Stored as 12 bytes, block (8, big-endian) then tx (4, big-endian), so the encoding of a version is
fixed-width and orders as the version does. The state hash commits to versions through the codec
(see `node.ledger.merkle`), not through this storage form.
"""

from __future__ import annotations

from dataclasses import dataclass

from node.ledger.errors import LedgerError

SIZE = 12
_MAX_BLOCK = 2**64
_MAX_TX = 2**32


@dataclass(frozen=True, slots=True, order=True)
class Version:
    """The transaction that last wrote a key: block number and its index in that block."""

    block: int
    tx: int

    def to_bytes(self) -> bytes:
        block, tx = self.block, self.tx
        if type(block) is not int or type(tx) is not int or not (0 <= block < _MAX_BLOCK and 0 <= tx < _MAX_TX):
            raise LedgerError(f"version out of range: block {block!r} (0..2**64-1), tx {tx!r} (0..2**32-1)")
        return block.to_bytes(8, "big") + tx.to_bytes(4, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> Version:
        return cls(int.from_bytes(data[:8], "big"), int.from_bytes(data[8:SIZE], "big"))
