"""Published vectors of the GM standards, checked against the `gm` suite and against gmssl."""

from __future__ import annotations

import gmssl.func
import pytest
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from gmssl import sm2 as gmssl_sm2
from gmssl import sm3 as gmssl_sm3
from gmssl import sm4 as gmssl_sm4
from tongsuopy.crypto.asymciphers import ec as tongsuo_ec

from node.crypto import get_suite

GM = get_suite("gm")

# GB/T 32905-2016 (SM3), Appendix A.
SM3_VECTORS = [
    (b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    (b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
]

# GB/T 32907-2016 (SM4), Appendix A, example 1.
SM4_KEY = bytes.fromhex("0123456789abcdeffedcba9876543210")
SM4_CIPHERTEXT = bytes.fromhex("681edf34d206965e86b3e94f536e4246")
SM4_MILLION = bytes.fromhex("595298c7c6fd271f0402f804c33d3f66")

# GM/T 0003.5-2012 (= GB/T 32918.5) Annex A/C on the recommended curve, default signer ID.
SM2_PRIVATE = "3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"
SM2_PUBLIC = (
    "09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"
    "CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"
)
SM2_K = "59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"
SM2_R = "F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"
SM2_S = "B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"
SM2_CIPHERTEXT_DER = bytes.fromhex(
    "307c022004EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73"
    "022100E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0"
    "042059983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766"
    "041321886CA989CA9C7D58087307CA93092D651EFA"
)


def _vector_key():
    return tongsuo_ec.derive_private_key(int(SM2_PRIVATE, 16), tongsuo_ec.SM2())


@pytest.mark.parametrize(("message", "digest"), SM3_VECTORS)
def test_sm3_vectors(message: bytes, digest: str) -> None:
    assert GM.hash(message).hex() == digest
    assert gmssl_sm3.sm3_hash(list(message)) == digest


def test_sm4_vector_natively_and_in_gmssl() -> None:
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    assert encryptor.update(SM4_KEY) == SM4_CIPHERTEXT
    reference = gmssl_sm4.CryptSM4(padding_mode=gmssl_sm4.ZERO)
    reference.set_key(SM4_KEY, gmssl_sm4.SM4_ENCRYPT)
    assert reference.crypt_ecb(SM4_KEY)[:16] == SM4_CIPHERTEXT  # gmssl appends a padding block


def test_sm4_vector_million_rounds() -> None:
    # About a second: the iterated vector is the one that catches a wrong round-key schedule.
    encryptor = Cipher(algorithms.SM4(SM4_KEY), modes.ECB()).encryptor()
    block = SM4_KEY
    for _ in range(1_000_000):
        block = encryptor.update(block)
    assert block == SM4_MILLION


def test_sm2_published_signature_verifies() -> None:
    key = _vector_key()
    numbers = key.public_key().public_numbers()
    assert f"{numbers.x:064X}{numbers.y:064X}" == SM2_PUBLIC
    signature = encode_dss_signature(int(SM2_R, 16), int(SM2_S, 16))
    assert GM.verify(key.public_key(), b"message digest", signature)
    assert not GM.verify(key.public_key(), b"message digest!", signature)
    assert not GM.verify(key.public_key(), b"message digest", encode_dss_signature(int(SM2_R, 16), int(SM2_S, 16) ^ 1))


def test_sm2_published_signature_reproduced_by_gmssl_with_the_published_k() -> None:
    reference = gmssl_sm2.CryptSM2(private_key=SM2_PRIVATE.lower(), public_key=SM2_PUBLIC.lower())
    assert reference.sign_with_sm3(b"message digest", SM2_K.lower()).upper() == SM2_R + SM2_S


def test_sm2_published_ciphertext_decrypts() -> None:
    assert GM.open(_vector_key(), SM2_CIPHERTEXT_DER) == b"encryption standard"


def test_sm2_published_ciphertext_reproduced_by_gmssl(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gmssl.func, "random_hex", lambda _n: SM2_K.lower())
    reference = gmssl_sm2.CryptSM2(private_key=SM2_PRIVATE.lower(), public_key=SM2_PUBLIC.lower(), mode=1)
    raw = reference.encrypt(b"encryption standard")  # C1 (x || y) || C3 || C2
    expected = (
        bytes.fromhex("04EBFC718E8D1798620432268E77FEB6415E2EDE0E073C0F4F640ECD2E149A73")
        + bytes.fromhex("E858F9D81E5430A57B36DAAB8F950A3C64E6EE6A63094D99283AFF767E124DF0")
        + bytes.fromhex("59983C18F809E262923C53AEC295D30383B54E39D609D160AFCB1908D0BD8766")
        + bytes.fromhex("21886CA989CA9C7D58087307CA93092D651EFA")
    )
    assert raw == expected
