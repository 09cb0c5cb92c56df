"""Declarations: entering names into the contract's namespace, resolving written types, and the
checks of records, state, events, `by` clauses and lifecycles."""

from __future__ import annotations

from dataclasses import replace

from dsl.bytecode_limits import max_record_fields
from dsl.diagnostics import Code, Related
from dsl.semantics.analysis import (
    Annotations, EventInfo, FunctionKind, LifecycleInfo, ParamInfo, StateVarInfo, TransitionInfo,
)
from dsl.semantics.exprs import ExprChecker
from dsl.semantics.limits import check_record_nesting, check_written_type
from dsl.semantics.typerules import KEY_HINT, start_value_missing
from dsl.semantics.literals import LiteralValidator
from dsl.semantics.scope import (
    TYPE_NAMES, BodyKind, ContractScope, Findings, RecordInfo, Signature, SymbolKind, did_you_mean,
)
from dsl.syntax import ast
from vm.types import PRIMITIVES, EnumType, ListType, MapType, OptionalType, RecordType, TupleType, Type, is_key_type

MODULE_DECLS = (ast.FuncDecl, ast.RecordDecl, ast.EnumDecl)


def resolve_type(ref: ast.TypeRef, scope: ContractScope, findings: Findings) -> Type | None:
    """The type a written type names, or None after reporting why it names none (a type that
    nests deeper than the limits allow included: `dsl.semantics.limits`)."""
    t = _resolve(ref, scope, findings)
    return check_written_type(t, ref, scope, findings) if t is not None else None


def _resolve(ref: ast.TypeRef, scope: ContractScope, findings: Findings, as_key: bool = False) -> Type | None:
    """``as_key``: ``ref`` is written as a Map's key (or a part of one), where a tuple may stand."""
    if ref.optional:  # `T?`: never of an optional type (`T??`, which the parser keeps as "?")
        if ref.name == "?":
            findings.error(Code.B0304, "a type is optional once: write T?", ref.span)
            return None
        inner = _resolve(replace(ref, optional=False), scope, findings, as_key)
        return OptionalType(inner) if inner is not None else None
    name = ref.name
    if name == ast.TUPLE_TYPE:
        return _tuple(ref, scope, findings, as_key)
    prim = PRIMITIVES.get(name)
    if prim is not None or name in scope.records or name in scope.enums:
        if ref.args:
            findings.error(Code.B0304, f"{name} takes no type arguments", ref.span)
            return None
        if prim is not None:
            return prim
        return RecordType(name) if name in scope.records else EnumType(name)
    if name == "List":
        if len(ref.args) != 1:
            findings.error(Code.B0304, "List takes one type: List[T]", ref.span)
            return None
        elem = _resolve(ref.args[0], scope, findings)
        return ListType(elem) if elem is not None else None
    if name == "Map":
        if len(ref.args) != 2:
            findings.error(Code.B0304, "Map takes two types: Map[K, V]", ref.span)
            return None
        key = _resolve(ref.args[0], scope, findings, as_key=True)
        value = _resolve(ref.args[1], scope, findings)
        if key is None or value is None:
            return None
        if not is_key_type(key, scope.field_types):
            findings.error(Code.B0401, f"{key} cannot be a map key", ref.args[0].span, KEY_HINT)
            return None
        return MapType(key, value)
    findings.error(Code.B0304, f"unknown type `{name}`", ref.span,
                   did_you_mean(name, [*TYPE_NAMES, *scope.records, *scope.enums]))
    return None


def declare_names(tree: ast.SourceFile, scope: ContractScope, findings: Findings) -> None:
    """Enter every top-level name of the file (modules' names are entered by the caller)."""
    for decl in tree.decls:
        if scope.kind == "module" and (not isinstance(decl, MODULE_DECLS)
                                       or isinstance(decl, ast.FuncDecl) and decl.kind != "fn"):
            findings.error(Code.B0306, "a module holds only fn, record and enum declarations", decl.span,
                           "move this into a contract")
            continue
        match decl:
            case ast.Parties(names=names):
                for ident in names:
                    if scope.declare(ident.name, SymbolKind.PARTY, ident.span, findings):
                        scope.parties.append(ident.name)
            case ast.EnumDecl(name=ident, values=values):
                if scope.declare(ident.name, SymbolKind.ENUM, ident.span, findings):
                    seen: dict[str, ast.Span] = {}
                    for value in values:
                        v = value.name
                        if v.name in seen:
                            findings.error(Code.B0302, f"{ident.name} lists `{v.name}` twice", v.span,
                                           related=(Related("first listed here", seen[v.name]),))
                            continue
                        seen[v.name] = v.span
                    names_ = tuple(seen)
                    scope.enums[ident.name] = names_
                    for i, listed in enumerate(names_):
                        scope.declare_enum_value(listed, ident.name, i, seen[listed], findings)
            case ast.RecordDecl(name=ident):
                _enter(scope, ident, SymbolKind.RECORD, findings)
            case ast.EventDecl(name=ident):
                _enter(scope, ident, SymbolKind.EVENT, findings)
            case ast.StateDecl(vars=vars_):
                for var in vars_:
                    _enter(scope, var.name, SymbolKind.STATE, findings)
            case ast.FuncDecl(kind=kind, name=ident):
                _enter(scope, ident, SymbolKind(kind), findings)


def _enter(scope: ContractScope, ident: ast.Ident, kind: SymbolKind, findings: Findings) -> None:
    """Declare a name; only the declaration that won it is resolved further (a clash is reported)."""
    if scope.declare(ident.name, kind, ident.span, findings):
        scope.entered.add(id(ident))


def resolve_records(tree: ast.SourceFile, scope: ContractScope, findings: Findings) -> None:
    """Give every record its field types (all record names are known, so order does not matter)."""
    decls = [d for d in tree.decls if isinstance(d, ast.RecordDecl) and id(d.name) in scope.entered]
    for d in decls:  # names first, so records may name each other
        scope.records[d.name.name] = RecordInfo(d.name.name, (), ())
    for d in decls:
        fields: list[tuple[str, Type]] = []
        kept: list[ast.FieldDecl] = []
        seen: dict[str, ast.Span] = {}
        for f in d.fields:
            if f.name.name in seen:
                findings.error(Code.B0302, f"record {d.name.name} has two fields `{f.name.name}`", f.name.span,
                               related=(Related("the first", seen[f.name.name]),))
                continue
            seen[f.name.name] = f.name.span
            t = resolve_type(f.type, scope, findings)
            fields.append((f.name.name, t))  # type: ignore[arg-type]  # None after a reported error, kept in place; check raises before anything reads it
            kept.append(f)
        if len(kept) > max_record_fields():
            findings.error(Code.B0602, f"record {d.name.name} has {len(kept)} fields; a record holds at most "
                           f"{max_record_fields()}", kept[max_record_fields()].name.span,
                           "group related fields into records of their own")
        info = scope.records[d.name.name]
        info.fields = tuple(fields)
        info.decls = tuple(kept)
    for d in decls:
        _reject_self_containing(d, scope, findings)
    for d in decls:  # a record key read while its record's fields were still unknown: check again
        for f, (_, t) in zip(scope.records[d.name.name].decls, scope.records[d.name.name].fields):
            key = _record_key_of(t)
            if key is not None and not is_key_type(key, scope.field_types):
                findings.error(Code.B0401, f"{key} cannot be a map key", f.type.span, KEY_HINT)
    scope.nesting = check_record_nesting(tree, scope, findings)


def _tuple(ref: ast.TypeRef, scope: ContractScope, findings: Findings, as_key: bool) -> Type | None:
    if not as_key:
        findings.error(Code.B0304, "a tuple type stands only as a map's key", ref.span,
                       "write Map[(Text, Int), V]; elsewhere a record names the parts")
        return None
    if len(ref.args) < 2:
        findings.error(Code.B0304, "a tuple has at least two parts", ref.span, "write the part's type alone")
        return None
    parts = [_resolve(p, scope, findings, as_key=True) for p in ref.args]
    return TupleType(tuple(p for p in parts if p is not None)) if None not in parts else None


def _record_key_of(t: Type | None) -> RecordType | None:
    """The first record key type of a Map anywhere inside ``t``, if any."""
    match t:
        case MapType(key, value):
            return key if isinstance(key, RecordType) else _record_key_of(value)
        case ListType(elem):
            return _record_key_of(elem)
    return None


def _reject_self_containing(d: ast.RecordDecl, scope: ContractScope, findings: Findings) -> None:
    """A record that holds itself directly (not inside a List or Map) has no finite value."""
    start = d.name.name
    stack = [start]
    seen: set[str] = set()
    while stack:
        name = stack.pop()
        for _, t in scope.records[name].fields:
            if isinstance(t, RecordType):
                if t.name == start:
                    findings.error(Code.B0309, f"record {start} contains itself, so no {start} value could be built",
                                   d.name.span, "hold the inner values in a List or Map instead")
                    return
                if t.name not in seen and t.name in scope.records:
                    seen.add(t.name)
                    stack.append(t.name)


def check_record_defaults(scope: ContractScope, findings: Findings, ann: Annotations,
                          literals: LiteralValidator) -> None:
    for record in scope.records.values():
        if record.module is not None:
            continue
        c = ExprChecker(scope, findings, ann, literals, BodyKind.CONST, record.name)
        for (fname, t), f in zip(record.fields, record.decls):
            if f.default is not None and t is not None:
                c.expect(f.default, t, f"the default of {record.name}.{fname}")


def params_of(params: tuple[ast.Param, ...], scope: ContractScope, findings: Findings,
              what: str) -> tuple[ParamInfo, ...]:
    out: list[ParamInfo] = []
    seen: dict[str, ast.Span] = {}
    for p in params:
        if p.name.name in seen:
            findings.error(Code.B0302, f"{what} has two parameters `{p.name.name}`", p.name.span,
                           related=(Related("the first", seen[p.name.name]),))
        seen[p.name.name] = p.name.span
        param_type = resolve_type(p.type, scope, findings)
        out.append(ParamInfo(p.name.name, param_type))  # type: ignore[arg-type]  # None after a reported error, kept in place; check raises before anything reads it
    return tuple(out)


def resolve_events(tree: ast.SourceFile, scope: ContractScope, findings: Findings) -> None:
    for d in tree.decls:
        if isinstance(d, ast.EventDecl) and id(d.name) in scope.entered:
            params = params_of(d.params, scope, findings, f"event {d.name.name}")
            scope.events[d.name.name] = EventInfo(d.name.name, params, d)


def resolve_state(tree: ast.SourceFile, scope: ContractScope, findings: Findings, ann: Annotations,
                  literals: LiteralValidator) -> None:
    c = ExprChecker(scope, findings, ann, literals, BodyKind.CONST, "state")
    index = 0
    for d in tree.decls:
        if not isinstance(d, ast.StateDecl):
            continue
        for var in d.vars:
            if id(var.name) not in scope.entered:
                continue
            t = resolve_type(var.type, scope, findings)
            # t is None after a reported error, kept in place; check raises before anything reads it.
            scope.state[var.name.name] = StateVarInfo(var.name.name, index, t, var.default, var)  # type: ignore[arg-type]  # None after a reported error, as above
            index += 1
    # Initial values are checked once every variable is known (they may not read state anyway).
    for info in scope.state.values():
        if info.default is not None and info.type is not None:
            c.expect(info.default, info.type, f"the initial value of `{info.name}`")
        elif info.type is not None and start_value_missing(info.type):
            # Bao 1.1 asks for `T?` or an initial value here; a warning, so contracts written
            # before it (which rely on the abort) still compile.
            findings.warn(Code.B0310, f"state variable `{info.name}` has no value until it is first written: "
                          "reading it before aborts", info.decl.name.span,
                          f"declare it {info.type}? and test it with `is none`, or give it an initial value")


def resolve_signatures(tree: ast.SourceFile, scope: ContractScope, findings: Findings) -> None:
    for d in tree.decls:
        if not isinstance(d, ast.FuncDecl):
            continue
        if id(d.name) not in scope.entered:
            continue
        params = params_of(d.params, scope, findings, f"`{d.name.name}`")
        returns = resolve_type(d.returns, scope, findings) if d.returns is not None else None
        if d.kind == "fn" and d.returns is None:
            findings.error(Code.B0502, f"fn `{d.name.name}` must declare its result type", d.name.span,
                           f"write fn {d.name.name}(...) -> Type:")
        scope.signatures[d.name.name] = Signature(d.name.name, FunctionKind(d.kind), params, returns, None)


def resolve_by(decl: ast.FuncDecl | ast.InitDecl, kind: FunctionKind, name: str, scope: ContractScope,
               findings: Findings) -> tuple[tuple[str, ...], bool]:
    """The roles and the `anyone` flag of a `by` clause, with the checks of section 3."""
    by = decl.by
    if by is None:
        if kind == FunctionKind.ACTION and isinstance(decl, ast.FuncDecl):
            findings.error(Code.B0307, f"action `{name}` must say who may call it", decl.name.span,
                           f"add `by` and a party, e.g. `by {scope.parties[0] if scope.parties else 'anyone'}`")
        elif kind == FunctionKind.INIT:
            findings.error(Code.B0307, "`init` must say who deploys the contract", decl.span,
                           f"write init(...) by {scope.parties[0] if scope.parties else 'a party'}:")
        return (), kind == FunctionKind.VIEW
    if kind == FunctionKind.FN:
        findings.error(Code.B0307, "a fn has no `by`: it is called only from the contract's own code", by.span)
        return (), False
    if by.anyone:
        return (), True
    return tuple(check_roles(by.roles, scope, findings)), False


def check_roles(roles: tuple[ast.Ident, ...], scope: ContractScope, findings: Findings) -> list[str]:
    out: list[str] = []
    for ident in roles:
        if ident.name not in scope.parties:
            listed = ", ".join(scope.parties) if scope.parties else "none declared"
            hint = did_you_mean(ident.name, scope.parties) or f"the parties are: {listed}"
            findings.error(Code.B0301, f"`{ident.name}` is not a party of this contract", ident.span, hint)
        elif ident.name in out:
            findings.warn(Code.B0302, f"`{ident.name}` is named twice", ident.span)
        else:
            out.append(ident.name)
    return out


def check_lifecycles(tree: ast.SourceFile, scope: ContractScope,
                     findings: Findings) -> tuple[LifecycleInfo, ...]:
    out: list[LifecycleInfo] = []
    seen: dict[tuple[str, str], ast.Span] = {}
    for d in tree.decls:
        if not isinstance(d, ast.LifecycleDecl):
            continue
        info = _lifecycle(d, scope, findings)
        if info is None:
            continue
        key = (info.record, info.field)
        if key in seen:
            findings.error(Code.B0308, f"{info.record}.{info.field} already has a lifecycle", d.record.span,
                           "list all transitions in one", related=(Related("the first", seen[key]),))
            continue
        seen[key] = d.record.span
        out.append(info)
    return tuple(out)


def _lifecycle(d: ast.LifecycleDecl, scope: ContractScope, findings: Findings) -> LifecycleInfo | None:
    record = scope.records.get(d.record.name)
    if record is None:
        findings.error(Code.B0308, f"`{d.record.name}` is not a record", d.record.span,
                       did_you_mean(d.record.name, scope.records))
        return None
    index = record.index_of(d.field.name)
    if index is None:
        findings.error(Code.B0308, f"record {record.name} has no field `{d.field.name}`", d.field.span,
                       did_you_mean(d.field.name, [n for n, _ in record.fields]))
        return None
    ftype = record.fields[index][1]
    if not isinstance(ftype, EnumType):
        if ftype is not None:
            findings.error(Code.B0308, f"a lifecycle needs an enum field; {record.name}.{d.field.name} is {ftype}",
                           d.field.span)
        return None
    values = scope.enums.get(ftype.name, ())

    def value(ident: ast.Ident) -> int | None:
        if ident.name in values:
            return values.index(ident.name)
        findings.error(Code.B0308, f"`{ident.name}` is not a value of {ftype.name}", ident.span,
                       did_you_mean(ident.name, values) or f"{ftype.name} has {', '.join(values)}")
        return None

    start = value(d.start) if d.start is not None else None
    transitions: list[TransitionInfo] = []
    listed: set[tuple[int, int, str]] = set()
    for t in d.transitions:
        found = [value(s) for s in t.sources]
        target = value(t.target)
        roles = check_roles(t.by, scope, findings)
        sources = [s for s in found if s is not None]
        if target is None or len(sources) != len(found):
            continue
        for s in sources:
            for r in roles:
                if (s, target, r) in listed:
                    findings.warn(Code.B0302, f"transition {values[s]} -> {values[target]} by {r} is listed twice", t.span)
                listed.add((s, target, r))
        transitions.append(TransitionInfo(tuple(sources), target, tuple(roles)))
    return LifecycleInfo(record.name, d.field.name, index, ftype.name, start, tuple(transitions), d)
