"""Records as composite map keys, through the checker, the compiler and the machine: which records
may be keys (every field a key type), `in`, indexing and `for` over them, and the state keys they
are stored under (field by field, so a scan visits them in the tuple's order)."""

from __future__ import annotations

from pathlib import Path

import pytest

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
    assert d.message == why and "a record of such fields (a composite key)" in (d.hint or "")


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
    assert result.output.strip().splitlines()[-1] == "2 passed, 0 failed"


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
