"""check_tests: scenarios are typed against their contract (LANGUAGE.md section 8)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from dsl.semantics.analysis import FunctionRef
from dsl.semantics.testfile import check_tests
from dsl.semantics.checker import check
from dsl.diagnostics import CompileError
from dsl.semantics import ModuleLoader

from dsl.syntax import parser  # noqa: E402
from tests.dsl.conftest import SECTION_1  # noqa: E402  (one copy of the section 1 contract)

ROOT = Path(__file__).resolve().parents[3]

SECTION_8 = '''\
tests for "health.bao"

scenario "a bill is paid net of deductible and co-payment":
    at 2024-05-01
    let picc = insurer "PICC"
    let ruijin = hospital "Ruijin Hospital"
    picc calls issue("P1", Policy(holder: "Li Lei", sum_insured: 10000.00 CNY, deductible: 500.00 CNY, copay: 20%, start: 2024-01-01, end: 2024-12-31))
    expect ruijin calls settle("P1", 1500.00 CNY, 2024-05-01) returns 800.00 CNY
    expect emitted ClaimSettled(policy_id: "P1", payable: 800.00 CNY)
    expect remaining("P1") == 9200.00 CNY
    expect ruijin calls settle("P9", 1.00 CNY, 2024-05-01) fails with "unknown policy"
    expect picc calls settle("P1", 1.00 CNY, 2024-05-01) fails with "not authorized"
'''


@pytest.fixture(scope="module")
def contract():
    return check(parser.parse_source(SECTION_1, "health.bao"), ModuleLoader())


def scenario(steps: str) -> str:
    return 'tests for "health.bao"\n\nscenario "s":\n' + textwrap.indent(textwrap.dedent(steps), "    ")


def errors(text: str, contract) -> list:
    with pytest.raises(CompileError) as info:
        check_tests(parser.parse_source(text, "health.test.bao"), contract)
    return list(info.value.diagnostics)


def position(text: str, needle: str) -> tuple[int, int]:
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i, line.index(needle) + 1
    raise AssertionError(needle)


def test_section_8_checks_clean(contract) -> None:
    tree = parser.parse_source(SECTION_8, "health.test.bao")
    result = check_tests(tree, contract)
    assert [(p.name, str(p.type)) for p in result.scenario_locals[0]] == [("picc", "Party"), ("ruijin", "Party")]
    assert FunctionRef("remaining", "view") in result.annotations.refs.values()
    expect = tree.scenarios[0].steps[6].expr
    assert str(result.annotations.type_of(expect)) == "Bool"


def test_shipped_test_files_check_clean() -> None:
    loader = ModuleLoader((ROOT / "stdlib",))
    files = [*(ROOT / "contracts").glob("*.test.bao"), *(ROOT / "stdlib").glob("*.test.bao")]
    assert files
    for path in files:
        tests = parser.parse_source(path.read_text(encoding="utf-8"), str(path))
        target = path.parent / tests.target
        analysis = check(parser.parse_source(target.read_text(encoding="utf-8"), str(target)), loader)
        check_tests(tests, analysis)


def test_party_role_must_be_a_party(contract) -> None:
    text = scenario('let x = doctor "D"\n')
    (d,) = errors(text, contract)
    assert d.message == "`doctor` is not a party of HealthDirectPay"
    assert d.span.file == "health.test.bao"
    assert (d.span.line, d.span.col) == position(text, 'doctor "D"')


def test_call_step_checks(contract) -> None:
    text = scenario('''\
        let picc = insurer "PICC"
        picc calls setle("P1", 1.00 CNY, 2024-05-01)
        picc calls settle("P1", 1.00 CNY)
        expect picc calls remaining("P1") returns 5
        nobody calls suspend("P1")
        picc calls net_of_deductible(1.00 CNY, 1.00 CNY)
    ''')
    found = errors(text, contract)
    assert [d.message for d in found] == [
        "HealthDirectPay has no action `setle`",
        "`settle` needs `treated_on`",
        "the result of `remaining` must be Money, not Int",
        "undefined party `nobody`",
        "`net_of_deductible` is a fn, not an action",
    ]
    assert found[0].hint == "did you mean `settle`?"
    line, col = position(text, "returns 5")
    assert (found[2].span.line, found[2].span.col) == (line, col + len("returns "))


def test_expectations_are_typed(contract) -> None:
    text = scenario('''\
        let picc = insurer "PICC"
        deploy("x") by picc
        expect emitted ClaimSettled(payable: 5%)
        expect emitted ClaimPaid(payable: 5.00 CNY)
        expect remaining("P1")
        expect paid == {}
    ''')
    found = errors(text, contract)
    assert [d.message for d in found] == [
        "HealthDirectPay has no `init`, so `deploy` takes no arguments",
        "`payable` of event ClaimSettled must be Money, not Percent",
        "HealthDirectPay has no event `ClaimPaid`",
        "what `expect` checks must be Bool, not Money",
        "a scenario cannot read the state variable `paid` directly",
    ]


def test_module_target_calls_fns_and_has_no_calls() -> None:
    module = check(parser.parse_source("module m\nfn double(x: Int) -> Int:\n    return x * 2\n", "m.bao"),
                   ModuleLoader())
    ok = 'tests for "m.bao"\n\nscenario "s":\n    expect double(2) == 4\n'
    result = check_tests(parser.parse_source(ok, "m.test.bao"), module)
    assert FunctionRef("double", "fn") in result.annotations.refs.values()
    bad = 'tests for "m.bao"\n\nscenario "s":\n    let a = insurer "A"\n    a calls double(2)\n'
    found = errors(bad, module)
    assert "`insurer` is not a party of m" in found[0].message
    assert found[1].message == "a module has no actions to call: test its fns in `expect` lines"


def test_scenario_locals_do_not_shadow(contract) -> None:
    text = scenario('''\
        let picc = insurer "PICC"
        let picc = hospital "H"
        let remaining = 5
    ''')
    found = errors(text, contract)
    assert [d.message for d in found] == [
        f"`picc` shadows a local declared at line {position(text, 'let picc')[0]}",
        "`remaining` shadows the view `remaining` of the contract"]


def test_emitted_names_fields_of_the_event(contract) -> None:
    text = scenario('expect emitted ClaimSettled(policy: "P1")\nexpect emitted ClaimSettled("P1")\n')
    found = errors(text, contract)
    assert [(d.message, d.hint) for d in found] == [
        ("event ClaimSettled has no field `policy`", "did you mean `policy_id`?"),
        ("name each field you expect: E(field: value)", None)]
