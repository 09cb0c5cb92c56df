"""LANGUAGE.md's examples run: each test-file example (`tests for "x.bao"`) runs against the
contract example written before it, saved as x.bao, and every scenario must pass. (Parsing and
formatting every example is tests/dsl/syntax/test_examples.py's and tests/dsl/test_fmt.py's.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsl.scenarios import run_test_file
from tests.dsl.conftest import language_examples

_TARGET = re.compile(r'^tests for "([^"]+)"', re.M)


def _pairs() -> list[tuple[str, str, str]]:
    """(file name, contract example, test example) for every test-file example of the document."""
    pairs, contract = [], None
    for example in language_examples():
        target = _TARGET.match(example)
        if target is None:
            contract = example
        elif contract is not None:
            pairs.append((target.group(1), contract, example))
    return pairs


PAIRS = _pairs()


def test_the_document_has_runnable_examples() -> None:
    assert {"health.bao", "exposure.bao"} <= {name for name, _, _ in PAIRS}


@pytest.mark.parametrize("name,contract,tests", PAIRS, ids=[name for name, _, _ in PAIRS])
def test_each_scenario_example_passes_against_its_contract(name: str, contract: str, tests: str,
                                                          tmp_path: Path) -> None:
    (tmp_path / name).write_text(contract, encoding="utf-8")
    test_file = tmp_path / "example.test.bao"
    test_file.write_text(tests, encoding="utf-8")
    report = run_test_file(test_file)
    assert not report.diagnostics, [d.message for d in report.diagnostics]
    assert report.results and all(r.passed for r in report.results), [r.failure for r in report.results]
