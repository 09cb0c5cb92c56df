"""A lifecycle as an inline SVG state diagram, drawn from `layout` with nothing external:
no fonts, scripts, images or links, so the HTML stays one file that prints and works offline."""

from __future__ import annotations

from html import escape

from dsl.explain.layout import FONT_SIZE, LABEL_SIZE, START_RADIUS, Arrow, Box, lay_out
from dsl.explain.model import LifecycleView

_INK = "#1f2d3d"
_LINE = "#4a5868"
_LABEL_INK = "#3b4a5a"
_BOX_FILL = "#eaf2fb"
_BOX_STROKE = "#2f5d8a"
_START_FILL = "#d9f0e3"
_START_STROKE = "#2e7d4f"


def _n(v: float) -> str:
    """Coordinates to two decimals at most, so the output is stable and small."""
    return f"{v:.2f}".rstrip("0").rstrip(".")


def lifecycle_svg(lc: LifecycleView, uid: str, title: str, sep: str = ", ") -> str:
    """The diagram as an `<svg>` element; ``uid`` makes its marker id unique in the page and
    ``sep`` joins the roles of one move."""
    d = lay_out(lc, sep)
    marker = f"arrow-{uid}"
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="lifecycle" role="img" '
        f'aria-labelledby="{uid}-title" viewBox="0 0 {_n(d.width)} {_n(d.height)}" '
        f'width="{_n(d.width)}" height="{_n(d.height)}" '
        f'font-family="system-ui, -apple-system, \'Segoe UI\', \'Noto Sans\', \'Noto Sans CJK SC\', '
        f'\'PingFang SC\', \'Microsoft YaHei\', sans-serif">',
        f'<title id="{uid}-title">{escape(title)}</title>',
        "<defs>",
        f'<marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="8" markerHeight="8" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{_LINE}"/></marker>',
        "</defs>",
    ]
    if d.start is not None and d.start_box is not None:
        sx, sy = d.start
        out.append(f'<circle cx="{_n(sx)}" cy="{_n(sy)}" r="{START_RADIUS}" fill="{_INK}"/>')
        out.append(
            f'<line x1="{_n(sx + START_RADIUS)}" y1="{_n(sy)}" x2="{_n(d.start_box.x - 1)}" y2="{_n(sy)}" '
            f'stroke="{_LINE}" stroke-width="1.5" marker-end="url(#{marker})"/>'
        )
    for arrow in d.arrows:
        out.append(_arrow_path(arrow, marker))
    for box in d.boxes:
        out.append(_box(box, box is d.start_box))
    # Labels last, over the lines, each on a white ground so a crossing line never hides it.
    for arrow in d.arrows:
        out.append(_label(arrow))
    out.append("</svg>")
    return "\n".join(out)


def _arrow_path(a: Arrow, marker: str) -> str:
    (x1, y1), (cx, cy), (x2, y2) = a.start, a.control, a.end
    title = escape(f"{a.edge.source} → {a.edge.target}: {a.label}")
    if a.loop:
        # An arch over the state, wide enough to read as a loop and not as a tick.
        top = y1 - 40
        shape = f"M{_n(x1)},{_n(y1)} C{_n(x1 - 22)},{_n(top)} {_n(x2 + 22)},{_n(top)} {_n(x2)},{_n(y2)}"
    else:
        shape = f"M{_n(x1)},{_n(y1)} Q{_n(cx)},{_n(cy)} {_n(x2)},{_n(y2)}"
    return (
        f'<path d="{shape}" fill="none" stroke="{_LINE}" '
        f'stroke-width="1.5" marker-end="url(#{marker})"><title>{title}</title></path>'
    )


def _box(b: Box, is_start: bool) -> str:
    fill, stroke = (_START_FILL, _START_STROKE) if is_start else (_BOX_FILL, _BOX_STROKE)
    parts = [
        f'<g class="state"><rect x="{_n(b.x)}" y="{_n(b.y)}" width="{_n(b.w)}" height="{_n(b.h)}" rx="10" '
        f'fill="{fill}" stroke="{stroke}" stroke-width="1.5"/>'
    ]
    if b.final:
        parts.append(
            f'<rect x="{_n(b.x + 3)}" y="{_n(b.y + 3)}" width="{_n(b.w - 6)}" height="{_n(b.h - 6)}" rx="8" '
            f'fill="none" stroke="{stroke}" stroke-width="1"/>'
        )
    parts.append(
        f'<text x="{_n(b.cx)}" y="{_n(b.cy)}" text-anchor="middle" dominant-baseline="central" '
        f'font-size="{FONT_SIZE}" fill="{_INK}">{escape(b.state)}</text></g>'
    )
    return "".join(parts)


def _label(a: Arrow) -> str:
    x, y = a.label_at
    h = LABEL_SIZE + 6
    return (
        f'<g class="move"><rect x="{_n(x - a.label_w / 2)}" y="{_n(y - h / 2)}" width="{_n(a.label_w)}" '
        f'height="{_n(h)}" rx="4" fill="#ffffff" fill-opacity="0.92"/>'
        f'<text x="{_n(x)}" y="{_n(y)}" text-anchor="middle" dominant-baseline="central" '
        f'font-size="{LABEL_SIZE}" fill="{_LABEL_INK}">{escape(a.label)}</text></g>'
    )
