"""The language commands as a user meets them: exit codes, messages, files written."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from node.cli import cli
from tests.dsl.conftest import COUNTER, COUNTER_TESTS, ROOT, invoke

HEALTH = ROOT / "contracts" / "health.bao"

@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "counter.bao").write_text(COUNTER, encoding="utf-8")
    (tmp_path / "counter.test.bao").write_text(COUNTER_TESTS, encoding="utf-8")
    return tmp_path


def test_check_accepts_the_shipped_contract(runner: CliRunner) -> None:
    result = invoke("check", HEALTH)
    assert result.exit_code == 0
    assert "1 file ok, 0 with errors" in result.output


def test_check_reports_file_line_column_and_caret(runner: CliRunner, tmp_path: Path) -> None:
    bad = tmp_path / "bad.bao"
    bad.write_text(COUNTER.replace("total += amount", "total += amount * 5%  + 1"), encoding="utf-8")
    result = invoke("check", bad)
    assert result.exit_code == 1
    assert f"{bad}:14:" in result.output
    assert "error[B0402]:" in result.output and "^" in result.output
    assert "0 files ok, 1 with errors" in result.output


def test_check_a_test_file_checks_it_against_its_contract(runner: CliRunner, project: Path) -> None:
    (project / "wrong.test.bao").write_text(
        'tests for "counter.bao"\n\nscenario "s":\n    let picc = insurer "PICC"\n'
        '    picc calls add("ten")\n', encoding="utf-8")
    result = invoke("check", project / "wrong.test.bao")
    assert result.exit_code == 1
    assert "wrong.test.bao:5:" in result.output


def test_build_and_disasm(runner: CliRunner, project: Path) -> None:
    out = project / "counter.baom"
    result = invoke("build", project / "counter.bao", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.read_bytes()[:4] and "module" in result.output
    listing = invoke("disasm", out)
    assert listing.exit_code == 0
    assert "add" in listing.output and "average" in listing.output


def test_disasm_refuses_a_damaged_module(runner: CliRunner, project: Path) -> None:
    out = project / "counter.baom"
    invoke("build", project / "counter.bao", "-o", out)
    out.write_bytes(out.read_bytes()[:-7])
    result = invoke("disasm", out)
    assert result.exit_code == 1
    assert "not a valid module" in result.output


def test_fmt_check_and_rewrite(runner: CliRunner, project: Path) -> None:
    messy = project / "messy.bao"
    messy.write_text(COUNTER.replace("total += amount", "total+=amount"), encoding="utf-8")
    assert invoke("fmt", "--check", messy).exit_code == 1
    assert invoke("fmt", messy).exit_code == 0
    assert "total += amount" in messy.read_text(encoding="utf-8")
    assert invoke("fmt", "--check", messy).exit_code == 0


def test_test_command_reports_each_failure_and_counts(runner: CliRunner, project: Path) -> None:
    result = invoke("test", project)
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1] == "1 passed, 2 failed"
    assert "counter.test.bao:12: expected average() == 99.00 CNY" in result.output
    assert 'expected it to fail with "must be larger", but it failed with "amount must be positive"' in result.output


def test_test_command_prints_a_broken_files_diagnostics_on_stderr(project: Path) -> None:
    broken = project / "broken.test.bao"
    broken.write_text(COUNTER_TESTS.replace("expect picc calls add(0.00 CNY)", "expect picc calls nothing()"),
                      encoding="utf-8")
    result = invoke("test", broken)
    assert result.exit_code == 1
    assert f"{broken}: cannot run: the file has errors" in result.stdout
    assert re.search(r"broken\.test\.bao:\d+:\d+: error\[B\d{4}\]: ", result.stderr), result.stderr
    assert "error[" not in result.stdout  # the summary on stdout, the diagnostics on stderr


def test_test_command_shows_gas_per_call(runner: CliRunner, project: Path) -> None:
    result = invoke("test", "--gas", project / "counter.test.bao")
    assert "picc calls add:" in result.output and " gas (ok)" in result.output


def test_test_command_without_files_fails(runner: CliRunner, tmp_path: Path) -> None:
    result = invoke("test", tmp_path)
    assert result.exit_code == 1
    assert result.output.strip().splitlines()[-1] == "0 passed, 0 failed"


def test_run_keeps_state_between_runs(runner: CliRunner, project: Path) -> None:
    state = project / "ledger"
    first = invoke("run", project / "counter.bao", "add", "10.00 CNY", "--as", "insurer:PICC",
                   "--state", state)
    assert first.exit_code == 0, first.output
    out = json.loads(first.output)
    assert out["result"] == "10.00 CNY" and out["gas_used"] > 0
    assert out["events"] == [{"event": "Added", "fields": {"amount": "10.00 CNY"}}]
    second = invoke("run", project / "counter.bao", "add", "5.00 CNY", "--as", "insurer:PICC",
                    "--state", state)
    assert json.loads(second.output)["result"] == "15.00 CNY"
    view = invoke("run", project / "counter.bao", "average", "--as", "regulator:CBIRC", "--state", state)
    assert json.loads(view.output)["result"] == "7.50 CNY"


def test_run_names_the_parameter_of_a_bad_argument(runner: CliRunner, project: Path) -> None:
    result = invoke("run", project / "counter.bao", "add", "ten yuan", "--as", "insurer:PICC")
    assert result.exit_code == 1
    assert "amount" in result.output


def test_run_reports_an_abort_and_refuses_an_outsider(runner: CliRunner, project: Path) -> None:
    aborted = invoke("run", project / "counter.bao", "add", "0.00 CNY", "--as", "insurer:PICC")
    assert aborted.exit_code == 1 and "amount must be positive" in aborted.output
    outsider = invoke("run", project / "counter.bao", "add", "1.00 CNY", "--as", "hospital:Ruijin")
    assert outsider.exit_code == 1 and "not authorized" in outsider.output


def test_run_usage_errors_exit_2(runner: CliRunner, project: Path) -> None:
    assert invoke("run", project / "counter.bao", "add", "1.00 CNY", "--as", "insurer").exit_code == 2
    assert invoke("run", project / "counter.bao", "add", "--as", "insurer:P", "--at", "2024-13-01",
                  "1.00 CNY").exit_code == 2


def test_run_refuses_state_of_another_build(runner: CliRunner, project: Path) -> None:
    state = project / "ledger"
    invoke("run", project / "counter.bao", "add", "1.00 CNY", "--as", "insurer:P", "--state", state)
    (project / "counter.bao").write_text(COUNTER.replace("count += 1", "count += 2"), encoding="utf-8")
    result = invoke("run", project / "counter.bao", "add", "1.00 CNY", "--as", "insurer:P", "--state", state)
    assert result.exit_code == 1 and "another build" in result.output


def test_the_installed_command_runs_the_shipped_scenarios(tmp_path: Path) -> None:
    exe = Path(sys.executable).with_name("baochain")
    if not exe.exists():
        pytest.skip("the baochain console script is not installed beside this Python")
    shutil.copy(HEALTH, tmp_path / "health.bao")
    shutil.copy(HEALTH.with_name("health.test.bao"), tmp_path / "health.test.bao")
    proc = subprocess.run([str(exe), "test", str(tmp_path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().splitlines()[-1].endswith("0 failed")
