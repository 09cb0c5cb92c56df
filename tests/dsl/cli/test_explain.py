"""`baochain explain` given careless input: a scenario file beside the contract that cannot be
decoded is reported as a diagnostic, never a traceback."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from node.cli import cli
from tests.dsl.conftest import COUNTER


def test_an_undecodable_test_file_with_with_tests_is_reported(tmp_path: Path) -> None:
    (tmp_path / "counter.bao").write_text(COUNTER, encoding="utf-8")
    (tmp_path / "counter.test.bao").write_bytes(b"tests for \"counter.bao\"\n\xff\xfe\n")
    result = CliRunner().invoke(cli, ["explain", str(tmp_path / "counter.bao"), "--with-tests", "--format", "md"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1
    assert "counter.test.bao:2:1: error[B0101]: file is not UTF-8" in result.output


def test_explain_to_an_unwritable_output_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "counter.bao").write_text(COUNTER, encoding="utf-8")
    result = CliRunner().invoke(cli, ["explain", str(tmp_path / "counter.bao"), "-o", str(tmp_path / "no" / "c.html")])
    assert result.exit_code == 2 and "cannot write" in result.output
