"""The user store: one private file per user, named by the hash of its name, read back whole; a
damaged file is left out (and logged with its path) without stopping the rest."""

from __future__ import annotations

import json
import logging
import stat

from node.crypto import get_suite
from node.users.keys import seal
from node.users.records import ACTIVE, PENDING, UserRecord
from node.users.store import UserStore, file_name
from tests.node.users.org_ca import FAST

SUITE = get_suite("intl")


def _record(name: str = "alice", **changes) -> UserRecord:
    sealed = seal(SUITE, SUITE.generate_key(), b"correct horse", org="Org1", name=name, cost=FAST)
    record = UserRecord(name, "Org1", "client", ("insurer",), PENDING, "admin", 1_700_000_000_000, sealed,
                        request=b"\x30\x00", enrollment_secret="one-time secret")
    return record.with_(**changes)


def test_a_record_is_written_privately_and_read_back_whole(tmp_path):
    store = UserStore(tmp_path / "users")
    names = ["alice", "李雷", "Ruijin Hospital", "a.b-c_d"]
    for name in names:
        store.put(_record(name))
    store.put(_record("alice", status=ACTIVE, certificate=b"der", request=None, enrollment_secret=None, failures=2))
    again = UserStore(tmp_path / "users")
    assert [r.name for r in again.all()] == sorted(names)
    assert again.get("alice") == store.get("alice") and again.get("alice").status == ACTIVE
    assert again.get("alice").enrollment_secret is None and again.get("alice").failures == 2
    files = sorted(p.name for p in (tmp_path / "users").iterdir())
    assert files == sorted(file_name(n) for n in names)  # one per user, no temporary file left
    for path in (tmp_path / "users").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "correct horse" not in path.read_text("utf-8")


def test_a_damaged_file_is_left_out_and_named_in_the_log(tmp_path, caplog):
    store = UserStore(tmp_path / "users")
    store.put(_record("alice"))
    store.put(_record("bob"))
    (tmp_path / "users" / file_name("bob")).write_text("{not json")
    moved = json.loads((tmp_path / "users" / file_name("alice")).read_text())
    (tmp_path / "users" / file_name("carol")).write_text(json.dumps(moved))  # alice's record in carol's file
    with caplog.at_level(logging.ERROR, logger="baochain.users"):
        again = UserStore(tmp_path / "users")
    assert [r.name for r in again.all()] == ["alice"]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert file_name("bob") in logged and file_name("carol") in logged and "another user" in logged
