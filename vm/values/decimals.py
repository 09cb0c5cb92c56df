"""Bao's numbers: Int, and Decimal and Percent as ints scaled by 10**18.

Everything here is integer arithmetic with explicit rounding, no `decimal` objects: the VM's
block translator calls these from generated code in its hottest loops. Every operation rounds its
exact result once (Decimal and Percent half-even at 18 fractional digits) and aborts with
``overflow`` when a result's magnitude (the scaled int, for Decimal and Percent) reaches 2**255.
"""

from __future__ import annotations

from vm.errors import Abort, AbortKind

SCALE = 10**18
HALF_SCALE = SCALE // 2
INT_LIMIT = 2**255


def overflow() -> Abort:
    return Abort("arithmetic overflow: a result reached 2^255 in magnitude", AbortKind.OVERFLOW)


def division_by_zero() -> Abort:
    return Abort("division by zero", AbortKind.DIVISION_BY_ZERO)


def check_int(x: int) -> int:
    """``x`` if it is inside Bao's range (|x| < 2**255), else abort with ``overflow``."""
    if -INT_LIMIT < x < INT_LIMIT:
        return x
    raise overflow()


def div_half_even(n: int, d: int) -> int:
    """n / d rounded half-even to an integer (d != 0)."""
    if d < 0:
        n, d = -n, -d
    q, r = divmod(n, d)
    twice = r + r
    if twice > d or (twice == d and q & 1):
        q += 1
    return q


def div_half_up(n: int, d: int) -> int:
    """n / d rounded half away from zero to an integer (d != 0)."""
    if d < 0:
        n, d = -n, -d
    if n >= 0:
        return (n + n + d) // (d + d)
    return -((d - n - n) // (d + d))


# ---------------------------------------------------------------------------------------------
# Int

def int_add(a: int, b: int) -> int:
    return check_int(a + b)


def int_sub(a: int, b: int) -> int:
    return check_int(a - b)


def int_mul(a: int, b: int) -> int:
    return check_int(a * b)


def int_neg(a: int) -> int:
    return -a  # the range is symmetric, so negation cannot overflow


def int_abs(a: int) -> int:
    return a if a >= 0 else -a


def int_floordiv(a: int, b: int) -> int:
    """Int // Int: floors, as in Python."""
    if b == 0:
        raise division_by_zero()
    return a // b  # |a // b| <= |a|: cannot overflow


def int_mod(a: int, b: int) -> int:
    """Int mod Int: takes the divisor's sign, as in Python."""
    if b == 0:
        raise division_by_zero()
    return a % b


def int_div(a: int, b: int) -> int:
    """Int / Int -> Decimal, half-even at 18 digits."""
    if b == 0:
        raise division_by_zero()
    return check_int(div_half_even(a * SCALE, b))


def int_to_dec(a: int) -> int:
    """Int widened to Decimal (or used as a Percent factor's scaled form)."""
    return check_int(a * SCALE)


# ---------------------------------------------------------------------------------------------
# Decimal and Percent (same representation; `Percent * Percent` is `dec_mul`)

dec_add = int_add
dec_sub = int_sub
dec_neg = int_neg
dec_abs = int_abs


def dec_mul(a: int, b: int) -> int:
    """Scaled * scaled (Decimal*Decimal, Percent*Percent, Percent*Decimal): half-even."""
    n = a * b
    # Inline half-even division by the (positive, even) scale: the common path stays cheap.
    q, r = divmod(n, SCALE)
    if r > HALF_SCALE or (r == HALF_SCALE and q & 1):
        q += 1
    if -INT_LIMIT < q < INT_LIMIT:
        return q
    raise overflow()


def dec_div(a: int, b: int) -> int:
    """Scaled / scaled (Decimal / Decimal): half-even."""
    if b == 0:
        raise division_by_zero()
    return check_int(div_half_even(a * SCALE, b))


def dec_mul_int(a: int, i: int) -> int:
    """Decimal or Percent * Int: exact."""
    return check_int(a * i)


def dec_div_int(a: int, i: int) -> int:
    """Decimal / Int: half-even."""
    if i == 0:
        raise division_by_zero()
    return check_int(div_half_even(a, i))


def floor_dec(x: int) -> int:
    """floor(Decimal) -> Int."""
    return x // SCALE


def ceil_dec(x: int) -> int:
    """ceil(Decimal) -> Int."""
    return -((-x) // SCALE)


def round_scaled(x: int, places: int, digits: int, half_even: bool) -> int:
    """Round a number held with ``digits`` fractional digits to ``places`` of them
    (``places`` may be negative: tens, hundreds ...); the result keeps the same scale."""
    drop = digits - places
    if drop <= 0:
        return x
    if drop > 400:  # beyond any representable magnitude: everything rounds to zero
        return 0
    unit = 10**drop
    q = div_half_even(x, unit) if half_even else div_half_up(x, unit)
    return check_int(q * unit)
