"""State through the machine: the overlay, reads and writes, aborts that leave nothing, gas
running out mid-loop, and lifecycle rules (LANGUAGE.md section 3) on every way into state."""

from __future__ import annotations

import pytest

from dsl.pipeline import Compilation
from vm.errors import Abort
from vm.runtime import Event, MemoryHost
from vm.runtime import Machine
from vm.module import map_prefix, state_key
from vm.opcodes import decode_instructions
from vm.runtime import Delta
from vm.values import Money, Party, encode_key, encode_value
from vm import types as T
from vm.verify import verify
from tests.vm.conftest import GAS, HOSPITAL, INSURER, cny, ctx

SOURCE = '''
contract Claims

parties insurer, hospital, regulator

enum Status: Open, Approved, Paid, Rejected

record Claim:
    amount: Money
    status: Status = Open

state:
    claims: Map[Text, Claim]
    history: List[Claim]
    total: Money = 0.00 CNY
    count: Int = 0
    paid: Map[Text, Money]

event Filed(id: Text, amount: Money)

lifecycle Claim.status starts Open:
    Open -> Approved by insurer
    Open, Approved -> Rejected by insurer, regulator
    Approved -> Paid by insurer

action file(id: Text, amount: Money) by hospital:
    require id not in claims, "claim {id} exists"
    claims[id] = Claim(amount: amount)
    total += amount
    count += 1
    emit Filed(id, amount)

action file_as(id: Text, c: Claim) by hospital:
    claims[id] = c

action approve(id: Text) by insurer, regulator:
    claims[id].status = Approved

action reject(id: Text) by insurer, regulator:
    claims[id].status = Rejected

action pay(id: Text) by insurer:
    let c = claims[id]
    c.status = Paid
    claims[id] = c

action remove(id: Text) by insurer:
    delete claims[id]

action burn(n: Int) by insurer:
    for i in range(0, n):
        count += 1

action keep(xs: List[Claim]) by insurer:
    history = xs

action refund(amount: Money) by insurer:
    total -= amount

action pay_part(id: Text, amount: Money) by insurer:
    paid[id] = paid.get(id, 0.00 CNY)
    paid[id] += amount

action unpay(id: Text, amount: Money) by insurer:
    paid[id] -= amount

action reset_paid(m: Map[Text, Money]) by insurer:
    paid = m

action put_and_count(id: Text, amount: Money) -> Int by insurer:
    paid[id] = amount
    return len(paid)

action drop_and_list(id: Text) -> Map[Text, Money] by insurer:
    delete paid[id]
    return paid

view paid_count() -> Int:
    return len(paid)

view all_paid() -> Map[Text, Money]:
    return paid

view get(id: Text) -> Claim:
    return claims[id]

view size() -> Int:
    return count

view total_filed() -> Money:
    return total
'''

REGULATOR = Party("CBIRC", "cbirc", "regulator")
OPEN, APPROVED, PAID, REJECTED = range(4)


@pytest.fixture(scope="module")
def machine() -> Machine:
    return Machine(verify(Compilation(SOURCE).module))


def run(machine, host, who, entry, *args, gas=GAS):
    result = machine.call(entry, args, ctx(who), host, gas)
    host.apply(result.writes)
    return result


@pytest.fixture
def host(machine) -> MemoryHost:
    h = MemoryHost()
    h.apply(machine.deploy((), ctx(INSURER), h, GAS).writes)
    return h


def test_writes_reads_and_events_of_a_call(machine, host):
    result = run(machine, host, HOSPITAL, "file", "C1", cny(12_000))
    entry = map_prefix(0) + encode_key(T.TEXT, "C1")
    assert result.reads[entry] is None  # `id not in claims` read the absent entry
    assert result.writes[entry] == encode_value(T.RecordType("Claim"), (cny(12_000), OPEN), machine.types)
    assert result.writes[state_key(2)] == encode_value(T.MONEY, cny(12_000))
    assert result.writes[state_key(3)] == encode_value(T.INT, 1)
    assert result.events == (Event("Filed", ("C1", cny(12_000))),)
    assert result.deltas == {state_key(2): Delta(T.MONEY, cny(12_000)), state_key(3): Delta(T.INT, 1)}
    assert run(machine, host, INSURER, "get", "C1").value == (cny(12_000), OPEN)


def test_a_call_reads_its_own_writes_without_reading_the_host_again(machine, host):
    run(machine, host, HOSPITAL, "file", "C1", cny(100))
    result = run(machine, host, INSURER, "approve", "C1")  # reads the entry once, writes it once
    entry = map_prefix(0) + encode_key(T.TEXT, "C1")
    assert set(result.reads) == {entry}
    assert set(result.writes) == {entry}


def test_an_abort_keeps_nothing(machine, host):
    run(machine, host, HOSPITAL, "file", "C1", cny(100))
    before = host.items()
    with pytest.raises(Abort) as err:
        machine.call("file", ("C1", cny(5)), ctx(HOSPITAL), host, GAS)
    assert err.value.message == "claim C1 exists" and err.value.kind == "require"
    assert err.value.entry == "file" and 0 < err.value.gas_used < GAS
    assert host.items() == before


def test_missing_key_and_delete(machine, host):
    with pytest.raises(Abort, match='key not found: "C9"') as err:
        run(machine, host, INSURER, "remove", "C9")
    assert err.value.kind == "key-not-found"
    run(machine, host, HOSPITAL, "file", "C1", cny(100))
    result = run(machine, host, INSURER, "remove", "C1")
    assert result.writes == {map_prefix(0) + encode_key(T.TEXT, "C1"): None}
    with pytest.raises(Abort, match="key not found"):
        run(machine, host, INSURER, "get", "C1")


def test_gas_running_out_mid_loop_aborts_with_nothing_written(machine, host):
    before = host.items()
    assert run(machine, host, INSURER, "burn", 10).gas_used > 0
    used_ten = run(machine, host, INSURER, "burn", 10).gas_used
    host_after = host.items()
    with pytest.raises(Abort) as err:
        machine.call("burn", (10_000,), ctx(INSURER), host, used_ten * 5)
    assert err.value.kind == "out-of-gas" and "out of gas" in err.value.message
    assert err.value.gas_used == used_ten * 5
    assert host.items() == host_after != before
    assert run(machine, host, INSURER, "size").value == 20


def test_exact_gas_is_enough_and_one_less_is_not(machine, host):
    used = machine.call("burn", (7,), ctx(INSURER), host, GAS).gas_used
    assert machine.call("burn", (7,), ctx(INSURER), host, used).gas_used == used
    with pytest.raises(Abort, match="out of gas"):
        machine.call("burn", (7,), ctx(INSURER), host, used - 1)


def test_same_call_twice_gives_the_same_result_and_gas(machine, host):
    run(machine, host, HOSPITAL, "file", "C1", cny(100))
    a = machine.call("approve", ("C1",), ctx(INSURER), host, GAS)
    b = machine.call("approve", ("C1",), ctx(INSURER), host, GAS)
    assert a == b


# -- lifecycles --------------------------------------------------------------------------------------

def test_listed_transitions_pass(machine, host):
    run(machine, host, HOSPITAL, "file", "C1", cny(100))
    run(machine, host, INSURER, "approve", "C1")
    run(machine, host, INSURER, "pay", "C1")
    assert run(machine, host, INSURER, "get", "C1").value == (cny(100), PAID)


def test_a_transition_not_listed_for_the_role_aborts(machine, host):
    run(machine, host, HOSPITAL, "file", "C1", cny(100))
    with pytest.raises(Abort) as err:
        run(machine, host, REGULATOR, "approve", "C1")
    assert err.value.message == "illegal transition Open -> Approved by regulator"
    assert err.value.kind == "illegal-transition"
    run(machine, host, REGULATOR, "reject", "C1")  # listed for the regulator
    assert run(machine, host, INSURER, "get", "C1").value[1] == REJECTED


def test_a_transition_not_listed_at_all_aborts_through_a_local_copy(machine, host):
    run(machine, host, HOSPITAL, "file", "C1", cny(100))
    with pytest.raises(Abort, match="illegal transition Open -> Paid by insurer"):
        run(machine, host, INSURER, "pay", "C1")


def test_an_unchanged_field_needs_no_transition(machine, host):
    run(machine, host, HOSPITAL, "file", "C1", cny(100))
    run(machine, host, HOSPITAL, "file_as", "C1", (cny(200), OPEN))
    assert run(machine, host, INSURER, "get", "C1").value == (cny(200), OPEN)


def test_a_new_record_must_hold_the_start_value(machine, host):
    with pytest.raises(Abort) as err:
        run(machine, host, HOSPITAL, "file_as", "C2", (cny(1), APPROVED))
    assert err.value.message == "illegal transition: new Claim must start Open"


def test_list_elements_are_checked_by_position(machine, host):
    run(machine, host, INSURER, "keep", ((cny(1), OPEN), (cny(2), OPEN)))
    run(machine, host, INSURER, "keep", ((cny(1), APPROVED), (cny(2), OPEN), (cny(3), OPEN)))
    with pytest.raises(Abort, match="illegal transition Open -> Paid by insurer"):
        run(machine, host, INSURER, "keep", ((cny(1), APPROVED), (cny(2), PAID)))
    with pytest.raises(Abort, match="new Claim must start Open"):
        run(machine, host, INSURER, "keep", ((cny(1), APPROVED), (cny(2), OPEN), (cny(3), OPEN), (cny(4), PAID)))


# -- the state opcodes one by one ------------------------------------------------------------------

def test_the_contract_exercises_every_state_opcode(machine):
    used = {i.op.name for f in machine.module.functions for i in decode_instructions(f.code)}
    assert used >= {"SLOAD", "SSTORE", "SADD", "SSUB", "MLOAD", "MHAS", "MGET", "MSTORE", "MDELETE", "MADD",
                    "MSUB", "MLEN", "EMIT"}


def test_scalar_add_and_subtract(machine, host):
    run(machine, host, HOSPITAL, "file", "C1", cny(500))
    run(machine, host, INSURER, "refund", cny(120))
    assert run(machine, host, INSURER, "total_filed").value == cny(380)
    with pytest.raises(Abort, match="currency mismatch"):
        run(machine, host, INSURER, "refund", Money("USD", 1))


def test_map_entries_get_add_subtract_count_and_replace(machine, host):
    run(machine, host, INSURER, "pay_part", "A", cny(100))
    run(machine, host, INSURER, "pay_part", "A", cny(50))
    run(machine, host, INSURER, "pay_part", "B", cny(7))
    run(machine, host, INSURER, "unpay", "A", cny(30))
    assert run(machine, host, INSURER, "all_paid").value == {"A": cny(120), "B": cny(7)}
    assert run(machine, host, INSURER, "paid_count").value == 2
    with pytest.raises(Abort, match='key not found: "Z"'):
        run(machine, host, INSURER, "unpay", "Z", cny(1))
    result = run(machine, host, INSURER, "reset_paid", {"B": cny(1), "C": cny(2)})
    assert result.writes[map_prefix(4) + encode_key(T.TEXT, "A")] is None  # replaced: A is gone
    assert run(machine, host, INSURER, "all_paid").value == {"B": cny(1), "C": cny(2)}
    assert run(machine, host, INSURER, "paid_count").value == 2


def test_a_map_scan_sees_the_calls_own_writes_and_deletes(machine, host):
    run(machine, host, INSURER, "reset_paid", {"B": cny(1), "D": cny(4)})
    assert machine.call("put_and_count", ("A", cny(3)), ctx(INSURER), host, GAS).value == 3
    assert machine.call("put_and_count", ("B", cny(3)), ctx(INSURER), host, GAS).value == 2
    result = machine.call("drop_and_list", ("B",), ctx(INSURER), host, GAS)
    assert result.value == {"D": cny(4)}
    assert set(result.reads) >= {map_prefix(4) + encode_key(T.TEXT, k) for k in "BD"}
    assert result.scans == (map_prefix(4),)


def test_only_pure_additions_are_deltas(machine, host):
    run(machine, host, INSURER, "pay_part", "A", cny(100))  # reads A (`get`), then adds: no delta
    entry = map_prefix(4) + encode_key(T.TEXT, "A")
    assert run(machine, host, INSURER, "pay_part", "A", cny(5)).deltas == {}
    result = run(machine, host, INSURER, "unpay", "A", cny(30))
    assert result.deltas == {entry: Delta(T.MONEY, cny(-30))}
    assert entry in result.reads and entry in result.writes  # exact either way
    assert run(machine, host, INSURER, "burn", 3).deltas == {state_key(3): Delta(T.INT, 3)}
