"""`baochain network init`: a whole local network, made from a spec (`node.network.spec`) in one
folder (`node.network.layout`), ready for `baochain network up`.

Steps, in order:
1. Take the folder (`NetworkLayout.claim`): new or empty, or refused; nothing else is touched.
2. Each organisation: a CA (`node.ca.authority`) in the network's suite, its passphrase beside
   it; its wallet identities and its node's peer identity registered, approved and enrolled,
   each key made here and certified through a PKCS#10 request; a transport CA
   (`node.net.transport_certs`).
3. Ports: two free ports of 127.0.0.1 per node (`free_ports`), p2p and api.
4. Each node: its transport certificate, every organisation's transport root, and its API's
   TLS certificate (HTTPS; from the same transport CA: `node.api.transport` says why). A local
   network's APIs are HTTPS like any other's: its clients, tests and `network up` take the path
   a real network's take; plain HTTP on loopback is left to a node.toml without ``[api]``.
5. Each channel: its configuration (`node.chain.config.ChannelConfig`: members sorted by name
   with their CA roots and current CRLs, regulators, the ordering (PBFT: the members' nodes'
   peer certificates, in the spec's order; solo: one node), the suite, the defaults)
   and its genesis block (block 0, stamped with the time of init).
6. Each node's ``node.toml`` (docs/node.md): its peers are every other node, its channels those
   its organisation is a member of, its ``[ca]`` its organisation's CA and passphrase file (the
   node enrolls application users through it, registering them by ``ca-admin``: `node.users`).
   Then ``network.toml``, then ``network.json`` last.

How each CA is used, and why:
- `CertificateAuthority.init` makes a first admin, ``ca-admin``, with no roles: the CA's own
  operator. It is not in the wallet and never enrolls here; `baochain ca ... --by ca-admin`
  acts as it.
- ``admin@ORG`` is registered by ``ca-admin`` with the organisation's roles (a deploy runs the
  contract's init `by` a role) and approved by ``ca-admin``, the only admin then. Every other
  identity is registered by ``ca-admin`` and approved by ``admin``: the CA's four-eyes rule (once
  it has two admins, nobody approves their own registration) holds from the first identity on,
  and goes on holding for what the operator adds later.
- Enrollment secrets are random, used at once and kept nowhere.
"""

from __future__ import annotations

import os
import secrets
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.ca.authority import CertificateAuthority
from node.chain.block import encode_block
from node.chain.channel import genesis_block
from node.chain.config import ChannelConfig, OrgConfig
from node.identity import Certificate, build_request
from node.net.transport_certs import issue_api_cert, issue_tls_cert, make_tls_ca
from node.network.layout import (
    API_TLS_FOLDER,
    CERT_FILE,
    DATA_FOLDER,
    IDENTITY_FOLDER,
    KEY_FILE,
    TLS_FOLDER,
    ChannelEntry,
    NetworkIndex,
    NetworkLayout,
    NodeEntry,
    OrgEntry,
    WalletEntry,
    tls_root_file,
)
from node.network.spec import ADMIN, ChannelSpec, IdentitySpec, NetworkSpec, OrgSpec
from node.network.toml_text import document

CA_ADMIN = "ca-admin"  # the first admin of each CA: its operator
HOST = "127.0.0.1"
LOG_LEVEL = "info"


@dataclass(frozen=True, slots=True)
class MadeOrg:
    """What an organisation brings to the channels and nodes."""

    spec: OrgSpec
    root: bytes  # its CA certificate, DER
    crl: bytes  # its CA's current CRL, DER
    tls_ca: tuple[Path, Path]  # its transport CA's certificate and key (PEM files)
    wallet: tuple[WalletEntry, ...]


def init_network(spec: NetworkSpec, root: Path, *, progress: Callable[[str], None] = lambda line: None) -> NetworkIndex:
    """Make the network `spec` describes in the folder `root`; its index. Raises `FolderTaken`
    when the folder is not new or empty; on any failure, what was written is removed."""
    layout = NetworkLayout(root)
    layout.claim()
    try:
        index = _build(spec, layout, progress)
        layout.finish(index)
    except BaseException:
        layout.undo()
        raise
    return index


def _build(spec: NetworkSpec, layout: NetworkLayout, progress: Callable[[str], None]) -> NetworkIndex:
    orgs: dict[str, MadeOrg] = {}
    for org in spec.orgs:
        orgs[org.name] = make_org(spec, org, layout)
        progress(f"{org.name}: {spec.suite} CA, {len(orgs[org.name].wallet)} wallet identities, node {org.node}")
    ports = iter(free_ports(2 * len(spec.orgs)))
    nodes = tuple(
        NodeEntry(o.node, o.name, f"{HOST}:{next(ports)}", f"{HOST}:{next(ports)}",
                  layout.relative(layout.node_config(o.node)), tuple(c.name for c in spec.channels_of(o.name)))
        for o in spec.orgs
    )
    tls_cas = {name: org.tls_ca for name, org in orgs.items()}
    for node in nodes:
        node_transport(layout, node, tls_cas)
    channels = tuple(_make_channel(spec, channel, orgs, layout) for channel in spec.channels)
    for channel in channels:
        progress(f"channel {channel.name}: {', '.join(channel.orgs)}; ordered by {', '.join(channel.orderers)}")
    for node in nodes:
        text = "# Written by `baochain network init`; the format is in docs/node.md.\n\n" + document(
            node_toml(layout, node, nodes))
        layout.write(layout.node_config(node.name), text.encode("utf-8"))
    layout.write(layout.spec, ("# The spec this network was made from (`baochain network init`), in normal form.\n\n"
                               + spec.to_toml()).encode("utf-8"))
    return NetworkIndex(
        suite=spec.suite,
        consensus=spec.consensus,
        orgs=tuple(
            OrgEntry(o.name, o.roles, o.node, layout.relative(layout.ca_home(o.name)),
                     layout.relative(layout.ca_passphrase(o.name)), layout.relative(layout.tls_ca(o.name)))
            for o in spec.orgs
        ),
        nodes=nodes,
        channels=channels,
        wallet=tuple(w for o in spec.orgs for w in orgs[o.name].wallet),
    )


def make_org(spec: NetworkSpec, org: OrgSpec, layout: NetworkLayout) -> MadeOrg:
    passphrase = secrets.token_urlsafe(32)
    layout.write(layout.ca_passphrase(org.name), f"{passphrase}\n".encode("ascii"), private=True)
    ca = CertificateAuthority.init(layout.ca_home(org.name), org=org.name, suite=spec.suite,
                                   passphrase=passphrase.encode("ascii"), admin=CA_ADMIN,
                                   admin_secret=secrets.token_urlsafe(18))
    clients = spec.identities(org.name)
    peer = spec.peer(org.name)
    enrolling = (*clients, peer)
    secret = {i.name: ca.register(i.name, type=i.type, roles=list(i.roles), by=CA_ADMIN)[1] for i in enrolling}
    ca.approve(ADMIN, by=CA_ADMIN, note="the organisation's admin, made by network init")
    for i in enrolling:
        if i.name != ADMIN:
            ca.approve(i.name, by=ADMIN, note="made by network init")
    wallet = []
    for i in clients:
        folder = layout.wallet(i.id)
        _enroll(ca, i, secret[i.name], folder, layout)
        wallet.append(WalletEntry(i.id, i.name, i.org, i.type, i.roles, layout.relative(folder / CERT_FILE),
                                  layout.relative(folder / KEY_FILE)))
    _enroll(ca, peer, secret[peer.name], layout.node(org.node) / IDENTITY_FOLDER, layout)
    tls_ca = make_tls_ca(org.name, layout.tls_ca(org.name))
    return MadeOrg(org, ca.certificate.der, ca.current_crl().der, tls_ca, tuple(wallet))


def _enroll(ca: CertificateAuthority, identity: IdentitySpec, secret: str, folder: Path, layout: NetworkLayout) -> None:
    """A fresh key for `identity`, certified by `ca`; written as cert.pem and key.pem in `folder`."""
    key = ca.suite.generate_key()
    certificate = ca.enroll(identity.name, secret=secret, request=build_request(ca.suite, key, identity.name))
    layout.write(folder / KEY_FILE, ca.suite.private_key_to_pem(key), private=True)
    layout.write(folder / CERT_FILE, certificate.pem)


def node_transport(layout: NetworkLayout, node: NodeEntry, tls_cas: dict[str, tuple[Path, Path]]) -> None:
    """The node's transport certificate and its API's certificate from its organisation's
    transport CA, and every organisation's transport root beside them (``tls_cas``: by
    organisation, (certificate, key))."""
    folder = layout.node(node.name) / TLS_FOLDER
    ca_cert, ca_key = tls_cas[node.org]
    issue_tls_cert(ca_cert, ca_key, node.name, node.org, folder)
    issue_api_cert(ca_cert, ca_key, node.name, node.org, layout.node(node.name) / API_TLS_FOLDER,
                   hosts=_hosts(node.api.rpartition(":")[0]))
    for name, (cert, _) in tls_cas.items():
        layout.write(folder / tls_root_file(name), cert.read_bytes())


def _make_channel(spec: NetworkSpec, channel: ChannelSpec, orgs: dict[str, MadeOrg],
                  layout: NetworkLayout) -> ChannelEntry:
    members = tuple(OrgConfig(name, orgs[name].root, (orgs[name].crl,)) for name in sorted(channel.orgs))
    ordering: dict[str, Any]
    if spec.consensus == "pbft":
        consenters = tuple(Certificate.load((layout.node(node) / IDENTITY_FOLDER / CERT_FILE).read_bytes()).der
                           for node in spec.consenters(channel))
        ordering = {"consenters": consenters}
    else:
        ordering = {"orderer": spec.orderer(channel)}
    config = ChannelConfig(name=channel.name, suite=spec.suite, orgs=members, consensus=spec.consensus,
                           regulators=tuple(sorted(channel.regulators)), **ordering)
    path = layout.genesis(channel.name)
    layout.write(path, encode_block(genesis_block(config, int(time.time() * 1000))))
    return ChannelEntry(channel.name, config.members, config.regulators, config.replicas, layout.relative(path))


def node_toml(layout: NetworkLayout, node: NodeEntry, nodes: tuple[NodeEntry, ...]) -> dict[str, Any]:
    """One node's configuration, as docs/node.md gives it; paths relative to its folder."""
    folder = layout.node(node.name)
    return {
        "node": {"name": node.name, "org": node.org, "data": DATA_FOLDER, "p2p": node.p2p, "api": node.api},
        "identity": {"certificate": f"{IDENTITY_FOLDER}/{CERT_FILE}", "key": f"{IDENTITY_FOLDER}/{KEY_FILE}"},
        "tls": {
            "certificate": f"{TLS_FOLDER}/{CERT_FILE}",
            "key": f"{TLS_FOLDER}/{KEY_FILE}",
            "roots": [f"{TLS_FOLDER}/{tls_root_file(n.org)}" for n in nodes],
        },
        "api": {"certificate": f"{API_TLS_FOLDER}/{CERT_FILE}", "key": f"{API_TLS_FOLDER}/{KEY_FILE}"},
        "ca": {"home": Path(os.path.relpath(layout.ca_home(node.org), folder)).as_posix(),
               "passphrase_file": Path(os.path.relpath(layout.ca_passphrase(node.org), folder)).as_posix(),
               "registrar": CA_ADMIN},
        "peers": [{"name": n.name, "org": n.org, "p2p": n.p2p, "api": n.api} for n in nodes if n is not node],
        "channels": [
            {"name": c, "genesis": Path(os.path.relpath(layout.genesis(c), folder)).as_posix()} for c in node.channels
        ],
        "log": {"level": LOG_LEVEL},
    }


def _hosts(api_host: str) -> tuple[str, ...]:
    """The names the API's certificate holds: where it listens, and loopback's two names."""
    return tuple(dict.fromkeys((api_host.strip("[]"), "127.0.0.1", "localhost")))


def free_ports(count: int, host: str = HOST) -> list[int]:
    """`count` distinct ports of `host` that were free a moment ago: each a socket bound to port
    0 (the kernel picks an unused ephemeral port), all held open until every one is chosen so
    that none repeats, then closed. Another program may take one before its node starts; the
    node then refuses to start, naming the address."""
    sockets = []
    try:
        for _ in range(count):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(s)
            s.bind((host, 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
