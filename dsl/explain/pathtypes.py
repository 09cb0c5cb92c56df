"""The written type of a place in state or a local (`policies[id].status`, `p`), read from the
declarations alone, so a step can say when a write is a lifecycle move."""

from __future__ import annotations

from dataclasses import dataclass

from dsl.explain.names import ContractNames
from dsl.syntax import ast


@dataclass(frozen=True, slots=True)
class PathTypes:
    names: ContractNames
    declared: dict[str, ast.TypeRef | None]  # a function's parameters and locals, as written
    let_values: dict[str, ast.Expr]  # the value each untyped `let` was given

    @classmethod
    def of(cls, names: ContractNames, decl: ast.FuncDecl | ast.InitDecl,
           declared: dict[str, ast.TypeRef | None]) -> "PathTypes":
        values: dict[str, ast.Expr] = {}

        def visit(body: tuple[ast.Stmt, ...]) -> None:
            for stmt in body:
                match stmt:
                    case ast.Let(name=ident, value=value):
                        values[ident.name] = value
                    case ast.If(branches=branches, otherwise=otherwise):
                        for b in branches:
                            visit(b.body)
                        visit(otherwise or ())
                    case ast.For(body=inner):
                        visit(inner)

        visit(decl.body)
        return cls(names, declared, values)

    def type_of(self, expr: ast.Expr, depth: int = 0) -> ast.TypeRef | None:
        if depth > 20:  # `let` chains are short; this only guards against a cycle
            return None
        match expr:
            case ast.Name(id=ident):
                if ident in self.declared:
                    written = self.declared[ident]
                    if written is not None:
                        return written
                    value = self.let_values.get(ident)
                    return self.type_of(value, depth + 1) if value is not None else None
                var = self.names.state.get(ident)
                return var.type if var is not None else None
            case ast.Index(obj=obj):
                container = self.type_of(obj, depth + 1)
                if container is None:
                    return None
                if container.name == "Map" and len(container.args) == 2:
                    return container.args[1]
                if container.name == "List" and len(container.args) == 1:
                    return container.args[0]
                return None
            case ast.Attribute(obj=obj, name=field_name):
                record = self.record_of(obj, depth + 1)
                if record is None:
                    return None
                for f in self.names.records[record].fields:
                    if f.name.name == field_name:
                        return f.type
                return None
            case ast.Call(func=ast.Name(id=ident)) if ident in self.names.records:
                return ast.TypeRef(ident)
            case ast.Call(func=ast.Attribute(name="get", obj=obj)):
                container = self.type_of(obj, depth + 1)
                if container is not None and container.name == "Map" and len(container.args) == 2:
                    return container.args[1]
        return None

    def record_of(self, expr: ast.Expr, depth: int = 0) -> str | None:
        t = self.type_of(expr, depth)
        return t.name if t is not None and t.name in self.names.records else None
