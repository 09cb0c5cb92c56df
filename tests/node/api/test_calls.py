"""JSON calls through a node's API (node.api.calls) in the in-process world of three organisations:
invoke with a client-signed proposal then its envelope, invoke in a user's session (one request:
the node signs with the user's key and endorses on itself and its peers), queries, arguments that do not fit, unknown
contracts and entries, a regulator refused, wait=false then the status, and the events stream
filtered, resumed and followed. Peers are asked through other nodes' APIs by node.api.remote."""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import json
import queue
from typing import Any

import httpx
import pytest
from fastapi import Request

from node.api.deps import Admitted, channel_request
from node.api.remote import PeerApi
from node.api.runtime import EndorserUnavailable
from node.chain.endorser import ProposalRefused
from node.tx.endorsement import decode_endorsement
from node.tx.envelope import sign_envelope
from node.tx.clock import now_ms
from node.tx.proposal import decode_signed_proposal
from node.users.sessions import Session
from tests.node.api.world import World, deploy_ledger, envelope, invoke, signed_proposal
from tests.node.users.org_ca import FAST, adopt_ca

LEDGER = "/api/v1/channels/claims/contracts/ledger"
_JSON = "application/json"
EVENTS = "/api/v1/channels/claims/events"


def call(world: World, path: str, body: Any, who: str = "insurer@Org1", node: str = "peer0-org1") -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return world.post(path, data, who, node, content_type="application/json")


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sign_in(world: World, label: str, node: str = "peer0-org1", with_key: bool = True) -> None:
    """Every channel request to ``node`` runs in a session of ``label`` (its certificate and key)
    from now on, as with a user's bearer token, without a CA to enroll users (one test logs in
    for real: test_a_users_bearer_token_invokes_in_one_request)."""
    ident = world.id(label)
    session = Session(ident.name, ident.org, ident.cert.der, ident.key if with_key else None, now_ms() + 60_000)

    async def admitted(request: Request, ch: str) -> Admitted:
        return dataclasses.replace(await channel_request(request, ch), session=session)

    world.app(node).dependency_overrides[channel_request] = admitted


def test_invoke_with_a_client_signed_proposal_then_its_envelope(world):
    deploy_ledger(world, policy="2 of Org1, Org2, Org3")
    signed = signed_proposal(world, "insurer@Org3", "ledger", "set", "a", 7)
    answer = call(world, f"{LEDGER}/invoke/set", {"proposal": b64(signed)}, who="insurer@Org3")
    assert answer.status_code == 200, answer.text
    endorsed = answer.json()
    assert endorsed["status"] == "endorsed" and endorsed["code"] is None and endorsed["block"] is None
    assert endorsed["endorsers"] == ["peer0-org1", "peer0-org2"]  # this node first, then the policy's order
    assert endorsed["events"] == [{"event": "Set", "fields": {"key": "a", "value": 7}}]
    endorsements = [decode_endorsement(base64.b64decode(e)) for e in endorsed["endorsements"]]
    envelope = sign_envelope(world.suite, world.id("insurer@Org3").key, decode_signed_proposal(signed), endorsements)
    answer = call(world, f"{LEDGER}/invoke/set", {"envelope": b64(envelope)}, who="insurer@Org3")
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert (done["status"], done["code"], done["block"], done["index"]) == ("committed", "VALID", 2, 0)
    assert done["tx_id"] == endorsed["tx_id"] and done["events"] == endorsed["events"] and done["result"] is None
    # read back through another node, arguments by name
    answer = call(world, f"{LEDGER}/query/get", {"args": {"k": "a"}}, who="insurer@Org2", node="peer0-org2")
    assert answer.status_code == 200 and answer.json() == {"result": 7}, answer.text
    # the envelope again: recorded already
    answer = call(world, f"{LEDGER}/invoke/set", {"envelope": b64(envelope)}, who="insurer@Org3")
    assert answer.status_code == 409 and answer.json()["code"] == "duplicate"


def test_a_proposal_or_envelope_of_another_call_bad_bytes_and_a_contracts_refusal(world):
    deploy_ledger(world)
    other = signed_proposal(world, "insurer@Org1", "ledger", "set", "a", 1)
    answer = call(world, f"{LEDGER}/invoke/bump", {"proposal": b64(other)})
    assert answer.status_code == 400 and "calls ledger.set" in answer.json()["message"], answer.text
    answer = call(world, f"{LEDGER}/invoke/set", {"proposal": b64(b"\x01\x02")})
    assert answer.status_code == 400 and answer.json()["code"] == "malformed", answer.text
    answer = call(world, f"{LEDGER}/invoke/set", {"proposal": "not base64!"})
    assert answer.status_code == 400 and answer.json()["message"].startswith("proposal: not base64"), answer.text
    answer = call(world, f"{LEDGER}/invoke/set", {"proposal": b64(other), "args": []})
    assert answer.status_code == 400 and "one of args, proposal and envelope" in answer.json()["message"]
    refused = signed_proposal(world, "insurer@Org1", "ledger", "refuse")
    answer = call(world, f"{LEDGER}/invoke/refuse", {"proposal": b64(refused)})
    assert answer.status_code == 422 and answer.json() == {"code": "contract-abort", "message": "no, never"}


def test_invoke_in_a_session_is_one_request_and_gathers_what_the_policy_needs(world):
    deploy_ledger(world, policy="2 of Org1, Org2, Org3")
    sign_in(world, "insurer@Org2", node="peer0-org2")
    answer = call(world, f"{LEDGER}/invoke/set", {"args": ["a", 5], "role": "insurer"}, who="insurer@Org2",
                  node="peer0-org2")
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert (done["status"], done["code"], done["block"]) == ("committed", "VALID", 2)
    assert done["endorsers"] == ["peer0-org2", "peer0-org1"]
    assert done["events"] == [{"event": "Set", "fields": {"key": "a", "value": 5}}]
    # the role is chosen when one fits; by name; a node of an organisation that is down is passed over
    world.nodes["peer0-org1"].pause()
    try:
        answer = call(world, f"{LEDGER}/invoke/bump", {"args": {"k": "a"}}, who="insurer@Org2", node="peer0-org2")
        assert answer.status_code == 200 and answer.json()["endorsers"] == ["peer0-org2", "peer0-org3"], answer.text
    finally:
        world.nodes["peer0-org1"].resume()
    answer = call(world, f"{LEDGER}/query/get", ["a"], who="insurer@Org1")
    assert answer.status_code == 400  # the body is an object
    answer = call(world, f"{LEDGER}/query/get", {"args": ["a"]}, who="insurer@Org1")
    assert answer.json() == {"result": 6}
    # several roles fit `add`: the caller names one
    answer = call(world, f"{LEDGER}/invoke/add", {"args": [2]}, who="insurer@Org2", node="peer0-org2")
    assert answer.status_code == 422 and answer.json()["code"] == "role", answer.text
    assert "(hospital, insurer)" in answer.json()["message"]


def test_a_users_bearer_token_invokes_in_one_request(world, tmp_path):
    root, key = world.keys.roots["Org1"]
    world.nodes["peer0-org1"].keep_users(tmp_path / "users", adopt_ca(tmp_path / "ca", root, key), cost=FAST)
    deploy_ledger(world, policy="2 of Org1, Org2, Org3")
    user = {"name": "alice", "password": "correct horse battery", "roles": ["insurer"]}
    assert world.post("/api/v1/users", json.dumps(user).encode(), "admin@Org1", content_type=_JSON).status_code == 201
    assert world.post("/api/v1/users/alice/approve", b"", "admin@Org1").status_code == 200
    http = world.http("peer0-org1")
    token = http.post("/api/v1/sessions", json={"name": "alice", "password": user["password"]}).json()["token"]
    bearer = {"Authorization": f"Bearer {token}"}
    answer = http.post(f"{LEDGER}/invoke/set", json={"args": {"k": "alice", "v": 12}}, headers=bearer)
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert (done["code"], done["endorsers"]) == ("VALID", ["peer0-org1", "peer0-org2"])
    creator = world.get(f"/api/v1/channels/claims/blocks/{done['block']}").json()["transactions"][0]["creator"]
    assert creator == {"org": "Org1", "name": "alice", "role": "insurer"}  # the user's transaction, not the node's
    answer = http.post(f"{LEDGER}/query/get", json={"args": ["alice"]}, headers=bearer)
    assert answer.json() == {"result": 12}
    world.nodes["peer0-org1"].users.close()


def test_a_session_invoke_that_loses_a_conflict_is_run_again(world):
    deploy_ledger(world)
    sign_in(world, "insurer@Org1")
    first = envelope(world, "insurer@Org2", signed_proposal(world, "insurer@Org2", "ledger", "bump", "a"))
    world.network.enqueue("claims", first)  # ordered in the same block, before the invoke: its read is stale
    answer = call(world, f"{LEDGER}/invoke/bump", {"args": ["a"]})
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert (done["code"], done["block"]) == ("VALID", 3), done
    codes = [t["code_name"] for t in world.get("/api/v1/channels/claims/blocks/2").json()["transactions"]]
    assert codes == ["VALID", "MVCC_READ_CONFLICT"]
    assert call(world, f"{LEDGER}/query/get", {"args": ["a"]}).json() == {"result": 2}


def test_a_batch_invokes_every_call_in_one_request_and_answers_each_in_order(world):
    deploy_ledger(world)
    sign_in(world, "insurer@Org1")
    calls = [{"args": {"k": f"b{i}", "v": i}} for i in range(5)] + [{"args": {"k": "bad"}}]
    answer = call(world, f"{LEDGER}/invoke-batch/set", {"calls": calls})
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r.get("code") for r in results[:5]] == ["VALID"] * 5
    assert len({r["tx_id"] for r in results[:5]}) == 5
    assert results[5]["error"]["code"] == "arguments"  # one call's refusal does not refuse the others
    for i in range(5):
        assert call(world, f"{LEDGER}/query/get", {"args": [f"b{i}"]}).json() == {"result": i}
    # the body is checked as a whole first
    assert call(world, f"{LEDGER}/invoke-batch/set", {"calls": []}).status_code == 400
    assert call(world, f"{LEDGER}/invoke-batch/set", {"calls": [{"args": [], "proposal": "x"}]}).status_code == 400
    assert call(world, f"{LEDGER}/invoke-batch/get", {"calls": calls[:1]}).json()["code"] == "not-an-action"


def test_a_batch_of_client_signed_proposals_then_their_envelopes_commits_each_in_order(world):
    deploy_ledger(world, policy="2 of Org1, Org2, Org3")
    who = "insurer@Org3"
    signed = [signed_proposal(world, who, "ledger", "set", f"c{i}", i) for i in range(4)]
    wrong = signed_proposal(world, who, "ledger", "bump", "c0")  # another entry: refused alone
    answer = call(world, f"{LEDGER}/invoke-batch/set", {"proposals": [b64(p) for p in signed] + [b64(wrong)]}, who=who)
    assert answer.status_code == 200, answer.text
    endorsed = answer.json()["results"]
    assert [r.get("status") for r in endorsed[:4]] == ["endorsed"] * 4
    assert endorsed[4]["error"]["code"] == "bad-request" and "proposals[4]" in endorsed[4]["error"]["message"]
    key = world.id(who).key
    envelopes = [sign_envelope(world.suite, key, decode_signed_proposal(p),
                               [decode_endorsement(base64.b64decode(e)) for e in r["endorsements"]])
                 for p, r in zip(signed, endorsed[:4])]
    answer = call(world, f"{LEDGER}/invoke-batch/set", {"envelopes": [b64(e) for e in envelopes] + ["not base64!"]},
                  who=who)
    assert answer.status_code == 200, answer.text
    done = answer.json()["results"]
    assert [(r["status"], r["code"]) for r in done[:4]] == [("committed", "VALID")] * 4
    assert [r["tx_id"] for r in done[:4]] == [r["tx_id"] for r in endorsed[:4]]
    assert done[4]["error"]["message"].startswith("envelopes[4]: not base64")
    for i in range(4):
        assert call(world, f"{LEDGER}/query/get", {"args": [f"c{i}"]}).json() == {"result": i}
    # one kind per request; the same envelopes again are each a duplicate, not a failed batch
    both = call(world, f"{LEDGER}/invoke-batch/set", {"proposals": [b64(signed[0])], "envelopes": [b64(envelopes[0])]},
                who=who)
    assert both.status_code == 400 and "not proposals and envelopes" in both.json()["message"], both.text
    again = call(world, f"{LEDGER}/invoke-batch/set", {"envelopes": [b64(envelopes[0])]}, who=who).json()["results"]
    assert again[0]["error"]["code"] == "duplicate"


def test_a_policy_the_nodes_up_cannot_meet_is_503_naming_them(world):
    deploy_ledger(world, policy="all")
    sign_in(world, "insurer@Org1")
    world.nodes["peer0-org3"].pause()
    try:
        answer = call(world, f"{LEDGER}/invoke/set", {"args": ["a", 1]})
    finally:
        world.nodes["peer0-org3"].resume()
    assert answer.status_code == 503 and answer.json()["code"] == "unavailable", answer.text
    assert "'all' cannot be met" in answer.json()["message"] and "peer0-org3: cannot be reached" in \
        answer.json()["message"]


def test_wait_false_answers_pending_and_the_status_tells_later(world):
    deploy_ledger(world)
    sign_in(world, "insurer@Org1")
    world.network.auto_cut = False
    answer = call(world, f"{LEDGER}/invoke/set?wait=false", {"args": {"k": "w", "v": 3}})
    assert answer.status_code == 202, answer.text
    pending = answer.json()
    assert pending["status"] == "pending" and pending["code"] is None and pending["block"] is None
    status = world.get(f"/api/v1/channels/claims/transactions/{pending['tx_id']}").json()
    assert status["status"] == "pending"
    world.network.cut("claims")
    status = world.get(f"/api/v1/channels/claims/transactions/{pending['tx_id']}").json()
    assert (status["status"], status["code_name"], status["block"]) == ("committed", "VALID", 2)
    answer = call(world, f"{LEDGER}/invoke/set?wait=maybe", {"args": {"k": "w", "v": 3}})
    assert answer.status_code == 400 and answer.json()["message"].startswith("wait:")


def test_arguments_that_do_not_fit_name_the_argument_and_the_path(world):
    deploy_ledger(world)
    sign_in(world, "insurer@Org1")
    cases = [
        ({"args": ["a", "x"]}, "argument v: expected an Int"),
        ({"args": {"k": "a", "v": [None]}}, "argument v[0]: nil is not a value"),
        ({"args": {"k": "a", "v": 1.5}}, "argument v: 1.5 is a fractional number"),
        ({"args": {"k": "a", "v": {"x y": [1, 2.0]}}}, 'argument v["x y"][1]: 2.0 is a fractional number'),
        ({"args": {"k": "a"}}, "argument v is missing"),
        ({"args": {"k": "a", "v": 1, "w": 2}}, "ledger.set has no parameter w (it takes: k, v)"),
        ({"args": ["a"]}, "set takes 2 arguments, got 1"),
    ]
    for body, message in cases:
        answer = call(world, f"{LEDGER}/invoke/set", body)
        assert answer.status_code == 422 and answer.json()["code"] == "arguments", (body, answer.text)
        assert message in answer.json()["message"], (body, answer.text)
    answer = call(world, f"{LEDGER}/query/get", {"args": [5]})
    assert answer.status_code == 422 and "argument k: expected a Text" in answer.json()["message"], answer.text
    for body, where in [(b"{", "body: not JSON"), (b"[1]", "body: expected a JSON object"),
                        (b'{"arguments": []}', "body: unknown field 'arguments'"), (b'{"args": 5}', "args: expected")]:
        answer = call(world, f"{LEDGER}/invoke/set", body)
        assert answer.status_code == 400 and answer.json()["message"].startswith(where), answer.text
    answer = world.post(f"{LEDGER}/query/get", b'{"args": ["a"]}', content_type="application/octet-stream")
    assert answer.status_code == 415 and answer.json()["code"] == "unsupported-media"
    answer = world.post(f"{LEDGER}/query/get", b'{"args": ["a"]}', content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200, answer.text  # what curl -d sends unless told
    deep = b'{"args": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    assert call(world, f"{LEDGER}/invoke/set", deep).status_code == 400


def test_unknown_contract_or_entry_and_views_and_actions_mixed_up(world):
    deploy_ledger(world)
    sign_in(world, "insurer@Org1")
    answer = call(world, "/api/v1/channels/claims/contracts/nope/invoke/set", {"args": []})
    assert answer.status_code == 404 and answer.json()["code"] == "unknown-contract"
    answer = call(world, f"{LEDGER}/query/nope", {})
    assert answer.status_code == 404 and answer.json()["code"] == "unknown-entry"
    assert "it has: add, bump, get" in answer.json()["message"]
    answer = call(world, f"{LEDGER}/invoke/init", {"args": []})
    assert answer.status_code == 404 and answer.json()["code"] == "unknown-entry"
    answer = call(world, f"{LEDGER}/invoke/get", {"args": ["a"]})
    assert answer.status_code == 422 and answer.json()["code"] == "not-an-action", answer.text
    answer = call(world, f"{LEDGER}/query/set", {"args": ["a", 1]})
    assert answer.status_code == 422 and answer.json()["code"] == "not-a-view", answer.text
    answer = call(world, f"{LEDGER}/query/must", {"args": ["zz"]})
    assert answer.status_code == 422 and answer.json() == {"code": "contract-abort", "message": "no such key"}


def test_a_regulator_queries_but_never_invokes_and_args_need_a_session(world):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 9)
    answer = call(world, f"{LEDGER}/query/get", {"args": ["a"]}, who="regulator@Org3", node="peer0-org3")
    # the query runs as the regulator: the contract (whose parties are insurer and hospital) answers
    assert answer.status_code == 422 and answer.json() == {"code": "contract-abort", "message":
                                                           "not authorized: regulator may not call get"}
    answer = call(world, f"{LEDGER}/invoke/set", {"args": ["a", 1]}, who="regulator@Org3", node="peer0-org3")
    assert answer.status_code == 403 and answer.json()["code"] == "read-only"
    answer = call(world, f"{LEDGER}/invoke/set", {"args": ["a", 1]})  # signed, no session: no key to sign with
    assert answer.status_code == 422 and answer.json()["code"] == "proposal-required", answer.text
    sign_in(world, "insurer@Org1", with_key=False)
    answer = call(world, f"{LEDGER}/invoke/set", {"args": ["a", 1]})
    assert answer.status_code == 422 and answer.json()["code"] == "proposal-required"
    answer = world.get("/openapi.json", who=None).json()
    assert f"{LEDGER.replace('claims', '{ch}').replace('ledger', '{name}')}/invoke/{{entry}}" in answer["paths"]


def test_the_contract_view_shows_the_abi(world):
    deploy_ledger(world)
    abi = world.get(LEDGER).json()["abi"]
    entries = {e["name"]: e for e in abi["entries"]}
    assert entries["set"]["params"] == [{"name": "k", "type": "Text"}, {"name": "v", "type": "Int"}]
    assert entries["set"]["kind"] == "action" and entries["set"]["roles"] == ["insurer"]
    assert entries["get"]["kind"] == "view" and entries["get"]["returns"] == "Int"
    assert abi["events"] == [{"name": "Set", "fields": [{"name": "key", "type": "Text"},
                                                        {"name": "value", "type": "Int"}]}]


# --- events

def messages(text: str) -> list[tuple[str, dict]]:
    out = []
    for chunk in text.split("\n\n"):
        lines = [line for line in chunk.split("\n") if line and not line.startswith(":")]
        if lines:
            fields = dict(line.split(": ", 1) for line in lines)
            out.append((fields["id"], json.loads(fields["data"])))
    return out


def test_events_filtered_and_resumed(world):
    deploy_ledger(world)
    for i in range(3):
        invoke(world, "insurer@Org1", "set", f"k{i}", i)  # blocks 2, 3, 4
    invoke(world, "insurer@Org1", "bump", "k0")  # no event
    answer = world.get(f"{EVENTS}?contract=ledger&event=Set&from_block=0&follow=false")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
    found = messages(answer.text)
    assert [i for i, _ in found] == ["2:0:0", "3:0:0", "4:0:0"]
    first = found[0][1]
    assert first["contract"] == "ledger" and first["event"] == "Set" and first["fields"] == {"key": "k0", "value": 0}
    assert first["block"] == 2 and len(first["tx_id"]) == 64
    # the same without a contract (every block read), from a block, and resumed after an event
    assert messages(world.get(f"{EVENTS}?from_block=0&follow=false").text) == found
    assert [i for i, _ in messages(world.get(f"{EVENTS}?from_block=3&follow=false").text)] == ["3:0:0", "4:0:0"]
    resumed = world.get(f"{EVENTS}?contract=ledger&from_block=0&follow=false", **{"Last-Event-ID": "3:0:0"})
    assert [i for i, _ in messages(resumed.text)] == ["4:0:0"]
    assert messages(world.get(f"{EVENTS}?contract=ledger&event=Other&from_block=0&follow=false").text) == []
    for query, where in [("contract=nope", 404), ("from_block=x", 400), ("follow=sometimes", 400)]:
        assert world.get(f"{EVENTS}?{query}").status_code == where, query
    assert world.get(f"{EVENTS}?follow=false", **{"Last-Event-ID": "junk"}).status_code == 400


class Stream:
    """A followed events stream, the app driven by hand (httpx's ASGI transport waits for the end)."""

    def __init__(self, world: World, target: str, who: str = "insurer@Org1", node: str = "peer0-org1") -> None:
        self.loop = world.loop.loop
        self.chunks: queue.Queue[dict] = queue.Queue()
        self.text = ""
        path, _, query = target.partition("?")
        headers = world.headers(who, "GET", target)
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
                 "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": query.encode(),
                 "root_path": "", "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
                 "client": ("127.0.0.1", 1), "server": (node, 80)}
        app = world.app(node)
        self._stop: asyncio.Event | None = None

        async def run() -> None:
            self._stop = asyncio.Event()
            asked = False

            async def receive() -> dict:
                nonlocal asked
                if not asked:
                    asked = True
                    return {"type": "http.request", "body": b"", "more_body": False}
                await self._stop.wait()
                return {"type": "http.disconnect"}

            async def send(message: dict) -> None:
                self.chunks.put(message)

            await app(scope, receive, send)

        self.done = asyncio.run_coroutine_threadsafe(run(), self.loop)
        start = self.chunks.get(timeout=10)
        assert start["type"] == "http.response.start" and start["status"] == 200, start

    def read(self, count: int) -> list[tuple[str, dict]]:
        while len(messages(self.text)) < count:
            message = self.chunks.get(timeout=10)
            self.text += message.get("body", b"").decode("utf-8")
        return messages(self.text)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self._stop.set)
        self.done.result(timeout=10)


def test_events_followed_as_blocks_commit(world):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 1)  # block 2: before the stream starts, not in it
    stream = Stream(world, f"{EVENTS}?contract=ledger")
    try:
        invoke(world, "insurer@Org1", "set", "b", 2)
        invoke(world, "insurer@Org1", "set", "c", 3)
        found = stream.read(2)
        assert [(i, d["fields"]["key"]) for i, d in found] == [("3:0:0", "b"), ("4:0:0", "c")]
    finally:
        stream.close()
    assert world.app("peer0-org1").state.event_streams.open == 0  # its slot is given back


# --- another node's API, as the node asks it

def test_peer_api_endorses_refuses_and_is_unavailable(world):
    deploy_ledger(world)
    peer = world.id("peer0-org1@Org1")

    def connect(name: str) -> httpx.AsyncClient | None:
        if name not in world.nodes:
            return None
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=world.app(name)), base_url=f"http://{name}")

    api = PeerApi(world.suite, peer.cert.der, peer.key, connect)

    def run(coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, world.loop.loop).result(timeout=20)

    signed = signed_proposal(world, "insurer@Org1", "ledger", "set", "a", 1)
    endorsement = decode_endorsement(run(api.endorse("peer0-org2", "claims", signed, min_height=2)))
    assert endorsement.endorser != peer.cert.der  # peer0-org2's own
    with pytest.raises(ProposalRefused) as refused:
        run(api.endorse("peer0-org2", "claims", signed_proposal(world, "insurer@Org1", "ledger", "nope")))
    assert refused.value.reason == "unknown-entry"
    with pytest.raises(EndorserUnavailable):
        run(api.endorse("peer0-org9", "claims", signed))
    run(api.close())
