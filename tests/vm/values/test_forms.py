"""Literal parsers, text forms (every example of LANGUAGE.md sections 5 and 7), the calendar
built-ins, generic comparison and hashing."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vm import types as T
from vm.errors import Abort, LiteralError
from vm.values import (
    CURRENCY_DIGITS, SCALE, Money, Party, add_months, compare, date_add, date_sub, day, days_between,
    equal, hash_value, max_value, midnight_of, min_value, month, parse_date_literal, parse_decimal_literal,
    parse_duration_literal, parse_hash_literal, parse_int_literal, parse_money_literal,
    parse_percent_literal, to_text, today_of, year,
)

TABLE = T.TypeTable(
    records={"Policy": (("holder", T.TEXT), ("sum_insured", T.MONEY), ("deductible", T.MONEY),
                        ("copay", T.PERCENT), ("start", T.DATE), ("end", T.DATE),
                        ("status", T.EnumType("PolicyStatus")))},
    enums={"PolicyStatus": ("Active", "Suspended", "Expired")},
)


def d(text: str) -> int:
    return date.fromisoformat(text).toordinal()


# --- literals -------------------------------------------------------------------------------

def test_literal_values() -> None:
    assert parse_int_literal("42") == 42
    assert parse_int_literal("1_000_000") == 1_000_000
    assert parse_decimal_literal("0.05") == 5 * 10**16
    assert parse_decimal_literal("3.14159") == 314159 * 10**13
    assert parse_decimal_literal("3") == 3 * SCALE
    assert parse_decimal_literal("0.000000000000000001") == 1
    assert parse_percent_literal("80") == 8 * 10**17
    assert parse_percent_literal("12.5") == 125 * 10**15
    assert parse_money_literal("1200.50", "CNY") == Money("CNY", 120050)
    assert parse_money_literal("0", "USD") == Money("USD", 0)
    assert parse_money_literal("30000", "JPY") == Money("JPY", 30000)
    assert parse_money_literal("1.005", "KWD") == Money("KWD", 1005)
    assert parse_date_literal("2024-03-01") == d("2024-03-01")
    assert parse_date_literal("2024-02-29") == d("2024-02-29")
    assert parse_duration_literal("1", "day") == 1
    assert parse_duration_literal("30", "days") == 30
    assert parse_duration_literal("2", "weeks") == 14
    assert parse_hash_literal("0x" + "9F" * 32) == b"\x9f" * 32


@pytest.mark.parametrize("parse, args, words", [
    (parse_date_literal, ("2024-02-30",), "29 days"),
    (parse_date_literal, ("2023-02-29",), "28 days"),
    (parse_date_literal, ("2024-13-01",), "month"),
    (parse_date_literal, ("2024-3-1",), "YYYY-MM-DD"),
    (parse_date_literal, ("0000-01-01",), "year"),
    (parse_money_literal, ("1.5", "JPY"), "JPY"),
    (parse_money_literal, ("1.005", "CNY"), "2 minor digits"),
    (parse_money_literal, ("1", "XYZ"), "unknown currency"),
    (parse_decimal_literal, ("0.0000000000000000001",), "18 fractional digits"),
    (parse_decimal_literal, ("1.5e3",), "exponent"),
    (parse_decimal_literal, ("1.",), "invalid Decimal"),
    (parse_percent_literal, ("0.00000000000000001",), "fractional digits"),
    (parse_int_literal, ("1.5",), "invalid Int"),
    (parse_int_literal, ("1__0",), "invalid Int"),
    (parse_int_literal, (str(2**255),), "out of range"),
    (parse_decimal_literal, ("9" * 5000 + ".5",), "out of range"),
    (parse_money_literal, ("-" + "1" * 5000, "CNY"), "out of range"),
    (parse_duration_literal, ("1.5", "days"), "whole number"),
    (parse_duration_literal, ("1", "months"), "unit"),
    (parse_hash_literal, ("0x1234",), "64 hex digits"),
    (parse_hash_literal, ("0x" + "g" * 64,), "64 hex digits"),
])
def test_literal_errors(parse, args, words: str) -> None:
    with pytest.raises(LiteralError, match=words):
        parse(*args)


def test_int_literal_bound() -> None:
    assert parse_int_literal(str(2**255 - 1)) == 2**255 - 1
    assert parse_int_literal("0" * 5000 + "7") == 7


def test_currency_table() -> None:
    for code, digits in {"CNY": 2, "USD": 2, "EUR": 2, "GBP": 2, "HKD": 2, "JPY": 0, "KRW": 0,
                         "BHD": 3, "KWD": 3}.items():
        assert CURRENCY_DIGITS[code] == digits
    assert len(CURRENCY_DIGITS) > 150 and all(len(c) == 3 and c.isupper() for c in CURRENCY_DIGITS)


# --- text forms -----------------------------------------------------------------------------

@pytest.mark.parametrize("t, v, text", [
    (T.MONEY, Money("CNY", 20000), "200.00 CNY"),
    (T.MONEY, Money("CNY", 120050), "1200.50 CNY"),
    (T.MONEY, Money("USD", 0), "0.00 USD"),
    (T.MONEY, Money("JPY", 30000), "30000 JPY"),
    (T.MONEY, Money("KWD", -1005), "-1.005 KWD"),
    (T.MONEY, Money("CNY", -5), "-0.05 CNY"),
    (T.PERCENT, 125 * 10**15, "12.5%"),
    (T.PERCENT, 6 * 10**17, "60%"),
    (T.PERCENT, 11 * 10**17, "110%"),
    (T.PERCENT, 0, "0%"),
    (T.DECIMAL, 25 * 10**16, "0.25"),
    (T.DECIMAL, 3 * SCALE, "3"),
    (T.DECIMAL, -15 * 10**17, "-1.5"),
    (T.DECIMAL, 1, "0.000000000000000001"),
    (T.INT, -42, "-42"),
    (T.DURATION, 1, "1 day"),
    (T.DURATION, 29, "29 days"),
    (T.DURATION, 0, "0 days"),
    (T.BOOL, True, "true"),
    (T.BOOL, False, "false"),
    (T.DATE, d("2024-03-01"), "2024-03-01"),
    (T.TEXT, 'Li "Lei"', 'Li "Lei"'),
    (T.HASH, b"\xab" * 32, "0x" + "ab" * 32),
    (T.TIMESTAMP, midnight_of(d("2024-05-01")), "2024-05-01T00:00:00+08:00"),
    (T.TIMESTAMP, 1_700_000_000_123, "2023-11-15T06:13:20.123+08:00"),
    (T.PARTY, Party("PICC", "PICC", "insurer"), "insurer:PICC/PICC"),
    (T.EnumType("PolicyStatus"), 1, "Suspended"),
    (T.ListType(T.INT), (1, 2), "[1, 2]"),
    (T.ListType(T.TEXT), ("a", 'b"\n'), '["a", "b\\"\\n"]'),
    (T.ListType(T.MONEY), (), "[]"),
    (T.MapType(T.TEXT, T.INT), {"b": 2, "a": 1}, '{"a": 1, "b": 2}'),
    (T.MapType(T.DATE, T.PERCENT), {d("2024-01-02"): SCALE}, "{2024-01-02: 100%}"),
])
def test_text_forms(t: T.Type, v: object, text: str) -> None:
    assert to_text(t, v, TABLE) == text


def test_record_text_form() -> None:
    p = ("Li", Money("CNY", 10000), Money("CNY", 0), 2 * 10**17, d("2024-01-01"), d("2024-12-31"), 0)
    assert to_text(T.RecordType("Policy"), p, TABLE) == (
        'Policy(holder: "Li", sum_insured: 100.00 CNY, deductible: 0.00 CNY, copay: 20%, '
        "start: 2024-01-01, end: 2024-12-31, status: Active)")


# --- calendar -------------------------------------------------------------------------------

def test_add_months_clamps() -> None:
    assert add_months(d("2024-01-31"), 1) == d("2024-02-29")
    assert add_months(d("2023-01-31"), 1) == d("2023-02-28")
    assert add_months(d("2024-03-31"), -1) == d("2024-02-29")
    assert add_months(d("2024-01-31"), 3) == d("2024-04-30")
    assert add_months(d("2024-11-15"), 2) == d("2025-01-15")
    assert add_months(d("2024-02-29"), 12) == d("2025-02-28")
    assert add_months(d("2024-05-10"), -17) == d("2022-12-10")
    with pytest.raises(Abort) as e:
        add_months(d("9999-12-01"), 1)
    assert e.value.kind == "overflow"


@given(st.dates(), st.integers(-400, 400))
def test_add_months_properties(start: date, n: int) -> None:
    try:
        got = date.fromordinal(add_months(start.toordinal(), n))
    except Abort:
        months = start.year * 12 + start.month - 1 + n
        assert not 1 <= months // 12 <= 9999
        return
    assert (got.year * 12 + got.month) - (start.year * 12 + start.month) == n
    assert got.day == start.day or (got.day < start.day and (got + timedelta(days=1)).day == 1)


def test_date_parts_and_spans() -> None:
    x = d("2024-05-17")
    assert (year(x), month(x), day(x)) == (2024, 5, 17)
    assert days_between(d("2024-01-01"), d("2024-03-01")) == 60
    assert days_between(d("2024-03-01"), d("2024-01-01")) == -60
    assert date_add(d("2024-02-28"), 2) == d("2024-03-01")
    assert date_sub(d("2024-03-01"), 1) == d("2024-02-29")
    for bad in (lambda: date_add(d("9999-12-31"), 1), lambda: date_sub(d("0001-01-01"), 1)):
        with pytest.raises(Abort, match="overflow"):
            bad()


def test_today_and_midnight_in_the_channel_zone() -> None:
    m = midnight_of(d("2024-01-01"))
    assert m == 1704038400000  # 2023-12-31T16:00:00Z
    assert today_of(m) == d("2024-01-01")
    assert today_of(m - 1) == d("2023-12-31")
    assert today_of(m, 0) == d("2023-12-31")
    assert midnight_of(d("2024-01-01"), 0) == 1704067200000


@given(st.integers(-10**13, 10**13), st.sampled_from([480, 0, -300, 345]))
def test_today_of_brackets_the_timestamp(ts: int, tz: int) -> None:
    t = today_of(ts, tz)
    assert midnight_of(t, tz) <= ts < midnight_of(t + 1, tz)


# --- ordering and equality ------------------------------------------------------------------

def test_compare_orders() -> None:
    assert compare(T.TEXT, "B", "a") == -1  # code point order
    assert compare(T.TEXT, "a", "ab") == -1
    assert compare(T.EnumType("PolicyStatus"), 2, 0, TABLE) == 1
    assert compare(T.HASH, b"\x00" * 32, b"\x01" + b"\x00" * 31) == -1
    assert compare(T.PARTY, Party("A", "z", "z"), Party("B", "a", "a")) == -1
    assert compare(T.PARTY, Party("A", "x", "b"), Party("A", "x", "a")) == 1
    assert compare(T.MONEY, Money("CNY", 5), Money("CNY", 5)) == 0
    assert compare(T.ListType(T.INT), (1, 2), (1, 2, 0)) == -1
    assert compare(T.ListType(T.INT), (1, 3), (1, 2, 0)) == 1
    assert compare(T.BOOL, False, True) == -1
    p = ("Li", Money("CNY", 1), Money("CNY", 0), 0, 1, 2, 0)
    q = ("Li", Money("CNY", 2), Money("CNY", 0), 0, 1, 2, 0)
    assert compare(T.RecordType("Policy"), p, q, TABLE) == -1
    assert min_value(T.MONEY, Money("CNY", 2), Money("CNY", 1)) == Money("CNY", 1)
    assert max_value(T.DATE, 5, 7) == 7


@pytest.mark.parametrize("t, a, b", [
    (T.MONEY, Money("CNY", 1), Money("USD", 1)),
    (T.ListType(T.MONEY), (Money("CNY", 1),), (Money("USD", 1),)),
    (T.MapType(T.TEXT, T.MONEY), {"a": Money("CNY", 1)}, {"a": Money("JPY", 1)}),
    (T.RecordType("Policy"), ("Li", Money("CNY", 1), Money("CNY", 0), 0, 1, 2, 0),
     ("Li", Money("USD", 1), Money("CNY", 0), 0, 1, 2, 0)),
])
def test_currency_mismatch_on_equal_and_compare(t: T.Type, a: object, b: object) -> None:
    with pytest.raises(Abort, match="currency mismatch"):
        equal(t, a, b, TABLE)
    with pytest.raises(Abort, match="currency mismatch"):
        compare(t, a, b, TABLE)


def test_equal() -> None:
    assert equal(T.MONEY, Money("CNY", 1), Money("CNY", 1))
    assert not equal(T.MONEY, Money("CNY", 1), Money("CNY", 2))
    assert not equal(T.ListType(T.MONEY), (Money("CNY", 1),), ())
    assert equal(T.MapType(T.INT, T.TEXT), {1: "a", 2: "b"}, {2: "b", 1: "a"})
    assert not equal(T.MapType(T.INT, T.TEXT), {1: "a"}, {1: "b"})


# --- hashing --------------------------------------------------------------------------------

SM3_ABC = "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"  # GB/T 32905 example


def test_hashes() -> None:
    assert hash_value("sm3", T.TEXT, "abc").hex() == SM3_ABC
    assert hash_value("sha256", T.TEXT, "abc") == hashlib.sha256(b"abc").digest()
    h = bytes(range(32))
    assert hash_value("sha256", T.HASH, h) == hashlib.sha256(h).digest()
    assert hash_value("sha256", T.MONEY, Money("CNY", 20000)) == hashlib.sha256(b"200.00 CNY").digest()
    assert hash_value("sm3", T.INT, 42) == hash_value("sm3", T.TEXT, "42")
    assert hash_value("sha256", T.ListType(T.TEXT), ("a",)) == hashlib.sha256(b'["a"]').digest()
    with pytest.raises(ValueError):
        hash_value("md5", T.TEXT, "abc")


# --- text forms read back as literals, and ordering laws ------------------------------------

@given(st.integers(-(2**255) + 1, 2**255 - 1))
def test_decimal_and_percent_text_read_back(x: int) -> None:
    assert parse_decimal_literal(to_text(T.DECIMAL, x)) == x
    assert parse_percent_literal(to_text(T.PERCENT, x)[:-1]) == x


@given(st.sampled_from(sorted(CURRENCY_DIGITS)), st.integers(-(10**30), 10**30))
def test_money_text_reads_back(cur: str, units: int) -> None:
    amount, code = to_text(T.MONEY, Money(cur, units)).split(" ")
    assert code == cur
    assert parse_money_literal(amount, cur) == Money(cur, units)
    digits = CURRENCY_DIGITS[cur]
    assert len(amount.partition(".")[2]) == digits  # always all the minor digits


_short_lists = st.lists(st.text("ab\u00e9\U0001f600", max_size=2), max_size=3).map(tuple)


@given(_short_lists, _short_lists, _short_lists)
def test_compare_is_a_total_order_consistent_with_equal(a, b, c) -> None:
    t = T.ListType(T.TEXT)
    for x, y in ((a, b), (b, c), (a, c)):
        assert compare(t, x, y) == -compare(t, y, x)
        assert (compare(t, x, y) == 0) == equal(t, x, y) == (x == y)
    if compare(t, a, b) <= 0 and compare(t, b, c) <= 0:
        assert compare(t, a, c) <= 0
    # Text orders by code point: the same as comparing the code point sequences
    assert compare(T.TEXT, "".join(a), "".join(b)) == (
        ([ord(ch) for ch in "".join(a)] > [ord(ch) for ch in "".join(b)])
        - ([ord(ch) for ch in "".join(a)] < [ord(ch) for ch in "".join(b)]))
