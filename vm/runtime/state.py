"""A call's view of contract state: reads through the host, writes into an overlay.

Nothing a call writes reaches the host: `CallState` keeps the writes (and the events) and the
machine hands them back in the call's result, so an aborted call simply drops its `CallState`.
Every access is priced here (`vm.gas`) by the bytes it moves, and every value of a record type
with a lifecycle is checked on its way into state (LANGUAGE.md section 3) against what state held
at the same place before the call wrote it.

Keys follow `vm.module`: a scalar variable is one key, each Map entry is its own key under the
variable's prefix, so a call reads (and pays for) only the entries it touches. A scan (a whole
Map read, its `len`) records every entry it found in the reads; it cannot record the entries it
did not find, so the prefixes scanned are listed too (``scans``) for a ledger that checks phantoms.
`x += v` and `x -= v` on state are exact reads and writes, and are also reported as `Delta`s
when the call touched that key no other way.
"""

from __future__ import annotations

from dataclasses import dataclass

from vm import gas as G
from vm import types as T
from vm.types import Value
from vm.values.decimals import check_int
from vm.values.encoding import ValueTooLarge, decode_value, encode_value, value_size
from vm.errors import Abort, AbortKind, NestingError, limit_exceeded, nested_too_deep, out_of_gas
from vm.gas import Limits
from vm.runtime.host import Event, Host
from vm.values.keys import decode_key, encode_key
from vm.values.measure import Meter
from vm.module.abi import Lifecycle, Module, map_prefix, state_key
from vm.values.money import money_add, money_neg, money_sub
from vm.values.textform import quote_text, to_text


def key_not_found(key_type: T.Type, key: Value, table: T.TypeTable) -> Abort:
    shown = quote_text(key) if key_type == T.TEXT else to_text(key_type, key, table)
    return Abort(f"key not found: {shown}", AbortKind.KEY_NOT_FOUND)


def charge(gas: int, cost: int) -> int:
    gas -= cost
    if gas < 0:
        raise out_of_gas()
    return gas


def add_values(t: T.Type, a: Value, b: Value, subtract: bool) -> Value:
    """`a + b` or `a - b` for the additive types of `x += v` (SADD, MADD ...)."""
    if t == T.MONEY:
        return money_sub(a, b) if subtract else money_add(a, b)
    return check_int(a - b if subtract else a + b)


@dataclass(frozen=True, slots=True)
class Delta:
    """A commutative update: the call only added ``amount`` (a value of ``type``; negative for
    `-=`) to the key's value and never otherwise read or wrote it. The call's reads and writes
    still hold that key's exact before and after, so a consumer that ignores deltas stays correct;
    the ledger may instead drop the key from both and add ``amount`` to whatever the key holds
    at commit (ARCHITECTURE.md, "Commutative updates"), aborting there on overflow, a currency
    mismatch, or (for a map entry) a missing key."""

    type: T.Type
    amount: Value


def _negated(t: T.Type, v: Value) -> Value:
    return money_neg(v) if t == T.MONEY else -v


@dataclass(frozen=True, slots=True)
class _Var:
    name: str
    type: T.Type
    key: bytes  # the scalar's key, or the Map's entry prefix
    is_map: bool
    checked: bool  # its values may hold a record with a lifecycle

    # A Map variable's entry types (the verifier admits the M* opcodes on Map variables only).
    @property
    def key_type(self) -> T.Type:
        assert isinstance(self.type, T.MapType)
        return self.type.key

    @property
    def value_type(self) -> T.Type:
        assert isinstance(self.type, T.MapType)
        return self.type.value


class StateSchema:
    """What the machine knows about a module's state, worked out once per module."""

    def __init__(self, module: Module):
        self.types = module.types
        self.lifecycles: dict[str, tuple[Lifecycle, ...]] = {}
        for lc in module.lifecycles:
            self.lifecycles[lc.record] = self.lifecycles.get(lc.record, ()) + (lc,)
        self._memo: dict[T.Type, bool] = {}
        self.vars = tuple(
            _Var(v.name, v.type, map_prefix(v.index) if isinstance(v.type, T.MapType) else state_key(v.index),
                 isinstance(v.type, T.MapType), self.has_lifecycle(v.type))
            for v in module.state)
        self.events = module.events

    def has_lifecycle(self, t: T.Type) -> bool:
        """Whether a value of type ``t`` may hold a record whose writes a lifecycle governs."""
        known = self._memo.get(t)
        if known is None:
            self._memo[t] = False  # records may nest themselves only through lists and maps
            if isinstance(t, T.RecordType):
                known = t.name in self.lifecycles or any(
                    self.has_lifecycle(ft) for _, ft in self.types.records.get(t.name, ()))
            elif isinstance(t, T.ListType):
                known = self.has_lifecycle(t.elem)
            elif isinstance(t, T.MapType):
                known = self.has_lifecycle(t.value)
            else:
                known = False
            self._memo[t] = known
        return known

    def check(self, t: T.Type, new: Value, old: Value, had_old: bool, role: str) -> None:
        """Abort unless writing ``new`` where state held ``old`` (``had_old`` False: nothing) keeps
        every lifecycle in ``t``: changed fields move by a listed transition for ``role``, new
        records hold the start value."""
        if not self.has_lifecycle(t):
            return
        if isinstance(t, T.RecordType):
            enums = self.types.enums
            for lc in self.lifecycles.get(t.name, ()):
                value = new[lc.field]
                names = enums[lc.enum]
                if not had_old:
                    if lc.start is not None and value != lc.start:
                        raise Abort(f"illegal transition: new {t.name} must start {names[lc.start]}",
                                    AbortKind.ILLEGAL_TRANSITION)
                elif old[lc.field] != value and not lc.allows(old[lc.field], value, role):
                    raise Abort(f"illegal transition {names[old[lc.field]]} -> {names[value]} by {role}",
                                AbortKind.ILLEGAL_TRANSITION)
            for j, (_, ft) in enumerate(self.types.records[t.name]):
                self.check(ft, new[j], old[j] if had_old else None, had_old, role)
        elif isinstance(t, T.ListType):
            for j, x in enumerate(new):
                here = had_old and j < len(old)
                self.check(t.elem, x, old[j] if here else None, here, role)
        elif isinstance(t, T.MapType):
            for k, x in new.items():
                here = had_old and k in old
                self.check(t.value, x, old[k] if here else None, here, role)


class CallState:
    """One call's reads, writes and events; its bound methods are what generated code calls.

    Each method takes the call's remaining gas and returns it (with the value read, if any)."""

    def __init__(self, schema: StateSchema, host: Host, role: str, limits: Limits, meter: Meter | None = None):
        self.schema = schema
        self.types = schema.types
        self.host = host
        self.role = role
        self.limits = limits
        self.meter = meter if meter is not None else Meter(limits.nesting)  # the call's (vm.values.measure)
        # The least gas left after any charge made outside the translated code: an operation that
        # charges and then aborts (a read, then "key not found") reports that charge too.
        self.low_gas: int | None = None
        self.reads: dict[bytes, bytes | None] = {}
        self.writes: dict[bytes, bytes | None] = {}
        self.events: list[Event] = []
        self._net: dict[bytes, tuple[T.Type, object]] = {}  # what `+=`/`-=` added, per key
        self._observed: set[bytes] = set()  # keys read or written other than by `+=`/`-=`
        self._adding = False
        self.scans: list[bytes] = []  # prefixes scanned, in order (for phantom checks)

    def charge(self, gas: int, cost: int) -> int:
        """`charge`, remembering the gas left (`low_gas`) for an abort that follows."""
        gas = charge(gas, cost)
        if self.low_gas is None or gas < self.low_gas:
            self.low_gas = gas
        return gas

    def gas_left(self, gas: int) -> int:
        """The gas an aborted call had left: ``gas`` as the code last knew it, less any charge made since."""
        return gas if self.low_gas is None else min(gas, self.low_gas)

    def deltas(self) -> dict[bytes, Delta]:
        """The keys this call only added to (see `Delta`)."""
        return {k: Delta(t, v) for k, (t, v) in self._net.items() if k not in self._observed}

    def _add_to(self, key: bytes, t: T.Type, amount: Value, subtract: bool) -> None:
        if key in self._net:
            self._net[key] = (t, add_values(t, self._net[key][1], amount, subtract))
        else:
            self._net[key] = (t, _negated(t, amount) if subtract else amount)

    # -- raw access

    def _get(self, key: bytes) -> bytes | None:
        if not self._adding:
            self._observed.add(key)
        if key in self.writes:
            return self.writes[key]
        if key in self.reads:
            return self.reads[key]
        value = self.host.get(key)
        self.reads[key] = value
        return value

    def _scan(self, prefix: bytes) -> list[tuple[bytes, bytes]]:
        if prefix not in self.scans:
            self.scans.append(prefix)
        merged: dict[bytes, bytes | None] = {}
        for key, value in self.host.scan(prefix):
            self.reads.setdefault(key, value)
            merged[key] = value
        for key, written in self.writes.items():
            if key.startswith(prefix):
                merged[key] = written
        self._observed.update(merged)
        return [(k, v) for k, v in sorted(merged.items()) if v is not None]

    def _put(self, gas: int, key: bytes, value: bytes | None) -> int:
        if value is not None and len(value) > self.limits.value_size:
            raise limit_exceeded(f"a value of {len(value)} bytes is larger than {self.limits.value_size}")
        if key not in self.writes and len(self.writes) >= self.limits.writes:
            raise limit_exceeded(f"a call may write at most {self.limits.writes} state entries")
        gas = self.charge(gas, G.write_cost(key, value))
        self.writes[key] = value
        if not self._adding:
            self._observed.add(key)
        return gas

    def _entry_key(self, var: _Var, k: Value) -> bytes:
        return var.key + encode_key(var.key_type, k, self.types)

    def _read_map(self, gas: int, var: _Var) -> tuple[dict, int]:
        entries = self._scan(var.key)
        gas = self.charge(gas, G.scan_cost(len(entries), sum(len(k) + len(v) for k, v in entries)))
        kt, vt, n = var.key_type, var.value_type, len(var.key)
        return {decode_key(kt, k[n:], self.types): self._decode(vt, v) for k, v in entries}, gas

    # -- scalar variables

    def sload(self, gas: int, i: int) -> tuple[object, int]:
        var = self.schema.vars[i]
        if var.is_map:
            return self._read_map(gas, var)
        raw = self._get(var.key)
        gas = self.charge(gas, G.read_cost(var.key, raw))
        if raw is None:
            if isinstance(var.type, T.ListType):
                return (), gas
            if isinstance(var.type, T.OptionalType):  # never written: `none`
                return None, gas
            raise Abort(f"state variable {var.name} has no value", AbortKind.INVALID_VALUE)
        return self._decode(var.type, raw), gas

    def sstore(self, gas: int, i: int, value: Value) -> int:
        var = self.schema.vars[i]
        if var.is_map:
            vt = var.value_type
            # Encoded first: it bounds each entry, and so the walk of the lifecycle check.
            entries = []
            for k, v in value.items():
                data, gas = self._encode(gas, vt, v)
                entries.append((k, data))
            old, gas = self._read_map(gas, var)
            if var.checked:
                self.schema.check(var.type, value, old, True, self.role)
            for k in old:
                if k not in value:
                    gas = self._put(gas, self._entry_key(var, k), None)
            for k, encoded in entries:
                gas = self._put(gas, self._entry_key(var, k), encoded)
            return gas
        data, gas = self._encode(gas, var.type, value)  # first: it bounds the lifecycle check's walk
        if var.checked:
            raw = self._get(var.key)
            gas = self.charge(gas, G.read_cost(var.key, raw))
            stored = None if raw is None else self._decode(var.type, raw)
            self.schema.check(var.type, value, stored, raw is not None, self.role)
        return self._put(gas, var.key, data)

    def _decode(self, t: T.Type, raw: bytes) -> Value:
        """A stored value; one nested deeper than values may be (old or damaged state) aborts
        "limit" as building it would."""
        try:
            return decode_value(t, raw, self.types, self.limits.nesting)
        except NestingError:
            raise nested_too_deep(self.limits.nesting) from None

    def _encode(self, gas: int, t: T.Type, value: Value) -> tuple[bytes, int]:
        """A value's state bytes, its walk charged first by size (`vm.values.measure`), stopping as soon
        as they pass the size a value may have."""
        gas = self._charge_walk(gas, value)
        try:
            return encode_value(t, value, self.types, self.limits.value_size), gas
        except ValueTooLarge:
            raise limit_exceeded(f"a value larger than {self.limits.value_size} bytes") from None

    def _charge_walk(self, gas: int, value: Value) -> int:
        if type(value) is tuple or type(value) is dict:
            return self.charge(gas, G.walk_cost(self.meter.units(value)))
        return gas

    def _sdelta(self, gas: int, i: int, amount: Value, subtract: bool) -> int:
        var = self.schema.vars[i]
        self._adding = True
        try:
            current, gas = self.sload(gas, i)
            gas = self._put(gas, var.key, encode_value(var.type, add_values(var.type, current, amount, subtract)))
        finally:
            self._adding = False
        self._add_to(var.key, var.type, amount, subtract)
        return gas

    def sadd(self, gas: int, i: int, amount: Value) -> int:
        return self._sdelta(gas, i, amount, False)

    def ssub(self, gas: int, i: int, amount: Value) -> int:
        return self._sdelta(gas, i, amount, True)

    # -- map variables, one entry at a time

    def _entry(self, gas: int, i: int, k: Value) -> tuple[_Var, bytes, bytes | None, int]:
        var = self.schema.vars[i]
        key = self._entry_key(var, k)
        raw = self._get(key)
        return var, key, raw, self.charge(gas, G.read_cost(key, raw))

    def mload(self, gas: int, i: int, k: Value) -> tuple[object, int]:
        var, _, raw, gas = self._entry(gas, i, k)
        if raw is None:
            raise key_not_found(var.key_type, k, self.types)
        return self._decode(var.value_type, raw), gas

    def mhas(self, gas: int, i: int, k: Value) -> tuple[bool, int]:
        _, _, raw, gas = self._entry(gas, i, k)
        return raw is not None, gas

    def mget(self, gas: int, i: int, k: Value, default: Value) -> tuple[object, int]:
        var, _, raw, gas = self._entry(gas, i, k)
        if raw is None:
            return default, gas
        return self._decode(var.value_type, raw), gas

    def mstore(self, gas: int, i: int, k: Value, value: Value) -> int:
        var = self.schema.vars[i]
        vt = var.value_type
        key = self._entry_key(var, k)
        data, gas = self._encode(gas, vt, value)  # first: it bounds the lifecycle check's walk
        if var.checked:
            raw = self._get(key)
            gas = self.charge(gas, G.read_cost(key, raw))
            old = None if raw is None else self._decode(vt, raw)
            self.schema.check(vt, value, old, raw is not None, self.role)
        return self._put(gas, key, data)

    def mdelete(self, gas: int, i: int, k: Value) -> int:
        var, key, raw, gas = self._entry(gas, i, k)
        if raw is None:
            raise key_not_found(var.key_type, k, self.types)
        return self._put(gas, key, None)

    def _mdelta(self, gas: int, i: int, k: Value, amount: Value, subtract: bool) -> int:
        var = self.schema.vars[i]
        vt = var.value_type
        key = self._entry_key(var, k)
        self._adding = True
        try:
            current, gas = self.mload(gas, i, k)
            gas = self._put(gas, key, encode_value(vt, add_values(vt, current, amount, subtract)))
        finally:
            self._adding = False
        self._add_to(key, vt, amount, subtract)
        return gas

    def madd(self, gas: int, i: int, k: Value, amount: Value) -> int:
        return self._mdelta(gas, i, k, amount, False)

    def msub(self, gas: int, i: int, k: Value, amount: Value) -> int:
        return self._mdelta(gas, i, k, amount, True)

    def mlen(self, gas: int, i: int) -> tuple[int, int]:
        var = self.schema.vars[i]
        entries = self._scan(var.key)
        return len(entries), self.charge(gas, G.scan_cost(len(entries), sum(len(k) for k, _ in entries)))

    # -- events

    def emit(self, gas: int, e: int, values: tuple) -> int:
        if len(self.events) >= self.limits.events:
            raise limit_exceeded(f"a call may emit at most {self.limits.events} events")
        event = self.schema.events[e]
        cap = self.limits.value_size
        size = 0
        for p, v in zip(event.fields, values):
            gas = self._charge_walk(gas, v)
            size += value_size(p.type, v, cap - size)
            if size > cap:
                raise limit_exceeded(f"an event larger than {cap} bytes")
        gas = self.charge(gas, G.emit_cost(size))
        self.events.append(Event(event.name, values))
        return gas
