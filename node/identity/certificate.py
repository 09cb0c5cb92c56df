"""X.509 v3 certificates for both suites: issuing (DER written here, signed through the suite)
and reading (parsed by pyca/cryptography, which reads SM2 certificates structurally but cannot
load their keys, so the SubjectPublicKeyInfo is taken from the TBS bytes and loaded by the suite).
"""

from __future__ import annotations

from node.identity.errors import IdentityError

import functools
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.x509.oid import ExtensionOID, NameOID

from node.crypto import CryptoError, CryptoSuite, get_suite
from node.identity import der
from node.recent import Recent
from node.identity.names import OID_IDENTITY_EXTENSION, Claims, Subject, decode_claims, encode_claims

OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_KEY_USAGE = "2.5.29.15"
OID_SUBJECT_KEY_ID = "2.5.29.14"
OID_AUTHORITY_KEY_ID = "2.5.29.35"

# KeyUsage bit numbers (RFC 5280 4.2.1.3).
_DIGITAL_SIGNATURE, _KEY_ENCIPHERMENT, _KEY_AGREEMENT, _KEY_CERT_SIGN, _CRL_SIGN = 0, 2, 4, 5, 6

SUITE_BY_SIGNATURE_OID = {"1.2.156.10197.1.501": "gm", "1.2.840.10045.4.3.2": "intl"}

# What pyca/cryptography raises on damaged X.509 input besides ValueError: an unknown version, a
# repeated extension, or (from its name parser) a TypeError. Reading hostile bytes must end in a
# CertificateError, never in one of these reaching a node's validation path or a user's console.
PARSE_ERRORS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    CryptoError,
    x509.InvalidVersion,
    x509.DuplicateExtension,
)

# The extensions a Baochain certificate's reader acts on. RFC 5280 4.2: a certificate with a
# critical extension its reader does not process must be refused, since the issuer made the
# certificate's meaning depend on it.
UNDERSTOOD_EXTENSIONS = frozenset(
    {OID_BASIC_CONSTRAINTS, OID_KEY_USAGE, OID_SUBJECT_KEY_ID, OID_AUTHORITY_KEY_ID, OID_IDENTITY_EXTENSION}
)


class CertificateError(IdentityError, ValueError):
    """Bytes that are not a well-formed Baochain certificate (or CSR, or CRL)."""


def algorithm_identifier(suite: CryptoSuite) -> bytes:
    return der.sequence(der.oid(suite.signature_oid))  # parameters absent, as RFC 5758 and GM/T 0015 say


def key_identifier(suite: CryptoSuite, public_key: Any) -> bytes:
    """RFC 7093 method 1 with the suite's hash: the leftmost 160 bits of the hash of the public point."""
    return suite.hash(suite.public_key_point(public_key))[:20]


def _extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    return der.sequence(der.oid(oid), *([der.boolean(True)] if critical else []), der.octet_string(value))


def issue_certificate(
    suite: CryptoSuite,
    signer_key: Any,
    *,
    subject: Subject,
    issuer_name: bytes,
    issuer_key_id: bytes,
    public_key: Any,
    serial: int,
    not_before: datetime,
    not_after: datetime,
    is_ca: bool,
    claims: Claims | None = None,
) -> bytes:
    """A signed certificate (DER). `issuer_name` is the issuer's subject DER, copied byte for byte."""
    subject_key_id = key_identifier(suite, public_key)
    if is_ca:
        constraints = der.sequence(der.boolean(True), der.integer(0))
        usage = der.named_bits([_DIGITAL_SIGNATURE, _KEY_CERT_SIGN, _CRL_SIGN])
    else:
        constraints = der.sequence()
        usage = der.named_bits([_DIGITAL_SIGNATURE, _KEY_ENCIPHERMENT, _KEY_AGREEMENT])
    extensions = [
        _extension(OID_BASIC_CONSTRAINTS, constraints, critical=True),
        _extension(OID_KEY_USAGE, usage, critical=True),
        _extension(OID_SUBJECT_KEY_ID, der.octet_string(subject_key_id)),
        _extension(OID_AUTHORITY_KEY_ID, der.sequence(der.tlv(0x80, issuer_key_id))),
    ]
    if claims is not None:
        extensions.append(_extension(OID_IDENTITY_EXTENSION, encode_claims(claims)))
    tbs = der.sequence(
        der.explicit(0, der.integer(2)),
        der.integer(serial),
        algorithm_identifier(suite),
        issuer_name,
        der.sequence(der.time(not_before), der.time(not_after)),
        subject.to_der(),
        suite.public_key_to_der(public_key),
        der.explicit(3, der.sequence(*extensions)),
    )
    return der.sequence(tbs, algorithm_identifier(suite), der.bit_string(suite.sign(signer_key, tbs)))


# Parsing a certificate and checking its signature are the costliest steps of an identity check
# (~0.1 ms and one signature verification); both are pure functions of bytes, so their results are
# kept for the certificates seen most recently.
_CACHE_SIZE = 4096


@dataclass(frozen=True, slots=True)
class Certificate:
    """A parsed certificate of either suite, with everything identity checks need."""

    der: bytes
    suite_name: str
    serial: int
    subject: Subject
    issuer: Subject
    subject_name: bytes  # DER, for issuing under this certificate
    issuer_name: bytes
    not_before: datetime
    not_after: datetime
    is_ca: bool
    key_id: bytes
    authority_key_id: bytes | None
    claims: Claims
    tbs: bytes = field(repr=False)
    signature: bytes = field(repr=False)
    public_key: Any = field(repr=False, compare=False)
    # Of the key usages, the ones checks act on ("digital_signature", "key_cert_sign", "crl_sign");
    # None when the certificate has no key usage extension (RFC 5280: then no use is excluded).
    key_usage: frozenset[str] | None = None

    def allows(self, usage: str) -> bool:
        return self.key_usage is None or usage in self.key_usage

    @property
    def suite(self) -> CryptoSuite:
        return get_suite(self.suite_name)

    @property
    def pem(self) -> bytes:
        return der.pem_encode(self.der, "CERTIFICATE")

    def signed_by(self, issuer: Certificate) -> bool:
        """True when `issuer`'s key made this certificate's signature (same suite required)."""
        if issuer.suite_name != self.suite_name:
            return False
        key = (issuer.der, self.tbs, self.signature)  # bytes: hashed once each, compared cheaply
        known = _VERIFIED.get(key)
        if known is None:
            known = self.suite.verify_x509(issuer.public_key, self.tbs, self.signature)
            _VERIFIED.put(key, known)
        return known

    @classmethod
    def load(cls, data: bytes) -> Certificate:
        """The certificate in `data` (PEM or DER). A node meets the same few certificates in
        every transaction, so parsed certificates are kept (they are immutable), by their bytes."""
        if type(data) is bytes:
            return _load_cached(data)
        return cls._load(data)

    @classmethod
    def _load(cls, data: bytes) -> Certificate:
        try:
            raw = der.pem_decode(data, "CERTIFICATE")
            parsed = x509.load_der_x509_certificate(raw)
            return cls._from_parsed(raw, parsed)
        except PARSE_ERRORS as exc:
            if isinstance(exc, CertificateError):
                raise
            raise CertificateError(f"not a readable certificate: {exc}") from None

    @classmethod
    def _from_parsed(cls, raw: bytes, parsed: x509.Certificate) -> Certificate:
        suite_name = SUITE_BY_SIGNATURE_OID.get(parsed.signature_algorithm_oid.dotted_string)
        if suite_name is None:
            raise CertificateError(f"signature algorithm {parsed.signature_algorithm_oid.dotted_string} is not a Baochain suite's")
        suite = get_suite(suite_name)
        tbs = parsed.tbs_certificate_bytes
        fields = der.children(der.read(tbs))
        offset = 1 if fields and fields[0].tag == 0xA0 else 0
        check_signed_algorithm(fields[offset + 1], parsed.signature_algorithm_oid.dotted_string)
        issuer_name, subject_name, spki = (fields[offset + i].encoded for i in (2, 4, 5))
        public_key = suite.load_public_key(spki)
        ext = parsed.extensions
        check_critical_extensions(ext, UNDERSTOOD_EXTENSIONS)
        constraints = _get(ext, ExtensionOID.BASIC_CONSTRAINTS)
        ski = _get(ext, ExtensionOID.SUBJECT_KEY_IDENTIFIER)
        aki = _get(ext, ExtensionOID.AUTHORITY_KEY_IDENTIFIER)
        identity = _get(ext, x509.ObjectIdentifier(OID_IDENTITY_EXTENSION))
        usage = _get(ext, ExtensionOID.KEY_USAGE)
        try:
            claims = decode_claims(identity.value) if identity is not None else Claims()
        except der.DerError as exc:
            raise CertificateError(f"damaged identity extension: {exc}") from None
        return cls(
            der=raw,
            suite_name=suite_name,
            serial=parsed.serial_number,
            subject=_subject(parsed.subject),
            issuer=_subject(parsed.issuer),
            subject_name=subject_name,
            issuer_name=issuer_name,
            not_before=parsed.not_valid_before_utc,
            not_after=parsed.not_valid_after_utc,
            is_ca=bool(constraints is not None and constraints.ca),
            key_id=ski.digest if ski is not None else b"",
            authority_key_id=aki.key_identifier if aki is not None else None,
            claims=claims,
            tbs=tbs,
            signature=parsed.signature,
            public_key=public_key,
            key_usage=None if usage is None else frozenset(u for u in _CHECKED_USAGES if getattr(usage, u)),
        )


_CHECKED_USAGES = ("digital_signature", "key_cert_sign", "crl_sign")


def check_signed_algorithm(inner: der.Element, outer: str) -> None:
    """RFC 5280 4.1.1.2: the signed algorithm field must equal the unsigned outer one. Only the
    inner one is covered by the signature, and the outer one picks the suite that checks it."""
    signed = der.read_oid(der.children(inner)[0])
    if signed != outer:
        raise CertificateError(f"signature algorithm {outer} differs from the signed field's {signed}")


def check_critical_extensions(extensions: x509.Extensions, understood: frozenset[str]) -> None:
    for extension in extensions:
        if extension.critical and extension.oid.dotted_string not in understood:
            raise CertificateError(f"critical extension {extension.oid.dotted_string} is not one Baochain processes")


def _get(extensions: x509.Extensions, oid: x509.ObjectIdentifier) -> Any:
    try:
        return extensions.get_extension_for_oid(oid).value
    except x509.ExtensionNotFound:
        return None


def _subject(name: x509.Name) -> Subject:
    def one(oid: x509.ObjectIdentifier) -> str:
        values = name.get_attributes_for_oid(oid)
        if len(values) != 1:
            raise CertificateError(f"name {name.rfc4514_string()!r} lacks exactly one {oid._name}")
        return str(values[0].value)

    return Subject(org=one(NameOID.ORGANIZATION_NAME), name=one(NameOID.COMMON_NAME), type=one(NameOID.ORGANIZATIONAL_UNIT_NAME))


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _load_cached(data: bytes) -> Certificate:
    return Certificate._load(data)


_VERIFIED: Recent[tuple[bytes, bytes, bytes], bool] = Recent(_CACHE_SIZE)  # (issuer DER, signed part, signature) -> valid