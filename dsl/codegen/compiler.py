"""The compiler: a checked contract or module (`dsl.semantics.analysis.Analysis`) -> `vm.module.Module`.

What it decides (the rest follows the opcode table in `vm.opcodes`):
- Functions are laid out as the contract's own actions, views and fns in declaration order,
  then the generated ``init``, then ``__defaults``, then each `use`d module's fns (as
  ``module.name``, modules by name, fns in declaration order).
- ``init`` writes every state variable's initial value (its default expression; else the
  zero of Int, Decimal, Percent, Duration, Text, Bool, Hash, an enum's first value, an empty
  List; Maps write nothing, and other types without a default are left unwritten) and then runs
  the contract's `init` body under its `by` (without one: ``anyone``). ``__defaults`` writes the
  initial values only, for a deployment that skips `init`.
- Record field defaults that are constant expressions also go into the ABI as values
  (`dsl.codegen.constants`), so JSON callers may leave those fields out; other defaults are code.
- Expressions evaluate left to right, each operand once (a comparison chain keeps its middle
  operands in temporaries); call and event arguments evaluate in parameter order, whatever
  order named arguments were written in (they cannot have effects, only abort).
- Code generation proper lives in `dsl.codegen.exprs`, `dsl.codegen.calls`, `dsl.codegen.stmts`.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

from dsl.bytecode_limits import (
    LimitReached, SourceMap, max_code_bytes, max_functions, max_locals, too_many_locals, too_much_code,
)
from dsl.codegen.assembler import CompilerDefect, Pools
from dsl.codegen.constants import field_defaults
from dsl.codegen.stmts import BodyCode
from dsl.codegen.unit import Unit
from dsl.diagnostics import Code, CompileError, Diagnostic
from dsl.semantics.analysis import Analysis, Annotations, FunctionInfo, FunctionKind, LocalRef
from dsl.semantics.typerules import zero_value
from dsl.syntax import ast
from vm.module import Entry, EventDef, Function, Lifecycle, Module, Param, StateVar, Transition
from vm.types import BOOL, DECIMAL, DURATION, HASH, INT, PERCENT, TEXT, EnumType, ListType, MapType, Type

__all__ = ["compile_contract", "compile_with_sources", "CompilerDefect", "ModuleLayout"]


def _name_span(decl: ast.FuncDecl | ast.InitDecl) -> ast.Span:
    """Where a function is named: an action's, view's or fn's name; `init` is its keyword's line."""
    return decl.name.span if isinstance(decl, ast.FuncDecl) else decl.span


def _doc(lines: tuple[str, ...]) -> str:
    return "\n".join(lines)


class ModuleLayout:
    """The function table of a module being compiled, and the unit its code generators share.
    `dsl.codegen.testbuild` extends it with hidden entries."""

    def __init__(self, analysis: Analysis):
        self.analysis = analysis
        self.is_contract = analysis.tree.kind == "contract"
        ann = Annotations()
        ann.add(analysis.annotations)
        for mod in analysis.modules.values():
            ann.add(mod.annotations)
        self.order: list[tuple[str, FunctionInfo | None, str | None]] = []  # (key, info, module)
        for decl in analysis.tree.decls:
            if isinstance(decl, ast.FuncDecl):
                self.order.append((decl.name.name, analysis.functions[decl.name.name], None))
        if self.is_contract:
            self.order.append(("init", analysis.functions.get("init"), None))
            self.order.append(("__defaults", None, None))
        for mod_name in sorted(analysis.modules):
            mod = analysis.modules[mod_name]
            for decl in mod.tree.decls:
                if isinstance(decl, ast.FuncDecl) and decl.kind == "fn":
                    self.order.append((f"{mod_name}.{decl.name.name}", mod.functions[decl.name.name], mod_name))
        self.source_map = SourceMap()
        self.check_function_count()
        functions = {key: (i, info) for i, (key, info, _) in enumerate(self.order) if info is not None}
        record_defaults: dict[str, tuple[ast.Expr | None, ...]] = {}
        for tree in (analysis.tree, *(m.tree for m in analysis.modules.values())):
            for decl in tree.decls:
                if isinstance(decl, ast.RecordDecl):
                    record_defaults.setdefault(decl.name.name, tuple(f.default for f in decl.fields))
        events = {name: (i, info) for i, (name, info) in enumerate(analysis.events.items())}
        self.unit = Unit(ann, Pools(), analysis.types, analysis.state, events, functions, record_defaults)
        self.functions: list[Function] = []

    def check_function_count(self) -> None:
        """The first function past the limit is reported at its declaration (a `use`d module's
        at the `use`, the generated ones at the contract's name)."""
        limit = max_functions()
        if len(self.order) <= limit:
            return
        key, info, module = self.order[limit]
        tree = self.analysis.tree
        span = tree.name.span if info is None else _name_span(info.decl)
        if module is not None:
            span = next((d.module.span for d in tree.decls if isinstance(d, ast.Use) and d.module.name == module), span)
        raise CompileError([Diagnostic(
            f"the contract compiles to {len(self.order):,} functions, more than the {limit:,} a module may have "
            "(its actions, views and fns, `init`, one that writes the initial state, and the fns of the modules "
            "it uses): this one passes the limit", span, "split it into several contracts", code=Code.B0602)])

    # -- function bodies -------------------------------------------------------------------------------
    def compile_function(self, key: str, info: FunctionInfo, module: str | None) -> Function:
        code = BodyCode(self.unit, info.local_types, module, key)
        with self.reporting(key, code, _name_span(info.decl)):
            code.block(info.decl.body)
            self.finish_body(code, info.returns)
        return Function(key, _params(info), info.returns, tuple(code.local_types), code.asm.finish(),
                        _doc(info.decl.doc), self.names(info, code))

    @contextmanager
    def reporting(self, key: str, code: BodyCode, declared: ast.Span) -> Iterator[None]:
        """Compile one function's body: a limit it passes becomes a compile error at the source
        that passed it (else at its declaration); where its code came from goes to the source map."""
        self.source_map.functions[key] = code.spans
        self.source_map.declared[key] = declared
        try:
            yield
            if len(code.asm.code) > max_code_bytes():  # what follows the last statement
                raise too_much_code(key)
            if len(code.local_types) > max_locals():  # names alone (the checker reports them in a contract)
                raise too_many_locals()
        except LimitReached as exc:
            raise CompileError([exc.diagnostic(declared)]) from None

    def names(self, info: FunctionInfo | None, code: BodyCode) -> tuple[str, ...]:
        if info is None:
            return ("",) * len(code.local_types)
        return local_names(self.unit.ann.refs, tuple(p.name for p in info.params), info.decl.body,
                           len(code.local_types))

    @staticmethod
    def finish_body(code: BodyCode, returns) -> None:
        if not code.asm.reachable:
            return
        if returns is None:
            code.emit("RET_VOID")
        else:  # the checker proves every path returns; keep the verifier's promise regardless
            code.const(TEXT, "internal: function ended without a result")
            code.emit("FAIL", 0)

    def write_defaults(self, code: BodyCode) -> None:
        for var in self.analysis.state:
            try:
                self.write_default(code, var)
                if len(code.asm.code) > max_code_bytes():
                    raise too_much_code(code.function_name)
            except LimitReached as exc:
                raise exc.at(var.decl.name.span)

    @staticmethod
    def write_default(code: BodyCode, var) -> None:
        if var.default is not None:
            code.expr(var.default)
        elif isinstance(var.type, MapType):
            return
        elif isinstance(var.type, ListType):
            code.emit("MAKE_LIST", code.tix(var.type), 0)
        else:
            zero = zero_value(var.type)
            if zero is None:
                return
            code.const(var.type, zero)
        code.emit("SSTORE", var.index)

    def compile_init(self, info: FunctionInfo | None) -> Function:
        code = BodyCode(self.unit, info.local_types if info else (), name="init")
        with self.reporting("init", code, info.decl.span if info else self.analysis.tree.name.span):
            self.write_defaults(code)
            if info is not None:
                code.block(info.decl.body)
            self.finish_body(code, None)
        doc = _doc(info.decl.doc) if info else "Writes the initial value of every state variable."
        return Function("init", _params(info) if info else (), None, tuple(code.local_types), code.asm.finish(), doc,
                        self.names(info, code))

    def compile_defaults(self) -> Function:
        code = BodyCode(self.unit, (), name="__defaults")
        with self.reporting("__defaults", code, self.analysis.tree.name.span):
            self.write_defaults(code)
            self.finish_body(code, None)
        return Function("__defaults", (), None, tuple(code.local_types), code.asm.finish(),
                        "Writes the initial value of every state variable (a deployment without init).",
                        self.names(None, code))

    def compile_all(self) -> None:
        for key, info, module in self.order:
            if key == "init":
                self.functions.append(self.compile_init(info))
            elif key == "__defaults":
                self.functions.append(self.compile_defaults())
            elif info is not None:
                self.functions.append(self.compile_function(key, info, module))
            else:
                raise CompilerDefect(f"function {key} has no checked signature")

    # -- the ABI -------------------------------------------------------------------------------------
    def entries(self) -> list[Entry]:
        out: list[Entry] = []
        for i, (key, info, module) in enumerate(self.order):
            if module is not None:
                continue
            if key == "init":
                roles = info.roles if info else ()
                anyone = info.anyone if info else True
                out.append(Entry("init", "init", i, roles, anyone, _doc(info.decl.doc) if info else ""))
            elif key == "__defaults":
                out.append(Entry("__defaults", "init", i, (), True, ""))
            elif info is not None and info.kind in (FunctionKind.ACTION, FunctionKind.VIEW):
                out.append(Entry(key, info.kind, i, info.roles, info.anyone, _doc(info.decl.doc)))
        return out

    def build(self, extra_entries: list[Entry] | None = None) -> Module:
        a = self.analysis
        tree = a.tree
        state = tuple(StateVar(v.index, v.name, v.type, _doc(v.decl.doc)) for v in a.state)
        events = tuple(EventDef(name, tuple(Param(p.name, p.type) for p in e.params), _doc(e.decl.doc))
                       for name, e in a.events.items())
        lifecycles = tuple(
            Lifecycle(lc.record, lc.field_index, lc.enum, lc.start,
                      tuple(Transition(tuple(t.sources), t.target, tuple(t.roles)) for t in lc.transitions))
            for lc in a.lifecycles)
        return Module(
            kind=tree.kind, name=tree.name.name, doc=tree.docstring or "", parties=tuple(a.parties),
            types=a.types, state=state, events=events, lifecycles=lifecycles,
            functions=tuple(self.functions), entries=tuple(self.entries() + (extra_entries or [])),
            constants=tuple(self.unit.pools.constants), type_pool=tuple(self.unit.pools.types),
            descriptions=_descriptions(a),
            field_defaults=field_defaults(self.unit.ann, self.unit.record_defaults, a.types),
        )


def local_names(refs: dict, params: tuple[str, ...], body: tuple[ast.Stmt, ...], count: int) -> tuple[str, ...]:
    """A name per local slot, for listings: parameters, `let`s and loop variables ("" for the
    compiler's temporaries)."""
    names = [""] * count
    names[:len(params)] = params

    def mark(ident: ast.Ident) -> None:
        ref = refs.get(id(ident))
        if isinstance(ref, LocalRef) and ref.slot < count:
            names[ref.slot] = ident.name

    def walk(stmts: tuple[ast.Stmt, ...]) -> None:
        for st in stmts:
            match st:
                case ast.Let(name=ident):
                    mark(ident)
                case ast.For(vars=idents, body=inner):
                    for ident in idents:
                        mark(ident)
                    walk(inner)
                case ast.If(branches=branches, otherwise=otherwise):
                    for b in branches:
                        walk(b.body)
                    walk(otherwise or ())

    walk(body)
    return tuple(names)


def _params(info: FunctionInfo) -> tuple[Param, ...]:
    return tuple(Param(p.name, p.type) for p in info.params)


def _descriptions(a: Analysis) -> tuple[tuple[str, str], ...]:
    out: dict[str, str] = {}
    for tree in (a.tree, *(m.tree for m in a.modules.values())):
        for decl in tree.decls:
            if isinstance(decl, ast.RecordDecl):
                if decl.doc:
                    out.setdefault(decl.name.name, _doc(decl.doc))
                for f in decl.fields:
                    if f.doc:
                        out.setdefault(f"{decl.name.name}.{f.name.name}", _doc(f.doc))
            elif isinstance(decl, ast.EnumDecl):
                if decl.doc:
                    out.setdefault(decl.name.name, _doc(decl.doc))
                for v in decl.values:
                    if v.doc:
                        out.setdefault(f"{decl.name.name}.{v.name.name}", _doc(v.doc))
            elif isinstance(decl, ast.LifecycleDecl) and decl.doc and tree is a.tree:
                out.setdefault(f"lifecycle {decl.record.name}.{decl.field.name}", _doc(decl.doc))
            elif isinstance(decl, ast.Parties) and decl.doc and tree is a.tree:
                out.setdefault("parties", _doc(decl.doc))
    return tuple(sorted(out.items()))


def compile_contract(analysis: Analysis) -> Module:
    """Compile a checked contract (or stdlib module) into a Module. The result passes
    `vm.verifier.verify` but for the operand stack's depth (see `compile_with_sources`);
    CompileError when it would pass one of the bytecode format's other limits
    (`dsl.bytecode_limits`); a CompilerDefect means the compiler has a bug."""
    return compile_with_sources(analysis)[0]


def compile_with_sources(analysis: Analysis) -> tuple[Module, SourceMap]:
    """`compile_contract`, and where each function's instructions came from, so that a refusal
    of the verifier (a stack deeper than a frame may hold) is reported at the source."""
    layout = ModuleLayout(analysis)
    layout.compile_all()
    return layout.build(), layout.source_map
