"""The translated code is a sandbox: nothing from the module reaches its source text, its globals
hold only the VM's own operations, it has no builtins, and no Python exception escapes a call."""

from __future__ import annotations

import ast as pyast
import types

import pytest

from dsl.pipeline import Compilation
from vm import types as T
from vm.errors import Abort
from vm.runtime import CallContext, MemoryHost
from vm.runtime.interpreter import hand_module
from vm.runtime import Machine
from vm.runtime.machine import walks
from vm.runtime import CallState
from vm.module import Constant
from vm.values import Money, Party
from vm.verify import verify
from tests.vm.conftest import CTX

HOSTILE = "'); __import__('os').system('echo pwned') #"
HOSTILE_NAME = "__import__"


def hostile_module():
    # A module whose names and texts are Python code: only data, wherever it travels.
    module = hand_module([("CONST", 0), ("CONST", 1), ("CONCAT", 2), ("RET",)], (), T.TEXT,
                         constants=(Constant(T.TEXT, HOSTILE), Constant(T.TEXT, "{__builtins__}")))
    fn = module.functions[0]
    renamed = type(fn)(HOSTILE_NAME, fn.params, fn.returns, fn.local_types, fn.code)
    return type(module)(module.kind, "os.system", module.doc, module.parties, module.types, module.state,
                        module.events, module.lifecycles, (renamed,), module.entries, module.constants,
                        module.type_pool)


def test_module_text_is_data_not_code():
    machine = Machine(verify(hostile_module()))
    assert machine.call("run", (), CTX, MemoryHost(), 10_000).value == HOSTILE + "{__builtins__}"
    assert HOSTILE not in machine.translation.source
    assert HOSTILE_NAME not in machine.translation.source
    assert "os.system" not in machine.translation.source


SAMPLE = '''
contract Sample

parties insurer, hospital

enum Status: Open, Closed

record Case:
    owner: Party
    amounts: List[Money]
    status: Status = Open

state:
    cases: Map[Text, Case]
    total: Money = 0.00 CNY

event Paid(id: Text, amount: Money)

lifecycle Case.status starts Open:
    Open -> Closed by insurer

action open_case(id: Text, amounts: List[Money]) by hospital:
    require id not in cases and len(amounts) > 0, "bad case {id}"
    cases[id] = Case(owner: caller, amounts: amounts)

action pay(id: Text) -> Money by insurer:
    let c = cases[id]
    let due = 0.00 CNY
    for a in c.amounts:
        if a > 100.00 CNY or a < 0.00 CNY:
            due += 100.00 CNY
        else:
            due += a
    total += due
    c.status = Closed
    cases[id] = c
    emit Paid(id, due)
    return due

view digest(id: Text) -> Hash:
    return sha256(text(cases[id].amounts) + cases[id].owner.org)
'''


def _sources():
    return [Machine(verify(hostile_module())).translation.source,
            Machine(verify(Compilation(SAMPLE).module)).translation.source]


ALLOWED_ATTRIBUTES = {"org", "id", "role"}  # PARTY_FIELD, chosen by the translator from a fixed tuple


@pytest.mark.parametrize("source", _sources())
def test_generated_source_names_only_what_the_translator_made(source):
    machine = Machine(verify(hostile_module()))
    runtime = set(machine._runtime) | set(walks(machine.types, machine.limits, CallState(machine.schema, MemoryHost(), "insurer", machine.limits))) | {"tag", "CALLER", "NOW", "TODAY", "TXID", "sload", "sstore", "sadd", "ssub",
                                        "mload", "mhas", "mget", "mstore", "mdelete", "madd", "msub", "mlen", "emit"}
    fixed = {"gas", "depth", "lim", "nlim", "b", "rv", "e"}
    tree = pyast.parse(source)
    for node in pyast.walk(tree):
        if isinstance(node, pyast.Name):
            ok = node.id in runtime or node.id in fixed or (node.id[0] in "slktf" and node.id[1:].isdigit())
            assert ok, f"unexpected name {node.id!r}"
        elif isinstance(node, pyast.Attribute):
            assert node.attr in ALLOWED_ATTRIBUTES, f"unexpected attribute {node.attr!r}"
        elif isinstance(node, pyast.Constant):
            # only small ints the translator chose (block ids, 0 in bounds tests), None, True
            assert node.value in (None, True) or (type(node.value) is int and 0 <= node.value < 100_000), node.value
        elif isinstance(node, pyast.arg):
            assert node.arg in fixed or node.arg[0] in "lk" and node.arg[1:].isdigit(), node.arg
        assert not isinstance(node, (pyast.Import, pyast.ImportFrom, pyast.Lambda, pyast.Global, pyast.Nonlocal,
                                     pyast.ClassDef, pyast.With, pyast.AsyncFunctionDef)), type(node).__name__


def test_globals_hold_no_builtins_and_no_modules():
    machine = Machine(verify(hostile_module()))
    g = dict(machine._runtime)
    assert g["__builtins__"] == {}
    assert not any(isinstance(v, types.ModuleType) for v in g.values())
    exec(compile(machine.translation.source, "<bao module>", "exec"), g)
    assert g["f0"].__globals__["__builtins__"] == {}
    with pytest.raises(NameError):
        eval("open", g)  # what generated code would see: no builtins at all


def test_a_stray_python_exception_becomes_an_internal_fault():
    module = hand_module([("LOAD", 0), ("LOAD", 1), ("ADD_MONEY",), ("RET",)], (T.MONEY, T.MONEY), T.MONEY)
    machine = Machine(verify(module))

    def broken(a, b):
        raise ZeroDivisionError("a defect inside a value operation")

    machine._runtime["money_add"] = broken
    with pytest.raises(Abort) as err:
        machine.call("run", (Money("CNY", 1), Money("CNY", 2)), CTX, MemoryHost(), 10_000)
    assert "internal VM fault" in err.value.message
    assert err.value.entry == "run" and 0 < err.value.gas_used <= 10_000


def test_an_abort_past_the_gas_limit_reads_as_out_of_gas():
    # Gas is tested at loop headers and returns; an abort raised while it is already spent must
    # still say "out of gas", as a per-instruction check would have.
    module = hand_module([("LOAD", 0), ("LOAD", 0), ("MUL_INT",), ("LOAD", 0), ("MUL_INT",), ("POP",),
                          ("CONST", 0), ("FAIL", 0)], (T.INT,), None, constants=(Constant(T.TEXT, "late"),))
    machine = Machine(verify(module))
    with pytest.raises(Abort, match="late"):
        machine.call("run", (3,), CTX, MemoryHost(), 1_000)
    with pytest.raises(Abort) as err:
        machine.call("run", (3,), CTX, MemoryHost(), 2)
    assert err.value.kind == "out-of-gas" and err.value.gas_used == 2


def test_the_sample_runs():
    machine = Machine(verify(Compilation(SAMPLE).module))
    host = MemoryHost()
    hospital = CallContext(Party("Ruijin", "r", "hospital"), CTX.timestamp_ms, bytes(32))
    host.apply(machine.deploy((), CTX, host, 100_000).writes)
    host.apply(machine.call("open_case", ("A", (Money("CNY", 5_000), Money("CNY", 50_000))), hospital, host,
                            100_000).writes)
    assert machine.call("pay", ("A",), CTX, host, 100_000).value == Money("CNY", 15_000)
