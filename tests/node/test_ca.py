"""The CA as a library: lifecycle, every refusal, the audit log's tamper evidence, concurrency."""

from __future__ import annotations

import base64
import json
import threading
from datetime import timedelta
from pathlib import Path

import pytest

from node.ca import CertificateAuthority, reenroll_proof
from node.ca import errors as E
from node.codec import decode, encode
from node.crypto import SUITE_NAMES, get_suite
from node.identity import ChannelTrust, IdentityRefused, Refusal, build_request, check_identity

from .conftest import NOW

PASS = b"ca passphrase"


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self):
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _init(home: Path, suite: str, clock: Clock) -> CertificateAuthority:
    return CertificateAuthority.init(
        home, org="PICC", suite=suite, passphrase=PASS, admin="boss", admin_secret="boss-secret", clock=clock
    )


@pytest.fixture
def ca(tmp_path: Path, clock: Clock) -> CertificateAuthority:
    return _init(tmp_path / "ca", "gm", clock)


def _enroll(ca: CertificateAuthority, name: str, secret: str):
    key = ca.suite.generate_key()
    return ca.enroll(name, secret=secret, request=build_request(ca.suite, key, name)), key


def _approved(ca: CertificateAuthority, name: str, **kw) -> str:
    _, secret = ca.register(name, by="boss", **{"type": "client", "roles": ["insurer"], **kw})
    ca.approve(name, by="boss")
    return secret


@pytest.mark.parametrize("suite", SUITE_NAMES)
def test_lifecycle(tmp_path: Path, clock: Clock, suite: str) -> None:
    ca = _init(tmp_path / "ca", suite, clock)
    record, secret = ca.register("alice", type="client", roles=["insurer", "cedent"], attributes={"dept": "claims"}, by="boss")
    assert record.status == "pending" and record.roles == ("cedent", "insurer")
    assert ca.approve("alice", by="boss", note="checked licence").status == "approved"
    cert, key = _enroll(ca, "alice", secret)
    assert (cert.subject.org, cert.subject.name, cert.subject.type) == ("PICC", "alice", "client")
    assert cert.claims.attributes == (("dept", "claims"),)
    assert cert.not_after - cert.not_before == timedelta(days=365, minutes=1)
    trust = ChannelTrust.build(suite, [ca.certificate], [ca.current_crl()])
    assert check_identity(cert, trust, role="insurer", at=clock.now).name == "alice"

    clock.now += timedelta(days=300)
    new_key = ca.suite.generate_key()
    request = build_request(ca.suite, new_key, "alice")
    renewed = ca.reenroll("alice", current=cert.der, request=request, proof=reenroll_proof(ca.suite, key, request))
    assert renewed.serial != cert.serial and renewed.not_after > cert.not_after
    assert ca.suite.same_public_key(renewed.public_key, ca.suite.public_key(new_key))

    ca.revoke("alice", by="boss", reason="key_compromise")
    crl = ca.current_crl()
    assert set(crl.revoked) == {cert.serial, renewed.serial} and crl.revoked[cert.serial].reason == "key_compromise"
    trust = ChannelTrust.build(suite, [ca.certificate], [crl])
    with pytest.raises(IdentityRefused) as refused:
        check_identity(renewed, trust, at=clock.now)
    assert refused.value.reason is Refusal.REVOKED
    assert [r.name for r in ca.list()] == ["alice", "boss"] and [r.name for r in ca.list("revoked")] == ["alice"]
    assert ca.issued_certificate(f"{renewed.serial:x}") == renewed
    actions = [e.action for e in ca.verify_audit()]
    assert actions == ["init", "register", "crl", "register", "approve", "enroll", "reenroll", "revoke"]


def test_refusals(ca: CertificateAuthority, clock: Clock) -> None:
    _, secret = ca.register("carol", type="client", by="boss")
    with pytest.raises(E.NotApproved, match="waiting for review"):
        _enroll(ca, "carol", secret)
    with pytest.raises(E.DuplicateName, match="already registered"):
        ca.register("carol", type="peer", by="boss")
    with pytest.raises(E.NotAuthorized, match="not an admin"):
        ca.approve("carol", by="carol")
    with pytest.raises(E.NotAuthorized):
        ca.register("dave", type="client", by="nobody")
    ca.register("dave", type="client", by="boss", secret="dave-secret")
    ca.reject("dave", by="boss", reason="no licence")
    with pytest.raises(E.RegistrationRejected, match="no licence"):
        _enroll(ca, "dave", "dave-secret")
    with pytest.raises(E.InvalidRegistration, match="rejected, not waiting"):
        ca.approve("dave", by="boss")
    ca.approve("carol", by="boss")
    with pytest.raises(E.WrongSecret):
        _enroll(ca, "carol", "not-the-secret")
    cert, key = _enroll(ca, "carol", secret)
    with pytest.raises(E.AlreadyEnrolled, match="secret works once"):
        _enroll(ca, "carol", secret)
    with pytest.raises(E.UnknownIdentity):
        _enroll(ca, "zed", secret)

    request = build_request(ca.suite, key, "carol")
    with pytest.raises(E.InvalidRequest, match="not signed with the current"):
        ca.reenroll("carol", current=cert.der, request=request, proof=b"\x30\x00")
    clock.now = cert.not_after + timedelta(seconds=1)
    with pytest.raises(E.CertificateExpired, match="expired"):
        ca.reenroll("carol", current=cert.der, request=request, proof=reenroll_proof(ca.suite, key, request))
    ca.revoke("carol", by="boss")
    with pytest.raises(E.IdentityRevoked):
        ca.reenroll("carol", current=cert.der, request=request, proof=reenroll_proof(ca.suite, key, request))
    with pytest.raises(E.IdentityRevoked, match="already revoked"):
        ca.revoke("carol", by="boss")
    with pytest.raises(E.InvalidRequest, match="unknown revocation reason"):
        ca.revoke("boss", by="boss", reason="boredom")


def test_requests_must_fit_the_ca(ca: CertificateAuthority) -> None:
    secret = _approved(ca, "erin")
    intl = get_suite("intl")
    with pytest.raises(E.InvalidRequest, match="intl suite"):
        ca.enroll("erin", secret=secret, request=build_request(intl, intl.generate_key(), "erin"))
    with pytest.raises(E.InvalidRequest):
        ca.enroll("erin", secret=secret, request=b"garbage")
    with pytest.raises(E.InvalidRequest, match="CA's own key"):
        ca.enroll("erin", secret=secret, request=build_request(ca.suite, ca._signing_key(), "erin"))
    assert ca.show("erin").status == "approved"  # refusals change nothing


def test_a_request_is_bound_to_the_enrolling_name(ca: CertificateAuthority, clock: Clock) -> None:
    # Bob's request (public once sent) replayed with alice's secret must not certify bob's key as alice.
    secret = _approved(ca, "alice")
    bob_key = ca.suite.generate_key()
    with pytest.raises(E.InvalidRequest, match="request is for 'bob', not 'alice'"):
        ca.enroll("alice", secret=secret, request=build_request(ca.suite, bob_key, "bob"))
    cert, key = _enroll(ca, "alice", secret)
    other = build_request(ca.suite, bob_key, "bob")
    with pytest.raises(E.InvalidRequest, match="request is for 'bob'"):
        ca.reenroll("alice", current=cert.der, request=other, proof=reenroll_proof(ca.suite, key, other))


def test_the_requester_cannot_outlast_the_cas_validity_policy(ca: CertificateAuthority) -> None:
    secret = _approved(ca, "frank")
    key = ca.suite.generate_key()
    request = build_request(ca.suite, key, "frank")
    with pytest.raises(E.InvalidRequest, match="1 to 365 days, not 3650"):
        ca.enroll("frank", secret=secret, request=request, days=3650)
    cert = ca.enroll("frank", secret=secret, request=request, days=30)
    assert cert.not_after - cert.not_before == timedelta(days=30, minutes=1)
    with pytest.raises(E.InvalidRequest, match="not 366"):
        ca.reenroll("frank", current=cert.der, request=request, proof=reenroll_proof(ca.suite, key, request), days=366)


def test_registration_checks(ca: CertificateAuthority) -> None:
    record, _ = ca.register("cbirc-inspector", type="regulator", by="boss")
    assert record.roles == ("regulator",)
    with pytest.raises(E.InvalidRegistration, match="regulator"):
        ca.register("fake", type="client", roles=["regulator"], by="boss")
    with pytest.raises(E.InvalidRegistration, match="unknown identity type"):
        ca.register("x", type="superuser", by="boss")
    with pytest.raises(E.InvalidRegistration, match="at least 8"):
        ca.register("y", type="client", secret="short", by="boss")
    with pytest.raises(E.InvalidRegistration):
        ca.register(" padded", type="client", by="boss")


def test_a_ca_persists_and_guards_its_key(ca: CertificateAuthority, tmp_path: Path, clock: Clock) -> None:
    home = tmp_path / "ca"
    secret = _approved(ca, "frank")
    reopened = CertificateAuthority(home, passphrase=PASS, clock=clock)
    assert reopened.show("frank").status == "approved" and reopened.certificate == ca.certificate
    _enroll(reopened, "frank", secret)
    locked = CertificateAuthority(home, clock=clock)
    assert [r.name for r in locked.list()] == ["boss", "frank"]  # reading needs no passphrase
    with pytest.raises(E.CALocked, match="passphrase"):
        locked.register("g", type="client", by="boss")
    with pytest.raises(E.CALocked, match="wrong passphrase"):
        CertificateAuthority(home, passphrase=b"guess", clock=clock).approve("frank", by="boss")
    with pytest.raises(E.CAExists):
        _init(home, "gm", clock)
    with pytest.raises(E.CANotFound):
        CertificateAuthority(tmp_path / "nowhere")
    assert b"ENCRYPTED PRIVATE KEY" in (home / "ca-key.pem").read_bytes()
    for private in ("ca-key.pem", "registry.json"):  # the registry holds the secrets' hashes
        assert (home / private).stat().st_mode & 0o077 == 0


def _lines(home: Path) -> list[bytes]:
    return (home / "audit.log").read_bytes().splitlines(keepends=True)


def _rewrite(home: Path, lines: list[bytes]) -> None:
    (home / "audit.log").write_bytes(b"".join(lines))


def test_audit_log_detects_tampering(ca: CertificateAuthority, tmp_path: Path, clock: Clock) -> None:
    home = tmp_path / "ca"
    _approved(ca, "gina")
    with pytest.raises(E.WrongSecret):
        _enroll(ca, "gina", "wrong-secret")  # refusals are logged too
    entries = ca.verify_audit()
    assert entries[-1].action == "enroll.refused" and "wrong enrollment secret" in entries[-1].details["refusal"]
    pristine = _lines(home)

    def tampered(lines: list[bytes]) -> None:
        _rewrite(home, lines)
        with pytest.raises(E.AuditTampered):
            ca.verify_audit()
        _rewrite(home, pristine)

    record = decode(base64.b64decode(pristine[3]))
    entry = decode(record["entry"])
    entry["actor"] = "mallory"
    forged = base64.b64encode(encode({"entry": encode(entry), "sig": record["sig"]})) + b"\n"
    tampered(pristine[:3] + [forged] + pristine[4:])  # changed entry
    tampered(pristine[:3] + pristine[4:])  # deleted entry
    tampered(pristine[:3] + [pristine[4], pristine[3]] + pristine[5:])  # reordered
    tampered(pristine[:-1])  # truncated: the registry no longer matches the last entry
    tampered(pristine[:2] + [b"!!not base64!!\n"] + pristine[3:])
    ca.verify_audit()

    registry = json.loads((home / "registry.json").read_text())
    registry["identities"]["gina"]["roles"] = ["insurer", "bank"]
    (home / "registry.json").write_text(json.dumps(registry))
    with pytest.raises(E.AuditTampered, match="registry"):
        ca.verify_audit()


def test_a_change_refuses_to_sign_over_tampering(ca: CertificateAuthority, tmp_path: Path) -> None:
    # Were the next change to log the edited registry's digest, the edit would be signed into the
    # chain and verify_audit would pass from then on.
    home = tmp_path / "ca"
    ca.register("gina", type="client", roles=["insurer"], secret="gina-secret", by="boss")
    pristine_registry, pristine_log = (home / "registry.json").read_bytes(), _lines(home)
    registry = json.loads(pristine_registry)
    registry["identities"]["gina"].update(status="approved", roles=["bank", "insurer"])
    (home / "registry.json").write_text(json.dumps(registry))
    with pytest.raises(E.AuditTampered, match="registry does not match"):
        ca.register("hank", type="client", secret="hank-secret", by="boss")
    with pytest.raises(E.AuditTampered):
        ca.verify_audit()
    (home / "registry.json").write_bytes(pristine_registry)
    for lines in (pristine_log[:-1], []):  # a truncated or emptied log
        _rewrite(home, lines)
        with pytest.raises(E.AuditTampered):
            ca.approve("gina", by="boss")
    _rewrite(home, pristine_log)
    ca.approve("gina", by="boss")
    assert ca.verify_audit()[-1].action == "approve"


def test_a_damaged_registry_is_reported_not_a_crash(ca: CertificateAuthority, tmp_path: Path) -> None:
    path = tmp_path / "ca" / "registry.json"
    pristine = json.loads(path.read_text())
    with_float = json.loads(json.dumps(pristine))
    with_float["identities"]["boss"]["registered_at"] = 1.5  # JSON allows it; the codec does not
    path.write_text(json.dumps(with_float))
    for act in (ca.verify_audit, lambda: ca.register("x", type="client", secret="x-secret-x", by="boss")):
        with pytest.raises(E.AuditTampered, match="never writes"):
            act()
    path.write_text(json.dumps({**pristine, "identities": ["boss"]}))
    for act in (ca.list, lambda: ca.show("boss"), lambda: ca.approve("boss", by="boss")):
        with pytest.raises(E.CADamaged, match="malformed"):
            act()
    with pytest.raises(E.AuditTampered, match="malformed"):
        ca.verify_audit()


def test_the_last_admin_cannot_be_revoked(ca: CertificateAuthority) -> None:
    with pytest.raises(E.NotAuthorized, match="last admin"):
        ca.revoke("boss", by="boss")
    assert ca.show("boss").status != "revoked"
    ca.register("second", type="admin", secret="second-secret", by="boss")
    ca.approve("second", by="boss")
    ca.revoke("boss", by="second", reason="superseded")
    with pytest.raises(E.NotAuthorized, match="last admin"):
        ca.revoke("second", by="second")


def test_concurrent_use_from_threads_and_instances(ca: CertificateAuthority, tmp_path: Path, clock: Clock) -> None:
    other = CertificateAuthority(tmp_path / "ca", passphrase=PASS, clock=clock)  # as a second process would
    errors: list[Exception] = []

    def work(authority: CertificateAuthority, names: list[str]) -> None:
        try:
            for name in names:
                authority.register(name, type="client", secret="s3cret-s3cret", by="boss")
                authority.approve(name, by="boss")
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=work, args=(ca if i % 2 else other, [f"user{i}-{j}" for j in range(3)]))
        for i in range(6)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(ca.list("approved")) == 18 + 1
    entries = ca.verify_audit()
    assert [e.seq for e in entries] == list(range(len(entries))) and len(entries) == 3 + 36


def test_a_second_admin_brings_four_eyes_review(ca: CertificateAuthority) -> None:
    ca.register("deputy", type="admin", by="boss")
    ca.approve("deputy", by="boss")  # the only admin may approve what it registered
    ca.register("hank", type="client", by="boss")
    with pytest.raises(E.NotAuthorized, match="another admin must review"):
        ca.approve("hank", by="boss")
    assert ca.approve("hank", by="deputy").reviewed_by == "deputy"
    ca.register("ivy", type="client", by="deputy")
    ca.revoke("deputy", by="boss")
    assert ca.approve("ivy", by="boss").status == "approved"  # back to one admin


def test_a_refused_init_writes_nothing(tmp_path: Path, clock: Clock) -> None:
    home = tmp_path / "ca"
    with pytest.raises(E.InvalidRegistration, match="at least"):
        CertificateAuthority.init(home, org="PICC", suite="gm", passphrase=b"pass-phrase", admin="admin",
                                  admin_secret="short", clock=clock)
    left = sorted(p.name for p in home.iterdir()) if home.exists() else []
    assert [name for name in left if not name.startswith(".")] == []  # at most the lock file
    # and the same home then takes a proper init
    CertificateAuthority.init(home, org="PICC", suite="gm", passphrase=b"pass-phrase", admin="admin",
                              admin_secret="admin-secret-1", clock=clock)
