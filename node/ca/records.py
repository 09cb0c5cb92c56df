"""The CA registry's records: one per registered identity, and the certificates issued to it.

Records are frozen; a state change replaces a record. They serialise to JSON-able dicts (the
registry file) whose values stay inside the codec's subset, so the audit log can hash the state.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

PENDING = "pending"
APPROVED = "approved"
REJECTED = "rejected"
ENROLLED = "enrolled"
REVOKED = "revoked"
STATUSES = (PENDING, APPROVED, REJECTED, ENROLLED, REVOKED)


@dataclass(frozen=True, slots=True)
class IssuedCertificate:
    serial: str  # lowercase hex, as file names and CRLs show it
    not_before: int  # ms since the epoch (the codec has no time type)
    not_after: int
    revoked_at: int | None = None
    revocation_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "serial": self.serial,
            "not_before": self.not_before,
            "not_after": self.not_after,
            "revoked_at": self.revoked_at,
            "revocation_reason": self.revocation_reason,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IssuedCertificate:
        return cls(d["serial"], d["not_before"], d["not_after"], d.get("revoked_at"), d.get("revocation_reason"))


@dataclass(frozen=True, slots=True)
class IdentityRecord:
    name: str
    type: str
    roles: tuple[str, ...]
    attributes: tuple[tuple[str, str], ...]
    status: str
    registered_by: str
    registered_at: int
    secret_salt: str = field(repr=False)  # hex; empty once the secret is spent
    secret_hash: str = field(repr=False)
    reviewed_by: str | None = None
    review_note: str | None = None
    certificates: tuple[IssuedCertificate, ...] = ()

    def with_(self, **changes: Any) -> IdentityRecord:
        return replace(self, **changes)

    @property
    def current_certificate(self) -> IssuedCertificate | None:
        return self.certificates[-1] if self.certificates else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "type": self.type,
            "roles": list(self.roles),
            "attributes": {k: v for k, v in self.attributes},
            "status": self.status,
            "registered_by": self.registered_by,
            "registered_at": self.registered_at,
            "secret_salt": self.secret_salt,
            "secret_hash": self.secret_hash,
            "reviewed_by": self.reviewed_by,
            "review_note": self.review_note,
            "certificates": [c.to_dict() for c in self.certificates],
        }

    def public_dict(self) -> dict[str, Any]:
        """What `show` prints: everything but the secret's hash."""
        d = self.to_dict()
        del d["secret_salt"], d["secret_hash"]
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> IdentityRecord:
        return cls(
            name=d["name"],
            type=d["type"],
            roles=tuple(d["roles"]),
            attributes=tuple(sorted(d["attributes"].items())),
            status=d["status"],
            registered_by=d["registered_by"],
            registered_at=d["registered_at"],
            secret_salt=d["secret_salt"],
            secret_hash=d["secret_hash"],
            reviewed_by=d.get("reviewed_by"),
            review_note=d.get("review_note"),
            certificates=tuple(IssuedCertificate.from_dict(c) for c in d["certificates"]),
        )


@dataclass(frozen=True, slots=True)
class CAConfig:
    org: str
    suite: str
    identity_days: int
    crl_days: int

    def to_dict(self) -> dict[str, Any]:
        return {"org": self.org, "suite": self.suite, "identity_days": self.identity_days, "crl_days": self.crl_days}


def ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def from_ms(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)
