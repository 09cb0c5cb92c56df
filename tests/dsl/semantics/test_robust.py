"""A user never sees a traceback: whatever a (parseable) contract says, the checker either
accepts it or reports diagnostics placed inside the file."""

from __future__ import annotations

import re

from hypothesis import given, strategies as st

from dsl.semantics.checker import check
from dsl.diagnostics import CompileError
from dsl.semantics import ModuleLoader

from dsl.syntax import parser  # noqa: E402
from tests.dsl.conftest import SECTION_1  # noqa: E402

TOKENS = re.split(r"(\W)", SECTION_1)
WORDS = sorted({t for t in TOKENS if t.strip() and t.isidentifier()}
               | {"0", "1.5", "x", "Int", "Decimal", "List", "Map", "caller", "now", "len", "append",
                  "get", "range", "sum", "text", "true"})
SLOTS = [i for i, t in enumerate(TOKENS) if t.strip() and (t.isidentifier() or t.isdigit())]


@given(st.lists(st.tuples(st.sampled_from(SLOTS), st.sampled_from(WORDS)), min_size=1, max_size=3))
def test_mutated_contract_checks_or_reports(edits: list[tuple[int, str]]) -> None:
    tokens = list(TOKENS)
    for index, word in edits:
        tokens[index] = word
    text = "".join(tokens)
    try:
        tree = parser.parse_source(text, "m.bao")
    except CompileError:
        return
    try:
        check(tree, ModuleLoader())
    except CompileError as exc:
        lines = text.count("\n") + 1
        assert exc.diagnostics
        for d in exc.diagnostics:
            assert d.span.file == "m.bao" and 1 <= d.span.line <= lines, d.render(text)
            assert d.message


def _scenario_parts():
    from tests.dsl.semantics.test_testfile import SECTION_8

    tokens = re.split(r"(\W)", SECTION_8)
    words = sorted({t for t in tokens if t.strip() and t.isidentifier()} | {"0", "x", "caller", "paid"})
    slots = [i for i, t in enumerate(tokens) if t.strip() and (t.isidentifier() or t.isdigit())]
    return tokens, words, slots


S_TOKENS, S_WORDS, S_SLOTS = _scenario_parts()


@given(st.lists(st.tuples(st.sampled_from(S_SLOTS), st.sampled_from(S_WORDS)), min_size=1, max_size=3))
def test_mutated_scenarios_check_or_report(edits: list[tuple[int, str]]) -> None:
    from dsl.semantics.testfile import check_tests

    contract = check(parser.parse_source(SECTION_1, "health.bao"), ModuleLoader())
    tokens = list(S_TOKENS)
    for index, word in edits:
        tokens[index] = word
    text = "".join(tokens)
    try:
        tree = parser.parse_source(text, "t.test.bao")
    except CompileError:
        return
    if not hasattr(tree, "scenarios"):
        return
    try:
        check_tests(tree, contract)
    except CompileError as exc:
        assert all(d.span.file == "t.test.bao" and d.span.line >= 1 for d in exc.diagnostics)
