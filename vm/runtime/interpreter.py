"""A plain reference interpreter, and a small assembler for hand-written modules.

`ReferenceMachine` runs the same modules as `vm.runtime.machine.Machine` with one Python step per
instruction and a real operand stack: slow (the translator exists because of that) but simple
enough to trust, so differential tests hold the translator to it. It shares the machine's entry
checks, state overlay and helpers; what it does *not* share is everything the translator is
clever about: stack slots as locals, rebuilt control flow, inline integer checks, per-block gas.

`assemble` turns a list of ("OP", operands...) tuples and label strings into function code, so
tests and benchmarks can build modules without the compiler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from vm import values as V
from vm.errors import Abort, AbortKind, call_too_deep, limit_exceeded, out_of_gas
from vm.runtime.host import CallContext, Host
from vm.runtime.machine import (
    CallResult, EntryInfo, Machine, _tagged, check_arguments, check_result_size, host_fault, internal_fault, stack_headroom,
    walks,
)
from vm.values.decimals import division_by_zero
from vm.values.measure import needs_nesting_check, scans_natively, walks_to_compare
from vm.module.abi import Constant, Entry, EventDef, Function, Lifecycle, Module, Param, StateVar
from vm.opcodes import BY_NAME, OPCODES, Impl, Instruction, OperandKind, OpInfo, Stack, decode_instructions, encode_instruction
from vm.runtime.state import CallState
from vm.types import ListType, MapType, RecordType, TupleType, Type, TypeTable, components


def assemble(program: list) -> bytes:
    """Code bytes of ``program``: labels (str) mark positions; a TARGET operand may name one."""
    offsets: dict[str, int] = {}
    pos = 0
    for item in program:
        if isinstance(item, str):
            offsets[item] = pos
        else:
            pos += BY_NAME[item[0]].size
    out = bytearray()
    for item in program:
        if isinstance(item, str):
            continue
        name, *operands = item
        info = BY_NAME[name]
        resolved = [offsets[o] if kind is OperandKind.TARGET and isinstance(o, str) else o
                    for kind, o in zip(info.operands, operands)]
        out += encode_instruction(name, *resolved)
    return bytes(out)


def hand_module(program: list, params: tuple[Type, ...] = (), returns: Type | None = None, *,
                local_types: tuple[Type, ...] = (), constants: tuple[Constant, ...] = (),
                type_pool: tuple[Type, ...] = (), state: tuple[StateVar, ...] = (),
                events: tuple[EventDef, ...] = (), lifecycles: tuple[Lifecycle, ...] = (),
                types: TypeTable = TypeTable({}, {}), kind: str = "action", roles: tuple[str, ...] = (),
                parties: tuple[str, ...] = ("insurer", "hospital"), helpers: tuple[Function, ...] = ()) -> Module:
    """A contract whose entry `run` is ``program`` (anyone may call it unless ``roles`` are
    given); ``helpers`` become functions 1, 2 ... for CALL. Locals are the parameters, then
    ``local_types``."""
    main = Function("run", tuple(Param(f"p{i}", t) for i, t in enumerate(params)), returns,
                    tuple(params) + tuple(local_types), assemble(program))
    return Module("contract", "Hand", "", parties, types, state, events, lifecycles, (main,) + tuple(helpers),
                  (Entry("run", kind, 0, roles, not roles),), constants, type_pool)


@dataclass(slots=True)
class _Run:
    """One call's mutable part: kept apart so a ReferenceMachine may serve calls side by side."""

    state: CallState
    ctx: CallContext
    gas: int
    walks: dict  # this call's measuring helpers (`vm.runtime.machine.walks`)


class ReferenceMachine(Machine):
    """`Machine` with the translator replaced by a dispatch loop over decoded instructions."""

    _nesting_checked: dict
    _dispatch: dict[str, Semantics]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._nesting_checked = {}
        self._dispatch = dispatch_table(self._runtime)

    def _run(self, info: EntryInfo, args: tuple, ctx: CallContext, host: Host, gas_limit: int) -> CallResult:
        if len(args) != len(info.params):
            raise _tagged(Abort(f"{info.name} takes {len(info.params)} arguments, got {len(args)}",
                                AbortKind.INVALID_VALUE), info.name, 0)
        state = CallState(self.schema, host, ctx.caller.role, self.limits)
        run = _Run(state, ctx, gas_limit, walks(self.types, self.limits, state))
        try:
            check_arguments(tuple(args), state)
            with stack_headroom(self.limits):
                value = self._frame(run, info.function, list(args), 1)
            run.gas = check_result_size(info, value, run.gas, state)
        except Abort as exc:
            used = gas_limit if exc.kind == AbortKind.OUT_OF_GAS.value else gas_limit - state.gas_left(run.gas)
            raise _tagged(exc, info.name, used) from None
        except (MemoryError, RecursionError) as exc:
            raise host_fault(info, exc) from None
        except Exception as exc:  # as the machine: a defect (or damaged state) is an internal abort
            raise _tagged(internal_fault(info, exc), info.name, gas_limit - state.gas_left(run.gas)) from None
        return CallResult(value, gas_limit - run.gas, dict(state.writes), dict(state.reads), tuple(state.events),
                          state.deltas(), tuple(state.scans))

    def _frame(self, run: _Run, index: int, args: list, depth: int) -> object:
        if depth > self.limits.call_depth:
            raise call_too_deep(self.limits.call_depth)
        m = self.module
        fn = m.functions[index]
        code = decode_instructions(fn.code)
        frame = _Frame(self, run, {ins.offset: i for i, ins in enumerate(code)},
                       args + [None] * (len(fn.local_types) - len(args)), depth)
        stack = frame.stack
        dispatch = self._dispatch
        pool = m.type_pool
        nest = run.walks["nest"]
        while not frame.done:
            ins = code[frame.pc]
            frame.pc += 1
            op, ops = ins.op, ins.operands
            run.gas -= op.base_gas(ops)
            if run.gas < 0:
                raise out_of_gas()
            t = pool[ops[0]] if ops and op.operands[0] is OperandKind.TYPE else None
            dispatch[op.name](frame, ins, t)
            if op.builds and self._checks_nesting(t):
                nest(stack[-1])
        return frame.value

    def _checks_nesting(self, t: Type | None) -> bool:
        if t is None:
            return False
        known = self._nesting_checked.get(t)
        if known is None:
            known = self._nesting_checked[t] = needs_nesting_check(t, self.types, self.limits.nesting)
        return known


@dataclass(slots=True)
class _Frame:
    """One function activation: its locals, operand stack and position."""

    machine: ReferenceMachine
    run: _Run
    at: dict[int, int]  # code offset -> instruction index
    local: list
    depth: int
    stack: list = field(default_factory=list)
    pc: int = 0
    done: bool = False
    value: object = None

    def take(self, n: int) -> list:
        stack = self.stack
        if not n:
            return []
        taken = stack[len(stack) - n:]
        del stack[len(stack) - n:]
        return taken


# An opcode's reference semantics: it works on the frame; ``t`` is its TYPE operand's type.
Semantics = Callable[[_Frame, Instruction, "Type | None"], None]


def _derived(op: OpInfo, rt: dict) -> Semantics:
    """The semantics of an opcode whose row says how it is carried out (`vm.opcodes.Impl`), built
    from the row as the translator's code is: an ``expr`` is evaluated in the machine's runtime."""
    n = len(op.pops)
    if op.impl in (Impl.PURE, Impl.EXPR, Impl.CHECKED, Impl.DIVIDES):
        names = "ab"[:n]
        compute = eval(f"lambda t, {', '.join(names)}: " + op.expr.format(a="a", b="b", t="t"), rt)
        if op.impl is Impl.CHECKED:
            def run_checked(f: _Frame, ins: Instruction, t: Type | None) -> None:
                f.stack.append(V.check_int(compute(t, *f.take(n))))
            return run_checked
        if op.impl is Impl.DIVIDES:
            def run_divides(f: _Frame, ins: Instruction, t: Type | None) -> None:
                operands = f.take(n)
                if not operands[1]:
                    raise division_by_zero()
                f.stack.append(compute(t, *operands))
            return run_divides

        def run_expr(f: _Frame, ins: Instruction, t: Type | None) -> None:
            f.stack.append(compute(t, *f.take(n)))
        return run_expr
    if op.impl is Impl.METERED:
        helper, typed, texts = op.helper, op.typed, op.stack is Stack.TEXTS

        def run_metered(f: _Frame, ins: Instruction, t: Type | None) -> None:
            run = f.run
            operands = f.take(ins.operands[0] if texts else n)
            call = run.walks.get(helper) or f.machine._runtime[helper]
            value, run.gas = call(run.gas, *([t] if typed else []), *operands)
            f.stack.append(value)
        return run_metered
    if op.impl is Impl.STATE:
        method, pushes = op.helper, bool(op.pushes)

        def run_state(f: _Frame, ins: Instruction, t: Type | None) -> None:
            run = f.run
            result = getattr(run.state, method)(run.gas, ins.operands[0], *f.take(n))
            if pushes:
                value, run.gas = result
                f.stack.append(value)
            else:
                run.gas = result
        return run_state
    raise ValueError(f"{op.name}: no reference semantics for {op.impl.name}")


# -- the opcodes the table marks CUSTOM, each written against its doc in `vm.opcodes` ---------------

def _const(f: _Frame, ins: Instruction, t: Type | None) -> None:
    f.stack.append(f.machine.module.constants[ins.operands[0]].value)


def _load(f: _Frame, ins: Instruction, t: Type | None) -> None:
    f.stack.append(f.local[ins.operands[0]])


def _store(f: _Frame, ins: Instruction, t: Type | None) -> None:
    f.local[ins.operands[0]] = f.stack.pop()


def _pop(f: _Frame, ins: Instruction, t: Type | None) -> None:
    f.stack.pop()


def _dup(f: _Frame, ins: Instruction, t: Type | None) -> None:
    f.stack.append(f.stack[-1])


def _swap(f: _Frame, ins: Instruction, t: Type | None) -> None:
    f.stack[-1], f.stack[-2] = f.stack[-2], f.stack[-1]


def _jump(f: _Frame, ins: Instruction, t: Type | None) -> None:
    f.pc = f.at[ins.operands[0]]


def _jump_if(when: bool) -> Semantics:
    def run(f: _Frame, ins: Instruction, t: Type | None) -> None:
        if f.stack.pop() == when:
            f.pc = f.at[ins.operands[0]]
    return run


def _ret(f: _Frame, ins: Instruction, t: Type | None) -> None:
    f.value, f.done = f.stack.pop(), True


def _ret_void(f: _Frame, ins: Instruction, t: Type | None) -> None:
    f.done = True


def _fail(f: _Frame, ins: Instruction, t: Type | None) -> None:
    raise Abort(f.stack.pop(), AbortKind.REQUIRE if ins.operands[0] == 1 else AbortKind.FAIL)


def _call(f: _Frame, ins: Instruction, t: Type | None) -> None:
    callee = f.machine.module.functions[ins.operands[0]]
    value = f.machine._frame(f.run, ins.operands[0], f.take(len(callee.params)), f.depth + 1)
    if callee.returns is not None:
        f.stack.append(value)


def _context(name: str) -> Semantics:
    def run(f: _Frame, ins: Instruction, t: Type | None) -> None:
        ctx = f.run.ctx
        f.stack.append({"CALLER": ctx.caller, "NOW": ctx.timestamp_ms, "TX_ID": ctx.tx_id,
                        "TODAY": V.today_of(ctx.timestamp_ms, ctx.tz_offset_minutes)}[name])
    return run


def _party_field(f: _Frame, ins: Instruction, t: Type | None) -> None:
    p = f.stack.pop()
    f.stack.append((p.org, p.id, p.role)[ins.operands[0]])


_ORDER_TESTS = {"EQ": lambda c: c == 0, "NE": lambda c: c != 0, "LT": lambda c: c < 0, "LE": lambda c: c <= 0,
                "GT": lambda c: c > 0, "GE": lambda c: c >= 0}


def _compare(f: _Frame, ins: Instruction, t: Type | None) -> None:
    assert t is not None  # EQ .. GE have a TYPE operand
    name, run, table = ins.op.name, f.run, f.machine.types
    a, b = f.take(2)
    if name in ("EQ", "NE") and walks_to_compare(t):
        same, run.gas = run.walks["veq"](run.gas, t, a, b)
        f.stack.append(same == (name == "EQ"))
    elif name in ("EQ", "NE"):
        f.stack.append(V.equal(t, a, b, table) == (name == "EQ"))
    else:
        f.stack.append(_ORDER_TESTS[name](V.compare(t, a, b, table)))


def _min_max(f: _Frame, ins: Instruction, t: Type | None) -> None:
    assert t is not None
    a, b = f.take(2)
    f.stack.append((V.min_value if ins.op.name == "MIN" else V.max_value)(t, a, b, f.machine.types))


def _abs(f: _Frame, ins: Instruction, t: Type | None) -> None:
    assert t is not None
    f.stack.append(V.abs_value(t, f.stack.pop()))


def _make_list(f: _Frame, ins: Instruction, t: Type | None) -> None:
    if ins.operands[1] > f.machine.limits.collection_length:
        raise limit_exceeded("a collection is too long")
    f.stack.append(tuple(f.take(ins.operands[1])))


def _list_get(f: _Frame, ins: Instruction, t: Type | None) -> None:
    xs, i = f.take(2)
    if not 0 <= i < len(xs):
        raise Abort("index out of range", AbortKind.INDEX_OUT_OF_RANGE)
    f.stack.append(xs[i])


def _list_contains(f: _Frame, ins: Instruction, t: Type | None) -> None:
    assert isinstance(t, ListType)  # TypeRule.LIST: the verifier proved it
    run = f.run
    x, xs = f.take(2)
    if scans_natively(t.elem):
        found, run.gas = f.machine._runtime["lin"](run.gas, x, xs)
    else:
        found, run.gas = run.walks["lhas"](run.gas, t.elem, x, xs)
    f.stack.append(found)


def _make_map(f: _Frame, ins: Instruction, t: Type | None) -> None:
    if ins.operands[1] > f.machine.limits.collection_length:
        raise limit_exceeded("a collection is too long")
    items = f.take(2 * ins.operands[1])
    f.stack.append({items[j]: items[j + 1] for j in range(0, len(items), 2)})


def _map_get(f: _Frame, ins: Instruction, t: Type | None) -> None:
    assert isinstance(t, MapType)  # TypeRule.MAP: the verifier proved it
    mp, k = f.take(2)
    if k not in mp:
        f.machine._runtime["knf"](t.key, k)
    f.stack.append(mp[k])


def _map_get_or(f: _Frame, ins: Instruction, t: Type | None) -> None:
    mp, k, d = f.take(3)
    f.stack.append(mp.get(k, d))


def _map_has(f: _Frame, ins: Instruction, t: Type | None) -> None:
    k, mp = f.take(2)
    f.stack.append(k in mp)


def _make_record(f: _Frame, ins: Instruction, t: Type | None) -> None:
    assert isinstance(t, (RecordType, TupleType))  # TypeRule.RECORD: the verifier proved it
    f.stack.append(tuple(f.take(len(components(t, f.machine.types)))))


def _field(f: _Frame, ins: Instruction, t: Type | None) -> None:
    f.stack.append(f.stack.pop()[ins.operands[1]])


def _set_field(f: _Frame, ins: Instruction, t: Type | None) -> None:
    r, x = f.take(2)
    f.stack.append(tuple(x if j == ins.operands[1] else v for j, v in enumerate(r)))


def _emit(f: _Frame, ins: Instruction, t: Type | None) -> None:
    run = f.run
    values = tuple(f.take(len(f.machine.module.events[ins.operands[0]].fields)))
    run.gas = run.state.emit(run.gas, ins.operands[0], values)


CUSTOM_SEMANTICS: dict[str, Semantics] = {
    "CONST": _const, "LOAD": _load, "STORE": _store, "POP": _pop, "DUP": _dup, "SWAP": _swap,
    "JUMP": _jump, "JUMP_IF_FALSE": _jump_if(False), "JUMP_IF_TRUE": _jump_if(True), "RET": _ret,
    "RET_VOID": _ret_void, "FAIL": _fail, "CALL": _call, "CALLER": _context("CALLER"), "NOW": _context("NOW"),
    "TODAY": _context("TODAY"), "TX_ID": _context("TX_ID"), "PARTY_FIELD": _party_field,
    "EQ": _compare, "NE": _compare, "LT": _compare, "LE": _compare, "GT": _compare, "GE": _compare,
    "MIN": _min_max, "MAX": _min_max, "ABS": _abs, "MAKE_LIST": _make_list, "LIST_GET": _list_get,
    "LIST_CONTAINS": _list_contains, "MAKE_MAP": _make_map, "MAP_GET": _map_get, "MAP_GET_OR": _map_get_or,
    "MAP_HAS": _map_has, "MAKE_RECORD": _make_record, "FIELD": _field, "SET_FIELD": _set_field, "EMIT": _emit,
}


def dispatch_table(runtime: dict) -> dict[str, Semantics]:
    """Every opcode's reference semantics, built from the table: the derived ones evaluate their
    row in ``runtime`` (a machine's runtime names), the CUSTOM ones are the functions above."""
    return {op.name: CUSTOM_SEMANTICS[op.name] if op.impl is Impl.CUSTOM else _derived(op, runtime) for op in OPCODES}
