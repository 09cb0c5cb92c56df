"""Typing of operators: arithmetic by section 5's table, `and`/`or`/`not`, comparison chains
with `in`/`not in`, unary minus and `x if c else y`. A mixin of `ExprChecker`."""

from __future__ import annotations

from dsl.diagnostics import Code
from dsl.semantics.context import ExprContext
from dsl.semantics.typerules import (
    NEGATABLE, OPTIONAL_HINT, arith, arith_error, assignable, comparable, comparison_hint, membership,
    widens,
)
from dsl.syntax import ast
from vm.types import BOOL, DECIMAL, INT, ListType, MapType, OptionalType, Type, is_ordered


class OperatorTyping(ExprContext):
    # -- operators -----------------------------------------------------------------------------
    def _unary(self, e: ast.Unary, hint: Type | None) -> Type | None:
        if e.op == "not":
            return self._typed(e, self.expect(e.operand, BOOL, "the operand of `not`"))
        t = self.expr(e.operand)
        if t is None:
            return None
        if t not in NEGATABLE:
            self.error(Code.B0402, f"cannot negate {t}", e.span, OPTIONAL_HINT if isinstance(t, OptionalType)
                       else "unary minus works on Int, Decimal, Money, Percent and Duration")
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
            self.error(Code.B0402, message, e.span, why)
            return None
        wl, wr = widens(left, right, result)
        if wl:
            self._widen(e.left)
        if wr:
            self._widen(e.right)
        return self._typed(e, result)

    def _compare(self, e: ast.Compare, hint: Type | None) -> Type | None:
        operands = [e.first, *(o for _, o in e.rest)]
        bare_none = next((o for o in operands if isinstance(o, ast.NoneLit)), None)
        if bare_none is not None:
            self.error(Code.B0402, "test for `none` with `is none` or `is not none`, not a comparison",
                       bare_none.span, "write x is none")
            for o in operands:
                if o is not bare_none:
                    self.expr(o)
            return None
        types: list[Type | None] = [None] * len(operands)
        deferred = []
        for i, o in enumerate(operands):
            if is_empty_collection(o):
                deferred.append(i)
            else:
                types[i] = self.expr(o)
        for i in deferred:
            beside = [types[j] for j in (i - 1, i + 1) if 0 <= j < len(types)]
            if all(t is None for t in beside) and len(deferred) < len(operands):
                continue  # the other side already failed: one mistake, one diagnostic
            types[i] = self.expr(operands[i], _empty_takes(e, types, i))
        known = [t for t in types if t is not None]
        ok = len(known) == len(types)
        if ok:
            for i, (op, right) in enumerate(e.rest):
                ok = self._compare_pair(op, operands[i], known[i], right, known[i + 1]) and ok
        return self._typed(e, BOOL) if ok else None

    def _compare_pair(self, op: str, left: ast.Expr, lt: Type, right: ast.Expr, rt: Type) -> bool:
        if op in ("in", "not in"):
            need = membership(rt)
            if need is None:
                self.error(Code.B0402, f"`{op}` needs a Map, a List or a Text on its right, not {rt}", right.span)
                return False
            fits, widened = assignable(lt, need)
            if not fits:
                what = "keys" if isinstance(rt, MapType) else "items" if isinstance(rt, ListType) else "text"
                self.error(Code.B0402, f"cannot look for {lt} in {rt}: its {what} are {need}", left.span)
                return False
            if widened:
                self._widen(left)
            return True
        common = comparable(lt, rt)
        if common is None:
            self.error(Code.B0402, f"cannot compare {lt} with {rt}", _join(left.span, right.span), comparison_hint(lt, rt))
            return False
        if op not in ("==", "!=") and not is_ordered(common):
            self.error(Code.B0402, f"{common} values have no order: `{op}` does not apply", _join(left.span, right.span))
            return False
        if common == DECIMAL:
            if lt == INT:
                self._widen(left)
            if rt == INT:
                self._widen(right)
        return True

    def _conditional(self, e: ast.Conditional, hint: Type | None) -> Type | None:
        cond = self.expect(e.cond, BOOL, "the condition of `if ... else`")
        if hint is None and is_empty_collection(e.then):
            # `[] if c else xs`: the empty branch takes its type from the other one.
            other = self.expr(e.otherwise)
            then = self.expr(e.then, other) if other is not None else None
        else:
            then = self.expr(e.then, hint)
            other = self.expr(e.otherwise, hint if hint is not None else then)
        if cond is None or then is None or other is None:
            return None
        common = comparable(then, other)
        if common is None and isinstance(hint, OptionalType) and {then, other} <= {hint, hint.inner}:
            # `x if c else none` where a T? stands: the T branch becomes one of T?
            for branch, t in ((e.then, then), (e.otherwise, other)):
                if t != hint:
                    self.ann.coercions[id(branch)] = hint
            return self._typed(e, hint)
        if common is None:
            self.error(Code.B0401, f"both branches of `if ... else` must have one type, not {then} and {other}", e.span)
            return None
        if common == DECIMAL:
            if then == INT:
                self._widen(e.then)
            if other == INT:
                self._widen(e.otherwise)
        return self._typed(e, common)


def _join(a: ast.Span, b: ast.Span) -> ast.Span:
    if a.file != b.file or not a.line:
        return a
    return ast.Span(a.file, a.line, a.col, b.end_line, b.end_col)


def is_empty_collection(e: ast.Expr) -> bool:
    """`[]` or `{}`: a value whose type only its place can tell."""
    return (isinstance(e, ast.ListLit) and not e.items) or (isinstance(e, ast.MapLit) and not e.entries)


def _empty_takes(e: ast.Compare, types: list[Type | None], i: int) -> Type | None:
    """The type an empty `[]`/`{}` at operand ``i`` of a comparison takes from beside it: the
    other side of `==`, `<` ...; the items of the container on the right of `in`. The container
    of an `in` has nothing to take its type from."""
    if i > 0 and types[i - 1] is not None and e.rest[i - 1][0] not in ("in", "not in"):
        return types[i - 1]
    after = types[i + 1] if i + 1 < len(types) else None
    if after is not None:
        if e.rest[i][0] in ("in", "not in"):
            return membership(after)
        return after
    return None
