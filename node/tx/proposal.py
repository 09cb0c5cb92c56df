"""Proposals: what a client asks the channel to run, signed with its certificate's key.

A proposal either invokes an entry of a deployed contract or deploys a contract (Bao source,
which the node compiles, or a module built with `baochain build`) under a name, a version and
an endorsement policy, running its `init` with the arguments. Its wire form (the proposal
bytes, P) is the codec encoding of one map:

    {"format": 1,
     "channel": name, "contract": name,                     -- the contract invoked, or deployed
     "entry": identifier                                    -- invoke: exactly one of entry/deploy
     "deploy": {"version": name, "policy": policy,          -- see node.tx.policy
                "source": text | "module": bytes,           -- exactly one of the two
                "approvals": [[cert, signature], ...]},     -- optional: an upgrade's (node.tx.approval)
     "args": [section-7 JSON value, ...],                   -- the entry's, or init's, arguments
     "nonce": bytes (16..32), "timestamp": int (ms since 1970, UTC),
     "creator": bytes (the creator's certificate, DER), "role": the role it acts in}

A signed proposal (what endorsers receive) is ``{"proposal": P, "signature": S}``, S the
creator's signature over ``[PROPOSAL_TAG, hash(P)]`` (see `node.tx.signing`).

- The proposal hash is the suite hash of P; endorsements name it.
- The tx id is the suite hash of the codec encoding of ``[creator, nonce]``: fixed before
  anything runs, the same on every node, and unforgeable for another creator.
- ``format`` is 1; a later layout takes 2, so no node reads one layout as the other.
- The timestamp is the contract's `now`; its window is checked by `node.tx.clock`.
- A deploy under the name of a deployed contract with another version is an upgrade: it
  carries the approvals of admins of a majority of the channel's members (`node.tx.approval`;
  the rule is `node.chain.upgrade`'s). A deploy without approvals leaves the field out, so
  proposals written before upgrades existed decode, and encode, as they did.
- `encode_proposal` and the builders check what they produce by decoding it, so a client never
  signs a proposal that a node refuses as malformed.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from node import codec
from node.crypto import CryptoSuite
from node.crypto.suite import PrivateKey
from node.identity import Certificate
from node.tx import limits as L
from node.tx import signing, wire
from node.tx.approval import Approval, approvals_from_wire, approvals_to_wire
from node.tx.clock import now_ms
from node.tx.errors import TxFormatError
from node.tx.policy import AllMembers, Majority, Policy, Threshold, parse_policy, policy_from_wire, policy_to_wire
from node.tx.wire import JSONValue

FORMAT = 1


@dataclass(frozen=True, slots=True)
class Invoke:
    """Run the entry ``entry`` (an action or a view) of the proposal's contract."""

    entry: str


@dataclass(frozen=True, slots=True)
class Deploy:
    """Deploy the proposal's contract: exactly one of ``source`` (Bao text) and ``module`` (bytes
    from `baochain build`), under ``version``, with the endorsement policy ``policy``; an upgrade
    of a deployed contract carries its admins' ``approvals``."""

    version: str
    policy: Policy
    source: str | None = None
    module: bytes | None = None
    approvals: tuple[Approval, ...] = ()


@dataclass(frozen=True, slots=True)
class Proposal:
    channel: str
    contract: str
    action: Invoke | Deploy
    args: tuple[JSONValue, ...]
    nonce: bytes
    timestamp_ms: int
    creator: bytes  # the creator's certificate, DER
    role: str


@dataclass(frozen=True, slots=True)
class SignedProposal:
    """A proposal with its bytes exactly as signed and hashed, and the creator's signature."""

    proposal: Proposal
    body: bytes
    signature: bytes


@dataclass(frozen=True, slots=True)
class VerifiedProposal:
    """A signed proposal whose signature verifies with its creator certificate's key. The
    certificate is not yet checked against the channel's trust: that is the caller's step."""

    signed: SignedProposal
    hash: bytes
    tx_id: bytes
    creator: Certificate


# --- the proposal bytes

def proposal_to_wire(p: Proposal) -> dict[str, Any]:
    out: dict[str, Any] = {
        "format": FORMAT, "channel": p.channel, "contract": p.contract, "args": list(p.args),
        "nonce": p.nonce, "timestamp": p.timestamp_ms, "creator": p.creator, "role": p.role,
    }
    match p.action:
        case Invoke(entry):
            out["entry"] = entry
        case Deploy(version, policy, source, module, approvals):
            if not isinstance(policy, (Threshold, AllMembers, Majority)):
                raise TxFormatError("proposal.deploy.policy", f"expected a Policy, got {type(policy).__name__}")
            code: dict[str, Any] = {"version": version, "policy": policy_to_wire(policy)}
            if source is not None:
                code["source"] = source
            if module is not None:
                code["module"] = module
            if approvals:
                code["approvals"] = approvals_to_wire(tuple(approvals))
            out["deploy"] = code
        case other:
            raise TxFormatError("proposal.action", f"expected Invoke or Deploy, got {type(other).__name__}")
    return out


def encode_proposal(p: Proposal) -> bytes:
    """The proposal bytes (P); `TxFormatError` for a proposal a node would refuse."""
    try:
        data = wire.encode(proposal_to_wire(p), "proposal", L.PROPOSAL_MAX_BYTES)
    except TxFormatError:
        for i, arg in enumerate(p.args):  # a value the codec cannot hold is named by its argument
            wire.encode(arg, f"proposal.args[{i}]", L.PROPOSAL_MAX_BYTES)
        raise
    decode_proposal(data)
    return data


def decode_proposal(data: bytes) -> Proposal:
    """The proposal that the proposal bytes P encode."""
    return _DECODED.decoded(data, lambda b: proposal_from_wire(wire.decode(b, "proposal", L.PROPOSAL_MAX_BYTES)))


_DECODED = wire.Memo(4096)


_FIELDS = ("format", "channel", "contract", "args", "nonce", "timestamp", "creator", "role")
_ACTIONS = ("entry", "deploy")
_INVOKE_KEYS = frozenset(_FIELDS + ("entry",))  # an invoke's map holds exactly these: fields and one_of pass


def proposal_from_wire(value: object, where: str = "proposal") -> Proposal:
    # The common forms are checked in line and anything else goes to the `wire` check that names
    # the field (its path is built only then): a node reads every proposal of every block.
    m: dict[str, Any]
    if type(value) is dict and value.keys() == _INVOKE_KEYS:
        m, invoke = value, True
    else:
        m, invoke = wire.fields(value, where, _FIELDS, _ACTIONS), False
    if type(m["format"]) is not int or m["format"] != FORMAT:
        raise TxFormatError(f"{where}.format", f"format {m['format']!r} is not one this node reads ({FORMAT})")
    action: Invoke | Deploy
    if invoke or wire.one_of(m, where, _ACTIONS) == "entry":
        entry = m["entry"]
        if type(entry) is not str or len(entry) > L.IDENTIFIER_MAX_CHARACTERS or not entry.isidentifier():
            entry = wire.identifier(entry, f"{where}.entry")
        action = Invoke(entry)
    else:
        action = _deploy_from_wire(m["deploy"], f"{where}.deploy")
    args = m["args"]
    if type(args) is not list or len(args) > L.ARGS_MAX:
        args = wire.array(args, f"{where}.args", L.ARGS_MAX)
    channel = wire.name(m["channel"], f"{where}.channel", "channel")
    contract = wire.name(m["contract"], f"{where}.contract", "contract")
    values = wire.json_values(args, f"{where}.args")
    nonce = m["nonce"]
    if type(nonce) is not bytes or not L.NONCE_MIN_BYTES <= len(nonce) <= L.NONCE_MAX_BYTES:
        nonce = wire.blob(nonce, f"{where}.nonce", L.NONCE_MIN_BYTES, L.NONCE_MAX_BYTES)
    timestamp = m["timestamp"]
    if type(timestamp) is not int or not 0 <= timestamp <= L.TIMESTAMP_MAX_MS:
        timestamp = wire.counter(timestamp, f"{where}.timestamp", 0, L.TIMESTAMP_MAX_MS)
    creator = m["creator"]
    if type(creator) is not bytes or not 1 <= len(creator) <= L.CERTIFICATE_MAX_BYTES:
        creator = wire.blob(creator, f"{where}.creator", 1, L.CERTIFICATE_MAX_BYTES)
    return Proposal(channel, contract, action, values, nonce, timestamp, creator, wire.role(m["role"], f"{where}.role"))


def _deploy_from_wire(value: object, where: str) -> Deploy:
    m = wire.fields(value, where, ("version", "policy"), ("source", "module", "approvals"))
    version = wire.name(m["version"], f"{where}.version", "version")
    policy = policy_from_wire(m["policy"], f"{where}.policy")
    approvals = approvals_from_wire(m["approvals"], f"{where}.approvals") if "approvals" in m else ()
    if wire.one_of(m, where, ("source", "module")) == "source":
        source = wire.text(m["source"], f"{where}.source", L.CODE_MAX_BYTES)
        if len(source.encode("utf-8")) > L.CODE_MAX_BYTES:
            raise TxFormatError(f"{where}.source", f"more than {L.CODE_MAX_BYTES} bytes of UTF-8")
        return Deploy(version, policy, source=source, approvals=approvals)
    return Deploy(version, policy, module=wire.blob(m["module"], f"{where}.module", 1, L.CODE_MAX_BYTES),
                  approvals=approvals)


def proposal_hash(suite: CryptoSuite, body: bytes) -> bytes:
    """The hash endorsements name: the suite hash of the proposal bytes P."""
    return suite.hash(body)


def tx_id(suite: CryptoSuite, proposal: Proposal) -> bytes:
    """The suite hash of the codec encoding of ``[creator, nonce]``."""
    return suite.hash(codec.encode([proposal.creator, proposal.nonce]))


# --- building and signing (clients)

def new_nonce() -> bytes:
    return secrets.token_bytes(L.NONCE_BYTES)


def build_invoke(
    channel: str, contract: str, entry: str, args: Sequence[JSONValue], *, creator: bytes, role: str,
    timestamp_ms: int | None = None, nonce: bytes | None = None,
) -> Proposal:
    """A proposal to run `entry`; a fresh nonce and this machine's clock unless given. It is
    returned as a node will read it (arrays as lists): what `sign_proposal` signs."""
    p = Proposal(channel, contract, Invoke(entry), tuple(args), nonce if nonce is not None else new_nonce(),
                 now_ms() if timestamp_ms is None else timestamp_ms, creator, role)
    return decode_proposal(encode_proposal(p))


def build_deploy(
    channel: str, name: str, *, version: str, policy: Policy | str, source: str | None = None,
    module: bytes | None = None, init_args: Sequence[JSONValue] = (), creator: bytes, role: str,
    timestamp_ms: int | None = None, nonce: bytes | None = None, approvals: Sequence[Approval] = (),
) -> Proposal:
    """A proposal to deploy contract `name` from `source` or `module` (an upgrade of a deployed
    contract: with its admins' `approvals`); `policy` may be its text (a `PolicyError` then
    points at the column)."""
    if isinstance(policy, str):
        policy = parse_policy(policy)
    given = tuple(Approval(*a) for a in approvals)
    p = Proposal(channel, name, Deploy(version, policy, source, module, given), tuple(init_args),
                 nonce if nonce is not None else new_nonce(), now_ms() if timestamp_ms is None else timestamp_ms,
                 creator, role)
    return decode_proposal(encode_proposal(p))


def sign_proposal(suite: CryptoSuite, key: PrivateKey, proposal: Proposal) -> bytes:
    """The signed proposal's bytes, signed with the creator's `key`, as sent to endorsers."""
    body = encode_proposal(proposal)
    signature = suite.sign(key, signing.signed_message(signing.PROPOSAL_TAG, suite.hash(body)))
    return codec.encode({"proposal": body, "signature": signature})


def decode_signed_proposal(data: bytes) -> SignedProposal:
    """The signed proposal the bytes encode. A node's API reads a JSON call's proposal, then hands
    the same bytes to its endorser: the second reading is the first's (`wire.Memo`)."""
    return _SIGNED.decoded(data, _decode_signed_proposal)


_SIGNED = wire.Memo(4096)


def _decode_signed_proposal(data: bytes) -> SignedProposal:
    m = wire.fields(wire.decode(data, "signed proposal", L.SIGNED_PROPOSAL_MAX_BYTES), "signed proposal",
                    ("proposal", "signature"))
    body = wire.blob(m["proposal"], "proposal", 1, L.PROPOSAL_MAX_BYTES)
    signature = wire.blob(m["signature"], "signature", L.SIGNATURE_MIN_BYTES, L.SIGNATURE_MAX_BYTES)
    return SignedProposal(decode_proposal(body), body, signature)


def verify_proposal(
    suite: CryptoSuite, data: bytes | SignedProposal, *, load_certificate: signing.CertificateLoader = Certificate.load
) -> VerifiedProposal:
    """Decode a signed proposal and check its signature with its creator certificate's key:
    `TxFormatError` for malformed bytes (an unreadable certificate included), `SignatureError`
    for a signature that does not verify. Identity and membership are the caller's to check
    (`check_identity(result.creator, trust, role=proposal.role)`)."""
    signed = data if isinstance(data, SignedProposal) else decode_signed_proposal(data)
    creator = signing.signer(suite, signed.proposal.creator, "proposal.creator", load_certificate)
    digest = suite.hash(signed.body)
    signing.check(suite, creator, signing.signed_message(signing.PROPOSAL_TAG, digest), signed.signature, "signature")
    return VerifiedProposal(signed, digest, tx_id(suite, signed.proposal), creator)
