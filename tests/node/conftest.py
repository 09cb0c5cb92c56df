"""Small builders shared by the identity and CA tests."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from typing import Any

from node.crypto import CryptoSuite
from node.identity.certificate import Certificate, issue_certificate, key_identifier
from node.identity.names import Subject, make_claims

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=timezone.utc)


def make_root(
    suite: CryptoSuite, org: str, *, key: Any = None, days: int = 3650, now: datetime = NOW
) -> tuple[Certificate, Any]:
    key = key or suite.generate_key()
    subject = Subject(org, f"{org} CA", "ca")
    public = suite.public_key(key)
    der = issue_certificate(
        suite,
        key,
        subject=subject,
        issuer_name=subject.to_der(),
        issuer_key_id=key_identifier(suite, public),
        public_key=public,
        serial=secrets.randbits(120),
        not_before=now - timedelta(days=1),
        not_after=now + timedelta(days=days),
        is_ca=True,
    )
    return Certificate.load(der), key


def make_leaf(
    suite: CryptoSuite,
    root: Certificate,
    root_key: Any,
    name: str,
    *,
    type: str = "client",
    roles: tuple[str, ...] = ("insurer",),
    attributes: dict[str, str] | None = None,
    days: int = 365,
    signer: Any = None,
    org: str | None = None,
    now: datetime = NOW,
) -> tuple[Certificate, Any]:
    key = suite.generate_key()
    der = issue_certificate(
        suite,
        signer or root_key,
        subject=Subject(org or root.subject.org, name, type),
        issuer_name=root.subject_name,
        issuer_key_id=root.key_id,
        public_key=suite.public_key(key),
        serial=secrets.randbits(120),
        not_before=now - timedelta(hours=1),
        not_after=now + timedelta(days=days),
        is_ca=False,
        claims=make_claims(list(roles), attributes or {}),
    )
    return Certificate.load(der), key
