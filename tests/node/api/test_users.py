"""Application users and sessions over HTTP (node.api.users): an admin registers and approves a
user, the user logs in and reads a channel with its bearer token, and logs out; wrong passwords,
the lock-out and an expired session are refused precisely; an admin of another organisation, a
client and an unsigned request manage no users; a regulator's session reads as the regulator, no
more; and no password, key or token appears in any log line or in any answer but the login's."""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import pytest

from node.api.deps import ChannelRequest
from node.daemon.logs import JsonLines
from node.tx.clock import now_ms
from node.users.directory import MAX_FAILURES
from node.users.sessions import SESSION_TTL_MS
from tests.node.api.world import World, deploy_ledger, make_world
from tests.node.users.org_ca import FAST, adopt_ca

PASSWORD = "correct horse battery"
CH = "/api/v1/channels"


class Clock:
    """The apps' clock, which a test may move forward."""

    def __init__(self) -> None:
        self.offset = 0

    def __call__(self) -> int:
        return now_ms() + self.offset


def with_users(world: World, tmp) -> World:
    """Org1's and Org2's nodes keep users, enrolled through CAs around the world's own roots."""
    for org in ("Org1", "Org2"):
        root, key = world.keys.roots[org]
        ca = adopt_ca(tmp / f"ca-{org}", root, key)
        world.nodes[f"peer0-{org.lower()}"].keep_users(tmp / f"users-{org}", ca, cost=FAST)
    app = world.app("peer0-org1")

    @app.get("/test/{ch}/caller", include_in_schema=False)
    async def caller(a: ChannelRequest) -> dict[str, Any]:  # what a route sees of a request: node.api.deps.Admitted
        s = a.session
        return {"caller": [a.caller.name, a.caller.org, a.caller.type, a.caller.is_regulator],
                "session": None if s is None else {"name": s.name, "org": s.org, "has_key": s.key is not None,
                                                   "expires_at": s.expires_at,
                                                   "same_certificate": s.certificate == a.caller.certificate.der}}

    return world


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def world(tmp_path, clock) -> World:
    w = with_users(make_world(tmp_path, "intl", clock=clock), tmp_path)
    yield w
    w.close()
    for node in w.nodes.values():
        if node.users is not None:
            node.users.close()


def admin_post(world, path, payload=None, who="admin@Org1", node="peer0-org1"):
    body = b"" if payload is None else json.dumps(payload).encode()
    return world.post(path, body, who=who, node=node, content_type="application/json")


def register(world, name="alice", roles=("insurer",), password=PASSWORD, **kw):
    return admin_post(world, "/api/v1/users", {"name": name, "password": password, "roles": list(roles)}, **kw)


def login(world, name="alice", password=PASSWORD, node="peer0-org1"):
    return world.http(node).post("/api/v1/sessions", json={"name": name, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ready_user(world, name="alice", **kw):
    assert register(world, name, **kw).status_code == 201
    assert admin_post(world, f"/api/v1/users/{name}/approve").status_code == 200
    answer = login(world, name)
    assert answer.status_code == 201, answer.text
    return answer.json()["token"]


def test_register_approve_login_read_with_the_token_and_logout(world):
    answer = register(world)
    assert answer.status_code == 201, answer.text
    alice = answer.json()
    assert (alice["name"], alice["org"], alice["status"], alice["roles"], alice["registered_by"], alice["certificate"]) \
        == ("alice", "Org1", "pending", ["insurer"], "admin", None)
    refused = login(world)
    assert (refused.status_code, refused.json()["code"]) == (403, "not-approved")
    approved = admin_post(world, "/api/v1/users/alice/approve")
    assert approved.status_code == 200 and approved.json()["status"] == "active" and approved.json()["certificate"]
    answer = login(world)
    assert answer.status_code == 201 and answer.headers["cache-control"] == "no-store"
    opened = answer.json()
    assert set(opened) == {"token", "expires_at"} and opened["expires_at"] > now_ms()
    http = world.http("peer0-org1")
    token = opened["token"]
    read = http.get(f"{CH}/claims", headers=bearer(token))
    assert read.status_code == 200 and read.json()["name"] == "claims"
    seen = http.get("/test/claims/caller", headers=bearer(token)).json()
    assert seen == {"caller": ["alice", "Org1", "client", False],
                    "session": {"name": "alice", "org": "Org1", "has_key": True, "expires_at": opened["expires_at"],
                                "same_certificate": True}}
    assert http.get("/api/v1/node", headers=bearer(token)).json()["channels"] == ["claims", "reinsurance"]
    assert http.get("/api/v1/sessions", headers=bearer(token)).json() == {
        "name": "alice", "org": "Org1", "kind": "user", "expires_at": opened["expires_at"], "type": "client",
        "roles": ["insurer"]}
    listed = world.get("/api/v1/users", who="admin@Org1").json()["users"]
    assert [(u["name"], u["status"], u["sessions"]) for u in listed] == [("alice", "active", 1)]
    assert http.delete("/api/v1/sessions", headers=bearer(token)).status_code == 204
    after = http.get(f"{CH}/claims", headers=bearer(token))
    assert (after.status_code, after.json()["code"]) == (401, "bad-token")
    # signed requests work as before, and a request may not carry both
    assert world.get(f"{CH}/claims", who="insurer@Org1").status_code == 200
    both = http.get(f"{CH}/claims", headers={**world.headers("insurer@Org1", "GET", f"{CH}/claims"),
                                            **bearer(ready_user(world, "bob"))})
    assert both.status_code == 400 and "not both" in both.json()["message"]


def test_the_session_holds_the_users_key(world):
    token = ready_user(world)
    node = world.nodes["peer0-org1"]
    session = node.sessions.find(token, now_ms())
    suite = world.suite
    from node.identity import Certificate

    cert = Certificate.load(session.certificate)
    assert suite.verify(cert.public_key, b"message", suite.sign(session.key, b"message"))
    assert cert.issuer.org == "Org1" and cert.signed_by(world.keys.roots["Org1"][0])


def test_a_wrong_password_then_the_lock_out_and_an_admins_unlock(world, clock):
    ready_user(world)
    for _ in range(MAX_FAILURES - 1):
        wrong = login(world, password="wrong horse battery")
        assert (wrong.status_code, wrong.json()) == (401, {"code": "bad-credentials", "message": "wrong name or password"})
    assert login(world, "nobody").json() == wrong.json()  # an unknown name answers the same
    locked = login(world, password="wrong horse battery")
    assert locked.status_code == 429 and locked.json()["code"] == "locked"
    assert login(world).status_code == 429  # the right password waits too
    shown = world.get("/api/v1/users/alice", who="admin@Org1").json()
    assert shown["locked_until"] is not None and shown["locked_until"] > clock()
    assert admin_post(world, "/api/v1/users/alice/unlock").json()["locked_until"] is None
    assert login(world).status_code == 201


def test_an_expired_session_is_refused(world, clock):
    token = ready_user(world)
    assert world.http("peer0-org1").get(f"{CH}/claims", headers=bearer(token)).status_code == 200
    clock.offset = SESSION_TTL_MS + 1
    answer = world.http("peer0-org1").get(f"{CH}/claims", headers=bearer(token))
    assert (answer.status_code, answer.json()["code"]) == (401, "session-expired")
    for garbage in ("Bearer", "Basic dXNlcg==", "Bearer " + "x" * 300):
        answer = world.http("peer0-org1").get(f"{CH}/claims", headers={"Authorization": garbage})
        assert (answer.status_code, answer.json()["code"]) == (401, "bad-token"), garbage


def test_only_the_organisations_admins_manage_its_users(world):
    foreign = register(world, who="admin@Org2")  # Org2's admin, at Org1's node
    assert (foreign.status_code, foreign.json()["code"]) == (403, "forbidden")
    assert "managed by its admins only" in foreign.json()["message"]
    assert register(world, who="insurer@Org1").json()["code"] == "forbidden"  # a client of Org1
    assert register(world, who=None).status_code == 401
    assert world.get("/api/v1/users", who="admin@Org2").status_code == 403
    # Org2's admin registers Org2's users, at Org2's node
    assert register(world, "bob", who="admin@Org2", node="peer0-org2").json()["org"] == "Org2"
    # an admin's certificate session manages users as its signatures do
    signed = world.headers("admin@Org1", "POST", "/api/v1/sessions")
    token = world.http("peer0-org1").post("/api/v1/sessions", headers=signed).json()["token"]
    answer = world.http("peer0-org1").post("/api/v1/users", headers=bearer(token), json={
        "name": "carol", "password": PASSWORD, "roles": ["insurer"]})
    assert answer.status_code == 201 and answer.json()["registered_by"] == "admin"
    # ... but a user's session is no admin's
    user = ready_user(world, "dave")
    answer = world.http("peer0-org1").post("/api/v1/users/carol/approve", headers=bearer(user))
    assert answer.status_code == 403
    # the request is checked as any: replayed, it is refused
    again = world.http("peer0-org1").post("/api/v1/sessions", headers=signed)
    assert again.status_code == 409 and again.json()["code"] == "replayed"


def test_a_users_session_invokes_and_a_regulators_only_reads(world):
    deploy_ledger(world)
    http = world.http("peer0-org1")
    token = ready_user(world)
    done = http.post(f"{CH}/claims/contracts/ledger/invoke/set", headers=bearer(token), json={"args": ["k", 7]})
    assert done.status_code == 200 and done.json()["code"] == "VALID", done.text
    block = world.get(f"{CH}/claims/blocks/{done.json()['block']}").json()
    assert block["transactions"][0]["creator"] == {"org": "Org1", "name": "alice", "role": "insurer"}
    signed = world.headers("regulator@Org3", "POST", "/api/v1/sessions")
    regulator = http.post("/api/v1/sessions", headers=signed).json()["token"]
    read = http.get(f"{CH}/claims/blocks/{done.json()['block']}", headers=bearer(regulator))
    assert read.status_code == 200 and read.json()["transactions"][0]["entry"] == "set"
    refused = http.post(f"{CH}/claims/contracts/ledger/invoke/set", headers=bearer(regulator), json={"args": ["k", 8]})
    assert (refused.status_code, refused.json()["code"]) == (403, "read-only")


def test_a_regulators_session_reads_as_the_regulator(world):
    http = world.http("peer0-org1")
    signed = world.headers("regulator@Org3", "POST", "/api/v1/sessions")
    answer = http.post("/api/v1/sessions", headers=signed)
    assert answer.status_code == 201, answer.text
    token = answer.json()["token"]
    assert http.get(f"{CH}/claims", headers=bearer(token)).status_code == 200
    seen = http.get("/test/claims/caller", headers=bearer(token)).json()
    assert seen["caller"] == ["regulator", "Org3", "regulator", True]
    assert seen["session"]["has_key"] is False and seen["session"]["same_certificate"] is True
    assert http.get(f"{CH}/reinsurance", headers=bearer(token)).status_code == 404  # Org3 is no member there
    assert http.get("/api/v1/sessions", headers=bearer(token)).json()["kind"] == "certificate"
    assert http.post("/api/v1/users", headers=bearer(token), json={"name": "x", "password": PASSWORD}).status_code \
        == 403
    # an outsider gets no session at all
    outsider = http.post("/api/v1/sessions", headers=world.headers("insurer@Org4", "POST", "/api/v1/sessions"))
    assert (outsider.status_code, outsider.json()["code"]) == (403, "forbidden")


def test_disabled_users_lose_their_sessions_and_logins(world):
    token = ready_user(world)
    disabled = admin_post(world, "/api/v1/users/alice/disable")
    assert disabled.json()["status"] == "disabled" and disabled.json()["disabled_by"] == "admin"
    assert world.http("peer0-org1").get(f"{CH}/claims", headers=bearer(token)).json()["code"] == "bad-token"
    assert login(world).json()["code"] == "disabled"
    assert admin_post(world, "/api/v1/users/alice/enable").json()["status"] == "active"
    assert login(world).status_code == 201


def test_requests_name_the_field_they_get_wrong(world):
    http = world.http("peer0-org1")
    cases = [({"name": "alice"}, "password: missing"), ({"name": "a", "password": PASSWORD, "pasword": 1}, "pasword"),
             ([1, 2], "JSON object")]
    for body, words in cases:
        answer = http.post("/api/v1/sessions", json=body)
        assert answer.status_code == 400 and words in answer.json()["message"], (body, answer.text)
    assert http.post("/api/v1/sessions", content=b"{", headers={"content-type": "application/json"}).status_code == 400
    assert http.post("/api/v1/sessions", content=b"{}", headers={"content-type": "application/xml"}).status_code == 415
    assert http.post("/api/v1/sessions", content=b"[" * 50_000, headers={"content-type": "application/json"}
                     ).status_code == 400
    # curl -d's default form type is read as JSON, so that a login needs no -H
    curl = http.post("/api/v1/sessions", content=json.dumps({"name": "nobody", "password": PASSWORD}),
                     headers={"content-type": "application/x-www-form-urlencoded"})
    assert curl.json()["code"] == "bad-credentials"
    answer = register(world, "bad/name")
    assert answer.status_code == 400 and answer.json()["message"].startswith("name")
    answer = register(world, password="short")
    assert answer.status_code == 400 and answer.json()["message"].startswith("password")
    answer = register(world, roles=("hospital",))
    assert answer.status_code == 403 and "roles" in answer.json()["message"]
    assert admin_post(world, "/api/v1/users/nobody/approve").json()["code"] == "unknown-user"
    register(world)
    assert register(world).json()["code"] == "exists"
    assert world.http("peer0-org1").delete("/api/v1/sessions").status_code == 401


def test_a_user_changes_its_password(world):
    ready_user(world)
    http = world.http("peer0-org1")
    answer = http.post("/api/v1/users/alice/password", json={"password": PASSWORD, "new_password": "another one!"})
    assert answer.status_code == 204, answer.text
    assert login(world).status_code == 401
    assert login(world, password="another one!").status_code == 201


def test_the_users_routes_are_described(world):
    spec = world.http("peer0-org1").get("/openapi.json").json()
    for path in ("/api/v1/sessions", "/api/v1/users", "/api/v1/users/{name}/approve", "/api/v1/users/{name}/unlock"):
        assert path in spec["paths"], path
    assert "requestBody" in spec["paths"]["/api/v1/sessions"]["post"]


@pytest.mark.parametrize("suite", ["gm"])
def test_the_flow_in_the_gm_suite(tmp_path, suite):
    w = with_users(make_world(tmp_path, suite), tmp_path)
    try:
        token = ready_user(w)
        assert w.http("peer0-org1").get(f"{CH}/claims", headers=bearer(token)).status_code == 200
        record = w.nodes["peer0-org1"].users.get("alice")
        assert record.sealed.cipher == "sm4-gcm"
    finally:
        w.close()
        w.nodes["peer0-org1"].users.close()


def test_no_password_key_or_token_in_any_log_line_or_answer_but_the_logins(world, caplog):
    """The whole flow, with every log record of every logger formatted as the node writes it."""
    answers: list[tuple[str, str]] = []
    http = world.http("peer0-org1")

    def keep(what: str, answer):
        answers.append((what, answer.text))
        return answer

    with caplog.at_level(logging.DEBUG):
        keep("register", register(world))
        keep("approve", admin_post(world, "/api/v1/users/alice/approve"))
        keep("wrong", login(world, password="wrong horse battery"))
        opened = keep("login", login(world))
        token = opened.json()["token"]
        keep("read", http.get(f"{CH}/claims", headers=bearer(token)))
        keep("list", world.get("/api/v1/users", who="admin@Org1"))
        keep("session", http.get("/api/v1/sessions", headers=bearer(token)))
        keep("password", http.post("/api/v1/users/alice/password", json={"password": PASSWORD,
                                                                          "new_password": "another one!"}))
        key = world.nodes["peer0-org1"].sessions.find(token, now_ms()).key
        keep("logout", http.delete("/api/v1/sessions", headers=bearer(token)))
        keep("gone", http.get(f"{CH}/claims", headers=bearer(token)))
        keep("misfiled", http.post("/api/v1/sessions", json={"name": "alice", "pass": PASSWORD}))
        keep("typed in the name field", login(world, name=PASSWORD, password="wrong horse battery"))
    der = world.suite.private_key_to_der(key)
    pem = world.suite.private_key_to_pem(key).decode()
    pem_body = "".join(pem.splitlines()[1:-1])
    secrets = {"password": PASSWORD, "new password": "another one!", "token": token,
               "key (base64)": base64.b64encode(der).decode(), "key (hex)": der.hex(), "key (PEM)": pem_body[:40]}
    formatter = JsonLines("peer0-org1")
    lines = [formatter.format(r) for r in caplog.records]
    assert any("user registered" in line for line in lines) and any("session opened" in line for line in lines)
    for what, secret in secrets.items():
        assert not [line for line in lines if secret in line], f"the {what} is logged"
        shown = [w for w, text in answers if secret in text]
        assert shown == (["login"] if what == "token" else []), f"the {what} is in the answers to {shown}"
    store = world.nodes["peer0-org1"].users.store.folder
    for path in store.iterdir():
        text = path.read_text()
        assert PASSWORD not in text and secrets["key (base64)"] not in text and token not in text


def test_the_cli_asks_for_the_password_and_prints_one_line_per_user_or_refusal(world, tmp_path):
    from click.testing import CliRunner

    from node.cli import cli
    from tests.node.client.conftest import connector

    folder = world.write_network_folder(tmp_path / "net")
    obj = {"connect": connector(world, set())}

    def run(*args: str, input: str | None = None):
        return CliRunner().invoke(cli, ["user", *args, "--network", str(folder)], obj=obj, input=input)

    typed = run("register", "alice", "--as", "admin@Org1", "--role", "insurer", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert typed.exit_code == 0, typed.output
    assert "registered alice on peer0-org1; it waits for an admin's approval" in typed.output
    assert "alice (Org1): pending; insurer; registered by admin" in typed.output
    assert PASSWORD not in typed.output
    approved = run("approve", "alice", "--as", "admin@Org1")
    assert approved.exit_code == 0 and approved.output.startswith("alice (Org1): active; insurer; certificate ")
    assert login(world).status_code == 201
    listed = run("list", "--as", "admin@Org1")
    assert listed.exit_code == 0 and listed.output.count("\n") == 1 and "1 sessions" in listed.output
    foreign = run("approve", "alice", "--as", "admin@Org2", "--node", "peer0-org1")
    assert foreign.exit_code == 1 and foreign.output.startswith("refused (forbidden): the users of Org1 are managed")
    unknown = run("unlock", "bob", "--as", "admin@Org1", "--json")
    assert unknown.exit_code == 1 and json.loads(unknown.output)["code"] == "unknown-user"
    nowhere = run("list", "--as", "admin@Org1", "--node", "peer0-org9")
    assert nowhere.exit_code == 1 and "no node named 'peer0-org9'" in nowhere.output
