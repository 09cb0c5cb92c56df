"""Records and tuples as composite map keys, through the checker, the compiler, the machine, fmt,
explain and the editor's index: which records and tuples may be keys (every part a key type),
where a tuple may stand, `in`, indexing, `for` and reading a tuple's parts, and the state keys
they are stored under (part by part, so a scan visits them in the tuple's order)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl.lsp.index import Index
from dsl.pipeline import Compilation
from vm import types as T
from vm.values import encode_key
from tests.dsl.conftest import body, deploy, errors, invoke, one_error

HERE = Path(__file__).parent

KEYED = """\
contract K
parties a
record PolicyYear:
    policy_id: Text
    year: Int
state:
    claims_by: Map[PolicyYear, Int]
action add(p: Text, y: Int) by a:
    let k = PolicyYear(policy_id: p, year: y)
    claims_by[k] = claims_by.get(k, 0) + 1
view has(p: Text, y: Int) -> Bool:
    return PolicyYear(policy_id: p, year: y) in claims_by
view keys() -> List[PolicyYear]:
    let out: List[PolicyYear] = []
    for k, _ in claims_by:
        out.append(k)
    return out
view all() -> Map[PolicyYear, Int]:
    return claims_by
"""


def test_a_record_of_key_types_is_a_key_and_its_entries_are_stored_field_by_field() -> None:
    d = deploy(KEYED)
    for p, y in [("P2", 2024), ("P10", 2025), ("P10", 2024), ("P2", -1), ("P10", 2024)]:
        d.call("add", p, y)
    assert d.call("has", "P10", 2024) and not d.call("has", "P10", 2023)
    assert d.call("keys") == (("P10", 2024), ("P10", 2025), ("P2", -1), ("P2", 2024))
    assert d.call("all") == {("P10", 2024): 2, ("P10", 2025): 1, ("P2", -1): 1, ("P2", 2024): 1}
    table = d.verified.module.types
    stored = [k for k, _ in d.host.scan(b"")]  # type: ignore[attr-defined]
    for p, y in [("P10", 2024), ("P2", -1)]:
        key = encode_key(T.RecordType("PolicyYear"), (p, y), table)
        assert sum(k.endswith(key) for k in stored) == 1, "an entry's state key ends in its record's key encoding"


@pytest.mark.parametrize("key_record, why", [
    ("record R:\n    tags: List[Text]\n", "R cannot be a map key"),
    ("record R:\n    inner: Claim\n", "R cannot be a map key"),  # Claim holds a List
])
def test_a_record_with_a_field_that_is_no_key_is_refused_with_the_rule_as_hint(key_record: str, why: str) -> None:
    text = body(key_record + "state:\n    by_r: Map[R, Int]\n")
    d = one_error(text)
    assert d.message == why and "a record or tuple of such parts (a composite key)" in (d.hint or "")


def test_a_record_key_checked_before_its_record_is_resolved_is_checked_again() -> None:
    # Holder's field names R before R's fields are known; R holds a List, so it is refused there too.
    text = body("record Holder:\n    by_r: Map[R, Int]\nrecord R:\n    tags: List[Text]\n")
    assert [d.message for d in errors(text)] == ["R cannot be a map key"]


def test_a_record_that_holds_itself_is_no_key_and_does_not_loop() -> None:
    text = body("record R:\n    me: R\nstate:\n    by_r: Map[R, Int]\n")
    assert "R cannot be a map key" in [d.message for d in errors(text)]


def test_the_keys_of_a_map_literal_may_be_records() -> None:
    src = KEYED + 'view lit() -> Int:\n    let m = {PolicyYear(policy_id: "a", year: 1): 5}\n' \
                  '    return m[PolicyYear(policy_id: "a", year: 1)]\n'
    assert deploy(src).call("lit") == 5


def test_the_scenarios_of_composite_keys_pass() -> None:
    result = invoke("test", HERE)
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines()[-1] == "3 passed, 0 failed"


def test_a_module_with_a_record_key_round_trips_and_verifies() -> None:
    c = Compilation(KEYED)
    assert c.module is not None


@pytest.mark.parametrize("lang, words", [
    ("en", "whole number for each policy id and year (a PolicyYear)"),
    ("zh", "按 policy id 和 year（PolicyYear）"),
])
def test_explain_says_a_composite_key_as_its_parts(lang: str, words: str) -> None:
    result = invoke("explain", "--format", "md", "--lang", lang, HERE / "claims_by_year.bao")
    assert result.exit_code == 0, result.output
    assert words in result.output


TUPLED = """\
contract K
parties a
state:
    claims_by: Map[(Text, Int), Int]
action add(p: Text, y: Int) by a:
    claims_by[(p, y)] = claims_by.get((p, y), 0) + 1
view firsts() -> List[Text]:
    let out: List[Text] = []
    for k, _ in claims_by:
        out.append(k[0] + "/" + text(k[1]))
    return out
view has(p: Text, y: Decimal) -> Bool:
    return (p, 2024) in {(p, 1): true}
"""


def test_a_tuple_key_is_built_read_part_by_part_and_stored_in_order() -> None:
    d = deploy(TUPLED)
    for p, y in [("P2", 2024), ("P10", 2025), ("P10", 2024)]:
        d.call("add", p, y)
    assert d.call("firsts") == ("P10/2024", "P10/2025", "P2/2024")
    stored = [k for k, _ in d.host.scan(b"")]  # type: ignore[attr-defined]
    key = encode_key(T.TupleType((T.TEXT, T.INT)), ("P10", 2024))
    assert sum(k.endswith(key) for k in stored) == 1


@pytest.mark.parametrize("decl, message", [
    ("state:\n    t: (Text, Int)\n", "a tuple type stands only as a map's key"),
    ("state:\n    m: Map[Text, (Text, Int)]\n", "a tuple type stands only as a map's key"),
    ("state:\n    m: Map[(Text), Int]\n", "a tuple has at least two parts"),
    ("state:\n    m: Map[(Text, List[Int]), Int]\n", "(Text, List[Int]) cannot be a map key"),
    ("action f() -> Int by insurer:\n    let t = (1,)\n    return 0\n", "a tuple has at least two parts"),
    ("action f() -> Int by insurer:\n    let t = (1, [2])\n    return 0\n",
     "a tuple's parts are map keys; List[Int] cannot be one"),
    ("action f() -> Int by insurer:\n    let t = (1, 2)\n    return t[2]\n", "a tuple's part is read by its number, 0 to 1"),
    ("action f(i: Int) -> Int by insurer:\n    let t = (1, 2)\n    return t[i]\n",
     "a tuple's part is read by its number, 0 to 1"),
    ("action f() by insurer:\n    let t = (1, 2)\n    t[0] = 3\n", "the parts of a tuple cannot be changed"),
])
def test_tuples_stand_only_where_they_are_solid(decl: str, message: str) -> None:
    assert message in [d.message for d in errors(body(decl))]


def test_fmt_keeps_tuples_as_written() -> None:
    result = invoke("fmt", "--check", *sorted(HERE.glob("*.bao")))
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("name", ["claims_by_year.bao", "claims_by_tuple.bao"])
def test_the_editor_index_covers_names_beside_composite_keys(name: str) -> None:
    unit = Compilation.from_file(HERE / name)
    lines = unit.source.splitlines()
    for o in Index(unit.analysis).occurrences:
        assert lines[o.span.line - 1][o.span.col - 1:o.span.end_col - 1] == o.symbol.name, o


def test_explain_says_a_tuple_key_as_its_parts() -> None:
    result = invoke("explain", "--format", "md", HERE / "claims_by_tuple.bao")
    assert "whole number for each text and whole number" in result.output
    assert "`claims by[(policy id, yr)]`" in result.output
