"""Careless input to the file-reading and file-writing language commands: undecodable sources,
outputs that cannot be written, and writes that must never leave half a file."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from node.cli import cli
from tests.dsl.conftest import COUNTER, invoke



@pytest.fixture
def latin(tmp_path: Path) -> Path:
    path = tmp_path / "latin.bao"
    path.write_bytes("contract Caf\xe9\n".encode("latin-1"))
    return path


@pytest.mark.parametrize("command", ["build", "disasm", "fmt"])
def test_an_undecodable_source_is_reported_by_every_command(command: str, latin: Path) -> None:
    result = invoke(command, latin)
    assert result.exit_code == 1
    assert "latin.bao:1:13: error[B0101]: file is not UTF-8" in result.output


def test_fmt_reports_a_bad_file_and_still_formats_the_others(tmp_path: Path, latin: Path) -> None:
    good = tmp_path / "counter.bao"
    good.write_text(COUNTER.replace("    count += 1\n", "    count  +=  1\n"), encoding="utf-8")
    result = invoke("fmt", latin, good)
    assert result.exit_code == 1
    assert "1 file reformatted, 0 unchanged, 1 with errors" in result.output
    assert good.read_text(encoding="utf-8") == COUNTER


@pytest.mark.parametrize("where", ["missing/folder/out.baom", ""])
def test_build_to_an_unwritable_output_is_a_usage_error(tmp_path: Path, where: str) -> None:
    source = tmp_path / "counter.bao"
    source.write_text(COUNTER, encoding="utf-8")
    result = invoke("build", source, "-o", str(tmp_path / where) if where else "")
    assert result.exit_code == 2
    assert "cannot write" in result.output and "'-o'" in result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter.bao"]  # no stray temporary file


def test_build_replaces_its_output_whole_and_keeps_its_mode(tmp_path: Path) -> None:
    source = tmp_path / "counter.bao"
    source.write_text(COUNTER, encoding="utf-8")
    out = tmp_path / "counter.baom"
    out.write_bytes(b"old")
    out.chmod(0o640)
    result = invoke("build", source)
    assert result.exit_code == 0
    assert out.read_bytes()[:3] != b"old" and out.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter.bao", "counter.baom"]


def test_fmt_writes_through_a_temporary_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An interrupted rewrite (here: the rename fails) must leave the user's file as it was.
    import os

    source = tmp_path / "counter.bao"
    messy = COUNTER.replace("    count += 1\n", "    count  +=  1\n")
    source.write_text(messy, encoding="utf-8")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    result = CliRunner().invoke(cli, ["fmt", str(source)])
    assert isinstance(result.exception, (KeyboardInterrupt, SystemExit))
    assert source.read_text(encoding="utf-8") == messy
    assert [p.name for p in tmp_path.iterdir()] == ["counter.bao"]


@pytest.mark.parametrize("command,advice", [
    (("build",), "build the contract it tests"),
    (("disasm",), "disassemble the contract it tests"),
    (("run", "--as", "insurer:PICC"), "runs its scenarios"),
])
def test_a_test_file_given_for_a_contract_says_what_to_do(tmp_path: Path, command: tuple[str, ...], advice: str) -> None:
    from tests.dsl.conftest import COUNTER_TESTS

    (tmp_path / "counter.bao").write_text(COUNTER, encoding="utf-8")
    path = tmp_path / "counter.test.bao"
    path.write_text(COUNTER_TESTS, encoding="utf-8")
    args = [command[0], path, *(["add"] if command[0] == "run" else []), *command[1:]]
    result = invoke(*args)
    assert result.exit_code == 1
    assert "counter.test.bao:1:1: error[B0701]: this is a test file: " in result.output and advice in result.output


def test_run_on_a_module_says_it_has_nothing_to_run() -> None:
    from tests.dsl.conftest import ROOT

    result = invoke("run", ROOT / "stdlib" / "insurance.bao", "anything", "--as", "insurer:PICC")
    assert result.exit_code == 1 and "has no actions or views to run" in result.output


@pytest.mark.parametrize("command", ["build", "explain"])
def test_output_onto_the_source_itself_is_refused(tmp_path: Path, command: str) -> None:
    source = tmp_path / "counter.bao"
    source.write_text(COUNTER, encoding="utf-8")
    result = invoke(command, source, "-o", tmp_path / "." / "counter.bao")
    assert result.exit_code == 2 and "is the contract itself" in result.output
    assert source.read_text(encoding="utf-8") == COUNTER
