"""The opcode table is the single source for the compiler, verifier, interpreter, translator and
disasm: these tests keep it self-consistent, and keep an opcode's meaning in its row."""

from __future__ import annotations

import ast
import re

import pytest

from vm.gas import Limits
from vm.opcodes import (
    BY_CODE, BY_NAME, MAX_CALL_DEPTH, OPCODES, WRITES_STATE, Impl, Op, OperandKind, TruncatedCode, TypeRule,
    decode_instructions, encode_instruction, operator_opcodes,
)
from vm.runtime import CallState, Machine, MemoryHost
from vm.runtime.interpreter import CUSTOM_SEMANTICS, dispatch_table, hand_module
from vm.runtime.machine import walks
from vm.translate.emit import CUSTOM_EMITTERS, EMITTERS
from vm.verify import verify
from tests.vm.conftest import ROOT

_PATTERN = re.compile(r"^(Int|Decimal|Money|Percent|Date|Duration|Timestamp|Text|Bool|Hash|Party"
                      r"|T|E|K|V|F|I|S|SK|SV|C|L|A|B|List\[[A-Z][A-Za-z]*\])$")


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
    if symbols & {"T", "E", "K", "V", "F", "I"} or any("[" in s and "[T]" in s for s in symbols):
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


# -- an opcode's meaning lives in its row ------------------------------------------------------------

def _machine() -> Machine:
    return Machine(verify(hand_module([("RET_VOID",)])))


def _runtime_names() -> tuple[set[str], set[str]]:
    """(names translated code and the interpreter may call, methods of a call's state)."""
    machine = _machine()
    state = CallState(machine.schema, MemoryHost(), "insurer", machine.limits)
    names = set(machine._runtime) | set(walks(machine.types, machine.limits, state))
    return names, {n for n in dir(state) if not n.startswith("_")}


def test_the_interpreter_and_the_translator_dispatch_from_the_table() -> None:
    names = {op.name for op in OPCODES}
    custom = {op.name for op in OPCODES if op.impl is Impl.CUSTOM}
    assert set(EMITTERS) == names
    assert set(dispatch_table(_machine()._runtime)) == names
    # Hand-written code only where the row cannot say it: no second copy of a derived opcode.
    assert set(CUSTOM_EMITTERS) == custom
    assert set(CUSTOM_SEMANTICS) == custom


@pytest.mark.parametrize("op", [op for op in OPCODES if op.impl is not Impl.CUSTOM], ids=lambda op: op.name)
def test_a_derived_row_names_only_what_the_runtime_has(op) -> None:
    runtime, state_methods = _runtime_names()
    if op.impl is Impl.STATE:
        assert op.helper in state_methods
    elif op.impl is Impl.METERED:
        assert op.helper in runtime
    else:
        expr = ast.parse(op.expr.format(a="a", b="b", t="t"), mode="eval")
        used = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
        operands = {"a", "b"}.intersection(used)
        assert len(operands) == len(op.pops), f"{op.name}: {op.expr} does not use each operand once"
        assert used - {"a", "b", "t"} <= runtime
        assert "t" not in used or OperandKind.TYPE in op.operands


# Places outside the table that name an opcode the table carries out (not CUSTOM), and why.
_NAMED_FOR_ANALYSIS = {
    ("vm/translate/writer.py", "ADD_INT"),  # a `for` loop's step (LOAD i, CONST 1, ADD_INT) skips its overflow test
    ("vm/verify/function.py", "CONCAT"),  # an operand rule: CONCAT of no texts is refused
}


def test_no_opcode_is_given_meaning_outside_the_table() -> None:
    root = ROOT
    derived = {op.name for op in OPCODES if op.impl is not Impl.CUSTOM}
    found = set()
    for path in sorted((root / "vm").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel == "vm/opcodes.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and node.value in derived:
                found.add((rel, node.value))
    assert found == _NAMED_FOR_ANALYSIS


def test_gas_per_element_is_charged_by_the_row() -> None:
    make = encode_instruction("MAKE_LIST", 0, 7)
    ins = decode_instructions(make)[0]
    assert ins.op.base_gas(ins.operands) == ins.op.gas + 7 * ins.op.gas_per_element
    assert {op.name for op in OPCODES if op.gas_per_element} == {"MAKE_LIST", "MAKE_MAP"}


def test_the_write_set_and_the_operator_table_come_from_the_rows() -> None:
    assert WRITES_STATE == {"SSTORE", "SADD", "SSUB", "MSTORE", "MDELETE", "MADD", "MSUB", "EMIT"}
    table = operator_opcodes()
    assert table[("*", ("Int", "Money"))] == (BY_NAME["MUL_MONEY_INT"], True)
    assert table[("+", ("Money", "Money"))] == (BY_NAME["ADD_MONEY"], False)
    assert table[("-", ("Duration",))] == (BY_NAME["NEG_DUR"], False)
    assert ("<", ("T", "T")) not in table  # comparisons take their type from the operand
    assert Limits().call_depth == MAX_CALL_DEPTH
