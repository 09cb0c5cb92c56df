"""Section 5's operator table, row by row: the checker accepts exactly the listed mixes, with the
listed result type. The expected table is written out here from LANGUAGE.md, independently of
dsl.semantics.typerules, and the trees are built by hand so this runs without the parser."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from dsl.syntax import ast as A
from dsl.semantics.checker import check
from dsl.diagnostics import CompileError
from dsl.semantics import ModuleLoader

TYPES = ["Int", "Decimal", "Money", "Percent", "Date", "Duration", "Timestamp", "Text", "Bool", "Hash",
         "Party", "Colour", "List[Int]"]

# LANGUAGE.md section 5, one entry per allowed (op, left, right) -> result.
EXPECTED: dict[tuple[str, str, str], str] = {}
for _op in ("+", "-", "*", "//", "mod"):
    EXPECTED[(_op, "Int", "Int")] = "Int"
EXPECTED[("/", "Int", "Int")] = "Decimal"
for _op in ("+", "-", "*", "/"):
    EXPECTED[(_op, "Decimal", "Int")] = "Decimal"
    EXPECTED[(_op, "Int", "Decimal")] = "Decimal"  # Int widens where a Decimal is expected
    EXPECTED[(_op, "Decimal", "Decimal")] = "Decimal"
for _op in ("+", "-"):
    EXPECTED[(_op, "Money", "Money")] = "Money"
    EXPECTED[(_op, "Percent", "Percent")] = "Percent"
    EXPECTED[(_op, "Date", "Duration")] = "Date"
    EXPECTED[(_op, "Duration", "Duration")] = "Duration"
for _other in ("Int", "Decimal", "Percent"):
    EXPECTED[("*", "Money", _other)] = "Money"
    EXPECTED[("*", _other, "Money")] = "Money"
EXPECTED[("/", "Money", "Int")] = "Money"
EXPECTED[("/", "Money", "Decimal")] = "Money"
EXPECTED[("/", "Money", "Money")] = "Decimal"
for _other in ("Percent", "Int", "Decimal"):
    EXPECTED[("*", "Percent", _other)] = "Percent"
    EXPECTED[("*", _other, "Percent")] = "Percent"
EXPECTED[("-", "Date", "Date")] = "Duration"
EXPECTED[("*", "Duration", "Int")] = "Duration"
EXPECTED[("*", "Int", "Duration")] = "Duration"
EXPECTED[("+", "Text", "Text")] = "Text"

ORDERED = {"Int", "Decimal", "Money", "Percent", "Date", "Duration", "Timestamp", "Text", "Hash", "Party",
           "Colour"}
NEGATABLE = {"Int", "Decimal", "Money", "Percent", "Duration"}


def type_ref(text: str) -> A.TypeRef:
    if text.startswith("List["):
        return A.TypeRef("List", (A.TypeRef(text[5:-1]),))
    return A.TypeRef(text)


def check_expr(params: list[tuple[str, str]], make_expr):
    """Check `fn f(params) -> Bool: let x = <expr>; return true` in a module; return (analysis, expr)."""
    expr = make_expr(*[A.Name(n) for n, _ in params])
    body = (A.Let(A.Ident("x"), None, expr), A.Return(A.BoolLit(True)))
    fn = A.FuncDecl("fn", A.Ident("f"), tuple(A.Param(A.Ident(n), type_ref(t)) for n, t in params),
                    A.TypeRef("Bool"), None, body)
    enum = A.EnumDecl(A.Ident("Colour"), (A.EnumValue(A.Ident("Red")), A.EnumValue(A.Ident("Blue"))))
    tree = A.SourceFile("module", A.Ident("m"), None, (enum, fn))
    return check(tree, ModuleLoader()), expr


def result_of(params, make_expr) -> str | CompileError:
    try:
        analysis, expr = check_expr(params, make_expr)
    except CompileError as exc:
        return exc
    return str(analysis.annotations.type_of(expr))


@given(st.sampled_from(["+", "-", "*", "/", "//", "mod"]), st.sampled_from(TYPES), st.sampled_from(TYPES))
def test_arithmetic_accepts_exactly_the_table(op: str, left: str, right: str) -> None:
    got = result_of([("a", left), ("b", right)], lambda a, b: A.Binary(op, a, b))
    want = EXPECTED.get((op, left, right))
    if want is None:
        assert isinstance(got, CompileError), f"{left} {op} {right} was accepted as {got}"
        assert len(got.diagnostics) == 1
    else:
        assert got == want, f"{left} {op} {right}"


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_every_row_of_the_table(key: tuple[str, str, str]) -> None:
    op, left, right = key
    assert result_of([("a", left), ("b", right)], lambda a, b: A.Binary(op, a, b)) == EXPECTED[key]


def test_decimal_mix_records_the_widening() -> None:
    analysis, expr = check_expr([("a", "Decimal"), ("b", "Int")], lambda a, b: A.Binary("+", a, b))
    assert str(analysis.annotations.type_of(expr.right)) == "Decimal"
    assert id(expr.left) not in analysis.annotations.coercions
    analysis, expr = check_expr([("a", "Money"), ("b", "Int")], lambda a, b: A.Binary("*", a, b))
    assert not analysis.annotations.coercions  # Money * Int is its own operation


def test_error_message_names_both_types() -> None:
    got = result_of([("a", "Money"), ("b", "Percent")], lambda a, b: A.Binary("+", a, b))
    assert isinstance(got, CompileError)
    assert got.diagnostics[0].message == "cannot add Money and Percent"


@given(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), st.sampled_from(TYPES), st.sampled_from(TYPES))
def test_comparisons_need_one_type(op: str, left: str, right: str) -> None:
    got = result_of([("a", left), ("b", right)], lambda a, b: A.Compare(a, ((op, b),)))
    same = left == right or {left, right} == {"Int", "Decimal"}
    common = "Decimal" if {left, right} == {"Int", "Decimal"} else left
    ok = same and (op in ("==", "!=") or common in ORDERED)
    assert (got == "Bool") == ok, f"{left} {op} {right}: {got}"


@given(st.sampled_from(TYPES))
def test_unary_minus(t: str) -> None:
    got = result_of([("a", t)], lambda a: A.Unary("-", a))
    assert (got == t) == (t in NEGATABLE)
    if t not in NEGATABLE:
        assert isinstance(got, CompileError)


@given(st.sampled_from(TYPES), st.sampled_from(TYPES))
def test_and_or_need_bools(left: str, right: str) -> None:
    got = result_of([("a", left), ("b", right)], lambda a, b: A.Binary("and", a, b))
    assert (got == "Bool") == (left == right == "Bool")


@pytest.mark.parametrize("item,container,ok", [
    ("Text", "List[Text]", True), ("Int", "List[Int]", True), ("Text", "List[Int]", False),
    ("Text", "Text", True), ("Int", "Text", False), ("Int", "Int", False),
])
def test_membership(item: str, container: str, ok: bool) -> None:
    got = result_of([("a", item), ("b", container)], lambda a, b: A.Compare(a, (("not in", b),)))
    assert (got == "Bool") == ok


def test_chain_checks_every_pair() -> None:
    got = result_of([("a", "Date"), ("b", "Date"), ("c", "Money")],
                    lambda a, b, c: A.Compare(a, (("<=", b), ("<=", c))))
    assert isinstance(got, CompileError)
    assert got.diagnostics[0].message == "cannot compare Date with Money"
    assert result_of([("a", "Date"), ("b", "Date"), ("c", "Date")],
                     lambda a, b, c: A.Compare(a, (("<=", b), ("<", c)))) == "Bool"


def test_conditional_branches_share_a_type() -> None:
    assert result_of([("a", "Int"), ("b", "Decimal"), ("c", "Bool")],
                     lambda a, b, c: A.Conditional(a, c, b)) == "Decimal"
    got = result_of([("a", "Money"), ("b", "Int"), ("c", "Bool")], lambda a, b, c: A.Conditional(a, c, b))
    assert isinstance(got, CompileError) and "one type" in got.diagnostics[0].message
    got = result_of([("a", "Int"), ("b", "Int"), ("c", "Int")], lambda a, b, c: A.Conditional(a, c, b))
    assert isinstance(got, CompileError) and "must be Bool" in got.diagnostics[0].message


def test_no_mix_outside_the_table_is_accepted() -> None:
    # Exhaustive over the sample of types: cheap, and catches a stray extra row the sampled
    # property above might miss.
    accepted = set()
    for op in ("+", "-", "*", "/", "//", "mod"):
        for left in TYPES:
            for right in TYPES:
                got = result_of([("a", left), ("b", right)], lambda a, b: A.Binary(op, a, b))
                if not isinstance(got, CompileError):
                    accepted.add((op, left, right))
                    assert got == EXPECTED[(op, left, right)]
    assert accepted == set(EXPECTED)


def test_money_mistakes_get_a_currency_hint() -> None:
    got = result_of([("a", "Money"), ("b", "Int")], lambda a, b: A.Compare(a, ((">", b),)))
    assert isinstance(got, CompileError)
    assert got.diagnostics[0].message == "cannot compare Money with Int"
    assert "100.00 CNY" in got.diagnostics[0].hint
    got = result_of([("a", "Money"), ("b", "Decimal")], lambda a, b: A.Binary("+", a, b))
    assert isinstance(got, CompileError) and "100.00 CNY" in got.diagnostics[0].hint


def test_the_built_in_values_are_those_the_opcode_table_pushes() -> None:
    from dsl.explain.phrases import LANGUAGES, phrases_for
    from dsl.semantics.scope import BUILTIN_VALUE_NAMES
    from dsl.semantics.typerules import BUILTIN_VALUES
    from vm.types import DATE, HASH, PARTY, TIMESTAMP

    assert BUILTIN_VALUES == {"caller": PARTY, "now": TIMESTAMP, "today": DATE, "tx_id": HASH}
    assert BUILTIN_VALUE_NAMES == set(BUILTIN_VALUES)
    for lang in LANGUAGES:  # explain words each of them in every language it writes
        assert all(phrases_for(lang)(name) for name in BUILTIN_VALUES)
