"""The `intl` suite: ECDSA on P-256 with SHA-256, SHA-256 hashes, AES-256-GCM, and ECIES on P-256.

ECIES here is: a fresh ephemeral P-256 key; ECDH with the recipient's key; HKDF-SHA256 over the
shared secret (info binds both public points) yielding an AES-256 key and a GCM nonce; AES-256-GCM
over the plaintext with the ephemeral point as associated data. Sealed form:
ephemeral point (65 bytes, uncompressed) || ciphertext || tag. The key is used once, so deriving
the nonce alongside it is safe and spares 12 bytes.
"""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes as _hashes
from cryptography.hazmat.primitives import serialization as _serialization
from cryptography.hazmat.primitives.asymmetric import ec as _ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from node.crypto.aead import NONCE_SIZE as _NONCE_SIZE
from node.crypto.aead import TAG_SIZE as _TAG_SIZE
from node.crypto.aead import NonceFramedAead
from node.crypto.elliptic import EllipticKeys
from node.crypto.errors import DecryptionError, KeyFormatError

_ECDSA_SHA256 = _ec.ECDSA(_hashes.SHA256())
# ECDSA is malleable: (r, n - s) verifies wherever (r, s) does. The suite signs with the low s
# and refuses the high one, so each signature has one form (as Fabric and Bitcoin require).
_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_HALF_ORDER = _ORDER >> 1
_POINT_SIZE = 65
_ECIES_INFO = b"baochain/ecies/p256-hkdf-sha256-aes256gcm/v1"


class IntlSuite(EllipticKeys, NonceFramedAead):
    name = "intl"
    hash_name = "sha256"
    digest_size = 32
    symmetric_key_size = 32
    signature_oid = "1.2.840.10045.4.3.2"  # ecdsa-with-SHA256
    curve_oid = "1.2.840.10045.3.1.7"  # prime256v1

    _aead = AESGCM
    _invalid_tag = InvalidTag

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_serialization, _ec, _ec.SECP256R1())

    def hash(self, data: bytes) -> bytes:
        return hashlib.sha256(data).digest()

    def sign(self, private_key: Any, data: bytes) -> bytes:
        signature = private_key.sign(data, _ECDSA_SHA256)
        return _low_s(signature) if _high_s(signature) else signature

    def verify(self, public_key: Any, data: bytes, signature: bytes) -> bool:
        if _high_s(signature):
            return False
        return self.verify_x509(public_key, data, signature)

    def verify_x509(self, public_key: Any, data: bytes, signature: bytes) -> bool:
        try:
            public_key.verify(signature, data, _ECDSA_SHA256)
        except InvalidSignature:
            return False
        except Exception:  # another suite's key (tongsuopy raises its own errors): foreign, so not valid
            return False
        return True

    def seal(self, public_key: Any, plaintext: bytes) -> bytes:
        if not isinstance(public_key, _ec.EllipticCurvePublicKey):
            raise KeyFormatError("ECIES needs the recipient's public key")
        ephemeral = _ec.generate_private_key(_ec.SECP256R1())
        point = self.public_key_point(ephemeral.public_key())
        key, nonce = _ecies_key(ephemeral.exchange(_ec.ECDH(), public_key), point, self.public_key_point(public_key))
        return point + AESGCM(key).encrypt(nonce, plaintext, point)

    def open(self, private_key: Any, sealed: bytes) -> bytes:
        if not isinstance(private_key, _ec.EllipticCurvePrivateKey):
            raise KeyFormatError("ECIES decryption needs the recipient's private key")
        if len(sealed) < _POINT_SIZE + _TAG_SIZE:
            raise DecryptionError("sealed message too short")
        point = sealed[:_POINT_SIZE]
        try:
            ephemeral = _ec.EllipticCurvePublicKey.from_encoded_point(_ec.SECP256R1(), point)
        except ValueError:
            raise DecryptionError("sealed message does not start with a P-256 point") from None
        recipient = self.public_key_point(private_key.public_key())
        key, nonce = _ecies_key(private_key.exchange(_ec.ECDH(), ephemeral), point, recipient)
        try:
            return AESGCM(key).decrypt(nonce, sealed[_POINT_SIZE:], point)
        except InvalidTag:
            raise DecryptionError("sealed message fails authentication (wrong key or altered)") from None


def _high_s(signature: bytes) -> bool:
    # A DER SEQUENCE { r INTEGER, s INTEGER } of P-256 has one-byte lengths: s follows r's bytes.
    # Anything malformed answers False here and is refused by the library.
    try:
        return int.from_bytes(signature[6 + signature[3] :], "big") > _HALF_ORDER
    except (IndexError, TypeError):
        return False


def _low_s(signature: bytes) -> bytes:
    # (r, n - s) re-encoded in place: half the cost of pyca's decode/encode pair, on the sign path.
    r_end = 4 + signature[3]
    s = (_ORDER - int.from_bytes(signature[r_end + 2 :], "big")).to_bytes(33, "big").lstrip(b"\0")
    if s[0] & 0x80:
        s = b"\0" + s
    body = signature[2:r_end] + bytes((0x02, len(s))) + s
    return bytes((0x30, len(body))) + body


def _ecies_key(shared: bytes, ephemeral_point: bytes, recipient_point: bytes) -> tuple[bytes, bytes]:
    okm = HKDF(_hashes.SHA256(), 32 + _NONCE_SIZE, salt=None, info=_ECIES_INFO + ephemeral_point + recipient_point).derive(
        shared
    )
    return okm[:32], okm[32:]


INTL = IntlSuite()
