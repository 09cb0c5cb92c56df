"""Every opcode of the table, run by the translator and by the reference interpreter.

Each case is a hand-assembled `run` entry with its arguments and the value it must return (or
the abort it must raise). `test_every_opcode_has_a_case` fails when the table grows an opcode
that no case here exercises, and `test_translator_covers_the_table` when the translator (or the
reference interpreter) lacks one.
"""

from __future__ import annotations

import hashlib

import pytest

from vm import types as T
from vm.errors import Abort
from vm.runtime import CallContext, MemoryHost
from vm.runtime.interpreter import ReferenceMachine, assemble, hand_module
from vm.runtime import Machine
from vm.module import Constant, Function, Param
from vm.opcodes import OPCODES, decode_instructions
from vm.values import (
    Money, Party, parse_date_literal, parse_decimal_literal, parse_percent_literal, sm3, today_of,
)
from vm.verify import verify
from tests.vm.conftest import cny

INT, DEC, PCT, MONEY, TEXT, BOOL = T.INT, T.DECIMAL, T.PERCENT, T.MONEY, T.TEXT, T.BOOL
DATE, DUR, TS, HASH, PARTY = T.DATE, T.DURATION, T.TIMESTAMP, T.HASH, T.PARTY
LINT, LTEXT, MTI, OINT = T.ListType(INT), T.ListType(TEXT), T.MapType(TEXT, INT), T.OptionalType(INT)
ITEM = T.RecordType("Item")
TABLE = T.TypeTable({"Item": (("name", TEXT), ("qty", INT))}, {"Color": ("Red", "Green")})
CALLER = Party("PICC", "picc-1", "insurer")
CTX = CallContext(CALLER, 1_714_492_800_000, bytes(range(32)))  # 2024-05-01 00:00 +08:00


def d(text: str) -> int:
    return parse_decimal_literal(text)


def day(text: str) -> int:
    return parse_date_literal(text)


def C(t, v) -> Constant:
    return Constant(t, v)


class Case:
    def __init__(self, program, params=(), returns=None, runs=((), None), *, consts=(), pool=(), locs=(),
                 helpers=()):
        self.program, self.params, self.returns = program, params, returns
        self.runs = runs if isinstance(runs, list) else [runs]
        self.consts, self.pool, self.locs, self.helpers = consts, pool, locs, helpers

    def module(self):
        return hand_module(self.program, self.params, self.returns, local_types=self.locs,
                           constants=self.consts, type_pool=self.pool, types=TABLE, helpers=self.helpers)


def binop(op, t_in, t_out, a, b, expect, pool=()):
    return Case([("LOAD", 0), ("LOAD", 1), (op, *((0,) if pool else ())), ("RET",)], (t_in[0], t_in[1]), t_out,
                ((a, b), expect), pool=pool)


def unop(op, t_in, t_out, a, expect, pool=(), operand=None):
    operands = (0,) if pool else ((operand,) if operand is not None else ())
    return Case([("LOAD", 0), (op, *operands), ("RET",)], (t_in,), t_out, ((a,), expect), pool=pool)


SQUARE = Function("square", (Param("x", INT),), INT, (INT,), assemble([("LOAD", 0), ("DUP",), ("MUL_INT",), ("RET",)]))

CASES = {
    "const": Case([("CONST", 0), ("RET",)], (), INT, ((), 7), consts=(C(INT, 7),)),
    "load/store/pop": Case([("LOAD", 0), ("STORE", 1), ("LOAD", 1), ("CONST", 0), ("POP",), ("RET",)], (INT,), INT,
                           ((5,), 5), consts=(C(INT, 9),), locs=(INT,)),
    "dup": Case([("LOAD", 0), ("DUP",), ("ADD_INT",), ("RET",)], (INT,), INT, ((21,), 42)),
    "swap": Case([("LOAD", 0), ("LOAD", 1), ("SWAP",), ("SUB_INT",), ("RET",)], (INT, INT), INT, ((10, 3), -7)),
    "jump": Case([("JUMP", "x"), ("CONST", 0), ("RET",), "x", ("CONST", 1), ("RET",)], (), INT, ((), 2),
                 consts=(C(INT, 1), C(INT, 2))),
    "jump_if_false": Case([("LOAD", 0), ("JUMP_IF_FALSE", "no"), ("CONST", 0), ("RET",), "no", ("CONST", 1),
                           ("RET",)], (BOOL,), INT, [((True,), 1), ((False,), 2)], consts=(C(INT, 1), C(INT, 2))),
    "jump_if_true": Case([("LOAD", 0), ("JUMP_IF_TRUE", "yes"), ("CONST", 0), ("RET",), "yes", ("CONST", 1),
                          ("RET",)], (BOOL,), INT, [((True,), 2), ((False,), 1)], consts=(C(INT, 1), C(INT, 2))),
    "ret_void": Case([("RET_VOID",)], (), None, ((), None)),
    "fail": Case([("CONST", 0), ("FAIL", 0)], (), None, ((), Abort("boom", "fail")), consts=(C(TEXT, "boom"),)),
    "fail require": Case([("CONST", 0), ("FAIL", 1)], (), None, ((), Abort("boom", "require")),
                         consts=(C(TEXT, "boom"),)),
    "call": Case([("LOAD", 0), ("CALL", 1), ("RET",)], (INT,), INT, ((12,), 144), helpers=(SQUARE,)),
    "caller/party_field": Case([("CALLER",), ("PARTY_FIELD", 0), ("CALLER",), ("PARTY_FIELD", 1), ("CALLER",),
                                ("PARTY_FIELD", 2), ("CONCAT", 3), ("RET",)], (), TEXT, ((), "PICCpicc-1insurer")),
    "now": Case([("NOW",), ("RET",)], (), TS, ((), CTX.timestamp_ms)),
    "today": Case([("TODAY",), ("RET",)], (), DATE, ((), today_of(CTX.timestamp_ms))),
    "tx_id": Case([("TX_ID",), ("RET",)], (), HASH, ((), CTX.tx_id)),
    "not": unop("NOT", BOOL, BOOL, True, False),
    "add_int": binop("ADD_INT", (INT, INT), INT, 2, 3, 5),
    "add_int overflow": binop("ADD_INT", (INT, INT), INT, 2**255 - 1, 1, Abort("overflow", "overflow")),
    "sub_int": binop("SUB_INT", (INT, INT), INT, 2, 3, -1),
    "mul_int": binop("MUL_INT", (INT, INT), INT, -4, 3, -12),
    "mul_int overflow": binop("MUL_INT", (INT, INT), INT, 2**200, 2**60, Abort("overflow", "overflow")),
    "floordiv_int": binop("FLOORDIV_INT", (INT, INT), INT, -7, 2, -4),
    "floordiv_int by zero": binop("FLOORDIV_INT", (INT, INT), INT, 7, 0, Abort("division by zero", "division-by-zero")),
    "mod_int": binop("MOD_INT", (INT, INT), INT, -7, 3, 2),
    "div_int": binop("DIV_INT", (INT, INT), DEC, 7, 2, d("3.5")),
    "neg_int": unop("NEG_INT", INT, INT, 5, -5),
    "int_to_dec": unop("INT_TO_DEC", INT, DEC, 3, d("3")),
    "add_dec": binop("ADD_DEC", (DEC, DEC), DEC, d("1.25"), d("0.5"), d("1.75")),
    "sub_dec": binop("SUB_DEC", (DEC, DEC), DEC, d("1.25"), d("0.5"), d("0.75")),
    "mul_dec": binop("MUL_DEC", (DEC, DEC), DEC, d("1.5"), d("2.25"), d("3.375")),
    "div_dec": binop("DIV_DEC", (DEC, DEC), DEC, d("1"), d("3"), d("0.333333333333333333")),
    "neg_dec": unop("NEG_DEC", DEC, DEC, d("1.5"), d("-1.5")),
    "add_pct": binop("ADD_PCT", (PCT, PCT), PCT, parse_percent_literal("20"), parse_percent_literal("5"),
                     parse_percent_literal("25")),
    "sub_pct": binop("SUB_PCT", (PCT, PCT), PCT, parse_percent_literal("20"), parse_percent_literal("5"),
                     parse_percent_literal("15")),
    "mul_pct": binop("MUL_PCT", (PCT, PCT), PCT, parse_percent_literal("20"), parse_percent_literal("50"),
                     parse_percent_literal("10")),
    "mul_pct_int": binop("MUL_PCT_INT", (PCT, INT), PCT, parse_percent_literal("20"), 3, parse_percent_literal("60")),
    "mul_pct_dec": binop("MUL_PCT_DEC", (PCT, DEC), PCT, parse_percent_literal("20"), d("0.5"),
                         parse_percent_literal("10")),
    "neg_pct": unop("NEG_PCT", PCT, PCT, parse_percent_literal("20"), -parse_percent_literal("20")),
    "add_money": binop("ADD_MONEY", (MONEY, MONEY), MONEY, cny(150), cny(275), cny(425)),
    "add_money mismatch": binop("ADD_MONEY", (MONEY, MONEY), MONEY, cny(1), Money("USD", 1),
                                Abort("currency mismatch", "currency-mismatch")),
    "sub_money": binop("SUB_MONEY", (MONEY, MONEY), MONEY, cny(150), cny(275), cny(-125)),
    "neg_money": unop("NEG_MONEY", MONEY, MONEY, cny(150), cny(-150)),
    "mul_money_int": binop("MUL_MONEY_INT", (MONEY, INT), MONEY, cny(150), 3, cny(450)),
    "mul_money_dec": binop("MUL_MONEY_DEC", (MONEY, DEC), MONEY, cny(101), d("0.5"), cny(51)),  # 50.5 fen: half up
    "mul_money_pct": binop("MUL_MONEY_PCT", (MONEY, PCT), MONEY, cny(100_000), parse_percent_literal("80"),
                           cny(80_000)),
    "div_money_int": binop("DIV_MONEY_INT", (MONEY, INT), MONEY, cny(100), 3, cny(33)),
    "div_money_int by zero": binop("DIV_MONEY_INT", (MONEY, INT), MONEY, cny(100), 0,
                                   Abort("division by zero", "division-by-zero")),
    "div_money_dec": binop("DIV_MONEY_DEC", (MONEY, DEC), MONEY, cny(100), d("0.5"), cny(200)),
    "div_money": binop("DIV_MONEY", (MONEY, MONEY), DEC, cny(100), cny(400), d("0.25")),
    "add_date_dur": binop("ADD_DATE_DUR", (DATE, DUR), DATE, day("2024-02-28"), 2, day("2024-03-01")),
    "sub_date_dur": binop("SUB_DATE_DUR", (DATE, DUR), DATE, day("2024-03-01"), 2, day("2024-02-28")),
    "sub_date": binop("SUB_DATE", (DATE, DATE), DUR, day("2024-03-01"), day("2024-02-28"), 2),
    "add_dur": binop("ADD_DUR", (DUR, DUR), DUR, 3, 4, 7),
    "sub_dur": binop("SUB_DUR", (DUR, DUR), DUR, 3, 4, -1),
    "mul_dur_int": binop("MUL_DUR_INT", (DUR, INT), DUR, 7, 2, 14),
    "neg_dur": unop("NEG_DUR", DUR, DUR, 7, -7),
    "add_months": binop("ADD_MONTHS", (DATE, INT), DATE, day("2024-01-31"), 1, day("2024-02-29")),
    "days_between": binop("DAYS_BETWEEN", (DATE, DATE), INT, day("2024-01-01"), day("2024-03-01"), 60),
    "year": unop("YEAR", DATE, INT, day("2024-03-01"), 2024),
    "month": unop("MONTH", DATE, INT, day("2024-03-01"), 3),
    "day": unop("DAY", DATE, INT, day("2024-03-01"), 1),
    "concat": Case([("LOAD", 0), ("LOAD", 1), ("CONCAT", 2), ("RET",)], (TEXT, TEXT), TEXT, (("保", "单"), "保单")),
    "text_len": unop("TEXT_LEN", TEXT, INT, "保单 P1", 5),
    "text_contains": binop("TEXT_CONTAINS", (TEXT, TEXT), BOOL, "lic", "policy", True),
    "to_text": unop("TO_TEXT", MONEY, TEXT, cny(20000), "200.00 CNY", pool=(MONEY,)),
    "eq int": binop("EQ", (INT, INT), BOOL, 3, 3, True, pool=(INT,)),
    "ne text": binop("NE", (TEXT, TEXT), BOOL, "a", "b", True, pool=(TEXT,)),
    "lt text": binop("LT", (TEXT, TEXT), BOOL, "Z", "a", True, pool=(TEXT,)),
    "le money": binop("LE", (MONEY, MONEY), BOOL, cny(5), cny(5), True, pool=(MONEY,)),
    "gt date": binop("GT", (DATE, DATE), BOOL, day("2024-01-02"), day("2024-01-01"), True, pool=(DATE,)),
    "ge money": binop("GE", (MONEY, MONEY), BOOL, cny(4), cny(5), False, pool=(MONEY,)),
    "eq money mismatch": binop("EQ", (MONEY, MONEY), BOOL, cny(4), Money("USD", 4),
                               Abort("currency mismatch", "currency-mismatch"), pool=(MONEY,)),
    "eq list": binop("EQ", (LINT, LINT), BOOL, (1, 2), (1, 2), True, pool=(LINT,)),
    "lt party": binop("LT", (PARTY, PARTY), BOOL, Party("A", "z", "z"), Party("B", "a", "a"), True, pool=(PARTY,)),
    "eq record": binop("EQ", (ITEM, ITEM), BOOL, ("a", 1), ("a", 1), True, pool=(ITEM,)),
    "eq enum": binop("EQ", (T.EnumType("Color"), T.EnumType("Color")), BOOL, 0, 1, False,
                     pool=(T.EnumType("Color"),)),
    "min": binop("MIN", (INT, INT), INT, 3, -4, -4, pool=(INT,)),
    "max money": binop("MAX", (MONEY, MONEY), MONEY, cny(3), cny(4), cny(4), pool=(MONEY,)),
    "abs int": unop("ABS", INT, INT, -4, 4, pool=(INT,)),
    "abs money": unop("ABS", MONEY, MONEY, cny(-4), cny(4), pool=(MONEY,)),
    "round": binop("ROUND", (DEC, INT), DEC, d("2.25"), 1, d("2.3"), pool=(DEC,)),
    "round_even": binop("ROUND_EVEN", (DEC, INT), DEC, d("2.25"), 1, d("2.2"), pool=(DEC,)),
    "floor_dec": unop("FLOOR_DEC", DEC, INT, d("-2.5"), -3),
    "ceil_dec": unop("CEIL_DEC", DEC, INT, d("2.1"), 3),
    "sum": unop("SUM", LINT, INT, (1, 2, 3), 6, pool=(INT,)),
    "sum empty money": unop("SUM", T.ListType(MONEY), MONEY, (), Abort("empty sum", "empty-sum"), pool=(MONEY,)),
    "sum_start": binop("SUM_START", (T.ListType(MONEY), MONEY), MONEY, (cny(1), cny(2)), cny(10), cny(13),
                       pool=(MONEY,)),
    "hash_sm3": unop("HASH_SM3", TEXT, HASH, "abc", sm3(b"abc"), pool=(TEXT,)),
    "hash_sha256": unop("HASH_SHA256", TEXT, HASH, "abc", hashlib.sha256(b"abc").digest(), pool=(TEXT,)),
    "make_list/list_get": Case([("LOAD", 0), ("LOAD", 1), ("MAKE_LIST", 0, 2), ("CONST", 0), ("LIST_GET", 0),
                                ("RET",)], (INT, INT), INT, ((4, 5), 5), consts=(C(INT, 1),), pool=(LINT,)),
    "list_get out of range": binop("LIST_GET", (LINT, INT), INT, (1, 2), 2,
                                   Abort("index out of range", "index-out-of-range"), pool=(LINT,)),
    "list_get negative": binop("LIST_GET", (LINT, INT), INT, (1, 2), -1,
                               Abort("index out of range", "index-out-of-range"), pool=(LINT,)),
    "list_set": Case([("LOAD", 0), ("CONST", 0), ("CONST", 1), ("LIST_SET", 0), ("RET",)], (LINT,), LINT,
                     (((1, 2, 3),), (1, 9, 3)), consts=(C(INT, 1), C(INT, 9)), pool=(LINT,)),
    "list_append": binop("LIST_APPEND", (LINT, INT), LINT, (1,), 2, (1, 2), pool=(LINT,)),
    "list_len": unop("LIST_LEN", LINT, INT, (1, 2, 3), 3, pool=(LINT,)),
    "list_contains": Case([("LOAD", 1), ("LOAD", 0), ("LIST_CONTAINS", 0), ("RET",)], (LINT, INT), BOOL,
                          [(((1, 2), 2), True), (((1, 2), 5), False)], pool=(LINT,)),
    "list_min": unop("LIST_MIN", LINT, INT, (3, 1, 2), 1, pool=(INT,)),
    "list_max empty": unop("LIST_MAX", LINT, INT, (), Abort("empty list", "empty-sum"), pool=(INT,)),
    "make_map/map_get": Case([("CONST", 0), ("LOAD", 0), ("CONST", 1), ("CONST", 2), ("MAKE_MAP", 0, 2),
                              ("CONST", 1), ("MAP_GET", 0), ("RET",)], (INT,), INT, ((7,), 8),
                             consts=(C(TEXT, "a"), C(TEXT, "b"), C(INT, 8)), pool=(MTI,)),
    "map_get missing": binop("MAP_GET", (MTI, TEXT), INT, {"a": 1}, "P9",
                             Abort('key not found: "P9"', "key-not-found"), pool=(MTI,)),
    "map_get_or": Case([("LOAD", 0), ("LOAD", 1), ("CONST", 0), ("MAP_GET_OR", 0), ("RET",)], (MTI, TEXT), INT,
                       [(({"a": 1}, "a"), 1), (({"a": 1}, "b"), 0)], consts=(C(INT, 0),), pool=(MTI,)),
    "map_set": Case([("LOAD", 0), ("CONST", 0), ("CONST", 1), ("MAP_SET", 0), ("RET",)], (MTI,), MTI,
                    (({"a": 1},), {"a": 1, "b": 2}), consts=(C(TEXT, "b"), C(INT, 2)), pool=(MTI,)),
    "map_delete": binop("MAP_DELETE", (MTI, TEXT), MTI, {"a": 1, "b": 2}, "a", {"b": 2}, pool=(MTI,)),
    "map_delete missing": binop("MAP_DELETE", (MTI, TEXT), MTI, {"a": 1}, "z",
                                Abort('key not found: "z"', "key-not-found"), pool=(MTI,)),
    "map_has": Case([("LOAD", 1), ("LOAD", 0), ("MAP_HAS", 0), ("RET",)], (MTI, TEXT), BOOL,
                    [(({"a": 1}, "a"), True), (({"a": 1}, "b"), False)], pool=(MTI,)),
    "map_len": unop("MAP_LEN", MTI, INT, {"a": 1, "b": 2}, 2, pool=(MTI,)),
    "map_keys": unop("MAP_KEYS", MTI, LTEXT, {"b": 1, "a": 2, "B": 3}, ("B", "a", "b"), pool=(MTI,)),
    "make_record/field/set_field": Case(
        [("LOAD", 0), ("CONST", 0), ("MAKE_RECORD", 0), ("CONST", 1), ("SET_FIELD", 0, 1), ("DUP",), ("FIELD", 0, 1),
         ("SWAP",), ("FIELD", 0, 0), ("TEXT_LEN",), ("ADD_INT",), ("RET",)], (TEXT,), INT, (("abc",), 12),
        consts=(C(INT, 2), C(INT, 9)), pool=(ITEM,)),
    "none/is_none": Case([("NONE", 0), ("IS_NONE", 0), ("RET",)], (), BOOL, ((), True), pool=(OINT,)),
    "some/is_none": Case([("LOAD", 0), ("SOME", 0), ("IS_NONE", 0), ("RET",)], (INT,), BOOL, ((0,), False),
                         pool=(OINT,)),
    "unwrap": unop("UNWRAP", OINT, INT, 0, 0, pool=(OINT,)),
    "unwrap none": unop("UNWRAP", OINT, INT, None, Abort("none where a value is needed", "invalid-value"),
                        pool=(OINT,)),
}


def _outcome(machine_cls, case, args):
    machine = machine_cls(verify(case.module()))
    try:
        return machine.call("run", args, CTX, MemoryHost(), 10**6).value
    except Abort as exc:
        return exc


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("machine_cls", [Machine, ReferenceMachine], ids=["jit", "reference"])
def test_opcode(name, machine_cls):
    case = CASES[name]
    for args, expect in case.runs:
        got = _outcome(machine_cls, case, args)
        if isinstance(expect, Abort):
            assert isinstance(got, Abort), f"{name}{args}: expected an abort, got {got!r}"
            assert got.kind == expect.kind and expect.message in got.message, (name, got)
        else:
            assert got == expect and type(got) is type(expect), f"{name}{args}: {got!r} != {expect!r}"


def test_every_opcode_has_a_case():
    used = {ins.op.name for case in CASES.values() for f in case.module().functions
            for ins in decode_instructions(f.code)}
    state_and_events = {"SLOAD", "SSTORE", "SADD", "SSUB", "MLOAD", "MHAS", "MGET", "MSTORE", "MDELETE", "MADD",
                        "MSUB", "MLEN", "EMIT"}  # exercised with a ledger in runtime/test_state.py
    missing = {op.name for op in OPCODES} - used - state_and_events
    assert not missing, f"opcodes without a case: {sorted(missing)}"
