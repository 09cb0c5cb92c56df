"""A compiled Bao module: its ABI, its code, and its one deterministic encoding.

A `Module` is what the compiler produces, what `encode_module` turns into bytes (hashed as the
module's identity), and what the verifier checks before anything runs it. The opcodes inside
``Function.code`` are described in `vm.opcodes`.

ABI
---
* ``kind`` "contract" or "module" (a stdlib module: only fns, no entries, no state);
* ``name``, ``doc`` (the docstring), ``parties`` (the roles);
* ``entries``: what a transaction or query may call: actions, views and ``init`` (always
  present in a contract: it writes every state variable's initial value, then runs the
  contract's `init` body, if any, under that body's `by`; without one it is ``anyone``). Hidden
  entries (names starting ``__``) are tooling's: ``__defaults`` (contracts) writes the initial
  values only, for a deployment that skips `init`; test builds add ``__expr<N>``;
* ``events`` with their typed fields, ``state`` (the schema), ``types`` (records and enums),
  ``lifecycles``, ``descriptions`` (doc text of records, fields, enums, values by dotted name);
* ``field_defaults``: the record field defaults that are constant expressions (literals, enum
  values, collections and records of constants, unary minus on a literal), evaluated at compile
  time, so that a record given as JSON (section 7) may leave those fields out. A default that
  is any other expression exists only as code: JSON must give that field.

State key layout
----------------
The machine addresses state by these keys (the ledger stores them under a contract prefix):

* scalar variable i (any type but Map): ``b"\\x00" + i.to_bytes(2, "big")``, holding
  ``vm.values.encode_value(type, value)``;
* entry k of Map variable i: ``b"\\x01" + i.to_bytes(2, "big") + vm.values.encode_key(K, k)``,
  holding ``encode_value(V, v)``. ``map_prefix(i)`` is the part before the key, so a scan of that
  prefix yields the entries in key order (``encode_key`` preserves the order of section 5).

Encoding
--------
``MAGIC`` (4 bytes) + ``FORMAT_VERSION`` (1 byte) + one msgpack array of the fields below.
A field default is ``[record, field, type, vm.values.encode_value(type, value)]`` (the state
encoding, canonical), in ascending (record, field) order; version 2 added them.
The encoder is deterministic and the decoder accepts only bytes the encoder would produce
(it re-encodes and compares), so ``encode_module(decode_module(b)) == b`` for every ``b`` it
accepts. ``decode_module`` raises only ``vm.errors.VerifyError``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import msgpack

from vm.errors import VerifyError
from vm.types import EnumType, ListType, MapType, PRIMITIVES, Prim, RecordType, Type, TypeTable

MAGIC = b"BAOM"
FORMAT_VERSION = 2
MAX_MODULE_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    type: Type


@dataclass(frozen=True, slots=True)
class Constant:
    """A typed constant: ``value`` is in the runtime representation of ``type`` (vm.types).
    Only primitive and enum types: lists, maps and records are built by code."""

    type: Type
    value: object


@dataclass(frozen=True, slots=True)
class FieldDefault:
    """The default of field ``field`` of record ``record``, a constant: ``encoded`` is
    ``vm.values.encode_value(type, value)``. The verifier checks that ``type`` is the field's
    and decodes the value (`vm.verifier.VerifiedModule.record_defaults`)."""

    record: str
    field: str
    type: Type
    encoded: bytes


@dataclass(frozen=True, slots=True)
class Function:
    """Code of an action, view, init, fn, or generated helper. ``local_types`` covers every
    slot: the parameters first, then `let`s, loop variables and compiler temporaries."""

    name: str
    params: tuple[Param, ...]
    returns: Type | None
    local_types: tuple[Type, ...]
    code: bytes
    doc: str = ""
    local_names: tuple[str, ...] = ()  # for listings: one per slot ("" for a temporary), or none


@dataclass(frozen=True, slots=True)
class Entry:
    """A callable entry point. ``kind`` is "action", "view" or "init"."""

    name: str
    kind: str
    function: int
    roles: tuple[str, ...]
    anyone: bool
    doc: str = ""


@dataclass(frozen=True, slots=True)
class EventDef:
    name: str
    fields: tuple[Param, ...]
    doc: str = ""


@dataclass(frozen=True, slots=True)
class StateVar:
    index: int
    name: str
    type: Type
    doc: str = ""


@dataclass(frozen=True, slots=True)
class Transition:
    sources: tuple[int, ...]  # enum value indexes
    target: int
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Lifecycle:
    record: str
    field: int  # index of the enum-typed field in the record
    enum: str
    start: int | None
    transitions: tuple[Transition, ...]

    def allows(self, source: int, target: int, role: str) -> bool:
        return any(source in t.sources and t.target == target and role in t.roles
                   for t in self.transitions)


@dataclass(frozen=True, slots=True)
class Module:
    kind: str  # "contract" | "module"
    name: str
    doc: str
    parties: tuple[str, ...]
    types: TypeTable
    state: tuple[StateVar, ...]
    events: tuple[EventDef, ...]
    lifecycles: tuple[Lifecycle, ...]
    functions: tuple[Function, ...]
    entries: tuple[Entry, ...]
    constants: tuple[Constant, ...]
    type_pool: tuple[Type, ...]
    descriptions: tuple[tuple[str, str], ...] = ()  # (dotted name, text), sorted by name
    field_defaults: tuple[FieldDefault, ...] = ()  # ascending by (record, field)

    def entry(self, name: str) -> Entry | None:
        for e in self.entries:
            if e.name == name:
                return e
        return None

    def entry_function(self, name: str) -> Function:
        """The Function behind entry ``name`` (KeyError if there is none)."""
        e = self.entry(name)
        if e is None:
            raise KeyError(name)
        return self.functions[e.function]

    def function_index(self, name: str) -> int:
        for i, f in enumerate(self.functions):
            if f.name == name:
                return i
        raise KeyError(name)

    def event(self, name: str) -> EventDef | None:
        for e in self.events:
            if e.name == name:
                return e
        return None

    def lifecycles_of(self, record: str) -> tuple[Lifecycle, ...]:
        return tuple(lc for lc in self.lifecycles if lc.record == record)


# ---------------------------------------------------------------------------------------------
# State keys

def state_key(index: int) -> bytes:
    """Key of scalar state variable ``index``."""
    return b"\x00" + index.to_bytes(2, "big")


def map_prefix(index: int) -> bytes:
    """Prefix of every entry key of Map state variable ``index``."""
    return b"\x01" + index.to_bytes(2, "big")


def map_entry_key(index: int, encoded_key: bytes) -> bytes:
    """Key of one entry; ``encoded_key`` is ``vm.values.encode_key(K, k)``."""
    return map_prefix(index) + encoded_key


def module_id(encoded: bytes) -> str:
    """Identity of an encoded module for local tools: SHA-256 hex of its bytes (a node uses its
    channel suite's hash of the same bytes)."""
    return hashlib.sha256(encoded).hexdigest()


# ---------------------------------------------------------------------------------------------
# Encoding

_INT64 = 1 << 63


def _type_out(t: Type) -> object:
    match t:
        case Prim(name):
            return name
        case ListType(elem):
            return ["List", _type_out(elem)]
        case MapType(key, value):
            return ["Map", _type_out(key), _type_out(value)]
        case RecordType(name):
            return ["Record", name]
        case EnumType(name):
            return ["Enum", name]
    raise TypeError(f"not a type: {t!r}")


def _int_out(v: int) -> object:
    # msgpack ints stop at 64 bits; larger ones (Int reaches 2**255) go as signed big-endian bytes.
    if -_INT64 <= v < _INT64:
        return v
    return v.to_bytes((v.bit_length() + 8) // 8, "big", signed=True)


_INT_REPR = ("Int", "Decimal", "Percent", "Date", "Duration", "Timestamp")


def _const_out(c: Constant) -> list:
    t, v = c.type, c.value
    if isinstance(t, EnumType):
        payload: object = v
    elif isinstance(t, Prim) and t.name in _INT_REPR:
        payload = _int_out(v)  # type: ignore[arg-type]
    elif t == PRIMITIVES["Money"]:
        payload = [v.currency, _int_out(v.units)]  # type: ignore[attr-defined]
    elif t == PRIMITIVES["Party"]:
        payload = [v.org, v.id, v.role]  # type: ignore[attr-defined]
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


def _str(x: object, what: str) -> str:
    _need(isinstance(x, str), f"{what} is not a text")
    return x  # type: ignore[return-value]


def _list(x: object, what: str, n: int | None = None) -> list:
    _need(isinstance(x, list), f"{what} is not a list")
    if n is not None:
        _need(len(x) == n, f"{what} has {len(x)} items, expected {n}")  # type: ignore[arg-type]
    return x  # type: ignore[return-value]


def _int(x: object, what: str) -> int:
    _need(isinstance(x, int) and not isinstance(x, bool), f"{what} is not an integer")
    return x  # type: ignore[return-value]


def _bool(x: object, what: str) -> bool:
    _need(isinstance(x, bool), f"{what} is not a boolean")
    return x  # type: ignore[return-value]


def _big_int(x: object, what: str) -> int:
    if isinstance(x, bytes):
        _need(0 < len(x) <= 40, f"{what}: integer too long")
        return int.from_bytes(x, "big", signed=True)
    return _int(x, what)


MAX_TYPE_DEPTH = 16


def _type_in(x: object, what: str, depth: int = 0) -> Type:
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
    if tag == "Record" and len(items) == 2:
        return RecordType(_str(items[1], what))
    if tag == "Enum" and len(items) == 2:
        return EnumType(_str(items[1], what))
    raise _Malformed(f"{what}: malformed type")


def _params_in(x: object, what: str) -> tuple[Param, ...]:
    out = []
    for i, p in enumerate(_list(x, what)):
        name, t = _list(p, f"{what}[{i}]", 2)
        out.append(Param(_str(name, f"{what}[{i}] name"), _type_in(t, f"{what}[{i}] type")))
    return tuple(out)


def _const_in(x: object, what: str) -> Constant:
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
    from vm.values import Money, Party  # the values layer sits beside us; imported late

    if name == "Money":
        currency, units = _list(payload, what, 2)
        return Constant(t, Money(_str(currency, what), _big_int(units, what)))
    if name == "Party":
        org, id_, role = _list(payload, what, 3)
        return Constant(t, Party(_str(org, what), _str(id_, what), _str(role, what)))
    raise _Malformed(f"{what}: a constant cannot have type {t}")


def _opt_int(x: object, what: str) -> int | None:
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
