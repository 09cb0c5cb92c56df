"""State proofs: every key's value and every absent key's absence verifies against the root, and
any tampering (value, version, sibling, key, claim of absence or presence, path length) fails."""

from __future__ import annotations

import dataclasses
import tempfile

import plyvel
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node import codec
from node.crypto import SUITE_NAMES, get_suite
from node.ledger.errors import InvalidProof
from node.ledger.merkle import empty_hash, leaf_parts, make_leaf
from node.ledger.proof import StateProof, check_proof, decode_proof, encode_proof, verify_proof
from node.ledger.state import StateStore
from node.ledger.version import Version

SUITES = [get_suite(name) for name in SUITE_NAMES]
KEYS = st.binary(min_size=0, max_size=3)


def build(folder: str, suite, blocks: list[dict[bytes, bytes | None]]) -> tuple[StateStore, dict]:
    db = plyvel.DB(folder, create_if_missing=True)
    store = StateStore(db, suite)
    model: dict[bytes, tuple[bytes, Version]] = {}
    for number, writes in enumerate(blocks):
        batch = db.write_batch()
        changes = {k: (v, Version(number, i)) for i, (k, v) in enumerate(writes.items())}
        store.apply(batch, number, changes)
        batch.write()
        for k, (v, ver) in changes.items():
            if v is None:
                model.pop(k, None)
            else:
                model[k] = (v, ver)
    return store, model


def forgeries(suite, proof: StateProof, others: list[tuple[bytes, bytes]]) -> list[StateProof]:
    """Proofs that each claim something the state does not say, or say it with a wrong path."""
    n = suite.digest_size
    out = []
    replace = dataclasses.replace
    if proof.value is not None:
        out.append(replace(proof, value=proof.value + b"\x00"))
        out.append(replace(proof, version=Version(proof.version.block, proof.version.tx + 1)))
        out.append(replace(proof, version=Version(proof.version.block + 1, proof.version.tx)))
        out.append(replace(proof, value=None, version=None))  # absence of a present key
        out.append(replace(proof, key=proof.key + b"!"))  # the value of another key
        out += [replace(proof, value=None, version=None, other=o) for o in others]
    else:
        out.append(replace(proof, value=b"", version=Version(0, 0), other=None))  # presence of an absent key
        out.append(replace(proof, value=b"x", version=Version(0, 0), other=None))
        if proof.other is not None:
            out.append(replace(proof, other=None))
            out.append(replace(proof, other=(proof.other[0], bytes(reversed(proof.other[1])))))
        else:
            out += [replace(proof, other=o) for o in others]
    for i, s in enumerate(proof.siblings):
        flipped = bytes([s[0] ^ 1]) + s[1:]
        out.append(replace(proof, siblings=proof.siblings[:i] + (flipped,) + proof.siblings[i + 1:]))
    out.append(replace(proof, siblings=proof.siblings + (empty_hash(suite),)))
    out.append(replace(proof, siblings=proof.siblings + (b"\x01" * n,)))
    if proof.siblings:
        out.append(replace(proof, siblings=proof.siblings[:-1]))
        out.append(replace(proof, siblings=proof.siblings[1:]))
    return out


@pytest.mark.parametrize("suite", SUITES, ids=SUITE_NAMES)
@settings(max_examples=max(10, settings.default.max_examples // 2))  # each example opens a LevelDB
@given(
    blocks=st.lists(st.dictionaries(KEYS, st.one_of(st.none(), st.binary(max_size=4)), max_size=12), min_size=1, max_size=3),
    probes=st.lists(KEYS, max_size=6),
)
def test_proofs_verify_and_forgeries_fail(suite, blocks, probes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store, model = build(folder, suite, blocks)
        root = store.root()
        proofs = {k: store.prove(k) for k in set(model) | set(probes)}
        n = suite.digest_size
        leaves = [leaf_parts(make_leaf(suite, k, v, ver), n)[1:] for k, (v, ver) in model.items()]  # to forge with
        for k, proof in proofs.items():
            assert proof.block == len(blocks) - 1
            if k in model:
                assert (proof.value, proof.version) == model[k]
            else:
                assert proof.value is None and proof.version is None
            assert verify_proof(suite, root, proof), k
            assert decode_proof(encode_proof(proof)) == proof
            for forged in forgeries(suite, proof, leaves[:4]):
                assert not verify_proof(suite, root, forged), (k, forged)
            assert not verify_proof(suite, bytes([root[0] ^ 1]) + root[1:], proof)
        store._db.close()


def test_absence_at_another_leaf_must_be_on_the_path() -> None:
    suite = SUITES[0]
    with tempfile.TemporaryDirectory() as folder:
        store, _ = build(folder, suite, [{b"a": b"1"}])
        proof = store.prove(b"b")  # one leaf in the trie: the path ends at once, at a's leaf
        assert proof.other is not None and proof.siblings == ()
        assert verify_proof(suite, store.root(), proof)
        a = store.prove(b"a")
        with pytest.raises(InvalidProof, match="own leaf"):
            check_proof(suite, store.root(), dataclasses.replace(a, value=None, version=None, other=proof.other))
        store._db.close()


def test_empty_state_proves_absence() -> None:
    suite = SUITES[1]
    proof = StateProof(0, b"k", None, None, ())
    assert verify_proof(suite, empty_hash(suite), proof)
    assert not verify_proof(suite, b"\x01" * 32, proof)


def test_check_says_why() -> None:
    suite = SUITES[1]
    with pytest.raises(InvalidProof, match="version"):
        check_proof(suite, bytes(32), StateProof(0, b"k", b"v", None, ()))
    with pytest.raises(InvalidProof, match="root"):
        check_proof(suite, bytes(31), StateProof(0, b"k", None, None, ()))
    with pytest.raises(InvalidProof, match="does not lead to the root"):
        check_proof(suite, b"\x01" * 32, StateProof(0, b"k", None, None, ()))
    with pytest.raises(InvalidProof, match="not on the key's path"):
        kh = suite.hash(b"k")
        other = bytes([kh[0] ^ 0x80]) + kh[1:]
        check_proof(suite, b"\x01" * 32, StateProof(0, b"k", None, None, (bytes(32),), (other, bytes(32))))


def test_wire_form_is_canonical() -> None:
    good = StateProof(3, b"k", b"v", Version(3, 1), (b"\x01" * 32, bytes(32)))
    data = encode_proof(good)
    raw = codec.decode(data)
    assert raw["siblings"] == [b"\x01" * 32, b""]  # an empty sibling travels as b""
    assert decode_proof(data) == good
    bad = [
        {**raw, "siblings": [b"\x01" * 32, bytes(32)]},  # an empty sibling spelled out
        {**raw, "siblings": [b"\x01" * 31]},
        {**raw, "version": [3]},
        {**raw, "version": [3, 2**32]},
        {**raw, "version": [2**64, 0]},
        {**raw, "version": None},  # a value without its version
        {**raw, "other": [b"x" * 32, b"y" * 32]},  # a value and another leaf
        {**raw, "block": -1},
        {**raw, "key": "k"},
        {**raw, "extra": 1},
        {k: v for k, v in raw.items() if k != "other"},
        [raw["key"]],
    ]
    for value in bad:
        with pytest.raises(InvalidProof):
            decode_proof(codec.encode(value))
    with pytest.raises(InvalidProof):
        decode_proof(data + b"\x00")
