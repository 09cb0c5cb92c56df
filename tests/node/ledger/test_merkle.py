"""The state trie without a database: the incremental update agrees with the definition, whatever
the order, batching and deletes; what it reports stale is exactly what the new root no longer
reaches; deep paths (key hashes sharing up to 255 bits) work."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.crypto import SUITE_NAMES, get_suite
from node.ledger.errors import CorruptState
from node.ledger.merkle import (
    EMPTY,
    Trie,
    branch_hash,
    check_slot,
    empty_hash,
    leaf_parts,
    leaf_slot,
    make_leaf,
    node_key,
    root_of,
    slot_hash,
    split_record,
)
from node.ledger.version import Version

SUITES = [get_suite(name) for name in SUITE_NAMES]


class MemoryTrie:
    """A trie over a dict of records, pruning stale records at once (as `history=0` does)."""

    def __init__(self, suite) -> None:
        self.suite = suite
        self.records: dict[bytes, bytes] = {}
        self.trie = Trie(suite, self.records.__getitem__)
        self.root = EMPTY
        self.block = 0

    def update(self, changes: dict) -> None:
        self.block += 1
        result = self.trie.update(self.root, self.block, changes)
        assert not set(result.written) & set(result.stale)
        self.records.update(result.written)
        for key in result.stale:
            del self.records[key]
        self.root = result.root

    def reachable(self) -> set[bytes]:
        seen: set[bytes] = set()

        def walk(slot: bytes, depth: int, path: int) -> None:
            if slot[0] != 2:
                return
            key = node_key(int.from_bytes(slot[-8:], "big"), depth, path)
            seen.add(key)
            left, right = split_record(self.records[key], 32)
            walk(left, depth + 1, path << 1)
            walk(right, depth + 1, (path << 1) | 1)

        walk(self.root, 0, 0)
        return seen


def leaf_for(suite, kh: bytes, value: bytes) -> bytes:
    return leaf_slot(suite, kh, suite.hash(value))


# Key hashes chosen to share long prefixes, so paths reach the bottom of the trie.
def crafted_hashes(n: int) -> list[bytes]:
    base = bytes(32)
    out = [base, base[:-1] + b"\x01", base[:-1] + b"\x02", base[:-1] + b"\x03", b"\x80" + base[1:]]
    out += [b"\x00" * 16 + bytes([1 << (i % 8)]) + b"\x00" * 15 for i in range(8)]
    out += [bytes([i]) * 32 for i in range(1, 255, 17)]
    return out[:n]


HASHES = crafted_hashes(32)


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_NAMES)
def test_small_roots_follow_the_definition(suite) -> None:
    assert root_of(suite, []) == empty_hash(suite) == bytes(suite.digest_size)
    a = make_leaf(suite, b"a", b"1", Version(0, 0))
    b = make_leaf(suite, b"b", b"2", Version(0, 1))
    n = suite.digest_size
    assert root_of(suite, [a]) == leaf_parts(a, n)[0]  # a lone leaf is the root
    left, right = sorted([leaf_parts(a, n), leaf_parts(b, n)], key=lambda parts: parts[1])
    # Two leaves: branch where their key hashes first differ, empty siblings above it.
    diff = int.from_bytes(left[1], "big") ^ int.from_bytes(right[1], "big")
    depth = n * 8 - diff.bit_length()
    expected = branch_hash(suite, left[0], right[0])
    bits = int.from_bytes(left[1], "big")
    for d in range(depth - 1, -1, -1):
        bit = (bits >> (suite.digest_size * 8 - 1 - d)) & 1
        expected = branch_hash(suite, empty_hash(suite), expected) if bit else branch_hash(suite, expected, empty_hash(suite))
    assert root_of(suite, [a, b]) == root_of(suite, [b, a]) == expected


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_NAMES)
@given(data=st.data())
def test_incremental_root_equals_the_definition(suite, data) -> None:
    trie = MemoryTrie(suite)
    model: dict[bytes, tuple] = {}
    batches = data.draw(
        st.lists(
            st.dictionaries(st.sampled_from(HASHES), st.one_of(st.none(), st.binary(max_size=4)), max_size=10),
            max_size=8,
        )
    )
    for batch in batches:
        changes = {kh: None if v is None else leaf_for(suite, kh, v) for kh, v in batch.items()}
        trie.update(changes)
        for kh, leaf in changes.items():
            if leaf is None:
                model.pop(kh, None)
            else:
                model[kh] = leaf
        assert slot_hash(trie.root, suite.digest_size) == root_of(suite, model.values())
        # Stale is exact: pruning it left every reachable record and nothing else.
        assert trie.reachable() == set(trie.records)
    # The same final set in one batch, and one key at a time in reverse order, gives the same root.
    one = MemoryTrie(suite)
    one.update(dict(model))
    each = MemoryTrie(suite)
    for kh in sorted(model, reverse=True):
        each.update({kh: model[kh]})
    n = suite.digest_size
    assert slot_hash(one.root, n) == slot_hash(each.root, n) == root_of(suite, model.values())


def test_delete_then_reinsert_leaves_no_trace() -> None:
    suite = SUITES[0]
    trie = MemoryTrie(suite)
    leaves = {kh: leaf_for(suite, kh, b"v") for kh in HASHES[:10]}
    trie.update(leaves)
    before = trie.root[:33]
    trie.update({kh: None for kh in HASHES[:10]})
    assert trie.root == EMPTY and trie.records == {}
    trie.update(dict(reversed(list(leaves.items()))))
    assert trie.root[:33] == before


def test_deleting_an_absent_key_changes_nothing() -> None:
    suite = SUITES[1]
    trie = MemoryTrie(suite)
    trie.update({kh: leaf_for(suite, kh, b"v") for kh in HASHES[:6]})
    root, records = trie.root, dict(trie.records)
    result = trie.trie.update(root, 99, {HASHES[7]: None, HASHES[9]: None})
    assert result.root is root and result.written == {} and result.stale == []
    assert trie.records == records


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_NAMES)
def test_path_to_the_bottom(suite) -> None:
    trie = MemoryTrie(suite)
    a, b = bytes(32), bytes(31) + b"\x01"  # differ in the last bit only
    trie.update({a: leaf_for(suite, a, b"x"), b: leaf_for(suite, b, b"y")})
    siblings, end = trie.trie.path(trie.root, b)
    assert len(siblings) == 256 and leaf_parts(end, 32)[1] == b
    assert siblings[-1] == leaf_parts(leaf_for(suite, a, b"x"), 32)[0]
    assert all(s == empty_hash(suite) for s in siblings[:-1])


def test_records_split_into_their_slots() -> None:
    n = 32
    leaf = b"\x01" + b"h" * n + b"k" * n + b"v" * n
    branch = b"\x02" + b"b" * n + b"\xff" * 8
    for left, right in [(leaf, EMPTY), (EMPTY, branch), (branch, leaf), (leaf, leaf)]:
        assert split_record(left + right, n) == (left, right)
    for slot in (EMPTY, leaf, branch):
        assert check_slot(slot, n) == slot


@pytest.mark.parametrize(
    "data", [b"", b"\x00\x00", b"\x01" + b"x" * 95, b"\x03", b"\x00\x00\x00", b"\x02" + b"x" * 39 + b"\x00"]
)
def test_malformed_records_are_refused(data: bytes) -> None:
    with pytest.raises(CorruptState):
        split_record(data, 32)
