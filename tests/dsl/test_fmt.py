"""The canonical layout on real and hand-written files: what changes, what stays, comments."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl.diagnostics import CompileError
from dsl.fmt import format_source
from dsl.syntax.parser import parse_source

from tests.dsl.conftest import SHIPPED, language_examples

ROOT = Path(__file__).resolve().parents[2]


def fmt(text: str) -> str:
    return format_source(text, "f.bao")


def check_round_trip(text: str) -> str:
    out = fmt(text)
    assert fmt(out) == out
    assert parse_source(out, "f.bao") == parse_source(text, "f.bao")
    return out


@pytest.mark.parametrize("index", range(len(language_examples())))
def test_language_examples_are_already_canonical(index: int) -> None:
    source = language_examples()[index]
    assert check_round_trip(source) == source


@pytest.mark.parametrize("rel", SHIPPED)
def test_shipped_files_round_trip(rel: str) -> None:
    check_round_trip((ROOT / rel).read_text(encoding="utf-8"))


def test_spacing_operators_and_parentheses() -> None:
    src = "contract C\nfn f()->Int:\n    return (a+b)*c-(d*e)+f(x,y)  if(p)else-(q)\n"
    assert fmt(src) == "contract C\n\nfn f() -> Int:\n    return (a + b) * c - d * e + f(x, y) if p else -q\n"


def test_parentheses_kept_where_precedence_needs_them() -> None:
    src = "contract C\nfn f():\n    return a - (b - c), (a if b else c) + 1, -(a + b), not (a or b), (a < b) < c\n"
    out = check_round_trip(src.replace(", ", "\n    return "))
    assert "a - (b - c)" in out and "(a if b else c) + 1" in out and "-(a + b)" in out
    assert "not (a or b)" in out and "(a < b) < c" in out


def test_and_inside_or_is_parenthesised() -> None:
    out = fmt("contract C\nfn f():\n    return a and b or c and not d\n")
    assert "return (a and b) or (c and not d)\n" in out


def test_attribute_of_a_number_keeps_its_parentheses() -> None:
    out = check_round_trip("contract C\nfn f():\n    return (1).x + (2024-01-01).y\n")
    assert "(1).x + (2024-01-01).y" in out


def test_literals_are_written_as_written() -> None:
    src = "contract C\nfn f():\n    return [1_000, 0.50, 12.50 CNY, 12.5%, 2024-03-01, 1 week, 0x" + "aB" * 32 + "]\n"
    out = check_round_trip(src)
    assert "[1_000, 0.50, 12.50 CNY, 12.5%, 2024-03-01, 1 week, 0x" + "aB" * 32 + "]" in out


def test_strings_are_re_escaped_canonically() -> None:
    src = 'contract C\nfn f():\n    return "a\\"b\\\\c\\nd {{e}} {x + 1}"\n'
    assert check_round_trip(src) == "contract C\n\n" + src.split("\n", 1)[1]


def test_blank_lines_between_declarations_are_exactly_one() -> None:
    src = "contract C\n\n\n\nparties a\nenum E: A\n\n\n\nrecord R:\n    x: Int\n"
    assert fmt(src) == "contract C\n\nparties a\n\nenum E: A\n\nrecord R:\n    x: Int\n"


def test_single_blank_lines_inside_blocks_are_kept() -> None:
    src = "contract C\nfn f():\n    let a = 1\n\n\n    let b = 2\n    let c = 3\n"
    assert fmt(src) == "contract C\n\nfn f():\n    let a = 1\n\n    let b = 2\n    let c = 3\n"


def test_multiline_statement_is_joined() -> None:
    src = "contract C\nfn f():\n    return g(1,\n             2,  # two\n             3,\n    )\n"
    assert fmt(src) == "contract C\n\nfn f():\n    return g(1, 2, 3)  # two\n"


def test_enum_keeps_its_form() -> None:
    src = "contract C\n\nenum E: A, B\n\nenum F:\n    # first\n    A\n    B\n"
    assert check_round_trip(src) == src


def test_comments_stay_in_place() -> None:
    src = """# Licence.

# The contract.
contract C  # head
\"\"\"Docstring.\"\"\"

# A free comment.

# About the record.
record R:
    # x's description
    x: Int = 1  # trailing

    # free inside
    y: Int
    # last in record

action f(p: Int) -> Int by a:  # header
    # leading
    if p > 1:  # cond
        return 2
        # end of if body
    # before else
    else:
        # inside else
        pass
    return p
    # end of f

# At the end.
"""
    assert check_round_trip(src) == src


def test_test_files_format() -> None:
    src = ('tests for  "h.bao"\n# s1\nscenario "one":\n    at 2024-01-01\n'
           '    let p = insurer "P"\n    deploy() by p\n    expect p calls f(1)returns 2\nscenario "two":\n'
           '    expect emitted E(a:1)\n')
    assert fmt(src) == ('tests for "h.bao"\n\n# s1\nscenario "one":\n    at 2024-01-01\n    let p = insurer "P"\n'
                        '    deploy by p\n    expect p calls f(1) returns 2\n\nscenario "two":\n'
                        '    expect emitted E(a: 1)\n')


def test_no_trailing_whitespace_and_one_final_newline() -> None:
    out = fmt("contract C   \nparties a   # note   \n\n\n")
    assert out == "contract C\n\nparties a  # note\n"


def test_bad_input_raises_compile_error() -> None:
    with pytest.raises(CompileError):
        fmt("contract C\nfn f(:\n")


def test_comment_after_docstring_is_kept() -> None:
    src = 'contract C\n"""Doc."""  # about the doc\n\nparties a\n'
    assert check_round_trip(src) == src
