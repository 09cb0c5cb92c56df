"""Symbols and scopes: the one namespace of a contract (or module), the locals of a function,
the findings of a check and its annotations.

A contract's parties, enums, records, events, state variables, actions, views, functions and
enum values share one namespace; two enums may share a value name, which then must be written
qualified. Nothing here is global: each `check` builds its own `ContractScope`.
"""

from __future__ import annotations

import difflib
import enum
from dataclasses import dataclass, field

from dsl.diagnostics import Code, Diagnostic, Related, Severity
from dsl.semantics.analysis import Analysis, EventInfo, FunctionInfo, FunctionKind, LocalRef, ParamInfo, StateVarInfo
from dsl.semantics.nesting import Nesting
from dsl.semantics.typerules import BUILTIN_VALUES
from dsl.syntax import ast
from vm.types import Type

BUILTIN_FUNCS = frozenset({
    "len", "min", "max", "abs", "sum", "round", "round_even", "floor", "ceil", "text", "sm3",
    "sha256", "add_months", "days_between", "year", "month", "day", "range",
})
BUILTIN_VALUE_NAMES = frozenset(BUILTIN_VALUES)
TYPE_NAMES = frozenset({"Int", "Decimal", "Money", "Percent", "Date", "Duration", "Timestamp", "Text",
                        "Bool", "Hash", "Party", "List", "Map"})

class SymbolKind(enum.StrEnum):
    """What a top-level name of a contract is (they share one namespace). A function's kind is
    its `FunctionKind` keyword (`SymbolKind(FunctionKind.FN)`); `kind_word` is how a message
    names each."""

    PARTY = "party"
    ENUM = "enum"
    RECORD = "record"
    EVENT = "event"
    STATE = "state"
    ACTION = "action"
    VIEW = "view"
    FN = "fn"
    ENUM_VALUE = "enum value"


class BodyKind(enum.StrEnum):
    """What an expression checker reads: a function's body (valued as its `FunctionKind`), a
    default or initial value (CONST: pure, like a fn), or a scenario of a test file."""

    ACTION = "action"
    VIEW = "view"
    FN = "fn"
    INIT = "init"
    CONST = "const"
    SCENARIO = "scenario"


_KIND_WORDS = {SymbolKind.STATE: "state variable", SymbolKind.FN: "function"}


def kind_word(kind: SymbolKind) -> str:
    return _KIND_WORDS.get(kind, kind.value)


def article(thing: object) -> str:
    """A type or name with its indefinite article: "an Int", "a Money"."""
    text = str(thing)
    return ("an " if text[:1].lower() in "aeiou" else "a ") + text


def a_kind(kind: SymbolKind) -> str:
    """The kind with its article: "an event", "a record"."""
    word = kind_word(kind)
    return ("an " if word[0] in "aeiou" else "a ") + word


def where(span: ast.Span) -> str:
    return f"line {span.line}" if span.line else "elsewhere"


def did_you_mean(name: str, candidates) -> str | None:
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean `{close[0]}`?" if close else None


def _first_declared(span: ast.Span) -> tuple[Related, ...]:
    # A name from a `use`d module or built in has no place in a file to point at (line 0).
    return (Related("first declared here", span),) if span.line else ()


class Findings:
    """The errors and warnings one check collects; sorted by position when reported."""

    __slots__ = ("errors", "warnings")

    def __init__(self) -> None:
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []

    def error(self, code: Code, message: str, span: ast.Span, hint: str | None = None,
              related: tuple[Related, ...] = ()) -> None:
        self.errors.append(Diagnostic(message, span, hint, code=code, related=related))

    def warn(self, code: Code, message: str, span: ast.Span, hint: str | None = None) -> None:
        self.warnings.append(Diagnostic(message, span, hint, Severity.WARNING, code=code))

    def sorted_errors(self) -> list[Diagnostic]:
        return sorted(self.errors, key=lambda d: (d.span.file, d.span.line, d.span.col))


@dataclass(frozen=True, slots=True)
class Symbol:
    name: str
    kind: SymbolKind
    span: ast.Span
    module: str | None = None


@dataclass(frozen=True, slots=True)
class Signature:
    """What a call of a function needs to know before its body is checked."""

    name: str
    kind: FunctionKind  # ACTION, VIEW or FN
    params: tuple[ParamInfo, ...]
    returns: Type | None
    module: str | None = None


@dataclass
class RecordInfo:
    name: str
    fields: tuple[tuple[str, Type], ...]
    decls: tuple[ast.FieldDecl, ...]
    module: str | None = None

    def index_of(self, field_name: str) -> int | None:
        for i, (n, _) in enumerate(self.fields):
            if n == field_name:
                return i
        return None


@dataclass
class ContractScope:
    """Everything declared at the top level of one file (plus what its `use`d modules export)."""

    kind: str  # "contract" | "module"
    symbols: dict[str, Symbol] = field(default_factory=dict)
    parties: list[str] = field(default_factory=list)
    enums: dict[str, tuple[str, ...]] = field(default_factory=dict)
    enum_values: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # value -> (enum, i)
    records: dict[str, RecordInfo] = field(default_factory=dict)
    events: dict[str, EventInfo] = field(default_factory=dict)
    state: dict[str, StateVarInfo] = field(default_factory=dict)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    # Signatures of actions, views and fns (own and `use`d), known before any body is checked.
    signatures: dict[str, Signature] = field(default_factory=dict)
    # id() of the declaring Ident of each name this file declared without a clash.
    entered: set[int] = field(default_factory=set)
    # How deep each record nests, once every record is resolved.
    nesting: Nesting | None = None

    def field_types(self, record: str) -> tuple[Type, ...]:
        """A record's field types (`vm.types.is_key_type`'s ``fields``); a field whose type was
        refused (already reported) is left out."""
        return tuple(t for _, t in self.records[record].fields if t is not None)

    def declare(self, name: str, kind: SymbolKind, span: ast.Span, findings: Findings,
                module: str | None = None) -> bool:
        """Enter a top-level name; report a clash (both places) and return False on one."""
        if name in BUILTIN_FUNCS or name in BUILTIN_VALUE_NAMES:
            findings.error(Code.B0303, f"`{name}` is a built-in name and cannot be declared", span,
                           "choose another name")
            return False
        if name in TYPE_NAMES:
            findings.error(Code.B0303, f"`{name}` is a built-in type and cannot be declared", span)
            return False
        first = self.symbols.get(name)
        if first is None and kind != SymbolKind.ENUM_VALUE and name in self.enum_values:
            enum_name, _ = self.enum_values[name][0]
            declared = self.symbols.get(enum_name, Symbol(enum_name, SymbolKind.ENUM, span))
            first = Symbol(name, SymbolKind.ENUM_VALUE, declared.span)
        if first is not None:
            origin = f" (from module {first.module})" if first.module else ""
            findings.error(Code.B0302, f"`{name}` is already declared as {a_kind(first.kind)}{origin}", span,
                           "every name of a contract must be unique", related=_first_declared(first.span))
            return False
        self.symbols[name] = Symbol(name, kind, span, module)
        return True

    def declare_enum_value(self, value: str, enum: str, index: int, span: ast.Span,
                           findings: Findings) -> None:
        first = self.symbols.get(value)
        if first is not None:
            findings.error(Code.B0302, f"`{value}` is already declared as {a_kind(first.kind)}", span,
                           related=_first_declared(first.span))
            return
        entries = self.enum_values.setdefault(value, [])
        if any(e == enum for e, _ in entries):
            return  # a repeated value inside one enum is reported by the enum's own check
        entries.append((enum, index))

    def all_names(self) -> list[str]:
        return [*self.symbols, *self.enum_values]


class LocalScope:
    """The locals of one function body (or scenario): nested blocks, slots never reused."""

    __slots__ = ("blocks", "types", "names", "spans", "refs", "narrowed")

    def __init__(self) -> None:
        self.blocks: list[dict[str, int]] = [{}]
        # per block: slot -> the T a `T?` local holds there, where a test proved it is not none
        self.narrowed: list[dict[int, Type]] = [{}]
        self.types: list[Type] = []  # slot -> type
        self.names: list[str] = []
        self.spans: list[ast.Span] = []
        # slot -> its one LocalRef, shared by the declaration and every use (refs are frozen)
        self.refs: list[LocalRef] = []

    def lookup(self, name: str) -> int | None:
        blocks = self.blocks
        for i in range(len(blocks) - 1, -1, -1):  # innermost first
            slot = blocks[i].get(name)
            if slot is not None:
                return slot
        return None

    def add(self, name: str, type_: Type, span: ast.Span) -> int:
        slot = len(self.types)
        self.types.append(type_)
        self.names.append(name)
        self.spans.append(span)
        self.refs.append(LocalRef(name, slot))
        self.blocks[-1][name] = slot
        return slot

    def type_of(self, slot: int) -> Type:
        """The type a read of the local gives here: its declared type, or T where a test of its
        `T?` (`if x is not none:`, or `if x is none:` ending in return or fail) proved it holds one."""
        for narrowed in reversed(self.narrowed):
            t = narrowed.get(slot)
            if t is not None:
                return t
        return self.types[slot]

    def narrow(self, slot: int, t: Type) -> None:
        """From here to the end of the current block, the local reads as ``t``."""
        self.narrowed[-1][slot] = t

    def push(self) -> None:
        self.blocks.append({})
        self.narrowed.append({})

    def pop(self) -> None:
        self.blocks.pop()
        self.narrowed.pop()


class CheckedFile:
    """A checked file with the scope its bodies were checked in (what `use` imports)."""

    __slots__ = ("analysis", "scope")

    def __init__(self, analysis: Analysis, scope: ContractScope) -> None:
        self.analysis = analysis
        self.scope = scope
