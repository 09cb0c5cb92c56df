"""A place in a source file: `Span`, shared by the syntax tree and the diagnostics about it.

It lives apart from `dsl.syntax` so that a diagnostic (dsl.diagnostics) can point at a place without
importing the parser, and the parser can report diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Span:
    """1-based line and column of the first character; end is exclusive (line, col)."""

    file: str
    line: int
    col: int
    end_line: int
    end_col: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}"


NO_SPAN = Span("<generated>", 0, 0, 0, 0)
