"""Throughput of the crypto suites and the codec, each beside the bare library call it wraps.

    .venv/bin/python bench/crypto.py [--rounds 5] [--time 0.2] [--suite gm|intl] [--gmssl]

Every operation and its bare counterpart are timed back to back in alternating rounds in the same
process; the rate columns keep each side's best round, the overhead column the median of the
rounds' paired ratios, so a noisy, shared machine disturbs the ratio as little as it can.
The target: the suite interface adds at most 10% over the bare call.

What "bare" means, so the ratios read fairly: for hashes, signatures and AEAD it is the library's
own call with the same inputs (for ECDSA, without the low-s normalisation the suite adds); for SM2
encryption tongsuopy has no public API, so "bare" is the EVP binding in node.crypto.gm and the
ratio shows only the interface's method call; for the codec, "bare" is plain, non-canonical
msgpack, so its ratio is the price of canonical form, not part of the 10% target.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import msgpack  # noqa: E402
from cryptography.exceptions import InvalidSignature as PycaInvalidSignature  # noqa: E402
from cryptography.hazmat.primitives import hashes as pyca_hashes  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec as pyca_ec  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat  # noqa: E402
from tongsuopy.crypto import hashes as ts_hashes  # noqa: E402
from tongsuopy.crypto.asymciphers import ec as ts_ec  # noqa: E402
from tongsuopy.crypto.ciphers.aead import SM4GCM  # noqa: E402
from tongsuopy.crypto.exceptions import InvalidSignature as TsInvalidSignature  # noqa: E402

from node import codec  # noqa: E402
from node.crypto import get_suite  # noqa: E402
from node.crypto.gm import _pkey_crypt  # noqa: E402

MESSAGE = os.urandom(256)
BULK = os.urandom(4096)


def rate(fn: Callable[[], object], seconds: float) -> float:
    """Calls per second of `fn` over roughly `seconds`."""
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed
        n = max(n * 2, int(n * seconds / max(elapsed, 1e-9) * 1.1))


def compare(ours: Callable[[], object], bare: Callable[[], object], rounds: int, seconds: float) -> tuple[float, float, float]:
    """Best rate of each, and the overhead as the median of per-round paired ratios.

    On a shared machine the best rates of the two sides may come from different moments (one
    caught a quiet spell the other did not), which swung the ratio of bests by tens of percent
    between runs. A round times both sides back to back, in alternating order so neither always
    runs second; the median of those paired ratios is what the overhead column reports."""
    best_ours = best_bare = 0.0
    ratios = []
    for i in range(rounds):
        if i % 2:
            theirs, mine = rate(bare, seconds), rate(ours, seconds)
        else:
            mine, theirs = rate(ours, seconds), rate(bare, seconds)
        best_ours, best_bare = max(best_ours, mine), max(best_bare, theirs)
        ratios.append(theirs / mine)
    return best_ours, best_bare, statistics.median(ratios) - 1


def gm_cases() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    suite = get_suite("gm")
    key = suite.generate_key()
    public = suite.public_key(key)
    signature = suite.sign(key, MESSAGE)
    algorithm = ts_ec.ECDSA(ts_hashes.SM3())
    sym = suite.new_symmetric_key()
    sealed_sym = suite.encrypt(sym, BULK)
    sealed = suite.seal(public, MESSAGE[:32])

    def bare_verify() -> bool:
        try:
            public.verify(signature, MESSAGE, algorithm)
        except TsInvalidSignature:
            return False
        return True

    def bare_encrypt() -> bytes:
        nonce = os.urandom(12)
        return nonce + SM4GCM(sym).encrypt(nonce, BULK, b"")

    return [
        ("sm3 hash 256 B", lambda: suite.hash(MESSAGE), lambda: hashlib.new("sm3", MESSAGE).digest()),
        ("sm2 sign", lambda: suite.sign(key, MESSAGE), lambda: key.sign(MESSAGE, algorithm)),
        ("sm2 verify", lambda: suite.verify(public, MESSAGE, signature), bare_verify),
        ("sm4-gcm encrypt 4 KiB", lambda: suite.encrypt(sym, BULK), bare_encrypt),
        ("sm4-gcm decrypt 4 KiB", lambda: suite.decrypt(sym, sealed_sym), lambda: SM4GCM(sym).decrypt(sealed_sym[:12], sealed_sym[12:], b"")),
        ("sm2 encrypt 32 B", lambda: suite.seal(public, MESSAGE[:32]), lambda: _pkey_crypt(public, MESSAGE[:32], encrypt=True)),
        ("sm2 decrypt 32 B", lambda: suite.open(key, sealed), lambda: _pkey_crypt(key, sealed, encrypt=False)),
    ]


def intl_cases() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    suite = get_suite("intl")
    key = suite.generate_key()
    public = suite.public_key(key)
    signature = suite.sign(key, MESSAGE)
    algorithm = pyca_ec.ECDSA(pyca_hashes.SHA256())
    sym = suite.new_symmetric_key()
    sealed_sym = suite.encrypt(sym, BULK)
    sealed = suite.seal(public, MESSAGE[:32])

    def bare_verify() -> bool:
        try:
            public.verify(signature, MESSAGE, algorithm)
        except PycaInvalidSignature:
            return False
        return True

    def bare_encrypt() -> bytes:
        nonce = os.urandom(12)
        return nonce + AESGCM(sym).encrypt(nonce, BULK, b"")

    recipient = public.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)

    def bare_ecies() -> bytes:
        # The same protocol written straight against pyca (the recipient's point precomputed).
        ephemeral = pyca_ec.generate_private_key(pyca_ec.SECP256R1())
        point = ephemeral.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        shared = ephemeral.exchange(pyca_ec.ECDH(), public)
        okm = HKDF(pyca_hashes.SHA256(), 44, salt=None, info=b"info" + point + recipient).derive(shared)
        return point + AESGCM(okm[:32]).encrypt(okm[32:], MESSAGE[:32], point)

    return [
        ("sha256 hash 256 B", lambda: suite.hash(MESSAGE), lambda: hashlib.sha256(MESSAGE).digest()),
        ("ecdsa-p256 sign", lambda: suite.sign(key, MESSAGE), lambda: key.sign(MESSAGE, algorithm)),
        ("ecdsa-p256 verify", lambda: suite.verify(public, MESSAGE, signature), bare_verify),
        ("aes-256-gcm encrypt 4 KiB", lambda: suite.encrypt(sym, BULK), bare_encrypt),
        ("aes-256-gcm decrypt 4 KiB", lambda: suite.decrypt(sym, sealed_sym), lambda: AESGCM(sym).decrypt(sealed_sym[:12], sealed_sym[12:], b"")),
        ("ecies seal 32 B", lambda: suite.seal(public, MESSAGE[:32]), bare_ecies),
        ("ecies open 32 B", lambda: suite.open(key, sealed), None),
    ]


def codec_cases() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    proposal = {
        "channel": "claims",
        "contract": "health",
        "action": "settle",
        "args": ["P1", "1500.00 CNY", "2024-05-01"],
        "nonce": os.urandom(16),
        "timestamp": 1714521600000,
        "creator": os.urandom(400),
    }
    data = codec.encode(proposal)
    return [
        ("encode proposal", lambda: codec.encode(proposal), lambda: msgpack.packb(proposal)),
        ("decode proposal", lambda: codec.decode(data), lambda: msgpack.unpackb(data)),
    ]


def identity_cases(name: str) -> list[tuple[str, Callable[[], object], None]]:
    from datetime import datetime, timedelta, timezone

    from node.identity import Certificate, ChannelTrust, check_identity
    from node.identity.certificate import issue_certificate, key_identifier
    from node.identity.names import Subject, make_claims

    suite = get_suite(name)
    now = datetime.now(timezone.utc)
    root_key = suite.generate_key()
    subject = Subject("PICC", "PICC CA", "ca")
    public = suite.public_key(root_key)
    common = dict(not_before=now - timedelta(days=1), not_after=now + timedelta(days=30))
    root = Certificate.load(
        issue_certificate(suite, root_key, subject=subject, issuer_name=subject.to_der(), issuer_key_id=key_identifier(suite, public),
                          public_key=public, serial=1, is_ca=True, **common)
    )
    leaf = Certificate.load(
        issue_certificate(suite, root_key, subject=Subject("PICC", "alice", "client"), issuer_name=root.subject_name,
                          issuer_key_id=root.key_id, public_key=suite.public_key(suite.generate_key()), serial=2, is_ca=False,
                          claims=make_claims(["insurer"], {}), **common)
    )
    trust = ChannelTrust.build(name, [root])
    return [
        (f"{name} check_identity (parsed)", lambda: check_identity(leaf, trust, role="insurer"), None),
        (f"{name} check_identity (from DER)", lambda: check_identity(leaf.der, trust, role="insurer"), None),
    ]


def gmssl_cases() -> list[tuple[str, Callable[[], object], None]]:
    from gmssl import sm2

    suite = get_suite("gm")
    key = suite.generate_key()
    numbers = key.private_numbers()
    pub = numbers.public_numbers
    reference = sm2.CryptSM2(private_key=f"{numbers.private_value:064x}", public_key=f"{pub.x:064x}{pub.y:064x}")
    sig = reference.sign_with_sm3(MESSAGE)
    return [("gmssl (pure Python) sm2 verify", lambda: reference.verify_with_sm3(sig, MESSAGE), None)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--time", type=float, default=0.2, help="seconds per timing round")
    parser.add_argument("--suite", choices=["gm", "intl"], help="only this suite (default: both, and the codec)")
    parser.add_argument("--gmssl", action="store_true", help="also time gmssl's pure-Python SM2 verify")
    args = parser.parse_args()

    groups = []
    if args.suite in (None, "gm"):
        groups.append(("gm (Tongsuo via tongsuopy; SM3 via hashlib/OpenSSL)", gm_cases()))
    if args.suite in (None, "intl"):
        groups.append(("intl (pyca/cryptography)", intl_cases()))
    if args.suite is None:
        groups.append(("codec (canonical msgpack vs plain msgpack)", codec_cases()))
    if args.suite is None:
        groups.append(("identity checks (no bare counterpart)", identity_cases("gm") + identity_cases("intl")))
    if args.gmssl:
        groups.append(("reference", gmssl_cases()))

    print(f"{'operation':<32}{'ours/s':>12}{'bare/s':>12}{'overhead':>10}")
    for title, cases in groups:
        print(f"-- {title}")
        for name, ours, bare in cases:
            if bare is None:
                mine = max(rate(ours, args.time) for _ in range(min(args.rounds, 2)))
                print(f"{name:<32}{mine:>12,.0f}{'-':>12}{'-':>10}")
                continue
            mine, theirs, overhead = compare(ours, bare, args.rounds, args.time)
            print(f"{name:<32}{mine:>12,.0f}{theirs:>12,.0f}{overhead * 100:>9.1f}%")


if __name__ == "__main__":
    main()
