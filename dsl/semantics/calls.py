"""Typing of calls: functions (fns anywhere; views from actions, views and scenarios), record
construction, built-ins and the `get` method; matching arguments to parameters. A mixin of
`ExprChecker`, which provides ``expr``, ``expect``, ``error`` and the annotation tables these
methods use."""

from __future__ import annotations

from dsl.diagnostics import Code
from dsl.semantics.analysis import FunctionKind, FunctionRef, MethodRef, RecordCtorRef, StateRef
from dsl.semantics.context import ExprContext
from dsl.semantics.scope import BUILTIN_FUNCS, BodyKind, Signature, a_kind, article, did_you_mean
from dsl.semantics.typerules import BUILTIN_VALUES
from dsl.syntax import ast
from vm.types import MapType, RecordType, Type


# The bodies that may call a view: it reads state and never writes it, so actions and other views
# share their state-reading logic through it (a scenario reads a result through it). A view called
# from a body is a plain call: its entry rules (`by`) apply to transactions only. A fn (and a
# default value) stays pure; init sets up what views read and calls fns only.
_VIEW_CALLERS = frozenset({BodyKind.ACTION, BodyKind.VIEW, BodyKind.SCENARIO})


class CallTyping(ExprContext):
    # -- calls ---------------------------------------------------------------------------------
    def _call(self, e: ast.Call, hint: Type | None) -> Type | None:
        func = e.func
        if isinstance(func, ast.Attribute) and func.name in ("append", "get") and not (
                isinstance(func.obj, ast.Name) and func.obj.id in self.scope.enums):
            if func.name == "append":
                self.error(Code.B0504, "`append` is a statement: write xs.append(x) on its own line", e.span)
                return None
            return self._get(e, func)
        if not isinstance(func, ast.Name):
            self.error(Code.B0404, "only functions, records and built-ins can be called", func.span)
            self._args_only(e)
            return None
        name = func.id
        if self.locals.lookup(name) is not None:
            self.error(Code.B0404, f"`{name}` is a local value and cannot be called", func.span)
            self._args_only(e)
            return None
        scope = self.scope
        if name in scope.records:
            return self._record_ctor(e, name)
        sig = scope.signatures.get(name)
        if sig is not None:
            return self._function_call(e, sig)
        if name in BUILTIN_FUNCS:
            from dsl.semantics.builtins import check_builtin

            return check_builtin(self, e, name)
        sym = scope.symbols.get(name)
        if sym is not None:
            self.error(Code.B0404, f"`{name}` is {a_kind(sym.kind)} and cannot be called", func.span)
        elif name in scope.enum_values or name in BUILTIN_VALUES:
            self.error(Code.B0404, f"`{name}` is a value and cannot be called", func.span)
        else:
            self.undefined(name, func.span)
        self._args_only(e)
        return None

    def _args_only(self, e: ast.Call) -> None:
        for a in e.args:
            self.expr(a.value)

    def _get(self, e: ast.Call, func: ast.Attribute) -> Type | None:
        t = self.expr(func.obj)
        if t is None:
            self._args_only(e)
            return None
        if not isinstance(t, MapType):
            self.error(Code.B0406, f"`get` works on a Map, not on {t}", func.span)
            self._args_only(e)
            return None
        if len(e.args) != 2 or any(a.name for a in e.args):
            self.error(Code.B0406, "`get` takes a key and a default: m.get(key, default)", e.span)
            self._args_only(e)
            return None
        k = self.expect(e.args[0].value, t.key, "the key given to `get`")
        d = self.expect(e.args[1].value, t.value, "the default given to `get`")
        self._refs[id(e)] = MethodRef("get", self.state_root(func.obj))
        if k is None or d is None:
            return None
        return self._typed(e, t.value)

    def state_root(self, e: ast.Expr) -> str | None:
        """The state variable an access path starts at, if it starts at one."""
        while isinstance(e, (ast.Attribute, ast.Index)):
            e = e.obj
        ref = self._refs.get(id(e))
        return ref.name if isinstance(ref, StateRef) else None

    def _record_ctor(self, e: ast.Call, name: str) -> Type | None:
        record = self.scope.records[name]
        given: list[int | None] = [None] * len(record.fields)
        ok = True
        for i, arg in enumerate(e.args):
            if arg.name is None:
                self.error(Code.B0405, f"name each field when building {article(name)}", arg.span,
                           f"write {name}({record.fields[min(i, len(record.fields) - 1)][0]}: ...)"
                           if record.fields else None)
                self.expr(arg.value)
                ok = False
                continue
            index = record.index_of(arg.name)
            if index is None:
                self.error(Code.B0405, f"record {name} has no field `{arg.name}`", arg.span,
                           did_you_mean(arg.name, [n for n, _ in record.fields]))
                self.expr(arg.value)
                ok = False
                continue
            if given[index] is not None:
                self.error(Code.B0405, f"field `{arg.name}` is given twice", arg.span)
                ok = False
                continue
            given[index] = i
            if self.expect(arg.value, record.fields[index][1], f"field `{arg.name}` of {name}") is None:
                ok = False
        missing = [record.fields[i][0] for i, g in enumerate(given)
                   if g is None and record.decls[i].default is None]
        if missing:
            listed = ", ".join(f"`{m}`" for m in missing)
            self.error(Code.B0405, f"{name} needs a value for {listed}", e.span, "only fields with a default may be left out")
            ok = False
        self._refs[id(e)] = RecordCtorRef(name, tuple(given))
        return self._typed(e, RecordType(name)) if ok else None

    def _function_call(self, e: ast.Call, sig: Signature) -> Type | None:
        if sig.kind == FunctionKind.VIEW and self.kind in (BodyKind.FN, BodyKind.CONST):
            self._pure_violation(f"the view `{sig.name}`: a view reads state", e.func.span,
                                 "pass what it needs as a parameter, or make the caller a view")
            self._args_only(e)
            return None
        if sig.kind != FunctionKind.FN and not (sig.kind == FunctionKind.VIEW and self.kind in _VIEW_CALLERS):
            what = "an action" if sig.kind == FunctionKind.ACTION else "a view"
            hint = ("in a scenario, call actions as a step: X calls f(...)" if self.kind == BodyKind.SCENARIO
                    else "move the shared logic into a fn and call that")
            self.error(Code.B0404, f"`{sig.name}` is {what} and cannot be called here", e.func.span, hint)
            self._args_only(e)
            return None
        ok = self.bind_args(e.args, sig.params, f"`{sig.name}`", e.span)
        self._refs[id(e)] = FunctionRef(sig.name, sig.kind, sig.module)
        if sig.returns is None:
            if ok:
                self.error(Code.B0401, f"`{sig.name}` returns no value", e.span)
            return None
        return self._typed(e, sig.returns) if ok else None

    def bind_args(self, args: tuple[ast.Arg, ...], params, what: str, span: ast.Span,
                  require_all: bool = True) -> bool:
        """Match call arguments (positional, then named) to parameters and type each one."""
        ok = True
        bound = [False] * len(params)
        names = [p.name for p in params]
        seen_named = False
        for i, arg in enumerate(args):
            if arg.name is None:
                if seen_named:
                    self.error(Code.B0405, "a positional argument cannot follow a named one", arg.span)
                    self.expr(arg.value)
                    ok = False
                    continue
                if i >= len(params):
                    self.error(Code.B0405, f"{what} takes {len(params)} argument{'s' if len(params) != 1 else ''}, "
                               f"not {len(args)}", arg.span)
                    self.expr(arg.value)
                    ok = False
                    continue
                index = i
            else:
                seen_named = True
                if arg.name not in names:
                    noun = "field" if what.startswith("event ") else "parameter"
                    self.error(Code.B0405, f"{what} has no {noun} `{arg.name}`", arg.span, did_you_mean(arg.name, names))
                    self.expr(arg.value)
                    ok = False
                    continue
                index = names.index(arg.name)
                if bound[index]:
                    self.error(Code.B0405, f"`{arg.name}` is given twice", arg.span)
                    ok = False
                    continue
            bound[index] = True
            if self.expect(arg.value, params[index].type, f"`{params[index].name}` of {what}") is None:
                ok = False
        if require_all and ok:
            missing = [names[i] for i, b in enumerate(bound) if not b]
            if missing:
                self.error(Code.B0405, f"{what} needs {', '.join(f'`{m}`' for m in missing)}", span)
                ok = False
        return ok
