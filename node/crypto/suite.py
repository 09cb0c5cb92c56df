"""The one interface through which the node hashes, signs and encrypts.

A channel names its suite (`gm` or `intl`); `get_suite(name)` returns the shared, stateless
instance. Keys are the native key objects of the library behind the suite (tongsuopy for
`gm`, pyca/cryptography for `intl`): a suite never re-parses a key per call, so a signature
or a verification costs the bare library call plus one Python method call.

Conventions every suite follows:
- `sign` returns a DER-encoded ECDSA/SM2 signature (SEQUENCE of r and s), as X.509 uses.
- `verify` returns False for any wrong, malformed or foreign signature; it never raises for them.
  Each signature has exactly one accepted form: `intl` signs ECDSA with the low s and refuses the
  high one ((r, n - s) would otherwise verify too). `verify_x509` accepts either form, for
  certificates, CRLs and CSRs that other tools (OpenSSL) signed; nothing else should use it.
- `encrypt`/`decrypt` are AEAD with a random 96-bit nonce: output is nonce || ciphertext || tag;
  keys are exactly `symmetric_key_size` bytes (16 for SM4, 32 for AES-256), else `KeyFormatError`.
- `seal`/`open` are public-key encryption to one recipient (SM2 encryption for `gm`, ECIES for `intl`).
- Private keys serialise as PKCS#8 (PEM or DER), encrypted when a passphrase is given; public
  keys as SubjectPublicKeyInfo. `load_*` accepts PEM or DER and raises `KeyFormatError`.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from node.crypto.errors import UnknownSuiteError

PrivateKey = Any  # the backing library's native private-key object
PublicKey = Any  # the backing library's native public-key object


@runtime_checkable
class CryptoSuite(Protocol):
    name: str
    hash_name: str
    digest_size: int
    symmetric_key_size: int
    # X.509 identifiers (dotted OIDs) for certificates signed with this suite.
    signature_oid: str
    curve_oid: str

    def hash(self, data: bytes) -> bytes: ...

    def generate_key(self) -> PrivateKey: ...

    def public_key(self, private_key: PrivateKey) -> PublicKey: ...

    def sign(self, private_key: PrivateKey, data: bytes) -> bytes: ...

    def verify(self, public_key: PublicKey, data: bytes, signature: bytes) -> bool: ...

    def verify_x509(self, public_key: PublicKey, data: bytes, signature: bytes) -> bool: ...

    def new_symmetric_key(self) -> bytes: ...

    def encrypt(self, key: bytes, plaintext: bytes, associated_data: bytes = b"") -> bytes: ...

    def decrypt(self, key: bytes, ciphertext: bytes, associated_data: bytes = b"") -> bytes: ...

    def seal(self, public_key: PublicKey, plaintext: bytes) -> bytes: ...

    def open(self, private_key: PrivateKey, sealed: bytes) -> bytes: ...

    def private_key_to_pem(self, private_key: PrivateKey, passphrase: bytes | None = None) -> bytes: ...

    def private_key_to_der(self, private_key: PrivateKey, passphrase: bytes | None = None) -> bytes: ...

    def load_private_key(self, data: bytes, passphrase: bytes | None = None) -> PrivateKey: ...

    def public_key_to_pem(self, public_key: PublicKey) -> bytes: ...

    def public_key_to_der(self, public_key: PublicKey) -> bytes: ...

    def load_public_key(self, data: bytes) -> PublicKey: ...

    def public_key_point(self, public_key: PublicKey) -> bytes: ...

    def same_public_key(self, a: PublicKey, b: PublicKey) -> bool: ...


SUITE_NAMES: tuple[str, ...] = ("gm", "intl")


def get_suite(name: str) -> CryptoSuite:
    """The suite a channel names; raises `UnknownSuiteError` for any other name."""
    # Imported lazily so a node on one suite never loads the other's native library.
    if name == "gm":
        from node.crypto.gm import GM

        return GM
    if name == "intl":
        from node.crypto.intl import INTL

        return INTL
    raise UnknownSuiteError(f"unknown crypto suite {name!r} (expected one of: {', '.join(SUITE_NAMES)})")
