"""Contracts deployed on a channel: where their code and state live, and their machines.

Everything a contract is lives in the channel's state, so the state hash commits to it and
MVCC covers it like any other value (state keys, as the ledger stores them):

    0x00 "contract" 0x00 name          codec {"version", "module": module hash, "policy": policy,
                                             "history": [[version, module hash, block], ...]}
    0x00 "module" 0x00 module hash     the module's bytes (`vm.module_codec`)
    name 0x00 vm key                   the contract's own state: the VM's keys (`vm.module`),
                                       under the contract's name

Choices, each with its reason:
- A module is named by the channel suite's hash of its bytes, so two deployments of one build
  share one copy, and a node that compiles source gets the same bytes as any other (the
  compiler is deterministic): an endorsement of a source deploy is comparable across nodes.
- Names follow the project's name rule, which has no 0x00, so the contract's prefix
  ``name 0x00`` never starts another contract's keys, and never a system key (those start 0x00).
- `Machines` keeps one translated `vm.machine.Machine` per module hash: translating costs
  milliseconds, a call microseconds.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from node import codec
from node.crypto import CryptoSuite
from node.recent import Recent
from node.tx.policy import Policy, policy_from_wire, policy_to_wire
from vm.errors import VerifyError
from vm.runtime import Host
from vm.runtime import Machine
from vm.verify import verify

CONTRACT_PREFIX = b"\x00contract\x00"
MODULE_PREFIX = b"\x00module\x00"


class ContractError(ValueError):
    """A contract's code that cannot run (compile errors, a module the verifier refuses)."""


@dataclass(frozen=True, slots=True)
class ContractRecord:
    name: str
    version: str
    module: bytes  # the module hash
    policy: Policy
    history: tuple[tuple[str, bytes, int], ...]  # (version, module hash, block) of every deploy


def contract_key(name: str) -> bytes:
    return CONTRACT_PREFIX + name.encode()


def module_key(module_hash: bytes) -> bytes:
    return MODULE_PREFIX + module_hash


def state_prefix(name: str) -> bytes:
    return name.encode() + b"\x00"


def encode_record(r: ContractRecord) -> bytes:
    return codec.encode({"version": r.version, "module": r.module, "policy": policy_to_wire(r.policy),
                         "history": [[v, m, b] for v, m, b in r.history]})


@functools.lru_cache(maxsize=256)
def decode_record(name: str, data: bytes) -> ContractRecord:
    """The record stored as ``data`` (kept: every transaction of a contract reads its record)."""
    m = codec.decode(data)
    return ContractRecord(name, m["version"], m["module"], policy_from_wire(m["policy"]),
                          tuple((v, h, b) for v, h, b in m["history"]))


def compile_source(source: str) -> bytes:
    """Module bytes of Bao source; `ContractError` with the compiler's diagnostics."""
    from dsl.diagnostics import CompileError
    from dsl.pipeline import Compilation

    try:
        return Compilation(source, "<deployed>").encoded
    except CompileError as exc:
        raise ContractError(f"the contract does not compile:\n{exc}") from None


class ContractHost:
    """One contract's view of a state `Host`: its keys, under its prefix."""

    __slots__ = ("_host", "_prefix")

    def __init__(self, host: Host, name: str) -> None:
        self._host = host
        self._prefix = state_prefix(name)

    def get(self, key: bytes) -> bytes | None:
        return self._host.get(self._prefix + key)

    def scan(self, prefix: bytes) -> Iterator[tuple[bytes, bytes]]:
        cut = len(self._prefix)
        return iter([(k[cut:], v) for k, v in self._host.scan(self._prefix + prefix)])


class Machines:
    """Translated machines by module hash (bounded: least recently used first out)."""

    def __init__(self, suite: CryptoSuite, size: int = 64) -> None:
        self._suite = suite
        self._machines: Recent[bytes, Machine] = Recent(size)

    def get(self, module_hash: bytes, load: Any) -> Machine:
        """The machine of module ``module_hash``; ``load()`` gives its bytes when not cached."""
        machine = self._machines.get(module_hash)
        if machine is None:
            machine = self.build(load())
            self._machines.put(module_hash, machine)
        else:
            self._machines.touch(module_hash)
        return machine

    @staticmethod
    def build(module: bytes) -> Machine:
        try:
            return Machine(verify(module))
        except VerifyError as exc:
            raise ContractError(f"the module is refused by the verifier: {exc}") from None
