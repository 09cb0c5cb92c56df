"""`baochain test --junit FILE`: the run as a JUnit XML report, the format CI systems read.

The document, as Jenkins, GitLab and GitHub's test reporters read it:

    <testsuites name="baochain test" tests= failures= errors= time=>
      <testsuite name=FILE tests= failures= errors= time=>        one per test file
        <testcase classname=FILE name=TITLE file=FILE line=L time=S>   one per scenario run
          <failure message=WHY type="scenario">FILE:LINE: WHY</failure>   when it failed
        </testcase>

``classname`` and ``file`` are the test file's path as `baochain test` names it, ``line`` is the
scenario's first line, and a failure's text gives the line of the step that failed. A test file
that cannot be checked or built has no scenarios to run: it is one testcase named
`(the file has errors)` holding an ``error`` whose text is the diagnostics, so a CI system counts
it as broken instead of passing it silently. ``time`` is in seconds.

XML 1.0 cannot hold most control characters, which a title or an abort message may contain
(`"\\u0001"` in Bao text): each is written as a backslash, `u` and its code point in four hex
digits instead (U+0001 becomes the six characters `\\u0001`).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from dsl.scenarios import FileReport

BUILD_CASE = "(the file has errors)"

_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _xml_text(text: str) -> str:
    """``text`` with every character XML 1.0 cannot hold written as ``\\u`` and four hex digits."""
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def junit_document(reports: list[FileReport]) -> bytes:
    """The JUnit XML report of the test files' runs, UTF-8 encoded."""
    root = ET.Element("testsuites", name="baochain test")
    all_tests = all_failures = all_errors = 0
    all_seconds = 0.0
    for report in reports:
        path = _xml_text(str(report.path))
        suite = ET.SubElement(root, "testsuite", name=path)
        seconds = sum(r.seconds for r in report.results)
        failures = sum(not r.passed for r in report.results)
        for result in report.results:
            case = ET.SubElement(suite, "testcase", classname=path, name=_xml_text(result.title), file=path,
                                 line=str(result.scenario.span.line), time=f"{result.seconds:.3f}")
            if not result.passed:
                why = _xml_text(result.failure or "")
                failure = ET.SubElement(case, "failure", message=why, type="scenario")
                failure.text = f"{path}:{result.line}: {why}"
        errors = 1 if report.diagnostics else 0
        if report.diagnostics:
            first = report.diagnostics[0].span
            case = ET.SubElement(suite, "testcase", classname=path, name=BUILD_CASE, file=path,
                                 line=str(first.line), time="0.000")
            count = sum(d.is_error for d in report.diagnostics)
            error = ET.SubElement(case, "error", message=f"{count} error{'s' if count != 1 else ''}",
                                  type="compile")
            error.text = _xml_text("\n".join(d.render(report.sources.get(d.span.file)) for d in report.diagnostics))
        tests = len(report.results) + errors
        suite.attrib.update(tests=str(tests), failures=str(failures), errors=str(errors), time=f"{seconds:.3f}")
        all_tests, all_failures, all_errors = all_tests + tests, all_failures + failures, all_errors + errors
        all_seconds += seconds
    root.attrib.update(tests=str(all_tests), failures=str(all_failures), errors=str(all_errors),
                       time=f"{all_seconds:.3f}")
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"
