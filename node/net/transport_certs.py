"""Transport CAs and transport certificates, written as PEM (for tests and `baochain network init`).

Each organisation has a transport CA (`DIR/orgs/ORG/tls-ca/`), separate from its identity CA
because TLS in Python can only use the intl suite while a channel may be gm. Both are ECDSA P-256
with SHA-256.

- `make_tls_ca(org, folder)`: a self-signed root, subject CN = "ORG TLS CA", O = ORG;
  basicConstraints CA with path length 0 (it issues leaf certificates only, so the issuer a link
  checks is the trusted root itself; see `tls.py`), keyCertSign and cRLSign, a subject key id.
  Written to `folder/cert.pem` and `folder/key.pem`.
- `issue_tls_cert(ca_cert, ca_key, node_name, org, folder)`: a leaf for one node, subject
  CN = node name, O = org, so the certificate itself says who the node is; EKU serverAuth and
  clientAuth (every node both listens and dials); digitalSignature; subjectAltName 127.0.0.1 and
  localhost by default (links do not check hostnames, but other TLS tools expect a SAN). The CA
  must belong to `org`: a transport CA vouches only for its own organisation. Written to
  `folder/cert.pem` and `folder/key.pem`.
- `issue_api_cert(ca_cert, ca_key, node_name, org, folder, hosts=...)`: the certificate the
  node's HTTP API serves (HTTPS), from the same transport CA, for the same reason: the
  organisation's signing CA may be gm (SM2), which Python's TLS cannot serve, and every client
  already holds the transport roots. It is a certificate of its own, with a key of its own, so
  that it cannot speak on the links: EKU serverAuth only (it cannot dial another node), and
  subject CN = "NODE (API)", which is no node's name (names hold no parentheses: `check_name`),
  so no node takes it for a peer's listener either. An API key that leaks (it may sit in front
  of the node, in a proxy) costs the API's certificate, not the node's place in the consortium.
  subjectAltName: every host clients reach the API at (a client checks it, as browsers do).

Keys are PKCS#8 PEM, unencrypted unless a passphrase is given (a node must start unattended; a
local network keeps its keys in plain files, as its README says), created with mode 0600, and an
existing file is never overwritten. Certificates start an hour in the past, for clocks that
differ a little between machines.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from node.ca.outputs import write_new
from node.identity.names import check_name

CA_DAYS = 3650
NODE_DAYS = 1095
DEFAULT_HOSTS = ("127.0.0.1", "localhost")
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"


def make_tls_ca(org: str, folder: str | Path, *, days: int = CA_DAYS,
                passphrase: bytes | None = None) -> tuple[Path, Path]:
    """Make `org`'s transport CA in `folder`; returns (certificate path, key path)."""
    org = check_name("organisation", org)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
        x509.NameAttribute(NameOID.COMMON_NAME, f"{org} TLS CA"),
    ])
    now = datetime.now(timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(_usage(key_cert_sign=True, crl_sign=True), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _write(Path(folder), certificate, key, passphrase)


def issue_tls_cert(ca_cert: str | Path, ca_key: str | Path, node_name: str, org: str, folder: str | Path, *,
                   hosts: Sequence[str] = DEFAULT_HOSTS, days: int = NODE_DAYS,
                   ca_passphrase: bytes | None = None) -> tuple[Path, Path]:
    """Issue `node_name`'s transport certificate with `org`'s transport CA (PEM files) into
    `folder`; returns (certificate path, key path)."""
    node_name = check_name("node name", node_name)
    org = check_name("organisation", org)
    authority, authority_key = _authority(ca_cert, ca_key, org, ca_passphrase)
    return _issue_leaf(authority, authority_key, node_name, org, folder, hosts, days,
                       [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH])


def issue_api_cert(ca_cert: str | Path, ca_key: str | Path, node_name: str, org: str, folder: str | Path, *,
                   hosts: Sequence[str] = DEFAULT_HOSTS, days: int = NODE_DAYS,
                   ca_passphrase: bytes | None = None) -> tuple[Path, Path]:
    """Issue the certificate `node_name`'s HTTP API serves (CN "NODE (API)", serverAuth only,
    SANs `hosts`) with `org`'s transport CA into `folder`; returns (certificate path, key path)."""
    node_name = check_name("node name", node_name)
    org = check_name("organisation", org)
    authority, authority_key = _authority(ca_cert, ca_key, org, ca_passphrase)
    return _issue_leaf(authority, authority_key, api_common_name(node_name), org, folder, hosts, days,
                       [ExtendedKeyUsageOID.SERVER_AUTH])


def api_common_name(node_name: str) -> str:
    """The CN of a node's API certificate: never a node's name, so never a peer on the links."""
    return f"{node_name} (API)"


def _authority(ca_cert: str | Path, ca_key: str | Path, org: str,
               ca_passphrase: bytes | None) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    authority = x509.load_pem_x509_certificate(Path(ca_cert).read_bytes())
    authority_key = serialization.load_pem_private_key(Path(ca_key).read_bytes(), ca_passphrase)
    if not isinstance(authority_key, ec.EllipticCurvePrivateKey):
        raise ValueError(f"{ca_key} is not an EC key; transport CAs are ECDSA P-256")
    ca_orgs = [a.value for a in authority.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)]
    if ca_orgs != [org]:
        raise ValueError(f"the transport CA in {ca_cert} belongs to {ca_orgs}, not {org!r}: "
                         "a transport CA vouches only for its own organisation")
    return authority, authority_key


def _issue_leaf(authority: x509.Certificate, authority_key: ec.EllipticCurvePrivateKey, common_name: str, org: str,
                folder: str | Path, hosts: Sequence[str], days: int,
                usages: list[x509.ObjectIdentifier]) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    ca_key_id = authority.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    certificate = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]))
        .issuer_name(authority.subject)
        .public_key(key.public_key())
        .serial_number(_serial())
        .not_valid_before(now - timedelta(hours=1))
        .not_valid_after(min(now + timedelta(days=days), authority.not_valid_after_utc))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_usage(digital_signature=True), critical=True)
        .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
        .add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hosts]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id), critical=False)
        .sign(authority_key, hashes.SHA256())
    )
    return _write(Path(folder), certificate, key, None)


def _usage(*, digital_signature: bool = False, key_cert_sign: bool = False, crl_sign: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=key_cert_sign, crl_sign=crl_sign,
        encipher_only=False, decipher_only=False,
    )


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _serial() -> int:
    return secrets.randbits(159) | 1  # positive, at most 20 octets, never zero (RFC 5280 4.1.2.2)


def _write(folder: Path, certificate: x509.Certificate, key: ec.EllipticCurvePrivateKey,
           passphrase: bytes | None) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    cert_path, key_path = folder / CERT_FILE, folder / KEY_FILE
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption())
    write_new(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption),
              private=True)
    write_new(cert_path, certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path
