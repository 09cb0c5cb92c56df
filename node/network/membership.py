"""A new organisation joins a running local network, without downtime:
`baochain network add-node DIR --org NAME [--roles insurer,hospital] [--channel CH]`.

What `add_node` does, in order, each step one that an operator of a real consortium would do
with their own part of it:

1. Check the request against the network's spec (``network.toml``): the spec with the new
   organisation added (to every channel, or to CH) must be a valid spec, by the same rules as
   `baochain network init` (`node.network.spec`); a ``regulator`` role is refused (a channel
   would have to name the organisation a regulator, which is a decision of its own).
2. The organisation's CA, its wallet identities and its node's peer identity (`init.make_org`),
   its transport CA and the node's transport certificate, and the node's folder and
   ``node.toml`` (its peers: every node of the network; two free ports).
3. Every running node learns of the new node: its ``node.toml`` is rewritten with the new peer
   and the new organisation's transport root, and it is sent SIGHUP (`node.daemon.main.reload`);
   the call waits (bounded) until each answers with the new peer in its peer list.
4. For each channel the organisation joins, a configuration update signed by the admins of every
   member organisation (more than the majority the channel needs): the organisation becomes a
   member, and on a PBFT channel its node becomes a consenter (appended: the primaries of the
   views in progress do not move). It commits on the running network; the replicas switch to the
   new set after the update's block, with n and f computed from it.
5. ``network.json`` and ``network.toml`` are replaced whole with the grown network, then the new
   node is started (`control.up`), which returns once it answers ``/readyz``: it has pulled every
   block from its peers, checked each against its commit certificate, and takes part in ordering.

A failure before step 4 leaves the running network as it was (the files written for the new
organisation stay, named in the error, so that a retry with another name is possible); a failure
in step 4 names the channels already updated.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from node.chain.config import OrgConfig
from node.client.errors import ClientError
from node.identity.names import REGULATOR_ROLE
from node.network import control
from node.network.errors import NetworkError
from node.network.init import HOST, free_ports, make_org, node_toml, node_transport
from node.network.layout import (
    CERT_FILE, IDENTITY_FOLDER, KEY_FILE, TLS_FOLDER, NetworkIndex, NetworkLayout, NodeEntry, OrgEntry, tls_root_file,
)
from node.network.spec import ChannelSpec, NetworkSpec, OrgSpec, parse_spec
from node.network.toml_text import document
from node.identity import Certificate

RELOAD_TIMEOUT_S = 30.0


class MembershipError(NetworkError):
    """A node that cannot be added (the message says why and what was done)."""


def add_node(folder: Path, org: str, roles: tuple[str, ...], channels: tuple[str, ...] = (), *,
             progress: Callable[[str], None] = lambda line: None, timeout_s: float = control.READY_TIMEOUT_S
             ) -> NodeEntry:
    """Add organisation ``org`` with its node to the running network in ``folder`` (see the module
    docstring); the new node's entry, once it is ready."""
    layout = NetworkLayout(folder)
    index = layout.load_index()
    spec = parse_spec(layout.spec.read_text("utf-8"), str(layout.spec))
    if REGULATOR_ROLE in roles:
        raise MembershipError(f"{org}: add-node does not add a regulator (a channel must name it one); "
                              "give it other roles")
    joined = channels or tuple(c.name for c in spec.channels)
    unknown = [c for c in joined if spec_channel(spec, c) is None]
    if unknown:
        raise MembershipError(f"no channel {', '.join(unknown)} in {folder} (its channels: "
                              f"{', '.join(c.name for c in spec.channels)})")
    grown = parse_spec(NetworkSpec(
        spec.suite, (*spec.orgs, OrgSpec(org, roles)),
        tuple(ChannelSpec(c.name, (*c.orgs, org), c.regulators) if c.name in joined else c for c in spec.channels),
        spec.consensus).to_toml(), "the network with the new organisation")
    new_org = grown.orgs[-1]
    running = _running(folder)
    for c in joined:  # the update is submitted through the channel's nodes: one must answer
        members = _members(spec, c)
        if not any(spec.org(m).node in running for m in members):
            raise MembershipError(f"no node of channel {c} is running: start the network first "
                                  f"(`baochain network up {folder}`)")

    made = make_org(grown, new_org, layout)
    progress(f"{new_org.name}: {grown.suite} CA, {len(made.wallet)} wallet identities, node {new_org.node}")
    p2p, api = free_ports(2)
    node = NodeEntry(new_org.node, new_org.name, f"{HOST}:{p2p}", f"{HOST}:{api}",
                     layout.relative(layout.node_config(new_org.node)), tuple(joined))
    nodes = (*index.nodes, node)
    tls_cas = {o.name: _tls_ca(layout, o.name) for o in index.orgs}
    tls_cas[new_org.name] = made.tls_ca
    node_transport(layout, node, tls_cas)
    _write_toml(layout, node, nodes, replace_existing=False)

    # 3. the running nodes learn of the new one
    for n in index.nodes:
        layout.write(layout.node(n.name) / TLS_FOLDER / tls_root_file(new_org.name), made.tls_ca[0].read_bytes())
        _write_toml(layout, n, nodes, replace_existing=True)
    for name, pid in running.items():
        os.kill(pid, signal.SIGHUP)
    _await_peer(folder, index, running, node.name)
    progress(f"the running nodes ({', '.join(running)}) link to {node.name}")

    # 4. the channels' configurations
    peer_cert = Certificate.load((layout.node(node.name) / IDENTITY_FOLDER / CERT_FILE).read_bytes()).der
    done: list[str] = []
    for c in joined:
        try:
            sequence = _join_channel(folder, spec, c, OrgConfig(new_org.name, made.root, (made.crl,)), peer_cert)
        except ClientError as exc:  # a refusal, a node down, a timeout: name what was done
            already = f"; already updated: {', '.join(done)}" if done else ""
            raise MembershipError(f"channel {c}: the configuration update failed: {exc}{already}") from None
        done.append(c)
        progress(f"channel {c}: configuration {sequence} adds {new_org.name}"
                 + (f" and its node as a consenter" if grown.consensus == "pbft" else ""))

    # 5. the grown network's files, then the node
    grown_index = replace(
        index,
        orgs=(*index.orgs, OrgEntry(new_org.name, new_org.roles, node.name, layout.relative(layout.ca_home(org)),
                                    layout.relative(layout.ca_passphrase(org)), layout.relative(layout.tls_ca(org)))),
        nodes=nodes,
        channels=tuple(replace(c, orgs=tuple(sorted((*c.orgs, org))),
                               orderers=(*c.orderers, node.name) if grown.consensus == "pbft" else c.orderers)
                       if c.name in joined else c for c in index.channels),
        wallet=(*index.wallet, *made.wallet),
    )
    layout.save_index(grown_index)
    layout.replace(layout.spec, ("# The spec this network was made from (`baochain network init`), in normal form.\n\n"
                                 + grown.to_toml()).encode("utf-8"))
    control.up(folder, timeout_s=timeout_s, progress=progress)
    return node


def spec_channel(spec: NetworkSpec, name: str) -> ChannelSpec | None:
    return next((c for c in spec.channels if c.name == name), None)


def _members(spec: NetworkSpec, channel: str) -> tuple[str, ...]:
    found = spec_channel(spec, channel)
    assert found is not None
    return found.orgs


def _tls_ca(layout: NetworkLayout, org: str) -> tuple[Path, Path]:
    folder = layout.tls_ca(org)
    return folder / CERT_FILE, folder / KEY_FILE


def _write_toml(layout: NetworkLayout, node: NodeEntry, nodes: tuple[NodeEntry, ...], *, replace_existing: bool) -> None:
    text = ("# Written by `baochain network init`; the format is in docs/node.md.\n\n"
            + document(node_toml(layout, node, nodes))).encode("utf-8")
    path = layout.node_config(node.name)
    if replace_existing:
        layout.replace(path, text)
    else:
        layout.write(path, text)


def _running(folder: Path) -> dict[str, int]:
    _, procs = control.processes(folder)
    return {p.entry.name: pid for p in procs if (pid := p.pid()) is not None}


def _await_peer(folder: Path, index: NetworkIndex, running: dict[str, int], peer: str) -> None:
    """Each running node lists ``peer`` among its peers (its configuration reloaded), or
    `MembershipError` naming those that do not after `RELOAD_TIMEOUT_S`."""
    deadline = time.monotonic() + RELOAD_TIMEOUT_S
    waiting = set(running)
    while waiting:
        report = {n["name"]: n for n in control.status(folder)["nodes"]}
        waiting = {name for name in waiting
                   if not any(p.get("name") == peer for p in report.get(name, {}).get("peers", []))}
        if not waiting:
            return
        if time.monotonic() > deadline:
            raise MembershipError(f"{', '.join(sorted(waiting))} did not take on {peer} within {RELOAD_TIMEOUT_S:.0f} s "
                                  "of SIGHUP (see their node.log)")
        time.sleep(0.2)


def _join_channel(folder: Path, spec: NetworkSpec, channel: str, member: OrgConfig, peer_cert: bytes) -> int:
    """The configuration update that makes ``member`` a member of ``channel`` (and its node a
    consenter, with PBFT), signed by every member's admin; the new configuration's sequence."""
    from node.client.gateway import Gateway

    members = _members(spec, channel)
    with Gateway.for_network(folder, f"admin@{members[0]}") as gateway:
        network = gateway.network(channel)
        current = network.config()
        changes: dict = {"orgs": tuple(sorted((*current.orgs, member), key=lambda o: o.name))}
        if current.consensus == "pbft":
            changes["consenters"] = (*current.consenters, peer_cert)
        signers = [gateway_identity(folder, f"admin@{m}") for m in members]
        done = network.update_config(changes, signers)
        return done.sequence


def gateway_identity(folder: Path, ident: str):  # noqa: ANN201 - node.client.wallet.Identity
    from node.client.netfile import NetworkFile

    return NetworkFile.load(folder).wallet.get(ident)
