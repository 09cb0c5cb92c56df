"""Formulas and steps of `baochain explain`: the contract's own words, brackets exactly where the
meaning needs them, small fns written out in place."""

from __future__ import annotations

import ast as pyast
from pathlib import Path

from hypothesis import given, strategies as st

from dsl.syntax import ast
from dsl.explain.build import build_document
from dsl.explain.formula import FormulaWriter
from dsl.explain.model import RunKind, plain
from dsl.explain.names import ContractNames, words
from dsl.explain.phrases import phrases_for
from dsl.pipeline import Compilation
from dsl.syntax.parser import parse_source

SECTION1 = Path(__file__).parent / "snapshots" / "explain_section1.bao"


def _document(source: str, lang: str = "en"):
    return build_document(Compilation(source, "t.bao").analysis, source, lang)


def _steps(doc, name: str) -> list[str]:
    fn = next(f for f in (*doc.actions, *doc.views, *doc.functions) if f.name == name)
    out: list[str] = []

    def walk(steps, depth=0):
        for s in steps:
            out.append("  " * depth + plain(s.text))
            walk(s.children, depth + 1)

    walk(fn.steps)
    return out


def test_section1_payable_formula_reads_as_in_the_issue():
    doc = _document(SECTION1.read_text(encoding="utf-8"))
    steps = _steps(doc, "settle")
    # A field read through the policy is the policy's, never a bare name that reads like a new value.
    assert ("Computes payable = min(max(bill − the policy's deductible, 0.00 CNY) × (100% − the policy's copay), "
            "the policy's sum insured − already).") in steps


def test_section1_steps_of_settle_in_order():
    doc = _document(SECTION1.read_text(encoding="utf-8"))
    assert _steps(doc, "settle") == [
        "Requires policy id is in policies; otherwise the call fails with “unknown policy {policy id}”.",
        "Computes p = policies[policy id].",
        "Requires the policy's status = Active; otherwise the call fails with “policy {policy id} is not active”.",
        "Requires the policy's start ≤ treated on ≤ the policy's end; otherwise the call fails with "
        "“treatment date outside the cover period”.",
        "Computes already = paid[policy id] (or 0.00 CNY if there is none).",
        "Computes payable = min(max(bill − the policy's deductible, 0.00 CNY) × (100% − the policy's copay), "
        "the policy's sum insured − already).",
        "Sets paid[policy id] to already + payable.",
        "Increases total paid by payable.",
        "Emits ClaimSettled with policy id, bill, payable.",
        "Returns payable.",
    ]


def test_chinese_steps_keep_identifiers_and_messages_as_written():
    doc = _document(SECTION1.read_text(encoding="utf-8"), "zh")
    steps = _steps(doc, "settle")
    assert steps[0] == "前提条件：policies 中有 policy id；否则调用失败，提示 “unknown policy {policy id}”。"
    # Section 1's fields have no Chinese description, so the record and fields keep their names.
    assert ("计算 payable = min(max(bill − Policy 的 deductible, 0.00 CNY) × (100% − Policy 的 copay), "
            "Policy 的 sum insured − already)。") in steps


SMALL = '''contract C
parties insurer
record Claim:
    amount: Money
    share: Percent
state:
    claims: Map[Text, Claim]
    total: Money = 0.00 CNY
    count: Int = 0
action pay(a_id: Text, b_id: Text, flag: Bool) -> Money by insurer:
    let a = claims[a_id]
    let b = claims[b_id]
    let both = a.amount + b.amount
    require flag and not (a.share > b.share)
    require a.amount - (b.amount - both) >= both * (100% - a.share)
    if flag:
        count += len(a_id) // 2
    elif a.share == 0%:
        fail "no share"
    else:
        pass
    for i in range(0, 3):
        total -= both
    claims[a_id].amount = deep(1, 2)
    a.amount = both
    delete claims[b_id]
    return twice(both) if flag else -both
fn twice(x: Money) -> Money:
    return x * 2
fn deep(x: Int, y: Int) -> Money:
    return loop(x)
fn loop(x: Int) -> Money:
    return deep(x, x)
'''


def test_fields_read_on_two_locals_are_qualified():
    steps = _steps(_document(SMALL), "pay")
    assert "Computes both = amount of a + amount of b." in steps


def test_default_message_is_the_source_of_the_condition():
    steps = _steps(_document(SMALL), "pay")
    assert ("Requires flag and (not (share of a > share of b)); otherwise the call fails with "
            "“requirement failed: flag and not (a.share > b.share)”.") in steps


def test_brackets_follow_the_tree_not_the_source_text():
    steps = _steps(_document(SMALL), "pay")
    assert any("amount of a − (amount of b − both) ≥ both × (100% − share of a)" in s for s in steps)


def test_branches_loops_and_targets():
    steps = _steps(_document(SMALL), "pay")
    assert "If flag:" in steps
    assert "  Increases count by whole part of (length of a id) ÷ 2." in steps
    assert "Otherwise, if share of a = 0%:" in steps
    assert "  Fails with “no share”." in steps
    assert "Otherwise:" in steps and "  Does nothing." in steps
    assert "For each i from 0 up to, but not including, 3:" in steps
    assert "  Decreases total by both." in steps
    assert "Sets amount of a to both." in steps  # a target names the record that changes
    assert "Removes claims[b id]." in steps
    assert "Returns both × 2 if flag, otherwise −both." in steps


def test_mutually_recursive_fns_stop_inlining():
    steps = _steps(_document(SMALL), "pay")
    line = next(s for s in steps if s.startswith("Sets amount of claims[a id]"))
    # deep → loop → deep … is written out a few levels, then by name: never endless.
    assert "deep(" in line or "loop(" in line
    assert len(line) < 400


def test_changes_and_emits_summary():
    doc = _document(SECTION1.read_text(encoding="utf-8"))
    settle = next(f for f in doc.actions if f.name == "settle")
    assert settle.changes == ("paid", "total paid")
    assert settle.emits == ("ClaimSettled",)
    assert settle.returns == "amount of money"
    suspend = next(f for f in doc.actions if f.name == "suspend")
    assert suspend.changes == ("policies",)


def test_words():
    assert words("sum_insured") == "sum insured"
    assert words("保单_金额") == "保单 金额"
    assert words("_x") == "x"


# ----------------------------------------------------------------------------------------------
# Property: the brackets a formula shows give back the tree it was written from.

_NAMES = st.sampled_from(["a", "b", "c", "d"])


def _exprs():
    leaf = _NAMES.map(lambda n: ast.Name(n))
    return st.recursive(
        leaf,
        lambda inner: st.one_of(
            st.builds(lambda op, l, r: ast.Binary(op, l, r), st.sampled_from(["+", "-", "*", "/"]), inner, inner),
            st.builds(lambda o: ast.Unary("-", o), inner),
        ),
        max_leaves=12,
    )


def _to_python(e: ast.Expr) -> pyast.AST:
    match e:
        case ast.Name(id=n):
            return pyast.Name(n, pyast.Load())
        case ast.Unary(operand=o):
            return pyast.UnaryOp(pyast.USub(), _to_python(o))
        case ast.Binary(op=op, left=l, right=r):
            ops = {"+": pyast.Add(), "-": pyast.Sub(), "*": pyast.Mult(), "/": pyast.Div()}
            return pyast.BinOp(_to_python(l), ops[op], _to_python(r))
    raise AssertionError(e)


@given(_exprs())
def test_formula_brackets_keep_the_tree(expr):
    writer = FormulaWriter(ContractNames.of(parse_source("contract C\n", "c.bao")), phrases_for("en"), {})
    text = writer.write(expr)
    back = pyast.parse(text.replace("×", "*").replace("÷", "/").replace("−", "-"), mode="eval").body
    assert pyast.dump(back) == pyast.dump(_to_python(expr)), text


def test_logic_is_bracketed_for_readers():
    source = '''contract C
parties insurer
action f(a: Bool, b: Bool, c: Bool, n: Int) by insurer:
    require a and b or c, "one"
    require a or b or c, "two"
    require not (n > 1) and not a, "three"
'''
    steps = _steps(_document(source), "f")
    assert steps[0].startswith("Requires (a and b) or c;")
    assert steps[1].startswith("Requires a or b or c;")
    # A negation inside `and`/`or` is bracketed: "not a or b" could be read as not (a or b).
    assert steps[2].startswith("Requires (not (n > 1)) and (not a);")


def test_writes_checked_by_a_lifecycle_say_so():
    doc = _document(SECTION1.read_text(encoding="utf-8"))
    assert _steps(doc, "suspend") == [
        "Sets status of policies[policy id] to Suspended. The change must follow the lifecycle Policy.status."
    ]
    assert _steps(doc, "issue")[1] == "Sets policies[id] to policy. The change must follow the lifecycle Policy.status."
    # A write that no lifecycle checks carries no note.
    assert _steps(doc, "settle")[6] == "Sets paid[policy id] to already + payable."


def test_a_local_copy_is_checked_only_when_stored():
    source = SECTION1.read_text(encoding="utf-8") + '''
action pause(policy_id: Text) by insurer:
    let p = policies[policy_id]
    p.status = Suspended
    policies[policy_id] = p
'''
    steps = _steps(_document(source), "pause")
    assert steps[1] == "Sets the policy's status to Suspended."
    assert steps[2] == "Sets policies[policy id] to p. The change must follow the lifecycle Policy.status."


def test_every_shipped_contract_is_worded_without_gaps():
    # "…" stands for an expression form the formula writer does not know.
    root = Path(__file__).resolve().parents[3]
    for path in sorted((root / "contracts").glob("*.bao")):
        if path.name.endswith(".test.bao"):
            continue
        unit_source = path.read_text(encoding="utf-8")
        doc = build_document(Compilation(unit_source, str(path)).analysis, unit_source, "en")
        for fn in (*doc.actions, *doc.views, *doc.functions, *((doc.init,) if doc.init else ())):
            stack = list(fn.steps)
            while stack:
                step = stack.pop()
                stack.extend(step.children)
                for run in step.text:
                    assert not (run.kind is RunKind.FORMULA and "…" in run.text), (path.name, fn.name, run.text)


def _any_exprs():
    leaf = st.one_of(
        _NAMES.map(lambda n: ast.Name(n)),
        st.sampled_from(["caller", "now", "today", "tx_id", "total", "Active", "insurer", "Claim"]).map(ast.Name),
        st.integers(0, 10**6).map(lambda i: ast.IntLit(str(i))),
        st.just(ast.MoneyLit("1.00", "CNY")), st.just(ast.PercentLit("12.5")), st.just(ast.DateLit("2024-01-01")),
        st.just(ast.DurationLit("3", "days")), st.booleans().map(ast.BoolLit), st.just(ast.DecimalLit("0.5")),
        st.text("ab {}", max_size=6).map(lambda t: ast.TextLit((t,))),
    )
    ops = st.sampled_from(["+", "-", "*", "/", "//", "mod", "and", "or"])
    cmp_ops = st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "in", "not in"])
    names = st.sampled_from(["amount", "share", "org", "append", "get"])
    return st.recursive(leaf, lambda inner: st.one_of(
        st.builds(ast.Binary, ops, inner, inner),
        st.builds(ast.Unary, st.sampled_from(["-", "not"]), inner),
        st.builds(lambda f, r: ast.Compare(f, tuple(r)), inner, st.lists(st.tuples(cmp_ops, inner), min_size=1, max_size=2)),
        st.builds(ast.Conditional, inner, inner, inner),
        st.builds(ast.Attribute, inner, names),
        st.builds(ast.Index, inner, inner),
        st.builds(lambda f, a: ast.Call(ast.Name(f), tuple(ast.Arg(x) for x in a)),
                  st.sampled_from(["min", "max", "twice", "deep", "Claim", "len"]), st.lists(inner, max_size=3)),
        st.builds(lambda o, a: ast.Call(ast.Attribute(o, "get"), tuple(ast.Arg(x) for x in a)), inner, st.lists(inner, min_size=2, max_size=2)),
        st.builds(lambda xs: ast.ListLit(tuple(xs)), st.lists(inner, max_size=3)),
        st.builds(lambda kv: ast.MapLit(tuple(kv)), st.lists(st.tuples(inner, inner), max_size=2)),
        st.builds(lambda a, b: ast.TextLit(("x", a, "y", b)), inner, inner),
    ), max_leaves=14)


@given(_any_exprs(), st.sampled_from(["en", "zh"]))
def test_any_expression_is_worded_without_error(expr, lang):
    tree = parse_source(SMALL, "t.bao")
    writer = FormulaWriter(ContractNames.of(tree), phrases_for(lang), {})
    text = writer.write(expr)
    assert text and "…" not in text
    assert writer.target(expr)


def test_builtins_in_words_are_bracketed_inside_arithmetic():
    source = '''contract C
parties insurer
action f(d: Date, xs: List[Int]) -> Int by insurer:
    require len(xs) > 0, "empty"
    require days_between(d, add_months(d, 1)) >= 28, "short"
    return year(d) * 100 + month(d) + len(xs)
'''
    steps = _steps(_document(source), "f")
    assert steps[0].startswith("Requires length of xs > 0;")
    assert steps[1].startswith("Requires days from d to (d plus 1 months) ≥ 28;")
    assert steps[2] == "Returns (year of d) × 100 + (month of d) + (length of xs)."


def test_description_comments_of_what_a_function_mentions():
    source = '''contract C
parties insurer
record Claim:
    # What the hospital billed.
    amount: Money
record Refund:
    # What goes back to the holder.
    amount: Money
state:
    # Every claim, by its id.
    claims: Map[Text, Claim]
action f(id: Text) -> Money by insurer:
    return claims[id].amount
'''
    doc = _document(source)
    # The field's comment is the one of the record the value has (Claim, not Refund).
    glossary = {term: prose.text for term, prose in doc.actions[0].glossary}
    assert glossary == {"claims": "Every claim, by its id.", "amount": "What the hospital billed."}


# ----------------------------------------------------------------------------------------------
# Property: `and`, `or` and `not` read the same whatever a reader takes their precedence to be.

def _logic_exprs():
    return st.recursive(
        _NAMES.map(lambda n: ast.Name(n)),
        lambda inner: st.one_of(
            st.builds(lambda op, l, r: ast.Binary(op, l, r), st.sampled_from(["and", "or"]), inner, inner),
            st.builds(lambda o: ast.Unary("not", o), inner),
        ),
        max_leaves=10,
    )


def _read(text: str, rank: dict[str, int]) -> ast.Expr:
    """Parse a written condition with the given binding strength of `and`, `or` and `not` (higher
    binds tighter; binary operators group to the left), as a reader with that belief would."""
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()
    pos = 0

    def expr(floor: int) -> ast.Expr:
        nonlocal pos
        token = tokens[pos]
        pos += 1
        if token == "(":
            left = expr(0)
            pos += 1  # ")"
        elif token == "not":
            left = ast.Unary("not", expr(rank["not"]))
        else:
            left = ast.Name(token)
        while pos < len(tokens) and tokens[pos] in ("and", "or") and rank[tokens[pos]] > floor:
            op = tokens[pos]
            pos += 1
            left = ast.Binary(op, left, expr(rank[op]))
        return left

    return expr(0)


@given(_logic_exprs())
def test_logic_reads_the_same_under_any_belief_about_precedence(expr):
    writer = FormulaWriter(ContractNames.of(parse_source("contract C\n", "c.bao")), phrases_for("en"), {})
    text = writer.write(expr)
    for order in (("or", "and", "not"), ("and", "or", "not"), ("not", "or", "and"), ("not", "and", "or"),
                  ("or", "not", "and"), ("and", "not", "or")):
        rank = {op: i + 1 for i, op in enumerate(order)}
        assert _read(text, rank) == expr, (text, order)


def test_names_are_worded_by_what_the_analysis_says_they_are():
    source = '''contract C
parties insurer
state:
    opened: Date = 2024-01-01
action f(d: Date) by insurer:
    require d >= opened and d <= today, "no"
'''
    unit = Compilation(source, "t.bao")
    cond = unit.analysis.tree.decls[-1].body[0].cond
    names = ContractNames.of(unit.analysis.tree)
    # `today` is the built-in value because the checker resolved it so: the words come from its reference.
    refs = unit.analysis.annotations.refs
    assert FormulaWriter(names, phrases_for("zh"), refs).write(cond) == "d ≥ opened 且 d ≤ 当天"
    assert FormulaWriter(names, phrases_for("zh"), {}).write(cond) == "d ≥ opened 且 d ≤ today"
