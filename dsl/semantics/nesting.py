"""How deep a type lets its values nest: `Nesting`, the depths of a scope's records.

Two depths, two limits (the checks that report them are `dsl.semantics.limits`'):

- **Layers**: the Lists and Maps written inside each other in one type (`List[Map[Text, List[Int]]]`
  has 3; a record is a name and adds none). The bytecode format holds a type to `MAX_TYPE_DEPTH`
  (16) layers (`vm.verifier`).
- **Nesting**: how deep a value of the type may nest, each List, Map and record one level (a
  primitive 0), as `vm.gas.Limits.nesting` (32) counts values. A record that holds itself through
  a List or Map (a tree) may nest as deep as its values go; its depth as a type is counted down to
  where it repeats (the repeated record counts as its shallowest value).

This module knows types only, not scopes, so the scope can hold a `Nesting` without importing
the checks.
"""

from __future__ import annotations

from vm.gas import DEFAULT_LIMITS
from vm.types import ListType, MapType, RecordType, TupleType, Type


def nesting_limit() -> int:
    return DEFAULT_LIMITS.nesting


def layers(t: Type) -> int:
    """Lists and Maps written inside each other in ``t``."""
    if isinstance(t, ListType):
        return 1 + layers(t.elem)
    if isinstance(t, MapType):
        return 1 + max(layers(t.key), layers(t.value))
    return 0


def records_in(t: Type) -> list[str]:
    if isinstance(t, ListType):
        return records_in(t.elem)
    if isinstance(t, MapType):
        return records_in(t.key) + records_in(t.value)
    if isinstance(t, TupleType):
        return [r for p in t.parts for r in records_in(p)]
    return [t.name] if isinstance(t, RecordType) else []


class Nesting:
    """The nesting depth of every record of a scope, as the module docstring counts it: the
    records are taken in groups that hold each other (strongly connected), each group after the
    groups it holds, so that no walk recurses more than a type's layers deep."""

    def __init__(self, records: dict[str, tuple[tuple[str, Type], ...]]) -> None:
        self.records = records
        self.group: dict[str, int] = {}
        self.shallowest: dict[str, int] = {}
        self.deepest: dict[str, int] = {}
        for n, group in enumerate(_groups(records)):
            for name in group:
                self.group[name] = n
            self._shallowest(group)
            for name in group:
                self.deepest[name] = 1 + max((self.inside(t, n) for _, t in records[name] if t is not None),
                                             default=0)

    def _shallowest(self, group: list[str]) -> None:
        # The least depth of a value: 1 + its deepest field's least (a List or Map may be empty).
        # Inside a group, records hold each other directly only along paths without cycles (the
        # checker refuses a record that contains itself), so |group| rounds settle it.
        for name in group:
            self.shallowest[name] = 1
        for _ in range(len(group)):
            for name in group:
                least = [self.shallowest.get(t.name, 1) if isinstance(t, RecordType) else
                         1 if isinstance(t, (ListType, MapType)) else 0 for _, t in self.records[name]]
                self.shallowest[name] = 1 + max(least, default=0)

    def inside(self, t: Type, group: int | None = None, own: bool = False) -> int:
        """The depth of ``t`` where it stands in a record of ``group`` (None: anywhere else); with
        ``own``, a record of the group counts one level (what ``t`` adds by itself)."""
        if isinstance(t, ListType):
            return 1 + self.inside(t.elem, group, own)
        if isinstance(t, MapType):
            return 1 + max(self.inside(t.key, group, own), self.inside(t.value, group, own))
        if isinstance(t, TupleType):  # a level of its own, as `vm.values.measure` counts it
            return 1 + max(self.inside(p, group, own) for p in t.parts)
        if isinstance(t, RecordType):
            if group is not None and self.group.get(t.name) == group:
                return 1 if own else self.shallowest.get(t.name, 1)
            return self.deepest.get(t.name, 1)
        return 0

    def too_deep(self, t: Type) -> bool:
        return self.inside(t) > nesting_limit()

    def holds_too_deep(self, t: Type, group: int | None = None) -> bool:
        """Whether ``t`` holds a record (outside ``group``) that is itself too deep."""
        return any(self.deepest.get(r, 0) > nesting_limit() for r in records_in(t)
                   if group is None or self.group.get(r) != group)


def _groups(records: dict[str, tuple[tuple[str, Type], ...]]) -> list[list[str]]:
    """The strongly connected groups of records (Tarjan's, without recursion), each group after
    every group its records hold."""
    edges = {name: [r for _, t in fields if t is not None for r in records_in(t) if r in records]
             for name, fields in records.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    out: list[list[str]] = []
    for root in sorted(records):
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, i = work.pop()
            if i == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            if i < len(edges[node]):
                work.append((node, i + 1))
                nxt = edges[node][i]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                out.append(group)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return out
