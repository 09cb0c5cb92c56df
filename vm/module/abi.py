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
``MAGIC`` (4 bytes) + ``FORMAT_VERSION`` (1 byte) + one msgpack array of the ABI and code
(`vm.module.codec` has the layout and the two doors, `encode_module` and `decode_module`).
The encoder is deterministic and the decoder accepts only bytes the encoder would produce
(it re-encodes and compares), so ``encode_module(decode_module(b)) == b`` for every ``b`` it
accepts. ``decode_module`` raises only ``vm.errors.VerifyError``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from vm.types import Type, TypeTable, Value

MAGIC = b"BAOM"
FORMAT_VERSION = 2  # 2: record field defaults
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
    value: Value


@dataclass(frozen=True, slots=True)
class FieldDefault:
    """The default of field ``field`` of record ``record``, a constant: ``encoded`` is
    ``vm.values.encode_value(type, value)``. The verifier checks that ``type`` is the field's
    and decodes the value (`vm.verify.verifier.VerifiedModule.record_defaults`)."""

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
