"""The name and type checker: `check(tree, loader) -> Analysis` (see dsl.semantics.analysis).

One pass over declarations enters every name; one pass resolves the written types of records,
events, state and signatures; then each body is checked once, in a single walk. Every problem
found is collected; `check` raises one `CompileError` holding all of them, sorted by position.

What the compiler can rely on (beyond dsl.semantics.analysis):
- Every call is annotated on its Call node: FunctionRef, RecordCtorRef, BuiltinFuncRef (variants
  in dsl.semantics.builtins) or MethodRef; `for i in range(a, b)` has BuiltinFuncRef("range",
  "range") on its Call. The callee Name itself carries no ref and no type.
- LocalRef is also recorded on the Ident of each parameter, `let` and loop variable.
- Assignment targets, `delete` targets and `append` receivers are annotated like expressions
  (types and refs on every node of the Name/Attribute/Index chain).
- Int operands of Decimal arithmetic, Int sides of Int-vs-Decimal comparisons, and Int values
  placed where a Decimal is expected carry a Decimal coercion (see dsl.semantics.typerules).
- Record field defaults and state initial values are annotated in the contract's Analysis; a
  `use`d module's fn bodies and record defaults in ``Analysis.modules[name]``.
- Assigning to a parameter is allowed: parameters are locals holding copies.
- No declared name starts with `__` (reserved for generated entries: dsl.semantics.reserved).
"""

from __future__ import annotations

from dsl.diagnostics import Code, CompileError, Related
from dsl.semantics.analysis import Analysis, Annotations, FunctionInfo, FunctionKind, ParamInfo
from dsl.semantics.decls import (
    check_lifecycles, check_record_defaults, declare_names, resolve_by, resolve_events, resolve_records,
    resolve_signatures, resolve_state,
)
from dsl.semantics.defaults import reject_cyclic_defaults
from dsl.semantics.limits import check_declaration_counts
from dsl.semantics.literals import LiteralValidator
from dsl.semantics.loader import ModuleLoader
from dsl.semantics.reserved import reject_reserved_names
from dsl.semantics.scope import BodyKind, CheckedFile, ContractScope, Findings, RecordInfo, Signature, SymbolKind
from dsl.semantics.stmts import BodyChecker
from dsl.semantics.testfile import check_tests
from dsl.syntax import ast
from vm.types import TypeTable


__all__ = ["check", "check_tests", "Analysis", "CheckedFile"]


def check(tree: ast.SourceFile, loader: ModuleLoader) -> Analysis:
    """Check a contract or module; raise CompileError with every error found."""
    return check_file(tree, loader, ()).analysis


def check_file(tree: ast.SourceFile, loader: ModuleLoader, loading: tuple[str, ...]) -> CheckedFile:
    findings = Findings()
    ann = Annotations()
    literals = LiteralValidator()
    scope = ContractScope(tree.kind)
    modules: dict[str, Analysis] = {}

    for decl in tree.decls:
        if isinstance(decl, ast.Use):
            _use(decl, tree, scope, findings, loader, loading, modules)
    reject_reserved_names(tree, findings)
    declare_names(tree, scope, findings)
    resolve_records(tree, scope, findings)
    check_declaration_counts(tree, findings)
    resolve_events(tree, scope, findings)
    resolve_state(tree, scope, findings, ann, literals)
    resolve_signatures(tree, scope, findings)
    check_record_defaults(scope, findings, ann, literals)
    reject_cyclic_defaults(scope, findings, ann)
    lifecycles = check_lifecycles(tree, scope, findings)

    functions: dict[str, FunctionInfo] = {}
    for name, mod in modules.items():
        for fname, info in mod.functions.items():
            if info.module is None and info.kind == FunctionKind.FN:
                imported = _as_module_fn(info, name)
                functions[f"{name}.{fname}"] = imported
                sym = scope.symbols.get(fname)
                if sym is not None and sym.module == name:
                    functions[fname] = imported
    init_seen: ast.InitDecl | None = None
    for decl in tree.decls:
        if isinstance(decl, ast.FuncDecl):
            if id(decl.name) not in scope.entered:
                continue  # a clashing name: reported, and its body is not checked
            sig = scope.signatures[decl.name.name]
            functions[decl.name.name] = _check_function(decl, sig, scope, findings, ann, literals)
        elif isinstance(decl, ast.InitDecl) and tree.kind == "contract":
            if init_seen is not None:
                findings.error(Code.B0302, "a contract has one `init`", decl.span,
                               related=(Related("the first", init_seen.span),))
                continue
            init_seen = decl
            functions["init"] = _check_init(decl, scope, findings, ann, literals)

    if tree.kind == "contract" and not any(isinstance(d, ast.Parties) for d in tree.decls):
        findings.error(Code.B0306, "a contract must name its parties", tree.name.span,
                       "add a line such as `parties insurer, hospital`")
    if findings.errors:
        raise CompileError(findings.sorted_errors())

    records = {n: tuple((f, t) for f, t in r.fields) for n, r in scope.records.items()}
    analysis = Analysis(
        tree=tree,
        types=TypeTable(records, dict(scope.enums)),
        parties=tuple(scope.parties),
        state=tuple(scope.state.values()),
        functions=functions,
        events=dict(scope.events),
        lifecycles=lifecycles,
        modules=modules,
        annotations=ann,
        warnings=sorted([*tree.warnings, *findings.warnings], key=lambda d: (d.span.line, d.span.col)),
    )
    return CheckedFile(analysis, scope)


def _as_module_fn(info: FunctionInfo, module: str) -> FunctionInfo:
    return FunctionInfo(info.name, info.kind, info.params, info.returns, info.roles, info.anyone,
                        info.local_types, info.decl, module)


def _use(decl: ast.Use, tree: ast.SourceFile, scope: ContractScope, findings: Findings,
         loader: ModuleLoader, loading: tuple[str, ...], modules: dict[str, Analysis]) -> None:
    name = decl.module.name
    if tree.kind == "module":
        return  # reported by declare_names: modules hold only fn, record and enum
    if name in modules:
        findings.warn(Code.B0305, f"module {name} is already used", decl.span)
        return
    if name in loading:
        findings.error(Code.B0305, f"module {name} uses itself", decl.module.span)
        return
    try:
        module_tree = loader.load(name)
    except CompileError as exc:
        findings.errors.extend(exc.diagnostics)
        return
    if module_tree is None or module_tree.kind != "module":
        findings.error(Code.B0305, f"unknown module `{name}`", decl.module.span,
                       "modules live in stdlib/ or beside the contract as <name>.bao")
        return
    try:
        memo = loader.checked
        checked = memo.get(name)
        if checked is None:
            checked = memo[name] = check_file(module_tree, loader, (*loading, name))
    except CompileError as exc:
        count = len(exc.diagnostics)
        findings.error(Code.B0305, f"module {name} has {count} error{'s' if count != 1 else ''}", decl.module.span,
                       f"see {module_tree.path}")
        findings.errors.extend(exc.diagnostics)  # each at its own place in the module's file
        return
    modules[name] = checked.analysis
    _import(checked.scope, name, decl, scope, findings)


def _import(mod: ContractScope, name: str, decl: ast.Use, scope: ContractScope, findings: Findings) -> None:
    """Make a module's records, enums and fns usable by their bare names."""
    for enum, values in mod.enums.items():
        if scope.declare(enum, SymbolKind.ENUM, decl.module.span, findings, module=name):
            scope.enums[enum] = values
            for i, v in enumerate(values):
                scope.declare_enum_value(v, enum, i, decl.module.span, findings)
    for rname, record in mod.records.items():
        if scope.declare(rname, SymbolKind.RECORD, decl.module.span, findings, module=name):
            scope.records[rname] = RecordInfo(rname, record.fields, record.decls, module=record.module or name)
    for fname, sig in mod.signatures.items():
        if sig.kind == FunctionKind.FN and sig.module is None and scope.declare(
                fname, SymbolKind.FN, decl.module.span, findings, module=name):
            scope.signatures[fname] = Signature(fname, FunctionKind.FN, sig.params, sig.returns, name)


def _check_function(decl: ast.FuncDecl, sig: Signature, scope: ContractScope, findings: Findings,
                    ann: Annotations, literals: LiteralValidator) -> FunctionInfo:
    kind = FunctionKind(decl.kind)
    roles, anyone = resolve_by(decl, kind, decl.name.name, scope, findings)
    body = BodyChecker(scope, findings, ann, literals, BodyKind(kind), decl.name.name)
    _declare_params(body, decl.params, sig.params)
    body.body(decl.body, sig.returns, decl.name.span)
    return FunctionInfo(decl.name.name, kind, sig.params, sig.returns, roles, anyone,
                        tuple(body.locals.types), decl)


def _check_init(decl: ast.InitDecl, scope: ContractScope, findings: Findings, ann: Annotations,
                literals: LiteralValidator) -> FunctionInfo:
    from dsl.semantics.decls import params_of

    roles, anyone = resolve_by(decl, FunctionKind.INIT, "init", scope, findings)
    params = params_of(decl.params, scope, findings, "`init`")
    body = BodyChecker(scope, findings, ann, literals, BodyKind.INIT, "init")
    _declare_params(body, decl.params, params)
    body.body(decl.body, None, decl.span)
    return FunctionInfo("init", FunctionKind.INIT, params, None, roles, anyone, tuple(body.locals.types), decl)


def _declare_params(body: BodyChecker, params: tuple[ast.Param, ...], infos: tuple[ParamInfo, ...]) -> None:
    for p, info in zip(params, infos):
        if body.locals.lookup(p.name.name) is not None:
            body.locals.add(p.name.name, info.type, p.name.span)  # keep slots in step; reported already
            continue
        body.declare_local(p.name, info.type)
    body.param_count = len(params)
