"""What the checker learns about a file, in the form the compiler, `explain` and the scenario
runner read. The checker (`dsl.semantics.checker`) builds it; nothing after the checker looks a name up again.

Annotations are keyed by ``id(node)`` of nodes of the (immutable) tree in ``Analysis.tree``,
which the analysis keeps alive.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Union

from dsl.diagnostics import Diagnostic
from dsl.syntax import ast
from vm.types import RecordType, Type, TypeTable


class FunctionKind(enum.StrEnum):
    """What a function is. The value is the keyword that declares it (`ast.FuncDecl.kind`, or
    `init`), so a kind prints as, and compares equal to, its keyword."""

    ACTION = "action"
    VIEW = "view"
    FN = "fn"
    INIT = "init"


# ---------------------------------------------------------------------------------------------
# What a name (or attribute, or call target) refers to: ``Annotations.refs[id(node)]``.

@dataclass(frozen=True, slots=True)
class LocalRef:
    """A `let` local, a loop variable or a parameter of the enclosing function (or a scenario
    local in a test file). ``slot`` numbers the locals of one function: parameters first, in
    order, then each local in order of declaration; a slot is never reused within a function."""

    name: str
    slot: int


@dataclass(frozen=True, slots=True)
class StateRef:
    """A state variable; ``index`` is its position in the `state:` block."""

    name: str
    index: int


@dataclass(frozen=True, slots=True)
class EnumValueRef:
    """`Active` or `PolicyStatus.Active` (the Attribute node or the Name node is annotated)."""

    enum: str
    index: int


@dataclass(frozen=True, slots=True)
class FieldRef:
    """`p.status`: field ``index`` of record ``record`` (the Attribute node is annotated)."""

    record: str
    index: int


@dataclass(frozen=True, slots=True)
class PartyFieldRef:
    """`caller.org` / `.id` / `.role` on any Party value."""

    field: str


@dataclass(frozen=True, slots=True)
class FunctionRef:
    """A call of a `fn`, or (only in scenario expressions) of a view. ``module`` is None for the
    contract's own functions, else the `use`d module's name."""

    name: str
    kind: FunctionKind  # FN, or VIEW (scenarios only), or ACTION
    module: str | None = None


@dataclass(frozen=True, slots=True)
class RecordCtorRef:
    """`Policy(holder: ..., ...)`: ``args`` gives, per field, the index of the Arg given for it, or
    to None where the field's default applies (the compiler evaluates the default)."""

    record: str
    args: tuple[int | None, ...]  # per field in declaration order: index into Call.args, or None


@dataclass(frozen=True, slots=True)
class BuiltinValueRef:
    name: str  # "caller" | "now" | "today" | "tx_id"


@dataclass(frozen=True, slots=True)
class BuiltinFuncRef:
    """A built-in function call; ``variant`` tells the compiler which typed operation to emit,
    e.g. "min:Money", "len:Text", "len:List", "sum:Money", "round:Decimal", "text", "sm3:Text"."""

    name: str
    variant: str


@dataclass(frozen=True, slots=True)
class MethodRef:
    """`xs.append(x)` or `m.get(k, d)` (the Call node is annotated). ``on_state`` names the state
    variable when the receiver is a state variable (or an element path starting at one)."""

    name: str  # "append" | "get"
    on_state: str | None = None


@dataclass(frozen=True, slots=True)
class TypeNameRef:
    """A Name that names an enum or record type itself (as in `PolicyStatus.Active`)."""

    name: str


Ref = Union[
    LocalRef, StateRef, EnumValueRef, FieldRef, PartyFieldRef, FunctionRef, RecordCtorRef,
    BuiltinValueRef, BuiltinFuncRef, MethodRef, TypeNameRef,
]


# ---------------------------------------------------------------------------------------------
# Declarations, resolved.

@dataclass(frozen=True, slots=True)
class StateVarInfo:
    name: str
    index: int
    type: Type
    default: ast.Expr | None  # None: the type's empty/zero start (maps and lists start empty)
    decl: ast.FieldDecl


@dataclass(frozen=True, slots=True)
class ParamInfo:
    name: str
    type: Type


@dataclass(frozen=True, slots=True)
class FunctionInfo:
    """An action, view, fn or init (name "init"). ``roles`` is the resolved `by` list (empty and
    ``anyone`` True for `by anyone` and for views without `by`). ``local_types`` has the type of
    every slot (see LocalRef)."""

    name: str
    kind: FunctionKind
    params: tuple[ParamInfo, ...]
    returns: Type | None
    roles: tuple[str, ...]
    anyone: bool
    local_types: tuple[Type, ...]
    decl: ast.FuncDecl | ast.InitDecl
    module: str | None = None  # set for functions of a `use`d module


@dataclass(frozen=True, slots=True)
class EventInfo:
    name: str
    params: tuple[ParamInfo, ...]
    decl: ast.EventDecl


@dataclass(frozen=True, slots=True)
class TransitionInfo:
    sources: tuple[int, ...]  # enum value indexes
    target: int
    roles: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LifecycleInfo:
    record: str
    field: str
    field_index: int
    enum: str
    start: int | None  # enum value index a new record must hold, if `starts` is given
    transitions: tuple[TransitionInfo, ...]
    decl: ast.LifecycleDecl


@dataclass
class Analysis:
    """A checked contract or module. ``types`` holds the records and enums of the file and of
    every module it uses; ``functions`` holds the file's own functions by name and the used
    modules' fns under "module.name" as well as their bare name when unambiguous."""

    tree: ast.SourceFile
    types: TypeTable
    parties: tuple[str, ...]
    state: tuple[StateVarInfo, ...]
    functions: dict[str, FunctionInfo]
    events: dict[str, EventInfo]
    lifecycles: tuple[LifecycleInfo, ...]
    modules: dict[str, "Analysis"] = field(default_factory=dict)
    annotations: Annotations = field(default_factory=lambda: Annotations())
    warnings: list[Diagnostic] = field(default_factory=list)  # of severity "warning"


# ---------------------------------------------------------------------------------------------
# What the checker records per expression node

@dataclass(slots=True)
class Annotations:
    """The checker's findings per node, keyed by ``id(node)``: an expression's type, the type its
    place converts it to, and what a name, attribute or call refers to. The checker fills one per
    file (a test file's scenario expressions included); the compiler merges those of a contract,
    its modules and a test file into one (`add`): node ids never collide while the trees live."""

    expr_types: dict[int, Type] = field(default_factory=dict)  # id(expr) -> its type
    # id(expr) -> the type the context converts it to (Int widened to Decimal; `[]`/`{}` given a
    # type from where it stands). Only present where it differs from expr_types.
    coercions: dict[int, Type] = field(default_factory=dict)
    refs: dict[int, Ref] = field(default_factory=dict)

    def type_of(self, expr: ast.Expr) -> Type:
        """The type an expression has where it stands (after any coercion)."""
        return self.coercions.get(id(expr)) or self.expr_types[id(expr)]

    def record_of(self, expr: ast.Expr) -> str | None:
        """The name of the record type `expr` has, when it has one (None for other types and for
        nodes the checker did not type)."""
        t = self.expr_types.get(id(expr))
        return t.name if isinstance(t, RecordType) else None

    def add(self, other: Annotations) -> None:
        self.expr_types.update(other.expr_types)
        self.coercions.update(other.coercions)
        self.refs.update(other.refs)


# ---------------------------------------------------------------------------------------------
# Test files

@dataclass
class TestAnalysis:
    """A checked `*.test.bao` against its contract. Scenario expressions (call arguments,
    `returns` values, `expect` expressions, `emitted` field values, `let` values) are annotated
    in its ``annotations`` like contract code; ``scenario_locals[i]`` lists the
    locals of scenario i with their types, in order of declaration (a LocalRef's slot indexes
    it). A call of a view inside a scenario expression is a FunctionRef of kind VIEW."""

    __test__ = False

    tree: ast.TestFile
    contract: Analysis
    scenario_locals: list[tuple[ParamInfo, ...]]
    annotations: Annotations = field(default_factory=lambda: Annotations())
