"""Who may read a channel: members and their regulators read; an outsider, an unknown channel and
a channel the caller's organisation is not in all answer the same 404, on every endpoint;
unsigned, wrongly signed, stale, replayed and malformed requests are refused precisely; bodies
are bounded; X-Baochain-Min-Height waits for a lagging node, boundedly."""

from __future__ import annotations

import threading

from node.api.app import create_app
from node.api.signature import HEADER_CERTIFICATE, HEADER_MIN_HEIGHT, HEADER_SIGNATURE, HEADER_TIME
from node.tx.clock import now_ms
from tests.node.api.world import deploy_ledger, invoke, make_world, signed_proposal

CHANNEL_ROUTES = [("GET", ""), ("GET", "/blocks/0"), ("GET", "/blocks/99"), ("GET", "/blocks/0/codes"),
                  ("GET", f"/transactions/{'ab' * 32}"),
                  ("GET", "/contracts/ledger"), ("GET", "/state/00/proof"), ("POST", "/endorse"),
                  ("POST", "/query"), ("POST", "/submit")]


def _ask(world, method, path, who, node="peer0-org1", body=b"garbage"):
    if method == "GET":
        return world.get(path, who=who, node=node)
    return world.post(path, body, who=who, node=node)


def test_an_outsider_learns_nothing_not_even_whether_a_channel_exists(world):
    deploy_ledger(world)
    for method, rest in CHANNEL_ROUTES:
        answers = {ch: _ask(world, method, f"/api/v1/channels/{ch}{rest}", "insurer@Org4")
                   for ch in ("claims", "reinsurance", "no-such-channel")}
        bodies = {ch: (a.status_code, a.json()["code"], a.json()["message"].replace(repr(ch), "CH"))
                  for ch, a in answers.items()}
        assert set(bodies.values()) == {(404, "unknown-channel", bodies["claims"][2])}, (method, rest, bodies)


def test_a_member_of_one_channel_reads_nothing_of_another(world):
    # Org3 is in claims, not in reinsurance: reinsurance answers as a channel that does not exist
    deploy_ledger(world, channel="reinsurance")
    for method, rest in CHANNEL_ROUTES:
        real = _ask(world, method, f"/api/v1/channels/reinsurance{rest}", "insurer@Org3")
        made_up = _ask(world, method, f"/api/v1/channels/made-up{rest}", "insurer@Org3")
        assert real.status_code == made_up.status_code == 404, (method, rest)
        assert real.json()["message"].replace("'reinsurance'", "X") == made_up.json()["message"].replace("'made-up'",
                                                                                                       "X")
    # and nothing of reinsurance is on Org3's node at all
    assert "reinsurance" not in world.nodes["peer0-org3"].channels()
    assert world.get("/api/v1/channels/reinsurance", who="insurer@Org1", node="peer0-org3").status_code == 404


def test_members_and_their_regulators_read(world):
    for who in ("insurer@Org1", "admin@Org2", "insurer@Org3", "regulator@Org3", "peer0-org2@Org2"):
        assert world.get("/api/v1/channels/claims", who=who).status_code == 200, who


def test_unsigned_and_half_signed_requests_are_refused(world):
    answer = world.get("/api/v1/channels/claims", who=None)
    assert answer.status_code == 401 and answer.json()["code"] == "unsigned"
    headers = world.headers("insurer@Org1", "GET", "/api/v1/channels/claims")
    del headers[HEADER_SIGNATURE]
    answer = world.http("peer0-org1").get("/api/v1/channels/claims", headers=headers)
    assert answer.status_code == 401 and HEADER_SIGNATURE in answer.json()["message"]


def test_a_signature_covers_method_target_time_and_body(world):
    http = world.http("peer0-org1")
    for signed_as, sent in [(("GET", "/api/v1/channels/reinsurance"), ("GET", "/api/v1/channels/claims")),
                            (("GET", "/api/v1/channels/claims?x=1"), ("GET", "/api/v1/channels/claims")),
                            (("POST", "/api/v1/channels/claims"), ("GET", "/api/v1/channels/claims"))]:
        headers = world.headers("insurer@Org1", *signed_as)
        answer = http.request(sent[0], sent[1], headers=headers)
        assert answer.status_code == 401 and answer.json()["code"] == "bad-signature", (signed_as, sent)
    headers = world.headers("insurer@Org1", "POST", "/api/v1/channels/claims/query", b"one body")
    answer = http.post("/api/v1/channels/claims/query", content=b"another body", headers=headers)
    assert answer.json()["code"] == "bad-signature"
    headers = world.headers("insurer@Org1", "GET", "/api/v1/channels/claims")
    headers[HEADER_TIME] = str(int(headers[HEADER_TIME]) + 1)
    assert http.get("/api/v1/channels/claims", headers=headers).json()["code"] == "bad-signature"


def test_malformed_headers_name_the_header(world):
    http = world.http("peer0-org1")
    good = world.headers("insurer@Org1", "GET", "/api/v1/channels/claims")
    for header, value in [(HEADER_CERTIFICATE, "not base64!"), (HEADER_CERTIFICATE, "AAAA"),
                          (HEADER_TIME, "soon"), (HEADER_TIME, "-5"), (HEADER_TIME, "1" * 40),
                          (HEADER_SIGNATURE, "@@"), (HEADER_SIGNATURE, "A" * 400), (HEADER_CERTIFICATE, "")]:
        answer = http.get("/api/v1/channels/claims", headers={**good, header: value})
        assert answer.status_code == 400 and answer.json()["code"] == "bad-request", (header, value, answer.text)
        assert header in answer.json()["message"]


def test_a_revoked_certificate_reads_nothing(world):
    revoked = world.get("/api/v1/channels/claims", who="revoked@Org2")
    unknown = world.get("/api/v1/channels/nope", who="revoked@Org2")
    assert revoked.status_code == unknown.status_code == 404
    assert revoked.json()["message"].replace("'claims'", "X") == unknown.json()["message"].replace("'nope'", "X")


def test_expired_and_foreign_certificates_are_forbidden(world):
    expired = world.get("/api/v1/channels/claims", who="expired@Org1")
    assert expired.status_code == 403 and "expired" in expired.json()["message"]
    foreign = world.get("/api/v1/channels/claims", who="foreign@Org1")  # same org name, another suite's CA
    assert foreign.status_code == 404 and foreign.json()["code"] == "unknown-channel"


def test_a_request_outside_the_clock_skew_window_is_stale(world):
    for offset in (-6 * 60_000, 6 * 60_000):
        headers = world.headers("insurer@Org1", "GET", "/api/v1/channels/claims", time_ms=now_ms() + offset)
        answer = world.http("peer0-org1").get("/api/v1/channels/claims", headers=headers)
        assert answer.status_code == 401 and answer.json()["code"] == "stale-request"
        assert "request's time" in answer.json()["message"]


def test_a_replayed_request_is_refused_and_changes_nothing(world):
    deploy_ledger(world)
    invoke(world, "insurer@Org1", "set", "a", 1)
    body = signed_proposal(world, "insurer@Org1", "ledger", "get", "a")
    headers = world.headers("insurer@Org1", "POST", "/api/v1/channels/claims/query", body)
    headers["content-type"] = "application/octet-stream"
    http = world.http("peer0-org1")
    first = http.post("/api/v1/channels/claims/query", content=body, headers=headers)
    again = http.post("/api/v1/channels/claims/query", content=body, headers=headers)
    assert first.json() == {"result": 1}
    assert again.status_code == 409 and again.json()["code"] == "replayed"
    # another node has not seen it: a replay is per node, and reads are all it could repeat
    assert world.http("peer0-org2").post("/api/v1/channels/claims/query", content=body,
                                         headers=headers).status_code == 200


def test_the_replay_memory_is_bounded(tmp_path):
    from node.api.access import Gate, ReplayGuard

    world = make_world(tmp_path, "intl", gate=Gate(ReplayGuard(capacity=2)))
    try:
        assert world.get("/api/v1/channels/claims").status_code == 200
        assert world.get("/api/v1/channels/claims").status_code == 200
        busy = world.get("/api/v1/channels/claims")
        assert busy.status_code == 429 and busy.json()["code"] == "busy"
    finally:
        world.close()


def test_bodies_are_bounded(world):
    http = world.http("peer0-org1")
    big = b"\0" * (8 * 1024 * 1024 + 1)
    headers = world.headers("insurer@Org1", "POST", "/api/v1/channels/claims/submit", big)
    answer = http.post("/api/v1/channels/claims/submit", content=big,
                       headers={**headers, "content-type": "application/octet-stream"})
    assert answer.status_code == 413 and answer.json()["code"] == "too-large"

    def chunks():  # no Content-Length: the stream itself is cut
        for _ in range(9):
            yield b"\0" * (1024 * 1024)

    answer = http.post("/api/v1/channels/claims/submit", content=chunks(), headers=headers)
    assert answer.status_code == 413
    assert world.channel("peer0-org1").height() == 1


def test_min_height_waits_for_a_lagging_node(world):
    deploy_ledger(world)
    lagging = world.nodes["peer0-org2"]
    lagging.pause()
    invoke(world, "insurer@Org1", "set", "a", 7)
    assert world.channel("peer0-org2").height() == 2 and world.channel("peer0-org1").height() == 3
    timer = threading.Timer(0.2, lagging.resume)
    timer.start()
    answer = world.get("/api/v1/channels/claims", node="peer0-org2", **{HEADER_MIN_HEIGHT: "3"})
    timer.join()
    assert answer.status_code == 200 and answer.json()["height"] == 3


def test_min_height_gives_up_after_the_bound(tmp_path):
    world = make_world(tmp_path, "intl", min_height_wait_s=0.1)
    try:
        answer = world.get("/api/v1/channels/claims", **{HEADER_MIN_HEIGHT: "5"})
        assert answer.status_code == 503 and answer.json()["code"] == "behind"
        assert "has 1 blocks" in answer.json()["message"]
        bad = world.get("/api/v1/channels/claims", **{HEADER_MIN_HEIGHT: "many"})
        assert bad.status_code == 400 and HEADER_MIN_HEIGHT in bad.json()["message"]
    finally:
        world.close()


def test_a_fault_of_the_node_is_a_500_without_details(world, monkeypatch):
    from node.api import views

    def broken(_channel):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(views, "channel_view", broken)
    answer = world.get("/api/v1/channels/claims")
    assert answer.status_code == 500 and answer.json()["code"] == "internal"
    assert "secret" not in answer.text
    assert create_app  # the factory is what the world used
