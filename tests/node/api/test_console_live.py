"""The console's backend on real node processes over HTTPS: `baochain session open` gives a token,
and one node's GET /api/v1/network asks the others (its peer identity, their transport roots),
then names a node it cannot reach once that node is stopped."""

from __future__ import annotations

import httpx

from node.api.transport import client_context
from node.network.layout import NetworkLayout
from tests.node.live.conftest import live, wait_for  # noqa: F401  (the fixture)


def test_a_node_shows_the_whole_network_and_names_one_that_stopped(live):  # noqa: F811
    net = live(orgs=2)
    code, token = net.cli("session", "open", "--network", str(net.folder), "--as", "admin@Org1")
    assert code == 0, token
    layout = NetworkLayout(net.folder)
    root = (layout.tls_ca("Org1") / "cert.pem").read_bytes()
    http = httpx.Client(base_url=net.api("peer0-org1"), verify=client_context(root), timeout=10,
                        headers={"Authorization": f"Bearer {token.strip()}"})
    with http:
        who = http.get("/api/v1/sessions").json()
        assert (who["name"], who["org"], who["kind"]) == ("admin", "Org1", "certificate")

        def shown() -> dict:
            answer = http.get("/api/v1/network")
            assert answer.status_code == 200, answer.text
            return {n["name"]: n for n in answer.json()["nodes"]}

        wait_for(lambda: shown()["peer0-org2"]["reachable"], 20, "peer0-org1 to reach peer0-org2's API")
        nodes = shown()
        assert nodes["peer0-org1"]["self"] and not nodes["peer0-org2"]["self"]
        other = nodes["peer0-org2"]
        assert other["api"].startswith("https://") and other["process"]["memory_bytes"] > 0
        assert other["channels"] and set(other["channels"]) == set(nodes["peer0-org1"]["channels"])
        net.kill9("peer0-org2")  # stopped by its pid, waited for
        wait_for(lambda: not shown()["peer0-org2"]["reachable"], 20, "the stopped peer0-org2 to be shown unreachable")
        assert shown()["peer0-org2"]["error"]
