"""The compiler's back end: module-wide pools (constants, types) and a per-function assembler
with labels. Each instruction's number and operand widths come from `vm.opcodes.BY_NAME`, so
the table stays the only place that knows them; the bytes are laid out as
`vm.opcodes.encode_instruction` lays them out (tests/dsl/test_compiler.py holds the two equal)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsl.bytecode_limits import max_pool, too_many_constants, too_many_types
from dsl.diagnostics import DslError
from vm.module import Constant
from vm.opcodes import BY_NAME, OperandKind
from vm.types import Type


class CompilerDefect(DslError):
    """The compiler met something the checker should have ruled out: a bug, never user error."""


@dataclass
class Pools:
    """Constants and types shared by every function of a module, each entered once."""

    constants: list[Constant] = field(default_factory=list)
    types: list[Type] = field(default_factory=list)
    _const_ix: dict[tuple, int] = field(default_factory=dict)
    _type_ix: dict[Type, int] = field(default_factory=dict)

    def const(self, t: Type, value: object) -> int:
        # bool is an int in Python: key by type too, so True and 1 stay apart.
        key = (t, type(value).__name__, value)
        ix = self._const_ix.get(key)
        if ix is None:
            if len(self.constants) >= max_pool():
                raise too_many_constants()
            ix = self._const_ix[key] = len(self.constants)
            self.constants.append(Constant(t, value))
        return ix

    def type(self, t: Type) -> int:
        ix = self._type_ix.get(t)
        if ix is None:
            if len(self.types) >= max_pool():
                raise too_many_types()
            ix = self._type_ix[t] = len(self.types)
            self.types.append(t)
        return ix


class Label:
    __slots__ = ("offset", "referenced")

    def __init__(self) -> None:
        self.offset: int | None = None
        self.referenced = False


@dataclass
class Assembler:
    """One function's code. Instructions emitted where control cannot arrive (after a return,
    fail or jump, before any label that is jumped to) are dropped, so no dead code is kept."""

    code: bytearray = field(default_factory=bytearray)
    reachable: bool = True
    _fixups: list[tuple[int, Label, str]] = field(default_factory=list)

    def emit(self, name: str, *operands: int | Label) -> None:
        if not self.reachable:
            return
        info = BY_NAME[name]
        kinds = info.operands
        if len(operands) != len(kinds):
            raise CompilerDefect(f"{name} takes {len(kinds)} operands, got {len(operands)}")
        code = self.code
        code.append(info.code)
        # The layout of `vm.opcodes.encode_instruction` (the opcode byte, then each operand
        # big-endian in its kind's width), written straight into the function's code: most
        # instructions have no operand or one, and a bytes object per instruction is waste.
        for kind, value in zip(kinds, operands):
            if isinstance(value, Label):
                if kind is not OperandKind.TARGET:
                    raise CompilerDefect(f"{name}: a label where {kind.label} belongs")
                value.referenced = True
                self._fixups.append((len(code), value, name))
                value = 0
            elif not 0 <= value < 1 << (8 * kind.width):
                raise CompilerDefect(f"{name}: operand {value} does not fit {kind.label} ({kind.width} bytes)")
            code += value.to_bytes(kind.width, "big")
        if info.ends_block and name not in ("JUMP_IF_FALSE", "JUMP_IF_TRUE"):
            self.reachable = False

    def place(self, label: Label) -> None:
        label.offset = len(self.code)
        self.reachable = self.reachable or label.referenced

    def finish(self) -> bytes:
        for at, label, name in self._fixups:
            if label.offset is None:
                raise CompilerDefect(f"{name} to a label never placed")
            self.code[at:at + 4] = label.offset.to_bytes(4, "big")
        return bytes(self.code)
