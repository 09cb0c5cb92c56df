"""Code for expressions: each leaves one value, of the type the checker gave it where it stands
(after the Int-to-Decimal widening), on the operand stack."""

from __future__ import annotations

from typing import Any, Callable

from dsl.bytecode_limits import LimitReached, max_locals, too_many_locals
from dsl.codegen.assembler import Assembler, CompilerDefect, Label
from dsl.codegen.calls import CallCode
from dsl.codegen.constants import literal_value
from dsl.codegen.unit import Unit
from dsl.semantics.analysis import (
    BuiltinValueRef, EnumValueRef, FieldRef, LocalRef, PartyFieldRef, Ref, StateRef, StateVarInfo,
)
from dsl.syntax import ast
from vm.opcodes import OPCODES, operator_opcodes
from vm.types import (
    BOOL, DECIMAL, INT, PRIMITIVES, TEXT, EnumType, ListType, MapType, OptionalType, RecordType, TupleType, Type,
)

# The operator tables are the opcode table's (each opcode's ``source``, `vm.opcodes.operator_opcodes`):
# (op, left type, right type) -> (opcode, swap operands first); `-x` of a type; comparisons; built-in values.
_ARITH: dict[tuple[str, Type, Type], tuple[str, bool]] = {
    (op, PRIMITIVES[types[0]], PRIMITIVES[types[1]]): (info.name, swap)
    for (op, types), (info, swap) in operator_opcodes().items() if len(types) == 2
}

# A literal pushes at most this many items (or text parts) before folding them into one value:
# the verifier bounds a frame's stack at 512 slots, and a literal may stand inside a deep one.
LITERAL_CHUNK = 128
_NEG: dict[Type, str] = {PRIMITIVES[types[0]]: info.name for (op, types), (info, _) in operator_opcodes().items()
        if op == "-" and len(types) == 1}
_COMPARE = {op.source: op.name for op in OPCODES if op.source and op.pops == ("T", "T")}
_CONTEXT = {op.source: op.name for op in OPCODES if op.source and not op.pops}


def arith_opcode(op: str, left: Type, right: Type) -> tuple[str, bool]:
    found = _ARITH.get((op, left, right))
    if found is None:
        raise CompilerDefect(f"no operation {left} {op} {right}")
    return found


class ExprCode(CallCode):
    """Emits one function's expressions into its assembler."""

    def __init__(self, unit: Unit, local_types: tuple[Type, ...], module: str | None = None, name: str = ""):
        self.unit = unit
        self.function_name = name  # for messages
        self.asm = Assembler()
        # Every instruction goes through here: the assembler's own method, not a wrapper of it.
        self.emit: Callable[..., None] = self.asm.emit
        self.local_types: list[Type] = list(local_types)
        self.module = module  # the `use`d module whose fn this is, for its calls among themselves
        # Looked up for every node: held here rather than reached through unit.ann each time.
        self._types = unit.ann.expr_types
        self._coercions = unit.ann.coercions
        self._refs = unit.ann.refs
        self._pools = unit.pools
        # (start, end, span) of the code of each expression and statement: where a refusal of
        # the verifier is reported (`dsl.bytecode_limits.SourceMap`).
        self.spans: list[tuple[int, int, ast.Span]] = []

    # -- small pieces ------------------------------------------------------------------------------
    def const(self, t: Type, value: object) -> None:
        self.emit("CONST", self._pools.const(t, value))

    def tix(self, t: Type) -> int:
        return self._pools.type(t)

    def temp(self, t: Type) -> int:
        if len(self.local_types) >= max_locals():
            raise too_many_locals()
        self.local_types.append(t)
        return len(self.local_types) - 1

    def raw_type(self, e: ast.Expr) -> Type:
        t = self._types.get(id(e))
        if t is None:
            raise CompilerDefect(f"no type recorded for {type(e).__name__} at {e.span}")
        return t

    def type_of(self, e: ast.Expr) -> Type:
        return self._coercions.get(id(e)) or self.raw_type(e)

    def ref(self, e: object) -> Ref | None:
        return self._refs.get(id(e))

    def convert(self, have: Type, want: Type) -> None:
        if have is want or have == want:  # mostly the very same type object: no tuple compare
            return
        if have == INT and want == DECIMAL:
            self.emit("INT_TO_DEC")
            return
        raise CompilerDefect(f"no conversion from {have} to {want}")

    def state_var(self, e: ast.Expr) -> StateVarInfo | None:
        ref = self.ref(e)
        return self.unit.state[ref.index] if isinstance(ref, StateRef) else None

    def state_map(self, e: ast.Expr) -> StateVarInfo | None:
        var = self.state_var(e)
        return var if var is not None and isinstance(var.type, MapType) else None

    # -- expressions -------------------------------------------------------------------------------
    def expr(self, e: ast.Expr) -> None:
        """Push e's value, of type ``type_of(e)``."""
        raw = self.raw_type(e)
        want = self._coercions.get(id(e)) or raw  # type_of(e), with raw kept for the widening
        if type(want) is OptionalType and type(raw) is not OptionalType:  # a T where a T? stands
            self.expr_as(e, raw, want.inner)
            self.emit("SOME", self.tix(want))
            return
        self.expr_as(e, raw, want)

    def expr_as(self, e: ast.Expr, raw: Type, want: Type) -> None:
        """Push e's value (of type ``raw``) as a ``want`` (the same type, or Int widened to Decimal)."""
        start = len(self.asm.code)
        try:
            if isinstance(e, (ast.ListLit, ast.MapLit)):
                self.collection(e, want)  # the literal takes its type from where it stands
            else:
                folded = literal_value(e, want)
                if folded is None:
                    self.expr_raw(e)  # which notes where its code came from
                    self.convert(raw, want)
                    return
                self.const(want, folded)
        except LimitReached as exc:
            raise exc.at(e.span)
        self.spans.append((start, len(self.asm.code), e.span))

    def expr_raw(self, e: ast.Expr) -> None:
        """Push e's value in its own type (before any widening)."""
        start = len(self.asm.code)
        try:
            method = _EXPR_CODE.get(type(e))
            if method is not None:
                method(self, e)
            else:
                value = literal_value(e, self.raw_type(e))
                if value is None:
                    raise CompilerDefect(f"cannot compile {type(e).__name__}")
                self.const(self.raw_type(e), value)
        except LimitReached as exc:
            raise exc.at(e.span)
        self.spans.append((start, len(self.asm.code), e.span))

    def collection_raw(self, e: ast.ListLit | ast.MapLit) -> None:
        self.collection(e, self.raw_type(e))

    def tuple(self, e: ast.TupleLit) -> None:
        for item in e.items:
            self.expr(item)
        self.emit("MAKE_RECORD", self.tix(self.raw_type(e)))  # a tuple is built as a record of its parts

    # -- optional values ---------------------------------------------------------------------------
    def none(self, e: ast.NoneLit) -> None:
        self.emit("NONE", self.tix(self.raw_type(e)))

    def is_none(self, e: ast.IsNone) -> None:
        self.expr(e.operand)
        self.emit("IS_NONE", self.tix(self.type_of(e.operand)))
        if e.negated:
            self.emit("NOT")

    def or_else(self, e: ast.OrElse) -> None:
        """`x or else d`: x's value, or d, evaluated only when x is none."""
        self.unwrap_or(e.value, lambda: self.expr(e.default))

    def or_fail(self, e: ast.OrFail) -> None:
        """`x or fail m`: x's value; m, built only when x is none, is the abort's message."""
        def fail() -> None:
            self.expr(e.message)
            self.emit("FAIL", 0)
        self.unwrap_or(e.value, fail, falls_through=False)

    def unwrap_or(self, value: ast.Expr, otherwise: Callable[[], None], falls_through: bool = True) -> None:
        """Push the value of the optional ``value``; when it is none, run ``otherwise`` (code that
        pushes a value instead, or, not ``falls_through``, aborts)."""
        t = self.type_of(value)
        held, has, end = self.temp(t), Label(), Label()
        self.expr(value)
        self.emit("STORE", held)
        self.emit("LOAD", held)
        self.emit("IS_NONE", self.tix(t))
        self.emit("JUMP_IF_FALSE", has)
        otherwise()
        if falls_through:
            self.emit("JUMP", end)
        self.asm.place(has)
        self.emit("LOAD", held)
        self.emit("UNWRAP", self.tix(t))
        self.asm.place(end)

    def unary(self, e: ast.Unary) -> None:
        self.expr(e.operand)
        self.emit("NOT" if e.op == "not" else _NEG[self.raw_type(e)])

    def binary_or_logic(self, e: ast.Binary) -> None:
        if e.op in ("and", "or"):
            self.logic(e)
        else:
            self.binary(e)

    def conditional(self, e: ast.Conditional) -> None:
        other, end = Label(), Label()
        self.branch(e.cond, other, False)
        self.expr(e.then)
        self.convert(self.type_of(e.then), self.raw_type(e))
        self.emit("JUMP", end)
        self.asm.place(other)
        self.expr(e.otherwise)
        self.convert(self.type_of(e.otherwise), self.raw_type(e))
        self.asm.place(end)

    def text(self, e: ast.TextLit) -> None:
        n = 0
        for part in e.parts:
            if n == LITERAL_CHUNK:
                self.emit("CONCAT", n)  # the text so far becomes one part
                n = 1
            if isinstance(part, str):
                if not part:
                    continue
                self.const(TEXT, part)
            else:
                self.expr(part)
                t = self.type_of(part)
                if t != TEXT:
                    self.emit("TO_TEXT", self.tix(t))
            n += 1
        if n == 0:
            self.const(TEXT, "")
        elif n > 1:
            self.emit("CONCAT", n)

    def collection(self, e: ast.ListLit | ast.MapLit, t: Type) -> None:
        if isinstance(e, ast.ListLit):
            for item in e.items[:LITERAL_CHUNK]:
                self.expr(item)
            self.emit("MAKE_LIST", self.tix(t), min(len(e.items), LITERAL_CHUNK))
            for item in e.items[LITERAL_CHUNK:]:
                self.expr(item)
                self.emit("LIST_APPEND", self.tix(t))
        else:
            for k, v in e.entries[:LITERAL_CHUNK]:
                self.expr(k)
                self.expr(v)
            self.emit("MAKE_MAP", self.tix(t), min(len(e.entries), LITERAL_CHUNK))
            for k, v in e.entries[LITERAL_CHUNK:]:  # a repeated key keeps the later value, as in MAKE_MAP
                self.expr(k)
                self.expr(v)
                self.emit("MAP_SET", self.tix(t))

    def name(self, e: ast.Name) -> None:
        ref = self.ref(e)
        match ref:
            case LocalRef(slot=slot):
                self.emit("LOAD", slot)
                held = self.local_types[slot]
                if type(held) is OptionalType and self.raw_type(e) == held.inner:
                    # a `T?` local a test proved to hold a value (the checker's narrowing); UNWRAP
                    # would still abort, not misbehave, were that ever wrong
                    self.emit("UNWRAP", self.tix(held))
            case StateRef(index=index):
                self.emit("SLOAD", index)
            case EnumValueRef(enum=enum, index=index):
                self.const(EnumType(enum), index)
            case BuiltinValueRef(name=name):
                self.emit(_CONTEXT[name])
            case _:
                raise CompilerDefect(f"name {e.id} refers to {ref!r}")

    def attribute(self, e: ast.Attribute) -> None:
        ref = self.ref(e)
        match ref:
            case EnumValueRef(enum=enum, index=index):
                self.const(EnumType(enum), index)
            case FieldRef(record=record, index=index):
                self.expr(e.obj)
                self.emit("FIELD", self.tix(RecordType(record)), index)
            case PartyFieldRef(field=f):
                self.expr(e.obj)
                self.emit("PARTY_FIELD", ("org", "id", "role").index(f))
            case _:
                raise CompilerDefect(f"attribute .{e.name} refers to {ref!r}")

    def index(self, e: ast.Index) -> None:
        var = self.state_map(e.obj)
        if var is not None:
            self.expr(e.index)
            self.emit("MLOAD", var.index)
            return
        t = self.type_of(e.obj)
        self.expr(e.obj)
        part = ast.tuple_part(e) if isinstance(t, TupleType) else None
        if part is not None:  # a tuple's part: the record opcodes read tuples too
            self.emit("FIELD", self.tix(t), part)
            return
        self.expr(e.index)
        self.emit("MAP_GET" if isinstance(t, MapType) else "LIST_GET", self.tix(t))

    def logic(self, e: ast.Binary) -> None:
        # a and b: a false gives false without evaluating b (or: a true gives true).
        short, end = Label(), Label()
        self.branch(e, short, e.op == "or")
        self.const(BOOL, e.op == "and")
        self.emit("JUMP", end)
        self.asm.place(short)
        self.const(BOOL, e.op == "or")
        self.asm.place(end)

    def branch(self, e: ast.Expr, target: Label, when: bool) -> None:
        """Jump to ``target`` when the Bool e is ``when``; fall through otherwise. `and`, `or`
        and `not` become jumps, so conditions never build intermediate Bools."""
        if isinstance(e, ast.Unary) and e.op == "not":
            self.branch(e.operand, target, not when)
            return
        if isinstance(e, ast.Binary) and e.op in ("and", "or"):
            # (a and b) true needs both; (a or b) false needs both false.
            both = (e.op == "and") == when
            if both:
                skip = Label()
                self.branch(e.left, skip, not when)
                self.branch(e.right, target, when)
                self.asm.place(skip)
            else:
                self.branch(e.left, target, when)
                self.branch(e.right, target, when)
            return
        if isinstance(e, ast.Compare) and len(e.rest) > 1:
            start = len(self.asm.code)
            try:
                if when:
                    skip = Label()
                    self.compare_pairs(e, skip)
                    self.emit("JUMP_IF_TRUE", target)
                    self.asm.place(skip)
                else:
                    self.compare_pairs(e, target)
                    self.emit("JUMP_IF_FALSE", target)
            except LimitReached as exc:
                raise exc.at(e.span)
            self.spans.append((start, len(self.asm.code), e.span))
            return
        self.expr(e)
        self.emit("JUMP_IF_TRUE" if when else "JUMP_IF_FALSE", target)

    def binary(self, e: ast.Binary) -> None:
        lt, rt = self.type_of(e.left), self.type_of(e.right)
        self.expr(e.left)
        self.expr(e.right)
        if e.op == "+" and lt == TEXT:
            self.emit("CONCAT", 2)
            return
        opcode, swap = arith_opcode(e.op, lt, rt)
        if swap:
            self.emit("SWAP")
        self.emit(opcode)

    # -- comparisons: each operand evaluated once, the chain stopping at the first false ---------------
    def compare(self, e: ast.Compare) -> None:
        false, end = Label(), Label()
        self.compare_pairs(e, false)
        if len(e.rest) > 1:
            self.emit("JUMP", end)
            self.asm.place(false)
            self.const(BOOL, False)
            self.asm.place(end)

    def compare_pairs(self, e: ast.Compare, false: Label) -> None:
        """All comparisons of a chain: each but the last jumps to ``false`` when it fails; the
        last leaves its Bool on the stack."""
        operands = [e.first, *(o for _, o in e.rest)]
        held: int | None = None  # temp holding the previous right operand, raw
        for i, (op, right) in enumerate(e.rest):
            left = operands[i]
            last = i == len(e.rest) - 1
            lt, rt = self.raw_type(left), self.raw_type(right)
            if op in ("in", "not in"):
                need = self.member_type(lt, right)
                self.load_operand(left, held, need)
                self.membership(right)
                if op == "not in":
                    self.emit("NOT")
                held = None  # a container is never the left side of a further comparison worth keeping
                if not last:
                    self.emit("JUMP_IF_FALSE", false)
                    # the next comparison's left operand is this container: evaluate it again
                continue
            common = DECIMAL if {lt, rt} == {INT, DECIMAL} else lt
            self.load_operand(left, held, common)
            self.expr_raw(right)
            if not last:
                held = self.temp(rt)
                self.emit("DUP")
                self.emit("STORE", held)
            self.convert(rt, common)
            self.emit(_COMPARE[op], self.tix(common))
            if not last:
                self.emit("JUMP_IF_FALSE", false)

    def load_operand(self, e: ast.Expr, held: int | None, want: Type) -> None:
        if held is not None:
            self.emit("LOAD", held)
        else:
            self.expr_raw(e)
        self.convert(self.raw_type(e), want)

    def member_type(self, item: Type, container: ast.Expr) -> Type:
        ct = self.raw_type(container)
        if isinstance(ct, MapType):
            return ct.key
        if isinstance(ct, ListType):
            return ct.elem
        return TEXT

    def membership(self, container: ast.Expr) -> None:
        var = self.state_map(container)
        if var is not None:
            self.emit("MHAS", var.index)
            return
        ct = self.raw_type(container)
        self.expr_raw(container)
        if isinstance(ct, MapType):
            self.emit("MAP_HAS", self.tix(ct))
        elif isinstance(ct, ListType):
            self.emit("LIST_CONTAINS", self.tix(ct))
        else:
            self.emit("TEXT_CONTAINS")


# How expr_raw emits each kind of node (a dict on the node's type rather than a chain of class
# tests: expressions are the most numerous nodes). Literals are not here: they fold to constants.
# Each handler takes the node of its own class (hence Any for the node here).
_EXPR_CODE: dict[type, Callable[[ExprCode, Any], None]] = {
    ast.ListLit: ExprCode.collection_raw,
    ast.MapLit: ExprCode.collection_raw,
    ast.TupleLit: ExprCode.tuple,
    ast.TextLit: ExprCode.text,
    ast.Name: ExprCode.name,
    ast.Attribute: ExprCode.attribute,
    ast.Index: ExprCode.index,
    ast.Call: ExprCode.call,
    ast.Unary: ExprCode.unary,
    ast.Binary: ExprCode.binary_or_logic,
    ast.Compare: ExprCode.compare,
    ast.Conditional: ExprCode.conditional,
    ast.NoneLit: ExprCode.none,
    ast.IsNone: ExprCode.is_none,
    ast.OrElse: ExprCode.or_else,
    ast.OrFail: ExprCode.or_fail,
}
