"""The one deterministic encoding of a `vm.module.Module`.

``MAGIC`` (4 bytes) + ``FORMAT_VERSION`` (1 byte) + one msgpack array of 15 items: kind, name,
doc, parties, records, enums, state, events, lifecycles, functions, entries, constants, type
pool, descriptions, field defaults (each as `_module_out` writes it). Integers past 64 bits go
as signed big-endian bytes. A field default is ``[record, field, type,
vm.values.encode_value(type, value)]`` (the state encoding, itself canonical); version 2 added
them. Decoding checks every shape and re-encodes: only bytes the encoder would produce are
accepted, and anything else is a `VerifyError`.
"""

from __future__ import annotations

import msgpack

from vm.errors import VerifyError
from vm.module.abi import (
    FORMAT_VERSION, MAGIC, MAX_MODULE_BYTES, Constant, Entry, EventDef, FieldDefault, Function, Lifecycle,
    Module, Param, StateVar, Transition,
)
from vm.types import (
    INT_HELD, PRIMITIVES, EnumType, ListType, MapType, OptionalType, Prim, RecordType, TupleType, Type, TypeTable, Value,
)
from vm.values.money import Money
from vm.values.party import Party

_INT64 = 1 << 63


def _type_out(t: Type) -> Value:
    match t:
        case Prim(name):
            return name
        case ListType(elem):
            return ["List", _type_out(elem)]
        case MapType(key, value):
            return ["Map", _type_out(key), _type_out(value)]
        case RecordType(name):
            return ["Record", name]
        case TupleType(parts):
            return ["Tuple", *[_type_out(p) for p in parts]]
        case EnumType(name):
            return ["Enum", name]
        case OptionalType(inner):
            return ["Optional", _type_out(inner)]
    raise TypeError(f"not a type: {t!r}")


def _int_out(v: int) -> Value:
    # msgpack ints stop at 64 bits; larger ones (Int reaches 2**255) go as signed big-endian bytes.
    if -_INT64 <= v < _INT64:
        return v
    return v.to_bytes((v.bit_length() + 8) // 8, "big", signed=True)


_INT_REPR = frozenset(t.name for t in INT_HELD)


def _const_out(c: Constant) -> list:
    t, v = c.type, c.value
    if isinstance(t, EnumType):
        payload: object = v
    elif isinstance(t, Prim) and t.name in _INT_REPR:
        payload = _int_out(v)
    elif t == PRIMITIVES["Money"]:
        payload = [v.currency, _int_out(v.units)]
    elif t == PRIMITIVES["Party"]:
        payload = [v.org, v.id, v.role]
    elif t in (PRIMITIVES["Text"], PRIMITIVES["Bool"], PRIMITIVES["Hash"]):
        payload = v
    else:
        raise TypeError(f"no constant of type {t}")
    return [_type_out(t), payload]


def _module_out(m: Module) -> list:
    records = [[name, [[f, _type_out(t)] for f, t in fields]] for name, fields in sorted(m.types.records.items())]
    enums = [[name, list(values)] for name, values in sorted(m.types.enums.items())]
    return [
        m.kind, m.name, m.doc, list(m.parties), records, enums,
        [[s.index, s.name, _type_out(s.type), s.doc] for s in m.state],
        [[e.name, [[p.name, _type_out(p.type)] for p in e.fields], e.doc] for e in m.events],
        [[lc.record, lc.field, lc.enum, lc.start,
          [[list(t.sources), t.target, list(t.roles)] for t in lc.transitions]] for lc in m.lifecycles],
        [[f.name, [[p.name, _type_out(p.type)] for p in f.params],
          None if f.returns is None else _type_out(f.returns),
          [_type_out(t) for t in f.local_types], f.code, f.doc, list(f.local_names)] for f in m.functions],
        [[e.name, e.kind, e.function, list(e.roles), e.anyone, e.doc] for e in m.entries],
        [_const_out(c) for c in m.constants],
        [_type_out(t) for t in m.type_pool],
        [[k, v] for k, v in m.descriptions],
        [[d.record, d.field, _type_out(d.type), d.encoded] for d in m.field_defaults],
    ]


def encode_module(m: Module) -> bytes:
    """The module's canonical bytes."""
    return MAGIC + bytes((FORMAT_VERSION,)) + msgpack.packb(_module_out(m), use_bin_type=True)


# ---------------------------------------------------------------------------------------------
# Decoding: every shape is checked; anything unexpected is a VerifyError.

class _Malformed(Exception):
    pass


def _need(cond: bool, what: str) -> None:
    if not cond:
        raise _Malformed(what)


def _str(x: Value, what: str) -> str:
    _need(isinstance(x, str), f"{what} is not a text")
    return x


def _list(x: Value, what: str, n: int | None = None) -> list:
    _need(isinstance(x, list), f"{what} is not a list")
    if n is not None:
        _need(len(x) == n, f"{what} has {len(x)} items, expected {n}")
    return x


def _int(x: Value, what: str) -> int:
    _need(isinstance(x, int) and not isinstance(x, bool), f"{what} is not an integer")
    return x


def _bool(x: Value, what: str) -> bool:
    _need(isinstance(x, bool), f"{what} is not a boolean")
    return x


def _big_int(x: Value, what: str) -> int:
    if isinstance(x, bytes):
        _need(0 < len(x) <= 40, f"{what}: integer too long")
        return int.from_bytes(x, "big", signed=True)
    return _int(x, what)


MAX_TYPE_DEPTH = 16


def _type_in(x: Value, what: str, depth: int = 0) -> Type:
    _need(depth <= MAX_TYPE_DEPTH, f"{what}: type nested too deeply")
    if isinstance(x, str):
        _need(x in PRIMITIVES, f"{what}: unknown type {x!r}")
        return PRIMITIVES[x]
    items = _list(x, what)
    _need(len(items) >= 2 and isinstance(items[0], str), f"{what}: malformed type")
    tag = items[0]
    if tag == "List" and len(items) == 2:
        return ListType(_type_in(items[1], what, depth + 1))
    if tag == "Map" and len(items) == 3:
        return MapType(_type_in(items[1], what, depth + 1), _type_in(items[2], what, depth + 1))
    if tag == "Tuple" and len(items) >= 3:
        return TupleType(tuple(_type_in(p, what, depth + 1) for p in items[1:]))
    if tag == "Record" and len(items) == 2:
        return RecordType(_str(items[1], what))
    if tag == "Enum" and len(items) == 2:
        return EnumType(_str(items[1], what))
    if tag == "Optional" and len(items) == 2:
        inner = _type_in(items[1], what, depth + 1)
        _need(not isinstance(inner, OptionalType), f"{what}: an optional type of an optional type")
        return OptionalType(inner)
    raise _Malformed(f"{what}: malformed type")


def _params_in(x: Value, what: str) -> tuple[Param, ...]:
    out = []
    for i, p in enumerate(_list(x, what)):
        name, t = _list(p, f"{what}[{i}]", 2)
        out.append(Param(_str(name, f"{what}[{i}] name"), _type_in(t, f"{what}[{i}] type")))
    return tuple(out)


def _const_in(x: Value, what: str) -> Constant:
    t_raw, payload = _list(x, what, 2)
    t = _type_in(t_raw, what)
    if isinstance(t, EnumType):
        return Constant(t, _int(payload, what))
    if not isinstance(t, Prim):
        raise _Malformed(f"{what}: a constant cannot have type {t}")
    name = t.name
    if name in _INT_REPR:
        return Constant(t, _big_int(payload, what))
    if name == "Text":
        return Constant(t, _str(payload, what))
    if name == "Bool":
        return Constant(t, _bool(payload, what))
    if name == "Hash":
        _need(isinstance(payload, bytes) and len(payload) == 32, f"{what}: a Hash is 32 bytes")
        return Constant(t, payload)
    if name == "Money":
        currency, units = _list(payload, what, 2)
        return Constant(t, Money(_str(currency, what), _big_int(units, what)))
    if name == "Party":
        org, id_, role = _list(payload, what, 3)
        return Constant(t, Party(_str(org, what), _str(id_, what), _str(role, what)))
    raise _Malformed(f"{what}: a constant cannot have type {t}")


def _opt_int(x: Value, what: str) -> int | None:
    return None if x is None else _int(x, what)


def _module_in(raw: object) -> Module:
    (kind, name, doc, parties, records, enums, state, events, lifecycles, functions, entries,
     constants, type_pool, descriptions, field_defaults) = _list(raw, "module", 15)
    rec: dict[str, tuple[tuple[str, Type], ...]] = {}
    for i, r in enumerate(_list(records, "records")):
        rname, fields = _list(r, f"record {i}", 2)
        rec[_str(rname, f"record {i} name")] = tuple(
            (p.name, p.type) for p in _params_in(fields, f"record {rname!r} fields"))
    en: dict[str, tuple[str, ...]] = {}
    for i, e in enumerate(_list(enums, "enums")):
        ename, values = _list(e, f"enum {i}", 2)
        en[_str(ename, f"enum {i} name")] = tuple(_str(v, f"enum {ename!r} value") for v in _list(values, "values"))
    svars = []
    for i, s in enumerate(_list(state, "state")):
        idx, sname, st, sdoc = _list(s, f"state variable {i}", 4)
        svars.append(StateVar(_int(idx, "state index"), _str(sname, "state name"),
                              _type_in(st, f"state variable {i} type"), _str(sdoc, "state doc")))
    evs = []
    for i, e in enumerate(_list(events, "events")):
        ename, fields, edoc = _list(e, f"event {i}", 3)
        evs.append(EventDef(_str(ename, "event name"), _params_in(fields, f"event {i} fields"),
                            _str(edoc, "event doc")))
    lcs = []
    for i, lc in enumerate(_list(lifecycles, "lifecycles")):
        rname, field_ix, ename, start, transitions = _list(lc, f"lifecycle {i}", 5)
        trs = []
        for j, t in enumerate(_list(transitions, "transitions")):
            sources, target, roles = _list(t, f"lifecycle {i} transition {j}", 3)
            trs.append(Transition(tuple(_int(s, "source") for s in _list(sources, "sources")),
                                  _int(target, "target"),
                                  tuple(_str(r, "role") for r in _list(roles, "roles"))))
        lcs.append(Lifecycle(_str(rname, "record"), _int(field_ix, "field"), _str(ename, "enum"),
                             _opt_int(start, "start"), tuple(trs)))
    fns = []
    for i, f in enumerate(_list(functions, "functions")):
        fname, params, returns, local_types, code, fdoc, local_names = _list(f, f"function {i}", 7)
        _need(isinstance(code, bytes), f"function {i} code is not bytes")
        fns.append(Function(_str(fname, "function name"), _params_in(params, f"function {i} params"),
                            None if returns is None else _type_in(returns, f"function {i} return type"),
                            tuple(_type_in(t, f"function {i} local") for t in _list(local_types, "locals")),
                            code, _str(fdoc, "function doc"),
                            tuple(_str(n, "local name") for n in _list(local_names, "local names"))))
    ens = []
    for i, e in enumerate(_list(entries, "entries")):
        ename, ekind, fn, roles, anyone, edoc = _list(e, f"entry {i}", 6)
        ens.append(Entry(_str(ename, "entry name"), _str(ekind, "entry kind"), _int(fn, "entry function"),
                         tuple(_str(r, "role") for r in _list(roles, "roles")), _bool(anyone, "anyone"),
                         _str(edoc, "entry doc")))
    consts = tuple(_const_in(c, f"constant {i}") for i, c in enumerate(_list(constants, "constants")))
    pool = tuple(_type_in(t, f"type pool entry {i}") for i, t in enumerate(_list(type_pool, "type pool")))
    descs = []
    for d in _list(descriptions, "descriptions"):
        k, v = _list(d, "description", 2)
        descs.append((_str(k, "description name"), _str(v, "description")))
    defaults = []
    for i, d in enumerate(_list(field_defaults, "field defaults")):
        record, field_name, t, encoded = _list(d, f"field default {i}", 4)
        _need(isinstance(encoded, bytes), f"field default {i} value is not bytes")
        defaults.append(FieldDefault(_str(record, f"field default {i} record"),
                                     _str(field_name, f"field default {i} field"),
                                     _type_in(t, f"field default {i} type"), encoded))
    return Module(
        kind=_str(kind, "kind"), name=_str(name, "name"), doc=_str(doc, "doc"),
        parties=tuple(_str(p, "party") for p in _list(parties, "parties")),
        types=TypeTable(rec, en), state=tuple(svars), events=tuple(evs), lifecycles=tuple(lcs),
        functions=tuple(fns), entries=tuple(ens), constants=consts, type_pool=pool,
        descriptions=tuple(descs), field_defaults=tuple(defaults),
    )


def decode_module(data: bytes) -> Module:
    """Parse canonical module bytes; raises VerifyError (never anything else) on any defect.
    Only the shape is checked here: indexes, types and code are the verifier's."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise VerifyError("a module is bytes")
    data = bytes(data)
    if len(data) > MAX_MODULE_BYTES:
        raise VerifyError(f"module is {len(data)} bytes, the limit is {MAX_MODULE_BYTES}")
    if data[:4] != MAGIC:
        raise VerifyError("not a Bao module (bad magic)")
    if len(data) < 5 or data[4] != FORMAT_VERSION:
        raise VerifyError(f"unsupported module format version (expected {FORMAT_VERSION})")
    try:
        raw = msgpack.unpackb(data[5:], raw=False, strict_map_key=True, use_list=True)
    except Exception as exc:  # the C unpacker raises many kinds on junk; all mean "malformed"
        raise VerifyError(f"malformed module encoding: {type(exc).__name__}") from None
    try:
        module = _module_in(raw)
    except _Malformed as exc:
        raise VerifyError(f"malformed module: {exc}") from None
    except (ValueError, TypeError) as exc:  # e.g. unpacking a list of the wrong length, a bad Money
        raise VerifyError(f"malformed module: {exc}") from None
    try:
        canonical = encode_module(module)
    except (TypeError, ValueError, AttributeError, OverflowError) as exc:
        raise VerifyError(f"malformed module: {exc}") from None
    if canonical != data:
        raise VerifyError("module encoding is not canonical")
    return module
