"""Signatures of the built-in functions (LANGUAGE.md section 5).

Each call is annotated with a `BuiltinFuncRef` whose ``variant`` names the typed operation:
"len:Text" / "len:List" / "len:Map"; "min:Money" (two or more arguments of that type) and
"min:List:Money" (one List argument); "abs:T", "sum:T", "round:T", "round_even:T", "floor:Decimal",
"ceil:Decimal", "sm3:T" / "sha256:T" (T the argument's type: Text and Hash hash their bytes, other
types their text form); "text", "add_months", "days_between", "year", "month", "day", "range".
"""

from __future__ import annotations

from dsl.diagnostics import Code
from dsl.semantics.analysis import BuiltinFuncRef
from dsl.semantics.context import ExprContext
from dsl.semantics.typerules import SUMMABLE, comparable
from dsl.syntax import ast
from vm.types import DATE, DECIMAL, HASH, INT, ROUNDABLE, TEXT, ListType, MapType, Type, is_ordered

_ABSABLE = SUMMABLE


def _arity_error(c: ExprContext, e: ast.Call, name: str, shape: str) -> None:
    c.error(Code.B0406, f"`{name}` takes {shape}", e.span)
    for a in e.args:
        c.expr(a.value)


def check_builtin(c: ExprContext, e: ast.Call, name: str) -> Type | None:
    """Type a call of built-in ``name``; records its BuiltinFuncRef."""
    if any(a.name is not None for a in e.args):
        c.error(Code.B0406, f"`{name}` takes no named arguments", e.span)
        for a in e.args:
            c.expr(a.value)
        return None
    args = [a.value for a in e.args]
    handler = _HANDLERS[name]
    result = handler(c, e, name, args)
    if result is None:
        return None
    variant, t = result
    c.ann.refs[id(e)] = BuiltinFuncRef(name, variant)
    return c._typed(e, t)


def _len(c, e, name, args):
    if len(args) != 1:
        return _arity_error(c, e, name, "one Text, List or Map")
    t = c.expr(args[0])
    if t is None:
        return None
    if t == TEXT:
        return "len:Text", INT
    if isinstance(t, ListType):
        return "len:List", INT
    if isinstance(t, MapType):
        return "len:Map", INT
    c.error(Code.B0406, f"`len` works on Text, List and Map, not on {t}", args[0].span)
    return None


def _min_max(c, e, name, args):
    if not args:
        return _arity_error(c, e, name, "two or more values of one type, or one List")
    if len(args) == 1:
        t = c.expr(args[0])
        if t is None:
            return None
        if not isinstance(t, ListType) or not is_ordered(t.elem):
            c.error(Code.B0406, f"`{name}` of one argument needs a List of ordered values, not {t}", args[0].span,
                    f"compare two or more values with {name}(a, b)")
            return None
        return f"{name}:List:{t.elem}", t.elem
    types = [c.expr(a) for a in args]
    if any(t is None for t in types):
        return None
    common = types[0]
    for a, t in zip(args, types):
        joined = comparable(common, t)
        if joined is None:
            c.error(Code.B0406, f"`{name}` needs values of one type, not {common} and {t}", a.span)
            return None
        common = joined
    if not is_ordered(common):
        c.error(Code.B0406, f"{common} values have no order: `{name}` does not apply", e.span)
        return None
    if common == DECIMAL:
        for a, t in zip(args, types):
            if t == INT:
                c._widen(a)
    return f"{name}:{common}", common


def _abs(c, e, name, args):
    if len(args) != 1:
        return _arity_error(c, e, name, "one number, Money, Percent or Duration")
    t = c.expr(args[0])
    if t is None:
        return None
    if t not in _ABSABLE:
        c.error(Code.B0406, f"`abs` works on Int, Decimal, Money, Percent and Duration, not on {t}", args[0].span)
        return None
    return f"abs:{t}", t


def _sum(c, e, name, args):
    if len(args) not in (1, 2):
        return _arity_error(c, e, name, "a List and an optional start: sum(xs) or sum(xs, start)")
    t = c.expr(args[0])
    if t is None:
        if len(args) == 2:
            c.expr(args[1])
        return None
    if not isinstance(t, ListType) or t.elem not in SUMMABLE:
        c.error(Code.B0406, f"`sum` needs a List of Int, Decimal, Money, Percent or Duration, not {t}", args[0].span)
        return None
    if len(args) == 2 and c.expect(args[1], t.elem, "the start of `sum`") is None:
        return None
    return f"sum:{t.elem}", t.elem


def _round(c, e, name, args):
    if len(args) != 2:
        return _arity_error(c, e, name, f"a value and a number of places: {name}(x, 2)")
    t = c.expr(args[0])
    places = c.expect(args[1], INT, f"the places of `{name}`")
    if t is None or places is None:
        return None
    if t not in ROUNDABLE:
        c.error(Code.B0406, f"`{name}` works on Money, Decimal and Percent, not on {t}", args[0].span)
        return None
    return f"{name}:{t}", t


def _floor_ceil(c, e, name, args):
    if len(args) != 1:
        return _arity_error(c, e, name, "one Decimal")
    if c.expect(args[0], DECIMAL, f"the argument of `{name}`") is None:
        return None
    return f"{name}:Decimal", INT


def _text(c, e, name, args):
    if len(args) != 1:
        return _arity_error(c, e, name, "one value")
    if c.expr(args[0]) is None:
        return None
    return "text", TEXT


def _hash(c, e, name, args):
    if len(args) != 1:
        return _arity_error(c, e, name, "one value")
    t = c.expr(args[0])
    if t is None:
        return None
    return f"{name}:{t}", HASH


def _fixed(params: tuple[Type, ...], result: Type):
    def handler(c, e, name, args):
        if len(args) != len(params):
            shape = ", ".join(str(p) for p in params)
            return _arity_error(c, e, name, f"({shape})")
        ok = True
        for i, (a, p) in enumerate(zip(args, params)):
            ok = c.expect(a, p, f"argument {i + 1} of `{name}`") is not None and ok
        return (name, result) if ok else None
    return handler


_HANDLERS = {
    "len": _len, "min": _min_max, "max": _min_max, "abs": _abs, "sum": _sum,
    "round": _round, "round_even": _round, "floor": _floor_ceil, "ceil": _floor_ceil,
    "text": _text, "sm3": _hash, "sha256": _hash,
    "add_months": _fixed((DATE, INT), DATE), "days_between": _fixed((DATE, DATE), INT),
    "year": _fixed((DATE,), INT), "month": _fixed((DATE,), INT), "day": _fixed((DATE,), INT),
    "range": None,  # replaced below: only `for i in range(a, b)`
}


def _range_misplaced(c, e, name, args):
    c.error(Code.B0406, "`range(a, b)` appears only in `for i in range(a, b):`", e.span)
    for a in args:
        c.expr(a)
    return None


_HANDLERS["range"] = _range_misplaced
