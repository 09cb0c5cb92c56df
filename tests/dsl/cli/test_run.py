"""`baochain run` given careless input: undecodable sources, unknown names, huge numbers, and
ledger folders that are damaged, impossible or shared by two runs at once."""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from node.cli import cli
from tests.dsl.conftest import COUNTER, invoke



@pytest.fixture
def counter(tmp_path: Path) -> Path:
    path = tmp_path / "counter.bao"
    path.write_text(COUNTER, encoding="utf-8")
    return path


def add(counter: Path, state: Path, amount: str = "1.00 CNY"):
    return invoke("run", counter, "add", amount, "--as", "insurer:PICC", "--state", state)


def test_an_undecodable_contract_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "latin.bao"
    path.write_bytes("contract Caf\xe9\n".encode("latin-1"))
    result = invoke("run", path, "add", "--as", "insurer:PICC")
    assert result.exit_code == 1 and "latin.bao:1:13: error[B0101]: file is not UTF-8" in result.output


def test_an_unknown_name_is_a_usage_error_that_lists_the_names(counter: Path) -> None:
    result = invoke("run", counter, "ad", "1.00 CNY", "--as", "insurer:PICC")
    assert result.exit_code == 2
    assert "Counter has no action or view named 'ad'; it has: add, average" in result.output


def test_a_number_too_long_to_read_is_a_usage_error(counter: Path) -> None:
    result = invoke("run", counter, "add", "9" * 5000, "--as", "insurer:PICC")
    assert result.exit_code == 2 and "argument 1: a number of 5000 characters is too large" in result.output


@pytest.mark.parametrize("record", ["garbage", "[1]", '{"module": 7}', ""])
def test_a_damaged_deployment_record_is_reported(counter: Path, tmp_path: Path, record: str) -> None:
    state = tmp_path / "ledger"
    assert add(counter, state).exit_code == 0
    (state / "deployment.json").write_text(record, encoding="utf-8")
    result = add(counter, state)
    assert result.exit_code == 1 and "not a deployment record" in result.output


def test_state_without_its_deployment_record_is_not_deployed_again(counter: Path, tmp_path: Path) -> None:
    # What a run interrupted between saving the state and recording the deployment leaves behind.
    state = tmp_path / "ledger"
    assert add(counter, state, "5.00 CNY").exit_code == 0
    (state / "deployment.json").unlink()
    result = add(counter, state)
    assert result.exit_code == 1 and "the ledger has state but no deployment.json" in result.output


def test_a_state_folder_that_cannot_be_made_is_a_usage_error(counter: Path, tmp_path: Path) -> None:
    (tmp_path / "plain").write_text("x", encoding="utf-8")
    result = add(counter, tmp_path / "plain" / "ledger")
    assert result.exit_code == 2 and "cannot create" in result.output and "'--state'" in result.output


def _blocked_on_a_lock(proc: subprocess.Popen, timeout: float = 60.0) -> bool:
    """Whether `proc` comes to wait for a lock (a `->` waiter line in /proc/locks) rather than
    finishing while the test holds it."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for line in Path("/proc/locks").read_text().splitlines():
            fields = line.split()
            if len(fields) > 5 and fields[1] == "->" and fields[5] == str(proc.pid):
                return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux's /proc/locks")
def test_two_runs_on_one_ledger_take_turns(counter: Path, tmp_path: Path) -> None:
    state = tmp_path / "ledger"
    assert add(counter, state).exit_code == 0
    with open(state / ".lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        proc = subprocess.Popen(
            [sys.executable, "-c", "from node.cli import main; main()", "run", str(counter), "add", "2.00 CNY",
             "--as", "insurer:PICC", "--state", str(state)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        waiting = _blocked_on_a_lock(proc)
        fcntl.flock(held, fcntl.LOCK_UN)
    out, err = proc.communicate(timeout=120)
    assert waiting, out + err
    assert proc.returncode == 0 and json.loads(out)["result"] == "3.00 CNY", out + err


TREES = """contract Trees
parties insurer

record Node:
    kids: List[Node]

action put(n: Node) -> Int by insurer:
    return len(n.kids)
"""


@pytest.mark.parametrize("levels", [34, 250, 20_000, 100_000])
@pytest.mark.parametrize("shape", ["[", '{"kids": ['])
def test_an_argument_nested_too_deeply_is_a_usage_error(tmp_path: Path, levels: int, shape: str) -> None:
    trees = tmp_path / "trees.bao"
    trees.write_text(TREES, encoding="utf-8")
    closing = "".join({"[": "]", "{": "}"}[c] for c in reversed(shape) if c in "[{")
    result = invoke("run", trees, "put", shape * levels + closing * levels, "--as", "insurer:PICC")
    depth = levels * shape.count("[") + levels * shape.count("{")
    assert result.exit_code == 2, result.output
    assert (f"argument 1: arrays or objects nested too deeply ({depth} levels; values nest at most 32 deep"
            in " ".join(result.output.split()))


def test_an_argument_nested_within_json_but_past_the_values_is_refused_naming_the_path(tmp_path: Path) -> None:
    trees = tmp_path / "trees.bao"
    trees.write_text(TREES, encoding="utf-8")
    # 17 Nodes: 34 levels of values, 34 of JSON (the limit for JSON is 33: a Party is an object)
    result = invoke("run", trees, "put", '{"kids": [' * 16 + '{"kids": []}' + "]}" * 16, "--as", "insurer:PICC")
    assert result.exit_code == 2
    result = invoke("run", trees, "put", '{"kids": [' * 15 + '{"kids": [[]]}' + "]}" * 15, "--as", "insurer:PICC")
    assert result.exit_code == 1
    assert "error: argument n" + ".kids[0]" * 16 + ": values nest at most 32 deep" in result.output
    result = invoke("run", trees, "put", '{"kids": [' * 15 + '{"kids": []}' + "]}" * 15, "--as", "insurer:PICC")
    assert result.exit_code == 0 and json.loads(result.output)["result"] == 1


def test_a_long_argument_is_refused_naming_the_limit(counter: Path) -> None:
    result = invoke("run", counter, "add", json.dumps("1" * 20_000 + ".00 CNY"), "--as", "insurer:PICC")
    assert result.exit_code == 1 and "argument amount: a text of 20007 characters is longer than 16384" in result.output


def test_a_state_folder_holding_other_files_is_refused(counter: Path, tmp_path: Path) -> None:
    result = add(counter, tmp_path)  # the project folder itself: it holds counter.bao
    assert result.exit_code == 2 and "holds other files and no ledger" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter.bao"]
    (tmp_path / "empty").mkdir()
    assert add(counter, tmp_path / "empty").exit_code == 0
    assert add(counter, tmp_path / "empty").exit_code == 0  # and a ledger folder is reused


def test_a_ledger_folder_left_by_an_aborted_first_run_is_reused(counter: Path, tmp_path: Path) -> None:
    state = tmp_path / "ledger"
    assert add(counter, state, "0.00 CNY").exit_code == 1  # aborts: nothing saved, only the lock file
    assert add(counter, state).exit_code == 0


def test_run_takes_a_built_module_and_refuses_a_damaged_one(counter: Path, tmp_path: Path) -> None:
    assert invoke("build", counter).exit_code == 0
    built = counter.with_suffix(".baom")
    result = invoke("run", built, "add", "2.00 CNY", "--as", "insurer:PICC")
    assert result.exit_code == 0 and json.loads(result.output)["result"] == "2.00 CNY"
    built.write_bytes(b"\x00garbage")
    result = invoke("run", built, "add", "2.00 CNY", "--as", "insurer:PICC")
    assert result.exit_code == 1 and "counter.baom: not a valid module" in result.output
