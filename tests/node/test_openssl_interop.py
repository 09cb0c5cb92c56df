"""The system `openssl` reads what we issue, and we read what it makes.

OpenSSL 3.0 verifies our `gm` chains only when told the signer ID (`-vfyopt distid:…`); it cannot
check an SM2 CRL's signature or a self-signed SM2 root's signature with the standard ID. Those
limits are OpenSSL's (see the report), so the CRL and self-signature of `gm` are checked here by
our own code and by `openssl crl -text` parsing only.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from node.crypto import get_suite
from node.identity import Certificate, CertificationRequest, Revocation, build_request, der
from node.identity.crl import issue_crl

from .conftest import make_leaf, make_root

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl on PATH")
DISTID = "distid:1234567812345678"


def _openssl(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], capture_output=True, text=True, check=check, timeout=30)


def _chain(tmp_path: Path, suite_name: str, revoke: bool = False) -> tuple[Path, Path, Path]:
    suite = get_suite(suite_name)
    now = datetime.now(timezone.utc)
    # openssl checks validity against the real clock, so these start now.
    root, root_key = make_root(suite, "PICC", now=now)
    leaf, _ = make_leaf(suite, root, root_key, "alice", roles=("insurer",), now=now)
    crl = issue_crl(
        suite,
        root_key,
        issuer=root,
        number=1,
        this_update=now - timedelta(minutes=1),
        next_update=now + timedelta(days=1),
        revocations=[Revocation(leaf.serial, now - timedelta(minutes=1), "key_compromise")] if revoke else [],
    )
    paths = tmp_path / f"{suite_name}-root.pem", tmp_path / f"{suite_name}-leaf.pem", tmp_path / f"{suite_name}-crl.pem"
    paths[0].write_bytes(root.pem)
    paths[1].write_bytes(leaf.pem)
    paths[2].write_bytes(der.pem_encode(crl, "X509 CRL"))
    return paths


@pytest.mark.parametrize(("suite_name", "algorithm"), [("gm", "SM2-with-SM3"), ("intl", "ecdsa-with-SHA256")])
def test_openssl_parses_certificates_and_crls(tmp_path: Path, suite_name: str, algorithm: str) -> None:
    root, leaf, crl = _chain(tmp_path, suite_name)
    text = _openssl("x509", "-in", str(leaf), "-noout", "-text").stdout
    assert f"Signature Algorithm: {algorithm}" in text
    assert "Subject: O = PICC, OU = client, CN = alice" in text
    assert "CA:FALSE" in text and "Digital Signature" in text and "X509v3 Authority Key Identifier" in text
    assert "X509v3 Subject Key Identifier" in text and "2.25.73293519830914424649653588193681367214" in text
    root_text = _openssl("x509", "-in", str(root), "-noout", "-text").stdout
    assert "CA:TRUE, pathlen:0" in root_text and "Certificate Sign, CRL Sign" in root_text
    crl_text = _openssl("crl", "-in", str(crl), "-noout", "-text").stdout
    assert f"Signature Algorithm: {algorithm}" in crl_text and "X509v3 CRL Number" in crl_text


def test_openssl_verifies_intl_chains_and_crls(tmp_path: Path) -> None:
    root, leaf, crl = _chain(tmp_path, "intl")
    assert _openssl("verify", "-x509_strict", "-CAfile", str(root), str(leaf)).stdout.strip().endswith("OK")
    assert _openssl("verify", "-check_ss_sig", "-CAfile", str(root), str(root)).returncode == 0
    assert _openssl("verify", "-crl_check", "-CRLfile", str(crl), "-CAfile", str(root), str(leaf)).returncode == 0
    (tmp_path / "revoked").mkdir()
    root, leaf, crl = _chain(tmp_path / "revoked", "intl", revoke=True)
    revoked = _openssl("verify", "-crl_check", "-CRLfile", str(crl), "-CAfile", str(root), str(leaf), check=False)
    assert revoked.returncode != 0 and "certificate revoked" in revoked.stdout + revoked.stderr


def test_openssl_verifies_gm_chains_with_the_standard_signer_id(tmp_path: Path) -> None:
    root, leaf, _ = _chain(tmp_path, "gm")
    result = _openssl("verify", "-x509_strict", "-vfyopt", DISTID, "-CAfile", str(root), str(leaf))
    assert result.stdout.strip().endswith("OK")
    # A chain whose leaf another key signed is refused: openssl really checks the SM2 signature.
    suite = get_suite("gm")
    now = datetime.now(timezone.utc)
    _, other_key = make_root(suite, "PICC", now=now)
    # Right issuer name and key id, wrong key: only the signature check can catch it.
    forged, _ = make_leaf(suite, Certificate.load(root.read_bytes()), None, "alice", signer=other_key, now=now)
    (tmp_path / "forged.pem").write_bytes(forged.pem)
    refused = _openssl("verify", "-vfyopt", DISTID, "-CAfile", str(root), str(tmp_path / "forged.pem"), check=False)
    assert refused.returncode != 0


@pytest.mark.parametrize(
    ("suite_name", "keygen", "signopts"),
    [
        ("gm", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:SM2"], ["-sm3", "-sigopt", DISTID]),
        ("intl", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"], ["-sha256"]),
    ],
)
def test_we_read_openssl_keys_and_requests(tmp_path: Path, suite_name: str, keygen: list[str], signopts: list[str]) -> None:
    suite = get_suite(suite_name)
    key_path, csr_path = tmp_path / "k.pem", tmp_path / "r.pem"
    _openssl("genpkey", *keygen, "-out", str(key_path))
    _openssl("req", "-new", "-key", str(key_path), *signopts, "-subj", "/CN=alice", "-out", str(csr_path))
    key = suite.load_private_key(key_path.read_bytes())
    request = CertificationRequest.load(csr_path.read_bytes())
    assert request.suite_name == suite_name and suite.same_public_key(request.public_key, suite.public_key(key))
    assert request.common_name == "alice"  # the CA binds a request to the enrolling name by its CN
    # and openssl accepts the request we make
    (tmp_path / "ours.pem").write_bytes(der.pem_encode(build_request(suite, key, "alice"), "CERTIFICATE REQUEST"))
    extra = ["-vfyopt", DISTID] if suite_name == "gm" else []
    assert _openssl("req", "-in", str(tmp_path / "ours.pem"), "-verify", "-noout", *extra).returncode == 0
