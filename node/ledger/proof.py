"""A proof of one key's value, or of its absence, against a state root; and its check.

A node builds a `StateProof` (`StateStore.prove`), sends `encode_proof(proof)`, and the client
library runs `verify_proof(suite, root, proof)` with the root from a block header it trusts: the
header of block N+1 carries the state hash after block N, which is `proof.block`. The check is
pure: it needs the suite and the codec, not the ledger's database.

What a proof holds: the key; its value and version, or None for both when it is absent; the
sibling hashes along the key hash's path, from the root's children down; and, when the path ends
at a leaf of another key, that leaf's key hash and value hash. The check rebuilds the path's end
(the key's own leaf; an empty subtree; or the other leaf) and hashes it up with the siblings,
taking sides by the key hash's bits, then compares with the root (see `node.ledger.merkle` for the
hash rules). Why it is sound, assuming the suite's hash resists collisions:
- presence: the leaf commits to H(key) and to the value and version, so the path can only end at
  the one leaf the trie holds for this key;
- absence at an empty subtree: the trie has nothing on the key's path below that point;
- absence at another leaf: a leaf sits as high as it is alone in its subtree, so a different key
  hash whose path reaches it proves the key absent. The check insists the other key hash differs
  from the key's and shares the key's path down to the leaf's depth.

Wire form: a codec map {"block", "key", "other", "siblings", "value", "version"}; "other" is
[key hash, value hash] or None, "version" [block, tx] or None; an empty sibling is sent as b""
(it is n zero bytes), which shortens proofs in sparse parts of the trie. `decode_proof` refuses
every other form, so a proof has one encoding.
"""

from __future__ import annotations

from dataclasses import dataclass

from node import codec
from node.crypto import CryptoSuite
from node.ledger.errors import InvalidProof
from node.ledger.merkle import BRANCH_PREFIX, empty_hash, key_hash, leaf_hash, value_hash
from node.ledger.version import Version

_FIELDS = frozenset({"block", "key", "other", "siblings", "value", "version"})


@dataclass(frozen=True, slots=True)
class StateProof:
    """`key` holds `value` at `version` (or is absent: both None) in the state after `block`."""

    block: int
    key: bytes
    value: bytes | None
    version: Version | None
    siblings: tuple[bytes, ...]  # siblings[d]: the other child of the path's node at depth d
    other: tuple[bytes, bytes] | None = None  # absence at another key's leaf: (its kh, its vh)

    @property
    def present(self) -> bool:
        return self.value is not None


def encode_proof(proof: StateProof) -> bytes:
    version = None if proof.version is None else [proof.version.block, proof.version.tx]
    return codec.encode(
        {
            "block": proof.block,
            "key": proof.key,
            "other": None if proof.other is None else list(proof.other),
            "siblings": [b"" if s == bytes(len(s)) else s for s in proof.siblings],
            "value": proof.value,
            "version": version,
        }
    )


def decode_proof(data: bytes, digest_size: int = 32) -> StateProof:
    """The proof `data` encodes; raises `InvalidProof` for anything but `encode_proof`'s output."""
    try:
        raw = codec.decode(data)
    except codec.CodecError as exc:
        raise InvalidProof(f"not a state proof: {exc}") from None
    if type(raw) is not dict or set(raw) != _FIELDS:
        raise InvalidProof(f"not a state proof: expected the fields {sorted(_FIELDS)}")
    block, key, other, siblings, value, version = (raw[f] for f in sorted(_FIELDS))
    if type(block) is not int or not 0 <= block < 2**64:
        raise InvalidProof("block must be a block number")
    if type(key) is not bytes:
        raise InvalidProof("key must be bytes")
    if type(siblings) is not list or len(siblings) > 8 * digest_size:
        raise InvalidProof(f"siblings must be a list of at most {8 * digest_size} hashes")
    zero = bytes(digest_size)
    sibs = []
    for s in siblings:
        if type(s) is not bytes or len(s) not in (0, digest_size) or s == zero:
            raise InvalidProof(f"a sibling must be a {digest_size}-byte hash, or b'' for an empty subtree")
        sibs.append(s or zero)
    if value is not None and type(value) is not bytes:
        raise InvalidProof("value must be bytes or None")
    ver = None
    if version is not None:
        if (
            type(version) is not list
            or len(version) != 2
            or not all(type(v) is int for v in version)
            or not (0 <= version[0] < 2**64 and 0 <= version[1] < 2**32)
        ):
            raise InvalidProof("version must be [block, tx]: block below 2**64, tx below 2**32")
        ver = Version(version[0], version[1])
    pair = None
    if other is not None:
        if type(other) is not list or len(other) != 2 or not all(type(h) is bytes and len(h) == digest_size for h in other):
            raise InvalidProof(f"other must be [key hash, value hash] of {digest_size} bytes each")
        pair = (other[0], other[1])
    proof = StateProof(block, key, value, ver, tuple(sibs), pair)
    _check_shape(proof, digest_size)
    return proof


def check_proof(suite: CryptoSuite, root: bytes, proof: StateProof) -> None:
    """Raise `InvalidProof` with the reason unless `proof` shows its claim against `root`."""
    n = suite.digest_size
    _check_shape(proof, n)
    if len(root) != n:
        raise InvalidProof(f"the root must be a {n}-byte {suite.hash_name} hash")
    siblings = proof.siblings
    for s in siblings:
        if type(s) is not bytes or len(s) != n:
            raise InvalidProof(f"a sibling must be a {n}-byte hash")
    kh = key_hash(suite, proof.key)
    k = int.from_bytes(kh, "big")
    bits = 8 * n
    depth = len(siblings)
    if proof.value is not None:
        if proof.version is None:
            raise InvalidProof("a value without the version that wrote it")
        node = leaf_hash(suite, kh, value_hash(suite, proof.value, proof.version))
    elif proof.other is not None:
        okh, ovh = proof.other
        if okh == kh:
            raise InvalidProof("an absence proof cannot end at the key's own leaf")
        if depth and (int.from_bytes(okh, "big") ^ k) >> (bits - depth):
            raise InvalidProof("the other leaf is not on the key's path")
        node = leaf_hash(suite, okh, ovh)
    else:
        node = empty_hash(suite)
    hash_ = suite.hash
    for d in range(depth - 1, -1, -1):
        if (k >> (bits - 1 - d)) & 1:
            node = hash_(BRANCH_PREFIX + siblings[d] + node)
        else:
            node = hash_(BRANCH_PREFIX + node + siblings[d])
    if node != root:
        claim = "value" if proof.value is not None else "absence"
        raise InvalidProof(f"the proof of the key's {claim} does not lead to the root")


def verify_proof(suite: CryptoSuite, root: bytes, proof: StateProof) -> bool:
    """True exactly when `proof` shows its claim (value or absence) against `root`."""
    try:
        check_proof(suite, root, proof)
    except InvalidProof:
        return False
    return True


def _check_shape(proof: StateProof, n: int) -> None:
    if type(proof.key) is not bytes or (proof.value is not None and type(proof.value) is not bytes):
        raise InvalidProof("a proof's key and value are bytes")
    if len(proof.siblings) > 8 * n:
        raise InvalidProof(f"a path has at most {8 * n} siblings")
    if (proof.value is None) != (proof.version is None):
        raise InvalidProof("a value comes with its version, and absence with neither")
    if proof.value is not None and proof.other is not None:
        raise InvalidProof("a proof of a value cannot also name another leaf")
