"""Canonical text of expressions, types and literals (the formatter's inner half).

Parentheses appear only where precedence needs them (section 5), so `(a + b) * c` keeps its
parentheses and `a + (b * c)` loses them, with one exception for readers: an `and` inside an
`or` is always parenthesised (`(a and b) or c`); literals are written back as the author wrote them;
strings are re-escaped canonically (`\\"`, `\\\\`, `\\n`, `{{`, `}}`).
"""

from __future__ import annotations

from dataclasses import replace

from dsl.syntax import ast

# Binding strength, loosest first, as in the grammar.
CONDITIONAL, OR, AND, NOT, COMPARE, SUM, TERM, UNARY, POSTFIX, ATOM = range(1, 11)
_BINARY = {"or": OR, "and": AND, "+": SUM, "-": SUM, "*": TERM, "/": TERM, "//": TERM, "mod": TERM}
# A number, date or hash written before `.name` would run into it (`1.x` lexes as one word).
_NUMBER_WORDS = (ast.IntLit, ast.DecimalLit, ast.DateLit, ast.HashLit)


def precedence(e: ast.Expr) -> int:
    match e:
        case ast.Conditional():
            return CONDITIONAL
        case ast.Binary(op=op):
            return _BINARY[op]
        case ast.OrElse() | ast.OrFail():
            return OR
        case ast.IsNone():
            return COMPARE
        case ast.Unary(op="not"):
            return NOT
        case ast.Unary():
            return UNARY
        case ast.Compare():
            return COMPARE
        case ast.Attribute() | ast.Index() | ast.Call():
            return POSTFIX
        case _:
            return ATOM


def expr(e: ast.Expr, at_least: int = CONDITIONAL) -> str:
    """``e`` as text, parenthesised when it binds looser than ``at_least``."""
    text = _expr(e)
    if precedence(e) < at_least:
        return f"({text})"
    return text


def _expr(e: ast.Expr) -> str:
    match e:
        case ast.Name(id=name):
            return name
        case ast.IntLit(text=t) | ast.DecimalLit(text=t) | ast.DateLit(text=t) | ast.HashLit(text=t):
            return t
        case ast.MoneyLit(amount=a, currency=c):
            return f"{a} {c}"
        case ast.DurationLit(amount=a, unit=u):
            return f"{a} {u}"
        case ast.PercentLit(text=t):
            return f"{t}%"
        case ast.BoolLit(value=v):
            return "true" if v else "false"
        case ast.TextLit(parts=parts):
            return text_literal(parts)
        case ast.ListLit(items=items):
            return "[" + ", ".join(expr(i) for i in items) + "]"
        case ast.TupleLit(items=items):
            return "(" + ", ".join(expr(i) for i in items) + ")"
        case ast.MapLit(entries=entries):
            return "{" + ", ".join(f"{expr(k)}: {expr(v)}" for k, v in entries) + "}"
        case ast.Attribute(obj=obj, name=name):
            target = f"({_expr(obj)})" if isinstance(obj, _NUMBER_WORDS) else expr(obj, POSTFIX)
            return f"{target}.{name}"
        case ast.Index(obj=obj, index=index):
            return f"{expr(obj, POSTFIX)}[{expr(index)}]"
        case ast.Call(func=func, args=args):
            return f"{expr(func, POSTFIX)}({arguments(args)})"
        case ast.Unary(op="not", operand=operand):
            return f"not {expr(operand, NOT)}"
        case ast.Unary(op=op, operand=operand):
            return f"{op}{expr(operand, UNARY)}"
        case ast.Binary(op="or", left=left, right=right):
            # Readers should not need to know that `and` binds tighter than `or`.
            return f"{expr(left, AND + 1 if _is_and(left) else OR)} or {expr(right, AND + 1)}"
        case ast.Binary(op=op, left=left, right=right):
            level = _BINARY[op]
            return f"{expr(left, level)} {op} {expr(right, level + 1)}"
        case ast.Compare(first=first, rest=rest):
            return " ".join([expr(first, SUM), *(f"{op} {expr(x, SUM)}" for op, x in rest)])
        case ast.Conditional(then=then, cond=cond, otherwise=otherwise):
            return f"{expr(then, OR)} if {expr(cond, OR)} else {expr(otherwise, CONDITIONAL)}"
        case ast.PartyLit(role=role, name=name):
            return f"{role} {plain_text(name)}"
        case ast.NoneLit():
            return "none"
        case ast.IsNone(operand=operand, negated=negated):
            return f"{expr(operand, SUM)} is {'not ' if negated else ''}none"
        case ast.OrElse(value=value, default=other) | ast.OrFail(value=value, message=other):
            word = "else" if isinstance(e, ast.OrElse) else "fail"
            return f"{expr(value, AND + 1 if _is_and(value) else OR)} or {word} {expr(other, AND + 1)}"
    raise TypeError(f"not an expression: {e!r}")


def _is_and(e: ast.Expr) -> bool:
    return isinstance(e, ast.Binary) and e.op == "and"


def arguments(args: tuple[ast.Arg, ...]) -> str:
    return ", ".join(f"{a.name}: {expr(a.value)}" if a.name is not None else expr(a.value) for a in args)


def _escape(s: str) -> str:
    return (s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
            .replace("{", "{{").replace("}", "}}"))


def text_literal(parts: tuple) -> str:
    out = ['"']
    for part in parts:
        if isinstance(part, str):
            out.append(_escape(part))
        else:
            inner = expr(part)
            # `{{` would read as a literal brace: keep a map literal apart from the opening one.
            out.append("{ " + inner + "}" if inner.startswith("{") else "{" + inner + "}")
    out.append('"')
    return "".join(out)


def plain_text(s: str) -> str:
    return '"' + _escape(s) + '"'


def type_ref(t: ast.TypeRef) -> str:
    if t.optional:  # `T?` (and `T??`, kept as "?" of T? for the checker to refuse)
        return type_ref(t.args[0] if t.name == "?" else replace(t, optional=False)) + "?"
    if t.name == ast.TUPLE_TYPE:
        return "(" + ", ".join(type_ref(a) for a in t.args) + ")"
    if not t.args:
        return t.name
    return f"{t.name}[{', '.join(type_ref(a) for a in t.args)}]"
