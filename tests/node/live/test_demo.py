"""`baochain demo` as a user runs it: a process of its own (`python -m node demo`) that makes and
starts four node processes, plays the story and shuts down; interrupted with SIGINT while its
network is up; and kept running with ``--keep --dir`` for the commands it prints. Every node pid
the demo printed is checked gone at the end, and stopped by its pid if it is not.

The story itself is checked first on a local ledger (no network, a fraction of a second): it
plays to the end only if contracts/health.bao answers every step as node/demo/story.py expects,
so a change of the contract that the story no longer fits fails here, naming the step.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import re
import shlex
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from dsl.pipeline import Compilation
from dsl.semantics import ModuleLoader
from node.cli import cli
from node.demo import story
from node.network.spec import parse_spec
from tests.node.live.conftest import CONTRACTS, wait_for
from vm.errors import Abort
from vm.runtime import CallContext, MemoryHost
from vm.runtime import Machine
from vm.values.party import Party
from vm.values import to_json
from vm.verify import verify

DEMO_TIMEOUT_S = 120  # a whole run takes seconds; this bounds a hung one
ZONE = timezone(timedelta(minutes=480))  # the channel's default zone, as the nodes take `today`


# --- the story on a local ledger

class LocalLedger:
    """`story.Ledger` on the VM with an in-memory state: each actor ROLE@ORG calls as the party
    (ORG, ROLE, ROLE), as a wallet identity of `network init` does, at ``now_ms``."""

    def __init__(self, now_ms: int) -> None:
        source = CONTRACTS / "health.bao"
        self.machine = Machine(verify(Compilation.from_file(source, ModuleLoader((CONTRACTS,))).verified.encoded))
        self.host = MemoryHost()
        self.now_ms = now_ms
        self.count = itertools.count()
        self.host.apply(self.machine.deploy_defaults(self.context(story.actor(story.INSURER)), self.host,
                                                    10_000_000).writes)

    def context(self, actor: str) -> CallContext:
        role, _, org = actor.partition("@")
        return CallContext(Party(org, role, role), self.now_ms, hashlib.sha256(b"%d" % next(self.count)).digest())

    def call(self, actor: str, entry: str, args: Sequence[Any]) -> tuple[Any, Any]:
        result = self.machine.call_json(entry, list(args), self.context(actor), self.host, 10_000_000)
        returns = self.machine.entry(entry).returns
        return result, None if returns is None else to_json(returns, result.value, self.machine.types)

    def act(self, actor: str, entry: str, args: Sequence[Any], *, record_refusal: bool) -> story.Outcome:
        try:
            result, value = self.call(actor, entry, args)
        except Abort as exc:
            return story.Outcome(refusal=exc.message)
        self.host.apply(result.writes)
        return story.Outcome(result=value, events=tuple(self.machine.event_json(e) for e in result.events))

    def read(self, actor: str, entry: str, args: Sequence[Any]) -> Any:
        return self.call(actor, entry, args)[1]


@pytest.mark.parametrize("today", [datetime.now(ZONE).date(), date(2024, 1, 1), date(2024, 2, 29),
                                   date(2025, 12, 31)], ids=lambda d: str(d))
def test_the_story_fits_the_contract_on_a_local_ledger(today: date):
    now_ms = int(datetime(today.year, today.month, today.day, 10, tzinfo=ZONE).timestamp() * 1000)
    told: list[str] = []
    results = story.play(LocalLedger(now_ms), today, lambda n, c, step, outcome: told.append(step.tell(outcome)))
    assert len(told) == len(story.steps(today)) == 8
    assert results["duplicate bill"].refusal == f"bill {story.SECOND_BILL} was already adjudicated"
    statement = results["statement"].result
    assert statement["period"] == today.year * 100 + today.month
    assert (statement["claims_paid"], statement["owed"]) == ("8000.00 CNY", {story.CO_INSURER: "3200.00 CNY"})
    outcome = "\n".join(story.outcome_lines(results))
    assert "11,500.00 CNY billed" in outcome and "CPIC owes PICC 3,200.00 CNY" in outcome, outcome


def test_a_story_that_no_longer_fits_names_the_step():
    class Stingy(LocalLedger):
        def act(self, actor: str, entry: str, args: Sequence[Any], *, record_refusal: bool) -> story.Outcome:
            if entry == "share_risk":
                return story.Outcome(refusal="shares are not allowed")
            return super().act(actor, entry, args, record_refusal=record_refusal)

    with pytest.raises(story.StoryMismatch, match=r"step 3 \(share: insurer@PICC calls share_risk\): the "
                                                  r"contract refused it: shares are not allowed"):
        story.play(Stingy(int(time.time() * 1000)), datetime.now(ZONE).date(), lambda *a: None)


@pytest.mark.parametrize("suite", ["gm", "intl"])
def test_the_demo_spec_takes_the_default_consensus(suite: str):
    text = story.spec_text(suite)
    assert "consensus" not in text
    spec = parse_spec(text, "demo")
    assert [(o.name, o.roles) for o in spec.orgs] == [(org, (role,)) for org, role in story.CAST]
    assert spec.channels[0].regulators == (story.REGULATOR,) and spec.suite == suite


# --- the command, as a process

class DemoRun:
    """`python -m node demo ARGS` in ``cwd``, its output read line by line as it comes."""

    def __init__(self, cwd: Path, *args: str) -> None:
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen([sys.executable, "-m", "node", "demo", *args], cwd=cwd, env=env, text=True,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.out: list[str] = []
        self.err: list[str] = []
        self.readers = [threading.Thread(target=self._read, args=(self.process.stdout, self.out), daemon=True),
                        threading.Thread(target=self._read, args=(self.process.stderr, self.err), daemon=True)]
        for reader in self.readers:
            reader.start()

    @staticmethod
    def _read(stream: Any, into: list[str]) -> None:
        for line in stream:
            into.append(line.rstrip("\n"))

    @property
    def stdout(self) -> str:
        return "\n".join(self.out)

    @property
    def stderr(self) -> str:
        return "\n".join(self.err)

    def wait_line(self, pattern: str, timeout_s: float, what: str) -> None:
        wait_for(lambda: any(re.search(pattern, line) for line in self.out) or self.process.poll() is not None,
                 timeout_s, what)
        assert any(re.search(pattern, line) for line in self.out), \
            f"the demo exited ({self.process.returncode}) before {what}:\n{self.stdout}\n{self.stderr}"

    def finish(self, timeout_s: float) -> int:
        try:
            code = self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"waited {timeout_s} s for the demo to exit; its output:\n{self.stdout}\n"
                                 f"{self.stderr}") from None
        for reader in self.readers:
            reader.join(10)
        return code

    def folder(self) -> Path:
        found = re.search(r"^  folder (\S+) \(", self.stdout, re.MULTILINE)
        assert found, self.stdout
        return Path(found[1])

    def node_pids(self) -> dict[str, int]:
        """The node processes the demo said it started: name -> pid."""
        return {m[1]: int(m[2]) for m in re.finditer(r"^  started (\S+): pid (\d+),", self.stdout, re.MULTILINE)}

    def stop(self) -> None:
        """Whatever is left of this run, stopped by pid: the demo, then the node processes it printed."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        for pid in self.node_pids().values():
            if node_runs(pid):
                os.kill(pid, signal.SIGKILL)


def node_runs(pid: int) -> bool:
    """Whether ``pid`` is a live node process (not a zombie, and running `node start`)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z" and b"node.toml" in cmdline


def assert_nodes_gone(run: DemoRun) -> None:
    pids = run.node_pids()
    assert len(pids) == len(story.CAST), run.stdout
    wait_for(lambda: not any(node_runs(pid) for pid in pids.values()), 10,
             f"the demo's node processes {sorted(pids.values())} to be gone")


def test_the_demo_plays_the_story_reports_each_height_and_stops_every_node(tmp_path: Path):
    run = DemoRun(tmp_path)
    try:
        code = run.finish(DEMO_TIMEOUT_S)
        assert code == 0, f"{run.stdout}\n{run.stderr}"
        out = run.stdout
        assert "Traceback" not in run.stderr, run.stderr
        count = len(story.steps(date.today()))
        for number in range(1, count + 1):
            assert f"  {number}/{count}  " in out, out
        for words in ("PICC issues health policy P-1001 to Li Lei", "co-insures the policy with CPIC",
                      "Ruijin bills B-1001", "PICC pays Ruijin 900.00 CNY", "PICC pays Ruijin 7,100.00 CNY",
                      "refused by the contract: \"bill B-1002 was already adjudicated\"",
                      "CPIC owes 3,200.00 CNY", "crypto suite gm"):
            assert words in out, out
        heights = dict(re.findall(r"^  (peer0-\S+)\s+\S+\s+height (\d+)$", out, re.MULTILINE))
        assert sorted(heights) == sorted(f"peer0-{org.lower()}" for org, _ in story.CAST), out
        assert len(set(heights.values())) == 1 and int(next(iter(heights.values()))) > 1, heights
        assert "baochain network status DIR" in out and "removed " in out, out
        assert_nodes_gone(run)
        assert not run.folder().exists()
    finally:
        run.stop()


def test_sigint_while_the_network_is_up_stops_every_node_and_exits_130(tmp_path: Path):
    run = DemoRun(tmp_path)
    try:
        run.wait_line(r"^  \d+ nodes ready$", DEMO_TIMEOUT_S, "its nodes to be ready")
        folder = run.folder()
        assert all(node_runs(pid) for pid in run.node_pids().values())
        sent = time.monotonic()
        run.process.send_signal(signal.SIGINT)
        code = run.finish(30)
        assert code == 130, f"{run.stdout}\n{run.stderr}"
        assert time.monotonic() - sent < 30
        assert "Traceback" not in run.stderr and "interrupted while" in run.stderr, run.stderr
        assert_nodes_gone(run)
        assert not folder.exists()
    finally:
        run.stop()


def test_keep_leaves_the_network_running_for_the_commands_it_prints(tmp_path: Path):
    folder = tmp_path / "net"
    run = DemoRun(tmp_path, "--keep", "--dir", str(folder), "--suite", "intl")
    try:
        code = run.finish(DEMO_TIMEOUT_S)
        assert code == 0, f"{run.stdout}\n{run.stderr}"
        pids = run.node_pids()
        assert all(node_runs(pid) for pid in pids.values()), pids
        commands = [shlex.split(line.strip()) for line in run.out if line.startswith("  baochain ")]
        assert [c[1:3] for c in commands] == [["network", "status"], ["contract", "query"], ["contract", "query"],
                                              ["tx", "show"], ["block", "show"], ["network", "down"]], run.stdout
        runner = CliRunner()
        for command in commands[:-1]:  # each works against the kept network as printed
            result = runner.invoke(cli, command[1:], catch_exceptions=False)
            assert result.exit_code == 0, f"{shlex.join(command)}:\n{result.output}"
        shown = runner.invoke(cli, commands[3][1:], catch_exceptions=False).output
        assert "CONTRACT_ABORT" in shown and "bill B-1002 was already adjudicated" in shown, shown
        result = runner.invoke(cli, commands[-1][1:], catch_exceptions=False)
        assert result.exit_code == 0 and result.output.count(": stopped") == len(pids), result.output
        assert_nodes_gone(run)
        assert (folder / "network.json").exists()
    finally:
        run.stop()
