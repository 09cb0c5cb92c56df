"""Expressions as formulas in the contract's own words.

`min(net_of_deductible(bill, p.deductible) * (100% - p.copay), p.sum_insured - already)` reads
`min(max(bill − deductible, 0.00 CNY) × (100% − the policy's copay), the policy's sum insured −
already)`: identifiers lose their underscores, a field read through a local record is the
record's field ("the policy's copay", "健康险保单的自付比例": `dsl.explain.names.Nouns`), a
small `fn` whose body is one `return` is written out in place, and the operators are the ones a
reader knows. Parentheses come from precedence, so an inlined body or argument is bracketed
exactly where the meaning needs it, and a negation or a mix of `and` and `or` is bracketed
whatever the precedence, so that no reader needs to know it. What each name refers to (a
local, a state variable, a field of which record, a built-in, an enum value, a function) is the
analysis' reference, never worked out from the names.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Iterable, Iterator, Mapping

from dsl.explain.names import ContractNames, Nouns, words
from dsl.explain.phrases import Phrases
from dsl.semantics.analysis import (
    BuiltinFuncRef, BuiltinValueRef, EnumValueRef, FieldRef, FunctionRef, LocalRef, MethodRef, PartyFieldRef,
    RecordCtorRef, Ref, TypeNameRef,
)
from dsl.syntax import ast

# Precedence, loosest first, as in LANGUAGE.md section 5.
COND, OR, AND, NOT, CMP, ADD, MUL, NEG, ATOM = range(9)
# A built-in written in words (`year of d`) stands alone in a comparison but is bracketed inside
# arithmetic, where `year of d × 100` could be misread.
WORDED = CMP + 0.5

_BINARY = MappingProxyType({
    "+": ("+", ADD), "-": ("−", ADD),
    "*": ("×", MUL), "/": ("÷", MUL), "mod": ("mod", MUL),
})
_COMPARE = MappingProxyType({"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"})

# Built-in functions a reader knows better in words, by their number of arguments.
_WORDED_BUILTINS = MappingProxyType({"len": 1, "year": 1, "month": 1, "day": 1, "days_between": 2, "add_months": 2})

# An inlined body may call another small fn; past this depth the call is written by name, which
# also ends any recursion between fns.
MAX_INLINE_DEPTH = 4


@dataclass(frozen=True, slots=True)
class Binding:
    """A parameter of an inlined fn: the argument given for it and the writer of the caller's
    context, so the argument is worded where it was written."""

    expr: ast.Expr
    writer: "FormulaWriter"


@dataclass(frozen=True, slots=True)
class FormulaWriter:
    """Writes the expressions of one function (or scenario) in one language. What each name,
    field and call refers to is read from the analysis' references (``refs``, keyed by node id),
    never worked out from the names alone."""

    names: ContractNames
    phrases: Phrases
    refs: Mapping[int, Ref]
    # Records read through two or more locals of the function (`a.amount`, `b.amount` of two
    # Bills): "the bill's amount" would not say which, so those fields name their local.
    ambiguous_records: frozenset[str] = frozenset()
    env: Mapping[str, Binding] = field(default_factory=dict)
    depth: int = 0
    # In an acceptance example a call is the point, not what it computes: it is never written out,
    # and the function keeps its name as written, to match its heading in the document.
    example: bool = False

    @classmethod
    def for_function(cls, names: ContractNames, phrases: Phrases, refs: Mapping[int, Ref],
                     decl: ast.FuncDecl | ast.InitDecl | None) -> "FormulaWriter":
        ambiguous = _ambiguous_records(walk_exprs(decl.body), refs) if decl is not None else frozenset()
        return cls(names, phrases, refs, ambiguous)

    @classmethod
    def for_scenario(cls, names: ContractNames, phrases: Phrases, refs: Mapping[int, Ref],
                     scenario: ast.Scenario) -> "FormulaWriter":
        """The writer of an acceptance example: calls keep their names as written."""
        nodes = (node for step in scenario.steps for e in _scenario_exprs(step) for node in _walk_expr(e))
        return cls(names, phrases, refs, _ambiguous_records(nodes, refs), example=True)

    @property
    def nouns(self) -> Nouns:
        return Nouns(self.names, self.phrases.lang)

    # ------------------------------------------------------------------------------------------

    def write(self, expr: ast.Expr) -> str:
        return self._w(expr)[0]

    def target(self, expr: ast.Expr) -> str:
        """An assignment target: the record that changes is always named (`the policy's status`)."""
        return self.write(expr)

    def message(self, expr: ast.Expr) -> str:
        """A failure message as the reader sees it: the text itself, with each `{x}` worded."""
        if isinstance(expr, ast.TextLit):
            return "".join(p if isinstance(p, str) else "{" + self.write(p) + "}" for p in expr.parts)
        return self.write(expr)

    # ------------------------------------------------------------------------------------------

    def _wrap(self, expr: ast.Expr, least: float) -> str:
        text, prec = self._w(expr)
        return f"({text})" if prec < least else text

    def _w(self, expr: ast.Expr) -> tuple[str, float]:
        match expr:
            case ast.IntLit(text=t) | ast.DecimalLit(text=t) | ast.DateLit(text=t) | ast.HashLit(text=t):
                return t, ATOM
            case ast.MoneyLit(amount=a, currency=c):
                return f"{a} {c}", ATOM
            case ast.PercentLit(text=t):
                return f"{t}%", ATOM
            case ast.DurationLit(amount=a, unit=u):
                return f"{a} {u}", ATOM
            case ast.BoolLit(value=v):
                return ("true" if v else "false"), ATOM
            case ast.TextLit():
                return f"“{self.message(expr)}”", ATOM
            case ast.PartyLit(role=role, name=n):
                return f"{role} “{n}”", ATOM
            case ast.ListLit(items=items):
                return "[" + ", ".join(self._wrap(i, COND) for i in items) + "]", ATOM
            case ast.TupleLit(items=items):
                return "(" + ", ".join(self._wrap(i, COND) for i in items) + ")", ATOM
            case ast.MapLit(entries=entries):
                inner = ", ".join(f"{self._wrap(k, COND)}: {self._wrap(v, COND)}" for k, v in entries)
                return "{" + inner + "}", ATOM
            case ast.Name():
                return self._name(expr)
            case ast.Attribute():
                return self._attribute(expr)
            case ast.Index(obj=obj, index=index):
                return f"{self._wrap(obj, ATOM)}[{self._wrap(index, COND)}]", ATOM
            case ast.Call():
                return self._call(expr)
            case ast.Unary(op="-", operand=operand):
                return "−" + self._wrap(operand, NEG), NEG
            case ast.Unary(operand=operand):
                return self.phrases("f_not", x=self._negated(operand)), NOT
            case ast.Binary(op="//", left=left, right=right):
                return self.phrases("f_floor_div", x=self._wrap(left, MUL), y=self._wrap(right, MUL + 1)), MUL
            case ast.Binary(op=("and" | "or") as op, left=left, right=right):
                prec = AND if op == "and" else OR
                word = self.phrases("f_and" if op == "and" else "f_or")
                return f"{self._logic(left, op, prec)} {word} {self._logic(right, op, prec + 1)}", prec
            case ast.Binary(op=op, left=left, right=right):
                symbol, prec = _BINARY.get(op, (op, MUL))
                # The right operand of a left-associative operator keeps brackets written around
                # an operator of equal rank: a − (b − c) must not read a − b − c.
                return f"{self._wrap(left, prec)} {symbol} {self._wrap(right, prec + 1)}", prec
            case ast.Compare():
                return self._compare(expr)
            case ast.Conditional(then=then, cond=cond, otherwise=otherwise):
                return self.phrases("f_if", then=self._wrap(then, OR), cond=self._wrap(cond, OR),
                                    otherwise=self._wrap(otherwise, COND)), COND
            case ast.NoneLit():
                return self.phrases("f_none"), ATOM
            case ast.IsNone(operand=operand, negated=negated):
                return self.phrases("f_is_not_none" if negated else "f_is_none", x=self._wrap(operand, ADD)), CMP
            case ast.OrElse(value=value, default=default):
                return self.phrases("f_or_else", x=self._wrap(value, AND), d=self._wrap(default, AND)), OR
            case ast.OrFail(value=value, message=message):
                return self.phrases("f_or_fail", x=self._wrap(value, AND), m=self._wrap(message, AND)), OR
        return "…", ATOM  # an expression form this renderer does not know: never a crash

    def _negated(self, operand: ast.Expr) -> str:
        """What `not` applies to: bracketed unless it is a name, a call, a literal or a record's
        field ("not the policy's delivered"), since readers do not know that `not` binds looser
        than `>`, nor where "not checks[key]'s revoked" ends."""
        text, prec = self._w(operand)
        through_object = isinstance(operand, ast.Index) or (
            isinstance(operand, ast.Attribute) and isinstance(self.refs.get(id(operand)), FieldRef)
            and self._local_name(operand.obj) is None)
        return f"({text})" if prec < ATOM or through_object else text

    def _logic(self, operand: ast.Expr, op: str, least: int) -> str:
        """An operand of `and`/`or`: `a and b or c` reads (a and b) or c, and `not a or b` reads
        (not a) or b, so that no reader needs to know what binds tighter."""
        if isinstance(operand, ast.Binary) and operand.op in ("and", "or") and operand.op != op:
            return f"({self._w(operand)[0]})"
        if isinstance(operand, ast.Unary) and operand.op == "not":
            return f"({self._w(operand)[0]})"
        return self._wrap(operand, least)

    def _name(self, expr: ast.Name) -> tuple[str, float]:
        ident = expr.id
        if ident in self.env:
            bound = self.env[ident]
            return bound.writer._w(bound.expr)
        match self.refs.get(id(expr)):
            case BuiltinValueRef(name=builtin):
                return self.phrases(builtin), ATOM
            case EnumValueRef() | TypeNameRef():
                # as written, since a reader matches them by name against the document's tables
                return ident, ATOM
        return words(ident), ATOM  # a local, a parameter or a state variable

    def _local_name(self, expr: ast.Expr) -> tuple[str, "FormulaWriter"] | None:
        """The local a Name stands for (following inlined parameters to the caller's words)."""
        if not isinstance(expr, ast.Name):
            return None
        if expr.id in self.env:
            bound = self.env[expr.id]
            return bound.writer._local_name(bound.expr)
        if isinstance(self.refs.get(id(expr)), LocalRef):
            return expr.id, self
        return None

    def _attribute(self, expr: ast.Attribute) -> tuple[str, float]:
        obj = expr.obj
        match self.refs.get(id(expr)):
            case EnumValueRef():
                return expr.name, ATOM
            case PartyFieldRef(field=party_field) if isinstance(self.refs.get(id(obj)), BuiltinValueRef):
                return self.phrases(f"caller.{party_field}"), ATOM
            case FieldRef(record=record):
                noun = self.nouns.field(record, expr.name)
                local = self._local_name(obj)
                if local is not None and record not in local[1].ambiguous_records:
                    owner = self.nouns.record(record)
                    key = "f_field_plural" if owner.endswith("s") else "f_field"
                    return self.phrases.spaced(key, record=owner, field=noun), ATOM
                if local is not None:
                    return self.phrases.spaced("f_of", field=noun, obj=words(local[0])), ATOM
                return self.phrases.spaced("f_of", field=noun, obj=self._wrap(obj, ATOM)), ATOM
        return self.phrases.spaced("f_of", field=words(expr.name), obj=self._wrap(obj, ATOM)), ATOM

    def _compare(self, expr: ast.Compare) -> tuple[str, float]:
        if len(expr.rest) == 1 and expr.rest[0][0] in ("in", "not in"):
            op, right = expr.rest[0]
            key = "f_in" if op == "in" else "f_not_in"
            return self.phrases(key, x=self._wrap(expr.first, WORDED), xs=self._wrap(right, WORDED)), CMP
        parts = [self._wrap(expr.first, WORDED)]
        for op, operand in expr.rest:
            symbol = _COMPARE.get(op) or ("∈" if op == "in" else "∉")
            parts.append(f"{symbol} {self._wrap(operand, WORDED)}")
        return " ".join(parts), CMP

    def _args(self, args: tuple[ast.Arg, ...]) -> str:
        return ", ".join(
            (f"{words(a.name)}: " if a.name else "") + self._wrap(a.value, COND) for a in args
        )

    def _call(self, expr: ast.Call) -> tuple[str, float]:
        func = expr.func
        match self.refs.get(id(expr)):
            case MethodRef(name="get") if isinstance(func, ast.Attribute) and len(expr.args) == 2:
                return self.phrases("f_get", m=self._wrap(func.obj, ATOM), k=self._wrap(expr.args[0].value, COND),
                                    d=self._wrap(expr.args[1].value, COND)), ATOM
            case RecordCtorRef(record=record):
                return f"{record}({self._args(expr.args)})", ATOM
            case FunctionRef(name=fn_name, module=None) if self.example:
                return f"{fn_name}({self._args(expr.args)})", ATOM
            case FunctionRef(name=fn_name, module=None):
                inlined = self._inline(fn_name, expr.args)
                if inlined is not None:
                    return inlined
            case BuiltinFuncRef(name=builtin):
                worded = self._builtin(builtin, expr.args)
                if worded is not None:
                    return worded
        if isinstance(func, ast.Attribute):
            return f"{self._wrap(func.obj, ATOM)}.{words(func.name)}({self._args(expr.args)})", ATOM
        if isinstance(func, ast.Name):
            return f"{words(func.id)}({self._args(expr.args)})", ATOM
        return f"{self._wrap(func, ATOM)}({self._args(expr.args)})", ATOM

    def _builtin(self, fn_name: str, args: tuple[ast.Arg, ...]) -> tuple[str, float] | None:
        if _WORDED_BUILTINS.get(fn_name) != len(args) or any(a.name for a in args):
            return None
        values = [self._wrap(a.value, ATOM) for a in args]
        slots = dict(zip(("x", "y"), values))
        return self.phrases(f"f_{fn_name}", **slots), WORDED

    def _inline(self, fn_name: str, args: tuple[ast.Arg, ...]) -> tuple[str, float] | None:
        decl = self.names.functions.get(fn_name)
        if decl is None or decl.kind != "fn" or self.depth >= MAX_INLINE_DEPTH:
            return None
        if len(decl.body) != 1 or not isinstance(decl.body[0], ast.Return) or decl.body[0].value is None:
            return None
        if len(args) != len(decl.params) or any(a.name for a in args):
            return None
        env = {p.name.name: Binding(a.value, self) for p, a in zip(decl.params, args)}
        inner = replace(self, ambiguous_records=frozenset(), env=env, depth=self.depth + 1)
        return inner._w(decl.body[0].value)


def _ambiguous_records(nodes: Iterable[ast.Expr], refs: Mapping[int, Ref]) -> frozenset[str]:
    """Records whose fields are read through two or more different locals among ``nodes``."""
    seen: dict[str, set[str]] = {}
    for node in nodes:
        if isinstance(node, ast.Attribute) and isinstance(node.obj, ast.Name):
            ref = refs.get(id(node))
            if isinstance(ref, FieldRef) and isinstance(refs.get(id(node.obj)), LocalRef):
                seen.setdefault(ref.record, set()).add(node.obj.id)
    return frozenset(r for r, owners in seen.items() if len(owners) > 1)


def _scenario_exprs(step: ast.Step) -> list[ast.Expr]:
    """The expressions written in one step of a scenario."""
    match step:
        case ast.LetStep(value=v) | ast.ExpectTrue(expr=v):
            return [v]
        case ast.DeployStep(args=args) | ast.ExpectEmitted(args=args):
            return [a.value for a in args]
        case ast.CallStep(args=args, returns=returns):
            return [a.value for a in args] + ([returns] if returns is not None else [])
    return []


def stmt_exprs(stmt: ast.Stmt) -> list[ast.Expr]:
    """The expressions written directly in one statement (not in its nested blocks)."""
    match stmt:
        case ast.Let(value=v) | ast.ExprStmt(expr=v) | ast.Fail(message=v):
            return [v]
        case ast.Assign(target=t, value=v):
            return [t, v]
        case ast.Require(cond=c, message=m):
            return [c] + ([m] if m is not None else [])
        case ast.Emit(args=args):
            return [a.value for a in args]
        case ast.Return(value=v):
            return [v] if v is not None else []
        case ast.Delete(target=t):
            return [t]
        case ast.For(iter=it):
            return [it]
        case ast.If(branches=branches):
            return [b.cond for b in branches]
    return []


def walk_exprs(body: tuple[ast.Stmt, ...]) -> Iterator[ast.Expr]:
    """Every expression node of a block, nested blocks and sub-expressions included."""
    for stmt in body:
        for expr in stmt_exprs(stmt):
            yield from _walk_expr(expr)
        if isinstance(stmt, ast.If):
            for branch in stmt.branches:
                yield from walk_exprs(branch.body)
            if stmt.otherwise:
                yield from walk_exprs(stmt.otherwise)
        elif isinstance(stmt, ast.For):
            yield from walk_exprs(stmt.body)


def _walk_expr(expr: ast.Expr) -> Iterator[ast.Expr]:
    yield expr
    match expr:
        case ast.TextLit(parts=parts):
            for p in parts:
                if not isinstance(p, str):
                    yield from _walk_expr(p)
        case ast.ListLit(items=items) | ast.TupleLit(items=items):
            for i in items:
                yield from _walk_expr(i)
        case ast.MapLit(entries=entries):
            for k, v in entries:
                yield from _walk_expr(k)
                yield from _walk_expr(v)
        case ast.Attribute(obj=obj):
            yield from _walk_expr(obj)
        case ast.Index(obj=obj, index=index):
            yield from _walk_expr(obj)
            yield from _walk_expr(index)
        case ast.Call(func=func, args=args):
            yield from _walk_expr(func)
            for a in args:
                yield from _walk_expr(a.value)
        case ast.Unary(operand=operand):
            yield from _walk_expr(operand)
        case ast.Binary(left=left, right=right):
            yield from _walk_expr(left)
            yield from _walk_expr(right)
        case ast.Compare(first=first, rest=rest):
            yield from _walk_expr(first)
            for _, operand in rest:
                yield from _walk_expr(operand)
        case ast.Conditional(then=then, cond=cond, otherwise=otherwise):
            yield from _walk_expr(then)
            yield from _walk_expr(cond)
            yield from _walk_expr(otherwise)
