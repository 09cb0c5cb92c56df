"""Certificate revocation lists (X.509 v2 CRLs) for both suites: issuing and reading."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509

from node.crypto import CryptoSuite, get_suite
from node.identity import der
from node.identity.certificate import (
    OID_AUTHORITY_KEY_ID,
    SUITE_BY_SIGNATURE_OID,
    Certificate,
    PARSE_ERRORS,
    CertificateError,
    algorithm_identifier,
    check_critical_extensions,
)

OID_CRL_NUMBER = "2.5.29.20"
OID_CRL_REASON = "2.5.29.21"
# A reader that treated, say, a critical delta-CRL indicator or issuing distribution point as an
# ordinary CRL would misread which certificates it covers; RFC 5280 5.2 says to refuse it.
_UNDERSTOOD_CRL_EXTENSIONS = frozenset({OID_AUTHORITY_KEY_ID, OID_CRL_NUMBER})
_UNDERSTOOD_ENTRY_EXTENSIONS = frozenset({OID_CRL_REASON})

# RFC 5280 CRLReason, by the names the CLI accepts (7 is unassigned).
REVOCATION_REASONS: dict[str, int] = {
    "unspecified": 0,
    "key_compromise": 1,
    "ca_compromise": 2,
    "affiliation_changed": 3,
    "superseded": 4,
    "cessation_of_operation": 5,
    "certificate_hold": 6,
    "privilege_withdrawn": 9,
}
_REASON_NAMES = {code: name for name, code in REVOCATION_REASONS.items()}


@dataclass(frozen=True, slots=True)
class Revocation:
    serial: int
    revoked_at: datetime
    reason: str


def issue_crl(
    suite: CryptoSuite,
    signer_key: Any,
    *,
    issuer: Certificate,
    number: int,
    this_update: datetime,
    next_update: datetime,
    revocations: list[Revocation],
) -> bytes:
    entries = []
    for r in sorted(revocations, key=lambda r: r.serial):
        reason = der.sequence(der.sequence(der.oid(OID_CRL_REASON), der.octet_string(der.enumerated(REVOCATION_REASONS[r.reason]))))
        entries.append(der.sequence(der.integer(r.serial), der.time(r.revoked_at), reason))
    extensions = der.sequence(
        der.sequence(der.oid(OID_AUTHORITY_KEY_ID), der.octet_string(der.sequence(der.tlv(0x80, issuer.key_id)))),
        der.sequence(der.oid(OID_CRL_NUMBER), der.octet_string(der.integer(number))),
    )
    tbs = der.sequence(
        der.integer(1),
        algorithm_identifier(suite),
        issuer.subject_name,
        der.time(this_update),
        der.time(next_update),
        *([der.sequence(*entries)] if entries else []),  # RFC 5280: absent, not empty, when nothing is revoked
        der.explicit(0, extensions),
    )
    return der.sequence(tbs, algorithm_identifier(suite), der.bit_string(suite.sign(signer_key, tbs)))


@dataclass(frozen=True, slots=True)
class RevocationList:
    der: bytes
    suite_name: str
    issuer_name: bytes
    authority_key_id: bytes | None
    number: int
    this_update: datetime
    next_update: datetime | None
    revoked: dict[int, Revocation] = field(compare=False)
    tbs: bytes = field(repr=False)
    signature: bytes = field(repr=False)

    @property
    def pem(self) -> bytes:
        return der.pem_encode(self.der, "X509 CRL")

    def signed_by(self, issuer: Certificate) -> bool:
        if issuer.suite_name != self.suite_name or issuer.subject_name != self.issuer_name:
            return False
        return get_suite(self.suite_name).verify_x509(issuer.public_key, self.tbs, self.signature)

    @classmethod
    def load(cls, data: bytes) -> RevocationList:
        try:
            raw = der.pem_decode(data, "X509 CRL")
            parsed = x509.load_der_x509_crl(raw)
            suite_name = SUITE_BY_SIGNATURE_OID.get(parsed.signature_algorithm_oid.dotted_string)
            if suite_name is None:
                raise CertificateError("CRL signed with an algorithm of no Baochain suite")
            tbs = parsed.tbs_certlist_bytes
            issuer_name = der.children(der.read(tbs))[2].encoded
            check_critical_extensions(parsed.extensions, _UNDERSTOOD_CRL_EXTENSIONS)
            revoked = {}
            for entry in parsed:
                check_critical_extensions(entry.extensions, _UNDERSTOOD_ENTRY_EXTENSIONS)
                try:
                    flag = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
                    reason = flag.name if flag.name in REVOCATION_REASONS else "unspecified"
                except x509.ExtensionNotFound:
                    reason = "unspecified"
                revoked[entry.serial_number] = Revocation(entry.serial_number, entry.revocation_date_utc, reason)
            try:
                number = parsed.extensions.get_extension_for_class(x509.CRLNumber).value.crl_number
            except x509.ExtensionNotFound:
                number = 0
            try:
                aki = parsed.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value.key_identifier
            except x509.ExtensionNotFound:
                aki = None
        except CertificateError:
            raise
        except PARSE_ERRORS as exc:
            raise CertificateError(f"not a readable CRL: {exc}") from None
        return cls(
            der=raw,
            suite_name=suite_name,
            issuer_name=issuer_name,
            authority_key_id=aki,
            number=number,
            this_update=parsed.last_update_utc,
            next_update=parsed.next_update_utc,
            revoked=revoked,
            tbs=tbs,
            signature=parsed.signature,
        )
