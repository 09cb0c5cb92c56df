"""Values as JSON (LANGUAGE.md section 7): round trips, the forms themselves, and errors that
name where the misfit is."""

from __future__ import annotations

import json
from datetime import date

import pytest
from hypothesis import given

from tests.vm.test_values_strategies import TABLE, typed_values
from vm import types as T
from vm.errors import ValueFormError
from vm.values import SCALE, Money, Party, from_json, midnight_of, to_json

POLICY_TABLE = T.TypeTable(
    records={"Policy": (("holder", T.TEXT), ("start", T.DATE), ("copay", T.PERCENT))}, enums={})


@given(typed_values)
def test_json_round_trip(tv) -> None:
    t, v = tv
    j = to_json(t, v, TABLE)
    assert from_json(t, json.loads(json.dumps(j)), TABLE, "argument x") == v


@pytest.mark.parametrize("t, v, j", [
    (T.INT, 42, 42),
    (T.INT, -(2**53) + 1, -(2**53) + 1),
    (T.INT, 2**53, str(2**53)),
    (T.INT, -(2**60), str(-(2**60))),
    (T.DECIMAL, 125 * 10**16, "1.25"),
    (T.DECIMAL, 3 * SCALE, "3"),
    (T.MONEY, Money("CNY", 120050), "1200.50 CNY"),
    (T.MONEY, Money("JPY", 30000), "30000 JPY"),
    (T.PERCENT, 8 * 10**17, "80%"),
    (T.DATE, date(2024, 3, 1).toordinal(), "2024-03-01"),
    (T.DURATION, 30, "30 days"),
    (T.DURATION, 1, "1 day"),
    (T.TIMESTAMP, midnight_of(date(2024, 3, 1).toordinal()), "2024-03-01T00:00:00+08:00"),
    (T.HASH, b"\x01" * 32, "0x" + "01" * 32),
    (T.TEXT, "Li Lei", "Li Lei"),
    (T.BOOL, True, True),
    (T.ListType(T.INT), (1, 2), [1, 2]),
    (T.MapType(T.TEXT, T.INT), {"b": 2, "a": 1}, {"a": 1, "b": 2}),
    (T.MapType(T.INT, T.BOOL), {10: True, 9: False}, {"9": False, "10": True}),
    (T.PARTY, Party("PICC", "p1", "insurer"), {"org": "PICC", "id": "p1", "role": "insurer"}),
    (T.RecordType("Policy"), ("Li", date(2024, 3, 1).toordinal(), 2 * 10**17),
     {"holder": "Li", "start": "2024-03-01", "copay": "20%"}),
])
def test_json_forms(t: T.Type, v: object, j: object) -> None:
    assert to_json(t, v, POLICY_TABLE) == j
    assert from_json(t, j, POLICY_TABLE, "argument x") == v


def test_json_map_keys_are_written_in_key_order() -> None:
    j = to_json(T.MapType(T.INT, T.BOOL), {10: True, 9: False, -1: True})
    assert list(j) == ["-1", "9", "10"]


def test_json_accepts_other_forms() -> None:
    assert from_json(T.DECIMAL, 3, None, "x") == 3 * SCALE
    assert from_json(T.INT, "-12", None, "x") == -12
    assert from_json(T.TIMESTAMP, "2024-02-29T16:00:00Z", None, "x") == midnight_of(date(2024, 3, 1).toordinal())
    assert from_json(T.TIMESTAMP, "2024-03-01T00:00:00.250+08:00", None, "x") == \
        midnight_of(date(2024, 3, 1).toordinal()) + 250
    assert from_json(T.DURATION, "2 weeks", None, "x") == 14
    assert from_json(T.MONEY, "1.5 CNY", None, "x") == Money("CNY", 150)
    assert from_json(T.MapType(T.PARTY, T.INT), {"insurer:PICC/a/b": 1}, None, "x") == {Party("PICC", "a/b", "insurer"): 1}


def test_error_names_the_parameter_and_path() -> None:
    with pytest.raises(ValueFormError) as e:
        from_json(T.RecordType("Policy"), {"holder": "Li", "start": "2024-3-1", "copay": "20%"},
                  POLICY_TABLE, "argument policy")
    assert str(e.value) == 'argument policy.start: expected a Date like "2024-03-01", got "2024-3-1"'


@pytest.mark.parametrize("t, j, words", [
    (T.DATE, "2024-02-30", '"2024-02-30" (February 2024 has 29 days)'),
    (T.MONEY, "1.001 CNY", "CNY has 2 minor digits"),
    (T.MONEY, "1.00 XYZ", "unknown currency"),
    (T.MONEY, "1.00", 'expected Money like "1200.50 CNY"'),
    (T.INT, 1.5, "expected an Int"),
    (T.INT, True, "expected an Int"),
    (T.INT, str(2**255), "out of range"),
    (T.INT, 2**255, "out of range"),
    (T.DECIMAL, 2**250, "out of range"),
    (T.DECIMAL, 1.25, "no floats"),
    (T.DECIMAL, "1.2.3", "expected a Decimal"),
    (T.PERCENT, "80", 'expected a Percent like "80%"'),
    (T.BOOL, "true", "expected true or false"),
    (T.TEXT, 5, "expected a Text"),
    (T.TEXT, "\ud800", "not valid Unicode"),
    (T.HASH, "0x12", "expected a Hash"),
    (T.DURATION, "1 month", "day, days, week or weeks"),
    (T.DURATION, "1.5 days", "expected a Duration"),
    (T.TIMESTAMP, "2024-03-01", "expected a Timestamp"),
    (T.TIMESTAMP, "2024-03-01T24:00:00Z", "no such time of day"),
    (T.TIMESTAMP, "2024-03-01T00:00:00.0001Z", "millisecond"),
    (T.PARTY, {"org": "a", "id": "b"}, "expected a Party"),
    (T.ListType(T.INT), {"a": 1}, "expected a List[Int]"),
    (T.MapType(T.TEXT, T.INT), [], "expected a Map[Text, Int]"),
])
def test_json_errors(t: T.Type, j: object, words: str) -> None:
    with pytest.raises(ValueFormError, match="^argument a") as e:
        from_json(t, j, POLICY_TABLE, "argument a")
    assert words in str(e.value)


def test_huge_json_numbers_are_refused_without_crashing() -> None:
    with pytest.raises(ValueFormError, match="^argument n: expected an Int.*too large to show.*out of range"):
        from_json(T.INT, -(10**5000), None, "argument n")


def test_nested_paths_and_record_fields() -> None:
    t = T.MapType(T.TEXT, T.ListType(T.RecordType("Policy")))
    good = {"holder": "Li", "start": "2024-03-01", "copay": "20%"}
    with pytest.raises(ValueFormError, match=r'^argument m\["k"\]\[1\]\.copay: expected a Percent'):
        from_json(t, {"k": [good, {**good, "copay": 0.2}]}, POLICY_TABLE, "argument m")
    with pytest.raises(ValueFormError, match="field copay is missing"):
        from_json(T.RecordType("Policy"), {"holder": "Li", "start": "2024-03-01"}, POLICY_TABLE, "argument p")
    with pytest.raises(ValueFormError, match="Policy has no field extra"):
        from_json(T.RecordType("Policy"), {**good, "extra": 1}, POLICY_TABLE, "argument p")
    with pytest.raises(ValueFormError, match=r'^argument m\["x"\]: expected an Int'):
        from_json(T.MapType(T.INT, T.INT), {"x": 1}, None, "argument m")
    enum_table = T.TypeTable(records={}, enums={"S": ("Open", "Paid")})
    with pytest.raises(ValueFormError, match="expected one of Open, Paid"):
        from_json(T.EnumType("S"), "Closed", enum_table, "argument s")
    assert from_json(T.EnumType("S"), "Paid", enum_table, "argument s") == 1


def test_record_defaults_fill_missing_fields() -> None:
    defaults = {"Policy": {"copay": 0}}
    j = {"holder": "Li", "start": "2024-03-01"}
    assert from_json(T.RecordType("Policy"), j, POLICY_TABLE, "argument p", defaults) == \
        ("Li", date(2024, 3, 1).toordinal(), 0)
    given = {**j, "copay": "5%"}
    assert from_json(T.RecordType("Policy"), given, POLICY_TABLE, "argument p", defaults)[2] == 5 * 10**16
    with pytest.raises(ValueFormError, match="field start is missing"):
        from_json(T.RecordType("Policy"), {"holder": "Li"}, POLICY_TABLE, "argument p", defaults)
