"""Analysis → bytecode module: the third phase.

`compile_with_sources(analysis)` returns the `vm.module.Module` of a checked contract or module with
the map from its code back to the source (for reporting a verifier's refusal at the line it came
from); `compile_contract(analysis)` the module alone. `verified_tests` builds and verifies a test
file's scenario expressions beside the contract (the scenario runner's module). Raises
`dsl.bytecode_limits.LimitReached` where the module would pass a limit of the bytecode format, and
`CompilerDefect` for a bug of its own. Inside: pools and the assembler (`assembler`), constants,
expressions (`exprs`, with `calls` behind the `context` Protocol) and statements (`stmts`).
"""

from dsl.codegen.assembler import CompilerDefect
from dsl.codegen.compiler import compile_contract, compile_with_sources
from dsl.codegen.testbuild import verified_tests

__all__ = ["CompilerDefect", "compile_contract", "compile_with_sources", "verified_tests"]
