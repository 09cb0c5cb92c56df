"""Test builds: every scenario expression becomes a hidden view over the scenario's locals."""

from __future__ import annotations


from dsl.semantics.testfile import check_tests
from dsl.syntax.parser import parse_source
from dsl.pipeline import Compilation
from dsl.codegen.testbuild import ExprEntry, compile_tests
from vm.types import BOOL, INT, MONEY, PARTY, TEXT
from vm.values import Money, Party
from vm.verify import verify

CONTRACT = """contract Shop
parties seller, buyer
event Sold(item: Text, price: Money)
state:
    prices: Map[Text, Money]
init() by seller:
    pass
action list_item(item: Text, amount: Money) by seller:
    prices[item] = amount
action buy(item: Text) -> Money by buyer:
    emit Sold(item, prices[item])
    return prices[item]
view price_of(item: Text) -> Money by seller:
    return prices[item]
view who() -> Text:
    return caller.role
"""

TESTS = """tests for "shop.bao"

scenario "a sale":
    let s = seller "S"
    let b = buyer "B"
    deploy by s
    let name = "pen" + "cil"
    s calls list_item(name, 2.00 CNY)
    expect b calls buy(name) returns 1.00 CNY * 2
    expect emitted Sold(price: 2.00 CNY)
    expect price_of(name) == 2.00 CNY and who() == "buyer"

scenario "another":
    let x = 40
    expect x + 2 == 42
"""


def build(contract: str = CONTRACT, tests: str = TESTS):
    tree = parse_source(tests, "shop.test.bao")
    analysis = Compilation(contract, "shop.bao").analysis
    return tree, compile_tests(check_tests(tree, analysis))


def test_every_step_expression_has_a_hidden_view() -> None:
    tree, tb = build()
    steps = tree.scenarios[0].steps
    name_let, call1, call2, emitted, expect = steps[3], steps[4], steps[5], steps[6], steps[7]
    e = tb.exprs
    assert e[id(name_let.value)] == ExprEntry("__expr0", TEXT, ("s", "b"))
    assert e[id(call1.args[1].value)].type == MONEY
    assert e[id(call2.returns)].params == ("s", "b", "name")
    assert e[id(emitted.args[0].value)].type == MONEY
    assert e[id(expect.expr)].type == BOOL
    # party lets are the runner's, not compiled
    assert id(steps[0].value) not in e
    # the second scenario's locals are its own
    other = tree.scenarios[1].steps
    assert e[id(other[1].expr)].params == ("x",)
    assert e[id(other[0].value)].params == () and e[id(other[0].value)].type == INT
    names = [x.name for x in e.values()]
    assert names == [f"__expr{i}" for i in range(len(names))]
    entries = {en.name: en for en in tb.module.entries}
    assert all(entries[n].kind == "view" and entries[n].anyone for n in names)
    assert "buy" in entries and "init" in entries


def test_hidden_views_run_with_the_contract_state_and_the_given_caller() -> None:

    from vm.runtime import CallContext, MemoryHost
    from vm.runtime import Machine

    tree, tb = build()
    m = Machine(verify(tb.module))
    host = MemoryHost()
    seller = Party("S", "S", "seller")
    buyer = Party("B", "B", "buyer")
    ctx = lambda p: CallContext(p, 0, bytes(32))  # noqa: E731
    host.apply(m.deploy((), ctx(seller), host, 10**6).writes)
    steps = tree.scenarios[0].steps
    name = m.call(tb.exprs[id(steps[3].value)].name, (seller, buyer), ctx(seller), host, 10**6,
                  check_roles=False).value
    assert name == "pencil"
    host.apply(m.call("list_item", (name, Money("CNY", 200)), ctx(seller), host, 10**6).writes)
    check = tb.exprs[id(steps[7].expr)]
    # price_of() is `by seller`, but inside a scenario expression it is an internal call
    r = m.call(check.name, (seller, buyer, name), ctx(buyer), host, 10**6, check_roles=False)
    assert r.value is True
    assert m.call(check.name, (seller, buyer, name), ctx(seller), host, 10**6, check_roles=False).value is False


def test_a_module_target_has_no_contract_entries() -> None:
    module = "module m\nfn double(x: Int) -> Int:\n    return 2 * x\n"
    tests = 'tests for "m.bao"\n\nscenario "doubles":\n    expect double(21) == 42\n'
    tree, tb = build(module, tests)
    assert tb.module.kind == "module"
    # the comparison, then each of its sides (for the failure message)
    assert [e.name for e in tb.module.entries] == ["__expr0", "__expr1", "__expr2"]
    verify(tb.module)

    from vm.runtime import CallContext, MemoryHost
    from vm.runtime import Machine

    m = Machine(verify(tb.module))
    tester = Party("tester", "tester", "tester")
    r = m.call("__expr0", (), CallContext(tester, 0, bytes(32)), MemoryHost(), 10**6, check_roles=False)
    assert r.value is True


def test_party_typed_locals_are_parameters() -> None:
    tests = 'tests for "shop.bao"\n\nscenario "p":\n    let s = seller "S"\n    expect s.org == "S"\n'
    tree, tb = build(tests=tests)
    entry = tb.exprs[id(tree.scenarios[0].steps[1].expr)]
    f = tb.module.entry_function(entry.name)
    assert [p.type for p in f.params] == [PARTY]
