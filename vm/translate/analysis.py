"""What the translator knows about one function's code before writing it: its basic blocks and
their entry heights, as the verifier proved them (`proven_blocks`), the gas each block charges
(`block_charges`), and the loop bounds that let a `for` loop's step skip its overflow test
(`loop_bounds`, `is_step`). The blocks are not found again here: the verifier's are the ones whose
stack heights and types it checked, so the translator writes exactly the code that was proved
(unreachable code, which the verifier never reaches, is never written)."""

from __future__ import annotations

from dataclasses import dataclass

from vm import types as T
from vm.translate.flow import reverse_postorder
from vm.module.abi import Module
from vm.opcodes import Instruction, OperandKind, variadic_effect
from vm.verify import VerifiedFunction


class TranslateError(Exception):
    """The module holds something the translator cannot run (a verifier gap, never user input)."""


def stack_effect(module: Module, ins: Instruction, returns: T.Type | None) -> tuple[int, int]:
    """(pops, pushes) of one instruction in this module, inside a function returning ``returns``
    (the table's stack rule: `vm.opcodes.variadic_effect`)."""
    op = ins.op
    if not op.variadic:
        return len(op.pops), len(op.pushes)
    pops, pushes = variadic_effect(module, ins, returns)
    return len(pops), len(pushes)


@dataclass(slots=True)
class CodeBlock:
    start: int  # index of its first instruction
    end: int  # one past its last instruction
    height: int = -1


def proven_blocks(proved: VerifiedFunction, code: list[Instruction]
                  ) -> tuple[list[CodeBlock], list[tuple[int, ...]], dict[int, int]]:
    """The verifier's blocks of one function in the translator's terms: instruction indexes, the
    entry height (the proven entry stack's depth), and each block's successors as block numbers,
    the fall-through first and then a jump's target (the order the writer's structuring reads).
    Also the instruction index of each offset."""
    at = {ins.offset: i for i, ins in enumerate(code)}
    number = {b.start: n for n, b in enumerate(proved.blocks)}
    blocks = [CodeBlock(at[b.start], at[b.start] + len(b.instructions), len(b.entry_stack)) for b in proved.blocks]
    succs: list[tuple[int, ...]] = []
    for blk, b in zip(blocks, proved.blocks):
        last = code[blk.end - 1]
        fall = (number[code[blk.end].offset],) if not last.op.ends_block and blk.end < len(code) else ()
        if last.op.name in ("JUMP_IF_FALSE", "JUMP_IF_TRUE"):
            fall = (number[code[blk.end].offset],)
        target = (number[last.operands[0]],) if OperandKind.TARGET in last.op.operands else ()
        succs.append(fall + target)
        if set(succs[-1]) != {number[s] for s in b.successors}:
            raise TranslateError(f"block at {b.start}: successors {b.successors} disagree with its last instruction")
    return blocks, succs, at


def block_charges(code: list[Instruction], blocks: list[CodeBlock], succs: list[tuple[int, ...]]) -> list[int]:
    """The gas each block charges on entry.

    A block's cost is its instructions' base gas. A block entered only by unconditional
    transfers (a jump or falling through: the entry of a `for` loop, the join after an
    `if`/`else`, a loop header reached from its latch) has its cost charged by each of those
    predecessors instead, together with their own, since it surely runs next. A successful
    call pays exactly the sum of the blocks it ran either way; the charges are just fewer."""
    n = len(blocks)
    own = []
    for blk in blocks:
        cost = 0
        for ins in code[blk.start:blk.end]:
            cost += ins.op.base_gas(ins.operands)
        own.append(cost)
    preds: list[list[int]] = [[] for _ in range(n)]
    for b in range(n):
        if blocks[b].height >= 0:
            for s in succs[b]:
                preds[s].append(b)
    hoisted = [b != 0 and bool(preds[b]) and all(len(succs[p]) == 1 for p in preds[b]) for b in range(n)]
    for b in range(n):  # a cycle of such blocks (a loop without a test) keeps its own charges
        seen, x = set(), b
        while hoisted[b]:
            if x in seen:
                hoisted[b] = False
                break
            seen.add(x)
            if len(succs[x]) != 1 or not hoisted[succs[x][0]]:
                break
            x = succs[x][0]
    charges = [0] * n
    for b in range(n):
        if hoisted[b] or blocks[b].height < 0:
            continue
        total, x = own[b], b
        while len(succs[x]) == 1 and hoisted[succs[x][0]]:
            x = succs[x][0]
            total += own[x]
        charges[b] = total
    # The other way round, a block that branches to two blocks it alone enters (an `if` and its
    # `else`, a `require` and its failure) lets each of them charge its cost with their own.
    for b in reverse_postorder(succs):
        targets = succs[b]
        if len(targets) == 2 and targets[0] != targets[1] and all(preds[t] == [b] for t in targets):
            for t in targets:
                charges[t] += charges[b]
            charges[b] = 0
    return charges


def loop_bounds(module: Module, code: list[Instruction], blocks: list[CodeBlock],
                 succs: list[tuple[int, ...]]) -> list[frozenset]:
    """Per block, the pairs (x, y) of Int locals for which `x < y` surely holds on entry.

    A `for` loop tests `i < end` at its header and steps `i + 1` in its latch; knowing the test
    still holds there (nothing stored to i or end since), the step cannot reach 2**255, so it
    needs no overflow test. A forward "must" analysis: a pair is born on the true edge of a
    block ending `LOAD x, LOAD y, LT Int, JUMP_IF_*` and dies where x or y is stored."""
    n = len(blocks)
    kills, gens = [], []
    for b, blk in enumerate(blocks):
        body = code[blk.start:blk.end]
        kills.append({ins.operands[0] for ins in body if ins.op.name == "STORE"})
        gen: dict[int, tuple[int, int]] = {}
        if len(body) >= 4 and [i.op.name for i in body[-4:-1]] == ["LOAD", "LOAD", "LT"] \
                and module.type_pool[body[-2].operands[0]] == T.INT and len(set(succs[b])) == 2:
            pair = (body[-4].operands[0], body[-3].operands[0])
            # JUMP_IF_FALSE continues at the next block when the test held; JUMP_IF_TRUE jumps.
            gen[succs[b][0] if body[-1].op.name == "JUMP_IF_FALSE" else succs[b][1]] = pair
        gens.append(gen)
    preds: list[list[int]] = [[] for _ in range(n)]
    order = reverse_postorder(succs)
    for b in order:
        for s in succs[b]:
            preds[s].append(b)
    facts: list[frozenset | None] = [None] * n
    facts[0] = frozenset()

    def out(p: int, b: int) -> frozenset:
        known = facts[p]
        assert known is not None  # p precedes b in reverse postorder, so its facts are in
        alive = frozenset(q for q in known if not kills[p] & set(q))
        return alive | {gens[p][b]} if b in gens[p] else alive

    changed = True
    while changed:
        changed = False
        for b in order[1:]:
            ins = [out(p, b) for p in preds[b] if facts[p] is not None]
            new = frozenset.intersection(*ins) if ins else frozenset()
            if facts[b] is None or new != facts[b]:
                facts[b] = new
                changed = True
    return [f or frozenset() for f in facts]


def is_step(module: Module, load: Instruction, const: Instruction, bounds: set) -> bool:
    """Whether `LOAD x, CONST 1, ADD_INT` adds 1 to an x known to be below another Int."""
    if load.op.name != "LOAD" or const.op.name != "CONST":
        return False
    c = module.constants[const.operands[0]]
    return c.type == T.INT and c.value == 1 and any(p[0] == load.operands[0] for p in bounds)
