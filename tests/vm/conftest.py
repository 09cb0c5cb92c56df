"""What the VM's tests share: where the repository is, the parties and the moment calls are made
at, a gas limit no test call reaches, and small value constructors.

Test modules import these (`from tests.vm.conftest import ...`) rather than keeping copies; pytest
loads this module once, under that name. The tests mirror vm's packages: `values/`, `verify/`,
`translate/`, `runtime/` and `module/`, with the opcode table's and `disasm`'s tests here.
"""

from __future__ import annotations

from pathlib import Path

from vm.runtime import CallContext
from vm.values import Money, Party

ROOT = Path(__file__).resolve().parents[2]
CONTRACTS = ROOT / "contracts"

INSURER = Party("PICC", "picc", "insurer")
HOSPITAL = Party("Ruijin", "ruijin", "hospital")
NOW_MS = 1_714_492_800_000  # 2024-05-01 00:00 in the channel's default zone (+08:00)
CTX = CallContext(INSURER, NOW_MS, bytes(32))
GAS = 10_000_000  # more than any call of the tests spends


def ctx(who: Party) -> CallContext:
    """A call by ``who`` at `NOW_MS`, in a transaction whose id is all zeros."""
    return CallContext(who, NOW_MS, bytes(32))


def cny(units: int) -> Money:
    """``units`` fen (hundredths of a yuan)."""
    return Money("CNY", units)
