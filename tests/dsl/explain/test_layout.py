"""Lifecycle diagrams: the layout keeps every state and label on the canvas and apart, every
move gets an arrow, and the SVG and Mermaid texts carry the whole lifecycle."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hypothesis import given, strategies as st

from dsl.explain.layout import lay_out
from dsl.explain.mermaid import lifecycle_mermaid
from dsl.explain.model import Edge, LifecycleView
from dsl.explain.svg import lifecycle_svg

STATE_NAMES = ["Active", "Suspended", "Expired", "Open", "有效", "已终止", "end", "Under_Review_By_Committee"]
ROLES = ["insurer", "hospital", "regulator", "银行"]
SVG = "{http://www.w3.org/2000/svg}"


@st.composite
def lifecycles(draw) -> LifecycleView:
    states = draw(st.lists(st.sampled_from(STATE_NAMES), min_size=1, max_size=7, unique=True))
    pairs = [(a, b) for a in states for b in states]
    chosen = draw(st.lists(st.sampled_from(pairs), max_size=12, unique=True))
    edges = tuple(Edge(a, b, tuple(draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True))))
                  for a, b in chosen)
    start = draw(st.none() | st.sampled_from(states))
    return LifecycleView("R", "status", "R.status", "", tuple(states), start, edges)


def _inside(x: float, y: float, w: float, h: float) -> bool:
    return -0.01 <= x <= w + 0.01 and -0.01 <= y <= h + 0.01


@given(lifecycles())
def test_layout_keeps_states_apart_and_everything_on_the_canvas(lc: LifecycleView):
    d = lay_out(lc)
    assert [b.state for b in d.boxes] == list(lc.states)
    for i, a in enumerate(d.boxes):
        assert _inside(a.x, a.y, d.width, d.height) and _inside(a.x + a.w, a.y + a.h, d.width, d.height)
        for b in d.boxes[i + 1:]:
            apart = a.x + a.w <= b.x or b.x + b.w <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
            assert apart, (a, b)
    assert len(d.arrows) == len(lc.edges)
    for arrow in d.arrows:
        x, y = arrow.label_at
        assert _inside(x - arrow.label_w / 2, y, d.width, d.height)
        assert _inside(x + arrow.label_w / 2, y, d.width, d.height)
        for i in range(11):  # the curve itself (its control point may lie outside)
            t = i / 10
            px = (1 - t) ** 2 * arrow.start[0] + 2 * (1 - t) * t * arrow.control[0] + t * t * arrow.end[0]
            py = (1 - t) ** 2 * arrow.start[1] + 2 * (1 - t) * t * arrow.control[1] + t * t * arrow.end[1]
            assert _inside(px, py, d.width, d.height)
    if lc.start is not None:
        start_box = next(b for b in d.boxes if b.state == lc.start)
        assert start_box.x == min(b.x for b in d.boxes)
        assert d.start is not None and d.start[0] < start_box.x


@given(lifecycles())
def test_arrows_leave_and_enter_at_the_borders_of_their_states(lc: LifecycleView):
    d = lay_out(lc)
    box = {b.state: b for b in d.boxes}

    def on_border(p, b) -> bool:
        x, y = p
        near_x = b.x - 0.5 <= x <= b.x + b.w + 0.5
        near_y = b.y - 0.5 <= y <= b.y + b.h + 0.5
        edge_x = abs(x - b.x) < 0.5 or abs(x - b.x - b.w) < 0.5
        edge_y = abs(y - b.y) < 0.5 or abs(y - b.y - b.h) < 0.5
        return near_x and near_y and (edge_x or edge_y)

    for arrow in d.arrows:
        assert on_border(arrow.start, box[arrow.edge.source]), arrow
        assert on_border(arrow.end, box[arrow.edge.target]), arrow


@given(lifecycles())
def test_svg_is_well_formed_and_names_every_state_and_move(lc: LifecycleView):
    svg = lifecycle_svg(lc, "t0", "R.status")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    texts = [t.text for t in root.iter(f"{SVG}text")]
    for s in lc.states:
        assert s in texts
    for e in lc.edges:
        assert ", ".join(e.roles) in texts
    assert len(list(root.iter(f"{SVG}path"))) == len(lc.edges) + 1  # + the arrowhead marker


def test_mermaid_lists_start_moves_and_final_states():
    lc = LifecycleView("Policy", "status", "Policy.status", "", ("Active", "Suspended", "Expired"), "Active", (
        Edge("Active", "Suspended", ("insurer",)),
        Edge("Suspended", "Active", ("insurer",)),
        Edge("Active", "Expired", ("insurer", "regulator")),
        Edge("Suspended", "Expired", ("insurer", "regulator")),
    ))
    assert lifecycle_mermaid(lc) == "\n".join([
        "stateDiagram-v2",
        "    [*] --> Active",
        "    Active --> Suspended : insurer",
        "    Suspended --> Active : insurer",
        "    Active --> Expired : insurer, regulator",
        "    Suspended --> Expired : insurer, regulator",
        "    Expired --> [*]",
    ])


def test_mermaid_aliases_names_it_cannot_take():
    lc = LifecycleView("R", "s", "R.s", "", ("有效", "end"), "有效", (Edge("有效", "end", ("银行",)),))
    text = lifecycle_mermaid(lc)
    assert 'state "有效" as s0' in text and 'state "end" as s1' in text
    assert "s0 --> s1 : 银行" in text and "[*] --> s0" in text


def test_a_pair_of_opposite_moves_bends_apart():
    lc = LifecycleView("R", "s", "R.s", "", ("A", "B"), "A", (Edge("A", "B", ("x",)), Edge("B", "A", ("y",))))
    d = lay_out(lc)
    there, back = d.arrows
    # Both run between the same two boxes, so their labels must not sit on each other.
    assert abs(there.label_at[1] - back.label_at[1]) >= 18
