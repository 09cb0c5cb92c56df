"""Bao 1.1 diagnostics: names compared in their NFKC form as Python compares identifiers, with a
warning when one file spells a name two ways; and a bracket left open reported at the bracket
with the rest of the file still parsed."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import assume, given, settings, strategies as st

from dsl.diagnostics import Code, CompileError, Diagnostic, Severity
from dsl.pipeline import Compilation
from dsl.syntax import ast, parse_source
from dsl.syntax.lexer import KEYWORDS, lex
from tests.dsl.conftest import run_fn


def diagnostics(text: str) -> list[Diagnostic]:
    with pytest.raises(CompileError) as info:
        parse_source(text, "t.bao")
    return list(info.value.diagnostics)


def where(d: Diagnostic) -> tuple[Code, int, int, str]:
    return d.code, d.span.line, d.span.col, d.message


# -- names

_identifier = st.text(st.characters(codec="utf-8", categories=("L", "Mn", "Mc", "Nd", "Nl", "Pc", "Lm", "Lo")),
                      min_size=1, max_size=8).filter(str.isidentifier)


@settings(max_examples=300, deadline=None)
@given(_identifier)
def test_any_identifier_and_its_nfkc_form_name_the_same_thing(name: str) -> None:
    plain = unicodedata.normalize("NFKC", name)
    assume(plain not in KEYWORDS and name not in KEYWORDS)
    tokens = [t for t in lex(f"let {name} = {plain}\n", "t.bao").tokens if t.type == "NAME"]
    assert [t.value for t in tokens] == [plain, plain]
    # The first token keeps the written spelling's place in the file.
    assert tokens[0].end_column - tokens[0].column == len(name)


@settings(max_examples=60, deadline=None)
@given(_identifier)
def test_the_checker_resolves_a_name_written_either_way(name: str) -> None:
    plain = unicodedata.normalize("NFKC", name)
    assume(plain not in KEYWORDS and name not in KEYWORDS and plain not in ("Int", "bank", "v", "C"))
    source = f"contract C\nparties bank\nview v() -> Int:\n    let {name} = 1\n    return {plain}\n"
    try:
        analysis = Compilation(source, "c.bao").analysis
    except CompileError as exc:  # a name the contract may not declare (a built-in) is refused either way
        assert all(d.code in (Code.B0303, Code.B0506) for d in exc.diagnostics), exc
        return
    expected = [] if name == plain else [Code.B0107]  # two spellings of one name
    assert [w.code for w in analysis.warnings] == expected


@pytest.mark.parametrize(("written", "read"), [
    ("\ufb01le", "file"),  # the ligature ﬁ
    ("\uff4e", "n"),  # fullwidth ｎ
    ("e\u0301tat", "\u00e9tat"),  # e and a combining acute: é
    ("\u210cx", "Hx"),  # black-letter ℌ
])
def test_a_name_is_read_in_its_nfkc_form(written: str, read: str) -> None:
    assert run_fn(f"let {written} = 20\nreturn {read} + 1", "Int") == 21


def test_two_spellings_of_one_name_are_a_warning_at_the_second_with_the_first_as_related() -> None:
    source = ("contract C\nparties bank\nstate:\n    \ufb01le: Int\n"
              "action a(x: Int) by bank:\n    file = x\n    \ufb01le = x\n    file = 2\n")
    unit = Compilation(source, "c.bao")
    [warning] = unit.analysis.warnings
    assert warning.severity is Severity.WARNING and warning.code is Code.B0107
    assert (warning.span.line, warning.span.col, warning.span.end_col) == (6, 5, 9)
    assert warning.message == "'file' and '\ufb01le' are one name, `file`: names are compared in their NFKC form"
    [first] = warning.related
    assert (first.span.line, first.span.col, first.span.end_col) == (4, 5, 8)  # ﬁle is three characters
    assert first.message == "'\ufb01le' is written here"
    assert "--> c.bao:4:5: '\ufb01le' is written here" in warning.render(source)


def test_a_name_spelled_one_way_only_is_no_warning() -> None:
    source = "contract C\nparties bank\nstate:\n    \ufb01le: Int\naction a(x: Int) by bank:\n    \ufb01le = x\n"
    assert Compilation(source, "c.bao").analysis.warnings == []


def test_a_name_whose_nfkc_form_is_a_keyword_is_refused() -> None:
    [error] = diagnostics("contract C\nparties bank\nstate:\n    \uff4c\uff45\uff54: Int\n")
    assert where(error) == (Code.B0202, 4, 5, "'\uff4c\uff45\uff54' is the keyword `let` written in other characters")


# -- brackets left open

def test_an_unclosed_bracket_is_reported_at_the_bracket_and_the_file_goes_on() -> None:
    source = ("contract C\nparties bank\nstate:\n    n: Int\n"
              "action a(x: Int) by bank:\n"
              "    n = min(x, [1, 2\n"  # line 6: '(' at 12, '[' at 16
              "    emit Done(x\n"  # line 7: '(' at 14
              "    n = 3\n"
              "action b() by bank:\n"
              "    n = = 4\n"  # line 10: a syntax error the parser still reaches
              "    let q = {1: 2\n")  # line 11: '{' at 13, open at the end of the file
    found = [where(d) for d in diagnostics(source)]
    assert [f[:3] for f in found] == [(Code.B0105, 6, 12), (Code.B0105, 6, 16), (Code.B0105, 7, 14),
                                      (Code.B0201, 10, 9), (Code.B0105, 11, 13)]
    assert [f[3] for f in found if f[0] is Code.B0105] == [
        "'(' is never closed", "'[' is never closed", "'(' is never closed", "'{' is never closed"]
    assert found[3][3].startswith("unexpected '='; expected an expression")
    hints = [d.hint for d in diagnostics(source) if d.code is Code.B0105]
    assert hints[0] == "close it with ')' where what it holds ends"


def test_brackets_that_close_on_a_shallower_line_are_not_abandoned() -> None:
    # Recovery runs only on a file with a bracket left open, and a line starting with the
    # closing bracket ends what is open, however it is indented.
    source = ("contract C\nparties bank\nevent E(a: Int, b: Int)\naction a(x: Int) by bank:\n"
              "    emit E(\n        x,\n        x,\n    )\n    emit E(x,\nx)\n")
    tree = parse_source(source, "t.bao")
    assert isinstance(tree, ast.SourceFile)
    broken = source.replace("    )\n", "")
    found = [where(d) for d in diagnostics(broken)]
    assert found[0] == (Code.B0105, 5, 11, "'(' is never closed")


def test_a_bracket_closed_by_another_kind_is_still_named_with_where_it_opened() -> None:
    [error] = diagnostics("contract C\nparties bank\nview v() -> Int:\n    return min(1, 2]\n")
    assert where(error) == (Code.B0105, 4, 20, "']' does not match '(' on line 4")
    assert (error.related[0].span.line, error.related[0].span.col) == (4, 15)


def test_check_shows_the_warning_and_still_passes(tmp_path) -> None:
    from tests.dsl.conftest import invoke

    path = tmp_path / "c.bao"
    path.write_text("contract C\nparties bank\nstate:\n    \ufb01le: Int\naction a(x: Int) by bank:\n    file = x\n",
                    encoding="utf-8")
    result = invoke("check", path)
    assert result.exit_code == 0
    assert f"{path}:6:5: warning[B0107]: 'file' and '\ufb01le' are one name" in result.output
    assert f"  --> {path}:4:5: '\ufb01le' is written here" in result.output
    assert "1 file ok, 0 with errors" in result.output
