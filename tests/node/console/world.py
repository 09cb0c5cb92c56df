"""A small real network for the console's browser tests, started once per module.

Two organisations, each its node process (`network up`), the APIs on plain HTTP on loopback (as
`baochain dev` serves them: a browser then needs no certificate exception), ephemeral ports:

    Alpha   roles insurer, hospital, regulator     node peer0-alpha: the console under test
    Beta    roles insurer                          node peer0-beta
    channel claims   members Alpha (regulator Alpha), solo on peer0-alpha
    channel shared   members Alpha and Beta,          solo on peer0-alpha

On `claims`: the health contract deployed with its source (so the console has its explain
document), ``alice``, an application user of Alpha with the role insurer. Sessions for the tests:
alice's login, and certificate sessions (opened by a signed ``POST /api/v1/sessions``) of
regulator@Alpha and insurer@Beta. Every node is stopped by its pid when the module ends, whether
its tests passed or not."""

from __future__ import annotations

import os
import re
import secrets
import signal
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from node.client.gateway import Gateway
from node.client.link import RequestSigner
from node.client.netfile import NetworkFile
from node.network import control
from node.network.init import init_network
from node.network.layout import NetworkLayout
from node.network.spec import parse_spec
from node.users.client import UserAdmin

ROOT = Path(__file__).resolve().parents[3]
HEALTH = ROOT / "contracts" / "health.bao"
SPEC = '''
suite = "intl"
consensus = "solo"

[[orgs]]
name = "Alpha"
roles = ["insurer", "hospital", "regulator"]

[[orgs]]
name = "Beta"
roles = ["insurer"]

[[channels]]
name = "claims"
orgs = ["Alpha"]
regulators = ["Alpha"]

[[channels]]
name = "shared"
orgs = ["Alpha", "Beta"]
'''
NODE = "peer0-alpha"


@dataclass
class World:
    folder: Path
    api: str  # the console's node, http://127.0.0.1:PORT
    password: str  # alice's

    def gateway(self, who: str) -> Gateway:
        return Gateway.for_network(self.folder, who)

    def certificate_session(self, who: str) -> str:
        """A session token of the wallet identity ``who`` (NAME@ORG): a signed POST /api/v1/sessions."""
        identity = NetworkFile.load(self.folder).wallet.get(who)
        headers = RequestSigner(identity).headers("POST", "/api/v1/sessions", b"")
        answer = httpx.post(f"{self.api}/api/v1/sessions", headers=headers, timeout=10)
        assert answer.status_code == 201, answer.text
        token: str = answer.json()["token"]
        return token

    def login(self, name: str, password: str) -> str:
        answer = httpx.post(f"{self.api}/api/v1/sessions", json={"name": name, "password": password}, timeout=10)
        assert answer.status_code == 201, answer.text
        token: str = answer.json()["token"]
        return token

    def pid(self, node: str) -> int:
        """The process id of ``node``, as `network up` recorded it."""
        _, procs = control.processes(self.folder)
        found = [pid for p in procs if p.entry.name == node and (pid := p.pid()) is not None]
        assert found, f"{node} is not running"
        return found[0]

    def stop(self) -> None:
        """Every node of the network, stopped by its pid: SIGTERM (`network down`), then SIGKILL."""
        try:
            control.down(self.folder, timeout_s=10)
        finally:
            _, procs = control.processes(self.folder)
            for p in procs:
                pid = p.pid()
                if pid is not None:
                    os.kill(pid, signal.SIGKILL)


def plain_http(folder: Path) -> None:
    """The nodes' APIs on plain HTTP (loopback only), as `baochain dev` makes them."""
    layout = NetworkLayout(folder)
    index = layout.load_index()
    for node in index.nodes:
        path = layout.node_config(node.name)
        text = re.sub(r"\n\[api\]\n(?:[^\[\n][^\n]*\n)*", "\n", path.read_text("utf-8"))
        layout.replace(path, text.encode("utf-8"))
    layout.save_index(replace(index, nodes=tuple(replace(n, api=f"http://{n.api}") for n in index.nodes)))


def start(folder: Path) -> World:
    """The network of the module docstring, up and ready; the caller stops it (`World.stop`)."""
    init_network(parse_spec(SPEC, "console world"), folder)
    plain_http(folder)
    world = World(folder, "", secrets.token_urlsafe(12))
    try:
        control.up(folder, timeout_s=60)
        entry = NetworkLayout(folder).load_index().node(NODE)
        assert entry is not None
        world.api = entry.api
        with world.gateway("admin@Alpha") as gateway:
            gateway.network("claims").deploy(HEALTH.read_text("utf-8"), "health", "1", "majority")
            admin = UserAdmin(gateway, node=NODE)
            admin.register("alice", world.password, roles=["insurer"])
            admin.approve("alice")
    except BaseException:
        world.stop()
        raise
    return world
