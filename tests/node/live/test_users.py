"""Application users on real node processes, through the CLI: an admin registers and approves a user
(the node enrolls it through its organisation's CA, `[ca]` in node.toml), the user logs in over
HTTPS, reads a channel with its bearer token and logs out; wrong passwords lock it out until the
admin unlocks it; another organisation's admin is refused; disabling ends its session; and the
node's log holds no password and no token."""

from __future__ import annotations

import json

from node.client.gateway import Gateway
from node.users.client import login, logout


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

    with Gateway.for_network(net.folder, "admin@Org1") as gateway:
        node = next(n for n in gateway.nodes if n.name == "peer0-org1")
        http = gateway.link(node).http  # HTTPS, trusting Org1's transport root
        session = login(http, "alice", password)
        bearer = {"Authorization": f"Bearer {session['token']}"}
        assert http.get("/api/v1/channels/main", headers=bearer).status_code == 200
        assert http.get("/api/v1/node", headers=bearer).json()["channels"] == ["main"]
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
