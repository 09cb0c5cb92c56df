"""The translator against the reference interpreter on random programs, and its control flow.

Programs are drawn at the bytecode level (so shapes the compiler never emits are covered too):
integer expressions with DUP and SWAP, values left on the stack across branches, optional Ints
(`none` or a value, tested and unwrapped, or unwrapped unguarded), `if`/`else`,
short-circuit `and`, `require`, early returns and nested counted loops. Both machines must agree
on the value or the abort, and on the gas of every completed call.
"""

from __future__ import annotations

from hypothesis import given, strategies as st

from dsl.pipeline import Compilation
from vm import types as T
from vm.errors import Abort
from vm.runtime import MemoryHost
from vm.runtime.interpreter import ReferenceMachine, hand_module
from vm.runtime import Machine
from vm.module import Constant
from vm.verify import verify
from tests.vm.conftest import CTX

CONSTS = (0, 1, 2, 3, -1, 7, 100, 2**254, -(2**254), 2**255 - 1)  # the last three overflow easily
TOP = len(CONSTS) - 1
TEXT_AT = len(CONSTS)
PARAMS, SCRATCH = 3, 3  # Int parameters l0..l2, scratch locals l3..l5; loop counters follow
MAX_LOOPS = 2
COMPARES = ("EQ", "NE", "LT", "LE", "GT", "GE")


class ProgramDraw:
    def __init__(self, draw):
        self.draw = draw
        self.out: list = []
        self.labels = 0
        self.loops = 0

    def label(self) -> str:
        self.labels += 1
        return f"L{self.labels}"

    def expr(self, depth: int) -> None:
        choice = self.draw(st.integers(0, 8 if depth > 0 else 1))
        if choice == 0:
            self.out.append(("CONST", self.draw(st.integers(0, len(CONSTS) - 1))))
        elif choice == 1:
            self.out.append(("LOAD", self.draw(st.integers(0, PARAMS + SCRATCH - 1))))
        elif choice in (2, 3):
            self.expr(depth - 1)
            self.expr(depth - 1)
            self.out.append((self.draw(st.sampled_from(
                ["ADD_INT", "SUB_INT", "MUL_INT", "FLOORDIV_INT", "MOD_INT"])),))
        elif choice == 4:
            self.expr(depth - 1)
            if self.draw(st.booleans()):
                self.out.append(("NEG_INT",))
            elif self.draw(st.booleans()):
                self.out.append(("ABS", 0))
            else:
                self.expr(depth - 1)
                self.out.append((self.draw(st.sampled_from(["MIN", "MAX"])), 0))
        elif choice == 5:
            self.expr(depth - 1)
            self.out += [("DUP",), ("ADD_INT",)]
        elif choice == 6:
            self.expr(depth - 1)
            self.expr(depth - 1)
            self.out += [("SWAP",), ("SUB_INT",)]
        elif choice == 8:  # `x or else d` on an Int? (type 1), or an unwrap that may abort
            if self.draw(st.booleans()):
                self.out.append(("NONE", 1))
            else:
                self.expr(depth - 1)
                self.out.append(("SOME", 1))
            if self.draw(st.integers(0, 3)) == 0:
                self.out.append(("UNWRAP", 1))
                return
            has, end = self.label(), self.label()
            self.out += [("DUP",), ("IS_NONE", 1), ("JUMP_IF_FALSE", has), ("POP",)]
            self.expr(depth - 1)
            self.out += [("JUMP", end), has, ("UNWRAP", 1), end]
        else:  # `a if c else b`: a value crosses the branch on the stack
            other, end = self.label(), self.label()
            self.expr(depth - 1)  # something already on the stack below the conditional
            self.cond(depth - 1)
            self.out.append(("JUMP_IF_FALSE", other))
            self.expr(depth - 1)
            self.out += [("JUMP", end), other]
            self.expr(depth - 1)
            self.out += [end, ("ADD_INT",)]

    def cond(self, depth: int) -> None:
        choice = self.draw(st.integers(0, 2 if depth > 0 else 0))
        if choice == 0:
            self.expr(depth)
            self.expr(depth)
            self.out.append((self.draw(st.sampled_from(COMPARES)), 0))
        elif choice == 1:
            self.cond(depth - 1)
            self.out.append(("NOT",))
        else:  # a and b, short-circuit, the left value kept on the stack
            end = self.label()
            self.cond(depth - 1)
            self.out += [("DUP",), ("JUMP_IF_FALSE", end), ("POP",)]
            self.cond(depth - 1)
            self.out.append(end)

    def stmts(self, depth: int) -> None:
        for _ in range(self.draw(st.integers(1, 3))):
            self.stmt(depth)

    def stmt(self, depth: int) -> None:
        choice = self.draw(st.integers(-1, 4 if depth > 0 else 0))
        if choice == -1:  # x += 1 guarded by x < y (or, degenerate, by a test that guards nothing)
            x, y = (self.draw(st.integers(0, PARAMS + SCRATCH - 1)) for _ in range(2))
            skip, step = self.label(), self.label()
            if self.draw(st.booleans()):
                self.out += [("CONST", TOP), ("STORE", x)]
            self.out += [("LOAD", x), ("LOAD", y), ("LT", 0),
                         ("JUMP_IF_FALSE", self.draw(st.sampled_from([skip, step]))), step,
                         ("LOAD", x), ("CONST", 1), ("ADD_INT",), ("STORE", x), skip]
        elif choice == 0:
            self.expr(2)
            self.out.append(("STORE", self.draw(st.integers(0, PARAMS + SCRATCH - 1))))
        elif choice == 1:
            other, end = self.label(), self.label()
            self.cond(1)
            self.out.append(("JUMP_IF_FALSE", other))
            self.stmts(depth - 1)
            self.out += [("JUMP", end), other]
            self.stmts(depth - 1)
            self.out.append(end)
        elif choice == 2:  # require
            ok = self.label()
            self.cond(1)
            self.out += [("JUMP_IF_TRUE", ok), ("CONST", TEXT_AT), ("FAIL", 1), ok]
        elif choice == 3:  # early return
            skip = self.label()
            self.cond(1)
            self.out.append(("JUMP_IF_FALSE", skip))
            self.expr(1)
            self.out += [("RET",), skip]
        elif self.loops < MAX_LOOPS:
            counter = PARAMS + SCRATCH + self.loops
            carried = self.draw(st.booleans())  # a value stays on the stack through the loop
            if carried:
                self.expr(1)
            self.loops += 1
            head, done = self.label(), self.label()
            self.out += [("CONST", 0), ("STORE", counter), head, ("LOAD", counter),
                         ("CONST", self.draw(st.sampled_from([0, 1, 2, 3, 5]))), ("LT", 0),
                         ("JUMP_IF_FALSE", done)]
            self.stmts(depth - 1)
            self.out += [("LOAD", counter), ("CONST", 1), ("ADD_INT",), ("STORE", counter), ("JUMP", head), done]
            self.loops -= 1
            if carried:
                self.out.append(("STORE", self.draw(st.integers(0, PARAMS + SCRATCH - 1))))

    def program(self) -> list:
        for i in range(PARAMS, PARAMS + SCRATCH):
            self.out += [("CONST", 0), ("STORE", i)]
        self.stmts(3)
        self.expr(2)
        self.out.append(("RET",))
        return self.out


@st.composite
def programs(draw):
    return ProgramDraw(draw).program()


def module_of(program):
    consts = tuple(Constant(T.INT, c) for c in CONSTS) + (Constant(T.TEXT, "unmet"),)
    # CONST k pushes constant k: the loop bounds above index CONSTS (0, 1, 2, 3, and 7 for "5")
    return hand_module(program, (T.INT,) * PARAMS, T.INT, local_types=(T.INT,) * (SCRATCH + MAX_LOOPS),
                       constants=consts, type_pool=(T.INT, T.OptionalType(T.INT)))


def outcome(machine, args, gas, entry="run"):
    try:
        r = machine.call(entry, args, CTX, MemoryHost(), gas)
        return ("ok", r.value, r.gas_used)
    except Abort as exc:
        return ("abort", exc.kind, exc.message)


ARGS = st.tuples(*[st.integers(-50, 50) | st.sampled_from([0, 2**254, -(2**254), 2**255 - 1]) for _ in range(PARAMS)])


@given(programs(), ARGS)
def test_translator_agrees_with_reference(program, args):
    verified = verify(module_of(program))
    jit, ref = Machine(verified), ReferenceMachine(verified)
    assert outcome(jit, args, 10**7) == outcome(ref, args, 10**7)


@given(programs(), ARGS, st.integers(1, 400))
def test_gas_limits_end_calls_alike(program, args, gas):
    verified = verify(module_of(program))
    a, b = outcome(Machine(verified), args, gas), outcome(ReferenceMachine(verified), args, gas)
    if a[0] == "ok" or b[0] == "ok":
        assert a == b  # a completed call costs the same on both, and fits the limit on both
    elif a != b:
        # Both aborted. The translator charges a block's gas on entering it, the reference per
        # instruction: an abort inside a block that runs past the limit may read "out of gas"
        # on one side only. Anything else would be a real difference.
        assert "out-of-gas" in (a[1], b[1]), (a, b)


def test_dispatch_fallback_for_an_irreducible_graph():
    # Two entries into one loop: no `while` can express it, so the dispatch loop runs it.
    program = [("LOAD", 0), ("JUMP_IF_TRUE", "inside"),
               "head", ("LOAD", 1), ("CONST", 3), ("LT", 0), ("JUMP_IF_FALSE", "out"),
               "inside", ("LOAD", 1), ("CONST", 1), ("ADD_INT",), ("STORE", 1), ("JUMP", "head"),
               "out", ("LOAD", 1), ("RET",)]
    module = hand_module(program, (T.BOOL, T.INT), T.INT, constants=tuple(Constant(T.INT, c) for c in CONSTS),
                         type_pool=(T.INT,))
    verified = verify(module)
    jit = Machine(verified)
    assert jit.translation.structured == (False,)
    for args in [(True, 0), (False, 0), (True, 9), (False, 9)]:
        assert outcome(jit, args, 10_000) == outcome(ReferenceMachine(verified), args, 10_000)


def test_compiled_loops_and_conditions_are_structured():
    source = '''
contract Shapes

parties insurer

view shapes(n: Int, a: Bool, b: Bool) -> Int:
    let total = 0
    for i in range(0, n):
        if (i == 0 and a) or (i == n - 1 and b):
            total += 10
        elif i mod 2 == 0:
            total += 1
        else:
            require total < 1000, "too big"
            for j in range(0, i):
                total += j
    return total
'''
    verified = verify(Compilation(source).module)
    jit = Machine(verified)
    assert all(jit.translation.structured)
    for args in [(0, True, True), (5, True, False), (7, False, True), (12, True, True)]:
        assert outcome(jit, args, 10**6, "shapes") == outcome(ReferenceMachine(verified), args, 10**6, "shapes")
        assert outcome(jit, args, 10**6, "shapes")[0] == "ok"


def test_nesting_deeper_than_python_allows_falls_back():
    depth = 24  # Python refuses more than 20 nested loops in one function
    lines = ["contract Deep", "", "parties insurer", "", "view deep() -> Int:", "    let n = 0"]
    for k in range(depth):
        lines.append("    " * (k + 1) + f"for i{k} in range(0, 1):")
    lines.append("    " * (depth + 1) + "n += 1")
    lines.append("    return n")
    verified = verify(Compilation("\n".join(lines) + "\n").module)
    jit = Machine(verified)
    assert not jit.translation.structured[verified.module.function_index("deep")]
    assert outcome(jit, (), 10**6, "deep") == outcome(ReferenceMachine(verified), (), 10**6, "deep")
    assert outcome(jit, (), 10**6, "deep")[1] == 1


def test_a_test_that_jumps_to_its_own_fall_through_proves_nothing():
    # `x < y` branches to the same place either way: the step after it must keep its overflow test.
    program = [("LOAD", 0), ("LOAD", 1), ("LT", 0), ("JUMP_IF_FALSE", "next"), "next",
               ("LOAD", 0), ("CONST", 1), ("ADD_INT",), ("RET",)]
    module = hand_module(program, (T.INT, T.INT), T.INT, constants=tuple(Constant(T.INT, c) for c in CONSTS),
                         type_pool=(T.INT,))
    verified = verify(module)
    for machine in (Machine(verified), ReferenceMachine(verified)):
        assert outcome(machine, (2**255 - 1, 0), 1_000)[:2] == ("abort", "overflow")
        assert outcome(machine, (5, 9), 1_000)[1] == 6


def test_optional_opcodes_on_both_machines():
    def run(program):
        verified = verify(module_of(program + [("RET",)]))
        a, b = (outcome(m(verified), (0, 0, 0), 10**6) for m in (Machine, ReferenceMachine))
        assert a == b
        return a[:2]

    assert run([("NONE", 1), ("UNWRAP", 1)]) == ("abort", "invalid-value")
    assert run([("CONST", 5), ("SOME", 1), ("UNWRAP", 1)]) == ("ok", 7)
    is_none = [("IS_NONE", 1), ("JUMP_IF_FALSE", "no"), ("CONST", 1), ("JUMP", "end"), "no", ("CONST", 0), "end"]
    assert run([("NONE", 1)] + is_none) == ("ok", 1)
    assert run([("CONST", 0), ("SOME", 1)] + is_none) == ("ok", 0)  # the value 0 is not none
