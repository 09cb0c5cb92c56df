"""The users of a node's organisation, through its real CA: register, approve (the CA certifies the
key the node made), login (the key opens with the password, SM4 or AES), wrong passwords and the
lock-out, unlock, disable and enable, expiry, and who may manage users at all."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from node.identity import Certificate
from node.tx.clock import now_ms
from node.users.directory import LOCK_MS, MAX_FAILURES, UserDirectory
from node.users.errors import UserRefused
from node.users.sessions import SESSION_TTL_MS, SessionBook
from node.users.store import UserStore
from tests.node.users.org_ca import FAST, make_ca

PASSWORD = "correct horse battery"


class Org:
    def __init__(self, tmp: Path, suite: str = "intl", org: str = "Org1", with_ca: bool = True) -> None:
        self.ca, cert, self.admin_key = make_ca(tmp / f"ca-{org}", org, suite)
        self.book = SessionBook()
        self.users = UserDirectory(UserStore(tmp / f"users-{org}"), org=org, suite=self.ca.suite, sessions=self.book,
                                   ca=self.ca if with_ca else None, cost=FAST)
        self.now = now_ms()
        self.admin = self.users.admin(cert, self.now) if with_ca else None

    def run(self, coro):
        return asyncio.run(coro)

    def register(self, name: str = "alice", password: str = PASSWORD, roles=("insurer",)):
        return self.run(self.users.register(name, password, list(roles), by=self.admin, now_ms=self.now))

    def approve(self, name: str = "alice"):
        return self.run(self.users.approve(name, by=self.admin, now_ms=self.now))

    def login(self, name: str = "alice", password: str = PASSWORD, at: int | None = None):
        return self.run(self.users.login(name, password, now_ms=self.now if at is None else at))

    def refused(self, reason: str, work):
        with pytest.raises(UserRefused) as caught:
            work()
        assert caught.value.reason == reason, caught.value.message
        return caught.value.message


@pytest.fixture
def org(tmp_path):
    o = Org(tmp_path)
    yield o
    o.users.close()


@pytest.mark.parametrize("suite", ["intl", "gm"])
def test_register_approve_and_login_open_the_users_key(tmp_path, suite):
    o = Org(tmp_path, suite)
    record = o.register()
    assert (record.status, record.registered_by, record.roles, record.certificate) == ("pending", "admin",
                                                                                      ("insurer",), None)
    assert o.ca.show("alice").status == "pending" and o.ca.show("alice").registered_by == "ca-admin"
    assert "waits for an admin" in o.refused("not-approved", o.login)  # the password is right, the CA has not spoken
    record = o.approve()
    assert record.status == "active" and record.approved_by == "admin" and record.enrollment_secret is None
    assert o.ca.show("alice").status == "enrolled" and o.ca.show("alice").reviewed_by == "admin"
    token, session = o.login()
    suite_ = o.ca.suite
    cert = o.ca.issued_certificate(o.ca.show("alice").current_certificate.serial)
    assert session.certificate == cert.der == record.certificate and session.kind == "user"
    assert cert.subject.type == "client" and cert.claims.roles == ("insurer",)
    assert suite_.verify(cert.public_key, b"signed by alice", suite_.sign(session.key, b"signed by alice"))
    assert o.book.find(token, o.now) is session
    o.users.close()


def test_a_wrong_password_and_an_unknown_name_get_one_answer(org):
    org.register()
    org.approve()
    assert org.refused("bad-credentials", lambda: org.login(password="wrong horse battery")) == \
        org.refused("bad-credentials", lambda: org.login(name="nobody")) == "wrong name or password"
    assert org.users.get("alice").failures == 1
    org.login()
    assert org.users.get("alice").failures == 0  # the right password starts the count again


def test_lock_out_after_repeated_wrong_passwords_then_time_or_an_admin_unlocks(org):
    org.register()
    org.approve()
    for _ in range(MAX_FAILURES - 1):
        org.refused("bad-credentials", lambda: org.login(password="wrong horse battery"))
    message = org.refused("locked", lambda: org.login(password="wrong horse battery"))
    assert f"after {MAX_FAILURES} wrong passwords" in message
    org.refused("locked", org.login)  # the right password is not even tried
    org.login(at=org.now + LOCK_MS + 1)  # the lock ends by itself
    for _ in range(MAX_FAILURES):
        org.refused("bad-credentials" if _ < MAX_FAILURES - 1 else "locked",
                    lambda: org.login(password="wrong horse battery"))
    assert org.users.unlock("alice", by=org.admin, now_ms=org.now).locked_until == 0
    org.login()


def test_disable_ends_the_sessions_and_enable_restores(org):
    org.register()
    org.approve()
    token, _ = org.login()
    assert org.users.disable("alice", by=org.admin, now_ms=org.now).status == "disabled"
    org.refused("bad-token", lambda: org.book.find(token, org.now))
    assert "disabled" in org.refused("disabled", org.login)
    org.refused("bad-credentials", lambda: org.login(password="wrong horse battery"))  # still a guess, still counted
    assert org.users.enable("alice", by=org.admin, now_ms=org.now).status == "active"
    org.login()
    # a user disabled while pending returns to pending
    org.register("bob")
    org.users.disable("bob", by=org.admin, now_ms=org.now)
    org.refused("not-pending", lambda: org.approve("bob"))
    assert org.users.enable("bob", by=org.admin, now_ms=org.now).status == "pending"


def test_a_session_expires(org):
    org.register()
    org.approve()
    token, session = org.login()
    assert session.expires_at == org.now + SESSION_TTL_MS
    org.refused("session-expired", lambda: org.book.find(token, session.expires_at))


def test_a_password_change_reseals_the_key(org):
    org.register()
    org.approve()
    _, before = org.login()
    asyncio.run(org.users.change_password("alice", PASSWORD, "a new password", now_ms=org.now))
    org.refused("bad-credentials", org.login)
    _, after = org.login(password="a new password")
    assert org.ca.suite.private_key_to_der(after.key) == org.ca.suite.private_key_to_der(before.key)


def test_an_approval_given_at_the_ca_is_taken_up_at_login(org):
    org.register()
    org.ca.approve("alice", by="admin")
    _, session = org.login()
    assert org.users.get("alice").status == "active" and org.users.get("alice").approved_by == "admin"
    # enrolled at the CA, but the node stopped before it kept the certificate: it takes it at login
    org.register("bob")
    record = org.users.get("bob")
    org.ca.approve("bob", by="admin")
    org.ca.enroll("bob", secret=record.enrollment_secret, request=record.request)
    _, session = org.login("bob")
    assert session.certificate == org.users.get("bob").certificate


def test_only_the_organisations_current_admins_manage_its_users(tmp_path, org):
    other = Org(tmp_path, org="Org2")
    with pytest.raises(UserRefused, match="managed by its admins only") as caught:
        org.users.admin(other.ca.issued_certificate(other.ca.show("admin").current_certificate.serial), org.now)
    assert caught.value.reason == "forbidden"
    org.register()
    org.approve()
    alice = Certificate.load(org.users.get("alice").certificate)
    assert "of type client" in org.refused("forbidden", lambda: org.users.admin(alice, org.now))
    org.ca.revoke("admin", by="ca-admin", reason="key_compromise")  # on the CA's CRL from now on
    assert "CRL" in org.refused("forbidden", lambda: org.users.admin(org.admin.certificate, org.now))
    other.users.close()


def test_an_admin_grants_only_roles_it_holds_and_names_are_unique(org):
    assert "may grant only roles it holds" in org.refused("forbidden", lambda: org.register(roles=("hospital",)))
    org.register()
    org.refused("exists", org.register)
    org.refused("exists", lambda: org.register("admin"))  # taken at the CA
    assert "name" in org.refused("bad-request", lambda: org.register("bad/name"))
    assert org.refused("bad-request", lambda: org.register("carol", password="short")).startswith("password:")


def test_a_node_without_a_ca_keeps_its_users_but_enrolls_none(tmp_path):
    o = Org(tmp_path, with_ca=False)
    o.refused("no-ca", lambda: o.users.admin(o.ca.certificate, o.now))
    o.users.close()
