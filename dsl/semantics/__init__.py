"""Names and types: the second phase, a syntax tree → `Analysis`.

`check(tree, loader)` checks a contract or module and returns its `Analysis` (what every name refers
to, every expression's type and conversion, the signatures (each with its `FunctionKind`), state,
events and lifecycles), or raises `dsl.diagnostics.CompileError` with every problem found; `check_tests(test_tree, analysis)` checks a
test file against its target (`TestAnalysis`). `ModuleLoader` finds the modules a file `use`s. Later
phases read the analysis and never look a name up again. Inside: scopes and findings (`scope`), the
typing tables (`typerules`), declarations (`decls`), bodies (`stmts`, `exprs` with `operators`,
`calls`, `builtins` behind the `context` Protocol), literals, limits and nesting.
"""

from dsl.semantics.analysis import Analysis, Annotations, FunctionKind, TestAnalysis
from dsl.semantics.checker import check
from dsl.semantics.loader import ModuleLoader
from dsl.semantics.testfile import check_tests

__all__ = ["Analysis", "Annotations", "FunctionKind", "ModuleLoader", "TestAnalysis", "check", "check_tests"]
