"""Every call of the shipped contracts' scenarios and of a set of hostile programs, written out
as canonical JSON: `python tests/vm/runtime/determinism_worker.py` prints it (one JSON object).

`test_determinism.py` runs this under each Python on the machine (3.11, 3.12, 3.13) and compares
what they print with each other and with its own run: the same calls must give byte-identical
values, gas, writes and events everywhere (issue 14). The other interpreters do not have the
project's dependencies installed; the test puts the repository and the venv's site-packages on
their PYTHONPATH, which serves the pure-Python ones (lark; msgpack falls back to its pure-Python
codec). One is not pure Python: cryptography's compiled binding loads cffi's `_cffi_backend`,
built for the venv's Python only. vm/hashing.py takes just SM3 from it; where it does not import,
this worker gives vm/hashing.py the same SM3 from OpenSSL through `hashlib`, says so in its
output ("sm3"), and the comparison still covers every digest (the in-process run uses
cryptography, so a difference between the two would show).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]  # run as a script under other Pythons: no conftest


def _hashlib_sm3() -> None:
    """Install a `cryptography.hazmat.primitives.hashes` holding the two names vm/hashing.py uses."""
    for name in [n for n in sys.modules if n == "cryptography" or n.startswith("cryptography.")]:
        del sys.modules[name]  # what the failed import left half-made

    class SM3:
        name = "sm3"

    class Hash:
        def __init__(self, algorithm) -> None:
            self._h = hashlib.new(algorithm.name)

        def update(self, data: bytes) -> None:
            self._h.update(data)

        def finalize(self) -> bytes:
            return self._h.digest()

    names = ("cryptography", "cryptography.hazmat", "cryptography.hazmat.primitives",
             "cryptography.hazmat.primitives.hashes")
    made = {name: types.ModuleType(name) for name in names}
    made[names[-1]].SM3, made[names[-1]].Hash = SM3, Hash
    for name in names[1:]:
        parent, leaf = name.rsplit(".", 1)
        setattr(made[parent], leaf, made[name])
    sys.modules.update(made)


def sm3_backend() -> str:
    """Which SM3 vm/hashing.py will use here (installing the hashlib one if it must)."""
    try:
        from cryptography.hazmat.primitives import hashes  # noqa: F401
        return "cryptography"
    except ImportError as exc:
        why = f"{type(exc).__name__}: {exc}"
    if "sm3" not in hashlib.algorithms_available:
        raise Unusable(f"cryptography does not import ({why}) and this Python's hashlib has no sm3")
    _hashlib_sm3()
    return f"hashlib (cryptography does not import here: {why})"


class Unusable(Exception):
    """This interpreter cannot run the VM; the message says why (the test skips it, saying so)."""


# -- the calls --------------------------------------------------------------------------------

GAS = 2_000_000
_LONG = 240  # a value's JSON longer than this is written as its sha256


def _short(data: object) -> object:
    text = json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))
    return data if len(text) <= _LONG else "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def _shortened(result: dict) -> dict:
    return {k: _short(v) if k in ("value", "events") else v for k, v in result.items()}


def _result(machine, info, r) -> dict:
    from vm import values as V
    from tests.vm.runtime.hostile_programs import writes_digest

    value = None if info.returns is None else V.to_json(info.returns, r.value, machine.types)
    return {"value": _short(value), "gas": r.gas_used, "writes": writes_digest(r.writes),
            "events": _short([machine.event_json(e) for e in r.events])}


def _recording_machine(log: list):
    from vm import values as V
    from vm.runtime import Machine
    from vm.errors import Abort

    class Recording(Machine):
        """Writes down every call it runs (each scenario step, expectation and deployment)."""

        def _run(self, info, args, ctx, host, gas_limit):
            shown = _short([V.to_json(p.type, a, self.types) for p, a in zip(info.params, args)])
            entry = {"entry": info.name, "args": shown, "caller": str(ctx.caller), "gas_limit": gas_limit}
            try:
                r = super()._run(info, args, ctx, host, gas_limit)
            except Abort as exc:
                log.append(entry | {"abort": exc.kind, "message": exc.message, "gas": exc.gas_used})
                raise
            log.append(entry | _result(self, info, r))
            return r

    return Recording


def scenario_calls() -> list:
    """Every call the shipped contracts' scenarios make, and each scenario's verdict."""
    import dsl.scenarios
    from dsl.scenarios import run_test_file

    out: list = []
    original = dsl.scenarios.Machine
    dsl.scenarios.Machine = _recording_machine(out)  # the runner builds its machine by this name
    try:
        for path in sorted((ROOT / "contracts").glob("*.test.bao")):
            report = run_test_file(path)
            out.append({"file": path.name, "built": not report.diagnostics,
                        "verdicts": [[r.title, r.passed, r.failure] for r in report.results]})
    finally:
        dsl.scenarios.Machine = original
    return out


def _bench_programs():
    spec = importlib.util.spec_from_file_location("bench_gas_programs", ROOT / "bench" / "gas.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _small(entry: str, args: tuple) -> list[tuple]:
    """bench/gas.py's arguments cut down to run in milliseconds (and one that runs out of gas)."""
    if entry.startswith("shared_") and len(args) == 1:
        return [(3,), (14,)]
    if entry == "deep":
        return [(14,), (40,)]
    if entry == "read_back":
        return [(3,)]
    return [tuple(min(a, 300) if i == 0 else min(a, 4) for i, a in enumerate(args))]


def hostile_calls() -> list:
    """bench/gas.py's programs at small sizes, and `hostile_programs`' shapes and operations
    around the nesting limit and the size limits."""
    from dsl.pipeline import Compilation
    from tests.vm.runtime.hostile_programs import CTX, SHAPES, ops_for, outcome, program
    from vm.runtime import MemoryHost
    from vm.runtime.interpreter import ReferenceMachine
    from vm.runtime import Machine
    from vm.verify import verify

    out: list = []
    bench = _bench_programs()
    verified = verify(Compilation(bench.SOURCE).module)
    for cls in (Machine, ReferenceMachine):
        machine = cls(verified)
        for _, entry, args in [("", "money_loop", (300,))] + bench.PROGRAMS:
            for small in _small(entry, args):
                host = MemoryHost()
                if entry == "read_back":
                    host.apply(machine.call("fill", (300,), CTX, host, GAS).writes)
                out.append({"bench": entry, "machine": cls.__name__, "args": list(small)}
                           | _shortened(outcome(machine, entry, small, GAS, host)))
    for name, shape in sorted(SHAPES.items()):
        cases = {3: (3,), 2: (15, 16)} if shape.recursive else {1: (40, 400)}
        for width, steps_list in cases.items():
            for op in sorted(ops_for(shape)) + ["return"]:
                prog = program(name, width, () if op == "return" else (op,), returns_value=op == "return")
                machine = Machine(verify(Compilation(prog.source).module))
                for steps in steps_list:
                    out.append({"shape": name, "op": op, "width": width, "steps": steps}
                               | _shortened(outcome(machine, "run", (steps,), 300_000)))
    return out


def digest() -> dict:
    """What this interpreter makes of every call (the comparison's input)."""
    return {"scenarios": scenario_calls(), "hostile": hostile_calls()}


def main() -> int:
    sys.setrecursionlimit(1_000)  # every interpreter starts from the same limit
    try:
        backend = sm3_backend()
    except Unusable as exc:
        print(json.dumps({"unusable": str(exc)}))
        return 0
    import msgpack  # vm/module_codec.py's; its C codec is built per Python, the fallback is pure Python

    codec = "C" if msgpack.Packer.__module__ == "msgpack._cmsgpack" else "pure Python"
    header = {"python": sys.version.split()[0], "sm3": backend, "msgpack": codec}
    print(json.dumps(header | digest(),
                     sort_keys=True, ensure_ascii=True, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)  # run as a script: the repository, not tests/vm, comes first
    sys.exit(main())
