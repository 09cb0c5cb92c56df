"""How the HTTP API travels: HTTPS, or plain HTTP on loopback only, and whom a client trusts.

The node serves its API over TLS with a certificate from its organisation's transport CA
(`node.net.transport_certs.issue_api_cert`), not from the organisation's signing CA: that one
may be gm (SM2), which Python's TLS cannot serve, while the transport CA is always intl (ECDSA
P-256) and every party of the network already holds its root. The API's certificate and key
are their own (serverAuth only, CN "NODE (API)"), so they cannot speak on the links.

Plain HTTP is for development on one machine: a node whose API listens on any address but
loopback (127.0.0.0/8, ::1, ``localhost``) without TLS refuses to start (`plain_http_refusal`),
and the client library refuses to send a request over plain HTTP to a host that is not loopback
(`node.client.gateway`). A host name other than ``localhost`` counts as not loopback: it may
resolve to anything.

A client verifies a node's API certificate against that node's own organisation's transport
root only (`client_context`), with the host name checked against the certificate's
subjectAltName as a browser would: a transport CA vouches for its own organisation's nodes and
for no one else's, the rule the links keep too (`node.net.tls`). TLS 1.2 at least, so curl and
browsers connect; the links, where both ends are ours, are TLS 1.3 only. The requests are
signed anyway (`node.api.signature`); TLS keeps them and the answers private and makes sure
the answers come from the node asked.
"""

from __future__ import annotations

import ipaddress
import ssl


def is_loopback(host: str) -> bool:
    """Whether ``host`` (an IP address, ``[v6]`` in brackets or not, or a name) is this machine
    for certain: a loopback address or ``localhost``."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def plain_http_refusal(host: str) -> str | None:
    """Why an API on ``host`` may not be served without TLS, or None when it may (loopback)."""
    if is_loopback(host):
        return None
    return (f"the API would listen on {host} without TLS; plain HTTP is for development on loopback only "
            "(127.0.0.1, ::1, localhost): give the API its certificate and key in an [api] section "
            "(docs/node.md), or listen on loopback")


def client_context(roots_pem: bytes | str) -> ssl.SSLContext:
    """A client's context for a node's API that trusts only ``roots_pem`` (the node's organisation's
    transport root; PEM, one or more certificates) and checks the host name."""
    context = ssl.create_default_context(cadata=roots_pem.decode("ascii") if isinstance(roots_pem, bytes)
                                         else roots_pem)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context
