"""`baochain test --filter` and `--junit`: which scenarios run, and the report CI systems read."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from hypothesis import given, settings, strategies as st

from dsl.cli.junit import BUILD_CASE, junit_document
from dsl.diagnostics import Code, Diagnostic
from dsl.scenarios import FileReport, ScenarioResult
from dsl.syntax import ast
from tests.dsl.conftest import COUNTER, COUNTER_TESTS, invoke

def project(tmp_path: Path) -> Path:
    (tmp_path / "counter.bao").write_text(COUNTER, encoding="utf-8")
    (tmp_path / "counter.test.bao").write_text(COUNTER_TESTS, encoding="utf-8")
    return tmp_path


def test_a_filter_runs_only_the_scenarios_whose_title_holds_it(tmp_path: Path) -> None:
    folder = project(tmp_path)
    result = invoke("test", folder / "counter.test.bao", "--filter", "ADDING WORKS")
    assert result.exit_code == 0, result.output
    assert "ok   adding works" in result.output and "on purpose" not in result.output
    assert result.output.splitlines()[-1] == "1 passed, 0 failed"
    both = invoke("test", folder / "counter.test.bao", "-k", "works", "-k", "purpose")
    assert both.exit_code == 1 and both.output.splitlines()[-1] == "1 passed, 1 failed"
    assert "wrong failure message" not in both.output


def test_a_filter_that_selects_nothing_fails_and_says_so(tmp_path: Path) -> None:
    result = invoke("test", project(tmp_path), "--filter", "no such title")
    assert result.exit_code == 1
    assert "no scenario's title contains \"no such title\"" in result.output
    assert "counter.test.bao" not in result.output  # a file with nothing selected is not listed


def test_junit_has_one_testcase_per_scenario_with_its_file_line_and_failure(tmp_path: Path) -> None:
    folder = project(tmp_path)
    report = tmp_path / "out" / "junit.xml"
    report.parent.mkdir()
    result = invoke("test", folder / "counter.test.bao", "--junit", report, "-k", "adding", "-k", "on purpose")
    assert result.exit_code == 1
    root = ET.fromstring(report.read_bytes())
    assert root.tag == "testsuites" and (root.get("tests"), root.get("failures"), root.get("errors")) == ("2", "1", "0")
    [suite] = root
    assert suite.get("name") == str(folder / "counter.test.bao") and suite.get("tests") == "2"
    cases = list(suite)
    assert [(c.get("classname"), c.get("name"), c.get("line")) for c in cases] == [
        (str(folder / "counter.test.bao"), "adding works", "3"),
        (str(folder / "counter.test.bao"), "this one fails on purpose", "9"),
    ]
    assert list(cases[0]) == []
    [failure] = cases[1]
    assert failure.tag == "failure"
    assert failure.get("message") == "expected average() == 99.00 CNY, but average() is 10.00 CNY"
    assert failure.text == f"{folder / 'counter.test.bao'}:12: {failure.get('message')}"
    assert all(float(c.get("time", "x")) >= 0 for c in cases)


def test_junit_counts_a_file_that_cannot_be_built_as_an_error(tmp_path: Path) -> None:
    folder = project(tmp_path)
    (folder / "broken.test.bao").write_text('tests for "counter.bao"\n\nscenario "s":\n    expect nothing()\n',
                                           encoding="utf-8")
    report = tmp_path / "junit.xml"
    result = invoke("test", folder / "broken.test.bao", "--junit", report)
    assert result.exit_code == 1
    root = ET.fromstring(report.read_bytes())
    [case] = root.iter("testcase")
    assert case.get("name") == BUILD_CASE and case.get("line") == "4"
    [error] = case
    assert error.tag == "error" and error.get("message") == "1 error"
    assert "error[B0301]" in (error.text or "") and root.get("errors") == "1"


def test_junit_is_written_when_no_test_file_is_found(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = invoke("test", tmp_path / "empty", "--junit", tmp_path / "junit.xml")
    assert result.exit_code == 1
    root = ET.fromstring((tmp_path / "junit.xml").read_bytes())
    assert root.get("tests") == "0" and list(root) == []


def test_junit_into_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = invoke("test", project(tmp_path) / "counter.test.bao", "--junit", tmp_path)
    assert result.exit_code == 2
    assert "--junit" in result.output


def test_help_says_how_a_filter_matches() -> None:
    text = " ".join(invoke("test", "--help").output.split())
    assert "contains TEXT, ignoring case (a substring, not a glob" in text
    assert "--junit FILE" in text


_SPAN = ast.Span("t.test.bao", 3, 1, 3, 2)
_text = st.text(st.characters(codec="utf-8"), max_size=30)
_result = st.builds(
    lambda title, line, failure: ScenarioResult(ast.Scenario(title, (), span=ast.Span("t.test.bao", line, 1, line, 2)),
                                                failure is None, failure, None if failure is None else line + 1),
    _text, st.integers(1, 10_000), st.none() | _text)


@st.composite
def _reports(draw: st.DrawFn) -> list[FileReport]:
    reports = []
    for i in range(draw(st.integers(0, 4))):
        report = FileReport(Path(draw(_text.filter(lambda t: t not in ("", ".")))) / f"{i}.test.bao", None,
                            draw(st.lists(_result, max_size=5)))
        if draw(st.booleans()):
            report.diagnostics = (Diagnostic(draw(_text), _SPAN, code=Code.B0301),)
        reports.append(report)
    return reports


@settings(max_examples=200, deadline=None)
@given(_reports())
def test_any_outcomes_give_xml_that_parses_with_one_testcase_each(reports: list[FileReport]) -> None:
    root = ET.fromstring(junit_document(reports))
    suites = list(root)
    assert len(suites) == len(reports)
    for suite, report in zip(suites, reports):
        cases = list(suite)
        assert len(cases) == len(report.results) + bool(report.diagnostics)
        for case, result in zip(cases, report.results):
            assert case.get("name") == result.title or "\\u" in (case.get("name") or "")
            assert [child.tag for child in case] == ([] if result.passed else ["failure"])
        assert int(suite.get("failures", "-1")) == report.failed - bool(report.diagnostics)
    assert int(root.get("tests", "-1")) == sum(len(r.results) + bool(r.diagnostics) for r in reports)
