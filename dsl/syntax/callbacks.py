"""What every parser callback shares: the parse's path and descriptions, exact spans, the
problems found in well-formed syntax, and the decoding of string literals (escapes, `{{`/`}}`,
`{expr}` interpolations parsed with the expression grammar, spans pointing into the string).
"""

from __future__ import annotations

from typing import Callable, cast

from dsl.diagnostics import Code, Diagnostic
from dsl.syntax import ast
from dsl.syntax.ast import Span
from dsl.syntax.lexer import Lexeme

# Spans are the most numerous objects of a parse. A frozen dataclass's __init__ routes each
# field through object.__setattr__; setting the slots directly makes the same immutable Span
# in well under half the time (a tenth of the AST-building time).
_new_object = object.__new__
# (The slots are member descriptors at run time; read by name, since a type checker sees the fields.)
_SPAN_SLOTS = tuple(getattr(Span, name).__set__ for name in ("file", "line", "col", "end_line", "end_col"))


def new_span(file: str, line: int, col: int, end_line: int, end_col: int) -> Span:
    """Exactly ``Span(file, line, col, end_line, end_col)``, made faster."""
    span = _new_object(Span)
    set_file, set_line, set_col, set_end_line, set_end_col = _SPAN_SLOTS
    set_file(span, file)
    set_line(span, line)
    set_col(span, col)
    set_end_line(span, end_line)
    set_end_col(span, end_col)
    return span


_ESCAPES = {'"': '"', "\\": "\\", "n": "\n"}


class BuildContext:
    """The per-parse state and helpers of `dsl.syntax.transform.TreeBuilder` (one parse, one instance).
    ``parse_interpolation`` parses the text inside a string's `{…}`."""

    def __init__(self, path: str, docs: dict[int, tuple[str, ...]], comments: tuple[ast.Comment, ...],
                 parse_interpolation: Callable[[str, int, int], ast.Expr | None]):
        self.path = path
        self.docs = docs
        self.comments = comments
        self.errors: list[Diagnostic] = []
        self._parse_interpolation = parse_interpolation

    # -- spans ------------------------------------------------------------------------------

    def _tt(self, a: Lexeme, b: Lexeme) -> Span:
        return new_span(self.path, a.line, a.column, b.end_line, b.end_column)

    def _tn(self, a: Lexeme, b) -> Span:
        s = b.span
        return new_span(self.path, a.line, a.column, s.end_line, s.end_col)

    def _nt(self, a, b: Lexeme) -> Span:
        s = a.span
        return new_span(self.path, s.line, s.col, b.end_line, b.end_column)

    def _nn(self, a, b) -> Span:
        s = a.span
        e = b.span
        return new_span(self.path, s.line, s.col, e.end_line, e.end_col)

    def _t(self, a: Lexeme) -> Span:
        return new_span(self.path, a.line, a.column, a.end_line, a.end_column)

    def _ident(self, tok: Lexeme) -> ast.Ident:
        return ast.Ident(cast(str, tok.value), new_span(self.path, tok.line, tok.column, tok.end_line, tok.end_column))

    def _error(self, code: Code, message: str, span: Span, hint: str | None = None) -> None:
        self.errors.append(Diagnostic(message, span, hint, code=code))

    def _doc(self, tok: Lexeme) -> tuple[str, ...]:
        return self.docs.get(tok.line, ())

    # -- strings ----------------------------------------------------------------------------

    def _text_parts(self, tok: Lexeme) -> tuple:
        raw = cast(str, tok.value)  # a STRING or DOCSTRING token: its text
        body = raw[1:-1]
        if "\\" not in body and "{" not in body and "}" not in body:
            return (body,)
        parts: list = []
        buf: list[str] = []
        i = 0
        n = len(body)
        line = tok.line
        col0 = tok.column + 1  # column of body[0]
        while i < n:
            ch = body[i]
            if ch == "\\":
                nxt = body[i + 1] if i + 1 < n else ""
                if nxt in _ESCAPES:
                    buf.append(_ESCAPES[nxt])
                else:
                    self._error(Code.B0102, f"unknown escape '\\{nxt}' in a string", new_span(self.path, line, col0 + i, line,
                                col0 + i + 2), 'the escapes are \\" \\\\ and \\n')
                    buf.append(nxt)
                i += 2
            elif ch == "{":
                if i + 1 < n and body[i + 1] == "{":
                    buf.append("{")
                    i += 2
                    continue
                close = _matching_brace(body, i)
                if close < 0:
                    self._error(Code.B0102, "'{' in a string opens an interpolation that is never closed",
                                new_span(self.path, line, col0 + i, line, col0 + i + 1), "write {{ for a literal '{'")
                    buf.append(body[i:])
                    break
                inner = body[i + 1:close]
                if not inner.strip():
                    self._error(Code.B0102, "empty '{}' in a string", new_span(self.path, line, col0 + i, line, col0 + close + 1),
                                "write {{}} for literal braces")
                else:
                    expr = self._parse_interpolation(inner, line, col0 + i + 1)
                    if expr is not None:
                        if buf:
                            parts.append("".join(buf))
                            buf = []
                        parts.append(expr)
                i = close + 1
            elif ch == "}":
                if i + 1 < n and body[i + 1] == "}":
                    buf.append("}")
                    i += 2
                    continue
                self._error(Code.B0102, "a single '}' in a string", new_span(self.path, line, col0 + i, line, col0 + i + 1),
                            "write }} for a literal '}'")
                buf.append("}")
                i += 1
            else:
                buf.append(ch)
                i += 1
        if buf or not parts:
            parts.append("".join(buf))
        return tuple(parts)

    def _plain_text(self, tok: Lexeme, what: str) -> str:
        parts = self._text_parts(tok)
        if any(not isinstance(p, str) for p in parts):
            self._error(Code.B0102, f"{what} is plain text: it cannot interpolate '{{…}}'", self._t(tok),
                        "write {{ and }} for literal braces")
        return "".join(p for p in parts if isinstance(p, str))


def _matching_brace(body: str, start: int) -> int:
    """Index of the `}` that closes the `{` at ``start`` (nested braces counted), or -1."""
    depth = 0
    for j in range(start, len(body)):
        ch = body[j]
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return j
    return -1
