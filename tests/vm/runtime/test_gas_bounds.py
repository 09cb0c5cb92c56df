"""Gas bounds the work of every call, and both machines give every call one outcome (issue 14).

Hypothesis draws hostile programs (`hostile_programs`): a value of some shape built in a loop,
sharing its parts (``n = Node(kids: [n, n, n])``) or flat and big, up to and past the nesting
limit, then compared, searched, written as text, hashed, stored, emitted, appended, put in a map,
wrapped or returned. For every call:

(a) it completes or aborts with a `vm.errors.Abort` of any kind but "internal" (a HostFault, a
    RecursionError or any other exception fails the test);
(b) the translated machine's work, counted in Python line and call events (`LineCounter`, not
    wall time: the count does not depend on the machine's speed or load), is at most
    ``K_LINES_PER_GAS * (gas + C_FIXED_GAS)`` for the gas the call needed;
(c) the translated machine and the reference interpreter agree on the value, gas, writes and
    events of a completed call, and on the kind and message of an aborted one, with gas that
    differs only as vm/gas.py documents (a block's gas is charged on entering it);
(d) a call that builds a value nested deeper than the limit (32) aborts "limit" with the nesting
    message on both machines, and no value within the limit is refused.

The constants, and why:

- ``C_FIXED_GAS = 500``: a call's fixed work (building its globals, the state overlay, the
  measuring helpers) in gas-equivalents. The shipped contracts' calls satisfy
  ``lines <= 1.0 * gas + 454``, so 500 covers it.
- ``SHIPPED_LINES_PER_GAS = 1.25``: the shipped contracts' worst call does 0.94 line events per
  gas (with ``C_FIXED_GAS``); `test_shipped_contracts_calibrate_the_bound` keeps that true with
  a margin, so a change that makes ordinary contracts heavier per gas shows up there first.
- ``K_LINES_PER_GAS = 20 * SHIPPED_LINES_PER_GAS = 25``: the issue's bound, no program buys more
  than twenty times the work the shipped contracts buy with the same gas. The worst classes
  found are the text form (and the hashing of it) stopped at its limit: ~21 line events per
  gas, which run at 10-15x the wall time per gas of bench/gas.py's Money loop (a writer's line
  events are cheaper than the Money arithmetic's). On the VM before 20754a0 (gas blind to
  sharing) this test fails at once, with 410,284 line events for 2,000 gas (`emit` of a 2-wide,
  13-level shared tree of long labels), and other draws never end.

(b) measures an abort other than "out of gas" against the gas needed to reach it (`gas_needed`:
the call replayed with less gas), what a caller must offer for that work, rather than against the
gas the abort reports; `test_an_abort_reports_the_size_charge_it_took` holds the report to it.
"""

from __future__ import annotations

from functools import lru_cache

import pytest
from hypothesis import given, settings, strategies as st

import dsl.scenarios
from dsl.pipeline import Compilation
from dsl.scenarios import run_test_file
from tests.vm.runtime.hostile_programs import (
    NESTING_MESSAGE, SHAPES, LineCounter, gas_needed, ops_for, outcome, program,
)
from vm.runtime.interpreter import ReferenceMachine
from vm.runtime import Machine
from vm.opcodes import decode_instructions
from vm.verify import verify
from tests.vm.conftest import CONTRACTS

C_FIXED_GAS = 500
SHIPPED_LINES_PER_GAS = 1.25
K_LINES_PER_GAS = 20 * SHIPPED_LINES_PER_GAS

GAS_LIMITS = (2_000, 30_000, 150_000)
# Each example is a few milliseconds: three times the profile's examples (the ci profile's 60
# alone left the limits and the nesting boundary to a handful of draws).
EXAMPLES = settings(max_examples=3 * settings.default.max_examples)


@st.composite
def hostile_calls(draw):
    """(program, steps, gas limit) of a drawn hostile program."""
    shape = draw(st.sampled_from(sorted(SHAPES)))
    names = sorted(ops_for(SHAPES[shape]))
    ops = tuple(draw(st.lists(st.sampled_from(names), min_size=1, max_size=3)))
    if SHAPES[shape].recursive:
        width = draw(st.integers(1, 8))
        # Around the nesting limit (15 steps build 32 levels) as often as well inside it.
        steps = draw(st.integers(0, 6) | st.integers(13, 17))
    else:
        width = 1
        steps = draw(st.sampled_from([0, 1, 40, 400, 2_500]))
    returns_value = draw(st.booleans())
    return program(shape, width, ops, returns_value), steps, draw(st.sampled_from(GAS_LIMITS))


@lru_cache(maxsize=128)
def machines(source: str) -> tuple[Machine, ReferenceMachine, int]:
    """Both machines for a program, and the most gas by which their abort gas may differ."""
    verified = verify(Compilation(source).module)
    return Machine(verified), ReferenceMachine(verified), block_slack(verified.module)


def block_slack(module) -> int:
    """An upper bound on the gas the translator may have charged ahead of the reference when a
    call aborts: it charges a block's instructions on entering the block, so at most the rest of
    one block per frame on the stack; bounded here by all the module's instruction gas."""
    total = 0
    for fn in module.functions:
        for ins in decode_instructions(fn.code):
            total += ins.op.gas + (ins.operands[1] if ins.op.name in ("MAKE_LIST", "MAKE_MAP") else 0)
    return total


def assert_no_fault(result: dict) -> None:
    assert result.get("abort") != "internal", result


def assert_agree(jit: dict, ref: dict, gas_limit: int, slack: int) -> None:
    """(c): one outcome on both machines; abort gas within the documented difference."""
    if "abort" not in jit or "abort" not in ref:
        assert jit == ref
        return
    if jit["abort"] != ref["abort"]:
        # The translator charged a block that the reference had not reached when it aborted;
        # that block passed the limit, and an abort raised past the limit reads "out of gas".
        assert jit["abort"] == "out-of-gas" and ref["gas"] + slack >= gas_limit, (jit, ref)
        return
    assert jit["message"] == ref["message"]
    if jit["abort"] == "out-of-gas":
        assert jit["gas"] == ref["gas"] == gas_limit
    else:
        assert ref["gas"] <= jit["gas"] <= ref["gas"] + slack, (jit, ref)


def assert_nesting(prog, steps: int, result: dict) -> None:
    """(d): past the limit a call aborts on nesting (or runs out of gas first); within it, never."""
    nested = NESTING_MESSAGE in result.get("message", "")
    if nested:
        assert result["abort"] == "limit" and prog.depth(steps) > 32, (prog.ops, steps, result)
    if prog.build_depth(steps) > 32:
        assert nested or result.get("abort") == "out-of-gas", result
    elif prog.depth(steps) > 32:
        assert "abort" in result, "a value nested past the limit was built without an abort"


@EXAMPLES
@given(hostile_calls())
def test_work_is_bounded_by_the_gas_a_call_needs(call):
    prog, steps, gas_limit = call
    jit, _, _ = machines(prog.source)
    counter = LineCounter()
    result = outcome(jit, "run", (steps,), gas_limit, counter=counter)
    assert_no_fault(result)
    paid = gas_needed(jit, "run", (steps,), result, gas_limit)
    assert counter.events <= K_LINES_PER_GAS * (paid + C_FIXED_GAS), (
        f"{counter.events} line events for {paid} gas: {prog.shape.name} x{prog.width}, {steps} steps, "
        f"{prog.ops}, {result.get('abort', 'completed')}")


@EXAMPLES
@given(hostile_calls())
def test_both_machines_give_one_outcome_and_hold_the_nesting_limit(call):
    prog, steps, gas_limit = call
    jit, ref, slack = machines(prog.source)
    a = outcome(jit, "run", (steps,), gas_limit)
    b = outcome(ref, "run", (steps,), gas_limit)
    assert_no_fault(a)
    assert_no_fault(b)
    assert_agree(a, b, gas_limit, slack)
    assert_nesting(prog, steps, a)
    assert_nesting(prog, steps, b)


@pytest.mark.parametrize("shape", ["node", "tree"])
def test_the_nesting_limit_is_exactly_32_on_both_machines(shape):
    # 15 steps build 32 levels: legal. A 16th, or one more List around the 32 levels, is not.
    prog = program(shape, 2, ("eq",))
    deeper = program(shape, 2, ("append",))
    jit, ref, _ = machines(prog.source)
    jit2, ref2, _ = machines(deeper.source)
    for m in (jit, ref):
        assert "value" in outcome(m, "run", (15,), 10**6)
        past = outcome(m, "run", (16,), 10**6)
        assert past["abort"] == "limit" and NESTING_MESSAGE in past["message"]
    for m in (jit2, ref2):
        assert "value" in outcome(m, "run", (14,), 10**6)
        past = outcome(m, "run", (15,), 10**6)
        assert past["abort"] == "limit" and NESTING_MESSAGE in past["message"]


def test_shared_values_are_priced_as_written_out():
    # 16 copies, 12 levels: 16**12 leaves in a few hundred objects. Every walk must be charged
    # for the leaves, so each op runs out of gas at once instead of walking.
    for op in ("eq", "in", "text", "sha256", "store", "emit", "wrap"):
        prog = program("node", 16, (op,))
        jit, ref, _ = machines(prog.source)
        for m in (jit, ref):
            counter = LineCounter()
            result = outcome(m, "run", (12,), 5_000_000, counter=counter)
            assert result["abort"] == "out-of-gas", (op, result)
            assert counter.events < 200_000, (op, counter.events)


class _Traced(Machine):
    """A Machine that counts each call's line events (for the calibration below)."""

    calls: list = []

    def _run(self, info, args, ctx, host, gas_limit):
        counter = LineCounter()
        try:
            with counter:
                result = super()._run(info, args, ctx, host, gas_limit)
        except Exception as exc:
            _Traced.calls.append((info.name, getattr(exc, "gas_used", 0), counter.events))
            raise
        _Traced.calls.append((info.name, result.gas_used, counter.events))
        return result


def test_shipped_contracts_calibrate_the_bound(monkeypatch):
    """The shipped contracts' calls stay within SHIPPED_LINES_PER_GAS * (gas + C_FIXED_GAS): the
    baseline that K_LINES_PER_GAS is twenty times. If this fails, ordinary contracts got heavier
    per gas; re-measure and re-state the constants above (and the issue's 20x with them)."""
    _Traced.calls = []
    monkeypatch.setattr(dsl.scenarios, "Machine", _Traced)  # the runner builds its machine by this name
    for path in sorted(CONTRACTS.glob("*.test.bao")):
        report = run_test_file(path)
        assert not report.diagnostics and report.passed and not report.failed, path.name
    assert len(_Traced.calls) > 1_000
    worst = max(_Traced.calls, key=lambda c: c[2] / (c[1] + C_FIXED_GAS))
    assert worst[2] <= SHIPPED_LINES_PER_GAS * (worst[1] + C_FIXED_GAS), worst
    # The bound is not vacuous: the heaviest calls do about one line event per gas.
    assert worst[2] >= 0.5 * (worst[1] + C_FIXED_GAS), worst


# -- the gas an abort reports ---------------------------------------------------------------------

@pytest.mark.parametrize("op", ["text", "sm3", "store", "emit", "return"])
def test_an_abort_reports_the_size_charge_it_took(op):
    """An operation that charges a walk by size and then stops on a limit (a text or hashed text
    too long, a value, event or result too large) must report that charge in the abort's gas: a
    ledger that records aborted calls charges what they report, and the walk was done. (Found
    with these tests at 20754a0: `sm3` of a 7**4-leaf shared tree reported 330 gas after a
    charge of 8,400, ~590 line events per reported gas.) Smallest form, with op = sm3:

        let n = Node(kids: [], label: "a")
        for i in range(0, 4):
            n = Node(kids: [n, n, n, n, n, n, n])
        return len(text(sm3(n)))      # limit: the value hashed is longer than 65536 characters
    """
    width, steps = {"text": (5, 4), "sm3": (7, 4), "store": (7, 6), "emit": (7, 6), "return": (7, 6)}[op]
    prog = program("node", width, () if op == "return" else (op,), returns_value=op == "return")
    jit, ref, _ = machines(prog.source)
    for m in (jit, ref):
        seen = outcome(m, "run", (steps,), 10**6)
        assert seen["abort"] == "limit", seen
        # The walk is charged at a unit per element: far more than the few hundred gas of building.
        assert seen["gas"] > 2_000, (type(m).__name__, seen)
        # Replayed with the gas it reported, the call ends the same way (not "out of gas").
        assert outcome(m, "run", (steps,), seen["gas"]) == seen, type(m).__name__
