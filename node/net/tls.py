"""TLS for the links: contexts built from PEM files, and who a connection's certificate names.

Both contexts speak TLS 1.3 only and require a certificate from the other end (CERT_REQUIRED
both ways), chaining to one of the configured roots: every organisation's transport CA. There is
no hostname check: a peer is not identified by the address it was reached at but by the subject
of its certificate, CN = node name and O = organisation, which the mesh then checks against its
peer list and against the hello frame. OpenSSL's strict X.509 checks are on, and the purpose
check stays at its default (a server verifies a client certificate for clientAuth, a client a
server certificate for serverAuth), which is why transport certificates carry both EKUs.

One more rule is ours, because several organisations' CAs are trusted at once: a transport CA
vouches only for its own organisation. A certificate is accepted only when its issuer's O equals
its subject's O; otherwise Org2's CA could issue "peer0-org1, O=Org1" and speak for Org1. The
transport CAs that `transport_certs.make_tls_ca` makes have path length 0 (they issue no
intermediates), so the issuer checked is the trusted root itself.

Python's ssl module has no SM cipher suites, so transport certificates are always ECDSA P-256
(the intl suite) whatever the channels' suite; what consensus and validation rely on is signed
again with the channel's suite inside the frames.
"""

from __future__ import annotations

import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.net.errors import HandshakeError


@dataclass(frozen=True, slots=True)
class TlsContexts:
    """The context a node listens with and the one it dials with."""

    server: ssl.SSLContext
    client: ssl.SSLContext


@dataclass(frozen=True, slots=True)
class CertifiedName:
    """Who a verified certificate says its holder is."""

    name: str
    org: str


def tls_contexts(certificate: str | Path, key: str | Path, roots: Sequence[str | Path]) -> TlsContexts:
    """Contexts for a node holding `certificate` and `key` (PEM files) that trusts `roots` (PEM
    files, one or more certificates each)."""
    if not roots:
        raise ValueError("at least one TLS root is needed: no peer could be authenticated")
    return TlsContexts(
        server=_context(ssl.PROTOCOL_TLS_SERVER, certificate, key, roots),
        client=_context(ssl.PROTOCOL_TLS_CLIENT, certificate, key, roots),
    )


def _context(protocol: int, certificate: str | Path, key: str | Path, roots: Sequence[str | Path]) -> ssl.SSLContext:
    context = ssl.SSLContext(protocol)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.maximum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False  # before verify_mode: a client context refuses the reverse order
    context.verify_mode = ssl.CERT_REQUIRED
    context.verify_flags |= ssl.VERIFY_X509_STRICT
    context.load_cert_chain(str(certificate), str(key))
    for root in roots:
        context.load_verify_locations(cafile=str(root))
    return context


def certified_name(ssl_object: Any) -> CertifiedName:
    """The CN and O of the verified certificate on a connection (an `ssl.SSLObject` or
    `ssl.SSLSocket`); raises `HandshakeError` when it does not name exactly one of each, or when
    its issuer belongs to another organisation."""
    cert = ssl_object.getpeercert() if ssl_object is not None else None
    if not cert:
        raise HandshakeError("the connection carries no verified certificate")
    subject = _attributes(cert.get("subject", ()))
    issuer = _attributes(cert.get("issuer", ()))
    names = subject.get("commonName", [])
    orgs = subject.get("organizationName", [])
    if len(names) != 1 or len(orgs) != 1:
        raise HandshakeError(f"the certificate names {len(names)} CNs and {len(orgs)} Os; a transport "
                             "certificate names exactly one of each")
    if issuer.get("organizationName", []) != orgs:
        raise HandshakeError(f"the certificate of {names[0]!r} (O={orgs[0]!r}) was issued by another "
                             f"organisation's CA (O={issuer.get('organizationName')!r}); a transport CA "
                             "vouches only for its own organisation")
    return CertifiedName(names[0], orgs[0])


def _attributes(rdns: Any) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for rdn in rdns:
        for attribute, value in rdn:
            found.setdefault(attribute, []).append(value)
    return found
