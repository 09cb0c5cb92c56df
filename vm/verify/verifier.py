"""The verifier: nothing runs until it has accepted the module.

It proves, for any module (bytes from anywhere, or a `Module` value), what the block translator
relies on: well-formed encoding, every index in range, jump targets on instruction boundaries,
no path falling off the end of a function, one stack height *and one type per stack slot* at
every basic block's entry, every opcode finding exactly the types the table (`vm.opcodes`)
declares, every local stored before it is loaded, views that never write, and the size limits
below. It raises nothing but `VerifyError`, and runs in time linear in the module's size (a
block is examined once, in reverse postorder). This module checks the declarations and the
whole; `vm.verify.function` checks each function's code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NoReturn

from vm.errors import EncodingError, VerifyError
from vm.module.abi import Module, module_id
from vm.module.codec import decode_module, encode_module
from vm.types import (
    DATE, MONEY, EnumType, ListType, MapType, OptionalType, Prim, RecordType, TupleType, Type, Value, is_key_type,
)
from vm.values.calendar import MAX_DATE, MIN_DATE
from vm.values.currencies import CURRENCY_DIGITS
from vm.values.decimals import INT_LIMIT
from vm.values.encoding import decode_value
from vm.verify.function import MAX_STACK, Block, FunctionCheck, VerifiedFunction

__all__ = ["MAX_CODE_BYTES", "MAX_FUNCTIONS", "MAX_LOCALS", "MAX_STACK", "Block", "VerifiedFunction",
           "VerifiedModule", "verify"]

MAX_FUNCTIONS = 2048
MAX_CODE_BYTES = 65536  # per function
MAX_LOCALS = 1024  # per function
MAX_TYPE_DEPTH = 16  # List[Map[Text, List[...]]] nesting
MAX_RECORD_FIELDS = 255  # FIELD operands are one byte
MAX_POOL = 65535  # constants, type pool, state variables, events: two-byte operands



@dataclass(frozen=True, slots=True)
class VerifiedModule:
    """A module the verifier accepted, with what it learnt about each function.
    ``record_defaults`` holds the module's constant field defaults, decoded: record name ->
    field name -> value in the runtime representation (what `vm.values.from_json` takes)."""

    module: Module
    encoded: bytes
    functions: tuple[VerifiedFunction, ...]
    record_defaults: dict[str, dict[str, object]] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return module_id(self.encoded)


def verify(module_or_bytes: Module | bytes) -> VerifiedModule:
    """Check a module completely; raises VerifyError naming the function and offset of the first
    defect found."""
    if isinstance(module_or_bytes, Module):
        module = module_or_bytes
        try:
            encoded = encode_module(module)
        except Exception as exc:  # a hand-built Module may hold anything; report, never crash
            raise VerifyError(f"module cannot be encoded: {exc}") from None
        module = decode_module(encoded)  # the same checks on shape as for bytes from outside
    elif isinstance(module_or_bytes, (bytes, bytearray, memoryview)):
        encoded = bytes(module_or_bytes)
        module = decode_module(encoded)
    else:
        raise VerifyError("verify() takes a Module or its encoded bytes")
    checked = _ModuleCheck(module)
    checked.run()
    verified = tuple(FunctionCheck(module, i).run() for i in range(len(module.functions)))
    verified = _mark_writers(module, verified)
    for e in module.entries:
        if e.kind == "view" and verified[e.function].writes_state:
            raise VerifyError(f"view {e.name}: its code writes state or emits events")
    return VerifiedModule(module, encoded, verified, checked.record_defaults)


# ---------------------------------------------------------------------------------------------
# Declarations

class _ModuleCheck:
    def __init__(self, module: Module):
        self.m = module
        self.record_defaults: dict[str, dict[str, object]] = {}

    def fail(self, msg: str) -> NoReturn:
        raise VerifyError(msg)

    def type_ok(self, t: Type, where: str, depth: int = 0) -> None:
        if depth > MAX_TYPE_DEPTH:
            self.fail(f"{where}: type nested more than {MAX_TYPE_DEPTH} deep")
        match t:
            case Prim():
                return
            case ListType(elem):
                self.type_ok(elem, where, depth + 1)
            case MapType(key, value):
                self.type_ok(key, where, depth + 1)  # first: a record key's fields are then known
                if not is_key_type(key, self.m.types.field_types):
                    self.fail(f"{where}: {key} cannot be a map key")
                self.type_ok(value, where, depth + 1)
            case RecordType(name):
                if name not in self.m.types.records:
                    self.fail(f"{where}: unknown record {name}")
            case EnumType(name):
                if name not in self.m.types.enums:
                    self.fail(f"{where}: unknown enum {name}")
            case TupleType(parts):
                if len(parts) < 2:
                    self.fail(f"{where}: a tuple has at least two parts")
                for p in parts:
                    self.type_ok(p, where, depth + 1)
            case OptionalType(inner):
                if isinstance(inner, OptionalType):
                    self.fail(f"{where}: {t} is optional twice")
                self.type_ok(inner, where, depth + 1)

    def unique(self, names: list[str], what: str) -> None:
        seen: set[str] = set()
        for n in names:
            if n in seen:
                self.fail(f"{what} {n!r} is declared twice")
            seen.add(n)

    def run(self) -> None:
        m = self.m
        if m.kind not in ("contract", "module"):
            self.fail(f"unknown module kind {m.kind!r}")
        for what, items in (("functions", m.functions), ("constants", m.constants), ("types", m.type_pool),
                            ("state variables", m.state), ("events", m.events)):
            limit = MAX_FUNCTIONS if what == "functions" else MAX_POOL
            if len(items) > limit:
                self.fail(f"too many {what}: {len(items)} (limit {limit})")
        self.unique(list(m.parties), "party")
        self.unique([s.name for s in m.state], "state variable")
        self.unique([e.name for e in m.events], "event")
        self.unique([e.name for e in m.entries], "entry")
        self.unique([f.name for f in m.functions], "function")
        for name, fields in m.types.records.items():
            if len(fields) > MAX_RECORD_FIELDS:
                self.fail(f"record {name} has more than {MAX_RECORD_FIELDS} fields")
            self.unique([f for f, _ in fields], f"record {name}: field")
            for f, t in fields:
                self.type_ok(t, f"record {name} field {f}")
        self.records_finite()
        for name, values in m.types.enums.items():
            if not values:
                self.fail(f"enum {name} has no values")
            self.unique(list(values), f"enum {name}: value")
        for i, s in enumerate(m.state):
            if s.index != i:
                self.fail(f"state variable {s.name} has index {s.index}, expected {i}")
            self.type_ok(s.type, f"state variable {s.name}")
        for e in m.events:
            for p in e.fields:
                self.type_ok(p.type, f"event {e.name} field {p.name}")
        for i, t in enumerate(m.type_pool):
            self.type_ok(t, f"type pool entry {i}")
        for i, c in enumerate(m.constants):
            self.constant_ok(i, c.type, c.value)
        self.lifecycles_ok()
        self.field_defaults_ok()
        for fn in m.functions:
            where = f"function {fn.name}"
            if len(fn.local_types) > MAX_LOCALS:
                self.fail(f"{where}: {len(fn.local_types)} locals (limit {MAX_LOCALS})")
            if len(fn.code) > MAX_CODE_BYTES:
                self.fail(f"{where}: {len(fn.code)} bytes of code (limit {MAX_CODE_BYTES})")
            if fn.local_names and len(fn.local_names) != len(fn.local_types):
                self.fail(f"{where}: {len(fn.local_names)} local names for {len(fn.local_types)} locals")
            if tuple(p.type for p in fn.params) != fn.local_types[:len(fn.params)]:
                self.fail(f"{where}: the first locals must be the parameters")
            for t in fn.local_types:
                self.type_ok(t, f"{where} local")
            if fn.returns is not None:
                self.type_ok(fn.returns, f"{where} return type")
        for entry in m.entries:
            if entry.kind not in ("action", "view", "init"):
                self.fail(f"entry {entry.name}: unknown kind {entry.kind!r}")
            if not 0 <= entry.function < len(m.functions):
                self.fail(f"entry {entry.name}: function index {entry.function} out of range")
            for r in entry.roles:
                if r not in m.parties:
                    self.fail(f"entry {entry.name}: role {r} is not a party")

    def records_finite(self) -> None:
        """No record may contain itself other than inside a List or Map: no value of it could
        exist, and code walking its fields would never stop."""
        records = self.m.types.records
        state: dict[str, int] = {}  # 1 visiting, 2 done

        def visit(name: str) -> None:
            state[name] = 1
            for _, t in records[name]:
                if isinstance(t, RecordType) and t.name in records:
                    if state.get(t.name) == 1:
                        self.fail(f"record {t.name} contains itself")
                    if t.name not in state:
                        visit(t.name)
            state[name] = 2

        for name in sorted(records):
            if name not in state:
                visit(name)

    def constant_ok(self, i: int, t: Type, v: Value) -> None:
        where = f"constant {i}"
        self.type_ok(t, where)
        if isinstance(t, EnumType):
            if not 0 <= v < len(self.m.types.enums[t.name]):
                self.fail(f"{where}: enum {t.name} has no value {v}")
        elif t == MONEY:
            if v.currency not in CURRENCY_DIGITS:
                self.fail(f"{where}: unknown currency {v.currency!r}")
            if not -INT_LIMIT < v.units < INT_LIMIT:
                self.fail(f"{where}: amount out of range")
        elif isinstance(v, int) and not isinstance(v, bool):
            if not -INT_LIMIT < v < INT_LIMIT:
                self.fail(f"{where}: {t} out of range")
            if t == DATE and not MIN_DATE <= v <= MAX_DATE:
                self.fail(f"{where}: date out of range")

    def field_defaults_ok(self) -> None:
        """Each default names a field of a known record, once, in ascending (record, field)
        order; its type is the field's; its bytes are the canonical encoding of such a value."""
        previous: tuple[str, str] | None = None
        for d in self.m.field_defaults:
            where = f"default of {d.record}.{d.field}"
            fields = dict(self.m.types.records.get(d.record, ()))
            if d.record not in self.m.types.records:
                self.fail(f"{where}: unknown record {d.record}")
            if d.field not in fields:
                self.fail(f"{where}: record {d.record} has no field {d.field}")
            if previous is not None and (d.record, d.field) <= previous:
                self.fail(f"{where}: defaults must be in ascending (record, field) order, each once")
            previous = (d.record, d.field)
            self.type_ok(d.type, where)
            if d.type != fields[d.field]:
                self.fail(f"{where}: the default is {d.type}, the field is {fields[d.field]}")
            try:
                value = decode_value(d.type, d.encoded, self.m.types)
            except EncodingError as exc:
                self.fail(f"{where}: not a {d.type} value ({exc})")
            self.record_defaults.setdefault(d.record, {})[d.field] = value

    def lifecycles_ok(self) -> None:
        m = self.m
        for lc in m.lifecycles:
            where = f"lifecycle {lc.record}"
            fields = m.types.records.get(lc.record)
            if fields is None:
                self.fail(f"{where}: unknown record")
            if not 0 <= lc.field < len(fields) or fields[lc.field][1] != EnumType(lc.enum):
                self.fail(f"{where}: field {lc.field} is not of enum {lc.enum}")
            n = len(m.types.enums[lc.enum])
            values = [*(s for t in lc.transitions for s in t.sources), *(t.target for t in lc.transitions)]
            if lc.start is not None:
                values.append(lc.start)
            if any(not 0 <= v < n for v in values):
                self.fail(f"{where}: enum value out of range")
            if any(r not in m.parties for t in lc.transitions for r in t.roles):
                self.fail(f"{where}: a transition names a role that is not a party")


def _mark_writers(module: Module, fns: tuple[VerifiedFunction, ...]) -> tuple[VerifiedFunction, ...]:
    """Which functions write state or emit, directly or through calls (a fixpoint over calls)."""
    writes = [any(i.op.writes_state for b in vf.blocks for i in b.instructions) for vf in fns]
    callees = [{i.operands[0] for b in vf.blocks for i in b.instructions if i.op.name == "CALL"} for vf in fns]
    callers: list[list[int]] = [[] for _ in fns]
    for caller, cs in enumerate(callees):
        for c in cs:
            callers[c].append(caller)
    work = [i for i, w in enumerate(writes) if w]
    while work:
        i = work.pop()
        for c in callers[i]:
            if not writes[c]:
                writes[c] = True
                work.append(c)
    return tuple(VerifiedFunction(vf.index, vf.function, vf.blocks, vf.max_stack, writes[i])
                 for i, vf in enumerate(fns))
