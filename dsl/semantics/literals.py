"""Literal validation: a literal's text must denote a value of its type (LANGUAGE.md section 2).

The values layer owns the meaning of literals (`vm.values.parse_*_literal`, raising
`vm.errors.LiteralError`); the checker only turns its verdict into a diagnostic at the literal's
span, so the checker and the VM can never disagree about what a literal means.
"""

from __future__ import annotations

from collections.abc import Callable

from dsl.syntax import ast
from vm.errors import LiteralError
from vm.values import (
    parse_date_literal, parse_decimal_literal, parse_duration_literal, parse_hash_literal,
    parse_int_literal, parse_money_literal, parse_percent_literal,
)


class LiteralValidator:
    """Validates literal nodes; a literal text seen once is not parsed again."""

    __slots__ = ("_seen",)

    def __init__(self) -> None:
        self._seen: dict[tuple, str | None] = {}

    def check(self, lit: ast.Expr) -> str | None:
        """The error message for an invalid literal, or None."""
        key: tuple[str, ...]
        parse: Callable[..., object]
        args: tuple[str, ...]
        match lit:
            case ast.IntLit(text=t):
                key, parse, args = ("i", t), parse_int_literal, (t,)
            case ast.DecimalLit(text=t):
                key, parse, args = ("d", t), parse_decimal_literal, (t,)
            case ast.PercentLit(text=t):
                key, parse, args = ("p", t), parse_percent_literal, (t,)
            case ast.MoneyLit(amount=a, currency=c):
                key, parse, args = ("m", a, c), parse_money_literal, (a, c)
            case ast.DateLit(text=t):
                key, parse, args = ("t", t), parse_date_literal, (t,)
            case ast.DurationLit(amount=a, unit=u):
                key, parse, args = ("u", a, u), parse_duration_literal, (a, u)
            case ast.HashLit(text=t):
                key, parse, args = ("h", t), parse_hash_literal, (t,)
            case _:
                return None
        if key in self._seen:
            return self._seen[key]
        try:
            parse(*args)
            problem = None
        except LiteralError as exc:
            problem = str(exc)
        self._seen[key] = problem
        return problem
