"""The compiler's back end: module-wide pools (constants, types) and a per-function assembler
with labels. Instructions are encoded through `vm.opcodes.encode_instruction`, so the table
stays the only place that knows an opcode's number and operands."""

from __future__ import annotations

from dataclasses import dataclass, field

from vm.module import Constant
from vm.opcodes import BY_NAME, OperandKind, encode_instruction
from vm.types import Type


class CompilerDefect(Exception):
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
            ix = self._const_ix[key] = len(self.constants)
            self.constants.append(Constant(t, value))
        return ix

    def type(self, t: Type) -> int:
        ix = self._type_ix.get(t)
        if ix is None:
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
        plain: list[int] = []
        for kind, value in zip(info.operands, operands):
            if isinstance(value, Label):
                if kind is not OperandKind.TARGET:
                    raise CompilerDefect(f"{name}: a label where {kind.label} belongs")
                value.referenced = True
                self._fixups.append((len(self.code) + 1, value, name))  # jumps have one operand
                plain.append(0)
            else:
                plain.append(value)
        self.code += encode_instruction(name, *plain)
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
