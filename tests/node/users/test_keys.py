"""A user's key sealed under its password: it opens with that password only, for that user only,
in both suites; a file asking for absurd scrypt costs is refused; passwords are checked and
normalised."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.crypto import get_suite
from node.users.errors import UserRefused, UserStoreDamaged
from node.users.keys import CIPHERS, SCRYPT, SealedKey, WrongPassword, check_password, seal, unseal
from tests.node.users.org_ca import FAST

SUITES = ("intl", "gm")
KEYS = {name: get_suite(name).generate_key() for name in SUITES}


def _same(suite, a, b) -> bool:
    return suite.same_public_key(suite.public_key(a), suite.public_key(b))


@pytest.mark.parametrize("suite_name", SUITES)
def test_the_key_opens_with_its_password_only(suite_name):
    suite = get_suite(suite_name)
    key = KEYS[suite_name]
    sealed = seal(suite, key, b"correct horse", org="Org1", name="alice", cost=FAST)
    assert sealed.cipher == CIPHERS[suite_name] and len(sealed.salt) == 16
    assert _same(suite, unseal(suite, sealed, b"correct horse", org="Org1", name="alice"), key)
    with pytest.raises(WrongPassword):
        unseal(suite, sealed, b"correct horsf", org="Org1", name="alice")
    # bound to its user: the same bytes in another user's file do not open, even with the password
    for org, name in (("Org1", "bob"), ("Org2", "alice")):
        with pytest.raises(WrongPassword):
            unseal(suite, sealed, b"correct horse", org=org, name=name)
    assert suite.private_key_to_der(key) not in sealed.sealed


def test_the_sealed_form_round_trips_and_keeps_its_cost():
    suite = get_suite("intl")
    sealed = seal(suite, KEYS["intl"], b"correct horse", org="Org1", name="alice", cost=FAST)
    again = SealedKey.from_dict(sealed.to_dict())
    assert again == sealed and again.cost == FAST
    assert SCRYPT.n == 2**15 and SCRYPT.memory_bytes == 32 * 1024 * 1024


@pytest.mark.parametrize("change, why", [
    ({"n": 2**24}, "outside"), ({"n": 1000}, "outside"), ({"r": 0}, "outside"), ({"p": 99}, "outside"),
    ({"n": "big"}, "whole number"), ({"cipher": "rot13"}, "unknown cipher"), ({"kdf": "md5"}, "scrypt"),
    ({"salt": "not base64!"}, "base64"),
])
def test_a_tampered_sealed_key_is_refused_not_obeyed(change, why):
    sealed = seal(get_suite("intl"), KEYS["intl"], b"correct horse", org="Org1", name="alice", cost=FAST).to_dict()
    with pytest.raises(UserStoreDamaged, match=why):
        SealedKey.from_dict({**sealed, **change})


def test_passwords_are_checked_and_normalised():
    assert check_password("correct horse") == b"correct horse"
    # the same password typed as a composed or decomposed character, or a full-width letter, is one password
    assert check_password("caf\u00e9 au lait") == check_password("cafe\u0301 au lait")
    assert check_password("\uff21bcdefgh") == check_password("Abcdefgh")
    for bad, why in [("short", "8 to 256"), ("x" * 257, "8 to 256"), (12345678, "expected text"),
                     ("\ud800" * 8, "surrogate")]:
        with pytest.raises(UserRefused, match=why) as caught:
            check_password(bad, "new_password")
        assert caught.value.reason == "bad-request" and caught.value.message.startswith("new_password:")


@settings(max_examples=15)
@given(password=st.text(min_size=8, max_size=40).filter(lambda t: len(unicodedata.normalize("NFKC", t)) >= 8
                                                         and not any(0xD800 <= ord(c) <= 0xDFFF for c in t)),
       other=st.text(min_size=8, max_size=40))
def test_any_password_opens_its_key_and_no_other_does(password, other):
    suite = get_suite("intl")
    secret = check_password(password)
    sealed = seal(suite, KEYS["intl"], secret, org="Org1", name="alice", cost=FAST)
    assert _same(suite, unseal(suite, sealed, secret, org="Org1", name="alice"), KEYS["intl"])
    if unicodedata.normalize("NFKC", other) != unicodedata.normalize("NFKC", password):
        with pytest.raises(WrongPassword):
            unseal(suite, sealed, other.encode("utf-8", "surrogatepass"), org="Org1", name="alice")
