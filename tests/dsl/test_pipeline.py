"""The pipeline hands each phase's work to the next: one parse per file, and the verified module
is what the translation reads."""

from __future__ import annotations

import pytest

from dsl.diagnostics import Code, CompileError
import dsl.pipeline
from dsl.pipeline import Compilation
from dsl.syntax import ast
from tests.dsl.conftest import SECTION_1


def test_every_phase_reads_the_one_parse(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    parse = dsl.pipeline.parse_source

    def counted(text: str, path: str) -> ast.SourceFile | ast.TestFile:
        calls.append(path)
        return parse(text, path)

    monkeypatch.setattr(dsl.pipeline, "parse_source", counted)
    unit = Compilation(SECTION_1, "health.bao")
    assert unit.analysis.tree is unit.tree
    translation = unit.translation
    assert calls == ["health.bao"]
    # The translation is of the module the verifier accepted, every function of it.
    assert len(translation.functions) == len(unit.verified.module.functions)


def test_a_test_file_is_no_contract_to_compile() -> None:
    unit = Compilation('tests for "health.bao"\n', "health.test.bao")
    assert isinstance(unit.tree, ast.TestFile)
    with pytest.raises(CompileError) as caught:
        unit.verified
    assert [d.code for d in caught.value.diagnostics] == [Code.B0306]
