"""A lifecycle as Mermaid `stateDiagram-v2` text, for Markdown viewers that draw it."""

from __future__ import annotations

import re

from dsl.explain.model import LifecycleView

_PLAIN_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
# Words Mermaid's state grammar reads as its own; a state so named gets an alias.
_RESERVED = frozenset({"state", "note", "end", "direction", "classdef", "class", "as", "left", "right", "of", "fork", "join", "choice"})


def lifecycle_mermaid(lc: LifecycleView, sep: str = ", ") -> str:
    """``sep`` joins the roles of one move in its label."""
    ids: dict[str, str] = {}
    lines = ["stateDiagram-v2"]
    for i, s in enumerate(lc.states):
        if _PLAIN_ID.match(s) and s.lower() not in _RESERVED:
            ids[s] = s
        else:
            ids[s] = f"s{i}"
            label = s.replace('"', "'")
            lines.append(f'    state "{label}" as s{i}')
    if lc.start is not None and lc.start in ids:
        lines.append(f"    [*] --> {ids[lc.start]}")
    for e in lc.edges:
        if e.source in ids and e.target in ids:
            lines.append(f"    {ids[e.source]} --> {ids[e.target]} : {sep.join(e.roles)}")
    for s in lc.final_states:
        lines.append(f"    {ids[s]} --> [*]")
    return "\n".join(lines)
