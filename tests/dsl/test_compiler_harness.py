"""A small harness for compiler tests: compile Bao source, verify, and call entries on a fresh
in-memory ledger (the machine is another engineer's; these tests exercise the code we emit)."""

from __future__ import annotations

from dataclasses import dataclass, field

from dsl.pipeline import Compilation
from vm.errors import Abort
from vm.verify import VerifiedModule, verify
from vm.values import Party

GAS = 10**7
TS_2024_05_01 = 1714492800000


@dataclass
class Deployed:
    verified: VerifiedModule
    machine: object
    host: object
    role: str
    events: list = field(default_factory=list)
    reads: dict = field(default_factory=dict)
    writes: dict = field(default_factory=dict)

    def ctx(self, role: str | None = None):
        from vm.runtime import CallContext

        r = role or self.role
        return CallContext(Party("ORG", "ID", r), TS_2024_05_01, bytes(32))

    def call(self, entry: str, *args, role: str | None = None):
        result = self.machine.call(entry, args, self.ctx(role), self.host, GAS)
        self.host.apply(result.writes)
        self.events, self.reads, self.writes = list(result.events), result.reads, result.writes
        return result.value

    def abort(self, entry: str, *args, role: str | None = None) -> Abort:
        try:
            self.call(entry, *args, role=role)
        except Abort as exc:
            return exc
        raise AssertionError(f"{entry} did not abort")


def deploy(source: str, *init_args, role: str = "a") -> Deployed:
    from vm.runtime import MemoryHost
    from vm.runtime import Machine

    verified = verify(Compilation(source).module)
    d = Deployed(verified, Machine(verified), MemoryHost(), role)
    result = d.machine.deploy(init_args, d.ctx(), d.host, GAS)
    d.host.apply(result.writes)
    return d


def run_fn(body: str, returns: str, *args, params: str = "", prelude: str = ""):
    """Wrap ``body`` in an action `f(params) -> returns` of a one-party contract and call it."""
    source = f"contract T\nparties a\n{prelude}\naction f({params}) -> {returns} by a:\n"
    source += "".join(f"    {line}\n" for line in body.strip("\n").splitlines())
    return deploy(source).call("f", *args)
