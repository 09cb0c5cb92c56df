"""``sm3(x)`` and ``sha256(x)``: of a Text its UTF-8 bytes, of a Hash its 32 bytes, of anything
else the UTF-8 of its text form, so anyone can compute the same digest off-chain."""

from __future__ import annotations

import hashlib

from cryptography.hazmat.primitives import hashes

from vm import types as T
from vm.textform import to_text


def sm3(data: bytes) -> bytes:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize()


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


_ALGORITHMS = {"sm3": sm3, "sha256": sha256}


def hash_bytes(t: T.Type, v: object, table: T.TypeTable | None = None) -> bytes:
    """The bytes a value is hashed as."""
    if t == T.TEXT:
        return v.encode("utf-8")  # type: ignore[attr-defined]
    if t == T.HASH:
        return v  # type: ignore[return-value]
    return to_text(t, v, table).encode("utf-8")


def hash_value(algorithm: str, t: T.Type, v: object, table: T.TypeTable | None = None) -> bytes:
    """The 32-byte digest of ``v`` under ``algorithm`` ("sm3" or "sha256")."""
    try:
        digest = _ALGORITHMS[algorithm]
    except KeyError:
        raise ValueError(f"unknown hash algorithm {algorithm!r}") from None
    return digest(hash_bytes(t, v, table))
