"""Bao source → `dsl.ast` (a `SourceFile` or a `TestFile`), or a `CompileError` listing every
problem found in one run.

Three steps: `dsl.lexer` turns the text into tokens (and reports every lexical error);
Lark's LALR(1) table for `dsl/grammar.lark` drives the parse; each reduction calls
`dsl.parse_build.TreeBuilder`, so the AST is built as the parser goes and no parse tree
exists. After a syntax error the broken line is replaced by a stand-in (or, at the top
level, the broken declaration is skipped) and the parse runs again, so one run reports every
broken line. Lark builds the LALR table; a lean driver of our own runs it (see `_Tables`).
"""

from __future__ import annotations

import gc
import os
import sys
from functools import lru_cache
from pathlib import Path

from lark import Lark
from lark.lexer import Lexer
from lark.parsers.lalr_analysis import Shift
from lark.tree import Tree

from dsl import ast
from dsl.ast import Span
from dsl.diagnostics import CompileError, Diagnostic
from dsl.lexer import Lexeme, lex, lex_interpolation
from dsl.parse_build import TreeBuilder
from dsl.parse_errors import syntax_error

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")
MAX_SYNTAX_ERRORS = 20
# How deep a tree may nest (expressions within expressions, blocks within blocks): far beyond
# any contract a person writes, well within what the recursive later phases can walk.
MAX_NESTING = 100
_RESYNC_WORDS = frozenset(
    "USE PARTIES ENUM RECORD STATE EVENT LIFECYCLE INIT ACTION VIEW FN SCENARIO".split()
)


class TokenListLexer(Lexer):
    """Lark's lexer slot, filled by a list `dsl.lexer` already produced."""

    def __init__(self, lexer_conf) -> None:
        pass

    def lex(self, data):  # type: ignore[override]
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


class _Tables:
    """Lark's LALR table recompiled for a lean driver, once per process.

    Each state maps a terminal or rule name to an int: a shift (or goto) to state ``n >= 0``, or
    a reduction by rule ``~n``. Each rule's shape says how many values it pops, which of them
    its callback sees (tokens named `_X` are dropped; an omitted `[x]` is passed as None, as
    Lark's ``maybe_placeholders`` does), whether a lone child passes through (`?rule`), and
    the `TreeBuilder` method that builds its node."""

    def __init__(self, lark: Lark):
        table = lark.parser.parser.parser.parse_table
        self.start_states = table.start_states
        self.end_states = table.end_states
        rules = list(lark.rules)
        index = {id(rule): k for k, rule in enumerate(rules)}
        by_value = {rule: k for k, rule in enumerate(rules)}
        self.states: list[dict[str, int]] = [{} for _ in range(max(table.states) + 1)]
        for state, actions in table.states.items():
            row = self.states[state]
            for symbol, (action, arg) in actions.items():
                if action is Shift:
                    row[str(symbol)] = arg
                else:
                    k = index.get(id(arg))
                    row[str(symbol)] = ~(k if k is not None else by_value[arg])
        self.rules = [_shape(rule) for rule in rules]
        self.method_names = [shape[4] for shape in self.rules]
        missing = {name for (_, _, _, expand, name) in self.rules if not expand and not hasattr(TreeBuilder, name)}
        if missing:
            raise RuntimeError(f"grammar rules without a TreeBuilder method: {sorted(missing)}")
        self.discard = [_discard] * len(rules)
        # (state below, top state, token) → top state after the unit reductions it triggers;
        # filled as parses meet them (a cache: the same answer whenever it is computed).
        self.unit_chains: dict[tuple[int, int, str], int] = {}

    def callbacks(self, builder: TreeBuilder) -> list:
        return [getattr(builder, name, None) for name in self.method_names]


def _shape(rule) -> tuple:
    """(size, rule name, child template or None, passes a lone child through, method name)."""
    expansion = rule.expansion
    flags = rule.options.empty_indices or ()
    template: list[int] = []
    k = 0
    for present in (not b for b in flags) if flags else (True,) * len(expansion):
        if not present:
            template.append(-1)
            continue
        sym = expansion[k]
        if not (sym.is_term and sym.filter_out):
            template.append(k)
        k += 1
    identity = template == list(range(len(expansion)))
    expand = bool(rule.options.expand1) and not rule.alias
    name = str(rule.alias or rule.origin.name)
    return (len(expansion), str(rule.origin.name), None if identity else tuple(template), expand, name)


def _unit_chain(states: list[dict[str, int]], rules: list[tuple], below: int, top: int, ttype: str) -> int:
    """Follow unit reductions (`?rule: child`) from ``top`` while ``ttype`` is the next token."""
    while True:
        act = states[top].get(ttype)
        if act is None or act >= 0:
            return top
        size, origin, template, expand, _ = rules[~act]
        if not (expand and size == 1 and template is None):
            return top
        top = states[below][origin]


def _discard(children):
    return None


@lru_cache(maxsize=None)
def _tables() -> _Tables:
    return _Tables(grammar())


class _SyntaxStop(Exception):
    """The parser met ``token`` (``tokens[index]``) where it could take only ``expected``."""

    def __init__(self, index: int, token: Lexeme, expected: set[str]):
        self.index = index
        self.token = token
        self.expected = expected


def _acceptable(tables: _Tables, state_stack: list[int], start: str) -> set[str]:
    """The terminals the parser could really take next. An LALR state also lists terminals
    that would only be refused after some reductions (lookaheads merged from other contexts,
    such as the end of a string's interpolation); each is tried on a copy of the stack."""
    states, rules, end_state = tables.states, tables.rules, tables.end_states[start]
    found = set()
    for symbol in states[state_stack[-1]]:
        if not (symbol.isupper() or symbol[0] == "_" or symbol == "$END"):
            continue
        stack = list(state_stack)
        while True:
            act = states[stack[-1]].get(symbol)
            if act is None:
                break
            if act >= 0:
                found.add(symbol)
                break
            size, origin = rules[~act][:2]
            if size:
                del stack[-size:]
            stack.append(states[stack[-1]][origin])
            if symbol == "$END" and stack[-1] == end_state:
                found.add(symbol)
                break
    return found


def _drive(tables: _Tables, callbacks: list, tokens: list[Lexeme], start: str, finish: bool = True):
    """Run the LALR automaton over ``tokens``, building values with ``callbacks``; raise
    `_SyntaxStop` at the first token it cannot take. With ``finish`` False, stop after the last
    token and return the state stack instead (to see what could have come next)."""
    states = tables.states
    rules = tables.rules
    unit_chains = tables.unit_chains
    end_state = tables.end_states[start]
    state_stack = [tables.start_states[start]]
    value_stack: list = []
    push_state = state_stack.append
    push_value = value_stack.append
    last = tokens[-1] if tokens else None
    end = Lexeme("$END", "", last.end_line if last else 1, last.end_column if last else 1,
                 last.end_line if last else 1, last.end_column if last else 1)
    i = 0
    for i, tok in enumerate([*tokens, end] if finish else tokens):
        ttype = tok.type
        while True:
            row = states[state_stack[-1]]
            act = row.get(ttype)
            if act is None:
                # The stack has already been reduced for this token; what was acceptable is
                # seen from the stack as it stood after the previous token.
                before = _drive(tables, tables.discard, tokens[:i], start, finish=False)
                raise _SyntaxStop(i, tok, _acceptable(tables, before, start))
            if act >= 0:
                push_state(act)
                push_value(tok)
                break
            size, origin, template, expand, _ = rules[~act]
            if expand and size == 1 and template is None:
                # A unit step such as `sum: term`: the value stays, only the state moves, and a
                # chain of them (`atom` up to `expr`) depends only on the two top states and
                # the token, so its end is looked up once and remembered.
                key = (state_stack[-2], state_stack[-1], ttype)
                top = unit_chains.get(key)
                if top is None:
                    top = unit_chains[key] = _unit_chain(states, rules, *key)
                state_stack[-1] = top
                continue
            if size:
                children = value_stack[-size:]
                del state_stack[-size:]
                del value_stack[-size:]
            else:
                children = []
            if template is not None:
                children = [children[k] if k >= 0 else None for k in template]
            if expand and len(children) == 1:
                value = children[0]
            else:
                value = callbacks[~act](children)
            push_state(states[state_stack[-1]][origin])
            push_value(value)
            if ttype == "$END" and state_stack[-1] == end_state:
                return value
    if not finish:
        return state_stack
    raise AssertionError("the LALR table accepts only at the end")  # pragma: no cover


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


def _syntax_errors(tables: _Tables, tokens: list[Lexeme], first: _SyntaxStop, path: str) -> list[Diagnostic]:
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
            _drive(tables, tables.discard, repaired, "start")
            break
        except _SyntaxStop as again:
            place = (again.token.line, again.token.column)
            if place <= (stop.token.line, stop.token.column):
                break  # no progress: what follows is too broken to say more
            current, stop = repaired, again
            found.append(syntax_error(current, again.index, again.token, again.expected, path))
    return found


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
            gc.enable()


def _parse(text: str, path: str) -> ast.SourceFile | ast.TestFile:
    lexed = lex(text, path)
    tokens = lexed.tokens
    tables = _tables()
    errors = list(lexed.errors)
    if not tokens:
        raise CompileError([Diagnostic("empty file: a Bao file starts with `contract Name`, `module Name` "
                                       "or `tests for \"file.bao\"`", Span(path, 1, 1, 1, 1))])
    first = tokens[0]
    if first.type == "_INDENT":
        errors.append(Diagnostic("unexpected indentation: the file's first line starts at column 1",
                                 Span(path, first.line, 1, first.line, first.column)))
        raise CompileError(_ordered(errors))
    if first.type not in ("CONTRACT", "MODULE", "TESTS"):
        errors.append(Diagnostic("a Bao file starts with `contract Name`, `module Name` or `tests for \"file.bao\"`",
                                 Span(path, first.line, first.column, first.end_line, first.end_column)))
        raise CompileError(_ordered(errors))

    def parse_interpolation(inner: str, line: int, col: int) -> ast.Expr | None:
        sub = lex_interpolation(inner, path, line, col)
        if sub.errors:
            builder.errors.extend(sub.errors)
            return None
        try:
            return _drive(tables, callbacks, sub.tokens, "interpolation")
        except _SyntaxStop as stop:
            found = syntax_error(sub.tokens, stop.index, stop.token, stop.expected, path)
            if stop.token.type == "$END":  # the interpolation ended at its closing brace
                found = Diagnostic(found.message.replace("end of file", "'}'"), found.span, found.hint)
            builder.errors.append(found)
            return None

    builder = TreeBuilder(path, lexed.docs, lexed.comments, parse_interpolation)
    callbacks = tables.callbacks(builder)
    try:
        tree = _drive(tables, callbacks, tokens, "start")
    except _SyntaxStop as stop:
        errors.extend(builder.errors)
        # A syntax error on a line with a lexical error is most likely its echo.
        lexical_lines = {d.span.line for d in lexed.errors}
        errors.extend(d for d in _syntax_errors(tables, tokens, stop, path) if d.span.line not in lexical_lines)
        raise CompileError(_ordered(errors)) from None
    errors.extend(builder.errors)
    if lexed.may_nest_deeply:
        errors.extend(_too_deep(tree))
    if errors:
        raise CompileError(_ordered(errors))
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
                               anchor.span, "split it into steps with `let`")]
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
