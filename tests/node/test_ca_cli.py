"""`baochain ca …` end to end: the lifecycle, and every refusal as one clear line with exit 1."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from node.ca.cli import ca
from node.crypto import get_suite
from node.identity import Certificate, ChannelTrust, IdentityRefused, Refusal, RevocationList, check_identity

ENV = {"BAOCHAIN_CA_PASSPHRASE": "test passphrase", "BAOCHAIN_CA_HOME": ""}


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, env: dict[str, str] | None = None):
        result = runner.invoke(ca, ["--home", str(tmp_path / "ca"), *args], env={**ENV, **(env or {})})
        assert result.exit_code == code, (result.output, result.exception)
        assert "Traceback" not in result.output
        if code == 1:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return result

    invoke("init", "--org", "PICC", "--suite", "gm", "--admin", "boss", "--admin-secret", "boss-secret")
    return invoke


def _register_approved(run, name: str, *extra: str) -> None:
    run("register", name, "--type", "client", "--role", "insurer", "--secret", f"{name}-secret", "--by", "boss", *extra)
    run("approve", name, "--by", "boss")


def test_lifecycle_through_the_cli(run, tmp_path: Path) -> None:
    out = run("register", "alice", "--type", "client", "--role", "insurer", "--role", "cedent", "--attr", "dept=claims", "--by", "boss").output
    assert "waiting for review" in out
    secret = out.split("enrollment secret: ")[1].strip()
    run("approve", "alice", "--by", "boss", "--note", "licence checked")
    (tmp_path / "keypass").write_text("alice key pass\n")
    out = run("enroll", "alice", "--secret", secret, "--key-passphrase-file", "keypass").output
    assert "alice.key.pem" in out and "certificate: alice.pem" in out
    key_pem = (tmp_path / "alice.key.pem").read_bytes()
    assert b"ENCRYPTED PRIVATE KEY" in key_pem
    assert (tmp_path / "alice.key.pem").stat().st_mode & 0o077 == 0
    cert = Certificate.load((tmp_path / "alice.pem").read_bytes())
    assert cert.claims.roles == ("cedent", "insurer") and cert.subject.type == "client"

    show = run("show", "alice").output
    assert "status:      enrolled" in show and "attribute:   dept=claims" in show and f"{cert.serial:x}" in show
    assert '"status": "enrolled"' in run("show", "alice", "--json").output
    assert "secret" not in run("show", "alice", "--json").output
    listing = run("list").output.splitlines()
    assert listing[0].split()[:3] == ["alice", "client", "enrolled"] and listing[1].split()[:3] == ["boss", "admin", "approved"]
    assert run("list", "--status", "pending").output.strip() == "no identities pending"

    out = run("reenroll", "alice", "--cert", "alice.pem", "--key", "alice.key.pem", "--key-passphrase-file", "keypass", "--new-key-out", "alice2.key.pem", "--out", "alice2.pem").output
    assert "certificate: alice2.pem" in out
    renewed = Certificate.load((tmp_path / "alice2.pem").read_bytes())
    assert renewed.serial != cert.serial

    run("revoke", "alice", "--by", "boss", "--reason", "key_compromise")
    crl_pem = run("crl", "--out", "picc.crl").output.encode()
    crl = RevocationList.load(crl_pem)
    assert RevocationList.load((tmp_path / "picc.crl").read_bytes()) == crl
    assert set(crl.revoked) == {cert.serial, renewed.serial}
    root = Certificate.load((tmp_path / "ca" / "ca-cert.pem").read_bytes())
    with pytest.raises(IdentityRefused) as refused:
        check_identity(renewed, ChannelTrust.build("gm", [root], [crl]))
    assert refused.value.reason is Refusal.REVOKED

    audit = run("audit").output
    assert "audit log intact: 9 entries" in audit and "reenroll" in audit


def test_each_refusal_is_one_line_and_exit_1(run, tmp_path: Path) -> None:
    run("register", "carol", "--type", "client", "--secret", "carol-secret", "--by", "boss")
    assert "waiting for review" in run("enroll", "carol", "--secret", "carol-secret", code=1).stderr
    assert "already registered" in run("register", "carol", "--type", "peer", "--by", "boss", code=1).stderr
    assert "not an admin" in run("approve", "carol", "--by", "carol", code=1).stderr
    run("register", "dave", "--type", "client", "--secret", "dave-secret", "--by", "boss")
    run("reject", "dave", "--by", "boss", "--reason", "no licence on file")
    assert "rejected by boss: no licence on file" in run("enroll", "dave", "--secret", "dave-secret", code=1).stderr
    run("approve", "carol", "--by", "boss")
    assert "wrong enrollment secret" in run("enroll", "carol", "--secret", "guess-guess", code=1).stderr
    run("enroll", "carol", "--secret", "carol-secret")
    again = run("enroll", "carol", "--secret", "carol-secret", code=1).stderr
    assert "'carol' is already enrolled" in again and "baochain ca reenroll carol --cert carol.pem --key carol.key.pem" in again
    second = run("enroll", "carol", "--secret", "carol-secret", "--out", "c2.pem", "--key-out", "c2.key", code=1)
    assert "already enrolled" in second.stderr and not (tmp_path / "c2.key").exists()
    expired = run("--at", "2031-01-01T00:00:00", "reenroll", "carol", "--cert", "carol.pem", "--key", "carol.key.pem", "--out", "c3.pem", code=1)
    assert "expired" in expired.stderr
    run("revoke", "carol", "--by", "boss")
    revoked = run("reenroll", "carol", "--cert", "carol.pem", "--key", "carol.key.pem", "--out", "c3.pem", code=1)
    assert "revoked" in revoked.stderr
    assert "no identity named 'zed'" in run("show", "zed", code=1).stderr
    assert "wrong passphrase" in run("register", "x", "--type", "client", "--by", "boss", env={"BAOCHAIN_CA_PASSPHRASE": "nope"}, code=1).stderr
    assert "needs the CA key" in run("register", "x", "--type", "client", "--by", "boss", env={"BAOCHAIN_CA_PASSPHRASE": ""}, code=1).stderr
    assert "already exists" in run("init", "--org", "PICC", "--suite", "gm", code=1).stderr
    assert "no CA at" in run("--home", str(tmp_path / "none"), "list", code=1).stderr


@pytest.mark.parametrize(
    "args",
    [
        ("register", "x", "--type", "superuser", "--by", "boss"),
        ("register", "x", "--type", "client", "--attr", "novalue", "--by", "boss"),
        ("register", "x", "--type", "client"),
        ("revoke", "x", "--by", "boss", "--reason", "boredom"),
        ("--at", "yesterday", "list"),
        ("enroll", "x", "--secret", "s", "--csr", "missing.pem"),
    ],
)
def test_usage_mistakes_exit_2(run, args: tuple[str, ...]) -> None:
    run(*args, code=2)


def test_enroll_with_a_csr_and_passphrase_file(run, tmp_path: Path) -> None:
    from node.identity import build_request, der

    suite = get_suite("gm")
    key = suite.generate_key()
    (tmp_path / "erin.csr").write_bytes(der.pem_encode(build_request(suite, key, "erin"), "CERTIFICATE REQUEST"))
    (tmp_path / "pass").write_text("test passphrase\n")
    _register_approved(run, "erin")
    run("--passphrase-file", "pass", "enroll", "erin", "--secret", "erin-secret", "--csr", "erin.csr", env={"BAOCHAIN_CA_PASSPHRASE": ""})
    cert = Certificate.load((tmp_path / "erin.pem").read_bytes())
    assert suite.same_public_key(cert.public_key, suite.public_key(key))
    (tmp_path / "bad.csr").write_text("not a request")
    _register_approved(run, "fred")
    assert "request" in run("enroll", "fred", "--secret", "fred-secret", "--csr", "bad.csr", code=1).stderr


def test_a_tampered_audit_log_fails_the_audit_command(run, tmp_path: Path) -> None:
    _register_approved(run, "gina")
    log = tmp_path / "ca" / "audit.log"
    lines = log.read_bytes().splitlines(keepends=True)
    log.write_bytes(b"".join(lines[:2] + lines[3:]))
    assert "audit log line 3" in run("audit", code=1).stderr


def test_the_installed_command(tmp_path: Path) -> None:
    """Through a real process of `baochain ca`, as an operator runs it."""
    exe = Path(sys.executable).with_name("baochain")
    if not exe.exists():
        pytest.skip("the baochain console script is not installed next to this Python")
    env = {**os.environ, "BAOCHAIN_CA_PASSPHRASE": "pp", "BAOCHAIN_CA_HOME": str(tmp_path / "ca")}

    def baochain(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([str(exe), "ca", *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=60)

    created = baochain("init", "--org", "CBIRC", "--suite", "intl", "--admin-secret", "admin-secret")
    assert created.returncode == 0, created.stderr
    registered = baochain("register", "inspector", "--type", "regulator", "--secret", "insp-secret", "--by", "admin")
    assert registered.returncode == 0 and "regulator" in registered.stdout
    refused = baochain("enroll", "inspector", "--secret", "insp-secret")
    assert refused.returncode == 1
    assert refused.stderr.strip() == "error: 'inspector' is waiting for review: an admin of CBIRC must approve it first"


def test_a_damaged_home_is_reported_not_a_traceback(run, tmp_path: Path) -> None:
    (tmp_path / "ca" / "registry.json").write_text("{not json")
    assert "damaged" in run("list", code=1).stderr
    assert "damaged" in run("audit", code=1).stderr
    (tmp_path / "ca" / "config.json").write_text("[]")
    assert "damaged" in run("show", "boss", code=1).stderr
