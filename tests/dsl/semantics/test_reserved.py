"""Names starting with `__` are reserved for generated entries (`__defaults`, `__expr<N>`): the
checker refuses every user declaration of one, at the name."""

from __future__ import annotations

import pytest

from dsl.semantics.reserved import is_reserved
from dsl.semantics.checker import check
from dsl.semantics import ModuleLoader

from dsl.syntax import parser  # noqa: E402
from tests.dsl.semantics.test_testfile import errors as scenario_errors, position, scenario  # noqa: E402
from tests.dsl.conftest import SECTION_1, at, body, check_src, errors, one_error  # noqa: E402

RESERVED = "names starting with `__` are reserved for generated entries"

# (declarations, the reserved name, the text the error must point at)
CASES = [
    ("state:\n    __count: Int\n", "__count", "__count: Int"),
    ("action __defaults() by insurer:\n    pass\n", "__defaults", "__defaults()"),
    ("view __expr1() -> Int:\n    return 1\n", "__expr1", "__expr1()"),
    ("fn __helper() -> Int:\n    return 1\n", "__helper", "__helper()"),
    ("record __R:\n    a: Int\n", "__R", "__R:"),
    ("record R2:\n    __a: Int\n", "__a", "__a: Int"),
    ("enum __E: X, Y\n", "__E", "__E:"),
    ("enum E2: __X, Y\n", "__X", "__X, Y"),
    ("event __Done(id: Text)\n", "__Done", "__Done("),
    ("event Done(__id: Text)\n", "__id", "__id: Text"),
    ("action a(__p: Int) by insurer:\n    pass\n", "__p", "__p: Int"),
    ("action a() by insurer:\n    let __x = 1\n", "__x", "__x = 1"),
    ("action a() by insurer:\n    if true:\n        for __i in range(0, 2):\n            pass\n",
     "__i", "__i in"),
    ("init(__n: Int) by insurer:\n    pass\n", "__n", "__n: Int"),
]


@pytest.mark.parametrize("decls, name, needle", CASES)
def test_reserved_declarations_are_refused_at_the_name(decls: str, name: str, needle: str) -> None:
    text = body(decls)
    d = one_error(text)
    assert d.message == f"`{name}`: {RESERVED}"
    assert d.hint is not None and d.hint.startswith("rename this")
    at(d, text, needle)


def test_reserved_party_is_refused() -> None:
    text = "contract C\nparties insurer, __system\n"
    found = errors(text)
    assert [d.message for d in found] == [f"`__system`: {RESERVED}"]


def test_one_leading_underscore_is_an_ordinary_name() -> None:
    check_src(body("state:\n    _count: Int\naction a_(_p: Int) by insurer:\n    let _x = _p\n"))
    assert not is_reserved("_x") and not is_reserved("a__b") and is_reserved("__")


@pytest.fixture(scope="module")
def contract():
    return check(parser.parse_source(SECTION_1, "health.bao"), ModuleLoader())


def test_reserved_scenario_local_is_refused(contract) -> None:
    text = scenario('let __picc = insurer "PICC"\n')
    found = scenario_errors(text, contract)
    assert [d.message for d in found] == [f"`__picc`: {RESERVED}"]
    assert (found[0].span.line, found[0].span.col) == position(text, "__picc")
