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
block that wrote it. A slot is bytes:
    empty   0x00
    leaf    0x01 || leaf hash || kh || vh      leaves live in their parent's record: compression
                                               lifts a leaf without moving any record
    branch  0x02 || branch hash || version
Records are immutable: an update writes new branches under its own block and reports the ones it
replaced as stale, so the roots of earlier blocks stay readable until the store prunes them
(`node.ledger.state`), and any record may be cached for as long as it exists.

The update works on these bytes directly (a slot's hash is `slot[1:n+1]`, a branch's version
bytes its tail): a record is the concatenation of its two slots, nothing is parsed or encoded on
the way, and bytes are invisible to the garbage collector, which walked every cached tuple of an
earlier, tuple-based version at each collection.

An update (`Trie.update`) takes a block's changes sorted by key hash and walks the trie once,
splitting the sorted run at each branch: every branch on a touched path is read once, hashed
once and written once, and untouched subtrees are never visited. This module does no I/O: the
caller loads records and writes what `update` returns.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from node import codec
from node.crypto import CryptoSuite
from node.ledger.errors import CorruptState
from node.ledger.version import Version

LEAF_PREFIX = b"\x00"
BRANCH_PREFIX = b"\x01"
EMPTY = b"\x00"  # the empty slot
LEAF = 1  # slot tags
BRANCH = 2
Loader = Callable[[bytes], bytes]  # node key -> the branch's record (its two slots)


def empty_hash(suite: CryptoSuite) -> bytes:
    return bytes(suite.digest_size)


def key_hash(suite: CryptoSuite, key: bytes) -> bytes:
    return suite.hash(key)


def value_preimage(value: bytes, version: Version) -> bytes:
    """The bytes a leaf's value hash is taken of: the codec list ``[value, block, tx]``."""
    return codec.encode([value, version.block, version.tx])


def value_hash(suite: CryptoSuite, value: bytes, version: Version) -> bytes:
    return suite.hash(value_preimage(value, version))


def leaf_hash(suite: CryptoSuite, kh: bytes, vh: bytes) -> bytes:
    return suite.hash(LEAF_PREFIX + kh + vh)


def branch_hash(suite: CryptoSuite, left: bytes, right: bytes) -> bytes:
    return suite.hash(BRANCH_PREFIX + left + right)


def leaf_slot(suite: CryptoSuite, kh: bytes, vh: bytes) -> bytes:
    return b"\x01" + suite.hash(LEAF_PREFIX + kh + vh) + kh + vh


def make_leaf(suite: CryptoSuite, key: bytes, value: bytes, version: Version) -> bytes:
    """The leaf slot of `key` holding `value` written at `version`."""
    return leaf_slot(suite, suite.hash(key), value_hash(suite, value, version))


def slot_hash(slot: bytes, n: int) -> bytes:
    return slot[1:n + 1] if slot[0] else bytes(n)


def leaf_parts(slot: bytes, n: int) -> tuple[bytes, bytes, bytes]:
    """A leaf slot's (leaf hash, key hash, value hash)."""
    return slot[1:n + 1], slot[n + 1:2 * n + 1], slot[2 * n + 1:]


def root_of(suite: CryptoSuite, leaves: Iterable[bytes]) -> bytes:
    """The root of a set of leaf slots, straight from the definition (no storage): the reference
    that recomputation from scratch and the tests hold the incremental trie to."""
    n = suite.digest_size
    bits = 8 * n
    items = sorted((int.from_bytes(leaf[n + 1:2 * n + 1], "big"), leaf[1:n + 1]) for leaf in leaves)
    ks = [k for k, _ in items]
    empty = empty_hash(suite)

    def root(depth: int, lo: int, hi: int) -> bytes:
        if hi - lo <= 1:
            return items[lo][1] if hi > lo else empty
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


def split_record(record: bytes, n: int) -> tuple[bytes, bytes]:
    """A branch record's (left, right) slots; raises `CorruptState` unless it is two slots, not
    both empty."""
    cut = _slot_end(record, 0, n)
    if _slot_end(record, cut, n) != len(record) or record == EMPTY + EMPTY:
        raise CorruptState("malformed trie branch record")
    return record[:cut], record[cut:]


def check_slot(slot: bytes, n: int) -> bytes:
    """`slot` itself if it is one well-formed slot (a root pointer's content), else `CorruptState`."""
    if _slot_end(slot, 0, n) != len(slot):
        raise CorruptState("malformed trie slot")
    return slot


def _slot_end(data: bytes, i: int, n: int) -> int:
    if i >= len(data):
        raise CorruptState("truncated trie record")
    tag = data[i]
    end = i + (1 if tag == 0 else 3 * n + 1 if tag == LEAF else n + 9 if tag == BRANCH else len(data))
    if tag > BRANCH or end > len(data):
        raise CorruptState(f"malformed trie slot (tag {tag})")
    return end


@dataclass(frozen=True, slots=True)
class TrieUpdate:
    """What one update produced: the new root slot, the branch records to write (node key ->
    record), and the node keys of the branches it replaced or removed."""

    root: bytes
    written: dict[bytes, bytes]
    stale: list[bytes]


class Trie:
    """The update and lookup algorithms, bound to a suite and to a loader of branch records.

    `cache` (node key -> record) is consulted before `load`; the loader may fill it."""

    __slots__ = ("_bits", "_cache", "_load", "_n", "_suite")

    def __init__(self, suite: CryptoSuite, load: Loader, cache: dict[bytes, bytes] | None = None) -> None:
        if suite.digest_size > 32:
            raise ValueError("the trie stores a branch's depth in one byte: digests of at most 32 bytes")
        self._suite = suite
        self._load = load
        self._cache = {} if cache is None else cache
        self._n = suite.digest_size
        self._bits = 8 * suite.digest_size

    def update(self, root: bytes, version: int, changes: Mapping[bytes, bytes | None]) -> TrieUpdate:
        """Apply `changes` (key hash -> its new leaf slot, or None to delete it) to the trie at
        slot `root`, writing new branches as block `version`, newer than every branch in it."""
        order = sorted(changes)
        ks = [int.from_bytes(kh, "big") for kh in order]
        news = [changes[kh] for kh in order]
        # Locals for the recursion below: it runs once per touched branch.
        hash_ = self._suite.hash
        load = self._load
        cached = self._cache.get
        n = self._n
        n1, n2 = n + 1, 2 * n + 1
        empty = bytes(n)
        bits = self._bits
        top = bits - 1
        depth_byte = _DEPTH_BYTE
        path_len = _PATH_LEN
        vbytes = version.to_bytes(8, "big")
        written: dict[bytes, bytes] = {}
        stale: list[bytes] = []

        def join(tail: bytes, left: bytes, right: bytes) -> bytes:
            # `tail` is the node key without its version: depth byte and path.
            lt, rt = left[0], right[0]
            if not lt:
                if rt != BRANCH:
                    return right  # a lone leaf rises; nothing stays empty
            elif not rt and lt == LEAF:
                return left
            h = hash_(BRANCH_PREFIX + (left[1:n1] if lt else empty) + (right[1:n1] if rt else empty))
            written[vbytes + tail] = left + right
            return b"\x02" + h + vbytes

        def build(depth: int, path: int, lk: list[int], lv: list[bytes], lo: int, hi: int) -> bytes:
            if hi - lo <= 1:
                return lv[lo] if hi > lo else EMPTY
            if depth >= bits:
                raise CorruptState("two leaves with one key hash")
            mid = bisect_left(lk, ((path << 1) | 1) << (top - depth), lo, hi)
            return join(
                depth_byte[depth] + path.to_bytes(path_len[depth], "big"),
                build(depth + 1, path << 1, lk, lv, lo, mid),
                build(depth + 1, (path << 1) | 1, lk, lv, mid, hi),
            )

        def settle(slot: bytes, depth: int, path: int, lo: int, hi: int) -> bytes:
            # `slot` is empty or a leaf and changes ks[lo:hi] fall under it: rebuild the subtree
            # from the surviving leaves.
            if slot[0]:
                skh = slot[n1:n2]
                if hi - lo == 1 and skh == order[lo]:
                    new = news[lo]  # the common case: one key rewritten (or deleted) in place
                    return EMPTY if new is None else new
            lk: list[int] = []
            lv: list[bytes] = []
            keep = -1
            sk = 0
            if slot[0]:
                sk = int.from_bytes(skh, "big")
                keep = bisect_left(ks, sk, lo, hi)
                if keep < hi and ks[keep] == sk:
                    keep = -1  # the existing leaf is replaced or deleted
            for j in range(lo, hi):
                if j == keep:
                    lk.append(sk)
                    lv.append(slot)
                new = news[j]
                if new is not None:
                    lk.append(ks[j])
                    lv.append(new)
            if keep == hi:
                lk.append(sk)
                lv.append(slot)
            if len(lk) == 1 and lv[0] is slot:
                return slot  # only deletes of absent keys: nothing changed
            return build(depth, path, lk, lv, 0, len(lk))

        def visit(slot: bytes, depth: int, path: int, lo: int, hi: int) -> bytes:
            if slot[0] != BRANCH:
                return settle(slot, depth, path, lo, hi)
            tail = depth_byte[depth] + path.to_bytes(path_len[depth], "big")
            nk = slot[n1:] + tail  # the branch's version bytes, then depth and path
            record = cached(nk) or load(nk)
            cut = 1 if not record[0] else 3 * n + 1 if record[0] == LEAF else n + 9
            left, right = record[:cut], record[cut:]
            mid = bisect_left(ks, ((path << 1) | 1) << (top - depth), lo, hi)
            new_left = visit(left, depth + 1, path << 1, lo, mid) if lo < mid else left
            new_right = visit(right, depth + 1, (path << 1) | 1, mid, hi) if mid < hi else right
            if new_left is left and new_right is right:
                return slot
            stale.append(nk)
            return join(tail, new_left, new_right)

        new_root = visit(root, 0, 0, 0, len(ks)) if ks else root
        return TrieUpdate(new_root, written, stale)

    def path(self, root: bytes, kh: bytes) -> tuple[list[bytes], bytes]:
        """The sibling hashes from the root down the path of key hash `kh`, and the slot where
        that path ends: empty, or a leaf (of `kh` or of another key sharing the path so far)."""
        k = int.from_bytes(kh, "big")
        n = self._n
        top = self._bits - 1
        siblings: list[bytes] = []
        slot = root
        depth = path = 0
        while slot[0] == BRANCH:
            nk = slot[n + 1:] + _DEPTH_BYTE[depth] + path.to_bytes(_PATH_LEN[depth], "big")
            left, right = split_record(self._cache.get(nk) or self._load(nk), n)
            bit = (k >> (top - depth)) & 1
            if bit:
                siblings.append(slot_hash(left, n))
                slot = right
            else:
                siblings.append(slot_hash(right, n))
                slot = left
            path = (path << 1) | bit
            depth += 1
        return siblings, slot
