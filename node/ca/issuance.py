"""What the CA signs: identity certificates and CRLs, from registry records and the CA key."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from node.ca.records import IdentityRecord, from_ms
from node.crypto import CryptoSuite
from node.identity.certificate import Certificate, issue_certificate
from node.identity.crl import Revocation, RevocationList, issue_crl
from node.identity.names import Subject, make_claims

CLOCK_SKEW = timedelta(minutes=1)  # certificates start a little early so a peer's slow clock accepts them


@dataclass(frozen=True, slots=True)
class Issuer:
    """The CA's signing side: its suite, unlocked key and root certificate."""

    suite: CryptoSuite
    certificate: Certificate
    key: Any = field(repr=False)

    def identity_certificate(
        self, record: IdentityRecord, public_key: Any, *, serial: int, now: datetime, days: int
    ) -> Certificate:
        """A certificate for `record`'s identity, never outliving the CA's own."""
        now = now.replace(microsecond=0)
        der = issue_certificate(
            self.suite,
            self.key,
            subject=Subject(org=self.certificate.subject.org, name=record.name, type=record.type),
            issuer_name=self.certificate.subject_name,
            issuer_key_id=self.certificate.key_id,
            public_key=public_key,
            serial=serial,
            not_before=now - CLOCK_SKEW,
            not_after=min(now + timedelta(days=days), self.certificate.not_after),
            is_ca=False,
            claims=make_claims(record.roles, dict(record.attributes)),
        )
        return Certificate.load(der)

    def revocation_list(self, registry: dict[str, Any], *, number: int, now: datetime, days: int) -> RevocationList:
        """A CRL of every revoked certificate the registry records."""
        revocations = [
            Revocation(int(c["serial"], 16), from_ms(c["revoked_at"]), c["revocation_reason"])
            for identity in registry["identities"].values()
            for c in identity["certificates"]
            if c["revoked_at"] is not None
        ]
        der = issue_crl(
            self.suite,
            self.key,
            issuer=self.certificate,
            number=number,
            this_update=now,
            next_update=now + timedelta(days=days),
            revocations=revocations,
        )
        return RevocationList.load(der)


def new_serial(taken: dict[str, Any] | None = None) -> int:
    """A random positive 127-bit serial (16 DER bytes) not in `taken` (hex serials)."""
    while True:
        serial = secrets.randbits(127) | (1 << 126)
        if taken is None or f"{serial:x}" not in taken:
            return serial
