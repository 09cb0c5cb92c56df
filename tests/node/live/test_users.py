"""Application users on real node processes, through the CLI: an admin registers and approves a user
(the node enrolls it through its organisation's CA, `[ca]` in node.toml), the user logs in over
HTTPS, invokes a contract in one request and reads with its bearer token, and logs out; wrong
passwords lock it out until the admin unlocks it; another organisation's admin is refused;
disabling ends its session; and the node's log holds no password and no token."""

from __future__ import annotations

import json

from node.client.gateway import Gateway
from node.users.client import login, logout
from tests.node.live.conftest import CONTRACTS

POLICY = {"holder": "Li Lei", "sum_insured": "10000.00 CNY", "deductible": "500.00 CNY", "copay": "20%",
          "start": "2024-01-01", "end": "2099-12-31", "status": "Active"}


def test_users_through_the_cli_on_a_running_network(live, tmp_path):
    net = live(orgs=2)
    folder = str(net.folder)
    password, wrong = "correct horse battery", "wrong horse battery"
    (tmp_path / "password").write_text(password + "\n")

    def user(*args: str) -> tuple[int, dict]:
        code, out = net.cli("user", *args, "--network", folder, "--json")
        return code, json.loads(out)

    code, alice = user("register", "alice", "--as", "admin@Org1", "--role", "insurer", "--password-file",
                       str(tmp_path / "password"))
    assert code == 0 and (alice["status"], alice["roles"], alice["registered_by"]) == ("pending", ["insurer"], "admin")
    code, refused = user("register", "eve", "--as", "admin@Org2", "--node", "peer0-org1", "--password-file",
                         str(tmp_path / "password"))
    assert code == 1 and refused["code"] == "forbidden", refused
    code, alice = user("approve", "alice", "--as", "admin@Org1")
    assert code == 0 and alice["status"] == "active" and alice["certificate"]["serial"], alice
    code, out = net.cli("contract", "deploy", str(CONTRACTS / "health.bao"), "--network", folder, "--channel", "main",
                        "--as", "admin@Org1")
    assert code == 0, out

    with Gateway.for_network(net.folder, "admin@Org1") as gateway:
        node = next(n for n in gateway.nodes if n.name == "peer0-org1")
        http = gateway.link(node).http  # HTTPS, trusting Org1's transport root
        session = login(http, "alice", password)
        bearer = {"Authorization": f"Bearer {session['token']}"}
        assert http.get("/api/v1/channels/main", headers=bearer).status_code == 200
        assert http.get("/api/v1/node", headers=bearer).json()["channels"] == ["main"]
        # one request invokes as alice: the node signs with alice's key and gathers Org2's endorsement
        done = http.post("/api/v1/channels/main/contracts/health/invoke/issue", headers=bearer, timeout=60,
                         json={"args": ["P1", POLICY]})
        assert done.status_code == 200 and done.json()["code"] == "VALID", done.text
        block = http.get(f"/api/v1/channels/main/blocks/{done.json()['block']}", headers=bearer).json()
        assert block["transactions"][0]["creator"] == {"org": "Org1", "name": "alice", "role": "insurer"}
        code, listed = user("list", "--as", "admin@Org1")
        assert [(u["name"], u["status"], u["sessions"]) for u in listed["users"]] == [("alice", "active", 1)]
        logout(http, session["token"])
        assert http.get("/api/v1/channels/main", headers=bearer).json()["code"] == "bad-token"

        answers = [http.post("/api/v1/sessions", json={"name": "alice", "password": wrong}) for _ in range(5)]
        assert [a.status_code for a in answers] == [401, 401, 401, 401, 429]
        assert http.post("/api/v1/sessions", json={"name": "alice", "password": password}).status_code == 429
        code, alice = user("unlock", "alice", "--as", "admin@Org1")
        assert code == 0 and alice["locked_until"] is None
        session = login(http, "alice", password)

        code, alice = user("disable", "alice", "--as", "admin@Org1")
        assert code == 0 and alice["status"] == "disabled"
        gone = http.get("/api/v1/channels/main", headers={"Authorization": f"Bearer {session['token']}"})
        assert gone.status_code == 401
        assert http.post("/api/v1/sessions", json={"name": "alice", "password": password}).json()["code"] == \
            "disabled"

    code, out = net.cli("user", "list", "--network", folder, "--as", "admin@Org1")
    assert code == 0 and out.startswith("alice (Org1): disabled; insurer; certificate"), out
    log = (net.folder / "nodes" / "peer0-org1" / "node.log").read_text()
    assert "user registered" in log and "session opened" in log and "user locked out" in log
    assert password not in log and wrong not in log and session["token"] not in log
