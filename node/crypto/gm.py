"""The `gm` suite: SM2 signatures over SM3 (GB/T 32918.2, with the default signer ID
"1234567812345678" of GM/T 0009), SM3 hashes (GB/T 32905), SM4-GCM (GB/T 32907 in GCM mode),
and SM2 public-key encryption (GB/T 32918.4, ciphertext in the GM/T 0009 DER form C1 C3 C2).

SM2 signing, verification and encryption run in Tongsuo through tongsuopy (native, ~25x the
pure-Python gmssl); SM3 runs in OpenSSL through hashlib; SM4-GCM in Tongsuo. gmssl stays out of
the node and serves the tests as an independent reference.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tongsuopy.backends.tongsuo.backend import backend as _tongsuo
from tongsuopy.crypto import hashes as _hashes
from tongsuopy.crypto import serialization as _serialization
from tongsuopy.crypto.asymciphers import ec as _ec
from tongsuopy.crypto.ciphers.aead import SM4GCM
from tongsuopy.crypto.exceptions import InvalidTag

from node.crypto.aead import NonceFramedAead
from node.crypto.elliptic import EllipticKeys
from node.crypto.errors import DecryptionError, KeyFormatError

# tongsuopy's signature path hashes with SM3 after prefixing Z (from the default signer ID),
# exactly what GB/T 32918.2 specifies; one shared algorithm object saves an allocation per call.
_SM2_SM3 = _ec.ECDSA(_hashes.SM3())

# OpenSSL's SM3 through hashlib, from a fresh state copied: hashlib.new looks the name up on each
# call (3.1 against 1.7 us for 100 bytes here), and a node hashes ~50 times per transaction.
_SM3_START = hashlib.new("sm3")


class GmSuite(EllipticKeys, NonceFramedAead):
    name = "gm"
    hash_name = "sm3"
    digest_size = 32
    symmetric_key_size = 16
    signature_oid = "1.2.156.10197.1.501"  # SM2-with-SM3 (GM/T 0006)
    curve_oid = "1.2.156.10197.1.301"  # sm2p256v1

    _aead = SM4GCM
    _invalid_tag = InvalidTag

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(_serialization, _ec, _ec.SM2())

    def hash(self, data: bytes) -> bytes:
        state = _SM3_START.copy()
        state.update(data)
        return state.digest()

    def sign(self, private_key: Any, data: bytes) -> bytes:
        return private_key.sign(data, _SM2_SM3)

    def verify(self, public_key: Any, data: bytes, signature: bytes) -> bool:
        try:
            public_key.verify(signature, data, _SM2_SM3)
        except Exception:  # InvalidSignature, or Tongsuo's assertion on a malformed DER signature
            _tongsuo._consume_errors()
            return False
        return True

    # SM2 signatures are not malleable the way ECDSA's are: certificates need no laxer check.
    verify_x509 = verify

    def seal(self, public_key: Any, plaintext: bytes) -> bytes:
        return _pkey_crypt(public_key, plaintext, encrypt=True)

    def open(self, private_key: Any, sealed: bytes) -> bytes:
        return _pkey_crypt(private_key, sealed, encrypt=False)


def _pkey_crypt(key: Any, data: bytes, *, encrypt: bool) -> bytes:
    # tongsuopy exposes no SM2 encryption class, but binds EVP_PKEY_encrypt/decrypt: Tongsuo's own
    # SM2 cipher (C1 C3 C2, DER) runs on the key's native EVP_PKEY.
    expected = _ec.EllipticCurvePublicKey if encrypt else _ec.EllipticCurvePrivateKey
    if not isinstance(key, expected):
        raise KeyFormatError("SM2 encryption needs the recipient's public key, decryption its private key")
    lib, ffi = _tongsuo._lib, _tongsuo._ffi
    init, run = (lib.EVP_PKEY_encrypt_init, lib.EVP_PKEY_encrypt) if encrypt else (lib.EVP_PKEY_decrypt_init, lib.EVP_PKEY_decrypt)
    ctx = ffi.gc(lib.EVP_PKEY_CTX_new(key._evp_pkey, ffi.NULL), lib.EVP_PKEY_CTX_free)
    size = ffi.new("size_t *")
    # First call sizes the output, second fills it; Tongsuo refuses a bad ciphertext in either.
    if init(ctx) == 1 and run(ctx, ffi.NULL, size, data, len(data)) == 1:
        out = ffi.new("unsigned char[]", size[0])
        if run(ctx, out, size, data, len(data)) == 1:
            return ffi.buffer(out)[: size[0]]
    _tongsuo._consume_errors()
    if encrypt:
        raise KeyFormatError("SM2 encryption failed")
    raise DecryptionError("not an SM2 ciphertext for this key (wrong key, or altered or damaged ciphertext)")


GM = GmSuite()
