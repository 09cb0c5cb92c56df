"""Calling contracts with JSON arguments, and following their events: the API's JSON calls.

    POST /api/v1/channels/{ch}/contracts/{name}/invoke/{entry}[?wait=false]
    POST /api/v1/channels/{ch}/contracts/{name}/invoke-batch/{entry}[?wait=false]
    POST /api/v1/channels/{ch}/contracts/{name}/query/{entry}
    GET  /api/v1/channels/{ch}/events[?contract=&event=&from_block=N&follow=false]   (text/event-stream)
                                                    [&session=TOKEN: a browser's EventSource, which
                                                    cannot send Authorization; this route only]

Every route is a channel route (`node.api.deps.ChannelRequest`: signed or in a user's session,
gated, a member's or a regulator's). Bodies are JSON objects; arguments are LANGUAGE.md section
7 JSON, an array in the parameters' order or an object by parameter name (``{"args": [...]}`` or
``{"args": {...}}``), and ``"role"`` names the role to act in (by default the only one the
caller holds that the entry admits: `node.tx.roles`).

Invoke: the one request of the issue, when the node may sign for the caller, which it may only
with a user's session (``{"args", "role"}``): the node builds and signs the proposal with the
user's key, gathers the endorsements the contract's policy needs from itself and its peers
(`node.api.invoking`), signs the envelope, hands it to ordering and awaits its commit (at most
`COMMIT_WAIT_S`; ``?wait=false``: not at all). The answer is ``{"tx_id", "status", "code",
"block", "index", "message", "result", "events", "endorsers"}``: 200 once committed (``code``
VALID, or the code that refused it, with ``message``), 202 ``pending`` when not waited for.

A caller that holds its own key keeps it: the node never sees it, so the node cannot sign the
envelope, whose signature must be the proposal's creator's (`node.tx.envelope`). Such a call is
two requests to the same endpoint, each signed as any channel request:

1. ``{"proposal": base64 of a signed proposal of this entry}`` (`node.tx.proposal`): the node
   gathers the endorsements as above and answers 200 ``status: "endorsed"`` with the simulated
   ``result`` and ``events`` and ``"endorsements"``: each endorsement's bytes, base64;
2. ``{"envelope": base64 of node.tx.envelope.sign_envelope(suite, key, proposal, endorsements)}``:
   the node checks it (`node.api.admission`), hands it to ordering and awaits its commit, and
   answers as a session's invoke does.

Invoke in a batch, at most `BATCH_MAX_CALLS` items of one kind per request, all at once: ``{"calls":
[{"args", "role"}, ...]}`` in a user's session, each call as a session's invoke; or, for a caller
that holds its key, the two steps above for many calls: ``{"proposals": [base64, ...]}`` (each
answered ``endorsed``, with its endorsements), then ``{"envelopes": [base64, ...]}`` (each
answered once committed). The answer is ``{"results": [...]}`` in the items' order, each an
invoke's answer or ``{"error": {"code", "message"}}``. One request for many calls spares each its
HTTP, TLS and gate (bench/api.py measures both).

Query: runs a view as the caller (its certificate and role; nothing is signed or kept) and
answers ``{"result"}``. A regulator's identity may query but never invoke (403 ``read-only``).

Refusals (``{"code", "message"}``, the status from `node.api.errors`): a body that is not a JSON
object, or a field that is not what it must be, 400 ``bad-request`` naming it; a proposal or
envelope that does not decode, 400 ``malformed``; an unknown contract or entry, 404
``unknown-contract`` / ``unknown-entry``; an action called by ``query``, 422 ``not-a-view``, a
view by ``invoke``, 422 ``not-an-action``; arguments that do not fit, 422 ``arguments`` naming
the argument and the path inside it (``argument policy.start: expected a Date ...``); no role to
pick, 422 ``role``; ``args`` without a session that holds a key, 422 ``proposal-required``; the
contract's refusal, 422 ``contract-abort`` with its message; what endorsers refuse, their code
(`node.api.errors.REASON_STATUS`); endorsers the policy needs that cannot be reached, 503
``unavailable``.

Events: see `node.api.events` (resuming with ``Last-Event-ID``, bounded memory).
"""

from __future__ import annotations

import asyncio
import base64
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from starlette.background import BackgroundTask

from node.api import schemas as S
from node.api import views
from node.api.admission import admit_envelope
from node.api.call_body import JSON, base64_field, flag, json_body, misfit, ordered_arguments, whole_numbers
from node.api.deps import Admitted, ChannelRequest, EventsRequest, Serving, counter
from node.api.errors import ApiError, bad_request, refusal, refused_proposal
from node.api.events import Cursor, Selection, StreamSlots, parse_mark, stream
from node.api.invoking import Endorsed, gather, hand_over, invoke_signed_by
from node.chain.contracts import ContractError, ContractRecord
from node.chain.endorser import ProposalRefused, simulate
from node.chain.store import TxLocation
from node.identity import Certificate, CertificateError
from node.tx.codes import ValidationCode
from node.tx.envelope import decode_envelope
from node.tx.errors import EndorsementMismatch, SignatureError, TxFormatError
from node.tx.proposal import (
    Invoke, Proposal, SignedProposal, VerifiedProposal, build_invoke, encode_proposal, sign_proposal, tx_id,
    verify_proposal,
)
from node.tx.response import Aborted, Completed
from node.tx.roles import RoleChoiceError, pick_role
from vm.runtime import EntryInfo, Machine

COMMIT_WAIT_S = 30.0
BATCH_MAX_CALLS = 500  # calls in one batch: five blocks' worth, and an answer of a few hundred KiB
BATCH_WAYS = ("calls", "proposals", "envelopes")  # what a batch holds: one kind per request
_CONTRACT = "/api/v1/channels/{ch}/contracts/{name}"
_ERRORS = S.ERRORS

router = APIRouter()


def _body_schema(model: type[BaseModel]) -> dict[str, Any]:
    return {"requestBody": {"required": False, "content": {JSON: {"schema": model.model_json_schema()}}}}


@router.post(_CONTRACT + "/invoke/{entry}", response_model=S.InvokeResult, tags=["contracts"],
             responses={**_ERRORS, 202: {"model": S.InvokeResult, "description": "handed to ordering, not committed "
                                                                                 "yet (wait=false, or not in time)"}},
             openapi_extra=_body_schema(S.InvokeBody))
async def invoke(request: Request, a: ChannelRequest, name: str, entry: str, wait: str | None = None) -> JSONResponse:
    """Call an action: endorse on the nodes the policy needs, order, await the commit (see node.api.calls)."""
    s: Serving = request.app.state.serving
    if a.caller.is_regulator:
        raise ApiError(403, "read-only", "a regulator's identity reads but never invokes")
    body = json_body(request.headers.get("content-type"), a.body, ("args", "role", "proposal", "envelope"))
    ways = [k for k in ("args", "proposal", "envelope") if k in body]
    if len(ways) > 1:
        raise bad_request("body", f"send one of args, proposal and envelope, not {' and '.join(ways)}")
    wait_s = COMMIT_WAIT_S if flag(wait, "wait") else 0.0
    if "role" in body and "args" not in body:
        raise bad_request("role", "a signed proposal names its own role; role goes with args")
    if "envelope" in body:
        return await _submit_envelope(s, a, name, entry, base64_field(body["envelope"], "envelope"), wait_s)
    record, machine, info = _entry(a, name, entry, "action")
    if "proposal" in body:
        endorsed = await _endorse(s, a, record, _signed_proposal(a, name, entry, body["proposal"], "proposal"))
        return _answer(a, endorsed.tx_id, endorsed.gathered.result, list(endorsed.gathered.nodes), None,
                       endorsements=endorsed.raw)
    status, out = await _session_invoke(s, a, name, entry, machine, info, body, wait_s)
    return JSONResponse(out, status_code=status)


@router.post(_CONTRACT + "/invoke-batch/{entry}", response_model=S.InvokeBatchResult, tags=["contracts"],
             responses=_ERRORS, openapi_extra=_body_schema(S.InvokeBatchBody))
async def invoke_batch(request: Request, a: ChannelRequest, name: str, entry: str,
                       wait: str | None = None) -> dict[str, Any]:
    """Call an action many times in one request, each call as ``/invoke/{entry}`` takes it, all at
    once: ``calls`` (``{"args", "role"}`` each, in a user's session), or, for a caller that holds
    its key, ``proposals`` (base64 signed proposals: each answered with its endorsements) and then
    ``envelopes`` (base64 signed envelopes: each ordered and awaited). The answer holds each
    item's result or refusal, in order."""
    s: Serving = request.app.state.serving
    if a.caller.is_regulator:
        raise ApiError(403, "read-only", "a regulator's identity reads but never invokes")
    body = json_body(request.headers.get("content-type"), a.body, BATCH_WAYS)
    ways = [k for k in BATCH_WAYS if k in body]
    if len(ways) != 1:
        raise bad_request("body", "send one of calls, proposals and envelopes" +
                          (f", not {' and '.join(ways)}" if ways else ""))
    [way] = ways
    items = body[way]
    if not isinstance(items, list) or not 1 <= len(items) <= BATCH_MAX_CALLS:
        what = 'each {"args", "role"}' if way == "calls" else "each base64 text"
        raise bad_request(way, f"a list of 1 to {BATCH_MAX_CALLS} items, {what}")
    if way == "calls":
        for i, call in enumerate(items):
            if not isinstance(call, dict) or set(call) - {"args", "role"}:
                raise bad_request(f"calls[{i}]", 'an object with "args" and, if needed, "role"')
    wait_s = COMMIT_WAIT_S if flag(wait, "wait") else 0.0
    record, machine, info = _entry(a, name, entry, "action")

    async def one(i: int, item: Any) -> dict[str, Any]:
        try:
            if way == "calls":
                return (await _session_invoke(s, a, name, entry, machine, info, item, wait_s))[1]
            if way == "proposals":
                endorsed = await _endorse(s, a, record, _signed_proposal(a, name, entry, item, f"proposals[{i}]"))
                return _answer_value(a, endorsed.tx_id, endorsed.gathered.result, list(endorsed.gathered.nodes),
                                     None, endorsements=endorsed.raw)[1]
            field = f"envelopes[{i}]"
            return (await _envelope_value(s, a, name, entry, base64_field(item, field), wait_s, field))[1]
        except ApiError as exc:
            return {"error": {"code": exc.code, "message": exc.message}}

    return {"results": list(await asyncio.gather(*(one(i, item) for i, item in enumerate(items))))}


async def _session_invoke(s: Serving, a: Admitted, name: str, entry: str, machine: Machine, info: EntryInfo,
                          body: dict[str, Any], wait_s: float) -> tuple[int, dict[str, Any]]:
    """A session's invoke (``{"args", "role"}``): the node signs with the user's key; (status, answer)."""
    session = a.session
    key = None if session is None else session.key
    if session is None or key is None:
        raise ApiError(422, "proposal-required", "the node signs a call only for a user's session that holds a key "
                       "(POST /api/v1/sessions, then Authorization: Bearer); a caller with its own key sends "
                       '{"proposal": base64 of the signed proposal} and then {"envelope": ...} (see the API docs)')
    args = ordered_arguments(name, info, body.get("args"))
    role = _role(a, machine, info, body.get("role"))
    creator: bytes = session.certificate

    def make() -> bytes:
        return sign_proposal(a.channel.suite, key, _proposal(a, name, entry, info, args, creator, role, s.clock()))

    try:
        invoked = await invoke_signed_by(s.runtime, a.name, make, key, lambda: _record(a, name).policy, wait_s)
    except ProposalRefused as exc:
        raise refused_proposal(exc) from None
    e = invoked.endorsed
    return _answer_value(a, e.tx_id, e.gathered.result, list(e.gathered.nodes), invoked.location)


@router.post(_CONTRACT + "/query/{entry}", response_model=S.QueryResult, responses=_ERRORS, tags=["contracts"],
             openapi_extra=_body_schema(S.CallBody))
async def query(request: Request, a: ChannelRequest, name: str, entry: str) -> dict[str, Any]:
    """Run a view as the caller and return its result; nothing is signed or kept."""
    s: Serving = request.app.state.serving
    body = json_body(request.headers.get("content-type"), a.body, ("args", "role"))
    _, machine, info = _entry(a, name, entry, "view")
    args = ordered_arguments(name, info, body.get("args"))
    role = _role(a, machine, info, body.get("role"), view=True)
    certificate = a.caller.certificate
    now = s.clock()
    p = _proposal(a, name, entry, info, args, certificate.der, role, now)
    data = encode_proposal(p)
    suite = a.channel.suite
    # Signed by no one: the caller's request (or session) is its authority, and nothing is kept.
    verified = VerifiedProposal(SignedProposal(p, data, b""), suite.hash(data), tx_id(suite, p), certificate)
    channel = a.channel
    with channel.state.snapshot() as snapshot:
        try:
            result = simulate(channel.config, snapshot, channel.machines, verified, now, read_only=True).response.result
        except ProposalRefused as exc:
            raise refused_proposal(exc) from None
    if isinstance(result, Aborted):
        raise refusal("contract-abort", result.message)
    return {"result": result.value}


@router.get("/api/v1/channels/{ch}/events", response_class=StreamingResponse, tags=["events"],
            responses={**_ERRORS, 200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                                        "description": "one message per event (see node.api.events)"}})
async def events(request: Request, a: EventsRequest, contract: str | None = None, event: str | None = None,
                 from_block: str | None = None, follow: str | None = None) -> StreamingResponse:
    """Contract events as Server-Sent Events, filtered by contract and event name, resumable."""
    s: Serving = request.app.state.serving
    if contract is not None and a.channel.contract(contract) is None:
        raise ApiError(404, "unknown-contract", f"no contract named {contract!r} is deployed on {a.name!r}")
    last = request.headers.get("last-event-id")
    if last:
        mark = parse_mark(last, "Last-Event-ID")
        cursor = Cursor(mark[0], mark)
    elif from_block is not None:
        cursor = Cursor(counter(from_block, "from_block", "a block number"))
    else:
        cursor = Cursor(a.channel.height())
    following = flag(follow, "follow")
    slots = _slots(request.app)
    slots.take()
    released = _Once(slots.give_back)
    body = stream(s.runtime, a.name, a.channel, Selection(contract, event), cursor, following, released.give_back)
    # The slot is given back when the stream ends, or after the response if it never started.
    return StreamingResponse(body, media_type="text/event-stream", background=BackgroundTask(released.give_back),
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


class _Once:
    """Gives a stream's slot back once, whichever of the stream's end and the response's comes first."""

    def __init__(self, give_back: Any) -> None:
        self._give_back = give_back

    def give_back(self) -> None:
        give_back, self._give_back = self._give_back, None
        if give_back is not None:
            give_back()


def _slots(app: FastAPI) -> StreamSlots:
    slots = getattr(app.state, "event_streams", None)
    if slots is None:
        slots = app.state.event_streams = StreamSlots()
    return slots


# --- the parts of an invoke

async def _endorse(s: Serving, a: Admitted, record: ContractRecord, signed: bytes) -> Endorsed:
    try:
        endorsed = await gather(s.runtime, a.name, a.channel, signed, record.policy)
    except EndorsementMismatch as exc:
        raise ApiError(503, "endorsement-mismatch", f"{exc}; sign a fresh proposal and try again") from None
    result = endorsed.gathered.result
    if isinstance(result, Aborted):
        raise refusal("contract-abort", result.message)
    return endorsed


def _signed_proposal(a: Admitted, name: str, entry: str, given: object, field: str) -> bytes:
    data = base64_field(given, field)
    try:
        verified = verify_proposal(a.channel.suite, data)
    except TxFormatError as exc:
        raise refusal("malformed", f"{field}: {exc}") from None
    except SignatureError as exc:
        raise refusal("bad-signature", f"{field}: {exc}") from None
    _same_call(verified.signed.proposal, a.name, name, entry, field)
    return data


async def _submit_envelope(s: Serving, a: Admitted, name: str, entry: str, data: bytes, wait_s: float) \
        -> JSONResponse:
    status, out = await _envelope_value(s, a, name, entry, data, wait_s)
    return JSONResponse(out, status_code=status)


async def _envelope_value(s: Serving, a: Admitted, name: str, entry: str, data: bytes, wait_s: float,
                          field: str = "envelope") -> tuple[int, dict[str, Any]]:
    """A client-signed envelope checked (`admit_envelope`), handed to ordering and awaited: (status, answer)."""
    tx = admit_envelope(a.channel, data, s.clock())
    envelope = decode_envelope(data)
    _same_call(envelope.proposal, a.name, name, entry, field)
    location = await hand_over(s.runtime, a.name, data, tx, wait_s)
    endorsers = []
    for e in envelope.endorsements:
        try:
            endorsers.append(Certificate.load(e.endorser).subject.name)
        except CertificateError:  # admitted: every endorser's certificate was read already
            endorsers.append("")
    return _answer_value(a, tx, envelope.response.result, endorsers, location)


def _same_call(p: Proposal, channel: str, name: str, entry: str, what: str) -> None:
    if not isinstance(p.action, Invoke):
        raise bad_request(what, "it deploys a contract; this endpoint invokes one")
    if (p.channel, p.contract, p.action.entry) != (channel, name, entry):
        raise bad_request(what, f"it calls {p.contract}.{p.action.entry} on channel {p.channel!r}, not "
                          f"{name}.{entry} on {channel!r}")


def _answer(a: Admitted, tx: bytes, result: Completed | Aborted, endorsers: list[str], location: TxLocation | None,
            *, endorsements: tuple[bytes, ...] | None = None) -> JSONResponse:
    status, out = _answer_value(a, tx, result, endorsers, location, endorsements=endorsements)
    return JSONResponse(out, status_code=status)


def _answer_value(a: Admitted, tx: bytes, result: Completed | Aborted, endorsers: list[str],
                  location: TxLocation | None, *, endorsements: tuple[bytes, ...] | None = None) \
        -> tuple[int, dict[str, Any]]:
    value, events = None, []
    if isinstance(result, Completed):
        value, events = result.value, [{"event": e.name, "fields": e.fields} for e in result.events]
    out: dict[str, Any] = {"tx_id": tx.hex(), "code": None, "block": None, "index": None, "message": None,
                           "result": value, "events": events, "endorsers": endorsers}
    if endorsements is not None:
        out.update(status="endorsed", endorsements=[base64.b64encode(e).decode("ascii") for e in endorsements])
        return 200, out
    if location is None:
        out["status"] = "pending"
        return 202, out
    message = None  # only a refused or aborted transaction has one: its block's record is read for it
    if location.code is not ValidationCode.VALID:
        record = a.channel.commit_record(location.block)
        message = None if record is None else record.messages.get(location.index)
    out.update(status="committed", code=location.code.name, block=location.block, index=location.index,
               message=message)
    if location.code is not ValidationCode.VALID:  # nothing it did was kept
        out.update(result=None, events=[], message=message or location.code.explanation)
    return 200, out


# --- what every call needs

def _record(a: Admitted, name: str) -> ContractRecord:
    record = a.channel.contract(name)
    if record is None:
        raise ApiError(404, "unknown-contract", f"no contract named {name!r} is deployed on {a.name!r}")
    return record


def _entry(a: Admitted, name: str, entry: str, kind: str) -> tuple[ContractRecord, Machine, EntryInfo]:
    record = _record(a, name)
    try:
        machine = views.machine_of(a.channel, record)
    except (ContractError, LookupError) as exc:
        raise refusal("bad-module", f"contract {name}: {exc}") from None
    callable_ = {e.name: e for e in machine.entries() if e.kind != "init" and not e.name.startswith("__")}
    info = callable_.get(entry)
    if info is None:
        raise ApiError(404, "unknown-entry", f"contract {name} has no action or view named {entry!r}; it has: "
                       + ", ".join(sorted(callable_)))
    if info.kind != kind:
        if kind == "view":
            raise ApiError(422, "not-a-view", f"{name}.{entry} is an action: invoke it (POST "
                           f".../contracts/{name}/invoke/{entry}); a query runs views only")
        raise ApiError(422, "not-an-action", f"{name}.{entry} is a view: query it (POST "
                       f".../contracts/{name}/query/{entry}); there is nothing to order")
    return record, machine, info


def _role(a: Admitted, machine: Machine, info: EntryInfo, given: object, view: bool = False) -> str:
    if given is not None:
        if not isinstance(given, str) or not given:
            raise bad_request("role", "expected the name of a role the caller holds")
        return given
    allowed = machine.module.parties if info.anyone else info.roles
    try:
        return pick_role(a.caller.roles, allowed, view=view)
    except RoleChoiceError as exc:
        who = f"{a.caller.name}@{a.caller.org}"
        if not exc.fitting:
            raise refusal("role", f"{who} holds no role to act in") from None
        raise refusal("role", f"{who} holds several roles that may call {info.name} ({', '.join(exc.fitting)}): "
                      'name one as "role"') from None


def _proposal(a: Admitted, name: str, entry: str, info: EntryInfo, args: list[Any], creator: bytes, role: str,
              now: int) -> Proposal:
    whole_numbers(info, args)
    try:
        return build_invoke(a.name, name, entry, args, creator=creator, role=role, timestamp_ms=now)
    except TxFormatError as exc:
        raise misfit(exc, info) from None
