"""A small consortium in one process for the API and client tests: real CAs, certificates, keys,
LevelDB channels, one FastAPI app per node, and signed requests.

    Org1, Org2   insurers; members of `claims` and `reinsurance`
    Org3         the regulator's organisation: a member of `claims` only (its regulators read it)
    Org4         an outsider: its CA is in no channel

Nodes `peer0-org1..3` hold the channels of their organisation; `peer0-org1` orders both. Each
org has `admin@ORG` (type admin, role insurer) and `insurer@ORG` (a client, roles insurer and
hospital); Org3 also has `regulator@Org3`; `revoked@Org2` is on Org2's CRL, which both channels carry, and
`expired@Org1` is past its dates. Key material is made once per suite (`keys_for`);
channels are made fresh for each test in its own folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache
from pathlib import Path
from typing import Any

import asyncio
import threading

import httpx
from fastapi import FastAPI

from node.api.app import create_app
from node.api.local import LocalNetwork, LocalNode
from node.api.signature import sign_request
from node.chain.channel import Channel, Signer, genesis_block
from node.chain.config import ChannelConfig, OrgConfig
from node.crypto import get_suite
from node.identity import Certificate
from node.tx.clock import now_ms
from tests.node.conftest import make_leaf, make_root

ORGS = ("Org1", "Org2", "Org3")
OUTSIDER = "Org4"
CHANNELS = {"claims": (("Org1", "Org2", "Org3"), ("Org3",)), "reinsurance": (("Org1", "Org2"), ())}

LEDGER = '''
contract Ledger
"""A small ledger for the API tests."""

parties insurer, hospital

state:
    balances: Map[Text, Int]
    total: Int = 0

event Set(key: Text, value: Int)

action set(k: Text, v: Int) by insurer:
    balances[k] = v
    emit Set(key: k, value: v)

action bump(k: Text) by insurer:
    balances[k] = balances.get(k, 0) + 1

action add(n: Int) by insurer, hospital:
    total += n

action refuse() by insurer:
    fail "no, never"

view get(k: Text) -> Int:
    return balances.get(k, 0)

view grand_total() -> Int:
    return total

view must(k: Text) -> Int:
    require k in balances, "no such key"
    return balances[k]
'''


@dataclass(frozen=True)
class Ident:
    name: str
    org: str
    cert: Certificate
    key: Any

    @property
    def label(self) -> str:
        return f"{self.name}@{self.org}"


@dataclass(frozen=True)
class Keys:
    suite_name: str
    roots: dict[str, tuple[Certificate, Any]]
    ids: dict[str, Ident]  # by label, peers by node name too
    crls: dict[str, tuple[bytes, ...]]  # Org2's revokes revoked@Org2


@cache
def keys_for(suite_name: str) -> Keys:
    suite = get_suite(suite_name)
    now = datetime.now(timezone.utc)
    roots = {org: make_root(suite, org, now=now) for org in (*ORGS, OUTSIDER)}
    ids: dict[str, Ident] = {}

    def add(org: str, name: str, **kw: Any) -> None:
        kw.setdefault("now", now)
        cert, key = make_leaf(suite, *roots[org], name, **kw)
        ids[f"{name}@{org}"] = Ident(name, org, cert, key)

    for org in (*ORGS, OUTSIDER):
        add(org, f"peer0-{org.lower()}", type="peer", roles=())
        add(org, "admin", type="admin", roles=("insurer",))
        add(org, "insurer", roles=("insurer", "hospital"))
    add("Org3", "regulator", type="regulator", roles=("regulator",))
    add("Org2", "revoked")
    add("Org1", "expired", now=now - timedelta(days=400))
    other = get_suite("intl" if suite_name == "gm" else "gm")
    foreign_root = make_root(other, "Org1", now=now)
    cert, key = make_leaf(other, *foreign_root, "foreign", now=now)
    ids["foreign@Org1"] = Ident("foreign", "Org1", cert, key)
    from node.identity.crl import Revocation, issue_crl

    root, root_key = roots["Org2"]
    crl = issue_crl(suite, root_key, issuer=root, number=1, this_update=now - timedelta(hours=1),
                    next_update=now + timedelta(days=30),
                    revocations=[Revocation(ids["revoked@Org2"].cert.serial, now - timedelta(minutes=5),
                                            "key_compromise")])
    return Keys(suite_name, roots, ids, {"Org2": (crl,)})


class _AsyncChunks(httpx.AsyncByteStream):
    def __init__(self, chunks: Any) -> None:
        self._chunks = chunks

    async def __aiter__(self) -> Any:
        for chunk in self._chunks:
            yield chunk


class AppTransport(httpx.BaseTransport):
    """A synchronous httpx transport into an ASGI app running on an event loop of its own thread:
    no sockets, the app's waits are real awaits on that loop."""

    def __init__(self, app: FastAPI, loop: asyncio.AbstractEventLoop) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self._loop = loop

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not isinstance(request.stream, httpx.AsyncByteStream):  # a streamed body of a sync client
            request = httpx.Request(request.method, request.url, headers=request.headers,
                                    stream=_AsyncChunks(request.stream))

        async def run() -> httpx.Response:
            response = await self._inner.handle_async_request(request)
            content = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers, content=content)

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=60)


class AppLoop:
    """One event loop in a daemon thread, shared by the apps of a world."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


@dataclass
class World:
    suite_name: str
    keys: Keys
    network: LocalNetwork
    nodes: dict[str, LocalNode]
    app_options: dict[str, Any]
    apps: dict[str, FastAPI] = field(default_factory=dict)
    clients: dict[str, httpx.Client] = field(default_factory=dict)
    loop: AppLoop = field(default_factory=AppLoop)
    _last_time: int = 0

    @property
    def suite(self) -> Any:
        return get_suite(self.suite_name)

    def id(self, label: str) -> Ident:
        return self.keys.ids[label]

    def channel(self, node: str, name: str = "claims") -> Channel:
        return self.nodes[node].channels()[name]

    def app(self, node: str) -> FastAPI:
        if node not in self.apps:
            self.apps[node] = create_app(self.nodes[node], **self.app_options)
        return self.apps[node]

    def transport(self, node: str) -> httpx.BaseTransport:
        return AppTransport(self.app(node), self.loop.loop)

    def http(self, node: str) -> httpx.Client:
        if node not in self.clients:
            self.clients[node] = httpx.Client(transport=self.transport(node), base_url=f"http://{node}")
        return self.clients[node]

    def time(self) -> int:
        self._last_time = max(now_ms(), self._last_time + 1)
        return self._last_time

    def headers(self, who: str | Ident, method: str, target: str, body: bytes = b"", time_ms: int | None = None,
                **extra: str) -> dict[str, str]:
        ident = who if isinstance(who, Ident) else self.id(who)
        h = sign_request(ident.cert.suite, ident.key, ident.cert.der, method, _quoted(target),
                         self.time() if time_ms is None else time_ms, body)
        h.update(extra)
        return h

    def get(self, path: str, who: str | Ident | None = "insurer@Org1", node: str = "peer0-org1", **extra: str):
        headers = {} if who is None else self.headers(who, "GET", path, **extra)
        return self.http(node).get(path, headers=headers)

    def post(self, path: str, body: bytes, who: str | Ident | None = "insurer@Org1", node: str = "peer0-org1",
             content_type: str = "application/octet-stream", **extra: str):
        headers = {} if who is None else self.headers(who, "POST", path, body, **extra)
        headers["content-type"] = content_type
        return self.http(node).post(path, content=body, headers=headers)

    def close(self) -> None:
        for client in self.clients.values():
            client.close()
        self.loop.close()
        for node in self.nodes.values():
            for channel in node.channels().values():
                channel.close()

    def write_network_folder(self, folder: Path) -> Path:
        """network.json and wallet/NAME@ORG/{cert,key}.pem in the form `baochain network init` writes
        (node.network.layout); node addresses are the in-process apps' names."""
        suite = self.suite
        nodes = [{"name": n, "org": node.org, "p2p": "", "api": f"http://{n}", "config": "",
                  "channels": sorted(node.channels())} for n, node in self.nodes.items()]
        channels = [{"name": c, "orgs": list(orgs), "regulators": list(regs), "orderer": "peer0-org1",
                     "genesis": ""} for c, (orgs, regs) in CHANNELS.items()]
        wallet = []
        for label, ident in self.keys.ids.items():
            if ident.name.startswith("peer0-") or label == "foreign@Org1":
                continue
            (folder / "wallet" / label).mkdir(parents=True)
            (folder / "wallet" / label / "cert.pem").write_bytes(ident.cert.pem)
            (folder / "wallet" / label / "key.pem").write_bytes(suite.private_key_to_pem(ident.key))
            wallet.append({"id": label, "name": ident.name, "org": ident.org, "type": ident.cert.subject.type,
                           "roles": list(ident.cert.claims.roles), "certificate": f"wallet/{label}/cert.pem",
                           "key": f"wallet/{label}/key.pem"})
        index = {"format": 1, "suite": self.suite_name, "consensus": "solo",
                 "orgs": [{"name": o, "roles": ["insurer"], "node": f"peer0-{o.lower()}", "ca": "", "ca_passphrase": "",
                           "tls_ca": ""} for o in ORGS],
                 "nodes": nodes, "channels": channels, "wallet": wallet}
        (folder / "network.json").write_text(json.dumps(index, indent=2))
        return folder

def _quoted(target: str) -> str:
    """The target as httpx sends it (non-ASCII path characters percent-encoded)."""
    return httpx.URL("http://x" + target).raw_path.decode("ascii")


def make_world(tmp: Path, suite_name: str = "intl", **app_options: Any) -> World:
    keys = keys_for(suite_name)
    network = LocalNetwork()
    channels: dict[str, dict[str, Channel]] = {org: {} for org in ORGS}
    for name, (orgs, regulators) in CHANNELS.items():
        config = ChannelConfig(name, suite_name,
                               tuple(OrgConfig(o, keys.roots[o][0].der, keys.crls.get(o, ())) for o in orgs),
                               "peer0-org1", regulators=regulators)
        genesis = genesis_block(config)
        for org in orgs:
            peer = keys.ids[f"peer0-{org.lower()}@{org}"]
            (tmp / org).mkdir(parents=True, exist_ok=True)
            channels[org][name] = Channel.open(tmp / org / name, suite_name, Signer(peer.cert.der, peer.key), genesis)
    nodes = {f"peer0-{org.lower()}": network.add(f"peer0-{org.lower()}", org, channels[org]) for org in ORGS}
    return World(suite_name, keys, network, nodes, app_options)


# --- transactions built in-process (setup for tests of something else)

def signed_proposal(world: World, who: str, contract: str, entry: str, *args: Any, role: str = "insurer",
                    timestamp_ms: int | None = None, channel: str = "claims") -> bytes:
    from node.tx.proposal import build_invoke, sign_proposal

    ident = world.id(who)
    p = build_invoke(channel, contract, entry, list(args), creator=ident.cert.der, role=role,
                     timestamp_ms=timestamp_ms)
    return sign_proposal(world.suite, ident.key, p)


@cache
def ledger_module() -> bytes:
    """The ledger contract built once: deploying a module skips each endorser's compile."""
    from node.chain.contracts import compile_source

    return compile_source(LEDGER)


def signed_deploy(world: World, who: str = "admin@Org1", name: str = "ledger", policy: str = "majority",
                  channel: str = "claims") -> bytes:
    from node.tx.proposal import build_deploy, sign_proposal

    ident = world.id(who)
    p = build_deploy(channel, name, version="1", policy=policy, module=ledger_module(), creator=ident.cert.der,
                     role="insurer")
    return sign_proposal(world.suite, ident.key, p)


def envelope(world: World, who: str, signed: bytes, orgs: tuple[str, ...] = ("Org1", "Org2"),
             channel: str = "claims") -> bytes:
    from node.tx.endorsement import decode_endorsement
    from node.tx.envelope import sign_envelope
    from node.tx.proposal import decode_signed_proposal

    endorsements = [decode_endorsement(world.channel(f"peer0-{o.lower()}", channel).endorse(signed)) for o in orgs]
    return sign_envelope(world.suite, world.id(who).key, decode_signed_proposal(signed), endorsements)


def deploy_ledger(world: World, policy: str = "majority", channel: str = "claims") -> None:
    from node.tx.codes import ValidationCode

    orgs = CHANNELS[channel][0]
    env = envelope(world, "admin@Org1", signed_deploy(world, policy=policy, channel=channel), orgs, channel)
    tx = world.network.submit(channel, env)
    location = world.channel("peer0-org1", channel).transaction(tx)
    assert location is not None and location.code is ValidationCode.VALID


def invoke(world: World, who: str, entry: str, *args: Any, orgs: tuple[str, ...] = ("Org1", "Org2")) -> bytes:
    """Endorse, order and commit one call; its envelope."""
    env = envelope(world, who, signed_proposal(world, who, "ledger", entry, *args), orgs)
    world.network.submit("claims", env)
    return env
