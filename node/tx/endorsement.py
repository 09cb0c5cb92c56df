"""Endorsements: an endorser's signed statement of what a proposal did on its state.

Wire form: ``{"endorser": certificate (DER), "response": R, "signature": S}`` where R is the
response bytes (`node.tx.response`: the proposal's hash and the simulation result) and S the
endorser's signature over ``[ENDORSEMENT_TAG, hash(R), endorser]`` (see `node.tx.signing`).

Endorsers that saw the same state produce identical R, so an envelope carries R once and
each endorsement as just its endorser and signature: the signature covers R through its
hash, so it checks the same inside the envelope as on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from node import codec
from node.crypto import CryptoSuite
from node.crypto.suite import PrivateKey
from node.identity import Certificate
from node.tx import limits as L
from node.tx import signing, wire
from node.tx.errors import SignatureError
from node.tx.response import Response, decode_response, encode_response


@dataclass(frozen=True, slots=True)
class Endorsement:
    endorser: bytes  # the endorser's certificate, DER
    response: Response
    response_bytes: bytes  # R, exactly as signed and hashed
    signature: bytes


@dataclass(frozen=True, slots=True)
class VerifiedEndorsement:
    """An endorsement whose signature verifies with its endorser certificate's key. The
    certificate is not yet checked against the channel's trust: that is the caller's step."""

    endorsement: Endorsement
    response_hash: bytes
    endorser: Certificate


def endorsement_message(response_hash: bytes, endorser: bytes) -> bytes:
    """What an endorser signs: ``[ENDORSEMENT_TAG, hash(R), endorser]``."""
    return signing.signed_message(signing.ENDORSEMENT_TAG, response_hash, endorser)


def sign_endorsement(suite: CryptoSuite, key: PrivateKey, endorser: bytes, response: Response) -> bytes:
    """The endorsement's bytes, as an endorser returns them to the client. `TxFormatError` when
    the result is one a node would refuse (too large, a malformed value): the endorser reports
    the proposal as not endorsable rather than sign it."""
    wire.blob(endorser, "endorser", 1, L.CERTIFICATE_MAX_BYTES)
    body = encode_response(response)
    signature = suite.sign(key, endorsement_message(suite.hash(body), endorser))
    return codec.encode({"endorser": endorser, "response": body, "signature": signature})


def decode_endorsement(data: bytes) -> Endorsement:
    m = wire.fields(wire.decode(data, "endorsement", L.ENDORSEMENT_MAX_BYTES), "endorsement",
                    ("endorser", "response", "signature"))
    endorser = wire.blob(m["endorser"], "endorsement.endorser", 1, L.CERTIFICATE_MAX_BYTES)
    body = wire.blob(m["response"], "endorsement.response", 1, L.RESPONSE_MAX_BYTES)
    signature = wire.blob(m["signature"], "endorsement.signature", L.SIGNATURE_MIN_BYTES, L.SIGNATURE_MAX_BYTES)
    return Endorsement(endorser, decode_response(body), body, signature)


def verify_endorsement(
    suite: CryptoSuite,
    data: bytes | Endorsement,
    *,
    proposal_hash: bytes | None = None,
    load_certificate: signing.CertificateLoader = Certificate.load,
) -> VerifiedEndorsement:
    """Decode an endorsement and check its signature with its endorser certificate's key, and,
    given `proposal_hash`, that it endorses that proposal (a client checks the answers it gets).
    `TxFormatError` for malformed bytes, `SignatureError` for a signature that does not verify
    or a different proposal. Whether the endorser is a current member identity, and which
    organisation it counts for, is the caller's to check with `check_identity`."""
    e = data if isinstance(data, Endorsement) else decode_endorsement(data)
    if proposal_hash is not None and e.response.proposal_hash != proposal_hash:
        raise SignatureError("endorsement.response.proposal", "endorses another proposal")
    endorser = signing.signer(suite, e.endorser, "endorsement.endorser", load_certificate)
    digest = suite.hash(e.response_bytes)
    signing.check(suite, endorser, endorsement_message(digest, e.endorser), e.signature, "endorsement.signature")
    return VerifiedEndorsement(e, digest, endorser)
