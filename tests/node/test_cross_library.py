"""The `gm` suite (Tongsuo, OpenSSL) against gmssl, an independent pure-Python implementation:
signatures, hashes and ciphertexts must pass both ways. gmssl's SM2 is slow (~55 verifies/s),
so only a handful of signatures cross."""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import sm2 as gmssl_sm2
from gmssl import sm3 as gmssl_sm3
from gmssl import sm4 as gmssl_sm4
from hypothesis import given, settings
from hypothesis import strategies as st

from node.crypto import get_suite
from node.identity import der

GM = get_suite("gm")


def _gmssl_pair(key) -> gmssl_sm2.CryptSM2:
    numbers = key.private_numbers()
    public = numbers.public_numbers
    return gmssl_sm2.CryptSM2(
        private_key=f"{numbers.private_value:064x}", public_key=f"{public.x:064x}{public.y:064x}", mode=1
    )


def test_signatures_cross_both_ways() -> None:
    key = GM.generate_key()
    reference = _gmssl_pair(key)
    for message in (b"", b"proposal", bytes(range(256))):
        r, s = decode_dss_signature(GM.sign(key, message))
        assert reference.verify_with_sm3(f"{r:064x}{s:064x}", message)
        theirs = reference.sign_with_sm3(message)
        ours = encode_dss_signature(int(theirs[:64], 16), int(theirs[64:], 16))
        assert GM.verify(GM.public_key(key), message, ours)
        assert not GM.verify(GM.public_key(key), message + b"x", ours)


@given(st.binary(max_size=300))
def test_sm3_matches_gmssl(data: bytes) -> None:
    assert GM.hash(data).hex() == gmssl_sm3.sm3_hash(list(data))


def _sm2_der_to_c1c3c2(ciphertext: bytes) -> bytes:
    x, y, c3, c2 = der.children(der.read(ciphertext))
    return (
        der.read_integer(x).to_bytes(32, "big") + der.read_integer(y).to_bytes(32, "big") + c3.content + c2.content
    )


def _c1c3c2_to_sm2_der(raw: bytes) -> bytes:
    return der.sequence(
        der.integer(int.from_bytes(raw[:32], "big")),
        der.integer(int.from_bytes(raw[32:64], "big")),
        der.octet_string(raw[64:96]),
        der.octet_string(raw[96:]),
    )


def test_sm2_encryption_crosses_both_ways() -> None:
    key = GM.generate_key()
    reference = _gmssl_pair(key)
    for message in (b"k", b"a symmetric key of 16", bytes(range(1, 100))):
        assert reference.decrypt(_sm2_der_to_c1c3c2(GM.seal(GM.public_key(key), message))) == message
        assert GM.open(key, _c1c3c2_to_sm2_der(reference.encrypt(message))) == message


def _gmssl_block(key: bytes):
    cipher = gmssl_sm4.CryptSM4(padding_mode=gmssl_sm4.ZERO)
    cipher.set_key(key, gmssl_sm4.SM4_ENCRYPT)
    return lambda block: cipher.crypt_ecb(block)[:16]


def _gf_mult(x: int, y: int) -> int:
    r = 0xE1 << 120
    z = 0
    for i in range(127, -1, -1):
        if (y >> i) & 1:
            z ^= x
        x = (x >> 1) ^ r if x & 1 else x >> 1
    return z


def _reference_gcm(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """GCM (NIST SP 800-38D, 96-bit IV) written out over gmssl's SM4 block function."""
    block = _gmssl_block(key)
    h = int.from_bytes(block(bytes(16)), "big")
    counter = int.from_bytes(nonce + b"\x00\x00\x00\x01", "big")
    out = bytearray()
    for i in range(0, len(plaintext), 16):
        counter = (counter & ~0xFFFFFFFF) | ((counter + 1) & 0xFFFFFFFF)
        stream = block(counter.to_bytes(16, "big"))
        out += bytes(a ^ b for a, b in zip(plaintext[i : i + 16], stream))

    def ghash(data: bytes, y: int) -> int:
        for i in range(0, len(data), 16):
            y = _gf_mult(y ^ int.from_bytes(data[i : i + 16].ljust(16, b"\x00"), "big"), h)
        return y

    y = ghash(aad, 0)
    y = ghash(bytes(out), y)
    y = _gf_mult(y ^ ((len(aad) * 8) << 64 | len(out) * 8), h)
    tag = int.from_bytes(block(nonce + b"\x00\x00\x00\x01"), "big") ^ y
    return bytes(out) + tag.to_bytes(16, "big")


@settings(max_examples=10)
@given(st.binary(min_size=16, max_size=16), st.binary(max_size=70), st.binary(max_size=40))
def test_sm4_gcm_matches_a_reference_built_on_gmssl(key: bytes, plaintext: bytes, aad: bytes) -> None:
    sealed = GM.encrypt(key, plaintext, aad)
    nonce, body = sealed[:12], sealed[12:]
    assert body == _reference_gcm(key, nonce, plaintext, aad)
    # and pyca/cryptography's SM4-GCM (OpenSSL) agrees with Tongsuo's
    decryptor = Cipher(algorithms.SM4(key), modes.GCM(nonce, body[-16:])).decryptor()
    decryptor.authenticate_additional_data(aad)
    assert decryptor.update(body[:-16]) + decryptor.finalize() == plaintext
