"""Bao's generic comparisons and the built-ins built on them (LANGUAGE.md section 5):
numbers and Money by value, Dates and Timestamps by time, Text by code point, enum values by
declaration order, Hash bytewise, Party by (org, id, role), Lists lexicographically, records
field by field, Maps as their ascending (key, value) sequences. Money of two currencies
meeting in a comparison (``==`` included, at any depth) aborts with ``currency mismatch``.
"""

from __future__ import annotations

from vm import types as T
from vm.types import Value
from vm.values.decimals import check_int
from vm.values.keys import encode_key
from vm.errors import Abort, AbortKind
from vm.values.money import Money, currency_mismatch, money_cmp

# Every primitive but Money (and every enum) is held in a Python value that already orders and
# compares exactly as Bao does: ints, str (code points), bytes, bool, Party (org, id, role).


def _cmp_native(a: Value, b: Value) -> int:
    return (a > b) - (a < b)


def compare(t: T.Type, a: Value, b: Value, table: T.TypeTable | None = None) -> int:
    """-1, 0 or 1 as ``a`` orders before, with or after ``b``."""
    if type(t) is T.Prim:
        if t.name == "Money":
            return money_cmp(a, b)
        return (a > b) - (a < b)
    if type(t) is T.EnumType:
        return (a > b) - (a < b)
    if isinstance(t, T.ListType):
        return _compare_seq([t.elem] * min(len(a), len(b)), a, b, table, len(a), len(b))
    if isinstance(t, T.RecordType):
        types = [ft for _, ft in _fields(table, t.name)]
        return _compare_seq(types, a, b, table, 0, 0)
    if isinstance(t, T.TupleType):
        return _compare_seq(list(t.parts), a, b, table, 0, 0)
    if isinstance(t, T.OptionalType):  # `none` first, then the values in T's order
        if a is None or b is None:
            return (a is not None) - (b is not None)
        return compare(t.inner, a, b, table)
    if isinstance(t, T.MapType):
        ka, kb = sorted_keys(t.key, a, table), sorted_keys(t.key, b, table)
        for x, y in zip(ka, kb):
            c = compare(t.key, x, y, table) or compare(t.value, a[x], b[y], table)
            if c:
                return c
        return _cmp_native(len(ka), len(kb))
    raise TypeError(f"no ordering for type {t}")


def _compare_seq(types: list, a: tuple, b: tuple, table: T.TypeTable | None, la: int, lb: int) -> int:
    for ft, x, y in zip(types, a, b):
        c = compare(ft, x, y, table)
        if c:
            return c
    return _cmp_native(la, lb)


def _fields(table: T.TypeTable | None, name: str) -> tuple[tuple[str, T.Type], ...]:
    if table is None:
        raise TypeError(f"record {name} needs a TypeTable")
    return table.record_fields(name)


def sorted_keys(kt: T.Type, m: dict, table: T.TypeTable | None = None) -> list:
    """A Map's keys in Bao order (the order `for k, v in map` visits them)."""
    if kt == T.MONEY:
        # Keys of one map may hold several currencies; they order by currency, then amount
        # (the state key order), rather than aborting on a mixed map.
        return sorted(m, key=lambda k: (k.currency, k.units))
    if type(kt) is T.RecordType or type(kt) is T.TupleType:  # a composite key: part by part, as its state key sorts
        return sorted(m, key=lambda k: encode_key(kt, k, table))
    return sorted(m)


def equal(t: T.Type, a: Value, b: Value, table: T.TypeTable | None = None) -> bool:
    """Bao's ``==``."""
    if type(t) is T.Prim:
        if t.name == "Money":
            if a.currency != b.currency:
                raise currency_mismatch(a.currency, b.currency)
            return a.units == b.units
        return a == b
    if type(t) is T.EnumType:
        return a == b
    if isinstance(t, T.ListType):
        if len(a) != len(b):
            return False
        e = t.elem
        return all([equal(e, x, y, table) for x, y in zip(a, b)])
    if isinstance(t, T.RecordType):
        # Every field is compared (no short cut) so a currency mismatch anywhere aborts.
        return all([equal(ft, x, y, table) for (_, ft), x, y in zip(_fields(table, t.name), a, b)])
    if isinstance(t, T.TupleType):
        return all([equal(pt, x, y, table) for pt, x, y in zip(t.parts, a, b)])
    if isinstance(t, T.MapType):
        if a.keys() != b.keys():
            return False
        return all([equal(t.value, a[k], b[k], table) for k in a])
    if isinstance(t, T.OptionalType):  # `none` equals only `none`
        return a is b if a is None or b is None else equal(t.inner, a, b, table)
    raise TypeError(f"no equality for type {t}")


def min_value(t: T.Type, a: Value, b: Value, table: T.TypeTable | None = None) -> Value:
    return b if compare(t, b, a, table) < 0 else a


def max_value(t: T.Type, a: Value, b: Value, table: T.TypeTable | None = None) -> Value:
    return b if compare(t, b, a, table) > 0 else a


def sum_values(t: T.Type, xs: tuple, start: Value = None) -> Value:
    """``sum(xs[, start])`` of a List of ``t`` (Int, Decimal, Percent, Duration or Money; the
    List type itself is accepted too). The exact sum is checked once against the range; an
    empty Money list needs ``start``."""
    if isinstance(t, T.ListType):
        t = t.elem
    if t == T.MONEY:
        if start is None:
            if not xs:
                raise Abort("empty sum: sum of an empty list of Money needs a start value", AbortKind.EMPTY_SUM)
            cur, total, rest = xs[0].currency, xs[0].units, xs[1:]
        else:
            cur, total, rest = start.currency, start.units, xs
        for m in rest:
            if m.currency != cur:
                raise currency_mismatch(cur, m.currency)
            total += m.units
        return Money(cur, check_int(total))
    if t in T.PLAIN_INTS:
        return check_int(sum(xs, start if start is not None else 0))
    raise TypeError(f"no sum for type {t}")
