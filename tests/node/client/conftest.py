"""The client library against the in-process network of tests.node.api.world: every node's app
reached through an httpx transport (no sockets); a node "down" refuses connections."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from node.client import Gateway, Identity
from node.client.netfile import NodeAddress
from tests.node.api.world import World, make_world


def identity(world: World, label: str) -> Identity:
    ident = world.id(label)
    return Identity.from_pem(ident.cert.pem, world.suite.private_key_to_pem(ident.key))


def connector(world: World, down: set[str]) -> Callable[[NodeAddress], httpx.Client]:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    def connect(node: NodeAddress) -> httpx.Client:
        if node.name in down:
            return httpx.Client(transport=httpx.MockTransport(refuse), base_url=node.api)
        return httpx.Client(transport=world.transport(node.name), base_url=node.api)

    return connect


def make_gateway(world: World, label: str = "insurer@Org1", down: set[str] | None = None, **options) -> Gateway:
    """A gateway as ``label``; ``down`` is a set of node names (it may be changed later)."""
    nodes = [(name, node.org, f"http://{name}") for name, node in world.nodes.items()]
    return Gateway(identity(world, label), nodes, connect=connector(world, down if down is not None else set()),
                   **options)


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path, "intl")
    yield w
    w.close()


@pytest.fixture(params=["intl", "gm"])
def any_suite(request, tmp_path) -> World:
    w = make_world(tmp_path, request.param)
    yield w
    w.close()
