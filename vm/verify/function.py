"""The verifier's check of one function's code: operands in range, then an abstract
interpretation of the operand stack's types over the function's basic blocks (`FunctionCheck`).

One pass in reverse postorder proves one stack height and one type per stack slot at every
block's entry, every opcode finding exactly the types the table (`vm.opcodes`) declares, and
every local stored before it is loaded. What it learns (`VerifiedFunction`, its `Block`s) is
what the translator relies on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from vm.errors import VerifyError
from vm.module.abi import Function, Module
from vm.opcodes import Instruction, OperandKind, TruncatedCode, TypeRule, decode_instructions, variadic_effect
from vm.types import (
    ADDITIVE, PRIMITIVES, ROUNDABLE, ListType, MapType, OptionalType, RecordType, TupleType, Type, components,
    is_ordered,
)

MAX_STACK = 512  # per frame



@dataclass(frozen=True, slots=True)
class Block:
    """A reachable basic block: ``instructions`` run in order; control enters only at the first.
    ``entry_stack`` holds the types on the operand stack at entry (bottom first); ``successors``
    are the start offsets it may continue at (for a conditional jump: the target, then the
    fall-through); ``gas`` is the sum of its instructions' base gas (`vm.opcodes.OpInfo.base_gas`)."""

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


class FunctionCheck:
    """Checks function ``index`` of a module whose declarations are already checked."""

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

    def fail(self, offset: int | None, msg: str) -> NoReturn:
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
            self.rule_ok(ins, op.rule)

    def rule_ok(self, ins: Instruction, rule: TypeRule) -> None:
        op, m = ins.op, self.m
        if OperandKind.STATE in op.operands:
            t = m.state[ins.operands[0]].type
            ok = {
                TypeRule.ANY: True,
                TypeRule.MAP_STATE: isinstance(t, MapType),
                TypeRule.ADDITIVE_STATE: t in ADDITIVE,
                TypeRule.ADDITIVE_MAP_STATE: isinstance(t, MapType) and t.value in ADDITIVE,
            }.get(rule, False)
            if not ok:
                self.fail(ins.offset, f"{op.name}: state variable {m.state[ins.operands[0]].name} is {t}, "
                                      f"expected {rule.value}")
            return
        t = m.type_pool[ins.operands[0]]
        ok = {
            TypeRule.ANY: True,
            TypeRule.LIST: isinstance(t, ListType),
            TypeRule.MAP: isinstance(t, MapType),
            TypeRule.RECORD: isinstance(t, (RecordType, TupleType)),
            TypeRule.ORDERED: is_ordered(t),
            TypeRule.ADDITIVE: t in ADDITIVE,
            TypeRule.ROUNDABLE: t in ROUNDABLE,
            TypeRule.OPTIONAL: isinstance(t, OptionalType),
        }.get(rule, False)
        if not ok:
            self.fail(ins.offset, f"{op.name}: type operand is {t}, expected {rule.value}")
        if OperandKind.FIELD in op.operands:
            assert isinstance(t, (RecordType, TupleType))  # FIELD's rule is RECORD, checked just above
            fields = components(t, m.types)
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
            Block(start, tuple(blocks[start]), entry[start][0], succs[start], sum(i.op.base_gas(i.operands) for i in blocks[start]))
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
            if name == "RET" and f.returns is None:
                self.fail(ins.offset, "RET in a function without a return type (use RET_VOID)")
            pops, pushes = variadic_effect(m, ins, f.returns)
            for t in reversed(pops):
                pop(t)
            stack.extend(pushes)
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
            case "E" | "K" | "V" | "F" | "I":
                # The rule of the opcode (checked by rule_ok first) says what T is.
                match pattern, m.type_pool[ops["type"]]:
                    case "E", ListType(elem):
                        return elem
                    case "K", MapType(key, _):
                        return key
                    case "V", MapType(_, value):
                        return value
                    case "F", RecordType(name):
                        return m.types.records[name][ops["field"]][1]
                    case "F", TupleType(parts):
                        return parts[ops["field"]]
                    case "I", OptionalType(inner):
                        return inner
            case "S":
                return m.state[ops["state"]].type
            case "SK" | "SV":
                match m.state[ops["state"]].type:
                    case MapType(key, value):
                        return key if pattern == "SK" else value
            case "C":
                return m.constants[ops["const"]].type
            case "L":
                return self.f.local_types[ops["local"]]
            case _:
                return PRIMITIVES[pattern]
        self.fail(ins.offset, f"{ins.op.name}: {pattern} does not apply to its operand")


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
