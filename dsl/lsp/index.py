"""Where every name of a checked file stands and what it means: `Index`.

The editor's questions (what is under the cursor, where is it declared, where else is it used)
are all answered from one list of `Occurrence`s built by walking the checked tree once: each
occurrence is the span of a name as written, the `Symbol` it means, whether it declares it, and
the type the checker gave it where it has one. The walk reads what the checker recorded
(`Annotations.refs` and `expr_types`, keyed by node) and the declarations' `Ident`s; it never
resolves a name itself, so the index means what the compiler means.

A `Symbol` is the identity of a thing a name can mean: two occurrences name the same thing
exactly when their symbols are equal (a rename changes all of them). Locals are told apart by
their function and slot, fields by their record, enum values by their enum, and the functions
of a `use`d module by the module's name (``owner``); the module's own index calls them with
``owner`` None, which `Symbol.in_module` maps to.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterator

from dsl.semantics import Analysis
from dsl.semantics.analysis import (
    BuiltinFuncRef, BuiltinValueRef, EnumValueRef, FieldRef, FunctionInfo, FunctionRef, LocalRef, MethodRef,
    PartyFieldRef, RecordCtorRef, Ref, StateRef, TypeNameRef,
)
from dsl.syntax import ast
from vm.types import PRIMITIVES, Type

# The kinds of symbol. BUILTIN covers what the language itself defines (values, functions,
# methods, Party fields): they have no declaration and cannot be renamed.
LOCAL, STATE, FIELD, ENUM_VALUE, TYPE, FUNCTION, EVENT, PARTY, MODULE, BUILTIN = (
    "local", "state", "field", "enum value", "type", "function", "event", "party", "module", "built-in")


@dataclass(frozen=True, slots=True)
class Symbol:
    """What a name means. ``owner``: the record of a field, the enum of a value, "fn#slot" for a
    local, the module of a `use`d module's function; None otherwise."""

    kind: str
    name: str
    owner: str | None = None

    def in_module(self) -> "Symbol":
        """This symbol as the module that declares it names it (a module's functions are its own)."""
        return Symbol(self.kind, self.name, None) if self.kind == FUNCTION else self


@dataclass(frozen=True, slots=True)
class Occurrence:
    span: ast.Span
    symbol: Symbol
    declares: bool
    type: Type | None = None
    node: object = dataclasses.field(default=None, compare=False)  # the declaration node, for its doc


def contains(span: ast.Span, line: int, col: int) -> bool:
    """Whether 1-based (line, col) lies in the span or just after its last character (where a
    cursor at the end of a word stands)."""
    return (span.line, span.col) <= (line, col) <= (span.end_line, span.end_col)


def _tail(span: ast.Span, name: str) -> ast.Span:
    """The span of ``name`` ending where ``span`` ends (the attribute of `obj.name`)."""
    return ast.Span(span.file, span.end_line, span.end_col - len(name), span.end_line, span.end_col)


def _head(span: ast.Span, name: str) -> ast.Span:
    """The span of ``name`` starting where ``span`` starts (a type's name in `Map[Text, Policy]`)."""
    return ast.Span(span.file, span.line, span.col, span.line, span.col + len(name))


class Index:
    """Every name of one checked contract or module, in source order."""

    def __init__(self, analysis: Analysis):
        self.analysis = analysis
        self.occurrences: list[Occurrence] = []
        self._function: str | None = None
        self._function_info: FunctionInfo | None = None
        for decl in analysis.tree.decls:
            self._decl(decl)
        self.occurrences.sort(key=lambda o: (o.span.line, o.span.col))

    # -- questions ----------------------------------------------------------------------------
    def at(self, line: int, col: int) -> Occurrence | None:
        """The occurrence under 1-based (line, col), the innermost when several touch it."""
        best: Occurrence | None = None
        for o in self.occurrences:
            if o.span.line > line:
                break
            if contains(o.span, line, col) and (best is None or (o.span.line, o.span.col) >= (best.span.line, best.span.col)):
                best = o
        return best

    def declaration(self, symbol: Symbol) -> Occurrence | None:
        return next((o for o in self.occurrences if o.declares and o.symbol == symbol), None)

    def references(self, symbol: Symbol) -> list[Occurrence]:
        return [o for o in self.occurrences if o.symbol == symbol]

    def declarations(self) -> Iterator[Occurrence]:
        return (o for o in self.occurrences if o.declares)

    # -- the walk -----------------------------------------------------------------------------
    def _add(self, span: ast.Span, symbol: Symbol, declares: bool = False, t: Type | None = None,
             node: object = None) -> None:
        if span.line > 0:  # nodes the parser made up (no source) have no place to show
            self.occurrences.append(Occurrence(span, symbol, declares, t, node))

    def _type_ref(self, ref: ast.TypeRef) -> None:
        if ref.name in self.analysis.types.records or ref.name in self.analysis.types.enums:
            self._add(_head(ref.span, ref.name), Symbol(TYPE, ref.name))
        elif ref.name not in PRIMITIVES and ref.name != ast.TUPLE_TYPE:  # a tuple has no name to point at
            self._add(_head(ref.span, ref.name), Symbol(BUILTIN, ref.name))
        for arg in ref.args:
            self._type_ref(arg)

    def _decl(self, d: ast.Decl) -> None:
        if isinstance(d, ast.Use):
            self._add(d.module.span, Symbol(MODULE, d.module.name), node=d)
        elif isinstance(d, ast.Parties):
            for n in d.names:
                self._add(n.span, Symbol(PARTY, n.name), True, node=d)
        elif isinstance(d, ast.EnumDecl):
            self._add(d.name.span, Symbol(TYPE, d.name.name), True, node=d)
            for v in d.values:
                self._add(v.name.span, Symbol(ENUM_VALUE, v.name.name, d.name.name), True, node=v)
        elif isinstance(d, ast.RecordDecl):
            self._add(d.name.span, Symbol(TYPE, d.name.name), True, node=d)
            fields = dict(self.analysis.types.record_fields(d.name.name)) if d.name.name in self.analysis.types.records else {}
            for f in d.fields:
                self._add(f.name.span, Symbol(FIELD, f.name.name, d.name.name), True, fields.get(f.name.name), node=f)
                self._type_ref(f.type)
                if f.default is not None:
                    self._expr(f.default)
        elif isinstance(d, ast.StateDecl):
            types = {v.name: v.type for v in self.analysis.state}
            for f in d.vars:
                self._add(f.name.span, Symbol(STATE, f.name.name), True, types.get(f.name.name), node=f)
                self._type_ref(f.type)
                if f.default is not None:
                    self._expr(f.default)
        elif isinstance(d, ast.EventDecl):
            self._add(d.name.span, Symbol(EVENT, d.name.name), True, node=d)
            for p in d.params:
                self._type_ref(p.type)
        elif isinstance(d, ast.LifecycleDecl):
            self._lifecycle(d)
        elif isinstance(d, (ast.InitDecl, ast.FuncDecl)):
            self._function_decl(d)

    def _lifecycle(self, d: ast.LifecycleDecl) -> None:
        info = next((lc for lc in self.analysis.lifecycles if lc.decl is d), None)
        self._add(d.record.span, Symbol(TYPE, d.record.name))
        self._add(d.field.span, Symbol(FIELD, d.field.name, d.record.name))
        values = [i for i in (d.start, *(s for t in d.transitions for s in (*t.sources, t.target))) if i is not None]
        for ident in values:
            if info is not None:
                self._add(ident.span, Symbol(ENUM_VALUE, ident.name, info.enum))
        for t in d.transitions:
            for role in t.by:
                self._add(role.span, Symbol(PARTY, role.name))

    def _function_decl(self, d: ast.InitDecl | ast.FuncDecl) -> None:
        name = d.name.name if isinstance(d, ast.FuncDecl) else "init"
        info = self.analysis.functions.get(name)
        if isinstance(d, ast.FuncDecl):
            self._add(d.name.span, Symbol(FUNCTION, name), True, node=d)
            if d.returns is not None:
                self._type_ref(d.returns)
        self._function, self._function_info = name, info
        for slot, p in enumerate(d.params):
            t = info.local_types[slot] if info is not None and slot < len(info.local_types) else None
            self._add(p.name.span, Symbol(LOCAL, p.name.name, f"{name}#{slot}"), True, t, node=p)
            self._type_ref(p.type)
        if d.by is not None:
            for role in d.by.roles:
                self._add(role.span, Symbol(PARTY, role.name))
        for s in d.body:
            self._stmt(s)
        self._function, self._function_info = None, None

    def _local_decl(self, ident: ast.Ident) -> None:
        ref = self.analysis.annotations.refs.get(id(ident))
        if isinstance(ref, LocalRef):
            info = self._function_info
            t = info.local_types[ref.slot] if info is not None and ref.slot < len(info.local_types) else None
            self._add(ident.span, self._local(ref), True, t, node=ident)

    def _local(self, ref: LocalRef) -> Symbol:
        return Symbol(LOCAL, ref.name, f"{self._function}#{ref.slot}")

    def _stmt(self, s: ast.Stmt) -> None:
        if isinstance(s, ast.Let):
            self._local_decl(s.name)
            if s.type is not None:
                self._type_ref(s.type)
            self._expr(s.value)
        elif isinstance(s, ast.For):
            self._expr(s.iter)
            for v in s.vars:
                self._local_decl(v)
            self._block(s.body)
        elif isinstance(s, ast.If):
            for b in s.branches:
                self._expr(b.cond)
                self._block(b.body)
            if s.otherwise is not None:
                self._block(s.otherwise)
        elif isinstance(s, ast.Emit):
            self._add(s.event.span, Symbol(EVENT, s.event.name))
            for a in s.args:
                self._expr(a.value)
        else:
            for f in dataclasses.fields(s):
                value = getattr(s, f.name)
                if isinstance(value, ast.Span):
                    continue
                self._any(value)

    def _block(self, body: tuple[ast.Stmt, ...]) -> None:
        for s in body:
            self._stmt(s)

    def _any(self, value: object) -> None:
        if isinstance(value, tuple):
            for v in value:
                self._any(v)
        elif isinstance(value, ast.Arg):
            self._expr(value.value)
        elif value is not None and not isinstance(value, (str, bool, ast.Span)):
            self._expr(value)  # type: ignore[arg-type]  # every other field of a statement is an expression

    def _symbol(self, ref: Ref) -> Symbol:
        if isinstance(ref, LocalRef):
            return self._local(ref)
        if isinstance(ref, StateRef):
            return Symbol(STATE, ref.name)
        if isinstance(ref, EnumValueRef):
            return Symbol(ENUM_VALUE, self.analysis.types.enum_values(ref.enum)[ref.index], ref.enum)
        if isinstance(ref, FieldRef):
            return Symbol(FIELD, self.analysis.types.record_fields(ref.record)[ref.index][0], ref.record)
        if isinstance(ref, FunctionRef):
            return Symbol(FUNCTION, ref.name, ref.module)
        if isinstance(ref, (RecordCtorRef, TypeNameRef)):
            return Symbol(TYPE, ref.record if isinstance(ref, RecordCtorRef) else ref.name)
        if isinstance(ref, PartyFieldRef):
            return Symbol(BUILTIN, ref.field, "Party")
        if isinstance(ref, (BuiltinValueRef, BuiltinFuncRef, MethodRef)):
            return Symbol(BUILTIN, ref.name)
        raise AssertionError(f"a reference the index does not know: {ref!r}")

    def _expr(self, e: ast.Expr) -> None:
        ann = self.analysis.annotations
        ref = ann.refs.get(id(e))
        t = ann.expr_types.get(id(e))
        if isinstance(e, ast.Name):
            if ref is not None:
                self._add(e.span, self._symbol(ref), t=t)
        elif isinstance(e, ast.Attribute):
            if ref is not None:
                self._add(_tail(e.span, e.name), self._symbol(ref), t=t)
            self._expr(e.obj)
        elif isinstance(e, ast.Call):
            self._call(e, ref, t)
        elif isinstance(e, ast.TextLit):
            for part in e.parts:
                if not isinstance(part, str):
                    self._expr(part)
        elif isinstance(e, ast.MapLit):
            for k, v in e.entries:
                self._expr(k)
                self._expr(v)
        elif isinstance(e, ast.Compare):
            self._expr(e.first)
            for _, operand in e.rest:
                self._expr(operand)
        else:
            for f in dataclasses.fields(e):
                if f.name != "span":
                    self._any(getattr(e, f.name))

    def _call(self, e: ast.Call, ref: Ref | None, t: Type | None) -> None:
        func = e.func
        if ref is not None:
            symbol = self._symbol(ref)
            if isinstance(func, ast.Name):
                self._add(func.span, symbol, t=t)
            elif isinstance(func, ast.Attribute):
                self._add(_tail(func.span, func.name), symbol, t=t)
                if isinstance(ref, FunctionRef) and ref.module is not None and isinstance(func.obj, ast.Name):
                    self._add(func.obj.span, Symbol(MODULE, ref.module))
                else:
                    self._expr(func.obj)
            if isinstance(ref, RecordCtorRef):
                fields = self.analysis.types.record_fields(ref.record)
                for a in e.args:
                    if a.name is not None and a.name in dict(fields):
                        self._add(_head(a.span, a.name), Symbol(FIELD, a.name, ref.record), t=dict(fields)[a.name])
        else:
            self._expr(func)
        for a in e.args:
            self._expr(a.value)
