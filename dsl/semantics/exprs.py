"""Typing of expressions: one visit per node, recording its type and what its names refer to.

`ExprChecker.expr` returns the node's type, or None after an error (a poisoned value: callers
stay quiet about it so one mistake gives one diagnostic). `expect` checks a value against the
type its place needs and records the Int-to-Decimal widening and the type an empty `[]`/`{}`
takes from its place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from dsl.diagnostics import Code
from dsl.semantics.analysis import (
    Annotations, BuiltinValueRef, EnumValueRef, FieldRef, PartyFieldRef, StateRef, TypeNameRef,
)
from dsl.semantics.calls import CallTyping
from dsl.semantics.limits import check_literal_type
from dsl.semantics.literals import LiteralValidator
from dsl.semantics.operators import OperatorTyping
from dsl.semantics.scope import (
    BUILTIN_FUNCS, BUILTIN_VALUE_NAMES, BodyKind, ContractScope, Findings, LocalScope, SymbolKind, a_kind,
    article, did_you_mean,
)
from dsl.semantics.typerules import BUILTIN_VALUES, KEY_HINT, OPTIONAL_HINT, PARTY_FIELDS, assignable, comparable
from dsl.syntax import ast
from vm.types import (
    BOOL, DATE, DECIMAL, DURATION, HASH, INT, MONEY, PARTY, PERCENT, TEXT, EnumType, ListType, MapType,
    OptionalType, RecordType, TupleType, Type, is_key_type,
)

_LITERAL_TYPES = {
    ast.IntLit: INT, ast.DecimalLit: DECIMAL, ast.MoneyLit: MONEY, ast.PercentLit: PERCENT,
    ast.DateLit: DATE, ast.DurationLit: DURATION, ast.HashLit: HASH,
}

# The built-in values a transaction gives (its time, its id): a scenario sets its time with `at DATE`.
_TRANSACTION_VALUES = frozenset(BUILTIN_VALUES) - {"caller"}

# What each kind of body may not see, and why (shown to the author).
_PURE_KINDS = {BodyKind.FN: "a fn", BodyKind.CONST: "a default or initial value"}


def _mismatch_hint(expected: Type, actual: Type) -> str | None:
    if expected == MONEY and actual in (INT, DECIMAL):
        return "write an amount with its currency, e.g. 100.00 CNY"
    if expected == PERCENT and actual in (INT, DECIMAL):
        return "write a Percent with %, e.g. 5%"
    if expected == TEXT:
        return "turn a value into Text with text(x)"
    if expected == INT and actual == DECIMAL:
        return "Decimal never narrows to Int implicitly: use floor(x) or ceil(x)"
    if isinstance(actual, OptionalType) and assignable(actual.inner, expected)[0]:
        return OPTIONAL_HINT
    return None


class ExprChecker(OperatorTyping, CallTyping):
    """Types the expressions of one body (an action, view, fn, init, default value or scenario)."""

    def __init__(self, scope: ContractScope, findings: Findings, ann: Annotations,
                 literals: LiteralValidator, kind: BodyKind, name: str,
                 locals_: LocalScope | None = None) -> None:
        self.scope = scope
        self.findings = findings
        self.ann = ann
        self.literals = literals
        self.kind = kind
        self.name = name
        self.locals = locals_ if locals_ is not None else LocalScope()
        self.writes_state = False
        self.emits = False
        self._types = ann.expr_types
        self._refs = ann.refs

    # -- helpers -------------------------------------------------------------------------------
    def error(self, code: Code, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.findings.error(code, message, span, hint)

    def _typed(self, e: ast.Expr, t: Type | None) -> Type | None:
        if t is not None:
            self._types[id(e)] = t
        return t

    def expect(self, e: ast.Expr, expected: Type | None, what: str) -> Type | None:
        """Check ``e`` where a value of ``expected`` stands; record any widening."""
        if expected is None:
            return self.expr(e)
        # Where a `T?` stands, a value is typed as a T (`[]` takes its type from T); `none` as T?.
        optional = isinstance(expected, OptionalType)
        keep = isinstance(e, (ast.NoneLit, ast.Conditional))  # these take the T? itself (`x if c else none`)
        hint = expected.inner if isinstance(expected, OptionalType) and not keep else expected
        t = self.expr(e, hint)
        if t is None:
            return None
        fits, widened = assignable(t, expected)
        if not fits:
            self.error(Code.B0401, f"{what} must be {expected}, not {t}", e.span, _mismatch_hint(expected, t))
            return None
        if widened:
            self._widen(e)
        if optional and t != expected:
            self.ann.coercions[id(e)] = expected  # the compiler makes the value one of T?
        return expected

    def _widen(self, e: ast.Expr) -> None:
        self.ann.coercions[id(e)] = DECIMAL
        # An Int literal that widens is folded into a Decimal constant by the compiler, so its
        # range as a Decimal (18 digits smaller than an Int's) is checked here, like a literal's.
        lit = e.operand if isinstance(e, ast.Unary) and e.op == "-" else e
        if isinstance(lit, ast.IntLit):
            problem = self.literals.check(ast.DecimalLit(lit.text, lit.span))
            if problem is not None:
                self.error(Code.B0407, problem, e.span, "this Int stands where a Decimal is expected")

    def _pure_violation(self, what: str, span: ast.Span, hint: str) -> None:
        who = _PURE_KINDS.get(self.kind)
        if who is not None:
            subject = f"{who} `{self.name}`" if self.kind == BodyKind.FN else who
            self.error(Code.B0501, f"{subject} cannot use {what}", span, hint)

    # -- dispatch ------------------------------------------------------------------------------
    def expr(self, e: ast.Expr, hint: Type | None = None) -> Type | None:
        """The type of ``e`` (None after an error). ``hint`` is the type its place expects,
        used only by empty `[]`/`{}` and collection literals."""
        lit_type = _LITERAL_TYPES.get(type(e))
        if lit_type is not None:
            problem = self.literals.check(e)
            if problem is not None:
                self.error(Code.B0407, problem, e.span)
                return None
            self._types[id(e)] = lit_type
            return lit_type
        method = _DISPATCH.get(type(e))
        if method is None:
            self.error(Code.B0504, "this expression is not allowed here", e.span)
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
        if self.kind != BodyKind.SCENARIO:
            self.error(Code.B0504, "a party value like `insurer \"PICC\"` exists only in test files", e.span)
            return None
        if e.role not in self.scope.parties:
            self.error(Code.B0301, f"`{e.role}` is not a party of {self.name}", e.span,
                       did_you_mean(e.role, self.scope.parties)
                       or f"the parties are: {', '.join(self.scope.parties) or 'none'}")
            return None
        self._types[id(e)] = PARTY
        return PARTY

    # -- optional values -----------------------------------------------------------------------
    def _none(self, e: ast.NoneLit, hint: Type | None) -> Type | None:
        if isinstance(hint, OptionalType):
            return self._typed(e, hint)
        self.error(Code.B0401, "`none` stands only where an optional type (T?) is expected", e.span,
                   "give the type: let x: Date? = none" if hint is None
                   else f"{hint} is never none: declare it {hint}? to allow none")
        return None

    def _optional(self, e: ast.Expr, what: str) -> OptionalType | None:
        """The optional type of ``e``, the operand of `what`; an error for any other type."""
        t = self.expr(e)
        if t is None or isinstance(t, OptionalType):
            return t
        self.error(Code.B0401, f"{what} works on an optional value (T?); this is {t}, which is never none",
                   e.span, "only a value declared T? may be none")
        return None

    def _is_none(self, e: ast.IsNone, hint: Type | None) -> Type | None:
        t = self._optional(e.operand, "`is not none`" if e.negated else "`is none`")
        return self._typed(e, BOOL) if t is not None else None

    def _or_else(self, e: ast.OrElse, hint: Type | None) -> Type | None:
        t = self._optional(e.value, "`or else`")
        if t is None:
            self.expr(e.default)
            return None
        d = self.expect(e.default, t.inner, "the default after `or else`")
        return self._typed(e, t.inner) if d is not None else None

    def _or_fail(self, e: ast.OrFail, hint: Type | None) -> Type | None:
        t = self._optional(e.value, "`or fail`")
        m = self.expect(e.message, TEXT, "the message of `or fail`")
        return self._typed(e, t.inner) if t is not None and m is not None else None

    # -- collections ---------------------------------------------------------------------------
    def _list(self, e: ast.ListLit, hint: Type | None) -> Type | None:
        if isinstance(hint, ListType):
            ok = True
            for item in e.items:
                ok = self.expect(item, hint.elem, "a list item") is not None and ok
            return self._typed(e, hint) if ok else None
        if not e.items:
            if hint is None:
                self.error(Code.B0401, "cannot tell the type of this empty list", e.span,
                           "write it where its type is known, e.g. let xs: List[Int] = []")
            else:
                self.error(Code.B0401, f"an empty list cannot stand where {hint} is expected", e.span)
            return None
        elem = self._common(e.items, "list items")
        if elem is None or not check_literal_type(ListType(elem), [elem], e.span, self.scope, self.findings):
            return None
        return self._typed(e, ListType(elem))

    def _tuple(self, e: ast.TupleLit, hint: Type | None) -> Type | None:
        """`(a, b)`: a tuple of two or more key-typed parts (a composite map key)."""
        if len(e.items) < 2:
            for item in e.items:
                self.expr(item)
            self.error(Code.B0401, "a tuple has at least two parts", e.span, "write the part alone, without the comma")
            return None
        hints = hint.parts if isinstance(hint, TupleType) and len(hint.parts) == len(e.items) else None
        found = [self.expect(item, hints[i], "a tuple part") if hints else self.expr(item)
                 for i, item in enumerate(e.items)]
        parts = [t for t in found if t is not None]
        if len(parts) != len(found):
            return None
        for item, t in zip(e.items, parts):
            if not is_key_type(t, self.scope.field_types):
                self.error(Code.B0401, f"a tuple's parts are map keys; {t} cannot be one", item.span, KEY_HINT)
                return None
        return self._typed(e, TupleType(tuple(parts)))

    def _common(self, items, what: str) -> Type | None:
        """One type for the items of a literal (Int items widen when another is Decimal)."""
        found = [self.expr(i) for i in items]
        types = [t for t in found if t is not None]
        if len(types) != len(found):
            return None
        first = types[0]
        common = first
        for item, t in zip(items, types):
            c = comparable(common, t)
            if c is None:
                self.error(Code.B0401, f"{what} must have one type: {common} and {t}", item.span)
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
                self.error(Code.B0401, "cannot tell the type of this empty map", e.span,
                           "write it where its type is known, e.g. let m: Map[Text, Int] = {}")
            else:
                self.error(Code.B0401, f"an empty map cannot stand where {hint} is expected", e.span)
            return None
        key = self._common([k for k, _ in e.entries], "map keys")
        value = self._common([v for _, v in e.entries], "map values")
        if key is None or value is None:
            return None
        if not is_key_type(key, self.scope.field_types):
            self.error(Code.B0401, f"{key} cannot be a map key", e.entries[0][0].span)
            return None
        if not check_literal_type(MapType(key, value), [key, value], e.span, self.scope, self.findings):
            return None
        return self._typed(e, MapType(key, value))

    # -- names ---------------------------------------------------------------------------------
    def _name(self, e: ast.Name, hint: Type | None) -> Type | None:
        name = e.id
        slot = self.locals.lookup(name)
        if slot is not None:
            self._refs[id(e)] = self.locals.refs[slot]
            return self._typed(e, self.locals.type_of(slot))  # a tested `T?` local reads as T
        scope = self.scope
        if self.kind == BodyKind.SCENARIO and self._hidden_in_scenario(e):
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
                self.error(Code.B0302, f"{name} is a value of {both}{names}: write {owners[0][0]}.{name}", e.span)
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
            self.error(Code.B0404, f"`{name}` is a built-in function: call it as {name}(...)", e.span)
            return None
        self.undefined(name, e.span)
        return None

    def _hidden_in_scenario(self, e: ast.Name) -> bool:
        if e.id in self.scope.state:
            self.error(Code.B0702, f"a scenario cannot read the state variable `{e.id}` directly", e.span,
                       "read it through a view of the contract")
            return True
        if e.id in _TRANSACTION_VALUES:
            self.error(Code.B0702, f"`{e.id}` is not available in a scenario", e.span, "set the block time with `at DATE`")
            return True
        return False

    def _not_a_value(self, e: ast.Name, kind: SymbolKind) -> None:
        name = e.id
        if kind == SymbolKind.PARTY:
            self.error(Code.B0404, f"`{name}` is a party role, not a value", e.span,
                       f"to test the caller's role, write caller.role == \"{name}\"")
        elif kind == SymbolKind.ENUM:
            values = self.scope.enums.get(name, ())
            example = f"{name}.{values[0]}" if values else f"{name}.Value"
            self.error(Code.B0404, f"`{name}` is an enum type, not a value", e.span, f"name one of its values: {example}")
        elif kind == SymbolKind.RECORD:
            self.error(Code.B0404, f"`{name}` is a record type, not a value", e.span,
                       f"build one with {name}(field: value, ...)")
        elif kind == SymbolKind.EVENT:
            self.error(Code.B0404, f"`{name}` is an event: use it with emit {name}(...)", e.span)
        else:
            self.error(Code.B0404, f"`{name}` is {a_kind(kind)} and must be called: {name}(...)", e.span)

    def undefined(self, name: str, span: ast.Span) -> None:
        # Party roles and events are never values, so suggesting them would mislead.
        values = [n for n, sym in self.scope.symbols.items() if sym.kind not in (SymbolKind.PARTY, SymbolKind.EVENT)]
        candidates = [*self.locals.names, *values, *self.scope.enum_values, *BUILTIN_VALUE_NAMES,
                      *BUILTIN_FUNCS]
        self.error(Code.B0301, f"undefined name `{name}`", span, did_you_mean(name, candidates))

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
            self.error(Code.B0403, f"{obj.id} has no value `{e.name}`", e.span, did_you_mean(e.name, values))
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
                self.error(Code.B0403, f"record {t.name} has no field `{e.name}`", e.span,
                           did_you_mean(e.name, [n for n, _ in record.fields]))
                return None
            self._refs[id(e)] = FieldRef(t.name, index)
            return self._typed(e, record.fields[index][1])
        if t == PARTY:
            if e.name not in PARTY_FIELDS:
                self.error(Code.B0403, f"a Party has no field `{e.name}`", e.span, "a Party has .org, .id and .role")
                return None
            self._refs[id(e)] = PartyFieldRef(e.name)
            return self._typed(e, TEXT)
        if e.name in ("append", "get"):
            self.error(Code.B0404, f"`{e.name}` is a method: call it as x.{e.name}(...)", e.span)
            return None
        self.error(Code.B0403, f"{t} has no field `{e.name}`", e.span)
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
        if isinstance(t, TupleType):
            i = ast.tuple_part(e)
            if i is None or i >= len(t.parts):
                self.expr(e.index)
                self.error(Code.B0403, f"a tuple's part is read by its number, 0 to {len(t.parts) - 1}", e.index.span,
                           "write k[0] for the first part")
                return None
            return self._typed(e, t.parts[i])
        self.expr(e.index)
        self.error(Code.B0402, f"cannot index {article(t)}: only Map, List and tuple values have [ ]", e.span)
        return None

# Each handler takes the node of its own class (hence Any for the node here).
_DISPATCH: dict[type[ast.Expr], Callable[[ExprChecker, Any, Type | None], Type | None]] = {
    ast.TextLit: ExprChecker._text,
    ast.BoolLit: ExprChecker._bool,
    ast.PartyLit: ExprChecker._party,
    ast.ListLit: ExprChecker._list,
    ast.TupleLit: ExprChecker._tuple,
    ast.MapLit: ExprChecker._map,
    ast.Name: ExprChecker._name,
    ast.Attribute: ExprChecker._attribute,
    ast.Index: ExprChecker._index,
    ast.Unary: OperatorTyping._unary,
    ast.Binary: OperatorTyping._binary,
    ast.Compare: OperatorTyping._compare,
    ast.Conditional: OperatorTyping._conditional,
    ast.Call: CallTyping._call,
    ast.NoneLit: ExprChecker._none,
    ast.IsNone: ExprChecker._is_none,
    ast.OrElse: ExprChecker._or_else,
    ast.OrFail: ExprChecker._or_fail,
}
