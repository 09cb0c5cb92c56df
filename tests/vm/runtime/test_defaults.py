"""Record field defaults at the JSON boundary: constant defaults travel in the module's ABI,
the verifier checks them, and a record given as JSON may leave those fields out."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner
from hypothesis import given, strategies as st

from dsl.pipeline import Compilation
from node.cli import cli
from vm import types as T
from vm.errors import ValueFormError, VerifyError
from vm.runtime import CallContext, MemoryHost
from vm.runtime import Machine
from vm.module import FORMAT_VERSION, FieldDefault, decode_module, encode_module
from vm.values import Money, Party, encode_value, to_json
from vm.verify import verify
from tests.vm.conftest import ROOT


SOURCE = '''
contract Defaults

parties insurer

enum Level: Low, High

record Limits:
    cap: Money = 500.00 CNY
    floor: Money = -1.50 CNY
    tags: List[Text] = ["a", "b"]
    by_level: Map[Level, Int] = {}
    rate: Decimal = 2

record Cover:
    holder: Text
    level: Level = High
    limits: Limits = Limits(tags: [])
    due: Duration = 30 days
    note: Text = "n/a"
    label: Text = "no. {1 + 1}"
    start: Date

record Pair:
    left: Limits
    right: Limits = Limits(cap: 7.00 CNY)

action take(c: Cover) -> Cover by insurer:
    return c

action pair(p: Pair) -> Pair by insurer:
    return p
'''

GAS = 1_000_000
CTX = CallContext(Party("PICC", "PICC", "insurer"), 1_714_492_800_000, bytes(32))


@pytest.fixture(scope="module")
def built():
    return Compilation(SOURCE).module


@pytest.fixture(scope="module")
def machine(built):
    return Machine(verify(built))


def call(machine: Machine, entry: str, arg: dict) -> dict:
    info = machine.entry(entry)
    result = machine.call_json(entry, [arg], CTX, MemoryHost(), GAS)
    return to_json(info.returns, result.value, machine.types)


def test_constant_defaults_are_in_the_abi(built) -> None:
    names = [(d.record, d.field) for d in built.field_defaults]
    assert names == sorted(names)
    # `label` interpolates an expression: it is code, not a constant, so it is not in the ABI.
    assert ("Cover", "label") not in names
    assert {("Cover", "level"), ("Cover", "limits"), ("Cover", "due"), ("Cover", "note"),
            ("Limits", "cap"), ("Limits", "floor"), ("Limits", "tags"), ("Limits", "by_level"),
            ("Limits", "rate"), ("Pair", "right")} == set(names)
    decoded = verify(built).record_defaults
    assert decoded["Limits"] == {"cap": Money("CNY", 50000), "floor": Money("CNY", -150), "tags": ("a", "b"),
                                 "by_level": {}, "rate": 2 * 10**18}
    # A record of constants takes the omitted fields' own defaults.
    assert decoded["Cover"]["limits"] == (Money("CNY", 50000), Money("CNY", -150), (), {}, 2 * 10**18)
    assert decoded["Cover"]["level"] == 1 and decoded["Cover"]["due"] == 30


def test_omitted_fields_take_their_defaults(machine) -> None:
    out = call(machine, "take", {"holder": "Li", "start": "2024-01-01", "label": "x"})
    assert out == {"holder": "Li", "level": "High",
                   "limits": {"cap": "500.00 CNY", "floor": "-1.50 CNY", "tags": [], "by_level": {}, "rate": "2"},
                   "due": "30 days", "note": "n/a", "label": "x", "start": "2024-01-01"}


def test_given_fields_win_over_defaults_in_nested_records(machine) -> None:
    out = call(machine, "pair", {"left": {"cap": "1.00 CNY"}, "right": {"tags": ["z"]}})
    assert out["left"] == {"cap": "1.00 CNY", "floor": "-1.50 CNY", "tags": ["a", "b"], "by_level": {}, "rate": "2"}
    # A nested record given as JSON fills in its own defaults, not the outer field's default value.
    assert out["right"] == {"cap": "500.00 CNY", "floor": "-1.50 CNY", "tags": ["z"], "by_level": {}, "rate": "2"}
    out = call(machine, "pair", {"left": {}})
    assert out["right"]["cap"] == "7.00 CNY"


def test_a_field_without_a_constant_default_must_be_given(machine) -> None:
    with pytest.raises(ValueFormError, match=r"argument c: .*field start is missing"):
        call(machine, "take", {"holder": "Li", "label": "x"})
    with pytest.raises(ValueFormError, match=r"field label is missing"):
        call(machine, "take", {"holder": "Li", "start": "2024-01-01"})
    with pytest.raises(ValueFormError, match=r"argument p: .*field left is missing"):
        call(machine, "pair", {})


def test_module_with_defaults_round_trips(built) -> None:
    data = encode_module(built)
    assert data[4] == FORMAT_VERSION == 2
    again = decode_module(data)
    assert again == built and encode_module(again) == data


def _with_defaults(module, defaults) -> object:
    return dataclasses.replace(module, field_defaults=tuple(defaults))


def test_verifier_refuses_a_default_of_the_wrong_type(built) -> None:
    bad = [d if (d.record, d.field) != ("Limits", "cap")
           else FieldDefault("Limits", "cap", T.INT, encode_value(T.INT, 500)) for d in built.field_defaults]
    with pytest.raises(VerifyError, match=r"default of Limits.cap: the default is Int, the field is Money"):
        verify(_with_defaults(built, bad))


@pytest.mark.parametrize("default, message", [
    (FieldDefault("Nope", "x", T.INT, b"\x00"), "unknown record Nope"),
    (FieldDefault("Cover", "nope", T.INT, b"\x00"), "record Cover has no field nope"),
    (FieldDefault("Cover", "note", T.TEXT, b"\x05ab"), "not a Text value"),
    (FieldDefault("Cover", "level", T.EnumType("Level"), b"\x07"), "not a Level value"),
])
def test_verifier_refuses_defaults_that_do_not_fit(built, default, message) -> None:
    with pytest.raises(VerifyError, match=message):
        verify(_with_defaults(built, [default]))


def test_verifier_refuses_unordered_or_repeated_defaults(built) -> None:
    ds = list(built.field_defaults)
    with pytest.raises(VerifyError, match="ascending"):
        verify(_with_defaults(built, [ds[1], ds[0]]))
    with pytest.raises(VerifyError, match="ascending"):
        verify(_with_defaults(built, [ds[0], ds[0]]))


@given(st.binary(max_size=12))
def test_any_bytes_as_a_default_are_decoded_or_refused(built, data: bytes) -> None:
    module = _with_defaults(built, [FieldDefault("Cover", "start", T.DATE, data)])
    try:
        vm = verify(module)
    except VerifyError:
        return
    assert encode_value(T.DATE, vm.record_defaults["Cover"]["start"]) == data


def test_shipped_health_contract_issues_from_json_without_defaults() -> None:
    # The command from the task: deductible, copay and status are left out.
    arg = '{"holder":"Li Lei","sum_insured":"10000.00 CNY","start":"2024-01-01","end":"2024-12-31"}'
    out = CliRunner().invoke(cli, ["run", str(ROOT / "contracts" / "health.bao"), "issue", "P1", arg,
                                   "--as", "insurer:PICC"])
    assert out.exit_code == 0, out.output
    assert json.loads(out.output)["result"] is None
