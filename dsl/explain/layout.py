"""Where the states and arrows of a lifecycle diagram go: pure geometry, no drawing.

States are laid out in columns, left to right, by how many moves they are from the start state
(the start state alone in the first column); a state no move reaches goes in a last column. Within
a column the states keep declaration order, then one pass orders them by where their neighbours
stand, which is all these small graphs need to avoid crossings. Arrows are quadratic curves
between box borders; an arrow with a partner going back, or one that would pass through a state of
its own column, bends aside so that both it and its label stay readable.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from dsl.explain.model import Edge, LifecycleView

FONT_SIZE = 14
LABEL_SIZE = 12
NODE_HEIGHT = 40
ROW_GAP = 64  # vertical space between two boxes of one column
MARGIN = 24
START_RADIUS = 7
START_LEAD = 46  # room left of the first column for the start dot and its arrow


def text_width(s: str, size: float) -> float:
    """An estimate of rendered width: wide (CJK) characters take a full em, others about 0.6."""
    em = 0.0
    for ch in s:
        em += 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.6
    return em * size


@dataclass(frozen=True, slots=True)
class Box:
    state: str
    x: float  # left
    y: float  # top
    w: float
    h: float
    final: bool

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2


@dataclass(frozen=True, slots=True)
class Arrow:
    edge: Edge
    start: tuple[float, float]
    control: tuple[float, float]
    end: tuple[float, float]
    label: str
    label_at: tuple[float, float]  # centre of the label
    label_w: float
    loop: bool = False


@dataclass(frozen=True, slots=True)
class Diagram:
    width: float
    height: float
    boxes: tuple[Box, ...]
    arrows: tuple[Arrow, ...]
    start: tuple[float, float] | None  # the start dot
    start_box: Box | None


def columns(lc: LifecycleView) -> list[list[str]]:
    """The states by column: breadth-first from the start state, unreached states last."""
    states = list(lc.states)
    if not states:
        return []
    first = lc.start if lc.start in states else states[0]
    out: dict[str, set[str]] = {s: set() for s in states}
    for e in lc.edges:
        if e.source in out and e.target in out and e.source != e.target:
            out[e.source].add(e.target)
    layer = {first: 0}
    frontier = [first]
    while frontier:
        nxt = []
        for s in frontier:
            for t in sorted(out[s], key=states.index):
                if t not in layer:
                    layer[t] = layer[s] + 1
                    nxt.append(t)
        frontier = nxt
    last = max(layer.values()) + 1
    cols: list[list[str]] = [[] for _ in range(last + (1 if len(layer) < len(states) else 0))]
    for s in states:
        cols[layer.get(s, last)].append(s)
    return _order_by_neighbours(cols, lc.edges)


def _order_by_neighbours(cols: list[list[str]], edges: tuple[Edge, ...]) -> list[list[str]]:
    placed: dict[str, float] = {s: i for i, s in enumerate(cols[0])} if cols else {}
    result = [cols[0]] if cols else []
    for col in cols[1:]:
        def weight(s: str, _col=col) -> tuple[float, int]:
            near = [placed[e.source] for e in edges if e.target == s and e.source in placed]
            near += [placed[e.target] for e in edges if e.source == s and e.target in placed]
            return (sum(near) / len(near) if near else math.inf, _col.index(s))
        ordered = sorted(col, key=weight)
        for i, s in enumerate(ordered):
            placed[s] = i
        result.append(ordered)
    return result


def lay_out(lc: LifecycleView) -> Diagram:
    cols = columns(lc)
    labels = {e: ", ".join(e.roles) for e in lc.edges}
    node_w = max([text_width(s, FONT_SIZE) + 32 for s in lc.states] + [90])
    widest_label = max([text_width(t, LABEL_SIZE) + 16 for t in labels.values()] + [40])
    col_gap = max(widest_label + 36, 110)
    tallest = max((len(c) for c in cols), default=1)
    inner_h = tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP
    finals = set(lc.final_states)
    boxes: dict[str, Box] = {}
    for ci, col in enumerate(cols):
        col_h = len(col) * NODE_HEIGHT + (len(col) - 1) * ROW_GAP
        top = MARGIN + 26 + (inner_h - col_h) / 2  # 26: room above for a loop or a bent arrow
        for ri, s in enumerate(col):
            x = MARGIN + START_LEAD + ci * (node_w + col_gap)
            boxes[s] = Box(s, x, top + ri * (NODE_HEIGHT + ROW_GAP), node_w, NODE_HEIGHT, s in finals)
    width = MARGIN * 2 + START_LEAD + len(cols) * node_w + max(len(cols) - 1, 0) * col_gap
    # Arrows between states of one column bend right; leave them room there.
    width += 60
    height = MARGIN * 2 + 26 + inner_h + 26

    column_of = {s: ci for ci, col in enumerate(cols) for s in col}
    row_of = {s: ri for col in cols for ri, s in enumerate(col)}
    pairs = {(e.source, e.target) for e in lc.edges}
    arrows = []
    for e in lc.edges:
        if e.source not in boxes or e.target not in boxes:
            continue
        label = labels[e]
        lw = text_width(label, LABEL_SIZE) + 12
        a, b = boxes[e.source], boxes[e.target]
        if e.source == e.target:
            arrows.append(_loop(e, a, label, lw))
            continue
        bend, outward = 0.0, False
        if (e.target, e.source) in pairs:
            bend = 26.0
        same_column = column_of[e.source] == column_of[e.target]
        if same_column and abs(row_of[e.source] - row_of[e.target]) > 1:
            # It would run through the states between: bend it out to the right.
            bend, outward = 36.0 * abs(row_of[e.source] - row_of[e.target]), True
        elif not same_column and abs(column_of[e.source] - column_of[e.target]) > 1 and row_of[e.source] == row_of[e.target]:
            bend, outward = 30.0 * abs(column_of[e.source] - column_of[e.target]), True
        arrows.append(_curve(e, a, b, bend, label, lw, outward))
    start = None
    start_box = boxes.get(lc.start) if lc.start else None
    if start_box is not None:
        start = (start_box.x - START_LEAD + START_RADIUS + 4, start_box.cy)
    return Diagram(width, height, tuple(boxes[s] for s in lc.states if s in boxes), tuple(arrows), start, start_box)


def _border_point(box: Box, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the box's centre toward a point leaves the box."""
    dx, dy = toward[0] - box.cx, toward[1] - box.cy
    if dx == 0 and dy == 0:
        return box.cx, box.cy
    sx = (box.w / 2) / abs(dx) if dx else math.inf
    sy = (box.h / 2) / abs(dy) if dy else math.inf
    s = min(sx, sy)
    return box.cx + dx * s, box.cy + dy * s


def _curve(e: Edge, a: Box, b: Box, bend: float, label: str, lw: float, outward: bool = False) -> Arrow:
    dx, dy = b.cx - a.cx, b.cy - a.cy
    length = math.hypot(dx, dy) or 1.0
    # One fixed side of the direction of travel, so a pair of opposite arrows bends apart.
    nx, ny = -dy / length, dx / length
    if outward and (nx < 0 or (nx == 0 and ny > 0)):
        # A detour bends right (or up), where no column or row of states lies.
        nx, ny = -nx, -ny
    mid = ((a.cx + b.cx) / 2, (a.cy + b.cy) / 2)
    control = (mid[0] + nx * bend * 2, mid[1] + ny * bend * 2)
    start = _border_point(a, control)
    end = _border_point(b, control)
    at = (0.25 * start[0] + 0.5 * control[0] + 0.25 * end[0], 0.25 * start[1] + 0.5 * control[1] + 0.25 * end[1])
    return Arrow(e, start, control, end, label, at, lw)


def _loop(e: Edge, box: Box, label: str, lw: float) -> Arrow:
    start = (box.cx - 12, box.y)
    end = (box.cx + 12, box.y)
    control = (box.cx, box.y - 44)
    return Arrow(e, start, control, end, label, (box.cx, box.y - 30), lw, loop=True)
