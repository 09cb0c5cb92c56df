"""A certificate's session for the console: `baochain session open` prints its token, GET
/api/v1/sessions tells whose it is (roles: a regulator's view is read-only), and the events
stream alone takes the token as ?session= (a browser's EventSource sends no headers)."""

from __future__ import annotations

import json

from click.testing import CliRunner

from node.cli import cli
from tests.node.api.world import deploy_ledger, invoke
from tests.node.client.conftest import connector

EVENTS = "/api/v1/channels/claims/events"


def open_session(world, tmp_path, label: str, *extra: str) -> CliRunner:
    folder = tmp_path / "net"
    if not folder.exists():
        world.write_network_folder(folder)
    return CliRunner().invoke(cli, ["session", "open", "--network", str(folder), "--as", label, *extra],
                              obj={"connect": connector(world, set())})


def whose(world, token: str, node: str = "peer0-org1") -> dict:
    answer = world.http(node).get("/api/v1/sessions", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_cli_prints_a_token_that_names_its_identity(world, tmp_path):
    plain = open_session(world, tmp_path, "insurer@Org1")
    assert plain.exit_code == 0, plain.output
    token = plain.output.strip()
    assert "\n" not in token and len(token) > 20
    session = whose(world, token)
    assert (session["name"], session["org"], session["kind"], session["type"]) == ("insurer", "Org1", "certificate",
                                                                                     "client")
    assert sorted(session["roles"]) == ["hospital", "insurer"]


def test_a_regulators_session_says_so_and_the_json_names_the_node(world, tmp_path):
    opened = open_session(world, tmp_path, "regulator@Org3", "--json")
    assert opened.exit_code == 0, opened.output
    body = json.loads(opened.output)
    assert body["node"] == "peer0-org3" and body["api"] == "http://peer0-org3" and body["expires_at"] > 0
    session = whose(world, body["token"], node="peer0-org3")
    assert session["roles"] == ["regulator"] and session["type"] == "regulator"


def test_a_session_for_an_unknown_node_is_refused_in_one_line(world, tmp_path):
    nowhere = open_session(world, tmp_path, "insurer@Org1", "--node", "peer0-org9")
    assert nowhere.exit_code == 1 and "no node named 'peer0-org9'" in nowhere.output
    outsider = open_session(world, tmp_path, "insurer@Org4", "--node", "peer0-org1", "--json")
    assert outsider.exit_code == 1 and json.loads(outsider.output)["code"] == "forbidden"


def test_the_events_stream_takes_the_token_in_its_url_and_no_other_route_does(world, tmp_path):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 1)
    token = open_session(world, tmp_path, "insurer@Org1").output.strip()
    http = world.http("peer0-org1")
    stream = http.get(f"{EVENTS}?from_block=0&follow=false&session={token}")
    assert stream.status_code == 200, stream.text
    assert '"event": "Set"' in stream.text or '"event":"Set"' in stream.text
    assert http.get(f"{EVENTS}?follow=false&session=not-a-token").json()["code"] == "bad-token"
    both = http.get(f"{EVENTS}?follow=false&session={token}", headers={"Authorization": f"Bearer {token}"})
    assert both.status_code == 400 and both.json()["code"] == "bad-request"
    elsewhere = http.get(f"/api/v1/channels/claims/blocks?session={token}")
    assert elsewhere.status_code == 401 and elsewhere.json()["code"] == "unsigned"
    reinsurance = open_session(world, tmp_path, "regulator@Org3").output.strip()
    foreign = world.http("peer0-org3").get(f"/api/v1/channels/reinsurance/events?follow=false&session={reinsurance}")
    assert foreign.status_code == 404
