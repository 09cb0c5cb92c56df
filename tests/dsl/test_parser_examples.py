"""Every Bao example of LANGUAGE.md, and the shipped contracts, parse into the expected AST."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsl.syntax import ast
from dsl.syntax.parser import parse_source

ROOT = Path(__file__).resolve().parents[2]
LANGUAGE_MD = ROOT / "docs" / "LANGUAGE.md"  # the reference, shipped with the project


def language_examples() -> list[str]:
    return re.findall(r"```bao\n(.*?)```", LANGUAGE_MD.read_text(encoding="utf-8"), re.S)


SHIPPED = sorted(str(p.relative_to(ROOT)) for p in [*ROOT.glob("contracts/*.bao"), *ROOT.glob("stdlib/*.bao")])


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
