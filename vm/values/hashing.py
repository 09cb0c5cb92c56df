"""``sm3(x)`` and ``sha256(x)``: of a Text its UTF-8 bytes, of a Hash its 32 bytes, of anything
else the UTF-8 of its text form, so anyone can compute the same digest off-chain."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes

from vm import types as T
from vm.types import Value
from vm.values.textform import TextTooLong, to_text


def sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


_ALGORITHMS = {"sm3": sm3, "sha256": sha256}


def hash_bytes(t: T.Type, v: Value, table: T.TypeTable | None = None, limit: int | None = None) -> bytes:
    """The bytes a value is hashed as. With a ``limit`` on the text form's characters,
    `vm.values.textform.TextTooLong` when it is longer (found without writing it all out)."""
    if t == T.TEXT:
        if limit is not None and len(v) > limit:
            raise TextTooLong()
        return v.encode("utf-8")
    if t == T.HASH:
        return v
    return to_text(t, v, table, limit).encode("utf-8")


def digest(algorithm: str, data: bytes) -> bytes:
    """The 32-byte digest of ``data`` (`hash_bytes` of a value) under ``algorithm`` ("sm3" or "sha256")."""
    try:
        function = _ALGORITHMS[algorithm]
    except KeyError:
        raise ValueError(f"unknown hash algorithm {algorithm!r}") from None
    return function(data)


def hash_value(algorithm: str, t: T.Type, v: Value, table: T.TypeTable | None = None) -> bytes:
    """The 32-byte digest of ``v`` under ``algorithm`` ("sm3" or "sha256")."""
    if algorithm not in _ALGORITHMS:
        raise ValueError(f"unknown hash algorithm {algorithm!r}")
    return digest(algorithm, hash_bytes(t, v, table))
