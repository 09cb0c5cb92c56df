"""A channel's world state in its LevelDB: versioned entries, the state trie, and proofs.

`StateStore(db, suite)` keeps the entries and the trie under one namespace of the channel's
database (layout: `node.ledger.keyspace`). It never writes on its own: `apply` stages a block's
changes, the trie's new branches, the root pointer and the pruning into the caller's write batch,
so the block store commits block, state and state hash in one atomic write. The store reads the
trie from the database and from its memory, so the batch of block N must be written before block
N+1 is applied: `apply` takes the block after the last one in the database and no other, and
every block gets one, empty or not (its root is the next header's state hash).

What it answers (reads: `node.ledger.view`):
- `get(key)` -> (value, version) or None from the committed state; `version(key)` and
  `scan_versions(prefix)` are what validation compares (MVCC, phantoms);
- `snapshot()` -> a `StateSnapshot`, the `vm.host.Host` that endorsement simulates on;
- `root(block=None)`, `prove(key, block=None)`: the state hash and a `StateProof` after the last
  block or any of the `history` blocks before it. Block N's header carries the root after N-1, so
  a proof against the newest header needs an earlier root: the trie's records are immutable, a
  block's replaced ones are kept at least `history` blocks longer, and the entries it overwrote
  are kept as undo records for as long. A snapshot proves its own root while the store keeps that
  root (a record replaced before it reached the database lives in memory only until then);
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

The trie is written every `persist_every` blocks (a base), not at every block. A block's new
branch records go to memory; a base writes those still in its trie, so its whole trie is in the
database, and a record that a later block of the stretch replaces is never written, deleted or
compacted: most of what the top of the trie gets from a block dies within a few blocks. Each
block writes a journal instead (the leaves it changed: a key hash and a value hash each, ~65
bytes), and opening the store replays the journals after a base through `Trie.update`, which gives
back the very records (the update is deterministic); the comment above `_advance` says what must
stay, and for how long. With `persist_every=1` every block is a base, and the database holds what
it did when the trie was written at every block, plus the journals of the kept blocks.
Measured (blocks of 160 settles over 6,400 policies, in process, verification left out: a
transaction's commit in CPU): 316 us writing at every block, 268-270 every 16 blocks, 277-289
every 8. The cluster bench (bench/cluster.py, intl, against 478-508 tx/s the same day): every
16 blocks 521 and 523 tx/s, but the 16th block's write, the same block on every node, took its
p99 at half load to 0.83-1.01 s; every 8 blocks (the default) 504-532 tx/s over seven runs, and
that p99 0.42-0.89 s (0.51-0.68 before).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from node import codec
from node.crypto import CryptoSuite
from node.ledger.errors import BlockOrderError, CorruptState, LedgerError
from node.ledger.keyspace import Keyspace
from node.ledger.merkle import EMPTY, LEAF_PREFIX, TrieUpdate, leaf_slot, make_leaf, root_of, slot_hash
from node.ledger.proof import StateProof
from node.ledger.version import SIZE as VERSION_SIZE
from node.ledger.version import Version
from node.ledger.view import ScanRecord, StateSnapshot, StateView

Change = tuple[bytes | None, Version]  # a key's new value (None: deleted) and the writer's version
DEFAULT_HISTORY = 16
DEFAULT_CACHE = 150_000  # branch records, ~220 B each: ~33 MB, the whole trie of ~100k keys
DEFAULT_PERSIST_EVERY = 8  # the trie's records reach the database at every 8th block (a base)
DRAIN_PER_BLOCK = 2  # stale lists and journals deleted per block, at most, once no replay needs them


@dataclass(frozen=True, slots=True)
class _Staged:
    """What `apply` did to the store's memory for a block whose batch is not known to be written:
    `_settle` keeps it once the block is in the database, and takes the records back otherwise."""

    block: int
    written: dict[bytes, bytes]  # the block's new records, in `memory` already
    dying: list[bytes]  # records only in memory that the block replaced
    flushed: list[bytes]  # records the batch writes (a base), to leave memory
    bases: list[int]  # the bases in the database after the batch
    done: int  # the last block whose stale list and journal are deleted after the batch


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
        persist_every: int = DEFAULT_PERSIST_EVERY,
    ) -> None:
        if history < 0 or cache < 0 or persist_every < 1:
            raise ValueError("history and cache must be >= 0, persist_every >= 1")
        self._db = db
        self._suite = suite
        self._ks = Keyspace(namespace)
        self._history = history
        self._cache_limit = cache
        self._every = persist_every
        self._cache: dict[bytes, bytes] = {}
        self._memory: dict[bytes, bytes] = {}  # branch records not in the database (yet)
        self._dying: dict[int, list[bytes]] = {}  # block -> records of `_memory` it replaced
        self._bases: list[int] = []  # blocks whose whole trie is in the database, ascending
        self._done = -1  # stale lists and journals of blocks up to this one are deleted
        self._view = StateView(db, self._ks, suite, self._cache, self._memory)
        self._staged: _Staged | None = None
        self._recover()

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
        return StateSnapshot(self._db.snapshot(), self._ks, self._suite, self._cache, self._memory)

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
        for node_key in update.stale:
            # Only a proof against an older root still reads these: let them leave the cache now
            # (were the batch dropped, they would just be read again).
            cache.pop(node_key, None)
        dying, flushed = self._advance(block, update)
        nodes, within = ks.nodes, ks.nodes[len(ks.namespace):]
        memory = self._memory
        for node_key in flushed:
            put(nodes + node_key, memory[node_key])
        in_memory = set(dying)
        stale.extend(within + node_key for node_key in update.stale if node_key not in in_memory)
        put(ks.root(block), update.root)
        bases = self._bases
        if block % self._every == 0:
            put(ks.base(block), update.root)
            bases = [*bases, block]
        bases, done = self._retire(batch, block, stale, bases, self._journal(leaves))
        self._staged = _Staged(block, update.written, dying, flushed, bases, done)
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

    # --- the trie's records in memory, and their bases
    #
    # A block's new branch records go to `_memory`, not the database; every `persist_every`th
    # block (a base) writes those still in its trie, so a base's whole trie is in the database,
    # and a record that a later block of the same stretch replaces is never written at all. Each
    # block writes its journal (the leaves it changed) instead, and `_recover` replays the
    # journals after a base through `Trie.update`, which gives back the very records.
    #
    # What must stay, and for how long. A root kept for a proof (`history` blocks) may need
    # records that a later block replaced: those in memory stay there (`_dying`) until no kept
    # root needs them; those in the database are listed as stale, as before. After a restart the
    # kept roots' records come back by replaying from the newest base at or before the oldest
    # kept root (the replay start): so that base stays whole in the database, with the journals
    # after it. Hence a stale list and a journal go once the replay start is past their block,
    # not `history` blocks after it, and a few per block (`DRAIN_PER_BLOCK`), not all at once.
    # With `persist_every` 1 every block is a base and the start is the oldest kept root: stale
    # lists go `history` blocks later, as when the trie was written at every block.

    def _advance(self, block: int, update: TrieUpdate) -> tuple[list[bytes], list[bytes]]:
        """Put block `block`'s new records in memory; return the records in memory it replaced,
        and (at a base) the ones still in its trie, which its batch writes."""
        memory = self._memory
        dying = [node_key for node_key in update.stale if node_key in memory]
        memory.update(update.written)
        if block % self._every:
            return dying, []
        gone = set(dying)
        for replaced in self._dying.values():
            gone.update(replaced)
        return dying, [node_key for node_key in memory if node_key not in gone]

    def _keep(self, s: _Staged) -> None:
        """What block `s.block` did to the memory, once its batch is in the database."""
        memory = self._memory
        for node_key in s.flushed:
            memory.pop(node_key, None)
        if s.dying:
            self._dying[s.block] = s.dying
        for node_key in self._dying.pop(s.block - self._history, ()):
            memory.pop(node_key, None)  # no kept root reaches it any more
        self._bases, self._done = s.bases, s.done

    def _journal(self, leaves: Mapping[bytes, bytes | None]) -> bytes:
        cut = 1 + 2 * self._suite.digest_size  # a leaf slot: tag, leaf hash, key hash, value hash
        flat: list[bytes | None] = []
        for kh, leaf in leaves.items():
            flat += (kh, None if leaf is None else leaf[cut:])
        return codec.encode(flat)

    def _replayed(self, data: bytes) -> dict[bytes, bytes | None]:
        flat = codec.decode(data)
        suite = self._suite
        return {kh: None if vh is None else leaf_slot(suite, kh, vh) for kh, vh in zip(flat[::2], flat[1::2])}

    def _retire(self, batch: Any, block: int, stale: list[bytes], bases: list[int],
                journal: bytes) -> tuple[list[int], int]:
        # `stale`: keys within the namespace. The replay start is the newest base at or before the
        # oldest kept root; what is older than it goes: the bases before it at once, the stale
        # lists and journals up to it a few per block. The oldest root pointer goes. Exact keys,
        # not ranges: a range would walk every earlier deletion's tombstone until LevelDB
        # compacts them away.
        ks, ns = self._ks, self._ks.namespace
        oldest = block - self._history
        start = max((b for b in bases if b <= oldest), default=-1)
        if start >= block:  # no `history`, and a base: nothing outlives the block
            for key in stale:
                batch.delete(ns + key)
        else:
            if stale:
                batch.put(ks.stale(block), codec.encode(stale))
            batch.put(ks.journal(block), journal)
        if start >= 0 and bases[0] < start:
            for b in bases:
                if b < start:
                    batch.delete(ks.base(b))
            bases = [b for b in bases if b >= start]
        done = self._done
        until = block - 1 if start >= block else min(start, done + DRAIN_PER_BLOCK)
        for b in range(done + 1, until + 1):
            self._drop_list(batch, b, self._db.get(ks.stale(b)))
            batch.delete(ks.journal(b))
        done = block if start >= block else max(done, until)
        if oldest > 0:
            batch.delete(ks.root(oldest - 1))
        return bases, done

    def _drop_list(self, batch: Any, block: int, data: bytes | None) -> None:
        if data is None:
            return
        ns, delete = self._ks.namespace, batch.delete
        for key in codec.decode(data):
            delete(ns + key)
        batch.delete(self._ks.stale(block))

    def _recover(self) -> None:
        """On opening: delete what a larger `history` or a crash left that no kept root needs, then
        replay the journals after the replay start, so memory holds what the kept roots need."""
        last = self._view.last_block()
        if last is None:
            return
        ks, db = self._ks, self._db
        cut = len(ks.bases)
        bases = [int.from_bytes(k[cut:], "big") for k in db.iterator(prefix=ks.bases, include_value=False)]
        batch = db.write_batch()
        if not bases:  # written when every block wrote its records: the last block is a base
            batch.put(ks.base(last), self._view.root_slot(last))
            bases = [last]
        oldest = last - self._history
        start = max((b for b in bases if b <= oldest), default=bases[0])
        # Stale lists up to the start go, and none a kept root needs: with no base at or before
        # the oldest kept root (a database whose every block wrote its records), those after
        # the oldest kept root stay.
        drained = min(start, oldest)
        for key, data in db.iterator(start=ks.stales, stop=ks.stale(max(drained + 1, 0))):
            self._drop_list(batch, int.from_bytes(key[len(ks.stales):], "big"), data)
        for key in db.iterator(start=ks.journals, stop=ks.journal(start + 1), include_value=False):
            batch.delete(key)
        for b in bases:
            if b < start:
                batch.delete(ks.base(b))
        for key in db.iterator(start=ks.roots, stop=ks.root(max(oldest, 0)), include_value=False):
            batch.delete(key)
        batch.write()
        self._bases = [b for b in bases if b >= start]
        self._done = max(drained, -1)
        slot = db.get(ks.base(start))
        if slot is None:
            raise CorruptState(f"the base of block {start} is missing")
        for block in range(start + 1, last + 1):
            data = db.get(ks.journal(block))
            if data is None:
                raise CorruptState(f"the journal of block {block} is missing: its trie cannot be rebuilt")
            update = self._view.trie.update(slot, block, self._replayed(data))
            dying, flushed = self._advance(block, update)
            kept = db.get(ks.root(block))
            if kept is not None and kept != update.root:
                raise CorruptState(f"replaying block {block}'s journal gives another root than the one recorded")
            self._keep(_Staged(block, update.written, dying, flushed, self._bases, self._done))
            slot = update.root
        if slot != self._view.root_slot(last):
            raise CorruptState(f"replaying the journals gives another root than block {last}'s")

    def _settle(self, last: int | None) -> None:
        # What the previous apply staged is known once its batch is in the database: keep it
        # then (memory, cache), and take its records back out of memory if that batch was
        # discarded.
        staged, self._staged = self._staged, None
        cache = self._cache
        if staged is not None:
            if staged.block == last:
                self._keep(staged)
                cache.update(staged.written)
            else:
                for node_key in staged.written:
                    self._memory.pop(node_key, None)
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
