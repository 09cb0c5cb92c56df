"""The assembler writes instructions itself (not through `vm.opcodes.encode_instruction`): its
bytes must be exactly the table's encoding, its labels patched, its misuse refused."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dsl.codegen.assembler import Assembler, CompilerDefect, Label
from vm.opcodes import OPCODES, OperandKind, decode_instructions, encode_instruction


@st.composite
def instructions(draw) -> tuple[str, tuple[int, ...]]:
    info = draw(st.sampled_from(OPCODES))
    operands = tuple(draw(st.integers(0, (1 << (8 * k.width)) - 1)) for k in info.operands)
    return info.name, operands


@given(st.lists(instructions(), min_size=1, max_size=20))
def test_emitted_bytes_are_the_tables_encoding(program: list[tuple[str, tuple[int, ...]]]) -> None:
    asm = Assembler()
    expected = b""
    for name, operands in program:
        asm.reachable = True  # emit everything, even after a jump or return
        asm.emit(name, *operands)
        expected += encode_instruction(name, *operands)
    assert asm.finish() == expected


def test_every_opcode_at_its_operand_limits() -> None:
    for info in OPCODES:
        for pick in (0, -1):
            operands = [(0, (1 << (8 * k.width)) - 1)[pick] for k in info.operands]
            asm = Assembler()
            asm.emit(info.name, *operands)
            assert asm.finish() == encode_instruction(info.name, *operands), info.name


def test_labels_are_patched_forward_and_backward() -> None:
    asm = Assembler()
    back, ahead = Label(), Label()
    asm.place(back)
    asm.emit("LOAD", 3)
    asm.emit("JUMP_IF_FALSE", ahead)
    asm.emit("JUMP", back)
    asm.place(ahead)
    asm.emit("RET_VOID")
    code = asm.finish()
    jumps = [i for i in decode_instructions(code) if i.op.operands == (OperandKind.TARGET,)]
    assert [(i.op.name, i.operands[0]) for i in jumps] == [("JUMP_IF_FALSE", len(code) - 1), ("JUMP", 0)]


def test_code_after_a_return_is_dropped_until_a_jumped_to_label() -> None:
    asm = Assembler()
    target = Label()
    asm.emit("JUMP_IF_TRUE", target)
    asm.emit("RET_VOID")
    asm.emit("LOAD", 1)  # unreachable: dropped
    asm.place(Label())  # never jumped to: still unreachable
    asm.emit("LOAD", 2)  # dropped
    asm.place(target)
    asm.emit("LOAD", 3)
    code = asm.finish()
    jump = encode_instruction("JUMP_IF_TRUE", len(encode_instruction("JUMP_IF_TRUE", 0)) + 1)
    assert code == jump + encode_instruction("RET_VOID") + encode_instruction("LOAD", 3)


@pytest.mark.parametrize("name, operands, says", [
    ("LOAD", (), "takes 1 operands, got 0"),
    ("RET_VOID", (1,), "takes 0 operands, got 1"),
    ("LOAD", (1 << 16,), "does not fit local"),
    ("LOAD", (-1,), "does not fit local"),
    ("LOAD", (Label(),), "a label where local belongs"),
])
def test_misuse_is_a_compiler_defect(name: str, operands: tuple, says: str) -> None:
    with pytest.raises(CompilerDefect, match=says):
        Assembler().emit(name, *operands)


def test_a_jump_to_a_label_never_placed_is_a_compiler_defect() -> None:
    asm = Assembler()
    asm.emit("JUMP", Label())
    with pytest.raises(CompilerDefect, match="never placed"):
        asm.finish()
