"""Symmetric encryption framing shared by both suites: a fresh random 96-bit nonce, then the AEAD
ciphertext and its 128-bit tag (nonce ‖ ciphertext ‖ tag). Only the cipher differs: SM4-GCM for
`gm`, AES-256-GCM for `intl`; each suite names its cipher class and the library's tag error."""

from __future__ import annotations

import os

from node.crypto.errors import DecryptionError, KeyFormatError

NONCE_SIZE = 12
TAG_SIZE = 16


class NonceFramedAead:
    """Mixin for a suite: ``_aead`` is the library's GCM class, ``_invalid_tag`` its tag error."""

    __slots__ = ()
    name: str
    symmetric_key_size: int
    _aead: type
    _invalid_tag: type[Exception]

    def new_symmetric_key(self) -> bytes:
        return os.urandom(self.symmetric_key_size)

    def _wrong_key(self, key: bytes) -> KeyFormatError:
        return KeyFormatError(f"{self.name} symmetric keys are {self.symmetric_key_size} bytes, not {len(key)}")

    # The length checks stay inline: these calls sit on the hot path, within 10% of the bare cipher.
    def encrypt(self, key: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes:
        if len(key) != self.symmetric_key_size:
            raise self._wrong_key(key)
        nonce = os.urandom(NONCE_SIZE)
        return nonce + self._aead(key).encrypt(nonce, plaintext, associated_data)

    def decrypt(self, key: bytes, ciphertext: bytes, associated_data: bytes = b"") -> bytes:
        if len(key) != self.symmetric_key_size:
            raise self._wrong_key(key)
        if len(ciphertext) < NONCE_SIZE + TAG_SIZE:
            raise DecryptionError("ciphertext too short")
        try:
            return self._aead(key).decrypt(ciphertext[:NONCE_SIZE], ciphertext[NONCE_SIZE:], associated_data)
        except self._invalid_tag:
            raise DecryptionError("ciphertext fails authentication") from None
