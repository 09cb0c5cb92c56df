"""Bao's values: every operation on them that the checker, the compiler and the VM use is
importable from this package. The implementations live in one module per concern:

- `vm.values.decimals`   Int, Decimal and Percent arithmetic (ints scaled by 10**18) and rounding
- `vm.values.money`      Money and its arithmetic;  `vm.values.currencies` ISO 4217 minor digits
- `vm.values.party`      Party
- `vm.values.calendar`   Date, Duration and Timestamp, and the date built-ins
- `vm.values.literals`   literal texts -> values (raise `LiteralError`)
- `vm.values.ordering`   compare, equal, min, max, sum;  `vm.values.rounding` round, round_even, abs
- `vm.values.textform`   text(x);  `vm.values.hashing` sm3(x), sha256(x)
- `vm.values.jsonform`   JSON in and out (LANGUAGE.md section 7)
- `vm.values.encoding`   canonical state encoding and size;  `vm.values.keys` order-preserving map keys
- `vm.values.measure`    how big and how deep a value is (gas and limits), whatever parts it shares

Choices the language leaves to this layer (each documented where it is made):
- text: a Party is ``role:org/id``; a Timestamp is RFC 3339 in UTC+08:00 (``.mmm`` only when
  non-zero); Text is bare at the top level and quoted inside Lists, Maps and records.
- ``round(x, places)`` on a Percent counts digits of the percent figure (12.345% -> 12.3% at 1);
  on Money, digits of the major unit; negative places round to tens, hundreds ...
- ``==`` on Lists, Maps and records compares every element, so a currency mismatch anywhere aborts;
  ordering stops at the first difference, like any lexicographic order.
- Map keys of type Money order (and are stored) by currency, then amount.
- JSON: a record needs all its fields (the TypeTable knows no defaults); unknown fields are errors.
"""

from __future__ import annotations

from vm.values.calendar import (
    DEFAULT_TZ_MINUTES, EPOCH_ORDINAL, MAX_DATE, MIN_DATE, MS_PER_DAY, add_months, date_add, date_diff,
    date_sub, day, days_between, duration_add, duration_mul, duration_sub, midnight_of, month, today_of, year,
)
from vm.values.currencies import CURRENCY_DIGITS
from vm.values.decimals import (
    INT_LIMIT, SCALE, ceil_dec, check_int, dec_abs, dec_add, dec_div, dec_div_int, dec_mul, dec_mul_int,
    dec_neg, dec_sub, div_half_even, div_half_up, floor_dec, int_abs, int_add, int_div, int_floordiv,
    int_mod, int_mul, int_neg, int_sub, int_to_dec,
)
from vm.values.encoding import decode_value, encode_value, value_size
from vm.values.hashing import digest, hash_bytes, hash_value, sha256, sm3
from vm.values.jsonform import from_json, to_json
from vm.values.keys import decode_key, encode_key
from vm.values.literals import (
    parse_date_literal, parse_decimal_literal, parse_duration_literal, parse_hash_literal,
    parse_int_literal, parse_money_literal, parse_percent_literal,
)
from vm.values.money import (
    Money, currency_mismatch, money_abs, money_add, money_cmp, money_div_frac, money_div_int,
    money_div_money, money_eq, money_le, money_lt, money_max, money_min, money_mul_frac, money_mul_int,
    money_neg, money_sub,
)
from vm.values.ordering import compare, equal, max_value, min_value, sorted_keys, sum_values
from vm.values.party import Party
from vm.values.rounding import abs_value, round_half_even, round_half_up
from vm.values.textform import TextTooLong, to_text

__all__ = [
    "TextTooLong", "CURRENCY_DIGITS", "DEFAULT_TZ_MINUTES", "EPOCH_ORDINAL", "INT_LIMIT", "MAX_DATE", "MIN_DATE",
    "MS_PER_DAY", "SCALE", "Money", "Party",
    "abs_value", "add_months", "ceil_dec", "check_int", "compare", "currency_mismatch", "date_add",
    "date_diff", "date_sub", "day", "days_between", "dec_abs", "dec_add", "dec_div", "dec_div_int",
    "dec_mul", "dec_mul_int", "dec_neg", "dec_sub", "decode_key", "decode_value", "div_half_even",
    "div_half_up", "duration_add", "duration_mul", "duration_sub", "encode_key", "encode_value", "equal",
    "digest", "floor_dec", "from_json", "hash_bytes", "hash_value", "int_abs", "int_add", "int_div", "int_floordiv", "int_mod",
    "int_mul", "int_neg", "int_sub", "int_to_dec", "max_value", "midnight_of", "min_value", "money_abs",
    "money_add", "money_cmp", "money_div_frac", "money_div_int", "money_div_money", "money_eq", "money_le",
    "money_lt", "money_max", "money_min", "money_mul_frac", "money_mul_int", "money_neg", "money_sub",
    "month", "parse_date_literal", "parse_decimal_literal", "parse_duration_literal", "parse_hash_literal",
    "parse_int_literal", "parse_money_literal", "parse_percent_literal", "round_half_even",
    "round_half_up", "sha256", "sm3", "sorted_keys", "sum_values", "to_json", "to_text", "today_of",
    "value_size", "year",
]
