"""Transactions on a Baochain channel: their wire formats, signatures, endorsement policies and
validation codes (ARCHITECTURE.md, "A transaction's way").

    client: build_invoke / build_deploy, sign_proposal
        -- signed proposal -->   endorsing peers: verify_proposal, check_identity, simulate, sign_endorsement
        <-- endorsements ----    (one from each organisation that `policy.choose` picked)
    client: verify_endorsement, sign_envelope
        -- envelope -------->    orderer, then every peer: verify_envelope, check_identity,
                                 policy.satisfied, MVCC, ... -> one ValidationCode per transaction

Modules: `proposal`, `approval` (an admin's approval of an upgrade), `response` (the simulation
result), `endorsement`, `envelope`; `signing` (what each signature covers), `policy`, `clock`
(the timestamp window), `codes`, `errors`, `limits` (every bound, with its reason), `wire`
(reading decoded fields).

Every message is encoded by `node.codec` and hashed and signed only through the channel's
`CryptoSuite`. Decoding bytes from the network raises `TxFormatError` (naming the field) and
nothing else; `decode(b)` succeeds only for the one canonical encoding of its value, so
re-encoding a decoded message gives back its bytes. The `verify_*` functions check signatures
against the keys in the certificates; whether those certificates are current identities of
the channel's members is the caller's check (`node.identity.check_identity`).
"""

from node.tx.approval import Approval, approval_message, sign_approval
from node.tx.clock import check_timestamp, now_ms
from node.tx.codes import ValidationCode
from node.tx.endorsement import (
    Endorsement,
    VerifiedEndorsement,
    decode_endorsement,
    sign_endorsement,
    verify_endorsement,
)
from node.tx.envelope import (
    EndorserSignature,
    Envelope,
    VerifiedEnvelope,
    decode_envelope,
    sign_envelope,
    verify_envelope,
)
from node.tx.errors import EndorsementMismatch, SignatureError, TimestampError, TxError, TxFormatError
from node.tx.policy import (
    ALL,
    MAJORITY,
    AllMembers,
    Majority,
    Policy,
    PolicyError,
    Threshold,
    any_of,
    choose,
    eligible_orgs,
    parse_policy,
    policy_text,
    required_count,
    satisfied,
    threshold,
)
from node.tx.proposal import (
    Deploy,
    Invoke,
    Proposal,
    SignedProposal,
    VerifiedProposal,
    build_deploy,
    build_invoke,
    decode_proposal,
    decode_signed_proposal,
    encode_proposal,
    proposal_hash,
    sign_proposal,
    tx_id,
    verify_proposal,
)
from node.tx.response import (
    Aborted,
    Completed,
    EmittedEvent,
    Response,
    ScanRecord,
    StateDelta,
    Version,
    decode_response,
    encode_response,
    scan_digest,
)

__all__ = [
    "ALL", "MAJORITY", "Aborted", "AllMembers", "Approval", "Completed", "Deploy", "EmittedEvent", "Endorsement",
    "EndorsementMismatch", "EndorserSignature", "Envelope", "Invoke", "Majority", "Policy", "PolicyError",
    "Proposal", "Response", "ScanRecord", "SignatureError", "SignedProposal", "StateDelta", "Threshold",
    "TimestampError", "TxError", "TxFormatError", "ValidationCode", "VerifiedEndorsement", "VerifiedEnvelope",
    "VerifiedProposal", "Version", "any_of", "approval_message", "build_deploy", "build_invoke", "check_timestamp",
    "choose", "decode_endorsement", "decode_envelope", "decode_proposal", "decode_response",
    "decode_signed_proposal", "eligible_orgs", "encode_proposal", "encode_response", "now_ms", "parse_policy",
    "policy_text", "proposal_hash", "required_count", "satisfied", "scan_digest", "sign_approval",
    "sign_endorsement", "sign_envelope", "sign_proposal", "threshold", "tx_id", "verify_endorsement",
    "verify_envelope", "verify_proposal",
]
