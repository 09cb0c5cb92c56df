"""The Bao syntax tree: frozen dataclasses with source spans.

The parser's one Transformer builds these; every later phase (checker, compiler, formatter,
`explain`, the scenario runner) reads them and never sees a Lark tree. Nodes compare by value
*without* their spans (span fields use ``compare=False``), so "the formatter preserves the AST"
is plain ``==``. Phases that annotate nodes key their tables by ``id(node)`` while the tree lives.

Literals keep their source text (``text``) so the formatter can write them back as written;
their meaning is computed by the checker/compiler from that text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

from dsl.diagnostics import Diagnostic
from dsl.span import NO_SPAN, Span

# Span and NO_SPAN are part of the tree's vocabulary: phases name them as ast.Span, ast.NO_SPAN.


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# ----------------------------------------------------------------------------------------------
# Names and type expressions

@dataclass(frozen=True, slots=True)
class Ident:
    """A name as written at one place (declarations, `by` lists, event names, ...)."""

    name: str
    span: Span = _span()


TUPLE_TYPE = "()"  # the name of a tuple type's TypeRef: no written name can be it


@dataclass(frozen=True, slots=True)
class TypeRef:
    """A type as written: `Money`, `Map[Text, Policy]`, `List[Int]`, `Policy`; ``optional``
    for `T?` (a value of T, or `none`). A tuple type `(Text, Int)` is named `TUPLE_TYPE`, its
    parts the args."""

    name: str
    args: tuple[TypeRef, ...] = ()
    span: Span = _span()
    optional: bool = False


# ----------------------------------------------------------------------------------------------
# Expressions

@dataclass(frozen=True, slots=True)
class IntLit:
    text: str  # as written, e.g. "1_000_000"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DecimalLit:
    text: str  # "0.05"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class MoneyLit:
    amount: str  # "1200.50" as written
    currency: str  # "CNY"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class PercentLit:
    text: str  # the number before '%': "12.5"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DateLit:
    text: str  # "2024-03-01"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DurationLit:
    amount: str  # "30"
    unit: str  # "day" | "days" | "week" | "weeks"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class TextLit:
    """A string. ``parts`` alternate literal text (already unescaped, `{{` → `{`) and
    interpolated expressions, in source order; a plain string is one `str` part."""

    parts: tuple[Union[str, "Expr"], ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class BoolLit:
    value: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class HashLit:
    text: str  # "0x" + 64 hex digits, as written
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ListLit:
    items: tuple["Expr", ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class TupleLit:
    """`(policy_id, year)`: two or more parts in parentheses (`(x)` is x itself)."""

    items: tuple["Expr", ...]
    span: Span = _span()


def tuple_part(e: "Index") -> int | None:
    """The part `k[n]` reads of a tuple k: n written as a whole-number literal (else None)."""
    return int(e.index.text.replace("_", "")) if isinstance(e.index, IntLit) else None


@dataclass(frozen=True, slots=True)
class MapLit:
    entries: tuple[tuple["Expr", "Expr"], ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Name:
    """Any bare identifier in an expression: a local, parameter, state variable, enum value,
    enum or record name, party role, built-in value (`caller`, `now`, `today`, `tx_id`) or
    function. The checker decides which."""

    id: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Attribute:
    """`obj.name`: a record field, `caller.org`, `E.A`, or a method target (`xs.append`)."""

    obj: "Expr"
    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Index:
    obj: "Expr"
    index: "Expr"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Arg:
    """A call argument; ``name`` is set for `field: value` (record construction, events)."""

    value: "Expr"
    name: str | None = None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Call:
    """`f(args)`, `Policy(holder: ...)`, `xs.append(x)` (func is an Attribute), `m.get(k, d)`."""

    func: "Expr"
    args: tuple[Arg, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Unary:
    op: str  # "-" | "not"
    operand: "Expr"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Binary:
    op: str  # "+" "-" "*" "/" "//" "mod" "and" "or"
    left: "Expr"
    right: "Expr"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Compare:
    """A comparison chain `a <= b <= c`: ``first`` then (op, operand) pairs.
    ops: "==" "!=" "<" "<=" ">" ">=" "in" "not in"."""

    first: "Expr"
    rest: tuple[tuple[str, "Expr"], ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Conditional:
    """`then if cond else otherwise`."""

    then: "Expr"
    cond: "Expr"
    otherwise: "Expr"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class PartyLit:
    """Test files only: `insurer "PICC"` — a party with that role, org and id both the text."""

    role: str
    name: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class NoneLit:
    """`none`: the empty value of an optional type (`T?`), taken from where it stands."""

    span: Span = _span()


@dataclass(frozen=True, slots=True)
class IsNone:
    """`x is none` (``negated``: `x is not none`)."""

    operand: "Expr"
    negated: bool
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class OrElse:
    """`x or else d`: the value `x` holds, or `d` when `x` is `none` (`d` evaluated only then)."""

    value: "Expr"
    default: "Expr"
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class OrFail:
    """`x or fail "message"`: the value `x` holds; when `x` is `none` the call aborts with the message."""

    value: "Expr"
    message: "Expr"
    span: Span = _span()


Expr = Union[
    IntLit, DecimalLit, MoneyLit, PercentLit, DateLit, DurationLit, TextLit, BoolLit, HashLit,
    ListLit, TupleLit, MapLit, Name, Attribute, Index, Call, Unary, Binary, Compare, Conditional, PartyLit,
    NoneLit, IsNone, OrElse, OrFail,
]


# ----------------------------------------------------------------------------------------------
# Statements

@dataclass(frozen=True, slots=True)
class Let:
    name: Ident
    type: TypeRef | None
    value: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Assign:
    """`target op value`; target is a Name, Attribute or Index chain; op "=" "+=" "-="."""

    target: Expr
    op: str
    value: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class IfBranch:
    cond: Expr
    body: tuple["Stmt", ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class If:
    """`if` and its `elif`s are ``branches`` in order; ``otherwise`` is the `else` block."""

    branches: tuple[IfBranch, ...]
    otherwise: tuple["Stmt", ...] | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class For:
    """`for x in xs:`, `for k, v in m:`, `for i in range(a, b):` (iter is a Call of Name("range"))."""

    vars: tuple[Ident, ...]
    iter: Expr
    body: tuple["Stmt", ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Require:
    cond: Expr
    message: Expr | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Fail:
    message: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Emit:
    event: Ident
    args: tuple[Arg, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Return:
    value: Expr | None
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Delete:
    target: Expr  # an Index
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Pass:
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ExprStmt:
    expr: Expr
    span: Span = _span()


Stmt = Union[Let, Assign, If, For, Require, Fail, Emit, Return, Delete, Pass, ExprStmt]


# ----------------------------------------------------------------------------------------------
# Declarations. ``doc`` holds the description: the comment lines directly above the
# declaration, without the leading "# " (one string per line).

@dataclass(frozen=True, slots=True)
class Comment:
    """Any `#` comment in a file, for the formatter (``text`` excludes the `#`)."""

    text: str
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Param:
    name: Ident
    type: TypeRef
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class By:
    """`by a, b` or `by anyone`."""

    roles: tuple[Ident, ...]
    anyone: bool = False
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Use:
    module: Ident
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Parties:
    names: tuple[Ident, ...]
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class EnumValue:
    name: Ident
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class EnumDecl:
    name: Ident
    values: tuple[EnumValue, ...]
    doc: tuple[str, ...] = ()
    multiline: bool = False  # written one value per indented line (the formatter keeps the form)
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class FieldDecl:
    """A record field or a state variable: `name: Type [= default]`."""

    name: Ident
    type: TypeRef
    default: Expr | None = None
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class RecordDecl:
    name: Ident
    fields: tuple[FieldDecl, ...]
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class StateDecl:
    vars: tuple[FieldDecl, ...]
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class EventDecl:
    name: Ident
    params: tuple[Param, ...]
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class Transition:
    sources: tuple[Ident, ...]
    target: Ident
    by: tuple[Ident, ...]
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class LifecycleDecl:
    record: Ident
    field: Ident
    start: Ident | None
    transitions: tuple[Transition, ...]
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class InitDecl:
    params: tuple[Param, ...]
    by: By | None
    body: tuple[Stmt, ...]
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class FuncDecl:
    """`action`, `view` and `fn` share one shape; ``kind`` tells which. ``by`` is None when the
    source has no `by` clause (a compile error for actions, `by anyone` for views, and always
    None for fns)."""

    kind: str  # "action" | "view" | "fn"
    name: Ident
    params: tuple[Param, ...]
    returns: TypeRef | None
    by: By | None
    body: tuple[Stmt, ...]
    doc: tuple[str, ...] = ()
    span: Span = _span()


Decl = Union[Use, Parties, EnumDecl, RecordDecl, StateDecl, EventDecl, LifecycleDecl, InitDecl, FuncDecl]


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A `.bao` file: ``kind`` is "contract" or "module"."""

    kind: str
    name: Ident
    docstring: str | None
    decls: tuple[Decl, ...]
    doc: tuple[str, ...] = ()  # comment lines directly above `contract`/`module`
    comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)
    path: str = field(default="<memory>", compare=False)
    span: Span = _span()
    # What the lexer warns of (two spellings of one name); the checker reports them with its own.
    warnings: tuple[Diagnostic, ...] = field(default=(), compare=False, repr=False)


# ----------------------------------------------------------------------------------------------
# Test files (`*.test.bao`)

@dataclass(frozen=True, slots=True)
class AtStep:
    """`at 2024-05-01`."""

    date: DateLit
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class LetStep:
    """`let picc = insurer "PICC"` (value is a PartyLit) or any other `let x = expr`."""

    name: Ident
    value: Expr
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class DeployStep:
    """`deploy by X` / `deploy(args) by X`, and with `fails with "t"` after it (``fails_with``):
    the deployment must abort with a message containing t, and the contract stays undeployed.
    ``caller`` names a scenario local."""

    args: tuple[Arg, ...]
    caller: Ident
    span: Span = _span()
    fails_with: str | None = None


@dataclass(frozen=True, slots=True)
class CallStep:
    """`X calls f(args)` (expect=False) and `expect X calls f(args) returns V | fails with "t"`.
    A plain `expect X calls f(args)` with neither expects success. `let v = X calls f(args)`
    (``binds`` = v) makes the call and keeps what it returns as the scenario local v."""

    caller: Ident
    function: Ident
    args: tuple[Arg, ...]
    expect: bool = False
    returns: Expr | None = None
    fails_with: str | None = None
    span: Span = _span()
    binds: Ident | None = None


@dataclass(frozen=True, slots=True)
class ExpectEmitted:
    """`expect emitted E(field: value, ...)`."""

    event: Ident
    args: tuple[Arg, ...]
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class ExpectTrue:
    """`expect <Bool expression>`."""

    expr: Expr
    span: Span = _span()


Step = Union[AtStep, LetStep, DeployStep, CallStep, ExpectEmitted, ExpectTrue]


@dataclass(frozen=True, slots=True)
class Scenario:
    title: str
    steps: tuple[Step, ...]
    doc: tuple[str, ...] = ()
    span: Span = _span()


@dataclass(frozen=True, slots=True)
class TestFile:
    """A `*.test.bao` file: `tests for "health.bao"` and its scenarios."""

    __test__ = False  # not a pytest class

    target: str
    scenarios: tuple[Scenario, ...]
    doc: tuple[str, ...] = ()
    comments: tuple[Comment, ...] = field(default=(), compare=False, repr=False)
    path: str = field(default="<memory>", compare=False)
    span: Span = _span()
    # What the lexer warns of (two spellings of one name); the checker reports them with its own.
    warnings: tuple[Diagnostic, ...] = field(default=(), compare=False, repr=False)
