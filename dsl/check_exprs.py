"""Typing of expressions: one visit per node, recording its type and what its names refer to.

`ExprChecker.expr` returns the node's type, or None after an error (a poisoned value: callers
stay quiet about it so one mistake gives one diagnostic). `expect` checks a value against the
type its place needs and records the Int-to-Decimal widening and the type an empty `[]`/`{}`
takes from its place.
"""

from __future__ import annotations

from dsl import ast
from dsl.analysis import (
    BuiltinValueRef, EnumValueRef, FieldRef, FunctionRef, LocalRef, MethodRef, PartyFieldRef,
    RecordCtorRef, StateRef, TypeNameRef,
)
from dsl.check_literals import LiteralValidator
from dsl.check_scope import (
    BUILTIN_FUNCS, BUILTIN_VALUE_NAMES, Annotations, ContractScope, Findings, LocalScope, Signature,
    a_kind, did_you_mean,
)
from dsl.check_types import (
    BUILTIN_VALUES, NEGATABLE, PARTY_FIELDS, arith, arith_error, assignable, comparable, is_key_type,
    is_ordered, membership, widens,
)
from vm.types import (
    BOOL, DATE, DECIMAL, DURATION, HASH, INT, MONEY, PARTY, PERCENT, TEXT, EnumType, ListType, MapType,
    RecordType, Type,
)

_LITERAL_TYPES = {
    ast.IntLit: INT, ast.DecimalLit: DECIMAL, ast.MoneyLit: MONEY, ast.PercentLit: PERCENT,
    ast.DateLit: DATE, ast.DurationLit: DURATION, ast.HashLit: HASH,
}

# What each kind of body may not see, and why (shown to the author).
_PURE_KINDS = {"fn": "a fn", "const": "a default or initial value"}


def _mismatch_hint(expected: Type, actual: Type) -> str | None:
    if expected == MONEY and actual in (INT, DECIMAL):
        return "write an amount with its currency, e.g. 100.00 CNY"
    if expected == PERCENT and actual in (INT, DECIMAL):
        return "write a Percent with %, e.g. 5%"
    if expected == TEXT:
        return "turn a value into Text with text(x)"
    if expected == INT and actual == DECIMAL:
        return "Decimal never narrows to Int implicitly: use floor(x) or ceil(x)"
    return None


class ExprChecker:
    """Types the expressions of one body (an action, view, fn, init, default value or scenario)."""

    def __init__(self, scope: ContractScope, findings: Findings, ann: Annotations,
                 literals: LiteralValidator, kind: str, name: str,
                 locals_: LocalScope | None = None) -> None:
        self.scope = scope
        self.findings = findings
        self.ann = ann
        self.literals = literals
        self.kind = kind  # "action" "view" "fn" "init" "const" "scenario"
        self.name = name
        self.locals = locals_ if locals_ is not None else LocalScope()
        self.writes_state = False
        self.emits = False
        self._types = ann.expr_types
        self._refs = ann.refs

    # -- helpers -------------------------------------------------------------------------------
    def error(self, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.findings.error(message, span, hint)

    def _typed(self, e: ast.Expr, t: Type | None) -> Type | None:
        if t is not None:
            self._types[id(e)] = t
        return t

    def expect(self, e: ast.Expr, expected: Type | None, what: str) -> Type | None:
        """Check ``e`` where a value of ``expected`` stands; record any widening."""
        if expected is None:
            return self.expr(e)
        t = self.expr(e, expected)
        if t is None:
            return None
        fits, widened = assignable(t, expected)
        if not fits:
            self.error(f"{what} must be {expected}, not {t}", e.span, _mismatch_hint(expected, t))
            return None
        if widened:
            self.ann.coercions[id(e)] = expected
        return expected

    def _widen(self, e: ast.Expr) -> None:
        self.ann.coercions[id(e)] = DECIMAL

    def _pure_violation(self, what: str, span: ast.Span, hint: str) -> None:
        who = _PURE_KINDS.get(self.kind)
        if who is not None:
            subject = f"{who} `{self.name}`" if self.kind == "fn" else who
            self.error(f"{subject} cannot use {what}", span, hint)

    # -- dispatch ------------------------------------------------------------------------------
    def expr(self, e: ast.Expr, hint: Type | None = None) -> Type | None:
        """The type of ``e`` (None after an error). ``hint`` is the type its place expects,
        used only by empty `[]`/`{}` and collection literals."""
        lit_type = _LITERAL_TYPES.get(type(e))
        if lit_type is not None:
            problem = self.literals.check(e)
            if problem is not None:
                self.error(problem, e.span)
                return None
            self._types[id(e)] = lit_type
            return lit_type
        method = _DISPATCH.get(type(e))
        if method is None:
            self.error("this expression is not allowed here", e.span)
            return None
        return method(self, e, hint)

    def _text(self, e: ast.TextLit, hint: Type | None) -> Type | None:
        for part in e.parts:
            if not isinstance(part, str):
                self.expr(part)
        self._types[id(e)] = TEXT
        return TEXT

    def _bool(self, e: ast.BoolLit, hint: Type | None) -> Type | None:
        self._types[id(e)] = BOOL
        return BOOL

    def _party(self, e: ast.PartyLit, hint: Type | None) -> Type | None:
        if self.kind != "scenario":
            self.error("a party value like `insurer \"PICC\"` exists only in test files", e.span)
            return None
        if e.role not in self.scope.parties:
            self.error(f"`{e.role}` is not a party of {self.name}", e.span,
                       did_you_mean(e.role, self.scope.parties)
                       or f"the parties are: {', '.join(self.scope.parties) or 'none'}")
            return None
        self._types[id(e)] = PARTY
        return PARTY

    # -- collections ---------------------------------------------------------------------------
    def _list(self, e: ast.ListLit, hint: Type | None) -> Type | None:
        if isinstance(hint, ListType):
            ok = True
            for item in e.items:
                ok = self.expect(item, hint.elem, "a list item") is not None and ok
            return self._typed(e, hint) if ok else None
        if not e.items:
            if hint is None:
                self.error("cannot tell the type of this empty list", e.span,
                           "write it where its type is known, e.g. let xs: List[Int] = []")
            else:
                self.error(f"an empty list cannot stand where {hint} is expected", e.span)
            return None
        elem = self._common(e.items, "list items")
        return self._typed(e, ListType(elem)) if elem is not None else None

    def _common(self, items, what: str) -> Type | None:
        """One type for the items of a literal (Int items widen when another is Decimal)."""
        types = [self.expr(i) for i in items]
        if any(t is None for t in types):
            return None
        first = types[0]
        common = first
        for item, t in zip(items, types):
            c = comparable(common, t)
            if c is None:
                self.error(f"{what} must have one type: {common} and {t}", item.span)
                return None
            common = c
        if common == DECIMAL:
            for item, t in zip(items, types):
                if t == INT:
                    self._widen(item)
        return common

    def _map(self, e: ast.MapLit, hint: Type | None) -> Type | None:
        if isinstance(hint, MapType):
            ok = True
            for k, v in e.entries:
                ok = self.expect(k, hint.key, "a map key") is not None and ok
                ok = self.expect(v, hint.value, "a map value") is not None and ok
            return self._typed(e, hint) if ok else None
        if not e.entries:
            if hint is None:
                self.error("cannot tell the type of this empty map", e.span,
                           "write it where its type is known, e.g. let m: Map[Text, Int] = {}")
            else:
                self.error(f"an empty map cannot stand where {hint} is expected", e.span)
            return None
        key = self._common([k for k, _ in e.entries], "map keys")
        value = self._common([v for _, v in e.entries], "map values")
        if key is None or value is None:
            return None
        if not is_key_type(key):
            self.error(f"{key} cannot be a map key", e.entries[0][0].span)
            return None
        return self._typed(e, MapType(key, value))

    # -- names ---------------------------------------------------------------------------------
    def _name(self, e: ast.Name, hint: Type | None) -> Type | None:
        name = e.id
        slot = self.locals.lookup(name)
        if slot is not None:
            self._refs[id(e)] = LocalRef(name, slot)
            return self._typed(e, self.locals.types[slot])
        scope = self.scope
        if self.kind == "scenario" and self._hidden_in_scenario(e):
            return None
        var = scope.state.get(name)
        if var is not None:
            self._pure_violation(f"the state variable `{name}`", e.span,
                                 "pass what it needs as a parameter")
            self._refs[id(e)] = StateRef(name, var.index)
            return self._typed(e, var.type)
        owners = scope.enum_values.get(name)
        if owners is not None and name not in scope.symbols:
            if len(owners) > 1:
                names = " and ".join(o for o, _ in owners) if len(owners) == 2 else ", ".join(o for o, _ in owners)
                both = "both " if len(owners) == 2 else ""
                self.error(f"{name} is a value of {both}{names}: write {owners[0][0]}.{name}", e.span)
                return None
            enum, index = owners[0]
            self._refs[id(e)] = EnumValueRef(enum, index)
            return self._typed(e, EnumType(enum))
        if name in BUILTIN_VALUES:
            self._pure_violation(f"`{name}`", e.span, "pass what it needs as a parameter")
            self._refs[id(e)] = BuiltinValueRef(name)
            return self._typed(e, BUILTIN_VALUES[name])
        sym = scope.symbols.get(name)
        if sym is not None:
            self._not_a_value(e, sym.kind)
            return None
        if name in BUILTIN_FUNCS:
            self.error(f"`{name}` is a built-in function: call it as {name}(...)", e.span)
            return None
        self.undefined(name, e.span)
        return None

    def _hidden_in_scenario(self, e: ast.Name) -> bool:
        if e.id in self.scope.state:
            self.error(f"a scenario cannot read the state variable `{e.id}` directly", e.span,
                       "read it through a view of the contract")
            return True
        if e.id in ("now", "today", "tx_id"):
            self.error(f"`{e.id}` is not available in a scenario", e.span, "set the block time with `at DATE`")
            return True
        return False

    def _not_a_value(self, e: ast.Name, kind: str) -> None:
        name = e.id
        if kind == "party":
            self.error(f"`{name}` is a party role, not a value", e.span,
                       f"to test the caller's role, write caller.role == \"{name}\"")
        elif kind == "enum":
            values = self.scope.enums.get(name, ())
            example = f"{name}.{values[0]}" if values else f"{name}.Value"
            self.error(f"`{name}` is an enum type, not a value", e.span, f"name one of its values: {example}")
        elif kind == "record":
            self.error(f"`{name}` is a record type, not a value", e.span,
                       f"build one with {name}(field: value, ...)")
        elif kind == "event":
            self.error(f"`{name}` is an event: use it with emit {name}(...)", e.span)
        else:
            self.error(f"`{name}` is {a_kind(kind)} and must be called: {name}(...)", e.span)

    def undefined(self, name: str, span: ast.Span) -> None:
        # Party roles and events are never values, so suggesting them would mislead.
        values = [n for n, sym in self.scope.symbols.items() if sym.kind not in ("party", "event")]
        candidates = [*self.locals.names, *values, *self.scope.enum_values, *BUILTIN_VALUE_NAMES,
                      *BUILTIN_FUNCS]
        self.error(f"undefined name `{name}`", span, did_you_mean(name, candidates))

    def _attribute(self, e: ast.Attribute, hint: Type | None) -> Type | None:
        obj = e.obj
        if isinstance(obj, ast.Name) and obj.id in self.scope.enums and self.locals.lookup(obj.id) is None:
            return self._enum_member(e, obj)
        t = self.expr(obj)
        if t is None:
            return None
        return self.field_of(e, t)

    def _enum_member(self, e: ast.Attribute, obj: ast.Name) -> Type | None:
        values = self.scope.enums[obj.id]
        self._refs[id(obj)] = TypeNameRef(obj.id)
        if e.name not in values:
            self.error(f"{obj.id} has no value `{e.name}`", e.span, did_you_mean(e.name, values))
            return None
        self._refs[id(e)] = EnumValueRef(obj.id, values.index(e.name))
        return self._typed(e, EnumType(obj.id))

    def field_of(self, e: ast.Attribute, t: Type) -> Type | None:
        """The type of field ``e.name`` of a value of type ``t`` (records and Party)."""
        if isinstance(t, RecordType):
            record = self.scope.records.get(t.name)
            if record is None:
                return None
            index = record.index_of(e.name)
            if index is None:
                self.error(f"record {t.name} has no field `{e.name}`", e.span,
                           did_you_mean(e.name, [n for n, _ in record.fields]))
                return None
            self._refs[id(e)] = FieldRef(t.name, index)
            return self._typed(e, record.fields[index][1])
        if t == PARTY:
            if e.name not in PARTY_FIELDS:
                self.error(f"a Party has no field `{e.name}`", e.span, "a Party has .org, .id and .role")
                return None
            self._refs[id(e)] = PartyFieldRef(e.name)
            return self._typed(e, TEXT)
        if e.name in ("append", "get"):
            self.error(f"`{e.name}` is a method: call it as x.{e.name}(...)", e.span)
            return None
        self.error(f"{t} has no field `{e.name}`", e.span)
        return None

    def _index(self, e: ast.Index, hint: Type | None) -> Type | None:
        t = self.expr(e.obj)
        if t is None:
            self.expr(e.index)
            return None
        return self.element_of(e, t)

    def element_of(self, e: ast.Index, t: Type) -> Type | None:
        if isinstance(t, MapType):
            if self.expect(e.index, t.key, "a map key") is None:
                return None
            return self._typed(e, t.value)
        if isinstance(t, ListType):
            if self.expect(e.index, INT, "a list index") is None:
                return None
            return self._typed(e, t.elem)
        self.expr(e.index)
        self.error(f"cannot index a {t}: only Map and List values have [ ]", e.span)
        return None

    # -- operators -----------------------------------------------------------------------------
    def _unary(self, e: ast.Unary, hint: Type | None) -> Type | None:
        if e.op == "not":
            return self._typed(e, self.expect(e.operand, BOOL, "the operand of `not`"))
        t = self.expr(e.operand)
        if t is None:
            return None
        if t not in NEGATABLE:
            self.error(f"cannot negate {t}", e.span, "unary minus works on Int, Decimal, Money, Percent and Duration")
            return None
        return self._typed(e, t)

    def _binary(self, e: ast.Binary, hint: Type | None) -> Type | None:
        op = e.op
        if op in ("and", "or"):
            left = self.expect(e.left, BOOL, f"the left side of `{op}`")
            right = self.expect(e.right, BOOL, f"the right side of `{op}`")
            return self._typed(e, BOOL) if left is not None and right is not None else None
        left = self.expr(e.left)
        right = self.expr(e.right)
        if left is None or right is None:
            return None
        result = arith(op, left, right)
        if result is None:
            message, why = arith_error(op, left, right)
            self.error(message, e.span, why)
            return None
        wl, wr = widens(left, right, result)
        if wl:
            self._widen(e.left)
        if wr:
            self._widen(e.right)
        return self._typed(e, result)

    def _compare(self, e: ast.Compare, hint: Type | None) -> Type | None:
        operands = [e.first, *(o for _, o in e.rest)]
        types: list[Type | None] = [None] * len(operands)
        deferred = []
        for i, o in enumerate(operands):
            if isinstance(o, (ast.ListLit, ast.MapLit)) and not (o.items if isinstance(o, ast.ListLit) else o.entries):
                deferred.append(i)
            else:
                types[i] = self.expr(o)
        for i in deferred:
            neighbour = types[i - 1] if i > 0 else None
            if neighbour is None and i + 1 < len(types):
                neighbour = types[i + 1]
            if neighbour is None and len(deferred) < len(operands):
                continue  # the other side already failed: one mistake, one diagnostic
            types[i] = self.expr(operands[i], neighbour)
        ok = all(t is not None for t in types)
        if ok:
            for i, (op, right) in enumerate(e.rest):
                ok = self._compare_pair(op, operands[i], types[i], right, types[i + 1]) and ok
        return self._typed(e, BOOL) if ok else None

    def _compare_pair(self, op: str, left: ast.Expr, lt: Type, right: ast.Expr, rt: Type) -> bool:
        if op in ("in", "not in"):
            need = membership(lt, rt)
            if need is None:
                self.error(f"`{op}` needs a Map, a List or a Text on its right, not {rt}", right.span)
                return False
            fits, widened = assignable(lt, need)
            if not fits:
                what = "keys" if isinstance(rt, MapType) else "items" if isinstance(rt, ListType) else "text"
                self.error(f"cannot look for {lt} in {rt}: its {what} are {need}", left.span)
                return False
            if widened:
                self._widen(left)
            return True
        common = comparable(lt, rt)
        if common is None:
            self.error(f"cannot compare {lt} with {rt}", _join(left.span, right.span),
                       "both sides of a comparison must have one type")
            return False
        if op not in ("==", "!=") and not is_ordered(common):
            self.error(f"{common} values have no order: `{op}` does not apply", _join(left.span, right.span))
            return False
        if common == DECIMAL:
            if lt == INT:
                self._widen(left)
            if rt == INT:
                self._widen(right)
        return True

    def _conditional(self, e: ast.Conditional, hint: Type | None) -> Type | None:
        cond = self.expect(e.cond, BOOL, "the condition of `if ... else`")
        then = self.expr(e.then, hint)
        other = self.expr(e.otherwise, hint if hint is not None else then)
        if then is None and isinstance(e.then, (ast.ListLit, ast.MapLit)) and other is not None:
            then = self.expr(e.then, other)
        if cond is None or then is None or other is None:
            return None
        common = comparable(then, other)
        if common is None:
            self.error(f"both branches of `if ... else` must have one type, not {then} and {other}", e.span)
            return None
        if common == DECIMAL:
            if then == INT:
                self._widen(e.then)
            if other == INT:
                self._widen(e.otherwise)
        return self._typed(e, common)

    # -- calls ---------------------------------------------------------------------------------
    def _call(self, e: ast.Call, hint: Type | None) -> Type | None:
        func = e.func
        if isinstance(func, ast.Attribute) and func.name in ("append", "get") and not (
                isinstance(func.obj, ast.Name) and func.obj.id in self.scope.enums):
            if func.name == "append":
                self.error("`append` is a statement: write xs.append(x) on its own line", e.span)
                return None
            return self._get(e, func)
        if not isinstance(func, ast.Name):
            self.error("only functions, records and built-ins can be called", func.span)
            self._args_only(e)
            return None
        name = func.id
        if self.locals.lookup(name) is not None:
            self.error(f"`{name}` is a local value and cannot be called", func.span)
            self._args_only(e)
            return None
        scope = self.scope
        if name in scope.records:
            return self._record_ctor(e, name)
        sig = scope.signatures.get(name)
        if sig is not None:
            return self._function_call(e, sig)
        if name in BUILTIN_FUNCS:
            from dsl.check_builtins import check_builtin

            return check_builtin(self, e, name)
        sym = scope.symbols.get(name)
        if sym is not None:
            self.error(f"`{name}` is {a_kind(sym.kind)} and cannot be called", func.span)
        elif name in scope.enum_values or name in BUILTIN_VALUES:
            self.error(f"`{name}` is a value and cannot be called", func.span)
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
            self.error(f"`get` works on a Map, not on {t}", func.span)
            self._args_only(e)
            return None
        if len(e.args) != 2 or any(a.name for a in e.args):
            self.error("`get` takes a key and a default: m.get(key, default)", e.span)
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
                self.error(f"name each field when building a {name}", arg.span,
                           f"write {name}({record.fields[min(i, len(record.fields) - 1)][0]}: ...)"
                           if record.fields else None)
                self.expr(arg.value)
                ok = False
                continue
            index = record.index_of(arg.name)
            if index is None:
                self.error(f"record {name} has no field `{arg.name}`", arg.span,
                           did_you_mean(arg.name, [n for n, _ in record.fields]))
                self.expr(arg.value)
                ok = False
                continue
            if given[index] is not None:
                self.error(f"field `{arg.name}` is given twice", arg.span)
                ok = False
                continue
            given[index] = i
            if self.expect(arg.value, record.fields[index][1], f"field `{arg.name}` of {name}") is None:
                ok = False
        missing = [record.fields[i][0] for i, g in enumerate(given)
                   if g is None and record.decls[i].default is None]
        if missing:
            listed = ", ".join(f"`{m}`" for m in missing)
            self.error(f"{name} needs a value for {listed}", e.span, "only fields with a default may be left out")
            ok = False
        self._refs[id(e)] = RecordCtorRef(name, tuple(given))
        return self._typed(e, RecordType(name)) if ok else None

    def _function_call(self, e: ast.Call, sig: Signature) -> Type | None:
        if sig.kind != "fn" and not (self.kind == "scenario" and sig.kind == "view"):
            what = "an action" if sig.kind == "action" else "a view"
            hint = ("in a scenario, call actions as a step: X calls f(...)" if self.kind == "scenario"
                    else "move the shared logic into a fn and call that")
            self.error(f"`{sig.name}` is {what} and cannot be called here", e.func.span, hint)
            self._args_only(e)
            return None
        ok = self.bind_args(e.args, sig.params, f"`{sig.name}`", e.span)
        self._refs[id(e)] = FunctionRef(sig.name, sig.kind, sig.module)
        if sig.returns is None:
            if ok:
                self.error(f"`{sig.name}` returns no value", e.span)
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
                    self.error("a positional argument cannot follow a named one", arg.span)
                    self.expr(arg.value)
                    ok = False
                    continue
                if i >= len(params):
                    self.error(f"{what} takes {len(params)} argument{'s' if len(params) != 1 else ''}, "
                               f"not {len(args)}", arg.span)
                    self.expr(arg.value)
                    ok = False
                    continue
                index = i
            else:
                seen_named = True
                if arg.name not in names:
                    self.error(f"{what} has no parameter `{arg.name}`", arg.span, did_you_mean(arg.name, names))
                    self.expr(arg.value)
                    ok = False
                    continue
                index = names.index(arg.name)
                if bound[index]:
                    self.error(f"`{arg.name}` is given twice", arg.span)
                    ok = False
                    continue
            bound[index] = True
            if self.expect(arg.value, params[index].type, f"`{params[index].name}` of {what}") is None:
                ok = False
        if require_all and ok:
            missing = [names[i] for i, b in enumerate(bound) if not b]
            if missing:
                self.error(f"{what} needs {', '.join(f'`{m}`' for m in missing)}", span)
                ok = False
        return ok


def _join(a: ast.Span, b: ast.Span) -> ast.Span:
    if a.file != b.file or not a.line:
        return a
    return ast.Span(a.file, a.line, a.col, b.end_line, b.end_col)


_DISPATCH = {
    ast.TextLit: ExprChecker._text,
    ast.BoolLit: ExprChecker._bool,
    ast.PartyLit: ExprChecker._party,
    ast.ListLit: ExprChecker._list,
    ast.MapLit: ExprChecker._map,
    ast.Name: ExprChecker._name,
    ast.Attribute: ExprChecker._attribute,
    ast.Index: ExprChecker._index,
    ast.Unary: ExprChecker._unary,
    ast.Binary: ExprChecker._binary,
    ast.Compare: ExprChecker._compare,
    ast.Conditional: ExprChecker._conditional,
    ast.Call: ExprChecker._call,
}
