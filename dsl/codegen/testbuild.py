"""Test builds: a contract's module plus one hidden view per scenario expression.

The scenario runner (`dsl.scenarios`) evaluates every expression of a scenario step by calling
its hidden entry ``__expr<N>``: a view with no `by` check whose parameters are the scenario's
locals declared before that step (in order) and whose result is the expression's value. Inside,
a call of one of the contract's views is an internal call, and `caller` is whatever caller the
runner passes (the scenario's most recent one). Party `let`s (`let picc = insurer "PICC"`) are
not compiled: the runner builds those parties itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dsl.bytecode_limits import SourceMap, max_functions, verifier_refusal
from dsl.codegen.compiler import ModuleLayout
from dsl.codegen.stmts import BodyCode
from dsl.diagnostics import Code, CompileError, Diagnostic
from dsl.semantics.analysis import TestAnalysis
from dsl.syntax import ast
from vm.errors import VerifyError
from vm.module import Entry, Function, Module, Param
from vm.types import Type
from vm.verify import VerifiedModule, verify

__all__ = ["ExprEntry", "TestBuild", "compile_tests", "verified_tests"]


@dataclass(frozen=True, slots=True)
class ExprEntry:
    """The hidden entry computing one scenario expression: call ``name`` with the values of the
    scenario locals named in ``params`` (in that order); it returns a value of ``type``."""

    name: str
    type: Type
    params: tuple[str, ...]


@dataclass
class TestBuild:
    """``module``: the target's module plus the hidden entries; ``exprs``: by ``id()`` of the
    expression node in the test file's tree."""

    __test__ = False

    module: Module
    exprs: dict[int, ExprEntry]
    source_map: SourceMap = field(default_factory=SourceMap)


def _step_exprs(step: ast.Step) -> list[ast.Expr]:
    match step:
        case ast.LetStep(value=value) if not isinstance(value, ast.PartyLit):
            return [value]
        case ast.DeployStep(args=args):
            return [a.value for a in args]
        case ast.CallStep(args=args, returns=returns):
            return [a.value for a in args] + ([returns] if returns is not None else [])
        case ast.ExpectEmitted(args=args):
            return [a.value for a in args]
        case ast.ExpectTrue(expr=ast.Compare(first=left, rest=((_, right),)) as e):
            # The two sides too, so that a failed expectation can say what each side was.
            return [e, left, right]
        case ast.ExpectTrue(expr=e):
            return [e]
    return []


def compile_tests(test_analysis: TestAnalysis) -> TestBuild:
    """The test build; CompileError where it would pass a limit of the bytecode format."""
    layout = ModuleLayout(test_analysis.contract)
    layout.unit.ann.add(test_analysis.annotations)
    layout.compile_all()
    extra: list[Entry] = []
    exprs: dict[int, ExprEntry] = {}
    for scenario, scenario_locals in zip(test_analysis.tree.scenarios, test_analysis.scenario_locals):
        declared = 0
        for step in scenario.steps:
            params = tuple(Param(p.name, p.type) for p in scenario_locals[:declared])
            for e in _step_exprs(step):
                name = f"__expr{len(exprs)}"
                t = test_analysis.annotations.type_of(e)
                code = BodyCode(layout.unit, tuple(p.type for p in params), name=name)
                if len(layout.functions) >= max_functions():
                    raise CompileError([Diagnostic(
                        f"the test build needs more than the {max_functions():,} functions a module may have "
                        "(the contract's, and one for each expression of a scenario)", e.span,
                        "split the scenarios over several test files", code=Code.B0602)])
                with layout.reporting(name, code, e.span):
                    code.expr(e)
                    code.emit("RET")
                index = len(layout.functions)
                names = tuple(p.name for p in params) + ("",) * (len(code.local_types) - len(params))
                layout.functions.append(Function(name, params, t, tuple(code.local_types), code.asm.finish(),
                                                 f"{scenario.title}: line {e.span.line}", names))
                extra.append(Entry(name, "view", index, (), True, ""))
                exprs[id(e)] = ExprEntry(name, t, tuple(p.name for p in params))
            if isinstance(step, ast.LetStep) or isinstance(step, ast.CallStep) and step.binds is not None:
                declared += 1
    return TestBuild(layout.build(extra), exprs, layout.source_map)


def verified_tests(test_analysis: TestAnalysis) -> tuple[TestBuild, VerifiedModule]:
    """The test build as the verifier accepted it; a refusal is a compile error at its source."""
    build = compile_tests(test_analysis)
    try:
        return build, verify(build.module)
    except VerifyError as exc:
        raise CompileError([verifier_refusal(str(exc), build.source_map, test_analysis.tree.span)]) from None
