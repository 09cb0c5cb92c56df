"""Upgrade approvals: an admin's signature that lets a deployed contract move to a new version.

A contract deployed on a channel is upgraded by a deploy proposal under its name with another
version (`node.tx.proposal.Deploy`). Such a proposal carries approvals, each an admin's
certificate and signature, and goes through only when admins of a majority of the channel's
member organisations approve (the rule is `node.chain.upgrade`'s; this module is the wire).

What an approval signs (`node.tx.signing`'s convention, the channel's suite):

    [UPGRADE_TAG, channel, contract, version, hash(module bytes), policy wire form]

Choices, each with its reason:
- The module is named by the suite hash of its bytes, as the ledger names it
  (`node.chain.contracts`): for a source deploy, the bytes the node compiles the source to (the
  compiler is deterministic, so the approver compiles it too and gets the same bytes). An admin
  approves exactly one build, never "whatever this source compiles to on some node".
- The policy is signed too: a new version may change who endorses the contract, and that is as
  much the admins' business as its code.
- The channel is signed, so an approval for one channel is worthless on another; the tag makes
  it worthless as any other kind of signature (the same keys sign API requests and proposals).
- The version replaced is not signed, nor a time: an approval says "this build, as version V,
  with this policy, is fine". It cannot be replayed, because a contract never takes a version
  it has had before (its history lists them); and it counts only while its admin's certificate
  is current under the channel's trust, which a CRL ends.

Wire form inside a deploy proposal: ``"approvals": [[admin certificate DER, signature], ...]``,
1 to `APPROVALS_MAX` pairs, in the order the client gathered them. A deploy with no approvals
omits the field (an empty list is refused: one value, one encoding), so proposals written
before approvals existed decode as they did.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from node.crypto import CryptoSuite
from node.crypto.suite import PrivateKey
from node.tx import limits as L
from node.tx import signing, wire
from node.tx.errors import TxFormatError
from node.tx.policy import Policy, policy_to_wire

UPGRADE_TAG = signing.UPGRADE_TAG
# One approval per member organisation is all a majority needs; a consortium is at most the
# organisations a policy may name.
APPROVALS_MAX = L.POLICY_ORGS_MAX


class Approval(NamedTuple):
    """An admin's approval of an upgrade: its certificate (DER) and its signature."""

    certificate: bytes
    signature: bytes


def approval_message(channel: str, contract: str, version: str, module_hash: bytes, policy: Policy) -> bytes:
    """The bytes an approval signs (see the module docstring)."""
    return signing.signed_message(UPGRADE_TAG, channel, contract, version, module_hash, policy_to_wire(policy))


def sign_approval(suite: CryptoSuite, key: PrivateKey, certificate: bytes, *, channel: str, contract: str,
                  version: str, module: bytes, policy: Policy) -> Approval:
    """An approval of deploying ``module`` (its bytes) as ``contract`` version ``version`` with
    ``policy`` on ``channel``, signed with ``key`` (the admin's, whose certificate is given)."""
    message = approval_message(channel, contract, version, suite.hash(module), policy)
    return Approval(certificate, suite.sign(key, message))


def approvals_to_wire(approvals: tuple[Approval, ...]) -> list[list[bytes]]:
    return [[a.certificate, a.signature] for a in approvals]


def approvals_from_wire(value: Any, where: str) -> tuple[Approval, ...]:
    items = wire.array(value, where, APPROVALS_MAX)
    if not items:
        raise TxFormatError(where, "an empty list of approvals is written by leaving the field out")
    out = []
    for i, item in enumerate(items):
        pair = wire.array(item, f"{where}[{i}]", 2)
        if len(pair) != 2:
            raise TxFormatError(f"{where}[{i}]", "expected [certificate, signature]")
        out.append(Approval(wire.blob(pair[0], f"{where}[{i}][0]", 1, L.CERTIFICATE_MAX_BYTES),
                            wire.blob(pair[1], f"{where}[{i}][1]", L.SIGNATURE_MIN_BYTES, L.SIGNATURE_MAX_BYTES)))
    return tuple(out)
