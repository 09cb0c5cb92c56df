"""`baochain ca reenroll` and `baochain ca crl --current` end to end, through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from node.ca.cli import ca
from node.crypto import get_suite
from node.identity import Certificate, ChannelTrust, IdentityRefused, Refusal, RevocationList, check_identity

ENV = {"BAOCHAIN_CA_PASSPHRASE": "test passphrase", "BAOCHAIN_CA_HOME": ""}
START = "2026-06-01T12:00:00"


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, at: str = START, env: dict[str, str] | None = None):
        result = runner.invoke(ca, ["--home", str(tmp_path / "ca"), "--at", at, *args], env={**ENV, **(env or {})})
        assert result.exit_code == code, (result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        if code == 1:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return result

    invoke("init", "--org", "PICC", "--suite", "gm", "--admin", "boss", "--admin-secret", "boss-secret")
    return invoke


@pytest.fixture
def alice(run, tmp_path: Path):
    """alice, enrolled on 2026-06-01 with a key encrypted under `keypass`."""
    run("register", "alice", "--type", "client", "--role", "insurer", "--secret", "alice-secret", "--by", "boss")
    run("approve", "alice", "--by", "boss")
    (tmp_path / "keypass").write_text("alice key pass\n")
    run("enroll", "alice", "--secret", "alice-secret", "--key-passphrase-file", "keypass")
    return run


def _trust(tmp_path: Path) -> ChannelTrust:
    root = Certificate.load((tmp_path / "ca" / "ca-cert.pem").read_bytes())
    return ChannelTrust.build("gm", [root], [RevocationList.load((tmp_path / "ca" / "crl.pem").read_bytes())])


def test_reenroll_end_to_end(alice, tmp_path: Path) -> None:
    suite = get_suite("gm")
    first = Certificate.load((tmp_path / "alice.pem").read_bytes())
    later = "2027-03-01T09:00:00"

    # Renew with the same key, late in the certificate's life.
    out = alice("reenroll", "alice", "--cert", "alice.pem", "--key", "alice.key.pem", "--key-passphrase-file", "keypass",
                "--out", "alice-2.pem", at=later).output
    assert "certificate: alice-2.pem" in out and "new private key" not in out
    second = Certificate.load((tmp_path / "alice-2.pem").read_bytes())
    assert second.serial != first.serial and second.subject == first.subject and second.claims == first.claims
    assert suite.same_public_key(second.public_key, first.public_key)
    assert second.not_after > first.not_after
    assert check_identity(second, _trust(tmp_path), role="insurer", at=second.not_before).name == "alice"

    # The first certificate is no longer the current one: it cannot renew again.
    stale = alice("reenroll", "alice", "--cert", "alice.pem", "--key", "alice.key.pem", "--key-passphrase-file", "keypass",
                  "--out", "x.pem", at=later, code=1).stderr
    assert "not 'alice''s current certificate" in stale and not (tmp_path / "x.pem").exists()

    # Renew with a fresh key, written encrypted under the same passphrase.
    out = alice("reenroll", "alice", "--cert", "alice-2.pem", "--key", "alice.key.pem", "--key-passphrase-file", "keypass",
                "--new-key-out", "alice-3.key.pem", "--out", "alice-3.pem", at=later).output
    assert "new private key: alice-3.key.pem" in out and "certificate: alice-3.pem" in out
    third = Certificate.load((tmp_path / "alice-3.pem").read_bytes())
    new_key = suite.load_private_key((tmp_path / "alice-3.key.pem").read_bytes(), b"alice key pass")
    assert suite.same_public_key(third.public_key, suite.public_key(new_key))
    assert not suite.same_public_key(third.public_key, first.public_key)
    assert (tmp_path / "alice-3.key.pem").stat().st_mode & 0o077 == 0

    show = alice("show", "alice").output
    assert all(f"{c.serial:x}" in show for c in (first, second, third))
    audit = alice("audit").output
    assert audit.count(" reenroll ") == 2 and "reenroll.refused" in audit and "audit log intact" in audit

    # Revoked: every certificate is on the CRL and renewal is over.
    alice("revoke", "alice", "--by", "boss", "--reason", "key_compromise", at=later)
    with pytest.raises(IdentityRefused) as refused:
        check_identity(third, _trust(tmp_path), at=third.not_before)
    assert refused.value.reason is Refusal.REVOKED
    assert "revoked" in alice("reenroll", "alice", "--cert", "alice-3.pem", "--key", "alice-3.key.pem",
                              "--key-passphrase-file", "keypass", "--out", "alice-4.pem", at=later, code=1).stderr


def test_reenroll_refusals_write_nothing(alice, tmp_path: Path) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    common = ("--key-passphrase-file", "keypass")
    cases = [
        (("reenroll", "alice", "--cert", "alice.pem", "--key", "alice.key.pem", *common, "--out", "alice.pem"), "already exists"),
        (("reenroll", "alice", "--cert", "alice.pem", "--key", "alice.key.pem", *common, "--out", "nosuch/.."), "not a plain file name"),
        (("reenroll", "alice", "--cert", "alice.pem", "--key", "alice.key.pem", *common, "--new-key-out", "k/..", "--out", "a2.pem"),
         "not a plain file name"),
        (("reenroll", "zed", "--cert", "alice.pem", "--key", "alice.key.pem", *common, "--out", "a2.pem"), "no identity named 'zed'"),
        (("reenroll", "../alice", "--cert", "alice.pem", "--key", "alice.key.pem", *common, "--out", "a2.pem"), "is not allowed"),
        (("reenroll", "alice", "--cert", "alice.pem", "--key", "alice.key.pem", *common, "--out", "a2.pem", "--days", "3000"),
         "1 to 365 days"),
        (("reenroll", "alice", "--cert", "ca/ca-cert.pem", "--key", "alice.key.pem", *common, "--out", "a2.pem"),
         "current certificate"),
    ]
    for args, message in cases:
        assert message in alice(*args, code=1).stderr, args
    (tmp_path / "other.key.pem").write_bytes(get_suite("gm").private_key_to_pem(get_suite("gm").generate_key(), None))
    wrong_key = alice("reenroll", "alice", "--cert", "alice.pem", "--key", "other.key.pem", "--out", "a2.pem", code=1).stderr
    assert "not signed with the current certificate's key" in wrong_key
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*before, "other.key.pem"])


def test_crl_current_needs_no_passphrase(alice, tmp_path: Path) -> None:
    alice("revoke", "alice", "--by", "boss")
    published = (tmp_path / "ca" / "crl.pem").read_bytes()
    locked = {"BAOCHAIN_CA_PASSPHRASE": ""}
    assert "needs the CA key" in alice("crl", env=locked, code=1).stderr
    shown = alice("crl", "--current", env=locked)
    assert shown.output.encode() == published and shown.stderr == ""
    serial = Certificate.load((tmp_path / "alice.pem").read_bytes()).serial
    assert serial in RevocationList.load(shown.output.encode()).revoked
    alice("crl", "--current", "--out", "picc.crl", env=locked)
    assert (tmp_path / "picc.crl").read_bytes() == published
    assert "inside the CA's folder" in alice("crl", "--current", "--out", "ca/crl.pem", env=locked, code=1).stderr
    assert (tmp_path / "ca" / "crl.pem").read_bytes() == published  # printing changed nothing


def test_crl_current_warns_when_the_crl_is_due(run) -> None:
    late = run("crl", "--current", at="2026-07-01T00:00:00")
    assert late.output.startswith("-----BEGIN X509 CRL-----")
    assert late.stderr.startswith("warning: this CRL was due to be replaced at 2026-06-08") and "baochain ca crl" in late.stderr


def test_crl_current_refuses_a_crl_the_ca_did_not_sign(run, tmp_path: Path) -> None:
    crl = tmp_path / "ca" / "crl.pem"
    crl.write_text("not a CRL")
    assert "damaged or missing" in run("crl", "--current", code=1).stderr
    crl.unlink()
    assert "damaged or missing" in run("crl", "--current", code=1).stderr
    other = tmp_path / "other"
    CliRunner().invoke(ca, ["--home", str(other), "init", "--org", "PICC", "--suite", "gm", "--admin-secret", "boss-secret"], env=ENV)
    crl.write_bytes((other / "crl.pem").read_bytes())  # same organisation name, another key
    assert "not signed by this CA's key" in run("crl", "--current", code=1).stderr
    run("crl")  # issuing a fresh one repairs it
    assert run("crl", "--current").output.startswith("-----BEGIN X509 CRL-----")


def test_help_documents_crl_current() -> None:
    runner = CliRunner()
    assert "needs no passphrase" in runner.invoke(ca, ["crl", "--help"]).output
    assert "crl --current" in runner.invoke(ca, ["--help"]).output
