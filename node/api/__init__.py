"""The node's HTTP API (docs/node.md, "HTTP API"), served by FastAPI under `/api/v1`.

    from node.api.app import create_app
    app = create_app(runtime)        # runtime: a node.api.runtime.NodeRuntime

Modules: `app` (the routes), `runtime` (`NodeRuntime`: what the app needs of the node),
`access` (request signatures, who may read a channel, replays), `signature` (the signed-request
wire form, shared with the client library), `errors` (the refusal words and their statuses),
`views` (a channel's blocks, transactions and contracts as JSON), `schemas` (the answers'
models for OpenAPI), `local` (an in-process runtime over real channels, for tests and benches),
`transport` (HTTPS, or plain HTTP on loopback only; whom a client trusts), `calls` (JSON invoke
and query, the events stream), `call_body` (a JSON call's body and arguments), `invoking` (the endorsements an invoke gathers, its submit and
wait), `events` (the Server-Sent Events stream), `remote` (other nodes' APIs, as this node calls
them).

Importing this package does not import the web framework: the client library uses
`node.api.signature` without it.
"""

from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from node.api.app import create_app

        return create_app
    raise AttributeError(f"module 'node.api' has no attribute {name!r}")
