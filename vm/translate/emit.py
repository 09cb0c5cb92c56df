"""The translator's emitters: one per opcode, each writing its instruction's Python into a
block (`vm.translate.stack.StackWriter`) and returning a `Terminator` when the instruction ends the
block. ``EMITTERS`` maps every opcode name of the table to its emitter."""

from __future__ import annotations

from typing import Callable, Protocol

from vm import types as T
from vm.module.abi import Module
from vm.opcodes import OPCODES, Impl, Instruction, OpInfo, Stack
from vm.translate.analysis import TranslateError
from vm.translate.flow import Ending, Terminator
from vm.translate.stack import StackWriter
from vm.values.measure import scans_natively


class FunctionContext(Protocol):
    """What an emitter reads of the function being written (`vm.translate.writer.FunctionWriter`
    is the one implementation): the module, the pool names of constants, numbers and types, and
    the facts the writer knows about the instruction at hand."""

    module: Module
    max_collection: int
    target_block: dict[int, int]  # code offset -> index of the block starting there
    const_values: dict[str, object]  # pool name -> the constant's value
    unchecked: bool  # the instruction being written cannot overflow

    def const(self, i: int) -> str: ...

    def num(self, n: int) -> str: ...

    def typ(self, i: int) -> str: ...

    def ptype(self, i: int) -> T.Type: ...

    def pooled(self, tag: str, key: object, value: object) -> str: ...

    def checks_nesting(self, i: int) -> bool: ...

    def jump_target(self, ins: Instruction) -> int: ...


# Writes one instruction's Python into the block; returns a Terminator when it ends the block.
Emitter = Callable[[FunctionContext, StackWriter, Instruction], "Terminator | None"]


_NATIVE_ORDER = T.NATIVELY_ORDERED
_INT_LIKE = T.PLAIN_INTS
_PARTY_FIELDS = ("org", "id", "role")


# -- emitters: one per opcode; each writes the instruction's Python and returns a Terminator
#    when the instruction ends the block.

def _e_const(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    w.alias(fw.const(ins.operands[0]))


def _e_load(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    w.alias(f"l{ins.operands[0]}")


def _e_store(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    w.assign(f"l{ins.operands[0]}", w.pop())


def _e_pop(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    w.pop()


def _e_dup(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    w.dup()


def _e_swap(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    w.swap()


def _e_jump(fw: FunctionContext, w: StackWriter, ins: Instruction) -> Terminator:
    w.flush()
    return Terminator(Ending.JUMP, (fw.jump_target(ins),))


def _e_jump_if(negate: bool) -> Emitter:
    def emit(fw: FunctionContext, w: StackWriter, ins: Instruction) -> Terminator:
        cond = w.flush(w.pop())
        b = fw.target_block.get(ins.end)
        if b is None:
            raise TranslateError("a conditional jump at the end of the code")
        target = fw.jump_target(ins)
        return Terminator(Ending.BRANCH, (b, target) if negate else (target, b), cond)
    return emit


def _e_ret(fw: FunctionContext, w: StackWriter, ins: Instruction) -> Terminator:
    value = w.pop()
    w.emit("if gas < 0: oog()")
    w.emit(f"return {value}, gas")
    return Terminator(Ending.EXIT)


def _e_ret_void(fw: FunctionContext, w: StackWriter, ins: Instruction) -> Terminator:
    w.emit("if gas < 0: oog()")
    w.emit("return None, gas")
    return Terminator(Ending.EXIT)


_FAIL_HELPERS = ("fail", "unmet")  # by the FAIL operand: Abort kind "fail" or "require"


def _e_fail(fw: FunctionContext, w: StackWriter, ins: Instruction) -> Terminator:
    kind = ins.operands[0] if ins.op.operands else 0
    w.emit(f"{_FAIL_HELPERS[kind]}({w.pop()})")
    return Terminator(Ending.EXIT)


def _e_call(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    target = ins.operands[0]
    callee = fw.module.functions[target]
    args = "".join(", " + a for a in w.pops(len(callee.params)))
    if callee.returns is None:
        w.emit(f"rv, gas = f{target}(gas, depth + 1{args})")
    else:
        slot = w.top_slot()
        w.emit(f"{slot}, gas = f{target}(gas, depth + 1{args})")
        w.pushed(slot)


def _e_value(expr: str) -> Emitter:
    """An instruction that pushes a call-context value held in the call's globals."""
    def emit(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
        w.push(expr)
    return emit


def _e_expr(template: str, pending: bool) -> Emitter:
    """An instruction whose value is ``template`` over its operands ``{a}``, ``{b}`` and its TYPE
    operand's type ``{t}``; a ``pending`` one cannot fail, so it may stay unevaluated."""
    typed = "{t}" in template

    def emit(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
        names = dict(zip("ab", w.pops(len(ins.op.pops))))
        if typed:
            names["t"] = fw.typ(ins.operands[0])
        if pending:
            w.push_pending(template.format(**names))
        else:
            w.push(template.format(**names))
    return emit


def _e_checked(template: str) -> Emitter:
    """An integer result tested against Bao's range inline: no call on the common path."""
    def emit(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
        a, b = w.pops(2)
        slot = w.push(template.format(a=a, b=b))
        if not fw.unchecked:
            w.emit(f"if not nlim < {slot} < lim: ovf()")
    return emit


def _e_divides(template: str) -> Emitter:
    def emit(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
        a, b = w.pops(2)
        if fw.const_values.get(b, 0) == 0:
            a, b = w.named(a), w.named(b)
            w.emit(f"if not {b}: dz()")
            w.push(template.format(a=a, b=b))
        else:  # a constant divisor other than 0: the result cannot fail, so it may stay pending
            w.push_pending(template.format(a=a, b=b))
    return emit


def _e_gas_call(func: str, typed: bool = False, builds: bool = False) -> Emitter:
    """An operation whose helper charges gas by size: `slot, gas = func(gas, [type,] args...)`;
    ``builds``: it makes a value of the instruction's type, whose depth may need a check."""
    def emit(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
        n = ins.operands[0] if ins.op.stack is Stack.TEXTS else len(ins.op.pops)
        args = w.pops(n)
        if typed:
            args = [fw.typ(ins.operands[0])] + args
        slot = w.top_slot()
        w.emit(f"{slot}, gas = {func}(gas, {', '.join(args)})")
        if builds and fw.checks_nesting(ins.operands[0]):
            w.emit(f"nest({slot})")
        w.pushed(slot)
    return emit


def _e_party_field(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    w.push(f"{w.pop()}.{_PARTY_FIELDS[ins.operands[0]]}")


_COMPARE = {"EQ": "==", "NE": "!=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}


def _e_compare(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    t = fw.ptype(ins.operands[0])
    a, b = w.pops(2)
    name = ins.op.name
    if t in _NATIVE_ORDER or isinstance(t, T.EnumType):
        w.push_pending(f"{a} {_COMPARE[name]} {b}")
    elif t == T.MONEY:
        w.push_pending({"EQ": "money_eq({a}, {b})", "NE": "not money_eq({a}, {b})", "LT": "money_lt({a}, {b})",
                "LE": "money_le({a}, {b})", "GT": "money_lt({b}, {a})", "GE": "money_le({b}, {a})"}[name]
               .format(a=a, b=b))
    elif name in ("EQ", "NE"):  # a walk of both values, priced by their size (vm.values.measure)
        slot = w.top_slot()
        w.emit(f"{slot}, gas = veq(gas, {fw.typ(ins.operands[0])}, {a}, {b})")
        w.pushed(slot)
        if name == "NE":
            w.push_pending(f"not {w.pop()}")
    else:
        w.push_pending(f"vcmp({fw.typ(ins.operands[0])}, {a}, {b}) {_COMPARE[name]} 0")


def _e_minmax(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    t = fw.ptype(ins.operands[0])
    a, b = w.pops(2)
    lesser = ins.op.name == "MIN"
    if t in _NATIVE_ORDER or isinstance(t, T.EnumType):
        a, b = w.named(a), w.named(b)
        w.push(f"{b} if {b} {'<' if lesser else '>'} {a} else {a}")
    elif t == T.MONEY:
        w.push(f"{'money_min' if lesser else 'money_max'}({a}, {b})")
    else:
        w.push(f"{'vmin' if lesser else 'vmax'}({fw.typ(ins.operands[0])}, {a}, {b})")


def _e_abs(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    t = fw.ptype(ins.operands[0])
    a = w.pop()
    if t in _INT_LIKE:
        a = w.named(a)
        w.push(f"{a} if {a} >= 0 else -{a}")
    else:
        w.push(f"vabs({fw.typ(ins.operands[0])}, {a})")


def _nested(fw, ins, expr: str) -> str:
    """``expr`` building a value of the instruction's type, with its depth checked if the type
    can nest past the limit (`vm.values.measure`)."""
    return f"nest({expr})" if fw.checks_nesting(ins.operands[0]) else expr


def _e_make_list(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    n = ins.operands[1]
    if n > fw.max_collection:
        w.pops(n)
        w.emit("too_long()")
        w.alias("None")
        return
    items = w.pops(n)
    w.push(_nested(fw, ins, "(" + "".join(x + ", " for x in items) + ")"))


def _e_list_get(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    xs, i = w.pops(2)
    xs, i = w.named(xs), w.named(i)
    w.emit(f"if not 0 <= {i} < size({xs}): oor()")
    w.push(f"{xs}[{i}]")


def _e_list_contains(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    t = fw.ptype(ins.operands[0])
    assert isinstance(t, T.ListType)  # TypeRule.LIST: the verifier proved it
    x, xs = w.pops(2)
    slot = w.top_slot()
    if scans_natively(t.elem):
        w.emit(f"{slot}, gas = lin(gas, {x}, {xs})")
    else:
        w.emit(f"{slot}, gas = lhas(gas, {fw.pooled('e', ins.operands[0], t.elem)}, {x}, {xs})")
    w.pushed(slot)


def _e_make_map(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    n = ins.operands[1]
    if n > fw.max_collection:
        w.pops(2 * n)
        w.emit("too_long()")
        w.alias("None")
        return
    items = w.pops(2 * n)
    t = fw.ptype(ins.operands[0])
    assert isinstance(t, T.MapType)  # TypeRule.MAP: the verifier proved it
    if t.key in _NATIVE_ORDER or isinstance(t.key, T.EnumType):
        w.push(_nested(fw, ins, "{" + ", ".join(f"{items[2 * j]}: {items[2 * j + 1]}" for j in range(n)) + "}"))
    else:  # Money keys: equal amounts in one currency are one key; mixed currencies abort
        w.push(_nested(fw, ins, f"mkmap({fw.typ(ins.operands[0])}, ({''.join(x + ', ' for x in items)}))"))


def _e_map_get(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    m, k = w.pops(2)
    m, k = w.named(m), w.named(k)
    t = fw.ptype(ins.operands[0])
    assert isinstance(t, T.MapType)  # TypeRule.MAP: the verifier proved it
    w.emit(f"if {k} not in {m}: knf({fw.pooled('k', ins.operands[0], t.key)}, {k})")
    w.push(f"{m}[{k}]")


def _e_map_get_or(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    m, k, d = w.pops(3)
    m, k = w.named(m), w.named(k)
    w.push(f"{m}[{k}] if {k} in {m} else {d}")


def _e_map_has(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    k, m = w.pops(2)
    w.push_pending(f"{k} in {m}")


def _e_make_record(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    rt = fw.ptype(ins.operands[0])
    assert isinstance(rt, (T.RecordType, T.TupleType))  # TypeRule.RECORD: the verifier proved it
    items = w.pops(len(T.components(rt, fw.module.types)))
    w.push(_nested(fw, ins, "(" + "".join(x + ", " for x in items) + ")"))


def _e_field(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    w.push(f"{w.pop()}[{fw.num(ins.operands[1])}]")


def _e_set_field(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    r, x = w.pops(2)
    f = ins.operands[1]
    w.push(_nested(fw, ins, f"{r}[:{fw.num(f)}] + ({x},) + {r}[{fw.num(f + 1)}:]"))


def _e_state(func: str, pops: int, pushes: bool) -> Emitter:
    """State access goes through the call's overlay, which charges gas by the bytes it moves."""
    def emit(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
        args = "".join(", " + a for a in w.pops(pops))
        call = f"{func}(gas, {fw.num(ins.operands[0])}{args})"
        if pushes:
            slot = w.top_slot()
            w.emit(f"{slot}, gas = {call}")
            w.pushed(slot)
        else:
            w.emit(f"gas = {call}")
    return emit


def _e_emit(fw: FunctionContext, w: StackWriter, ins: Instruction) -> None:
    e = ins.operands[0]
    values = w.pops(len(fw.module.events[e].fields))
    w.emit(f"gas = emit(gas, {fw.num(e)}, ({''.join(v + ', ' for v in values)}))")


# Opcodes the table marks CUSTOM, each written by hand against its doc in `vm.opcodes`.
CUSTOM_EMITTERS: dict[str, Emitter] = {
    "CONST": _e_const, "LOAD": _e_load, "STORE": _e_store, "POP": _e_pop, "DUP": _e_dup, "SWAP": _e_swap,
    "JUMP": _e_jump, "JUMP_IF_FALSE": _e_jump_if(True), "JUMP_IF_TRUE": _e_jump_if(False),
    "RET": _e_ret, "RET_VOID": _e_ret_void, "FAIL": _e_fail, "CALL": _e_call,
    "CALLER": _e_value("CALLER"), "NOW": _e_value("NOW"), "TODAY": _e_value("TODAY"), "TX_ID": _e_value("TXID"),
    "PARTY_FIELD": _e_party_field,
    "EQ": _e_compare, "NE": _e_compare, "LT": _e_compare, "LE": _e_compare, "GT": _e_compare, "GE": _e_compare,
    "MIN": _e_minmax, "MAX": _e_minmax, "ABS": _e_abs,
    "MAKE_LIST": _e_make_list, "LIST_GET": _e_list_get, "LIST_CONTAINS": _e_list_contains,
    "MAKE_MAP": _e_make_map, "MAP_GET": _e_map_get, "MAP_GET_OR": _e_map_get_or, "MAP_HAS": _e_map_has,
    "MAKE_RECORD": _e_make_record, "FIELD": _e_field, "SET_FIELD": _e_set_field, "EMIT": _e_emit,
}


def _derived(op: OpInfo) -> Emitter:
    """The emitter of an opcode whose row says how it is carried out (`vm.opcodes.Impl`)."""
    match op.impl:
        case Impl.PURE:
            return _e_expr(op.expr, pending=True)
        case Impl.EXPR:
            return _e_expr(op.expr, pending=False)
        case Impl.CHECKED:
            return _e_checked(op.expr)
        case Impl.DIVIDES:
            return _e_divides(op.expr)
        case Impl.METERED:
            return _e_gas_call(op.helper, op.typed, op.builds)
        case Impl.STATE:
            return _e_state(op.helper, len(op.pops), bool(op.pushes))
    raise TranslateError(f"{op.name}: no emitter for {op.impl.name}")


EMITTERS: dict[str, Emitter] = {op.name: CUSTOM_EMITTERS[op.name] if op.impl is Impl.CUSTOM else _derived(op)
                                for op in OPCODES}
