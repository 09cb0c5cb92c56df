"""The bytecode format's limits, as the front end reports them: `check` refuses what `build` would.

The limits are the VM's (`vm.verifier`, `vm.verifier_types`, `vm.module`), read from there each
time, never restated. Each is reported as a compile error where the source passes it:

| limit (the VM's name)                   | value   | found by                         | reported at                      |
|-----------------------------------------|---------|----------------------------------|----------------------------------|
| record fields (MAX_RECORD_FIELDS)       | 255     | checker                          | the first field past it          |
| List/Map layers in a type (MAX_TYPE_DEPTH) | 16   | checker                          | the written type, or the literal |
| state variables, events (MAX_POOL)      | 65,535  | checker                          | the first declaration past it    |
| locals of a function (MAX_LOCALS)       | 1,024   | checker (names), compiler (temporaries) | the name, or the expression needing a temporary |
| constants, types in the pools (MAX_POOL) | 65,535 | compiler (`Pools`)               | the expression adding the entry  |
| code of a function (MAX_CODE_BYTES)     | 65,536 bytes | compiler, after each statement | the statement that passes it    |
| functions (MAX_FUNCTIONS)               | 2,048   | compiler (`ModuleLayout`)        | the first declaration past it    |
| operand stack of a frame (MAX_STACK)    | 512     | verifier, mapped back (`SourceMap`) | the expression holding the values |
| module size (MAX_MODULE_BYTES)          | 4 MiB   | `Compilation.encoded`            | the contract's name              |

Operand widths follow from these: a LOCAL, CONST, TYPE, FUNC, STATE or EVENT index is below its
limit and fits two bytes, a FIELD one byte, a jump TARGET (four bytes) lies inside 64 KiB of code,
and a COUNT (MAKE_LIST, MAKE_MAP, CONCAT) is at most `dsl.codegen.exprs.LITERAL_CHUNK`, since a
longer literal is built in steps. Anything else the verifier refuses is a compiler defect, and is
reported as one at the source its instruction came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from dsl.diagnostics import Code, Diagnostic, DslError
from dsl.syntax import ast
from vm import module as vm_module
from vm.verify import function as verifier_types
from vm.verify import verifier


class LimitReached(DslError):
    """The module being compiled would pass a limit of the bytecode format. ``span`` is filled in
    by the innermost expression or statement being compiled when it passes through."""

    def __init__(self, message: str, hint: str | None = None, span: ast.Span | None = None,
                 code: Code = Code.B0602) -> None:
        super().__init__(message)
        self.message, self.hint, self.span, self.code = message, hint, span, code

    def at(self, span: ast.Span) -> "LimitReached":
        if self.span is None:
            self.span = span
        return self

    def diagnostic(self, fallback: ast.Span) -> Diagnostic:
        return Diagnostic(self.message, self.span or fallback, self.hint, code=self.code)


# Read at each use, not copied: the VM's constants are the only definition (and a test may lower
# one to reach it with a small program).
def max_locals() -> int:
    return verifier.MAX_LOCALS


def max_pool() -> int:
    return verifier.MAX_POOL


def max_code_bytes() -> int:
    return verifier.MAX_CODE_BYTES


def max_functions() -> int:
    return verifier.MAX_FUNCTIONS


def max_type_depth() -> int:
    return verifier.MAX_TYPE_DEPTH


def max_record_fields() -> int:
    return verifier.MAX_RECORD_FIELDS


def max_stack() -> int:
    return verifier_types.MAX_STACK


def max_module_bytes() -> int:
    return vm_module.MAX_MODULE_BYTES


def too_many_locals() -> LimitReached:
    return LimitReached(
        f"this needs more local variables than a function may have ({max_locals():,}: its parameters, "
        "`let`s and loop variables, and the compiler's temporaries, one for each middle operand of a "
        "comparison chain and a few for each loop and each assignment into a nested value)",
        "split the function into smaller fns, or write a long chain `a < b < c` as `a < b and b < c`")


def too_many_constants() -> LimitReached:
    return LimitReached(f"more than {max_pool():,} different constants in one contract (with the modules it "
                        "uses): this one passes the limit", "build long tables of values from state, not literals")


def too_many_types() -> LimitReached:
    return LimitReached(f"more than {max_pool():,} different types in one contract's code: this one passes the limit")


def too_much_code(function: str) -> LimitReached:
    return LimitReached(f"`{function}` compiles to more than {max_code_bytes():,} bytes of code, the most a "
                        "function may have: its code passes the limit here", "split it into smaller fns",
                        code=Code.B0604)


# -- refusals of the verifier, mapped back to the source -------------------------------------------------

@dataclass
class SourceMap:
    """Where each function's instructions came from: per function name, (start, end, span) of
    the code of each expression and statement compiled, inner ones before the outer."""

    functions: dict[str, list[tuple[int, int, ast.Span]]] = field(default_factory=dict)
    declared: dict[str, ast.Span] = field(default_factory=dict)  # a function's name in its declaration

    def span_at(self, function: str, offset: int) -> ast.Span | None:
        """The source of the instruction at ``offset``: the smallest expression or statement
        whose code holds it and began before it (a value pushed at the start of an argument
        is the call's doing), else the smallest that holds it at all."""
        best: tuple[int, int, ast.Span] | None = None
        first: tuple[int, int, ast.Span] | None = None
        for start, end, span in self.functions.get(function, ()):
            if start <= offset < end:
                if start < offset and (best is None or end - start < best[1] - best[0]):
                    best = (start, end, span)
                if first is None or end - start < first[1] - first[0]:
                    first = (start, end, span)
        found = best or first
        return found[2] if found is not None else self.declared.get(function)


_AT_OFFSET = re.compile(r"function (.+?) at offset (\d+): (.*)", re.S)
_IN_FUNCTION = re.compile(r"function (.+?): (.*)", re.S)


def verifier_refusal(message: str, source_map: SourceMap, whole: ast.Span) -> Diagnostic:
    """A compile error for a refusal of the verifier (``message``), at the source it came from;
    ``whole`` (the contract's name) when it names no function."""
    m = _AT_OFFSET.fullmatch(message)
    if m is not None:
        span = source_map.span_at(m[1], int(m[2])) or whole
        if m[3].startswith("stack deeper than"):
            return Diagnostic(
                f"this needs more than {max_stack():,} values on the operand stack at once, the most one "
                "function call may hold (arguments, record fields and list items wait there until "
                "all of them are computed)",
                span, "compute parts of it into `let`s first, or group many values into a record", code=Code.B0604)
        return _defect(message, span)
    m = _IN_FUNCTION.fullmatch(message)
    if m is not None:
        return _defect(message, source_map.declared.get(m[1], whole))
    return _defect(message, whole)


def _defect(message: str, span: ast.Span) -> Diagnostic:
    return Diagnostic(f"internal error: the compiled module was refused by the verifier: {message}", span,
                      "this is a defect of the compiler; please report it with this file", code=Code.B0901)
