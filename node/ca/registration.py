"""Registering an identity: checking what it claims, and keeping its enrollment secret as a
salted scrypt hash (the CA never stores a secret it could leak)."""

from __future__ import annotations

import hashlib
import hmac
import os

from node.ca.errors import InvalidRegistration
from node.ca.records import PENDING, IdentityRecord
from node.identity.names import IDENTITY_TYPES, REGULATOR_ROLE, ClaimError, check_utf8, make_claims

# scrypt at 16 MiB: slow enough to make guessing a stolen registry costly, fast enough for a CA.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}
MIN_SECRET_LENGTH = 8


def new_record(
    name: str, type: str, roles: list[str], attributes: dict[str, str], secret: str, by: str, at: int
) -> IdentityRecord:
    if type not in IDENTITY_TYPES:
        raise InvalidRegistration(f"unknown identity type {type!r} (one of: {', '.join(IDENTITY_TYPES)})")
    if type == "regulator":
        roles = [*roles, REGULATOR_ROLE]
    elif REGULATOR_ROLE in roles:
        raise InvalidRegistration("only identities of type 'regulator' may hold the regulator role")
    try:
        claims = make_claims(roles, attributes)
        check_utf8("an enrollment secret", secret, quoted=False)
    except ClaimError as exc:
        raise InvalidRegistration(str(exc)) from None
    if len(secret) < MIN_SECRET_LENGTH:
        raise InvalidRegistration(f"an enrollment secret needs at least {MIN_SECRET_LENGTH} characters")
    salt = os.urandom(16)
    return IdentityRecord(
        name=name,
        type=type,
        roles=claims.roles,
        attributes=claims.attributes,
        status=PENDING,
        registered_by=by,
        registered_at=at,
        secret_salt=salt.hex(),
        secret_hash=hash_secret(secret, salt).hex(),
    )


def hash_secret(secret: str, salt: bytes) -> bytes:
    # surrogatepass: a secret typed with bytes that are not UTF-8 (registration refuses those)
    # hashes to something no registered secret does, instead of failing.
    return hashlib.scrypt(secret.encode("utf-8", "surrogatepass"), salt=salt, **_SCRYPT)


def secret_matches(record: IdentityRecord, secret: str) -> bool:
    if not record.secret_hash:
        return False
    return hmac.compare_digest(hash_secret(secret, bytes.fromhex(record.secret_salt)).hex(), record.secret_hash)
