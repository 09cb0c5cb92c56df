"""What the parts of the expression checker need from it: `ExprContext`.

`ExprChecker` (dsl.semantics.exprs) types expressions; the typing of operators
(`OperatorTyping`), of calls (`CallTyping`) and of built-in functions (`check_builtin`) lives in
modules of their own, and each of them calls back into the checker: to type an operand, to check a
value against the type its place needs, to report an error, to record a type or a reference. This
Protocol is that interface, stated once. The mixins derive from it and `check_builtin` takes it, so
none of them imports the checker that combines them (the import graph stays one-way: exprs →
operators, calls → builtins → context), and mypy checks every such call against it.
"""

from __future__ import annotations

from typing import Protocol

from dsl.diagnostics import Code
from dsl.semantics.analysis import Annotations, Ref
from dsl.semantics.scope import BodyKind, ContractScope, Findings, LocalScope
from dsl.syntax import ast
from vm.types import Type


class ExprContext(Protocol):
    """The expression checker as its operator, call and built-in typing see it."""

    scope: ContractScope
    findings: Findings
    ann: Annotations
    locals: LocalScope
    kind: BodyKind
    name: str  # the body's name, for messages
    _refs: dict[int, Ref]

    def error(self, code: Code, message: str, span: ast.Span, hint: str | None = None) -> None:
        """Report an error of kind `code` at `span`."""
        ...

    def expr(self, e: ast.Expr, hint: Type | None = None) -> Type | None:
        """The type of `e`, recorded; None after an error (reported once)."""
        ...

    def expect(self, e: ast.Expr, expected: Type | None, what: str) -> Type | None:
        """Check `e` where a value of `expected` stands (`what` names the place); record a widening."""
        ...

    def _typed(self, e: ast.Expr, t: Type | None) -> Type | None:
        """Record `t` as the type of `e` (when not None) and return it."""
        ...

    def _widen(self, e: ast.Expr) -> None:
        """Record that the Int value `e` stands where a Decimal is expected."""
        ...

    def undefined(self, name: str, span: ast.Span) -> None:
        """Report `name` as undefined, with the closest name in scope as a hint."""
        ...

    def _pure_violation(self, what: str, span: ast.Span, hint: str) -> None:
        """Report that a pure body (an fn, a default value) would use `what`; nothing elsewhere."""
        ...
