"""Upgrades: a deployed contract moves to a new version when admins of a majority of the channel's
member organisations approve. One rule, checked twice: by each endorser against the state it
simulates on and its clock, and by every peer at validation against the configuration in force
at the transaction's place in the block and the block's time (`node.chain.validator`), so that an
admin revoked, or a member gone, between the two counts for nothing.

A deploy proposal (`node.tx.proposal.Deploy`) is an upgrade when a contract of its name is
deployed. It goes through when:

- its version is none the contract has had (the current one, or one in its history): a version
  is used once, so an approval can never be replayed to roll a contract back (refused as
  "exists"; CONTRACT_EXISTS at validation);
- its approvals (`node.tx.approval`) each verify with an admin certificate (identity type admin)
  that is current under the channel's trust, over ``[UPGRADE_TAG, channel, contract, version,
  module hash, policy]`` with the module hash of the code being deployed: the suite hash of the
  module bytes (received, or compiled from the source by the node);
- and those admins belong to more than half of the channel's member organisations (one admin
  per organisation counts; regulators' organisations are members and count like the others).

Any approval that fails (not a certificate, not a current identity, not an admin, a signature
over something else) refuses the upgrade with its position named: a client that gathered a bad
approval learns which one, rather than a count that falls short for no visible reason.

What an upgrade does (`node.chain.endorser`): the contract's record takes the new version,
module and policy, and its history gains the entry (version, module hash, block). No init runs,
and the contract's state is kept as it is, under the same key prefix (its name): the new
module reads what the old one wrote. Whether the new module's state variables fit the old
ones' values is the contract author's business, as with any schema change: the node checks the
new module (it compiles and passes the verifier) but not that it agrees with the state it
inherits. The VM addresses state variables by their position in the ``state:`` block
(`vm.module`), so a new version keeps the old variables in place, in order and type; adding
views and actions is safe; a Map added at the end starts empty; a scalar added at the end holds
nothing until an action writes it (no init runs, so its default is never written).

The endorsement policy that applies is the new one, as for a first deploy: the admins'
approvals authorise the change, the endorsers attest to its result.
"""

from __future__ import annotations

from datetime import datetime

from node.chain.config import ChannelConfig
from node.chain.update import ADMIN_TYPE
from node.crypto import CryptoSuite
from node.identity import Certificate, CertificateError, IdentityRefused, check_identity
from node.tx.approval import approval_message
from node.tx.policy import MAJORITY, policy_text, required_count
from node.tx.proposal import Deploy


class UpgradeRefused(ValueError):
    """An upgrade that may not happen (the message says why)."""


def check_upgrade(config: ChannelConfig, suite: CryptoSuite, contract: str, deploy: Deploy, module_hash: bytes,
                  at: datetime) -> set[str]:
    """The organisations whose admins approved upgrading ``contract`` as ``deploy`` says, to the
    module of hash ``module_hash``; `UpgradeRefused` when they are too few or an approval fails."""
    if not deploy.approvals:
        raise UpgradeRefused(f"{contract} is deployed on {config.name}; an upgrade to version {deploy.version} "
                             f"needs the approvals of admins of {_need(config)}, and the proposal carries none")
    message = approval_message(config.name, contract, deploy.version, module_hash, deploy.policy)
    trust = config.trust()
    orgs: set[str] = set()
    for i, (der, signature) in enumerate(deploy.approvals):
        where = f"approval {i + 1}"
        try:
            who = check_identity(Certificate.load(der), trust, at=at)
        except (CertificateError, IdentityRefused) as exc:
            raise UpgradeRefused(f"{where}: {exc}") from None
        if who.type != ADMIN_TYPE:
            raise UpgradeRefused(f"{where}: {who.name} of {who.org} is a {who.type}, not an admin")
        if not who.verify_signature(message, signature):
            raise UpgradeRefused(f"{where}: the signature of {who.name} of {who.org} is not over this upgrade "
                                 f"({contract} version {deploy.version}, module {module_hash.hex()[:16]}..., policy "
                                 f"'{policy_text(deploy.policy)}' on {config.name}): it approves another version, "
                                 "module, policy or channel")
        orgs.add(who.org)
    need = required_count(MAJORITY, config.members)
    if len(orgs) < need:
        raise UpgradeRefused(f"approved by admins of {', '.join(sorted(orgs))}: {len(orgs)} of {len(config.members)} "
                             f"member organisations; an upgrade needs {need}")
    return orgs


def _need(config: ChannelConfig) -> str:
    n = len(config.members)
    return f"{required_count(MAJORITY, config.members)} of its {n} member organisation" + ("s" if n != 1 else "")
