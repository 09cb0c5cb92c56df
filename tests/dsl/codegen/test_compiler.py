"""The compiler, end to end: Bao source -> module -> verifier -> machine, checking LANGUAGE.md's
semantics on small contracts, and that every shipped contract compiles to a verified module."""

from __future__ import annotations

import glob

import pytest


from dsl.pipeline import Compilation  # noqa: E402
from vm.module import decode_module, encode_module  # noqa: E402
from vm.values import Money, Party, parse_date_literal  # noqa: E402
from vm.verify import verify  # noqa: E402

from tests.dsl.conftest import deploy, run_fn  # noqa: E402

CNY = lambda units: Money("CNY", units)  # noqa: E731
D = parse_date_literal


@pytest.mark.parametrize("path", sorted(p for p in glob.glob("contracts/*.bao") + glob.glob("stdlib/*.bao")
                                        if not p.endswith(".test.bao")))
def test_shipped_sources_compile_to_verified_canonical_modules(path: str) -> None:
    c = Compilation.from_file(path)
    v = verify(c.module)
    assert decode_module(c.encoded) == c.module
    assert encode_module(v.module) == c.encoded


def test_compilation_is_deterministic() -> None:
    text = open("contracts/health.bao", encoding="utf-8").read()
    assert Compilation(text, "contracts/health.bao").encoded == Compilation(text, "contracts/health.bao").encoded


HEALTH = open("contracts/health.bao", encoding="utf-8").read() if glob.glob("contracts/health.bao") else ""


def test_section_1_settle_pays_net_of_deductible_and_copay() -> None:
    from vm.runtime import MemoryHost
    from vm.runtime import Machine

    c = Compilation(HEALTH, "contracts/health.bao")
    m = Machine(verify(c.module))
    host = MemoryHost()
    from tests.dsl.conftest import GAS, TS_2024_05_01
    from vm.runtime import CallContext

    insurer = CallContext(Party("PICC", "PICC", "insurer"), TS_2024_05_01, bytes(32))
    hospital = CallContext(Party("R", "R", "hospital"), TS_2024_05_01, bytes(32))
    host.apply(m.deploy((), insurer, host, GAS).writes)
    policy = ("Li Lei", CNY(1_000_000), CNY(50_000), 20 * 10**16, D("2024-01-01"), D("2024-12-31"), 0)
    host.apply(m.call("issue", ("P1", policy), insurer, host, GAS).writes)
    r = m.call("settle", ("P1", CNY(150_000), D("2024-05-01")), hospital, host, GAS)
    assert r.value == CNY(80_000)
    assert [e.name for e in r.events] == ["ClaimSettled"]
    host.apply(r.writes)
    assert m.call("remaining", ("P1",), hospital, host, GAS).value == CNY(920_000)


def test_arithmetic_follows_section_5() -> None:
    assert run_fn("return 7 // 2 + 7 mod 3 + (-7) // 2", "Int") == 3 + 1 - 4
    assert run_fn("return 1 / 4 + 1", "Decimal") == 125 * 10**16
    assert run_fn("return 100.00 CNY * 15% + 3 * 1.00 CNY", "Money") == CNY(1800)
    assert run_fn("return 10.00 CNY / 3", "Money") == CNY(333)
    assert run_fn("return 10.00 CNY / 4.00 CNY", "Decimal") == 25 * 10**17
    assert run_fn("return 2024-03-01 - 2024-02-01 + 2 * 1 day", "Duration") == 31
    assert run_fn("return 2024-01-31 + 1 week", "Date") == D("2024-02-07")
    assert run_fn("return 50% * 2 + 10%", "Percent") == 110 * 10**16
    assert run_fn('return "a" + "b"', "Text") == "ab"
    assert run_fn("return -(2 - 5)", "Int") == 3


def test_int_widens_to_decimal_where_a_decimal_is_expected() -> None:
    assert run_fn("let x: Decimal = 2\nreturn x + 1 + 0.5", "Decimal") == 35 * 10**17
    assert run_fn("return 1 < 1.5 <= 2", "Bool") is True


def test_comparison_chain_evaluates_each_operand_once_and_stops_early() -> None:
    src = "contract T\nparties a\naction f(x: Int) -> Bool by a:\n    return 1 <= bump(x) <= 3\n" \
          "fn bump(v: Int) -> Int:\n    return v + 1\n"
    d = deploy(src)
    from vm.opcodes import decode_instructions

    code = d.verified.module.entry_function("f").code
    assert [i.op.name for i in decode_instructions(code)].count("CALL") == 1
    assert d.call("f", 1) is True
    assert d.call("f", 5) is False
    assert d.call("f", -5) is False


def test_and_or_short_circuit() -> None:
    # the right side would abort with division by zero if it were evaluated
    assert run_fn("return x == 0 or 10 // x > 1", "Bool", 0, params="x: Int") is True
    assert run_fn("return x != 0 and 10 // x > 1", "Bool", 0, params="x: Int") is False
    assert run_fn("return not (x == 0) or x == 0", "Bool", 0, params="x: Int") is True


def test_conditional_expression_and_if_elif_else() -> None:
    body = """
if x < 0:
    return "neg"
elif x == 0:
    return "zero" if true else "never"
else:
    return "pos"
"""
    assert [run_fn(body, "Text", v, params="x: Int") for v in (-1, 0, 1)] == ["neg", "zero", "pos"]


def test_loops_over_range_list_and_map_in_key_order() -> None:
    body = """
let total = 0
for i in range(2, 5):
    total += i
for v in [10, 20]:
    total += v
let out = ""
for k, v in {"b": 2, "a": 1, "c": 3}:
    out = out + k + text(v)
return "{total} {out}"
"""
    assert run_fn(body, "Text") == "39 a1b2c3"


def test_loop_variable_changes_do_not_change_the_iteration() -> None:
    body = """
let n = 0
for i in range(0, 3):
    n += 1
return n
"""
    assert run_fn(body, "Int") == 3


def test_require_without_message_shows_its_condition() -> None:
    src = "contract T\nparties a\naction f(x: Int) by a:\n    require x > 1 and not (x == 5), \"\"\n" \
          "action g(x: Int) by a:\n    require x + 1 > 2 * (x - 1)\n"
    d = deploy(src)
    exc = d.abort("g", 5)
    assert exc.message == "requirement failed: x + 1 > 2 * (x - 1)"
    assert exc.kind == "require"
    # the FAIL opcode carries the Abort kind: 1 is "require"
    from vm.opcodes import decode_instructions

    code = d.verified.module.entry_function("g").code
    assert [i.operands for i in decode_instructions(code) if i.op.name == "FAIL"] == [(1,)]


def test_fail_and_text_interpolation() -> None:
    src = 'contract T\nparties a\naction f(x: Money, p: Percent) by a:\n    fail "got {x} at {p} for {{x}}"\n'
    exc = deploy(src).abort("f", CNY(20000), 125 * 10**15)
    assert exc.message == "got 200.00 CNY at 12.5% for {x}" and exc.kind == "fail"


def test_builtins() -> None:
    body = """
let xs = [3.00 CNY, 1.50 CNY]
require min(2, 1, 3) == 1 and max(2, 7) == 7
require min(xs) == 1.50 CNY and max(xs) == 3.00 CNY
require sum(xs) == 4.50 CNY and sum([1, 2], 10) == 13
require abs(-2.50 CNY) == 2.50 CNY and abs(-3) == 3
require round(2.5, 0) == 3 and round_even(2.5, 0) == 2
require floor(-1.5) == -2 and ceil(1.2) == 2
require add_months(2024-01-31, 1) == 2024-02-29 and days_between(2024-01-01, 2024-03-01) == 60
require year(2024-03-09) == 2024 and month(2024-03-09) == 3 and day(2024-03-09) == 9
require len("保单") == 2 and len(xs) == 2 and len({"a": 1}) == 1
require text(80%) == "80%" and text([1, 2]) == "[1, 2]"
require sm3("abc") != sha256("abc")
require "ab" in "cabd" and 2 in [1, 2] and "k" not in {"j": 1}
return {"a": 1}.get("b", 7)
"""
    assert run_fn(body, "Int") == 7


def test_hash_of_text_is_of_its_utf8_bytes() -> None:
    import hashlib

    assert run_fn('return sha256("abc")', "Hash") == hashlib.sha256(b"abc").digest()


def test_map_state_entries_touch_one_key() -> None:
    src = """contract T
parties a
state:
    m: Map[Text, Int]
    total: Int = 0
action put(k: Text, v: Int) by a:
    m[k] = v
action bump(k: Text) by a:
    m[k] += 1
    total -= 1
action remove(k: Text) by a:
    delete m[k]
view get(k: Text) -> Int:
    return m.get(k, -1)
view count() -> Int:
    return len(m)
view keys() -> Text:
    let out = ""
    for k, v in m:
        out = out + k
    return out
"""
    d = deploy(src)
    d.call("put", "b", 1)
    d.call("put", "a", 2)
    d.call("bump", "a")
    assert len(d.writes) == 2  # the entry and the total
    assert d.call("get", "a") == 3 and d.call("get", "zz") == -1
    assert d.call("count") == 2 and d.call("keys") == "ab"
    d.call("remove", "a")
    assert d.call("count") == 1
    exc = d.abort("remove", "P9")
    assert exc.message == 'key not found: "P9"'
    assert d.abort("bump", "P9").kind == "key-not-found"


def test_records_are_values_and_field_writes_go_to_state() -> None:
    src = """contract T
parties a
enum S: On, Off
record R:
    name: Text
    tags: List[Text]
    s: S = On
state:
    rs: Map[Text, R]
    one: R = R(name: "x", tags: [])
action add(k: Text) by a:
    rs[k] = R(name: k, tags: [])
action change(k: Text) by a:
    let copy = rs[k]
    copy.name = "changed locally"
    rs[k].s = Off
    rs[k].tags.append("t")
    one.tags.append(k)
view show(k: Text) -> Text:
    return "{rs[k].name} {rs[k].s} {rs[k].tags} {one.tags}"
"""
    d = deploy(src)
    d.call("add", "k1")
    d.call("change", "k1")
    assert d.call("show", "k1") == 'k1 Off ["t"] ["k1"]'


def test_lifecycle_is_enforced_on_field_writes() -> None:
    src = """contract T
parties a, b
enum S: Open, Closed
record R:
    s: S = Open
lifecycle R.s starts Open:
    Open -> Closed by a
state:
    rs: Map[Text, R]
action add(k: Text, r: R) by a, b:
    rs[k] = r
action close(k: Text) by a, b:
    rs[k].s = Closed
"""
    d = deploy(src)
    d.call("add", "k", (0,))
    assert "illegal transition" in d.abort("close", "k", role="b").message
    d.call("close", "k", role="a")
    assert "must start Open" in d.abort("add", "k2", (1,)).message


def test_init_writes_defaults_then_runs_the_body_under_its_by() -> None:
    src = """contract T
parties a, b
state:
    n: Int = 40
    xs: List[Int]
    label: Text
init(extra: Int) by a:
    n += extra
    xs.append(n)
view show() -> Text:
    return "{n} {xs} [{label}]"
"""
    d = deploy(src, 2)
    assert d.call("show") == "42 [42] []"
    entries = {e.name: e for e in d.verified.module.entries}
    assert entries["init"].roles == ("a",) and not entries["init"].anyone
    assert entries["__defaults"].anyone


def test_by_is_in_the_abi_and_checked_before_the_body() -> None:
    src = "contract T\nparties a, b\naction f() by a:\n    pass\nview v() -> Int:\n    return 1\n"
    d = deploy(src)
    assert "not authorized" in d.abort("f", role="b").message
    assert d.call("v", role="b") == 1


def test_used_module_functions_are_linked_in() -> None:
    src = "contract T\nuse insurance\nparties a\naction f() -> Money by a:\n" \
          "    return copay_payable(1500.00 CNY, 500.00 CNY, 20%)\n"
    d = deploy(src)
    assert d.call("f") == CNY(80000)
    assert "insurance.copay_payable" in [f.name for f in d.verified.module.functions]


def test_named_arguments_reach_the_right_parameters() -> None:
    src = "contract T\nparties a\nevent E(x: Int, y: Text)\naction f() -> Int by a:\n" \
          "    emit E(y: \"a\", x: 2)\n    return sub(y: 1, x: 10)\nfn sub(x: Int, y: Int) -> Int:\n    return x - y\n"
    d = deploy(src)
    assert d.call("f") == 9
    assert d.events[0].values == (2, "a")


def test_caller_and_today() -> None:
    assert run_fn('return "{caller.org}/{caller.role} {today}"', "Text") == "ORG/a 2024-05-01"


def test_overflow_and_division_by_zero_abort() -> None:
    src = "contract T\nparties a\naction f(x: Int) -> Int by a:\n    return 10 // x\n" \
          "action g(x: Int) -> Int by a:\n    return x * x\n"
    d = deploy(src)
    assert d.abort("f", 0).kind == "division-by-zero"
    assert d.abort("g", 2**200).kind == "overflow"


def test_nested_access_paths_rebuild_containers() -> None:
    body = '''
let m: Map[Text, List[Int]] = {}
m["a"] = [1]
m["a"].append(2)
m["a"][0] = 5
m["b"] = []
delete m["b"]
let r = R(m: {}, n: 1)
r.m["k"] = 3
r.m["k"] += 4
r.n -= 1
xs[0] = 9
xs.append(len(m))
return "{m} {r} {xs}"
'''
    prelude = "record R:\n    m: Map[Text, Int]\n    n: Int\nstate:\n    xs: List[Int] = [1, 2]\n"
    assert run_fn(body, "Text", prelude=prelude) == '{"a": [5, 2]} R(m: {"k": 7}, n: 0) [9, 2, 1]'


def test_nested_paths_into_state_write_one_entry() -> None:
    src = '''contract T
parties a
record R:
    m: Map[Text, Int]
    tags: List[Text]
state:
    rs: Map[Text, R]
    one: R = R(m: {}, tags: ["x"])
action f() -> Text by a:
    rs["k"] = R(m: {"z": 1}, tags: [])
    rs["k"].m["q"] = 2
    rs["k"].m["z"] += 5
    delete rs["k"].m["q"]
    one.m["w"] = 1
    one.tags[0] = "y"
    let k = "k"
    return "{rs[k]} {one}"
'''
    d = deploy(src)
    assert d.call("f") == 'R(m: {"z": 6}, tags: []) R(m: {"w": 1}, tags: ["y"])'
    assert len(d.writes) == 2  # one entry of rs, and one


@pytest.mark.parametrize("left,right,t", [
    ("3", "2.50 CNY", "Money"), ("20%", "2.50 CNY", "Money"), ("1.5", "2.50 CNY", "Money"),
    ("3", "20%", "Percent"), ("0.5", "20%", "Percent"), ("3", "2 days", "Duration"), ("2", "1.5", "Decimal"),
])
def test_mixed_products_in_either_order(left: str, right: str, t: str) -> None:
    src = f"contract T\nparties a\nview f() -> Bool:\n    let p: {t} = {left} * {right}\n" \
          f"    let q: {t} = {right} * {left}\n    return p == q\n" \
          f"view g() -> Text:\n    return text({left} * {right})\n"
    d = deploy(src)
    assert d.call("f") is True
    expected = {("3", "2.50 CNY"): "7.50 CNY", ("20%", "2.50 CNY"): "0.50 CNY", ("1.5", "2.50 CNY"): "3.75 CNY",
                ("3", "20%"): "60%", ("0.5", "20%"): "10%", ("3", "2 days"): "6 days", ("2", "1.5"): "3"}
    assert d.call("g") == expected[(left, right)]


def test_defaults_entry_writes_initial_values_without_the_init_body() -> None:
    from vm.runtime import MemoryHost
    from vm.runtime import Machine

    from tests.dsl.conftest import GAS

    src = "contract T\nparties a\nstate:\n    n: Int = 40\n    ok: Bool\ninit(x: Int) by a:\n    n += x\n" \
          "view show() -> Text:\n    return \"{n} {ok}\"\n"
    d = deploy(src, 2)
    assert d.call("show") == "42 false"
    m = Machine(d.verified)
    host = MemoryHost()
    host.apply(m.deploy_defaults(d.ctx(), host, GAS).writes)
    assert m.call("show", (), d.ctx(), host, GAS).value == "40 false"


def test_long_literals_stay_within_the_verifiers_stack_bound() -> None:
    # The verifier bounds a frame's stack at 512 slots; a literal with more items (or a map with
    # 256 entries, a text with 512 parts) must still compile, in order, a repeated key last.
    items = ", ".join(str(i) for i in range(600))
    entries = ", ".join(f"{i}: {2 * i}" for i in range(300)) + ", 7: 1"
    got = run_fn("\n".join([
        f"let xs = [{items}]",
        f"let m = {{{entries}}}",
        "let x = 3",
        'let t = "' + "{x}." * 300 + '"',
        'return "{len(xs)} {xs[0]} {xs[599]} {len(m)} {m[7]} {m[299]} {len(t)}"']), "Text")
    assert got == "600 0 599 300 1 598 600"


VIEWS_CALLED = """contract T
parties a, b
state:
    balances: Map[Text, Int]
action deposit(who: Text, amount: Int) -> Int by a:
    balances[who] = balance_of(who) + amount
    return total_of(who, "nobody")
view balance_of(who: Text) -> Int by b:
    return balances.get(who, 0)
view total_of(x: Text, y: Text) -> Int by b:
    return balance_of(x) + balance_of(y)
view countdown(n: Int) -> Int:
    return 0 if n == 0 else countdown(n - 1) + 1
"""


@pytest.mark.parametrize("machine", ["translator", "reference"])
def test_a_view_is_called_from_actions_and_views_without_its_by(machine: str, monkeypatch) -> None:
    import tests.dsl.conftest as conftest
    from vm.opcodes import MAX_CALL_DEPTH
    from vm.runtime.interpreter import ReferenceMachine

    if machine == "reference":
        monkeypatch.setattr("vm.runtime.Machine", ReferenceMachine)
    d = conftest.deploy(VIEWS_CALLED)
    assert isinstance(d.machine, ReferenceMachine) == (machine == "reference")
    index = {f.name: i for i, f in enumerate(d.verified.module.functions)}
    deposit = d.verified.functions[index["deposit"]]
    assert {i.operands[0] for b in deposit.blocks for i in b.instructions if i.op.name == "CALL"} == {
        index["balance_of"], index["total_of"]}
    assert d.call("deposit", "x", 5) == 5  # by a, through two views that admit only b
    assert d.call("deposit", "x", 7) == 12
    assert "not authorized" in d.abort("balance_of", "x", role="a").message  # a transaction keeps its by
    assert d.call("total_of", "x", "y", role="b") == 12
    assert d.call("countdown", MAX_CALL_DEPTH - 2) == MAX_CALL_DEPTH - 2
    assert "call depth exceeded" in d.abort("countdown", MAX_CALL_DEPTH).message
