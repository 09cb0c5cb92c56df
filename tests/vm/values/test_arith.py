"""Money, Decimal and Percent arithmetic against a `decimal`-module reference with the
language's rounding rules (Money half away from zero at the minor unit; Decimal and Percent
half-even at 18 fractional digits), and the range and division checks."""

from __future__ import annotations

import decimal
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm import types as T
from vm.errors import Abort
from vm.values import (
    INT_LIMIT, SCALE, Money, ceil_dec, check_int, dec_div, dec_div_int, dec_mul, dec_mul_int, floor_dec,
    int_div, int_floordiv, int_mod, money_add, money_cmp, money_div_frac, money_div_int, money_div_money,
    money_mul_frac, money_mul_int, money_neg, money_sub, round_half_even, round_half_up, sum_values,
)

CTX = decimal.Context(prec=600, Emax=10**6, Emin=-(10**6))

units = st.one_of(st.integers(-10**12, 10**12), st.integers(-10**40, 10**40))
scaled = st.one_of(st.integers(-10 * SCALE, 10 * SCALE), st.integers(-10**30, 10**30),
                   st.sampled_from([SCALE // 2, -SCALE // 2, SCALE // 4, 5 * 10**17, 125 * 10**15]))
currencies = st.sampled_from(["CNY", "JPY", "KWD", "USD"])


def ref_int(q: Decimal, rounding: str) -> int:
    return int(q.quantize(Decimal(1), rounding=rounding, context=CTX))


def D(x: int) -> Decimal:
    return Decimal(x)


@given(units, scaled, currencies)
def test_money_mul_frac_matches_reference(u: int, f: int, cur: str) -> None:
    got = money_mul_frac(Money(cur, u), f)
    want = ref_int(CTX.divide(CTX.multiply(D(u), D(f)), D(SCALE)), ROUND_HALF_UP)
    assert got == Money(cur, want)


@given(units, st.integers(-10**6, 10**6).filter(bool))
def test_money_div_int_matches_reference(u: int, i: int) -> None:
    want = ref_int(CTX.divide(D(u), D(i)), ROUND_HALF_UP)
    assert money_div_int(Money("CNY", u), i) == Money("CNY", want)


@given(units, scaled.filter(bool))
def test_money_div_frac_matches_reference(u: int, d: int) -> None:
    want = ref_int(CTX.divide(CTX.multiply(D(u), D(SCALE)), D(d)), ROUND_HALF_UP)
    assert money_div_frac(Money("USD", u), d) == Money("USD", want)


@given(units, units.filter(bool))
def test_money_div_money_is_half_even_decimal(a: int, b: int) -> None:
    want = ref_int(CTX.divide(CTX.multiply(D(a), D(SCALE)), D(b)), ROUND_HALF_EVEN)
    assert money_div_money(Money("EUR", a), Money("EUR", b)) == want


@given(scaled, scaled)
def test_dec_mul_is_half_even(a: int, b: int) -> None:
    want = ref_int(CTX.divide(CTX.multiply(D(a), D(b)), D(SCALE)), ROUND_HALF_EVEN)
    assert dec_mul(a, b) == want


@given(scaled, scaled.filter(bool))
def test_dec_div_is_half_even(a: int, b: int) -> None:
    want = ref_int(CTX.divide(CTX.multiply(D(a), D(SCALE)), D(b)), ROUND_HALF_EVEN)
    assert dec_div(a, b) == want


@given(st.integers(-10**30, 10**30), st.integers(-10**9, 10**9).filter(bool))
def test_int_div_and_dec_div_int_are_half_even(a: int, b: int) -> None:
    assert int_div(a, b) == ref_int(CTX.divide(CTX.multiply(D(a), D(SCALE)), D(b)), ROUND_HALF_EVEN)
    assert dec_div_int(a, b) == ref_int(CTX.divide(D(a), D(b)), ROUND_HALF_EVEN)


@given(units, units, currencies)
def test_money_add_sub_neg_are_exact(a: int, b: int, cur: str) -> None:
    assert money_add(Money(cur, a), Money(cur, b)) == Money(cur, a + b)
    assert money_sub(Money(cur, a), Money(cur, b)) == Money(cur, a - b)
    assert money_neg(Money(cur, a)) == Money(cur, -a)
    assert money_cmp(Money(cur, a), Money(cur, b)) == (a > b) - (a < b)


@given(st.integers(-10**40, 10**40), st.integers(-10**6, 10**6).filter(bool))
def test_int_floordiv_and_mod_follow_python(a: int, b: int) -> None:
    assert int_floordiv(a, b) == a // b
    assert int_mod(a, b) == a % b


def test_worked_examples() -> None:
    # LANGUAGE.md section 1's settle: (1500 - 500) * (100% - 20%) = 800.00 CNY
    assert money_mul_frac(Money("CNY", 100000), 8 * 10**17) == Money("CNY", 80000)
    assert money_mul_frac(Money("CNY", 5), SCALE // 2) == Money("CNY", 3)  # 0.025 -> 0.03
    assert money_mul_frac(Money("CNY", -5), SCALE // 2) == Money("CNY", -3)  # away from zero
    assert money_div_int(Money("CNY", 100), 3) == Money("CNY", 33)
    assert money_div_int(Money("CNY", -1), 2) == Money("CNY", -1)
    assert dec_mul(SCALE // 2, 1) == 0  # 0.5 * 1e-18 = 5e-19 -> ties to even 0
    assert dec_mul(3 * SCALE // 2, 1) == 2  # 1.5e-18 -> 2e-18
    assert int_div(1, 3) == 333333333333333333
    assert int_div(2, 3) == 666666666666666667
    assert int_floordiv(-7, 2) == -4 and int_mod(-7, 2) == 1 and int_mod(7, -2) == -1


@pytest.mark.parametrize("op", [
    lambda: check_int(INT_LIMIT),
    lambda: check_int(-INT_LIMIT),
    lambda: money_add(Money("CNY", INT_LIMIT - 1), Money("CNY", 1)),
    lambda: money_sub(Money("CNY", -INT_LIMIT + 1), Money("CNY", 1)),
    lambda: money_mul_int(Money("CNY", 2**254), 2),
    lambda: money_mul_frac(Money("CNY", 2**254), 2 * SCALE),
    lambda: money_div_frac(Money("CNY", 2**254), SCALE // 2),
    lambda: dec_mul(2**200, 2**200),
    lambda: dec_mul_int(2**254, 2),
    lambda: dec_div(2**250, 1),
    lambda: int_div(2**250, 1),
    lambda: sum_values(T.INT, (2**254, 2**254)),
    lambda: round_half_up(T.DECIMAL, INT_LIMIT - 1, -58),
])
def test_overflow_aborts(op) -> None:
    with pytest.raises(Abort) as e:
        op()
    assert e.value.kind == "overflow" and "overflow" in e.value.message


def test_bounds_themselves_are_fine() -> None:
    assert check_int(INT_LIMIT - 1) == INT_LIMIT - 1
    assert money_add(Money("CNY", INT_LIMIT - 2), Money("CNY", 1)).units == INT_LIMIT - 1
    assert money_mul_int(Money("CNY", -(INT_LIMIT - 1)), 1).units == -(INT_LIMIT - 1)


@pytest.mark.parametrize("op", [
    lambda: int_floordiv(1, 0), lambda: int_mod(1, 0), lambda: int_div(1, 0), lambda: dec_div(SCALE, 0),
    lambda: dec_div_int(SCALE, 0), lambda: money_div_int(Money("CNY", 1), 0),
    lambda: money_div_frac(Money("CNY", 1), 0), lambda: money_div_money(Money("CNY", 1), Money("CNY", 0)),
])
def test_division_by_zero_aborts(op) -> None:
    with pytest.raises(Abort, match="division by zero") as e:
        op()
    assert e.value.kind == "division-by-zero"


@pytest.mark.parametrize("op", [
    lambda: money_add(Money("CNY", 1), Money("USD", 1)),
    lambda: money_sub(Money("CNY", 1), Money("USD", 1)),
    lambda: money_cmp(Money("CNY", 1), Money("USD", 1)),
    lambda: money_div_money(Money("CNY", 1), Money("USD", 1)),
    lambda: sum_values(T.MONEY, (Money("CNY", 1), Money("USD", 1))),
])
def test_currency_mismatch_aborts(op) -> None:
    with pytest.raises(Abort, match="currency mismatch") as e:
        op()
    assert e.value.kind == "currency-mismatch"


@given(scaled)
def test_floor_ceil(x: int) -> None:
    q = CTX.divide(D(x), D(SCALE))
    assert floor_dec(x) == int(q.to_integral_value(rounding=decimal.ROUND_FLOOR))
    assert ceil_dec(x) == int(q.to_integral_value(rounding=decimal.ROUND_CEILING))


@given(scaled, st.integers(-3, 20))
def test_round_decimal_matches_reference(x: int, places: int) -> None:
    q = CTX.divide(D(x), D(SCALE))
    for fn, mode in ((round_half_up, ROUND_HALF_UP), (round_half_even, ROUND_HALF_EVEN)):
        want = q.quantize(Decimal(1).scaleb(-places), rounding=mode, context=CTX) if places < 18 else q
        assert fn(T.DECIMAL, x, places) == int(CTX.multiply(want, D(SCALE)))


@given(units, st.integers(-2, 4), currencies)
def test_round_money_matches_reference(u: int, places: int, cur: str) -> None:
    digits = {"CNY": 2, "JPY": 0, "KWD": 3, "USD": 2}[cur]
    amount = D(u).scaleb(-digits)
    want = amount.quantize(Decimal(1).scaleb(-min(places, digits)), rounding=ROUND_HALF_UP, context=CTX)
    assert round_half_up(T.MONEY, Money(cur, u), places) == Money(cur, int(want.scaleb(digits)))


def test_round_percent_counts_digits_of_the_figure() -> None:
    pct = 12345 * 10**13  # 12.345%
    assert round_half_up(T.PERCENT, pct, 1) == 123 * 10**15  # 12.3%
    assert round_half_up(T.PERCENT, 12355 * 10**13, 2) == 1236 * 10**14  # 12.36%
    assert round_half_even(T.PERCENT, 12345 * 10**13, 2) == 1234 * 10**14  # 12.34%
    assert round_half_up(T.PERCENT, 125 * 10**15, 0) == 13 * 10**16  # 12.5% -> 13%
    assert round_half_even(T.PERCENT, 125 * 10**15, 0) == 12 * 10**16  # 12.5% -> 12%


def test_sum_values() -> None:
    assert sum_values(T.INT, ()) == 0
    assert sum_values(T.INT, (1, 2, 3), 10) == 16
    assert sum_values(T.ListType(T.DECIMAL), (SCALE, SCALE // 2)) == 3 * SCALE // 2
    assert sum_values(T.MONEY, (Money("CNY", 1), Money("CNY", 2))) == Money("CNY", 3)
    assert sum_values(T.MONEY, (), Money("JPY", 0)) == Money("JPY", 0)
    with pytest.raises(Abort, match="empty sum") as e:
        sum_values(T.MONEY, ())
    assert e.value.kind == "empty-sum"
    with pytest.raises(Abort, match="currency mismatch"):
        sum_values(T.MONEY, (Money("CNY", 1),), Money("USD", 0))


def test_abort_kinds_are_closed() -> None:
    with pytest.raises(ValueError):
        Abort("x", "no-such-kind")
    a = Abort("nope")
    assert a.kind == "fail" and a.message == "nope" and str(a) == "nope"
