"""The translator against the reference interpreter on the hostile classes of issue 14: values
that share parts, flat big collections and deep nesting (`hostile_programs`), bench/gas.py's
programs, and modules made from those by mutating their code. translate/test_differential.py does the
same for integer programs drawn at the bytecode level; `assert_agree` (test_gas_bounds.py) is
the rule: one outcome, and abort gas apart only by the block charging vm/gas.py documents.
"""

from __future__ import annotations

import dataclasses
import importlib.util
from functools import lru_cache

import pytest
from hypothesis import given, settings, strategies as st

from dsl.pipeline import Compilation
from tests.vm.runtime.hostile_programs import CTX, SHAPES, ops_for, outcome, program
from tests.vm.runtime.test_gas_bounds import assert_agree, assert_no_fault, block_slack
from vm import types as T
from vm.values.encoding import encode_value
from vm.errors import Abort, VerifyError
from vm.runtime import MemoryHost
from vm.runtime.interpreter import ReferenceMachine
from vm.values.keys import encode_key
from vm.runtime import Machine
from vm.module import map_prefix
from vm.opcodes import BY_NAME, OPCODES, decode_instructions, encode_instruction
from vm.verify import verify
from tests.vm.conftest import ROOT

_SAME_SHAPE: dict = {}
for _op in OPCODES:
    _SAME_SHAPE.setdefault(_op.operands, []).append(_op.name)


@lru_cache(maxsize=64)
def _compiled(source: str):
    return Compilation(source).module


@st.composite
def mutated_hostile_modules(draw):
    """A hostile program's module with one to three instructions of one function damaged (another
    opcode of the same operand shape, a small operand, two instructions of one size swapped),
    when the verifier still accepts it: shapes of code the compiler never emits."""
    shape = draw(st.sampled_from(sorted(SHAPES)))
    ops = tuple(draw(st.lists(st.sampled_from(sorted(ops_for(SHAPES[shape]))), min_size=1, max_size=3)))
    module = _compiled(program(shape, draw(st.integers(1, 4)), ops, draw(st.booleans())).source)
    ix = draw(st.integers(0, len(module.functions) - 1))
    code = [[ins.op.name, list(ins.operands)] for ins in decode_instructions(module.functions[ix].code)]
    for _ in range(draw(st.integers(1, 3))):
        j = draw(st.integers(0, len(code) - 1))
        name, operands = code[j]
        how = draw(st.sampled_from(["opcode", "operand", "swap"]))
        if how == "opcode":
            code[j][0] = draw(st.sampled_from(_SAME_SHAPE[BY_NAME[name].operands]))
        elif how == "operand" and operands:
            operands[draw(st.integers(0, len(operands) - 1))] = draw(st.integers(0, 12))
        else:
            k = draw(st.integers(0, len(code) - 1))
            if BY_NAME[code[k][0]].size == BY_NAME[name].size:
                code[j], code[k] = code[k], code[j]
    functions = list(module.functions)
    functions[ix] = dataclasses.replace(functions[ix], code=b"".join(encode_instruction(n, *o) for n, o in code))
    try:
        return verify(dataclasses.replace(module, functions=tuple(functions)))
    except VerifyError:
        return None


# Most mutants are refused by the verifier (about 7 in 10), so three times the profile's examples.
@settings(max_examples=3 * settings.default.max_examples)
@given(mutated_hostile_modules(), st.sampled_from([0, 2, 5, 15, 16]), st.sampled_from([2_000, 50_000]))
def test_mutated_hostile_modules_run_alike(verified, steps, gas_limit):
    if verified is None:
        return  # refused: verify/test_verifier.py holds the refusals to VerifyError
    a = outcome(Machine(verified), "run", (steps,), gas_limit)
    b = outcome(ReferenceMachine(verified), "run", (steps,), gas_limit)
    assert_no_fault(a)
    assert_no_fault(b)
    assert_agree(a, b, gas_limit, block_slack(verified.module))


def _bench():
    spec = importlib.util.spec_from_file_location("bench_gas_programs", ROOT / "bench" / "gas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BENCH = _bench()
BENCH_VERIFIED = verify(Compilation(BENCH.SOURCE).module)
BENCH_CALLS = [(entry, args) for _, entry, args in BENCH.PROGRAMS]


def _small(entry: str, args: tuple) -> list[tuple]:
    if entry.startswith("shared_") and len(args) == 1:
        return [(2,), (3,), (14,)]
    if entry == "deep":
        return [(15,), (16,), (10_000,)]
    if entry == "read_back":
        return [(2,)]
    return [tuple(min(a, 200) if i == 0 else min(a, 3) for i, a in enumerate(args))]


@pytest.mark.parametrize(("entry", "args"), BENCH_CALLS, ids=[e for e, _ in BENCH_CALLS])
def test_bench_programs_run_alike(entry, args):
    jit, ref = Machine(BENCH_VERIFIED), ReferenceMachine(BENCH_VERIFIED)
    for small in _small(entry, args):
        for gas_limit in (3_000, 400_000):
            hosts = []
            for m in (jit, ref):
                host = MemoryHost()
                if entry == "read_back":
                    host.apply(m.call("fill", (200,), BENCH.CTX, host, 10**7).writes)
                hosts.append(host)
            a = outcome(jit, entry, small, gas_limit, hosts[0])
            b = outcome(ref, entry, small, gas_limit, hosts[1])
            assert_no_fault(a)
            assert_agree(a, b, gas_limit, block_slack(BENCH_VERIFIED.module))


# -- known differences ---------------------------------------------------------------------------

RECURSION = '''contract R

parties runner

fn down(k: Int) -> Int:
    if k == 0:
        return 0
    return down(k - 1) + 1

view run(k: Int) -> Int:
    return down(k)
'''


def test_call_depth_abort_reads_the_same_on_both_machines():
    verified = verify(Compilation(RECURSION).module)
    a = outcome(Machine(verified), "run", (70,), 10**6)
    b = outcome(ReferenceMachine(verified), "run", (70,), 10**6)
    assert a["abort"] == b["abort"] == "limit"
    assert a["message"] == b["message"]


STORED = '''contract S

parties runner

record Node:
    kids: List[Node]

state:
    kept: Map[Int, Node]

view read() -> Int:
    return len(kept[1].kids)
'''


def _ended(machine, host) -> tuple:
    try:
        return ("value", machine.call("read", (), CTX, host, 10**6).value)
    except Abort as exc:
        return ("abort", exc.kind, exc.message)
    except Exception as exc:  # noqa: BLE001 - the point: what escapes, and whether both agree
        return ("raised", type(exc).__name__, str(exc))


def test_a_value_nested_too_deep_in_state_ends_a_call_alike_on_both_machines():
    verified = verify(Compilation(STORED).module)
    node: tuple = ((),)
    for _ in range(16):  # 2 + 2 * 16 = 34 levels
        node = ((node,),)
    host = MemoryHost({map_prefix(0) + encode_key(T.INT, 1): encode_value(T.RecordType("Node"), node,
                                                                        verified.module.types)})
    a = _ended(Machine(verified), host)
    b = _ended(ReferenceMachine(verified), host)
    assert a == b
    assert a[:2] != ("abort", "internal"), a


# -- composite map keys ---------------------------------------------------------------------------

COMPOSITE = """\
contract Composite
parties runner
record Cell:
    line: Text
    premium: Money
state:
    by_tuple: Map[(Text, Int), Int]
    by_record: Map[Cell, Int]
action add(p: Text, y: Int, cur: Bool) by runner:
    by_tuple[(p, y)] = by_tuple.get((p, y), 0) + 1
    let c = Cell(line: p, premium: 1.00 USD if cur else 1.00 CNY)
    by_record[c] = by_record.get(c, 0) + y
view listed() -> List[Text] by runner:
    let out: List[Text] = []
    for k, n in by_tuple:
        out.append("{k[0]}|{k[1]}|{n}")
    for c, n in by_record:
        out.append("{c}|{n}")
    return out
"""
COMPOSITE_VERIFIED = verify(Compilation(COMPOSITE).module)


def _run_calls(machine, calls: list) -> list:
    """Each `add` (its writes kept), then `listed`: what the calls return or abort with, in order."""
    host, seen = MemoryHost(), []
    for entry, args in [*(("add", c) for c in calls), ("listed", ())]:
        try:
            r = machine.call(entry, args, CTX, host, 10**6)
        except Abort as exc:
            seen.append(("abort", exc.kind, exc.message))
            continue
        host.apply(r.writes)
        seen.append(("ok", r.value, r.gas_used))
    return seen


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.text("ab\x00é", max_size=3), st.integers(-300, 300), st.booleans()), max_size=6))
def test_composite_keys_run_alike(calls):
    jit = _run_calls(Machine(COMPOSITE_VERIFIED), calls)
    assert jit == _run_calls(ReferenceMachine(COMPOSITE_VERIFIED), calls)
    assert all(r[0] == "ok" for r in jit), jit
    listed = jit[-1][1]
    tuples = [x for x in listed if x.count("|") == 2]
    assert tuples == sorted(tuples, key=lambda x: (x.split("|")[0], int(x.split("|")[1])))
