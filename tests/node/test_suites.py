"""Both suites through the one interface: round trips hold, and any change to the message,
signature, key or ciphertext is refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.crypto import SUITE_NAMES, CryptoSuite, DecryptionError, KeyFormatError, UnknownSuiteError, get_suite

SUITES = {name: get_suite(name) for name in SUITE_NAMES}
# Key generation is the slow part; a few fixed keys per suite serve every example.
KEYS = {name: [suite.generate_key() for _ in range(2)] for name, suite in SUITES.items()}

suite_names = st.sampled_from(SUITE_NAMES)


def _flip(data: bytes, index: int) -> bytes:
    index %= len(data)
    return data[:index] + bytes((data[index] ^ 0x01,)) + data[index + 1 :]


def test_get_suite_knows_exactly_two() -> None:
    assert isinstance(get_suite("gm"), CryptoSuite) and get_suite("gm").name == "gm"
    assert get_suite("intl").name == "intl"
    with pytest.raises(UnknownSuiteError, match="unknown crypto suite 'rsa'"):
        get_suite("rsa")


def test_hashes_are_the_suites() -> None:
    assert SUITES["intl"].hash(b"abc").hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert SUITES["gm"].hash(b"abc").hex().startswith("66c7f0f4")


@given(suite_names, st.binary(max_size=200), st.integers(min_value=0))
def test_signatures_round_trip_and_refuse_changes(name: str, message: bytes, where: int) -> None:
    suite = SUITES[name]
    key, other = KEYS[name]
    public = suite.public_key(key)
    signature = suite.sign(key, message)
    assert suite.verify(public, message, signature)
    assert not suite.verify(public, message + b"\x00", signature)
    if message:
        assert not suite.verify(public, _flip(message, where), signature)
    assert not suite.verify(public, message, _flip(signature, where))
    assert not suite.verify(public, message, signature[:-1])
    assert not suite.verify(suite.public_key(other), message, signature)


@given(suite_names, st.binary(max_size=100), st.binary(max_size=20), st.integers(min_value=0))
def test_symmetric_encryption_round_trips_and_refuses_changes(name: str, plaintext: bytes, aad: bytes, where: int) -> None:
    suite = SUITES[name]
    key = suite.new_symmetric_key()
    assert len(key) == suite.symmetric_key_size
    sealed = suite.encrypt(key, plaintext, aad)
    assert suite.decrypt(key, sealed, aad) == plaintext
    assert sealed != suite.encrypt(key, plaintext, aad)  # fresh nonce each time
    with pytest.raises(DecryptionError):
        suite.decrypt(key, _flip(sealed, where), aad)
    with pytest.raises(DecryptionError):
        suite.decrypt(key, sealed, aad + b"x")
    with pytest.raises(DecryptionError):
        suite.decrypt(suite.new_symmetric_key(), sealed, aad)
    with pytest.raises(DecryptionError):
        suite.decrypt(key, sealed[:27], aad)


@given(suite_names, st.binary(min_size=1, max_size=100), st.integers(min_value=0))
def test_public_key_encryption_round_trips_and_refuses_changes(name: str, plaintext: bytes, where: int) -> None:
    suite = SUITES[name]
    key, other = KEYS[name]
    sealed = suite.seal(suite.public_key(key), plaintext)
    assert suite.open(key, sealed) == plaintext
    with pytest.raises(DecryptionError):
        suite.open(key, _flip(sealed, where))
    with pytest.raises(DecryptionError):
        suite.open(other, sealed)


@pytest.mark.parametrize("name", SUITE_NAMES)
def test_symmetric_keys_have_the_suites_size(name: str) -> None:
    suite = SUITES[name]
    short = bytes(suite.symmetric_key_size - 8)
    with pytest.raises(KeyFormatError, match="symmetric keys are"):
        suite.encrypt(short, b"x")
    with pytest.raises(KeyFormatError, match="symmetric keys are"):
        suite.decrypt(short, bytes(40))


@pytest.mark.parametrize("name", SUITE_NAMES)
def test_public_key_encryption_wants_the_right_half_of_the_pair(name: str) -> None:
    suite = SUITES[name]
    key = KEYS[name][0]
    with pytest.raises(KeyFormatError):
        suite.seal(key, b"x")
    with pytest.raises(KeyFormatError):
        suite.open(suite.public_key(key), suite.seal(suite.public_key(key), b"x"))


@pytest.mark.parametrize("name", SUITE_NAMES)
@pytest.mark.parametrize("form", ["pem", "der"])
def test_private_keys_serialise_with_and_without_passphrase(name: str, form: str) -> None:
    suite = SUITES[name]
    key = KEYS[name][0]
    write = suite.private_key_to_pem if form == "pem" else suite.private_key_to_der
    plain = write(key)
    protected = write(key, b"correct horse")
    if form == "pem":
        assert plain.startswith(b"-----BEGIN PRIVATE KEY-----")
        assert protected.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----")
    for data, passphrase in ((plain, None), (protected, b"correct horse")):
        loaded = suite.load_private_key(data, passphrase)
        assert suite.same_public_key(suite.public_key(loaded), suite.public_key(key))
        assert suite.verify(suite.public_key(key), b"m", suite.sign(loaded, b"m"))
    with pytest.raises(KeyFormatError, match="passphrase is needed"):
        suite.load_private_key(protected)
    with pytest.raises(KeyFormatError, match="wrong passphrase"):
        suite.load_private_key(protected, b"wrong horse")
    with pytest.raises(KeyFormatError, match="not encrypted"):
        suite.load_private_key(plain, b"correct horse")
    with pytest.raises(KeyFormatError):
        suite.private_key_to_pem(key, b"")


@pytest.mark.parametrize("name", SUITE_NAMES)
def test_public_keys_serialise(name: str) -> None:
    suite = SUITES[name]
    public = suite.public_key(KEYS[name][0])
    for data in (suite.public_key_to_pem(public), suite.public_key_to_der(public)):
        assert suite.same_public_key(suite.load_public_key(data), public)
    point = suite.public_key_point(public)
    assert len(point) == 65 and point[0] == 4
    with pytest.raises(KeyFormatError):
        suite.load_public_key(b"garbage")


def test_a_suite_refuses_the_other_suites_keys() -> None:
    gm, intl = SUITES["gm"], SUITES["intl"]
    with pytest.raises(KeyFormatError):
        gm.load_public_key(intl.public_key_to_pem(intl.public_key(KEYS["intl"][0])))
    with pytest.raises(KeyFormatError):
        intl.load_public_key(gm.public_key_to_der(gm.public_key(KEYS["gm"][0])))
    with pytest.raises(KeyFormatError):
        intl.load_private_key(gm.private_key_to_pem(KEYS["gm"][0]))
    with pytest.raises(KeyFormatError):
        gm.load_private_key(intl.private_key_to_der(KEYS["intl"][0]))


@pytest.mark.parametrize("name", SUITE_NAMES)
def test_verify_answers_false_for_the_other_suites_key(name: str) -> None:
    # suite.py: verify never raises for a wrong or foreign signature; a key of the other suite
    # (whose library raises its own errors) is as foreign as it gets.
    suite, other = SUITES[name], SUITES["intl" if name == "gm" else "gm"]
    key = other.generate_key()
    assert suite.verify(other.public_key(key), b"m", other.sign(key, b"m")) is False


_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


@given(st.binary(max_size=64))
def test_intl_signatures_have_one_form(message: bytes) -> None:
    # (r, n - s) verifies under plain ECDSA; a signature must not have a second valid encoding.
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

    intl = SUITES["intl"]
    key = KEYS["intl"][0]
    public = intl.public_key(key)
    signature = intl.sign(key, message)
    r, s = decode_dss_signature(signature)
    assert s <= _P256_ORDER // 2
    twin = encode_dss_signature(r, _P256_ORDER - s)
    assert intl.verify(public, message, signature) and not intl.verify(public, message, twin)
    assert intl.verify_x509(public, message, twin)  # what OpenSSL may have signed a certificate with
