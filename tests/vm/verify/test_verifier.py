"""The verifier rejects each class of bad module with a message naming what is wrong, and
never raises anything but VerifyError."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, strategies as st

from vm.errors import VerifyError
from vm.module import (
    Constant, Entry, EventDef, Function, Lifecycle, Module, Param, StateVar, Transition, encode_module,
)
from vm.opcodes import BY_NAME, encode_instruction as I
from vm.types import BOOL, INT, MONEY, TEXT, EnumType, ListType, MapType, RecordType, TypeTable
from vm.values import Money
from vm.verify import MAX_STACK, verify

STATUS = EnumType("Status")
POLICY = RecordType("Policy")
TYPES = TypeTable({"Policy": (("holder", TEXT), ("status", STATUS))}, {"Status": ("Active", "Closed")})
CONSTS = (Constant(INT, 1), Constant(TEXT, "boom"), Constant(MONEY, Money("CNY", 100)), Constant(BOOL, True),
          Constant(STATUS, 1))
POOL = (INT, ListType(INT), MapType(TEXT, INT), POLICY, MONEY, TEXT)
STATE = (StateVar(0, "total", MONEY), StateVar(1, "counts", MapType(TEXT, INT)), StateVar(2, "policies",
         MapType(TEXT, POLICY)))


def asm(*items) -> bytes:
    """Assemble ("NAME", operands...) tuples; a bare string is a label, and a string operand of
    a jump names one."""
    offsets, pos = {}, 0
    for it in items:
        if isinstance(it, str):
            offsets[it] = pos
        else:
            pos += BY_NAME[it[0]].size
    return b"".join(I(it[0], *(offsets[o] if isinstance(o, str) else o for o in it[1:]))
                    for it in items if not isinstance(it, str))


def module(*code: bytes, returns=INT, params=(), locals_=(), functions=(), entries=None, **changes) -> Module:
    f = Function("f", tuple(Param(f"p{i}", t) for i, t in enumerate(params)), returns,
                 tuple(params) + tuple(locals_), b"".join(code))
    m = Module("contract", "C", "", ("insurer",), TYPES, STATE, (EventDef("Paid", (Param("amount", MONEY),)),),
               (Lifecycle("Policy", 1, "Status", 0, (Transition((0,), 1, ("insurer",)),)),),
               (f, *functions), (Entry("f", "action", 0, ("insurer",), False),) if entries is None else entries,
               CONSTS, POOL)
    return dataclasses.replace(m, **changes)


def rejects(m: Module | bytes, message: str) -> None:
    with pytest.raises(VerifyError, match=message):
        verify(m)


def test_a_small_function_passes_with_its_blocks() -> None:
    # if p0 < 1: return 1 else: return p0 + 1
    code = asm(("LOAD", 0), ("CONST", 0), ("LT", 0), ("JUMP_IF_FALSE", "else"), ("CONST", 0), ("RET",),
               "else", ("LOAD", 0), ("CONST", 0), ("ADD_INT",), ("RET",))
    v = verify(module(code, params=(INT,)))
    vf = v.functions[0]
    assert [b.start for b in vf.blocks] == [0, 14, 18]
    assert vf.blocks[0].successors == (18, 14)
    assert vf.max_stack == 2 and not vf.writes_state
    assert v.encoded == encode_module(v.module) and len(v.id) == 64


def test_bytes_and_module_verify_alike() -> None:
    m = module(I("CONST", 0), I("RET"))
    assert verify(encode_module(m)).module == verify(m).module


def test_unknown_opcode() -> None:
    rejects(module(b"\xff"), r"function f: unknown opcode 0xff at offset 0")


def test_truncated_instruction() -> None:
    rejects(module(I("CONST", 0)[:2]), "cut off")


def test_jump_into_the_middle_of_an_instruction() -> None:
    rejects(module(I("JUMP", 6), I("CONST", 0), I("RET")), "jump target 6 is not an instruction boundary")


def test_jump_outside_the_function() -> None:
    rejects(module(I("JUMP", 100)), "jump target 100")


def test_falling_off_the_end() -> None:
    rejects(module(I("CONST", 0), returns=None), "fall off the end")
    rejects(module(I("CONST", 3), I("JUMP_IF_TRUE", 0), returns=None), "fall off the end")
    rejects(module(returns=None), "empty code")


def test_stack_underflow() -> None:
    rejects(module(I("ADD_INT"), I("RET")), r"at offset 0: ADD_INT: stack underflow")


def test_wrong_type_on_the_stack() -> None:
    rejects(module(I("CONST", 2), I("CONST", 0), I("ADD_INT"), I("RET")), "ADD_INT: expected Int on the stack, found Money")


def test_wrong_return_type() -> None:
    rejects(module(I("CONST", 1), I("RET")), "RET: expected Int on the stack, found Text")
    rejects(module(I("RET_VOID")), "RET_VOID in a function returning Int")
    rejects(module(I("CONST", 0), I("RET"), returns=None), "RET in a function without a return type")


def test_stack_heights_must_agree_at_a_join() -> None:
    code = asm(("CONST", 3), ("JUMP_IF_TRUE", "j"), ("CONST", 0), "j", ("CONST", 0), ("RET",))
    rejects(module(code), "stack differs between paths")


def test_stack_types_must_agree_at_a_join() -> None:
    # one path pushes an Int, the other a Text, both reach the RET block
    code = asm(("CONST", 3), ("JUMP_IF_TRUE", "t"), ("CONST", 0), ("JUMP", "j"), "t", ("CONST", 1), "j", ("RET",))
    rejects(module(code), "stack differs between paths")


def test_stack_depth_limit() -> None:
    code = [I("CONST", 0)] * (MAX_STACK + 1) + [I("RET")]
    rejects(module(*code), f"stack deeper than {MAX_STACK}")


def test_index_operands_in_range() -> None:
    rejects(module(I("CONST", 99), I("RET")), "constant index 99 out of range")
    rejects(module(I("LOAD", 5), I("RET")), "local index 5 out of range")
    rejects(module(I("CALL", 9), I("RET")), "function index 9 out of range")
    rejects(module(I("TO_TEXT", 40), I("RET")), "type index 40 out of range")
    rejects(module(I("SLOAD", 7), I("RET")), "state variable index 7 out of range")
    rejects(module(I("CONST", 2), I("EMIT", 3), I("RET_VOID"), returns=None), "event index 3 out of range")
    rejects(module(I("CONST", 1), I("FIELD", 3, 5), I("RET")), "record Policy has no field 5")


def test_type_operand_must_fit_the_opcode() -> None:
    rejects(module(I("CONST", 0), I("LIST_LEN", 0), I("RET")), "LIST_LEN: type operand is Int, expected a List type")
    rejects(module(I("CONST", 2), I("SADD", 1), I("RET")), "SADD: state variable counts")
    rejects(module(I("CONST", 1), I("MLOAD", 0), I("RET")), "MLOAD: state variable total is Money, expected a Map")


def test_local_read_before_store() -> None:
    rejects(module(I("LOAD", 0), I("RET"), locals_=(INT,)), "LOAD of local 0 before it is stored")
    # stored on one branch only
    code = asm(("CONST", 3), ("JUMP_IF_TRUE", "j"), ("CONST", 0), ("STORE", 0), "j", ("LOAD", 0), ("RET",))
    rejects(module(code, locals_=(INT,)), "before it is stored")


def test_local_stored_on_every_path_may_be_read() -> None:
    code = asm(("CONST", 3), ("JUMP_IF_TRUE", "t"), ("CONST", 0), ("STORE", 0), ("JUMP", "j"),
               "t", ("CONST", 0), ("STORE", 0), "j", ("LOAD", 0), ("RET",))
    verify(module(code, locals_=(INT,)))


def test_loop_back_edge_must_keep_stored_locals() -> None:
    ok = asm(("CONST", 0), ("STORE", 0), "loop", ("LOAD", 0), ("STORE", 1), ("CONST", 3),
             ("JUMP_IF_TRUE", "loop"), ("LOAD", 1), ("RET",))
    verify(module(ok, locals_=(INT, INT)))
    # a path into the loop that skips the store of local 1, which the loop head then reads
    bad = asm(("CONST", 3), ("JUMP_IF_TRUE", "skip"), ("CONST", 0), ("STORE", 1), "skip",
              "loop", ("CONST", 0), ("STORE", 0), ("CONST", 3), ("JUMP_IF_TRUE", "loop"), ("LOAD", 1), ("RET",))
    rejects(module(bad, locals_=(INT, INT)), "before it is stored")


def test_store_type_must_match_the_local() -> None:
    rejects(module(I("CONST", 1), I("STORE", 0), I("CONST", 0), I("RET"), locals_=(INT,)),
            "STORE: expected Int on the stack, found Text")


def test_call_checks_argument_types() -> None:
    g = Function("g", (Param("x", MONEY),), INT, (MONEY,), I("CONST", 0) + I("RET"))
    rejects(module(I("CONST", 0), I("CALL", 1), I("RET"), functions=(g,)), "CALL: expected Money on the stack, found Int")
    verify(module(I("CONST", 2), I("CALL", 1), I("RET"), functions=(g,)))


def test_operand_values_are_checked() -> None:
    rejects(module(I("CALLER"), I("PARTY_FIELD", 3), I("RET")), "PARTY_FIELD: field must be")
    rejects(module(I("CONST", 1), I("FAIL", 2), returns=None), "FAIL: kind must be")
    rejects(module(I("CONCAT", 0), I("RET")), "CONCAT of no texts")


def test_views_may_not_write() -> None:
    code = [I("CONST", 2), I("SADD", 0), I("RET_VOID")]
    rejects(module(*code, returns=None, entries=(Entry("f", "view", 0, (), True),)), "view f: its code writes")
    g = Function("g", (), None, (), b"".join(code))
    rejects(module(I("CALL", 1), I("RET_VOID"), returns=None, functions=(g,),
                   entries=(Entry("f", "view", 0, (), True),)), "view f")


def test_declarations_are_checked() -> None:
    rejects(module(I("CONST", 0), I("RET"), entries=(Entry("f", "action", 4, (), True),)), "function index 4")
    rejects(module(I("CONST", 0), I("RET"), entries=(Entry("f", "action", 0, ("pirate",), False),)), "role pirate")
    rejects(module(I("CONST", 0), I("RET"), entries=(Entry("f", "launch", 0, (), True),)), "unknown kind")
    rejects(module(I("CONST", 0), I("RET"), state=(StateVar(1, "x", INT),)), "has index 1, expected 0")
    rejects(module(I("CONST", 0), I("RET"), state=(StateVar(0, "x", RecordType("Nope")),)), "unknown record Nope")
    rejects(module(I("CONST", 0), I("RET"), state=(StateVar(0, "x", MapType(ListType(INT), INT)),)), "cannot be a map key")
    rejects(module(I("CONST", 0), I("RET"), constants=(Constant(STATUS, 7),)), "enum Status has no value 7")
    rejects(module(I("CONST", 0), I("RET"), constants=(Constant(MONEY, Money("XXX", 1)),)), "unknown currency")
    rejects(module(I("CONST", 0), I("RET"), constants=(Constant(INT, 2**255),)), "out of range")
    rejects(module(I("CONST", 0), I("RET"), events=(EventDef("E", ()), EventDef("E", ()))), "event 'E' is declared twice")
    rejects(module(I("CONST", 0), I("RET"), lifecycles=(Lifecycle("Policy", 0, "Status", None, ()),)),
            "field 0 is not of enum Status")
    rejects(module(I("CONST", 0), I("RET"), lifecycles=(Lifecycle("Policy", 1, "Status", 5, ()),)),
            "enum value out of range")


def test_parameters_must_open_the_locals() -> None:
    f = Function("f", (Param("a", INT),), INT, (TEXT,), I("CONST", 0) + I("RET"))
    rejects(module(functions=(), entries=(), **{}).__class__(**{**_fields(module(I("RET"))), "functions": (f,)}),
            "first locals must be the parameters")


def test_local_names_cover_every_slot_or_none() -> None:
    f = Function("f", (), INT, (INT, INT), I("CONST", 0) + I("RET"), "", ("x",))
    rejects(dataclasses.replace(module(I("RET")), functions=(f,), entries=()), "1 local names for 2 locals")
    verify(dataclasses.replace(module(I("RET")), functions=(dataclasses.replace(f, local_names=("x", "")),),
                               entries=()))


def _fields(m: Module) -> dict:
    return {f.name: getattr(m, f.name) for f in dataclasses.fields(m)}


def test_records_may_not_contain_themselves() -> None:
    a_b = TypeTable({"A": (("b", RecordType("B")),), "B": (("a", RecordType("A")),)}, {"Status": ("On",)})
    rejects(module(I("CONST", 0), I("RET"), types=a_b, lifecycles=(), state=(), constants=(Constant(INT, 1),),
                   type_pool=()),
            "contains itself")
    via_list = TypeTable({"A": (("xs", ListType(RecordType("A"))),)}, {"Status": ("On",)})
    verify(module(I("CONST", 0), I("RET"), types=via_list, lifecycles=(), state=(), constants=(Constant(INT, 1),),
                  type_pool=()))


def test_type_nesting_limit() -> None:
    t = INT
    for _ in range(20):
        t = ListType(t)
    rejects(module(I("CONST", 0), I("RET"), type_pool=(t,)), "nested")


@given(st.binary(max_size=300))
def test_random_bytes_raise_only_verify_error(junk: bytes) -> None:
    with pytest.raises(VerifyError):
        verify(junk)


@given(st.lists(st.sampled_from(sorted(__import__("vm.opcodes", fromlist=["BY_CODE"]).BY_CODE)), max_size=12),
       st.binary(max_size=40))
def test_random_code_raises_only_verify_error(opcodes: list[int], tail: bytes) -> None:
    # Mostly valid opcode bytes with junk operands: exercises the type and flow checks.
    code = bytearray()
    for i, c in enumerate(opcodes):
        code.append(c)
        code += tail[i:i + 2]
    try:
        verify(module(bytes(code), locals_=(INT, TEXT)))
    except VerifyError:
        pass


# ---------------------------------------------------------------------------------------------
# Mutation fuzz over a compiled contract: whatever the damage, the verifier answers with
# VerifyError or accepts a module that is still well-typed (the disassembler and, when it is
# there, the machine's translator take it).

_COMPILED: list = []


def _compiled() -> Module:
    if not _COMPILED:
        from dsl.pipeline import Compilation

        _COMPILED.append(Compilation.from_file("contracts/health.bao").module)
    return _COMPILED[0]


@given(st.data())
def test_mutated_encodings_raise_only_verify_error(data) -> None:
    b = bytearray(encode_module(_compiled()))
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, len(b) - 1))
        b[pos] = data.draw(st.integers(0, 255))
    try:
        verify(bytes(b))
    except VerifyError:
        pass


@given(st.data())
def test_mutated_code_is_rejected_or_still_safe(data) -> None:
    # Instruction-level damage (another opcode of the same shape, a small operand, two
    # instructions of one size swapped) gets past decoding and exercises the type and flow checks.
    from vm.opcodes import OPCODES, decode_instructions

    shapes: dict = {}
    for op in OPCODES:
        shapes.setdefault(op.operands, []).append(op.name)
    m = _compiled()
    ix = data.draw(st.integers(0, len(m.functions) - 1))
    f = m.functions[ix]
    out = [[i.op.name, list(i.operands)] for i in decode_instructions(f.code)]
    for _ in range(data.draw(st.integers(1, 3))):
        j = data.draw(st.integers(0, len(out) - 1))
        name, ops = out[j]
        how = data.draw(st.sampled_from(["opcode", "operand", "swap"]))
        if how == "opcode":
            out[j][0] = data.draw(st.sampled_from(shapes[BY_NAME[name].operands]))
        elif how == "operand" and ops:
            ops[data.draw(st.integers(0, len(ops) - 1))] = data.draw(st.integers(0, 12))
        else:
            k = data.draw(st.integers(0, len(out) - 1))
            if BY_NAME[out[k][0]].size == BY_NAME[name].size:
                out[j], out[k] = out[k], out[j]
    code = b"".join(I(name, *ops) for name, ops in out)
    functions = list(m.functions)
    functions[ix] = dataclasses.replace(f, code=code)
    try:
        v = verify(dataclasses.replace(m, functions=tuple(functions)))
    except VerifyError:
        return
    from vm.disasm import disassemble

    disassemble(v.module)
    try:
        from vm.runtime import Machine
    except ImportError:
        return
    Machine(v)  # the translator takes every module the verifier accepts


def test_size_limits() -> None:
    from vm.module import MAX_MODULE_BYTES, MAGIC
    from vm.verify import MAX_CODE_BYTES, MAX_FUNCTIONS, MAX_LOCALS

    rejects(MAGIC + b"\x01" + bytes(MAX_MODULE_BYTES), "the limit is")
    rejects(module(I("RET_VOID") * (MAX_CODE_BYTES + 1), returns=None), f"limit {MAX_CODE_BYTES}")
    rejects(module(I("CONST", 0), I("RET"), locals_=(INT,) * (MAX_LOCALS + 1)), f"limit {MAX_LOCALS}")
    g = Function("g", (), None, (), I("RET_VOID"))
    many = tuple(dataclasses.replace(g, name=f"g{i}") for i in range(MAX_FUNCTIONS))
    rejects(module(I("CONST", 0), I("RET"), functions=many), "too many functions")


_RICH_BODY = """
let xs = [3.00 CNY, 1.50 CNY]
let n = 0
for i in range(0, 4):
    n += i * 2 - 1
for k, v in {"b": 2, "a": 1}:
    n = n + v + len(k)
let r = R(name: "x", tags: ["a"], amt: 2.00 CNY)
r.tags.append("b")
m[text(n)] = r
m[text(n)].amt += 1.00 CNY
total += min(xs) * 50%
let d = add_months(2024-01-31, n) + 3 days
let s = "{n} {r} {d} {sum(xs)} {round(1.25, 1)} {floor(-1.5)} {sm3(r.name)} {caller.org}"
require n > 3 and not (n == 100) or s == "", "bad {n}"
return s + text(total) + text(len(m)) + text(n / 3) + text(1.5 * n)
"""
_RICH: list = []


def _rich() -> Module:
    if not _RICH:
        from dsl.pipeline import Compilation

        src = ("contract T\nparties a\nrecord R:\n    name: Text\n    tags: List[Text]\n    amt: Money\n"
               "state:\n    m: Map[Text, R]\n    total: Money = 0.00 CNY\naction f() -> Text by a:\n"
               + "".join(f"    {line}\n" for line in _RICH_BODY.strip().splitlines()))
        _RICH.append(Compilation(src).module)
    return _RICH[0]


@given(st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["opcode", "operand"]), st.integers(0, 29)),
                min_size=1, max_size=3))
def test_accepted_mutants_run_without_internal_faults(damage) -> None:
    # What the verifier accepts, the machine runs to a result or a contract-level abort: never a
    # Python error inside generated code (which the machine would report as an internal fault).
    import vm.runtime as machine_mod
    from vm.errors import Abort
    from vm.runtime import CallContext, MemoryHost
    from vm.opcodes import OPCODES, decode_instructions
    from vm.values import Party

    shapes: dict = {}
    for op in OPCODES:
        shapes.setdefault(op.operands, []).append(op.name)
    m = _rich()
    ix = m.function_index("f")
    out = [[i.op.name, list(i.operands)] for i in decode_instructions(m.functions[ix].code)]
    for where, how, value in damage:
        name, ops = out[where % len(out)]
        if how == "opcode":
            choices = shapes[BY_NAME[name].operands]
            out[where % len(out)][0] = choices[value % len(choices)]
        elif ops:
            ops[value % len(ops)] = value
    functions = list(m.functions)
    functions[ix] = dataclasses.replace(functions[ix], code=b"".join(I(n, *o) for n, o in out))
    try:
        v = verify(dataclasses.replace(m, functions=tuple(functions)))
    except VerifyError:
        return
    machine = machine_mod.Machine(v)
    ctx = CallContext(Party("o", "i", "a"), 0, bytes(32))
    host = MemoryHost()
    try:
        host.apply(machine.deploy((), ctx, host, 10**6).writes)
        machine.call("f", (), ctx, host, 10**6)
    except Abort as exc:
        assert "internal" not in exc.message, exc.message
