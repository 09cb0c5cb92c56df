"""Bao source → `dsl.syntax.ast` (a `SourceFile` or a `TestFile`), or a `CompileError` listing every
problem found in one run.

Three steps: `dsl.syntax.lexer` turns the text into tokens (and reports every lexical error);
Lark's LALR(1) table for `dsl/syntax/grammar.lark` drives the parse; each reduction calls
`dsl.syntax.transform.TreeBuilder`, so the AST is built as the parser goes and no parse tree
exists. After a syntax error the broken line is replaced by a stand-in (or, at the top
level, the broken declaration is skipped) and the parse runs again, so one run reports every
broken line. Lark builds the LALR table; a lean driver of our own runs it (see `Tables`).
"""

from __future__ import annotations

import dataclasses
import gc
import os
import sys
from functools import lru_cache
from pathlib import Path

from lark import Lark
from lark.lexer import Lexer
from lark.tree import Tree

from dsl.diagnostics import Code, CompileError, Diagnostic
from dsl.syntax import ast
from dsl.syntax.ast import Span
from dsl.syntax.lalr import SyntaxStop, Tables, drive
from dsl.syntax.lexer import lex, lex_interpolation
from dsl.syntax.messages import syntax_error
from dsl.syntax.recovery import syntax_errors
from dsl.syntax.transform import TreeBuilder

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")
# How deep a tree may nest (expressions within expressions, blocks within blocks): far beyond
# any contract a person writes, well within what the recursive later phases can walk.
MAX_NESTING = 100


class TokenListLexer(Lexer):
    """Lark's lexer slot, filled by a list `dsl.syntax.lexer` already produced."""

    def __init__(self, lexer_conf) -> None:
        pass

    def lex(self, data):  # type: ignore[override]  # Lark passes its lexer state; ours is the token list
        return iter(data)


@lru_cache(maxsize=None)
def grammar() -> Lark:
    """The Lark LALR parser for `grammar.lark`, built once per process. Lark's cache (keyed by
    the grammar, the options and the Lark and Python versions) halves the start-up of every
    `baochain` command; without a usable cache folder Lark just builds the table."""
    return Lark(GRAMMAR_PATH.read_text(encoding="utf-8"), parser="lalr", lexer=TokenListLexer,
                start=["start", "interpolation"], maybe_placeholders=True, cache=_cache_file())


def _cache_file() -> str | bool:
    """A cache file in the user's own cache folder. Not Lark's default in the shared temporary
    folder: the cache is a pickle, and loading one that another user planted there would run
    their code."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    folder = os.path.join(base, "baochain")
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        if hasattr(os, "getuid") and os.stat(folder).st_uid != os.getuid():
            return False
    except OSError:
        return False
    return os.path.join(folder, f"grammar-py{sys.version_info[0]}{sys.version_info[1]}.lark-cache")


@lru_cache(maxsize=None)
def lalr_tables() -> Tables:
    """The grammar's LALR table as the driver reads it, built once per process."""
    return Tables(grammar())


def parse_source(text: str, path: str) -> ast.SourceFile | ast.TestFile:
    """Parse a `.bao` contract/module or a `.test.bao` test file; raise `CompileError` with every
    lexical and syntax problem found."""
    # A parse allocates tens of thousands of small acyclic objects; left on, the cyclic
    # collector would walk them over and over (a quarter of the parse time) and free nothing.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _parse(text, path)
    finally:
        if was_enabled:
            # The tree lives as long as the phases after it: settle it in the oldest generation
            # in one walk now. Left young, the collector would walk it once in generation 0 and
            # again in generation 1 during the check (a fifth of the check's time).
            gc.collect(1)
            gc.enable()


def _parse(text: str, path: str) -> ast.SourceFile | ast.TestFile:
    lexed = lex(text, path)
    tokens = lexed.tokens
    tables = lalr_tables()
    errors = list(lexed.errors)
    if not tokens:
        raise CompileError([Diagnostic("empty file: a Bao file starts with `contract Name`, `module Name` "
                                       "or `tests for \"file.bao\"`", Span(path, 1, 1, 1, 1), code=Code.B0203)])
    first = tokens[0]
    if first.type == "_INDENT":
        errors.append(Diagnostic("unexpected indentation: the file's first line starts at column 1",
                                 Span(path, first.line, 1, first.line, first.column), code=Code.B0203))
        raise CompileError(_ordered(errors))
    if first.type not in ("CONTRACT", "MODULE", "TESTS"):
        errors.append(Diagnostic("a Bao file starts with `contract Name`, `module Name` or `tests for \"file.bao\"`",
                                 Span(path, first.line, first.column, first.end_line, first.end_column), code=Code.B0203))
        raise CompileError(_ordered(errors))

    def parse_interpolation(inner: str, line: int, col: int) -> ast.Expr | None:
        sub = lex_interpolation(inner, path, line, col)
        if sub.errors:
            builder.errors.extend(sub.errors)
            return None
        try:
            return drive(tables, callbacks, sub.tokens, "interpolation")
        except SyntaxStop as stop:
            found = syntax_error(sub.tokens, stop.index, stop.token, stop.expected, path)
            if stop.token.type == "$END":  # the interpolation ended at its closing brace
                found = dataclasses.replace(found, message=found.message.replace("end of file", "'}'"))
            builder.errors.append(found)
            return None

    builder = TreeBuilder(path, lexed.docs, lexed.comments, parse_interpolation)
    callbacks = tables.callbacks(builder)
    try:
        tree = drive(tables, callbacks, tokens, "start")
    except SyntaxStop as stop:
        errors.extend(builder.errors)
        # A syntax error on a line with a lexical error is most likely its echo.
        lexical_lines = {d.span.line for d in lexed.errors}
        errors.extend(d for d in syntax_errors(tables, tokens, stop, path) if d.span.line not in lexical_lines)
        raise CompileError(_ordered(errors)) from None
    errors.extend(builder.errors)
    if lexed.may_nest_deeply:
        errors.extend(_too_deep(tree))
    if errors:
        raise CompileError(_ordered(errors))
    if lexed.warnings:
        tree = dataclasses.replace(tree, warnings=lexed.warnings)
    return tree


def _too_deep(tree) -> list[Diagnostic]:
    """An error at the statement (or declaration) holding a node nested deeper than
    MAX_NESTING, if any. Later phases walk the tree recursively; a sum of thousands of terms
    (a tree thousands of levels deep) must be refused here, with a message, not crash them."""
    stack = [(tree, 1, tree)]
    while stack:
        node, depth, anchor = stack.pop()
        if depth > MAX_NESTING:
            return [Diagnostic(f"this nests too deeply: more than {MAX_NESTING} levels of expressions and blocks",
                               anchor.span, "split it into steps with `let`", code=Code.B0204)]
        if depth <= 3:  # the file, a declaration, a statement of it
            anchor = node
        below = depth + 1
        for name in node.__slots__:
            value = getattr(node, name)
            if isinstance(value, tuple):
                for item in value:
                    if isinstance(item, tuple):
                        stack.extend((x, below, anchor) for x in item if hasattr(x, "__slots__"))
                    elif hasattr(item, "__slots__"):
                        stack.append((item, below, anchor))
            elif hasattr(value, "__slots__") and name != "span":
                stack.append((value, below, anchor))
    return []


def _ordered(errors: list[Diagnostic]) -> list[Diagnostic]:
    unique = dict.fromkeys(errors)
    return sorted(unique, key=lambda d: (d.span.line, d.span.col))


def parse_tree_only(text: str, path: str = "<bench>") -> Tree:
    """Lark's bare parse of ``text`` (the same lexer and grammar, building a Lark `Tree`, no AST):
    the baseline `bench/compile.py` measures the front end against."""
    return grammar().parse(lex(text, path).tokens, start="start")
