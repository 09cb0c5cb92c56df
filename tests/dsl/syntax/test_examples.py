"""Every Bao example of LANGUAGE.md, and the shipped contracts, parse into the expected AST."""

from __future__ import annotations

import pytest

from dsl.syntax import ast
from dsl.syntax.parser import parse_source
from tests.dsl.conftest import ROOT, SHIPPED, language_examples



@pytest.mark.parametrize("index", range(len(language_examples())))
def test_language_reference_examples_parse(index: int) -> None:
    source = language_examples()[index]
    tree = parse_source(source, "example.bao")
    assert isinstance(tree, (ast.SourceFile, ast.TestFile))


@pytest.mark.parametrize("rel", SHIPPED)
def test_shipped_files_parse(rel: str) -> None:
    tree = parse_source((ROOT / rel).read_text(encoding="utf-8"), rel)
    expected = ast.TestFile if rel.endswith(".test.bao") else ast.SourceFile
    assert isinstance(tree, expected)
    assert tree.span.file == rel
