"""Section 2's lexical rules, one by one: tokens, literal shapes, and each error with its span."""

from __future__ import annotations

import unicodedata

import pytest

from dsl.syntax import ast
from dsl.diagnostics import CompileError
from dsl.syntax.lexer import KEYWORDS, lex
from dsl.syntax.parser import parse_source


def kinds(text: str) -> list[tuple[str, object]]:
    lexed = lex(text, "t.bao")
    assert lexed.errors == [], [d.message for d in lexed.errors]
    return [(t.type, t.value) for t in lexed.tokens]


def errors(text: str) -> list[tuple[str, int, int, int, str | None]]:
    """(message, line, col, end_col, hint) of each diagnostic parse_source reports."""
    with pytest.raises(CompileError) as info:
        parse_source(text, "e.bao")
    return [(d.message, d.span.line, d.span.col, d.span.end_col, d.hint) for d in info.value.diagnostics]


def body(*lines: str) -> str:
    """A contract whose one function holds ``lines``."""
    return "contract C\nfn f() -> Int:\n" + "".join(f"    {line}\n" for line in lines)


def value_of(expr_text: str) -> ast.Expr:
    tree = parse_source(body(f"return {expr_text}"), "t.bao")
    return tree.decls[0].body[0].value


# -- literals ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "node"),
    [
        ("42", ast.IntLit("42")),
        ("1_000_000", ast.IntLit("1_000_000")),
        ("0.05", ast.DecimalLit("0.05")),
        ("3.14159", ast.DecimalLit("3.14159")),
        ("1200.50 CNY", ast.MoneyLit("1200.50", "CNY")),
        ("0 USD", ast.MoneyLit("0", "USD")),
        ("30000   JPY", ast.MoneyLit("30000", "JPY")),
        ("80%", ast.PercentLit("80")),
        ("12.5%", ast.PercentLit("12.5")),
        ("2024-03-01", ast.DateLit("2024-03-01")),
        ("2024-02-30", ast.DateLit("2024-02-30")),  # the value is the checker's business
        ("1 day", ast.DurationLit("1", "day")),
        ("30 days", ast.DurationLit("30", "days")),
        ("2 weeks", ast.DurationLit("2", "weeks")),
        ("1 week", ast.DurationLit("1", "week")),
        ('"Li Lei"', ast.TextLit(("Li Lei",))),
        ('""', ast.TextLit(("",))),
        ("true", ast.BoolLit(True)),
        ("false", ast.BoolLit(False)),
        ("0x" + "9f86" * 16, ast.HashLit("0x" + "9f86" * 16)),
        ("[1, 2, 3]", ast.ListLit((ast.IntLit("1"), ast.IntLit("2"), ast.IntLit("3")))),
        ("[]", ast.ListLit(())),
        ('{"a": 1, "b": 2}', ast.MapLit(((ast.TextLit(("a",)), ast.IntLit("1")),
                                         (ast.TextLit(("b",)), ast.IntLit("2"))))),
        ("{}", ast.MapLit(())),
    ],
)
def test_literal_forms(text: str, node: ast.Expr) -> None:
    assert value_of(text) == node


def test_record_construction_has_named_arguments() -> None:
    v = value_of('Policy(holder: "Li", sum_insured: 100.00 CNY, start: 2024-01-01)')
    assert v == ast.Call(ast.Name("Policy"), (
        ast.Arg(ast.TextLit(("Li",)), "holder"),
        ast.Arg(ast.MoneyLit("100.00", "CNY"), "sum_insured"),
        ast.Arg(ast.DateLit("2024-01-01"), "start"),
    ))


def test_money_and_duration_are_one_token_each() -> None:
    assert kinds("1200.50 CNY 30 days")[:2] == [("MONEY", ("1200.50", "CNY")), ("DURATION", ("30", "days"))]


def test_unit_words_and_currency_codes_mean_nothing_elsewhere() -> None:
    assert value_of("day(d)") == ast.Call(ast.Name("day"), (ast.Arg(ast.Name("d")),))
    assert value_of("CNY") == ast.Name("CNY")


def test_minus_is_always_an_operator() -> None:
    assert value_of("-3") == ast.Unary("-", ast.IntLit("3"))
    assert value_of("2024 - 3 - 1") == ast.Binary("-", ast.Binary("-", ast.IntLit("2024"), ast.IntLit("3")),
                                                  ast.IntLit("1"))
    assert value_of("x-1") == ast.Binary("-", ast.Name("x"), ast.IntLit("1"))


def test_literal_spans_cover_the_whole_token() -> None:
    v = value_of("1200.50   CNY")
    assert (v.span.line, v.span.col, v.span.end_line, v.span.end_col) == (3, 12, 3, 25)


# -- literal shape errors ---------------------------------------------------------------------

def test_malformed_date_is_one_error_with_a_hint_about_subtraction() -> None:
    [(msg, line, col, end, hint)] = errors(body("return 2024-3-1"))
    assert "malformed date '2024-3-1'" in msg and (line, col, end) == (3, 12, 20)
    assert "spaces around '-'" in hint


def test_digits_dash_digits_is_never_subtraction() -> None:
    [(msg, line, col, end, hint)] = errors(body("return 10-3"))
    assert "malformed date '10-3'" in msg and (line, col, end) == (3, 12, 16)


def test_float_form_is_an_error() -> None:
    [(msg, line, col, end, _)] = errors(body("return 1.5e3"))
    assert "float" in msg and (line, col, end) == (3, 12, 17)
    assert "float" in errors(body("return 2e-3"))[0][0]


def test_percent_sign_alone_suggests_mod() -> None:
    [(msg, line, col, end, hint)] = errors(body("return x % 2"))
    assert msg == "'%' is not an operator" and (line, col, end) == (3, 14, 15)
    assert hint == "use `mod` for remainder"


def test_mod_is_the_remainder_operator() -> None:
    assert value_of("x mod 2") == ast.Binary("mod", ast.Name("x"), ast.IntLit("2"))


def test_hash_needs_exactly_64_hex_digits() -> None:
    [(msg, _, col, end, _)] = errors(body("return 0x9f86"))
    assert "64 hex digits" in msg and "found 4" in msg and (col, end) == (12, 18)
    assert "64 hex digits" in errors(body("return 0x" + "g" * 64))[0][0]


def test_duration_must_be_whole() -> None:
    [(msg, line, col, end, _)] = errors(body("return 1.5 days"))
    assert msg == "a duration is a whole number of days" and (line, col, end) == (3, 12, 20)


def test_malformed_numbers() -> None:
    [(msg, line, col, end, _)] = errors(body("return 1__0"))
    assert msg == "malformed number '1__0'" and (line, col, end) == (3, 12, 16)
    assert errors(body("return 12abc"))[0][0] == "malformed number '12abc'"


# -- strings ----------------------------------------------------------------------------------

def test_string_escapes() -> None:
    assert value_of(r'"a\"b\\c\nd"') == ast.TextLit(('a"b\\c\nd',))


def test_unknown_escape_is_an_error_at_the_escape() -> None:
    [(msg, line, col, end, hint)] = errors(body(r'return "a\tb"'))
    assert msg == "unknown escape '\\t' in a string" and (line, col, end) == (3, 14, 16)
    assert "\\n" in hint


def test_interpolation_parses_an_expression_with_spans_into_the_string() -> None:
    v = value_of('"policy {id} has {n + 1} left"')
    assert v.parts == ("policy ", ast.Name("id"), " has ", ast.Binary("+", ast.Name("n"), ast.IntLit("1")),
                       " left")
    assert (v.parts[1].span.line, v.parts[1].span.col, v.parts[1].span.end_col) == (3, 21, 23)
    plus = v.parts[3]
    assert (plus.span.col, plus.span.end_col) == (30, 35)
    assert (plus.right.span.col, plus.right.span.end_col) == (34, 35)


def test_double_braces_are_literal() -> None:
    assert value_of('"{{x}} and {{"').parts == ("{x} and {",)
    assert value_of('"}}"').parts == ("}",)


def test_string_inside_interpolation_is_an_error() -> None:
    msgs = [e[0] for e in errors(body(r'return "a {f(\"x\")} b"'))]
    assert any("string cannot stand inside" in m for m in msgs)


def test_interpolation_errors() -> None:
    assert "never closed" in errors(body('return "a {x"'))[0][0]
    assert "single '}'" in errors(body('return "a } b"'))[0][0]
    assert "empty '{}'" in errors(body('return "a {} b"'))[0][0]
    [(msg, line, col, _, _)] = errors(body('return "a {x +} b"'))
    assert msg == "unexpected '}'; expected an expression" and (line, col) == (3, 19)


def test_unterminated_string() -> None:
    [(msg, line, col, _, _)] = errors(body('return "abc', "return 1"))
    assert msg.startswith("unterminated string") and (line, col) == (3, 12)


def test_docstring_after_contract() -> None:
    tree = parse_source('contract C\n"""Line one.\nLine two."""\n\nparties a\n', "t.bao")
    assert tree.docstring == "Line one.\nLine two."
    assert tree.decls[0].span.line == 5


def test_unterminated_docstring() -> None:
    [(msg, line, col, end, _)] = errors('contract C\n"""never closed\n')
    assert msg.startswith("unterminated docstring") and (line, col, end) == (2, 1, 4)


# -- names and keywords -----------------------------------------------------------------------

def test_unicode_identifiers() -> None:
    tree = parse_source("contract 保险\nstate:\n    保单: Map[Text, Int]\n    _x1: Int\n", "t.bao")
    assert [v.name.name for v in tree.decls[0].vars] == ["保单", "_x1"]
    assert tree.name.name == "保险"


@pytest.mark.parametrize("name", ["बीमा", "ประกัน", "e\u0301tat", "x\u203fy", "\u2118"])
def test_identifiers_continue_with_every_xid_continue_character(name: str) -> None:
    # Combining marks (Hindi and Thai vowel signs) and connector punctuation are XID_Continue
    # but not regex word characters; '℘' is XID_Start without being a letter.
    # The token's value is the name's NFKC form (e + U+0301 is é), as Python reads identifiers.
    expected = unicodedata.normalize("NFKC", name)
    assert kinds(f"let {name} = 1") == [("LET", "let"), ("NAME", expected), ("EQ", "="), ("INT", "1"), ("_NL", "")]


@pytest.mark.parametrize("word", sorted(KEYWORDS))
def test_keywords_are_reserved(word: str) -> None:
    with pytest.raises(CompileError):
        parse_source(f"contract C\nstate:\n    {word}: Int\n", "t.bao")


def test_keyword_as_name_message() -> None:
    [(msg, line, col, _, hint)] = errors(body("let emit = 1", "return 1"))
    assert msg == "'emit' is a keyword and cannot be used as a name" and (line, col) == (3, 9)


def test_unexpected_character() -> None:
    [(msg, line, col, end, _)] = errors(body("return a $ b"))
    assert msg == "unexpected character '$'" and (line, col, end) == (3, 14, 15)


# -- comments, lines and indentation ----------------------------------------------------------

def test_comments_are_kept_with_positions() -> None:
    tree = parse_source("# above\ncontract C  # trailing\n", "t.bao")
    assert [(c.text, c.span.line, c.span.col) for c in tree.comments] == [(" above", 1, 1), (" trailing", 2, 13)]
    assert tree.doc == ("above",)


def test_descriptions_attach_to_every_declaration_kind() -> None:
    src = (
        "# c\ncontract C\n# u\nuse insurance\n# p\nparties a\n# e\nenum E:\n    # v\n    A\n"
        "# r\nrecord R:\n    # f\n    x: Int\n# s\nstate:\n    # sv\n    y: Int\n# ev\nevent Ev(a: Int)\n"
        "# l\nlifecycle R.x:\n    # t\n    A -> A by a\n# i\ninit() by a:\n    pass\n# ac\naction g() by a:\n"
        "    pass\n# vw\nview h():\n    pass\n# fn\nfn k():\n    pass\n"
    )
    t = parse_source(src, "t.bao")
    use, parties, enum, record, state, event, life, init, action, view, fn = t.decls
    assert t.doc == ("c",)
    assert [d.doc for d in t.decls] == [("u",), ("p",), ("e",), ("r",), ("s",), ("ev",), ("l",), ("i",), ("ac",),
                                        ("vw",), ("fn",)]
    assert enum.values[0].doc == ("v",) and record.fields[0].doc == ("f",) and state.vars[0].doc == ("sv",)
    assert life.transitions[0].doc == ("t",)


def test_description_is_only_the_comments_directly_above() -> None:
    t = parse_source("contract C\n# not this\n\n# first\n#second\nparties a  # not this either\n", "t.bao")
    assert t.decls[0].doc == ("first", "second")


def test_brackets_continue_lines_freely() -> None:
    t = parse_source(body("return f(1,", "  2,", "        3)"), "t.bao")
    assert len(t.decls[0].body[0].value.args) == 3


def test_block_needs_exactly_four_more_spaces() -> None:
    [(msg, line, col, _, _)] = errors("contract C\nfn f():\n  pass\n")
    assert "exactly 4 more spaces" in msg and "found 2" in msg and (line, col) == (3, 1)
    assert "exactly 4 more spaces" in errors("contract C\nfn f():\n        pass\n")[0][0]


def test_tab_in_indentation() -> None:
    [(msg, line, col, _, hint)] = errors("contract C\nfn f():\n\tpass\n")
    assert msg == "a tab in indentation" and (line, col) == (3, 1) and "spaces" in hint


def test_dedent_must_match_an_outer_level() -> None:
    msgs = [e[0] for e in errors("contract C\nfn f():\n    if x:\n        pass\n  pass\n")]
    assert any("matches no enclosing block" in m for m in msgs)


def test_unexpected_indentation() -> None:
    [(msg, line, _, _, _)] = errors("contract C\nparties a\n    parties b\n")
    assert msg == "unexpected indentation" and line == 3


def test_blank_and_comment_lines_do_not_count_for_indentation() -> None:
    t = parse_source("contract C\nfn f():\n\n  # odd comment\n    pass\n\n\n", "t.bao")
    assert t.decls[0].body == (ast.Pass(),)


def test_crlf_line_endings() -> None:
    assert parse_source("contract C\r\nfn f():\r\n    pass\r\n", "t.bao").decls[0].body == (ast.Pass(),)


def test_all_lexical_errors_are_reported_in_one_run() -> None:
    found = errors(body("let a = 2024-3-1", "let b = 1.5e3", "let c = x % 2", "return 0x12"))
    assert [e[1] for e in found] == [3, 4, 5, 6]


def test_other_whitespace_in_indentation() -> None:
    [(msg, line, col, _, _)] = errors("contract C\nfn f():\n  \f  pass\n")
    assert msg == "indentation is made of spaces only" and (line, col) == (3, 3)


def test_byte_order_mark_is_ignored() -> None:
    assert parse_source("\ufeffcontract C\n", "t.bao").name.name == "C"


def test_indented_first_line() -> None:
    [(msg, line, col, _, _)] = errors("  contract C\n")
    assert msg.startswith("unexpected indentation") and (line, col) == (1, 1)
