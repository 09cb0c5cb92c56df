"""Expressions whose value the compiler knows: literals folded into constants, and record field
defaults evaluated at compile time for the module's ABI (`vm.module.FieldDefault`).

A constant expression is a literal (a Text without interpolation), unary minus on a number,
Money, Percent or Duration literal, an enum value, a List or Map literal of constants (`[]`
and `{}` included), or a record construction whose given fields and omitted defaults are all
constants. Anything else (arithmetic, calls, interpolation) is evaluated only by code, so a
field with such a default must be given when a record crosses the JSON boundary.
"""

from __future__ import annotations

from dsl.codegen.assembler import CompilerDefect
from dsl.diagnostics import Code, CompileError, Diagnostic
from dsl.semantics.analysis import Annotations, EnumValueRef, RecordCtorRef
from dsl.syntax import ast
from vm import values
from vm.errors import EncodingError
from vm.gas import DEFAULT_LIMITS
from vm.module import FieldDefault
from vm.types import DECIMAL, Type, TypeTable

_NEGATABLE = (ast.IntLit, ast.DecimalLit, ast.MoneyLit, ast.PercentLit, ast.DurationLit)
_LITERALS = frozenset({*_NEGATABLE, ast.DateLit, ast.HashLit, ast.BoolLit, ast.TextLit, ast.PartyLit})


class NotConstant(Exception):
    """The expression's value is known only by running code."""


def literal_value(e: ast.Expr, want: Type) -> object | None:
    """The value of a literal (or a negated number literal), in type ``want``; None for any
    other expression."""
    if isinstance(e, ast.Unary):
        if e.op != "-" or not isinstance(e.operand, _NEGATABLE):
            return None
        neg, e = True, e.operand
    elif type(e) in _LITERALS:
        neg = False
    else:
        return None  # most expressions asked about are not literals: answered without the match
    v: int  # a number, negated below when written with a minus
    match e:
        case ast.IntLit(text=t):
            v = values.parse_int_literal(t)
            if want == DECIMAL:
                v = v * values.SCALE
        case ast.DecimalLit(text=t):
            v = values.parse_decimal_literal(t)
        case ast.PercentLit(text=t):
            v = values.parse_percent_literal(t)
        case ast.MoneyLit(amount=a, currency=c):
            m = values.parse_money_literal(a, c)
            return values.Money(m.currency, -m.units) if neg else m
        case ast.DurationLit(amount=a, unit=u):
            v = values.parse_duration_literal(a, u)
        case ast.DateLit(text=t):
            return values.parse_date_literal(t)
        case ast.HashLit(text=t):
            return values.parse_hash_literal(t)
        case ast.BoolLit(value=b):
            return b
        case ast.TextLit(parts=parts):
            chunks = [p for p in parts if isinstance(p, str)]
            return "".join(chunks) if len(chunks) == len(parts) else None
        case ast.PartyLit(role=role, name=name):
            return values.Party(name, name, role)
        case _:
            return None
    return -v if neg else v


class ConstantEvaluator:
    """Evaluates constant expressions of checked trees (``ann``: the merged annotations)."""

    def __init__(self, ann: Annotations, record_defaults: dict[str, tuple[ast.Expr | None, ...]]):
        self.ann = ann
        self.record_defaults = record_defaults

    def type_of(self, e: ast.Expr) -> Type:
        t = self.ann.coercions.get(id(e)) or self.ann.expr_types.get(id(e))
        if t is None:
            raise CompilerDefect(f"no type recorded for {type(e).__name__} at {e.span}")
        return t

    def value(self, e: ast.Expr, depth: int = 0) -> object:
        """The value of ``e`` where it stands; NotConstant if code is needed to know it."""
        if depth > 64:  # records of records of ... : give up rather than recurse without end
            raise NotConstant()
        folded = literal_value(e, self.type_of(e))
        if folded is not None:
            return folded
        match e:
            case ast.Name() | ast.Attribute():
                ref = self.ann.refs.get(id(e))
                if isinstance(ref, EnumValueRef):
                    return ref.index
            case ast.ListLit(items=items):
                return tuple(self.value(x, depth + 1) for x in items)
            case ast.MapLit(entries=entries):
                out = {}
                for k, v in entries:  # a repeated key keeps its last value, as MAKE_MAP does
                    out[self.value(k, depth + 1)] = self.value(v, depth + 1)
                return out
            case ast.Call(args=args):
                ref = self.ann.refs.get(id(e))
                if isinstance(ref, RecordCtorRef):
                    defaults = self.record_defaults[ref.record]
                    out_fields = []
                    for i, arg_ix in enumerate(ref.args):
                        given = defaults[i] if arg_ix is None else args[arg_ix].value
                        if given is None:
                            raise CompilerDefect(f"{ref.record} field {i} has neither a value nor a default")
                        out_fields.append(self.value(given, depth + 1))
                    return tuple(out_fields)
        raise NotConstant()


def field_defaults(ann: Annotations, record_defaults: dict[str, tuple[ast.Expr | None, ...]],
                   types: TypeTable) -> tuple[FieldDefault, ...]:
    """Every record field default of ``types`` that is a constant expression, encoded, in
    ascending (record, field) order."""
    evaluator = ConstantEvaluator(ann, record_defaults)
    out: list[FieldDefault] = []
    for record in sorted(types.records):
        exprs = record_defaults.get(record, ())
        fields = types.record_fields(record)
        for (name, t), default in sorted(zip(fields, exprs), key=lambda pair: pair[0][0]):
            if default is None:
                continue
            try:
                value = evaluator.value(default)
            except NotConstant:
                continue
            # A record holding it is one level deeper. (Past the limit itself, the verifier would
            # refuse to decode it: `check` must refuse what `build` would.)
            depth, deepest = _depth(value), DEFAULT_LIMITS.nesting
            if depth + 1 > deepest:
                raise CompileError([Diagnostic(
                    f"this default nests {depth} levels deep, so a {record} holding it would nest {depth + 1}; "
                    f"values nest at most {deepest} deep (Lists, Maps and records inside each other)", default.span, code=Code.B0601)])
            try:
                encoded = values.encode_value(t, value, types)
            except EncodingError as exc:
                raise CompilerDefect(f"default of {record}.{name}: {exc}") from None
            out.append(FieldDefault(record, name, t, encoded))
    return tuple(out)


def _depth(v: object) -> int:
    """How deep a constant nests (a constant is at most 64 levels deep: `ConstantEvaluator`)."""
    if isinstance(v, tuple):
        return 1 + max(map(_depth, v), default=0)
    if isinstance(v, dict):
        return 1 + max((max(_depth(k), _depth(x)) for k, x in v.items()), default=0)
    return 0
