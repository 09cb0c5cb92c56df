"""`baochain ca` and the names people give it (issue 14): a name that would break a terminal, a
log or a path is refused in one escaped line, nothing lands outside the folder asked for, bytes
that are not UTF-8 are a bad name (not a damaged CA), and a second enroll says "already enrolled"."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import node.ca.authority
from node.ca.cli import ca
from node.crypto import get_suite
from node.identity import Certificate, der
from node.identity.certificate import algorithm_identifier
from node.identity.names import OID_COMMON_NAME

ENV = {"BAOCHAIN_CA_PASSPHRASE": "test passphrase", "BAOCHAIN_CA_HOME": ""}


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """The operator's folder; its parent (tmp_path) must stay as it is."""
    (tmp_path / "work").mkdir()
    return tmp_path / "work"


@pytest.fixture
def run(work: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(work)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0, env: dict[str, str] | None = None):
        result = runner.invoke(ca, ["--home", str(work / "ca"), *args], env={**ENV, **(env or {})})
        assert result.exit_code == code, (result.output, result.exception)
        assert "Traceback" not in result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        if code == 1:
            lines = result.stderr.strip().splitlines()
            assert len(lines) == 1 and lines[0].startswith("error: ") and lines[0].isprintable(), result.stderr
        return result

    invoke("init", "--org", "PICC", "--suite", "gm", "--admin", "boss", "--admin-secret", "boss-secret")
    return invoke


def _nothing_outside(work: Path) -> None:
    assert sorted(p.name for p in work.parent.iterdir()) == ["work"]


@pytest.mark.parametrize(
    ("name", "quoted", "why"),
    [
        ("a\u2028b", r"'a\u2028b'", "line separator"),
        ("a\u2029b", r"'a\u2029b'", "paragraph separator"),
        ("a\x85b", r"'a\x85b'", "control character"),
        ("claims\x9b2Japp", r"'claims\x9b2Japp'", "control character"),
        ("claims\x7f", r"'claims\x7f'", "control character"),
        ("..\u202e..", r"'..\u202e..'", "format character"),
        ("app\u202egnp.exe", r"'app\u202egnp.exe'", "format character"),
        ("../escaped", "'../escaped'", "separates folders"),
        ("org/app", "'org/app'", "separates folders"),
        ("alice@PICC", "'alice@PICC'", "NAME@ORG"),
        ("\udcff", r"'\udcff'", "not UTF-8"),
    ],
)
def test_register_refuses_each_name_from_the_issue(run, work: Path, name: str, quoted: str, why: str) -> None:
    refused = run("register", name, "--type", "client", "--by", "boss", code=1).stderr.strip()
    assert refused.startswith(f"error: name {quoted} is not allowed: ") and why in refused, refused
    assert "tamper" not in refused and "never writes" not in refused
    assert run("list").output.split() == ["boss", "admin", "approved", "-"]
    assert "audit log intact" in run("audit").output  # the refusal is logged, the log still verifies
    _nothing_outside(work)


def test_init_refuses_a_bad_organisation_and_writes_no_ca(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(ca, ["--home", "ca", "init", "--org", "PICC\u2028Evil", "--suite", "gm"], env=ENV)
    assert result.exit_code == 1 and result.stderr == "error: organisation 'PICC\\u2028Evil' is not allowed: " \
        "U+2028 is a line separator (it breaks a log line or a listing in two)\n"
    assert not (tmp_path / "ca").exists()


def test_sensible_names_stay_legal_end_to_end(run, work: Path) -> None:
    for name in ("claims-app", "Ruijin Hospital", "中国人寿"):
        run("register", name, "--type", "client", "--role", "insurer", "--secret", "a-long-secret", "--by", "boss")
        run("approve", name, "--by", "boss")
        run("enroll", name, "--secret", "a-long-secret")
        assert Certificate.load((work / f"{name}.pem").read_bytes()).subject.name == name
    assert [line.split("  ")[0].strip() for line in run("list").output.splitlines()] == \
        ["Ruijin Hospital", "boss", "claims-app", "中国人寿"]


def test_a_decomposed_name_is_kept_composed(run, work: Path) -> None:
    decomposed, composed = "e\u0301cole", "\u00e9cole"
    assert f"registered '{composed}'" in run("register", decomposed, "--type", "client", "--secret", "ecole-secret", "--by", "boss").output
    run("approve", composed, "--by", "boss")
    run("enroll", decomposed, "--secret", "ecole-secret")
    assert Certificate.load((work / f"{composed}.pem").read_bytes()).subject.name == composed
    assert not (work / f"{decomposed}.pem").exists()
    assert "already registered" in run("register", composed, "--type", "client", "--by", "boss", code=1).stderr


def test_enroll_of_a_name_with_a_path_writes_nothing_anywhere(run, work: Path) -> None:
    refused = run("enroll", "../escaped", "--secret", "whatever-secret", code=1).stderr
    assert "name '../escaped' is not allowed" in refused
    assert sorted(p.name for p in work.iterdir()) == ["ca"]
    _nothing_outside(work)


def _register_without_the_rule(run, monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """A registration made before the naming rule existed (the registry keeps it as it was)."""
    with monkeypatch.context() as patched:
        patched.setattr(node.ca.authority, "check_name", lambda what, value: value)
        run("register", name, "--type", "client", "--secret", "legacy-secret", "--by", "boss")
        run("approve", name, "--by", "boss")


def test_a_name_from_before_the_rule_gets_no_files_outside_and_no_certificate(run, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _register_without_the_rule(run, monkeypatch, "../escaped")
    refused = run("enroll", "../escaped", "--secret", "legacy-secret", code=1).stderr
    assert "not a plain file name" in refused and "outside the current folder" in refused
    _nothing_outside(work)
    refused = run("enroll", "../escaped", "--secret", "legacy-secret", "--out", "e.pem", "--key-out", "e.key", code=1).stderr
    assert "register the identity under a valid name" in refused
    assert sorted(p.name for p in work.iterdir()) == ["ca"]  # the key written first is removed again
    run("revoke", "../escaped", "--by", "boss")  # an admin can still retire it
    _nothing_outside(work)


def test_listings_escape_a_name_from_before_the_rule(run, monkeypatch: pytest.MonkeyPatch) -> None:
    _register_without_the_rule(run, monkeypatch, "evil\x1b[2J\u2028name")
    listing = run("list").output
    assert "evil\\x1b[2J\\u2028name" in listing and "\x1b" not in listing and "\u2028" not in listing
    shown = run("show", "evil\x1b[2J\u2028name").output
    assert shown.startswith("name:        evil\\x1b[2J\\u2028name\n")
    as_json = run("show", "evil\x1b[2J\u2028name", "--json").output
    assert "\x1b" not in as_json and "\u2028" not in as_json and '"name": "evil\\u001b[2J\\u2028name"' in as_json
    audit = run("audit").output
    assert "\x1b" not in audit and "\u2028" not in audit


@pytest.mark.parametrize(("out", "code"), [("nosuch/..", 1), ("..", 2), (".", 2)])
def test_an_out_that_is_no_file_name_is_refused(run, work: Path, out: str, code: int) -> None:
    run("register", "bob", "--type", "client", "--secret", "bob-secret", "--by", "boss")
    run("approve", "bob", "--by", "boss")
    refused = run("enroll", "bob", "--secret", "bob-secret", "--out", out, code=code)  # 2: click saw a folder
    assert code == 2 or "'..' is not a plain file name" in refused.stderr
    assert not (work / "bob.key.pem").exists()
    run("enroll", "bob", "--secret", "bob-secret")  # the secret was not spent
    _nothing_outside(work)


def test_an_out_that_is_a_link_outside_is_refused(run, work: Path) -> None:
    (work / "crl.pem").symlink_to(work.parent / "elsewhere.pem")
    refused = run("crl", "--out", "crl.pem", code=1).stderr
    assert "is a link to" in refused and "outside the current folder" in refused
    _nothing_outside(work)


def test_invalid_utf8_anywhere_is_a_bad_name_not_tampering(run, work: Path) -> None:
    for args in (
        ("approve", "\udcff", "--by", "boss"),
        ("show", "b\udcffb"),
        ("register", "carl", "--type", "client", "--by", "boss\udce9"),
        ("register", "carl", "--type", "client", "--by", "boss", "--attr", "dept=cl\udcffims"),
        ("register", "carl", "--type", "client", "--by", "boss", "--secret", "long-secret-\udcff"),
    ):
        refused = run(*args, code=1).stderr
        assert "UTF-8" in refused and "tamper" not in refused and "damaged" not in refused, refused
    assert "audit log intact" in run("audit").output


def _request_with_raw_name(suite_name: str, cn: bytes) -> bytes:
    """A well-signed CSR whose CN is the bytes `cn`, UTF-8 or not."""
    suite = get_suite(suite_name)
    key = suite.generate_key()
    name = der.sequence(der.set_of(der.sequence(der.oid(OID_COMMON_NAME), der.tlv(der.UTF8_STRING, cn))))
    info = der.sequence(der.integer(0), name, suite.public_key_to_der(suite.public_key(key)), der.tlv(0xA0, b""))
    return der.sequence(info, algorithm_identifier(suite), der.bit_string(suite.sign(key, info)))


def test_a_request_whose_name_is_not_utf8_is_a_bad_name(run, work: Path) -> None:
    run("register", "dana", "--type", "client", "--secret", "dana-secret", "--by", "boss")
    run("approve", "dana", "--by", "boss")
    (work / "bad.csr").write_bytes(_request_with_raw_name("gm", b"dana\xff"))
    refused = run("enroll", "dana", "--secret", "dana-secret", "--csr", "bad.csr", code=1).stderr
    assert refused.strip() == r"error: the request's name 'dana\udcff' is not allowed: it holds the byte 0xff, which is not UTF-8"
    run("register", "Zo\u00eb", "--type", "client", "--secret", "zoe-secret", "--by", "boss")
    run("approve", "Zo\u00eb", "--by", "boss")
    (work / "nfd.csr").write_bytes(_request_with_raw_name("gm", "Zoe\u0308".encode()))  # decomposed: the same name
    run("enroll", "Zo\u00eb", "--secret", "zoe-secret", "--csr", "nfd.csr", "--out", "zoe.pem")
    assert Certificate.load((work / "zoe.pem").read_bytes()).subject.name == "Zo\u00eb"


def test_a_second_enroll_says_already_enrolled_and_how_to_renew(run, work: Path) -> None:
    run("register", "carol", "--type", "client", "--secret", "carol-secret", "--by", "boss")
    run("approve", "carol", "--by", "boss")
    run("enroll", "carol", "--secret", "carol-secret")
    before = sorted(p.name for p in work.iterdir())
    refused = run("enroll", "carol", "--secret", "carol-secret", code=1).stderr
    assert "'carol' is already enrolled" in refused and "exists" not in refused
    hint = refused.split("reenroll: ", 1)[1].strip()
    assert hint == "baochain ca reenroll carol --cert carol.pem --key carol.key.pem --out NEW.pem"
    assert sorted(p.name for p in work.iterdir()) == before
    renewed = run(*shlex.split(hint)[2:]).output  # the hint runs as it is
    assert "certificate: NEW.pem" in renewed


def test_bytes_that_are_not_utf8_on_a_real_command_line(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("baochain")
    if not exe.exists():
        pytest.skip("the baochain console script is not installed next to this Python")
    env = {**os.environ, "BAOCHAIN_CA_PASSPHRASE": "pp", "BAOCHAIN_CA_HOME": str(tmp_path / "ca"), "LC_ALL": "C.UTF-8"}

    def baochain(*args: str | bytes) -> subprocess.CompletedProcess:
        return subprocess.run([os.fsencode(exe), b"ca", *map(os.fsencode, args)], capture_output=True, env=env, cwd=tmp_path, timeout=60)

    assert baochain("init", "--org", "PICC", "--suite", "gm", "--admin-secret", "admin-secret").returncode == 0
    refused = baochain("register", b"claims\xffapp", "--type", "client", "--by", "admin")
    assert refused.returncode == 1
    assert refused.stderr == b"error: name 'claims\\udcffapp' is not allowed: it holds the byte 0xff, which is not UTF-8\n"
    assert baochain("audit", "--quiet").returncode == 0
