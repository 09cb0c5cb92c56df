"""The checker on statements and built-ins: locals and slots, assignments, loops, methods,
the built-in functions' signatures and variants."""

from __future__ import annotations

import pytest

from dsl.semantics.analysis import BuiltinFuncRef, FieldRef, LocalRef, MethodRef, RecordCtorRef
from dsl.semantics.checker import check
from dsl.diagnostics import Code, Severity
from dsl.semantics import ModuleLoader

from tests.dsl.conftest import at, body, check_src, errors, line_of, one_error, parse  # noqa: E402


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
    slots = sorted(r.slot for r in analysis.annotations.refs.values() if isinstance(r, LocalRef))
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
    methods = [r for r in analysis.annotations.refs.values() if isinstance(r, MethodRef)]
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
    assert analysis.annotations.refs[id(value)] == BuiltinFuncRef(call.split("(")[0], variant)
    assert str(analysis.annotations.type_of(value)) == result


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
    assert analysis.annotations.refs[id(ctor)] == RecordCtorRef("Claim", (0, None, 1))
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
    assert FieldRef("Claim", 0) in analysis.annotations.refs.values()


def test_all_errors_reported_sorted() -> None:
    text = body("""
        view b() -> Int:
            return zz
        view a() -> Int:
            return yy
    """)
    found = errors(text)
    assert [d.message for d in found] == ["undefined name `zz`", "undefined name `yy`"]


def test_unreachable_statement_is_a_warning() -> None:
    text = body("""
        view v() -> Int:
            return 1
            pass
    """)
    analysis = check_src(text)
    (w,) = analysis.warnings
    assert w.message == "this statement is never reached" and w.severity is Severity.WARNING and w.code is Code.B0505
    at(w, text, "pass")
