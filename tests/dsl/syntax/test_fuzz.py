"""Whatever the text, the parser answers with a tree or a CompileError, never another exception;
and whatever it accepts, the formatter lays out idempotently without changing the tree."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from dsl.diagnostics import CompileError
from dsl.fmt import format_source
from dsl.syntax.parser import parse_source

from tests.dsl.conftest import SHIPPED, language_examples

ROOT = Path(__file__).resolve().parents[3]
CORPUS = [*language_examples(), *((ROOT / rel).read_text(encoding="utf-8") for rel in SHIPPED)]

# Pieces that exercise the lexer's and parser's edges when spliced into real files.
FRAGMENTS = [
    ":", "\n", "\n    ", "    ", "\t", "(", ")", "[", "]", "{", "}", '"', '"""', "#", "%", "-", "2024-3-1", "1.5e3",
    "0x12", "12 CNY", "3 days", "if x: return 1", "not in", "mod", "->", "by anyone", "{{", "}}", "\\", "\r\n",
    "保单", "let", "expect", "calls", "returns", "fails with", "emit", ",", ".", "=", "==", "\x00", "\u2028",
]


def parse_or_compile_error(text: str):
    try:
        return parse_source(text, "fuzz.bao")
    except CompileError as err:
        assert err.diagnostics, "a CompileError carries at least one diagnostic"
        for d in err.diagnostics:
            assert d.span.line >= 1 and d.span.col >= 1 and d.message
        return None


def check_format_if_valid(text: str) -> None:
    tree = parse_or_compile_error(text)
    if tree is None:
        return
    out = format_source(text, "fuzz.bao")
    assert parse_source(out, "fuzz.bao") == tree
    assert format_source(out, "fuzz.bao") == out


@given(st.text(max_size=200))
def test_random_text_raises_only_compile_error(text: str) -> None:
    parse_or_compile_error(text)


@given(st.text(max_size=200).map(lambda t: "contract C\n" + t))
def test_random_text_after_a_header_raises_only_compile_error(text: str) -> None:
    check_format_if_valid(text)


@st.composite
def mutated(draw) -> str:
    text = draw(st.sampled_from(CORPUS))
    for _ in range(draw(st.integers(1, 4))):
        pos = draw(st.integers(0, len(text)))
        kind = draw(st.sampled_from(["delete", "insert", "replace", "duplicate"]))
        span = draw(st.integers(1, 12))
        if kind == "delete":
            text = text[:pos] + text[pos + span:]
        elif kind == "insert":
            piece = draw(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=4)))
            text = text[:pos] + piece + text[pos:]
        elif kind == "replace":
            piece = draw(st.sampled_from(FRAGMENTS))
            text = text[:pos] + piece + text[pos + span:]
        else:
            text = text[:pos] + text[pos:pos + span] + text[pos:]
    return text


@given(mutated())
def test_mutated_real_files_raise_only_compile_error(text: str) -> None:
    check_format_if_valid(text)
