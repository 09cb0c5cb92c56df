"""Envelopes: a proposal with its endorsements, signed by its creator, as submitted for ordering.

Wire form (the codec encoding of one map):

    {"proposal": P,                                    -- the proposal bytes (node.tx.proposal)
     "response": R,                                    -- the response bytes every endorser signed
     "endorsements": [[endorser certificate, endorser's signature], ...],   -- 1 to 64, distinct
     "signature": S}                                   -- the creator's

S is the creator's signature over ``[ENVELOPE_TAG, hash(P), hash(R), endorsements]`` (see
`node.tx.signing`), so nobody on the way to the orderer can swap the endorsements or the result;
each endorser's signature covers ``[ENDORSEMENT_TAG, hash(R), its certificate]``, the same
message it signed when it answered the client (`node.tx.endorsement`).

Why the result travels once: endorsements of one transaction must agree on the result (else
no single set of writes can be applied), so `sign_envelope` refuses endorsements whose response
bytes differ, and the envelope holds R once instead of once per endorser.

`verify_envelope` checks every signature and that R names this P; it does not decide whether
the creator and endorsers are current member identities, nor whether the endorsers' organisations
meet the contract's policy (`node.tx.policy.satisfied`): the validator does, with the
certificates it returns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from node.crypto import CryptoSuite
from node.crypto.suite import PrivateKey
from node.identity import Certificate
from node.tx import limits as L
from node.tx import signing, wire
from node.tx.endorsement import Endorsement, endorsement_message
from node.tx.errors import EndorsementMismatch, SignatureError, TxFormatError
from node.tx.proposal import Proposal, SignedProposal, decode_proposal, encode_proposal, tx_id
from node.tx.response import Response, decode_response


@dataclass(frozen=True, slots=True)
class EndorserSignature:
    endorser: bytes  # the endorser's certificate, DER
    signature: bytes


@dataclass(frozen=True, slots=True)
class Envelope:
    proposal: Proposal
    proposal_bytes: bytes  # P, exactly as hashed and signed
    response: Response
    response_bytes: bytes  # R, exactly as hashed and signed
    endorsements: tuple[EndorserSignature, ...]
    signature: bytes


@dataclass(frozen=True, slots=True)
class VerifiedEnvelope:
    """An envelope whose signatures all verify; the certificates are not yet checked against
    the channel's trust (``endorsers`` in the envelope's order)."""

    envelope: Envelope
    tx_id: bytes
    proposal_hash: bytes
    response_hash: bytes
    creator: Certificate
    endorsers: tuple[Certificate, ...]


def envelope_message(proposal_hash: bytes, response_hash: bytes, endorsements: Sequence[EndorserSignature]) -> bytes:
    """What the creator signs: ``[ENVELOPE_TAG, hash(P), hash(R), [[endorser, signature], ...]]``."""
    listed = [[e.endorser, e.signature] for e in endorsements]
    return signing.signed_message(signing.ENVELOPE_TAG, proposal_hash, response_hash, listed)


def sign_envelope(
    suite: CryptoSuite, key: PrivateKey, proposal: Proposal | SignedProposal, endorsements: Sequence[Endorsement]
) -> bytes:
    """The envelope's bytes, signed with the creator's `key`: `EndorsementMismatch` when the
    endorsements disagree on the result or endorse another proposal (simulate again), and
    `TxFormatError` for none, too many, or one endorser twice."""
    body = proposal.body if isinstance(proposal, SignedProposal) else encode_proposal(proposal)
    if not endorsements:
        raise TxFormatError("endorsements", "an envelope needs at least one endorsement")
    first = endorsements[0]
    digest = suite.hash(body)
    for i, e in enumerate(endorsements):
        if e.response_bytes != first.response_bytes:
            raise EndorsementMismatch(f"endorsements[{i}] reports another result than endorsements[0]: "
                                      "the endorsers saw different state")
    if first.response.proposal_hash != digest:
        raise EndorsementMismatch("the endorsements are for another proposal")
    signed = tuple(EndorserSignature(e.endorser, e.signature) for e in endorsements)
    _check_endorsers(signed)
    signature = suite.sign(key, envelope_message(digest, suite.hash(first.response_bytes), signed))
    out = {"proposal": body, "response": first.response_bytes,
           "endorsements": [[e.endorser, e.signature] for e in signed], "signature": signature}
    return wire.encode(out, "envelope", L.ENVELOPE_MAX_BYTES)


def envelope_to_wire(e: Envelope) -> dict[str, Any]:
    return {"proposal": e.proposal_bytes, "response": e.response_bytes,
            "endorsements": [[x.endorser, x.signature] for x in e.endorsements], "signature": e.signature}


def decode_envelope(data: bytes) -> Envelope:
    """The envelope the bytes encode. A node reads each envelope it admitted again when it
    validates its block: the second reading is the first's (`wire.Memo`)."""
    return _DECODED.decoded(data, _decode_envelope)


_DECODED = wire.Memo(4096)


_FIELDS = ("proposal", "response", "endorsements", "signature")
_KEYS = frozenset(_FIELDS)


def _decode_envelope(data: bytes) -> Envelope:
    m = wire.decode(data, "envelope", L.ENVELOPE_MAX_BYTES)
    if type(m) is not dict or m.keys() != _KEYS:  # exactly its fields: nothing to name
        m = wire.fields(m, "envelope", _FIELDS)
    proposal_bytes = wire.blob(m["proposal"], "envelope.proposal", 1, L.PROPOSAL_MAX_BYTES)
    response_bytes = wire.blob(m["response"], "envelope.response", 1, L.RESPONSE_MAX_BYTES)
    signature = wire.blob(m["signature"], "envelope.signature", L.SIGNATURE_MIN_BYTES, L.SIGNATURE_MAX_BYTES)
    listed = wire.array(m["endorsements"], "envelope.endorsements", L.ENDORSEMENTS_MAX)
    endorsements = []
    for i, item in enumerate(listed):
        if (type(item) is list and len(item) == 2 and type(cert := item[0]) is bytes
                and 1 <= len(cert) <= L.CERTIFICATE_MAX_BYTES and type(sig := item[1]) is bytes
                and L.SIGNATURE_MIN_BYTES <= len(sig) <= L.SIGNATURE_MAX_BYTES):
            endorsements.append(EndorserSignature(cert, sig))  # the common form, checked in line
        else:
            endorsements.append(_endorser_signature(item, f"envelope.endorsements[{i}]"))
    _check_endorsers(endorsements, "envelope.endorsements")
    return Envelope(decode_proposal(proposal_bytes), proposal_bytes, decode_response(response_bytes), response_bytes,
                    tuple(endorsements), signature)


def _endorser_signature(item: object, where: str) -> EndorserSignature:
    pair = wire.array(item, where, 2)
    if len(pair) != 2:
        raise TxFormatError(where, "expected [endorser certificate, signature]")
    return EndorserSignature(
        wire.blob(pair[0], f"{where}[0]", 1, L.CERTIFICATE_MAX_BYTES),
        wire.blob(pair[1], f"{where}[1]", L.SIGNATURE_MIN_BYTES, L.SIGNATURE_MAX_BYTES),
    )


def _check_endorsers(endorsements: Sequence[EndorserSignature], where: str = "endorsements") -> None:
    if not endorsements:
        raise TxFormatError(where, "an envelope needs at least one endorsement")
    if len(endorsements) > L.ENDORSEMENTS_MAX:
        raise TxFormatError(where, f"{len(endorsements)} endorsements; at most {L.ENDORSEMENTS_MAX}")
    seen: dict[bytes, int] = {}
    for i, e in enumerate(endorsements):
        if e.endorser in seen:
            raise TxFormatError(f"{where}[{i}]", f"the same endorser as {where}[{seen[e.endorser]}]")
        seen[e.endorser] = i


def verify_envelope(
    suite: CryptoSuite, data: bytes | Envelope, *, load_certificate: signing.CertificateLoader = Certificate.load
) -> VerifiedEnvelope:
    """Decode an envelope and check that its result names its proposal, the creator's signature
    and every endorser's: `TxFormatError` for malformed bytes (an unreadable certificate
    included), `SignatureError` naming the first signature that fails."""
    env = data if isinstance(data, Envelope) else decode_envelope(data)
    p_hash, r_hash = suite.hash(env.proposal_bytes), suite.hash(env.response_bytes)
    if env.response.proposal_hash != p_hash:
        raise SignatureError("envelope.response.proposal", "the endorsements are for another proposal")
    creator = signing.signer(suite, env.proposal.creator, "envelope.proposal.creator", load_certificate)
    signing.check(suite, creator, envelope_message(p_hash, r_hash, env.endorsements), env.signature,
                  "envelope.signature")
    endorsers = []
    for i, e in enumerate(env.endorsements):
        where = f"envelope.endorsements[{i}]"
        endorser = signing.signer(suite, e.endorser, f"{where}[0]", load_certificate)
        signing.check(suite, endorser, endorsement_message(r_hash, e.endorser), e.signature,
                      f"{where}[1]")
        endorsers.append(endorser)
    return VerifiedEnvelope(env, tx_id(suite, env.proposal), p_hash, r_hash, creator, tuple(endorsers))
