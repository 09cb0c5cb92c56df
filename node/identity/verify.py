"""Identity checks for nodes: is this certificate a current member identity of the channel?

`check_identity` answers with a `VerifiedIdentity` or raises `IdentityRefused`, whose `reason`
says precisely why (a `Refusal`), so the validation path can record it as a validation code.
A member identity is issued directly by one of the channel's member roots (each organisation's
CA signs its identities with its root key; there are no intermediate CAs).
"""

from __future__ import annotations

from node.identity.errors import IdentityError

import enum
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Sequence

from node.identity.certificate import Certificate, CertificateError
from node.identity.crl import RevocationList
from node.identity.names import REGULATOR_ROLE
from node.recent import Recent


ACCEPTED_KEPT = 4096  # identities a channel's trust remembers accepting (`ChannelTrust.accepted`)


class Refusal(enum.Enum):
    MALFORMED = "malformed certificate"
    WRONG_SUITE = "certificate of another crypto suite"
    UNKNOWN_ISSUER = "unknown issuer"
    BAD_SIGNATURE = "bad signature"
    NOT_AN_IDENTITY = "a CA certificate is not a member identity"
    KEY_USAGE = "key usage excludes signing"
    NOT_YET_VALID = "not yet valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    ROLE_NOT_HELD = "role not held"


class TrustError(IdentityError, ValueError):
    """A channel's member roots or CRLs that cannot be trusted as given."""


class IdentityRefused(IdentityError):
    def __init__(self, reason: Refusal, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True, slots=True)
class VerifiedIdentity:
    org: str
    name: str
    type: str
    roles: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]
    serial: int
    not_after: datetime
    certificate: Certificate = field(repr=False, compare=False)
    issued_by_regulator: bool = False  # its root is one the channel names as a regulator's CA

    @property
    def is_regulator(self) -> bool:
        # The type and role alone are claims any member CA could write into a certificate.
        return self.issued_by_regulator and self.type == "regulator" and REGULATOR_ROLE in self.roles

    def verify_signature(self, data: bytes, signature: bytes) -> bool:
        """Whether this identity's key made `signature` over `data` (in its certificate's suite)."""
        return self.certificate.suite.verify(self.certificate.public_key, data, signature)

    def may_audit(self, channel_orgs: frozenset[str] | set[str]) -> bool:
        """Regulators read every channel their own organisation is a member of."""
        return self.is_regulator and self.org in channel_orgs


@dataclass(frozen=True, slots=True)
class ChannelTrust:
    """A channel's member roots and their current CRLs, indexed for lookups."""

    suite_name: str
    roots: dict[tuple[bytes, bytes], Certificate]  # (subject name DER, key id) -> root
    revoked: dict[bytes, frozenset[int]]  # root key id -> revoked serials
    regulator_orgs: frozenset[str] = frozenset()  # organisations whose CAs issue regulator identities
    # Identities `check_identity` accepted under this trust, by (certificate DER, role), with the
    # dates between which the answer holds (see there). A trust never changes (a new CRL or member
    # makes a new one), so neither does an answer within its dates.
    accepted: Recent[tuple[bytes, str | None], tuple[datetime, datetime, VerifiedIdentity]] = field(
        default_factory=lambda: Recent(ACCEPTED_KEPT), repr=False, compare=False)

    @classmethod
    def build(
        cls,
        suite_name: str,
        roots: Sequence[Certificate],
        crls: Sequence[RevocationList] = (),
        *,
        regulator_orgs: Sequence[str] = (),
    ) -> ChannelTrust:
        """`regulator_orgs` names the regulators' organisations (from the channel's configuration):
        only their CAs' identities are regulators, whatever another CA writes into a certificate."""
        index: dict[tuple[bytes, bytes], Certificate] = {}
        for root in roots:
            if root.suite_name != suite_name:
                raise TrustError(f"root {root.subject.name!r} is a {root.suite_name} certificate on a {suite_name} channel")
            if not root.is_ca or not root.signed_by(root):
                raise TrustError(f"root {root.subject.name!r} is not a self-signed CA certificate")
            if not root.allows("key_cert_sign"):
                raise TrustError(f"root {root.subject.name!r} may not sign certificates (its key usage lacks keyCertSign)")
            index[(root.subject_name, root.key_id)] = root
        revoked: dict[bytes, set[int]] = {}
        for crl in crls:
            issuer = index.get((crl.issuer_name, crl.authority_key_id or b""))
            if issuer is None or not crl.signed_by(issuer):
                raise TrustError(f"CRL number {crl.number} is not signed by a member root")
            if not issuer.allows("crl_sign"):
                raise TrustError(f"root {issuer.subject.name!r} may not sign CRLs (its key usage lacks cRLSign)")
            revoked.setdefault(issuer.key_id, set()).update(crl.revoked)
        root_orgs = {root.subject.org for root in index.values()}
        for org in regulator_orgs:
            if org not in root_orgs:
                raise TrustError(f"regulator organisation {org!r} has no member root on this channel")
        return cls(suite_name, index, {k: frozenset(v) for k, v in revoked.items()}, frozenset(regulator_orgs))


def check_identity(
    certificate: Certificate | bytes,
    trust: ChannelTrust,
    *,
    role: str | None = None,
    at: datetime | None = None,
) -> VerifiedIdentity:
    """The verified identity `certificate` proves on the channel `trust` describes, acting in
    `role` if one is given, at time `at` (now by default)."""
    at = at or datetime.now(timezone.utc)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    if not isinstance(certificate, Certificate):
        try:
            certificate = Certificate.load(certificate)
        except CertificateError as exc:
            raise IdentityRefused(Refusal.MALFORMED, str(exc)) from None
    cert = certificate
    # The checks below depend on the certificate, the role, the trust and `at` alone, and on `at`
    # only through the dates of the certificate and its root: an identity accepted once is
    # accepted again at any time between them (a node checks the same few certificates for
    # every transaction: the creator's and the endorsers', on every node).
    known = trust.accepted.get((cert.der, role))
    if known is not None and known[0] <= at <= known[1]:
        return known[2]
    who = f"{cert.subject.name!r} of {cert.subject.org!r}"
    if cert.suite_name != trust.suite_name:
        raise IdentityRefused(Refusal.WRONG_SUITE, f"{who} is a {cert.suite_name} certificate on a {trust.suite_name} channel")
    root = trust.roots.get((cert.issuer_name, cert.authority_key_id or b""))
    if root is None:
        raise IdentityRefused(Refusal.UNKNOWN_ISSUER, f"{who} is issued by {cert.issuer.name!r} of {cert.issuer.org!r}, not a member root")
    if not cert.signed_by(root):
        raise IdentityRefused(Refusal.BAD_SIGNATURE, f"{who}: the signature is not {root.subject.name!r}'s")
    if cert.is_ca:
        raise IdentityRefused(Refusal.NOT_AN_IDENTITY, who)
    if not cert.allows("digital_signature"):
        raise IdentityRefused(Refusal.KEY_USAGE, f"{who}: its key usage lacks digitalSignature")
    if cert.subject.org != root.subject.org:
        raise IdentityRefused(Refusal.UNKNOWN_ISSUER, f"{who} is signed by the root of {root.subject.org!r}")
    if at < cert.not_before or at < root.not_before:
        raise IdentityRefused(Refusal.NOT_YET_VALID, f"{who} is valid from {cert.not_before.isoformat()}")
    if at > cert.not_after:
        raise IdentityRefused(Refusal.EXPIRED, f"{who} expired at {cert.not_after.isoformat()}")
    if at > root.not_after:
        raise IdentityRefused(Refusal.EXPIRED, f"the root of {root.subject.org!r} expired at {root.not_after.isoformat()}")
    if cert.serial in trust.revoked.get(root.key_id, ()):
        raise IdentityRefused(Refusal.REVOKED, f"{who} (serial {cert.serial:x}) is on the CRL of {root.subject.org!r}")
    roles = cert.claims.roles
    if role is not None and role not in roles:
        held = ", ".join(roles) or "none"
        raise IdentityRefused(Refusal.ROLE_NOT_HELD, f"{who} may not act as {role!r} (holds: {held})")
    by_regulator = cert.subject.org in trust.regulator_orgs
    if role == REGULATOR_ROLE and not by_regulator:
        raise IdentityRefused(
            Refusal.ROLE_NOT_HELD, f"{who} may not act as a regulator: {cert.subject.org!r} is not a regulator of this channel"
        )
    identity = VerifiedIdentity(
        org=cert.subject.org,
        name=cert.subject.name,
        type=cert.subject.type,
        roles=roles,
        attributes=cert.claims.attributes,
        serial=cert.serial,
        not_after=cert.not_after,
        certificate=cert,
        issued_by_regulator=by_regulator,
    )
    trust.accepted.put((cert.der, role), (max(cert.not_before, root.not_before), min(cert.not_after, root.not_after),
                                          identity))
    return identity
