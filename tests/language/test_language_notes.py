"""The decisions docs/language-notes.md records where LANGUAGE.md is silent, each held here so a
change of mind is a visible one."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl.diagnostics import CompileError
from dsl.pipeline import Compilation
from dsl.scenarios import run_test_file
from tests.dsl.conftest import deploy, run_fn
from vm.errors import Abort


def refused(source: str) -> list[str]:
    with pytest.raises(CompileError) as info:
        Compilation("contract T\nparties a\n" + source).module
    return [d.message for d in info.value.diagnostics]


def test_int_and_decimal_meet_in_comparisons_and_in() -> None:
    assert run_fn('return "{1 < 1.5} {1 == 1.0} {1 in [1.5, 2]} {2 in [1.5, 2]}"', "Text") == "true true false true"


@pytest.mark.parametrize(("expr", "message"), [
    ("1 day + 2024-01-01", "cannot add Duration and Date"),
    ("round(1250, -2)", "`round` works on Money, Decimal and Percent, not on Int"),
    ("floor(12.5%)", "the argument of `floor` must be Decimal, not Percent"),
    ("sum([1, 2], 0.5)", "the start of `sum` must be Int, not Decimal"),
    ("[[], [1]]", "cannot tell the type of this empty list"),
])
def test_mixes_the_notes_leave_out(expr: str, message: str) -> None:
    assert message in refused(f"view v() -> Int:\n    let x = {expr}\n    return 1\n")


def test_floor_and_ceil_give_an_int() -> None:
    assert run_fn("return floor(-2.5) + ceil(2.1)", "Int") == 0


def test_names_are_nfkc_normalised_as_python_does() -> None:
    assert run_fn('let \ufb01 = 1\nreturn "{fi}{\ufb01}"', "Text") == "11"
    assert "`fi` shadows a local declared at line 4" in refused('view v() -> Int:\n    let \ufb01 = 1\n'
                                                                '    let fi = 2\n    return fi\n')


def test_negative_duration_text() -> None:
    assert run_fn('return "{0 days - 1 day} {1 day} {0 days}"', "Text") == "-1 days 1 day 0 days"


def test_require_quotes_its_condition_as_fmt_writes_it() -> None:
    d = deploy("contract T\nparties a\naction f(x: Int) by a:\n    require x>0   and(x<5)\n")
    with pytest.raises(Abort) as info:
        d.call("f", 9)
    assert info.value.message == "requirement failed: x > 0 and x < 5"


def test_an_aborted_call_is_the_previous_call_in_a_scenario(tmp_path: Path) -> None:
    (tmp_path / "c.bao").write_text(
        "contract C\nparties a, b\nevent E(n: Int)\n"
        "init() by a:\n    emit E(0)\n"
        "action ok() by a, b:\n    emit E(1)\n"
        "action no() by a:\n    emit E(2)\n    fail \"no\"\n"
        "view who() -> Text:\n    return caller.role\n", encoding="utf-8")
    (tmp_path / "c.test.bao").write_text(
        'tests for "c.bao"\n\n'
        'scenario "deploy is a call":\n    let x = a "A"\n    deploy by x\n    expect emitted E(n: 0)\n\n'
        'scenario "an abort keeps no event":\n    let x = a "A"\n    let y = b "B"\n    x calls ok()\n'
        '    expect y calls no() fails with "not authorized"\n    expect who() == "b"\n    expect emitted E(n: 1)\n',
        encoding="utf-8")
    report = run_test_file(tmp_path / "c.test.bao")
    outcome = {r.title: (r.passed, r.failure) for r in report.results}
    assert outcome["deploy is a call"] == (True, None)
    assert outcome["an abort keeps no event"] == (False, "expected the previous call to emit E; it emitted nothing")
