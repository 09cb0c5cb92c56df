"""The read endpoints against an in-process network of real channels: health, the node, a channel,
its blocks (by number and id), transaction status (committed, pending, unknown, waited for),
contracts with their ABI, state proofs checked against block headers, and the OpenAPI page."""

from __future__ import annotations

import base64
import threading

from node.api import schemas as S
from node.chain.block import encode_item
from node.ledger.proof import decode_proof, verify_proof
from node.tx.codes import ValidationCode
from tests.node.api.world import deploy_ledger, envelope, invoke, signed_proposal

CH = "/api/v1/channels/claims"


def test_health_and_readiness(world):
    assert world.get("/healthz", who=None).json() == {"status": "ok"}
    assert world.get("/readyz", who=None).json() == {"ready": True}
    world.nodes["peer0-org1"].pause()
    answer = world.get("/readyz", who=None)
    assert answer.status_code == 503 and answer.json() == {"ready": False}


def test_a_channel_being_rebuilt_is_not_served_but_tells_only_members_so(world):
    world.nodes["peer0-org1"].repairing["claims"] = "peer0-org1 is rebuilding channel claims: ask another node"
    answer = world.get("/api/v1/channels/claims")
    assert answer.status_code == 503 and answer.json()["code"] == "repairing", answer.text
    assert "ask another node" in answer.json()["message"]
    assert world.get("/api/v1/channels/claims/blocks/0").status_code == 503
    # a non-member learns nothing, not even that: the same 404 as for any channel it may not read
    assert world.get("/api/v1/channels/claims", who="insurer@Org4").json()["code"] == "unknown-channel"
    assert world.get("/api/v1/channels/reinsurance").status_code == 200  # the node's other channels are served
    assert world.get("/api/v1/channels/claims", node="peer0-org2").status_code == 200


def test_the_node_lists_only_the_channels_the_caller_reads(world):
    unsigned = world.get("/api/v1/node", who=None).json()
    assert unsigned["name"] == "peer0-org1" and unsigned["org"] == "Org1" and unsigned["channels"] == []
    assert {p["name"] for p in unsigned["peers"]} == {"peer0-org2", "peer0-org3"}
    assert set(unsigned) == {"name", "org", "version", "channels", "peers", "process"}
    assert world.get("/api/v1/node").json()["channels"] == ["claims", "reinsurance"]
    assert world.get("/api/v1/node", who="regulator@Org3").json()["channels"] == ["claims"]
    assert world.get("/api/v1/node", who="insurer@Org4").json()["channels"] == []


def test_a_channel_shows_its_height_hashes_members_and_contracts(any_suite):
    world = any_suite
    deploy_ledger(world)
    answer = world.get(CH)
    assert answer.status_code == 200, answer.text
    info = answer.json()
    channel = world.channel("peer0-org1")
    assert info == {
        "name": "claims", "height": 2, "latest_block": channel.latest_id().hex(),
        "state_hash": channel.state_hash().hex(), "members": ["Org1", "Org2", "Org3"], "regulators": ["Org3"],
        "orderer": "peer0-org1", "suite": world.suite_name, "contracts": [{"name": "ledger", "version": "1"}],
        "consensus": {"type": "solo", "orderers": ["peer0-org1"]},
    }
    # every member's node answers alike
    assert world.get(CH, node="peer0-org3", who="regulator@Org3").json() == info


def test_a_block_by_number_and_by_id(world):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 5)
    by_number = world.get(f"{CH}/blocks/2").json()
    assert world.get(f"{CH}/blocks/{by_number['id']}").json() == by_number
    assert world.get(f"{CH}/blocks/{by_number['id'].upper()}").json() == by_number
    header = world.channel("peer0-org1").block(2).header
    assert by_number["previous"] == header.previous.hex() and by_number["state_hash"] == header.state.hex()
    assert by_number["time"] == header.time_ms and by_number["number"] == 2
    (tx,) = by_number["transactions"]
    assert tx["code"] == 0 and tx["code_name"] == "VALID" and tx["message"] is None
    assert tx["contract"] == "ledger" and tx["entry"] == "set" and tx["kind"] == "invoke"
    assert tx["creator"] == {"org": "Org1", "name": "insurer", "role": "insurer"}
    assert tx["events"] == [{"event": "Set", "fields": {"key": "a", "value": 5}}]
    genesis = world.get(f"{CH}/blocks/0").json()
    assert genesis["transactions"][0]["kind"] == "config" and genesis["transactions"][0]["tx_id"] is None
    deploy = world.get(f"{CH}/blocks/1").json()["transactions"][0]
    assert deploy["kind"] == "deploy" and deploy["entry"] is None and deploy["creator"]["name"] == "admin"


def test_a_block_and_its_codes_answer_exactly_their_models(world):
    # Both routes answer without FastAPI's response validation (node.api.direct): each answer must
    # be what its model makes of it, no field missing, added, renamed or of another type; and the
    # codes are the full view's ids and codes.
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 5)  # a VALID invoke with an event
    invoke(world, "insurer@Org1", "refuse")  # a CONTRACT_ABORT with its message
    # bytes that are no block item, and an envelope item that is no envelope: BAD_PAYLOAD both
    world.network.enqueue_item("claims", b"\xc1")
    world.network.enqueue_item("claims", encode_item("envelope", b"not an envelope"))
    world.network.cut("claims")
    for number in range(5):  # the genesis configuration, the deploy, both invokes, the bad bytes
        answer = world.get(f"{CH}/blocks/{number}")
        codes = world.get(f"{CH}/blocks/{number}/codes")
        for got, model in ((answer, S.BlockView), (codes, S.BlockCodes)):
            assert got.status_code == 200 and got.headers["content-type"] == "application/json", got.text
            assert model.model_validate(got.json(), strict=True).model_dump(mode="json") == got.json()
        full = answer.json()
        assert codes.json() == {"number": number, "id": full["id"], "time": full["time"], "transactions": [
            {k: t[k] for k in ("index", "tx_id", "code", "code_name")} for t in full["transactions"]]}
    bad = world.get(f"{CH}/blocks/4").json()["transactions"]
    assert [(t["kind"], t["tx_id"], t["code_name"]) for t in bad] == [(None, None, "BAD_PAYLOAD"),
                                                                     ("envelope", None, "BAD_PAYLOAD")]
    assert world.get(f"{CH}/blocks/9/codes").json()["code"] == "unknown-block"


def test_a_block_that_is_not_there_or_not_a_reference(world):
    cases = [("3", 404, "unknown-block"), ("99999999", 404, "unknown-block"), ("-1", 400, "bad-request"),
             ("1.5", 400, "bad-request"), ("abc", 400, "bad-request"), ("0" * 64, 404, "unknown-block"),
             ("1" * 30, 400, "bad-request"), ("٣", 400, "bad-request")]
    for ref, status, code in cases:
        answer = world.get(f"{CH}/blocks/{ref}")
        assert (answer.status_code, answer.json()["code"]) == (status, code), (ref, answer.text)
        assert set(answer.json()) == {"code", "message"}


def test_an_aborted_transaction_shows_the_contracts_message(world):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "refuse")
    tx = world.get(f"{CH}/blocks/2").json()["transactions"][0]
    assert tx["code_name"] == "CONTRACT_ABORT" and "no, never" in tx["message"] and tx["events"] == []
    status = world.get(f"{CH}/transactions/{tx['tx_id']}").json()
    assert status["status"] == "committed" and status["code_name"] == "CONTRACT_ABORT"
    assert "no, never" in status["message"]


def test_transaction_status_committed_unknown_and_pending(world):
    deploy_ledger(world)
    env = invoke(world, "insurer@Org1", "set", "a", 1)
    from node.tx.envelope import verify_envelope

    tx = verify_envelope(world.suite, env).tx_id.hex()
    status = world.get(f"{CH}/transactions/{tx}").json()
    assert {k: status[k] for k in ("tx_id", "status", "code", "code_name", "explanation", "block", "index",
                                   "message")} == {
        "tx_id": tx, "status": "committed", "code": 0, "code_name": "VALID",
        "explanation": ValidationCode.VALID.explanation, "block": 2, "index": 0, "message": None}
    # the details of a committed one (args, result, creator...): tests/node/api/test_console_reads.py
    unknown = world.get(f"{CH}/transactions/{'ab' * 32}").json()
    assert unknown["status"] == "unknown" and unknown["code"] is None and unknown["block"] is None
    world.network.auto_cut = False
    waiting = envelope(world, "insurer@Org1", signed_proposal(world, "insurer@Org1", "ledger", "set", "b", 2))
    tx2 = world.network.submit("claims", waiting).hex()
    assert world.get(f"{CH}/transactions/{tx2}").json()["status"] == "pending"
    world.network.cut("claims")
    assert world.get(f"{CH}/transactions/{tx2}").json()["status"] == "committed"


def test_wait_holds_the_status_until_the_transaction_commits(world):
    deploy_ledger(world)
    world.network.auto_cut = False
    env = envelope(world, "insurer@Org1", signed_proposal(world, "insurer@Org1", "ledger", "set", "b", 2))
    tx = world.network.submit("claims", env).hex()
    timer = threading.Timer(0.2, world.network.cut, args=("claims",))
    timer.start()
    answer = world.get(f"{CH}/transactions/{tx}?wait=5000", node="peer0-org2")
    timer.join()
    assert answer.json()["status"] == "committed" and answer.json()["block"] == 2
    # a wait that runs out answers what is known then
    assert world.get(f"{CH}/transactions/{'cd' * 32}?wait=50").json()["status"] == "unknown"


def test_a_malformed_tx_id_or_wait_is_a_bad_request(world):
    for tx, query in [("ab" * 31, ""), ("zz" * 32, ""), ("ab" * 33, ""), ("ab" * 32, "?wait=-5"),
                      ("ab" * 32, "?wait=soon")]:
        answer = world.get(f"{CH}/transactions/{tx}{query}")
        assert answer.status_code == 400 and answer.json()["code"] == "bad-request", (tx, query)


def test_a_contract_shows_its_policy_module_history_and_abi(world):
    deploy_ledger(world, policy="2 of Org1, Org2, Org3")
    info = world.get(f"{CH}/contracts/ledger").json()
    record = world.channel("peer0-org1").contract("ledger")
    assert info["name"] == "ledger" and info["version"] == "1" and info["policy"] == "2 of Org1, Org2, Org3"
    assert info["module"] == record.module.hex()
    (deployed,) = world.get(f"{CH}/blocks/1").json()["transactions"]
    assert info["history"] == [{"version": "1", "module": record.module.hex(), "block": 1,  # where it committed
                                "tx_id": deployed["tx_id"]}]
    entries = {e["name"]: e for e in info["abi"]["entries"]}
    assert entries["set"] == {"name": "set", "kind": "action", "params": [{"name": "k", "type": "Text"},
                              {"name": "v", "type": "Int"}], "returns": None, "roles": ["insurer"],
                              "anyone": False, "doc": ""}
    assert entries["get"]["kind"] == "view" and entries["get"]["returns"] == "Int"
    assert info["abi"]["events"] == [{"name": "Set", "fields": [{"name": "key", "type": "Text"},
                                                                {"name": "value", "type": "Int"}]}]
    missing = world.get(f"{CH}/contracts/nothing")
    assert missing.status_code == 404 and missing.json()["code"] == "unknown-contract"


def test_a_state_proof_checks_against_the_next_blocks_header(any_suite):
    world = any_suite
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 5)
    key = b"ledger\x00" + bytes(1)  # some key of the contract's; present or not, the proof must hold
    answer = world.get(f"{CH}/state/{key.hex()}/proof")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    proof = decode_proof(base64.b64decode(body["proof"]))
    assert proof.block == 2 and proof.key == key
    assert verify_proof(world.suite, bytes.fromhex(body["state_hash"]), proof)
    invoke(world, "insurer@Org1", "set", "b", 6)  # block 3's header carries the state after block 2
    assert world.get(f"{CH}/blocks/3").json()["state_hash"] == body["state_hash"]
    older = world.get(f"{CH}/state/{key.hex()}/proof?block=1").json()
    assert decode_proof(base64.b64decode(older["proof"])).block == 1
    assert world.get(f"{CH}/blocks/2").json()["state_hash"] == older["state_hash"]


def test_a_malformed_proof_request(world):
    for key, query, status in [("", "", 404), ("abc", "", 400), ("zz", "", 400), ("00", "?block=x", 400),
                               ("00", "?block=999", 404)]:
        answer = world.get(f"{CH}/state/{key}/proof{query}")
        assert answer.status_code == status and set(answer.json()) == {"code", "message"}, (key, query)


def test_openapi_describes_every_route(world):
    answer = world.get("/openapi.json", who=None)
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    for path in ("/healthz", "/readyz", "/api/v1/node", "/api/v1/channels/{ch}",
                 "/api/v1/channels/{ch}/blocks/{ref}", "/api/v1/channels/{ch}/transactions/{tx}",
                 "/api/v1/channels/{ch}/contracts/{name}", "/api/v1/channels/{ch}/state/{key}/proof",
                 "/api/v1/channels/{ch}/endorse", "/api/v1/channels/{ch}/query", "/api/v1/channels/{ch}/submit"):
        assert path in paths, path
    endorse = paths["/api/v1/channels/{ch}/endorse"]["post"]
    assert "application/octet-stream" in endorse["requestBody"]["content"]
    assert world.get("/docs", who=None).status_code == 200


def test_unknown_routes_and_methods_answer_in_the_error_form(world):
    assert world.get("/api/v1/nothing").json()["code"] == "not-found"
    answer = world.http("peer0-org1").delete("/api/v1/node")
    assert answer.status_code == 405 and answer.json()["code"] == "method-not-allowed"
