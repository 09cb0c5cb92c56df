"""Literal texts -> runtime values. The checker validates literals with these, the compiler
emits their results as constants, and the JSON and text readers reuse them; each raises
`LiteralError` with a reason and no position (the checker adds the span).

A leading ``-`` is accepted (source literals never have one: ``-`` is an operator there, but
JSON arguments and scenario tools do).
"""

from __future__ import annotations

import re

from vm.values.calendar import parse_iso_date
from vm.values.currencies import CURRENCY_DIGITS
from vm.values.decimals import INT_LIMIT
from vm.errors import LiteralError
from vm.values.money import Money

_NUMBER_RE = re.compile(r"(-?)(\d+(?:_\d+)*)(?:\.(\d+(?:_\d+)*))?")
_HASH_RE = re.compile(r"0[xX][0-9a-fA-F]{64}")
DURATION_UNITS = {"day": 1, "days": 1, "week": 7, "weeks": 7}


def parse_fixed(text: str, digits: int, what: str) -> int:
    """A decimal numeral with at most ``digits`` fractional digits, as an int scaled by
    10**digits. ``what`` names the kind of value for the error message."""
    m = _NUMBER_RE.fullmatch(text)
    if m is None:
        if "e" in text.lower() and any(c.isdigit() for c in text):
            raise LiteralError(f"invalid {what} {text!r}: there is no exponent form; write all the digits")
        raise LiteralError(f"invalid {what} {text!r}: expected digits, optionally with a fractional part")
    sign, whole, frac = m[1], m[2].replace("_", ""), (m[3] or "").replace("_", "")
    if len(frac) > digits:
        if digits == 0:
            raise LiteralError(f"invalid {what} {text}: no fractional digits are allowed")
        raise LiteralError(f"invalid {what} {text}: at most {digits} fractional digits are allowed")
    whole = whole.lstrip("0") or "0"
    if len(whole) > 80:  # far past 2**255; also keeps int() below Python's digit limit
        raise LiteralError(f"invalid {what} {text[:20]}...: out of range (the magnitude must stay below 2^255)")
    value = int(whole) * 10**digits + (int(frac) * 10 ** (digits - len(frac)) if frac else 0)
    if value >= INT_LIMIT:
        raise LiteralError(f"invalid {what} {text}: out of range (the magnitude must stay below 2^255)")
    return -value if sign else value


def parse_int_literal(text: str) -> int:
    """``"1_000_000"`` -> 1000000."""
    m = _NUMBER_RE.fullmatch(text)
    if m is None or m[3] is not None:
        raise LiteralError(f"invalid Int {text!r}: expected digits such as 42 or 1_000_000")
    return parse_fixed(text, 0, "Int")


def parse_decimal_literal(text: str) -> int:
    """``"0.05"`` -> 5 * 10**16 (at most 18 fractional digits)."""
    return parse_fixed(text, 18, "Decimal")


def parse_percent_literal(number_text: str) -> int:
    """The number before ``%``: ``"12.5"`` -> 0.125 scaled, i.e. 125 * 10**15."""
    try:
        return parse_fixed(number_text, 16, "Percent")
    except LiteralError as exc:
        raise LiteralError(str(exc).replace("at most 16 fractional digits",
                                            "at most 16 fractional digits of the percent figure")) from None


def parse_money_literal(amount_text: str, currency: str) -> Money:
    """``("1200.50", "CNY")`` -> Money("CNY", 120050)."""
    digits = CURRENCY_DIGITS.get(currency)
    if digits is None:
        raise LiteralError(f"unknown currency {currency!r}: expected an ISO 4217 code such as CNY, USD, EUR")
    try:
        units = parse_fixed(amount_text, digits, "amount")
    except LiteralError as exc:
        msg = str(exc)
        if "fractional digits" in msg:
            msg = (f"invalid amount {amount_text} {currency}: {currency} has "
                   + (f"{digits} minor digits" if digits else "no minor unit"))
        raise LiteralError(msg) from None
    return Money(currency, units)


def parse_date_literal(text: str) -> int:
    """``"2024-03-01"`` -> its ordinal; ``"2024-02-30"`` raises LiteralError."""
    return parse_iso_date(text)


def parse_duration_literal(amount_text: str, unit: str) -> int:
    """``("2", "weeks")`` -> 14 (days)."""
    factor = DURATION_UNITS.get(unit)
    if factor is None:
        raise LiteralError(f"invalid Duration unit {unit!r}: expected day, days, week or weeks")
    m = _NUMBER_RE.fullmatch(amount_text)
    if m is None or m[3] is not None:
        raise LiteralError(f"invalid Duration {amount_text} {unit}: a Duration is a whole number of days or weeks")
    n = parse_fixed(amount_text, 0, "Duration") * factor
    if abs(n) >= INT_LIMIT:
        raise LiteralError(f"invalid Duration {amount_text} {unit}: out of range")
    return n


def parse_hash_literal(text: str) -> bytes:
    """``"0x" + 64 hex digits`` -> 32 bytes."""
    if _HASH_RE.fullmatch(text) is None:
        raise LiteralError(f"invalid Hash {text!r}: expected 0x followed by 64 hex digits")
    return bytes.fromhex(text[2:])
