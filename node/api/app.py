"""The node's HTTP API (docs/node.md, "HTTP API"): `create_app(runtime)` returns the FastAPI app.

    GET  /healthz, /readyz                              no signature needed
    GET  /metrics                                       no signature needed: Prometheus text; names
                                                        channels only when the node says so (node.metrics)
    GET  /api/v1/node                                   signature optional (it decides `channels`)
    GET  /api/v1/channels/{ch}                          every channel route: signed (or a session's
                                                        bearer token), gated
    GET  /api/v1/channels/{ch}/blocks/{number or id}    (`node.api.access`), then answered
    GET  /api/v1/channels/{ch}/blocks/{number or id}/codes           its transactions' ids and codes
    GET  /api/v1/channels/{ch}/transactions/{tx_id}?wait=MS
    GET  /api/v1/channels/{ch}/contracts/{name}
    GET  /api/v1/channels/{ch}/state/{key hex}/proof[?block=N]      (decoded too: views.proof_view)
    GET  /api/v1/channels/{ch}/blocks?before=N&limit=K             the console's reads: pages of
    GET  /api/v1/channels/{ch}/contracts/{name}/explain?lang=L     blocks, explain, activity
    GET  /api/v1/channels/{ch}/activity?minutes=M                  (`node.api.browse`), records
    GET  /api/v1/channels/{ch}/contracts/{name}/records[/{var}[/history]]   (`node.api.records`)
    GET  /api/v1/network                                           every node, asked by this one
                                                                   (`node.api.network`)
    POST /api/v1/channels/{ch}/endorse                  signed proposal -> endorsement bytes
    POST /api/v1/channels/{ch}/query                    signed proposal of a view -> {"result"}
    POST /api/v1/channels/{ch}/submit                   envelope -> 202 {"tx_id"}
    GET  /api/v1/channels/{ch}/config                   the configuration in force (fields, and bytes)
    POST /api/v1/channels/{ch}/config                   a configuration update -> 202 {"tx_id": its id}
    POST /api/v1/channels/{ch}/contracts/{name}/invoke/{entry}   JSON calls, and the events stream:
    POST /api/v1/channels/{ch}/contracts/{name}/query/{entry}    `node.api.calls` (an APIRouter
    GET  /api/v1/channels/{ch}/events                            included here)
    POST, GET, DELETE /api/v1/sessions                  log in (name and password, or a signed
                                                        request), the session, log out (node.api.users)
    POST, GET /api/v1/users[/{name}[/approve|disable|enable|unlock|password]]   an admin's users
    GET  /openapi.json, /docs                           the description, and its page

How a channel request is served: its body is read, at most `BODY_MAX_BYTES` (413 past it); the
gate checks its signature and that the caller reads the channel (an unknown channel answers as a
foreign one); ``X-Baochain-Min-Height`` makes it wait, at most `MIN_HEIGHT_WAIT_S`, for the node
to have that many blocks (503 ``behind`` after); then the route runs. Every refusal is
``{"code", "message"}`` with the status `node.api.errors` lists; a fault of the node itself is a
500 ``internal`` whose details go to the log, never to the client.

A submitted envelope or configuration update is checked before it reaches the orderer
(`node.api.admission`: an envelope's form, signatures, channel, tx id, creator and timestamp; an
update's form, channel and id), so a malformed or refused one is answered at once and never takes
a place in a block. A resubmission of one still pending answers 202 again without ordering it
twice. Whether an update's signatures make a majority of the members' admins is decided at
validation and recorded in the block (VALID, or CONFIG_REFUSED with the reason), which the client
reads at ``/transactions/{id}``; any member may submit one, since the admins' signatures inside
it are its authority, not the caller's.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from node.api import schemas as S
from node.api import views
from node.api.access import Gate
from node.api.admission import admit_envelope, admit_update
from node.api.browse import router as browse_router
from node.api.calls import router as calls_router
from node.api.deps import Admitted, ChannelRequest, Serving, channel_request, counter, credentials, read_body
from node.api.direct import DirectRoute
from node.api.errors import BODY_MAX_BYTES, ApiError, bad_request, refusal, refused_proposal
from node.api.runtime import NodeRuntime, SubmitRefused
from node.api.network import router as network_router
from node.api.records import router as records_router
from node.api.users import router as users_router
from node.console import router as console_router
from node.api.signature import MIN_HEIGHT_WAIT_S
from node.chain.block import Block
from node.chain.endorser import ProposalRefused
from node.chain.store import CommitRecord
from node.ledger.errors import UnknownRoot
from node.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE, LinkFigures
from node.tx.clock import now_ms
from node.tx.errors import TxFormatError
from node.tx.response import Aborted

log = logging.getLogger("baochain.api")

TX_WAIT_MAX_MS = 60_000
STATE_KEY_MAX_BYTES = 64 * 1024
_BINARY = "application/octet-stream"
_BINARY_SCHEMA = {"type": "string", "format": "binary"}
_BINARY_BODY = {"requestBody": {"required": True, "content": {_BINARY: {"schema": _BINARY_SCHEMA}}}}


def create_app(runtime: NodeRuntime, *, gate: Gate | None = None, clock: Callable[[], int] = now_ms,
               body_max_bytes: int = BODY_MAX_BYTES, min_height_wait_s: float = MIN_HEIGHT_WAIT_S) -> FastAPI:
    """The API of the node ``runtime`` stands for (see the module docstring)."""
    gate = gate if gate is not None else Gate()
    app = FastAPI(title="Baochain node API", version=runtime.version, openapi_url="/openapi.json",
                  docs_url="/docs", redoc_url=None,
                  # The node's figures are its own Prometheus registry's (`/metrics`); FastAPI's
                  # OpenTelemetry hooks would cost every request a look at the providers for nothing.
                  telemetry={"tracing": False, "metrics": False, "logs": False},
                  description="Endorse, submit and query transactions on a Baochain node's channels; read blocks, "
                              "transactions, contracts and state proofs. Channel requests are signed by the "
                              "caller (see node.api.signature).")
    app.state.serving = Serving(runtime, gate, clock, body_max_bytes, min_height_wait_s)
    _install_error_handlers(app)
    app.add_middleware(_Contain)

    errors = S.ERRORS

    async def submit(request: Request, ch: str) -> Response:
        """Check an envelope and hand it to the channel's orderer."""
        a = await channel_request(request, ch)
        _binary(request)
        tx_id = admit_envelope(a.channel, a.body, clock())
        if not runtime.pending(a.name, tx_id):
            a.channel.activity.received(tx_id, clock())  # before: an in-process orderer commits within submit
            try:
                await runtime.submit(a.name, a.body)
            except SubmitRefused as exc:
                raise refusal(exc.reason, exc.message) from None
        return JSONResponse({"tx_id": tx_id.hex()}, status_code=202)

    # Every transaction of the network passes here: a DirectRoute (node.api.direct), not FastAPI's driver,
    # and the app's first route, since routes are tried in order.
    app.router.add_api_route("/api/v1/channels/{ch}/submit", submit, methods=["POST"], route_class_override=DirectRoute,
                             status_code=202, response_model=S.Submitted, responses=errors,
                             openapi_extra=_BINARY_BODY, tags=["transactions"])

    @app.get("/healthz", response_model=S.Health, tags=["node"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", response_model=S.Readiness, responses={503: {"model": S.Readiness}}, tags=["node"])
    async def readyz() -> Any:
        ready = runtime.ready()
        return JSONResponse({"ready": ready}, status_code=200 if ready else 503)

    @app.get("/metrics", response_class=Response, tags=["node"], responses={200: {
             "content": {METRICS_CONTENT_TYPE: {"schema": {"type": "string"}}},
             "description": "the node's metrics in the Prometheus text format (node.metrics)"}})
    async def metrics() -> Response:
        return Response(runtime.metrics.exposition(), media_type=METRICS_CONTENT_TYPE)

    @app.get("/api/v1/node", response_model=S.NodeView, responses=errors, tags=["node"])
    async def node(request: Request) -> dict[str, Any]:
        body = await read_body(request, body_max_bytes)
        signed = credentials(app.state.serving, request, body)
        links = runtime.metrics.links()
        figures = runtime.metrics.process()
        return {"name": runtime.name, "org": runtime.org, "version": runtime.version,
                "channels": gate.visible(signed, runtime.channels(), clock()),
                "peers": [{"name": p.name, "org": p.org, "connected": p.connected, "link": _link(links.get(p.name))}
                          for p in runtime.peers()],
                "process": {"cpu_seconds": figures.cpu_seconds, "memory_bytes": figures.memory_bytes,
                            "open_files": figures.open_files, "uptime_s": round(figures.uptime_s, 3)}}

    @app.get("/api/v1/channels/{ch}", response_model=S.ChannelView, response_model_exclude_none=True,
             responses=errors, tags=["channels"])
    async def channel_info(a: ChannelRequest) -> dict[str, Any]:
        return views.channel_view(a.channel, runtime.consensus().get(a.name))

    def find_block(a: Admitted, ref: str) -> tuple[Block, CommitRecord]:
        channel = a.channel
        digits = 2 * channel.suite.digest_size
        if len(ref) == digits and _is_hex(ref):
            number = channel.blocks.number_of(bytes.fromhex(ref))
            if number is None:
                raise ApiError(404, "unknown-block", f"no block of channel {a.name!r} has the id {ref}")
        else:
            number = counter(ref, "block", f"a block number or a block id of {digits} hex digits")
        found = channel.block(number)
        record = channel.commit_record(number)
        if found is None or record is None:
            raise ApiError(404, "unknown-block", f"channel {a.name!r} has {channel.height()} blocks "
                           f"(0 to {channel.height() - 1}); there is no block {number}")
        return found, record

    async def block(request: Request, ch: str, ref: str) -> Response:
        """A block by number (decimal) or by id (hex)."""
        a = await channel_request(request, ch)
        return JSONResponse(views.block_view(a.channel, *find_block(a, ref)))

    async def block_codes(request: Request, ch: str, ref: str) -> Response:
        """A block's transaction ids and codes: what a client waiting for its transactions reads."""
        a = await channel_request(request, ch)
        return JSONResponse(views.block_codes_view(a.channel, *find_block(a, ref)))

    # Every client that follows the chain reads each block here (bench/cluster.py's, the console's):
    # DirectRoutes too, which spare validating each transaction's view against the model.
    app.router.add_api_route("/api/v1/channels/{ch}/blocks/{ref}", block, methods=["GET"],
                             route_class_override=DirectRoute, response_model=S.BlockView, responses=errors,
                             tags=["channels"])
    app.router.add_api_route("/api/v1/channels/{ch}/blocks/{ref}/codes", block_codes, methods=["GET"],
                             route_class_override=DirectRoute, response_model=S.BlockCodes, responses=errors,
                             tags=["channels"])

    @app.get("/api/v1/channels/{ch}/transactions/{tx}", response_model=S.TransactionStatus, responses=errors,
             tags=["transactions"])
    async def transaction(a: ChannelRequest, tx: str, wait: str | None = None) -> dict[str, Any]:
        """A transaction's status; ``wait`` (ms, at most 60000) holds the answer until it commits."""
        channel = a.channel
        digits = 2 * channel.suite.digest_size
        if len(tx) != digits or not _is_hex(tx):
            raise bad_request("tx_id", f"expected {digits} hex digits")
        tx_id = bytes.fromhex(tx)
        wait_ms = 0 if wait is None else min(counter(wait, "wait", "milliseconds"), TX_WAIT_MAX_MS)
        location = channel.transaction(tx_id)
        if location is None and wait_ms > 0:
            location = await runtime.wait_for_tx(a.name, tx_id, wait_ms / 1000)
        return views.transaction_view(channel, tx_id, location, runtime.pending(a.name, tx_id))

    @app.get("/api/v1/channels/{ch}/contracts/{name}", response_model=S.ContractView, responses=errors,
             tags=["contracts"])
    async def contract(a: ChannelRequest, name: str) -> dict[str, Any]:
        record = a.channel.contract(name)
        if record is None:
            raise ApiError(404, "unknown-contract", f"no contract named {name!r} is deployed on {a.name!r}")
        return views.contract_view(a.channel, record)

    @app.get("/api/v1/channels/{ch}/state/{key}/proof", response_model=S.ProofView, responses=errors,
             tags=["state"])
    async def proof(a: ChannelRequest, key: str, block: str | None = None) -> dict[str, Any]:
        """A proof of a state key's value, or absence, after the last block (or ``block``)."""
        if not key or len(key) % 2 or len(key) > 2 * STATE_KEY_MAX_BYTES or not _is_hex(key):
            raise bad_request("key", f"expected the state key as hex (an even number of digits, at most "
                              f"{STATE_KEY_MAX_BYTES} bytes)")
        at = None if block is None else counter(block, "block", "a block number")
        with a.channel.state.snapshot() as snapshot:
            try:
                found = snapshot.prove(bytes.fromhex(key), at)
            except UnknownRoot as exc:
                raise ApiError(404, "unknown-block", f"this node keeps no state for that block: {exc}") from None
            root = snapshot.root(found.block)
        return views.proof_view(a.channel, found, root)

    @app.post("/api/v1/channels/{ch}/endorse", responses={**errors, 200: {"content": {_BINARY: {
              "schema": _BINARY_SCHEMA}}, "description": "the endorsement (node.tx.endorsement bytes)"}},
              openapi_extra=_BINARY_BODY, tags=["transactions"], response_class=Response)
    async def endorse(request: Request, a: ChannelRequest) -> Response:
        """This node's endorsement of a signed proposal (an abort is endorsed too: its message is the result)."""
        _binary(request)
        try:
            endorsement = a.channel.endorse(a.body)
        except ProposalRefused as exc:
            raise refused_proposal(exc) from None
        except TxFormatError as exc:
            raise refusal("unendorsable", f"the result cannot be endorsed: {exc}") from None
        return Response(endorsement, media_type=_BINARY)

    @app.post("/api/v1/channels/{ch}/query", response_model=S.QueryResult, responses=errors,
              openapi_extra=_BINARY_BODY, tags=["transactions"])
    async def query(request: Request, a: ChannelRequest) -> dict[str, Any]:
        """Run a view for the caller; nothing is signed or kept."""
        _binary(request)
        try:
            result = a.channel.simulate(a.body, read_only=True).response.result
        except ProposalRefused as exc:
            raise refused_proposal(exc) from None
        if isinstance(result, Aborted):
            raise refusal("contract-abort", result.message)
        return {"result": result.value}

    @app.get("/api/v1/channels/{ch}/config", response_model=S.ConfigView, responses=errors, tags=["channels"])
    async def config(a: ChannelRequest) -> dict[str, Any]:
        """The configuration in force: its fields, and its bytes (base64), which an update replaces."""
        return views.config_view(a.channel)

    @app.post("/api/v1/channels/{ch}/config", status_code=202, response_model=S.ConfigSubmitted,
              responses=errors, openapi_extra=_BINARY_BODY, tags=["channels"])
    async def submit_config(request: Request, a: ChannelRequest) -> dict[str, str]:
        """Hand a configuration update (node.chain.update bytes) to the channel's orderer."""
        _binary(request)
        ident = admit_update(a.channel, a.body)
        if not runtime.pending(a.name, ident):
            try:
                await runtime.submit_config(a.name, a.body)
            except SubmitRefused as exc:
                raise refusal(exc.reason, exc.message) from None
        return {"tx_id": ident.hex()}

    app.include_router(calls_router)  # JSON invoke and query, the events stream (node.api.calls)
    app.include_router(users_router)  # sessions and application users (node.api.users)
    app.include_router(browse_router)  # pages of blocks, explain, activity (node.api.browse)
    app.include_router(records_router)  # a contract's records and their history (node.api.records)
    app.include_router(network_router)  # every node of the network, asked by this one (node.api.network)
    app.include_router(console_router)  # the web console at /console (node.console)
    return app


def _link(link: LinkFigures | None) -> dict[str, int] | None:
    if link is None:
        return None
    return {"sent_bytes": link.sent_bytes, "received_bytes": link.received_bytes, "send_queued": link.send_queued,
            "inbound_queued": link.inbound_queued, "connects": link.connects}


def _binary(request: Request) -> None:
    kind = request.headers.get("content-type")
    if kind is not None and kind.split(";")[0].strip().lower() != _BINARY:
        raise ApiError(415, "unsupported-media", f"the body is a node.tx wire form: send it as {_BINARY}, not {kind}")


def _is_hex(text: str) -> bool:
    return text.isascii() and all(c in "0123456789abcdefABCDEF" for c in text)


_HTTP_CODES = {404: "not-found", 405: "method-not-allowed", 413: "too-large"}


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def api_error(_request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "bad-request" if exc.status_code < 500 else "internal")
        return JSONResponse({"code": code, "message": str(exc.detail)}, status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()))
        return JSONResponse({"code": "bad-request", "message": f"{where}: {first.get('msg', 'invalid')}"},
                            status_code=400)


class _Contain:
    """Turns a fault of the node into a 500 ``internal`` answer (details to the log only)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched)
        except Exception:
            log.exception("internal error answering %s %s", scope.get("method"), scope.get("path"))
            if started:
                raise
            response = JSONResponse({"code": "internal", "message": "the node failed to answer this request; its "
                                     "log has the details"}, status_code=500)
            await response(scope, receive, send)
