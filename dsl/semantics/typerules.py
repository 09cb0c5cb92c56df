"""The typing tables of LANGUAGE.md section 5, defined once: arithmetic mixes, orderings,
comparisons and the one implicit conversion (Int widens to Decimal).

Conventions the compiler relies on (see `arith`):
- Where a mix computes in Decimal (`Decimal op Int`, `Int op Decimal` for `+ - * /`), the Int
  operand is recorded in ``Analysis.coercions`` as widened to Decimal, so the compiler emits a
  Decimal-by-Decimal operation. `Int / Int` is its own operation (Int operands, Decimal result).
- Mixed-type operations of other kinds (Money * Int, Percent * Decimal, Date + Duration, ...)
  keep their operands' own types; the compiler picks the typed operation from both types.
- `in` / `not in`: a key of a Map, an element of a List, and (an extension) a Text inside a
  Text, which tests for a substring (`"CNY" in code`).
"""

from __future__ import annotations

from vm.opcodes import OPCODES
from vm.types import (
    ADDITIVE, BOOL, DATE, DECIMAL, DURATION, HASH, INT, MONEY, PERCENT, PRIMITIVES, TEXT, EnumType, ListType,
    MapType, OptionalType, Type,
)

ARITH_OPS = ("+", "-", "*", "/", "//", "mod")

# (op, left, right) -> result; the whole of section 5's table, nothing else.
_TABLE: dict[tuple[str, Type, Type], Type] = {}


def _row(ops: str, left: Type, right: Type, result: Type, either_order: bool = False) -> None:
    for op in ops.split():
        _TABLE[(op, left, right)] = result
        if either_order:
            _TABLE[(op, right, left)] = result


_row("+ - * // mod", INT, INT, INT)
_row("/", INT, INT, DECIMAL)
_row("+ - * /", DECIMAL, INT, DECIMAL, either_order=True)
_row("+ - * /", DECIMAL, DECIMAL, DECIMAL)
_row("+ -", MONEY, MONEY, MONEY)
_row("*", MONEY, INT, MONEY, either_order=True)
_row("*", MONEY, DECIMAL, MONEY, either_order=True)
_row("*", MONEY, PERCENT, MONEY, either_order=True)
_row("/", MONEY, INT, MONEY)
_row("/", MONEY, DECIMAL, MONEY)
_row("/", MONEY, MONEY, DECIMAL)
_row("+ -", PERCENT, PERCENT, PERCENT)
_row("*", PERCENT, PERCENT, PERCENT)
_row("*", PERCENT, INT, PERCENT, either_order=True)
_row("*", PERCENT, DECIMAL, PERCENT, either_order=True)
_row("+ -", DATE, DURATION, DATE)
_row("-", DATE, DATE, DURATION)
_row("+ -", DURATION, DURATION, DURATION)
_row("*", DURATION, INT, DURATION, either_order=True)
_row("+", TEXT, TEXT, TEXT)

ARITH_TABLE: dict[tuple[str, Type, Type], Type] = dict(_TABLE)

# The type groups are the VM's (`vm.types`: ORDERED, KEY_TYPES, ADDITIVE), so the checker and the
# verifier cannot disagree; Bool has no order, though it may be a map key.
NEGATABLE = ADDITIVE  # `-x`
SUMMABLE = ADDITIVE  # sum, abs
COMPOUND_TARGETS = ADDITIVE  # `+=` / `-=` targets
# What a map key may be (`vm.types.is_key_type`), as a hint where a type cannot be one.
KEY_HINT = ("keys are Int, Decimal, Money, Percent, Date, Duration, Timestamp, Text, Bool, Hash, Party, "
            "an enum, or a record or tuple of such parts (a composite key)")


def arith(op: str, left: Type, right: Type) -> Type | None:
    """The result type of ``left op right``, or None when section 5 has no such mix."""
    return ARITH_TABLE.get((op, left, right))


def widens(left: Type, right: Type, result: Type) -> tuple[bool, bool]:
    """Which operands of an arithmetic mix widen from Int to Decimal (see module docstring)."""
    if result == DECIMAL and (left == DECIMAL or right == DECIMAL):
        return left == INT, right == INT
    return False, False


def arith_error(op: str, left: Type, right: Type) -> tuple[str, str | None]:
    """Message and hint for a mix the table does not have."""
    if op == "mod":
        return f"cannot take {left} mod {right}", "`mod` works on two Ints"
    if op == "//":
        return f"cannot floor-divide {left} by {right}", "`//` works on two Ints"
    if op == "+":
        msg = f"cannot add {left} and {right}"
    elif op == "-":
        msg = f"cannot subtract {right} from {left}"
    elif op == "*":
        msg = f"cannot multiply {left} by {right}"
    else:
        msg = f"cannot divide {left} by {right}"
    hint = None
    if isinstance(left, OptionalType) or isinstance(right, OptionalType):
        return msg, OPTIONAL_HINT
    if MONEY in (left, right) and PERCENT in (left, right) and op in ("+", "-"):
        hint = "to take a share of Money, multiply it: amount * 20%"
    elif {left, right} <= {INT, DECIMAL, PERCENT} and PERCENT in (left, right) and op in ("+", "-"):
        hint = "Percent adds only to Percent: write 5% rather than 0.05"
    elif MONEY in (left, right) and {left, right} & {INT, DECIMAL} and op in ("+", "-"):
        hint = "Money adds only to Money: write an amount with its currency, e.g. 100.00 CNY"
    elif left == TEXT or right == TEXT:
        hint = "to put a value into a Text, write text(x) or \"...{x}...\""
    return msg, hint


def comparison_hint(left: Type, right: Type) -> str:
    """Why two sides cannot be compared, in the terms of the likely mistake."""
    if isinstance(left, OptionalType) or isinstance(right, OptionalType):
        return OPTIONAL_HINT
    if MONEY in (left, right) and {left, right} & {INT, DECIMAL}:
        return "Money compares only with Money: write an amount with its currency, e.g. 100.00 CNY"
    if PERCENT in (left, right) and {left, right} & {INT, DECIMAL}:
        return "Percent compares only with Percent: write 5% rather than 0.05"
    return "both sides of a comparison must have one type"


def assignable(actual: Type, expected: Type) -> tuple[bool, bool]:
    """(fits, widened): whether a value of ``actual`` fits where ``expected`` stands, and whether
    that needs the Int-to-Decimal widening (the only implicit conversion)."""
    if actual == expected:
        return True, False
    if actual == INT and expected == DECIMAL:
        return True, True
    if isinstance(expected, OptionalType) and not isinstance(actual, OptionalType):
        return assignable(actual, expected.inner)  # a value where `T?` stands (the caller records it)
    return False, False


# Said wherever a `T?` stands where a `T` is needed (LANGUAGE.md, optional values).
OPTIONAL_HINT = ("it may be none: test it first (`if x is not none:`), or give a default (`x or else d`) "
                 "or a message to fail with (`x or fail \"...\"`)")


def comparable(left: Type, right: Type) -> Type | None:
    """The common type two compared sides have, or None (Int vs Decimal compare as Decimal)."""
    if left == right:
        return left
    if {left, right} == {INT, DECIMAL}:
        return DECIMAL
    return None


def membership(container: Type) -> Type | None:
    """The type an item must have for `item in container`; None when `in` does not apply.
    Text in Text is a substring test."""
    if isinstance(container, MapType):
        return container.key
    if isinstance(container, ListType):
        return container.elem
    if container == TEXT:
        return TEXT
    return None


# The built-in values (`caller`, `now`, `today`, `tx_id`) and their types, read from the instructions
# that push them: an opcode that pops nothing and compiles from a Bao name (`vm.opcodes`, ``source``).
BUILTIN_VALUES: dict[str, Type] = {
    op.source: PRIMITIVES[op.pushes[0]] for op in OPCODES if op.source.isidentifier() and not op.pops
}
PARTY_FIELDS = ("org", "id", "role")


def zero_value(t: Type) -> object | None:
    """The start value of a state variable declared without one, for the types that have an
    obvious zero (Money has no currency to be zero in, a Date no zero day); None for the others.
    A List starts empty, a Map has no entries and a `T?` reads `none` until written (the
    machine's SLOAD); any other type has no start value (`start_value_missing`)."""
    if t in (INT, DECIMAL, PERCENT, DURATION):
        return 0
    if t == TEXT:
        return ""
    if t == BOOL:
        return False
    if t == HASH:
        return bytes(32)
    if isinstance(t, EnumType):
        return 0
    return None


def start_value_missing(t: Type) -> bool:
    """Whether a state variable of type ``t`` declared without an initial value has no value
    until written (reading it first aborts "state variable <name> has no value")."""
    return zero_value(t) is None and not isinstance(t, (ListType, MapType, OptionalType))
