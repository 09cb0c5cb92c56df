"""PKCS#10 certification requests: the proof that an enrolling client holds its private key.

The CA takes the certificate's subject from its registry, so a request here carries just a CN:
the name of the identity it asks a certificate for. The CA refuses a request whose CN is not the
enrolling identity's name, so a request seen in transit (a CSR is no secret) cannot be replayed
to bind its signer's key to another identity. Reading a request checks its self-signature.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from node.crypto import CryptoSuite, get_suite
from node.identity import der
from node.identity.certificate import PARSE_ERRORS, SUITE_BY_SIGNATURE_OID, CertificateError, algorithm_identifier
from node.identity.names import OID_COMMON_NAME


def build_request(suite: CryptoSuite, private_key: Any, common_name: str) -> bytes:
    """A signed PKCS#10 request (DER) for `private_key`'s public key."""
    info = der.sequence(
        der.integer(0),
        der.sequence(der.set_of(der.sequence(der.oid(OID_COMMON_NAME), der.utf8(common_name)))),
        suite.public_key_to_der(suite.public_key(private_key)),
        der.tlv(0xA0, b""),  # attributes: none
    )
    return der.sequence(info, algorithm_identifier(suite), der.bit_string(suite.sign(private_key, info)))


@dataclass(frozen=True, slots=True)
class CertificationRequest:
    der: bytes
    suite_name: str
    public_key: Any
    common_name: str | None = None  # its one CN, else None; bytes not UTF-8 as lone surrogates

    @property
    def pem(self) -> bytes:
        return der.pem_encode(self.der, "CERTIFICATE REQUEST")

    @classmethod
    def load(cls, data: bytes) -> CertificationRequest:
        """Parse a request and check its self-signature; raises `CertificateError`."""
        try:
            raw = der.pem_decode(data, "CERTIFICATE REQUEST")
            info, algorithm, signature = der.children(der.read(raw))
            version, subject, spki, *_attributes = der.children(info)
            if der.read_integer(version) != 0:
                raise CertificateError("unknown certification request version")
            oid = der.read_oid(der.children(algorithm)[0])
            suite_name = SUITE_BY_SIGNATURE_OID.get(oid)
            if suite_name is None:
                raise CertificateError(f"request signed with {oid}, not a Baochain suite's algorithm")
            suite = get_suite(suite_name)
            public_key = suite.load_public_key(spki.encoded)
            if not suite.verify_x509(public_key, info.encoded, der.read_bit_string(signature)):
                raise CertificateError("the request's signature does not match its public key")
        except CertificateError:
            raise
        except PARSE_ERRORS as exc:
            raise CertificateError(f"not a readable certification request: {exc}") from None
        return cls(raw, suite_name, public_key, _common_name(subject))


def _common_name(subject: der.Element) -> str | None:
    names = [
        _directory_string(pair[1])
        for rdn in der.children(subject)
        for pair in (der.children(a) for a in der.children(rdn))
        if len(pair) == 2 and der.read_oid(pair[0]) == OID_COMMON_NAME
    ]
    return names[0] if len(names) == 1 else None


def _directory_string(element: der.Element) -> str | None:
    # We write UTF8String; other tools (Go's crypto/x509, some OpenSSL configurations) write an
    # ASCII name as PrintableString.
    if element.tag == der.PRINTABLE_STRING:
        return element.content.decode("ascii", errors="replace")
    # Bytes that are not UTF-8 are kept as Python keeps them from a command line (surrogateescape),
    # so the CA refuses the name for what it is (`names.check_name`) rather than the whole request.
    return element.content.decode("utf-8", "surrogateescape") if element.tag == der.UTF8_STRING else None
