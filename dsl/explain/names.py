"""What each name of a contract is, read from the syntax tree.

Bao has one namespace per contract and no shadowing, so the declarations alone tell a state
variable from an enum value or a function; the explainer therefore needs nothing from the checker
to word a formula, and works the same whether or not the analysis carries extra detail.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsl.syntax import ast



def words(identifier: str) -> str:
    """An identifier as a reader says it: `sum_insured` → `sum insured` (`保单` stays `保单`)."""
    return " ".join(part for part in identifier.split("_") if part) or identifier


def doc_text(doc: tuple[str, ...]) -> str:
    """A description comment as one paragraph (lines joined as written)."""
    return " ".join(line.strip() for line in doc if line.strip())


@dataclass(frozen=True, slots=True)
class ContractNames:
    """The declarations of a contract (and of the modules it uses), by name."""

    parties: tuple[str, ...]
    records: dict[str, ast.RecordDecl]
    enums: dict[str, ast.EnumDecl]
    state: dict[str, ast.FieldDecl]
    events: dict[str, ast.EventDecl]
    functions: dict[str, ast.FuncDecl]  # the file's own actions, views and fns
    module_functions: dict[str, ast.FuncDecl]  # fns of `use`d modules, by bare name

    @classmethod
    def of(cls, tree: ast.SourceFile, modules: tuple[ast.SourceFile, ...] = ()) -> "ContractNames":
        parties: list[str] = []
        records: dict[str, ast.RecordDecl] = {}
        enums: dict[str, ast.EnumDecl] = {}
        state: dict[str, ast.FieldDecl] = {}
        events: dict[str, ast.EventDecl] = {}
        functions: dict[str, ast.FuncDecl] = {}
        module_functions: dict[str, ast.FuncDecl] = {}
        for module in modules:
            for decl in module.decls:
                if isinstance(decl, ast.RecordDecl):
                    records.setdefault(decl.name.name, decl)
                elif isinstance(decl, ast.EnumDecl):
                    enums.setdefault(decl.name.name, decl)
                elif isinstance(decl, ast.FuncDecl):
                    module_functions.setdefault(decl.name.name, decl)
        for decl in tree.decls:
            match decl:
                case ast.Parties(names=names):
                    parties.extend(n.name for n in names)
                case ast.RecordDecl():
                    records[decl.name.name] = decl
                case ast.EnumDecl():
                    enums[decl.name.name] = decl
                case ast.StateDecl(vars=variables):
                    for var in variables:
                        state[var.name.name] = var
                case ast.EventDecl():
                    events[decl.name.name] = decl
                case ast.FuncDecl():
                    functions[decl.name.name] = decl
        return cls(tuple(parties), records, enums, state, events, functions, module_functions)

    def enum_values(self) -> frozenset[str]:
        return frozenset(v.name.name for e in self.enums.values() for v in e.values)

    def field_doc(self, field: str, record: str | None = None) -> str:
        """The description of a record field: of ``record`` when known, else of the only
        record-field of that name that has one."""
        found = []
        for rec in self.records.values():
            if record is not None and rec.name.name != record:
                continue
            for f in rec.fields:
                if f.name.name == field and f.doc:
                    found.append(doc_text(f.doc))
        return found[0] if len(set(found)) == 1 else ""

    def field_enum(self, record: str, field: str) -> str | None:
        rec = self.records.get(record)
        if rec is None:
            return None
        for f in rec.fields:
            if f.name.name == field:
                return f.type.name if f.type.name in self.enums else None
        return None


def function_locals(decl: ast.FuncDecl | ast.InitDecl) -> dict[str, ast.TypeRef | None]:
    """Every parameter, `let` and loop variable of a function, with its written type if any.
    Bao forbids shadowing, so one flat table per function is exact."""
    found: dict[str, ast.TypeRef | None] = {p.name.name: p.type for p in decl.params}

    def visit(body: tuple[ast.Stmt, ...]) -> None:
        for stmt in body:
            match stmt:
                case ast.Let():
                    found[stmt.name.name] = stmt.type
                case ast.For():
                    for v in stmt.vars:
                        found[v.name] = None
                    visit(stmt.body)
                case ast.If():
                    for branch in stmt.branches:
                        visit(branch.body)
                    if stmt.otherwise:
                        visit(stmt.otherwise)

    visit(decl.body)
    return found
