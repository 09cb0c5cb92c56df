"""Properties of `stdlib/insurance.bao`, run through the real compiler and VM against a
decimal reference: installments sum exactly, treaty shares stay within their bounds,
refunds never exceed the premium and shrink as time passes, ages count completed years."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from dsl.pipeline import Compilation
from vm.errors import Abort
from vm.runtime import CallContext, MemoryHost
from vm.runtime import Machine
from vm.values import Party, to_json
from vm.verify import verify

# A contract whose views hand the module's functions JSON in and out.
PROBE = '''contract InsuranceProbe
"""Calls the insurance module's functions."""

use insurance

# Whoever runs the probe.
parties tester

# The module's installment schedule.
view schedule(premium: Money, count: Int, remainder_first: Bool) -> List[Money]:
    return installments(premium, count, remainder_first)

# The module's surplus share and its ceded amount.
view surplus(amount: Money, sum_insured: Money, retention: Money, lines: Int) -> Money:
    return surplus_ceded(amount, sum_insured, retention, lines)

# The module's excess of loss layer.
view layer(loss: Money, retention: Money, limit: Money) -> Money:
    return layer_recovery(loss, retention, limit)

# The module's pro-rata refund.
view refund_by_days(premium: Money, term_start: Date, term_end: Date, cancelled_on: Date) -> Money:
    return pro_rata_refund(premium, term_start, term_end, cancelled_on)

# The module's short-rate refund.
view refund_short_rate(premium: Money, term_start: Date, cancelled_on: Date) -> Money:
    return short_rate_refund(premium, term_start, cancelled_on)

# The module's age in completed years.
view age(birth: Date, on: Date) -> Int:
    return age_on(birth, on)

# The module's age at the nearest birthday.
view nearest(birth: Date, on: Date) -> Int:
    return age_nearest(birth, on)
'''

CENT = Decimal("0.01")
GAS = 10_000_000
TESTER = Party("tester", "tester", "tester")


@pytest.fixture(scope="module")
def probe():
    compilation = Compilation(PROBE, "insurance_probe.bao")
    machine = Machine(verify(compilation.module))
    host = MemoryHost()
    ctx = CallContext(caller=TESTER, timestamp_ms=1_704_038_400_000, tx_id=bytes(32))

    def call(view: str, *args):
        result = machine.call_json(view, list(args), ctx, host, GAS)
        return to_json(machine.entry(view).returns, result.value, machine.types)

    return call


def cny(cents: int) -> str:
    return f"{Decimal(cents) / 100:.2f} CNY"


def amount(text: str) -> Decimal:
    number, currency = text.split()
    assert currency == "CNY"
    return Decimal(number)


dates = st.dates(min_value=dt.date(1930, 1, 1), max_value=dt.date(2080, 12, 31))
cents = st.integers(min_value=0, max_value=10**12)


@given(premium=cents, count=st.integers(min_value=1, max_value=24), first=st.booleans())
def test_installments_add_up_to_the_premium(probe, premium: int, count: int, first: bool) -> None:
    total = Decimal(premium) / 100
    each = (total / count).quantize(CENT, ROUND_HALF_UP)
    odd = total - each * (count - 1)
    try:
        schedule = [amount(x) for x in probe("schedule", cny(premium), count, first)]
    except Abort as exc:
        assert odd < 0 and "too small" in exc.message
        return
    assert odd >= 0
    assert len(schedule) == count
    assert sum(schedule) == total
    position = 0 if first else count - 1
    assert schedule[position] == odd
    assert all(x == each for i, x in enumerate(schedule) if i != position)


@given(amount_cents=cents, sum_insured=st.integers(min_value=1, max_value=10**12),
       retention=st.integers(min_value=1, max_value=10**11), lines=st.integers(min_value=0, max_value=25))
def test_surplus_cedes_within_its_lines(probe, amount_cents: int, sum_insured: int, retention: int,
                                         lines: int) -> None:
    ceded = amount(probe("surplus", cny(amount_cents), cny(sum_insured), cny(retention), lines))
    share = Decimal(max(min(sum_insured - retention, retention * lines), 0)) / sum_insured
    share = share.quantize(Decimal("1e-18"), ROUND_HALF_EVEN)
    expected = (Decimal(amount_cents) / 100 * share).quantize(CENT, ROUND_HALF_UP)
    assert ceded == expected
    assert 0 <= ceded <= Decimal(amount_cents) / 100


@given(loss=cents, retention=cents, limit=cents)
def test_a_layer_pays_only_what_falls_inside_it(probe, loss: int, retention: int, limit: int) -> None:
    paid = amount(probe("layer", cny(loss), cny(retention), cny(limit)))
    assert paid == Decimal(min(max(loss - retention, 0), limit)) / 100


@given(premium=cents, start=dates, length=st.integers(min_value=0, max_value=800),
       early=st.integers(min_value=-30, max_value=830), late=st.integers(min_value=0, max_value=60))
def test_refunds_never_exceed_the_premium_and_shrink_with_time(probe, premium: int, start: dt.date,
                                                               length: int, early: int, late: int) -> None:
    end = start + dt.timedelta(days=length)
    first = start + dt.timedelta(days=early)
    second = first + dt.timedelta(days=late)
    assume(second.year <= 2099)
    by_days = [amount(probe("refund_by_days", cny(premium), start.isoformat(), end.isoformat(), d.isoformat()))
               for d in (first, second)]
    short = [amount(probe("refund_short_rate", cny(premium), start.isoformat(), d.isoformat()))
             for d in (first, second)]
    total = Decimal(premium) / 100
    for refunds in (by_days, short):
        assert total >= refunds[0] >= refunds[1] >= 0
    if first > end:
        assert by_days[0] == 0


@given(birth=dates, on=dates)
def test_age_counts_completed_years(probe, birth: dt.date, on: dt.date) -> None:
    assume(birth <= on)
    expected = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    assert probe("age", birth.isoformat(), on.isoformat()) == expected


def add_months(d: dt.date, n: int) -> dt.date:
    months = d.year * 12 + d.month - 1 + n
    year, month = divmod(months, 12)
    last = (dt.date(year + (month == 11), (month + 1) % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month + 1, min(d.day, last))


@given(birth=dates, on=dates)
def test_age_at_the_nearest_birthday(probe, birth: dt.date, on: dt.date) -> None:
    assume(birth <= on)
    completed = on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))
    expected = completed + (add_months(birth, 12 * completed + 6) <= on)
    assert probe("nearest", birth.isoformat(), on.isoformat()) == expected
