"""JSON calls against real node processes over HTTPS, with plain httpx: an invoke through one node
whose policy needs two organisations' endorsements (the node asks the other organisation's node
through its API, signed with its own peer identity), a query through the other node, and the
events stream of a third call read back from the first."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx

from node.api.signature import HEADER_MIN_HEIGHT, sign_request
from node.api.transport import client_context
from node.client.netfile import NetworkFile
from node.client.wallet import Identity
from node.network.layout import NetworkLayout
from node.tx.clock import now_ms
from node.tx.endorsement import decode_endorsement
from node.tx.envelope import sign_envelope
from node.tx.proposal import build_invoke, decode_signed_proposal, sign_proposal
from tests.node.live.test_network import POLICY, deploy_health

CONTRACT = "/api/v1/channels/main/contracts/health"


def client(net: Any, node: str) -> httpx.Client:
    layout = NetworkLayout(net.folder)
    entry = layout.load_index().node(node)
    assert entry is not None
    root = (layout.tls_ca(entry.org) / "cert.pem").read_bytes()
    return httpx.Client(base_url=net.api(node), verify=client_context(root), timeout=30)


def signed(http: httpx.Client, who: Identity, method: str, path: str, body: Any = None,
           **headers: str) -> httpx.Response:
    data = b"" if body is None else json.dumps(body).encode()
    request = http.build_request(method, path, content=data or None,
                                 headers={"content-type": "application/json", **headers} if data else headers)
    request.headers.update(sign_request(who.suite, who.key, who.der, method, request.url.raw_path.decode("ascii"),
                                        now_ms(), data))
    return http.send(request)


def invoke(http: httpx.Client, who: Identity, entry: str, *args: Any) -> dict:
    """An invoke by a caller that keeps its key: its proposal, then the envelope over the endorsements."""
    proposal = sign_proposal(who.suite, who.key, build_invoke("main", "health", entry, list(args), creator=who.der,
                                                             role="insurer"))
    answer = signed(http, who, "POST", f"{CONTRACT}/invoke/{entry}", {"proposal": base64.b64encode(proposal).decode()})
    assert answer.status_code == 200, answer.text
    endorsed = answer.json()
    endorsements = [decode_endorsement(base64.b64decode(e)) for e in endorsed["endorsements"]]
    envelope = sign_envelope(who.suite, who.key, decode_signed_proposal(proposal), endorsements)
    answer = signed(http, who, "POST", f"{CONTRACT}/invoke/{entry}", {"envelope": base64.b64encode(envelope).decode()})
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["code"] == "VALID" and done["endorsers"] == endorsed["endorsers"], done
    return done


def test_invoke_endorsed_by_two_organisations_then_query_and_events_through_other_nodes(live):
    net = live(orgs=2)
    deploy_health(net, "2 of Org1, Org2", channel="main")
    wallet = NetworkFile.load(net.folder).wallet
    one, two = wallet.get("insurer@Org1"), wallet.get("insurer@Org2")
    with client(net, "peer0-org1") as first, client(net, "peer0-org2") as second:
        issued = invoke(first, one, "issue", "J1", POLICY)
        assert sorted(issued["endorsers"]) == ["peer0-org1", "peer0-org2"]  # the other one asked by peer0-org1
        answer = signed(second, two, "POST", f"{CONTRACT}/query/remaining", {"args": {"policy_id": "J1"}},
                        **{HEADER_MIN_HEIGHT: str(issued["block"] + 1)})
        assert answer.status_code == 200 and answer.json() == {"result": "10000.00 CNY"}, answer.text
        expired = invoke(second, one, "expire", "J1")  # the issuer (Org1) ends it, through Org2's node
        answer = signed(first, one, "GET", "/api/v1/channels/main/events?contract=health&from_block=0&follow=false",
                        **{HEADER_MIN_HEIGHT: str(expired["block"] + 1)})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/event-stream")
        data = [json.loads(line[len("data: "):]) for line in answer.text.splitlines() if line.startswith("data: ")]
        assert [(d["event"], d["fields"], d["tx_id"]) for d in data] == \
            [("PolicyIssued", {"policy_id": "J1", "issuer": "Org1"}, issued["tx_id"]),
             ("PolicyStatusChanged", {"policy_id": "J1", "status": "Expired"}, expired["tx_id"])]
