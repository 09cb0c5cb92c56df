"""`baochain ca` and the files it writes: a refused command leaves nothing half-made behind, and
an output that cannot be written is refused before a one-time secret is spent."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from node.ca.authority import CertificateAuthority
from node.ca.cli import ca
from node.ca.errors import CAError

ENV = {"BAOCHAIN_CA_PASSPHRASE": "test passphrase", "BAOCHAIN_CA_HOME": ""}


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(ca, ["--home", str(tmp_path / "ca"), *args], env=ENV)
        assert result.exit_code == code, (result.output, result.exception)
        if code == 1:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
        return result

    return invoke


INIT = ("init", "--org", "PICC", "--suite", "gm", "--admin", "boss")


def test_a_refused_init_leaves_no_ca_behind(run, tmp_path: Path) -> None:
    assert "at least 8 characters" in run(*INIT, "--admin-secret", "short", code=1).stderr
    assert not (tmp_path / "ca").exists()
    run(*INIT, "--admin-secret", "boss-secret")
    assert "boss" in run("show", "boss").output


def test_init_failing_midway_removes_what_it_wrote(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ca").mkdir()  # an empty home the operator made: kept, and left empty

    def broken(self):
        raise CAError("disk trouble")

    monkeypatch.setattr(CertificateAuthority, "issue_crl", broken)
    assert "disk trouble" in run(*INIT, "--admin-secret", "boss-secret", code=1).stderr
    assert (tmp_path / "ca").is_dir() and not any((tmp_path / "ca").iterdir())
    monkeypatch.undo()
    run(*INIT, "--admin-secret", "boss-secret")


def test_init_into_a_home_with_files_never_removes_them(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ca").mkdir()
    (tmp_path / "ca" / "notes.txt").write_text("mine", encoding="utf-8")
    monkeypatch.setattr(CertificateAuthority, "issue_crl", lambda self: (_ for _ in ()).throw(CAError("no")))
    run(*INIT, "--admin-secret", "boss-secret", code=1)
    assert (tmp_path / "ca" / "notes.txt").read_text(encoding="utf-8") == "mine"


@pytest.fixture
def approved(run):
    run(*INIT, "--admin-secret", "boss-secret")
    run("register", "bob", "--type", "client", "--secret", "bob-secret", "--by", "boss")
    run("approve", "bob", "--by", "boss")
    return run


def test_enroll_to_an_unwritable_output_keeps_the_secret(approved, tmp_path: Path) -> None:
    refused = approved("enroll", "bob", "--secret", "bob-secret", "--out", str(tmp_path / "no" / "bob.pem"), code=1)
    assert "cannot write" in refused.stderr
    assert not (tmp_path / "bob.key.pem").exists()
    assert "certificate: bob.pem" in approved("enroll", "bob", "--secret", "bob-secret").output


def test_enroll_refused_by_the_ca_leaves_no_empty_certificate(approved, tmp_path: Path) -> None:
    approved("enroll", "bob", "--secret", "wrong-secret", code=1)
    assert not (tmp_path / "bob.pem").exists() and not (tmp_path / "bob.key.pem").exists()


def test_crl_to_an_unwritable_output_is_one_line(approved, tmp_path: Path) -> None:
    refused = approved("crl", "--out", str(tmp_path / "no" / "crl.pem"), code=1)
    assert "cannot write" in refused.stderr and "crl.pem" in refused.stderr
    approved("crl", "--out", "crl.pem")
    assert (tmp_path / "crl.pem").read_bytes().startswith(b"-----BEGIN X509 CRL-----")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ca", "crl.pem"]


def test_a_refusal_quoting_a_huge_argument_stays_short(approved) -> None:
    refused = approved("register", "n" * 100_000, "--type", "client", "--by", "boss", code=1)
    assert len(refused.stderr) < 400 and "characters)" in refused.stderr


def test_a_home_that_cannot_be_made_names_the_path_first(run) -> None:
    refused = run("--home", "/proc/no-ca-here", "init", "--org", "PICC", "--suite", "gm", code=1)
    assert refused.stderr.startswith("error: /proc/no-ca-here: ")


def test_crl_out_into_the_ca_folder_is_refused(approved, tmp_path: Path) -> None:
    root = (tmp_path / "ca" / "ca-cert.pem").read_bytes()
    refused = approved("crl", "--out", str(tmp_path / "ca" / "ca-cert.pem"), code=1)
    assert "inside the CA's folder" in refused.stderr
    assert (tmp_path / "ca" / "ca-cert.pem").read_bytes() == root
    assert "boss" in approved("list").output
