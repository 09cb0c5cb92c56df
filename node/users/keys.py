"""A user's private key at rest: sealed under a key derived from the user's password.

    sealed = seal(suite, key, password, org=..., name=..., kdf=SCRYPT)
    key = unseal(suite, sealed, password, org=..., name=...)     # WrongPassword otherwise

The wrapping key is scrypt(password, salt, n, r, p) (`cryptography`'s Scrypt), as long as the
suite's symmetric key (16 bytes for SM4, 32 for AES-256); the private key, PKCS#8 DER, is
encrypted with the suite's AEAD (`CryptoSuite.encrypt`: SM4-GCM for ``gm``, AES-256-GCM for
``intl``; a fresh random 96-bit nonce each time). Choices, each with its reason:

- scrypt rather than the CA's hashlib call or argon2: `cryptography` is already a dependency and
  its Scrypt runs in OpenSSL; scrypt is memory-hard, so a stolen data folder is guessed at no
  faster on a GPU than on the node. `SCRYPT`: n = 2**15, r = 8, p = 1, i.e. 32 MiB and about
  0.1 to 0.2 s per try on a server core: an offline guesser pays that for every password tried,
  while a login pays it once per session. A stronger setting (OWASP's 2**17: 128 MiB, about
  1 s here) would let a burst of logins take the node's memory; the node runs at most
  `node.users.directory.KDF_SLOTS` derivations at once for the same reason.
- The parameters and salt (16 random bytes) are kept with each sealed key, so a node that raises
  the cost later still opens the keys sealed before. A file that asks for more than
  `KDF_LIMITS` is refused rather than obeyed: a tampered file must not make a login take
  gigabytes.
- The suite's own cipher rather than always AES: a ``gm`` organisation keeps its data at rest
  under national algorithms (SM4), as the commercial-cryptography rules it works under ask; an
  ``intl`` one gets AES-256-GCM. The user's key is of the same suite anyway (its certificate
  comes from the organisation's CA).
- The associated data is ``codec ["baochain/user-key/1", org, name]``: a sealed key copied into
  another user's file does not open there, even with the right password.
- Passwords are normalised to NFKC before use (NIST SP 800-63B, 5.1.1.2): the same password typed
  on another keyboard or input method derives the same key. `check_password` asks for 8 to 256
  characters: eight is NIST's floor; the ceiling bounds the request, not the work (scrypt's cost
  does not grow with the password).
"""

from __future__ import annotations

import base64
import binascii
import os
import unicodedata
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from node import codec
from node.crypto import CryptoSuite
from node.crypto.errors import CryptoError, DecryptionError
from node.crypto.suite import PrivateKey
from node.users.errors import UserRefused, UserStoreDamaged

PASSWORD_MIN = 8
PASSWORD_MAX = 256
SALT_BYTES = 16
KEY_TAG = "baochain/user-key/1"
CIPHERS = {"gm": "sm4-gcm", "intl": "aes-256-gcm"}


@dataclass(frozen=True, slots=True)
class ScryptCost:
    """scrypt's parameters: ``n`` (CPU and memory, a power of two), ``r`` (block size), ``p``."""

    n: int
    r: int
    p: int

    @property
    def memory_bytes(self) -> int:
        return 128 * self.r * self.n


SCRYPT = ScryptCost(n=2**15, r=8, p=1)
KDF_LIMITS = ScryptCost(n=2**20, r=16, p=4)  # what a file may ask for at most (1 GiB at r = 8: refused past it)


class WrongPassword(Exception):
    """The password does not open the sealed key."""


@dataclass(frozen=True, slots=True)
class SealedKey:
    """A private key encrypted under a password-derived key, with what it takes to derive it again."""

    cost: ScryptCost
    salt: bytes
    cipher: str  # sm4-gcm or aes-256-gcm: the suite's AEAD
    sealed: bytes = b""  # nonce || ciphertext || tag

    def to_dict(self) -> dict[str, Any]:
        return {"kdf": "scrypt", "n": self.cost.n, "r": self.cost.r, "p": self.cost.p,
                "salt": _b64(self.salt), "cipher": self.cipher, "sealed": _b64(self.sealed)}

    @classmethod
    def from_dict(cls, d: Any) -> SealedKey:
        if not isinstance(d, dict) or d.get("kdf") != "scrypt":
            raise UserStoreDamaged("the sealed key is not an scrypt-sealed key")
        cost = ScryptCost(_int(d, "n"), _int(d, "r"), _int(d, "p"))
        if cost.n < 2 or cost.n & (cost.n - 1) or cost.n > KDF_LIMITS.n or not 0 < cost.r <= KDF_LIMITS.r \
                or not 0 < cost.p <= KDF_LIMITS.p:
            raise UserStoreDamaged(f"the sealed key asks for scrypt n={cost.n}, r={cost.r}, p={cost.p}, outside "
                                   f"n <= {KDF_LIMITS.n} (a power of two), r <= {KDF_LIMITS.r}, p <= {KDF_LIMITS.p}")
        cipher = d.get("cipher")
        if not isinstance(cipher, str) or cipher not in CIPHERS.values():
            raise UserStoreDamaged(f"the sealed key names an unknown cipher {cipher!r}")
        return cls(cost, _unb64(d.get("salt")), cipher, _unb64(d.get("sealed")))


def check_password(value: Any, field: str = "password") -> bytes:
    """The password as the KDF takes it (NFKC, UTF-8); `UserRefused` ``bad-request`` naming ``field``."""
    if not isinstance(value, str):
        raise UserRefused("bad-request", f"{field}: expected text")
    text = unicodedata.normalize("NFKC", value)
    if not PASSWORD_MIN <= len(text) <= PASSWORD_MAX:
        raise UserRefused("bad-request", f"{field}: a password has {PASSWORD_MIN} to {PASSWORD_MAX} characters")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise UserRefused("bad-request", f"{field}: not Unicode text (it holds half of a surrogate pair)") from None


def seal(suite: CryptoSuite, key: PrivateKey, password: bytes, *, org: str, name: str,
         cost: ScryptCost = SCRYPT) -> SealedKey:
    """``key`` sealed under ``password`` (as `check_password` returns it) for user ``name`` of ``org``."""
    salt = os.urandom(SALT_BYTES)
    wrapping = _derive(suite, password, salt, cost)
    plain = suite.private_key_to_der(key)
    return SealedKey(cost, salt, CIPHERS[suite.name], suite.encrypt(wrapping, plain, _aad(org, name)))


def unseal(suite: CryptoSuite, sealed: SealedKey, password: bytes, *, org: str, name: str) -> PrivateKey:
    """The private key; `WrongPassword` when ``password`` does not open it."""
    if sealed.cipher != CIPHERS[suite.name]:
        raise UserStoreDamaged(f"the key is sealed with {sealed.cipher}, not the {suite.name} suite's "
                               f"{CIPHERS[suite.name]}")
    wrapping = _derive(suite, password, sealed.salt, sealed.cost)
    try:
        plain = suite.decrypt(wrapping, sealed.sealed, _aad(org, name))
    except DecryptionError:
        raise WrongPassword() from None
    try:
        return suite.load_private_key(plain)
    except CryptoError as exc:  # it decrypted, so it is what this node sealed: damaged in some other way
        raise UserStoreDamaged(f"the sealed key opens but is no {suite.name} key: {exc}") from None


def burn(suite: CryptoSuite, password: bytes, cost: ScryptCost = SCRYPT) -> None:
    """One derivation whose result is dropped: what a login for an unknown name costs, so that the
    answer's timing does not tell whether the name exists."""
    _derive(suite, password, bytes(SALT_BYTES), cost)


def _derive(suite: CryptoSuite, password: bytes, salt: bytes, cost: ScryptCost) -> bytes:
    return Scrypt(salt=salt, length=suite.symmetric_key_size, n=cost.n, r=cost.r, p=cost.p).derive(password)


def _aad(org: str, name: str) -> bytes:
    return codec.encode([KEY_TAG, org, name])


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(value: Any) -> bytes:
    if not isinstance(value, str):
        raise UserStoreDamaged("expected base64 text")
    try:
        return base64.b64decode(value.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise UserStoreDamaged("not base64") from None


def _int(d: dict[str, Any], key: str) -> int:
    value = d.get(key)
    if type(value) is not int:
        raise UserStoreDamaged(f"the sealed key's {key} is not a whole number")
    return value
