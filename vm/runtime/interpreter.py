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

from dataclasses import dataclass

from vm import values as V
from vm.errors import Abort
from vm.runtime.host import CallContext, Host
from vm.runtime.machine import (
    CallResult, EntryInfo, Machine, _tagged, check_arguments, check_result_size, host_fault, internal_fault, stack_headroom,
    walks,
)
from vm.values.measure import needs_nesting_check, scans_natively, walks_to_compare
from vm.module.abi import Constant, Entry, EventDef, Function, Lifecycle, Module, Param, StateVar
from vm.opcodes import BY_NAME, OperandKind, decode_instructions, encode_instruction
from vm.errors import call_too_deep, limit_exceeded, out_of_gas
from vm.runtime.state import CallState
from vm.types import Type, TypeTable


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


_INT_OPS = {
    "ADD_INT": lambda a, b: a + b, "SUB_INT": lambda a, b: a - b, "MUL_INT": lambda a, b: a * b,
    "ADD_DEC": lambda a, b: a + b, "SUB_DEC": lambda a, b: a - b,
    "ADD_PCT": lambda a, b: a + b, "SUB_PCT": lambda a, b: a - b, "MUL_PCT_INT": lambda a, b: a * b,
    "ADD_DUR": lambda a, b: a + b, "SUB_DUR": lambda a, b: a - b, "MUL_DUR_INT": lambda a, b: a * b,
}
_PLAIN = {
    "DIV_INT": V.int_div, "MUL_DEC": V.dec_mul, "DIV_DEC": V.dec_div, "MUL_PCT": V.dec_mul,
    "MUL_PCT_DEC": V.dec_mul, "ADD_MONEY": V.money_add, "SUB_MONEY": V.money_sub,
    "MUL_MONEY_INT": V.money_mul_int, "MUL_MONEY_DEC": V.money_mul_frac, "MUL_MONEY_PCT": V.money_mul_frac,
    "DIV_MONEY_INT": V.money_div_int, "DIV_MONEY_DEC": V.money_div_frac, "DIV_MONEY": V.money_div_money,
    "ADD_DATE_DUR": V.date_add, "SUB_DATE_DUR": V.date_sub, "SUB_DATE": lambda a, b: a - b,
    "ADD_MONTHS": V.add_months, "DAYS_BETWEEN": V.days_between,
    "FLOORDIV_INT": V.int_floordiv, "MOD_INT": V.int_mod,
}
_UNARY = {
    "NEG_INT": lambda a: -a, "NEG_DEC": lambda a: -a, "NEG_PCT": lambda a: -a, "NEG_DUR": lambda a: -a,
    "NEG_MONEY": V.money_neg, "INT_TO_DEC": V.int_to_dec, "NOT": lambda a: not a,
    "YEAR": V.year, "MONTH": V.month, "DAY": V.day, "FLOOR_DEC": V.floor_dec, "CEIL_DEC": V.ceil_dec,
    "TEXT_LEN": len, "LIST_LEN": lambda xs: len(xs), "MAP_LEN": lambda m: len(m),
}
_COMPARE = {"EQ": lambda c: c == 0, "NE": lambda c: c != 0, "LT": lambda c: c < 0, "LE": lambda c: c <= 0,
            "GT": lambda c: c > 0, "GE": lambda c: c >= 0}
# Opcodes whose helper in the machine's runtime takes (gas, [type,] operands...) and returns (value, gas).
_GAS_HELPERS = {"TEXT_CONTAINS": ("tin", False), "TO_TEXT": ("totext", True), "SUM": ("vsum", True),
                "SUM_START": ("vsum", True), "HASH_SM3": ("hsm3", True), "HASH_SHA256": ("hsha", True),
                "LIST_SET": ("lset", False), "LIST_APPEND": ("lapp", False), "MAP_SET": ("mset", False),
                "MAP_DELETE": ("mdel", True), "MAP_KEYS": ("mkeys", True), "LIST_MIN": ("lmin", True),
                "LIST_MAX": ("lmax", True)}
_STATE = {"SLOAD": (0, True), "SSTORE": (1, False), "SADD": (1, False), "SSUB": (1, False), "MLOAD": (1, True),
          "MHAS": (1, True), "MGET": (2, True), "MSTORE": (2, False), "MDELETE": (1, False),
          "MADD": (2, False), "MSUB": (2, False), "MLEN": (0, True)}


@dataclass(slots=True)
class _Run:
    """One call's mutable part: kept apart so a ReferenceMachine may serve calls side by side."""

    state: CallState
    ctx: CallContext
    gas: int
    walks: dict  # this call's measuring helpers (`vm.runtime.machine.walks`)


# Opcodes that build a value of their TYPE operand's type: where that type may nest past the
# limit, the result's depth is checked (`vm.values.measure`), as the translator does.
_BUILDS = frozenset({"MAKE_LIST", "LIST_SET", "LIST_APPEND", "MAKE_MAP", "MAP_SET", "MAKE_RECORD", "SET_FIELD"})


class ReferenceMachine(Machine):
    """`Machine` with the translator replaced by a dispatch loop over decoded instructions."""

    _nesting_checked: dict

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._nesting_checked = {}

    def _run(self, info: EntryInfo, args: tuple, ctx: CallContext, host: Host, gas_limit: int) -> CallResult:
        if len(args) != len(info.params):
            raise _tagged(Abort(f"{info.name} takes {len(info.params)} arguments, got {len(args)}",
                                "invalid-value"), info.name, 0)
        state = CallState(self.schema, host, ctx.caller.role, self.limits)
        run = _Run(state, ctx, gas_limit, walks(self.types, self.limits, state))
        try:
            check_arguments(tuple(args), state)
            with stack_headroom(self.limits):
                value = self._frame(run, info.function, list(args), 1)
            run.gas = check_result_size(info, value, run.gas, state)
        except Abort as exc:
            used = gas_limit if exc.kind == "out-of-gas" else gas_limit - state.gas_left(run.gas)
            raise _tagged(exc, info.name, used) from None
        except (MemoryError, RecursionError) as exc:
            raise host_fault(info, exc) from None
        except Exception as exc:  # as the machine: a defect (or damaged state) is an internal abort
            raise _tagged(internal_fault(info, exc), info.name, gas_limit - state.gas_left(run.gas)) from None
        return CallResult(value, gas_limit - run.gas, dict(state.writes), dict(state.reads), tuple(state.events),
                          state.deltas(), tuple(state.scans))

    def _frame(self, run: "_Run", index: int, args: list, depth: int) -> object:
        if depth > self.limits.call_depth:
            raise call_too_deep(self.limits.call_depth)
        m = self.module
        fn = m.functions[index]
        code = decode_instructions(fn.code)
        at = {ins.offset: i for i, ins in enumerate(code)}
        local = args + [None] * (len(fn.local_types) - len(args))
        stack: list = []
        rt, st, table, walk = self._runtime, run.state, self.types, run.walks
        nest = walk["nest"]
        pc = 0
        while True:
            ins = code[pc]
            pc += 1
            name, ops = ins.op.name, ins.operands
            run.gas -= ins.op.gas + (ops[1] if name in ("MAKE_LIST", "MAKE_MAP") else 0)
            if run.gas < 0:
                raise out_of_gas()
            t = m.type_pool[ops[0]] if ops and ins.op.operands[0] is OperandKind.TYPE else None
            checked = name in _BUILDS and self._checks_nesting(t)
            if name in _INT_OPS:
                b, a = stack.pop(), stack.pop()
                stack.append(V.check_int(_INT_OPS[name](a, b)))
            elif name in _PLAIN:
                b, a = stack.pop(), stack.pop()
                stack.append(_PLAIN[name](a, b))
            elif name in _UNARY:
                stack.append(_UNARY[name](stack.pop()))
            elif name in _COMPARE:
                b, a = stack.pop(), stack.pop()
                if name in ("EQ", "NE") and walks_to_compare(t):
                    same, run.gas = walk["veq"](run.gas, t, a, b)
                    stack.append(same == (name == "EQ"))
                elif name in ("EQ", "NE"):
                    stack.append(V.equal(t, a, b, table) == (name == "EQ"))
                else:
                    stack.append(_COMPARE[name](V.compare(t, a, b, table)))
            elif name in _GAS_HELPERS:
                helper, typed = _GAS_HELPERS[name]
                n = len(ins.op.pops)
                operands = stack[len(stack) - n:]
                del stack[len(stack) - n:]
                value, run.gas = (walk.get(helper) or rt[helper])(run.gas, *([t] if typed else []), *operands)
                stack.append(value)
            elif name in _STATE:
                n, pushes = _STATE[name]
                operands = stack[len(stack) - n:]
                del stack[len(stack) - n:]
                result = getattr(st, name.lower())(run.gas, ops[0], *operands)
                if pushes:
                    value, run.gas = result
                    stack.append(value)
                else:
                    run.gas = result
            elif name == "CONST":
                stack.append(m.constants[ops[0]].value)
            elif name == "LOAD":
                stack.append(local[ops[0]])
            elif name == "STORE":
                local[ops[0]] = stack.pop()
            elif name == "POP":
                stack.pop()
            elif name == "DUP":
                stack.append(stack[-1])
            elif name == "SWAP":
                stack[-1], stack[-2] = stack[-2], stack[-1]
            elif name == "JUMP":
                pc = at[ops[0]]
            elif name in ("JUMP_IF_FALSE", "JUMP_IF_TRUE"):
                if stack.pop() == (name == "JUMP_IF_TRUE"):
                    pc = at[ops[0]]
            elif name == "RET":
                return stack.pop()
            elif name == "RET_VOID":
                return None
            elif name == "FAIL":
                raise Abort(stack.pop(), "require" if ops and ops[0] == 1 else "fail")
            elif name == "CALL":
                callee = m.functions[ops[0]]
                n = len(callee.params)
                call_args = stack[len(stack) - n:]
                del stack[len(stack) - n:]
                value = self._frame(run, ops[0], call_args, depth + 1)
                if callee.returns is not None:
                    stack.append(value)
            elif name in ("CALLER", "NOW", "TODAY", "TX_ID"):
                ctx = run.ctx
                stack.append({"CALLER": ctx.caller, "NOW": ctx.timestamp_ms, "TX_ID": ctx.tx_id,
                              "TODAY": V.today_of(ctx.timestamp_ms, ctx.tz_offset_minutes)}[name])
            elif name == "CONCAT":
                parts = stack[len(stack) - ops[0]:]
                del stack[len(stack) - ops[0]:]
                value, run.gas = rt["cat"](run.gas, *parts)
                stack.append(value)
            elif name == "PARTY_FIELD":
                p = stack.pop()
                stack.append((p.org, p.id, p.role)[ops[0]])
            elif name in ("MIN", "MAX"):
                b, a = stack.pop(), stack.pop()
                stack.append((V.min_value if name == "MIN" else V.max_value)(t, a, b, table))
            elif name == "ABS":
                stack.append(V.abs_value(t, stack.pop()))
            elif name in ("ROUND", "ROUND_EVEN"):
                places, x = stack.pop(), stack.pop()
                stack.append((V.round_half_up if name == "ROUND" else V.round_half_even)(t, x, places))
            elif name == "MAKE_LIST":
                if ops[1] > self.limits.collection_length:
                    raise limit_exceeded("a collection is too long")
                items = stack[len(stack) - ops[1]:] if ops[1] else []
                del stack[len(stack) - ops[1]:]
                stack.append(tuple(items))
            elif name == "LIST_GET":
                i, xs = stack.pop(), stack.pop()
                if not 0 <= i < len(xs):
                    raise Abort("index out of range", "index-out-of-range")
                stack.append(xs[i])
            elif name == "LIST_CONTAINS":
                xs, x = stack.pop(), stack.pop()
                if scans_natively(t.elem):
                    found, run.gas = rt["lin"](run.gas, x, xs)
                else:
                    found, run.gas = walk["lhas"](run.gas, t.elem, x, xs)
                stack.append(found)
            elif name == "MAKE_MAP":
                if ops[1] > self.limits.collection_length:
                    raise limit_exceeded("a collection is too long")
                n = 2 * ops[1]
                items = stack[len(stack) - n:] if n else []
                del stack[len(stack) - n:]
                stack.append({items[j]: items[j + 1] for j in range(0, n, 2)})
            elif name == "MAP_GET":
                k, mp = stack.pop(), stack.pop()
                if k not in mp:
                    rt["knf"](t.key, k)
                stack.append(mp[k])
            elif name == "MAP_GET_OR":
                d, k, mp = stack.pop(), stack.pop(), stack.pop()
                stack.append(mp.get(k, d))
            elif name == "MAP_HAS":
                mp, k = stack.pop(), stack.pop()
                stack.append(k in mp)
            elif name == "MAKE_RECORD":
                n = len(table.records[t.name])
                items = stack[len(stack) - n:] if n else []
                del stack[len(stack) - n:]
                stack.append(tuple(items))
            elif name == "FIELD":
                stack.append(stack.pop()[ops[1]])
            elif name == "SET_FIELD":
                x, r = stack.pop(), stack.pop()
                stack.append(tuple(x if j == ops[1] else v for j, v in enumerate(r)))
            elif name == "EMIT":
                n = len(m.events[ops[0]].fields)
                values = tuple(stack[len(stack) - n:]) if n else ()
                del stack[len(stack) - n:]
                run.gas = st.emit(run.gas, ops[0], values)
            else:  # pragma: no cover - the opcode-coverage test keeps this unreachable
                raise Abort(f"internal VM fault: no reference semantics for {name}", "internal")
            if checked:
                nest(stack[-1])

    def _checks_nesting(self, t: Type | None) -> bool:
        if t is None:
            return False
        known = self._nesting_checked.get(t)
        if known is None:
            known = self._nesting_checked[t] = needs_nesting_check(t, self.types, self.limits.nesting)
        return known


def reference_semantics() -> set[str]:
    """Opcode names the reference interpreter knows (a test compares this with the table)."""
    explicit = {"CONST", "LOAD", "STORE", "POP", "DUP", "SWAP", "JUMP", "JUMP_IF_FALSE", "JUMP_IF_TRUE", "RET",
                "RET_VOID", "FAIL", "CALL", "CALLER", "NOW", "TODAY", "TX_ID", "CONCAT", "PARTY_FIELD", "MIN",
                "MAX", "ABS", "ROUND", "ROUND_EVEN", "MAKE_LIST", "LIST_GET", "LIST_CONTAINS", "MAKE_MAP",
                "MAP_GET", "MAP_GET_OR", "MAP_HAS", "MAKE_RECORD", "FIELD", "SET_FIELD", "EMIT"}
    return explicit | set(_INT_OPS) | set(_PLAIN) | set(_UNARY) | set(_COMPARE) | set(_GAS_HELPERS) | set(_STATE)

