"""Spans of parenthesised expressions cover their brackets, so carets and statement spans reach
the closing bracket at the end of a line."""

from dsl.syntax.parser import parse_source

SOURCE = '''contract C

parties insurer

action a(x: Int) by insurer:
    require x > 0 and not (x > 5)
    let y = (x + 1) * 2
'''


def test_a_statement_ending_in_a_bracket_spans_to_it() -> None:
    require, let = parse_source(SOURCE, "c.bao").decls[1].body
    assert (require.span.line, require.span.col, require.span.end_col) == (6, 5, 34)
    inner = let.value.left  # (x + 1)
    assert (inner.span.col, inner.span.end_col) == (13, 20)
