"""Scenario steps of Bao 1.1 (LANGUAGE.md section 8.1): `deploy … fails with "t"` and
`let v = X calls f(…)`, from the parser through the checker, the formatter, the runner and
`explain --with-tests`."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsl.diagnostics import Code
from dsl.fmt import format_tree
from dsl.scenarios import run_test_file, title_matches
from dsl.syntax import ast, parse_source
from tests.dsl.conftest import ROOT, invoke

_SECTION = (ROOT / "docs" / "LANGUAGE.md").read_text(encoding="utf-8").split("### 8.1 ", 1)[1].split("\n## ", 1)[0]
CONTRACT, TESTS = re.findall(r"```bao\n(.*?)```", _SECTION, re.S)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "deposit.bao").write_text(CONTRACT, encoding="utf-8")
    (tmp_path / "deposit.test.bao").write_text(TESTS, encoding="utf-8")
    return tmp_path


def scenario(project: Path, steps: str, name: str = "s.test.bao") -> Path:
    body = "".join(f"    {line.strip()}\n" for line in steps.strip().splitlines())
    path = project / name
    path.write_text('tests for "deposit.bao"\n\nscenario "s":\n    let icbc = bank "ICBC"\n'
                    f'    let li = saver "Li Lei"\n{body}', encoding="utf-8")
    return path


def outcome(path: Path) -> str | None:
    report = run_test_file(path)
    assert not report.diagnostics, [d.render() for d in report.diagnostics]
    [result] = report.results
    return None if result.passed else f"{result.line}: {result.failure}"


def check_errors(path: Path) -> list[tuple[Code, int, int, str]]:
    report = run_test_file(path)
    return [(d.code, d.span.line, d.span.col, d.message) for d in report.diagnostics]


def test_the_language_reference_example_passes(project: Path) -> None:
    report = run_test_file(project / "deposit.test.bao")
    assert not report.diagnostics and report.passed == 1 and report.failed == 0


def test_the_new_steps_parse_to_their_fields_and_format_as_written() -> None:
    tree = parse_source(TESTS, "deposit.test.bao")
    assert isinstance(tree, ast.TestFile)
    steps = tree.scenarios[0].steps
    refused = steps[2]
    assert isinstance(refused, ast.DeployStep) and refused.fails_with == "at most 10%"
    assert refused.caller.name == "icbc" and len(refused.args) == 1
    kept = steps[4]
    assert isinstance(kept, ast.CallStep) and kept.binds is not None and kept.binds.name == "held"
    assert kept.function.name == "deposit" and not kept.expect and kept.fails_with is None
    assert (kept.span.line, kept.span.col) == (8, 5)
    assert format_tree(tree, TESTS) == TESTS
    bare = parse_source('tests for "d.bao"\n\nscenario "s":\n    deploy by x fails with "no"\n', "t")
    assert isinstance(bare, ast.TestFile)
    step = bare.scenarios[0].steps[0]
    assert isinstance(step, ast.DeployStep) and step.args == () and step.fails_with == "no"


def test_a_refused_deployment_with_another_message_fails_the_scenario(project: Path) -> None:
    path = scenario(project, 'deploy(12%) by icbc fails with "above 20%"')
    assert outcome(path) == ('6: deploying the contract: expected it to fail with "above 20%", but it failed with '
                             '"the rate is above 0% and at most 10%"')


def test_a_deployment_expected_to_fail_that_succeeds_fails_the_scenario(project: Path) -> None:
    path = scenario(project, 'deploy(2%) by icbc fails with "at most"')
    assert outcome(path) == '6: deploying the contract: expected it to fail with "at most", but it succeeded'


def test_a_refused_deployment_writes_nothing(project: Path) -> None:
    # Had the refused init's write of the rate stayed, the contract would count as deployed.
    path = scenario(project, '''
        deploy(12%) by icbc fails with "at most"
        deploy(3%) by icbc
        let held = li calls deposit("A", 100.00 CNY)
        expect interest("A") == 3.00 CNY
    ''')
    assert outcome(path) is None


def test_a_kept_value_is_compared_with_what_the_call_returned(project: Path) -> None:
    path = scenario(project, '''
        deploy(2%) by icbc
        let held = li calls deposit("A", 100.00 CNY)
        expect held == 99.00 CNY
    ''')
    assert outcome(path) == "8: expected held == 99.00 CNY, but held is 100.00 CNY"


def test_a_kept_call_that_aborts_fails_the_scenario_at_its_line(project: Path) -> None:
    path = scenario(project, '''
        deploy(2%) by icbc
        let held = li calls deposit("A", 0.00 CNY)
        expect held == 0.00 CNY
    ''')
    assert outcome(path) == "7: li calls deposit: aborted: a deposit is positive"


def test_a_let_bound_to_a_call_that_returns_nothing_is_an_error(project: Path) -> None:
    path = scenario(project, '''
        deploy(2%) by icbc
        let gone = li calls close("A")
    ''')
    [(code, line, col, message)] = check_errors(path)
    assert (code, line, col) == (Code.B0704, 7, 5)
    assert message == "`close` returns no value, so there is nothing to keep in `gone`"


def test_a_kept_name_that_is_already_taken_is_an_error(project: Path) -> None:
    path = scenario(project, '''
        deploy(2%) by icbc
        let held = li calls deposit("A", 1.00 CNY)
        let held = li calls deposit("A", 1.00 CNY)
        let li = li calls deposit("A", 1.00 CNY)
    ''')
    found = check_errors(path)
    assert [(c, line, col) for c, line, col, _ in found] == [(Code.B0506, 8, 9), (Code.B0506, 9, 9)]
    assert found[0][3] == "`held` shadows a local declared at line 7"


def test_a_kept_value_is_not_visible_in_its_own_call(project: Path) -> None:
    path = scenario(project, '''
        deploy(2%) by icbc
        let held = li calls deposit("A", held)
    ''')
    assert [(c, line) for c, line, _, _ in check_errors(path)] == [(Code.B0301, 7)]


def test_a_refused_deployment_of_a_module_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "m.bao").write_text("module M\n\nfn one() -> Int:\n    return 1\n", encoding="utf-8")
    test = tmp_path / "m.test.bao"
    test.write_text('tests for "m.bao"\n\nscenario "s":\n    let a = bank "A"\n    deploy by a fails with "x"\n',
                    encoding="utf-8")
    refusals = [d for d in run_test_file(test).diagnostics if d.code is Code.B0702]
    assert [(d.span.line, d.message) for d in refusals] == [
        (5, "a module is not deployed: its tests call its fns in `expect` lines")]


def test_explain_with_tests_renders_both_steps(project: Path) -> None:
    for lang, refused, kept in (("en", "deploys the contract with", "what it returns is called"),
                                ("zh", "部署合约，参数为", "返回值记为")):
        result = invoke("explain", project / "deposit.bao", "--with-tests", "--format", "md", "--lang", lang)
        assert result.exit_code == 0, result.output
        assert refused in result.output and kept in result.output
        assert "at most 10%" in result.output


@pytest.mark.parametrize(("title", "patterns", "selected"), [
    ("A bill is Paid", (), True),
    ("A bill is Paid", ("paid",), True),
    ("A bill is Paid", ("PAID", "nothing"), True),
    ("A bill is Paid", ("bill*",), False),  # a substring, not a glob
    ("Straße", ("STRASSE",), True),  # case folded, not only lowered
])
def test_a_filter_selects_titles_holding_it_ignoring_case(title: str, patterns: tuple[str, ...],
                                                          selected: bool) -> None:
    assert title_matches(title, patterns) is selected


def test_a_deployment_without_init_cannot_be_expected_to_fail(tmp_path: Path) -> None:
    (tmp_path / "plain.bao").write_text("contract Plain\n\nparties bank\n\nview one() -> Int:\n    return 1\n",
                                        encoding="utf-8")
    test = tmp_path / "plain.test.bao"
    test.write_text('tests for "plain.bao"\n\nscenario "s":\n    let a = bank "A"\n    deploy by a fails with "x"\n',
                    encoding="utf-8")
    [(code, line, col, message)] = check_errors(test)
    assert (code, line, col, message) == (Code.B0702, 5, 5, "Plain has no `init`, so deploying it cannot fail")
