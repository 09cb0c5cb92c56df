"""Fixed vectors: the roots and the very bytes a `StateStore` stages for a known run of blocks,
taken before the commit path was sped up, so that no speed-up can move the state hash or change
what lands in LevelDB (the other tests compare the store with itself and with `root_of`; these
compare it with the past).

The recorded bytes are those of a store that writes the trie at every block (``persist_every=1``),
leaving out its journals and bases, which came later: a store that writes the trie every few
blocks must give the same roots, and the same bytes once it has written its records."""

from __future__ import annotations

import hashlib
from pathlib import Path

import plyvel
import pytest

from node.crypto import get_suite
from node.ledger.state import StateStore
from node.ledger.version import Version


def run(suite_name: str, folder: Path, history: int, handed: bool = False, every: int = 1) -> tuple[list[str], str]:
    """60 blocks of inserts, rewrites and deletes over 400 keys (some a prefix of another, some
    deleted while absent, one block empty); the hex root after each tenth block, and one hash
    over every (key, value) left in the database. ``handed``: `apply` is handed the stored
    entries of every other changed key, read before it (as validation hands them). ``every``:
    the store's `persist_every`."""
    suite = get_suite(suite_name)
    db = plyvel.DB(str(folder), create_if_missing=True)
    store = StateStore(db, suite, history=history, persist_every=every)
    later = (store._ks.journals, store._ks.bases)
    roots: list[str] = []
    for block in range(60):
        changes: dict[bytes, tuple[bytes | None, Version]] = {}
        if block != 30:
            for i in range(25):
                n = (block * 37 + i * 11) % 400
                key = b"k/%d" % n if n % 7 else b"k/%d/x" % (n // 7)
                value = None if (block + i) % 9 == 0 else b"v%d.%d" % (block, i) * (1 + n % 3)
                changes[key] = (value, Version(block, i))
        stored = {key: store.stored(key) for key in list(changes)[::2]} if handed else None
        batch = db.write_batch()
        root = store.apply(batch, block, changes, stored)
        batch.write()
        if block % 10 == 9:
            roots.append(root.hex())
    digest = hashlib.sha256()
    for key, value in db.iterator():
        if key.startswith(later):
            continue
        digest.update(len(key).to_bytes(4, "big") + key + len(value).to_bytes(4, "big") + value)
    db.close()
    return roots, digest.hexdigest()


ROOTS = {
    "intl": [
        "1a971d2f4d9c6d30696421286fe796f0efb832a5d7a3ecf9ed24d13972dc71ed",
        "4b34211709178f04ec97f9943a03efa0370aad7983e7b12a7d6e4af5ca93d9c6",
        "239163da5e30a6d2f07c527aa06041266962cda7b643d7c3e95a47f4ce62fb10",
        "ce5ed8bb48d6895578810c5cdfe22aba26f6b0ebb7a465c59d858bb46afb4829",
        "18f5f5e53f8635ca92ebd932e3291903c48c8075bb4334a87dd12375d36ca9a4",
        "d6b00c03b99d539cb9637a900e4af0dac68911c6a4789b9cea22f5551aa79505",
    ],
    "gm": [
        "0b12d570eca9352d75e293e99921342751ad554e0a97607a6110892b89cc4527",
        "b0f86d684ba3ab709135292eb5726316658bdbe0c13e81a1f33621bc2e6e8bad",
        "5d4ed8456ab60b8ec93867f495058e3a02305278594619bec88e66b6e9a12935",
        "117ed4b369c82d7b9f563a4ada7379f206556bd75a90ec2c81bd810e8bff4b76",
        "974131ed3a7376c87182553e1e7ae55ed6a58fc62f8988cc8ba42d3fa786eee1",
        "0be5dc6d78537bbbe30ca33909415e7f767d55f00f58b444a98bc6d0893b22e0",
    ],
}
STORED = {  # history -> the hash over the database's (key, value) pairs
    ("intl", 0): "fd763bf56fc864723fbd6623a721add73798b9f14df99851059046995c36cdd1",
    ("intl", 3): "988c1c1ef32f9bfe2a289ae2643c068e784c51032c373f951e96a1f3b5f41d48",
    ("intl", 16): "fe80314ffb023acfc9797515eb1b97f97920ad9ed5e0c4d5d5a17f4c5f70f31f",
    ("gm", 0): "13356decd6d98e44e4a67e6ddd2f8ff6fc0f37b44c8ed78a113aaf06e9d3b4fd",
    ("gm", 3): "114e6b0ad67d2c7cb54329eb9a5aa09c9c2187e41d19b64e343d31b2b5d1bd33",
    ("gm", 16): "7a7efe716615b6902a6652d0e6da56637baf3b702cdd8c786f20ff5aead2f2a4",
}


@pytest.mark.parametrize(("suite_name", "history"), sorted(STORED))
def test_roots_and_stored_bytes_are_the_recorded_ones(suite_name: str, history: int, tmp_path: Path) -> None:
    assert run(suite_name, tmp_path, history) == (ROOTS[suite_name], STORED[suite_name, history])


@pytest.mark.parametrize("suite_name", sorted(ROOTS))
def test_entries_handed_to_apply_write_the_same_bytes(suite_name: str, tmp_path: Path) -> None:
    assert run(suite_name, tmp_path, 16, handed=True) == (ROOTS[suite_name], STORED[suite_name, 16])


@pytest.mark.parametrize("suite_name", sorted(ROOTS))
def test_a_store_that_writes_the_trie_every_few_blocks_gives_the_same_roots(suite_name: str, tmp_path: Path) -> None:
    """Where the records are written changes nothing of what they hash to."""
    roots, _ = run(suite_name, tmp_path / "a", 3, every=20)
    assert roots == ROOTS[suite_name]
