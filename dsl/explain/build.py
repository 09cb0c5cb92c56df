"""Build the explained `Document` of a checked contract, in one language.

Only a file the checker accepted gets here (the command stops at the first CompileError), so
the builder may trust that every name it meets is declared; it still never raises on a form it
does not know, because a reader's document is worth more than a perfect one.
"""

from __future__ import annotations

from dataclasses import replace

from dsl.explain.description import described
from dsl.explain.formula import FormulaWriter, walk_exprs
from dsl.explain.model import (
    Document, Edge, EnumView, EventView, Examples, FieldRow, FunctionView, Inline, LifecycleView,
    PartyView, Prose, RecordView, fill, formula, join, name, text,
)
from dsl.explain.names import ContractNames, Nouns, words
from dsl.explain.phrases import Phrases, phrases_for
from dsl.explain.steps import StepWriter, effects
from dsl.explain.typewords import type_words
from dsl.semantics.analysis import (
    Analysis, Annotations, EnumValueRef, FieldRef, FunctionKind, FunctionRef, StateRef,
)
from dsl.syntax import ast


def build_document(analysis: Analysis, source: str, lang: str, examples: Examples | None = None) -> Document:
    """The document of a checked contract or module: its words come from the tree, what each
    name and expression is (a local, a field of which record, ...) from the analysis, never worked
    out again; every description is in ``lang``, or marked as a fallback."""
    tree = analysis.tree
    modules = tuple(analysis.modules[d.module.name].tree for d in tree.decls if isinstance(d, ast.Use))
    phrases = phrases_for(lang)
    names = ContractNames.of(tree, modules)
    constants = FormulaWriter(names, phrases, analysis.annotations.refs)
    decls = tree.decls

    records = tuple(
        RecordView(d.name.name, described(d.doc, lang),
                   tuple(_field_row(f, phrases, names, constants) for f in d.fields))
        for d in decls if isinstance(d, ast.RecordDecl)
    )
    enums = tuple(
        EnumView(d.name.name, described(d.doc, lang), tuple((v.name.name, described(v.doc, lang)) for v in d.values))
        for d in decls if isinstance(d, ast.EnumDecl)
    )
    state = tuple(
        _field_row(v, phrases, names, constants, empty_start=True)
        for d in decls if isinstance(d, ast.StateDecl) for v in d.vars
    )
    lifecycles = tuple(_lifecycle(d, names, lang) for d in decls if isinstance(d, ast.LifecycleDecl))

    functions = [d for d in decls if isinstance(d, (ast.FuncDecl, ast.InitDecl))]
    by_record: dict[str, tuple[tuple[str, str], ...]] = {}
    for lc in lifecycles:
        by_record[lc.record] = (*by_record.get(lc.record, ()), (lc.field, lc.subject))
    views = {id(d): _function(d, names, phrases, source, by_record, analysis.annotations) for d in functions}
    init = next((views[id(d)] for d in functions if isinstance(d, ast.InitDecl)), None)

    def of_kind(kind: FunctionKind) -> tuple[FunctionView, ...]:
        return tuple(views[id(d)] for d in functions if isinstance(d, ast.FuncDecl) and d.kind == kind)

    actions, view_fns, fns = of_kind(FunctionKind.ACTION), of_kind(FunctionKind.VIEW), of_kind(FunctionKind.FN)
    events = tuple(
        EventView(
            d.name.name, described(d.doc, lang),
            tuple(FieldRow(p.name.name, type_words(p.type, phrases, names)) for p in d.params),
            tuple(f.name for f in (*actions, *((init,) if init else ())) if d.name.name in f.emits),
        )
        for d in decls if isinstance(d, ast.EventDecl)
    )
    parties_decl = next((d for d in decls if isinstance(d, ast.Parties)), None)
    parties = tuple(
        PartyView(party, _may(party, functions, lifecycles, phrases))
        for party in names.parties
    )
    description = tuple(p for p in (described((tree.docstring or "").splitlines(), lang), described(tree.doc, lang))
                        if p)
    return Document(
        lang=lang,
        kind=tree.kind,
        title=tree.name.name,
        description=description,
        source_file=tree.path,
        uses=tuple(d.module.name for d in decls if isinstance(d, ast.Use)),
        parties=parties,
        records=records,
        enums=enums,
        state=state,
        events=events,
        lifecycles=lifecycles,
        init=init,
        actions=actions,
        views=view_fns,
        functions=fns,
        examples=examples,
        parties_description=described(parties_decl.doc, lang) if parties_decl else Prose(),
    )


def _field_row(f: ast.FieldDecl, phrases: Phrases, names: ContractNames, constants: FormulaWriter,
               empty_start: bool = False) -> FieldRow:
    if f.default is not None:
        default: Inline = formula(constants.write(f.default))
    elif empty_start and f.type.name in ("Map", "List"):
        default = text(phrases("empty_start"))
    else:
        default = ()
    return FieldRow(f.name.name, type_words(f.type, phrases, names), default, described(f.doc, phrases.lang))


def _lifecycle(d: ast.LifecycleDecl, names: ContractNames, lang: str) -> LifecycleView:
    record, field_name = d.record.name, d.field.name
    enum = names.field_enum(record, field_name)
    written: list[str] = []
    for t in d.transitions:
        for s in (*t.sources, t.target):
            if s.name not in written:
                written.append(s.name)
    if d.start is not None and d.start.name not in written:
        written.insert(0, d.start.name)
    states = tuple(v.name.name for v in names.enums[enum].values) if enum else tuple(written)
    # Two lines that allow the same move (or one line listing a source twice) make one arrow.
    merged: dict[tuple[str, str], list[str]] = {}
    notes: dict[tuple[str, str], Prose] = {}
    for t in d.transitions:
        for s in t.sources:
            roles = merged.setdefault((s.name, t.target.name), [])
            roles.extend(r.name for r in t.by if r.name not in roles)
            if not notes.get((s.name, t.target.name)):
                notes[(s.name, t.target.name)] = described(t.doc, lang)
    edges = tuple(Edge(s, tgt, tuple(roles), notes[(s, tgt)]) for (s, tgt), roles in merged.items())
    return LifecycleView(record, field_name, f"{record}.{field_name}", described(d.doc, lang), states,
                         d.start.name if d.start else None, edges)


def _who(d: ast.FuncDecl | ast.InitDecl, phrases: Phrases) -> Inline:
    if isinstance(d, ast.FuncDecl) and d.kind == "fn":
        return ()
    if d.by is None or d.by.anyone or not d.by.roles:
        return text(phrases("anyone"))
    return join([name(r.name) for r in d.by.roles], phrases("list_sep"))


def _function(d: ast.FuncDecl | ast.InitDecl, names: ContractNames, phrases: Phrases, source: str,
              lifecycles: dict[str, tuple[tuple[str, str], ...]], annotations: Annotations) -> FunctionView:
    formulas = FormulaWriter.for_function(names, phrases, annotations.refs, d)
    steps = StepWriter(formulas, source, annotations, lifecycles).steps(d.body)
    changes, emits = effects(d.body, annotations.refs)
    kind = FunctionKind(d.kind) if isinstance(d, ast.FuncDecl) else FunctionKind.INIT
    fn_name = d.name.name if isinstance(d, ast.FuncDecl) else "init"
    returns = d.returns if isinstance(d, ast.FuncDecl) else None
    return FunctionView(
        kind=kind,
        name=fn_name,
        description=described(d.doc, phrases.lang),
        who=_who(d, phrases),
        inputs=tuple(FieldRow(p.name.name, type_words(p.type, phrases, names)) for p in d.params),
        steps=steps,
        changes=tuple(words(c) for c in changes),
        emits=emits,
        returns=type_words(returns, phrases, names),
        glossary=_glossary(d, names, phrases.lang, annotations),
    )


def _glossary(d: ast.FuncDecl | ast.InitDecl, names: ContractNames, lang: str,
              annotations: Annotations) -> tuple[tuple[str, Prose], ...]:
    """The descriptions of what a function's formulas mention: state variables, record fields
    (under the noun the formulas use), enum values, and the helper functions written by name."""
    found: dict[str, Prose] = {}
    nouns = Nouns(names, lang)
    for node in walk_exprs(d.body):
        term = ""
        doc: tuple[str, ...] = ()
        match annotations.refs.get(id(node)):
            case StateRef(name=var) if var in names.state:
                term, doc = words(var), names.state[var].doc
            case EnumValueRef(enum=enum, index=index) if enum in names.enums:
                value = names.enums[enum].values[index]
                term, doc = value.name.name, value.doc
            case FieldRef(record=record) if isinstance(node, ast.Attribute):
                field = names.field(record, node.name)
                term, doc = nouns.field(record, node.name), field.doc if field is not None else ()
            case FunctionRef(name=fn_name, module=module):
                fn = names.functions.get(fn_name) if module is None else names.module_functions.get(fn_name)
                if fn is not None and (module is not None or not _inlined(fn)):  # an own fn may be written out
                    term, doc = words(fn_name), fn.doc
        if term and doc and term not in found:
            prose = _beyond_term(term, described(doc, lang))
            if prose:
                found[term] = prose
    return tuple(found.items())


def _beyond_term(term: str, prose: Prose) -> Prose:
    """What a description adds to the term a glossary lists it under: a description that opens
    with the term (`保额：整个保险期间的最高赔付`, the noun the formulas use) keeps the rest, and
    one that is only the term (`保单状态。`) adds nothing."""
    if not prose.paragraphs:
        return prose
    first, *rest = prose.paragraphs
    for sep in ("：", "，", ": ", ", "):
        if first.startswith(term + sep):
            first = first[len(term) + len(sep):].lstrip()
    if first.rstrip("。.") == term:
        first = ""
    return replace(prose, paragraphs=tuple(p for p in (first, *rest) if p))


def _inlined(fn: ast.FuncDecl) -> bool:
    return len(fn.body) == 1 and isinstance(fn.body[0], ast.Return) and fn.body[0].value is not None


def _may(party: str, functions: list, lifecycles: tuple[LifecycleView, ...], phrases: Phrases) -> tuple[Inline, ...]:
    may: list[Inline] = []
    calls: dict[str, list[Inline]] = {"action": [], "view": []}
    for d in functions:
        if isinstance(d, ast.InitDecl):
            if d.by is not None and (d.by.anyone or any(r.name == party for r in d.by.roles)):
                may.append(text(phrases("may_deploy")))
            continue
        if d.kind == "fn":
            continue
        if d.by is None or d.by.anyone or any(r.name == party for r in d.by.roles):
            calls[d.kind].append(name(d.name.name))
    if calls["action"]:
        may.append(fill(phrases.template("may_call_actions"), names=join(calls["action"], phrases("list_sep"))))
    if calls["view"]:
        may.append(fill(phrases.template("may_call_views"), names=join(calls["view"], phrases("list_sep"))))
    for lc in lifecycles:
        by_target: dict[str, list[str]] = {}
        for e in lc.edges:
            if party in e.roles:
                by_target.setdefault(e.target, []).append(e.source)
        for target, sources in by_target.items():
            may.append(fill(phrases.template("may_move"), subject=name(lc.subject),
                            sources=join([name(s) for s in sources], phrases("or_sep")), target=name(target)))
    return tuple(may)
