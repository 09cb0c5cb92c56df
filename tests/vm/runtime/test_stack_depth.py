"""The outcome of a call does not depend on the host's Python stack (issue 14).

One deep-but-legal workload (a value nested 32 levels, the language's limit, written as text,
compared, hashed, stored, emitted and read back from state; a chain of 60 nested `fn` calls) runs
from different depths of the caller's Python stack and under different recursion limits. Every
run must give byte-identical results on both machines: value, gas, writes and events, and the
read-back of what the first call stored. `vm.runtime.machine.stack_headroom` raises the recursion limit
when the caller leaves too little room; without it the run at 400 would abort or fault.
"""

from __future__ import annotations

import sys

import pytest

from dsl.pipeline import Compilation
from tests.vm.runtime.hostile_programs import CTX, canonical, outcome, writes_digest
from vm import values as V
from vm.errors import Abort
from vm.runtime import MemoryHost
from vm.runtime.interpreter import ReferenceMachine
from vm.runtime import Machine
from vm.verify import verify

CHAIN = 60  # nested fn calls, below the call-depth limit of 64 (the entry is depth 1)


def _source() -> str:
    lines = ['contract DeepButLegal', '', 'parties runner', '',
             'record Node:', '    kids: List[Node]', '    label: Text = ""', '',
             'state:', '    kept: Map[Int, Node]', '    shown: Text = ""', '',
             'event Built(depth: Int, digest: Hash, node: Node)', '',
             # 15 steps of Node(kids: [n]) nest 2 + 2 * 15 = 32 levels: the limit exactly.
             'fn deepest(tag: Text) -> Node:', '    let n = Node(kids: [], label: tag)',
             '    for i in range(0, 15):', '        n = Node(kids: [n], label: text(i))', '    return n', '']
    for k in range(CHAIN):  # c0 calls c1 ... c59, which works on the value at the bottom
        lines.append(f"fn c{k}(n: Node, m: Node) -> Text:")
        if k + 1 < CHAIN:
            lines.append(f"    return c{k + 1}(n, m) + \"{k % 10}\"")
        else:
            lines += ["    require n == m, \"rebuilt differently\"", "    return text(n) + text(sha256(n))"]
        lines.append("")
    lines += ['action build() -> Text by runner:',
              '    let a = deepest("leaf")', '    let b = deepest("leaf")',
              '    let s = c0(a, b)', '    kept[1] = a', '    shown = s', '    emit Built(32, sm3(a), a)',
              '    return s', '',
              'view read_back() -> Text:',
              '    let a = kept[1]',
              '    require a == deepest("leaf"), "state changed"',
              '    return c0(a, a) + text(len(shown))', '']
    return "\n".join(lines)


SOURCE = _source()
VERIFIED = verify(Compilation(SOURCE).module)
MACHINES = {"translated": Machine(VERIFIED), "reference": ReferenceMachine(VERIFIED)}


def run_calls(machine) -> list:
    """Both calls, as the deep caller makes them: build (stores and emits), then read back from
    the state it wrote. Only the machine runs here; the results are written out by `described`,
    back on a shallow stack (turning a value into JSON is the caller's work, not the call's)."""
    host = MemoryHost()
    results: list = []
    for entry in ("build", "read_back"):
        try:
            result = machine.call(entry, (), CTX, host, 10_000_000)
        except Abort as exc:
            results.append({"abort": exc.kind, "message": exc.message, "gas": exc.gas_used})
            continue
        host.apply(result.writes)
        results.append(result)
    return results


def described(machine, results: list) -> str:
    out = []
    for entry, r in zip(("build", "read_back"), results):
        if isinstance(r, dict):
            out.append(r)
            continue
        info = machine.entry(entry)
        out.append({"value": V.to_json(info.returns, r.value, machine.types), "gas": r.gas_used,
                    "writes": writes_digest(r.writes), "events": [machine.event_json(e) for e in r.events]})
    return canonical(out)


def workload(machine) -> str:
    return described(machine, run_calls(machine))


def _depth() -> int:
    frame, n = sys._getframe(), 0
    while frame is not None:
        n += 1
        frame = frame.f_back
    return n


def _at_depth(target: int, fn):
    """``fn()`` called with the Python stack ``target`` frames deep."""
    if _depth() >= target:
        return fn()
    return _at_depth(target, fn)


def _deepest_reachable() -> int:
    """How many frames deep this thread's stack can go under the current recursion limit (the
    interpreter counts some C calls too, so this is less than the limit)."""
    deepest = [0]

    def down(depth: int) -> None:
        deepest[0] = depth
        down(depth + 1)

    try:
        down(_depth() + 1)
    except RecursionError:
        pass
    return deepest[0]


BASELINE = {name: workload(m) for name, m in MACHINES.items()}


def test_the_workload_completes_and_is_as_deep_as_the_language_allows():
    for name, text in BASELINE.items():
        assert '"abort"' not in text, (name, text[:300])
        assert "Built" in text and "leaf" in text
    # One level more than the workload builds is refused: the workload sits at the limit.
    deeper = SOURCE.replace("range(0, 15)", "range(0, 16)")
    m = Machine(verify(Compilation(deeper).module))
    result = outcome(m, "build", (), 10_000_000)
    assert result["abort"] == "limit" and "nest at most 32" in result["message"]


CASES = [(limit, extra) for limit in (400, 1_000, 5_000) for extra in (50, 300, 700, "edge")
         if not (limit == 400 and extra == 700)]


@pytest.mark.parametrize("machine", sorted(MACHINES))
@pytest.mark.parametrize(("limit", "extra"), CASES, ids=[f"limit{a}-stack+{b}" for a, b in CASES])
def test_one_outcome_at_any_stack_depth_and_recursion_limit(machine, limit, extra):
    base = _depth()
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(limit)
    try:
        room = _deepest_reachable()
        # "edge": the caller's stack ends 20 frames short of the limit, enough to reach the
        # machine's entry and no more.
        target = room - 20 if extra == "edge" else min(base + extra, room - 20)
        depth, results = _at_depth(target, lambda: (_depth(), run_calls(MACHINES[machine])))
    finally:
        sys.setrecursionlimit(old)
    assert depth >= target
    assert described(MACHINES[machine], results) == BASELINE[machine]
