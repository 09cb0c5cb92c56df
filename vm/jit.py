"""The block translator: each verified function becomes one Python function, compiled once per module.

Why Python source: a dispatch loop pays a Python-level step per instruction (70-130x slower than
CPython). Here a verified basic block becomes straight-line Python: stack slots and Bao locals are
Python locals (the verifier fixes the stack height at every block entry, so slot `i` is always the
local `s<i>`), integer operations are inline with an overflow test, and gas is charged once per block.
Control flow between blocks is rebuilt as Python `while`/`if` (see `_Structure`) for the reducible
graphs the compiler produces; any other graph falls back to a `while True` dispatch over block ids.

The generated code is a sandbox. It is compiled with empty `__builtins__`, against a globals dict
that holds only the VM's value operations, state access and abort helpers (`vm.machine` builds it
per call). Nothing from the module is pasted into the source: every constant, operand and price
reaches the code through the tuple `K` by an index the translator chose, and every identifier in
the source is made from such indexes (`s3`, `l0`, `k12`, `f2`). `vm.machine` turns any stray Python
exception raised inside a call into an Abort ("internal VM fault").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from vm import types as T
from vm.decimals import INT_LIMIT
from vm.module import Module
from vm.opcodes import OPCODES, Instruction, OperandKind, decode_instructions


class NotStructured(Exception):
    """The control flow graph has a shape `_Structure` does not rebuild; use the dispatch loop."""


@dataclass(slots=True)
class Terminator:
    """How a block ends, in the translator's words: ``kind`` is "jump" (targets[0]), "branch"
    (``cond`` true -> targets[0], false -> targets[1]) or "exit" (the block's own code returned or
    aborted: nothing follows)."""

    kind: str
    targets: tuple[int, ...] = ()
    cond: str = ""


@dataclass(slots=True)
class Lines:
    """Python source lines at increasing indentation."""

    out: list[str] = field(default_factory=list)

    def add(self, indent: int, text: str) -> None:
        self.out.append("    " * indent + text)


_MAX_WRAPS = 16


class _Structure:
    """Rebuilds `while`/`if` from a reducible graph (after Ramsey, "Beyond Relooper", 2022).

    Each block is placed under its immediate dominator. A block with two or more forward
    predecessors (a merge) follows the code that reaches it, so arms of an `if` fall through to it;
    a loop header opens `while True:` whose back edges are `continue` and whose single exit is
    `break`, the exit's code following the loop. Each transfer is emitted only where Python can say
    it exactly: the fall-through target, the innermost loop's header or exit, or a block inlined
    under its only predecessor; anything else raises NotStructured.
    """

    def __init__(self, succs: list[tuple[int, ...]], body, small=lambda b: False):
        self.succs = succs
        self.small = small  # small(block): whether the block may be copied to each place it is reached
        self.budget = 2000 + 100 * len(succs)  # lines; past it, copies must have run away
        self.body = body  # body(block, indent, lines) -> Terminator, after writing the block's code
        self.out = Lines()
        self.wrap: set[int] = set()  # merges that jumps reach early: wrapped as one-pass loops
        n = len(succs)
        self.rpo = _reverse_postorder(succs)
        self.order = {b: i for i, b in enumerate(self.rpo)}
        preds: list[list[int]] = [[] for _ in range(n)]
        for b in self.rpo:
            for s in succs[b]:
                preds[s].append(b)
        self.idom = _dominators(self.rpo, self.order, preds)
        self.back: set[tuple[int, int]] = set()
        forward_preds = [0] * n
        for b in self.rpo:
            for s in succs[b]:
                if self.order[s] <= self.order[b]:
                    if not self._dominates(s, b):
                        raise NotStructured("irreducible loop")
                    self.back.add((b, s))
                else:
                    forward_preds[s] += 1
        self.merge = {b for b in self.rpo if forward_preds[b] >= 2}
        self.kids: dict[int, list[int]] = {b: [] for b in self.rpo}
        for b in self.rpo[1:]:
            self.kids[self.idom[b]].append(b)
        self.loop_exit: dict[int, int | None] = {}
        self.exits: set[int] = set()
        for header in {s for _, s in self.back}:
            nodes = _natural_loop(header, [b for b, s in self.back if s == header], preds)
            # A block that ends the call (a failed `require`) reached from one place is written
            # where it is reached, inside the loop: it is no exit the loop's code must follow.
            targets = {s for m in nodes for s in succs[m]
                       if s not in nodes and (succs[s] or len(preds[s]) > 1)}
            if len(targets) > 1:
                raise NotStructured("loop with several exits")
            exit_ = targets.pop() if targets else None
            if exit_ is not None and all(p in nodes for p in preds[exit_]):
                # Only the loop leads there: its code follows the loop, owned by the loop.
                if exit_ in self.exits:
                    raise NotStructured("two loops share one exit")
                self.exits.add(exit_)
            self.loop_exit[header] = exit_

    def _dominates(self, a: int, b: int) -> bool:
        while b != a:
            parent = self.idom[b]
            if parent == b:
                return False
            b = parent
        return True

    def emit(self, indent: int) -> Lines:
        """The function's body; merges that need it are wrapped, found by trying again."""
        while True:
            self.out = Lines()
            try:
                self._tree(self.rpo[0], None, (), indent)
                return self.out
            except NotStructured as exc:
                merge = getattr(exc, "merge", None)
                if merge is None or merge in self.wrap or len(self.wrap) >= _MAX_WRAPS:
                    raise  # each retry rewrites the function: bound the work a module can cause
                self.wrap.add(merge)

    def _tree(self, x: int, follow: int | None, loops: tuple, indent: int) -> None:
        merges = sorted((k for k in self.kids[x] if k in self.merge and k not in self.exits),
                        key=self.order.__getitem__)
        if x in self.loop_exit:
            exit_ = self.loop_exit[x]
            self.out.add(indent, "while True:")
            self._within(x, merges, x, loops + (("loop", x, exit_),), indent + 1)
            if exit_ in self.exits:
                self._tree(exit_, follow, loops, indent)
            elif exit_ is not None:  # a join other code reaches too (a loop ending an `else`)
                self._branch(x, exit_, follow, loops, indent)
        else:
            self._within(x, merges, follow, loops, indent)

    def _within(self, x: int, merges: list[int], follow: int | None, loops: tuple, indent: int) -> None:
        if merges:
            last = merges[-1]
            if last in self.wrap:
                # A `while True: ... break` stands for a block that jumps may leave early.
                self.out.add(indent, "while True:")
                self._within(x, merges[:-1], last, loops + (("block", last, None),), indent + 1)
                self.out.add(indent + 1, "break")
            else:
                self._within(x, merges[:-1], last, loops, indent)
            self._tree(last, follow, loops, indent)
            return
        if len(self.out.out) > self.budget:
            raise NotStructured("too much code: copies grew past the budget")
        term = self.body(x, indent, self.out)
        if term.kind == "jump":
            self._branch(x, term.targets[0], follow, loops, indent)
        elif term.kind == "branch":
            yes, no = term.targets
            flat = {follow} | {b for loop in loops for b in loop[1:]}  # targets that are not inlined
            if self._ends_call(no) and no not in flat and not self._ends_call(yes):
                # `require`: the failing arm first, then the rest unindented, so a long run of
                # requires stays flat instead of nesting one `else:` deeper each.
                self.out.add(indent, f"if not {term.cond}:")
                self._arm(x, no, follow, loops, indent + 1)
                self._branch(x, yes, follow, loops, indent)
            elif self._ends_call(yes) and yes not in flat:
                self.out.add(indent, f"if {term.cond}:")
                self._arm(x, yes, follow, loops, indent + 1)
                self._branch(x, no, follow, loops, indent)
            else:
                self.out.add(indent, f"if {term.cond}:")
                self._arm(x, yes, follow, loops, indent + 1)
                self.out.add(indent, "else:")
                self._arm(x, no, follow, loops, indent + 1)

    def _ends_call(self, b: int) -> bool:
        """Whether block b, written inline, returns or aborts (control never falls out of it)."""
        return not self.succs[b] and b not in self.merge

    def _arm(self, src: int, target: int, follow: int | None, loops: tuple, indent: int) -> None:
        mark = len(self.out.out)
        self._branch(src, target, follow, loops, indent)
        if len(self.out.out) == mark:
            self.out.add(indent, "pass")

    def _branch(self, src: int, target: int, follow: int | None, loops: tuple, indent: int) -> None:
        if target == follow:
            return
        kind, head, exit_ = loops[-1] if loops else (None, None, None)
        if kind == "loop" and target == head:
            self.out.add(indent, "continue")
        elif (kind == "loop" and target == exit_) or (kind == "block" and target == head):
            self.out.add(indent, "break")
        elif (target in self.merge and not self.kids[target] and target not in self.loop_exit
              and target not in self.exits and (src, target) not in self.back and self.small(target)):
            # A short join that dominates nothing (the `then` of an `and`/`or` test) is written
            # again where it is reached: a copy is cheaper than any way Python has to get there.
            self._within(target, [], follow, loops, indent)
        elif (src, target) in self.back or target in self.merge or target in self.exits:
            wanted = NotStructured("a jump Python cannot express here")
            if target in self.merge and (src, target) not in self.back:
                wanted.merge = target  # type: ignore[attr-defined]
            raise wanted
        else:
            self._tree(target, follow, loops, indent)


def _reverse_postorder(succs: list[tuple[int, ...]]) -> list[int]:
    seen = {0}
    post: list[int] = []
    stack = [(0, iter(succs[0]))]
    while stack:
        node, it = stack[-1]
        for s in it:
            if s not in seen:
                seen.add(s)
                stack.append((s, iter(succs[s])))
                break
        else:
            stack.pop()
            post.append(node)
    post.reverse()
    return post


def _dominators(rpo: list[int], order: dict[int, int], preds: list[list[int]]) -> dict[int, int]:
    # Cooper, Harvey and Kennedy, "A Simple, Fast Dominance Algorithm".
    idom = {rpo[0]: rpo[0]}
    changed = True
    while changed:
        changed = False
        for b in rpo[1:]:
            done = [p for p in preds[b] if p in idom]
            new = done[0]
            for p in done[1:]:
                a, c = p, new
                while a != c:
                    while order[a] > order[c]:
                        a = idom[a]
                    while order[c] > order[a]:
                        c = idom[c]
                new = a
            if idom.get(b) != new:
                idom[b] = new
                changed = True
    return idom


def _natural_loop(header: int, latches: list[int], preds: list[list[int]]) -> set[int]:
    nodes = {header}
    work = [b for b in latches if b not in nodes]
    nodes.update(work)
    while work:
        b = work.pop()
        for p in preds[b]:
            if p not in nodes:
                nodes.add(p)
                work.append(p)
    return nodes


class _StackWriter:
    """One block's operand stack as Python names, while its code is written.

    An entry is a name: a slot `s<i>`, a Bao local `l<i>`, a pool entry `k<i>` or a temporary
    `t<i>`. Loads of locals and constants push the name itself and cost no Python statement;
    every computed value is assigned to the slot it occupies, or straight to the local that the
    next instruction stores it in (``hint``). Before a name is reassigned, stack entries that
    still mean its old value move to a temporary, and at the block's end every entry moves to
    its canonical slot, which is where the next block expects it.

    Pure expressions that cannot fail (comparisons, `not`, `x mod 3`) may stay *pending* in the
    stack, unevaluated, so that `if i mod 3 == 0:` needs no slot at all. Writing any statement
    evaluates every pending entry first, so none outlives a statement that could change the
    names it reads."""

    def __init__(self, height: int, lines: Lines, indent: int, temps: list[int]):
        self.stack = [f"s{i}" for i in range(height)]
        self.lines = lines
        self.indent = indent
        self.temps = temps  # one counter per function, so temporaries never clash
        self.pending: dict[int, str] = {}  # stack position -> expression not yet evaluated
        self.hint: str | None = None  # the local the next computed value will be stored in

    def _line(self, text: str) -> None:
        self.lines.add(self.indent, text)

    def _settle(self) -> None:
        # Into fresh temporaries: an emitter may hold popped operands that name any slot.
        for i in sorted(self.pending):
            temp = f"t{self.temps[0]}"
            self.temps[0] += 1
            self._line(f"{temp} = {self.pending[i]}")
            self.stack[i] = temp
        self.pending.clear()

    def _free(self, name: str) -> None:
        if name in self.stack:
            temp = f"t{self.temps[0]}"
            self.temps[0] += 1
            self._line(f"{temp} = {name}")
            self.stack = [temp if e == name else e for e in self.stack]

    def emit(self, text: str) -> None:
        self._settle()
        self._line(text)

    def pop(self) -> str:
        i = len(self.stack) - 1
        name = self.stack.pop()
        expr = self.pending.pop(i, None)
        return name if expr is None else f"({expr})"

    def pops(self, n: int) -> list[str]:
        taken = [self.pop() for _ in range(n)]
        taken.reverse()
        return taken

    def alias(self, name: str) -> None:
        self.stack.append(name)

    def named(self, expr: str) -> str:
        """``expr`` as a name, evaluated once, for code that reads an operand twice."""
        if _is_name(expr):
            return expr
        temp = f"t{self.temps[0]}"
        self.temps[0] += 1
        self.emit(f"{temp} = {expr}")
        return temp

    def dup(self) -> None:
        if len(self.stack) - 1 in self.pending:
            self._settle()  # evaluate once, then share the result
        self.stack.append(self.stack[-1])

    def swap(self) -> None:
        i, j = len(self.stack) - 1, len(self.stack) - 2
        self.stack[i], self.stack[j] = self.stack[j], self.stack[i]
        a, b = self.pending.pop(i, None), self.pending.pop(j, None)
        if a is not None:
            self.pending[j] = a
        if b is not None:
            self.pending[i] = b

    def top_slot(self) -> str:
        """The name the next push will occupy (a slot, or the hinted local), freed of aliases so
        it may be assigned now."""
        self._settle()
        name, self.hint = (self.hint or f"s{len(self.stack)}"), None
        self._free(name)
        return name

    def push(self, expr: str) -> str:
        name = self.top_slot()
        self._line(f"{name} = {expr}")
        self.stack.append(name)
        return name

    def push_pending(self, expr: str) -> None:
        self.hint = None
        self.pending[len(self.stack)] = expr
        self.stack.append("")

    def pushed(self, name: str) -> None:
        """Record that code already assigned the value to ``name`` (from `top_slot`)."""
        self.stack.append(name)

    def free(self, name: str) -> None:
        self._settle()
        self._free(name)

    def assign(self, name: str, expr: str) -> None:
        self.free(name)
        if expr != name:
            self._line(f"{name} = {expr}")

    def flush(self, keep: str | None = None) -> str | None:
        """Move every entry to its canonical slot; returns ``keep`` (an expression popped just
        before), moved to a temporary if a move could change it."""
        if self.pending and keep is not None:
            temp = f"t{self.temps[0]}"
            self.temps[0] += 1
            self._line(f"{temp} = {keep}")
            keep = temp
        self._settle()
        moves = [(f"s{i}", e) for i, e in enumerate(self.stack) if e != f"s{i}"]
        if moves:
            if keep is not None and not _is_name(keep) or any(t == keep for t, _ in moves):
                temp = f"t{self.temps[0]}"
                self.temps[0] += 1
                self._line(f"{temp} = {keep}")
                keep = temp
            self._line(", ".join(t for t, _ in moves) + " = " + ", ".join(e for _, e in moves))
            self.stack = [f"s{i}" for i in range(len(self.stack))]
        return keep


def _is_name(text: str) -> bool:
    return text.isidentifier()


# ---------------------------------------------------------------------------------------------
# Translation of one module

# Types whose runtime values Python compares and orders exactly as Bao does (vm.ordering agrees).
_NATIVE_ORDER = frozenset({T.INT, T.DECIMAL, T.PERCENT, T.DATE, T.DURATION, T.TIMESTAMP, T.TEXT, T.BOOL,
                           T.HASH, T.PARTY})
# Types whose `abs`, negation and additive ops are plain ints.
_INT_LIKE = frozenset({T.INT, T.DECIMAL, T.PERCENT, T.DURATION})
_PARTY_FIELDS = ("org", "id", "role")


class TranslateError(Exception):
    """The module holds something the translator cannot run (a verifier gap, never user input)."""


@dataclass(frozen=True, slots=True)
class Translation:
    """A module's code, ready to run. ``functions[i]`` is the code object of `f<i>`: a call makes
    it a function over that call's globals (holding ``pool`` as `K` and the names listed in
    `vm.machine`) with ``kwdefaults[i]`` (its pool entries as keyword-only defaults), for just
    the functions the entry can reach (``callees``). ``source`` is the text they came from (the
    same, joined, defines every `f<i>` when executed in such globals)."""

    source: str
    pool: tuple
    structured: tuple[bool, ...]  # per function: rebuilt as while/if (else the dispatch loop)
    functions: tuple  # per function: its code object
    kwdefaults: tuple  # per function: {name: value} of its keyword-only defaults
    callees: tuple  # per function: the functions it calls directly


class _Pool:
    def __init__(self) -> None:
        self.values: list = []
        self.index: dict = {}

    def ref(self, tag: str, key: object, value: object) -> str:
        k = (tag, type(key), key)
        i = self.index.get(k)
        if i is None:
            i = self.index[k] = len(self.values)
            self.values.append(value)
        return f"k{i}"


def stack_effect(module: Module, ins: Instruction) -> tuple[int, int]:
    """(pops, pushes) of one instruction in this module."""
    op = ins.op
    if not op.variadic:
        return len(op.pops), len(op.pushes)
    name = op.name
    if name == "RET":
        return 1, 0
    if name == "CALL":
        fn = module.functions[ins.operands[0]]
        return len(fn.params), (0 if fn.returns is None else 1)
    if name == "CONCAT":
        return ins.operands[0], 1
    if name == "MAKE_LIST":
        return ins.operands[1], 1
    if name == "MAKE_MAP":
        return 2 * ins.operands[1], 1
    if name == "MAKE_RECORD":
        rt = module.type_pool[ins.operands[0]]
        return len(module.types.records[rt.name]), 1
    if name == "EMIT":
        return len(module.events[ins.operands[0]].fields), 0
    raise TranslateError(f"no stack rule for {name}")


@dataclass(slots=True)
class _Block:
    start: int  # index of its first instruction
    end: int  # one past its last instruction
    height: int = -1


def _blocks(module: Module, code: list[Instruction]) -> tuple[list[_Block], list[tuple[int, ...]], dict[int, int]]:
    at = {ins.offset: i for i, ins in enumerate(code)}
    leaders = {0}
    for i, ins in enumerate(code):
        if ins.op.ends_block:
            if i + 1 < len(code):
                leaders.add(i + 1)
            if OperandKind.TARGET in ins.op.operands:
                if ins.operands[0] not in at:
                    raise TranslateError(f"jump into the middle of an instruction at {ins.offset}")
                leaders.add(at[ins.operands[0]])
    starts = sorted(leaders)
    blocks = [_Block(s, e) for s, e in zip(starts, starts[1:] + [len(code)])]
    block_of = {b.start: i for i, b in enumerate(blocks)}
    succs: list[tuple[int, ...]] = []
    for i, b in enumerate(blocks):
        last = code[b.end - 1]
        name = last.op.name
        nxt = (i + 1,) if i + 1 < len(blocks) else ()
        if name == "JUMP":
            succs.append((block_of[at[last.operands[0]]],))
        elif name in ("JUMP_IF_FALSE", "JUMP_IF_TRUE"):
            succs.append(nxt + (block_of[at[last.operands[0]]],))
        elif last.op.ends_block:
            succs.append(())
        else:
            succs.append(nxt)
    # Heights at block entry, from the entry block (the verifier proved them consistent).
    blocks[0].height = 0
    work = [0]
    while work:
        i = work.pop()
        h = blocks[i].height
        for ins in code[blocks[i].start:blocks[i].end]:
            pops, pushes = stack_effect(module, ins)
            h += pushes - pops
        for s in succs[i]:
            if blocks[s].height < 0:
                blocks[s].height = h
                work.append(s)
    return blocks, succs, at


def _charges(code: list[Instruction], blocks: list[_Block], succs: list[tuple[int, ...]]) -> list[int]:
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
            cost += ins.op.gas
            if ins.op.name in ("MAKE_LIST", "MAKE_MAP"):
                cost += ins.operands[1]  # one unit per element built
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
    for b in _reverse_postorder(succs):
        targets = succs[b]
        if len(targets) == 2 and targets[0] != targets[1] and all(preds[t] == [b] for t in targets):
            for t in targets:
                charges[t] += charges[b]
            charges[b] = 0
    return charges


def _loop_bounds(module: Module, code: list[Instruction], blocks: list[_Block],
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
    order = _reverse_postorder(succs)
    for b in order:
        for s in succs[b]:
            preds[s].append(b)
    facts: list[frozenset | None] = [None] * n
    facts[0] = frozenset()

    def out(p: int, b: int) -> frozenset:
        alive = frozenset(q for q in facts[p] if not kills[p] & set(q))  # type: ignore[union-attr]
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


def _is_step(module: Module, load: Instruction, const: Instruction, bounds: set) -> bool:
    """Whether `LOAD x, CONST 1, ADD_INT` adds 1 to an x known to be below another Int."""
    if load.op.name != "LOAD" or const.op.name != "CONST":
        return False
    c = module.constants[const.operands[0]]
    return c.type == T.INT and c.value == 1 and any(p[0] == load.operands[0] for p in bounds)


_COPY_LIMIT = 24  # instructions of a join block that may be written twice


class _FunctionWriter:
    """Writes `def f<i>(gas, depth, l0, ...)` for one function of the module."""

    def __init__(self, module: Module, index: int, pool: _Pool, max_collection: int):
        self.module = module
        self.index = index
        self.fn = module.functions[index]
        self.pool = pool
        self.max_collection = max_collection
        self.code = decode_instructions(self.fn.code)
        if not self.code:
            raise TranslateError(f"function {index} has no code")
        self.blocks, self.succs, at = _blocks(module, self.code)
        first = {blk.start: i for i, blk in enumerate(self.blocks)}
        self.target_block = {off: first[i] for off, i in at.items() if i in first}
        self.temps = [0]
        self.used: set[str] = set()
        self.structured = True
        self.checkpoints: set[int] = set()
        self.const_values: dict[str, object] = {}
        self.charges = _charges(self.code, self.blocks, self.succs)
        self.bounds = _loop_bounds(module, self.code, self.blocks, self.succs)
        self.unchecked = False  # the instruction being written cannot overflow

    # -- pool references: every module-derived value reaches the code through these

    def _k(self, tag: str, key: object, value: object) -> str:
        name = self.pool.ref(tag, key, value)
        self.used.add(name)
        return name

    def const(self, i: int) -> str:
        value = self.module.constants[i].value
        name = self._k("c", i, value)
        self.const_values[name] = value
        return name

    def num(self, n: int) -> str:
        return self._k("n", n, n)

    def typ(self, i: int) -> str:
        return self._k("t", i, self.module.type_pool[i])

    def ptype(self, i: int) -> T.Type:
        return self.module.type_pool[i]

    # -- the whole function

    def write(self) -> tuple[str, object]:
        """The function's source and the code object of `f<i>` compiled from it."""
        try:
            structure = _Structure(self.succs, self.body,
                                   lambda b: self.blocks[b].end - self.blocks[b].start <= _COPY_LIMIT)
            # Gas may run below zero inside straight-line code; it is tested where code can
            # repeat (loop headers, function entry) and before returning, so no call runs
            # unboundedly or completes beyond its limit. `vm.machine` reports any abort that
            # happens while gas is below zero as "out of gas".
            self.checkpoints = {0} | set(structure.loop_exit)
            body = structure.emit(2)
            # Python limits nesting (100 indents, 20 nested loops): deep Bao code goes to the
            # dispatch loop, whose nesting is fixed.
            source = self._def(body)
            code = compile(source, "<bao module>", "exec")
        except (NotStructured, SyntaxError, RecursionError, MemoryError):
            self.structured = False
            self.temps = [0]
            self.checkpoints = set(range(len(self.blocks)))
            source = self._def(self._dispatch())
            code = compile(source, "<bao module>", "exec")
        # The compiled text defines one function; its code object is the one constant that is code.
        return source, next(c for c in code.co_consts if hasattr(c, "co_name"))

    def _def(self, body: Lines) -> str:
        fn = self.fn
        out = Lines()
        params = "".join(f", l{i}" for i in range(len(fn.params)))
        defaults = "".join(f", {k}=K[{k[1:]}]" for k in sorted(self.used, key=lambda k: int(k[1:])))
        out.add(0, f"def f{self.index}(gas, depth{params}, *, lim=LIM, nlim=NLIM{defaults}):")
        out.add(1, "try:")
        out.add(2, "if depth > DEPTH: deep()")
        out.out.extend(body.out)
        out.add(1, "except Fault as e:")
        out.add(2, "raise tag(e, gas)")
        return "\n".join(out.out) + "\n"

    def _dispatch(self) -> Lines:
        body = Lines()
        body.add(2, "b = 0")
        body.add(2, "while True:")
        first = True
        for i, blk in enumerate(self.blocks):
            if blk.height < 0:
                continue  # unreachable
            body.add(3, f"{'if' if first else 'elif'} b == {i}:")
            first = False
            term = self.body(i, 4, body)
            if term.kind == "jump":
                body.add(4, f"b = {term.targets[0]}")
            elif term.kind == "branch":
                body.add(4, f"b = {term.targets[0]} if {term.cond} else {term.targets[1]}")
        return body

    def body(self, b: int, indent: int, lines: Lines) -> Terminator:
        blk = self.blocks[b]
        w = _StackWriter(blk.height, lines, indent, self.temps)
        if self.charges[b]:
            w.emit(f"gas -= {self.num(self.charges[b])}")
        if b in self.checkpoints:
            w.emit("if gas < 0: oog()")
        code = self.code
        bounds = set(self.bounds[b])
        for j in range(blk.start, blk.end):
            ins = code[j]
            nxt = code[j + 1] if j + 1 < blk.end else None
            if nxt is not None and nxt.op.name == "STORE" and stack_effect(self.module, ins)[1] == 1:
                w.hint = f"l{nxt.operands[0]}"
            if ins.op.name == "ADD_INT" and j - 2 >= blk.start:
                self.unchecked = _is_step(self.module, code[j - 2], code[j - 1], bounds)
            term = _EMITTERS[ins.op.name](self, w, ins)
            w.hint = None
            self.unchecked = False
            if ins.op.name == "STORE":
                bounds = {p for p in bounds if ins.operands[0] not in p}
            if term is not None:
                return term
        w.flush()
        return Terminator("jump", (b + 1,))

    def jump_target(self, ins: Instruction) -> int:
        return self.target_block[ins.operands[0]]


# -- emitters: one per opcode; each writes the instruction's Python and returns a Terminator
#    when the instruction ends the block.

def _e_const(fw: _FunctionWriter, w: _StackWriter, ins: Instruction):
    w.alias(fw.const(ins.operands[0]))


def _e_load(fw, w, ins):
    w.alias(f"l{ins.operands[0]}")


def _e_store(fw, w, ins):
    w.assign(f"l{ins.operands[0]}", w.pop())


def _e_pop(fw, w, ins):
    w.pop()


def _e_dup(fw, w, ins):
    w.dup()


def _e_swap(fw, w, ins):
    w.swap()


def _e_jump(fw, w, ins):
    w.flush()
    return Terminator("jump", (fw.jump_target(ins),))


def _e_jump_if(negate: bool):
    def emit(fw, w, ins):
        cond = w.flush(w.pop())
        b = fw.target_block.get(ins.end)
        if b is None:
            raise TranslateError("a conditional jump at the end of the code")
        target = fw.jump_target(ins)
        return Terminator("branch", (b, target) if negate else (target, b), cond)
    return emit


def _e_ret(fw, w, ins):
    value = w.pop()
    w.emit("if gas < 0: oog()")
    w.emit(f"return {value}, gas")
    return Terminator("exit")


def _e_ret_void(fw, w, ins):
    w.emit("if gas < 0: oog()")
    w.emit("return None, gas")
    return Terminator("exit")


_FAIL_HELPERS = ("fail", "unmet")  # by the FAIL operand: Abort kind "fail" or "require"


def _e_fail(fw, w, ins):
    kind = ins.operands[0] if ins.op.operands else 0
    w.emit(f"{_FAIL_HELPERS[kind]}({w.pop()})")
    return Terminator("exit")


def _e_call(fw, w, ins):
    target = ins.operands[0]
    callee = fw.module.functions[target]
    args = "".join(", " + a for a in w.pops(len(callee.params)))
    if callee.returns is None:
        w.emit(f"rv, gas = f{target}(gas, depth + 1{args})")
    else:
        slot = w.top_slot()
        w.emit(f"{slot}, gas = f{target}(gas, depth + 1{args})")
        w.pushed(slot)


def _e_value(expr: str):
    """An instruction that pushes a call-context value held in the call's globals."""
    def emit(fw, w, ins):
        w.push(expr)
    return emit


def _e_unary(template: str):
    def emit(fw, w, ins):
        a = w.pop()
        w.push(template.format(a=a))
    return emit


def _e_pending(template: str):
    def emit(fw, w, ins):
        w.push_pending(template.format(a=w.pop()))
    return emit


def _e_binary(template: str):
    def emit(fw, w, ins):
        a, b = w.pops(2)
        w.push(template.format(a=a, b=b))
    return emit


def _e_checked(template: str):
    """An integer result tested against Bao's range inline: no call on the common path."""
    def emit(fw, w, ins):
        a, b = w.pops(2)
        slot = w.push(template.format(a=a, b=b))
        if not fw.unchecked:
            w.emit(f"if not nlim < {slot} < lim: ovf()")
    return emit


def _e_divides(template: str):
    def emit(fw, w, ins):
        a, b = w.pops(2)
        if fw.const_values.get(b, 0) == 0:
            a, b = w.named(a), w.named(b)
            w.emit(f"if not {b}: dz()")
            w.push(template.format(a=a, b=b))
        else:  # a constant divisor other than 0: the result cannot fail, so it may stay pending
            w.push_pending(template.format(a=a, b=b))
    return emit


def _e_concat(fw, w, ins):
    parts = w.pops(ins.operands[0])
    slot = w.top_slot()
    w.emit(f"{slot}, gas = cat(gas, {', '.join(parts)},)")
    w.pushed(slot)


def _e_gas_call(func: str, typed: bool = False):
    """An operation whose helper charges gas by size: `slot, gas = func(gas, [type,] args...)`."""
    def emit(fw, w, ins):
        n = len(ins.op.pops)
        args = w.pops(n)
        if typed:
            args = [fw.typ(ins.operands[0])] + args
        slot = w.top_slot()
        w.emit(f"{slot}, gas = {func}(gas, {', '.join(args)})")
        w.pushed(slot)
    return emit


def _e_typed_call(func: str):
    """A generic operation given the instruction's type: `func(type, args...)`."""
    def emit(fw, w, ins):
        args = w.pops(len(ins.op.pops))
        w.push(f"{func}({fw.typ(ins.operands[0])}, {', '.join(args)})")
    return emit


def _e_party_field(fw, w, ins):
    w.push(f"{w.pop()}.{_PARTY_FIELDS[ins.operands[0]]}")


_COMPARE = {"EQ": "==", "NE": "!=", "LT": "<", "LE": "<=", "GT": ">", "GE": ">="}


def _e_compare(fw, w, ins):
    t = fw.ptype(ins.operands[0])
    a, b = w.pops(2)
    name = ins.op.name
    if t in _NATIVE_ORDER or isinstance(t, T.EnumType):
        w.push_pending(f"{a} {_COMPARE[name]} {b}")
    elif t == T.MONEY:
        w.push_pending({"EQ": "money_eq({a}, {b})", "NE": "not money_eq({a}, {b})", "LT": "money_lt({a}, {b})",
                "LE": "money_le({a}, {b})", "GT": "money_lt({b}, {a})", "GE": "money_le({b}, {a})"}[name]
               .format(a=a, b=b))
    elif name in ("EQ", "NE"):
        w.push_pending(f"{'not ' if name == 'NE' else ''}veq({fw.typ(ins.operands[0])}, {a}, {b})")
    else:
        w.push_pending(f"vcmp({fw.typ(ins.operands[0])}, {a}, {b}) {_COMPARE[name]} 0")


def _e_minmax(fw, w, ins):
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


def _e_abs(fw, w, ins):
    t = fw.ptype(ins.operands[0])
    a = w.pop()
    if t in _INT_LIKE:
        a = w.named(a)
        w.push(f"{a} if {a} >= 0 else -{a}")
    else:
        w.push(f"vabs({fw.typ(ins.operands[0])}, {a})")


def _e_make_list(fw, w, ins):
    n = ins.operands[1]
    if n > fw.max_collection:
        w.pops(n)
        w.emit("too_long()")
        w.alias("None")
        return
    items = w.pops(n)
    w.push("(" + "".join(x + ", " for x in items) + ")")


def _e_list_get(fw, w, ins):
    xs, i = w.pops(2)
    xs, i = w.named(xs), w.named(i)
    w.emit(f"if not 0 <= {i} < size({xs}): oor()")
    w.push(f"{xs}[{i}]")


def _e_list_contains(fw, w, ins):
    t = fw.ptype(ins.operands[0])
    x, xs = w.pops(2)
    if t.elem in _NATIVE_ORDER or isinstance(t.elem, T.EnumType):
        w.push_pending(f"{x} in {xs}")
    else:
        w.push_pending(f"lhas({fw._k('e', ins.operands[0], t.elem)}, {x}, {xs})")


def _e_len(fw, w, ins):
    w.push(f"size({w.pop()})")


def _e_make_map(fw, w, ins):
    n = ins.operands[1]
    if n > fw.max_collection:
        w.pops(2 * n)
        w.emit("too_long()")
        w.alias("None")
        return
    items = w.pops(2 * n)
    t = fw.ptype(ins.operands[0])
    if t.key in _NATIVE_ORDER or isinstance(t.key, T.EnumType):
        w.push("{" + ", ".join(f"{items[2 * j]}: {items[2 * j + 1]}" for j in range(n)) + "}")
    else:  # Money keys: equal amounts in one currency are one key; mixed currencies abort
        w.push(f"mkmap({fw.typ(ins.operands[0])}, ({''.join(x + ', ' for x in items)}))")


def _e_map_get(fw, w, ins):
    m, k = w.pops(2)
    m, k = w.named(m), w.named(k)
    t = fw.ptype(ins.operands[0])
    w.emit(f"if {k} not in {m}: knf({fw._k('k', ins.operands[0], t.key)}, {k})")
    w.push(f"{m}[{k}]")


def _e_map_get_or(fw, w, ins):
    m, k, d = w.pops(3)
    m, k = w.named(m), w.named(k)
    w.push(f"{m}[{k}] if {k} in {m} else {d}")


def _e_map_has(fw, w, ins):
    k, m = w.pops(2)
    w.push_pending(f"{k} in {m}")


def _e_make_record(fw, w, ins):
    rt = fw.ptype(ins.operands[0])
    items = w.pops(len(fw.module.types.records[rt.name]))
    w.push("(" + "".join(x + ", " for x in items) + ")")


def _e_field(fw, w, ins):
    w.push(f"{w.pop()}[{fw.num(ins.operands[1])}]")


def _e_set_field(fw, w, ins):
    r, x = w.pops(2)
    f = ins.operands[1]
    w.push(f"{r}[:{fw.num(f)}] + ({x},) + {r}[{fw.num(f + 1)}:]")


def _e_state(func: str, pops: int, pushes: bool):
    """State access goes through the call's overlay, which charges gas by the bytes it moves."""
    def emit(fw, w, ins):
        args = "".join(", " + a for a in w.pops(pops))
        call = f"{func}(gas, {fw.num(ins.operands[0])}{args})"
        if pushes:
            slot = w.top_slot()
            w.emit(f"{slot}, gas = {call}")
            w.pushed(slot)
        else:
            w.emit(f"gas = {call}")
    return emit


def _e_emit(fw, w, ins):
    e = ins.operands[0]
    values = w.pops(len(fw.module.events[e].fields))
    w.emit(f"gas = emit(gas, {fw.num(e)}, ({''.join(v + ', ' for v in values)}))")


_INT_ADD = _e_checked("{a} + {b}")
_INT_SUB = _e_checked("{a} - {b}")
_NEG = _e_unary("-{a}")

_EMITTERS = {
    "CONST": _e_const, "LOAD": _e_load, "STORE": _e_store, "POP": _e_pop, "DUP": _e_dup, "SWAP": _e_swap,
    "JUMP": _e_jump, "JUMP_IF_FALSE": _e_jump_if(True), "JUMP_IF_TRUE": _e_jump_if(False),
    "RET": _e_ret, "RET_VOID": _e_ret_void, "FAIL": _e_fail, "CALL": _e_call,
    "CALLER": _e_value("CALLER"), "NOW": _e_value("NOW"), "TODAY": _e_value("TODAY"), "TX_ID": _e_value("TXID"),
    "NOT": _e_pending("not {a}"),
    "ADD_INT": _INT_ADD, "SUB_INT": _INT_SUB, "MUL_INT": _e_checked("{a} * {b}"),
    "FLOORDIV_INT": _e_divides("{a} // {b}"), "MOD_INT": _e_divides("{a} % {b}"),
    "DIV_INT": _e_binary("int_div({a}, {b})"), "NEG_INT": _NEG, "INT_TO_DEC": _e_unary("int_to_dec({a})"),
    "ADD_DEC": _INT_ADD, "SUB_DEC": _INT_SUB, "MUL_DEC": _e_binary("dec_mul({a}, {b})"),
    "DIV_DEC": _e_binary("dec_div({a}, {b})"), "NEG_DEC": _NEG,
    "ADD_PCT": _INT_ADD, "SUB_PCT": _INT_SUB, "MUL_PCT": _e_binary("dec_mul({a}, {b})"),
    "MUL_PCT_INT": _e_checked("{a} * {b}"), "MUL_PCT_DEC": _e_binary("dec_mul({a}, {b})"), "NEG_PCT": _NEG,
    "ADD_MONEY": _e_binary("money_add({a}, {b})"), "SUB_MONEY": _e_binary("money_sub({a}, {b})"),
    "NEG_MONEY": _e_unary("money_neg({a})"), "MUL_MONEY_INT": _e_binary("money_mul_int({a}, {b})"),
    "MUL_MONEY_DEC": _e_binary("money_mul_frac({a}, {b})"), "MUL_MONEY_PCT": _e_binary("money_mul_frac({a}, {b})"),
    "DIV_MONEY_INT": _e_binary("money_div_int({a}, {b})"), "DIV_MONEY_DEC": _e_binary("money_div_frac({a}, {b})"),
    "DIV_MONEY": _e_binary("money_div_money({a}, {b})"),
    "ADD_DATE_DUR": _e_binary("date_add({a}, {b})"), "SUB_DATE_DUR": _e_binary("date_sub({a}, {b})"),
    "SUB_DATE": _e_binary("{a} - {b}"), "ADD_DUR": _INT_ADD, "SUB_DUR": _INT_SUB,
    "MUL_DUR_INT": _e_checked("{a} * {b}"), "NEG_DUR": _NEG,
    "ADD_MONTHS": _e_binary("add_months({a}, {b})"), "DAYS_BETWEEN": _e_binary("days_between({a}, {b})"),
    "YEAR": _e_unary("year({a})"), "MONTH": _e_unary("month({a})"), "DAY": _e_unary("day({a})"),
    "CONCAT": _e_concat, "TEXT_LEN": _e_len, "TEXT_CONTAINS": _e_gas_call("tin"),
    "TO_TEXT": _e_gas_call("totext", typed=True), "PARTY_FIELD": _e_party_field,
    "EQ": _e_compare, "NE": _e_compare, "LT": _e_compare, "LE": _e_compare, "GT": _e_compare, "GE": _e_compare,
    "MIN": _e_minmax, "MAX": _e_minmax, "ABS": _e_abs,
    "ROUND": _e_typed_call("rnd"), "ROUND_EVEN": _e_typed_call("rnde"),
    "FLOOR_DEC": _e_unary("floor_dec({a})"), "CEIL_DEC": _e_unary("ceil_dec({a})"),
    "SUM": _e_gas_call("vsum", typed=True), "SUM_START": _e_gas_call("vsum", typed=True),
    "HASH_SM3": _e_gas_call("hsm3", typed=True), "HASH_SHA256": _e_gas_call("hsha", typed=True),
    "MAKE_LIST": _e_make_list, "LIST_GET": _e_list_get, "LIST_SET": _e_gas_call("lset"),
    "LIST_APPEND": _e_gas_call("lapp"), "LIST_LEN": _e_len, "LIST_CONTAINS": _e_list_contains,
    "MAKE_MAP": _e_make_map, "MAP_GET": _e_map_get, "MAP_GET_OR": _e_map_get_or,
    "MAP_SET": _e_gas_call("mset"), "MAP_DELETE": _e_gas_call("mdel", typed=True), "MAP_HAS": _e_map_has,
    "MAP_LEN": _e_len, "MAP_KEYS": _e_gas_call("mkeys", typed=True),
    "MAKE_RECORD": _e_make_record, "FIELD": _e_field, "SET_FIELD": _e_set_field,
    "SLOAD": _e_state("sload", 0, True), "SSTORE": _e_state("sstore", 1, False),
    "SADD": _e_state("sadd", 1, False), "SSUB": _e_state("ssub", 1, False),
    "MLOAD": _e_state("mload", 1, True), "MHAS": _e_state("mhas", 1, True), "MGET": _e_state("mget", 2, True),
    "MSTORE": _e_state("mstore", 2, False), "MDELETE": _e_state("mdelete", 1, False),
    "MADD": _e_state("madd", 2, False), "MSUB": _e_state("msub", 2, False), "MLEN": _e_state("mlen", 0, True),
    "EMIT": _e_emit,
    "LIST_MIN": _e_gas_call("lmin", typed=True), "LIST_MAX": _e_gas_call("lmax", typed=True),
}


def unimplemented_opcodes() -> list[str]:
    """Opcodes of the table the translator has no emitter for (a test keeps this empty)."""
    return [op.name for op in OPCODES if op.name not in _EMITTERS]


def translate(module: Module, max_collection: int) -> Translation:
    """Python source for every function of a verified module, compiled once."""
    pool = _Pool()
    parts, structured, codes = [], [], []
    for i in range(len(module.functions)):
        fw = _FunctionWriter(module, i, pool, max_collection)
        source, code = fw.write()
        parts.append(source)
        codes.append(code)
        structured.append(fw.structured)
    source = "\n".join(parts)
    values = tuple(pool.values)
    functions = tuple(codes)
    kwdefaults = tuple(_kwdefaults(f, values) for f in functions)
    callees = tuple(frozenset(ins.operands[0] for ins in decode_instructions(fn.code) if ins.op.name == "CALL")
                    for fn in module.functions)
    return Translation(source, values, tuple(structured), functions, kwdefaults, callees)


def _kwdefaults(code, pool: tuple) -> dict:
    # The keyword-only parameters are `lim`, `nlim`, then pool names `k<i>`, as `_def` wrote them.
    names = code.co_varnames[code.co_argcount:code.co_argcount + code.co_kwonlyargcount]
    out = {"lim": INT_LIMIT, "nlim": -INT_LIMIT}
    for name in names[2:]:
        out[name] = pool[int(name[1:])]
    return out
