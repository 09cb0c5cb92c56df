"""Client identities: a certificate and its key, and the wallet folder that holds them.

A wallet is a folder with one sub-folder per identity, named ``NAME@ORG`` (docs/node.md):

    wallet/admin@Org1/cert.pem     the certificate (PEM or DER)
    wallet/admin@Org1/key.pem      its private key, PKCS#8, unencrypted (a local network's wallet)

`Wallet(folder).get("admin@Org1")` reads one into an `Identity`, checking that the key is the
certificate's. The roles an identity may act in are the ones its certificate lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from node.crypto import CryptoError, CryptoSuite
from node.crypto.suite import PrivateKey
from node.identity import Certificate, CertificateError
from node.client.errors import WalletError

CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"


@dataclass(frozen=True)
class Identity:
    """Who a client is: ``name`` of ``org``, its certificate, key and roles."""

    name: str
    org: str
    certificate: Certificate
    key: PrivateKey = field(repr=False)
    roles: tuple[str, ...]

    @property
    def label(self) -> str:
        return f"{self.name}@{self.org}"

    @property
    def suite(self) -> CryptoSuite:
        return self.certificate.suite

    @property
    def der(self) -> bytes:
        return self.certificate.der

    @classmethod
    def from_pem(cls, certificate: bytes, key: bytes, where: str = "the identity") -> Identity:
        """An identity from its certificate (PEM or DER) and unencrypted key (PEM or DER)."""
        try:
            cert = Certificate.load(certificate)
        except CertificateError as exc:
            raise WalletError(f"{where}: the certificate cannot be read: {exc}") from None
        suite = cert.suite
        try:
            private = suite.load_private_key(key)
        except (CryptoError, ValueError, TypeError) as exc:
            raise WalletError(f"{where}: the key cannot be read as a {suite.name} key: {exc}") from None
        if not suite.same_public_key(suite.public_key(private), cert.public_key):
            raise WalletError(f"{where}: the key is not the certificate's")
        return cls(cert.subject.name, cert.subject.org, cert, private, cert.claims.roles)


class Wallet:
    """The identities of a wallet folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def labels(self) -> list[str]:
        """Every ``NAME@ORG`` the wallet holds, sorted."""
        if not self.folder.is_dir():
            return []
        return sorted(p.name for p in self.folder.iterdir() if (p / CERT_FILE).is_file() and "@" in p.name)

    def get(self, label: str) -> Identity:
        """The identity ``NAME@ORG``; `WalletError` naming what the wallet holds otherwise."""
        name, at, org = label.rpartition("@")
        if not at or not name or not org or "/" in label or label in (".", ".."):
            raise WalletError(f"{label!r} is not an identity's name: write NAME@ORG, e.g. admin@Org1")
        folder = self.folder / label
        if not (folder / CERT_FILE).is_file():
            held = ", ".join(self.labels()) or "none"
            raise WalletError(f"the wallet {self.folder} holds no identity {label} (it holds: {held})")
        try:
            certificate = (folder / CERT_FILE).read_bytes()
            key = (folder / KEY_FILE).read_bytes()
        except OSError as exc:
            raise WalletError(f"{folder}: cannot read the identity: {exc.strerror or exc}") from None
        identity = Identity.from_pem(certificate, key, str(folder))
        if identity.label != label:
            raise WalletError(f"{folder}: the certificate is {identity.label}'s, not {label}'s")
        return identity
