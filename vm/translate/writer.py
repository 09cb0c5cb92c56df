"""Writes one function of a verified module as the Python source of `def f<i>(...)`: block
by block, structured as `while`/`if` (`vm.translate.flow`) or, failing that, as a dispatch loop; each
instruction by its emitter (`vm.translate.emit`)."""

from __future__ import annotations

from vm import types as T
from vm.translate.analysis import TranslateError, block_charges, is_step, loop_bounds, proven_blocks, stack_effect
from vm.translate.emit import EMITTERS
from vm.translate.flow import Ending, Lines, NotStructured, Structure, Terminator
from vm.translate.stack import StackWriter
from vm.values.measure import needs_nesting_check
from vm.module.abi import Module
from vm.opcodes import Instruction, decode_instructions
from vm.verify import VerifiedFunction


class Pool:
    """The values translated code reaches through `K`: each entered once, named `k<i>`."""

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


COPY_LIMIT = 24  # instructions of a join block that may be written twice


class FunctionWriter:
    """Writes `def f<i>(gas, depth, l0, ...)` for one function of the module."""

    def __init__(self, module: Module, proved: VerifiedFunction, pool: Pool, max_collection: int, nesting: int):
        self.module = module
        self.index = index = proved.index
        self.fn = module.functions[index]
        self.pool = pool
        self.max_collection = max_collection
        self.nesting = nesting
        self.code = decode_instructions(self.fn.code)
        if not self.code:
            raise TranslateError(f"function {index} has no code")
        self.blocks, self.succs, at = proven_blocks(proved, self.code)
        first = {blk.start: i for i, blk in enumerate(self.blocks)}
        self.target_block = {off: first[i] for off, i in at.items() if i in first}
        self.temps = [0]
        self.used: set[str] = set()
        self.structured = True
        self.checkpoints: set[int] = set()
        self.const_values: dict[str, object] = {}
        self.charges = block_charges(self.code, self.blocks, self.succs)
        self.bounds = loop_bounds(module, self.code, self.blocks, self.succs)
        self.unchecked = False  # the instruction being written cannot overflow

    # -- pool references: every module-derived value reaches the code through these

    def pooled(self, tag: str, key: object, value: object) -> str:
        name = self.pool.ref(tag, key, value)
        self.used.add(name)
        return name

    def const(self, i: int) -> str:
        value = self.module.constants[i].value
        name = self.pooled("c", i, value)
        self.const_values[name] = value
        return name

    def num(self, n: int) -> str:
        return self.pooled("n", n, n)

    def typ(self, i: int) -> str:
        return self.pooled("t", i, self.module.type_pool[i])

    def ptype(self, i: int) -> T.Type:
        return self.module.type_pool[i]

    def checks_nesting(self, i: int) -> bool:
        """Whether building a value of pool type ``i`` must check its depth (`vm.values.measure`)."""
        return needs_nesting_check(self.module.type_pool[i], self.module.types, self.nesting)

    # -- the whole function

    def write(self) -> tuple[str, object]:
        """The function's source and the code object of `f<i>` compiled from it."""
        try:
            structure = Structure(self.succs, self.body,
                                   lambda b: self.blocks[b].end - self.blocks[b].start <= COPY_LIMIT)
            # Gas may run below zero inside straight-line code; it is tested where code can
            # repeat (loop headers, function entry) and before returning, so no call runs
            # unboundedly or completes beyond its limit. `vm.runtime.machine` reports any abort that
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
            if term.kind is Ending.JUMP:
                body.add(4, f"b = {term.targets[0]}")
            elif term.kind is Ending.BRANCH:
                body.add(4, f"b = {term.targets[0]} if {term.cond} else {term.targets[1]}")
        return body

    def body(self, b: int, indent: int, lines: Lines) -> Terminator:
        blk = self.blocks[b]
        w = StackWriter(blk.height, lines, indent, self.temps)
        if self.charges[b]:
            w.emit(f"gas -= {self.num(self.charges[b])}")
        if b in self.checkpoints:
            w.emit("if gas < 0: oog()")
        code = self.code
        bounds = set(self.bounds[b])
        for j in range(blk.start, blk.end):
            ins = code[j]
            nxt = code[j + 1] if j + 1 < blk.end else None
            if nxt is not None and nxt.op.name == "STORE" and stack_effect(self.module, ins, self.fn.returns)[1] == 1:
                w.hint = f"l{nxt.operands[0]}"
            if ins.op.name == "ADD_INT" and j - 2 >= blk.start:
                self.unchecked = is_step(self.module, code[j - 2], code[j - 1], bounds)
            term = EMITTERS[ins.op.name](self, w, ins)
            w.hint = None
            self.unchecked = False
            if ins.op.name == "STORE":
                bounds = {p for p in bounds if ins.operands[0] not in p}
            if term is not None:
                return term
        w.flush()
        return Terminator(Ending.JUMP, (b + 1,))

    def jump_target(self, ins: Instruction) -> int:
        return self.target_block[ins.operands[0]]
