"""GET /api/v1/network: this node asks every other node's API with its own identity (in process:
each node's app through httpx's ASGI transport), keeps the answers briefly, names the ones that
do not answer, and shows each caller only the channels it may read."""

from __future__ import annotations

import httpx
import pytest

from node.api import network as N
from node.api.remote import PeerApi
from tests.node.api.world import deploy_ledger, invoke


def serve_peers(world, down: set[str], asked: list[str]) -> None:
    """Give every node a PeerApi that reaches the others' apps (``down`` ones refuse to connect)."""

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    class Counting(httpx.AsyncBaseTransport):
        def __init__(self, name: str) -> None:
            self.name = name
            self.inner = httpx.ASGITransport(app=world.app(name))

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            asked.append(self.name)
            return await self.inner.handle_async_request(request)

    for name, node in world.nodes.items():
        peer = world.id(f"{name}@{node.org}")

        def connect(target: str) -> httpx.AsyncClient | None:
            if target not in world.nodes:
                return None
            transport = httpx.MockTransport(refuse) if target in down else Counting(target)
            return httpx.AsyncClient(transport=transport, base_url=f"http://{target}")

        node.peer_api = PeerApi(world.suite, peer.cert.der, peer.key, connect)


@pytest.fixture
def asked(world) -> list[str]:
    log: list[str] = []
    serve_peers(world, set(), log)
    return log


def test_every_node_answers_with_its_channels_peers_and_process(world, asked):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 1)
    answer = world.get("/api/v1/network")
    assert answer.status_code == 200, answer.text
    nodes = answer.json()["nodes"]
    assert [(n["name"], n["self"], n["reachable"]) for n in nodes] == [
        ("peer0-org1", True, True), ("peer0-org2", False, True), ("peer0-org3", False, True)]
    me, org2, org3 = nodes
    assert me["api"] is None and org2["api"] == "http://peer0-org2" and org2["error"] is None
    height = world.channel("peer0-org1").height()
    assert me["channels"]["claims"] == {"height": height, "latest_block": world.channel("peer0-org1").latest_id().hex(),
                                        "view": None, "leader": None, "checkpoint": None}
    assert org2["channels"]["claims"]["height"] == height and set(org2["channels"]) == {"claims", "reinsurance"}
    assert set(org3["channels"]) == {"claims"}  # Org3 holds no reinsurance
    assert org2["peers"] == ["peer0-org1", "peer0-org3"] and org2["process"]["memory_bytes"] > 0
    assert me["process"]["uptime_s"] >= 0 and me["links"] == {}


def test_a_caller_sees_only_the_channels_it_may_read_on_every_node(world, asked):
    nodes = world.get("/api/v1/network", who="regulator@Org3", node="peer0-org3").json()["nodes"]
    assert {n["name"]: set(n["channels"]) for n in nodes} == {
        "peer0-org3": {"claims"}, "peer0-org1": {"claims"}, "peer0-org2": {"claims"}}
    outsider = world.get("/api/v1/network", who="insurer@Org4").json()["nodes"]
    assert all(n["channels"] == {} for n in outsider)
    unsigned = world.get("/api/v1/network", who=None)
    assert unsigned.status_code == 401 and unsigned.json()["code"] == "unsigned"


def test_answers_are_kept_for_two_seconds(world, asked, monkeypatch):
    world.get("/api/v1/network")
    first = len(asked)
    assert first == 2 + 2 + 1  # each peer's /node, then each channel of ours it holds
    world.get("/api/v1/network", who="insurer@Org2")
    assert len(asked) == first
    clock = N.time.monotonic() + N.CACHE_S + 0.1
    monkeypatch.setattr(N.time, "monotonic", lambda: clock)
    world.get("/api/v1/network")
    assert len(asked) == 2 * first


def test_a_node_that_does_not_answer_is_named_with_why(world):
    serve_peers(world, {"peer0-org2"}, [])
    nodes = {n["name"]: n for n in world.get("/api/v1/network").json()["nodes"]}
    down = nodes["peer0-org2"]
    assert down["reachable"] is False and "cannot be reached" in down["error"] and down["channels"] == {}
    assert down["process"] is None and nodes["peer0-org3"]["reachable"] is True


def test_a_node_without_a_way_to_its_peers_says_so(world):
    nodes = world.get("/api/v1/network").json()["nodes"]
    assert [n["reachable"] for n in nodes] == [True, False, False]
    assert nodes[1]["error"] == "this node reaches no other node's API"
