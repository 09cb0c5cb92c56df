"""Optional values (`T?`, LANGUAGE.md "Bao 1.1: optional values") through the parser, fmt, the
checker (where a T? may stand, the hint where a T is needed, narrowing of locals), the compiler
and both machines (`or else` and `or fail` evaluate their right side only when needed), explain,
and every path into state and back (hypothesis: state variables, map values, record fields,
parameters and results, through JSON)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from dsl.diagnostics import Code
from dsl.fmt import format_source
from dsl.pipeline import Compilation
from dsl.scenarios import run_test_file
from dsl.semantics.typerules import OPTIONAL_HINT
from dsl.syntax import ast
from dsl.syntax.parser import parse_source
from vm.runtime import MemoryHost
from vm.runtime.interpreter import ReferenceMachine
from vm.errors import Abort
from vm.runtime import Machine
from vm.values import to_json
from tests.dsl.conftest import body, check_src, errors, invoke, one_error
from tests.vm.conftest import CTX

HERE = Path(__file__).parent
GAS = 10**7


# -- syntax ------------------------------------------------------------------------------------

def test_the_forms_parse_and_format_back_as_written() -> None:
    source = (HERE / "notes.bao").read_text(encoding="utf-8")
    tree = parse_source(source, "notes.bao")
    put = next(d for d in tree.decls if isinstance(d, ast.FuncDecl) and d.name.name == "put")
    assert [p.type.optional for p in put.params] == [False, True, True]
    assert format_source(source, "notes.bao") == source
    shown = format_source(body("""
        view v(a: Bool?, b: Bool) -> Bool:
            return (a or else b) and b or (a or fail "no a") and not (a is not none)
    """), "v.bao")
    assert 'return ((a or else b) and b) or ((a or fail "no a") and not a is not none)' in shown
    assert format_source(shown, "v.bao") == shown


def test_an_optional_of_an_optional_and_an_optional_key_are_refused() -> None:
    assert one_error(body("state:\n    x: Int??\n")).message == "a type is optional once: write T?"
    assert one_error(body("state:\n    m: Map[Text?, Int]\n")).message == "Text? cannot be a map key"


# -- checker -----------------------------------------------------------------------------------

def test_a_value_stands_where_an_optional_is_expected_but_not_the_other_way() -> None:
    check_src(body("""
        record Stay:
            days: Int?
        view v(d: Date?, n: Int) -> Decimal?:
            let s = Stay(days: n)
            let t: Date? = none
            return n
    """))
    d = one_error(body("""
        view v(d: Date?) -> Date:
            return d
    """))
    assert (d.message, d.hint) == ("the returned value must be Date, not Date?", OPTIONAL_HINT) or \
        (d.message.endswith("must be Date, not Date?") and d.hint == OPTIONAL_HINT)


@pytest.mark.parametrize("decl,message", [
    ("view v() -> Int:\n    let x = none\n    return 1\n", "`none` stands only where an optional type (T?) is expected"),
    ("view v(x: Int) -> Bool:\n    return x is none\n",
     "`is none` works on an optional value (T?); this is Int, which is never none"),
    ("view v(x: Int) -> Int:\n    return x or else 1\n",
     "`or else` works on an optional value (T?); this is Int, which is never none"),
    ("view v(x: Int?) -> Int:\n    return x or else \"1\"\n", "the default after `or else` must be Int, not Text"),
    ("view v(x: Int?) -> Int:\n    return x or fail 5\n", "the message of `or fail` must be Text, not Int"),
    ("view v(x: Int?) -> Bool:\n    return x == none\n",
     "test for `none` with `is none` or `is not none`, not a comparison"),
])
def test_misuses_are_reported(decl: str, message: str) -> None:
    assert message in [d.message for d in errors(body(decl))]


@pytest.mark.parametrize("expression", ["x + 1", "x < 1", "x == 1", "-x"])
def test_an_operator_on_an_optional_says_how_to_reach_its_value(expression: str) -> None:
    d = one_error(body(f"view v(x: Int?) -> Bool:\n    let y = {expression}\n    return true\n"))
    assert d.hint == OPTIONAL_HINT, (d.message, d.hint)


def test_none_may_be_a_branch_where_an_optional_stands() -> None:
    check_src(body("""
        view v(c: Bool, x: Int?) -> Int?:
            return 1 if c else none
        view w(c: Bool, x: Int?) -> Int?:
            return x if c else 0
    """))


def test_a_tested_local_reads_as_its_value_type_where_the_test_holds() -> None:
    check_src(body("""
        view inside(x: Int?) -> Int:
            if x is not none:
                return x + 1
            return 0
        view after(x: Int?) -> Int:
            if x is none:
                return 0
            return x + 1
        view after_fail(x: Int?) -> Int:
            if x is none:
                fail "no x"
            return x
        view in_else(x: Int?) -> Int:
            if x is none:
                return 0
            else:
                return x
    """))


@pytest.mark.parametrize("decl", [
    # the test does not end its block: x may still be none after it
    "view v(x: Int?) -> Int:\n    if x is none:\n        pass\n    return x\n",
    # outside the block of the test
    "view v(x: Int?) -> Int:\n    if x is not none:\n        pass\n    return x\n",
    # a local assigned after its `let` is never narrowed (the test might not hold any more)
    "view v(x: Int?) -> Int:\n    if x is not none:\n        x = none\n        return x\n    return 0\n",
    # state is not narrowed: only locals
    "state:\n    s: Int?\nview v() -> Int:\n    if s is not none:\n        return s\n    return 0\n",
])
def test_narrowing_holds_only_where_the_test_proves_a_value(decl: str) -> None:
    d = one_error(body(decl))
    assert d.message.endswith("must be Int, not Int?") and d.hint == OPTIONAL_HINT


# -- compiler and machines -----------------------------------------------------------------------

SHORT_CIRCUIT = """contract S
parties insurer
state:
    m: Map[Text, Int]
view dflt(x: Int?) -> Int:
    return x or else m["missing"]
view must(x: Int?, why: Text) -> Int:
    return x or fail "no value: {m[why]}"
view test(x: Bool?) -> Text:
    if x is none:
        return "none"
    return "true" if x else "false"
view wrap(x: Int) -> Int?:
    return x
"""


@pytest.mark.parametrize("machine_cls", [Machine, ReferenceMachine], ids=["translator", "reference"])
def test_the_right_side_runs_only_when_the_value_is_none(machine_cls) -> None:
    machine = machine_cls(Compilation(SHORT_CIRCUIT).verified)

    def run(entry: str, *args: object) -> object:
        try:
            return machine.call_json(entry, list(args), CTX, MemoryHost(), GAS).value
        except Exception as exc:  # an Abort: its message
            return f"abort: {getattr(exc, 'message', exc)}"

    assert run("dflt", 3) == 3  # m["missing"] would abort: not evaluated
    assert run("dflt", None).startswith("abort: key not found")
    assert run("must", 0, "x") == 0  # the message (which would abort) is not built
    assert run("must", None, "x").startswith("abort: key not found")
    assert [run("test", v) for v in (None, False, True)] == ["none", "false", "true"]
    assert run("wrap", 7) == 7


@pytest.mark.parametrize("machine_cls", [Machine, ReferenceMachine], ids=["translator", "reference"])
def test_the_scenario_passes_on_both_machines(machine_cls, monkeypatch) -> None:
    import dsl.scenarios

    monkeypatch.setattr(dsl.scenarios, "Machine", machine_cls)  # the runner builds its machine by this name
    report = run_test_file(HERE / "notes.test.bao")
    assert not report.diagnostics and report.results and all(r.passed for r in report.results), \
        [r.failure for r in report.results]


def test_explain_says_an_optional_field_may_be_empty() -> None:
    path = HERE / "notes.bao"
    english = invoke("explain", path, "--format", "md").output
    assert "date, may be empty" in english and "is not empty" in english
    assert "日期，可为空" in invoke("explain", path, "--format", "md", "--lang", "zh").output


# -- every path into state and back --------------------------------------------------------------

_TYPES = {
    "Int": st.integers(-2**53 + 1, 2**53 - 1),  # JSON numbers (larger Ints travel as strings)
    "Text": st.text(st.characters(blacklist_categories=("Cs",)), max_size=6),
    "Date": st.dates().map(lambda d: d.isoformat()),
    "Money": st.integers(-10**9, 10**9).map(lambda n: f"{n // 100}.{n % 100:02d} CNY"),
    "Bool": st.booleans(),
    "List[Int]": st.lists(st.integers(-9, 9), max_size=3),
}


def _paths(t: str) -> str:
    return f"""contract P
parties insurer
record Box:
    v: {t}?
state:
    one: {t}?
    many: Map[Text, {t}?]
    boxes: Map[Text, Box]
action put(k: Text, x: {t}?) -> {t}? by insurer:
    one = x
    many[k] = x
    boxes[k] = Box(v: x)
    return x
view read_one() -> {t}?:
    return one
view read_many(k: Text) -> {t}?:
    return many[k]
view read_box(k: Text) -> {t}?:
    return boxes[k].v
view kept(k: Text) -> Bool:
    return k in many
"""


def _compiled(t: str) -> tuple[Machine, object]:
    c = Compilation(_paths(t))
    return Machine(c.verified), c.analysis.functions["put"].returns


_COMPILED = {t: _compiled(t) for t in _TYPES}


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(sorted(_TYPES)).flatmap(lambda t: st.tuples(st.just(t), st.none() | _TYPES[t])))
def test_optional_values_go_into_state_and_come_back_as_they_went(tv) -> None:
    t, value = tv
    (machine, optional), host = _COMPILED[t], MemoryHost()
    assert machine.call_json("read_one", [], CTX, host, GAS).value is None  # never written: none
    result = machine.call_json("put", ["k", value], CTX, host, GAS)
    host.apply(result.writes)
    back = [result.value] + [machine.call_json(e, a, CTX, host, GAS).value for e, a in
                             (("read_one", []), ("read_many", ["k"]), ("read_box", ["k"]))]
    assert [json.loads(json.dumps(to_json(optional, v))) for v in back] == [value] * 4
    assert machine.call_json("kept", ["k"], CTX, host, GAS).value is True  # an entry holding none stays


def test_a_state_variable_with_no_start_value_is_a_warning_with_the_two_ways_out() -> None:
    analysis = check_src(body("""
        state:
            fee: Money
            due: Date?
            count: Int
            since: Date = 2024-01-01
    """))
    (w,) = [d for d in analysis.warnings if d.code == Code.B0310]
    assert w.message == "state variable `fee` has no value until it is first written: reading it before aborts"
    assert w.hint == "declare it Money? and test it with `is none`, or give it an initial value"
