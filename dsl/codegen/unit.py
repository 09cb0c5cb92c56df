"""What every function's code generator of one module shares: `Unit`."""

from __future__ import annotations

from dataclasses import dataclass

from dsl.codegen.assembler import Pools
from dsl.semantics.analysis import Annotations, EventInfo, FunctionInfo, StateVarInfo
from dsl.syntax import ast
from vm.types import TypeTable


@dataclass
class Unit:
    """Module-wide facts every function's code generator needs."""

    ann: Annotations
    pools: Pools
    types: TypeTable
    state: tuple[StateVarInfo, ...]
    events: dict[str, tuple[int, EventInfo]]
    functions: dict[str, tuple[int, FunctionInfo]]  # "name" / "module.name" -> (index, info)
    record_defaults: dict[str, tuple[ast.Expr | None, ...]]
