"""One application user as the node keeps it: `UserRecord`, frozen; a change replaces it.

Status: ``pending`` (registered at the CA, waiting for an admin) -> ``active`` (approved and
enrolled: it has a certificate) <-> ``disabled`` (an admin turned it off; an admin may turn it
on again, to the status it had). The lock-out is apart from the status: ``failures`` counts the
wrong passwords since the last right one, and ``locked_until`` (ms) ends a lock-out by time.

What is kept, and why it may be kept:
- ``sealed``: the private key, sealed under the user's password (`node.users.keys`);
- ``request``: the PKCS#10 request made with that key at registration (public), and
  ``enrollment_secret``: the CA's one-time secret for it. Both are kept only until the user is
  enrolled, because enrollment happens when an admin approves, when nobody types the user's
  password: the request proves the key without opening it. The secret sits in the node's data
  folder, beside a node configuration that holds the CA's passphrase: whoever reads one reads
  the other, so keeping it there adds nothing to what that reader could do; it is dropped at
  enrollment and is good for this one name only;
- ``certificate``: DER, once enrolled.

The JSON form (`to_dict`) is what the store writes; `from_dict` refuses anything else with
`UserStoreDamaged`.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field, replace
from typing import Any

from node.users.errors import UserStoreDamaged
from node.users.keys import SealedKey

PENDING = "pending"
ACTIVE = "active"
DISABLED = "disabled"
STATUSES = (PENDING, ACTIVE, DISABLED)
FORMAT = 1


@dataclass(frozen=True, slots=True)
class UserRecord:
    name: str
    org: str
    type: str  # the CA identity type: client
    roles: tuple[str, ...]
    status: str
    registered_by: str  # the admin who asked for the registration
    registered_at: int  # ms
    sealed: SealedKey = field(repr=False)
    request: bytes | None = field(default=None, repr=False)
    enrollment_secret: str | None = field(default=None, repr=False)
    certificate: bytes | None = field(default=None, repr=False)
    approved_by: str | None = None
    approved_at: int | None = None
    disabled_by: str | None = None
    disabled_at: int | None = None
    was: str | None = None  # while disabled: the status to return to
    failures: int = 0
    locked_until: int = 0

    def with_(self, **changes: Any) -> UserRecord:
        return replace(self, **changes)

    def locked(self, now_ms: int) -> bool:
        return self.locked_until > now_ms

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": FORMAT, "name": self.name, "org": self.org, "type": self.type, "roles": list(self.roles),
            "status": self.status, "registered_by": self.registered_by, "registered_at": self.registered_at,
            "sealed": self.sealed.to_dict(), "request": _b64(self.request),
            "enrollment_secret": self.enrollment_secret, "certificate": _b64(self.certificate),
            "approved_by": self.approved_by, "approved_at": self.approved_at, "disabled_by": self.disabled_by,
            "disabled_at": self.disabled_at, "was": self.was, "failures": self.failures,
            "locked_until": self.locked_until,
        }

    @classmethod
    def from_dict(cls, d: Any) -> UserRecord:
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise UserStoreDamaged(f"not a user record of format {FORMAT}")
        try:
            record = cls(
                name=_text(d["name"]), org=_text(d["org"]), type=_text(d["type"]),
                roles=tuple(_text(r) for r in d["roles"]), status=_text(d["status"]),
                registered_by=_text(d["registered_by"]), registered_at=_whole(d["registered_at"]),
                sealed=SealedKey.from_dict(d["sealed"]), request=_unb64(d.get("request")),
                enrollment_secret=_optional_text(d.get("enrollment_secret")), certificate=_unb64(d.get("certificate")),
                approved_by=_optional_text(d.get("approved_by")), approved_at=_optional_whole(d.get("approved_at")),
                disabled_by=_optional_text(d.get("disabled_by")), disabled_at=_optional_whole(d.get("disabled_at")),
                was=_optional_text(d.get("was")), failures=_whole(d.get("failures", 0)),
                locked_until=_whole(d.get("locked_until", 0)),
            )
        except (KeyError, TypeError) as exc:
            raise UserStoreDamaged(f"a field is missing or malformed ({exc})") from None
        if record.status not in STATUSES:
            raise UserStoreDamaged(f"unknown status {record.status!r}")
        if record.status == ACTIVE and record.certificate is None:
            raise UserStoreDamaged("an active user without a certificate")
        return record


def _b64(data: bytes | None) -> str | None:
    return None if data is None else base64.b64encode(data).decode("ascii")


def _unb64(value: Any) -> bytes | None:
    if value is None:
        return None
    try:
        return base64.b64decode(_text(value).encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise UserStoreDamaged("a binary field is not base64") from None


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected text, got {type(value).__name__}")
    return value


def _optional_text(value: Any) -> str | None:
    return None if value is None else _text(value)


def _whole(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise TypeError("expected a whole number")
    return value


def _optional_whole(value: Any) -> int | None:
    return None if value is None else _whole(value)
