"""The checker on declarations: `by` clauses, views and fns, lifecycles, return paths,
records and `use`d modules."""

from __future__ import annotations

import pytest

from dsl.semantics.analysis import FunctionRef
from dsl.semantics.checker import check

from tests.dsl.conftest import (  # noqa: E402
    DictLoader, at, body, check_src, errors, one_error, parse,
)


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
    assert d.message == "`v` must return an Int on every path"
    check_src(body("""
        view v(x: Int) -> Int:
            if x > 0:
                return 1
            elif x < 0:
                fail "negative"
            else:
                return 0
    """))


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
    assert FunctionRef("capped", "fn", "money_tools") in analysis.annotations.refs.values()
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


@pytest.mark.parametrize("decl", ["action go() by anyone:\n    pass\n", "view v() -> Int:\n    return 1\n"])
def test_a_module_holds_no_action_or_view(decl: str) -> None:
    d = one_error("module m\n" + decl)
    assert d.message == "a module holds only fn, record and enum declarations"
    assert d.span.line == 2


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


def test_a_clashing_declaration_is_reported_once() -> None:
    text = body("""
        view v() -> Int:
            return 1
        view v() -> Text:
            return undefined_thing
    """)
    d = one_error(text)
    assert d.message == "`v` is already declared as a view"
    assert check_src(body("view v() -> Int:\n    return 1\n")).functions["v"].returns is not None


def test_a_record_holds_at_most_255_fields() -> None:
    fields = "".join(f"    f{i}: Int = 0\n" for i in range(256))
    text = body("record Wide:\n" + fields)
    d = one_error(text)
    assert d.message == "record Wide has 256 fields; a record holds at most 255"
    at(d, text, "f255")
    check_src(body("record Wide:\n" + fields.replace("    f255: Int = 0\n", "")))
