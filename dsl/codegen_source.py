"""Bao source text of an expression, rebuilt from the tree: the message of a `require` without
one reads `requirement failed: <source of cond>`, and the tree is all the compiler has."""

from __future__ import annotations

from dsl import ast

# Binding strength, loosest first (LANGUAGE.md section 5).
_LEVEL = {"if": 1, "or": 2, "and": 3, "not": 4, "cmp": 5, "+": 6, "-": 6, "*": 7, "/": 7, "//": 7,
          "mod": 7, "neg": 8, "atom": 9}


def source_of(e: ast.Expr) -> str:
    return _text(e)[0]


def _wrap(e: ast.Expr, least: int) -> str:
    text, level = _text(e)
    return f"({text})" if level < least else text


def _escape(s: str) -> str:
    return s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("{", "{{").replace("}", "}}")


def _text(e: ast.Expr) -> tuple[str, int]:
    atom = _LEVEL["atom"]
    match e:
        case ast.IntLit(text=t) | ast.DecimalLit(text=t) | ast.DateLit(text=t) | ast.HashLit(text=t):
            return t, atom
        case ast.MoneyLit(amount=a, currency=c):
            return f"{a} {c}", atom
        case ast.PercentLit(text=t):
            return f"{t}%", atom
        case ast.DurationLit(amount=a, unit=u):
            return f"{a} {u}", atom
        case ast.BoolLit(value=v):
            return ("true" if v else "false"), atom
        case ast.TextLit(parts=parts):
            inner = "".join(_escape(p) if isinstance(p, str) else "{" + source_of(p) + "}" for p in parts)
            return f'"{inner}"', atom
        case ast.ListLit(items=items):
            return "[" + ", ".join(source_of(i) for i in items) + "]", atom
        case ast.MapLit(entries=entries):
            return "{" + ", ".join(f"{source_of(k)}: {source_of(v)}" for k, v in entries) + "}", atom
        case ast.Name(id=name):
            return name, atom
        case ast.Attribute(obj=obj, name=name):
            return f"{_wrap(obj, atom)}.{name}", atom
        case ast.Index(obj=obj, index=index):
            return f"{_wrap(obj, atom)}[{source_of(index)}]", atom
        case ast.Call(func=func, args=args):
            shown = ", ".join((f"{a.name}: " if a.name else "") + source_of(a.value) for a in args)
            return f"{_wrap(func, atom)}({shown})", atom
        case ast.Unary(op="not", operand=o):
            return f"not {_wrap(o, _LEVEL['not'])}", _LEVEL["not"]
        case ast.Unary(op=op, operand=o):
            return f"{op}{_wrap(o, _LEVEL['neg'])}", _LEVEL["neg"]
        case ast.Binary(op=op, left=left, right=right):
            level = _LEVEL[op]
            return f"{_wrap(left, level)} {op} {_wrap(right, level + 1)}", level
        case ast.Compare(first=first, rest=rest):
            level = _LEVEL["cmp"]
            parts = [_wrap(first, level + 1)] + [f"{op} {_wrap(o, level + 1)}" for op, o in rest]
            return " ".join(parts), level
        case ast.Conditional(then=then, cond=cond, otherwise=otherwise):
            level = _LEVEL["if"]
            return f"{_wrap(then, level + 1)} if {_wrap(cond, level + 1)} else {_wrap(otherwise, level)}", level
        case ast.PartyLit(role=role, name=name):
            return f'{role} "{_escape(name)}"', atom
    return "?", atom
