"""The LevelDB state store: the stored root always equals one recomputed from scratch; reads,
scans and versions follow the model; restart keeps everything; snapshots are isolated; older
roots stay provable for `history` blocks and nothing outlives them; blocks apply in order."""

from __future__ import annotations

import tempfile
from pathlib import Path

import plyvel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node import codec
from node.crypto import SUITE_NAMES, get_suite
from node.ledger.errors import BlockOrderError, CorruptState, LedgerError, UnknownRoot
from node.ledger.keyspace import Keyspace
from node.ledger.merkle import make_leaf, node_key, root_of, split_record
from node.ledger.proof import verify_proof
from node.ledger.state import StateStore
from node.ledger.version import Version
from vm.runtime import Host, MemoryHost

SUITES = [get_suite(name) for name in SUITE_NAMES]
KEYS = st.binary(min_size=0, max_size=3)
BLOCKS = st.lists(
    st.dictionaries(KEYS, st.one_of(st.none(), st.binary(max_size=5)), max_size=10), min_size=1, max_size=8
)


def commit(store: StateStore, db, block: int, writes: dict[bytes, bytes | None]) -> bytes:
    batch = db.write_batch()
    root = store.apply(batch, block, {k: (v, Version(block, i)) for i, (k, v) in enumerate(writes.items())})
    batch.write()
    return root


def apply_model(model: dict, block: int, writes: dict) -> None:
    for i, (k, v) in enumerate(writes.items()):
        if v is None:
            model.pop(k, None)
        else:
            model[k] = (v, Version(block, i))


def model_root(suite, model: dict) -> bytes:
    return root_of(suite, [make_leaf(suite, k, v, ver) for k, (v, ver) in model.items()])


def stored_keys(db, prefix: bytes) -> set[bytes]:
    return {k for k in db.iterator(prefix=prefix, include_value=False)}


def reachable(db, ks: Keyspace, slots: list[bytes], memory: dict[bytes, bytes] | None = None,
              whole: bool = True) -> set[bytes]:
    """Every branch record the root slots reach, as node keys (read from ``memory``, then the
    database; a record found in neither fails, or with ``whole`` false ends that path)."""
    seen: set[bytes] = set()

    def walk(slot: bytes, depth: int, path: int) -> None:
        if slot[0] != 2:
            return
        key = node_key(int.from_bytes(slot[-8:], "big"), depth, path)
        if key in seen:
            return
        seen.add(key)
        record = (memory or {}).get(key) or db.get(ks.node(key))
        if record is None and not whole:
            return
        assert record is not None, f"branch {key.hex()} is neither in memory nor in the database"
        left, right = split_record(record, 32)
        walk(left, depth + 1, path << 1)
        walk(right, depth + 1, (path << 1) | 1)

    for slot in slots:
        walk(slot, 0, 0)
    return seen


def blocks_of(db, prefix: bytes) -> set[int]:
    return {int.from_bytes(k[-8:], "big") for k in stored_keys(db, prefix)}


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_NAMES)
@settings(max_examples=max(10, settings.default.max_examples // 2))  # each example opens a LevelDB
@given(blocks=BLOCKS, history=st.integers(0, 3), every=st.sampled_from([1, 3]),
       restarts=st.sets(st.integers(0, 7), max_size=3), probes=st.lists(KEYS, max_size=4))
def test_store_follows_the_model(suite, blocks, history, every, restarts, probes) -> None:
    ks = Keyspace(b"state/")
    with tempfile.TemporaryDirectory() as folder:
        db = plyvel.DB(folder, create_if_missing=True)
        store = StateStore(db, suite, history=history, persist_every=every)
        model: dict = {}
        snapshots = []  # (block, model copy) of the states whose roots are still kept
        slots = {}  # block -> its root slot
        for number, writes in enumerate(blocks):
            root = commit(store, db, number, writes)
            slots[number] = db.get(ks.root(number))
            apply_model(model, number, writes)
            snapshots.append((number, dict(model)))
            assert root == store.root() == store.recompute_root() == model_root(suite, model)
            assert store.last_block() == number
            if number in restarts:  # the records only in memory come back from the journals
                store = StateStore(db, suite, history=history, persist_every=every)
        for k in set(model) | set(probes):
            assert store.get(k) == model.get(k)
            assert store.version(k) == (model[k][1] if k in model else None)
        for prefix in [b""] + [k[:1] for k in probes]:
            expected = sorted((k, ver) for k, (_, ver) in model.items() if k.startswith(prefix))
            assert list(store.scan_versions(prefix)) == expected
        # Older roots: provable with their own values for `history` blocks, then gone.
        last = len(blocks) - 1
        for number, old in snapshots:
            if number < last - history:
                with pytest.raises(UnknownRoot):
                    store.root(number)
                continue
            root = store.root(number)
            assert root == model_root(suite, old)
            for k in set(old) | set(model) | set(probes):
                proof = store.prove(k, number)
                assert verify_proof(suite, root, proof)
                assert (proof.value, proof.version) == old.get(k, (None, None))
        # Nothing outlives what the kept roots and the bases need; each base is whole on disk.
        kept = range(max(0, last - history), last + 1)
        memory = store._memory
        needed = reachable(db, ks, [db.get(ks.root(b)) for b in kept], memory)
        bases = [db.get(ks.base(b)) for b in sorted(blocks_of(db, ks.bases))]
        assert bases and reachable(db, ks, bases) <= {k[len(ks.nodes):] for k in stored_keys(db, ks.nodes)}
        # Memory lets a record go once its batch is known written (the next block): so it holds
        # what the roots from one block before the oldest kept one need, and nothing else.
        assert set(memory) <= reachable(db, ks, [slots[b] for b in range(max(0, last - history - 1), last + 1)], memory,
                                     whole=False)
        listed = {ks.namespace + key for _, data in db.iterator(prefix=ks.stales) for key in codec.decode(data)}
        assert {k[len(ks.nodes):] for k in stored_keys(db, ks.nodes) - listed} <= needed | reachable(db, ks, bases)
        assert stored_keys(db, ks.undos) - listed == set()
        assert blocks_of(db, ks.roots) == set(kept)
        # Stale lists, undo records and journals go a few blocks after no replay needs them:
        # `history` blocks after their own with a base at every block, as when every block wrote
        # its records.
        lag = 0 if every == 1 else 2 * every
        for prefix in (ks.undos, ks.stales, ks.journals):
            assert all(b > last - history - lag for b in blocks_of(db, prefix))
        if history == 0 and every == 1:
            assert not stored_keys(db, ks.undos) and not stored_keys(db, ks.stales)
            assert not stored_keys(db, ks.journals)
        db.close()


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_NAMES)
def test_restart_keeps_the_root(suite, tmp_path: Path) -> None:
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    store = StateStore(db, suite, history=2)
    model: dict = {}
    for number in range(5):
        writes = {b"k%d" % (i * number % 7): b"v%d" % number for i in range(4)}
        commit(store, db, number, writes)
        apply_model(model, number, writes)
    root = store.root()
    # A block staged but never written, as in a crash before the commit: it leaves no trace.
    store.apply(db.write_batch(), 5, {b"k1": (None, Version(5, 0))})
    db.close()
    db = plyvel.DB(str(tmp_path))
    again = StateStore(db, suite, history=2)
    assert again.last_block() == 4
    assert again.root() == root == again.recompute_root() == model_root(suite, model)
    assert again.root(3) == store_root_after(suite, 3)
    commit(again, db, 5, {b"k1": None, b"new": b"x"})
    apply_model(model, 5, {b"k1": None, b"new": b"x"})
    assert again.root() == again.recompute_root() == model_root(suite, model)
    db.close()


def store_root_after(suite, block: int) -> bytes:
    model: dict = {}
    for number in range(block + 1):
        apply_model(model, number, {b"k%d" % (i * number % 7): b"v%d" % number for i in range(4)})
    return model_root(suite, model)


def test_a_dropped_batch_can_be_applied_again(tmp_path: Path) -> None:
    suite = SUITES[0]
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    store = StateStore(db, suite)
    commit(store, db, 0, {b"a": b"1", b"b": b"2", b"c": b"3"})
    store.apply(db.write_batch(), 1, {b"a": (None, Version(1, 0)), b"d": (b"4", Version(1, 1))})  # dropped
    root = commit(store, db, 1, {b"b": b"22"})
    model: dict = {}
    apply_model(model, 0, {b"a": b"1", b"b": b"2", b"c": b"3"})
    apply_model(model, 1, {b"b": b"22"})
    assert root == store.recompute_root() == model_root(suite, model)
    root = commit(store, db, 2, {b"c": None})
    apply_model(model, 2, {b"c": None})
    assert root == store.recompute_root() == model_root(suite, model)
    db.close()


def test_blocks_apply_in_order(tmp_path: Path) -> None:
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    store = StateStore(db, SUITES[1])
    commit(store, db, 0, {b"a": b"1"})
    for bad in (0, 2, -1):
        with pytest.raises((BlockOrderError, LedgerError)):
            commit(store, db, bad, {b"a": b"2"})
    with pytest.raises(LedgerError):
        store.apply(db.write_batch(), 1, {"a": (b"1", Version(1, 0))})  # type: ignore[dict-item]
    with pytest.raises(LedgerError):
        store.apply(db.write_batch(), 1, {b"a": ("1", Version(1, 0))})  # type: ignore[dict-item]
    commit(store, db, 1, {})  # an empty block still gets its root
    assert store.root(1) == store.root(0)
    db.close()


def test_nothing_applied_is_the_empty_state(tmp_path: Path) -> None:
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    store = StateStore(db, SUITES[0])
    assert store.last_block() is None and store.root() == bytes(32) == store.recompute_root()
    with pytest.raises(UnknownRoot):
        store.prove(b"k")
    with store.snapshot() as snap:
        assert snap.get(b"k") is None and list(snap.scan(b"")) == [] and snap.block is None
    db.close()


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_NAMES)
def test_snapshot_is_isolated_and_records_what_it_read(suite, tmp_path: Path) -> None:
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    store = StateStore(db, suite, history=0)
    commit(store, db, 0, {b"p/1": b"a", b"p/2": b"b", b"q": b"c"})
    snap = store.snapshot()
    assert isinstance(snap, Host)
    root = store.root()
    commit(store, db, 1, {b"p/1": None, b"p/3": b"d", b"q": b"C"})
    commit(store, db, 2, {b"p/2": b"B"})
    assert snap.block == 0 and snap.root() == root
    assert snap.get(b"q") == b"c" and snap.get(b"p/1") == b"a" and snap.get(b"zz") is None
    assert list(snap.scan(b"p/")) == [(b"p/1", b"a"), (b"p/2", b"b")]
    assert snap.reads == {b"q": Version(0, 2), b"p/1": Version(0, 0), b"zz": None, b"p/2": Version(0, 1)}
    assert snap.scans == {b"p/": ((b"p/1", Version(0, 0)), (b"p/2", Version(0, 1)))}
    # Proofs from the snapshot hold against its own root, though the store has pruned it since.
    proof = snap.prove(b"q")
    assert proof.value == b"c" and verify_proof(suite, root, proof)
    with pytest.raises(UnknownRoot):
        store.root(0)
    # What validation compares has moved on: a phantom under p/ and new versions.
    assert store.scan_versions(b"p/") != snap.scans[b"p/"]
    assert store.version(b"q") == Version(1, 2)
    snap.close()
    db.close()


def test_snapshot_reads_like_the_memory_host(tmp_path: Path) -> None:
    data = {b"": b"e", b"a": b"1", b"ab": b"2", b"abc": b"", b"b\xff": b"3", b"\xff\xff": b"4"}
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    store = StateStore(db, SUITES[1])
    commit(store, db, 0, data)
    memory = MemoryHost(data)
    with store.snapshot() as snap:
        for prefix in [b"", b"a", b"ab", b"b", b"\xff", b"c"]:
            assert list(snap.scan(prefix)) == list(memory.scan(prefix))
        for key in list(data) + [b"zz"]:
            assert snap.get(key) == memory.get(key)
    db.close()


def test_stores_share_a_database(tmp_path: Path) -> None:
    """Two namespaces of one DB, and a prefixed view, do not see each other."""
    suite = SUITES[0]
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    a = StateStore(db, suite, namespace=b"a/")
    view = db.prefixed_db(b"chan/")
    b = StateStore(view, suite)
    batch = db.write_batch()
    a.apply(batch, 0, {b"k": (b"1", Version(0, 0))})
    batch.write()
    batch = view.write_batch()
    b.apply(batch, 0, {b"k": (b"2", Version(0, 0))})
    batch.write()
    assert a.get(b"k") == (b"1", Version(0, 0)) and b.get(b"k") == (b"2", Version(0, 0))
    assert a.root() != b.root()
    assert a.root() == a.recompute_root() and b.root() == b.recompute_root()
    db.close()


def test_lowering_history_sweeps_what_it_no_longer_keeps(tmp_path: Path) -> None:
    suite = SUITES[1]
    ks = Keyspace(b"state/")
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    store = StateStore(db, suite, history=5, persist_every=1)
    for number in range(8):
        commit(store, db, number, {b"k%d" % (number % 3): b"%d" % number})
    assert len(stored_keys(db, ks.roots)) == 6
    store = StateStore(db, suite, history=1, persist_every=1)
    assert {int.from_bytes(k[-8:], "big") for k in stored_keys(db, ks.roots)} == {6, 7}
    assert {k[len(ks.nodes):] for k in stored_keys(db, ks.nodes)} == reachable(db, ks, [db.get(ks.root(b)) for b in (6, 7)])
    commit(store, db, 8, {b"k0": None})
    assert store.root() == store.recompute_root()
    db.close()


def test_a_missing_journal_is_named_on_opening(tmp_path: Path) -> None:
    """The records of the blocks after the last base live in memory and come back from the
    journals: without one the store refuses to open, naming the block."""
    suite = SUITES[0]
    ks = Keyspace(b"state/")
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    store = StateStore(db, suite, persist_every=4)
    for number in range(6):
        commit(store, db, number, {b"k%d" % number: b"v", b"k0": b"%d" % number})
    root = store.root()
    db.close()
    db = plyvel.DB(str(tmp_path))
    assert StateStore(db, suite, persist_every=4).prove(b"k0", 5).value == b"5"  # replayed from block 4
    assert StateStore(db, suite, persist_every=4).root() == root
    db.delete(ks.journal(5))
    with pytest.raises(CorruptState, match="journal of block 5"):
        StateStore(db, suite, persist_every=4)
    db.close()


def test_a_database_written_before_bases_opens_with_its_last_block_as_one(tmp_path: Path) -> None:
    """Before the trie was written every few blocks, every block wrote its records and kept no
    base or journal: such a database opens as it is, its older roots provable still."""
    suite = SUITES[1]
    ks = Keyspace(b"state/")
    db = plyvel.DB(str(tmp_path), create_if_missing=True)
    store = StateStore(db, suite, history=3, persist_every=1)
    model: dict = {}
    for number in range(6):
        writes = {b"k%d" % (number % 4): b"v%d" % number}
        commit(store, db, number, writes)
        apply_model(model, number, writes)
    for key in stored_keys(db, ks.bases) | stored_keys(db, ks.journals):
        db.delete(key)  # what the older code left
    again = StateStore(db, suite, history=3)
    assert blocks_of(db, ks.bases) == {5}
    assert again.prove(b"k2", 3).value == b"v2" and again.prove(b"k1", 5).value == b"v5"
    for number in range(6, 12):
        writes = {b"k%d" % (number % 4): b"v%d" % number}
        commit(again, db, number, writes)
        apply_model(model, number, writes)
        assert again.root() == again.recompute_root() == model_root(suite, model)
    assert again.prove(b"k0", 9).value == b"v8"
    db.close()
