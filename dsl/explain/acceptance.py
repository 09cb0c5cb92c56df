"""A contract's scenarios (`name.test.bao` beside it) as acceptance examples with their outcome.

The steps are worded from the test file's syntax tree; the outcomes come from the project's own
scenario runner, so the document says what the contract does today, not what it was meant to.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from dsl.diagnostics import Code, CompileError, Diagnostic, DslError
from dsl.explain.formula import FormulaWriter
from dsl.explain.model import Examples, ExampleView, Inline, Outcome, Status, fill, formula, join, name, quote
from dsl.explain.description import described
from dsl.explain.names import ContractNames, words
from dsl.explain.phrases import Phrases, phrases_for
from dsl.pipeline import Compilation
from dsl.semantics import Analysis, check_tests
from dsl.semantics.analysis import Ref
from dsl.syntax import ast


class ExamplesError(DslError):
    """The test file has errors: its diagnostics, with the sources to quote them from."""

    def __init__(self, diagnostics: tuple[Diagnostic, ...], sources: dict[str, str]):
        super().__init__("\n".join(d.render(sources.get(d.span.file)) for d in diagnostics))
        self.diagnostics = diagnostics
        self.sources = sources


@dataclass(frozen=True, slots=True)
class RunResult:
    """What the runner said of one scenario."""

    passed: bool
    failure: str | None
    line: int | None


def test_file_for(contract: Path) -> Path:
    """`contracts/health.bao` → `contracts/health.test.bao`."""
    return contract.with_name(contract.name.removesuffix(".bao") + ".test.bao")


def collect_examples(contract: Path, analysis: Analysis, names: ContractNames, lang: str) -> Examples:
    """The scenarios of the test file beside ``contract`` (checked against its ``analysis``, whose
    references word the steps), with the runner's verdict on each."""
    phrases = phrases_for(lang)
    test_path = test_file_for(contract)
    if not test_path.is_file():
        return Examples(test_path.name, found=False, ran=False, rows=())
    unit = Compilation.from_file(test_path)
    try:
        tree = unit.tree
    except CompileError as exc:
        raise ExamplesError(exc.diagnostics, {unit.path: unit.source}) from None
    if not isinstance(tree, ast.TestFile):
        raise ExamplesError((Diagnostic('not a test file: it should start with `tests for "contract.bao"`', tree.span,
                                         code=Code.B0701),),
                            {unit.path: unit.source})
    try:
        refs = check_tests(tree, analysis).annotations.refs
    except CompileError as exc:
        raise ExamplesError(exc.diagnostics, {unit.path: unit.source}) from None
    results = run_scenarios(test_path, len(tree.scenarios))
    rows = []
    for i, scenario in enumerate(tree.scenarios):
        result = results[i] if results is not None else None
        rows.append(ExampleView(scenario.title, described(scenario.doc, lang),
                                scenario_steps(scenario, names, refs, phrases), _outcome(result, phrases)))
    return Examples(test_path.name, found=True, ran=results is not None, rows=tuple(rows))


def run_scenarios(test_path: Path, count: int) -> list[RunResult] | None:
    """The runner's verdict on each scenario in file order, or None when it cannot run here."""
    try:
        from dsl.scenarios import run_test_file

        report = run_test_file(test_path)
    except Exception:  # noqa: BLE001
        # The runner (or a phase it needs) is missing or broke on its own: the document still
        # shows every example, marked "not run", rather than no document at all.
        return None
    errors = tuple(d for d in getattr(report, "diagnostics", ()) if d.is_error)
    if errors:
        raise ExamplesError(errors, dict(getattr(report, "sources", {})))
    results = [RunResult(r.passed, r.failure, r.line) for r in report.results]
    if len(results) != count:
        return None  # the runner read a different file than we did (changed in between)
    return results


def _outcome(result: RunResult | None, phrases: Phrases) -> Outcome:
    if result is None:
        return Outcome(Status.NOT_RUN, phrases("outcome_not_run"))
    if result.passed:
        return Outcome(Status.PASSED, phrases("outcome_passed"))
    reason = result.failure or ""
    if result.line is not None:
        return Outcome(Status.FAILED, phrases("outcome_failed_line", line=str(result.line), reason=reason))
    return Outcome(Status.FAILED, phrases("outcome_failed", reason=reason))


def scenario_steps(scenario: ast.Scenario, names: ContractNames, refs: Mapping[int, Ref],
                   phrases: Phrases) -> tuple[Inline, ...]:
    writer = FormulaWriter.for_scenario(names, phrases, refs, scenario)
    t = phrases.template

    def args_of(args: tuple[ast.Arg, ...]) -> str:
        return ", ".join((f"{words(a.name)}: " if a.name else "") + writer.write(a.value) for a in args)

    steps: list[Inline] = []
    for step in scenario.steps:
        match step:
            case ast.AtStep(date=date):
                steps.append(fill(t("ex_at"), date=formula(date.text)))
            case ast.LetStep(name=ident, value=ast.PartyLit(role=role, name=org)):
                steps.append(fill(t("ex_party"), name=formula(words(ident.name)), role=name(role), org=quote(org)))
            case ast.LetStep(name=ident, value=value):
                steps.append(fill(t("ex_let"), name=formula(words(ident.name)), value=formula(writer.write(value))))
            case ast.DeployStep(args=args, caller=caller, fails_with=fails_with):
                extra = fill(t("ex_deploy_args"), args=formula(args_of(args))) if args else ()
                if fails_with is not None:
                    steps.append(fill(t("ex_deploy_fails"), caller=formula(words(caller.name)), args=extra,
                                      text=quote(fails_with)))
                else:
                    steps.append(fill(t("ex_deploy"), caller=formula(words(caller.name)), args=extra))
            case ast.CallStep():
                # The action keeps its name as written, to match its heading in the document.
                slots = dict(caller=formula(words(step.caller.name)),
                             call=formula(f"{step.function.name}({args_of(step.args)})"))
                if step.binds is not None:
                    steps.append(fill(t("ex_call_keeps"), name=formula(words(step.binds.name)), **slots))
                elif step.fails_with is not None:
                    steps.append(fill(t("ex_call_fails"), text=quote(step.fails_with), **slots))
                elif step.returns is not None:
                    steps.append(fill(t("ex_call_returns"), value=formula(writer.write(step.returns)), **slots))
                elif step.expect:
                    steps.append(fill(t("ex_call_ok"), **slots))
                else:
                    steps.append(fill(t("ex_call"), **slots))
            case ast.ExpectEmitted(event=event, args=args):
                if args:
                    fields = join([formula(f"{words(a.name or '')} = {writer.write(a.value)}" if a.name
                                           else writer.write(a.value)) for a in args], phrases("list_sep"))
                    steps.append(fill(t("ex_emitted"), event=name(event.name), fields=fields))
                else:
                    steps.append(fill(t("ex_emitted_bare"), event=name(event.name)))
            case ast.ExpectTrue(expr=expr):
                steps.append(fill(t("ex_expect"), cond=formula(writer.write(expr))))
    return tuple(steps)
