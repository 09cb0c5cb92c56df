"""The shipped contracts' scenarios, run once on the translator and once on the reference
interpreter: every call must end the same way, and a completed call must cost the same gas.

(An aborted call's gas may differ: the translator charges a block's gas on entering it, the
reference instruction by instruction.)"""

from __future__ import annotations

from pathlib import Path

import pytest

import dsl.scenarios
from dsl.scenarios import run_test_file
from vm.runtime import Machine
from vm.runtime.interpreter import ReferenceMachine
from tests.vm.conftest import CONTRACTS

# The shipped contracts', and the scenarios of language features the contracts do not use yet.
FEATURES = Path(__file__).resolve().parents[2] / "dsl" / "composite"
TEST_FILES = sorted(CONTRACTS.glob("*.test.bao")) + sorted(FEATURES.glob("*.test.bao"))


def _calls(path: Path, machine_cls, monkeypatch) -> list:
    # The scenario runner builds its machine by the name `dsl.scenarios.Machine` when it runs a file.
    with monkeypatch.context() as m:
        m.setattr(dsl.scenarios, "Machine", machine_cls)
        report = run_test_file(path)
    assert not report.diagnostics, f"{path.name} does not build: {report.diagnostics[0].message}"
    out = []
    for result in report.results:
        for c in result.calls:
            out.append((result.title, c.line, c.function, c.outcome, c.gas_used if c.outcome == "ok" else None))
        out.append((result.title, "passed" if result.passed else result.failure))
    return out


@pytest.mark.parametrize("path", TEST_FILES, ids=[p.name for p in TEST_FILES])
def test_scenarios_run_alike_on_translator_and_reference(path, monkeypatch):
    translated = _calls(path, Machine, monkeypatch)
    reference = _calls(path, ReferenceMachine, monkeypatch)
    assert translated, "the file ran no calls"
    for a, b in zip(translated, reference):
        assert a == b
    assert len(translated) == len(reference)
