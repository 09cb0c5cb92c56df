"""The disassembler lists a module's ABI and code with operands decoded through its tables."""

from __future__ import annotations

import re

from dsl.pipeline import Compilation
from vm.disasm import disassemble
from vm.module import Function
from vm.opcodes import BY_NAME

SOURCE = """contract C
\"\"\"Doc.\"\"\"
parties a, b
enum S: On, Off
record R:
    s: S = On
lifecycle R.s starts On:
    On -> Off by a
state:
    total: Money = 0.00 CNY
    rs: Map[Text, R]
event Paid(amount: Money)
action pay(x: Money) -> Money by a, b:
    total += x
    rs["k"].s = Off
    emit Paid(x)
    return total
"""


def test_listing_shows_abi_and_decoded_operands() -> None:
    m = Compilation(SOURCE).module
    text = disassemble(m)
    assert text.startswith("contract C\n")
    assert "parties: a, b" in text
    assert "state 0: total: Money" in text and "event 0: Paid(amount: Money)" in text
    assert "lifecycle R field 0 (S) starts On" in text and "On -> Off by a" in text
    assert "  default R.s = S.On\n" in text
    assert "action pay(x: Money) -> Money  by a, b" in text
    assert re.search(r"SADD\s+0\s+; total", text)
    assert re.search(r"CONST\s+\d+\s+; S\.Off", text)
    assert re.search(r"CONST\s+\d+\s+; 0\.00 CNY : Money", text)
    assert re.search(r"SET_FIELD\s+\d+ 0\s+; R, s", text)
    assert re.search(r"EMIT\s+0\s+; Paid", text)
    assert "init()  by anyone" in text


def test_every_instruction_of_every_function_is_listed_once() -> None:
    m = Compilation(SOURCE).module
    text = disassemble(m)
    from vm.opcodes import decode_instructions

    total = sum(len(decode_instructions(f.code)) for f in m.functions)
    listed = [line for line in text.splitlines() if re.match(r"^\s+\d+  [A-Z_]+", line)]
    assert len(listed) == total


def test_damaged_code_is_reported_not_raised() -> None:
    import dataclasses

    m = Compilation(SOURCE).module
    bad = Function("broken", (), None, (), bytes([BY_NAME["CONST"].code, 0]))
    junk = dataclasses.replace(m, functions=m.functions + (bad,))
    assert "<undecodable code" in disassemble(junk)
    wild = Function("wild", (), None, (), bytes([BY_NAME["CONST"].code, 0xFF, 0xFF]))
    assert "CONST          65535" in disassemble(dataclasses.replace(m, functions=(wild,)))
