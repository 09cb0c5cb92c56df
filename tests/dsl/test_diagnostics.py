"""How a diagnostic reads: position, the source line, a caret under the span, a hint."""

from dsl.ast import Span
from dsl.diagnostics import Diagnostic


def test_caret_sits_under_the_span() -> None:
    text = Diagnostic("cannot add Money and Percent", Span("h.bao", 2, 9, 2, 20), "write x * y").render(
        "contract C\n    let a = b + 5% + 1\n")
    assert text.splitlines() == [
        "h.bao:2:9: error: cannot add Money and Percent",
        "   2 |     let a = b + 5% + 1",
        "     |         ^^^^^^^^^^^",
        "  = hint: write x * y",
    ]


def test_lines_are_counted_as_the_lexer_counts_them() -> None:
    # A form feed is no line break for Bao, so the caret must stay on the line the lexer meant.
    text = Diagnostic("boom", Span("f.bao", 2, 1, 2, 4), None).render("a\x0cb\r\nxyz\n")
    assert "   2 | xyz" in text


def test_a_span_over_several_lines_underlines_to_the_end_of_its_first_line() -> None:
    text = Diagnostic("unclosed", Span("f.bao", 1, 3, 4, 1)).render("x = (1,\n2\n")
    assert text.splitlines()[-1].endswith("^^^^^")


def test_without_source_only_the_position_line() -> None:
    assert Diagnostic("boom", Span("f.bao", 3, 4, 3, 5)).render() == "f.bao:3:4: error: boom"
