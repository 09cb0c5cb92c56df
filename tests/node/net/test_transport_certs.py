"""Transport CAs and certificates as `baochain network init` will make them, and the contexts."""

from __future__ import annotations

import ssl
import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from node.ca.outputs import CannotWrite
from node.net import issue_tls_cert, make_tls_ca, tls_contexts


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def test_a_transport_ca_and_a_node_certificate_say_who_and_what_for(tmp_path: Path) -> None:
    ca_cert, ca_key = make_tls_ca("中国人寿", tmp_path / "tls-ca")
    cert_path, key_path = issue_tls_cert(ca_cert, ca_key, "peer0-中国人寿", "中国人寿", tmp_path / "tls")
    assert (cert_path.name, key_path.name) == ("cert.pem", "key.pem")
    assert stat.S_IMODE(key_path.stat().st_mode) == 0o600

    ca = _load(ca_cert)
    assert ca.extensions.get_extension_for_class(x509.BasicConstraints).value.path_length == 0
    assert isinstance(ca.public_key(), ec.EllipticCurvePublicKey) and ca.public_key().curve.name == "secp256r1"

    leaf = _load(cert_path)
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "peer0-中国人寿"
    assert leaf.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "中国人寿"
    assert leaf.issuer == ca.subject
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert set(eku) == {ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH}
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert san.get_values_for_type(x509.DNSName) == ["localhost"]
    leaf.verify_directly_issued_by(ca)

    contexts = tls_contexts(cert_path, key_path, [ca_cert])
    for context in (contexts.server, contexts.client):
        assert context.minimum_version == context.maximum_version == ssl.TLSVersion.TLSv1_3
        assert context.verify_mode == ssl.CERT_REQUIRED and not context.check_hostname


def test_a_transport_ca_issues_only_for_its_own_organisation(tmp_path: Path) -> None:
    ca_cert, ca_key = make_tls_ca("Org1", tmp_path / "tls-ca")
    with pytest.raises(ValueError, match="only for its own organisation"):
        issue_tls_cert(ca_cert, ca_key, "peer0-org2", "Org2", tmp_path / "tls")


def test_keys_and_certificates_are_never_overwritten(tmp_path: Path) -> None:
    _, ca_key = make_tls_ca("Org1", tmp_path / "tls-ca")
    before = ca_key.read_bytes()
    with pytest.raises(CannotWrite, match="already exists"):
        make_tls_ca("Org1", tmp_path / "tls-ca")
    assert ca_key.read_bytes() == before


def test_a_passphrase_protects_the_ca_key(tmp_path: Path) -> None:
    ca_cert, ca_key = make_tls_ca("Org1", tmp_path / "tls-ca", passphrase=b"s3cret")
    assert b"ENCRYPTED" in ca_key.read_bytes()
    with pytest.raises(TypeError):
        issue_tls_cert(ca_cert, ca_key, "peer0-org1", "Org1", tmp_path / "tls")
    issue_tls_cert(ca_cert, ca_key, "peer0-org1", "Org1", tmp_path / "tls", ca_passphrase=b"s3cret")


def test_names_follow_the_projects_name_rule(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        make_tls_ca("../Org1", tmp_path / "tls-ca")


def test_contexts_need_a_root(tmp_path: Path) -> None:
    ca_cert, ca_key = make_tls_ca("Org1", tmp_path / "tls-ca")
    cert, key = issue_tls_cert(ca_cert, ca_key, "peer0-org1", "Org1", tmp_path / "tls")
    with pytest.raises(ValueError, match="root"):
        tls_contexts(cert, key, [])
