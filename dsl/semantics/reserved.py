"""Names starting with `__` belong to generated code: the compiler's ``__defaults`` entry, the
test builds' ``__expr<N>`` entries, and whatever later tooling adds. A user declaration of
such a name could collide with them (an action `__defaults` would shadow the deployment
entry), so every declared name is refused at the name itself, before anything else looks
at it."""

from __future__ import annotations

from collections.abc import Iterator

from dsl.diagnostics import Code
from dsl.semantics.scope import Findings
from dsl.syntax import ast

RESERVED_PREFIX = "__"


def is_reserved(name: str) -> bool:
    return name.startswith(RESERVED_PREFIX)


def reject_reserved_names(tree: ast.SourceFile | ast.TestFile, findings: Findings) -> None:
    """Report every name the file declares that starts with `__`."""
    idents = _scenario_names(tree) if isinstance(tree, ast.TestFile) else _declared_names(tree)
    for what, ident in idents:
        if is_reserved(ident.name):
            findings.error(Code.B0303, f"`{ident.name}`: names starting with `__` are reserved for generated entries",
                           ident.span, f"rename this {what}")


def _declared_names(tree: ast.SourceFile) -> Iterator[tuple[str, ast.Ident]]:
    for decl in tree.decls:
        match decl:
            case ast.Parties(names=names):
                yield from (("party", n) for n in names)
            case ast.EnumDecl(name=name, values=values):
                yield "enum", name
                yield from (("enum value", v.name) for v in values)
            case ast.RecordDecl(name=name, fields=fields):
                yield "record", name
                yield from (("field", f.name) for f in fields)
            case ast.StateDecl(vars=vars_):
                yield from (("state variable", v.name) for v in vars_)
            case ast.EventDecl(name=name, params=params):
                yield "event", name
                yield from (("event field", p.name) for p in params)
            case ast.InitDecl(params=params, body=body):
                yield from (("parameter", p.name) for p in params)
                yield from _locals(body)
            case ast.FuncDecl(kind=kind, name=name, params=params, body=body):
                yield kind, name
                yield from (("parameter", p.name) for p in params)
                yield from _locals(body)


def _locals(body: tuple[ast.Stmt, ...]) -> Iterator[tuple[str, ast.Ident]]:
    for st in body:
        match st:
            case ast.Let(name=name):
                yield "local", name
            case ast.For(vars=vars_, body=inner):
                yield from (("loop variable", v) for v in vars_)
                yield from _locals(inner)
            case ast.If(branches=branches, otherwise=otherwise):
                for b in branches:
                    yield from _locals(b.body)
                yield from _locals(otherwise or ())


def _scenario_names(tree: ast.TestFile) -> Iterator[tuple[str, ast.Ident]]:
    for scenario in tree.scenarios:
        for step in scenario.steps:
            if isinstance(step, ast.LetStep):
                yield "local", step.name
            elif isinstance(step, ast.CallStep) and step.binds is not None:
                yield "local", step.binds
