"""Where the states and arrows of a lifecycle diagram go: pure geometry, no drawing.

States are laid out in columns, left to right, by how many moves they are from the start state
(the start state alone in the first column); a state no move reaches goes in a last column. Within
a column the states keep declaration order, then one pass orders them by where their neighbours
stand, which is all these small graphs need to avoid crossings. Arrows are quadratic curves
between box borders; an arrow with a partner going back bends to its own side, and an arrow that
would cross a state or run along an earlier arrow bends around it; each label then slides along its
arrow to the spot that covers the least.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

from dsl.explain.model import Edge, LifecycleView

FONT_SIZE = 14
LABEL_SIZE = 12
NODE_HEIGHT = 40
ROW_GAP = 80  # vertical space between two boxes of one column
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


def lay_out(lc: LifecycleView, sep: str = ", ") -> Diagram:
    """The diagram of a lifecycle; ``sep`` joins the roles of one move in its label."""
    cols = columns(lc)
    labels = {e: sep.join(e.roles) for e in lc.edges}
    node_w = max([text_width(s, FONT_SIZE) + 32 for s in lc.states] + [90])
    widest_label = max([text_width(t, LABEL_SIZE) + 16 for t in labels.values()] + [40])
    col_gap = max(widest_label + 36, 110)
    tallest = max((len(c) for c in cols), default=1)
    inner_h = tallest * NODE_HEIGHT + (tallest - 1) * ROW_GAP
    finals = set(lc.final_states)
    boxes: dict[str, Box] = {}
    for ci, col in enumerate(cols):
        col_h = len(col) * NODE_HEIGHT + (len(col) - 1) * ROW_GAP
        top = (inner_h - col_h) / 2
        for ri, s in enumerate(col):
            x = START_LEAD + ci * (node_w + col_gap)
            boxes[s] = Box(s, x, top + ri * (NODE_HEIGHT + ROW_GAP), node_w, NODE_HEIGHT, s in finals)

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
        others = [x for x in boxes.values() if x is not a and x is not b]
        arrows.append(_clear_curve(e, a, b, (e.target, e.source) in pairs, others, arrows, label, lw))
    arrows = _place_labels(arrows, list(boxes.values()))
    start_box = boxes.get(lc.start) if lc.start else None
    start = (start_box.x - START_LEAD + START_RADIUS + 4, start_box.cy) if start_box is not None else None
    return _framed(list(boxes[s] for s in lc.states if s in boxes), arrows, start, start_box)


# Bends tried, in order, for an arrow whose straight path would cross another state.
_DETOURS = (40.0, -40.0, 70.0, -70.0, 100.0, -100.0, 140.0, -140.0, 190.0, -190.0)


def _clear_curve(e: Edge, a: Box, b: Box, paired: bool, others: list[Box], drawn: list[Arrow],
                 label: str, lw: float) -> Arrow:
    """The arrow from a to b, bent as little as possible: a pair of opposite arrows bends apart
    (each to its own side), and an arrow detours around states in its way and keeps clear of the
    arrows drawn before it."""
    base = 20.0 if paired else 0.0
    # A paired arrow only bends further to its own side, so it never meets its partner.
    bends = [base] + [d for d in _DETOURS if d > base or (not paired and d < 0)]
    best, best_score = None, math.inf
    for bend in bends:
        arrow = _curve(e, a, b, bend, label, lw)
        score = 1000 * sum(_hits(arrow, box) for box in others) + _closeness(arrow, drawn) + abs(bend - base) / 20
        if score < best_score:
            best, best_score = arrow, score
    if best is None:
        raise ValueError("no bend to try")
    return best


def _closeness(arrow: Arrow, drawn: list[Arrow], near: float = 10.0) -> int:
    """How many points of an arrow run within ``near`` of an arrow already drawn."""
    mine = [_point(arrow, i / 24) for i in range(1, 24)]
    count = 0
    for other in drawn:
        theirs = [_point(other, i / 24) for i in range(25)]
        count += sum(1 for x, y in mine if any(abs(x - u) < near and abs(y - v) < near for u, v in theirs))
    return count


def _hits(a: Arrow, box: Box, pad: float = 6.0) -> bool:
    return any(box.x - pad <= x <= box.x + box.w + pad and box.y - pad <= y <= box.y + box.h + pad
               for x, y in (_point(a, i / 32) for i in range(1, 32)))


def _framed(boxes: list[Box], arrows: list[Arrow], start: tuple[float, float] | None,
            start_box: Box | None) -> Diagram:
    """Shift everything so the drawing, bent arrows and labels included, sits inside the margin."""
    xs: list[float] = []
    ys: list[float] = []
    for b in boxes:
        xs += [b.x, b.x + b.w]
        ys += [b.y, b.y + b.h]
    for a in arrows:
        for x, y in (_point(a, i / 16) for i in range(17)):
            xs.append(x)
            ys.append(y)
        xs += [a.label_at[0] - a.label_w / 2, a.label_at[0] + a.label_w / 2]
        ys += [a.label_at[1] - _LABEL_H / 2, a.label_at[1] + _LABEL_H / 2]
    if start is not None:
        xs.append(start[0] - START_RADIUS)
    if not xs:
        return Diagram(2 * MARGIN, 2 * MARGIN, (), (), None, None)
    dx, dy = MARGIN - min(xs), MARGIN - min(ys)

    def move(p: tuple[float, float]) -> tuple[float, float]:
        return p[0] + dx, p[1] + dy

    moved = {id(b): Box(b.state, b.x + dx, b.y + dy, b.w, b.h, b.final) for b in boxes}
    new_arrows = tuple(
        Arrow(a.edge, move(a.start), move(a.control), move(a.end), a.label, move(a.label_at), a.label_w, a.loop)
        for a in arrows
    )
    return Diagram(
        width=max(xs) - min(xs) + 2 * MARGIN,
        height=max(ys) - min(ys) + 2 * MARGIN,
        boxes=tuple(moved[id(b)] for b in boxes),
        arrows=new_arrows,
        start=move(start) if start is not None else None,
        start_box=moved[id(start_box)] if start_box is not None else None,
    )


def _border_point(box: Box, toward: tuple[float, float]) -> tuple[float, float]:
    """Where the line from the box's centre toward a point leaves the box."""
    dx, dy = toward[0] - box.cx, toward[1] - box.cy
    if dx == 0 and dy == 0:
        return box.cx, box.cy
    sx = (box.w / 2) / abs(dx) if dx else math.inf
    sy = (box.h / 2) / abs(dy) if dy else math.inf
    s = min(sx, sy)
    return box.cx + dx * s, box.cy + dy * s


def _curve(e: Edge, a: Box, b: Box, bend: float, label: str, lw: float) -> Arrow:
    dx, dy = b.cx - a.cx, b.cy - a.cy
    length = math.hypot(dx, dy) or 1.0
    # One fixed side of the direction of travel, so a pair of opposite arrows bends apart.
    nx, ny = -dy / length, dx / length
    mid = ((a.cx + b.cx) / 2, (a.cy + b.cy) / 2)
    control = (mid[0] + nx * bend * 2, mid[1] + ny * bend * 2)
    start = _border_point(a, control)
    end = _border_point(b, control)
    at = (0.25 * start[0] + 0.5 * control[0] + 0.25 * end[0], 0.25 * start[1] + 0.5 * control[1] + 0.25 * end[1])
    return Arrow(e, start, control, end, label, at, lw)


def _loop(e: Edge, box: Box, label: str, lw: float) -> Arrow:
    """A move that keeps the state: an arch over the box (drawn as a cubic by `svg`; the
    quadratic control here bounds it, for framing)."""
    start = (box.cx - 16, box.y)
    end = (box.cx + 16, box.y)
    control = (box.cx, box.y - 64)
    return Arrow(e, start, control, end, label, (box.cx, box.y - 44), lw, loop=True)


def _point(a: Arrow, t: float) -> tuple[float, float]:
    u = 1 - t
    return (u * u * a.start[0] + 2 * u * t * a.control[0] + t * t * a.end[0],
            u * u * a.start[1] + 2 * u * t * a.control[1] + t * t * a.end[1])


_LABEL_H = LABEL_SIZE + 6
# Where along its arrow a label may sit, best first: the middle, then gradually toward the ends.
_CANDIDATES = (0.5, 0.42, 0.58, 0.35, 0.65, 0.28, 0.72)


def _place_labels(arrows: list[Arrow], boxes: list[Box]) -> list[Arrow]:
    """Slide each label along its arrow to the first spot that covers no state, no label placed
    before it and as little of other arrows as possible."""
    samples = [[_point(a, i / 24) for i in range(25)] for a in arrows]
    placed: list[tuple[float, float, float, float]] = []
    out = []
    for ai, a in enumerate(arrows):
        if a.loop:
            out.append(a)
            placed.append(_rect(a.label_at, a.label_w))
            continue
        best, best_score = a.label_at, math.inf
        for t in _CANDIDATES:
            at = _point(a, t)
            r = _rect(at, a.label_w)
            score: float = 100 * sum(_overlap(r, (b.x, b.y, b.x + b.w, b.y + b.h)) for b in boxes)
            score += 100 * sum(_overlap(r, q) for q in placed)
            score += sum(1 for j, pts in enumerate(samples) if j != ai for x, y in pts if _inside(r, x, y))
            score += abs(t - 0.5)  # prefer the middle when all else is equal
            if score < best_score:
                best, best_score = at, score
        placed.append(_rect(best, a.label_w))
        out.append(Arrow(a.edge, a.start, a.control, a.end, a.label, best, a.label_w, a.loop))
    return out


def _rect(at: tuple[float, float], w: float) -> tuple[float, float, float, float]:
    return at[0] - w / 2, at[1] - _LABEL_H / 2, at[0] + w / 2, at[1] + _LABEL_H / 2


def _overlap(r: tuple[float, float, float, float], q: tuple[float, float, float, float]) -> bool:
    return r[0] < q[2] and q[0] < r[2] and r[1] < q[3] and q[1] < r[3]


def _inside(r: tuple[float, float, float, float], x: float, y: float) -> bool:
    return r[0] <= x <= r[2] and r[1] <= y <= r[3]
