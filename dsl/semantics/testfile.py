"""Checking a test file (`*.test.bao`) against the contract or module it targets.

Scenario expressions are typed like contract code, with what a scenario may see: the target's
views (FunctionRef kind "view") and fns, its records, enums and events, the built-in functions
and `caller`. State variables and `now`/`today`/`tx_id` are not visible: a scenario reads state
through views, and its clock is set with `at`.
"""

from __future__ import annotations

from dsl.diagnostics import Code, CompileError
from dsl.semantics.analysis import Analysis, Annotations, FunctionKind, ParamInfo, TestAnalysis
from dsl.semantics.literals import LiteralValidator
from dsl.semantics.reserved import reject_reserved_names
from dsl.semantics.scope import (
    BodyKind, ContractScope, Findings, RecordInfo, Signature, Symbol, SymbolKind, article, did_you_mean,
)
from dsl.semantics.stmts import BodyChecker
from dsl.syntax import ast
from vm.types import BOOL, PARTY, Type

# What a scenario's `X calls f(...)` step may call.
_STEP_KINDS = frozenset({FunctionKind.ACTION, FunctionKind.VIEW})


def scope_of(contract: Analysis) -> ContractScope:
    """Rebuild the namespace of a checked contract (or module) from its Analysis."""
    scope = ContractScope(contract.tree.kind)
    record_decls: dict[str, ast.RecordDecl] = {}
    for tree in (contract.tree, *(m.tree for m in contract.modules.values())):
        for d in tree.decls:
            if isinstance(d, ast.RecordDecl):
                record_decls.setdefault(d.name.name, d)
            elif isinstance(d, ast.EnumDecl):
                scope.symbols.setdefault(d.name.name, Symbol(d.name.name, SymbolKind.ENUM, d.name.span))
    for p in contract.parties:
        scope.symbols[p] = Symbol(p, SymbolKind.PARTY, ast.NO_SPAN)
        scope.parties.append(p)
    for name, values in contract.types.enums.items():
        scope.enums[name] = values
        scope.symbols.setdefault(name, Symbol(name, SymbolKind.ENUM, ast.NO_SPAN))
        for i, v in enumerate(values):
            scope.enum_values.setdefault(v, []).append((name, i))
    for name, fields in contract.types.records.items():
        decl = record_decls.get(name)
        decls = decl.fields if decl is not None else tuple(ast.FieldDecl(ast.Ident(f), ast.TypeRef(str(t)))
                                                           for f, t in fields)
        scope.records[name] = RecordInfo(name, fields, decls)
        scope.symbols[name] = Symbol(name, SymbolKind.RECORD, decl.name.span if decl else ast.NO_SPAN)
    for name, event in contract.events.items():
        scope.events[name] = event
        scope.symbols[name] = Symbol(name, SymbolKind.EVENT, event.decl.name.span)
    for var in contract.state:
        scope.state[var.name] = var
        scope.symbols[var.name] = Symbol(var.name, SymbolKind.STATE, var.decl.name.span)
    for key, info in contract.functions.items():
        if "." in key or info.kind == FunctionKind.INIT:
            continue
        scope.signatures[key] = Signature(key, info.kind, info.params, info.returns, info.module)
        scope.symbols[key] = Symbol(key, SymbolKind(info.kind), ast.NO_SPAN, info.module)
    return scope


class _ScenarioChecker(BodyChecker):
    """Types one scenario's steps; its locals are the scenario's `let`s."""

    def __init__(self, contract: Analysis, *args) -> None:
        super().__init__(*args)
        self.contract = contract

    def party_local(self, ident: ast.Ident) -> bool:
        slot = self.locals.lookup(ident.name)
        if slot is None:
            role = self.scope.parties[0] if self.scope.parties else "role"
            self.error(Code.B0301, f"undefined party `{ident.name}`", ident.span,
                       did_you_mean(ident.name, self.locals.names)
                       or f"declare one first: let {ident.name} = {role} \"Org\"")
            return False
        t = self.locals.types[slot]
        if t is not None and t != PARTY:
            self.error(Code.B0301, f"`{ident.name}` is {article(t)}, not a party", ident.span)
            return False
        return t is not None

    def step(self, s: ast.Step) -> None:
        match s:
            case ast.AtStep(date=d):
                self.expr(d)
            case ast.LetStep(name=ident, value=value):
                t = self.expr(value)
                if t is None and isinstance(value, ast.PartyLit):
                    t = PARTY  # the role was reported; the local is still a party
                self.declare_local(ident, t)
            case ast.DeployStep():
                self._deploy(s)
            case ast.CallStep(binds=binds):
                self._call_step(s)
                if binds is not None:
                    self.declare_local(binds, self._bound_type(s))
            case ast.ExpectEmitted():
                self._emitted(s)
            case ast.ExpectTrue(expr=e):
                t = self.expr(e)
                if t is not None and t != BOOL:
                    self.error(Code.B0401, f"what `expect` checks must be Bool, not {t}", e.span,
                               "compare it with what you expect: expect x == value")

    def _deploy(self, s: ast.DeployStep) -> None:
        if self.scope.kind == "module":
            self.error(Code.B0702, "a module is not deployed: its tests call its fns in `expect` lines", s.span)
            return
        self.party_local(s.caller)
        init = self.contract.functions.get("init")
        if init is None:
            if s.fails_with is not None:
                self.error(Code.B0702, f"{self.name} has no `init`, so deploying it cannot fail", s.span,
                           "remove `fails with`, or give the contract an `init` that checks what it needs")
            if s.args:
                self.error(Code.B0702, f"{self.name} has no `init`, so `deploy` takes no arguments", s.span)
                for a in s.args:
                    self.expr(a.value)
            return
        self.bind_args(s.args, init.params, "`init`", s.span)

    def _call_step(self, s: ast.CallStep) -> None:
        if self.scope.kind == "module":
            self.error(Code.B0702, "a module has no actions to call: test its fns in `expect` lines", s.span)
            return
        self.party_local(s.caller)
        name = s.function.name
        sig = self.scope.signatures.get(name)
        if sig is None or sig.kind not in _STEP_KINDS:
            what = f"`{name}` is a fn, not an action" if sig is not None else f"{self.name} has no action `{name}`"
            actions = [n for n, g in self.scope.signatures.items() if g.kind in _STEP_KINDS]
            self.error(Code.B0702, what, s.function.span, did_you_mean(name, actions))
            for a in s.args:
                self.expr(a.value)
            if s.returns is not None:
                self.expr(s.returns)
            return
        self.bind_args(s.args, sig.params, f"`{name}`", s.span)
        if s.returns is not None:
            if sig.returns is None:
                self.error(Code.B0702, f"`{name}` returns no value", s.returns.span)
                self.expr(s.returns)
            else:
                self.expect(s.returns, sig.returns, f"the result of `{name}`")

    def _bound_type(self, s: ast.CallStep) -> Type | None:
        """The type of `let v = X calls f(...)`'s v: what f returns (None after a reported error)."""
        sig = self.scope.signatures.get(s.function.name)
        if sig is None or sig.kind not in _STEP_KINDS or self.scope.kind == "module":
            return None  # reported by _call_step
        if sig.returns is None:
            self.error(Code.B0704, f"`{s.function.name}` returns no value, so there is nothing to keep in "
                       f"`{s.binds.name if s.binds else ''}`", s.span,
                       f"call it as a step: {s.caller.name} calls {s.function.name}(...)")
        return sig.returns

    def _emitted(self, s: ast.ExpectEmitted) -> None:
        event = self.scope.events.get(s.event.name)
        if event is None:
            self.error(Code.B0301, f"{self.name} has no event `{s.event.name}`", s.event.span,
                       did_you_mean(s.event.name, self.scope.events))
            for a in s.args:
                self.expr(a.value)
            return
        for a in s.args:
            if a.name is None:
                self.error(Code.B0405, "name each field you expect: E(field: value)", a.span)
                self.expr(a.value)
                return
        self.bind_args(s.args, event.params, f"event {event.name}", s.span, require_all=False)


def check_tests(tree: ast.TestFile, contract: Analysis) -> TestAnalysis:
    """Check a test file against its target; raise CompileError with every error found."""
    findings = Findings()
    ann = Annotations()
    literals = LiteralValidator()
    scope = scope_of(contract)
    reject_reserved_names(tree, findings)
    locals_per_scenario: list[tuple[ParamInfo, ...]] = []
    titles: dict[str, ast.Span] = {}
    for scenario in tree.scenarios:
        if scenario.title in titles:
            findings.warn(Code.B0703, f"two scenarios are called \"{scenario.title}\"", scenario.span)
        titles.setdefault(scenario.title, scenario.span)
        checker = _ScenarioChecker(contract, scope, findings, ann, literals, BodyKind.SCENARIO,
                                   contract.tree.name.name)
        for step in scenario.steps:
            checker.step(step)
        locs = checker.locals
        locals_per_scenario.append(tuple(ParamInfo(n, t) for n, t in zip(locs.names, locs.types)))
    if findings.errors:
        raise CompileError(findings.sorted_errors())
    return TestAnalysis(tree, contract, locals_per_scenario, ann)
