"""Reads of a channel's state, from the live database or from one LevelDB snapshot.

`StateView` reads entries, scans, root pointers, older entries and branch records, and builds
proofs; `StateStore` reads through one on the live database, and each `StateSnapshot` through one
on its own LevelDB snapshot, so everything a snapshot answers (values, versions, roots, proofs)
belongs to one committed state however many blocks commit meanwhile.

The value of a key after an older block `b` (for a proof against an older root) is in the first
undo record of that key past `b`: it holds the entry as it was before the next block that wrote
the key, which is the entry as `b` left it; with no such record the live entry is still it.

`StateSnapshot` is the `vm.host.Host` that endorsement simulates on. It records the version of
every key it was asked for or scanned (`reads`: None for an absent key) and the (key, version)
list of every prefix it scanned (`scans`), so the read set an endorsement signs covers every key
of the call's `CallResult.reads` and every prefix of its `scans`. A scan's list changes when a key
under the prefix is added, rewritten or deleted: comparing lists at validation finds phantoms.

Views share the store's cache of branch records: a record never changes once committed, and the
cache holds only committed ones, so any view may use it. They share its `memory` too: the branch
records not written to the database yet (`node.ledger.state`: the trie is written every few
blocks), which a view reads before the database.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Self

from node.crypto import CryptoSuite
from node.ledger.errors import CorruptState, UnknownRoot
from node.ledger.keyspace import Keyspace
from node.ledger.merkle import EMPTY, Trie, check_slot, leaf_parts, slot_hash, split_record, value_hash
from node.ledger.proof import StateProof
from node.ledger.version import SIZE as VERSION_SIZE
from node.ledger.version import Version

ScanRecord = tuple[tuple[bytes, Version], ...]


class StateView:
    """Reads of one consistent view of the state: the live database or a LevelDB snapshot."""

    __slots__ = ("cache", "ks", "memory", "reader", "suite", "trie")

    def __init__(self, reader: Any, ks: Keyspace, suite: CryptoSuite, cache: dict,
                 memory: Mapping[bytes, bytes]) -> None:
        self.reader = reader
        self.ks = ks
        self.suite = suite
        self.cache = cache
        self.memory = memory
        self.trie = Trie(suite, self.load, cache)

    def load(self, node_key: bytes) -> bytes:
        """A branch record the cache does not hold (the trie looks there first)."""
        record = self.memory.get(node_key)
        if record is not None:
            return record
        record = self.reader.get(self.ks.nodes + node_key)
        if record is None:
            raise CorruptState(f"trie branch {node_key.hex()} is missing")
        split_record(record, self.suite.digest_size)  # only well-formed records enter the cache
        self.cache[node_key] = record
        return record

    def entry(self, key: bytes) -> tuple[bytes, Version] | None:
        data = self.reader.get(self.ks.entries + key)
        return None if data is None else (data[VERSION_SIZE:], Version.from_bytes(data))

    def scan(self, prefix: bytes) -> list[tuple[bytes, bytes, Version]]:
        cut = len(self.ks.entries)
        return [
            (k[cut:], v[VERSION_SIZE:], Version.from_bytes(v))
            for k, v in self.reader.iterator(prefix=self.ks.entries + prefix)
        ]

    def last_block(self) -> int | None:
        for key in self.reader.iterator(prefix=self.ks.roots, reverse=True, include_value=False):
            return int.from_bytes(key[len(self.ks.roots):], "big")
        return None

    def root_slot(self, block: int) -> bytes:
        data = self.reader.get(self.ks.root(block))
        if data is None:
            raise UnknownRoot(f"no state root kept for block {block}")
        return check_slot(data, self.suite.digest_size)

    def root(self, block: int | None) -> bytes:
        if block is None:
            block = self.last_block()
            if block is None:
                return bytes(self.suite.digest_size)  # nothing applied yet: the empty state
        return slot_hash(self.root_slot(block), self.suite.digest_size)

    def entry_after(self, key: bytes, block: int, last: int) -> bytes | None:
        """The key's stored entry as it was after `block` (the live one for the last block)."""
        if block < last:
            # The first undo record past `block` holds the entry from before the block that next
            # wrote the key, which is the entry as `block` left it.
            prefix = self.ks.undo_prefix(key)
            start = prefix + (block + 1).to_bytes(8, "big")
            for data in self.reader.iterator(start=start, stop=prefix + b"\xff" * 9, include_key=False):
                return data or None
        return self.reader.get(self.ks.entries + key)

    def prove(self, key: bytes, block: int | None) -> StateProof:
        last = self.last_block()
        if last is None:
            raise UnknownRoot("no state has been applied yet")
        if block is None:
            block = last
        root = self.root_slot(block)
        suite = self.suite
        kh = suite.hash(key)
        siblings, end = self.trie.path(root, kh)
        if end == EMPTY:
            return StateProof(block, key, None, None, tuple(siblings))
        _, end_kh, end_vh = leaf_parts(end, suite.digest_size)
        if end_kh != kh:
            return StateProof(block, key, None, None, tuple(siblings), (end_kh, end_vh))
        data = self.entry_after(key, block, last)
        if data is None:
            raise CorruptState(f"key {key!r} has a leaf after block {block} but no entry")
        value, version = data[VERSION_SIZE:], Version.from_bytes(data)
        if value_hash(suite, value, version) != end_vh:
            raise CorruptState(f"the entry of key {key!r} disagrees with its leaf after block {block}")
        return StateProof(block, key, value, version, tuple(siblings))


class StateSnapshot:
    """A read-only `vm.host.Host` on one consistent state, recording what it was asked for.

    Use one snapshot per simulation (its records are of every read through it) and close it, or
    use it as a context manager: a LevelDB snapshot pins the files it reads."""

    __slots__ = ("_snapshot", "_view", "reads", "scans")

    def __init__(self, snapshot: Any, ks: Keyspace, suite: CryptoSuite, cache: dict,
                 memory: Mapping[bytes, bytes]) -> None:
        self._snapshot = snapshot
        self._view = StateView(snapshot, ks, suite, cache, memory)
        self.reads: dict[bytes, Version | None] = {}
        self.scans: dict[bytes, ScanRecord] = {}

    # --- Host
    def get(self, key: bytes) -> bytes | None:
        found = self._view.entry(key)
        if found is None:
            self.reads[key] = None
            return None
        self.reads[key] = found[1]
        return found[0]

    def scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        rows = self._view.scan(prefix)
        self.scans[prefix] = tuple((k, ver) for k, _, ver in rows)
        reads = self.reads
        for k, _, ver in rows:
            reads.setdefault(k, ver)  # the VM counts a scanned entry as read (`CallResult.reads`)
        return iter([(k, v) for k, v, _ in rows])

    # --- the rest of the view
    def entry(self, key: bytes) -> tuple[bytes, Version] | None:
        """The key's value and version, recorded as a read like `get`."""
        found = self._view.entry(key)
        self.reads[key] = None if found is None else found[1]
        return found

    @property
    def block(self) -> int | None:
        """The last block whose state this snapshot shows (None: nothing applied yet)."""
        return self._view.last_block()

    def root(self, block: int | None = None) -> bytes:
        return self._view.root(block)

    def prove(self, key: bytes, block: int | None = None) -> StateProof:
        return self._view.prove(key, block)

    def close(self) -> None:
        self._snapshot.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
