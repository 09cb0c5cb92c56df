"""Diagnostics a person can act on: `path:line:col: error: message`, the source line, a caret
under the span, and a hint when one exists.

Every front-end phase reports problems as `Diagnostic` values; a phase that cannot go on raises
`CompileError` carrying all it found. Only the CLI (and later the REST layer) renders them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from dsl.ast import Span


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    message: str
    span: Span
    hint: str | None = None
    severity: str = "error"  # "error" | "warning" | "note"

    def render(self, source: str | None = None) -> str:
        """The diagnostic as text; with the file's ``source``, the line and a caret under the span."""
        head = f"{self.span.file}:{self.span.line}:{self.span.col}: {self.severity}: {self.message}"
        lines = [head]
        if source is not None and self.span.line >= 1:
            text_lines = _LINE_BREAK.split(source)  # the lexer's line breaks, not str.splitlines

            if self.span.line <= len(text_lines):
                line = text_lines[self.span.line - 1]
                gutter = f"{self.span.line:>4} | "
                lines.append(gutter + line)
                start = max(self.span.col - 1, 0)
                if self.span.end_line == self.span.line and self.span.end_col > self.span.col:
                    width = self.span.end_col - self.span.col
                else:
                    width = max(len(line.rstrip()) - start, 1)
                lines.append(" " * (len(gutter) - 2) + "| " + " " * start + "^" * width)
        if self.hint:
            lines.append(f"  = hint: {self.hint}")
        return "\n".join(lines)


class CompileError(Exception):
    """A phase stopped; ``diagnostics`` holds every problem it found (at least one)."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


def error(message: str, span: Span, hint: str | None = None) -> Diagnostic:
    return Diagnostic(message, span, hint)
