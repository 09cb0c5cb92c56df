"""``round``, ``round_even`` and ``abs`` over the numeric types.

``places`` counts fractional digits of the number as written: for Money, of the major unit
(``round(1234.56 CNY, 0)`` is ``1235.00 CNY``; places at or beyond the currency's minor
digits change nothing); for Percent, of the percent figure (``round(12.345%, 1)`` is
``12.3%``: the fraction 0.12345 keeps places + 2 digits). Negative places round to tens,
hundreds ...
"""

from __future__ import annotations

from vm import types as T
from vm.types import Value
from vm.values.currencies import CURRENCY_DIGITS
from vm.values.decimals import round_scaled
from vm.values.money import Money


def _round(t: T.Type, x: Value, places: int, half_even: bool) -> Value:
    if t == T.MONEY:
        digits = CURRENCY_DIGITS[x.currency]
        return Money(x.currency, round_scaled(x.units, places, digits, half_even))
    if t == T.DECIMAL:
        return round_scaled(x, places, 18, half_even)
    if t == T.PERCENT:
        return round_scaled(x, places + 2, 18, half_even)
    if t == T.INT:
        return round_scaled(x, places, 0, half_even)
    raise TypeError(f"no rounding for type {t}")


def round_half_up(t: T.Type, x: Value, places: int) -> Value:
    """``round(x, places)``: half away from zero."""
    return _round(t, x, places, False)


def round_half_even(t: T.Type, x: Value, places: int) -> Value:
    """``round_even(x, places)``: half to even."""
    return _round(t, x, places, True)


def abs_value(t: T.Type, x: Value) -> Value:
    if t == T.MONEY:
        return x if x.units >= 0 else Money(x.currency, -x.units)
    return x if x >= 0 else -x
