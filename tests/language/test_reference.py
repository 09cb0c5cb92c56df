"""LANGUAGE.md's examples run as written: section 1's contract and section 8's scenario ship in
contracts/health*.bao; the rules of sections 2 to 6 are scenarios in reference.test.bao."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl.scenarios import run_test_file

HERE = Path(__file__).parent
REPORT = run_test_file(HERE / "reference.test.bao")


def test_the_reference_file_builds() -> None:
    assert not REPORT.diagnostics, [d.render() for d in REPORT.diagnostics]
    assert len(REPORT.results) >= 12


@pytest.mark.parametrize("result", REPORT.results, ids=lambda r: r.title)
def test_reference_scenario(result) -> None:
    assert result.passed, f"line {result.line}: {result.failure}"


def test_a_wrong_expectation_fails_and_says_what_each_side_was(tmp_path: Path) -> None:
    source = (HERE / "reference.test.bao").read_text(encoding="utf-8")
    broken = source.replace('expect classify(0) == "zero"', 'expect classify(0) == "nought"')
    assert broken != source
    (tmp_path / "reference.bao").write_text((HERE / "reference.bao").read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "reference.test.bao").write_text(broken, encoding="utf-8")
    report = run_test_file(tmp_path / "reference.test.bao")
    failed = [r for r in report.results if not r.passed]
    assert [r.title for r in failed] == ["section 4: if, elif, else, pass and the three loops"]
    assert failed[0].failure == 'expected classify(0) == "nought", but classify(0) is "zero"'
