"""The organisation's CA as a node uses it for its users: opened from node.toml's ``[ca]`` section,
called off the event loop, its refusals turned into the users' words.

    ca = open_ca(home, passphrase_file, org="Org1", suite="gm")     # CAUnusable: why not
    record = await ca_call(lambda: ca.show("alice"))                 # UserRefused on a refusal

`open_ca` checks at start what would otherwise fail at the first registration: the home is a
CA of this node's organisation and suite, and the passphrase opens its key (read, never
written). `ca_call` runs the CA's work in a worker thread (the CA signs, hashes secrets with
scrypt and syncs files: tens of milliseconds the node's event loop must not wait for) and maps
each refusal of the CA (`node.ca.errors`) to a `UserRefused` with the CA's own message. A CA
that cannot work at all (its files damaged, its audit log tampered with, its key locked) is
logged with the CA's words and answered ``ca-unavailable`` without them: they name files of
the node's host.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from node.ca import CertificateAuthority
from node.ca import errors as E
from node.crypto import KeyFormatError
from node.identity import ChannelTrust

T = TypeVar("T")
log = logging.getLogger("baochain.users")

# The CA's refusals, by the users' word for them (node.users.errors).
_REFUSALS: tuple[tuple[type[E.CARefused], str], ...] = (
    (E.DuplicateName, "exists"),
    (E.AlreadyEnrolled, "exists"),
    (E.NotAuthorized, "forbidden"),
    (E.UnknownIdentity, "unknown-user"),
    (E.NotApproved, "not-approved"),
    (E.RegistrationRejected, "not-approved"),
    (E.IdentityRevoked, "disabled"),
    (E.CARefused, "invalid"),  # anything else the CA refuses: what was asked cannot be done as it is
)


class CAUnusable(Exception):
    """A ``[ca]`` section the node cannot use (the message says why)."""


def open_ca(home: Path, passphrase_file: Path, *, org: str, suite: str) -> CertificateAuthority:
    try:
        passphrase = passphrase_file.read_bytes().rstrip(b"\r\n")
    except OSError as exc:
        raise CAUnusable(f"ca.passphrase_file: cannot read {passphrase_file}: {exc.strerror or exc}") from None
    try:
        ca = CertificateAuthority(home, passphrase=passphrase)
    except E.CAError as exc:
        raise CAUnusable(f"ca.home: {exc}") from None
    if ca.config.org != org:
        raise CAUnusable(f"ca.home: {home} is the CA of {ca.config.org!r}, not of this node's organisation {org!r}")
    if ca.config.suite != suite:
        raise CAUnusable(f"ca.home: {home} issues {ca.config.suite} certificates; this node's suite is {suite}")
    try:
        ca.suite.load_private_key((home / "ca-key.pem").read_bytes(), passphrase)
    except OSError as exc:
        raise CAUnusable(f"ca.home: cannot read the CA's key: {exc.strerror or exc}") from None
    except KeyFormatError:
        raise CAUnusable(f"ca.passphrase_file: {passphrase_file} does not open the CA's key") from None
    return ca


async def ca_call(work: Callable[[], T]) -> T:
    """``work`` (calls on the CA) in a worker thread; its refusals as `UserRefused`."""
    from node.users.errors import UserRefused

    try:
        return await asyncio.to_thread(work)
    except E.CARefused as exc:
        reason = next(word for kind, word in _REFUSALS if isinstance(exc, kind))
        raise UserRefused(reason, f"the CA refuses: {exc}") from None
    except E.CAError as exc:
        log.error("the organisation's CA cannot work: %s", exc)
        raise UserRefused("ca-unavailable", "the organisation's CA cannot work now; the node's log says why") from None


def admin_trust(ca: CertificateAuthority) -> ChannelTrust:
    """What an admin's certificate is checked against: the CA's root and the CRL it last issued."""
    return ChannelTrust.build(ca.config.suite, [ca.certificate], [ca.current_crl()])
