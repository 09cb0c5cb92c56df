"""An organisation's certificate authority, as a library: the CLI calls it today, a node's API
server will call it from inside a running node tomorrow.

Lifecycle of an identity: `register` (pending) -> `approve` or `reject` by an admin of the CA (once
the CA has two admins, not by the one who registered it) ->
`enroll` with the one-time secret and a CSR (enrolled) -> `reenroll` to renew before expiry ->
`revoke` (revoked, on the CRL). Every state change, and every refused attempt at one, is written
to the signed audit log. One `CertificateAuthority` may be shared by threads, and several
processes may open the same home: each change holds the home's lock (see `store`).
"""

from __future__ import annotations

import builtins
import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Callable, TypeVar

from node.ca import audit
from node.ca.errors import (
    AlreadyEnrolled,
    AuditTampered,
    CADamaged,
    CAExists,
    CALocked,
    CARefused,
    CertificateExpired,
    DuplicateName,
    IdentityRevoked,
    InvalidRegistration,
    InvalidRequest,
    NotApproved,
    NotAuthorized,
    RegistrationRejected,
    UnknownIdentity,
    WrongSecret,
)
from node.ca.records import (
    APPROVED,
    ENROLLED,
    PENDING,
    REJECTED,
    REVOKED,
    CAConfig,
    IdentityRecord,
    IssuedCertificate,
    ms,
)
from node.ca.issuance import CLOCK_SKEW, Issuer, new_serial
from node.ca.registration import new_record, secret_matches
from node.ca.store import CAHome
from node.crypto import CryptoSuite, KeyFormatError, UnknownSuiteError, get_suite
from node.identity.certificate import Certificate, CertificateError, issue_certificate, key_identifier
from node.identity.crl import REVOCATION_REASONS, RevocationList
from node.identity.names import CA_TYPE, ClaimError, Subject, check_name, check_utf8, escaped, shown
from node.identity.request import CertificationRequest

T = TypeVar("T")
REENROLL_PROOF_CONTEXT = b"baochain/ca/reenroll/v1\x00"


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


class CertificateAuthority:
    def __init__(
        self, home: Path | str | CAHome, *, passphrase: bytes | None = None, clock: Callable[[], datetime] = utc_now
    ) -> None:
        self._home = home if isinstance(home, CAHome) else CAHome(home)
        self._home.require()
        raw = self._home.read_json(self._home.config, fields=("org", "suite", "identity_days", "crl_days"))
        self.config = CAConfig(raw["org"], raw["suite"], raw["identity_days"], raw["crl_days"])
        self.suite: CryptoSuite = get_suite(self.config.suite)
        self.certificate = Certificate.load(self._home.certificate.read_bytes())
        self._passphrase = passphrase
        self._key: Any = None
        self._clock = clock

    # ---- creation -------------------------------------------------------------------------

    @classmethod
    def init(
        cls,
        home: Path | str,
        *,
        org: str,
        suite: str,
        passphrase: bytes,
        admin: str,
        admin_secret: str,
        days: int = 3650,
        identity_days: int = 365,
        crl_days: int = 7,
        clock: Callable[[], datetime] = utc_now,
    ) -> CertificateAuthority:
        """Create a CA: root key (encrypted with `passphrase`), self-signed root certificate, and
        a first admin identity, already approved, that can enroll with `admin_secret`."""
        store = CAHome(home)
        try:
            crypto = get_suite(suite)
            org = check_name("organisation", org)
            admin = check_name("admin name", admin)
        except (UnknownSuiteError, ClaimError) as exc:
            raise InvalidRegistration(str(exc)) from None
        if not passphrase:
            raise CALocked("the CA key needs a passphrase: --passphrase-file or BAOCHAIN_CA_PASSPHRASE")
        _check_days(days, identity_days, crl_days)
        with store.locked():
            if store.exists():
                raise CAExists(f"a CA already exists at {store.root}")
            now = clock()
            # The first admin's record checks its secret: made before anything is written, so a
            # refused init leaves no half-made CA behind.
            record = new_record(admin, "admin", [], {}, admin_secret, "ca", int(now.timestamp() * 1000))
            record = record.with_(status=APPROVED, reviewed_by="ca", review_note="first admin, created with the CA")
            key = crypto.generate_key()
            subject = Subject(org=org, name=f"{org} CA", type=CA_TYPE)
            public = crypto.public_key(key)
            root = issue_certificate(
                crypto,
                key,
                subject=subject,
                issuer_name=subject.to_der(),
                issuer_key_id=key_identifier(crypto, public),
                public_key=public,
                serial=new_serial(),
                not_before=now - CLOCK_SKEW,
                not_after=now + timedelta(days=days),
                is_ca=True,
            )
            store.write_atomic(store.key, crypto.private_key_to_pem(key, passphrase), private=True)
            store.write_atomic(store.certificate, Certificate.load(root).pem)
            store.certs.mkdir(exist_ok=True)
            store.write_json(store.registry, {"version": 1, "crl_number": 0, "identities": {}, "serials": {}}, private=True)
            store.write_json(store.config, CAConfig(org, suite, identity_days, crl_days).to_dict())
            ca = cls(store, passphrase=passphrase, clock=clock)  # same home object: its lock is re-entrant
            ca._key = key
            ca._change("init", "ca", "", {"org": org, "suite": suite, "days": days}, lambda registry: None)

            def add_admin(registry: dict[str, Any]) -> None:
                registry["identities"][admin] = record.to_dict()

            ca._change("register", "ca", admin, {"type": "admin", "approved": True}, add_admin)
            ca.issue_crl()
        return ca

    # ---- registration and review -------------------------------------------------------------

    def register(
        self,
        name: str,
        *,
        type: str,
        roles: list[str] | tuple[str, ...] = (),
        attributes: dict[str, str] | None = None,
        secret: str | None = None,
        by: str,
    ) -> tuple[IdentityRecord, str]:
        """Register an identity awaiting review; returns its record and its enrollment secret
        (the one given, or a fresh random one)."""
        secret = secret or secrets.token_urlsafe(18)
        details = {"type": type, "roles": list(roles), "attributes": dict(attributes or {})}
        try:
            name, refusal = check_name("name", name), None
        except ClaimError as exc:
            refusal = InvalidRegistration(str(exc))

        def change(registry: dict[str, Any]) -> IdentityRecord:
            admin = self._require_admin(registry, by)
            if refusal is not None:
                raise refusal
            if name in registry["identities"]:
                raise DuplicateName(f"an identity named {shown(name)} is already registered with this CA")
            record = new_record(name, type, list(roles), dict(attributes or {}), secret, admin, self._now_ms())
            registry["identities"][name] = record.to_dict()
            return record

        return self._change("register", by, name, details, change), secret

    def approve(self, name: str, *, by: str, note: str | None = None) -> IdentityRecord:
        def change(registry: dict[str, Any]) -> IdentityRecord:
            admin = self._require_admin(registry, by)
            _free_text("note", note)
            record = self._pending(registry, name)
            if record.registered_by == admin and self._admins(registry) > 1:
                # Four eyes: once a CA has a second admin, nobody approves their own registration.
                raise NotAuthorized(f"{shown(admin)} registered {shown(record.name)}; another admin must review it")
            record = record.with_(status=APPROVED, reviewed_by=admin, review_note=note)
            registry["identities"][record.name] = record.to_dict()
            return record

        return self._change("approve", by, name, {"note": note}, change)

    def reject(self, name: str, *, by: str, reason: str) -> IdentityRecord:
        def change(registry: dict[str, Any]) -> IdentityRecord:
            admin = self._require_admin(registry, by)
            _free_text("reason", reason)
            record = self._pending(registry, name)
            record = record.with_(status=REJECTED, reviewed_by=admin, review_note=reason, secret_salt="", secret_hash="")
            registry["identities"][record.name] = record.to_dict()
            return record

        return self._change("reject", by, name, {"reason": reason}, change)

    # ---- certificates ------------------------------------------------------------------------

    def enroll(self, name: str, *, secret: str, request: bytes, days: int | None = None) -> Certificate:
        """Issue the first certificate of an approved identity, against its one-time secret."""

        def change(registry: dict[str, Any]) -> Certificate:
            record = self._record(registry, name)
            self._check_enrollable(record)
            if not secret_matches(record, secret):
                raise WrongSecret(f"wrong enrollment secret for {shown(record.name)}")
            cert = self._issue(registry, record, self._request(request, record.name), days)
            details["serial"] = f"{cert.serial:x}"
            return cert

        details: dict[str, Any] = {}
        return self._change("enroll", name, name, details, change)

    def ready_to_enroll(self, name: str) -> IdentityRecord:
        """The record of `name` when it may enroll now (its secret aside), else the refusal
        `enroll` would give. Reads only, logs nothing and needs no key: a client asks it before
        it writes a key or reserves a file, so a second enroll says "already enrolled"."""
        record = self._record(self._load_registry(), name)
        self._check_enrollable(record)
        return record

    def reenroll(
        self, name: str, *, current: bytes, request: bytes, proof: bytes, days: int | None = None
    ) -> Certificate:
        """Renew an enrolled identity's certificate before it expires. `proof` is the current
        key's signature over `REENROLL_PROOF_CONTEXT + request` (see `reenroll_proof`)."""

        def change(registry: dict[str, Any]) -> Certificate:
            record = self._record(registry, name)
            who = shown(record.name)
            if record.status == REVOKED:
                raise IdentityRevoked(f"{who} is revoked and cannot renew")
            if record.status != ENROLLED:
                raise NotApproved(f"{who} has not enrolled yet; enroll first")
            try:
                cert = Certificate.load(current)
            except CertificateError as exc:
                raise InvalidRequest(f"current certificate: {exc}") from None
            latest = record.current_certificate
            if not cert.signed_by(self.certificate) or latest is None or f"{cert.serial:x}" != latest.serial:
                raise InvalidRequest(f"that is not {who}'s current certificate from this CA")
            if latest.revoked_at is not None:
                raise IdentityRevoked(f"the current certificate of {who} is revoked")
            now = self._clock()
            if now > cert.not_after:
                raise CertificateExpired(
                    f"the certificate of {who} expired at {cert.not_after:%Y-%m-%d %H:%M} UTC; "
                    "renew before expiry, or have an admin revoke it and register the identity anew"
                )
            csr = self._request(request, record.name)
            if not self.suite.verify(cert.public_key, REENROLL_PROOF_CONTEXT + csr.der, proof):
                raise InvalidRequest("the renewal is not signed with the current certificate's key")
            new = self._issue(registry, record, csr, days)
            details["serial"] = f"{new.serial:x}"
            return new

        details: dict[str, Any] = {}
        return self._change("reenroll", name, name, details, change)

    def revoke(self, name: str, *, by: str, reason: str = "unspecified") -> IdentityRecord:
        """Revoke an identity: every certificate it holds goes on the CRL, which is reissued."""
        if reason not in REVOCATION_REASONS:
            raise InvalidRequest(f"unknown revocation reason {shown(reason)} (one of: {', '.join(REVOCATION_REASONS)})")

        def change(registry: dict[str, Any]) -> IdentityRecord:
            self._require_admin(registry, by)
            record = self._record(registry, name)
            shown_name = shown(record.name)
            if record.status == REVOKED:
                raise IdentityRevoked(f"{shown_name} is already revoked")
            if record.status in (PENDING, REJECTED):
                raise NotApproved(f"{shown_name} was never approved; nothing to revoke")
            if record.type == "admin" and self._admins(registry) == 1:
                # No admin could then register, approve or revoke anything again: the CA is lost.
                raise NotAuthorized(f"{shown_name} is this CA's last admin; approve another admin before revoking it")
            now = self._now_ms()
            certs = tuple(
                c if c.revoked_at is not None else IssuedCertificate(c.serial, c.not_before, c.not_after, now, reason)
                for c in record.certificates
            )
            record = record.with_(status=REVOKED, certificates=certs, secret_salt="", secret_hash="")
            registry["identities"][record.name] = record.to_dict()
            self._write_crl(registry)
            return record

        return self._change("revoke", by, name, {"reason": reason}, change)

    def issue_crl(self) -> RevocationList:
        """A freshly signed CRL of every revoked certificate (also written to the home)."""
        return self._change("crl", "ca", "", {}, self._write_crl)

    def current_crl(self) -> RevocationList:
        """The CRL last issued, as the home publishes it; needs no key. Raises `CADamaged` when
        the file is missing, unreadable or not signed by this CA."""
        try:
            crl = RevocationList.load(self._home.crl.read_bytes())
        except (OSError, CertificateError) as exc:
            raise CADamaged(f"{self._home.crl} is damaged or missing ({exc}); issue a new CRL with the CA key") from None
        if not crl.signed_by(self.certificate):
            raise CADamaged(f"{self._home.crl} is not signed by this CA's key; issue a new CRL with the CA key")
        return crl

    # ---- reading --------------------------------------------------------------------------

    def list(self, status: str | None = None) -> list[IdentityRecord]:
        records = [IdentityRecord.from_dict(d) for d in self._load_registry()["identities"].values()]
        return sorted((r for r in records if status is None or r.status == status), key=lambda r: r.name)

    def show(self, name: str) -> IdentityRecord:
        return self._record(self._load_registry(), name)

    def issued_certificate(self, serial: str) -> Certificate:
        path = self._home.certs / f"{serial}.pem"
        if not path.is_file():
            raise UnknownIdentity(f"no certificate with serial {serial} was issued by this CA")
        return Certificate.load(path.read_bytes())

    def verify_audit(self) -> builtins.list[audit.AuditEntry]:  # `list` is the method above
        """Check the whole audit log and that the registry matches it; raises `AuditTampered`."""
        with self._home.locked():
            try:
                registry = self._load_registry()
            except CADamaged as exc:
                raise AuditTampered(str(exc)) from None
            return audit.verify_log(self.suite, self.certificate.public_key, self._home.audit_log, registry)

    # ---- internals ------------------------------------------------------------------------

    def _now_ms(self) -> int:
        return int(self._clock().timestamp() * 1000)

    def _signing_key(self) -> Any:
        if self._key is None:
            if not self._passphrase:
                raise CALocked("this needs the CA key: give its passphrase with --passphrase-file or BAOCHAIN_CA_PASSPHRASE")
            try:
                self._key = self.suite.load_private_key(self._home.key.read_bytes(), self._passphrase)
            except KeyFormatError:
                raise CALocked("cannot unlock the CA key: wrong passphrase") from None
        return self._key

    def _load_registry(self) -> dict[str, Any]:
        registry = self._home.read_json(self._home.registry, fields=("crl_number", "identities", "serials"))
        if not (
            type(registry["crl_number"]) is int
            and isinstance(registry["identities"], dict)
            and isinstance(registry["serials"], dict)
            and all(isinstance(r, dict) for r in registry["identities"].values())
        ):
            raise CADamaged(f"{self._home.registry} is damaged: its identities, serials or CRL number are malformed")
        return registry

    def _change(self, action: str, actor: str, subject: str, details: dict[str, Any], mutate: Callable[[dict[str, Any]], T]) -> T:
        """Run one state change under the lock, log it (or its refusal) and save the registry."""
        key = self._signing_key()
        with self._home.locked():
            registry = self._load_registry()
            link = audit.checked_link(self.suite, self.certificate.public_key, self._home.audit_log, registry)
            try:
                result = mutate(registry)
            except CARefused as exc:
                unchanged = self._load_registry()
                self._log(key, link, f"{action}.refused", actor, subject, {**details, "refusal": str(exc)}, unchanged)
                self._home.write_json(self._home.registry, unchanged, private=True)
                raise
            self._log(key, link, action, actor, subject, details, registry)
            self._home.write_json(self._home.registry, registry, private=True)
            return result

    def _log(
        self, key: Any, link: tuple[int, bytes], action: str, actor: str, subject: str, details: dict[str, Any], registry: dict[str, Any]
    ) -> None:
        seq, prev = link
        # The registry counts the log's entries, so cutting entries off the log's end shows.
        registry["audit_entries"] = seq + 1
        entry = audit.AuditEntry(
            seq, self._now_ms(), action, audit.loggable(actor), audit.loggable(subject), audit.loggable(details), prev,
            audit.registry_digest(self.suite, registry),
        )
        self._home.append(self._home.audit_log, audit.make_line(self.suite, key, entry))

    def _registered_name(self, registry: dict[str, Any], what: str, name: str) -> str:
        """The registry's key for `name`: the name as given when the registry holds it (so a
        name registered before the naming rule can still be shown and revoked), else its NFC
        form. A name that could never have been registered is refused as what it is."""
        if name in registry["identities"]:
            return name
        try:
            return check_name(what, name)
        except ClaimError as exc:
            raise InvalidRequest(str(exc)) from None

    def _record(self, registry: dict[str, Any], name: str) -> IdentityRecord:
        name = self._registered_name(registry, "name", name)
        raw = registry["identities"].get(name)
        if raw is None:
            raise UnknownIdentity(f"no identity named {shown(name)} is registered with this CA")
        try:
            return IdentityRecord.from_dict(raw)
        except (KeyError, TypeError, AttributeError):
            raise CADamaged(f"the registry's record of {shown(name)} is damaged") from None

    def _check_enrollable(self, record: IdentityRecord) -> None:
        name = shown(record.name)
        if record.status == PENDING:
            raise NotApproved(f"{name} is waiting for review: an admin of {self.config.org} must approve it first")
        if record.status == REJECTED:
            by, why = escaped(record.reviewed_by or "?"), escaped(record.review_note or "")
            raise RegistrationRejected(f"the registration of {name} was rejected by {by}: {why}")
        if record.status == ENROLLED:
            raise AlreadyEnrolled(f"{name} is already enrolled (a secret works once); renew its certificate with reenroll")
        if record.status == REVOKED:
            raise IdentityRevoked(f"{name} is revoked")

    def _pending(self, registry: dict[str, Any], name: str) -> IdentityRecord:
        record = self._record(registry, name)
        if record.status != PENDING:
            raise InvalidRegistration(f"{shown(record.name)} is {record.status}, not waiting for review")
        return record

    def _admins(self, registry: dict[str, Any]) -> int:
        return sum(1 for r in registry["identities"].values() if r["type"] == "admin" and r["status"] in (APPROVED, ENROLLED))

    def _require_admin(self, registry: dict[str, Any], name: str) -> str:
        """The registry's name of admin `name`, once it may act."""
        name = self._registered_name(registry, "admin name", name)
        record = registry["identities"].get(name)
        if record is None or record["type"] != "admin":
            raise NotAuthorized(f"{shown(name)} is not an admin of the {self.config.org} CA")
        if record["status"] not in (APPROVED, ENROLLED):
            raise NotAuthorized(f"admin {shown(name)} is {record['status']} and may not act")
        return name

    def _request(self, request: bytes, name: str) -> CertificationRequest:
        try:
            csr = CertificationRequest.load(request)
        except CertificateError as exc:
            raise InvalidRequest(str(exc)) from None
        if csr.common_name is None:
            raise InvalidRequest("the request names no identity: its subject needs exactly one CN")
        if csr.common_name != name:
            # Binds the request to the identity: another's request (no secret), replayed with this
            # identity's secret, would certify that holder's key under this name too, so one
            # party's signatures would also stand as the other's.
            try:
                requested = check_name("the request's name", csr.common_name)
            except ClaimError as exc:
                raise InvalidRequest(str(exc)) from None
            if requested != name:
                raise InvalidRequest(f"the request is for {shown(requested)}, not {shown(name)}")
        if csr.suite_name != self.config.suite:
            raise InvalidRequest(f"the request uses the {csr.suite_name} suite; this CA issues {self.config.suite} certificates")
        if self.suite.same_public_key(csr.public_key, self.certificate.public_key):
            raise InvalidRequest("the request reuses the CA's own key")
        return csr

    def _issuer(self) -> Issuer:
        return Issuer(self.suite, self.certificate, self._signing_key())

    def _issue(self, registry: dict[str, Any], record: IdentityRecord, csr: CertificationRequest, days: int | None) -> Certificate:
        try:
            if check_name("name", record.name) != record.name:
                raise ClaimError(f"name {shown(record.name)} is not in Unicode's NFC form")
        except ClaimError as exc:
            # Only a name registered before the naming rule gets here; no certificate carries one.
            raise InvalidRegistration(f"{exc}; revoke it and register the identity under a valid name") from None
        # The CA's identity_days is its policy, not a default the requester may lengthen: the
        # holder of a one-time secret must not pick a ten-year certificate.
        limit = self.config.identity_days
        days = days or limit
        if not 0 < days <= limit:
            raise InvalidRequest(f"this CA issues certificates valid for 1 to {limit} days, not {days}")
        serial = new_serial(registry["serials"])
        cert = self._issuer().identity_certificate(record, csr.public_key, serial=serial, now=self._clock(), days=days)
        hex_serial = f"{serial:x}"
        self._home.write_atomic(self._home.certs / f"{hex_serial}.pem", cert.pem)
        issued = IssuedCertificate(hex_serial, ms(cert.not_before), ms(cert.not_after))
        updated = record.with_(status=ENROLLED, secret_salt="", secret_hash="", certificates=(*record.certificates, issued))
        registry["identities"][record.name] = updated.to_dict()
        registry["serials"][hex_serial] = record.name
        return cert

    def _write_crl(self, registry: dict[str, Any]) -> RevocationList:
        registry["crl_number"] += 1
        crl = self._issuer().revocation_list(registry, number=registry["crl_number"], now=self._clock(), days=self.config.crl_days)
        self._home.write_atomic(self._home.crl, crl.pem)
        return crl


def reenroll_proof(suite: CryptoSuite, current_key: Any, request: bytes) -> bytes:
    """What `reenroll` asks of the holder: the current key's signature over the new request."""
    csr = CertificationRequest.load(request)
    return suite.sign(current_key, REENROLL_PROOF_CONTEXT + csr.der)


def _free_text(what: str, text: str | None) -> None:
    if text is not None:
        try:
            check_utf8(what, text)
        except ClaimError as exc:
            raise InvalidRequest(str(exc)) from None


def _check_days(*values: int) -> None:
    if any(not 0 < v <= 36500 for v in values):
        raise InvalidRegistration("validity periods must be between 1 and 36500 days")
