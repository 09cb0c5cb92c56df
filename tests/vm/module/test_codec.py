"""Module encoding: deterministic, round-tripping, and refusing anything but canonical bytes."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from vm.errors import VerifyError
from vm.module import (
    FORMAT_VERSION, MAGIC, Constant, Entry, EventDef, FieldDefault, Function, Lifecycle, Module, Param, StateVar,
    Transition,
    decode_module, encode_module, map_entry_key, map_prefix, module_id, state_key,
)
from vm.types import (
    BOOL, DATE, DECIMAL, HASH, INT, MONEY, PARTY, PERCENT, TEXT, EnumType, ListType, MapType,
    RecordType, TypeTable,
)
from vm.values import Money, Party

names = st.text(min_size=1, max_size=8)
prims = st.sampled_from([INT, DECIMAL, MONEY, PERCENT, DATE, TEXT, BOOL, HASH, PARTY])
types = st.recursive(
    prims | st.builds(RecordType, names) | st.builds(EnumType, names),
    lambda inner: st.builds(ListType, inner) | st.builds(MapType, prims, inner),
    max_leaves=4,
)
big_ints = st.integers(min_value=-(2**254), max_value=2**254)
constants = st.one_of(
    st.builds(Constant, st.just(INT), big_ints),
    st.builds(Constant, st.just(DECIMAL), big_ints),
    st.builds(Constant, st.just(TEXT), st.text(max_size=20)),
    st.builds(Constant, st.just(BOOL), st.booleans()),
    st.builds(Constant, st.just(HASH), st.binary(min_size=32, max_size=32)),
    st.builds(Constant, st.just(MONEY), st.builds(Money, st.sampled_from(["CNY", "JPY", "BHD"]), big_ints)),
    st.builds(Constant, st.just(PARTY), st.builds(Party, names, names, names)),
    st.builds(Constant, st.builds(EnumType, names), st.integers(0, 100)),
)
params = st.lists(st.builds(Param, names, types), max_size=3).map(tuple)
modules = st.builds(
    Module,
    kind=st.sampled_from(["contract", "module"]),
    name=names,
    doc=st.text(max_size=30),
    parties=st.lists(names, max_size=3).map(tuple),
    types=st.builds(TypeTable,
                    st.dictionaries(names, st.lists(st.tuples(names, types), max_size=3).map(tuple), max_size=2),
                    st.dictionaries(names, st.lists(names, min_size=1, max_size=3).map(tuple), max_size=2)),
    state=st.lists(st.builds(StateVar, st.integers(0, 9), names, types, st.text(max_size=5)), max_size=3).map(tuple),
    events=st.lists(st.builds(EventDef, names, params), max_size=2).map(tuple),
    lifecycles=st.lists(st.builds(
        Lifecycle, names, st.integers(0, 5), names, st.none() | st.integers(0, 3),
        st.lists(st.builds(Transition, st.lists(st.integers(0, 3), max_size=2).map(tuple), st.integers(0, 3),
                           st.lists(names, max_size=2).map(tuple)), max_size=2).map(tuple)), max_size=2).map(tuple),
    functions=st.lists(st.builds(Function, names, params, st.none() | types,
                                 st.lists(types, max_size=3).map(tuple), st.binary(max_size=40),
                                 st.text(max_size=5), st.lists(names, max_size=3).map(tuple)),
                       max_size=3).map(tuple),
    entries=st.lists(st.builds(Entry, names, st.sampled_from(["action", "view", "init"]), st.integers(0, 3),
                               st.lists(names, max_size=2).map(tuple), st.booleans()), max_size=3).map(tuple),
    constants=st.lists(constants, max_size=5).map(tuple),
    type_pool=st.lists(types, max_size=4).map(tuple),
    descriptions=st.lists(st.tuples(names, st.text(max_size=10)), max_size=2).map(tuple),
    field_defaults=st.lists(st.builds(FieldDefault, names, names, types, st.binary(max_size=8)),
                            max_size=2).map(tuple),
)


@given(modules)
def test_decode_inverts_encode(m: Module) -> None:
    b = encode_module(m)
    assert b.startswith(MAGIC)
    back = decode_module(b)
    assert back == m
    assert encode_module(back) == b


@given(modules, st.data())
def test_every_accepted_mutation_is_canonical(m: Module, data) -> None:
    b = bytearray(encode_module(m))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(b) - 1))
        b[pos] = data.draw(st.integers(0, 255))
    try:
        decoded = decode_module(bytes(b))
    except VerifyError:
        return
    assert encode_module(decoded) == bytes(b)


@given(st.binary(max_size=200))
def test_junk_raises_only_verify_error(junk: bytes) -> None:
    for data in (junk, MAGIC + bytes((FORMAT_VERSION,)) + junk):
        try:
            decode_module(data)
        except VerifyError:
            pass


def test_non_canonical_integer_is_refused() -> None:
    m = Module("module", "M", "", (), TypeTable({}, {}), (), (), (), (), (), (Constant(INT, 5),), ())
    b = encode_module(m)
    # msgpack positive fixint 5 (0x05) re-encoded as uint8 (0xcc 0x05) decodes the same.
    i = b.rindex(b"\x05")
    bad = b[:i] + b"\xcc\x05" + b[i + 1:]
    with pytest.raises(VerifyError, match="not canonical"):
        decode_module(bad)


def test_header_is_checked() -> None:
    m = Module("module", "M", "", (), TypeTable({}, {}), (), (), (), (), (), (), ())
    b = encode_module(m)
    with pytest.raises(VerifyError, match="magic"):
        decode_module(b"XXXX" + b[4:])
    with pytest.raises(VerifyError, match="version"):
        decode_module(b[:4] + b"\x09" + b[5:])


def test_state_keys_never_collide_between_scalars_and_map_entries() -> None:
    assert state_key(1) == b"\x00\x00\x01"
    assert map_entry_key(1, b"\x00\x01").startswith(map_prefix(1))
    assert not map_entry_key(0, b"").startswith(state_key(0))
    assert not map_prefix(1).startswith(map_prefix(2)[:3])


def test_module_id_is_sha256_hex() -> None:
    assert module_id(b"") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


def test_modules_of_format_1_are_refused_by_version() -> None:
    # Version 2 added record field defaults; a version-1 module lacks them and is not read.
    m = Module("module", "M", "", (), TypeTable({}, {}), (), (), (), (), (), (), ())
    b = bytearray(encode_module(m))
    assert b[4] == FORMAT_VERSION == 2
    b[4] = 1
    with pytest.raises(VerifyError, match=r"unsupported module format version \(expected 2\)"):
        decode_module(bytes(b))
