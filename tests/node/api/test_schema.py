"""schemathesis against `/openapi.json`: every route of the in-process app (tests.node.api.world),
fed requests drawn from its own description, valid and invalid, answers without a 500 (503, "ask
another node", is an answer) and as its description says (status documented, content type,
headers and body matching the schema).

How the requests are made: schemathesis draws each request from the route's description; half of
them are then pointed at what exists (the channel ``claims``, the contract ``ledger`` with some
blocks, an entry of it) instead of random names, so that the routes' deeper paths run too, and
most are signed (`node.api.signature`) by a member, a regulator, or an outsider; the rest go
unsigned. Each is sent straight into the ASGI app on the world's event loop; a stream
(``text/event-stream``) is read for `STREAM_S` seconds, then the client disconnects.

Bounds: in CI each route gets `CI_EXAMPLES` requests (a few seconds); ``pytest --long`` gives
each `LONG_EXAMPLES`. Run one route with ``-k``, e.g. ``-k 'endorse'``.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from node.api.app import create_app
from node.api.local import LocalNetwork
from node.api.signature import sign_request
from tests.node.api.world import World, deploy_ledger, invoke

CI_EXAMPLES = 40
LONG_EXAMPLES = 600
STREAM_S = 0.2
ANSWER_S = 30.0
WAIT_MS = 50  # a query's ``wait`` (ms) is cut to this: a route may hold its answer that long, not a minute
NODE = "peer0-org1"
CHECKS = [status_code_conformance, content_type_conformance, response_headers_conformance, response_schema_conformance]
UNAVAILABLE = 503  # the one server-side status a route may answer: behind, unavailable, repairing (node.api.errors)
# What exists in the world, by path parameter name: drawn in place of a random value half the time.
EXISTING: dict[str, list[str]] = {
    "ch": ["claims", "reinsurance"],
    "name": ["ledger"],
    "entry": ["get", "set", "bump", "add", "must", "refuse", "grand_total", "nothing"],
    "ref": ["0", "1", "2", "99"],
    "key": ["00", "6c6564676572"],
}
CALLERS = ["insurer@Org1", "insurer@Org1", "admin@Org1", "regulator@Org3", "insurer@Org4", None]


@cache
def routes() -> list[str]:
    """Every operation of the app's description (an app over no channels: the routes are the same)."""
    app = create_app(LocalNetwork().add("probe", "Org1", {}))
    return [result.ok().label for result in schemathesis.openapi.from_dict(app.openapi()).get_all_operations()]


@pytest.fixture
def busy_world(world: World) -> World:
    """The world with the ledger contract deployed and a few transactions committed; its apps
    wait at most 50 ms for a height a request asks for."""
    world.app_options["min_height_wait_s"] = 0.05
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 1)
    invoke(world, "insurer@Org1", "bump", "a")
    return world


@pytest.mark.parametrize("label", routes())
def test_every_answer_matches_the_description(busy_world: World, label: str, request: pytest.FixtureRequest) -> None:
    world = busy_world
    schema = schemathesis.openapi.from_dict(world.app(NODE).openapi())
    operation = schema.find_operation_by_label(label)
    assert operation is not None, label
    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))
    examples = LONG_EXAMPLES if request.config.getoption("--long") else CI_EXAMPLES

    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large])
    @given(case=cases, data=st.data())
    def answers_as_described(case: Any, data: st.DataObject) -> None:
        for name in case.path_parameters or {}:
            if name in EXISTING and data.draw(st.booleans(), label=f"existing {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(EXISTING[name]), label=name)
        if isinstance(case.query, dict) and str(case.query.get("wait", "")).isdigit():
            case.query["wait"] = str(min(int(case.query["wait"]), WAIT_MS))
        caller = data.draw(st.sampled_from(CALLERS), label="caller")
        response = send(world, case, caller)
        assert response.status_code < 500 or response.status_code == UNAVAILABLE, (
            f"{response.status_code} {response.text[:300]} for {case.as_curl_command()}")
        case.validate_response(response, checks=CHECKS)

    answers_as_described()


def send(world: World, case: Any, caller: str | None) -> httpx.Response:
    """The case as one request into the app, signed by ``caller`` (None: unsigned)."""
    kwargs = case.as_transport_kwargs(base_url=f"http://{NODE}")
    body = kwargs.get("data")
    if body is None and "json" in kwargs:
        body = httpx.Request("POST", "http://x", json=kwargs["json"]).content
    if isinstance(body, str):
        body = body.encode("utf-8")
    headers = {k: v for k, v in kwargs.get("headers", {}).items() if isinstance(v, str)}
    request = httpx.Request(kwargs["method"], kwargs["url"], params=kwargs.get("params"), headers=headers,
                            content=body or b"")
    if caller is not None:
        ident = world.id(caller)
        target = request.url.raw_path.decode("ascii")
        request.headers.update(sign_request(ident.cert.suite, ident.key, ident.cert.der, request.method, target,
                                            world.time(), request.content))
    return asyncio.run_coroutine_threadsafe(call_app(world.app(NODE), request), world.loop.loop).result(timeout=60)


def _streams(start: dict[str, Any]) -> bool:
    return any(k.lower() == b"content-type" and b"text/event-stream" in v for k, v in start.get("headers", []))


async def call_app(app: Any, request: httpx.Request) -> httpx.Response:
    """One request through the ASGI interface; a ``text/event-stream`` answer is read for
    `STREAM_S` seconds, then the client disconnects (a live stream never ends by itself)."""
    raw_path = request.url.raw_path
    path, _, query = raw_path.partition(b"?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": request.method,
        "scheme": "http", "path": unquote(path.decode("ascii")), "raw_path": path, "query_string": query,
        "root_path": "", "headers": [(k.lower(), v) for k, v in request.headers.raw],
        "client": ("127.0.0.1", 50000), "server": (NODE, 80),
    }
    body = request.content
    delivered = False
    disconnect = asyncio.Event()
    done = asyncio.Event()
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        await disconnect.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                done.set()

    loop = asyncio.get_running_loop()
    began = loop.time()
    task = asyncio.create_task(app(scope, receive, send))
    finished = asyncio.create_task(done.wait())
    give_up, stream_end = loop.time() + ANSWER_S, None
    try:
        while not done.is_set() and not task.done():
            await asyncio.wait({task, finished}, timeout=0.02)
            if stream_end is None and _streams(start):
                stream_end = loop.time() + STREAM_S
            now = loop.time()
            if stream_end is not None and now >= stream_end:
                break
            assert now < give_up, f"no answer to {request.method} {request.url} in {ANSWER_S} s"
        disconnect.set()
        await asyncio.wait_for(task, 10)
    finally:
        finished.cancel()
    assert start, f"the app answered {request.method} {request.url} with no response"
    response = httpx.Response(start["status"], headers=start.get("headers", []), content=b"".join(chunks),
                              request=request)
    response.elapsed = timedelta(seconds=loop.time() - began)
    return response
