"""The block translator: each verified function becomes one Python function, compiled once per module.

Why Python source: a dispatch loop pays a Python-level step per instruction (70-130x slower than
CPython). Here a verified basic block becomes straight-line Python: stack slots and Bao locals are
Python locals (the verifier fixes the stack height at every block entry, so slot `i` is always the
local `s<i>`), integer operations are inline with an overflow test, and gas is charged once per block.
Control flow between blocks is rebuilt as Python `while`/`if` (see `Structure`) for the reducible
graphs the compiler produces; any other graph falls back to a `while True` dispatch over block ids.

The generated code is a sandbox. It is compiled with empty `__builtins__`, against a globals dict
that holds only the VM's value operations, state access and abort helpers (`vm.runtime.machine` builds it
per call). Nothing from the module is pasted into the source: every constant, operand and price
reaches the code through the tuple `K` by an index the translator chose, and every identifier in
the source is made from such indexes (`s3`, `l0`, `k12`, `f2`). `vm.runtime.machine` turns any stray Python
exception raised inside a call into an Abort ("internal VM fault").

The work is split: `vm.translate.analysis` (blocks, stack heights, gas charges, loop bounds),
`vm.translate.flow` (rebuilding `while`/`if`), `vm.translate.writer` (one function's source), `vm.translate.stack`
(a block's operand stack as names) and `vm.translate.emit` (one emitter per opcode); this module is
the entry point.
"""

from __future__ import annotations

from dataclasses import dataclass

from vm.values.decimals import INT_LIMIT
from vm.gas import DEFAULT_LIMITS
from vm.translate.analysis import TranslateError
from vm.translate.writer import FunctionWriter, Pool
from vm.opcodes import decode_instructions
from vm.verify import VerifiedModule

__all__ = ["TranslateError", "Translation", "translate"]


@dataclass(frozen=True, slots=True)
class Translation:
    """A module's code, ready to run. ``functions[i]`` is the code object of `f<i>`: a call makes
    it a function over that call's globals (holding ``pool`` as `K` and the names listed in
    `vm.runtime.machine`) with ``kwdefaults[i]`` (its pool entries as keyword-only defaults), for just
    the functions the entry can reach (``callees``). ``source`` is the text they came from (the
    same, joined, defines every `f<i>` when executed in such globals)."""

    source: str
    pool: tuple
    structured: tuple[bool, ...]  # per function: rebuilt as while/if (else the dispatch loop)
    functions: tuple  # per function: its code object
    kwdefaults: tuple  # per function: {name: value} of its keyword-only defaults
    callees: tuple  # per function: the functions it calls directly


def translate(verified: VerifiedModule, max_collection: int, nesting: int = DEFAULT_LIMITS.nesting) -> Translation:
    """Python source for every function of a verified module, compiled once, from the blocks the
    verifier proved."""
    module = verified.module
    pool = Pool()
    parts, structured, codes = [], [], []
    for proved in verified.functions:
        fw = FunctionWriter(module, proved, pool, max_collection, nesting)
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
