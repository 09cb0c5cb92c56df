"""How deep types may nest, and how many state variables and events a contract may declare: the
limits the checker holds declarations and expressions to. (The limits that depend on the code
generated are the compiler's: `dsl.bytecode_limits`.)

Two depths, two limits:

- **Layers**: the Lists and Maps written inside each other in one type (`List[Map[Text, List[Int]]]`
  has 3; a record is a name and adds none). The bytecode format holds a type to `MAX_TYPE_DEPTH`
  (16) layers (`vm.verifier`).
- **Nesting**: how deep a value of the type may nest, each List, Map and record one level (a
  primitive 0), as `vm.gas.Limits.nesting` (32) counts values. No value may nest deeper, so a
  type whose parts lie deeper than that could never hold anything there: it is refused where it
  is declared. A record that holds itself through a List or Map (a tree) may nest as deep as its
  values go, and each value is checked where it is built; its depth as a type is counted down to
  where it repeats (the repeated record counts as its shallowest value).

Each type is reported once, where it passes the limit (a record at its field, a written type, a
literal), not again in every type built on it.
"""

from __future__ import annotations

from dsl import ast
from dsl.bytecode_limits import max_pool, max_type_depth
from dsl.check_scope import ContractScope, Findings
from vm.gas import DEFAULT_LIMITS
from vm.types import ListType, MapType, RecordType, Type

_NESTING_HINT = "flatten it: keep the inner values side by side, or in a Map keyed by an id"


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


def check_record_nesting(tree: ast.SourceFile, scope: ContractScope, findings: Findings) -> Nesting:
    """Report each record of this file that nests deeper than values may, at the field through
    which it does (a record deep only because it holds another too-deep one is not reported
    again); the depths, for the checks of written types that follow."""
    nesting = Nesting({name: info.fields for name, info in scope.records.items()})
    limit = nesting_limit()
    for name, info in scope.records.items():
        if info.module is not None or nesting.deepest.get(name, 0) <= limit:
            continue
        group = nesting.group[name]
        if any(nesting.holds_too_deep(t, group) for _, t in info.fields if t is not None):
            continue
        # Through the field that is too deep by itself; a record too deep only through another of
        # its group (a tree's kinds of node) is reported at that one.
        own = [(1 + nesting.inside(t, group, own=True), fname, decl)
               for (fname, t), decl in zip(info.fields, info.decls) if t is not None]
        depth, fname, decl = max(own, key=lambda o: o[0])
        if depth > limit:
            findings.error(f"record {name} nests {depth} levels deep (Lists, Maps and records inside each other) "
                           f"through `{fname}`, and values nest at most {limit} deep: the part below could never "
                           "hold a value", decl.type.span, _NESTING_HINT)
    return nesting


def check_written_type(t: Type, ref: ast.TypeRef, scope: ContractScope, findings: Findings) -> Type | None:
    """``t`` as written at ``ref``, or None after reporting a limit it passes."""
    if layers(t) > max_type_depth():
        findings.error(f"this type has {layers(t)} Lists and Maps inside each other; a type has at most "
                       f"{max_type_depth()}", ref.span, "name the inner parts with records")
        return None
    nesting = scope.nesting
    if nesting is not None and nesting.too_deep(t) and not nesting.holds_too_deep(t):
        findings.error(f"this type nests {nesting.inside(t)} levels deep (Lists, Maps and records inside each "
                       f"other), and values nest at most {nesting_limit()} deep: the part below could never hold "
                       "a value", ref.span, _NESTING_HINT)
        return None
    return t


def check_literal_type(t: Type, parts: list[Type], span: ast.Span, scope: ContractScope,
                       findings: Findings) -> bool:
    """Whether a List or Map literal of type ``t`` (of ``parts``: its item, or key and value,
    types) stays within the limits; reported where it is the literal that passes them."""
    if layers(t) > max_type_depth():
        if all(layers(p) <= max_type_depth() for p in parts):
            findings.error(f"this is {layers(t)} Lists and Maps inside each other; a type has at most "
                           f"{max_type_depth()}", span, "build it from values with records in between")
        return False
    if scope.nesting is None:
        scope.nesting = Nesting({name: info.fields for name, info in scope.records.items()})
    nesting = scope.nesting
    if nesting.too_deep(t):
        if not any(nesting.too_deep(p) for p in parts):
            findings.error(f"this nests {nesting.inside(t)} levels deep (Lists, Maps and records inside each other), "
                           f"and values nest at most {nesting_limit()} deep", span, _NESTING_HINT)
        return False
    return True


def check_declaration_counts(tree: ast.SourceFile, findings: Findings) -> None:
    """State variables and events are numbered by two-byte operands: report the first past the limit."""
    limit = max_pool()
    state = [v for d in tree.decls if isinstance(d, ast.StateDecl) for v in d.vars]
    events = [d for d in tree.decls if isinstance(d, ast.EventDecl)]
    for what, decls in (("state variables", state), ("events", events)):
        if len(decls) > limit:
            findings.error(f"a contract declares at most {limit:,} {what}; this is number {limit + 1:,}",
                           decls[limit].name.span, "group them into Maps or records")
