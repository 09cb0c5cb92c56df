"""Statements of a body: locals and their slots, assignment targets, control flow, whether every
path of a typed function returns, and what a view or fn may not do.

Decisions beyond LANGUAGE.md: assigning to a parameter is allowed (parameters are locals
holding copies, like every value); `+=`/`-=` need a target of type Int, Decimal, Money, Percent
or Duration, and the value must give that type back under section 5's table; a statement after
`return`/`fail` is reported as unreachable (a warning). A local `x: T?` reads as a T inside
`if x is not none:` and after `if x is none:` whose block ends in `return` or `fail` (or in its
`else:`), unless the body assigns `x` after its `let` anywhere (`tested_local`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dsl.bytecode_limits import max_locals
from dsl.diagnostics import Code
from dsl.semantics.analysis import BuiltinFuncRef, MethodRef, StateRef
from dsl.semantics.decls import resolve_type
from dsl.semantics.exprs import ExprChecker
from dsl.semantics.operators import is_empty_collection
from dsl.semantics.scope import (
    BUILTIN_FUNCS, BUILTIN_VALUE_NAMES, BodyKind, a_kind, article, did_you_mean, kind_word, where,
)
from dsl.semantics.typerules import COMPOUND_TARGETS, arith, widens
from dsl.syntax import ast
from vm.types import BOOL, INT, PARTY, TEXT, ListType, MapType, OptionalType, TupleType, Type


class BodyChecker(ExprChecker):
    """Checks the statements of one action, view, fn or init (one pass over its body)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.returns: Type | None = None
        self.param_count = 0  # the first slots, which are parameters
        self.reassigned: frozenset[str] = frozenset()  # locals assigned after their `let`: never narrowed

    def body(self, stmts: tuple[ast.Stmt, ...], returns: Type | None, decl_span: ast.Span) -> None:
        self.returns = returns
        self.reassigned = frozenset(_assigned_names(stmts))
        ends = self.block(stmts)
        if returns is not None and not ends:
            self.error(Code.B0502, f"`{self.name}` must return {article(returns)} on every path", decl_span,
                       "add a `return` at the end, or `fail` where no value can be given")

    def block(self, stmts: tuple[ast.Stmt, ...]) -> bool:
        """Check a block; True when every path through it returns or fails."""
        ends = False
        warned = False
        for s in stmts:
            if ends and not warned:
                self.findings.warn(Code.B0505, "this statement is never reached", s.span)
                warned = True
            handler = _STMTS[type(s)]
            if handler(self, s):
                ends = True
        return ends

    def nested(self, stmts: tuple[ast.Stmt, ...], narrowed: tuple[int, Type] | None = None) -> bool:
        """Check a block in a scope of its own, where ``narrowed`` (slot, T) reads as T."""
        self.locals.push()
        try:
            if narrowed is not None:
                self.locals.narrow(*narrowed)
            return self.block(stmts)
        finally:
            self.locals.pop()

    def tested_local(self, cond: ast.Expr, holds: bool) -> tuple[int, Type] | None:
        """(slot, T) when ``cond`` is `x is not none` (``holds``) or `x is none` (not ``holds``)
        of a local `x: T?` that the body never assigns after its `let` (so a test of it stays true
        until its block ends: flow narrowing, for locals only)."""
        if not (isinstance(cond, ast.IsNone) and cond.negated == holds and isinstance(cond.operand, ast.Name)):
            return None
        slot = self.locals.lookup(cond.operand.id)
        if slot is None or cond.operand.id in self.reassigned:
            return None
        t = self.locals.types[slot]
        return (slot, t.inner) if isinstance(t, OptionalType) else None

    # -- locals --------------------------------------------------------------------------------
    def declare_local(self, ident: ast.Ident, t: Type | None) -> None:
        name = ident.name
        clash = self.shadowed(name)
        if clash is not None:
            self.error(Code.B0506, f"`{name}` shadows {clash}", ident.span, "choose another name")
        slot = self.locals.add(name, t, ident.span)  # type: ignore[arg-type]  # t is None after a reported error; check raises before anything reads it
        self.ann.refs[id(ident)] = self.locals.refs[slot]
        if slot == max_locals():
            self.error(Code.B0602, f"`{name}` is local variable number {slot + 1:,} of this function, and a function may have "
                       f"{slot:,} (its parameters, `let`s and loop variables, and the compiler's temporaries)",
                       ident.span, "split the function into smaller fns")

    def shadowed(self, name: str) -> str | None:
        slot = self.locals.lookup(name)
        if slot is not None:
            first = self.locals.spans[slot]
            what = "a parameter" if slot < self.param_count else "a local"
            return f"{what} declared at {where(first)}"
        sym = self.scope.symbols.get(name)
        if sym is not None:
            if self.kind == BodyKind.SCENARIO or not sym.span.line:
                return f"the {kind_word(sym.kind)} `{name}` of the contract"
            return f"the {kind_word(sym.kind)} declared at {where(sym.span)}"
        if name in self.scope.enum_values:
            return "an enum value"
        if name in BUILTIN_VALUE_NAMES or name in BUILTIN_FUNCS:
            return f"the built-in `{name}`"
        return None

    def _let(self, s: ast.Let) -> bool:
        if s.type is None:
            t = self.expr(s.value)
        else:
            t = resolve_type(s.type, self.scope, self.findings)
            if t is None:
                self.expr(s.value)
            else:
                self.expect(s.value, t, f"the value of `{s.name.name}`")
        self.declare_local(s.name, t)
        return False

    # -- assignment ----------------------------------------------------------------------------
    def target(self, e: ast.Expr, verb: str) -> Type | None:
        """Type an assignment target (a Name, Attribute or Index chain) and note state writes."""
        if isinstance(e, ast.Name):
            slot = self.locals.lookup(e.id)
            if slot is not None:
                self.ann.refs[id(e)] = self.locals.refs[slot]
                return self._typed(e, self.locals.types[slot])
            var = self.scope.state.get(e.id)
            if var is not None:
                self._write_state(e, verb)
                self.ann.refs[id(e)] = StateRef(e.id, var.index)
                return self._typed(e, var.type)
            sym = self.scope.symbols.get(e.id)
            if sym is not None or e.id in self.scope.enum_values or e.id in BUILTIN_VALUE_NAMES:
                what = (a_kind(sym.kind) if sym is not None
                        else "a built-in value" if e.id in BUILTIN_VALUE_NAMES else "an enum value")
                self.error(Code.B0503, f"cannot {verb} `{e.id}`: it is {what}", e.span,
                           "only locals, parameters and state variables can be assigned")
                return None
            self.undefined(e.id, e.span)
            return None
        if isinstance(e, ast.Attribute):
            t = self.target(e.obj, verb)
            if t is None:
                return None
            if t == PARTY:
                self.error(Code.B0503, "the fields of a Party cannot be changed", e.span)
                return None
            return self.field_of(e, t)
        if isinstance(e, ast.Index):
            t = self.target(e.obj, verb)
            if t is None:
                self.expr(e.index)
                return None
            if isinstance(t, TupleType):
                self.error(Code.B0503, "the parts of a tuple cannot be changed", e.span, "build a new tuple")
                return None
            return self.element_of(e, t)
        self.error(Code.B0503, f"cannot {verb} this: only names, fields and [ ] entries can be assigned", e.span)
        return None

    def _write_state(self, e: ast.Name, verb: str) -> None:
        self.writes_state = True
        if self.kind == BodyKind.VIEW:
            self.error(Code.B0501, f"view `{self.name}` cannot write state: it would {verb} `{e.id}`", e.span,
                       "only actions and init change state")
        elif self.kind in (BodyKind.FN, BodyKind.CONST):
            self._pure_violation(f"the state variable `{e.id}`", e.span, "pass what it needs as a parameter")

    def _assign(self, s: ast.Assign) -> bool:
        t = self.target(s.target, "assign to")
        if s.op == "=":
            if t is None:
                if not is_empty_collection(s.value):
                    self.expr(s.value)
            else:
                self.expect(s.value, t, "the assigned value")
            return False
        v = self.expr(s.value)
        if t is None or v is None:
            return False
        if t not in COMPOUND_TARGETS:
            self.error(Code.B0402, f"`{s.op}` needs a number, Money, Percent or Duration target, not {t}", s.target.span)
            return False
        op = s.op[0]
        result = arith(op, t, v)
        if result != t:
            self.error(Code.B0402, f"cannot {'add' if op == '+' else 'subtract'} {v} {'to' if op == '+' else 'from'} {t} "
                       f"with `{s.op}`", s.span, f"the value must keep the target's type {t}")
            return False
        _, wr = widens(t, v, result)
        if wr:
            self._widen(s.value)
        return False

    # -- control flow --------------------------------------------------------------------------
    def _if(self, s: ast.If) -> bool:
        ends = True
        for branch in s.branches:
            self.expect(branch.cond, BOOL, "a condition")
            ends = self.nested(branch.body, self.tested_local(branch.cond, True)) and ends
        # `if x is none: <return or fail>` proves x holds a value after it; `else:` does as well
        absent = self.tested_local(s.branches[0].cond, False) if len(s.branches) == 1 else None
        if s.otherwise is None:
            if absent is not None and ends:
                self.locals.narrow(*absent)
            return False
        return self.nested(s.otherwise, absent) and ends

    def _for(self, s: ast.For) -> bool:
        it = s.iter
        var_types: list[Type | None]
        if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" \
                and self.locals.lookup("range") is None:
            if len(it.args) != 2 or any(a.name for a in it.args):
                self.error(Code.B0406, "`range` takes two Ints: range(a, b)", it.span)
            for a in it.args:
                self.expect(a.value, INT, "a bound of `range`")
            self.ann.refs[id(it)] = BuiltinFuncRef("range", "range")
            var_types = [INT]
            shape = "a range"
        else:
            t = self.expr(it)
            if isinstance(t, ListType):
                var_types, shape = [t.elem], "a List"
            elif isinstance(t, MapType):
                var_types, shape = [t.key, t.value], "a Map"
            else:
                if t is not None:
                    self.error(Code.B0406, f"cannot loop over {t}: `for` works on a List, a Map or range(a, b)", it.span)
                var_types, shape = [None] * len(s.vars), ""
        if shape and len(s.vars) != len(var_types):
            want = "for k, v in m" if len(var_types) == 2 else "for x in xs"
            self.error(Code.B0401, f"looping over {shape} takes {len(var_types)} variable{'s' if len(var_types) > 1 else ''}",
                       s.span, f"write `{want}`")
            var_types = (var_types + [None] * len(s.vars))[:len(s.vars)]
        self.locals.push()
        try:
            for ident, t in zip(s.vars, var_types):
                self.declare_local(ident, t)
            self.block(s.body)
        finally:
            self.locals.pop()
        return False

    def _require(self, s: ast.Require) -> bool:
        self.expect(s.cond, BOOL, "the condition of `require`")
        if s.message is not None:
            self.expect(s.message, TEXT, "the message of `require`")
        return False

    def _fail(self, s: ast.Fail) -> bool:
        self.expect(s.message, TEXT, "the message of `fail`")
        return True

    def _emit(self, s: ast.Emit) -> bool:
        self.emits = True
        if self.kind in (BodyKind.VIEW, BodyKind.FN, BodyKind.CONST):
            who = {BodyKind.VIEW: "a view", BodyKind.FN: "a fn"}.get(self.kind, "a default value")
            self.error(Code.B0501, f"{who} cannot emit events", s.span, "only actions and init emit")
        event = self.scope.events.get(s.event.name)
        if event is None:
            self.error(Code.B0301, f"undefined event `{s.event.name}`", s.event.span,
                       did_you_mean(s.event.name, self.scope.events))
            for a in s.args:
                self.expr(a.value)
            return False
        self.bind_args(s.args, event.params, f"event {event.name}", s.span)
        return False

    def _return(self, s: ast.Return) -> bool:
        if self.returns is None:
            if s.value is not None:
                self.error(Code.B0502, f"`{self.name}` declares no result type, so `return` takes no value", s.value.span,
                           "declare one with -> Type")
                self.expr(s.value)
        elif s.value is None:
            self.error(Code.B0502, f"`{self.name}` must return {article(self.returns)}", s.span)
        else:
            self.expect(s.value, self.returns, f"the result of `{self.name}`")
        return True

    def _delete(self, s: ast.Delete) -> bool:
        target = s.target
        if not isinstance(target, ast.Index):
            self.error(Code.B0406, "`delete` removes a map entry: delete m[k]", s.span)
            return False
        t = self.target(target.obj, "delete from")
        if t is None:
            self.expr(target.index)
            return False
        if not isinstance(t, MapType):
            self.error(Code.B0406, f"`delete` works on a Map entry, not on {t}", target.obj.span)
            self.expr(target.index)
            return False
        self.element_of(target, t)
        return False

    def _pass(self, s: ast.Pass) -> bool:
        return False

    def _expr_stmt(self, s: ast.ExprStmt) -> bool:
        e = s.expr
        if isinstance(e, ast.Call):
            func = e.func
            if isinstance(func, ast.Attribute) and func.name == "append" and not (
                    isinstance(func.obj, ast.Name) and func.obj.id in self.scope.enums):
                self._append(e, func)
                return False
            self.expr(e)
            return False
        self.expr(e)
        self.error(Code.B0504, "this expression does nothing on its own line", e.span,
                   "a statement line is a call, an assignment, or a keyword such as require")
        return False

    def _append(self, e: ast.Call, func: ast.Attribute) -> None:
        t = self.target(func.obj, "append to")
        if t is not None and not isinstance(t, ListType):
            self.error(Code.B0406, f"`append` works on a List, not on {t}", func.span)
            t = None
        if len(e.args) != 1 or e.args[0].name is not None:
            self.error(Code.B0406, "`append` takes one value: xs.append(x)", e.span)
            for a in e.args:
                self.expr(a.value)
        elif t is not None:
            self.expect(e.args[0].value, t.elem, "the appended value")
        else:
            self.expr(e.args[0].value)
        self.ann.refs[id(e)] = MethodRef("append", self.state_root(func.obj))


# Each handler takes the statement of its own class (hence Any here); True when it ends every path.

def _assigned_names(stmts: tuple[ast.Stmt, ...]) -> set[str]:
    """The names that assignments in ``stmts`` (at any depth) write, their roots (`x` of `x.f = v`)."""
    out: set[str] = set()
    for s in stmts:
        if isinstance(s, ast.Assign):
            target = s.target
            while isinstance(target, (ast.Attribute, ast.Index)):
                target = target.obj
            if isinstance(target, ast.Name):
                out.add(target.id)
        elif isinstance(s, ast.If):
            for branch in s.branches:
                out |= _assigned_names(branch.body)
            out |= _assigned_names(s.otherwise or ())
        elif isinstance(s, ast.For):
            out |= _assigned_names(s.body)
    return out

_STMTS: dict[type[ast.Stmt], Callable[[BodyChecker, Any], bool]] = {
    ast.Let: BodyChecker._let,
    ast.Assign: BodyChecker._assign,
    ast.If: BodyChecker._if,
    ast.For: BodyChecker._for,
    ast.Require: BodyChecker._require,
    ast.Fail: BodyChecker._fail,
    ast.Emit: BodyChecker._emit,
    ast.Return: BodyChecker._return,
    ast.Delete: BodyChecker._delete,
    ast.Pass: BodyChecker._pass,
    ast.ExprStmt: BodyChecker._expr_stmt,
}
