"""A test file whose `tests for` target is wrong: missing, a folder, another test file, or
unreadable. Both `check` and `test` report it at the test file's own first line."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from node.cli import cli
from tests.dsl.conftest import COUNTER, COUNTER_TESTS, invoke



def _tests_for(tmp_path: Path, target: str) -> Path:
    path = tmp_path / "wrong.test.bao"
    path.write_text(f'tests for "{target}"\n\nscenario "s":\n    expect 1 == 1\n', encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "counter.bao").write_text(COUNTER, encoding="utf-8")
    (tmp_path / "counter.test.bao").write_text(COUNTER_TESTS, encoding="utf-8")
    (tmp_path / "folder.bao").mkdir()
    return tmp_path


@pytest.mark.parametrize("command", ["check", "test"])
@pytest.mark.parametrize("target,message", [
    ("counter.test.bao", "counter.test.bao is a test file: `tests for` names the contract or module under test"),
    ("folder.bao", "the contract under test is a folder, not a file: folder.bao"),
    ("gone.bao", "the contract under test was not found: gone.bao"),
])
def test_a_wrong_target_is_reported_at_the_test_file(project: Path, command: str, target: str, message: str) -> None:
    result = invoke(command, _tests_for(project, target))
    assert result.exit_code == 1
    assert f"wrong.test.bao:1:1: error[B0701]: {message}" in result.output


def test_an_unreadable_test_file_is_reported_by_test(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = _tests_for(project, "counter.bao")
    original = Path.read_bytes

    def refuse(self: Path, *args, **kwargs):
        if self.name == "wrong.test.bao":
            raise PermissionError(13, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_bytes", refuse)
    for command in ("check", "test"):
        result = invoke(command, path)
        assert result.exit_code == 1
        assert "wrong.test.bao:1:1: error[B0100]: cannot read the file: Permission denied" in result.output


def test_test_names_a_given_file_that_holds_no_scenarios(project: Path) -> None:
    (project / "lone.bao").write_text(COUNTER, encoding="utf-8")
    (project / "notes.txt").write_text("x", encoding="utf-8")
    result = invoke("test", project / "lone.bao", project / "notes.txt", project / "counter.bao")
    assert "lone.bao: not a *.test.bao file, and no lone.test.bao beside it" in result.output
    assert "notes.txt: not a *.test.bao file" in result.output
    assert "counter.bao: not" not in result.output
    assert result.output.strip().splitlines()[-1] == "1 passed, 2 failed"
