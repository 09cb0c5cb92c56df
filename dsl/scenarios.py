"""The scenario runner behind `baochain test` (LANGUAGE.md section 8).

A test file is checked against its contract (`dsl.semantics.checker.check_tests`) and compiled into the
contract's module plus one hidden view per scenario expression (`dsl.codegen.testbuild.compile_tests`).
Each scenario then runs on a fresh in-memory ledger through the real verifier and machine, so a
scenario exercises exactly the code a node would run.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

from dsl.codegen.testbuild import TestBuild, verified_tests
from dsl.diagnostics import Code, CompileError, Diagnostic
from dsl.pipeline import Compilation
from dsl.semantics import ModuleLoader, TestAnalysis, check_tests
from dsl.syntax import ast
from vm.errors import Abort
from vm.runtime import CallContext, Event, Machine, MemoryHost
from vm.types import TEXT, Type
from vm.values import Party, equal, midnight_of, parse_date_literal, to_text

DEFAULT_GAS_LIMIT = 10_000_000
SCENARIO_START = "2024-01-01"
TESTER = Party("tester", "tester", "tester")


@dataclass(frozen=True, slots=True)
class CallRecord:
    """One call a scenario made, for `--gas` and for `explain --with-tests`."""

    line: int
    caller: str
    function: str
    gas_used: int
    outcome: str  # "ok", or the abort message


@dataclass
class ScenarioResult:
    scenario: ast.Scenario
    passed: bool
    failure: str | None = None
    line: int | None = None
    calls: list[CallRecord] = field(default_factory=list)
    seconds: float = 0.0  # wall time of the run, for reports (JUnit's `time`)

    @property
    def title(self) -> str:
        return self.scenario.title


@dataclass
class FileReport:
    path: Path
    target: Path | None
    results: list[ScenarioResult] = field(default_factory=list)
    diagnostics: tuple[Diagnostic, ...] = ()  # the file could not be checked or built
    sources: dict[str, str] = field(default_factory=dict)  # path -> text, to render diagnostics

    @property
    def passed(self) -> int:
        return sum(r.passed for r in self.results)

    @property
    def failed(self) -> int:
        return sum(not r.passed for r in self.results) + (1 if self.diagnostics else 0)


class ScenarioFailed(Exception):
    """A step did not hold; carries the line of the step."""

    def __init__(self, message: str, line: int):
        super().__init__(message)
        self.message = message
        self.line = line


def find_test_files(paths: list[Path]) -> list[Path]:
    """Every `*.test.bao` under the given files and folders, in a stable order."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found.extend(sorted(p.rglob("*.test.bao")))
        elif p.name.endswith(".test.bao"):
            found.append(p)
        elif p.suffix == ".bao":
            sibling = p.with_name(p.stem + ".test.bao")
            if sibling.is_file():
                found.append(sibling)
    seen: set[Path] = set()
    unique = []
    for f in found:
        if f.resolve() not in seen:
            seen.add(f.resolve())
            unique.append(f)
    return unique


def load_target(path: Path, tree: ast.TestFile) -> Compilation:
    """The contract or module a test file names; a target that is missing, a folder or another
    test file is reported at the test file's `tests for` line."""
    target = path.parent / tree.target
    hint = "the path in `tests for` is relative to the test file"
    if target.is_dir():
        raise CompileError([Diagnostic(f"the contract under test is a folder, not a file: {tree.target}", tree.span,
                                       hint=hint, code=Code.B0701)])
    if not target.is_file():
        raise CompileError([Diagnostic(f"the contract under test was not found: {tree.target}", tree.span,
                                       hint=hint, code=Code.B0701)])
    contract = Compilation.from_file(target, ModuleLoader((target.parent,)))
    if isinstance(contract.tree, ast.TestFile):
        raise CompileError([Diagnostic(f"{tree.target} is a test file: `tests for` names the contract or module "
                                       "under test", tree.span, code=Code.B0701)])
    return contract


def title_matches(title: str, patterns: tuple[str, ...]) -> bool:
    """`baochain test --filter`: a scenario runs when its title holds one of ``patterns`` as a
    substring, ignoring case (pytest's `-k` on a single word); no patterns select every scenario."""
    folded = title.casefold()
    return not patterns or any(p.casefold() in folded for p in patterns)


def run_test_file(path: Path, gas_limit: int | None = None, patterns: tuple[str, ...] = ()) -> FileReport:
    """Check, build and run the scenarios of one test file (those `title_matches` selects: the
    whole file is still checked and built, so its errors are reported whatever is selected)."""
    path = Path(path)
    report = FileReport(path=path, target=None)
    try:
        plan = _build(path, report)
    except CompileError as exc:
        report.diagnostics = exc.diagnostics
        return report
    except OSError as exc:  # unreadable: there is no source to quote
        where = ast.Span(str(exc.filename or path), 1, 1, 1, 1)
        report.diagnostics = (Diagnostic(f"cannot read the file: {exc.strerror or exc}", where, code=Code.B0100),)
        return report
    for scenario in plan.tests.tree.scenarios:
        if title_matches(scenario.title, patterns):
            report.results.append(_run_scenario(plan, scenario, gas_limit or DEFAULT_GAS_LIMIT))
    return report


# ---------------------------------------------------------------------------------------------

@dataclass
class _Plan:
    source: str
    tests: TestAnalysis
    build: TestBuild
    machine: Machine
    is_module: bool


def _build(path: Path, report: FileReport) -> _Plan:
    unit = Compilation.from_file(path)
    report.sources[str(path)] = unit.source
    tree = unit.tree
    if not isinstance(tree, ast.TestFile):
        raise CompileError([Diagnostic('not a test file: it should start with `tests for "contract.bao"`',
                                       tree.span, code=Code.B0701)])
    target = path.parent / tree.target
    report.target = target
    contract = load_target(path, tree)
    report.sources[str(target)] = contract.source
    contract.verified  # the contract's own limits, reported in its own source
    tests = check_tests(tree, contract.analysis)
    build, verified = verified_tests(tests)
    return _Plan(unit.source, tests, build, Machine(verified), contract.analysis.tree.kind == "module")


class _Scenario:
    """One scenario's run: its ledger, clock, locals and the last call's outcome."""

    def __init__(self, plan: _Plan, scenario: ast.Scenario, gas_limit: int):
        self.plan = plan
        self.scenario = scenario
        self.gas_limit = gas_limit
        self.host = MemoryHost()
        self.time_ms = midnight_of(parse_date_literal(SCENARIO_START))
        self.locals: dict[str, object] = {}
        self.last_caller = TESTER
        self.last_events: tuple[Event, ...] | None = None
        self.deployed = False
        self.calls: list[CallRecord] = []
        self.counter = 0

    # -- values

    def context(self, caller: Party) -> CallContext:
        self.counter += 1
        seed = f"{self.plan.tests.tree.path}|{self.scenario.title}|{self.counter}".encode()
        return CallContext(caller=caller, timestamp_ms=self.time_ms, tx_id=hashlib.sha256(seed).digest())

    def evaluate(self, expr: ast.Expr) -> object:
        entry = self.plan.build.exprs[id(expr)]
        args = tuple(self.locals[name] for name in entry.params)
        try:
            result = self.plan.machine.call(entry.name, args, self.context(self.last_caller), self.host,
                                            self.gas_limit, check_roles=False)
        except Abort as exc:
            raise ScenarioFailed(f"`{self.source_of(expr)}` aborted: {exc.message}", expr.span.line)
        return result.value

    def text(self, t: Type, value: object) -> str:
        """A value as a failure message shows it: its text form, Text in quotes."""
        if t == TEXT:
            return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        return to_text(t, value, self.plan.tests.contract.types)

    def source_of(self, node) -> str:
        span = node.span
        lines = self.plan.source.splitlines()
        if span.line == span.end_line and 0 < span.line <= len(lines):
            return lines[span.line - 1][span.col - 1:span.end_col - 1]
        return lines[span.line - 1].strip() if 0 < span.line <= len(lines) else "?"

    def sides(self, expr: ast.Expr) -> str:
        """For a failed `expect a == b`: what each side was, where that says more than the source."""
        if not isinstance(expr, ast.Compare) or len(expr.rest) != 1:
            return ""
        shown = []
        for side in (expr.first, expr.rest[0][1]):
            if id(side) not in self.plan.build.exprs or _is_literal(side):
                continue
            try:
                value = self.text(self.plan.tests.annotations.type_of(side), self.evaluate(side))
            except ScenarioFailed:
                continue
            shown.append(f"{self.source_of(side)} is {value}")
        return f", but {' and '.join(shown)}" if shown else ""

    def party(self, name: ast.Ident) -> Party:
        value = self.locals.get(name.name)
        if not isinstance(value, Party):
            raise ScenarioFailed(f"{name.name} is not a party of this scenario", name.span.line)
        return value

    # -- steps

    def deploy(self, args: tuple, caller: Party, line: int) -> None:
        try:
            result = self.plan.machine.deploy(args, self.context(caller), self.host, self.gas_limit)
        except Abort as exc:
            raise ScenarioFailed(f"deploying the contract aborted: {exc.message}", line)
        self.host.apply(result.writes)
        self.deployed = True
        self.last_caller = caller
        self.last_events = result.events

    def deploy_refused(self, args: tuple, caller: Party, fails_with: str, line: int) -> None:
        """`deploy … fails with "t"`: `init` must abort with a message containing t; nothing is
        written, so the scenario may go on to deploy with other arguments."""
        try:
            self.plan.machine.deploy(args, self.context(caller), self.host, self.gas_limit)  # writes not applied
        except Abort as exc:
            if fails_with not in exc.message:
                raise ScenarioFailed(f'deploying the contract: expected it to fail with "{fails_with}", '
                                     f'but it failed with "{exc.message}"', line)
            self.last_caller = caller
            self.last_events = ()
            return
        raise ScenarioFailed(f'deploying the contract: expected it to fail with "{fails_with}", but it succeeded',
                             line)

    def ensure_deployed(self, line: int) -> None:
        """A scenario without `deploy` runs on the contract deployed with no `init` call."""
        if self.deployed or self.plan.is_module:
            return
        try:
            result = self.plan.machine.deploy_defaults(self.context(TESTER), self.host, self.gas_limit)
        except Abort as exc:
            raise ScenarioFailed(f"writing the contract's initial state aborted: {exc.message}", line)
        self.host.apply(result.writes)
        self.deployed = True

    def step(self, step: ast.Step) -> None:
        match step:
            case ast.AtStep(date=date):
                self.time_ms = midnight_of(parse_date_literal(date.text))
            case ast.LetStep(name=name, value=ast.PartyLit(role=role, name=org)):
                self.locals[name.name] = Party(org, org, role)
            case ast.LetStep(name=name, value=value):
                self.ensure_deployed(step.span.line)
                self.locals[name.name] = self.evaluate(value)
            case ast.DeployStep(args=args, caller=caller, fails_with=fails_with):
                if self.deployed:
                    raise ScenarioFailed("the contract is already deployed in this scenario", step.span.line)
                values = tuple(self.evaluate(a.value) for a in args)
                if fails_with is None:
                    self.deploy(values, self.party(caller), step.span.line)
                else:
                    self.deploy_refused(values, self.party(caller), fails_with, step.span.line)
            case ast.CallStep():
                self.ensure_deployed(step.span.line)
                self.call(step)
            case ast.ExpectEmitted():
                self.expect_emitted(step)
            case ast.ExpectTrue(expr=expr):
                self.ensure_deployed(step.span.line)
                if self.evaluate(expr) is not True:
                    raise ScenarioFailed(f"expected {self.source_of(expr)}{self.sides(expr)}", step.span.line)

    def call(self, step: ast.CallStep) -> None:
        caller = self.party(step.caller)
        args = tuple(self.evaluate(a.value) for a in step.args)
        name = step.function.name
        self.last_caller = caller
        try:
            result = self.plan.machine.call(name, args, self.context(caller), self.host, self.gas_limit)
        except Abort as exc:
            self.last_events = ()
            self.calls.append(CallRecord(step.span.line, step.caller.name, name, exc.gas_used, exc.message))
            if step.fails_with is not None:
                if step.fails_with not in exc.message:
                    raise ScenarioFailed(
                        f'{step.caller.name} calls {name}: expected it to fail with "{step.fails_with}", '
                        f'but it failed with "{exc.message}"', step.span.line)
                return
            raise ScenarioFailed(f"{step.caller.name} calls {name}: aborted: {exc.message}", step.span.line)
        self.host.apply(result.writes)
        self.last_events = result.events
        self.calls.append(CallRecord(step.span.line, step.caller.name, name, result.gas_used, "ok"))
        if step.binds is not None:
            self.locals[step.binds.name] = result.value
        if step.fails_with is not None:
            raise ScenarioFailed(f'{step.caller.name} calls {name}: expected it to fail with '
                                 f'"{step.fails_with}", but it succeeded', step.span.line)
        if step.returns is not None:
            expected = self.evaluate(step.returns)
            t = self.plan.tests.annotations.type_of(step.returns)
            if not self.same(t, result.value, expected):
                raise ScenarioFailed(f"{step.caller.name} calls {name}: returned {self.text(t, result.value)}, "
                                     f"expected {self.text(t, expected)}", step.span.line)

    def same(self, t: Type, a: object, b: object) -> bool:
        try:
            return equal(t, a, b, self.plan.tests.contract.types)
        except Abort:  # Money of two currencies: not the same outcome
            return False

    def expect_emitted(self, step: ast.ExpectEmitted) -> None:
        name = step.event.name
        if self.last_events is None:
            raise ScenarioFailed(f"expected the previous call to emit {name}, but no call was made yet",
                                 step.span.line)
        info = self.plan.tests.contract.events[name]
        fields = [p.name for p in info.params]
        wanted = []
        for i, arg in enumerate(step.args):
            index = fields.index(arg.name) if arg.name is not None else i
            wanted.append((index, info.params[index].type, self.evaluate(arg.value)))
        candidates = [e for e in self.last_events if e.name == name]
        for event in candidates:
            if all(self.same(t, event.values[i], v) for i, t, v in wanted):
                return
        if not candidates:
            emitted = ", ".join(e.name for e in self.last_events) or "nothing"
            raise ScenarioFailed(f"expected the previous call to emit {name}; it emitted {emitted}",
                                 step.span.line)
        shown = "; ".join(self.describe(info, e) for e in candidates)
        raise ScenarioFailed(f"the previous call emitted {shown}, which does not match "
                             f"{self.source_of(step).removeprefix('expect emitted ')}", step.span.line)

    def describe(self, info, event: Event) -> str:
        parts = ", ".join(f"{p.name}: {self.text(p.type, v)}" for p, v in zip(info.params, event.values))
        return f"{event.name}({parts})"


_LITERALS = (ast.IntLit, ast.DecimalLit, ast.MoneyLit, ast.PercentLit, ast.DateLit, ast.DurationLit, ast.BoolLit,
             ast.HashLit)


def _is_literal(expr: ast.Expr) -> bool:
    return isinstance(expr, _LITERALS) or (isinstance(expr, ast.TextLit) and all(isinstance(p, str) for p in expr.parts))


def _run_scenario(plan: _Plan, scenario: ast.Scenario, gas_limit: int) -> ScenarioResult:
    run = _Scenario(plan, scenario, gas_limit)
    start = time.perf_counter()
    try:
        for step in scenario.steps:
            run.step(step)
    except ScenarioFailed as failure:
        return ScenarioResult(scenario, False, failure.message, failure.line, run.calls,
                              time.perf_counter() - start)
    return ScenarioResult(scenario, True, None, None, run.calls, time.perf_counter() - start)
