"""The verifier: nothing runs until it has accepted the module.

It proves, for any module (bytes from anywhere, or a `Module` value), what the block translator
relies on: well-formed encoding, every index in range, jump targets on instruction boundaries,
no path falling off the end of a function, one stack height *and one type per stack slot* at
every basic block's entry, every opcode finding exactly the types the table (`vm.opcodes`)
declares, every local stored before it is loaded, views that never write, and the size limits
below. It raises nothing but `VerifyError`, and runs in time linear in the module's size (a
block is examined once, in reverse postorder).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vm.errors import VerifyError
from vm.module import Function, Module, decode_module, encode_module, module_id
from vm.opcodes import Instruction, OperandKind, TruncatedCode, TypeRule, decode_instructions
from vm.types import (
    DECIMAL, DURATION, INT, KEY_TYPES, MONEY, PERCENT, TEXT, EnumType, ListType, MapType, Prim,
    RecordType, Type,
)

MAX_FUNCTIONS = 2048
MAX_CODE_BYTES = 65536  # per function
MAX_LOCALS = 1024  # per function
MAX_STACK = 512  # per frame
MAX_TYPE_DEPTH = 16  # List[Map[Text, List[...]]] nesting
MAX_RECORD_FIELDS = 255  # FIELD operands are one byte
MAX_POOL = 65535  # constants, type pool, state variables, events: two-byte operands

_ADDITIVE = frozenset({INT, DECIMAL, PERCENT, MONEY, DURATION})
_ROUNDABLE = frozenset({DECIMAL, PERCENT, MONEY})
_WRITES = frozenset({"SSTORE", "SADD", "SSUB", "MSTORE", "MDELETE", "MADD", "MSUB", "EMIT"})


@dataclass(frozen=True, slots=True)
class Block:
    """A reachable basic block: ``instructions`` run in order; control enters only at the first.
    ``entry_stack`` holds the types on the operand stack at entry (bottom first); ``successors``
    are the start offsets it may continue at (for a conditional jump: the target, then the
    fall-through); ``gas`` is the sum of its instructions' base gas."""

    start: int
    instructions: tuple[Instruction, ...]
    entry_stack: tuple[Type, ...]
    successors: tuple[int, ...]
    gas: int


@dataclass(frozen=True, slots=True)
class VerifiedFunction:
    index: int
    function: Function
    blocks: tuple[Block, ...]  # reachable blocks in offset order; blocks[0] starts at 0
    max_stack: int
    writes_state: bool  # it, or a function it calls, writes state or emits


@dataclass(frozen=True, slots=True)
class VerifiedModule:
    """A module the verifier accepted, with what it learnt about each function.
    ``record_defaults`` holds the module's constant field defaults, decoded: record name ->
    field name -> value in the runtime representation (what `vm.values.from_json` takes)."""

    module: Module
    encoded: bytes
    functions: tuple[VerifiedFunction, ...]
    record_defaults: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return module_id(self.encoded)


def verify(module_or_bytes: Module | bytes) -> VerifiedModule:
    """Check a module completely; raises VerifyError naming the function and offset of the first
    defect found."""
    if isinstance(module_or_bytes, Module):
        module = module_or_bytes
        try:
            encoded = encode_module(module)
        except Exception as exc:  # a hand-built Module may hold anything; report, never crash
            raise VerifyError(f"module cannot be encoded: {exc}") from None
        module = decode_module(encoded)  # the same checks on shape as for bytes from outside
    elif isinstance(module_or_bytes, (bytes, bytearray, memoryview)):
        encoded = bytes(module_or_bytes)
        module = decode_module(encoded)
    else:
        raise VerifyError("verify() takes a Module or its encoded bytes")
    checked = _ModuleCheck(module)
    checked.run()
    verified = tuple(_FunctionCheck(module, i).run() for i in range(len(module.functions)))
    verified = _mark_writers(module, verified)
    for e in module.entries:
        if e.kind == "view" and verified[e.function].writes_state:
            raise VerifyError(f"view {e.name}: its code writes state or emits events")
    return VerifiedModule(module, encoded, verified, checked.record_defaults)


# ---------------------------------------------------------------------------------------------
# Declarations

class _ModuleCheck:
    def __init__(self, module: Module):
        self.m = module
        self.record_defaults: dict[str, dict[str, object]] = {}

    def fail(self, msg: str) -> None:
        raise VerifyError(msg)

    def type_ok(self, t: Type, where: str, depth: int = 0) -> None:
        if depth > MAX_TYPE_DEPTH:
            self.fail(f"{where}: type nested more than {MAX_TYPE_DEPTH} deep")
        match t:
            case Prim():
                return
            case ListType(elem):
                self.type_ok(elem, where, depth + 1)
            case MapType(key, value):
                if not (key in KEY_TYPES or isinstance(key, EnumType)):
                    self.fail(f"{where}: {key} cannot be a map key")
                self.type_ok(key, where, depth + 1)
                self.type_ok(value, where, depth + 1)
            case RecordType(name):
                if name not in self.m.types.records:
                    self.fail(f"{where}: unknown record {name}")
            case EnumType(name):
                if name not in self.m.types.enums:
                    self.fail(f"{where}: unknown enum {name}")

    def unique(self, names: list[str], what: str) -> None:
        seen: set[str] = set()
        for n in names:
            if n in seen:
                self.fail(f"{what} {n!r} is declared twice")
            seen.add(n)

    def run(self) -> None:
        m = self.m
        if m.kind not in ("contract", "module"):
            self.fail(f"unknown module kind {m.kind!r}")
        for what, items in (("functions", m.functions), ("constants", m.constants), ("types", m.type_pool),
                            ("state variables", m.state), ("events", m.events)):
            limit = MAX_FUNCTIONS if what == "functions" else MAX_POOL
            if len(items) > limit:
                self.fail(f"too many {what}: {len(items)} (limit {limit})")
        self.unique(list(m.parties), "party")
        self.unique([s.name for s in m.state], "state variable")
        self.unique([e.name for e in m.events], "event")
        self.unique([e.name for e in m.entries], "entry")
        self.unique([f.name for f in m.functions], "function")
        for name, fields in m.types.records.items():
            if len(fields) > MAX_RECORD_FIELDS:
                self.fail(f"record {name} has more than {MAX_RECORD_FIELDS} fields")
            self.unique([f for f, _ in fields], f"record {name}: field")
            for f, t in fields:
                self.type_ok(t, f"record {name} field {f}")
        self.records_finite()
        for name, values in m.types.enums.items():
            if not values:
                self.fail(f"enum {name} has no values")
            self.unique(list(values), f"enum {name}: value")
        for i, s in enumerate(m.state):
            if s.index != i:
                self.fail(f"state variable {s.name} has index {s.index}, expected {i}")
            self.type_ok(s.type, f"state variable {s.name}")
        for e in m.events:
            for p in e.fields:
                self.type_ok(p.type, f"event {e.name} field {p.name}")
        for i, t in enumerate(m.type_pool):
            self.type_ok(t, f"type pool entry {i}")
        for i, c in enumerate(m.constants):
            self.constant_ok(i, c.type, c.value)
        self.lifecycles_ok()
        self.field_defaults_ok()
        for f in m.functions:
            where = f"function {f.name}"
            if len(f.local_types) > MAX_LOCALS:
                self.fail(f"{where}: {len(f.local_types)} locals (limit {MAX_LOCALS})")
            if len(f.code) > MAX_CODE_BYTES:
                self.fail(f"{where}: {len(f.code)} bytes of code (limit {MAX_CODE_BYTES})")
            if f.local_names and len(f.local_names) != len(f.local_types):
                self.fail(f"{where}: {len(f.local_names)} local names for {len(f.local_types)} locals")
            if tuple(p.type for p in f.params) != f.local_types[:len(f.params)]:
                self.fail(f"{where}: the first locals must be the parameters")
            for t in f.local_types:
                self.type_ok(t, f"{where} local")
            if f.returns is not None:
                self.type_ok(f.returns, f"{where} return type")
        for e in m.entries:
            if e.kind not in ("action", "view", "init"):
                self.fail(f"entry {e.name}: unknown kind {e.kind!r}")
            if not 0 <= e.function < len(m.functions):
                self.fail(f"entry {e.name}: function index {e.function} out of range")
            for r in e.roles:
                if r not in m.parties:
                    self.fail(f"entry {e.name}: role {r} is not a party")

    def records_finite(self) -> None:
        """No record may contain itself other than inside a List or Map: no value of it could
        exist, and code walking its fields would never stop."""
        records = self.m.types.records
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str) -> None:
            state[name] = 1
            for _, t in records[name]:
                if isinstance(t, RecordType) and t.name in records:
                    if state.get(t.name) == 1:
                        self.fail(f"record {t.name} contains itself")
                    if t.name not in state:
                        visit(t.name)
            state[name] = 2

        for name in sorted(records):
            if name not in state:
                visit(name)

    def constant_ok(self, i: int, t: Type, v: object) -> None:
        from vm.values import CURRENCY_DIGITS, INT_LIMIT, MAX_DATE, MIN_DATE

        where = f"constant {i}"
        self.type_ok(t, where)
        if isinstance(t, EnumType):
            if not 0 <= v < len(self.m.types.enums[t.name]):  # type: ignore[operator]
                self.fail(f"{where}: enum {t.name} has no value {v}")
        elif t == MONEY:
            if v.currency not in CURRENCY_DIGITS:  # type: ignore[attr-defined]
                self.fail(f"{where}: unknown currency {v.currency!r}")  # type: ignore[attr-defined]
            if not -INT_LIMIT < v.units < INT_LIMIT:  # type: ignore[attr-defined]
                self.fail(f"{where}: amount out of range")
        elif isinstance(v, int) and not isinstance(v, bool):
            if not -INT_LIMIT < v < INT_LIMIT:
                self.fail(f"{where}: {t} out of range")
            if t.name == "Date" and not MIN_DATE <= v <= MAX_DATE:  # type: ignore[union-attr]
                self.fail(f"{where}: date out of range")

    def field_defaults_ok(self) -> None:
        """Each default names a field of a known record, once, in ascending (record, field)
        order; its type is the field's; its bytes are the canonical encoding of such a value."""
        from vm.encoding import decode_value
        from vm.errors import EncodingError

        previous: tuple[str, str] | None = None
        for d in self.m.field_defaults:
            where = f"default of {d.record}.{d.field}"
            fields = dict(self.m.types.records.get(d.record, ()))
            if d.record not in self.m.types.records:
                self.fail(f"{where}: unknown record {d.record}")
            if d.field not in fields:
                self.fail(f"{where}: record {d.record} has no field {d.field}")
            if previous is not None and (d.record, d.field) <= previous:
                self.fail(f"{where}: defaults must be in ascending (record, field) order, each once")
            previous = (d.record, d.field)
            self.type_ok(d.type, where)
            if d.type != fields[d.field]:
                self.fail(f"{where}: the default is {d.type}, the field is {fields[d.field]}")
            try:
                value = decode_value(d.type, d.encoded, self.m.types)
            except EncodingError as exc:
                self.fail(f"{where}: not a {d.type} value ({exc})")
            self.record_defaults.setdefault(d.record, {})[d.field] = value

    def lifecycles_ok(self) -> None:
        m = self.m
        for lc in m.lifecycles:
            where = f"lifecycle {lc.record}"
            fields = m.types.records.get(lc.record)
            if fields is None:
                self.fail(f"{where}: unknown record")
            if not 0 <= lc.field < len(fields) or fields[lc.field][1] != EnumType(lc.enum):
                self.fail(f"{where}: field {lc.field} is not of enum {lc.enum}")
            n = len(m.types.enums[lc.enum])
            values = [*(s for t in lc.transitions for s in t.sources), *(t.target for t in lc.transitions)]
            if lc.start is not None:
                values.append(lc.start)
            if any(not 0 <= v < n for v in values):
                self.fail(f"{where}: enum value out of range")
            if any(r not in m.parties for t in lc.transitions for r in t.roles):
                self.fail(f"{where}: a transition names a role that is not a party")


# ---------------------------------------------------------------------------------------------
# Code

def _is_ordered(t: Type) -> bool:
    return isinstance(t, (Prim, EnumType))


class _FunctionCheck:
    def __init__(self, module: Module, index: int):
        self.m = module
        self.index = index
        self.f = module.functions[index]
        m = module
        self.limits = {  # by operand label: enum hashing is slow on this hot path
            "const": (len(m.constants), "constant"), "local": (len(self.f.local_types), "local"),
            "func": (len(m.functions), "function"), "type": (len(m.type_pool), "type"),
            "state": (len(m.state), "state variable"), "event": (len(m.events), "event"),
        }

    def fail(self, offset: int | None, msg: str) -> None:
        at = "" if offset is None else f" at offset {offset}"
        raise VerifyError(f"function {self.f.name}{at}: {msg}")

    def run(self) -> VerifiedFunction:
        f = self.f
        try:
            instrs = decode_instructions(f.code)
        except TruncatedCode as exc:
            raise VerifyError(f"function {f.name}: {exc}") from None
        if not instrs:
            self.fail(None, "empty code falls off the end")
        starts = {ins.offset for ins in instrs}
        leaders = {0}
        for n, ins in enumerate(instrs):
            self.operands_ok(ins, starts)
            if ins.op.ends_block and n + 1 < len(instrs):
                leaders.add(instrs[n + 1].offset)
            if OperandKind.TARGET in ins.op.operands:
                leaders.add(ins.operands[0])
        if not instrs[-1].op.ends_block or instrs[-1].op.name in ("JUMP_IF_FALSE", "JUMP_IF_TRUE"):
            self.fail(instrs[-1].offset, "the code can fall off the end")
        # Cut into blocks.
        blocks: dict[int, list[Instruction]] = {}
        current: list[Instruction] = []
        for ins in instrs:
            if ins.offset in leaders:
                current = blocks.setdefault(ins.offset, [])
            current.append(ins)
        succs: dict[int, tuple[int, ...]] = {}
        for start, body in blocks.items():
            last = body[-1]
            name = last.op.name
            if name == "JUMP":
                succs[start] = (last.operands[0],)
            elif name in ("JUMP_IF_FALSE", "JUMP_IF_TRUE"):
                succs[start] = (last.operands[0], last.end)
            elif last.op.ends_block:
                succs[start] = ()
            else:
                succs[start] = (last.end,)  # falls into the next leader, which exists (checked above)
        return self.flow(blocks, succs)

    def operands_ok(self, ins: Instruction, starts: set[int]) -> None:
        op = ins.op
        for kind, value in zip(op.operands, ins.operands):
            limit = self.limits.get(kind.label)
            if limit is not None:
                n, what = limit
                if value >= n:
                    self.fail(ins.offset, f"{op.name}: {what} index {value} out of range (there are {n})")
            elif kind is OperandKind.TARGET and value not in starts:
                self.fail(ins.offset, f"{op.name}: jump target {value} is not an instruction boundary")
        if op.name == "PARTY_FIELD" and ins.operands[0] > 2:
            self.fail(ins.offset, "PARTY_FIELD: field must be 0 (org), 1 (id) or 2 (role)")
        if op.name == "FAIL" and ins.operands[0] > 1:
            self.fail(ins.offset, "FAIL: kind must be 0 (fail) or 1 (require)")
        if op.name == "CONCAT" and ins.operands[0] == 0:
            self.fail(ins.offset, "CONCAT of no texts")
        if op.rule is not None:
            self.rule_ok(ins)

    def rule_ok(self, ins: Instruction) -> None:
        op, m = ins.op, self.m
        rule = op.rule
        if OperandKind.STATE in op.operands:
            t = m.state[ins.operands[0]].type
            ok = {
                TypeRule.ANY: True,
                TypeRule.MAP_STATE: isinstance(t, MapType),
                TypeRule.ADDITIVE_STATE: t in _ADDITIVE,
                TypeRule.ADDITIVE_MAP_STATE: isinstance(t, MapType) and t.value in _ADDITIVE,
            }.get(rule, False)  # type: ignore[arg-type]
            if not ok:
                self.fail(ins.offset, f"{op.name}: state variable {m.state[ins.operands[0]].name} is {t}, "
                                      f"expected {rule.value}")  # type: ignore[union-attr]
            return
        t = m.type_pool[ins.operands[0]]
        ok = {
            TypeRule.ANY: True,
            TypeRule.LIST: isinstance(t, ListType),
            TypeRule.MAP: isinstance(t, MapType),
            TypeRule.RECORD: isinstance(t, RecordType),
            TypeRule.ORDERED: _is_ordered(t),
            TypeRule.ADDITIVE: t in _ADDITIVE,
            TypeRule.ROUNDABLE: t in _ROUNDABLE,
        }.get(rule, False)  # type: ignore[arg-type]
        if not ok:
            self.fail(ins.offset, f"{op.name}: type operand is {t}, expected {rule.value}")  # type: ignore[union-attr]
        if OperandKind.FIELD in op.operands:
            fields = m.types.records[t.name]  # type: ignore[union-attr]
            if ins.operands[1] >= len(fields):
                self.fail(ins.offset, f"{op.name}: record {t} has no field {ins.operands[1]}")

    # --- abstract interpretation ---------------------------------------------------------------

    def flow(self, blocks: dict[int, list[Instruction]], succs: dict[int, tuple[int, ...]]) -> VerifiedFunction:
        # One pass in reverse postorder: every block's forward predecessors are done before it,
        # so its entry state is their merge; a retreating edge (a loop's back edge) must bring
        # the same stack and at least the locals the target already counts as stored.
        order = _reverse_postorder(succs)
        position = {b: n for n, b in enumerate(order)}
        nparams = len(self.f.params)
        entry: dict[int, tuple[tuple[Type, ...], int]] = {0: ((), (1 << nparams) - 1)}
        max_stack = 0
        for start in order:
            stack_in, stored = entry[start]
            stack = list(stack_in)
            for ins in blocks[start]:
                stored = self.step(ins, stack, stored)
                max_stack = max(max_stack, len(stack))
                if len(stack) > MAX_STACK:
                    self.fail(ins.offset, f"stack deeper than {MAX_STACK}")
            out = tuple(stack)
            for s in succs[start]:
                if s not in entry:
                    entry[s] = (out, stored)
                    continue
                old_stack, old_stored = entry[s]
                if old_stack != out:
                    self.fail(s, f"stack differs between paths: [{_types(old_stack)}] and [{_types(out)}]")
                if position[s] > position[start]:
                    entry[s] = (old_stack, old_stored & stored)
                elif old_stored & ~stored:
                    missing = (old_stored & ~stored).bit_length() - 1
                    self.fail(s, f"local {missing} may be unset when the loop comes back here")
        out_blocks = tuple(
            Block(start, tuple(blocks[start]), entry[start][0], succs[start], sum(i.op.gas for i in blocks[start]))
            for start in sorted(order)
        )
        return VerifiedFunction(self.index, self.f, out_blocks, max_stack, False)

    def step(self, ins: Instruction, stack: list[Type], stored: int) -> int:
        op, m, f = ins.op, self.m, self.f
        name = op.name

        def pop(expected: Type | None) -> Type:
            if not stack:
                self.fail(ins.offset, f"{name}: stack underflow")
            got = stack.pop()
            if expected is not None and got != expected:
                self.fail(ins.offset, f"{name}: expected {expected} on the stack, found {got}")
            return got

        if op.variadic:
            if name == "RET":
                if f.returns is None:
                    self.fail(ins.offset, "RET in a function without a return type (use RET_VOID)")
                pop(f.returns)
            elif name == "CALL":
                callee = m.functions[ins.operands[0]]
                for p in reversed(callee.params):
                    pop(p.type)
                if callee.returns is not None:
                    stack.append(callee.returns)
            elif name == "CONCAT":
                for _ in range(ins.operands[0]):
                    pop(TEXT)
                stack.append(TEXT)
            elif name == "EMIT":
                for p in reversed(m.events[ins.operands[0]].fields):
                    pop(p.type)
            else:
                t = m.type_pool[ins.operands[0]]
                if name == "MAKE_LIST":
                    for _ in range(ins.operands[1]):
                        pop(t.elem)  # type: ignore[union-attr]
                elif name == "MAKE_MAP":
                    for _ in range(ins.operands[1]):
                        pop(t.value)  # type: ignore[union-attr]
                        pop(t.key)  # type: ignore[union-attr]
                elif name == "MAKE_RECORD":
                    for _, ft in reversed(m.types.records[t.name]):  # type: ignore[union-attr]
                        pop(ft)
                else:  # pragma: no cover - a variadic opcode added to the table without a rule here
                    self.fail(ins.offset, f"{name}: no stack rule")
                stack.append(t)
            return stored
        if name == "RET_VOID" and f.returns is not None:
            self.fail(ins.offset, f"RET_VOID in a function returning {f.returns}")
        if name == "LOAD" and not stored >> ins.operands[0] & 1:
            self.fail(ins.offset, f"LOAD of local {ins.operands[0]} before it is stored")
        bound: dict[str, Type] = {}
        for pattern in reversed(op.pops):
            if pattern in ("A", "B"):
                bound[pattern] = pop(None)
            else:
                pop(self.resolve(pattern, ins))
        for pattern in op.pushes:
            stack.append(bound[pattern] if pattern in bound else self.resolve(pattern, ins))
        if name == "STORE":
            stored |= 1 << ins.operands[0]
        return stored

    def resolve(self, pattern: str, ins: Instruction) -> Type:
        if pattern.startswith("List["):
            return ListType(self.resolve(pattern[5:-1], ins))
        m = self.m
        ops = {k.label: v for k, v in zip(ins.op.operands, ins.operands)}
        match pattern:
            case "T":
                return m.type_pool[ops["type"]]
            case "E":
                return m.type_pool[ops["type"]].elem  # type: ignore[union-attr]
            case "K":
                return m.type_pool[ops["type"]].key  # type: ignore[union-attr]
            case "V":
                return m.type_pool[ops["type"]].value  # type: ignore[union-attr]
            case "F":
                rec = m.type_pool[ops["type"]]
                return m.types.records[rec.name][ops["field"]][1]  # type: ignore[union-attr]
            case "S":
                return m.state[ops["state"]].type
            case "SK":
                return m.state[ops["state"]].type.key  # type: ignore[union-attr]
            case "SV":
                return m.state[ops["state"]].type.value  # type: ignore[union-attr]
            case "C":
                return m.constants[ops["const"]].type
            case "L":
                return self.f.local_types[ops["local"]]
        from vm.types import PRIMITIVES

        return PRIMITIVES[pattern]


def _reverse_postorder(succs: dict[int, tuple[int, ...]]) -> list[int]:
    seen = {0}
    post: list[int] = []
    stack: list[tuple[int, int]] = [(0, 0)]
    while stack:
        node, n = stack[-1]
        nexts = succs[node]
        if n < len(nexts):
            stack[-1] = (node, n + 1)
            s = nexts[n]
            if s not in seen:
                seen.add(s)
                stack.append((s, 0))
        else:
            stack.pop()
            post.append(node)
    post.reverse()
    return post


def _types(ts: tuple[Type, ...]) -> str:
    return ", ".join(str(t) for t in ts)


def _mark_writers(module: Module, fns: tuple[VerifiedFunction, ...]) -> tuple[VerifiedFunction, ...]:
    """Which functions write state or emit, directly or through calls (a fixpoint over calls)."""
    writes = [any(i.op.name in _WRITES for b in vf.blocks for i in b.instructions) for vf in fns]
    callees = [{i.operands[0] for b in vf.blocks for i in b.instructions if i.op.name == "CALL"} for vf in fns]
    callers: list[list[int]] = [[] for _ in fns]
    for caller, cs in enumerate(callees):
        for c in cs:
            callers[c].append(caller)
    work = [i for i, w in enumerate(writes) if w]
    while work:
        i = work.pop()
        for c in callers[i]:
            if not writes[c]:
                writes[c] = True
                work.append(c)
    return tuple(VerifiedFunction(vf.index, vf.function, vf.blocks, vf.max_stack, writes[i])
                 for i, vf in enumerate(fns))
