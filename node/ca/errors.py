"""The CA's exceptions. `CARefused` and its subclasses are refusals of a request (the CLI prints
their message and exits 1); `CAError` covers a CA that cannot work at all (missing, locked,
tampered)."""

from __future__ import annotations


class CAError(Exception):
    """Base of every CA error; its message is written for the person at the console."""


class CARefused(CAError):
    """A request the CA refuses."""


class UnknownIdentity(CARefused):
    pass


class DuplicateName(CARefused):
    pass


class InvalidRegistration(CARefused):
    pass


class NotAuthorized(CARefused):
    pass


class NotApproved(CARefused):
    pass


class RegistrationRejected(CARefused):
    pass


class WrongSecret(CARefused):
    pass


class AlreadyEnrolled(CARefused):
    pass


class IdentityRevoked(CARefused):
    pass


class CertificateExpired(CARefused):
    pass


class InvalidRequest(CARefused):
    pass


class CANotFound(CAError):
    pass


class CAExists(CAError):
    pass


class CADamaged(CAError):
    """A file of the CA home that cannot be read as what it should be."""


class CALocked(CAError):
    """The CA key cannot be unlocked: no passphrase, or the wrong one."""


class AuditTampered(CAError):
    """The audit log or the registry does not match its signed, chained history."""
