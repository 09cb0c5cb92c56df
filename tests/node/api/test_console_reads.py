"""The console's reads (node.api.browse, node.api.records, the transaction's details and the decoded
proof) against an in-process network of real channels: what each answers, that a page of blocks
and a record's history read no more blocks than they show, and who may read them."""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from typing import Any

import pytest

from node import codec
from node.chain.store import NAMESPACE
from node.ledger.merkle import BRANCH_PREFIX, LEAF_PREFIX
from node.tx.envelope import verify_envelope
from tests.node.api.world import LEDGER, deploy_ledger, envelope, invoke

CH = "/api/v1/channels/claims"
RECORDS = f"{CH}/contracts/ledger/records"


class CountingDb:
    """A channel database that counts the block bytes read (``B b`` keys) and passes all through."""

    def __init__(self, db: Any) -> None:
        self._db = db
        self.block_reads = 0

    def get(self, key: bytes, *args: Any, **kw: Any) -> Any:
        if key.startswith(NAMESPACE + b"b"):
            self.block_reads += 1
        return self._db.get(key, *args, **kw)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._db, name)


def counting(world) -> CountingDb:
    blocks = world.channel("peer0-org1").blocks
    proxy = CountingDb(blocks._db)
    blocks._db = proxy
    return proxy


def tx_of(world, env: bytes) -> str:
    return verify_envelope(world.suite, env).tx_id.hex()


def history_of(world, var: str, key: Any = None) -> dict[str, Any]:
    query = "" if key is None else "?key=" + urllib.parse.quote(json.dumps(key))
    answer = world.get(f"{RECORDS}/{var}/history{query}")
    assert answer.status_code == 200, answer.text
    return answer.json()


# --- 1. pages of blocks

def test_blocks_come_in_pages_newest_first_with_their_codes(world):
    deploy_ledger(world)
    for i in range(5):
        invoke(world, "insurer@Org1", "set", f"k{i}", i)
    invoke(world, "insurer@Org1", "refuse")  # block 7: a CONTRACT_ABORT
    page = world.get(f"{CH}/blocks?limit=3").json()
    assert page["height"] == 8 and [b["number"] for b in page["blocks"]] == [7, 6, 5] and page["next"] == 5
    top = page["blocks"][0]
    assert top["codes"] == {"CONTRACT_ABORT": 1} and top["transactions"] == 1
    whole = world.get(f"{CH}/blocks/7").json()
    assert (top["id"], top["time"]) == (whole["id"], whole["time"])
    rest = world.get(f"{CH}/blocks?before=5&limit=3").json()
    assert [b["number"] for b in rest["blocks"]] == [4, 3, 2] and rest["next"] == 2
    last = world.get(f"{CH}/blocks?before=2&limit=3").json()
    assert [b["number"] for b in last["blocks"]] == [1, 0] and last["next"] is None
    assert last["blocks"][1]["codes"] == {"VALID": 1}  # the genesis configuration
    default = world.get(f"{CH}/blocks").json()
    assert [b["number"] for b in default["blocks"]] == list(range(7, -1, -1)) and default["next"] is None
    beyond = world.get(f"{CH}/blocks?before=999&limit=1").json()  # counts as the height
    assert [b["number"] for b in beyond["blocks"]] == [7]


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=x", "before=-1", "before=1e3"])
def test_a_bad_page_is_refused_naming_the_parameter(world, query):
    answer = world.get(f"{CH}/blocks?{query}")
    assert answer.status_code == 400 and answer.json()["code"] == "bad-request", answer.text
    assert query.split("=")[0] in answer.json()["message"]


def test_a_page_reads_only_the_blocks_it_shows(world):
    deploy_ledger(world)
    for i in range(30):
        invoke(world, "insurer@Org1", "set", "a", i)
    db = counting(world)
    page = world.get(f"{CH}/blocks?before=20&limit=5").json()
    assert len(page["blocks"]) == 5 and db.block_reads == 5


# --- 2. a committed transaction's details

def test_a_committed_transaction_shows_its_call_result_and_who_made_it(world):
    deploy_ledger(world)
    env = invoke(world, "insurer@Org1", "set", "a", 7)
    tx = world.get(f"{CH}/transactions/{tx_of(world, env)}").json()
    block = world.get(f"{CH}/blocks/2").json()
    assert tx["status"] == "committed" and tx["time"] == block["time"]
    assert (tx["kind"], tx["contract"], tx["entry"]) == ("invoke", "ledger", "set")
    assert tx["creator"] == {"org": "Org1", "name": "insurer", "role": "insurer"}
    assert tx["args"] == {"k": "a", "v": 7} and tx["result"] is None
    assert tx["events"] == [{"event": "Set", "fields": {"key": "a", "value": 7}}]
    assert tx["endorsers"] == [{"org": "Org1", "name": "peer0-org1"}, {"org": "Org2", "name": "peer0-org2"}]
    assert isinstance(tx["gas"], int) and tx["gas"] > 0
    key = history_of(world, "balances", "a")["ledger_key"]
    assert tx["writes"] == [key]


def test_a_refused_transaction_shows_its_call_but_no_result_or_writes(world):
    deploy_ledger(world)
    env = invoke(world, "insurer@Org1", "refuse")
    tx = world.get(f"{CH}/transactions/{tx_of(world, env)}").json()
    assert tx["code_name"] == "CONTRACT_ABORT" and tx["args"] == {} and tx["entry"] == "refuse"
    assert tx["result"] is None and tx["writes"] == [] and tx["events"] == []


def test_a_deploy_shows_its_init_arguments_and_its_tx_in_the_contracts_history(world):
    deploy_ledger(world)
    (row,) = world.get(f"{CH}/blocks/1").json()["transactions"]
    tx = world.get(f"{CH}/transactions/{row['tx_id']}").json()
    assert tx["kind"] == "deploy" and tx["entry"] is None and tx["args"] == {}
    assert world.get(f"{CH}/contracts/ledger").json()["history"][0]["tx_id"] == row["tx_id"]


# --- 3. explain

def deploy_source(world, name: str = "book") -> None:
    from node.tx.proposal import build_deploy, sign_proposal

    ident = world.id("admin@Org1")
    p = build_deploy("claims", name, version="1", policy="majority", source=LEDGER, creator=ident.cert.der,
                     role="insurer")
    world.network.submit("claims", envelope(world, "admin@Org1", sign_proposal(world.suite, ident.key, p),
                                            ("Org1", "Org2", "Org3")))
    assert world.channel("peer0-org1").contract(name) is not None


def test_explain_renders_the_deployed_source_in_the_readers_language(world):
    deploy_source(world)
    en = world.get(f"{CH}/contracts/book/explain")
    assert en.status_code == 200, en.text
    assert en.headers["content-type"] == "text/html; charset=utf-8"
    assert en.text.lstrip().lower().startswith("<!doctype html") and "Ledger" in en.text
    zh = world.get(f"{CH}/contracts/book/explain?lang=zh&version=1")
    assert zh.status_code == 200 and zh.text != en.text
    assert world.get(f"{CH}/contracts/book/explain?lang=fr").status_code == 400
    missing = world.get(f"{CH}/contracts/book/explain?version=9")
    assert missing.status_code == 404 and missing.json()["code"] == "unknown-version"


def test_explain_of_a_contract_deployed_as_a_module_says_there_is_no_source(world):
    deploy_ledger(world)  # deploys a built module
    answer = world.get(f"{CH}/contracts/ledger/explain")
    assert answer.status_code == 404 and answer.json()["code"] == "no_source"


# --- 4. records and their history

def test_records_list_the_contracts_state_variables(world):
    deploy_ledger(world)
    assert world.get(RECORDS).json() == {"variables": [
        {"name": "balances", "kind": "map", "key_types": ["Text"], "value_type": "Int"},
        {"name": "total", "kind": "value", "key_types": [], "value_type": "Int"}]}


def test_a_maps_keys_come_in_pages_in_key_order(world):
    deploy_ledger(world)
    for k in ("c", "a", "e", "b", "d"):
        invoke(world, "insurer@Org1", "set", k, 1)
    first = world.get(f"{RECORDS}/balances?limit=2").json()
    assert first["keys"] == ["a", "b"] and first["next"]
    second = world.get(f"{RECORDS}/balances?limit=2&after={first['next']}").json()
    assert second["keys"] == ["c", "d"]
    third = world.get(f"{RECORDS}/balances?limit=2&after={second['next']}").json()
    assert third == {"keys": ["e"], "next": None}
    assert world.get(f"{RECORDS}/total").json() == {"keys": [None], "next": None}
    assert world.get(f"{RECORDS}/balances?limit=0").status_code == 400
    assert world.get(f"{RECORDS}/balances?after=zz").status_code == 400
    unknown = world.get(f"{RECORDS}/nothing")
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown-record"


def test_a_records_history_lists_every_valid_change_with_before_and_after(world):
    deploy_ledger(world)
    first = invoke(world, "insurer@Org1", "set", "a", 5)
    invoke(world, "insurer@Org1", "set", "b", 1)  # another key: not in a's history
    invoke(world, "insurer@Org1", "refuse")  # refused: changes nothing
    second = invoke(world, "insurer@Org2", "bump", "a")
    h = history_of(world, "balances", "a")
    assert h["value"] == 6
    assert [(c["block"], c["entry"], c["before"], c["after"]) for c in h["history"]] == [
        (2, "set", None, 5), (5, "bump", 5, 6)]
    assert [c["tx_id"] for c in h["history"]] == [tx_of(world, first), tx_of(world, second)]
    assert h["history"][1]["creator"] == {"org": "Org2", "name": "insurer", "role": "insurer"}
    assert h["history"][1]["time"] == world.get(f"{CH}/blocks/5").json()["time"]


def test_a_plain_variable_changed_by_deltas_has_its_totals_as_history(world):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "add", 3)
    invoke(world, "insurer@Org1", "add", 4)
    h = history_of(world, "total")
    assert h["value"] == 7
    assert [(c["entry"], c["before"], c["after"]) for c in h["history"]] == [
        (None, None, 0), ("add", 0, 3), ("add", 3, 7)]  # the deploy's init wrote 0


def test_a_history_key_must_fit_the_maps_key_type(world):
    deploy_ledger(world)
    for query, status, code in [("", 400, "bad-request"), ("?key=a", 422, "arguments"),
                                ("?key=5", 422, "arguments")]:
        answer = world.get(f"{RECORDS}/balances/history{query}")
        assert answer.status_code == status and answer.json()["code"] == code, (query, answer.text)
    assert world.get(f"{RECORDS}/total/history?key=%22a%22").status_code == 400
    empty = history_of(world, "balances", "nobody")
    assert empty["value"] is None and empty["history"] == [] and empty["proof"]["value"] is None


def test_a_history_reads_no_block_however_long_the_chain(world):
    deploy_ledger(world)
    for i in range(25):
        invoke(world, "insurer@Org1", "set", "a" if i % 5 == 0 else "b", i)
    db = counting(world)
    h = history_of(world, "balances", "a")
    assert [c["after"] for c in h["history"]] == [0, 5, 10, 15, 20]
    assert db.block_reads == 1  # the proof's header of the block after the last: none exists, one get


# --- 5. the decoded proof, checked as a browser would

def check_as_a_browser(view: dict[str, Any], root_hex: str) -> None:
    """The page's check, from the decoded fields alone (SHA-256: an intl channel)."""
    h = lambda b: hashlib.sha256(b).digest()  # noqa: E731
    key = bytes.fromhex(view["key"])
    kh = h(key)
    if view["value"] is not None:
        preimage = bytes.fromhex(view["value_preimage"])
        block, tx = view["version"]
        assert preimage == codec.encode([bytes.fromhex(view["value"]), block, tx])
        node = h(LEAF_PREFIX + kh + h(preimage))
    elif view["other"] is not None:
        okh, ovh = (bytes.fromhex(x) for x in view["other"])
        node = h(LEAF_PREFIX + okh + ovh)
    else:
        node = bytes(32)
    bits = int.from_bytes(kh, "big")
    siblings = [bytes.fromhex(s) if s else bytes(32) for s in view["siblings"]]
    for depth in range(len(siblings) - 1, -1, -1):
        right = (bits >> (255 - depth)) & 1
        node = h(BRANCH_PREFIX + siblings[depth] + node) if right else h(BRANCH_PREFIX + node + siblings[depth])
    assert node.hex() == root_hex


def test_a_proof_is_decoded_for_the_page_and_checks_against_the_next_header(world):
    deploy_ledger(world)
    for k in ("a", "b", "c", "d"):
        invoke(world, "insurer@Org1", "set", k, 1)
    h = history_of(world, "balances", "b")
    proof = h["proof"]
    assert proof["suite"] == "intl" and proof["key"] == h["ledger_key"] and proof["header"] is None
    assert proof["state_hash"] == world.get(CH).json()["state_hash"]
    check_as_a_browser(proof, proof["state_hash"])
    invoke(world, "insurer@Org1", "set", "e", 1)  # block block+1 now exists: its header carries the root
    key = proof["key"]
    view = world.get(f"{CH}/state/{key}/proof?block={proof['block']}").json()
    header = world.get(f"{CH}/blocks/{proof['block'] + 1}").json()
    assert view["header"] == {"number": header["number"], "id": header["id"], "state_hash": header["state_hash"]}
    check_as_a_browser(view, view["header"]["state_hash"])
    absent = history_of(world, "balances", "zz")["proof"]
    assert absent["value_preimage"] is None
    check_as_a_browser(absent, absent["state_hash"])


def test_a_gm_proof_names_its_suite(any_suite):
    deploy_ledger(any_suite)
    invoke(any_suite, "insurer@Org1", "set", "a", 1)
    proof = any_suite.get(f"{RECORDS}/balances/history?key=%22a%22").json()["proof"]
    assert proof["suite"] == any_suite.suite_name and len(proof["value_preimage"]) > 0


# --- 6. activity

def test_activity_counts_the_blocks_and_codes_committed_lately(world):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 1)
    invoke(world, "insurer@Org1", "refuse")
    answer = world.get(f"{CH}/activity?minutes=1").json()
    assert answer["bucket_ms"] == 10_000 and len(answer["buckets"]) == 6
    busy = [b for b in answer["buckets"] if b["blocks"]]
    assert sum(b["blocks"] for b in busy) == 4  # genesis (committed at open), the deploy, the set, the refusal
    codes: dict[str, int] = {}
    for b in busy:
        for name, n in b["codes"].items():
            codes[name] = codes.get(name, 0) + n
    # the genesis block has no transaction id, so its bucket may have no latency of its own
    latencies = [b["commit_latency_ms"] for b in busy if b["commit_latency_ms"] is not None]
    assert latencies and all(0 <= x["p50"] <= x["p99"] for x in latencies)
    assert codes == {"VALID": 3, "CONTRACT_ABORT": 1}
    for query in ("minutes=0", "minutes=61", "minutes=x"):
        assert world.get(f"{CH}/activity?{query}").status_code == 400


# --- access: the same rules as every channel route

NEW_ROUTES = ["/blocks", "/activity", "/contracts/ledger/records", "/contracts/ledger/records/balances",
              "/contracts/ledger/records/total/history", "/contracts/ledger/explain"]


@pytest.mark.parametrize("route", NEW_ROUTES)
def test_a_non_member_learns_nothing_of_a_channel_through_the_new_routes(world, route):
    deploy_ledger(world)
    deploy_ledger(world, channel="reinsurance")
    outsider = world.get(f"{CH}{route}", who="insurer@Org4")
    assert outsider.status_code == 404 and outsider.json()["code"] == "unknown-channel"
    # the regulator of Org3 reads claims, and nothing of reinsurance, which Org3 is no member of
    assert world.get(f"{CH}{route}", who="regulator@Org3", node="peer0-org3").status_code in (200, 404)
    foreign = world.get(f"/api/v1/channels/reinsurance{route}", who="regulator@Org3")
    assert foreign.status_code == 404 and foreign.json()["code"] == "unknown-channel"
    assert world.get(f"/api/v1/channels/claims{route}", who=None).status_code == 401


def test_a_regulator_reads_the_console_but_cannot_invoke(world):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 1)
    assert history_of(world, "balances", "a")["value"] == 1
    read = world.get(f"{RECORDS}/balances/history?key=%22a%22", who="regulator@Org3")
    assert read.status_code == 200 and read.json()["value"] == 1
    body = json.dumps({"args": {"k": "a", "v": 2}}).encode()
    refused = world.post(f"{CH}/contracts/ledger/invoke/set", body, who="regulator@Org3",
                         content_type="application/json")
    assert refused.status_code == 403 and refused.json()["code"] == "read-only"


def test_a_long_history_comes_in_pages_of_the_latest_changes(world):
    deploy_ledger(world)
    for i in range(1, 8):
        invoke(world, "insurer@Org1", "add", i)  # total: 0, 1, 3, 6, 10, 15, 21, 28
    whole = history_of(world, "total")
    assert [c["after"] for c in whole["history"]] == [0, 1, 3, 6, 10, 15, 21, 28] and whole["earlier"] is None
    pages, cursor = [], ""
    while True:
        answer = world.get(f"{RECORDS}/total/history?limit=3{cursor}")
        assert answer.status_code == 200, answer.text
        page = answer.json()
        pages.append([(c["before"], c["after"]) for c in page["history"]])
        if page["earlier"] is None:
            break
        cursor = f"&before={page['earlier']}"
    assert pages == [[(10, 15), (15, 21), (21, 28)], [(1, 3), (3, 6), (6, 10)], [(None, 0), (0, 1)]]
    for query in ("limit=0", "limit=1001", "before=2:0", "limit=2&before=x", "limit=2&before=2"):
        assert world.get(f"{RECORDS}/total/history?{query}").status_code == 400, query
