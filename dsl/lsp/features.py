"""The editor's questions answered from a `Snapshot`, as Language Server Protocol values.

Positions: a `Span` counts lines and columns from 1 in characters (code points); the protocol
counts from 0 in the units the client chose (UTF-16 unless it negotiated otherwise). `Places`
converts, given the lines of the file the span is in and the client's `PositionCodec`.

- `diagnostics`: the pipeline's, each with its hint appended, its stable code, its related
  places; a problem found in another file (a `use`d module) is shown at the file's first line.
- `hover`: a name's kind, type and description (the comment lines above its declaration); for
  an action or view, what is known about its gas (the toolchain computes no static bound: see
  `GAS_NOTE`).
- `definition`: where a name is declared, in this file or in the `use`d module's file.
- `completion`: after `x.`, the fields (or values, functions, methods) of what `x` is; elsewhere
  the keywords, built-ins, the file's declarations and the locals of the function around the cursor.
- `rename`: every occurrence of the symbol in the document; refused (`Refusal`) for keywords,
  built-ins, names declared in another file, and new names that are not Bao names.
- `formatting`: `baochain fmt`'s layout (`dsl.fmt.format_tree`); refused for a document that
  does not parse.
- `outline`: the contract, its parties, enums, records, state, events, lifecycles and entries.
"""

from __future__ import annotations

import re
from pathlib import Path

from lsprotocol import types as lsp
from pygls.uris import from_fs_path, to_fs_path
from pygls.workspace import PositionCodec
from pygls.workspace.position_codec import ServerTextPosition, ServerTextRange

from dsl.diagnostics import Diagnostic, Severity
from dsl.fmt import format_tree
from dsl.explain.description import parse_description
from dsl.explain.phrases import LANGUAGES
from dsl.lsp.document import Snapshot
from dsl.lsp.index import (
    BUILTIN, ENUM_VALUE, EVENT, FIELD, FUNCTION, LOCAL, MODULE, PARTY, STATE, TYPE, Index, Occurrence, Symbol,
)
from dsl.semantics import Analysis
from dsl.semantics.scope import BUILTIN_FUNCS, TYPE_NAMES
from dsl.semantics.typerules import BUILTIN_VALUES, PARTY_FIELDS
from dsl.syntax import ast
from dsl.syntax.lexer import KEYWORDS
from vm.types import PARTY as PARTY_TYPE, ListType, MapType, RecordType, Type

GAS_NOTE = ("Gas: the toolchain computes no static bound for an entry (loops over state make it depend on the "
            "data); `baochain test --gas` reports what each scenario's calls used.")
METHODS = {"append": "List[T].append(x): adds x at the end", "get": "Map[K, V].get(k, default): the value at k, or default"}
_NAME_RE = re.compile(r"[^\W\d]\w*\Z")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class Refusal(Exception):
    """A request the server declines, with the reason the person reads (an LSP error response)."""


# ---------------------------------------------------------------------------------------------
# Positions

class Places:
    """Spans of one file ↔ protocol ranges, in the client's units."""

    def __init__(self, lines: list[str], codec: PositionCodec):
        self.lines = lines
        self.codec = codec

    def range(self, span: ast.Span) -> lsp.Range:
        start = ServerTextPosition(max(span.line - 1, 0), max(span.col - 1, 0))
        end = ServerTextPosition(max(span.end_line - 1, 0), max(span.end_col - 1, 0))
        if (end.line, end.character) < (start.line, start.character):
            end = start
        return self.codec.range_to_client_units(self.lines, ServerTextRange(start, end))

    def position(self, pos: lsp.Position) -> tuple[int, int]:
        """A protocol position as the 1-based (line, col) spans use."""
        p = self.codec.position_from_client_units(self.lines, pos)
        return p.line + 1, p.character + 1


def _file_lines(path: str) -> list[str]:
    try:
        return Path(path).read_text(encoding="utf-8").splitlines() or [""]
    except (OSError, UnicodeDecodeError):
        return [""]


def location(span: ast.Span, codec: PositionCodec, snap: Snapshot) -> lsp.Location:
    lines = snap.lines if span.file == snap.path else _file_lines(span.file)
    return lsp.Location(uri=from_fs_path(span.file) or span.file, range=Places(lines, codec).range(span))


# ---------------------------------------------------------------------------------------------
# Diagnostics

def diagnostics(snap: Snapshot, found: list[Diagnostic], codec: PositionCodec) -> list[lsp.Diagnostic]:
    places = Places(snap.lines, codec)
    out = []
    for d in found:
        message = d.message if d.hint is None else f"{d.message}\nhint: {d.hint}"
        if d.span.file == snap.path or d.span.line == 0:
            where = places.range(d.span)
        else:  # in a `use`d module: said at the top of this file, with the place it is in
            message = f"{d.span}: {message}"
            where = lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0))
        out.append(lsp.Diagnostic(
            range=where, message=message, source="bao", code=d.code.name,
            severity=lsp.DiagnosticSeverity.Error if d.severity is Severity.ERROR else lsp.DiagnosticSeverity.Warning,
            related_information=[lsp.DiagnosticRelatedInformation(location(r.span, codec, snap), r.message)
                                 for r in d.related if r.span.line > 0] or None))
    return out


# ---------------------------------------------------------------------------------------------
# What a symbol is, in words

def _module_index(analysis: Analysis, name: str) -> Index | None:
    module = analysis.modules.get(name)
    return Index(module) if module is not None else None


def declaration(symbol: Symbol, index: Index) -> tuple[Occurrence, Analysis] | None:
    """Where ``symbol`` is declared: in this file, or in a `use`d module (its analysis with it)."""
    here = index.declaration(symbol)
    if here is not None:
        return here, index.analysis
    owners = [symbol.owner] if symbol.kind == FUNCTION and symbol.owner else list(index.analysis.modules)
    for name in owners:
        module = _module_index(index.analysis, name)
        found = module.declaration(symbol.in_module()) if module is not None else None
        if found is not None:
            return found, module.analysis  # type: ignore[union-attr]  # found implies module
    return None


def _params(params: tuple[ast.Param, ...]) -> str:
    return ", ".join(f"{p.name.name}: {_type_text(p.type)}" for p in params)


def _type_text(t: ast.TypeRef) -> str:
    return t.name + (f"[{', '.join(_type_text(a) for a in t.args)}]" if t.args else "")


def _doc(node: object) -> str:
    """The declaration's description as `baochain explain` reads it: each language's part (en, then
    zh), without the spelling's markers; a neutral description once."""
    d = parse_description(getattr(node, "doc", ()))
    if d.neutral:
        return "\n\n".join(d.part(LANGUAGES[0]))
    return "\n\n".join("\n\n".join(text) for lang in LANGUAGES if (text := d.part(lang)))


def describe(occ: Occurrence, index: Index) -> str:
    """Markdown for a hover over ``occ``."""
    s = occ.symbol
    found = declaration(s, index)
    decl, analysis = (found[0], found[1]) if found else (None, index.analysis)
    node = decl.node if decl is not None else None
    t = occ.type or (decl.type if decl is not None else None)
    where = f" (from module `{s.owner}`)" if s.kind == FUNCTION and s.owner else ""
    if s.kind == FUNCTION and isinstance(node, ast.FuncDecl):
        sig = f"{node.kind} {node.name.name}({_params(node.params)})"
        if node.returns is not None:
            sig += f" -> {_type_text(node.returns)}"
        if node.by is not None:
            sig += " by " + ("anyone" if node.by.anyone else ", ".join(r.name for r in node.by.roles))
        parts = [f"```bao\n{sig}\n```{where}", _doc(node)]
        if node.kind in ("action", "view"):
            parts.append(GAS_NOTE)
        return "\n\n".join(p for p in parts if p)
    if s.kind == TYPE:
        types = analysis.types
        if s.name in types.records:
            body = "\n".join(f"    {f}: {ft}" for f, ft in types.record_fields(s.name))
            head = f"```bao\nrecord {s.name}:\n{body}\n```"
        else:
            head = f"```bao\nenum {s.name}: {', '.join(types.enums.get(s.name, ()))}\n```"
        return "\n\n".join(p for p in (head, _doc(node)) if p)
    if s.kind == EVENT and isinstance(node, ast.EventDecl):
        return "\n\n".join(p for p in (f"```bao\nevent {s.name}({_params(node.params)})\n```", _doc(node)) if p)
    if s.kind == MODULE:
        module = analysis.modules.get(s.name)
        text = f"module `{s.name}`"
        if module is not None:
            text += f" — {module.tree.path}\n\n{module.tree.docstring or ''}"
        return text
    if s.kind == BUILTIN:
        return _builtin(s)
    words = {LOCAL: "local", STATE: "state", FIELD: f"field of {s.owner}", ENUM_VALUE: f"value of enum {s.owner}",
             PARTY: "party"}
    typed = f": {t}" if t is not None else ""
    head = f"```bao\n{s.name}{typed}\n```\n{words.get(s.kind, s.kind)}"
    return "\n\n".join(p for p in (head, _doc(node)) if p)


def _builtin(s: Symbol) -> str:
    if s.owner == "Party":
        return f"```bao\nParty.{s.name}: Text\n```\nbuilt-in field of every Party value"
    if s.name in BUILTIN_VALUES:
        return f"```bao\n{s.name}: {BUILTIN_VALUES[s.name]}\n```\nbuilt-in value of the transaction"
    if s.name in METHODS:
        return f"built-in method: {METHODS[s.name]}"
    if s.name in BUILTIN_FUNCS:
        return f"built-in function `{s.name}` (LANGUAGE.md section 5)"
    return f"built-in type `{s.name}`"


# ---------------------------------------------------------------------------------------------
# Requests

def hover(snap: Snapshot, pos: lsp.Position, codec: PositionCodec) -> lsp.Hover | None:
    if snap.index is None:
        return None
    places = Places(snap.lines, codec)
    occ = snap.index.at(*places.position(pos))
    if occ is None:
        return None
    return lsp.Hover(lsp.MarkupContent(lsp.MarkupKind.Markdown, describe(occ, snap.index)), places.range(occ.span))


def definition(snap: Snapshot, pos: lsp.Position, codec: PositionCodec) -> lsp.Location | None:
    if snap.index is None:
        return None
    occ = snap.index.at(*Places(snap.lines, codec).position(pos))
    if occ is None:
        return None
    if occ.symbol.kind == MODULE:
        module = snap.index.analysis.modules.get(occ.symbol.name)
        if module is None:
            return None
        return lsp.Location(from_fs_path(module.tree.path) or module.tree.path,
                            lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)))
    found = declaration(occ.symbol, snap.index)
    return location(found[0].span, codec, snap) if found else None


def rename(snap: Snapshot, pos: lsp.Position, new_name: str, codec: PositionCodec, uri: str) -> lsp.WorkspaceEdit:
    if snap.index is None:
        raise Refusal("the document does not check: fix its errors before renaming")
    places = Places(snap.lines, codec)
    line, col = places.position(pos)
    occ = snap.index.at(line, col)
    if occ is None:
        word = _word_at(snap.lines, line, col)
        if word in KEYWORDS:
            raise Refusal(f"`{word}` is a keyword of Bao and cannot be renamed")
        raise Refusal("there is no name to rename here")
    s = occ.symbol
    if s.kind == BUILTIN:
        raise Refusal(f"`{s.name}` is built into Bao and cannot be renamed")
    if s.kind == MODULE or snap.index.declaration(s) is None:
        raise Refusal(f"`{s.name}` is declared in another file; rename it there")
    if not _NAME_RE.match(new_name) or new_name in KEYWORDS or new_name in BUILTIN_FUNCS \
            or new_name in BUILTIN_VALUES or new_name in TYPE_NAMES:
        raise Refusal(f"`{new_name}` cannot name anything in Bao: it is not a name, or it is a keyword or built-in")
    edits = [lsp.TextEdit(places.range(o.span), new_name) for o in snap.index.references(s)]
    return lsp.WorkspaceEdit(changes={uri: edits})


def formatting(snap: Snapshot, codec: PositionCodec) -> list[lsp.TextEdit]:
    if snap.tree is None:
        first = next((d for d in snap.diagnostics if d.severity is Severity.ERROR), None)
        raise Refusal("the document has syntax errors and is left as it is"
                      + (f" (line {first.span.line}: {first.message})" if first else ""))
    formatted = format_tree(snap.tree, snap.text)
    if formatted == snap.text:
        return []
    lines = _LINE_BREAK.split(snap.text)  # the last is what follows the last line break
    end = lsp.Position(len(lines) - 1, codec.client_num_units(lines[-1]))
    return [lsp.TextEdit(lsp.Range(lsp.Position(0, 0), end), formatted)]


def _word_at(lines: list[str], line: int, col: int) -> str:
    text = lines[line - 1] if 0 < line <= len(lines) else ""
    start = end = min(col - 1, len(text))
    while start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    while end < len(text) and (text[end].isalnum() or text[end] == "_"):
        end += 1
    return text[start:end]


# ---------------------------------------------------------------------------------------------
# Completion

_CHAIN_RE = re.compile(r"([^\W\d]\w*(?:\[[^\[\]]*\])*(?:\.[^\W\d]\w*(?:\[[^\[\]]*\])*)*)\.\w*\Z")
_STEP_RE = re.compile(r"([^\W\d]\w*)((?:\[[^\[\]]*\])*)")


def completion(snap: Snapshot, index: Index | None, pos: lsp.Position, codec: PositionCodec) -> lsp.CompletionList:
    """``snap`` is the document as it is now; ``index`` the newest one that checked."""
    line, col = Places(snap.lines, codec).position(pos)
    text = snap.lines[line - 1][:col - 1] if line <= len(snap.lines) else ""
    chain = _CHAIN_RE.search(text)
    items = _members(chain.group(1), index, line) if chain and index else (
        [] if chain else _names(index, line))
    return lsp.CompletionList(is_incomplete=False, items=items)


def _item(label: str, kind: lsp.CompletionItemKind, detail: str | None = None) -> lsp.CompletionItem:
    return lsp.CompletionItem(label=label, kind=kind, detail=detail)


def _names(index: Index | None, line: int) -> list[lsp.CompletionItem]:
    items = [_item(k, lsp.CompletionItemKind.Keyword) for k in sorted(KEYWORDS)]
    items += [_item(f, lsp.CompletionItemKind.Function, "built-in") for f in sorted(BUILTIN_FUNCS)]
    items += [_item(v, lsp.CompletionItemKind.Variable, str(t)) for v, t in BUILTIN_VALUES.items()]
    items += [_item(t, lsp.CompletionItemKind.Class, "built-in type") for t in sorted(TYPE_NAMES)]
    if index is None:
        return items
    kinds = {STATE: lsp.CompletionItemKind.Field, TYPE: lsp.CompletionItemKind.Class,
             FUNCTION: lsp.CompletionItemKind.Function, EVENT: lsp.CompletionItemKind.Event,
             PARTY: lsp.CompletionItemKind.Constant, ENUM_VALUE: lsp.CompletionItemKind.EnumMember,
             LOCAL: lsp.CompletionItemKind.Variable}
    around = _function_at(index.analysis.tree, line)
    seen: set[str] = set()
    for o in index.declarations():
        s = o.symbol
        if s.kind == FIELD or s.name in seen:
            continue
        if s.kind == LOCAL and (around is None or s.owner is None or not s.owner.startswith(around + "#")):
            continue
        seen.add(s.name)
        items.append(_item(s.name, kinds.get(s.kind, lsp.CompletionItemKind.Text),
                           str(o.type) if o.type is not None else s.kind))
    for name, module in index.analysis.modules.items():
        items.append(_item(name, lsp.CompletionItemKind.Module, "module"))
        for fname, info in module.functions.items():
            if info.kind == "fn" and "." not in fname and fname not in seen:
                seen.add(fname)
                items.append(_item(fname, lsp.CompletionItemKind.Function, f"fn of {name}"))
    return items


def _function_at(tree: ast.SourceFile, line: int) -> str | None:
    for d in tree.decls:
        if isinstance(d, (ast.FuncDecl, ast.InitDecl)) and d.span.line <= line <= d.span.end_line:
            return d.name.name if isinstance(d, ast.FuncDecl) else "init"
    return None


def _type_of_name(name: str, index: Index, line: int) -> Type | None:
    """The type of the name ``name`` at ``line``: the nearest typed occurrence of it above the
    line in the same function, else of the state variable or built-in value of that name."""
    if name in BUILTIN_VALUES:
        return BUILTIN_VALUES[name]
    around = _function_at(index.analysis.tree, line)
    best: Type | None = None
    for o in index.occurrences:
        s = o.symbol
        if s.name != name or o.type is None or s.kind not in (LOCAL, STATE) or o.span.line > line:
            continue
        if s.kind == STATE or (around is not None and s.owner is not None and s.owner.startswith(around + "#")):
            best = o.type
    return best


def _members(chain: str, index: Index, line: int) -> list[lsp.CompletionItem]:
    steps = _STEP_RE.findall(chain)
    first, indexes = steps[0]
    analysis = index.analysis
    types = analysis.types
    if len(steps) == 1 and not indexes:
        if first in analysis.modules:
            module = analysis.modules[first]
            return [_item(n, lsp.CompletionItemKind.Function, f"{i.kind} of {first}")
                    for n, i in module.functions.items() if "." not in n and i.kind == "fn"]
        if first in types.enums:
            return [_item(v, lsp.CompletionItemKind.EnumMember, first) for v in types.enum_values(first)]
    t = _type_of_name(first, index, line)
    for i, (name, brackets) in enumerate(steps):
        if i > 0 and isinstance(t, RecordType):
            t = dict(types.record_fields(t.name)).get(name)
        elif i > 0:
            t = None
        for _ in range(brackets.count("[")):
            t = t.value if isinstance(t, MapType) else t.elem if isinstance(t, ListType) else None
    if isinstance(t, RecordType) and t.name in types.records:
        return [_item(f, lsp.CompletionItemKind.Field, str(ft)) for f, ft in types.record_fields(t.name)]
    if t == PARTY_TYPE:
        return [_item(f, lsp.CompletionItemKind.Field, "Text") for f in PARTY_FIELDS]
    if isinstance(t, ListType):
        return [_item("append", lsp.CompletionItemKind.Method, METHODS["append"])]
    if isinstance(t, MapType):
        return [_item("get", lsp.CompletionItemKind.Method, METHODS["get"])]
    return []


# ---------------------------------------------------------------------------------------------
# Outline

def outline(snap: Snapshot, codec: PositionCodec) -> list[lsp.DocumentSymbol]:
    tree = snap.tree
    if tree is None:
        return []
    places = Places(snap.lines, codec)

    def sym(name: str, kind: lsp.SymbolKind, whole: ast.Span, name_span: ast.Span, detail: str | None = None,
            children: list[lsp.DocumentSymbol] | None = None) -> lsp.DocumentSymbol:
        return lsp.DocumentSymbol(name=name or "?", kind=kind, range=places.range(whole),
                                  selection_range=places.range(name_span), detail=detail, children=children)

    if isinstance(tree, ast.TestFile):
        scenarios = [sym(s.title, lsp.SymbolKind.Event, s.span, s.span, "scenario") for s in tree.scenarios]
        return [sym(f"tests for {tree.target}", lsp.SymbolKind.Module, tree.span, tree.span, None, scenarios)]
    children: list[lsp.DocumentSymbol] = []
    for d in tree.decls:
        if isinstance(d, ast.Parties):
            children += [sym(n.name, lsp.SymbolKind.Constant, d.span, n.span, "party") for n in d.names]
        elif isinstance(d, ast.EnumDecl):
            values = [sym(v.name.name, lsp.SymbolKind.EnumMember, v.span, v.name.span) for v in d.values]
            children.append(sym(d.name.name, lsp.SymbolKind.Enum, d.span, d.name.span, "enum", values))
        elif isinstance(d, ast.RecordDecl):
            fields = [sym(f.name.name, lsp.SymbolKind.Field, f.span, f.name.span, _type_text(f.type)) for f in d.fields]
            children.append(sym(d.name.name, lsp.SymbolKind.Struct, d.span, d.name.span, "record", fields))
        elif isinstance(d, ast.StateDecl):
            state = [sym(f.name.name, lsp.SymbolKind.Variable, f.span, f.name.span, _type_text(f.type)) for f in d.vars]
            children.append(sym("state", lsp.SymbolKind.Namespace, d.span, _first_line(d.span), None, state))
        elif isinstance(d, ast.EventDecl):
            children.append(sym(d.name.name, lsp.SymbolKind.Event, d.span, d.name.span, f"event({_params(d.params)})"))
        elif isinstance(d, ast.LifecycleDecl):
            children.append(sym(f"lifecycle {d.record.name}.{d.field.name}", lsp.SymbolKind.Namespace, d.span,
                                d.record.span, "lifecycle"))
        elif isinstance(d, ast.InitDecl):
            children.append(sym("init", lsp.SymbolKind.Constructor, d.span, _first_line(d.span), f"({_params(d.params)})"))
        elif isinstance(d, ast.FuncDecl):
            kind = {"action": lsp.SymbolKind.Method, "view": lsp.SymbolKind.Property}.get(d.kind, lsp.SymbolKind.Function)
            children.append(sym(d.name.name, kind, d.span, d.name.span, f"{d.kind}({_params(d.params)})"))
    kind = lsp.SymbolKind.Class if tree.kind == "contract" else lsp.SymbolKind.Module
    return [sym(tree.name.name, kind, tree.span, tree.name.span, tree.kind, children)]


def _first_line(span: ast.Span) -> ast.Span:
    return ast.Span(span.file, span.line, span.col, span.line, span.col + 1)


def fs_path(uri: str) -> str:
    """The file a document URI names (an untitled document keeps its URI as its path)."""
    return to_fs_path(uri) or uri
