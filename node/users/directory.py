"""An organisation's application users on one node: registered, approved, turned off and on,
unlocked by its admins; logged in by name and password.

    users = UserDirectory(UserStore(data / "users"), org="Org1", suite=GM, sessions=book, ca=ca)
    record = await users.register("alice", password, ["insurer"], by=admin, now_ms=now)
    record = await users.approve("alice", by=admin, now_ms=now)     # the CA certifies alice's key
    token, session = await users.login("alice", password, now_ms=now)

Lifecycle, through the organisation's CA (`node.ca`):

1. ``register`` (an admin of the organisation asks): the node makes the user's key, seals it under
   the password the admin gives (`node.users.keys`), and registers the user at the CA, type
   ``client``, with roles the admin holds itself (an admin grants no party role it cannot act in).
   The CA registers it ``by`` the node's registrar, the CA's operator (``[ca] registrar``,
   ``ca-admin`` by default), as `baochain network init` registers every identity: the node acts
   for the CA's operator, whose passphrase it holds. The admin who asked is kept with the user
   and logged.
2. ``approve`` (an admin): the CA approves the registration ``by`` that admin (the CA's four-eyes
   rule then holds: registered by the operator, reviewed by an admin), and the node enrolls the
   user with the request it made at registration: the CA certifies the key without the password.
   An approval given at the CA itself (`baochain ca approve NAME --by ADMIN`) is taken up at the
   user's next login, which enrolls then.
3. ``disable`` ends the user's sessions and refuses its logins until ``enable``; the certificate
   stays valid, since its key never leaves the node (`baochain ca revoke` is for a key believed
   stolen with the node's disk).

Lock-out: `MAX_FAILURES` (5) wrong passwords in a row lock the user for `LOCK_MS` (15 minutes),
during which even the right password is refused without being tried; an admin's ``unlock`` ends
it at once. Five tries a quarter-hour caps an online guesser at 480 passwords a day per user,
while a person who mistypes waits minutes, not for an admin. Attempts for one user are taken one
at a time (a second one meanwhile is ``busy``), so that parallel requests cannot try more than
five passwords before the lock falls.

What a login answers, and why: a wrong password and an unknown name give the same
``bad-credentials`` after the same work (one scrypt derivation: `node.users.keys.burn`), so
neither the answer nor its time tells whether a user exists. Only after the right password does
the node say that the user waits for approval, is disabled, or holds an expired certificate.
``locked`` does show that a name exists: the price of telling a locked-out person why.

The scrypt work runs in a pool of `KDF_SLOTS` threads: a burst of logins waits its turn
instead of taking the node's memory (32 MiB each) or its event loop.

Logs name the user, the admin and the outcome; never a password, a key or a token, and never a
name that no user has (it may be a password typed in the wrong field).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TypeVar

from node.ca import CertificateAuthority
from node.ca import errors as E
from node.ca.records import APPROVED, ENROLLED, PENDING as CA_PENDING
from node.crypto import CryptoSuite
from node.crypto.suite import PrivateKey
from node.identity import Certificate, CertificationRequest, IdentityRefused, VerifiedIdentity, build_request, check_identity
from node.identity.names import ClaimError, check_name, shown
from node.users.authority import admin_trust, ca_call
from node.users.errors import UserRefused
from node.users.keys import SCRYPT, ScryptCost, WrongPassword, burn, check_password, seal, unseal
from node.users.records import ACTIVE, DISABLED, PENDING, UserRecord
from node.users.sessions import Session, SessionBook
from node.users.store import UserStore

T = TypeVar("T")
log = logging.getLogger("baochain.users")

MAX_FAILURES = 5
LOCK_MS = 15 * 60 * 1000
KDF_SLOTS = 4
DEFAULT_REGISTRAR = "ca-admin"
USER_TYPE = "client"
ROLES_MAX = 32


class UserDirectory:
    """The application users of one node's organisation (see the module docstring)."""

    def __init__(self, store: UserStore, *, org: str, suite: CryptoSuite, sessions: SessionBook,
                 ca: CertificateAuthority | None = None, registrar: str = DEFAULT_REGISTRAR,
                 cost: ScryptCost = SCRYPT) -> None:
        self.store = store
        self.org = org
        self.suite = suite
        self.sessions = sessions
        self.ca = ca
        self.registrar = registrar
        self.cost = cost
        self._kdf_pool = ThreadPoolExecutor(KDF_SLOTS, thread_name_prefix="users-kdf")
        self._attempting: set[str] = set()

    def close(self) -> None:
        self._kdf_pool.shutdown(wait=False, cancel_futures=True)

    # --- who may manage users
    def admin(self, certificate: Certificate, now_ms: int) -> VerifiedIdentity:
        """``certificate`` as a current admin of this organisation (checked against its CA's root
        and last CRL); `UserRefused` ``forbidden`` (or ``no-ca``) otherwise."""
        ca = self._ca()
        try:
            trust = admin_trust(ca)
        except (E.CAError, ValueError) as exc:
            log.error("the organisation's CA cannot work: %s", exc)
            raise UserRefused("ca-unavailable", "the organisation's CA cannot work now; the node's log says "
                              "why") from None
        caller = {"caller": certificate.subject.name, "caller_org": certificate.subject.org}
        try:
            who = check_identity(certificate, trust, at=_at(now_ms))
        except IdentityRefused as exc:
            log.warning("user management refused", extra={**caller, "why": exc.reason.value})
            raise UserRefused("forbidden", f"the users of {self.org} are managed by its admins only: "
                              f"{exc.detail}") from None
        if who.type != "admin":
            log.warning("user management refused", extra={**caller, "why": f"a {who.type}, not an admin"})
            raise UserRefused("forbidden", f"the users of {self.org} are managed by its admins only; "
                              f"{shown(who.name)} is of type {who.type}")
        return who

    # --- an admin's work
    async def register(self, name: object, password: object, roles: object, *, by: VerifiedIdentity,
                       now_ms: int) -> UserRecord:
        ca = self._ca()
        name = _name(name)
        secret = check_password(password)
        wanted = _roles(roles)
        missing = [r for r in wanted if r not in by.roles]
        if missing:
            held = ", ".join(by.roles) or "none"
            raise UserRefused("forbidden", f"roles: {shown(by.name)} may grant only roles it holds ({held}), not "
                              f"{', '.join(map(shown, missing))}")
        if self.store.get(name) is not None:
            raise UserRefused("exists", f"a user named {shown(name)} is registered on this node already")
        key = self.suite.generate_key()
        request = build_request(self.suite, key, name)
        sealed = await self._kdf(lambda: seal(self.suite, key, secret, org=self.org, name=name, cost=self.cost))
        registered, enrollment = await ca_call(lambda: ca.register(name, type=USER_TYPE, roles=wanted,
                                                                   by=self.registrar))
        record = UserRecord(name, self.org, USER_TYPE, registered.roles, PENDING, by.name, now_ms, sealed,
                            request=request, enrollment_secret=enrollment)
        self.store.put(record)
        log.info("user registered", extra={"user": name, "by": by.name, "roles": list(registered.roles)})
        return record

    async def approve(self, name: object, *, by: VerifiedIdentity, now_ms: int) -> UserRecord:
        ca = self._ca()
        record = self.get(name)
        if record.status != PENDING:
            raise UserRefused("not-pending", f"{shown(record.name)} is {record.status}; only a pending user is "
                              "approved")
        found = await ca_call(lambda: ca.show(record.name))
        if found.status == CA_PENDING:
            await ca_call(lambda: ca.approve(record.name, by=by.name, note="an application user of the node's API"))
        record = await self._enroll(record, by.name, now_ms)
        log.info("user approved", extra={"user": record.name, "by": by.name})
        return record

    def disable(self, name: object, *, by: VerifiedIdentity, now_ms: int) -> UserRecord:
        record = self.get(name)
        if record.status != DISABLED:
            record = record.with_(status=DISABLED, was=record.status, disabled_by=by.name, disabled_at=now_ms)
            self.store.put(record)
        ended = self.sessions.end_all(self.org, record.name)
        log.info("user disabled", extra={"user": record.name, "by": by.name, "sessions_ended": ended})
        return record

    def enable(self, name: object, *, by: VerifiedIdentity, now_ms: int) -> UserRecord:
        record = self.get(name)
        if record.status == DISABLED:
            record = record.with_(status=record.was or PENDING, was=None, disabled_by=None, disabled_at=None)
            self.store.put(record)
        log.info("user enabled", extra={"user": record.name, "by": by.name})
        return record

    def unlock(self, name: object, *, by: VerifiedIdentity, now_ms: int) -> UserRecord:
        record = self.get(name)
        if record.failures or record.locked_until:
            record = record.with_(failures=0, locked_until=0)
            self.store.put(record)
        log.info("user unlocked", extra={"user": record.name, "by": by.name})
        return record

    def get(self, name: object) -> UserRecord:
        record = self.store.get(name) if isinstance(name, str) else None
        if record is None:
            raise UserRefused("unknown-user", f"no user named {shown(str(name))} on this node")
        return record

    def list(self) -> list[UserRecord]:
        return self.store.all()

    # --- a user's own
    async def login(self, name: object, password: object, *, now_ms: int) -> tuple[str, Session]:
        """A session holding the user's key, and its token; `UserRefused` otherwise."""
        record, key = await self._open(name, password, now_ms)
        if record.status == PENDING:
            record = await self._enroll(record, None, now_ms)
        if record.status == DISABLED:  # checked after the enrollment's wait: an admin may act meanwhile
            raise self._refused(record, "disabled", f"{shown(record.name)} is disabled; an admin of {self.org} "
                                "may enable it")
        assert record.certificate is not None
        certificate = Certificate.load(record.certificate)
        if _at(now_ms) > certificate.not_after:
            raise self._refused(record, "certificate-expired", f"the certificate of {shown(record.name)} expired at "
                                f"{certificate.not_after.isoformat()}; an admin must register the user anew")
        token, session = self.sessions.open(certificate, key, now_ms=now_ms)
        log.info("session opened", extra={"user": record.name, "kind": "user", "expires_at": session.expires_at})
        return token, session

    async def change_password(self, name: object, password: object, new_password: object, *, now_ms: int) -> None:
        fresh = check_password(new_password, "new_password")
        record, key = await self._open(name, password, now_ms)
        sealed = await self._kdf(lambda: seal(self.suite, key, fresh, org=self.org, name=record.name,
                                              cost=self.cost))
        self.store.put(self.get(record.name).with_(sealed=sealed))
        log.info("password changed", extra={"user": record.name})

    # --- internals
    async def _open(self, name: object, password: object, now_ms: int) -> tuple[UserRecord, PrivateKey]:
        """The user's record and key, once ``password`` opens it; counts a wrong one."""
        if not isinstance(name, str) or not name:
            raise UserRefused("bad-request", "name: expected text")
        secret = check_password(password)
        if name in self._attempting:
            raise UserRefused("busy", "another login of this user is being checked; try again in a moment")
        self._attempting.add(name)
        try:
            record = self.store.get(name)
            if record is None:
                await self._kdf(lambda: burn(self.suite, secret, self.cost))
                # not the name: a name no user has may be a password typed in the wrong field
                log.info("login refused", extra={"why": "unknown name"})
                raise _bad_credentials()
            if record.locked(now_ms):
                raise self._refused(record, "locked", _locked_message(record))
            sealed = record.sealed
            try:
                key = await self._kdf(lambda: unseal(self.suite, sealed, secret, org=self.org, name=name))
            except WrongPassword:
                record = self._failed(name, now_ms)
                if record.locked(now_ms):
                    raise self._refused(record, "locked", _locked_message(record)) from None
                log.info("login refused", extra={"user": name, "why": "wrong password",
                                                 "failures": record.failures})
                raise _bad_credentials() from None
            record = self.get(name)  # as it is now: an admin may have acted during the derivation
            if record.failures or record.locked_until:
                record = record.with_(failures=0, locked_until=0)
                self.store.put(record)
            return record, key
        finally:
            self._attempting.discard(name)

    def _failed(self, name: str, now_ms: int) -> UserRecord:
        record = self.get(name)
        failures = record.failures + 1
        if failures >= MAX_FAILURES:
            record = record.with_(failures=0, locked_until=now_ms + LOCK_MS)
            log.warning("user locked out", extra={"user": name, "until": record.locked_until,
                                                  "after_failures": failures})
        else:
            record = record.with_(failures=failures)
        self.store.put(record)
        return record

    async def _enroll(self, record: UserRecord, by: str | None, now_ms: int) -> UserRecord:
        """The pending ``record`` enrolled, if the CA approved it (at ``approve``, or at the CA)."""
        ca = self.ca
        if ca is None:
            raise self._refused(record, "not-approved", f"{shown(record.name)} waits for approval (and this node "
                                "has no [ca] to enroll it)")
        found = await ca_call(lambda: ca.show(record.name))
        if found.status == CA_PENDING:
            raise self._refused(record, "not-approved", f"{shown(record.name)} waits for an admin of {self.org} to "
                                "approve it")
        if found.status == APPROVED:
            if record.request is None or record.enrollment_secret is None:
                raise UserRefused("invalid", f"{shown(record.name)} cannot be enrolled: its registration lacks its "
                                  "request (the user's file was altered); register the user anew")
            request, secret = record.request, record.enrollment_secret
            certificate = await ca_call(lambda: ca.enroll(record.name, secret=secret, request=request))
        elif found.status == ENROLLED and found.current_certificate is not None:
            # enrolled, but the node stopped before it kept the certificate: take it if it certifies our key
            serial = found.current_certificate.serial
            certificate = await ca_call(lambda: ca.issued_certificate(serial))
            if record.request is None or not self.suite.same_public_key(
                    certificate.public_key, CertificationRequest.load(record.request).public_key):
                raise UserRefused("invalid", f"{shown(record.name)} is enrolled at the CA with another key")
        else:
            raise self._refused(record, "not-approved", f"the CA holds {shown(record.name)} as {found.status}")
        current = self.get(record.name)  # as it is now: an admin may have disabled it meanwhile
        status = {"status": ACTIVE} if current.status != DISABLED else {"was": ACTIVE}
        updated = current.with_(**status, certificate=certificate.der, request=None, enrollment_secret=None,
                                approved_by=by or found.reviewed_by, approved_at=now_ms)
        self.store.put(updated)
        log.info("user enrolled", extra={"user": record.name, "serial": f"{certificate.serial:x}"})
        return updated

    def _refused(self, record: UserRecord, reason: str, message: str) -> UserRefused:
        log.info("user refused", extra={"user": record.name, "why": reason})
        return UserRefused(reason, message)

    def _ca(self) -> CertificateAuthority:
        if self.ca is None:
            raise UserRefused("no-ca", f"this node enrolls no users: its node.toml has no [ca] section (the CA of "
                              f"{self.org}); ask another node of {self.org}")
        return self.ca

    async def _kdf(self, work: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._kdf_pool, work)


def _bad_credentials() -> UserRefused:
    return UserRefused("bad-credentials", "wrong name or password")


def _locked_message(record: UserRecord) -> str:
    until = datetime.fromtimestamp(record.locked_until / 1000, timezone.utc).isoformat(timespec="seconds")
    return (f"{shown(record.name)} is locked after {MAX_FAILURES} wrong passwords until {until}; an admin may "
            "unlock it sooner")


def _name(value: object) -> str:
    if not isinstance(value, str):
        raise UserRefused("bad-request", "name: expected text")
    try:
        return check_name("name", value)
    except ClaimError as exc:
        raise UserRefused("bad-request", str(exc)) from None


def _roles(value: object) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(r, str) for r in value) or len(value) > ROLES_MAX:
        raise UserRefused("bad-request", f"roles: expected a list of at most {ROLES_MAX} role words")
    return list(dict.fromkeys(value))


def _at(now_ms: int) -> datetime:
    return datetime.fromtimestamp(now_ms / 1000, timezone.utc)

