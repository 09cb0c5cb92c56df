"""Values as JSON (LANGUAGE.md section 7): round trips, the forms themselves, and errors that
name where the misfit is."""

from __future__ import annotations

import json
import re
import time
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.vm.values.strategies import TABLE, typed_values, types
from vm import types as T
from vm.values.encoding import value_size
from vm.errors import ValueFormError
from vm.gas import Limits
from vm.values.ordering import sorted_keys
from vm.values.textform import to_text
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
    (T.OptionalType(T.BOOL), None, None),
    (T.OptionalType(T.BOOL), False, False),
    (T.MapType(T.TEXT, T.OptionalType(T.DATE)), {"a": None, "b": 1}, {"a": None, "b": "0001-01-01"}),
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
    (T.OptionalType(T.DATE), "soon", 'expected a Date like "2024-03-01", or null'),
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


# -- the value limits (vm.gas.Limits) hold for arguments before conversion grows with them ----------

SMALL = Limits(collection_length=3, text_length=6, nesting=2, value_size=40)
NODE_TABLE = T.TypeTable(records={"Node": (("kids", T.ListType(T.RecordType("Node"))),)}, enums={})
NODE = T.RecordType("Node")


@pytest.mark.parametrize("t, j, message", [
    (T.ListType(T.INT), list(range(1_000_000)), "argument claims: a list of 1000000 items is longer than 10000"),
    (T.MapType(T.TEXT, T.INT), {str(i): i for i in range(10_001)},
     "argument claims: a map of 10001 entries is longer than 10000"),
    (T.TEXT, "x" * 16_385, "argument claims: a text of 16385 characters is longer than 16384"),
    (T.MONEY, "1" * 20_000 + " CNY", "argument claims: a text of 20004 characters is longer than 16384"),
    (T.ListType(T.TEXT), ["a", "é" * 16_385], "argument claims[1]: a text of 16385 characters is longer than 16384"),
    (T.MapType(T.TEXT, T.INT), {"k" * 16_385: 1}, 'argument claims["kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk..."]: '
                                                   "a text of 16385 characters is longer than 16384"),
    (T.PARTY, {"org": "o" * 16_385, "id": "i", "role": "r"},
     "argument claims.org: a text of 16385 characters is longer than 16384"),
    (T.MapType(T.PARTY, T.INT), {"r:" + "o" * 16_385 + "/i": 1},
     "a text of 16385 characters is longer than 16384"),
    (T.ListType(T.ListType(T.INT)), [list(range(10_000))] * 10_000,
     "argument claims[3]: the value passes 65536 bytes here (a value is at most 65536 bytes written out)"),
    (T.ListType(T.TEXT), ["x" * 16_000] * 5, "argument claims[4]: the value passes 65536 bytes"),
])
def test_arguments_past_a_limit_are_refused_naming_the_path_and_the_limit(t: T.Type, j: object, message: str) -> None:
    with pytest.raises(ValueFormError) as e:
        from_json(t, j, None, "argument claims")
    assert message in str(e.value)
    assert len(str(e.value)) < 300  # a refusal quotes a bounded part of what it refused


def test_arguments_are_refused_before_the_work_grows_with_them() -> None:
    # A million items, or ten thousand lists of ten thousand: refused having read a few hundred
    # thousand elements at most (the size limit passes within the first lists).
    started = time.perf_counter()
    for t, j in ((T.ListType(T.INT), list(range(1_000_000))),
                 (T.ListType(T.ListType(T.INT)), [list(range(10_000))] * 10_000),
                 (T.ListType(T.ListType(T.INT)), [list(range(1, 10_001))] * 10_000)):
        with pytest.raises(ValueFormError):
            from_json(t, j, None, "argument xs")
    assert time.perf_counter() - started < 2


def _deep(levels: int, leaf: object = None) -> object:
    """JSON nested ``levels`` deep, built without recursion: {"kids": [{"kids": [...]}]}."""
    j: object = {"kids": []} if leaf is None else leaf
    for _ in range(levels - 1):
        j = {"kids": [j]}
    return j


@pytest.mark.parametrize("levels", [34, 250, 100_000])
def test_arguments_nested_past_the_limit_are_refused_at_the_first_level_past_it(levels: int) -> None:
    # Each Node is two levels (the record and its List): the 33rd level is a record.
    with pytest.raises(ValueFormError) as e:
        from_json(NODE, _deep(levels), NODE_TABLE, "argument tree")
    message = str(e.value)
    assert message.startswith("argument tree" + ".kids[0]" * 16 + ": values nest at most 32 deep")
    assert "(Lists, Maps and records inside each other)" in message


def test_nesting_counts_as_the_vm_does() -> None:
    # 32 levels of values fit, with a Party (a JSON object, a primitive) at the bottom.
    party = {"org": "PICC", "id": "p", "role": "insurer"}
    t: T.Type = T.PARTY
    j: object = party
    for _ in range(32):
        t, j = T.ListType(t), [j]
    assert from_json(t, j, None, "argument x") is not None
    with pytest.raises(ValueFormError, match=r"^argument x(\[0\]){32}: values nest at most 32 deep"):
        from_json(T.ListType(t), [j], None, "argument x")
    assert from_json(NODE, _deep(16), NODE_TABLE, "argument tree") is not None  # 32 levels
    with pytest.raises(ValueFormError, match="nest at most 32 deep"):
        from_json(NODE, _deep(17), NODE_TABLE, "argument tree")


def test_json_of_any_depth_is_refused_without_recursion_errors() -> None:
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    for t in (T.TEXT, T.ListType(T.INT), T.MapType(T.TEXT, T.INT), NODE):
        with pytest.raises(ValueFormError, match=r"^argument a\S*: (expected|values nest)"):
            from_json(t, deep, NODE_TABLE, "argument a")


def test_a_record_default_is_held_to_the_limits_where_it_lands() -> None:
    table = T.TypeTable(records={"Box": (("items", T.ListType(T.INT)), ("n", T.INT))}, enums={})
    box = T.RecordType("Box")
    defaults = {"Box": {"items": tuple(range(100))}}
    assert from_json(box, {"n": 1}, table, "argument b", defaults)[0] == tuple(range(100))
    small = Limits(nesting=1, value_size=1_000)
    with pytest.raises(ValueFormError, match=r"^argument b\.items: values nest at most 1 deep"):
        from_json(box, {"n": 1}, table, "argument b", defaults, limits=small)
    many = T.ListType(box)
    with pytest.raises(ValueFormError, match=r"^argument b\[\d+\]\.items: the value passes 1000 bytes"):
        from_json(many, [{"n": 1}] * 20, table, "argument b", defaults, limits=Limits(value_size=1_000))


def _json_lengths(t: T.Type, v: object) -> tuple[int, int, int]:
    """(deepest nesting, longest List or Map, longest JSON string) of a value, as the limits
    count them; a Party map key counts by its longest field, as each field is a Text."""
    if isinstance(t, T.ListType):
        inner = [_json_lengths(t.elem, x) for x in v]
        return (1 + max((d for d, _, _ in inner), default=0), max([len(v), *(n for _, n, _ in inner)]),
                max((s for _, _, s in inner), default=0))
    if isinstance(t, T.MapType):
        inner = [_json_lengths(t.value, x) for x in v.values()]
        keys = [max(len(k.org), len(k.id), len(k.role)) if t.key == T.PARTY else len(str(to_json(t.key, k, TABLE)))
                for k in v]
        return (1 + max((d for d, _, _ in inner), default=0), max([len(v), *(n for _, n, _ in inner)]),
                max([*keys, *(s for _, _, s in inner)], default=0))
    if isinstance(t, T.RecordType):
        inner = [_json_lengths(ft, x) for (_, ft), x in zip(TABLE.record_fields(t.name), v)]
        return (1 + max((d for d, _, _ in inner), default=0), max((n for _, n, _ in inner), default=0),
                max((s for _, _, s in inner), default=0))
    if t == T.PARTY:
        return 0, 0, max(len(v.org), len(v.id), len(v.role))
    j = to_json(t, v, TABLE)
    return 0, 0, len(j) if isinstance(j, str) else 0


_PATH = r'argument x(\[\d+\]|\["(?:[^"\\]|\\.)*"\]|\.\w+)*'  # the argument, then the steps to where

limits_strategy = st.builds(Limits, nesting=st.integers(0, 4), collection_length=st.integers(0, 4),
                            text_length=st.integers(0, 12), value_size=st.integers(0, 120))


@given(typed_values, limits_strategy)
def test_json_within_the_limits_converts_and_past_them_is_refused(tv, limits: Limits) -> None:
    t, v = tv
    j = json.loads(json.dumps(to_json(t, v, TABLE)))
    depth, longest, text = _json_lengths(t, v)
    passed = {  # what a refusal of each limit says
        rf": values nest at most {limits.nesting} deep": depth > limits.nesting,
        rf": a (list|map) of \d+ (items|entries) is longer than {limits.collection_length}$":
            longest > limits.collection_length,
        rf": a (text|key) of \d+ characters is longer than": text > limits.text_length,
        rf": the value passes {limits.value_size} bytes here": value_size(t, v) > limits.value_size,
    }
    if not any(passed.values()):
        assert from_json(t, j, TABLE, "argument x", limits=limits) == v
        return
    with pytest.raises(ValueFormError) as e:
        from_json(t, j, TABLE, "argument x", limits=limits)
    message = str(e.value)
    assert re.match(_PATH + ": ", message), message  # the path to where
    assert any(re.search(words, message) for words, past in passed.items() if past), (message, passed)


@given(typed_values)
def test_to_json_is_the_recursive_form(tv) -> None:
    t, v = tv
    assert json.dumps(to_json(t, v, TABLE)) == json.dumps(_to_json_recursively(t, v))  # in the same order


def _to_json_recursively(t: T.Type, v: object) -> object:
    """to_json as it was written before it stopped recursing."""
    if isinstance(t, T.ListType):
        return [_to_json_recursively(t.elem, x) for x in v]
    if isinstance(t, T.MapType):
        return {to_text(t.key, k, TABLE): _to_json_recursively(t.value, v[k])
                for k in sorted_keys(t.key, v, TABLE)}
    if isinstance(t, T.RecordType):
        return {n: _to_json_recursively(ft, x) for (n, ft), x in zip(TABLE.record_fields(t.name), v)}
    return to_json(t, v, TABLE)


def test_to_json_of_any_depth_spends_no_stack() -> None:
    v: tuple = ((),)
    for _ in range(100_000):
        v = ((v,),)
    j = to_json(NODE, v, NODE_TABLE)
    for _ in range(100_000):
        j = j["kids"][0]
    assert j == {"kids": []}


any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=6), inner, max_size=5),
    max_leaves=25,
)


@given(types, any_json, limits_strategy)
def test_any_json_converts_or_is_refused_naming_where(t: T.Type, j: object, limits: Limits) -> None:
    try:
        from_json(t, j, TABLE, "argument x", limits=limits)
    except ValueFormError as e:
        assert re.match(_PATH + ": ", str(e)), str(e)
