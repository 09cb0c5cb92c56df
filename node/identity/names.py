"""What a certificate says about its holder, and how it is written into X.509.

Subject: O = organisation, OU = identity type, CN = name (all UTF8String, in that order).
Roles and attributes travel in the Baochain identity extension (see the package docstring).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from node.identity import der

OID_COMMON_NAME = "2.5.4.3"
OID_ORGANIZATION = "2.5.4.10"
OID_ORGANIZATIONAL_UNIT = "2.5.4.11"

# A UUID-derived OID (ITU-T X.667, arc 2.25): unique without registering an enterprise number.
OID_IDENTITY_EXTENSION = "2.25.73293519830914424649653588193681367214"
IDENTITY_EXTENSION_VERSION = 1

IDENTITY_TYPES: tuple[str, ...] = ("admin", "peer", "orderer", "client", "regulator")
CA_TYPE = "ca"  # the OU of a CA's own certificate
REGULATOR_ROLE = "regulator"

_ROLE = re.compile(r"[a-z][a-z0-9_]{0,63}\Z")
_ATTRIBUTE = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{0,63}\Z")


class ClaimError(ValueError):
    """An identity name, type, role or attribute that cannot go into a certificate."""


@dataclass(frozen=True, slots=True)
class Subject:
    org: str
    name: str
    type: str

    def to_der(self) -> bytes:
        return der.sequence(
            der.set_of(der.sequence(der.oid(OID_ORGANIZATION), der.utf8(self.org))),
            der.set_of(der.sequence(der.oid(OID_ORGANIZATIONAL_UNIT), der.utf8(self.type))),
            der.set_of(der.sequence(der.oid(OID_COMMON_NAME), der.utf8(self.name))),
        )


@dataclass(frozen=True, slots=True)
class Claims:
    """The party roles an identity may act in, and its attributes (sorted: one encoding per value)."""

    roles: tuple[str, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()

    def attribute(self, key: str) -> str | None:
        return dict(self.attributes).get(key)


def check_text(what: str, value: str) -> str:
    if not value or not value.strip() or value != value.strip():
        raise ClaimError(f"{what} must be non-empty text without surrounding spaces: {value!r}")
    if len(value) > 64 or any(ord(c) < 0x20 for c in value):
        raise ClaimError(f"{what} must be at most 64 printable characters: {value!r}")
    return value


def make_claims(roles: list[str] | tuple[str, ...], attributes: dict[str, str]) -> Claims:
    for role in roles:
        if not _ROLE.match(role):
            raise ClaimError(f"role {role!r} must be a lowercase word (letters, digits, _)")
    for key, value in attributes.items():
        if not _ATTRIBUTE.match(key):
            raise ClaimError(f"attribute name {key!r} must start with a letter (letters, digits, _ . -)")
        if not isinstance(value, str) or len(value) > 256:
            raise ClaimError(f"attribute {key!r} must be text of at most 256 characters")
    return Claims(tuple(sorted(set(roles))), tuple(sorted(attributes.items())))


def encode_claims(claims: Claims) -> bytes:
    """The identity extension's value:

    BaochainIdentity ::= SEQUENCE {
        version     INTEGER (1),
        roles       SEQUENCE OF UTF8String,                 -- sorted, unique
        attributes  SEQUENCE OF SEQUENCE { name UTF8String, value UTF8String }  -- sorted by name
    }
    """
    return der.sequence(
        der.integer(IDENTITY_EXTENSION_VERSION),
        der.sequence(*(der.utf8(r) for r in claims.roles)),
        der.sequence(*(der.sequence(der.utf8(k), der.utf8(v)) for k, v in claims.attributes)),
    )


def decode_claims(value: bytes) -> Claims:
    top = der.children(der.read(value))
    if len(top) != 3 or der.read_integer(top[0]) != IDENTITY_EXTENSION_VERSION:
        raise der.DerError("unknown identity extension version")
    roles = tuple(der.read_utf8(e) for e in der.children(top[1]))
    attributes = []
    for pair in der.children(top[2]):
        kv = der.children(pair)
        if len(kv) != 2:
            raise der.DerError("identity attribute must be a name and a value")
        attributes.append((der.read_utf8(kv[0]), der.read_utf8(kv[1])))
    claims = Claims(roles, tuple(attributes))
    if list(roles) != sorted(set(roles)) or [k for k, _ in attributes] != sorted({k for k, _ in attributes}):
        raise der.DerError("identity extension is not in canonical order")
    return claims
