"""The checker on Bao source: LANGUAGE.md's examples check clean, and each class of error is
reported with its message and at its span."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dsl.semantics import ModuleLoader
from dsl.semantics.analysis import BuiltinFuncRef, EnumValueRef, FunctionRef, MethodRef, StateRef, TypeNameRef
from dsl.semantics.checker import check
from dsl.syntax import ast, parser
from tests.dsl.conftest import (
    HEADER, ROOT, SECTION_1, DictLoader, at, body, check_src, errors, line_of, one_error, parse,
)
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
    refs = list(analysis.annotations.refs.values())
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
    (first,) = d.related
    assert first.message == "first declared here" and first.span.line == line_of(text, "event Paid")[0]
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
    assert str(analysis.annotations.expr_types[id(let.value)]) == "Int"
    assert str(analysis.annotations.type_of(let.value)) == "Decimal"


@pytest.mark.parametrize("where", [
    "let x: Decimal = {n}", "let x = 1.5 + -{n}", "let x = [1.5, {n}]", "let x = min(1.5, {n})",
    "let x = {n} < 1.5", "let x = 1.5 if true else {n}"])
def test_an_int_literal_that_widens_must_fit_a_decimal(where: str) -> None:
    # 10**60 is a fine Int but no Decimal: 18 fractional digits leave 2**255 / 10**18 for the rest.
    big = "1" + "0" * 60
    text = body(f"""
        view v() -> Int:
            {where.format(n=big)}
            return 1
    """)
    d = one_error(text)
    assert d.message == f"invalid Decimal {big}: out of range (the magnitude must stay below 2^255)"
    at(d, text, ("-" if "-{n}" in where else "") + big)
    check_src(body("""
        view v() -> Decimal:
            return 1""" + "0" * 58 + """
    """))


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
    assert str(analysis.annotations.type_of(let.value)) == "List[Text]"


def test_empty_list_with_nothing_to_tell_its_type() -> None:
    text = body("""
        action a() by insurer:
            let ys = []
    """)
    d = one_error(text)
    assert d.message == "cannot tell the type of this empty list"
    line, col = line_of(text, "let ys = []")
    assert (d.span.line, d.span.col) == (line, col + len("let ys = "))


def test_an_empty_literal_left_of_in_takes_the_items_type() -> None:
    check_src(body("""
        view v(xs: List[List[Int]], ms: List[Map[Text, Int]]) -> Bool:
            return [] in xs and {} not in ms
    """))
    for container in ("[]", "{}"):
        text = body(f"""
            view v() -> Bool:
                return 1 in {container}
        """)
        d = one_error(text)
        kind = "list" if container == "[]" else "map"
        assert d.message == f"cannot tell the type of this empty {kind}"
        line, col = line_of(text, f"1 in {container}")
        assert (d.span.line, d.span.col) == (line, col + len("1 in "))


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
    ("view v() -> Money:\n    return total\ninit() by insurer:\n    let x = v()\n",
     "`v` is a view and cannot be called here"),
    ("view v() -> Money:\n    return total\nfn f() -> Money:\n    return v()\n",
     "a fn `f` cannot use the view `v`: a view reads state"),
    ("action a() by insurer:\n    claims.append(1)\n", "`append` works on a List, not on Map[Text, Claim]"),
    ("view v() -> Text:\n    return log.get(0, \"\")\n", "`get` works on a Map, not on List[Text]"),
    ("action a() by insurer:\n    Active = Closed\n", "cannot assign to `Active`: it is an enum value"),
    ("action a() by insurer:\n    caller = caller\n", "cannot assign to `caller`: it is a built-in value"),
    ("action a() by insurer:\n    fail 5\n", "the message of `fail` must be Text, not Int"),
    ("action a() by insurer:\n    require true, 5\n", "the message of `require` must be Text, not Int"),
    ("action a() by insurer:\n    emit Payd(\"x\", 1.00 CNY)\n", "undefined event `Payd`"),
    ("action a() by insurer:\n    emit Paid(\"x\")\n", "event Paid needs `amount`"),
    ("action a() -> Int by insurer:\n    return\n", "`a` must return an Int"),
    ("action a() by insurer:\n    return 1\n", "`a` declares no result type, so `return` takes no value"),
    ("fn f() -> Int by insurer:\n    return 1\n", "a fn has no `by`: it is called only from the contract's own code"),
    ("view v() -> Money:\n    return Claim\n", "`Claim` is a record type, not a value"),
    ("view v() -> Text:\n    return insurer\n", "`insurer` is a party role, not a value"),
    ("view v() -> Text:\n    return caller.name\n", "a Party has no field `name`"),
    ("view v() -> Int:\n    return log[\"a\"]\n", "a list index must be Int, not Text"),
    ("view v() -> Int:\n    return total[0]\n", "cannot index a Money: only Map, List and tuple values have [ ]"),
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


def test_actions_and_views_call_views_and_a_fn_stays_pure() -> None:
    text = body("""
        view amount_of(id: Text) -> Money by hospital:
            return claims[id].amount
        view both(a: Text, b: Text) -> Money:
            return amount_of(a) + amount_of(b)
        action pay(id: Text) by insurer:
            total += amount_of(id)
    """)
    refs = list(check_src(text).annotations.refs.values())
    assert refs.count(FunctionRef("amount_of", "view")) == 3
    (d,) = errors(body("""
        view amount_of(id: Text) -> Money:
            return claims[id].amount
        fn f(id: Text) -> Money:
            return amount_of(id)
    """))
    assert (d.message, d.hint) == ("a fn `f` cannot use the view `amount_of`: a view reads state",
                                   "pass what it needs as a parameter, or make the caller a view")


def test_empty_branch_of_a_conditional_takes_the_other_branch_type() -> None:
    tree = parse(body("""
        view v(c: Bool) -> Int:
            let xs = [] if c else [1, 2]
            return len(xs)
    """))
    analysis = check(tree, ModuleLoader())
    assert str(analysis.annotations.type_of(tree.decls[-1].body[0].value)) == "List[Int]"
    text = body("""
        action a() by insurer:
            nothing = []
    """)
    assert [d.message for d in errors(text)] == ["undefined name `nothing`"]


def _expressions(node, exempt: set[int], out: list) -> None:
    """Every expression node under ``node``; callee names and `append` calls go to ``exempt``."""
    if isinstance(node, tuple):
        for item in node:
            _expressions(item, exempt, out)
        return
    if not hasattr(node, "__dataclass_fields__"):
        return
    if isinstance(node, ast.Call):
        exempt.add(id(node.func))
        if isinstance(node.func, ast.Attribute) and node.func.name == "append":
            exempt.add(id(node))  # a statement: no value, so no type
    if isinstance(node, ast.For) and isinstance(node.iter, ast.Call):
        exempt.add(id(node.iter))  # range(a, b)
    if isinstance(node, ast.Delete):
        exempt.add(id(node.target))
    if isinstance(node, (ast.IntLit, ast.DecimalLit, ast.MoneyLit, ast.PercentLit, ast.DateLit, ast.DurationLit,
                         ast.TextLit, ast.BoolLit, ast.HashLit, ast.ListLit, ast.MapLit, ast.Name, ast.Attribute,
                         ast.Index, ast.Call, ast.Unary, ast.Binary, ast.Compare, ast.Conditional)):
        out.append(node)
    for name in node.__dataclass_fields__:
        if name not in ("span", "comments"):
            _expressions(getattr(node, name), exempt, out)


def test_every_expression_of_the_shipped_contracts_is_typed() -> None:
    loader = ModuleLoader((ROOT / "stdlib",))
    paths = [p for p in [*(ROOT / "contracts").glob("*.bao"), *(ROOT / "stdlib").glob("*.bao")]
             if not p.name.endswith(".test.bao")]
    for path in paths:
        tree = parser.parse_source(path.read_text(encoding="utf-8"), str(path))
        analysis = check(tree, loader)
        exempt: set[int] = set()
        found: list = []
        _expressions(tree.decls, exempt, found)
        for e in found:
            if isinstance(analysis.annotations.refs.get(id(e)), TypeNameRef):
                continue  # `PolicyStatus` in `PolicyStatus.Active` names a type, not a value
            if id(e) not in exempt:
                assert id(e) in analysis.annotations.expr_types, f"{e.span}: {type(e).__name__} has no type"
            if isinstance(e, ast.Name) and id(e) not in exempt:
                assert id(e) in analysis.annotations.refs, f"{e.span}: {e.id} has no ref"
