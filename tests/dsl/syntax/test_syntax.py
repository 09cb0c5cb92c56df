"""The grammar: every declaration, statement, expression and test step; precedence; spans;
syntax errors in words, several per run."""

from __future__ import annotations

import pytest

from dsl.syntax import ast
from dsl.syntax.ast import Arg, Binary, Call, Compare, Conditional, IntLit, Name, TextLit, Unary
from dsl.diagnostics import CompileError
from dsl.syntax.parser import parse_source


def parse(text: str):
    return parse_source(text, "p.bao")


def body(*lines: str) -> tuple:
    src = "contract C\nfn f() -> Int:\n" + "".join(f"    {line}\n" for line in lines)
    return parse(src).decls[0].body


def expr(text: str) -> ast.Expr:
    return body(f"return {text}")[0].value


def messages(text: str) -> list[tuple[str, int, int]]:
    with pytest.raises(CompileError) as info:
        parse(text)
    return [(d.message, d.span.line, d.span.col) for d in info.value.diagnostics]


a, b, c, d = Name("a"), Name("b"), Name("c"), Name("d")


# -- precedence (section 5) -------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "tree"),
    [
        ("a or b and c", Binary("or", a, Binary("and", b, c))),
        ("not a and b", Binary("and", Unary("not", a), b)),
        ("not a == b", Unary("not", Compare(a, (("==", b),)))),
        ("a + b * c", Binary("+", a, Binary("*", b, c))),
        ("a - b - c", Binary("-", Binary("-", a, b), c)),
        ("a // b mod c", Binary("mod", Binary("//", a, b), c)),
        ("a / b", Binary("/", a, b)),
        ("-a * b", Binary("*", Unary("-", a), b)),
        ("-a.b", Unary("-", ast.Attribute(a, "b"))),
        ("(a + b) * c", Binary("*", Binary("+", a, b), c)),
        ("a <= b <= c", Compare(a, (("<=", b), ("<=", c)))),
        ("a not in b", Compare(a, (("not in", b),))),
        ("a in b != c", Compare(a, (("in", b), ("!=", c)))),
        ("a + 1 > b", Compare(Binary("+", a, IntLit("1")), ((">", b),))),
        ("a if b else c", Conditional(a, b, c)),
        ("a if b or c else d", Conditional(a, Binary("or", b, c), d)),
        ("a or b if c else d", Conditional(Binary("or", a, b), c, d)),
        ("a if b else c if d else a", Conditional(a, b, Conditional(c, d, a))),
        ("a.b[c](d)", Call(ast.Index(ast.Attribute(a, "b"), c), (Arg(d),))),
        ("m.get(k, 0)", Call(ast.Attribute(Name("m"), "get"), (Arg(Name("k")), Arg(IntLit("0"))))),
    ],
)
def test_precedence(text: str, tree: ast.Expr) -> None:
    assert expr(text) == tree


def test_spans_are_exact() -> None:
    e = expr("a + f(b, c)")
    assert (e.span.line, e.span.col, e.span.end_line, e.span.end_col) == (3, 12, 3, 23)
    call = e.right
    assert (call.span.col, call.span.end_col) == (16, 23)
    stmt = body("x = 1")[0]
    assert (stmt.span.line, stmt.span.col, stmt.span.end_col) == (3, 5, 3, 10)[:1] + (5, 10)


def test_span_file_is_the_path() -> None:
    t = parse_source("contract C\nparties a\n", "contracts/x.bao")
    assert t.span.file == "contracts/x.bao" and t.decls[0].names[0].span.file == "contracts/x.bao"
    assert t.path == "contracts/x.bao"


# -- statements -------------------------------------------------------------------------------

def test_every_statement_form() -> None:
    stmts = body(
        "let x = 1",
        "let y: List[Int] = []",
        "x = 2",
        "p.f = 3",
        "m[k] = 4",
        "m[k].f = 5",
        "t += 1",
        "t -= 1",
        "if x:",
        "    pass",
        "elif y:",
        "    pass",
        "else:",
        "    pass",
        "for v in xs:",
        "    pass",
        "for k, v in m:",
        "    pass",
        "for i in range(0, 3):",
        "    pass",
        'require x > 0, "msg {x}"',
        "require x > 0",
        'fail "no"',
        "emit E(a, b: 1)",
        "delete m[k]",
        "history.append(x)",
        "return",
        "return x",
    )
    kinds = [type(s).__name__ for s in stmts]
    assert kinds == ["Let", "Let", "Assign", "Assign", "Assign", "Assign", "Assign", "Assign", "If", "For", "For",
                     "For", "Require", "Require", "Fail", "Emit", "Delete", "ExprStmt", "Return", "Return"]
    assert stmts[1].type == ast.TypeRef("List", (ast.TypeRef("Int"),))
    assert [s.op for s in stmts[2:8]] == ["=", "=", "=", "=", "+=", "-="]
    if_stmt = stmts[8]
    assert len(if_stmt.branches) == 2 and if_stmt.otherwise == (ast.Pass(),)
    assert stmts[10].vars == (ast.Ident("k"), ast.Ident("v"))
    assert stmts[11].iter == Call(Name("range"), (Arg(IntLit("0")), Arg(IntLit("3"))))
    assert stmts[13].message is None and stmts[18].value is None
    assert stmts[15].args == (Arg(a), Arg(IntLit("1"), "b"))


def test_compound_statement_spans_end_with_their_block() -> None:
    [stmt] = body("if a:", "    x = 1", "else:", "    x = 22")
    assert (stmt.span.line, stmt.span.col, stmt.span.end_line, stmt.span.end_col) == (3, 5, 6, 15)


def test_assigning_to_a_non_place_is_an_error() -> None:
    [(msg, line, col)] = messages("contract C\nfn f():\n    f(x) = 1\n")
    assert msg.startswith("cannot assign to this") and (line, col) == (3, 5)


def test_delete_needs_an_entry() -> None:
    assert "delete m[k]" in messages("contract C\nfn f():\n    delete x\n")[0][0]


# -- declarations ------------------------------------------------------------------------------

def test_declarations() -> None:
    src = """module M
use insurance
enum E:
    A
    B
enum F: X, Y
record R:
    s: Map[Text, List[Int]]
    t: Money = 0.00 CNY
state:
    n: Int = 0
event Ev(a: Int, b: Text)
lifecycle R.status starts A:
    A -> B by x
    A, B -> A by x, y
lifecycle R.other:
    B -> A by x
init(a: Int) by x:
    pass
action act(p: Int) -> Int by x, y:
    return p
view v() -> Int by anyone:
    return 1
view w():
    pass
fn g(a: Int, b: Int,) -> Int:
    return a
"""
    t = parse(src)
    assert t.kind == "module" and t.name == ast.Ident("M") and t.docstring is None
    use, e, f, r, st, ev, l1, l2, init, act, v, w, g = t.decls
    assert e.multiline and [x.name.name for x in e.values] == ["A", "B"]
    assert not f.multiline and [x.name.name for x in f.values] == ["X", "Y"]
    assert r.fields[0].type == ast.TypeRef("Map", (ast.TypeRef("Text"), ast.TypeRef("List", (ast.TypeRef("Int"),))))
    assert r.fields[1].default == ast.MoneyLit("0.00", "CNY")
    assert st.vars[0].default == IntLit("0")
    assert [p.name.name for p in ev.params] == ["a", "b"]
    assert l1.record.name == "R" and l1.field.name == "status" and l1.start == ast.Ident("A")
    assert l1.transitions[1] == ast.Transition((ast.Ident("A"), ast.Ident("B")), ast.Ident("A"),
                                               (ast.Ident("x"), ast.Ident("y")))
    assert l2.start is None
    assert init.by == ast.By((ast.Ident("x"),))
    assert act.kind == "action" and act.returns == ast.TypeRef("Int") and len(act.by.roles) == 2
    assert v.by == ast.By((), True) and w.by is None and w.returns is None
    assert g.kind == "fn" and len(g.params) == 2


def test_header_forms() -> None:
    t = parse('# about\ncontract HealthDirectPay\n"""Bills."""\n\nparties insurer\n')
    assert t.kind == "contract" and t.docstring == "Bills." and t.doc == ("about",)


def test_empty_file_and_wrong_start() -> None:
    assert "starts with" in messages("")[0][0]
    assert "starts with" in messages("# only a comment\n")[0][0]
    assert "starts with" in messages("parties a\n")[0][0]


# -- test files --------------------------------------------------------------------------------

def test_test_file_steps() -> None:
    src = '''# doc of the file
tests for "health.bao"

# a scenario's description
scenario "title {{x}}":
    at 2024-05-01
    let picc = insurer "PICC"
    let n = 1 + 2
    deploy by picc
    deploy(1, a: 2) by picc
    picc calls issue("P1", 2)
    expect picc calls issue()
    expect picc calls settle("P1") returns 800.00 CNY
    expect picc calls settle("P9") fails with "unknown policy"
    expect emitted ClaimSettled(policy_id: "P1", payable: 800.00 CNY)
    expect remaining("P1") == 9200.00 CNY
'''
    t = parse(src)
    assert isinstance(t, ast.TestFile) and t.target == "health.bao" and t.doc == ("doc of the file",)
    [sc] = t.scenarios
    assert sc.title == "title {x}" and sc.doc == ("a scenario's description",)
    at, let_p, let_n, dep, dep2, call, exp, ret, fails, emitted, true = sc.steps
    assert at == ast.AtStep(ast.DateLit("2024-05-01"))
    assert let_p == ast.LetStep(ast.Ident("picc"), ast.PartyLit("insurer", "PICC"))
    assert isinstance(let_n.value, Binary)
    assert dep == ast.DeployStep((), ast.Ident("picc"))
    assert dep2.args == (Arg(IntLit("1")), Arg(IntLit("2"), "a"))
    assert call == ast.CallStep(ast.Ident("picc"), ast.Ident("issue"), (Arg(TextLit(("P1",))), Arg(IntLit("2"))))
    assert exp.expect and exp.returns is None and exp.fails_with is None
    assert ret.returns == ast.MoneyLit("800.00", "CNY") and ret.expect
    assert fails.fails_with == "unknown policy" and fails.expect
    assert emitted.event == ast.Ident("ClaimSettled") and emitted.args[0].name == "policy_id"
    assert isinstance(true, ast.ExpectTrue)
    assert (ret.span.line, ret.span.col, ret.span.end_col) == (13, 5, 54)


def test_failure_text_cannot_interpolate() -> None:
    src = 'tests for "x.bao"\nscenario "s":\n    expect a calls f() fails with "no {x}"\n'
    assert "cannot interpolate" in messages(src)[0][0]


# -- syntax errors -----------------------------------------------------------------------------

def test_statement_after_colon_on_the_same_line() -> None:
    [(msg, line, col)] = messages("contract C\nfn f() -> Int:\n    if x: return 1\n")
    assert msg == "unexpected 'return': a block's statements go on their own lines" and (line, col) == (3, 11)


def test_missing_colon_after_signature() -> None:
    [(msg, line, col)] = messages("contract C\naction settle(id: Text) -> Money by hospital\n    return 1\n")
    assert msg == "expected ':' after the action's signature" and (line, col) == (2, 45)


@pytest.mark.parametrize(
    ("head", "words"),
    [("view v()", "the view's signature"), ("fn g()", "the function's signature"), ("init()", "init's parameters"),
     ("record R", "the record's name"), ("state", "'state'")],
)
def test_missing_colon_names_what_it_follows(head: str, words: str) -> None:
    assert messages(f"contract C\n{head}\n")[0][0] == f"expected ':' after {words}"


def test_missing_colon_after_condition() -> None:
    assert messages("contract C\nfn f():\n    if x\n        pass\n")[0][0] == "expected ':' after the condition"


def test_missing_block() -> None:
    [(msg, line, _)] = messages("contract C\nfn f():\nfn g():\n    pass\n")
    assert msg == "expected an indented block after ':'" and line == 3


def test_generic_message_names_tokens_in_words() -> None:
    [(msg, line, col)] = messages("contract C\nfn f():\n    let x = 1 +\n")
    assert msg == "unexpected end of line; expected an expression" and (line, col) == (3, 16)
    [(msg, _, _)] = messages("contract C\nevent E(a Int)\n")
    assert msg == "unexpected name 'Int'; expected ':'"


def test_one_error_per_broken_declaration() -> None:
    src = ("contract C\nfn f():\n    let = 1\nfn g():\n    return 1\n"
           "fn h() -> :\n    pass\nrecord R:\n    x Int\n")
    found = messages(src)
    assert [line for _, line, _ in found] == [3, 6, 9]


def test_range_only_in_a_loop_header() -> None:
    [(msg, line, col)] = messages("contract C\nfn f():\n    let r = range(1, 2)\n")
    assert msg.startswith("'range' appears only in a loop header") and (line, col) == (3, 13)


@pytest.mark.parametrize(
    "snippet",
    [  # written as in LANGUAGE.md sections 2 to 5
        "let x = e", "let x: T = e", "x = e", "a.f = e", "m[k] = e", "m[k].f = e", "x += e", "x -= e",
        "for x in list:\n        pass", "for k, v in map:\n        pass", "for i in range(a, b):\n        pass",
        'require cond, "message"', "require cond", 'fail "message"', "emit E(args)", "return e", "delete m[k]",
        "pass", "history.append(x)", "let p = policies[id]", "policies[id].status = Suspended",
        "return add_months(2024-01-31, 1) == 2024-02-29", "return x if c else y", "return a <= b <= c",
        'return Policy(holder: "Li", sum_insured: 100.00 CNY, start: 2024-01-01, end: 2024-12-31)',
        'return text(x) + "{x}"', "return sum(xs, 0.00 CNY)", "return round(x, 2)", "return m.get(k, default)",
        "return caller.org", "return E.A", "return sm3(x) == sha256(tx_id)", "return now", "return today",
        "return len(xs) mod 2", "return [1, 2, 3]", "return []", 'return {"a": 1, "b": 2}', "return {}",
    ],
)
def test_reference_snippets_parse(snippet: str) -> None:
    assert body(snippet)


def test_after_a_complete_expression_an_operator_is_expected() -> None:
    [(msg, line, col)] = messages("contract C\nfn f():\n    x = 1 2\n")
    assert msg == "unexpected number 2; expected an operator or the end of line" and (line, col) == (3, 11)


def test_expected_set_is_what_could_really_come_next() -> None:
    # After `a if b` only an operator continuing `b`, or `else`, can come (not `or` alone).
    assert messages("contract C\nfn f():\n    x = 1 if y\n")[0][0] == \
        "unexpected end of line; expected an operator or 'else'"


def test_else_without_if() -> None:
    assert messages("contract C\nfn f():\n    else:\n        pass\n")[0][:2] == ("'else' without an 'if' before it", 3)


def test_hints_for_single_equals_and_lowercase_currency() -> None:
    with pytest.raises(CompileError) as info:
        parse("contract C\nfn f():\n    if x = 1:\n        pass\n    return 100 cny\n")
    first = info.value.diagnostics[0]
    assert first.hint == "to compare, write '=='" and (first.span.line, first.span.col) == (3, 10)
    with pytest.raises(CompileError) as info:
        parse("contract C\nfn f():\n    return 100 cny\n")
    assert "`100 CNY`" in info.value.diagnostics[0].hint


@pytest.mark.parametrize(
    "statement",
    ["return " + " + ".join(["x"] * 2000), "return " + "-" * 2000 + "x", 'return "{' + "not " * 300 + 'x}"',
     "return " + "f(" * 150 + "x" + ")" * 150],
)
def test_trees_nested_too_deeply_are_refused_with_a_message(statement: str) -> None:
    [(msg, line, col)] = messages(f"contract C\nfn f():\n    {statement}\n")
    assert msg.startswith("this nests too deeply") and (line, col) == (3, 5)


def test_deeply_nested_blocks_are_refused() -> None:
    src = "contract C\nfn f():\n" + "".join("    " * k + "if x:\n" for k in range(1, 110)) + "    " * 110 + "pass\n"
    [(msg, line, col)] = messages(src)
    assert msg.startswith("this nests too deeply") and (line, col) == (3, 5)


def test_long_but_shallow_lines_are_fine() -> None:
    assert len(expr("[" + ", ".join(["1"] * 500) + "]").items) == 500
    assert expr(" + ".join(["x"] * 90)).op == "+"


def test_every_broken_line_is_reported_in_one_run() -> None:
    src = """contract C
record R:
    x Int
    y: Int
enum E:
    A B
action f() by a:
    let = 1
    if x
        pass
    x = 1 2
    return 3
lifecycle R.y:
    A -> by x
view g():
    return 1 +
"""
    found = messages(src)
    assert [line for _, line, _ in found] == [3, 6, 8, 9, 11, 14, 16]
    assert found[5][0] == "unexpected 'by'; expected a name"


def test_every_broken_step_is_reported_in_one_run() -> None:
    src = 'tests for "x.bao"\nscenario "a":\n    picc calls\n    expect\n    at 2024-01-01\nscenario "b":\n    deploy by\n'
    assert [line for _, line, _ in messages(src)] == [3, 4, 7]


def test_garbage_between_declarations() -> None:
    [(msg, line, col)] = messages("contract C\nparties a\ntests\n")
    assert msg == "unexpected 'tests'; expected a declaration or the end of file" and (line, col) == (3, 1)


def test_fast_span_is_an_ordinary_span() -> None:
    from dataclasses import FrozenInstanceError

    from dsl.syntax.ast import Span
    from dsl.syntax.callbacks import new_span

    fast = new_span("f.bao", 1, 2, 3, 4)
    assert fast == Span("f.bao", 1, 2, 3, 4) and hash(fast) == hash(Span("f.bao", 1, 2, 3, 4))
    assert type(fast) is Span and str(fast) == "f.bao:1:2"
    with pytest.raises(FrozenInstanceError):
        fast.line = 5  # type: ignore[misc]
