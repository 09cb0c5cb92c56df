"""How deep types may nest, and how many state variables and events a contract may declare: the
limits the checker holds declarations and expressions to. (The limits that depend on the code
generated are the compiler's: `dsl.bytecode_limits`.)

The two depths, layers (Lists and Maps written inside each other, at most `MAX_TYPE_DEPTH`) and
nesting (how deep a value may nest, at most `vm.gas.Limits.nesting`), are counted by
`dsl.semantics.nesting`. No value may nest deeper than the limit, so a type whose parts lie deeper could
never hold anything there: it is refused where it is declared, and each value of a record that holds
itself (a tree) is checked where it is built.

Each type is reported once, where it passes the limit (a record at its field, a written type, a
literal), not again in every type built on it.
"""

from __future__ import annotations

from dsl.bytecode_limits import max_pool, max_type_depth
from dsl.diagnostics import Code
from dsl.semantics.nesting import Nesting, layers, nesting_limit
from dsl.semantics.scope import ContractScope, Findings
from dsl.syntax import ast
from vm.types import Type

_NESTING_HINT = "flatten it: keep the inner values side by side, or in a Map keyed by an id"


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
            findings.error(Code.B0601, f"record {name} nests {depth} levels deep (Lists, Maps and records inside each other) "
                           f"through `{fname}`, and values nest at most {limit} deep: the part below could never "
                           "hold a value", decl.type.span, _NESTING_HINT)
    return nesting


def check_written_type(t: Type, ref: ast.TypeRef, scope: ContractScope, findings: Findings) -> Type | None:
    """``t`` as written at ``ref``, or None after reporting a limit it passes."""
    if layers(t) > max_type_depth():
        findings.error(Code.B0601, f"this type has {layers(t)} Lists and Maps inside each other; a type has at most "
                       f"{max_type_depth()}", ref.span, "name the inner parts with records")
        return None
    nesting = scope.nesting
    if nesting is not None and nesting.too_deep(t) and not nesting.holds_too_deep(t):
        findings.error(Code.B0601, f"this type nests {nesting.inside(t)} levels deep (Lists, Maps and records inside each "
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
            findings.error(Code.B0601, f"this is {layers(t)} Lists and Maps inside each other; a type has at most "
                           f"{max_type_depth()}", span, "build it from values with records in between")
        return False
    if scope.nesting is None:
        scope.nesting = Nesting({name: info.fields for name, info in scope.records.items()})
    nesting = scope.nesting
    if nesting.too_deep(t):
        if not any(nesting.too_deep(p) for p in parts):
            findings.error(Code.B0601, f"this nests {nesting.inside(t)} levels deep (Lists, Maps and records inside each other), "
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
            findings.error(Code.B0602, f"a contract declares at most {limit:,} {what}; this is number {limit + 1:,}",
                           decls[limit].name.span, "group them into Maps or records")
