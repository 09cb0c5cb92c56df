"""Parsing by the changed declaration (`dsl.lsp.pieces.reparse`) builds the tree a whole parse
builds, spans and comments included, and fails exactly where a whole parse fails."""

from __future__ import annotations

import dataclasses

from hypothesis import given, settings
from hypothesis import strategies as st

from dsl.diagnostics import CompileError
from dsl.lsp.pieces import Parsed, reparse
from dsl.syntax import ast, parse_source
from dsl.syntax.lexer import KEYWORDS
from tests.dsl.lsp.conftest import CONTRACTS

SOURCES = {p.name: p.read_text(encoding="utf-8") for p in sorted(CONTRACTS.glob("*.bao"))
           if not p.name.endswith(".test.bao")}
TREES = {name: parse_source(text, name) for name, text in SOURCES.items()}
PIECES = st.lists(st.sampled_from([*KEYWORDS, "x", "p.status", "(", ")", "[", "]", ":", ",", '"', "#", "1",
                                   "10 CNY", "=", "+", " ", "    ", "\n", "\n    ", "\n        "]), max_size=6).map("".join)


def spans(node: object) -> list[ast.Span]:
    """Every span in a tree, in order (nodes compare without them)."""
    if isinstance(node, tuple):
        return [s for item in node for s in spans(item)]
    if isinstance(node, ast.Span):
        return [node]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return [s for f in dataclasses.fields(node) if f.name != "comments" for s in spans(getattr(node, f.name))]
    return []


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(SOURCES)), where=st.floats(0, 1), cut=st.integers(0, 12), typed=PIECES)
def test_reparse_is_a_whole_parse(name: str, where: float, cut: int, typed: str) -> None:
    text = SOURCES[name]
    at = int(where * len(text))
    edited = text[:at] + typed + text[at + cut:]
    try:
        tree = reparse(Parsed(text, TREES[name]), edited, name)
    except CompileError:
        try:
            parse_source(edited, name)
        except CompileError:
            return
        raise AssertionError("the piece failed to parse but the whole text parses")
    if tree is None:
        return
    whole = parse_source(edited, name)
    assert tree == whole and spans(tree) == spans(whole)
    assert [(c.text, c.span) for c in tree.comments] == [(c.text, c.span) for c in whole.comments]


def test_an_edit_inside_one_declaration_takes_the_fast_path() -> None:
    text = SOURCES["health.bao"]
    edited = text.replace("return year(d) * 100 + month(d)", "return year(d) * 100 + month(d) + 0", 1)
    assert edited != text
    tree = reparse(Parsed(text, TREES["health.bao"]), edited, "health.bao")
    assert tree is not None and tree == parse_source(edited, "health.bao")


def test_a_comment_joined_to_an_indented_line_leaves_the_piece_to_the_whole_parse() -> None:
    # Deleting the newline after a comment above a view makes the view's indented body continue
    # the declaration before it: the whole text still parses, the piece alone would not.
    text = SOURCES["health.bao"]
    at = text.index("# zh: 保单的出单公司。\n") + len("# zh: 保单的出单公司。")
    edited = text[:at] + text[at + 1:]
    whole = parse_source(edited, "health.bao")
    tree = reparse(Parsed(text, TREES["health.bao"]), edited, "health.bao")
    assert tree is None or tree == whole
