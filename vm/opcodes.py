"""The one opcode table of the Bao VM, and the only place an opcode's meaning is written.
The compiler (its operator table: `operator_opcodes`), the verifier (stack rules, types, the
write set ``WRITES_STATE``), the interpreter and the translator (their dispatch, built from
``impl``/``expr``/``helper``), the gas of a block (`OpInfo.base_gas`) and `disasm` all derive
from ``OPCODES``. Opcodes are named elsewhere only by the hand-written code of ``CUSTOM`` ones and
by the translator's and verifier's analyses (tests/vm/test_opcodes.py holds them to that).

Instruction encoding
--------------------
An instruction is one opcode byte followed by its operands, each a fixed-width big-endian
unsigned integer whose width is given by its ``OperandKind``. A function's code is a flat byte
string; jump targets are absolute byte offsets into the same function's code.

Values and types
----------------
Values are untagged (the Python representations are in the `vm.types` docstring): every
opcode either works on fixed types (``ADD_MONEY`` pops two Money) or names the type it works on
with a ``TYPE`` operand, an index into ``Module.type_pool``. The verifier checks, by abstract
interpretation, that every opcode finds exactly the types it declares on the stack and in the
locals it reads, so generated code can rely on them.

Stack signatures (``pops`` / ``pushes``) are written with these names:
  * a primitive type name (``Int``, ``Money``, ``Bool`` ...): exactly that type;
  * ``T``: the instruction's TYPE operand; ``E``: its element type (T a List);
    ``K``/``V``: its key/value type (T a Map); ``F``: the type of field ``FIELD`` of record T;
  * ``S``: the type of state variable ``STATE``; ``SK``/``SV``: its key/value type (a Map);
  * ``C``: the type of constant ``CONST``; ``L``: the declared type of local ``LOCAL``;
  * ``A``, ``B``: any type, bound by the first occurrence (``DUP`` is ``A -> A A``);
  * ``List[X]``: a List of X.
``pops`` lists the operands bottom to top (the last one is on top of the stack). Opcodes whose
stack effect depends on the module (``CALL``, ``RET``, ``MAKE_*``, ``CONCAT``, ``EMIT``) have
a ``stack`` rule (`Stack`) instead, which `variadic_effect` turns into types for the verifier
and into counts for the translator.

Semantics
---------
``impl`` says how an opcode is carried out (`Impl`): most are one Python expression (``expr``)
over their operands in the names of the machine's runtime, possibly range-checked (``CHECKED``)
or guarded against a zero divisor (``DIVIDES``), or a call of a runtime helper that charges gas
by size (``METERED``) or of the call state (``STATE``); the interpreter and the translator both
build their code for these from the row. ``CUSTOM`` opcodes (control flow, frames, collections
whose fast path depends on the TYPE operand) are written by hand in both, against their ``doc``,
and a test holds both to the same results. ``writes_state`` marks what a view may not reach;
``builds`` what makes a value of type T (its depth checked where T may nest too deep);
``source`` and ``either_order`` the Bao operator or built-in value it compiles from.

Calling convention
------------------
Each call has a frame: its locals (one per entry of ``Function.local_types``) and an empty
operand stack. ``CALL f`` pops f's parameters (the first parameter deepest) into locals
0..n-1 of the new frame; the callee ends with ``RET`` (pops the return value, which is pushed
on the caller's stack) or, when it declares no return type, ``RET_VOID``. Other locals start
unset: the verifier proves every local is stored before it is loaded. An entry (action, view,
init) is called by the machine with its arguments in locals 0..n-1 likewise, after checking
the caller's role against the entry's ``roles``/``anyone`` (abort "not authorized"). The machine
limits call depth to ``MAX_CALL_DEPTH`` (abort "call depth exceeded"); recursion is allowed.

State model
-----------
State variables are numbered by ``Module.state`` (``StateVar.index``); the key layout is
documented in `vm.module` (``state_key``/``map_prefix``). A scalar variable (any type but Map,
Lists included) is one key holding its whole value; each entry of a ``Map`` variable is its own
key. Opcodes ``S*`` work on scalar variables, ``M*`` on entries of Map variables; ``SLOAD``
also reads a whole Map variable (a scan of its prefix). Writes go to the machine's overlay,
which the host commits only when the call completes; an abort discards them and the events.

Lifecycles: ``SSTORE`` (value type S) and ``MSTORE`` (value type SV) are the only opcodes
that write record values; before writing, the machine checks every lifecycle of the ABI whose
record occurs in the written type (the record itself, list elements, map values, record fields)
against what state held at the same place (same list index, map key or field): a changed
lifecycle field must be an allowed transition for the caller's role, else abort
``illegal transition <From> -> <To> by <role>``; a record with nothing at that place before is
new and must hold the lifecycle's ``start`` (if any), else abort
``illegal transition: new <Record> must start <Value>``. ``SADD``/``SSUB``/``MADD``/``MSUB``
(commutative updates, value types Int, Decimal, Percent, Money, Duration only) and ``MDELETE``
never involve records.

Aborts
------
An abort (``vm.errors.Abort``) ends the whole call; messages that the language fixes:
``not authorized``, ``key not found: <k>`` (``<k>`` is the key's text form, in double quotes
when the key is Text: ``key not found: "P9"``), ``index out of range``, ``currency mismatch``,
``division by zero``, ``overflow``, ``empty sum``, ``out of gas``. Every Int/Decimal/Percent/
Duration result is checked with ``vm.values.check_int`` (abort ``overflow``).

Gas
---
``gas`` is the base cost of each opcode, plus ``gas_per_element`` for each element its COUNT
operand builds (`OpInfo.base_gas`); the block translator charges the sum of a basic block's base
costs once on entering the block. Opcodes with ``dynamic_gas`` cost more with
the size of what they touch (bytes read or written, elements built, text produced); the
machine (`vm.gas`) charges that extra when the opcode runs.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from vm.types import ListType, MapType, RecordType, TEXT, TupleType, Type

if TYPE_CHECKING:
    from vm.module.abi import Module


MAX_CALL_DEPTH = 64  # the default of `vm.gas.Limits.call_depth`


class OperandKind(enum.Enum):
    """What an operand refers to, and its width in bytes."""

    U8 = ("u8", 1)
    COUNT = ("count", 2)  # an element count
    CONST = ("const", 2)  # index into Module.constants
    LOCAL = ("local", 2)  # slot of the current function
    FUNC = ("func", 2)  # index into Module.functions
    TYPE = ("type", 2)  # index into Module.type_pool
    STATE = ("state", 2)  # index into Module.state
    EVENT = ("event", 2)  # index into Module.events
    FIELD = ("field", 1)  # field index of the record given by the preceding TYPE operand
    TARGET = ("target", 4)  # absolute byte offset in the current function's code

    def __init__(self, label: str, width: int):
        self.label = label
        self.width = width


class TypeRule(enum.Enum):
    """What a TYPE operand (or a STATE operand's variable type) must be."""

    ANY = "any type"
    LIST = "a List type"
    MAP = "a Map type"
    RECORD = "a record type, or a tuple type (its parts are its fields 0, 1, ...)"
    ORDERED = "an ordered type (not a List, Map or record)"  # compare, min, max, map keys
    ADDITIVE = "Int, Decimal, Percent, Money or Duration"  # abs, sum, +=, -=
    ROUNDABLE = "Decimal, Percent or Money"
    MAP_STATE = "a Map state variable"
    ADDITIVE_STATE = "a state variable of type Int, Decimal, Percent, Money or Duration"
    ADDITIVE_MAP_STATE = "a Map state variable whose values are Int, Decimal, Percent, Money or Duration"
    OPTIONAL = "an optional type (T?; I is its T)"


O = OperandKind


class Impl(enum.Enum):
    """How an opcode is carried out: the interpreter and the translator derive their code for it
    from the row (``expr``, ``helper``), except for ``CUSTOM`` opcodes, which each writes by hand
    (control flow, frames, and operations whose fast path depends on the TYPE operand).

    ``expr`` is a Python expression over the popped operands ``{a}``, ``{b}`` (bottom to top) and
    ``{t}`` (the TYPE operand's type), in the names of the machine's runtime
    (`vm.runtime.machine`); ``helper`` is a name of that runtime or of the call's state."""

    CUSTOM = "written by hand in the interpreter and the translator"
    PURE = "expr, which cannot fail: it may stay unevaluated until its value is needed"
    EXPR = "expr, which may abort (through the runtime helper it calls)"
    CHECKED = "expr over ints, its result checked against Int's range (abort \"overflow\")"
    DIVIDES = "expr over ints, {b} a divisor: zero aborts \"division by zero\""
    METERED = "value, gas = helper(gas, [t,] operands...): the helper charges gas by size"
    STATE = "the call state's method helper(gas, STATE operand, operands...): value and gas, or gas"


class Stack(enum.Enum):
    """Where an opcode's stack effect comes from. ``FIXED``: its ``pops``/``pushes``; the others
    (variadic opcodes, whose ``pops``/``pushes`` are empty) depend on the module, and
    `variadic_effect` gives their types."""

    FIXED = "the row's pops and pushes"
    RETURN = "pops one value of the function's return type"
    CALL = "pops FUNC's parameters (the first deepest); pushes its return value, if it has one"
    TEXTS = "pops COUNT Texts; pushes a Text"
    ELEMENTS = "pops COUNT values of type E; pushes T"
    PAIRS = "pops COUNT key/value pairs K V; pushes T"
    FIELDS = "pops one value per field of record T, or part of tuple T (the first deepest); pushes T"
    EVENT = "pops one value per field of event EVENT (the first deepest)"


@dataclass(frozen=True, slots=True)
class OpInfo:
    """One opcode: its encoding, stack signature, gas and meaning, each given once."""

    name: str
    code: int
    operands: tuple[OperandKind, ...]
    pops: tuple[str, ...]
    pushes: tuple[str, ...]
    gas: int
    doc: str
    ends_block: bool = False
    stack: Stack = Stack.FIXED
    rule: TypeRule | None = None  # constraint on the TYPE operand, or on the STATE variable
    dynamic_gas: bool = False
    impl: Impl = Impl.CUSTOM
    expr: str = ""  # EXPR, PURE, CHECKED, DIVIDES: the Python it evaluates
    helper: str = ""  # METERED, STATE: the runtime helper or state method it calls
    typed: bool = False  # METERED: the helper takes the TYPE operand's type first
    builds: bool = False  # it builds a value of type T, whose depth is checked where T may nest too deep
    writes_state: bool = False  # it writes state or emits: a view may not reach it
    gas_per_element: int = 0  # charged with the base gas, per element of the COUNT operand
    source: str = ""  # the operator or built-in value of Bao it compiles from, if one
    either_order: bool = False  # a binary ``source`` operator that also takes its operands swapped

    @property
    def size(self) -> int:
        """Encoded length of the instruction in bytes."""
        return 1 + sum(k.width for k in self.operands)

    @property
    def variadic(self) -> bool:
        """Whether its stack effect depends on the module (``stack`` is not FIXED)."""
        return self.stack is not Stack.FIXED

    def base_gas(self, operands: tuple[int, ...]) -> int:
        """What the instruction costs before anything it moves (charged per block by the
        translator, per instruction by the interpreter)."""
        if self.gas_per_element:
            return self.gas + self.gas_per_element * operands[self.operands.index(OperandKind.COUNT)]
        return self.gas


def _op(name: str, code: int, operands: tuple[OperandKind, ...], sig: str, gas: int, doc: str,
        **flags: Any) -> OpInfo:
    pops_text, _, pushes_text = sig.partition("->")
    return OpInfo(name, code, operands, tuple(pops_text.split()), tuple(pushes_text.split()), gas,
                  doc, **flags)


_ANY = TypeRule.ANY
_ORD = TypeRule.ORDERED

OPCODES: tuple[OpInfo, ...] = (
    # --- constants, locals, stack ------------------------------------------------------------
    _op("CONST", 0x01, (O.CONST,), "-> C", 1, "Push constant CONST (its type is the constant's type)."),
    _op("LOAD", 0x02, (O.LOCAL,), "-> L", 1, "Push local LOCAL (the verifier proves it was stored)."),
    _op("STORE", 0x03, (O.LOCAL,), "L ->", 1, "Pop a value of the local's declared type into local LOCAL."),
    _op("POP", 0x04, (), "A ->", 1, "Discard the top of the stack."),
    _op("DUP", 0x05, (), "A -> A A", 1, "Duplicate the top of the stack."),
    _op("SWAP", 0x06, (), "A B -> B A", 1, "Exchange the two top values."),
    # --- control -------------------------------------------------------------------------------
    _op("JUMP", 0x10, (O.TARGET,), "->", 1, "Continue at TARGET.", ends_block=True),
    _op("JUMP_IF_FALSE", 0x11, (O.TARGET,), "Bool ->", 1,
        "Pop a Bool; continue at TARGET if it is false, else at the next instruction.", ends_block=True),
    _op("JUMP_IF_TRUE", 0x12, (O.TARGET,), "Bool ->", 1,
        "Pop a Bool; continue at TARGET if it is true, else at the next instruction.", ends_block=True),
    _op("RET", 0x13, (), "", 1,
        "Pop a value of the function's return type and return it to the caller (only in functions "
        "that declare a return type).", ends_block=True,
        stack=Stack.RETURN),
    _op("RET_VOID", 0x14, (), "->", 1,
        "Return without a value (only in functions without a return type).", ends_block=True),
    _op("FAIL", 0x15, (O.U8,), "Text ->", 1,
        "Pop a Text and abort the call with it as the message; U8 gives the Abort kind: 0 \"fail\" "
        "(`fail`), 1 \"require\" (`require`); other values are rejected by the verifier.",
        ends_block=True),
    _op("CALL", 0x16, (O.FUNC,), "", 10,
        "Pop FUNC's parameters (first parameter deepest) into a new frame and run it; push its "
        "return value if it declares a return type. Abort \"call depth exceeded\" past "
        "MAX_CALL_DEPTH frames.",
        stack=Stack.CALL),
    # --- call context ----------------------------------------------------------------------------
    _op("CALLER", 0x20, (), "-> Party", 1, "Push the calling party (its role is the role it acts in).",
        source="caller"),
    _op("NOW", 0x21, (), "-> Timestamp", 1, "Push the transaction's timestamp.",
        source="now"),
    _op("TODAY", 0x22, (), "-> Date", 1, "Push the transaction's date in the channel's time zone.",
        source="today"),
    _op("TX_ID", 0x23, (), "-> Hash", 1, "Push the transaction id.",
        source="tx_id"),
    _op("NOT", 0x28, (), "Bool -> Bool", 1, "Logical negation.",
        impl=Impl.PURE, expr="not {a}", source="not"),
    # --- Int -----------------------------------------------------------------------------------
    _op("ADD_INT", 0x30, (), "Int Int -> Int", 1, "a + b (overflow aborts).",
        impl=Impl.CHECKED, expr="{a} + {b}", source="+"),
    _op("SUB_INT", 0x31, (), "Int Int -> Int", 1, "a - b (overflow aborts).",
        impl=Impl.CHECKED, expr="{a} - {b}", source="-"),
    _op("MUL_INT", 0x32, (), "Int Int -> Int", 2, "a * b (overflow aborts).",
        impl=Impl.CHECKED, expr="{a} * {b}", source="*"),
    _op("FLOORDIV_INT", 0x33, (), "Int Int -> Int", 3,
        "a // b, flooring as Python does (values.int_floordiv; b == 0 aborts \"division by zero\").",
        impl=Impl.DIVIDES, expr="{a} // {b}", source="//"),
    _op("MOD_INT", 0x34, (), "Int Int -> Int", 3,
        "a mod b, with the divisor's sign as in Python (values.int_mod; b == 0 aborts).",
        impl=Impl.DIVIDES, expr="{a} % {b}", source="mod"),
    _op("DIV_INT", 0x35, (), "Int Int -> Decimal", 3,
        "a / b as a Decimal rounded half-even to 18 places (values.int_div; b == 0 aborts).",
        impl=Impl.EXPR, expr="int_div({a}, {b})", source="/"),
    _op("NEG_INT", 0x36, (), "Int -> Int", 1, "-a.",
        impl=Impl.EXPR, expr="-{a}", source="-"),
    _op("INT_TO_DEC", 0x37, (), "Int -> Decimal", 1,
        "Widen an Int to a Decimal (a * 10**18; overflow aborts).",
        impl=Impl.EXPR, expr="int_to_dec({a})"),
    # --- Decimal -------------------------------------------------------------------------------
    _op("ADD_DEC", 0x40, (), "Decimal Decimal -> Decimal", 1, "a + b (overflow aborts).",
        impl=Impl.CHECKED, expr="{a} + {b}", source="+"),
    _op("SUB_DEC", 0x41, (), "Decimal Decimal -> Decimal", 1, "a - b (overflow aborts).",
        impl=Impl.CHECKED, expr="{a} - {b}", source="-"),
    _op("MUL_DEC", 0x42, (), "Decimal Decimal -> Decimal", 3, "a * b rounded half-even to 18 places (values.dec_mul).",
        impl=Impl.EXPR, expr="dec_mul({a}, {b})", source="*"),
    _op("DIV_DEC", 0x43, (), "Decimal Decimal -> Decimal", 3,
        "a / b rounded half-even to 18 places (values.dec_div; b == 0 aborts \"division by zero\").",
        impl=Impl.EXPR, expr="dec_div({a}, {b})", source="/"),
    _op("NEG_DEC", 0x44, (), "Decimal -> Decimal", 1, "-a.",
        impl=Impl.EXPR, expr="-{a}", source="-"),
    # --- Percent (a fraction scaled by 10**18, like Decimal) -------------------------------------
    _op("ADD_PCT", 0x50, (), "Percent Percent -> Percent", 1, "a + b (overflow aborts).",
        impl=Impl.CHECKED, expr="{a} + {b}", source="+"),
    _op("SUB_PCT", 0x51, (), "Percent Percent -> Percent", 1, "a - b (overflow aborts).",
        impl=Impl.CHECKED, expr="{a} - {b}", source="-"),
    _op("MUL_PCT", 0x52, (), "Percent Percent -> Percent", 3, "a * b as fractions (values.dec_mul).",
        impl=Impl.EXPR, expr="dec_mul({a}, {b})", source="*"),
    _op("MUL_PCT_INT", 0x53, (), "Percent Int -> Percent", 2, "a * b (plain integer product; overflow aborts).",
        impl=Impl.CHECKED, expr="{a} * {b}", source="*", either_order=True),
    _op("MUL_PCT_DEC", 0x54, (), "Percent Decimal -> Percent", 3, "a * b (values.dec_mul).",
        impl=Impl.EXPR, expr="dec_mul({a}, {b})", source="*", either_order=True),
    _op("NEG_PCT", 0x55, (), "Percent -> Percent", 1, "-a.",
        impl=Impl.EXPR, expr="-{a}", source="-"),
    # --- Money (values.Money; mixing currencies aborts "currency mismatch") ----------------------
    _op("ADD_MONEY", 0x60, (), "Money Money -> Money", 3, "values.money_add(a, b).",
        impl=Impl.EXPR, expr="money_add({a}, {b})", source="+"),
    _op("SUB_MONEY", 0x61, (), "Money Money -> Money", 3, "values.money_sub(a, b).",
        impl=Impl.EXPR, expr="money_sub({a}, {b})", source="-"),
    _op("NEG_MONEY", 0x62, (), "Money -> Money", 2, "values.money_neg(a).",
        impl=Impl.EXPR, expr="money_neg({a})", source="-"),
    _op("MUL_MONEY_INT", 0x63, (), "Money Int -> Money", 3, "values.money_mul_int(a, b).",
        impl=Impl.EXPR, expr="money_mul_int({a}, {b})", source="*", either_order=True),
    _op("MUL_MONEY_DEC", 0x64, (), "Money Decimal -> Money", 4,
        "values.money_mul_frac(a, b): rounded half-up to the currency's minor unit.",
        impl=Impl.EXPR, expr="money_mul_frac({a}, {b})", source="*", either_order=True),
    _op("MUL_MONEY_PCT", 0x65, (), "Money Percent -> Money", 4,
        "values.money_mul_frac(a, b): rounded half-up to the currency's minor unit.",
        impl=Impl.EXPR, expr="money_mul_frac({a}, {b})", source="*", either_order=True),
    _op("DIV_MONEY_INT", 0x66, (), "Money Int -> Money", 4,
        "values.money_div_int(a, b): rounded half-up (b == 0 aborts \"division by zero\").",
        impl=Impl.EXPR, expr="money_div_int({a}, {b})", source="/"),
    _op("DIV_MONEY_DEC", 0x67, (), "Money Decimal -> Money", 4,
        "values.money_div_frac(a, b): rounded half-up (b == 0 aborts \"division by zero\").",
        impl=Impl.EXPR, expr="money_div_frac({a}, {b})", source="/"),
    _op("DIV_MONEY", 0x68, (), "Money Money -> Decimal", 4,
        "values.money_div_money(a, b): a Decimal rounded half-even (currency mismatch, division by zero abort).",
        impl=Impl.EXPR, expr="money_div_money({a}, {b})", source="/"),
    # --- Date and Duration (ints: ordinal days, days) --------------------------------------------
    _op("ADD_DATE_DUR", 0x70, (), "Date Duration -> Date", 2,
        "values.date_add(a, b) (a date outside 0001-01-01..9999-12-31 aborts \"overflow\").",
        impl=Impl.EXPR, expr="date_add({a}, {b})", source="+"),
    _op("SUB_DATE_DUR", 0x71, (), "Date Duration -> Date", 2, "values.date_add(a, -b).",
        impl=Impl.EXPR, expr="date_sub({a}, {b})", source="-"),
    _op("SUB_DATE", 0x72, (), "Date Date -> Duration", 1, "a - b in days.",
        impl=Impl.EXPR, expr="{a} - {b}", source="-"),
    _op("ADD_DUR", 0x73, (), "Duration Duration -> Duration", 1, "a + b (overflow aborts).",
        impl=Impl.CHECKED, expr="{a} + {b}", source="+"),
    _op("SUB_DUR", 0x74, (), "Duration Duration -> Duration", 1, "a - b (overflow aborts).",
        impl=Impl.CHECKED, expr="{a} - {b}", source="-"),
    _op("MUL_DUR_INT", 0x75, (), "Duration Int -> Duration", 2, "a * b (overflow aborts).",
        impl=Impl.CHECKED, expr="{a} * {b}", source="*", either_order=True),
    _op("NEG_DUR", 0x76, (), "Duration -> Duration", 1, "-a.",
        impl=Impl.EXPR, expr="-{a}", source="-"),
    _op("ADD_MONTHS", 0x77, (), "Date Int -> Date", 3,
        "values.add_months(d, n): clamps to the month's last day.",
        impl=Impl.EXPR, expr="add_months({a}, {b})"),
    _op("DAYS_BETWEEN", 0x78, (), "Date Date -> Int", 1, "values.days_between(a, b): b - a in days.",
        impl=Impl.EXPR, expr="days_between({a}, {b})"),
    _op("YEAR", 0x79, (), "Date -> Int", 2, "values.year(d).",
        impl=Impl.EXPR, expr="year({a})"),
    _op("MONTH", 0x7A, (), "Date -> Int", 2, "values.month(d).",
        impl=Impl.EXPR, expr="month({a})"),
    _op("DAY", 0x7B, (), "Date -> Int", 2, "values.day(d).",
        impl=Impl.EXPR, expr="day({a})"),
    # --- Text ----------------------------------------------------------------------------------
    _op("CONCAT", 0x80, (O.COUNT,), "", 2,
        "Pop COUNT Texts (the first deepest) and push their concatenation (COUNT >= 1).",
        dynamic_gas=True,
        impl=Impl.METERED, helper="cat", stack=Stack.TEXTS),
    _op("TEXT_LEN", 0x81, (), "Text -> Int", 1, "Number of Unicode code points.",
        impl=Impl.EXPR, expr="size({a})"),
    _op("TEXT_CONTAINS", 0x82, (), "Text Text -> Bool", 2,
        "`a in b` on Texts: whether a is a substring of b.", dynamic_gas=True,
        impl=Impl.METERED, helper="tin"),
    _op("TO_TEXT", 0x83, (O.TYPE,), "T -> Text", 5,
        "values.to_text(T, v, table): the text form used by `text(x)` and `{x}`.", rule=_ANY,
        dynamic_gas=True,
        impl=Impl.METERED, helper="totext", typed=True),
    _op("PARTY_FIELD", 0x84, (O.U8,), "Party -> Text", 1,
        "Field U8 of a Party: 0 org, 1 id, 2 role (other values are rejected by the verifier)."),
    # --- comparisons (values.compare/equal; Money of two currencies aborts "currency mismatch") -------
    _op("EQ", 0x90, (O.TYPE,), "T T -> Bool", 1, "a == b for values of type T.", rule=_ANY,
        source="=="),
    _op("NE", 0x91, (O.TYPE,), "T T -> Bool", 1, "a != b for values of type T.", rule=_ANY,
        source="!="),
    _op("LT", 0x92, (O.TYPE,), "T T -> Bool", 1, "a < b in the order of section 5.", rule=_ORD,
        source="<"),
    _op("LE", 0x93, (O.TYPE,), "T T -> Bool", 1, "a <= b.", rule=_ORD,
        source="<="),
    _op("GT", 0x94, (O.TYPE,), "T T -> Bool", 1, "a > b.", rule=_ORD,
        source=">"),
    _op("GE", 0x95, (O.TYPE,), "T T -> Bool", 1, "a >= b.", rule=_ORD,
        source=">="),
    # --- numeric built-ins -----------------------------------------------------------------------
    _op("MIN", 0xA0, (O.TYPE,), "T T -> T", 2, "The smaller of a and b (a when equal).", rule=_ORD),
    _op("MAX", 0xA1, (O.TYPE,), "T T -> T", 2, "The larger of a and b (a when equal).", rule=_ORD),
    _op("ABS", 0xA2, (O.TYPE,), "T -> T", 1, "|a|.", rule=TypeRule.ADDITIVE),
    _op("ROUND", 0xA3, (O.TYPE,), "T Int -> T", 3,
        "values.round_half_up(T, x, places): `round(x, places)`.", rule=TypeRule.ROUNDABLE,
        impl=Impl.EXPR, expr="rnd({t}, {a}, {b})"),
    _op("ROUND_EVEN", 0xA4, (O.TYPE,), "T Int -> T", 3,
        "values.round_half_even(T, x, places): `round_even(x, places)`.", rule=TypeRule.ROUNDABLE,
        impl=Impl.EXPR, expr="rnde({t}, {a}, {b})"),
    _op("FLOOR_DEC", 0xA5, (), "Decimal -> Int", 2, "values.floor_dec(x): the largest Int <= x.",
        impl=Impl.EXPR, expr="floor_dec({a})"),
    _op("CEIL_DEC", 0xA6, (), "Decimal -> Int", 2, "values.ceil_dec(x): the smallest Int >= x.",
        impl=Impl.EXPR, expr="ceil_dec({a})"),
    _op("SUM", 0xA7, (O.TYPE,), "List[T] -> T", 2,
        "values.sum_values(T, xs): the sum of the elements; an empty list gives zero, except Money "
        "which aborts \"empty sum\".", rule=TypeRule.ADDITIVE, dynamic_gas=True,
        impl=Impl.METERED, helper="vsum", typed=True),
    _op("SUM_START", 0xA8, (O.TYPE,), "List[T] T -> T", 2,
        "values.sum_values(T, xs, start): start plus the sum of the elements.",
        rule=TypeRule.ADDITIVE, dynamic_gas=True,
        impl=Impl.METERED, helper="vsum", typed=True),
    _op("HASH_SM3", 0xA9, (O.TYPE,), "T -> Hash", 20,
        "values.hash_value(\"sm3\", T, v, table).", rule=_ANY, dynamic_gas=True,
        impl=Impl.METERED, helper="hsm3", typed=True),
    _op("HASH_SHA256", 0xAA, (O.TYPE,), "T -> Hash", 20,
        "values.hash_value(\"sha256\", T, v, table).", rule=_ANY, dynamic_gas=True,
        impl=Impl.METERED, helper="hsha", typed=True),
    # --- lists (tuples; every update builds a new tuple) ----------------------------------------
    _op("MAKE_LIST", 0xB0, (O.TYPE, O.COUNT), "", 1,
        "Pop COUNT values of type E (the first deepest) and push them as a List T.",
        rule=TypeRule.LIST, dynamic_gas=True,
        builds=True, gas_per_element=1, stack=Stack.ELEMENTS),
    _op("LIST_GET", 0xB1, (O.TYPE,), "T Int -> E", 1,
        "xs[i] for 0 <= i < len(xs), else abort \"index out of range\".", rule=TypeRule.LIST),
    _op("LIST_SET", 0xB2, (O.TYPE,), "T Int E -> T", 2,
        "A copy of xs with element i replaced (abort \"index out of range\").", rule=TypeRule.LIST,
        dynamic_gas=True,
        impl=Impl.METERED, helper="lset", builds=True),
    _op("LIST_APPEND", 0xB3, (O.TYPE,), "T E -> T", 2, "A copy of xs with x appended.",
        rule=TypeRule.LIST, dynamic_gas=True,
        impl=Impl.METERED, helper="lapp", builds=True),
    _op("LIST_LEN", 0xB4, (O.TYPE,), "T -> Int", 1, "Number of elements.", rule=TypeRule.LIST,
        impl=Impl.EXPR, expr="size({a})"),
    _op("LIST_CONTAINS", 0xB5, (O.TYPE,), "E T -> Bool", 2,
        "`x in xs` (values.equal on E).", rule=TypeRule.LIST, dynamic_gas=True),
    # --- maps (dicts never mutated in place) --------------------------------------------------------
    _op("MAKE_MAP", 0xC0, (O.TYPE, O.COUNT), "", 1,
        "Pop COUNT key/value pairs (k1 v1 k2 v2 ..., the first deepest) and push them as a Map T; "
        "a repeated key keeps the later value.", rule=TypeRule.MAP, dynamic_gas=True,
        builds=True, gas_per_element=1, stack=Stack.PAIRS),
    _op("MAP_GET", 0xC1, (O.TYPE,), "T K -> V", 2, "m[k], else abort \"key not found: <k>\".",
        rule=TypeRule.MAP),
    _op("MAP_GET_OR", 0xC2, (O.TYPE,), "T K V -> V", 2, "m.get(k, d).", rule=TypeRule.MAP),
    _op("MAP_SET", 0xC3, (O.TYPE,), "T K V -> T", 2, "A copy of m with m[k] = v.", rule=TypeRule.MAP,
        dynamic_gas=True,
        impl=Impl.METERED, helper="mset", builds=True),
    _op("MAP_DELETE", 0xC4, (O.TYPE,), "T K -> T", 2,
        "A copy of m without k, else abort \"key not found: <k>\".", rule=TypeRule.MAP, dynamic_gas=True,
        impl=Impl.METERED, helper="mdel", typed=True),
    _op("MAP_HAS", 0xC5, (O.TYPE,), "K T -> Bool", 1, "`k in m`.", rule=TypeRule.MAP),
    _op("MAP_LEN", 0xC6, (O.TYPE,), "T -> Int", 1, "Number of entries.", rule=TypeRule.MAP,
        impl=Impl.EXPR, expr="size({a})"),
    _op("MAP_KEYS", 0xC7, (O.TYPE,), "T -> List[K]", 2,
        "The keys in Bao order (values.sorted_keys(K, m)): how `for k, v in m` iterates.",
        rule=TypeRule.MAP, dynamic_gas=True,
        impl=Impl.METERED, helper="mkeys", typed=True),
    # --- records (tuples of field values in declaration order) -----------------------------------------
    _op("MAKE_RECORD", 0xD0, (O.TYPE,), "", 2,
        "Pop one value per field of record T (the first field deepest) and push the record.",
        rule=TypeRule.RECORD,
        builds=True, stack=Stack.FIELDS),
    _op("FIELD", 0xD1, (O.TYPE, O.FIELD), "T -> F", 1, "Field FIELD of record r.", rule=TypeRule.RECORD),
    _op("SET_FIELD", 0xD2, (O.TYPE, O.FIELD), "T F -> T", 2,
        "A copy of record r with field FIELD replaced.", rule=TypeRule.RECORD,
        builds=True),
    # --- optional values (T? holds None for `none`, else the value itself: see vm.types) ---------------
    _op("NONE", 0xD8, (O.TYPE,), "-> T", 1, "Push `none` of the optional type T.", rule=TypeRule.OPTIONAL,
        impl=Impl.PURE, expr="None"),
    _op("SOME", 0xD9, (O.TYPE,), "I -> T", 1,
        "A value of I as one of the optional type T (the same value: only its type changes).",
        rule=TypeRule.OPTIONAL, impl=Impl.PURE, expr="{a}"),
    _op("IS_NONE", 0xDA, (O.TYPE,), "T -> Bool", 1, "Whether an optional value is `none` (`x is none`).",
        rule=TypeRule.OPTIONAL, impl=Impl.PURE, expr="{a} is None"),
    _op("UNWRAP", 0xDB, (O.TYPE,), "T -> I", 1,
        "The value an optional value holds; `none` aborts \"none where a value is needed\" (compiled "
        "code tests IS_NONE first, so only hand-written code reaches the abort).",
        rule=TypeRule.OPTIONAL, impl=Impl.EXPR, expr="some({a})"),
    # --- state (see "State model" above) ----------------------------------------------------------------
    _op("SLOAD", 0xE0, (O.STATE,), "-> S", 20,
        "Read state variable STATE (a Map variable: every entry, by scanning its prefix in key "
        "order). A scalar variable never written reads as its type's start value: an empty List, "
        "`none` of an optional type; any other type aborts \"state variable <name> has no value\".", rule=_ANY, dynamic_gas=True,
        impl=Impl.STATE, helper="sload"),
    _op("SSTORE", 0xE1, (O.STATE,), "S ->", 50,
        "Write state variable STATE (a Map variable: replaces every entry); lifecycles are "
        "checked.", rule=_ANY, dynamic_gas=True,
        impl=Impl.STATE, helper="sstore", writes_state=True),
    _op("SADD", 0xE2, (O.STATE,), "S ->", 50,
        "`x += v` on scalar state variable STATE (ADD_* of its type): a commutative update.",
        rule=TypeRule.ADDITIVE_STATE, dynamic_gas=True,
        impl=Impl.STATE, helper="sadd", writes_state=True),
    _op("SSUB", 0xE3, (O.STATE,), "S ->", 50,
        "`x -= v` on scalar state variable STATE (SUB_* of its type): a commutative update.",
        rule=TypeRule.ADDITIVE_STATE, dynamic_gas=True,
        impl=Impl.STATE, helper="ssub", writes_state=True),
    _op("MLOAD", 0xE4, (O.STATE,), "SK -> SV", 20,
        "Read entry k of Map state variable STATE, else abort \"key not found: <k>\".",
        rule=TypeRule.MAP_STATE, dynamic_gas=True,
        impl=Impl.STATE, helper="mload"),
    _op("MHAS", 0xE5, (O.STATE,), "SK -> Bool", 20,
        "Whether Map state variable STATE has an entry k (`k in m`).", rule=TypeRule.MAP_STATE,
        dynamic_gas=True,
        impl=Impl.STATE, helper="mhas"),
    _op("MGET", 0xE6, (O.STATE,), "SK SV -> SV", 20,
        "Entry k of Map state variable STATE, or d when absent (`m.get(k, d)`).",
        rule=TypeRule.MAP_STATE, dynamic_gas=True,
        impl=Impl.STATE, helper="mget"),
    _op("MSTORE", 0xE7, (O.STATE,), "SK SV ->", 50,
        "Write entry k of Map state variable STATE; lifecycles are checked.",
        rule=TypeRule.MAP_STATE, dynamic_gas=True,
        impl=Impl.STATE, helper="mstore", writes_state=True),
    _op("MDELETE", 0xE8, (O.STATE,), "SK ->", 50,
        "Delete entry k of Map state variable STATE, else abort \"key not found: <k>\".",
        rule=TypeRule.MAP_STATE, dynamic_gas=True,
        impl=Impl.STATE, helper="mdelete", writes_state=True),
    _op("MADD", 0xE9, (O.STATE,), "SK SV ->", 50,
        "`m[k] += v` (commutative update; abort \"key not found: <k>\" when absent).",
        rule=TypeRule.ADDITIVE_MAP_STATE, dynamic_gas=True,
        impl=Impl.STATE, helper="madd", writes_state=True),
    _op("MSUB", 0xEA, (O.STATE,), "SK SV ->", 50,
        "`m[k] -= v` (commutative update; abort \"key not found: <k>\" when absent).",
        rule=TypeRule.ADDITIVE_MAP_STATE, dynamic_gas=True,
        impl=Impl.STATE, helper="msub", writes_state=True),
    _op("MLEN", 0xEB, (O.STATE,), "-> Int", 20,
        "Number of entries of Map state variable STATE (counted by scanning its prefix).",
        rule=TypeRule.MAP_STATE, dynamic_gas=True,
        impl=Impl.STATE, helper="mlen"),
    # --- events --------------------------------------------------------------------------------------
    _op("EMIT", 0xF0, (O.EVENT,), "", 20,
        "Pop one value per field of event EVENT (the first field deepest) and record the event.",
        dynamic_gas=True,
        writes_state=True, stack=Stack.EVENT),
    # --- added after the first cut (keep appending here) ------------------------------------------
    _op("LIST_MIN", 0xB6, (O.TYPE,), "List[T] -> T", 2,
        "`min(xs)` of one List: its smallest element (the first of equals; values.min_value "
        "pairwise); an empty list aborts \"empty list: min of no values\" (kind \"empty-sum\").",
        rule=_ORD, dynamic_gas=True,
        impl=Impl.METERED, helper="lmin", typed=True),
    _op("LIST_MAX", 0xB7, (O.TYPE,), "List[T] -> T", 2,
        "`max(xs)` of one List: its largest element (the first of equals; values.max_value "
        "pairwise); an empty list aborts \"empty list: max of no values\" (kind \"empty-sum\").",
        rule=_ORD, dynamic_gas=True,
        impl=Impl.METERED, helper="lmax", typed=True),
)

BY_NAME: dict[str, OpInfo] = {op.name: op for op in OPCODES}
BY_CODE: dict[int, OpInfo] = {op.code: op for op in OPCODES}
WRITES_STATE: frozenset[str] = frozenset(op.name for op in OPCODES if op.writes_state)


def operator_opcodes() -> dict[tuple[str, tuple[str, ...]], tuple[OpInfo, bool]]:
    """The compiler's operator table: (source operator, operand type names) -> (opcode, swap),
    for every opcode whose operands are fixed primitive types (``+`` of ``Money Money`` is
    ADD_MONEY; ``*`` of ``Int Money`` is MUL_MONEY_INT with the operands swapped first)."""
    out: dict[tuple[str, tuple[str, ...]], tuple[OpInfo, bool]] = {}
    for op in OPCODES:
        if op.source and op.pops and op.stack is Stack.FIXED and op.pops[0] not in ("T", "A"):
            out[(op.source, op.pops)] = (op, False)
            if op.either_order:
                out[(op.source, op.pops[::-1])] = (op, True)
    return out


def variadic_effect(module: Module, ins: Instruction, returns: Type | None) -> tuple[tuple[Type, ...], tuple[Type, ...]]:
    """The types a variadic instruction pops (bottom to top) and pushes in ``module``, inside a
    function returning ``returns`` (see `Stack`). The operands must be in range and the TYPE
    operand of the rule's kind (the verifier checks both first)."""
    op, ops = ins.op, ins.operands
    match op.stack:
        case Stack.RETURN:
            return ((returns,) if returns is not None else ()), ()
        case Stack.CALL:
            callee = module.functions[ops[0]]
            return tuple(p.type for p in callee.params), (() if callee.returns is None else (callee.returns,))
        case Stack.TEXTS:
            return (TEXT,) * ops[0], (TEXT,)
        case Stack.EVENT:
            return tuple(p.type for p in module.events[ops[0]].fields), ()
    t = module.type_pool[ops[0]]
    match op.stack, t:
        case Stack.ELEMENTS, ListType(elem):
            return (elem,) * ops[1], (t,)
        case Stack.PAIRS, MapType(key, value):
            return (key, value) * ops[1], (t,)
        case Stack.FIELDS, RecordType(name):
            return tuple(ft for _, ft in module.types.records[name]), (t,)
        case Stack.FIELDS, TupleType(parts):
            return parts, (t,)
    raise ValueError(f"{op.name}: no stack rule {op.stack.name} for type {t}")


class Op:
    """Opcode numbers as attributes (``Op.ADD_INT``), for code that emits instructions."""


for _info in OPCODES:
    setattr(Op, _info.name, _info.code)
del _info


def encode_instruction(name: str, *operands: int) -> bytes:
    """One instruction's bytes. Raises ValueError on a wrong operand count or width (a
    compiler bug, never user input)."""
    info = BY_NAME[name]
    if len(operands) != len(info.operands):
        raise ValueError(f"{name} takes {len(info.operands)} operands, got {len(operands)}")
    out = bytearray((info.code,))
    for kind, value in zip(info.operands, operands):
        if not 0 <= value < 1 << (8 * kind.width):
            raise ValueError(f"{name}: operand {value} does not fit {kind.label} ({kind.width} bytes)")
        out += value.to_bytes(kind.width, "big")
    return bytes(out)


@dataclass(frozen=True, slots=True)
class Instruction:
    offset: int
    op: OpInfo
    operands: tuple[int, ...]

    @property
    def end(self) -> int:
        return self.offset + self.op.size


class TruncatedCode(ValueError):
    """Code ends inside an instruction or holds an unknown opcode byte."""


def decode_instructions(code: bytes) -> list[Instruction]:
    """Split a function's code into instructions. Raises TruncatedCode (with the offset) on an
    unknown opcode or an instruction cut off by the end of the code."""
    out: list[Instruction] = []
    pos = 0
    n = len(code)
    while pos < n:
        info = BY_CODE.get(code[pos])
        if info is None:
            raise TruncatedCode(f"unknown opcode 0x{code[pos]:02x} at offset {pos}")
        end = pos + info.size
        if end > n:
            raise TruncatedCode(f"{info.name} at offset {pos} is cut off by the end of the code")
        operands = []
        p = pos + 1
        for kind in info.operands:
            operands.append(int.from_bytes(code[p:p + kind.width], "big"))
            p += kind.width
        out.append(Instruction(pos, info, tuple(operands)))
        pos = end
    return out
