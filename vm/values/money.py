"""Money: an amount in a currency's minor units, and its arithmetic.

Every Money result rounds its exact value once, half away from zero, to the currency's minor
unit; a result with |units| >= 2**255 aborts with ``overflow``; two currencies meeting in one
operation abort with ``currency mismatch``. The functions are written for the VM's hot loops:
plain int arithmetic, no `decimal` objects, no helper calls on the common path.
"""

from __future__ import annotations

from dataclasses import dataclass

from vm.values.decimals import HALF_SCALE, INT_LIMIT, SCALE, div_half_even, div_half_up, division_by_zero, overflow
from vm.errors import Abort, AbortKind


@dataclass(frozen=True, slots=True)
class Money:
    currency: str  # ISO 4217 code
    units: int  # minor units (fen, cents ...); JPY has none, so units are yen

    def __init__(self, currency: str, units: int) -> None:
        # Half the cost of the generated frozen __init__ (which goes through
        # object.__setattr__): Money is built once per operation in the VM's hottest loops.
        _set_currency(self, currency)
        _set_units(self, units)


_set_currency = Money.__dict__["currency"].__set__
_set_units = Money.__dict__["units"].__set__


def currency_mismatch(a: str, b: str) -> Abort:
    return Abort(f"currency mismatch: {a} and {b}", AbortKind.CURRENCY_MISMATCH)


def money_add(a: Money, b: Money) -> Money:
    if a.currency != b.currency:
        raise currency_mismatch(a.currency, b.currency)
    u = a.units + b.units
    if -INT_LIMIT < u < INT_LIMIT:
        return Money(a.currency, u)
    raise overflow()


def money_sub(a: Money, b: Money) -> Money:
    if a.currency != b.currency:
        raise currency_mismatch(a.currency, b.currency)
    u = a.units - b.units
    if -INT_LIMIT < u < INT_LIMIT:
        return Money(a.currency, u)
    raise overflow()


def money_neg(a: Money) -> Money:
    return Money(a.currency, -a.units)


def money_abs(a: Money) -> Money:
    return a if a.units >= 0 else Money(a.currency, -a.units)


def money_mul_int(m: Money, i: int) -> Money:
    u = m.units * i
    if -INT_LIMIT < u < INT_LIMIT:
        return Money(m.currency, u)
    raise overflow()


def money_mul_frac(m: Money, f: int) -> Money:
    """Money * Decimal or Percent (``f`` scaled by 10**18), half away from zero."""
    n = m.units * f
    if n >= 0:
        u = (n + HALF_SCALE) // SCALE
    else:
        u = -((HALF_SCALE - n) // SCALE)
    if -INT_LIMIT < u < INT_LIMIT:
        return Money(m.currency, u)
    raise overflow()


def money_div_int(m: Money, i: int) -> Money:
    if i == 0:
        raise division_by_zero()
    return Money(m.currency, div_half_up(m.units, i))  # |result| <= |units|


def money_div_frac(m: Money, d: int) -> Money:
    """Money / Decimal (``d`` scaled by 10**18), half away from zero."""
    if d == 0:
        raise division_by_zero()
    u = div_half_up(m.units * SCALE, d)
    if -INT_LIMIT < u < INT_LIMIT:
        return Money(m.currency, u)
    raise overflow()


def money_div_money(a: Money, b: Money) -> int:
    """Money / Money -> Decimal (scaled), half-even at 18 digits."""
    if a.currency != b.currency:
        raise currency_mismatch(a.currency, b.currency)
    if b.units == 0:
        raise division_by_zero()
    q = div_half_even(a.units * SCALE, b.units)
    if -INT_LIMIT < q < INT_LIMIT:
        return q
    raise overflow()


def money_cmp(a: Money, b: Money) -> int:
    """-1, 0 or 1; two currencies abort (for == as well)."""
    if a.currency != b.currency:
        raise currency_mismatch(a.currency, b.currency)
    x, y = a.units, b.units
    return (x > y) - (x < y)


def money_eq(a: Money, b: Money) -> bool:
    if a.currency != b.currency:
        raise currency_mismatch(a.currency, b.currency)
    return a.units == b.units


def money_lt(a: Money, b: Money) -> bool:
    if a.currency != b.currency:
        raise currency_mismatch(a.currency, b.currency)
    return a.units < b.units


def money_le(a: Money, b: Money) -> bool:
    if a.currency != b.currency:
        raise currency_mismatch(a.currency, b.currency)
    return a.units <= b.units


def money_min(a: Money, b: Money) -> Money:
    if a.currency != b.currency:
        raise currency_mismatch(a.currency, b.currency)
    return b if b.units < a.units else a


def money_max(a: Money, b: Money) -> Money:
    if a.currency != b.currency:
        raise currency_mismatch(a.currency, b.currency)
    return b if b.units > a.units else a
