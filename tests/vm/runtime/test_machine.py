"""The machine's doors: who may call what, JSON arguments, deployment, results, limits."""

from __future__ import annotations

import dataclasses

import pytest

from dsl.pipeline import Compilation
from vm import types as T
from vm.errors import Abort, ValueFormError
from vm.gas import Limits
from vm.runtime import MemoryHost
from vm.runtime.interpreter import hand_module
from vm.runtime import CallResult, Machine
from vm.module import Constant, Function, Param
from vm.runtime.interpreter import assemble
from vm.values import Money, Party
from vm.verify import verify
from tests.vm.conftest import GAS, HOSPITAL, INSURER, ctx

SOURCE = '''
contract Doors

parties insurer, hospital

record Bill:
    amount: Money
    items: List[Text]

state:
    owner: Text = "nobody"
    seen: Map[Text, Int]

event Tick(n: Int)

init(owner_name: Text) by insurer:
    owner = owner_name

action set_owner(name: Text) by insurer:
    owner = name

action submit(bill: Bill, note: Text) -> Money by hospital:
    return bill.amount

view who() -> Text:
    return owner

view by_hospital() -> Text by hospital:
    return caller.org

action ticks(n: Int) by insurer:
    for i in range(0, n):
        emit Tick(i)

action mark(n: Int) by insurer:
    for i in range(0, n):
        seen[text(i)] = i

action grow(n: Int) -> Int by insurer:
    let xs: List[Int] = []
    for i in range(0, n):
        xs.append(i)
    return len(xs)

action long_text(n: Int) -> Int by insurer:
    let s = ""
    for i in range(0, n):
        s = s + "0123456789"
    return len(s)

action big_note(n: Int) by insurer:
    let s = ""
    for i in range(0, n):
        s = s + "0123456789"
    owner = s
'''

OUTSIDER = Party("Nobody", "x", "tester")


@pytest.fixture(scope="module")
def verified():
    return verify(Compilation(SOURCE).module)


@pytest.fixture(scope="module")
def machine(verified) -> Machine:
    return Machine(verified)


@pytest.fixture
def host(machine) -> MemoryHost:
    h = MemoryHost()
    h.apply(machine.deploy(("PICC",), ctx(INSURER), h, GAS).writes)
    return h


class CountingHost(MemoryHost):
    """A host that counts the reads it serves."""

    __slots__ = ("touched",)

    def __init__(self, inner: MemoryHost):
        super().__init__(dict(inner.items()))
        self.touched = 0

    def get(self, key):
        self.touched += 1
        return super().get(key)


# -- who may call -------------------------------------------------------------------------------------

def test_a_role_outside_by_is_refused_before_the_body_runs(machine, host):
    with pytest.raises(Abort) as err:
        machine.call("set_owner", ("x",), ctx(HOSPITAL), host, GAS)
    assert err.value.message == "not authorized: hospital may not call set_owner"
    assert err.value.kind == "not-authorized" and err.value.gas_used == 0 and err.value.entry == "set_owner"


def test_views_without_by_admit_any_party_but_no_outsider(machine, host):
    assert machine.call("who", (), ctx(HOSPITAL), host, GAS).value == "PICC"
    with pytest.raises(Abort, match="not authorized: tester may not call who"):
        machine.call("who", (), ctx(OUTSIDER), host, GAS)
    assert machine.call("who", (), ctx(OUTSIDER), host, GAS, check_roles=False).value == "PICC"


def test_a_view_with_by_checks_it(machine, host):
    assert machine.call("by_hospital", (), ctx(HOSPITAL), host, GAS).value == "Ruijin"
    with pytest.raises(Abort, match="not authorized: insurer may not call by_hospital"):
        machine.call("by_hospital", (), ctx(INSURER), host, GAS)


def test_unknown_entries_and_init_are_not_callable(machine, host):
    with pytest.raises(Abort, match="no action or view named nope"):
        machine.call("nope", (), ctx(INSURER), host, GAS)
    with pytest.raises(Abort, match="only when the contract is deployed"):
        machine.call("init", ("x",), ctx(INSURER), host, GAS)


def test_deploy_runs_init_under_its_by(machine):
    h = MemoryHost()
    with pytest.raises(Abort, match="not authorized: hospital may not call init"):
        machine.deploy(("X",), ctx(HOSPITAL), h, GAS)
    h.apply(machine.deploy_json(["Ping An"], ctx(INSURER), h, GAS).writes)
    assert machine.call("who", (), ctx(INSURER), h, GAS).value == "Ping An"


@pytest.mark.parametrize("init", ["init() by anyone:\n    n = 1\n", ""])
def test_deploy_by_anyone_admits_the_contracts_parties_only(init: str) -> None:
    # LANGUAGE.md section 3: `by anyone` admits any caller holding one of the contract's party
    # roles; an init without `by` (or none at all) is `anyone`.
    source = "contract T\nparties insurer, hospital\nstate:\n    n: Int = 0\n" + init
    m = Machine(verify(Compilation(source).module))
    with pytest.raises(Abort, match="not authorized: tester may not call init"):
        m.deploy((), ctx(OUTSIDER), MemoryHost(), GAS)
    m.deploy((), ctx(HOSPITAL), MemoryHost(), GAS)


def test_deploy_defaults_writes_the_initial_values_only(machine):
    h = MemoryHost()
    h.apply(machine.deploy_defaults(ctx(OUTSIDER), h, GAS).writes)
    assert machine.call("who", (), ctx(INSURER), h, GAS).value == "nobody"


# -- JSON arguments -------------------------------------------------------------------------------------

def test_json_arguments_by_position_and_by_name(machine, host):
    bill = {"amount": "12.50 CNY", "items": ["x-ray"]}
    r1 = machine.call_json("submit", [bill, "n"], ctx(HOSPITAL), host, GAS)
    r2 = machine.call_json("submit", {"note": "n", "bill": bill}, ctx(HOSPITAL), host, GAS)
    assert r1 == r2 and r1.value == Money("CNY", 1250)


@pytest.mark.parametrize("args, words", [
    ([{"amount": "12.5.0 CNY", "items": []}, "n"], "argument bill.amount"),
    ([{"amount": "12.50 CNY", "items": [3]}, "n"], "argument bill.items"),
    ([{"amount": "12.50 CNY", "items": []}, 5], "argument note"),
    ([{"amount": "12.50 CNY", "items": []}], "takes 2 arguments, got 1"),
    ({"bill": {"amount": "1.00 CNY", "items": []}}, "argument note is missing"),
    ({"bill": {"amount": "1.00 CNY", "items": []}, "note": "n", "extra": 1}, "no parameter extra"),
])
def test_json_misfits_name_the_parameter_before_any_gas_or_state(machine, host, args, words):
    counting = CountingHost(host)
    with pytest.raises(ValueFormError, match=words):
        machine.call_json("submit", args, ctx(HOSPITAL), counting, GAS)
    assert counting.touched == 0


# -- results -------------------------------------------------------------------------------------------

def test_results_are_deterministic(machine, host):
    a = machine.call("mark", (20,), ctx(INSURER), host, GAS)
    b = machine.call("mark", (20,), ctx(INSURER), host, GAS)
    c = Machine(verify(Compilation(SOURCE).module)).call("mark", (20,), ctx(INSURER), host, GAS)
    assert isinstance(a, CallResult) and a == b == c and a.gas_used > 0


def test_the_event_json_names_fields(machine, host):
    result = machine.call("ticks", (2,), ctx(INSURER), host, GAS)
    assert [machine.event_json(e) for e in result.events] == [
        {"event": "Tick", "fields": {"n": 0}}, {"event": "Tick", "fields": {"n": 1}}]
    assert machine.entry("submit").returns == T.MONEY


# -- limits --------------------------------------------------------------------------------------------

def limited(verified, **kw) -> Machine:
    return Machine(verified, Limits(**kw))


@pytest.mark.parametrize("entry, n, limits, words", [
    ("ticks", 5, {"events": 4}, "at most 4 events"),
    ("mark", 5, {"writes": 4}, "at most 4 state entries"),
    ("grow", 6, {"collection_length": 5}, "longer than 5"),
    ("long_text", 3, {"text_length": 25}, "longer than 25"),
    ("big_note", 10, {"value_size": 95}, "larger than 95"),
])
def test_each_limit_aborts_with_kind_limit(verified, host, entry, n, limits, words):
    machine = limited(verified, **limits)
    machine.call(entry, (n - 1,), ctx(INSURER), host, GAS)  # just inside the limit
    with pytest.raises(Abort, match=words) as err:
        machine.call(entry, (n,), ctx(INSURER), host, GAS)
    assert err.value.kind == "limit"


def _countdown(depth_limit: int) -> Machine:
    # f(n) = 0 if n == 0 else f(n - 1): recursion the compiler would also allow
    body = assemble([("LOAD", 0), ("CONST", 0), ("EQ", 0), ("JUMP_IF_FALSE", "more"), ("CONST", 0), ("RET",),
                     "more", ("LOAD", 0), ("CONST", 1), ("SUB_INT",), ("CALL", 1), ("RET",)])
    rec = Function("down", (Param("n", T.INT),), T.INT, (T.INT,), body)
    module = hand_module([("LOAD", 0), ("CALL", 1), ("RET",)], (T.INT,), T.INT,
                         constants=(Constant(T.INT, 0), Constant(T.INT, 1)), type_pool=(T.INT,), helpers=(rec,))
    return Machine(verify(module), Limits(call_depth=depth_limit))


def test_call_depth_is_limited():
    machine = _countdown(10)
    assert machine.call("run", (8,), ctx(INSURER), MemoryHost(), GAS).value == 0  # 1 + 9 frames
    with pytest.raises(Abort, match="call depth exceeded") as err:
        machine.call("run", (9,), ctx(INSURER), MemoryHost(), GAS)
    assert err.value.kind == "limit"


def test_a_result_larger_than_the_value_limit_aborts(machine, verified, host):
    host.apply(machine.call("set_owner", ("x" * 60,), ctx(INSURER), host, GAS).writes)  # no limit here
    small = limited(verified, value_size=40)
    with pytest.raises(Abort, match="the result is larger than 40 bytes") as err:
        small.call("who", (), ctx(INSURER), host, GAS)
    assert err.value.kind == "limit"
    assert limited(verified, value_size=80).call("who", (), ctx(INSURER), host, GAS).value == "x" * 60


def test_only_verified_modules_run(verified):
    with pytest.raises(TypeError, match="verified"):
        Machine(verified.module)



@pytest.mark.parametrize("machine", ["translator", "reference"])
def test_optional_state_reads_none_until_written_and_a_map_entry_keeps_none(machine: str) -> None:
    from vm.module import StateVar, decode_module, encode_module
    from vm.runtime.interpreter import ReferenceMachine

    opt = T.OptionalType(T.DATE)
    state = (StateVar(0, "due", opt), StateVar(1, "dues", T.MapType(T.TEXT, opt)))
    # run(d: Date?) stores d in `due` and under "k" in `dues`; the views read `due` and whether
    # "k" is in `dues` (an entry holding none is there: it stays until deleted)
    program = [("LOAD", 0), ("SSTORE", 0), ("CONST", 0), ("LOAD", 0), ("MSTORE", 1), ("RET_VOID",)]
    module = hand_module(program, (opt,), None, state=state, constants=(Constant(T.TEXT, "k"),),
                         type_pool=(opt,))
    program = [("SLOAD", 0), ("RET",)]
    read = Function("read", (), opt, (), assemble(program))
    program = [("CONST", 0), ("MHAS", 1), ("RET",)]
    has = Function("has", (), T.BOOL, (), assemble(program))
    from vm.module import Entry
    module = dataclasses.replace(module, functions=module.functions + (read, has), entries=module.entries + (
        Entry("read", "view", 1, (), True), Entry("has", "view", 2, (), True)))
    assert decode_module(encode_module(module)) == module  # T? crosses the module codec
    m = (Machine if machine == "translator" else ReferenceMachine)(verify(module))
    host = MemoryHost()
    seen = [m.call("read", (), ctx(INSURER), host, GAS).value, m.call("has", (), ctx(INSURER), host, GAS).value]
    for d in (739007, None):
        host.apply(m.call("run", (d,), ctx(INSURER), host, GAS).writes)
        seen += [m.call("read", (), ctx(INSURER), host, GAS).value, m.call("has", (), ctx(INSURER), host, GAS).value]
    assert seen == [None, False, 739007, True, None, True]
