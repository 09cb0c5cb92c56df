"""Diagnostics a person can act on, and the errors of the language layer.

A diagnostic reads `path:line:col: error[B0401]: message`, then the source line with a caret
under the span, then the other places it involves (`--> path:line:col: first declared here`), then
a hint when one exists. Every front-end phase reports problems as `Diagnostic` values; a phase that
cannot go on raises `CompileError` carrying all it found. Only the CLI (and the REST layer) renders
them.

**Codes.** Every diagnostic has a `Code`: a stable name for the kind of problem, so that a person
can look it up in `docs/diagnostics.md` (generated from `CODES` below and checked against it by
tests/dsl/test_diagnostics.py) and a tool can match on it rather than on the wording. A code is
never renumbered or reused for another kind; the first two digits group the phase that reports
it (01 reading and lexing, 02 syntax, 03 names and declarations, 04 types, 05 bodies, 06 limits of
the bytecode format, 07 test files, 09 defects of the compiler itself).

**Errors.** `DslError` is the root of every exception the language layer raises to its callers;
a caller that runs the toolchain catches it, or one of its kinds, and nothing else.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field

from dsl.span import Span


class DslError(Exception):
    """The root of the language layer's exceptions."""


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"


class Code(enum.Enum):
    """The kinds of problem the front end reports. Each value is the one-line summary that
    docs/diagnostics.md lists under the code."""

    # 01: reading and lexing
    B0100 = "a file cannot be read"
    B0101 = "a file is not UTF-8"
    B0102 = "a character or word that Bao has no token for"
    B0103 = "indentation that is not a block's: tabs, or steps other than 4 spaces"
    B0104 = "a number, date, duration or hash written in a form Bao does not have"
    B0105 = "a bracket that is never closed, closes nothing, or closes another kind"
    B0106 = "a string or docstring without its closing quotes"
    B0107 = "two spellings of one name (equal once normalised to NFKC, as Python compares names)"
    # 02: syntax
    B0201 = "a token where the grammar expects something else"
    B0202 = "a keyword used as a name"
    B0203 = "a file that does not start with `contract`, `module` or `tests for`"
    B0204 = "expressions nested deeper than the parser follows"
    # 03: names and declarations
    B0301 = "a name, event or party that is not declared"
    B0302 = "a name declared twice"
    B0303 = "a declared name that is built in or reserved"
    B0304 = "a type that does not exist, or is written with the wrong arguments"
    B0305 = "a `use`d module that cannot be found, uses itself, has errors or is used twice"
    B0306 = "a declaration that this kind of file cannot hold, or one it lacks"
    B0307 = "a `by` clause that is missing, not allowed, or names what is not a party"
    B0308 = "a lifecycle that does not fit its record, field or enum"
    B0309 = "a record that holds itself, or a default value that never finishes"
    B0310 = "a state variable with no start value: read before it is written, it aborts (a warning)"
    # 04: types
    B0401 = "a value of another type than its place needs"
    B0402 = "an operator that does not apply to these types"
    B0403 = "a field, enum value or entry that the value does not have"
    B0404 = "a name used as what it is not (a type, event or function as a value, a value called)"
    B0405 = "arguments that do not match the parameters or fields"
    B0406 = "a built-in function or method given what it does not take"
    B0407 = "a literal whose value is out of its type's range"
    # 05: bodies
    B0501 = "a body that reads or writes what its kind may not (a fn, a view, a default)"
    B0502 = "a `return` that is missing on some path or does not fit the result type"
    B0503 = "an assignment, `delete` or `append` to what cannot be changed"
    B0504 = "an expression or statement that is not allowed where it stands"
    B0505 = "a statement that is never reached"
    B0506 = "a local that shadows another name"
    # 06: limits of the bytecode format
    B0601 = "a type or value that nests deeper than values may"
    B0602 = "more fields, locals, functions, constants or declarations than a module may have"
    B0603 = "a compiled module larger than a module may be"
    B0604 = "code that needs more operand stack or code bytes than a function may have"
    # 07: test files
    B0701 = "a test file whose target is missing, or is not a contract or module"
    B0702 = "a scenario step that does not fit the contract it tests"
    B0703 = "two scenarios with one title"
    B0704 = "a scenario `let` bound to a call that returns nothing"
    # 09: defects of the compiler
    B0901 = "an internal error: the compiler failed (a defect to report, never the author's mistake)"

    @property
    def summary(self) -> str:
        return self.value


CODES: tuple[Code, ...] = tuple(Code)


@dataclass(frozen=True, slots=True)
class Related:
    """Another place a diagnostic involves (the first declaration of a name declared twice, the
    bracket that is never closed), with what it is."""

    message: str
    span: Span


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True, slots=True)
class Diagnostic:
    message: str
    span: Span
    hint: str | None = None
    severity: Severity = Severity.ERROR
    code: Code = field(kw_only=True)
    related: tuple[Related, ...] = field(default=(), kw_only=True)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    def render(self, source: str | None = None) -> str:
        """The diagnostic as text; with the file's ``source``, the line and a caret under the span."""
        span = self.span
        lines = [f"{span.file}:{span.line}:{span.col}: {self.severity.value}[{self.code.name}]: {self.message}"]
        if source is not None and span.line >= 1:
            text_lines = _LINE_BREAK.split(source)  # the lexer's line breaks, not str.splitlines
            if span.line <= len(text_lines):
                line = text_lines[span.line - 1]
                gutter = f"{span.line:>4} | "
                lines.append(gutter + line)
                start = max(span.col - 1, 0)
                if span.end_line == span.line and span.end_col > span.col:
                    width = span.end_col - span.col
                else:
                    width = max(len(line.rstrip()) - start, 1)
                lines.append(" " * (len(gutter) - 2) + "| " + " " * start + "^" * width)
        for other in self.related:
            where = other.span
            lines.append(f"  --> {where.file}:{where.line}:{where.col}: {other.message}")
        if self.hint:
            lines.append(f"  = hint: {self.hint}")
        return "\n".join(lines)


class CompileError(DslError):
    """A phase stopped; ``diagnostics`` holds every problem it found (at least one)."""

    def __init__(self, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]):
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))



def code_table() -> str:
    """The table of codes as docs/diagnostics.md holds it (a test keeps the two equal)."""
    rows = ["| code | what it reports |", "|---|---|"]
    rows += [f"| `{code.name}` | {code.summary} |" for code in CODES]
    return "\n".join(rows) + "\n"
