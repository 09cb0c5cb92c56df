"""The checker on Bao source: LANGUAGE.md's examples check clean, and each class of error is
reported with its message and at its span."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dsl import ast
from dsl.analysis import (
    BuiltinFuncRef, EnumValueRef, FieldRef, FunctionRef, LocalRef, MethodRef, RecordCtorRef, StateRef,
)
from dsl.checker import check
from dsl.diagnostics import CompileError
from dsl.pipeline import ModuleLoader

parser = pytest.importorskip("dsl.parser")
ROOT = Path(__file__).resolve().parents[2]

SECTION_1 = '''\
contract HealthDirectPay
"""Hospitals bill the insurer directly; the contract adjudicates each bill."""

parties insurer, hospital, regulator

enum PolicyStatus: Active, Suspended, Expired

# A health policy as registered by the insurer.
record Policy:
    holder: Text
    sum_insured: Money
    deductible: Money = 0.00 CNY
    copay: Percent = 0%
    start: Date
    end: Date
    status: PolicyStatus = Active

state:
    policies: Map[Text, Policy]
    paid: Map[Text, Money]
    total_paid: Money = 0.00 CNY

event ClaimSettled(policy_id: Text, bill: Money, payable: Money)

lifecycle Policy.status starts Active:
    Active -> Suspended by insurer
    Suspended -> Active by insurer
    Active, Suspended -> Expired by insurer, regulator

action issue(id: Text, policy: Policy) by insurer:
    require id not in policies, "policy {id} already exists"
    policies[id] = policy

action settle(policy_id: Text, bill: Money, treated_on: Date) -> Money by hospital:
    require policy_id in policies, "unknown policy {policy_id}"
    let p = policies[policy_id]
    require p.status == Active, "policy {policy_id} is not active"
    require p.start <= treated_on <= p.end, "treatment date outside the cover period"
    let already = paid.get(policy_id, 0.00 CNY)
    let payable = min(net_of_deductible(bill, p.deductible) * (100% - p.copay), p.sum_insured - already)
    paid[policy_id] = already + payable
    total_paid += payable
    emit ClaimSettled(policy_id, bill, payable)
    return payable

action suspend(policy_id: Text) by insurer:
    policies[policy_id].status = Suspended

view remaining(policy_id: Text) -> Money:
    return policies[policy_id].sum_insured - paid.get(policy_id, 0.00 CNY)

fn net_of_deductible(bill: Money, deductible: Money) -> Money:
    return max(bill - deductible, 0.00 CNY)
'''

HEADER = """\
contract C
parties insurer, hospital
enum Status: Active, Closed
record Claim:
    amount: Money
    status: Status = Active
    notes: List[Text] = []
state:
    claims: Map[Text, Claim]
    log: List[Text]
    total: Money = 0.00 CNY
event Paid(id: Text, amount: Money)
"""


class DictLoader:
    """A module loader over in-memory sources."""

    def __init__(self, modules: dict[str, str]) -> None:
        self.modules = modules

    def load(self, name: str):
        text = self.modules.get(name)
        return None if text is None else parser.parse_source(textwrap.dedent(text), f"{name}.bao")


def parse(text: str) -> ast.SourceFile:
    return parser.parse_source(text, "c.bao")


def check_src(text: str, loader=None):
    return check(parse(text), loader or ModuleLoader())


def body(text: str) -> str:
    """A contract: HEADER plus the given declarations."""
    return HEADER + textwrap.dedent(text)


def errors(text: str, loader=None) -> list:
    with pytest.raises(CompileError) as info:
        check_src(text, loader)
    return list(info.value.diagnostics)


def line_of(text: str, needle: str) -> tuple[int, int]:
    """1-based (line, col) of the first occurrence of needle."""
    for i, line in enumerate(text.splitlines(), 1):
        col = line.find(needle)
        if col >= 0:
            return i, col + 1
    raise AssertionError(needle)


def one_error(text: str, loader=None):
    found = errors(text, loader)
    assert len(found) == 1, [d.message for d in found]
    return found[0]


def at(d, text: str, needle: str) -> None:
    assert (d.span.line, d.span.col) == line_of(text, needle), d.render(text)


# -- examples check clean ----------------------------------------------------------------------

def test_section_1_contract_checks_clean() -> None:
    analysis = check_src(SECTION_1)
    settle = analysis.functions["settle"]
    assert [str(t) for t in settle.local_types] == ["Text", "Money", "Date", "Policy", "Money", "Money"]
    assert settle.roles == ("hospital",) and not settle.anyone
    assert analysis.functions["remaining"].anyone
    assert [s.name for s in analysis.state] == ["policies", "paid", "total_paid"]
    (lc,) = analysis.lifecycles
    assert (lc.record, lc.field, lc.field_index, lc.enum, lc.start) == ("Policy", "status", 6, "PolicyStatus", 0)
    assert [(t.sources, t.target, t.roles) for t in lc.transitions] == [
        ((0,), 1, ("insurer",)), ((1,), 0, ("insurer",)), ((0, 1), 2, ("insurer", "regulator"))]
    assert analysis.types.enums["PolicyStatus"] == ("Active", "Suspended", "Expired")
    refs = list(analysis.refs.values())
    assert FunctionRef("net_of_deductible", "fn") in refs
    assert BuiltinFuncRef("min", "min:Money") in refs
    assert MethodRef("get", "paid") in refs
    assert EnumValueRef("PolicyStatus", 1) in refs  # Suspended in suspend
    assert StateRef("total_paid", 2) in refs


def test_shipped_contracts_and_stdlib_check_clean() -> None:
    loader = ModuleLoader((ROOT / "stdlib",))
    for path in (ROOT / "contracts").glob("*.bao"):
        if path.name.endswith(".test.bao"):
            continue
        check(parser.parse_source(path.read_text(encoding="utf-8"), str(path)), loader)
    for path in (ROOT / "stdlib").glob("*.bao"):
        if not path.name.endswith(".test.bao"):
            check(parser.parse_source(path.read_text(encoding="utf-8"), str(path)), loader)


# -- names -------------------------------------------------------------------------------------

def test_undefined_name_suggests_a_close_one() -> None:
    text = body("""
        view v(id: Text) -> Money:
            return clams[id].amount
    """)
    d = one_error(text)
    assert d.message == "undefined name `clams`"
    assert d.hint == "did you mean `claims`?"
    at(d, text, "clams")


def test_double_declaration_points_at_the_first() -> None:
    text = body("""
        record Paid:
            x: Int
    """)
    d = one_error(text)
    assert d.message == "`Paid` is already declared as an event"
    assert f"line {line_of(text, 'event Paid')[0]}" in d.hint
    at(d, text, "Paid:")


def test_ambiguous_enum_value_must_be_qualified() -> None:
    text = textwrap.dedent("""\
        contract C
        parties insurer
        enum Status: Active, Closed
        enum Phase: Active, Done
        view v() -> Bool:
            return Active == Status.Closed
    """)
    d = one_error(text)
    assert d.message == "Active is a value of both Status and Phase: write Status.Active"
    at(d, text, "Active ==")
    check_src(text.replace("Active ==", "Phase.Done == Done or Status.Active =="))


# -- types -------------------------------------------------------------------------------------

def test_type_mismatch_in_arithmetic() -> None:
    text = body("""
        view v(a: Money) -> Money:
            return a + 5%
    """)
    d = one_error(text)
    assert d.message == "cannot add Money and Percent"
    at(d, text, "a + 5%")


def test_argument_type_mismatch_with_hint() -> None:
    text = body("""
        action pay(id: Text) by insurer:
            emit Paid(id, 100)
    """)
    d = one_error(text)
    assert d.message == "`amount` of event Paid must be Money, not Int"
    assert "currency" in d.hint
    at(d, text, "100)")


def test_int_widens_to_decimal_and_is_recorded() -> None:
    tree = parse(body("""
        view v() -> Decimal:
            let x: Decimal = 1
            return x * 2
    """))
    analysis = check(tree, ModuleLoader())
    let = tree.decls[-1].body[0]
    assert str(analysis.expr_types[id(let.value)]) == "Int"
    assert str(analysis.type_of(let.value)) == "Decimal"


def test_decimal_does_not_narrow_to_int() -> None:
    text = body("""
        view v() -> Int:
            return 1.5
    """)
    assert one_error(text).message == "the result of `v` must be Int, not Decimal"


def test_empty_collections_take_their_type_from_where_they_stand() -> None:
    tree = parse(body("""
        action a(xs: List[Int]) by insurer:
            let ys: List[Text] = []
            log = []
            claims["k"] = Claim(amount: 1.00 CNY, notes: [])
            require xs != [], "no items"
            let m: Map[Text, Int] = {}
    """))
    analysis = check(tree, ModuleLoader())
    let = tree.decls[-1].body[0]
    assert str(analysis.type_of(let.value)) == "List[Text]"


def test_empty_list_with_nothing_to_tell_its_type() -> None:
    text = body("""
        action a() by insurer:
            let ys = []
    """)
    d = one_error(text)
    assert d.message == "cannot tell the type of this empty list"
    line, col = line_of(text, "let ys = []")
    assert (d.span.line, d.span.col) == (line, col + len("let ys = "))


def test_invalid_literals() -> None:
    text = body("""
        view v() -> Bool:
            let d = 2024-02-30
            let m = 1.005 CNY
            let x = 5 XYZ
            return true
    """)
    found = errors(text)
    assert len(found) == 3
    at(found[0], text, "2024-02-30")
    at(found[1], text, "1.005 CNY")
    at(found[2], text, "5 XYZ")
    assert "XYZ" in found[2].message


# -- declarations ------------------------------------------------------------------------------

def test_action_without_by() -> None:
    text = body("""
        action a():
            pass
    """)
    d = one_error(text)
    assert d.message == "action `a` must say who may call it"
    at(d, text, "a():")


def test_by_names_an_unknown_party() -> None:
    text = body("""
        action a() by insurer, hospitl:
            pass
    """)
    d = one_error(text)
    assert d.message == "`hospitl` is not a party of this contract"
    assert d.hint == "did you mean `hospital`?"
    at(d, text, "hospitl")


def test_view_cannot_write_state_or_emit() -> None:
    text = body("""
        view v() -> Money:
            total = 1.00 CNY
            emit Paid("x", total)
            return total
    """)
    found = errors(text)
    assert [d.message for d in found] == [
        "view `v` cannot write state: it would assign to `total`", "a view cannot emit events"]
    at(found[0], text, "total = ")
    at(found[1], text, "emit")


def test_fn_cannot_touch_state_or_builtin_values() -> None:
    text = body("""
        fn f(x: Money) -> Money:
            let who = caller
            let t = today
            return total + x
    """)
    found = errors(text)
    assert [d.message for d in found] == [
        "a fn `f` cannot use `caller`", "a fn `f` cannot use `today`",
        "a fn `f` cannot use the state variable `total`"]
    at(found[2], text, "total + x")


def test_lifecycle_checks_values_roles_and_duplicates() -> None:
    text = body("""
        lifecycle Claim.status starts Open:
            Active -> Closed by insurer, auditor
    """)
    found = errors(text)
    assert [d.message for d in found] == ["`Open` is not a value of Status", "`auditor` is not a party of this contract"]
    at(found[0], text, "Open")
    analysis = check_src(body("""
        lifecycle Claim.status:
            Active -> Closed by insurer
            Active -> Closed by insurer
    """))
    assert [w.message for w in analysis.warnings] == ["transition Active -> Closed by insurer is listed twice"]


def test_typed_function_must_return_on_every_path() -> None:
    text = body("""
        view v(x: Int) -> Int:
            if x > 0:
                return 1
            elif x < 0:
                return -1
    """)
    d = one_error(text)
    assert d.message == "`v` must return a Int on every path"
    check_src(body("""
        view v(x: Int) -> Int:
            if x > 0:
                return 1
            elif x < 0:
                fail "negative"
            else:
                return 0
    """))


def test_let_shadowing() -> None:
    text = body("""
        action a(x: Int) by insurer:
            let y = 1
            let y = 2
            let x = 3
            let total = 4
            let insurer = 5
            let len = 6
    """)
    found = errors(text)
    assert [d.message.split(" shadows ")[1] for d in found] == [
        f"a local declared at line {line_of(text, 'let y = 1')[0]}",
        f"a parameter declared at line {line_of(text, 'x: Int')[0]}",
        f"the state variable declared at line {line_of(text, 'total: Money')[0]}",
        f"the party declared at line {line_of(text, 'parties')[0]}",
        "the built-in `len`"]


def test_loop_variables_are_visible_in_the_body_only() -> None:
    text = body("""
        action a(xs: List[Int]) by insurer:
            for x in xs:
                pass
            let y = x
    """)
    d = one_error(text)
    assert d.message == "undefined name `x`"
    line, col = line_of(text, "let y = x")
    assert (d.span.line, d.span.col) == (line, col + len("let y = "))


# -- statements and built-ins ------------------------------------------------------------------

def test_slots_number_params_then_locals_without_reuse() -> None:
    tree = parse(body("""
        action a(m: Map[Text, Int], n: Int) by insurer:
            let s = 0
            for k, v in m:
                let w = v * n
                s += w
            for i in range(0, n):
                let w = i
                s += w
    """))
    analysis = check(tree, ModuleLoader())
    assert [str(t) for t in analysis.functions["a"].local_types] == [
        "Map[Text, Int]", "Int", "Int", "Text", "Int", "Int", "Int", "Int"]
    slots = sorted(r.slot for r in analysis.refs.values() if isinstance(r, LocalRef))
    assert set(slots) == set(range(8))


def test_compound_assignment_types() -> None:
    text = body("""
        action a(t: Text) by insurer:
            total += 1
            t += "x"
    """)
    found = errors(text)
    assert [d.message for d in found] == [
        "cannot add Int to Money with `+=`", "`+=` needs a number, Money, Percent or Duration target, not Text"]


def test_append_get_and_delete() -> None:
    tree = parse(body("""
        action a(id: Text) by insurer:
            log.append(id)
            let xs: List[Int] = []
            xs.append(1)
            claims[id].notes.append("n")
            let c = claims.get(id, Claim(amount: 0.00 CNY))
            delete claims[id]
    """))
    analysis = check(tree, ModuleLoader())
    methods = [r for r in analysis.refs.values() if isinstance(r, MethodRef)]
    assert sorted(map(repr, methods)) == sorted(map(repr, [
        MethodRef("append", "log"), MethodRef("append", None), MethodRef("append", "claims"),
        MethodRef("get", "claims")]))
    text = body("""
        action a(id: Text) by insurer:
            let n = len(log.append(id))
            delete log[0]
    """)
    found = errors(text)
    assert [d.message for d in found] == [
        "`append` is a statement: write xs.append(x) on its own line", "`delete` works on a Map entry, not on List[Text]"]


@pytest.mark.parametrize("call,variant,result", [
    ("min(1.00 CNY, 2.00 CNY)", "min:Money", "Money"),
    ("max([1, 2])", "max:List:Int", "Int"),
    ("len(\"abc\")", "len:Text", "Int"),
    ("len(log)", "len:List", "Int"),
    ("sum([1.00 CNY])", "sum:Money", "Money"),
    ("round(1.25, 1)", "round:Decimal", "Decimal"),
    ("round_even(12.5%, 0)", "round_even:Percent", "Percent"),
    ("floor(2.5)", "floor:Decimal", "Int"),
    ("abs(-3 days)", "abs:Duration", "Duration"),
    ("text(5%)", "text", "Text"),
    ("sm3(\"a\")", "sm3:Text", "Hash"),
    ("add_months(2024-01-31, 1)", "add_months", "Date"),
    ("days_between(2024-01-01, 2024-02-01)", "days_between", "Int"),
    ("year(2024-01-01)", "year", "Int"),
])
def test_builtin_variants(call: str, variant: str, result: str) -> None:
    tree = parse(body(f"""
        action a() by insurer:
            let x = {call}
    """))
    analysis = check(tree, ModuleLoader())
    value = tree.decls[-1].body[0].value
    assert analysis.refs[id(value)] == BuiltinFuncRef(call.split("(")[0], variant)
    assert str(analysis.type_of(value)) == result


@pytest.mark.parametrize("call,message", [
    ("min(1.00 CNY, 2)", "`min` needs values of one type, not Money and Int"),
    ("len(5)", "`len` works on Text, List and Map, not on Int"),
    ("round(5, 2)", "`round` works on Money, Decimal and Percent, not on Int"),
    ("floor(1.00 CNY)", "the argument of `floor` must be Decimal, not Money"),
    ("add_months(2024-01-01, 1.5)", "argument 2 of `add_months` must be Int, not Decimal"),
])
def test_builtin_misuse(call: str, message: str) -> None:
    text = body(f"""
        action a() by insurer:
            let x = {call}
    """)
    assert one_error(text).message == message


def test_record_construction() -> None:
    tree = parse(body("""
        action a() by insurer:
            claims["x"] = Claim(amount: 1.00 CNY, notes: ["a"])
    """))
    analysis = check(tree, ModuleLoader())
    ctor = tree.decls[-1].body[0].value
    assert analysis.refs[id(ctor)] == RecordCtorRef("Claim", (0, None, 1))
    text = body("""
        action a() by insurer:
            claims["x"] = Claim(amout: 1.00 CNY)
    """)
    found = errors(text)
    assert found[0].message == "Claim needs a value for `amount`"
    at(found[0], text, "Claim(")
    assert found[1].message == "record Claim has no field `amout`" and found[1].hint == "did you mean `amount`?"
    at(found[1], text, "amout")


def test_field_refs_and_party_fields() -> None:
    tree = parse(body("""
        view v(id: Text) -> Text:
            return "{claims[id].amount} {caller.org}"
    """))
    analysis = check(tree, ModuleLoader())
    assert FieldRef("Claim", 0) in analysis.refs.values()


def test_all_errors_reported_sorted() -> None:
    text = body("""
        view b() -> Int:
            return zz
        view a() -> Int:
            return yy
    """)
    found = errors(text)
    assert [d.message for d in found] == ["undefined name `zz`", "undefined name `yy`"]


# -- modules -----------------------------------------------------------------------------------

MODULE = """\
module money_tools
enum Tier: Low, High
record Band:
    tier: Tier
    cap: Money
fn capped(x: Money, cap: Money) -> Money:
    return min(x, cap)
"""


def test_use_makes_module_fns_records_enums_usable() -> None:
    loader = DictLoader({"money_tools": MODULE})
    tree = parse(body("""
        use money_tools
        view v(x: Money) -> Money:
            let b = Band(tier: High, cap: 5.00 CNY)
            return capped(x, b.cap)
    """).replace("use money_tools\n", "").replace("parties", "use money_tools\nparties", 1))
    analysis = check(tree, loader)
    assert "money_tools" in analysis.modules
    assert FunctionRef("capped", "fn", "money_tools") in analysis.refs.values()
    assert analysis.functions["money_tools.capped"].module == "money_tools"
    assert "Band" in analysis.types.records


def test_unknown_module_and_module_contents() -> None:
    text = "contract C\nuse nothing_here\nparties a\n"
    d = one_error(text, DictLoader({}))
    assert d.message == "unknown module `nothing_here`"
    at(d, text, "nothing_here")
    bad = "module m\nparties a\nfn f() -> Int:\n    return 1\n"
    d = one_error(bad)
    assert d.message == "a module holds only fn, record and enum declarations"


def test_record_that_contains_itself() -> None:
    text = "contract C\nparties a\nrecord A:\n    b: B\nrecord B:\n    a: A\n    more: List[B]\n"
    found = errors(text)
    assert [d.message for d in found] == [
        "record A contains itself, so no A value could be built",
        "record B contains itself, so no B value could be built"]


def test_errors_of_a_used_module_are_reported_at_their_place() -> None:
    loader = DictLoader({"broken": "module broken\nfn f() -> Int:\n    return \"x\"\n"})
    text = "contract C\nuse broken\nparties a\n"
    found = errors(text, loader)
    assert [(d.span.file, d.message) for d in found] == [
        ("broken.bao", "the result of `f` must be Int, not Text"), ("c.bao", "module broken has 1 error")]


@pytest.mark.parametrize("decls,message", [
    ("action a() by insurer:\n    1 + 2\n", "this expression does nothing on its own line"),
    ("action a(m: Map[Text, Int]) by insurer:\n    for x in m:\n        pass\n", "looping over a Map takes 2 variables"),
    ("action a() by insurer:\n    for i in 5:\n        pass\n",
     "cannot loop over Int: `for` works on a List, a Map or range(a, b)"),
    ("init():\n    pass\n", "`init` must say who deploys the contract"),
    ("init() by insurer:\n    pass\ninit() by insurer:\n    pass\n", "a contract has one `init`"),
    ("fn f(x: Int):\n    pass\n", "fn `f` must declare its result type"),
    ("view v() -> Mony:\n    return 1\n", "unknown type `Mony`"),
    ("state:\n    m2: Map[Claim, Int]\n", "Claim cannot be a map key"),
    ("record R:\n    a: Int\n    a: Text\n", "record R has two fields `a`"),
    ("action a(x: Int, x: Int) by insurer:\n    pass\n", "`a` has two parameters `x`"),
    ("view v(a: Bool, b: Bool) -> Bool:\n    return a < b\n", "Bool values have no order: `<` does not apply"),
    ("view v(a: Int) -> Bool:\n    return not a\n", "the operand of `not` must be Bool, not Int"),
    ("view v() -> Money:\n    return total\naction a() by insurer:\n    let x = v()\n",
     "`v` is a view and cannot be called here"),
    ("action a() by insurer:\n    claims.append(1)\n", "`append` works on a List, not on Map[Text, Claim]"),
    ("view v() -> Text:\n    return log.get(0, \"\")\n", "`get` works on a Map, not on List[Text]"),
    ("action a() by insurer:\n    Active = Closed\n", "cannot assign to `Active`: it is an enum value"),
    ("action a() by insurer:\n    caller = caller\n", "cannot assign to `caller`: it is a built-in value"),
    ("action a() by insurer:\n    fail 5\n", "the message of `fail` must be Text, not Int"),
    ("action a() by insurer:\n    require true, 5\n", "the message of `require` must be Text, not Int"),
    ("action a() by insurer:\n    emit Payd(\"x\", 1.00 CNY)\n", "undefined event `Payd`"),
    ("action a() by insurer:\n    emit Paid(\"x\")\n", "event Paid needs `amount`"),
    ("action a() -> Int by insurer:\n    return\n", "`a` must return a Int"),
    ("action a() by insurer:\n    return 1\n", "`a` declares no result type, so `return` takes no value"),
    ("fn f() -> Int by insurer:\n    return 1\n", "a fn has no `by`: it is called only from the contract's own code"),
    ("view v() -> Money:\n    return Claim\n", "`Claim` is a record type, not a value"),
    ("view v() -> Text:\n    return insurer\n", "`insurer` is a party role, not a value"),
    ("view v() -> Text:\n    return caller.name\n", "a Party has no field `name`"),
    ("view v() -> Int:\n    return log[\"a\"]\n", "a list index must be Int, not Text"),
    ("view v() -> Int:\n    return total[0]\n", "cannot index a Money: only Map and List values have [ ]"),
    ("view v() -> Int:\n    return sum([1], 2.5)\n", "the start of `sum` must be Int, not Decimal"),
    ("view v() -> Bool:\n    return 1 in log\n", "cannot look for Int in List[Text]: its items are Text"),
    ("view v() -> Int:\n    return len(x: log)\n", "`len` takes no named arguments"),
    ("state:\n    t2: Money = total\n", "a default or initial value cannot use the state variable `total`"),
    ("lifecycle Claim.amount:\n    Active -> Closed by insurer\n", "a lifecycle needs an enum field; Claim.amount is Money"),
    ("lifecycle Claim.status:\n    Active -> Closed by insurer\nlifecycle Claim.status:\n    Closed -> Active by insurer\n",
     "Claim.status already has a lifecycle"),
    ("enum E: X, Y, X\n", "E lists `X` twice"),
    ("fn len(x: Int) -> Int:\n    return x\n", "`len` is a built-in name and cannot be declared"),
])
def test_error_classes(decls: str, message: str) -> None:
    found = errors(HEADER + decls)
    assert message in [d.message for d in found], [d.message for d in found]
    assert all(d.span.line >= 1 for d in found)


def test_unreachable_statement_is_a_warning() -> None:
    text = body("""
        view v() -> Int:
            return 1
            pass
    """)
    analysis = check_src(text)
    (w,) = analysis.warnings
    assert w.message == "this statement is never reached" and w.severity == "warning"
    at(w, text, "pass")


def test_empty_branch_of_a_conditional_takes_the_other_branch_type() -> None:
    tree = parse(body("""
        view v(c: Bool) -> Int:
            let xs = [] if c else [1, 2]
            return len(xs)
    """))
    analysis = check(tree, ModuleLoader())
    assert str(analysis.type_of(tree.decls[-1].body[0].value)) == "List[Int]"
    text = body("""
        action a() by insurer:
            nothing = []
    """)
    assert [d.message for d in errors(text)] == ["undefined name `nothing`"]
