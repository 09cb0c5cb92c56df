"""What the code of calls needs from the expression code generator: `CodeContext`.

`ExprCode` (dsl.codegen.exprs) emits one function's expressions; the code of calls (`CallCode`,
dsl.codegen.calls) is a part of it kept in its own module, and calls back into it to emit an
operand, an instruction or a type's pool index. This Protocol is that interface, stated once:
`CallCode` derives from it instead of importing the class that combines them, and mypy checks
every call back against it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from dsl.codegen.unit import Unit
from dsl.semantics.analysis import Ref, StateVarInfo
from dsl.syntax import ast
from vm.types import Type


class CodeContext(Protocol):
    """The expression code generator as the code of calls sees it."""

    unit: Unit
    module: str | None  # the `use`d module whose fn is being compiled, for its calls among themselves
    emit: Callable[..., None]  # the assembler's `emit(opcode name, *operands)`

    def expr(self, e: ast.Expr) -> None:
        """Emit `e`, leaving its value (of the type it has where it stands) on the stack."""
        ...

    def tix(self, t: Type) -> int:
        """The index of `t` in the module's type pool."""
        ...

    def type_of(self, e: ast.Expr) -> Type:
        """The type of `e` where it stands (after any widening)."""
        ...

    def raw_type(self, e: ast.Expr) -> Type:
        """The type the checker gave `e` itself, before any widening."""
        ...

    def ref(self, e: object) -> Ref | None:
        """What the name, attribute or call `e` refers to."""
        ...

    def state_map(self, e: ast.Expr) -> StateVarInfo | None:
        """The state variable `e` names when it is a Map, else None."""
        ...
