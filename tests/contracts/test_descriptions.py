"""Every description in the shipped contracts is written in both languages, in the spelling
contracts/README.md states: description lines (the `#` lines above a declaration, or the
contract's docstring) starting `en:` or `zh:` open that language's part, unmarked lines continue
the part above, and lines before any marker are English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from dsl.explain.description import parse_description
from dsl.explain.phrases import LANGUAGES
from dsl.pipeline import Compilation
from dsl.syntax import ast

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
SOURCES = sorted(p for p in CONTRACTS.glob("*.bao") if not p.name.endswith(".test.bao"))
HAN = re.compile(r"[\u4e00-\u9fff]")


def parts(lines: tuple[str, ...] | list[str]) -> dict[str, str]:
    """The description of each language, as `baochain explain` reads it (one reader of the spelling:
    `dsl.explain.description`)."""
    d = parse_description(lines)
    return {lang: "\n".join(text) for lang in LANGUAGES if (text := d.part(lang)) and not d.neutral}


def described(tree: ast.SourceFile) -> list[tuple[str, tuple[str, ...]]]:
    """Every description slot the contract has, named for the failure message."""
    slots: list[tuple[str, tuple[str, ...]]] = []
    for d in tree.decls:
        name = getattr(getattr(d, "name", None), "name", "") or type(d).__name__
        slots.append((name, d.doc))
        if isinstance(d, ast.EnumDecl):
            slots += [(f"{name}.{v.name.name}", v.doc) for v in d.values]
        elif isinstance(d, ast.RecordDecl):
            slots += [(f"{name}.{f.name.name}", f.doc) for f in d.fields]
        elif isinstance(d, ast.StateDecl):
            slots += [(f"state {v.name.name}", v.doc) for v in d.vars]
        elif isinstance(d, ast.LifecycleDecl):
            slots += [(f"{d.record.name}.{d.field.name}: {', '.join(s.name for s in t.sources)} -> {t.target.name}",
                       t.doc) for t in d.transitions]
    return slots


def test_the_rule_reads_unmarked_lines_as_the_part_above() -> None:
    assert parts(["Plain.", "en: One", "two.", "zh: 一", "二。"]) == {"en": "Plain.\nOne two.", "zh": "一二。"}
    assert parts(["Plain only."]) == {}  # no marker: neutral, in neither language


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.name)
def test_every_description_has_an_english_and_a_chinese_part(path: Path) -> None:
    tree = Compilation.from_file(path).tree
    assert isinstance(tree, ast.SourceFile)
    docstring = parts((tree.docstring or "").splitlines())
    assert docstring.get("en") and HAN.search(docstring.get("zh", "")), "the docstring needs en: and zh: parts"
    missing = []
    for name, doc in described(tree):
        found = parts(doc)
        if not found.get("en") or not HAN.search(found.get("zh", "")):
            missing.append(name)
    assert missing == []
