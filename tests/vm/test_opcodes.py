"""The opcode table is the single source for the compiler, verifier, block translator and
disasm: these tests keep it self-consistent."""

from __future__ import annotations

import re

import pytest

from vm.opcodes import (
    BY_CODE, BY_NAME, OPCODES, Op, OperandKind, TruncatedCode, TypeRule, decode_instructions,
    encode_instruction,
)

_PATTERN = re.compile(r"^(Int|Decimal|Money|Percent|Date|Duration|Timestamp|Text|Bool|Hash|Party"
                      r"|T|E|K|V|F|S|SK|SV|C|L|A|B|List\[[A-Z][A-Za-z]*\])$")


def test_names_and_numbers_are_unique() -> None:
    assert len({op.name for op in OPCODES}) == len(OPCODES)
    assert len({op.code for op in OPCODES}) == len(OPCODES)
    assert all(0 < op.code < 256 for op in OPCODES)
    assert BY_NAME["ADD_INT"].code == Op.ADD_INT


@pytest.mark.parametrize("op", OPCODES, ids=lambda op: op.name)
def test_each_opcode_is_described_consistently(op) -> None:
    assert op.name.isupper() and op.doc.strip()
    assert op.gas > 0
    for pattern in op.pops + op.pushes:
        assert _PATTERN.match(pattern), pattern
    symbols = set(op.pops + op.pushes)
    if symbols & {"T", "E", "K", "V", "F"} or any("[" in s and "[T]" in s for s in symbols):
        assert OperandKind.TYPE in op.operands
    if symbols & {"S", "SK", "SV"}:
        assert OperandKind.STATE in op.operands
    if OperandKind.FIELD in op.operands:
        assert op.rule is TypeRule.RECORD
    if OperandKind.TYPE in op.operands or OperandKind.STATE in op.operands:
        assert op.rule is not None
    if op.variadic:
        assert op.pops == () and op.pushes == ()
    # A bound "A"/"B" must first appear among the pops, else nothing binds it.
    for sym in ("A", "B"):
        if sym in op.pushes:
            assert sym in op.pops


def test_terminators_are_exactly_the_control_transfers() -> None:
    terminators = {op.name for op in OPCODES if op.ends_block}
    assert terminators == {"JUMP", "JUMP_IF_FALSE", "JUMP_IF_TRUE", "RET", "RET_VOID", "FAIL"}
    assert all(OperandKind.TARGET in BY_NAME[n].operands for n in ("JUMP", "JUMP_IF_FALSE", "JUMP_IF_TRUE"))
    assert not any(OperandKind.TARGET in op.operands for op in OPCODES if not op.ends_block)


def test_encode_then_decode_gives_the_instructions_back() -> None:
    code = (encode_instruction("CONST", 513) + encode_instruction("FIELD", 7, 3)
            + encode_instruction("JUMP", 70000) + encode_instruction("RET"))
    ins = decode_instructions(code)
    assert [(i.offset, i.op.name, i.operands) for i in ins] == [
        (0, "CONST", (513,)), (3, "FIELD", (7, 3)), (7, "JUMP", (70000,)), (12, "RET", ())]
    assert ins[-1].end == len(code)


def test_operands_are_checked_when_encoding() -> None:
    with pytest.raises(ValueError):
        encode_instruction("CONST")
    with pytest.raises(ValueError):
        encode_instruction("FIELD", 1, 256)


def test_decoding_rejects_unknown_and_cut_off_instructions() -> None:
    unused = next(c for c in range(256) if c not in BY_CODE)
    with pytest.raises(TruncatedCode, match="unknown opcode"):
        decode_instructions(bytes([unused]))
    with pytest.raises(TruncatedCode, match="cut off"):
        decode_instructions(encode_instruction("CONST", 1)[:2])
