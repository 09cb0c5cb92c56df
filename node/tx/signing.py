"""What a signature in a transaction covers, and how one is checked against a certificate.

Every signature of this layer is made and checked by the channel's suite (`CryptoSuite.sign`,
`.verify`) over the codec encoding of a short list: a domain tag, then the suite hashes of the
large parts and the small parts themselves:

    proposal      [PROPOSAL_TAG,    hash(proposal bytes)]
    endorsement   [ENDORSEMENT_TAG, hash(response bytes), endorser certificate]
    envelope      [ENVELOPE_TAG,    hash(proposal bytes), hash(response bytes), [[endorser, signature], ...]]
    approval      [UPGRADE_TAG,     channel, contract, version, hash(module bytes), policy wire form]
                  (an admin's approval of an upgrade, `node.tx.approval`)

Why: the tag makes a signature for one kind of message worthless as another kind (the same keys
also sign API requests), and signing hashes rather than the parts lets a validator hash the
proposal and the result once per transaction (it needs both hashes anyway) however many
signatures cover them. An endorsement signs its endorser's certificate too, so it cannot be
passed off under another certificate of the same key.

A node checks some signatures twice: a proposal's when its API takes it and again when it
endorses it, an envelope's three when it admits the envelope and again when it validates its
block. `check` keeps the last `VERIFIED_KEPT` signatures that verified, by (certificate, message,
signature): verification is a function of those three alone, so the second check may be the
first's answer. Only successes are kept (a failure is rare, and recomputed); the message is
the exact bytes signed, so nothing but the same signature over the same bytes by the same
certificate's key meets a kept entry.

Checking a signature needs the signer's key, which its certificate holds. Which certificates
may sign (a member's, current, not revoked, holding the role) is not decided here: the caller
runs `node.identity.check_identity` against the channel's trust at the current height on the
certificates that `verify_*` return.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from node import codec
from node.crypto import CryptoSuite
from node.identity import Certificate, CertificateError
from node.tx.errors import SignatureError, TxFormatError
from node.recent import Recent

PROPOSAL_TAG = "baochain/proposal/1"
ENDORSEMENT_TAG = "baochain/endorsement/1"
ENVELOPE_TAG = "baochain/envelope/1"
UPGRADE_TAG = "baochain/upgrade/1"

CertificateLoader = Callable[[bytes], Certificate]

VERIFIED_KEPT = 16_384  # about 5,000 transactions' signatures: an admitted envelope is validated well within that
_verified: Recent[tuple[bytes, bytes, bytes], None] = Recent(VERIFIED_KEPT)  # put from the client library's threads too


def signed_message(tag: str, *parts: Any) -> bytes:
    """The bytes a signature of kind `tag` covers (parts are already-checked codec values)."""
    return codec.encode([tag, *parts])


def signer(suite: CryptoSuite, der: bytes, where: str, load: CertificateLoader = Certificate.load) -> Certificate:
    """The certificate `der` (loaded by `load`, so a node may pass a cache), with a key of `suite`."""
    try:
        certificate = load(der)
    except CertificateError as exc:
        raise TxFormatError(where, str(exc)) from None
    if certificate.suite_name != suite.name:
        raise SignatureError(where, f"a {certificate.suite_name} certificate cannot sign on a {suite.name} channel")
    return certificate


def check(suite: CryptoSuite, certificate: Certificate, message: bytes, signature: bytes, where: str) -> None:
    """`SignatureError` unless ``signature`` is ``certificate``'s key's over ``message`` (by the suite
    the certificate names: `signer` checked it is ``suite``)."""
    seen = (certificate.der, message, signature)
    if seen in _verified:
        return
    if not suite.verify(certificate.public_key, message, signature):
        who = f"{certificate.subject.name!r} of {certificate.subject.org!r}"
        raise SignatureError(where, f"not a signature of {who}'s key over this message")
    _verified.put(seen, None)
