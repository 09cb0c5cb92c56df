"""Going on after a syntax error, so that one run reports every broken line.

After an error, the broken line (and the block it opens) is replaced by a well-formed stand-in
for the block it is in (`pass`, a field, an enum value, a transition, a step) and the parse
runs again; a broken top-level line drops its declaration up to the next one.
"""

from __future__ import annotations

from dsl.diagnostics import Diagnostic
from dsl.syntax.lalr import SyntaxStop, Tables, drive
from dsl.syntax.lexer import Lexeme
from dsl.syntax.messages import syntax_error

MAX_SYNTAX_ERRORS = 20
_RESYNC_WORDS = frozenset(
    "USE PARTIES ENUM RECORD STATE EVENT LIFECYCLE INIT ACTION VIEW FN SCENARIO".split()
)


def _header_end(tokens: list[Lexeme]) -> int:
    """Index just after the file's first line (`contract X`, `tests for "x"`)."""
    for k, tok in enumerate(tokens):
        if tok.type == "_NL":
            return k + 1
    return len(tokens)


def _line_start(tokens: list[Lexeme], i: int) -> int:
    """Index of the first token of the logical line holding ``tokens[i]``."""
    k = min(i, len(tokens)) - 1
    while k >= 0 and tokens[k].type not in ("_NL", "_INDENT", "_DEDENT"):
        k -= 1
    return k + 1


def _line_end(tokens: list[Lexeme], start: int) -> int:
    """Index just after the logical line at ``start`` and the block it opens, if any."""
    level = 0
    for k in range(start, len(tokens)):
        t = tokens[k].type
        if t == "_INDENT":
            level += 1
        elif t == "_DEDENT":
            level -= 1
            if level < 0:  # the enclosing block closes: its _DEDENT stays
                return k
            if level == 0:
                return k + 1
        elif t == "_NL" and level == 0 and (k + 1 >= len(tokens) or tokens[k + 1].type != "_INDENT"):
            return k + 1
    return len(tokens)


def _block_opener(tokens: list[Lexeme], start: int) -> str | None:
    """The first word of the line that opens the block holding the line at ``start``."""
    depth = 0
    for k in range(start - 1, -1, -1):
        t = tokens[k].type
        if t == "_DEDENT":
            depth += 1
        elif t == "_INDENT":
            if depth == 0:
                return tokens[_line_start(tokens, k - 1)].type if k > 0 else None
            depth -= 1
    return None


# What stands in for a broken line, by the block it is in, so parsing can go on after it.
_FILLERS = {
    **dict.fromkeys(("ACTION", "VIEW", "FN", "INIT", "IF", "ELIF", "ELSE", "FOR"), (("PASS", "pass"),)),
    **dict.fromkeys(("RECORD", "STATE"), (("NAME", "_"), ("_COLON", ":"), ("NAME", "_"))),
    "ENUM": (("NAME", "_"),),
    "LIFECYCLE": (("NAME", "_"), ("_ARROW", "->"), ("NAME", "_"), ("BY", "by"), ("NAME", "_")),
    "SCENARIO": (("AT", "at"), ("DATE", "2000-01-01")),
}


def _repair(tokens: list[Lexeme], i: int, expected: set[str]) -> list[Lexeme] | None:
    """``tokens`` with the line that broke at ``i`` replaced by a well-formed stand-in (or, at
    the top level, the broken declaration dropped up to the next one); None if there is no
    sensible place to go on from."""
    start = _line_start(tokens, i)
    if start < len(tokens) and tokens[start].column > 1 and "_INDENT" not in expected \
            and tokens[min(i, len(tokens) - 1)].type != "_INDENT":
        filler = _FILLERS.get(_block_opener(tokens, start) or "")
        if filler is not None:
            at = tokens[start]
            stand_in = [Lexeme(t, v, at.line, at.column, at.line, at.column) for t, v in filler]
            stand_in.append(Lexeme("_NL", "", at.line, at.column, at.line, at.column))
            return tokens[:start] + stand_in + tokens[_line_end(tokens, start):]
    resume = _resume_at(tokens, i)
    if resume < 0:
        return None
    decl_start = _line_start(tokens, i)
    while decl_start > 0 and tokens[decl_start].column > 1:
        decl_start = _line_start(tokens, decl_start - 1)
    return tokens[:decl_start] + tokens[resume:]


def _resume_at(tokens: list[Lexeme], after: int) -> int:
    """The next top-level declaration or scenario after index ``after``, or -1."""
    for k in range(after + 1, len(tokens)):
        tok = tokens[k]
        if tok.column == 1 and tok.type in _RESYNC_WORDS and tokens[k - 1].type in ("_NL", "_DEDENT"):
            return k
    return -1


def syntax_errors(tables: Tables, tokens: list[Lexeme], first: SyntaxStop, path: str) -> list[Diagnostic]:
    """The first syntax error and the later ones: after each, the broken line (or declaration)
    is replaced by a stand-in and the parse runs again, up to MAX_SYNTAX_ERRORS."""
    found = [syntax_error(tokens, first.index, first.token, first.expected, path)]
    header = _header_end(tokens)
    current, stop = tokens, first
    while len(found) < MAX_SYNTAX_ERRORS and stop.index >= header:
        repaired = _repair(current, stop.index, stop.expected)
        if repaired is None:
            break
        try:
            drive(tables, tables.discard, repaired, "start")
            break
        except SyntaxStop as again:
            place = (again.token.line, again.token.column)
            if place <= (stop.token.line, stop.token.column):
                break  # no progress: what follows is too broken to say more
            current, stop = repaired, again
            found.append(syntax_error(current, again.index, again.token, again.expected, path))
    return found
