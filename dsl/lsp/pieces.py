"""Parsing a keystroke's text by its one changed declaration: `reparse`.

A keystroke changes one declaration of a contract; parsing the whole file again costs most of the
time of a check (75 ms of a 1,000-line contract, more with the recovery after a syntax error).
So, where the new text differs from the newest text of the document that parsed (`Parsed`) only
inside one top-level declaration's *piece* (the declaration and the blank and comment lines above
it, back to the end of the declaration before), that piece is parsed alone: as a file of its
own, `contract Name` then blank lines down to the piece's first line, so its spans are the whole
file's. Where it does not parse, its problems are the answer (no other declaration changed).
Where it parses and no line moved, the tree is the previous tree with the piece's declarations
in place of the old one: the other declarations are the previous tree's nodes, whose spans are
still right. Where lines were added or removed, the declarations after the piece moved, and the
whole text is parsed (which is what finishing a new line costs; the keystrokes before it, while
the line does not parse yet, take the fast path).

Why the result is the tree a whole parse would build: the previous text parsed, so at the
piece's first line the lexer stands at the top level (no bracket, string or block open), and
at the line after the piece, where the next declaration starts at column 1, it stands there
again when the piece parses on its own without a problem (every bracket and string it opens it
closes, every block it indents it ends). Lexing and parsing are then the same token for token,
and the declarations are the same nodes.

Where the piece does not parse, its problems are the text's (`CompileError`). A whole parse
could report more, further on, where an unclosed bracket swallows the declarations after it: the
language server reports the full pipeline's diagnostics when typing stops (`Workspace.check`
without a previous tree), so this is only ever the fast first answer.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from dsl.syntax import ast, parse_source


@dataclass(frozen=True, slots=True)
class Parsed:
    """A text that parsed, and its tree."""

    text: str
    tree: ast.SourceFile


def _common_prefix(a: str, b: str) -> int:
    """The length of the longest common prefix (binary search over slices compared in C)."""
    lo, hi = 0, min(len(a), len(b))
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _common_suffix(a: str, b: str, limit: int) -> int:
    lo, hi = 0, limit
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid:] == b[len(b) - mid:]:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _piece_starts(tree: ast.SourceFile) -> list[int]:
    """The first line of each declaration's piece: the line after the previous declaration ends
    (for the first, the line after the file's header and docstring ends)."""
    starts = []
    header_end = tree.decls[0].span.line - 1 - len(tree.decls[0].doc)
    previous_end = header_end
    for d in tree.decls:
        starts.append(previous_end + 1)
        previous_end = d.span.end_line
    return starts


def reparse(previous: Parsed, text: str, path: str) -> ast.SourceFile | None:
    """The tree of ``text`` built by parsing only the declaration it changed, or None where that
    does not apply (see the module's docstring) and the caller parses the whole text. Raises
    `CompileError` with the piece's problems where the changed declaration does not parse."""
    old = previous.text
    tree = previous.tree
    if not tree.decls or "\r" in text or "\r" in old:
        return None
    moved = text.count("\n") - old.count("\n")  # lines added (or, negative, removed)
    prefix = _common_prefix(old, text)
    suffix = _common_suffix(old, text, min(len(old), len(text)) - prefix)
    first = old.count("\n", 0, prefix) + 1
    last = old.count("\n", 0, len(old) - suffix) + 1
    starts = _piece_starts(tree)
    if first < starts[0] or tree.decls[-1].span.end_line < last:
        return None  # in the header, or after the last declaration
    k = max(i for i, start in enumerate(starts) if start <= first)
    start, end = starts[k], tree.decls[k].span.end_line
    if last > end:
        return None  # spans two pieces
    lines = text.split("\n")
    code = next((line for line in lines[start - 1:] if line.strip() and not line.lstrip().startswith("#")), "")
    if code[:1] in (" ", "\t"):
        return None  # the piece's first line of code is indented: it continues the declaration before
    end += moved  # where the piece ends in the new text
    if end < start - 1 or (end < len(lines) and lines[end][:1] in (" ", "\t")):
        return None  # the line after the piece is not at the top level: not a boundary any more
    piece = "\n".join(lines[start - 1:end])
    alone = parse_source(f"{tree.kind} {tree.name.name}" + "\n" * (start - 1) + piece + "\n", path)
    if moved or not isinstance(alone, ast.SourceFile):
        return None  # it parses, but the declarations after it moved: their spans are not the tree's
    comments = tuple(c for c in tree.comments if not start <= c.span.line <= end)
    comments = tuple(sorted((*comments, *alone.comments), key=lambda c: (c.span.line, c.span.col)))
    decls = (*tree.decls[:k], *alone.decls, *tree.decls[k + 1:])
    return dataclasses.replace(tree, decls=decls, comments=comments)
