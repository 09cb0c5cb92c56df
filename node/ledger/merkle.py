"""The state trie: a binary Merkle trie over the suite hash of each key, with single-key subtrees
compressed to their leaf (a sparse Merkle tree as Diem's Jellyfish Merkle tree hashes it), so an
update costs about log2(N) hashes rather than one per bit of the key hash.

The hash rules (H is the channel suite's hash, n its digest size, 32 for both suites):
- key hash         kh = H(key)                                   the key is bytes already
- value hash       vh = H(codec.encode([value, block, tx]))      value and version, one codec value
- leaf             H(0x00 || kh || vh)
- branch           H(0x01 || left || right)
- empty subtree    n zero bytes                                  (no known preimage)

A leaf commits to the key, the value and the version (block, tx) that wrote it. The version is in
because validation decides by it: two peers that agree on every value but not on a version would
judge the next read of that key differently, so their state hashes must differ. It costs nothing
extra, since a write changes the leaf anyway.

The root of a set S of leaves at depth d is, by definition (`root_of`):
    R(S, d) = empty             if S is empty
            = the leaf's hash   if S holds one leaf            (compression: the leaf sits as high
            = H(0x01 || R(S0, d+1) || R(S1, d+1))  otherwise    as it is alone)
where S0 and S1 split S by bit d of the key hash (most significant bit first). The root is thus a
function of the set of (key, value, version) alone: no insertion order, batching or deleted key
leaves a trace. Leaves and branches hash distinct, fixed-length preimages (prefixes 0x00, 0x01),
so neither can stand for the other in a proof.

Storage. A branch is stored as a record of its two child slots, under the node key
(version 8 bytes, depth 1 byte, the path's `depth` bits packed big-endian), where version is the
block that wrote it. A child slot is empty (0x00), a leaf (0x01 hash kh vh: leaves live inside
their parent's record, so there are no leaf records to move when compression lifts a leaf) or a
branch (0x02 hash version). Records are immutable: an update writes new branches under its own
block and reports the ones it replaced as stale, so the roots of earlier blocks stay readable
until the store prunes them (`node.ledger.state`), and any record may be cached forever.

An update (`Trie.update`) takes a block's changes sorted by key hash and walks the trie once,
splitting the sorted run at each branch: every branch on a touched path is read once, hashed
once and written once, and untouched subtrees are never visited. This module does no I/O: the
caller loads records and writes what `update` returns.

Slots in memory are plain tuples (see `Leaf`), not dataclasses: they are the hot path's data.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import cast

from node import codec
from node.crypto import CryptoSuite
from node.ledger.errors import CorruptState
from node.ledger.version import Version

LEAF_PREFIX = b"\x00"
BRANCH_PREFIX = b"\x01"


# A slot of the trie, in memory. Plain tuples, not classes: a block creates one per touched node,
# and the garbage collector stops tracking an exact tuple of bytes and ints, but never a subclass
# instance, so cached NamedTuples made every collection walk the whole cache (measured: 12 us per
# new slot at 15k cached branches, against 0.1 us).
Leaf = tuple[bytes, bytes, bytes]  # (leaf hash, key hash, value hash)
Branch = tuple[bytes, int]  # (branch hash, the block that wrote its record)
Slot = Leaf | Branch | None  # None: an empty subtree; a leaf has 3 items, a branch 2
Loader = Callable[[bytes], "tuple[Slot, Slot]"]  # node key -> the branch's (left, right)


def empty_hash(suite: CryptoSuite) -> bytes:
    return bytes(suite.digest_size)


def key_hash(suite: CryptoSuite, key: bytes) -> bytes:
    return suite.hash(key)


def value_hash(suite: CryptoSuite, value: bytes, version: Version) -> bytes:
    return suite.hash(codec.encode([value, version.block, version.tx]))


def leaf_hash(suite: CryptoSuite, kh: bytes, vh: bytes) -> bytes:
    return suite.hash(LEAF_PREFIX + kh + vh)


def branch_hash(suite: CryptoSuite, left: bytes, right: bytes) -> bytes:
    return suite.hash(BRANCH_PREFIX + left + right)


def make_leaf(suite: CryptoSuite, key: bytes, value: bytes, version: Version) -> Leaf:
    kh = suite.hash(key)
    vh = suite.hash(codec.encode([value, version.block, version.tx]))
    return (suite.hash(LEAF_PREFIX + kh + vh), kh, vh)


def root_of(suite: CryptoSuite, leaves: Iterable[Leaf]) -> bytes:
    """The root of a set of leaves, straight from the definition (no storage): the reference that
    recomputation from scratch and the tests hold the incremental trie to."""
    items = sorted(leaves, key=_key_hash_of)
    bits = suite.digest_size * 8
    ks = [int.from_bytes(leaf[1], "big") for leaf in items]
    empty = empty_hash(suite)

    def root(depth: int, lo: int, hi: int) -> bytes:
        if hi - lo <= 1:
            return items[lo][0] if hi > lo else empty
        if ks[lo] == ks[hi - 1]:
            raise CorruptState("two leaves with one key hash")
        cut = (((ks[lo] >> (bits - depth)) << 1) | 1) << (bits - 1 - depth)
        mid = bisect_left(ks, cut, lo, hi)
        return branch_hash(suite, root(depth + 1, lo, mid), root(depth + 1, mid, hi))

    return root(0, 0, len(items))


_DEPTH_BYTE = [bytes((d,)) for d in range(256)]
_PATH_LEN = [(d + 7) >> 3 for d in range(256)]


def node_key(version: int, depth: int, path: int) -> bytes:
    """Where the branch at (depth, path) written by block `version` is stored."""
    return version.to_bytes(8, "big") + _DEPTH_BYTE[depth] + path.to_bytes(_PATH_LEN[depth], "big")


def slot_hash(slot: Slot, empty: bytes) -> bytes:
    return empty if slot is None else slot[0]


def encode_slot(slot: Slot) -> bytes:
    if slot is None:
        return b"\x00"
    if len(slot) == 3:
        return b"\x01" + b"".join(slot)  # type: ignore[arg-type]
    return b"\x02" + slot[0] + slot[1].to_bytes(8, "big")  # type: ignore[union-attr]


def encode_record(left: Slot, right: Slot) -> bytes:
    return encode_slot(left) + encode_slot(right)


def decode_slot(data: bytes, n: int) -> Slot:
    """One slot (a root pointer's content); raises `CorruptState` for anything else."""
    slot, end = _slot_at(data, 0, n)
    if end != len(data):
        raise CorruptState("trailing bytes after a trie slot")
    return slot


def decode_record(data: bytes, n: int) -> tuple[Slot, Slot]:
    left, mid = _slot_at(data, 0, n)
    right, end = _slot_at(data, mid, n)
    if end != len(data) or (left is None and right is None):
        raise CorruptState("malformed trie branch record")
    return left, right


def _slot_at(data: bytes, i: int, n: int) -> tuple[Slot, int]:
    if i >= len(data):
        raise CorruptState("truncated trie record")
    tag = data[i]
    if tag == 0:
        return None, i + 1
    if tag == 1 and len(data) >= i + 1 + 3 * n:
        a = i + 1
        return (data[a:a + n], data[a + n:a + 2 * n], data[a + 2 * n:a + 3 * n]), a + 3 * n
    if tag == 2 and len(data) >= i + 9 + n:
        a = i + 1
        return (data[a:a + n], int.from_bytes(data[a + n:a + n + 8], "big")), a + n + 8
    raise CorruptState(f"malformed trie slot (tag {tag})")


@dataclass(frozen=True, slots=True)
class TrieUpdate:
    """What one update produced: the new root slot, the branch records to write (node key ->
    (left, right)), and the node keys of the branches it replaced or removed."""

    root: Slot
    written: dict[bytes, tuple[Slot, Slot]]
    stale: list[bytes]


class Trie:
    """The update and lookup algorithms, bound to a suite and to a loader of branch records.

    `cache` (node key -> record) is consulted before `load`; the loader may fill it."""

    __slots__ = ("_bits", "_cache", "_empty", "_load", "_suite")

    def __init__(self, suite: CryptoSuite, load: Loader, cache: dict[bytes, tuple[Slot, Slot]] | None = None) -> None:
        if suite.digest_size > 32:
            raise ValueError("the trie stores a branch's depth in one byte: digests of at most 32 bytes")
        self._suite = suite
        self._load = load
        self._cache = {} if cache is None else cache
        self._bits = suite.digest_size * 8
        self._empty = empty_hash(suite)

    def update(self, root: Slot, version: int, changes: Mapping[bytes, Leaf | None]) -> TrieUpdate:
        """Apply `changes` (key hash -> its new leaf, or None to delete it) to the trie at `root`,
        writing new branches as block `version`, which must be newer than every branch in it."""
        order = sorted(changes)
        ks = [int.from_bytes(kh, "big") for kh in order]
        news = [changes[kh] for kh in order]
        # Locals for the recursion below: it runs once per touched branch.
        hash_ = self._suite.hash
        load = self._load
        cached = self._cache.get
        empty = self._empty
        bits = self._bits
        top = bits - 1
        depth_byte = _DEPTH_BYTE
        path_len = _PATH_LEN
        vbytes = version.to_bytes(8, "big")
        written: dict[bytes, tuple[Slot, Slot]] = {}
        stale: list[bytes] = []

        def join(tail: bytes, left: Slot, right: Slot) -> Slot:
            # `tail` is the node key without its version: depth byte and path.
            if left is None:
                if right is None or len(right) == 3:
                    return right  # a lone leaf rises; nothing stays empty
            elif right is None and len(left) == 3:
                return left
            h = hash_(BRANCH_PREFIX + (empty if left is None else left[0]) + (empty if right is None else right[0]))
            written[vbytes + tail] = (left, right)
            return (h, version)

        def build(depth: int, path: int, lk: list[int], lv: list[Leaf], lo: int, hi: int) -> Slot:
            if hi - lo <= 1:
                return lv[lo] if hi > lo else None
            if depth >= bits:
                raise CorruptState("two leaves with one key hash")
            mid = bisect_left(lk, ((path << 1) | 1) << (top - depth), lo, hi)
            return join(
                depth_byte[depth] + path.to_bytes(path_len[depth], "big"),
                build(depth + 1, path << 1, lk, lv, lo, mid),
                build(depth + 1, (path << 1) | 1, lk, lv, mid, hi),
            )

        def settle(slot: Slot, depth: int, path: int, lo: int, hi: int) -> Slot:
            # `slot` is empty or a leaf and changes ks[lo:hi] fall under it: rebuild the subtree
            # from the surviving leaves.
            if hi - lo == 1 and slot is not None and slot[1] == order[lo]:
                return news[lo]  # the common case: one key rewritten (or deleted) in place
            lk: list[int] = []
            lv: list[Leaf] = []
            keep = -1
            sk = 0
            if slot is not None:
                sk = int.from_bytes(slot[1], "big")  # type: ignore[arg-type]
                keep = bisect_left(ks, sk, lo, hi)
                if keep < hi and ks[keep] == sk:
                    keep = -1  # the existing leaf is replaced or deleted
            for j in range(lo, hi):
                if j == keep:
                    lk.append(sk)
                    lv.append(slot)  # type: ignore[arg-type]
                new = news[j]
                if new is not None:
                    lk.append(ks[j])
                    lv.append(new)
            if keep == hi:
                lk.append(sk)
                lv.append(slot)  # type: ignore[arg-type]
            if len(lk) == 1 and lv[0] is slot:
                return slot  # only deletes of absent keys: nothing changed
            return build(depth, path, lk, lv, 0, len(lk))

        def visit(slot: Slot, depth: int, path: int, lo: int, hi: int) -> Slot:
            if slot is None or len(slot) == 3:
                return settle(slot, depth, path, lo, hi)
            tail = depth_byte[depth] + path.to_bytes(path_len[depth], "big")
            nk = slot[1].to_bytes(8, "big") + tail  # type: ignore[union-attr]
            left, right = cached(nk) or load(nk)
            mid = bisect_left(ks, ((path << 1) | 1) << (top - depth), lo, hi)
            new_left = visit(left, depth + 1, path << 1, lo, mid) if lo < mid else left
            new_right = visit(right, depth + 1, (path << 1) | 1, mid, hi) if mid < hi else right
            if new_left is left and new_right is right:
                return slot
            stale.append(nk)
            return join(tail, new_left, new_right)

        new_root = visit(root, 0, 0, 0, len(ks)) if ks else root
        return TrieUpdate(new_root, written, stale)

    def path(self, root: Slot, kh: bytes) -> tuple[list[bytes], Leaf | None]:
        """The sibling hashes from the root down the path of key hash `kh`, and the slot where
        that path ends: empty, a leaf (of `kh` or of another key sharing the path so far)."""
        k = int.from_bytes(kh, "big")
        top = self._bits - 1
        empty = self._empty
        siblings: list[bytes] = []
        slot = root
        depth = path = 0
        while slot is not None and len(slot) == 2:
            nk = node_key(slot[1], depth, path)  # type: ignore[arg-type]
            left, right = self._cache.get(nk) or self._load(nk)
            bit = (k >> (top - depth)) & 1
            if bit:
                siblings.append(empty if left is None else left[0])
                slot = right
            else:
                siblings.append(empty if right is None else right[0])
                slot = left
            path = (path << 1) | bit
            depth += 1
        return siblings, cast("Leaf | None", slot)  # the loop leaves only at an empty slot or a leaf


def _key_hash_of(leaf: Leaf) -> bytes:
    return leaf[1]
