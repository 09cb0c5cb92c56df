"""Upgrading a deployed contract, as a client does it: admins approve one build, one of them
submits it with the approvals (the rule the channel applies is `node.chain.upgrade`'s).

    a2 = approve(admin_of_org2, "claims", "ledger", "2", module_bytes, "majority")
    a3 = approve(admin_of_org3, "claims", "ledger", "2", module_bytes, "majority")
    done = gateway.network("claims").upgrade(module_bytes, "ledger", "2", "majority", [a2, a3])

An approval (`node.tx.approval`) signs the channel, the contract, the version, the suite hash of
the module bytes and the policy. Admins who are not where the upgrade is submitted write their
approval to a file (`write_approval_file`) and hand it over; `read_approval_file` reads it
back, and `check_matches` says precisely which part differs when it approves another upgrade
than the one being submitted.

Approval file (JSON, one object; binary values base64):

    {"format": 1, "approval": "baochain contract upgrade",
     "channel": CH, "contract": NAME, "version": V, "module": module hash (hex), "policy": text,
     "admin": "NAME@ORG", "certificate": the admin's certificate (DER), "signature": S}

The file names the upgrade in words as well as in the signature, so that a person can see what
was approved, and a mismatch is named before anything is sent: the signature alone decides at
the nodes.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from node.client.errors import ClientError
from node.client.wallet import Identity
from node.crypto import CryptoSuite
from node.tx.approval import Approval, sign_approval
from node.tx.policy import Policy, PolicyError, parse_policy, policy_text

if TYPE_CHECKING:
    from node.client.session import ChannelSession as Network
    from node.client.results import Committed

FILE_FORMAT = 1
FILE_KIND = "baochain contract upgrade"
FILE_MAX_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class UpgradeTerms:
    """What an approval approves: the upgrade of ``contract`` on ``channel`` to ``version`` with the
    module of hash ``module`` (hex) and the endorsement policy ``policy`` (its canonical text)."""

    channel: str
    contract: str
    version: str
    module: str
    policy: str

    @classmethod
    def of(cls, suite: CryptoSuite, channel: str, contract: str, version: str, module: bytes,
           policy: str | Policy) -> UpgradeTerms:
        return cls(channel, contract, version, suite.hash(module).hex(), policy_text(_policy(policy)))


def _policy(policy: str | Policy) -> Policy:
    if not isinstance(policy, str):
        return policy
    try:
        return parse_policy(policy)
    except PolicyError as exc:
        raise ClientError(f"policy {policy!r}: {exc}") from None


def approve(identity: Identity, channel: str, name: str, version: str, module_bytes: bytes,
            policy: str | Policy) -> Approval:
    """``identity``'s approval of upgrading contract ``name`` on ``channel`` to ``version`` with the
    module ``module_bytes`` (as `baochain build` writes it) and the endorsement ``policy``. It
    counts at the nodes only if ``identity`` is an admin of a member organisation."""
    if identity.certificate.subject.type != "admin":
        raise ClientError(f"{identity.label} is a {identity.certificate.subject.type}; only an organisation's "
                          "admin approves upgrades")
    return sign_approval(identity.suite, identity.key, identity.der, channel=channel, contract=name, version=version,
                         module=module_bytes, policy=_policy(policy))


def upgrade(network: Network, source_or_module: str | bytes | Path, name: str, version: str,
            policy: str | Policy | None, approvals: Sequence[Approval | tuple[bytes, bytes]],
            role: str | None = None) -> Committed:
    """Deploy ``source_or_module`` as version ``version`` of the deployed contract ``name`` with
    ``approvals``; ``policy`` None keeps the contract's current endorsement policy."""
    from node.client.transact import deploy

    if policy is None:
        policy = network.contract(name).policy()
    text = policy_text(_policy(policy))
    given = [a if isinstance(a, Approval) else Approval(*a) for a in approvals]
    return deploy(network, source_or_module, name, version, text, (), role, approvals=given)


def write_approval_file(path: Path, identity: Identity, terms: UpgradeTerms, approval: Approval) -> None:
    """Write ``approval`` (of ``terms``, by ``identity``) to a new file ``path``."""
    record = {"format": FILE_FORMAT, "approval": FILE_KIND, "channel": terms.channel, "contract": terms.contract,
              "version": terms.version, "module": terms.module, "policy": terms.policy, "admin": identity.label,
              "certificate": base64.b64encode(approval.certificate).decode("ascii"),
              "signature": base64.b64encode(approval.signature).decode("ascii")}
    try:
        with open(path, "x", encoding="utf-8") as out:
            out.write(json.dumps(record, ensure_ascii=False, indent=2) + "\n")
    except FileExistsError:
        raise ClientError(f"{path} exists: remove it or write the approval to another file") from None
    except OSError as exc:
        raise ClientError(f"{path}: cannot write the approval: {exc.strerror or exc}") from None


def read_approval_file(path: Path) -> tuple[UpgradeTerms, str, Approval]:
    """The terms an approval file approves, the admin it names, and the approval."""
    try:
        with open(path, "rb") as f:
            data = f.read(FILE_MAX_BYTES + 1)
    except OSError as exc:
        raise ClientError(f"{path}: cannot read the approval: {exc.strerror or exc}") from None
    if len(data) > FILE_MAX_BYTES:
        raise ClientError(f"{path}: over {FILE_MAX_BYTES} bytes: not an approval file")
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise ClientError(f"{path}: not JSON: not an approval file (`baochain contract approve` writes them)") \
            from None
    if not isinstance(value, dict) or value.get("approval") != FILE_KIND or value.get("format") != FILE_FORMAT:
        raise ClientError(f"{path}: not an approval file of format {FILE_FORMAT} "
                          "(`baochain contract approve` writes them)")
    try:
        terms = UpgradeTerms(*(_text(value, path, k) for k in ("channel", "contract", "version", "module", "policy")))
        return terms, _text(value, path, "admin"), Approval(_b64(value, path, "certificate"),
                                                            _b64(value, path, "signature"))
    except KeyError as exc:
        raise ClientError(f"{path}: the approval lacks its {exc.args[0]!r} field") from None


def check_matches(path: Path | str, found: UpgradeTerms, wanted: UpgradeTerms) -> None:
    """`ClientError` naming each part in which the approval ``found`` differs from ``wanted``."""
    differ = [f"{k} {getattr(found, k)!r} (not {getattr(wanted, k)!r})" for k in
              ("channel", "contract", "version", "module", "policy") if getattr(found, k) != getattr(wanted, k)]
    if differ:
        raise ClientError(f"{path} approves another upgrade: its " + ", ".join(differ)
                          + (" (the module differs: was it approved from another build or source?)"
                             if found.module != wanted.module else ""))


def _text(value: dict[str, Any], path: Path, key: str) -> str:
    found = value[key]
    if not isinstance(found, str):
        raise ClientError(f"{path}: the approval's {key!r} is not text")
    return found


def _b64(value: dict[str, Any], path: Path, key: str) -> bytes:
    try:
        return base64.b64decode(_text(value, path, key), validate=True)
    except (binascii.Error, ValueError):
        raise ClientError(f"{path}: the approval's {key!r} is not base64") from None
