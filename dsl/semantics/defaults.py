"""Record field defaults that construct each other without end.

`record A: b: B = B()` with `record B: xs: List[A] = [A()]` type-checks, but building an `A`
with its defaults builds a `B`, whose default builds an `A` again: no value could ever be
produced, and the compiler would recurse forever. The checker refuses such a cycle at the
default where it starts."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from dsl.diagnostics import Code
from dsl.semantics.analysis import Annotations, RecordCtorRef
from dsl.semantics.scope import ContractScope, Findings
from dsl.syntax import ast

_Node = tuple[str, int]  # (record, field index)


def reject_cyclic_defaults(scope: ContractScope, findings: Findings, ann: Annotations) -> None:
    """Report each cycle of defaults among the file's own records once."""
    defaults: dict[_Node, ast.Expr] = {}
    for record in scope.records.values():
        for i, f in enumerate(record.decls):
            if f.default is not None:
                defaults[(record.name, i)] = f.default
    edges = {node: list(_evaluated_defaults(expr, ann)) for node, expr in defaults.items()}
    own = [(r.name, i) for r in scope.records.values() if r.module is None for i in range(len(r.decls))]
    state: dict[_Node, int] = {}  # 1 on the current path, 2 finished
    path: list[_Node] = []

    def visit(node: _Node) -> None:
        state[node] = 1
        path.append(node)
        for nxt in edges.get(node, ()):
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):]
                names = " -> ".join(_name(scope, n) for n in (*cycle, nxt))
                start = cycle[0]
                findings.error(Code.B0309, f"the default of {_name(scope, start)} never finishes: {names}",
                               defaults[start].span, "give the field a value in one of these constructions")
            elif nxt not in state and nxt in defaults:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in own:
        if node in defaults and node not in state:
            visit(node)


def _name(scope: ContractScope, node: _Node) -> str:
    record, i = node
    return f"{record}.{scope.records[record].fields[i][0]}"


def _evaluated_defaults(expr: ast.Expr, ann: Annotations) -> Iterator[_Node]:
    """The defaults evaluating ``expr`` evaluates: the omitted fields of each construction."""
    for node in _subtrees(expr):
        if isinstance(node, ast.Call):
            ref = ann.refs.get(id(node))
            if isinstance(ref, RecordCtorRef):
                yield from ((ref.record, j) for j, given in enumerate(ref.args) if given is None)


def _subtrees(node: object) -> Iterator[object]:
    if isinstance(node, tuple):
        for x in node:
            yield from _subtrees(x)
    elif dataclasses.is_dataclass(node) and not isinstance(node, ast.Span):
        yield node
        for f in dataclasses.fields(node):
            yield from _subtrees(getattr(node, f.name))
