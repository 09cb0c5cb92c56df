"""VM speed against plain CPython: `python bench/vm.py [iterations]`.

Two loops, each written once in Bao (compiled through the real pipeline, verified, translated)
and once as the Python a careful programmer would write:

(a) an integer loop with branches;
(b) a Money adjudication loop: deductible, co-payment, cap, running total. Its twin uses the
    `decimal` module with a half-up quantize to the cent after each operation, as Bao rounds
    Money; a second twin in integer cents shows the floor that plain ints would give.

The VM runs with full gas metering and overflow checks. Each time is the best of a few runs
(the machine is shared); results are compared, so a fast wrong answer cannot pass.
"""

from __future__ import annotations

import os
import sys
import time
from decimal import ROUND_HALF_UP, Decimal

# Run as a script, this file's folder comes first on sys.path and its name would shadow the
# `vm` package; the benchmark wants the package.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    sys.path.pop(0)

from dsl.pipeline import Compilation  # noqa: E402
from vm.runtime import CallContext, MemoryHost
from vm.runtime import Machine
from vm.values import Money, Party, parse_money_literal, parse_percent_literal
from vm.verify import verify

SOURCE = '''
contract VmBench
"""Loops for bench/vm.py."""

parties runner

view int_loop(n: Int) -> Int:
    let acc = 0
    for i in range(0, n):
        if i mod 3 == 0:
            acc += i
        else:
            acc -= 1
    return acc

view adjudicate(n: Int, bill: Money, deductible: Money, copay: Percent, cap: Money) -> Money:
    let total = 0.00 CNY
    for i in range(0, n):
        let net = max(bill - deductible, 0.00 CNY)
        let payable = min(net * (100% - copay), cap)
        total += payable
    return total
'''

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
ONE = Decimal(1)


def int_loop_py(n: int) -> int:
    acc = 0
    for i in range(n):
        if i % 3 == 0:
            acc += i
        else:
            acc -= 1
    return acc


def adjudicate_decimal(n: int, bill: Decimal, deductible: Decimal, copay: Decimal, cap: Decimal) -> Decimal:
    total = ZERO
    for _ in range(n):
        net = max((bill - deductible).quantize(CENT, ROUND_HALF_UP), ZERO)
        payable = min((net * (ONE - copay)).quantize(CENT, ROUND_HALF_UP), cap)
        total = (total + payable).quantize(CENT, ROUND_HALF_UP)
    return total


def adjudicate_cents(n: int, bill: int, deductible: int, copay_bp: int, cap: int) -> int:
    # copay in basis points; payable rounds half-up (amounts are never negative here)
    total = 0
    for _ in range(n):
        net = max(bill - deductible, 0)
        payable = min((net * (10_000 - copay_bp) + 5_000) // 10_000, cap)
        total += payable
    return total


def best(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def main(argv: list[str]) -> int:
    n = int(argv[1]) if len(argv) > 1 else 1_000_000
    repeat = 3
    machine = Machine(verify(Compilation(SOURCE).module))
    ctx = CallContext(Party("Bench", "Bench", "runner"), 1_704_038_400_000, bytes(32))
    host = MemoryHost()
    gas = 10**15

    def vm(entry: str, *args):
        def run():
            result = machine.call(entry, args, ctx, host, gas)
            return result.value, result.gas_used
        return run

    t_vm_a, (value_a, gas_a) = best(vm("int_loop", n), repeat)
    t_py_a, expect_a = best(lambda: int_loop_py(n), repeat)
    assert value_a == expect_a, (value_a, expect_a)

    bill, deductible = parse_money_literal("1500.00", "CNY"), parse_money_literal("500.00", "CNY")
    cap, copay = parse_money_literal("10000.00", "CNY"), parse_percent_literal("20")
    t_vm_b, (value_b, gas_b) = best(vm("adjudicate", n, bill, deductible, copay, cap), repeat)
    t_dec_b, expect_b = best(lambda: adjudicate_decimal(n, Decimal("1500.00"), Decimal("500.00"),
                                                        Decimal("0.20"), Decimal("10000.00")), repeat)
    t_cents_b, cents_b = best(lambda: adjudicate_cents(n, 150_000, 50_000, 2_000, 1_000_000), repeat)
    assert value_b == Money("CNY", int(expect_b * 100)) == Money("CNY", cents_b), (value_b, expect_b, cents_b)

    rows = [
        ("(a) integer loop with branches", t_vm_a, "CPython ints", t_py_a, gas_a),
        ("(b) Money adjudication", t_vm_b, "CPython decimal", t_dec_b, gas_b),
        ("(b) Money adjudication", t_vm_b, "CPython int cents", t_cents_b, gas_b),
    ]
    print(f"{n:,} iterations each, best of {repeat}; VM with gas metering and overflow checks; "
          f"Python {sys.version.split()[0]}")
    print(f"{'loop':32} {'VM s':>8} {'twin':>18} {'twin s':>8} {'VM/twin':>8} {'gas used':>14}")
    for name, t_vm, twin, t_twin, used in rows:
        print(f"{name:32} {t_vm:8.3f} {twin:>18} {t_twin:8.3f} {t_vm / t_twin:7.2f}x {used:14,}")
    print("target: VM/twin <= 3x against CPython ints (a) and CPython decimal (b)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
