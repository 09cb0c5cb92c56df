"""A channel's world state in its LevelDB: versioned entries, the state trie, and proofs.

`StateStore(db, suite)` keeps the entries and the trie under one namespace of the channel's
database (layout: `node.ledger.keyspace`). It never writes on its own: `apply` stages a block's
changes, the trie's new branches, the root pointer and the pruning into the caller's write batch,
so the block store commits block, state and state hash in one atomic write. The store reads the
trie from the database, so the batch of block N must be written before block N+1 is applied:
`apply` takes the block after the last one in the database and no other, and every block gets
one, empty or not (its root is the next header's state hash).

What it answers (reads: `node.ledger.view`):
- `get(key)` -> (value, version) or None from the committed state; `version(key)` and
  `scan_versions(prefix)` are what validation compares (MVCC, phantoms);
- `snapshot()` -> a `StateSnapshot`, the `vm.host.Host` that endorsement simulates on;
- `root(block=None)`, `prove(key, block=None)`: the state hash and a `StateProof` after the last
  block or any of the `history` blocks before it. Block N's header carries the root after N-1, so
  a proof against the newest header needs an earlier root: the trie's records are immutable, a
  block's replaced ones are deleted `history` blocks later, and the entries it overwrote are kept
  as undo records for as long;
- `recompute_root()`: the root of every entry, from the definition (`merkle.root_of`); it equals
  `root()` whenever the database is consistent, crash or no crash.

Committed branch records are cached in memory (they never change): the top of the trie is read
and rewritten by every block, so an update reads LevelDB mostly near the leaves.

Cost (`bench/ledger_state.py`: blocks of 300 writes, CPU time of the committing thread): with 10k
keys a block's apply takes ~11 ms on intl and ~14 ms on gm, for the ~2.8k hashes it cannot avoid
(three per write, one per branch on the touched paths), which alone take 1.1 and 3.8 ms; with 100k
keys, 20 and 27 ms for ~3.8k hashes. Keeping `history` costs ~1.5-3 ms of that (an undo record,
read and written, per key; the stale list); `history=0` saves it and proves the last root only.

Where a write's cost goes (blocks of 640 writes over 50k keys, intl, the channels' LevelDB options,
CPU per write): staging the entry and its undo record 7 us, the trie's update 21 us (8 branch
records, ~2.6 us each), the batch, the cache and the stale lists 11 us, LevelDB's write 11 us and
its compaction thread ~10 us: 63 us in all. Not writing the trie's records at all (a bound, not a
design) took it to 46 us, and the PBFT cluster bench's nodes from ~3.7 to 3.5 ms a transaction (one
run). Records that each hold four levels (as Jellyfish's do) would write a quarter as many, but
each rewritten record carries its unchanged branches too (about twice the bytes, estimated), and
assembling them is Python work per branch again: not worth its format change at these figures.

Writing the trie's records every K blocks instead (the next step, not built). The records the
top of the trie gets from each block mostly die within a few blocks. An experiment held each
block's new records in memory and wrote, every 16th block, only those still live; the others
were never written, deleted or compacted. In process (blocks of 160 settles, verification left
out) a transaction's commit went from 316 to 268 us. The cluster bench's nodes went from 3.81
to 3.56-3.71 ms a transaction (two runs each). Not built yet: a design must keep three things that
the experiment dropped:
- Crash recovery. The records since the last written block P are in memory only. Each block
  would write its leaves as a journal record, and opening the store would replay the journals
  after P through `Trie.update`. That gives back the same records: the update is deterministic.
- Proofs for `history` roots, across a restart too. A record that dies in memory is still needed
  by older roots for `history` blocks. So a written base P must stay on disk, with its replaced
  records and the journals after it, until no kept root needs it for a replay (K + `history`
  blocks, not `history`). A proof against an older root after a restart replays from that base.
- A batch dropped after `apply` (a crash before the write, a refused block). It must leave no
  record in memory, just as `_settle` now caches a block's records only once its batch is in
  the database.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import islice
from typing import Any

from node import codec
from node.crypto import CryptoSuite
from node.ledger.errors import BlockOrderError, CorruptState, LedgerError
from node.ledger.keyspace import Keyspace
from node.ledger.merkle import EMPTY, LEAF_PREFIX, make_leaf, root_of, slot_hash
from node.ledger.proof import StateProof
from node.ledger.version import SIZE as VERSION_SIZE
from node.ledger.version import Version
from node.ledger.view import ScanRecord, StateSnapshot, StateView

Change = tuple[bytes | None, Version]  # a key's new value (None: deleted) and the writer's version
DEFAULT_HISTORY = 16
DEFAULT_CACHE = 150_000  # branch records, ~220 B each: ~33 MB, the whole trie of ~100k keys


class StateStore:
    """The state of one channel, in `db` (a plyvel DB, or a prefixed view of one) under `namespace`.

    `history` is how many roots before the newest stay provable; `cache` bounds the in-memory
    branch records. One writer applies every block, one after another, empty ones included
    (each block's root is the next header's state hash)."""

    def __init__(
        self,
        db: Any,
        suite: CryptoSuite,
        *,
        namespace: bytes = b"state/",
        history: int = DEFAULT_HISTORY,
        cache: int = DEFAULT_CACHE,
    ) -> None:
        if history < 0 or cache < 0:
            raise ValueError("history and cache must be >= 0")
        self._db = db
        self._suite = suite
        self._ks = Keyspace(namespace)
        self._history = history
        self._cache_limit = cache
        self._cache: dict[bytes, bytes] = {}
        self._view = StateView(db, self._ks, suite, self._cache)
        self._staged: tuple[int, dict[bytes, bytes]] | None = None
        self._sweep()

    @property
    def suite(self) -> CryptoSuite:
        return self._suite

    # --- committed reads
    def get(self, key: bytes) -> tuple[bytes, Version] | None:
        return self._view.entry(key)

    def stored(self, key: bytes) -> bytes:
        """The key's entry as stored (version, then value: `node.ledger.keyspace`), b"" when the
        key is absent: what the undo record of a block that writes the key holds, so a caller
        that read it before the block (validation) hands it to `apply` rather than have it read
        again."""
        return self._db.get(self._ks.entries + key, b"")

    def version(self, key: bytes) -> Version | None:
        data = self._db.get(self._ks.entries + key)
        return None if data is None else Version.from_bytes(data)

    def scan_versions(self, prefix: bytes) -> ScanRecord:
        """The (key, version) list a scan of `prefix` would record now (see `StateSnapshot.scans`)."""
        return tuple((k, ver) for k, _, ver in self._view.scan(prefix))

    def keys(self, prefix: bytes, after: bytes | None, limit: int) -> list[bytes]:
        """At most ``limit`` keys under ``prefix`` (without it), ascending, from the first one past
        ``prefix + after`` (from the first when ``after`` is None): a page of a map's keys, one
        bounded LevelDB range."""
        start = self._ks.entry(prefix + (after or b""))
        stop = _successor(self._ks.entry(prefix))
        out: list[bytes] = []
        cut = len(self._ks.entry(prefix))
        with self._db.iterator(start=start, stop=stop, include_value=False) as rows:
            for key in rows:
                if after is not None and key == start:
                    continue
                out.append(key[cut:])
                if len(out) == limit:
                    break
        return out

    def last_block(self) -> int | None:
        return self._view.last_block()

    def root(self, block: int | None = None) -> bytes:
        """The state hash after `block` (default: the last block applied; empty state: zeros)."""
        return self._view.root(block)

    def prove(self, key: bytes, block: int | None = None) -> StateProof:
        """A proof of `key`'s value or absence after `block` (default: the last), read from one snapshot."""
        with self.snapshot() as snap:
            return snap.prove(key, block)

    def snapshot(self) -> StateSnapshot:
        return StateSnapshot(self._db.snapshot(), self._ks, self._suite, self._cache)

    def recompute_root(self) -> bytes:
        """The root of every stored entry, computed from scratch without the trie's records."""
        suite, cut = self._suite, len(self._ks.entries)
        leaves = (
            make_leaf(suite, k[cut:], v[VERSION_SIZE:], Version.from_bytes(v))
            for k, v in self._db.iterator(prefix=self._ks.entries)
        )
        return root_of(suite, leaves)

    # --- commit
    def apply(self, batch: Any, block: int, changes: Mapping[bytes, Change],
              stored: Mapping[bytes, bytes] | None = None) -> bytes:
        """Stage block `block`'s changes (key -> (value or None to delete, version)) into `batch`
        and return the state hash after it. The batch must be written before the next block.

        `stored` (key -> `stored(key)`) are entries the caller read after the last block applied,
        as they are still: the undo records take them instead of reading them again."""
        if type(block) is not int or not 0 <= block < 2**64:
            raise LedgerError(f"block must be a block number, not {block!r}")
        last = self._view.last_block()
        if last is not None and block != last + 1:
            raise BlockOrderError(f"block {block} does not follow the last block applied ({last})")
        self._settle(last)
        root = EMPTY if last is None else self._view.root_slot(last)
        leaves, stale = self._stage_entries(batch, block, changes, stored or {})
        update = self._view.trie.update(root, block, leaves)
        ks, put, cache = self._ks, batch.put, self._cache
        nodes, within = ks.nodes, ks.nodes[len(ks.namespace):]
        for node_key, record in update.written.items():
            put(nodes + node_key, record)
        put(ks.root(block), update.root)
        for node_key in update.stale:
            # Only a proof against an older root still reads these: let them leave the cache now
            # (were the batch dropped, they would just be read again).
            cache.pop(node_key, None)
            stale.append(within + node_key)
        self._retire(batch, block, stale)
        self._staged = (block, update.written)
        return slot_hash(update.root, self._suite.digest_size)

    def apply_writes(self, batch: Any, block: int, writes: Mapping[bytes, bytes | None], version: Version) -> bytes:
        """`apply` with one version for every write (a block of one transaction, genesis, tests)."""
        return self.apply(batch, block, {k: (v, version) for k, v in writes.items()})

    def _stage_entries(self, batch: Any, block: int, changes: Mapping[bytes, Change],
                       stored: Mapping[bytes, bytes]) -> tuple[dict, list[bytes]]:
        """Stage the entries and their undo records; return the new leaves by key hash, and the
        undo records' keys (within the namespace) for the block's stale list."""
        ks, hash_, encode, get = self._ks, self._suite.hash, codec.encode, self._db.get
        entries, cut = ks.entries, len(ks.namespace)
        keep_undo = self._history > 0
        after = block.to_bytes(8, "big")
        leaves: dict[bytes, bytes | None] = {}
        stale: list[bytes] = []
        for key, (value, version) in changes.items():
            if type(key) is not bytes:
                raise LedgerError(f"state keys are bytes, not {type(key).__name__}")
            entry_key = entries + key
            kh = hash_(key)
            if keep_undo:
                undo_key = ks.undo_prefix(key) + after
                before = stored.get(key)
                batch.put(undo_key, get(entry_key, b"") if before is None else before)
                stale.append(undo_key[cut:])
            if value is None:
                batch.delete(entry_key)
                leaves[kh] = None
                continue
            if type(value) is not bytes:
                raise LedgerError(f"state values are bytes, not {type(value).__name__}")
            stamp = version.to_bytes()
            vh = hash_(encode([value, version.block, version.tx]))
            leaves[kh] = b"\x01" + hash_(LEAF_PREFIX + kh + vh) + kh + vh
            batch.put(entry_key, stamp + value)
        if len(leaves) != len(changes):
            raise CorruptState("two keys of one block share a key hash")
        return leaves, stale

    def _retire(self, batch: Any, block: int, stale: list[bytes]) -> None:
        # `stale`: keys within the namespace. What block b made stale is needed by the roots
        # before b only. After this block the oldest root kept is `oldest`: the list of block
        # `oldest` goes, with what it names, and the root before it. Exact keys, not a range: a
        # range would walk every earlier deletion's tombstone until LevelDB compacts them away.
        ks = self._ks
        oldest = block - self._history
        if self._history == 0:
            ns = ks.namespace
            for key in stale:
                batch.delete(ns + key)
        elif stale:
            batch.put(ks.stale(block), codec.encode(stale))
        if oldest >= 0:
            self._drop_list(batch, oldest, self._db.get(ks.stale(oldest)))
            if oldest > 0:
                batch.delete(ks.root(oldest - 1))

    def _drop_list(self, batch: Any, block: int, data: bytes | None) -> None:
        if data is None:
            return
        ns, delete = self._ks.namespace, batch.delete
        for key in codec.decode(data):
            delete(ns + key)
        batch.delete(self._ks.stale(block))

    def _sweep(self) -> None:
        """Delete what a larger `history` kept last time this database was open."""
        last = self._view.last_block()
        if last is None or last - self._history < 0:
            return
        ks, oldest = self._ks, last - self._history
        batch = self._db.write_batch()
        for key, data in self._db.iterator(start=ks.stales, stop=ks.stale(oldest + 1)):
            self._drop_list(batch, int.from_bytes(key[len(ks.stales):], "big"), data)
        for key in self._db.iterator(start=ks.roots, stop=ks.root(oldest), include_value=False):
            batch.delete(key)
        batch.write()

    def _settle(self, last: int | None) -> None:
        # The records the previous apply staged are known once its batch is in the database:
        # cache them then, and drop them if that batch was discarded.
        staged, self._staged = self._staged, None
        cache = self._cache
        if staged is not None and staged[0] == last:
            cache.update(staged[1])
        if len(cache) > self._cache_limit:
            # Oldest first (a dict keeps insertion order); the top of the trie is rewritten by
            # every block, so it is always among the newest.
            for key in list(islice(cache, len(cache) - self._cache_limit * 3 // 4)):
                del cache[key]


def _successor(prefix: bytes) -> bytes | None:
    """The least byte string greater than every string that starts with ``prefix`` (None: none)."""
    stripped = prefix.rstrip(b"\xff")
    if not stripped:
        return None
    return stripped[:-1] + bytes((stripped[-1] + 1,))
