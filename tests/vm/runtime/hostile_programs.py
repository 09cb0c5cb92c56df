"""Hostile Bao programs for the VM's gas, depth and determinism tests (issue 14), and the tools
those tests share: running a call to a canonical outcome, and counting the work a call does.

A program builds a value of one `Shape` in a loop (``steps`` times; a record shape puts ``width``
copies of the previous value in the next one, so ``width ** steps`` leaves share a few objects),
builds it twice (``a`` and ``b``: equal, but not the same objects), then applies `OPS` to them:
``==``, ``in``, ``text``, interpolation, hashing, storing, emitting, appending, map updates,
field updates, wrapping, returning. The flat shapes build big collections instead (``steps``
elements). Every shape and op knows how many levels of nesting it adds, so a test can tell in
advance whether the call passes the language's nesting limit.

This module is not a test file: `test_gas_bounds.py`, `test_stack_depth.py`,
`translate/test_differential_values.py` and the cross-version worker `determinism_worker.py` import it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from dataclasses import dataclass

from vm import values as V
from vm.errors import Abort
from vm.runtime import CallContext, MemoryHost
from vm.values import Party

CTX = CallContext(Party("Hostile", "Hostile", "runner"), 1_704_038_400_000, bytes(32))
NESTING_MESSAGE = "values nest at most 32 deep"


@dataclass(frozen=True, slots=True)
class Shape:
    """How a program builds its value: ``start`` is the value before the first step, ``step``
    one statement that makes the next value from ``n`` (with ``{w}`` standing for ``width``
    copies of ``n``), ``member`` an expression of the element type for ``x in a``."""

    name: str
    type: str
    start: str
    step: str
    start_depth: int  # nesting of the start value (0: a flat shape, never near the limit)
    step_depth: int  # levels each step adds
    member: str
    wrap: str  # an expression one or two levels deeper than `a`, holding a and b

    def depth(self, steps: int) -> int:
        return self.start_depth + steps * self.step_depth

    @property
    def recursive(self) -> bool:
        return self.step_depth > 0


SHAPES = {
    "node": Shape("node", "Node", 'Node(kids: [], label: tag)', "n = Node(kids: [{w}])", 2, 2,
                  "[a, b]", "Node(kids: [a, b])"),
    "tree": Shape("tree", "Tree", "Tree(kids: {}, size: len(tag))", "n = Tree(kids: {{{w}}}, size: i)", 2, 2,
                  "[a, b]", 'Tree(kids: {"a": a, "b": b})'),
    # A long label in every leaf: Text-heavy values (units count characters too).
    "label": Shape("label", "Node", "Node(kids: [], label: long_text(tag))", "n = Node(kids: [{w}])", 2, 2,
                   "[a, b]", "Node(kids: [a, b])"),
    # Flat big collections: `steps` elements.
    "ints": Shape("ints", "List[Int]", "[]", "n.append(i * 7)", 0, 0, "steps * 7", "[a, b]"),
    "texts": Shape("texts", "List[Text]", "[]", 'n.append(tag + text(i))', 0, 0, '"a" + text(steps // 2)', "[a, b]"),
    "rows": Shape("rows", "List[List[Int]]", "[]", "n.append([i, i])", 0, 0, "[steps, steps]", "[a, b]"),
    "table": Shape("table", "Map[Int, Text]", "{}", "n[i] = tag + text(i)", 0, 0, "[a, b]", "[a, b]"),
}

_WIDTH_KEYS = "abcdefgh"


def _step(shape: Shape, width: int) -> str:
    if shape.name == "tree":
        return shape.step.format(w=", ".join(f'"{_WIDTH_KEYS[j]}": n' for j in range(width)))
    return shape.step.format(w=", ".join(["n"] * width))


@dataclass(frozen=True, slots=True)
class Op:
    """One operation on ``a`` and ``b``: statements (``{k}`` is the op's position, for unique
    names) that add to the Int ``score``; ``depth``: levels of nesting the op adds to ``a``'s."""

    name: str
    lines: tuple[str, ...]
    depth: int = 0


def _in_op(shape: Shape) -> Op:
    if shape.recursive or shape.name == "table":
        return Op("in", ("if a in [b, b]:", "    score += 1"), 1)
    return Op("in", (f"if {shape.member} in a:", "    score += 1"))


def ops_for(shape: Shape) -> dict[str, Op]:
    """The operations a program of ``shape`` may apply, by name."""
    ops = [
        Op("eq", ("if a == b:", "    score += 1")),
        Op("ne", ('if a != build(steps, "b"):', "    score += 2")),
        _in_op(shape),
        Op("text", ("score += len(text(a))",)),
        Op("interpolate", ('score += len("<{a}|{b}>")',)),
        Op("sha256", ("if sha256(a) == sha256(b):", "    score += 3")),
        Op("sm3", ("score += len(text(sm3(a)))",)),
        Op("store", ("kept[steps] = a",)),
        Op("store_list", ("log.append(b)",), 1),
        Op("emit", ("emit Seen(a)",)),
        Op("append", ("let xs{k} = [a]", "xs{k}.append(b)", "score += len(xs{k})"), 1),
        Op("map_set", ('let m{k} = {"a": a}', 'm{k}["b"] = b', "score += len(m{k})"), 1),
        Op("wrap", ("let w{k} = " + shape.wrap, "if w{k} == w{k}:", "    score += 1"),
           2 if shape.recursive else 1),
    ]
    if shape.name in ("node", "label"):
        ops.append(Op("field", ('a.label = "z"', "if a == b:", "    score += 1")))
    elif shape.name == "tree":
        ops.append(Op("field", ("a.size = 7", "if a == b:", "    score += 1")))
    return {op.name: op for op in ops}


HEADER = '''contract Hostile
"""A program drawn by tests/vm/runtime/hostile_programs.py."""

parties runner

record Node:
    kids: List[Node]
    label: Text = ""

record Tree:
    kids: Map[Text, Tree]
    size: Int = 0

state:
    kept: Map[Int, {T}]
    log: List[{T}]

event Seen(value: {T})

fn long_text(tag: Text) -> Text:
    let s = tag
    for i in range(0, 9):
        s = s + s
    return s

fn build(steps: Int, tag: Text) -> {T}:
    let n: {T} = {start}
    for i in range(0, steps):
        {step}
    return n
'''


@dataclass(frozen=True, slots=True)
class Program:
    """A drawn program: its source, its shape, width and ops; the entry is ``run(steps)``."""

    source: str
    shape: Shape
    width: int
    ops: tuple[str, ...]
    returns_value: bool  # `run` returns `a` itself (else the Int score)

    def depth(self, steps: int) -> int:
        """The deepest nesting the call builds if it runs to the end."""
        table = ops_for(self.shape)
        return self.shape.depth(steps) + max([table[o].depth for o in self.ops] + [0])

    def build_depth(self, steps: int) -> int:
        """The nesting of ``a`` and ``b`` (built before any op runs)."""
        return self.shape.depth(steps)


def program(shape_name: str, width: int, op_names: tuple[str, ...], returns_value: bool = False) -> Program:
    shape = SHAPES[shape_name]
    table = ops_for(shape)
    body = ["", "action run(steps: Int) -> " + (shape.type if returns_value else "Int") + " by runner:",
            '    let a = build(steps, "a")', '    let b = build(steps, "a")', "    let score = 0"]
    for k, name in enumerate(op_names):
        body += ["    " + line.replace("{k}", str(k)) for line in table[name].lines]
    body.append("    return a" if returns_value else "    return score")
    source = HEADER.format(T=shape.type, start=shape.start, step=_step(shape, width)) + "\n".join(body) + "\n"
    return Program(source, shape, width, tuple(op_names), returns_value)


# -- running calls ------------------------------------------------------------------------------

def writes_digest(writes: dict) -> str:
    """sha256 of a call's writes in key order (a deletion as an empty marker)."""
    h = hashlib.sha256()
    for k in sorted(writes):
        v = writes[k]
        h.update(len(k).to_bytes(4, "big") + k)
        h.update(b"\xff" if v is None else len(v).to_bytes(4, "big") + v)
    return h.hexdigest()


def outcome(machine, entry: str, args: tuple, gas_limit: int, host: MemoryHost | None = None,
            counter: "LineCounter | None" = None) -> dict:
    """A call's outcome as JSON-able data: the value (section-7 JSON), gas, writes (digest) and
    events of a completed call, or the kind, message and gas of an abort. Anything but an Abort
    escapes: the callers treat it as a failure. A ``counter`` counts the call's work (the call
    alone, not the writing out of its outcome here)."""
    host = host if host is not None else MemoryHost()
    try:
        if counter is None:
            r = machine.call(entry, args, CTX, host, gas_limit)
        else:
            with counter:
                r = machine.call(entry, args, CTX, host, gas_limit)
    except Abort as exc:
        return {"abort": exc.kind, "message": exc.message, "gas": exc.gas_used}
    info = machine.entry(entry)
    value = None if info.returns is None else V.to_json(info.returns, r.value, machine.types)
    return {"value": value, "gas": r.gas_used, "writes": writes_digest(r.writes),
            "events": [machine.event_json(e) for e in r.events]}


def canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


# -- counting work ------------------------------------------------------------------------------

class LineCounter:
    """Counts the Python line and call events of the code run while it is active: a measure of
    interpreter work that does not depend on the machine's speed or load (unlike wall time). Work
    done inside C (comparing two tuples, hashing bytes) is not seen, which is why the wall-time
    table of bench/gas.py exists beside this."""

    __slots__ = ("events", "_old")

    def __init__(self) -> None:
        self.events = 0
        self._old = None

    def __enter__(self) -> "LineCounter":
        self._old = sys.gettrace()
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc) -> None:
        sys.settrace(self._old)

    def _call(self, frame, event, arg):
        self.events += 1
        return self._line

    def _line(self, frame, event, arg):
        if event == "line":
            self.events += 1
        return self._line


def gas_needed(machine, entry: str, args: tuple, seen: dict, gas_limit: int) -> int:
    """The smallest gas limit (within 3%) with which the call ends as ``seen`` (an `outcome`)
    did: what a caller must offer for the work the call did. For a completed call and one out
    of gas this is the gas it reports; an abort of another kind is replayed with less gas, since
    its reported gas is not always all it was charged."""
    if "abort" not in seen or seen["abort"] == "out-of-gas":
        return seen["gas"]
    end = (seen["abort"], seen["message"])

    def ends_alike(gas: int) -> bool:
        again = outcome(machine, entry, args, gas)
        return (again.get("abort"), again.get("message")) == end

    low = seen["gas"]
    if ends_alike(low):
        return low
    high = gas_limit
    while high - low > max(1, low // 32):
        mid = (low + high) // 2
        if ends_alike(mid):
            high = mid
        else:
            low = mid
    return high
