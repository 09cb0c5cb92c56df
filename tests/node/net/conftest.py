"""Transport certificates for the link tests (made once per session), a raw TLS client for
playing a misbehaving peer, and `run`, which runs a test's coroutine and then checks that it left
no task running and no file descriptor open."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import ssl
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from node.net import LinkSettings, Mesh, Peer, TlsContexts, issue_tls_cert, make_tls_ca, tls_contexts

# Org0's node exists only as a certificate: misbehaving clients speak as it, so that the real
# links between the meshes are never the ones replaced or closed. Names order as org0 < org1 < ...
ORGS = ("Org0", "Org1", "Org2", "Org3")


def node_name(org: str) -> str:
    return f"peer0-{org.lower()}"


@dataclass(frozen=True)
class Identity:
    name: str
    org: str
    cert: Path
    key: Path


@dataclass(frozen=True)
class Pki:
    roots: tuple[Path, ...]  # every org's transport CA: what each node trusts
    nodes: dict[str, Identity]  # by org
    foreign: Identity  # peer0-org0 / Org0, issued by a CA nobody trusts
    cross: Identity  # peer0-org0 / Org0, issued by Org3's (trusted) CA: speaks for another org
    cas: dict[str, tuple[Path, Path]]

    def contexts(self, org: str) -> TlsContexts:
        node = self.nodes[org]
        return tls_contexts(node.cert, node.key, self.roots)


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    base = tmp_path_factory.mktemp("pki")
    cas = {org: make_tls_ca(org, base / org / "tls-ca") for org in ORGS}
    nodes = {}
    for org in ORGS:
        cert, key = issue_tls_cert(*cas[org], node_name(org), org, base / org / "node")
        nodes[org] = Identity(node_name(org), org, cert, key)
    foreign_ca = make_tls_ca("Org0", base / "foreign" / "tls-ca")
    cert, key = issue_tls_cert(*foreign_ca, "peer0-org0", "Org0", base / "foreign" / "node")
    foreign = Identity("peer0-org0", "Org0", cert, key)
    cert, key = _cross_issue(*cas["Org3"], "peer0-org0", "Org0", base / "cross")
    cross = Identity("peer0-org0", "Org0", cert, key)
    return Pki(tuple(ca for ca, _ in cas.values()), nodes, foreign, cross, cas)


def _cross_issue(ca_cert: Path, ca_key: Path, name: str, org: str, folder: Path) -> tuple[Path, Path]:
    """What `issue_tls_cert` refuses to make: a CA issuing for another organisation."""
    authority = x509.load_pem_x509_certificate(ca_cert.read_bytes())
    authority_key = serialization.load_pem_private_key(ca_key.read_bytes(), None)
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(timezone.utc)
    ski = authority.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, org),
                                 x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(authority.subject).public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(authority_key, hashes.SHA256())  # type: ignore[arg-type]
    )
    folder.mkdir(parents=True)
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


# Short timers so that the tests that wait for them stay fast.
FAST = LinkSettings(heartbeat=0.2, idle_timeout=0.8, handshake_timeout=2.0, close_timeout=0.5,
                    backoff_initial=0.05, backoff_max=0.4)


class Inbox:
    """An `on_message` that records (peer, message) and lets a test wait for a count."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []
        self._changed = asyncio.Event()

    async def __call__(self, peer: str, org: str, message: dict[str, Any]) -> None:
        self.messages.append((peer, message))
        self._changed.set()

    def from_(self, peer: str) -> list[dict[str, Any]]:
        return [m for p, m in self.messages if p == peer]

    async def wait_for(self, count: int, peer: str | None = None, timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while len(self.messages if peer is None else self.from_(peer)) < count:
                self._changed.clear()
                await self._changed.wait()


def make_mesh(pki: Pki, org: str, peers: Iterable[Mesh | Peer], on_message: Callable[..., Awaitable[None]], *,
              settings: LinkSettings = FAST, port: int = 0) -> Mesh:
    return Mesh(node_name(org), org, pki.contexts(org), [_peer(p) for p in peers], on_message,
                listen=("127.0.0.1", port), settings=settings)


def _peer(p: Mesh | Peer) -> Peer:
    return p if isinstance(p, Peer) else Peer(p.name, p.org, "127.0.0.1", p.port)


def peer_of(mesh: Mesh) -> Peer:
    return _peer(mesh)


async def started(pki: Pki, orgs: Iterable[str], inboxes: dict[str, Inbox] | None = None, *,
                  settings: LinkSettings = FAST) -> list[Mesh]:
    """Meshes for `orgs`, listening, each knowing all the others (added once all listen)."""
    meshes = []
    for org in orgs:
        inbox = inboxes.setdefault(org, Inbox()) if inboxes is not None else Inbox()
        mesh = make_mesh(pki, org, [], inbox, settings=settings)
        await mesh.start()
        meshes.append(mesh)
    for mesh in meshes:
        for other in meshes:
            if other is not mesh:
                mesh.add_peer(peer_of(other))
    return meshes


async def wait_until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def raw_client(pki: Pki, port: int, who: Identity | None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A TLS client holding `who`'s certificate (or plain TCP when None), trusting every root."""
    if who is None:
        return await asyncio.open_connection("127.0.0.1", port)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.check_hostname = False
    context.load_cert_chain(who.cert, who.key)
    for root in pki.roots:
        context.load_verify_locations(root)
    return await asyncio.open_connection("127.0.0.1", port, ssl=context, server_hostname="")


async def closed_by_server(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float = 3.0) -> bool:
    """Read until the server closes the connection (True) or `timeout` passes (False); close it."""
    try:
        async with asyncio.timeout(timeout):
            while await reader.read(65536):
                pass
        return True
    except (ssl.SSLError, ConnectionError):
        return True
    except TimeoutError:
        return False
    finally:
        writer.transport.abort()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0


def run(main: Callable[[], Awaitable[None]]) -> None:
    """Run `main` in a fresh event loop; then no other task may be left, and after a garbage
    collection no file descriptor may stay open that was not open before."""
    before = _open_fds()

    async def checked() -> None:
        await main()
        leftovers = asyncio.all_tasks() - {asyncio.current_task()}
        assert not leftovers, f"tasks left running: {leftovers}"

    asyncio.run(checked())
    gc.collect()
    assert _open_fds() == before, "a socket (or another descriptor) was left open"
