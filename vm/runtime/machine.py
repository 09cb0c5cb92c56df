"""The machine: runs entries of a verified module against a host, metered and sandboxed.

`Machine(verified)` translates the module once (`vm.translate`). Each call then builds a fresh globals
dict for the translated code: the value operations and abort helpers (`_runtime`, the same for
every call of this machine), plus this call's context and its `CallState` (`vm.runtime.state`). The code
sees nothing else: `__builtins__` is empty. A call either returns a `CallResult` holding what it
read, wrote and emitted, or raises `vm.errors.Abort` carrying ``entry`` and ``gas_used``; an
aborted call leaves no trace, since only the caller applies a result's writes.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType, FunctionType

from vm import gas as G
from vm import types as T
from vm import values as V
from vm.values.decimals import division_by_zero, overflow
from vm.errors import Abort, AbortKind, HostFault, ValueFormError, VerifyError, call_too_deep, limit_exceeded, out_of_gas
from vm.gas import DEFAULT_LIMITS, Limits
from vm.runtime.host import CallContext, Event, Host
from vm.translate.translation import TranslateError, Translation, translate
from vm.module.abi import Entry, Module
from vm.runtime.state import CallState, Delta, StateSchema, charge, key_not_found
from vm.verify.verifier import VerifiedModule

__all__ = ["CallResult", "EntryInfo", "Limits", "Machine"]

# Entries a transaction may not name: `init` runs once, through `deploy`.
_DEPLOY_ONLY = ("init", "__defaults")


@dataclass(frozen=True, slots=True)
class CallResult:
    """A completed call. ``reads`` maps every key read from the host to what it held then;
    ``writes`` maps every key written to its new bytes (None: deleted). ``deltas`` names the keys
    the call only added to with `+=`/`-=` (`vm.runtime.state.Delta`); they are in ``reads`` and
    ``writes`` too, exactly, so applying ``writes`` alone is always right."""

    value: object
    gas_used: int
    writes: dict[bytes, bytes | None]
    reads: dict[bytes, bytes | None]
    events: tuple[Event, ...]
    deltas: dict[bytes, Delta] = field(default_factory=dict)
    scans: tuple[bytes, ...] = ()  # key prefixes the call scanned (a whole Map read, its len)


@dataclass(frozen=True, slots=True)
class EntryInfo:
    """An entry as callers see it: what it takes, returns, and who may call it."""

    name: str
    kind: str  # "action" | "view" | "init"
    params: tuple  # vm.module.Param
    returns: T.Type | None
    roles: tuple[str, ...]
    anyone: bool
    function: int


def _raise(abort_factory):
    def raiser(*_args):
        raise abort_factory()
    return raiser


def _runtime(module: Module, limits: Limits) -> dict:
    """The names translated code may use besides the call's own (see `vm.translate`)."""
    table = module.types
    max_len, max_text = limits.collection_length, limits.text_length

    def knf(t, k):
        raise key_not_found(t, k, table)

    def fail(message):
        raise Abort(message, AbortKind.FAIL)

    def unmet(message):
        raise Abort(message, AbortKind.REQUIRE)

    def some(v):
        if v is None:
            raise Abort("none where a value is needed", AbortKind.INVALID_VALUE)
        return v

    def cat(gas, *parts):
        n = sum([len(p) for p in parts])  # before joining: the parts may add up to far more
        if n > max_text:
            raise limit_exceeded(f"a text of {n} characters is longer than {max_text}")
        return "".join(parts), charge(gas, G.text_cost(n))

    def tin(gas, a, b):
        return a in b, charge(gas, G.text_cost(len(a) + len(b)))

    def vsum(gas, t, xs, *start):
        return V.sum_values(t, xs, *start), charge(gas, G.copy_cost(len(xs)))

    def grow(n):
        if n > max_len:
            raise limit_exceeded(f"a collection of {n} elements is longer than {max_len}")

    def lset(gas, xs, i, x):
        if not 0 <= i < len(xs):
            raise Abort("index out of range", AbortKind.INDEX_OUT_OF_RANGE)
        return xs[:i] + (x,) + xs[i + 1:], charge(gas, G.copy_cost(len(xs)))

    def lapp(gas, xs, x):
        grow(len(xs) + 1)
        return xs + (x,), charge(gas, G.copy_cost(len(xs) + 1))

    def lin(gas, x, xs):
        return x in xs, charge(gas, G.native_scan_cost(len(xs)))

    def mkmap(t, items):
        out = {}
        for j in range(0, len(items), 2):
            out[items[j]] = items[j + 1]
        return out

    def mset(gas, m, k, v):
        if k not in m:
            grow(len(m) + 1)
        out = dict(m)
        out[k] = v
        return out, charge(gas, G.copy_cost(len(out)))

    def mdel(gas, t, m, k):
        if k not in m:
            raise key_not_found(t.key, k, table)
        out = dict(m)
        del out[k]
        return out, charge(gas, G.copy_cost(len(m)))

    def extreme(pick, word):
        def run(gas, t, xs):
            if not xs:
                raise Abort(f"empty list: {word} of no values", AbortKind.EMPTY_SUM)
            best = xs[0]
            for x in xs[1:]:
                best = pick(t, best, x, table)
            return best, charge(gas, G.copy_cost(len(xs)))
        return run

    def mkeys(gas, t, m):
        return tuple(V.sorted_keys(t.key, m, table)), charge(gas, G.copy_cost(len(m)))

    return {
        "__builtins__": {},
        "LIM": V.INT_LIMIT, "NLIM": -V.INT_LIMIT, "DEPTH": limits.call_depth, "Fault": Exception,
        "oog": _raise(out_of_gas), "ovf": _raise(overflow), "dz": _raise(division_by_zero),
        "oor": _raise(lambda: Abort("index out of range", AbortKind.INDEX_OUT_OF_RANGE)),
        "deep": _raise(lambda: call_too_deep(limits.call_depth)),
        "too_long": _raise(lambda: limit_exceeded(f"a collection is longer than {max_len}")),
        "knf": knf, "fail": fail, "unmet": unmet, "some": some, "size": len,
        "int_div": V.int_div, "int_to_dec": V.int_to_dec, "dec_mul": V.dec_mul, "dec_div": V.dec_div,
        "money_add": V.money_add, "money_sub": V.money_sub, "money_neg": V.money_neg,
        "money_mul_int": V.money_mul_int, "money_mul_frac": V.money_mul_frac,
        "money_div_int": V.money_div_int, "money_div_frac": V.money_div_frac,
        "money_div_money": V.money_div_money, "money_eq": V.money_eq, "money_lt": V.money_lt,
        "money_le": V.money_le, "money_min": V.money_min, "money_max": V.money_max,
        "date_add": V.date_add, "date_sub": V.date_sub, "add_months": V.add_months,
        "days_between": V.days_between, "year": V.year, "month": V.month, "day": V.day,
        "floor_dec": V.floor_dec, "ceil_dec": V.ceil_dec,
        "vcmp": lambda t, a, b: V.compare(t, a, b, table),
        "vmin": lambda t, a, b: V.min_value(t, a, b, table), "vmax": lambda t, a, b: V.max_value(t, a, b, table),
        "vabs": V.abs_value, "rnd": V.round_half_up, "rnde": V.round_half_even,
        "cat": cat, "tin": tin, "vsum": vsum,
        "lset": lset, "lapp": lapp, "lin": lin, "mkmap": mkmap, "mset": mset, "mdel": mdel, "mkeys": mkeys,
        "lmin": extreme(V.min_value, "min"), "lmax": extreme(V.max_value, "max"),
    }


def walks(table: T.TypeTable, limits: Limits, state: CallState) -> dict:
    """One call's helpers that walk values: each is charged by the value's size in units before
    it walks (`vm.values.measure`; each call has its own meter), and writes out no more than a limit.
    Charges go through the call's state, so an abort after one still reports it."""
    meter = state.meter
    units = meter.units
    charge = state.charge
    max_text, max_hashed = limits.text_length, limits.value_size

    def veq(gas, t, a, b):
        gas = charge(gas, G.walk_cost(min(units(a), units(b))))
        return V.equal(t, a, b, table), gas

    def lhas(gas, t, x, xs):
        gas = charge(gas, G.walk_cost(units(xs)))
        return any([V.equal(t, x, y, table) for y in xs]), gas

    def totext(gas, t, v):
        if type(v) is tuple or type(v) is dict:
            gas = charge(gas, G.walk_cost(units(v)))
        try:
            s = V.to_text(t, v, table, max_text)
        except V.TextTooLong:
            raise limit_exceeded(f"a text is longer than {max_text} characters") from None
        return s, charge(gas, G.text_cost(len(s)))

    def hasher(algorithm):
        def digest(gas, t, v):
            if type(v) is tuple or type(v) is dict:
                gas = charge(gas, G.walk_cost(units(v)))
            try:  # the text form hashed may be as long as a stored value may be large
                data = V.hash_bytes(t, v, table, max_hashed)
            except V.TextTooLong:
                raise limit_exceeded(f"the value hashed is longer than {max_hashed} characters") from None
            return V.digest(algorithm, data), charge(gas, G.hash_cost(len(data)))
        return digest

    return {"veq": veq, "lhas": lhas, "nest": meter.nest, "totext": totext, "hsm3": hasher("sm3"),
            "hsha": hasher("sha256")}


_STATE_OPS = ("sload", "sstore", "sadd", "ssub", "mload", "mhas", "mget", "mstore", "mdelete", "madd", "msub",
              "mlen", "emit")


class Machine:
    """Runs the entries of one verified module (`vm.verify.verifier.verify`)."""

    def __init__(self, verified: VerifiedModule, limits: Limits = Limits()):
        if not isinstance(verified, VerifiedModule):
            # The translator relies on what the verifier proved (stack heights, types, targets).
            raise TypeError("Machine runs verified modules: pass vm.verify.verifier.verify(module)")
        module: Module = verified.module
        self.module = module
        self.types: T.TypeTable = module.types
        self.limits = limits
        try:
            self.translation: Translation = translate(verified, limits.collection_length, limits.nesting)
        except (TranslateError, SyntaxError, RecursionError, MemoryError, IndexError, KeyError) as exc:
            raise VerifyError(f"module {module.name} cannot be translated: {type(exc).__name__}: {exc}") from None
        self.schema = StateSchema(module)
        # Constant field defaults fill the fields a JSON record leaves out (never mutated).
        self._defaults = verified.record_defaults
        self._runtime = _runtime(module, limits)
        self._runtime["K"] = self.translation.pool
        self._entries = {e.name: self._describe(e) for e in module.entries}
        self._reach = {e.function: _reachable(e.function, self.translation.callees) for e in module.entries}

    def _describe(self, e: Entry) -> EntryInfo:
        fn = self.module.functions[e.function]
        return EntryInfo(e.name, e.kind, fn.params, fn.returns, e.roles, e.anyone, e.function)

    # -- what callers may ask

    def entry(self, name: str) -> EntryInfo:
        """The entry named ``name`` (KeyError if the module has none)."""
        return self._entries[name]

    def entries(self) -> tuple[EntryInfo, ...]:
        return tuple(self._entries.values())

    def event_json(self, event: Event) -> dict:
        """An emitted event as section-7 JSON: its name and its fields by name."""
        info = self.module.event(event.name)
        if info is None:
            raise KeyError(f"{self.module.name} declares no event {event.name}")
        fields = {p.name: V.to_json(p.type, v, self.types) for p, v in zip(info.fields, event.values)}
        return {"event": event.name, "fields": fields}

    # -- calls

    def call(self, entry: str, args: tuple, ctx: CallContext, host: Host, gas_limit: int, *,
             check_roles: bool = True) -> CallResult:
        """Run action or view ``entry`` with runtime values ``args``; Abort if it aborts."""
        info = self._find(entry)
        if entry in _DEPLOY_ONLY:
            raise _tagged(Abort(f"{entry} runs only when the contract is deployed", AbortKind.INVALID_VALUE), entry, 0)
        if check_roles:
            self._authorize(info, ctx.caller.role)
        return self._run(info, tuple(args), ctx, host, gas_limit)

    def call_json(self, entry: str, json_args: list | dict, ctx: CallContext, host: Host,
                  gas_limit: int) -> CallResult:
        """`call` with section-7 JSON arguments (a list in order, or an object by name); a
        misfit raises ValueFormError naming the parameter, before any gas is spent."""
        info = self._find(entry)
        return self.call(entry, self._from_json(info, json_args), ctx, host, gas_limit)

    def deploy(self, args: tuple, ctx: CallContext, host: Host, gas_limit: int, *,
               check_roles: bool = True) -> CallResult:
        """Run `init`: the state's initial values, then the contract's `init` body if any."""
        info = self._find("init")
        if check_roles:  # `anyone` (also an init without `by`) admits the contract's parties only
            self._authorize(info, ctx.caller.role)
        return self._run(info, tuple(args), ctx, host, gas_limit)

    def deploy_json(self, json_args: list | dict, ctx: CallContext, host: Host, gas_limit: int) -> CallResult:
        return self.deploy(self._from_json(self._find("init"), json_args), ctx, host, gas_limit)

    def deploy_defaults(self, ctx: CallContext, host: Host, gas_limit: int) -> CallResult:
        """Deploy without `init`: write the state's initial values only (`__defaults`)."""
        return self._run(self._find("__defaults"), (), ctx, host, gas_limit)

    # -- inside

    def _find(self, entry: str) -> EntryInfo:
        info = self._entries.get(entry)
        if info is None:
            raise _tagged(Abort(f"{self.module.name} has no action or view named {entry}", AbortKind.INVALID_VALUE),
                          entry, 0)
        return info

    def _authorize(self, info: EntryInfo, role: str) -> None:
        allowed = self.module.parties if info.anyone else info.roles
        if role not in allowed:
            raise _tagged(Abort(f"not authorized: {role} may not call {info.name}", AbortKind.NOT_AUTHORIZED),
                          info.name, 0)

    def _from_json(self, info: EntryInfo, json_args: list | dict) -> tuple:
        params = info.params
        if isinstance(json_args, dict):
            unknown = sorted(set(json_args) - {p.name for p in params})
            if unknown:
                raise ValueFormError(f"{info.name} has no parameter {unknown[0]}")
            missing = [p.name for p in params if p.name not in json_args]
            if missing:
                raise ValueFormError(f"argument {missing[0]} is missing")
            values = [json_args[p.name] for p in params]
        elif isinstance(json_args, (list, tuple)):
            if len(json_args) != len(params):
                raise ValueFormError(f"{info.name} takes {len(params)} argument"
                                     f"{'' if len(params) == 1 else 's'}, got {len(json_args)}")
            values = list(json_args)
        else:
            raise ValueFormError("arguments must be a JSON array or object")
        return tuple(V.from_json(p.type, j, self.types, f"argument {p.name}", defaults=self._defaults,
                                 limits=self.limits)
                     for p, j in zip(params, values))

    def _run(self, info: EntryInfo, args: tuple, ctx: CallContext, host: Host, gas_limit: int) -> CallResult:
        if len(args) != len(info.params):
            raise _tagged(Abort(f"{info.name} takes {len(info.params)} arguments, got {len(args)}",
                                AbortKind.INVALID_VALUE), info.name, 0)
        state = CallState(self.schema, host, ctx.caller.role, self.limits)
        fault: list[int] = []
        done: list[int] = []  # gas left when the code returned (a check of the result may abort)

        def tag(exc, gas):
            if not fault:
                fault.append(gas)
            return exc

        g = dict(self._runtime)
        g.update(walks(self.types, self.limits, state))
        g["tag"] = tag
        g["CALLER"] = ctx.caller
        g["NOW"] = ctx.timestamp_ms
        g["TODAY"] = V.today_of(ctx.timestamp_ms, ctx.tz_offset_minutes)
        g["TXID"] = ctx.tx_id
        for name in _STATE_OPS:
            g[name] = getattr(state, name)
        tr = self.translation
        for i in self._reach[info.function]:  # only the functions this entry can call
            f = FunctionType(tr.functions[i], g)
            f.__kwdefaults__ = tr.kwdefaults[i]
            g[f"f{i}"] = f
        try:
            check_arguments(args, state)
            with stack_headroom(self.limits):
                value, left = g[f"f{info.function}"](gas_limit, 1, *args)
            done.append(left)
            left = check_result_size(info, value, left, state)
        except Abort as exc:
            left = state.gas_left(fault[0] if fault else done[0] if done else 0)
            if left < 0 and exc.kind != AbortKind.OUT_OF_GAS.value:  # the limit was passed before this abort
                exc = out_of_gas()
            used = gas_limit if exc.kind == AbortKind.OUT_OF_GAS.value else min(max(gas_limit - left, 0), gas_limit)
            raise _tagged(exc, info.name, used) from None
        except (MemoryError, RecursionError) as exc:
            raise host_fault(info, exc) from None
        except Exception as exc:  # a defect of ours, never the contract's: report, never escape
            left = fault[0] if fault else 0
            raise _tagged(internal_fault(info, exc), info.name, min(max(gas_limit - left, 0), gas_limit)) from None
        return CallResult(value, gas_limit - left, dict(state.writes), dict(state.reads), tuple(state.events),
                          state.deltas(), tuple(state.scans))


# Python frames one call may need below the machine's own: a frame per nested `fn` call, and per
# level of a value walk (text, equality, encoding) two frames at each of `nesting` levels, with
# room for the helpers between them. The machine makes sure the host's recursion limit leaves this
# much above the caller's stack, so the caller's depth never decides an outcome.
_FRAMES_PER_CALL = 2
_FRAMES_PER_LEVEL = 3
_FRAMES_SPARE = 100


@contextmanager
def stack_headroom(limits: Limits = DEFAULT_LIMITS) -> Iterator[None]:
    """Raise Python's recursion limit for the duration of a call when the caller's stack leaves
    less room than the call may need (and put it back after)."""
    need = (limits.call_depth * _FRAMES_PER_CALL + limits.nesting * _FRAMES_PER_LEVEL * 2
            + _FRAMES_SPARE)
    frame: FrameType | None = sys._getframe()
    depth = 0
    while frame is not None:
        depth += 1
        frame = frame.f_back
    old = sys.getrecursionlimit()
    if old >= depth + need:
        yield
        return
    sys.setrecursionlimit(depth + need)
    try:
        yield
    finally:
        sys.setrecursionlimit(old)


def check_arguments(args: tuple, state: CallState) -> None:
    """Abort "limit" for an argument nested deeper than values may be (`call_json` refuses those
    already, as a `ValueFormError`; this holds `call` with runtime values to the same rule)."""
    for a in args:
        if type(a) is tuple or type(a) is dict:
            state.meter.nest(a)


def internal_fault(info: EntryInfo, exc: BaseException) -> Abort:
    """A defect of the VM (or damaged state), never the contract's: one message on both machines."""
    return Abort(f"internal VM fault ({type(exc).__name__}) in {info.name}", AbortKind.INTERNAL)


def check_result_size(info: EntryInfo, value: object, gas: int, state: CallState) -> int:
    """Charge the walk over a call's result by its size (`vm.values.measure`), then abort "limit" when
    it is larger than a value may be; the gas left."""
    if info.returns is None:
        return gas
    if type(value) is tuple or type(value) is dict:
        gas = state.charge(gas, G.walk_cost(state.meter.units(value)))
    cap = state.limits.value_size
    if V.value_size(info.returns, value, cap) > cap:
        raise limit_exceeded(f"the result is larger than {cap} bytes")
    return gas


def host_fault(info: EntryInfo, exc: BaseException) -> HostFault:
    what = "memory" if isinstance(exc, MemoryError) else "Python stack"
    return HostFault(f"this node ran out of {what} running {info.name}; the call's outcome is unknown here")


def _reachable(start: int, callees: tuple) -> tuple[int, ...]:
    seen = {start}
    work = [start]
    while work:
        for c in callees[work.pop()]:
            if c not in seen:
                seen.add(c)
                work.append(c)
    return tuple(sorted(seen))


def _tagged(exc: Abort, entry: str, gas_used: int) -> Abort:
    exc.entry = entry
    exc.gas_used = gas_used
    return exc
