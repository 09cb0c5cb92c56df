"""The index of names (`dsl.lsp.index.Index`) on every shipped contract and module: each
occurrence's span covers its name as written, and every name the checker resolved to something
declared leads to its declaration, in the file or in a `use`d module."""

from __future__ import annotations

from pathlib import Path

import pytest

from dsl.lsp.features import declaration
from dsl.lsp.index import BUILTIN, MODULE, Index
from dsl.pipeline import Compilation
from tests.dsl.lsp.conftest import ROOT

SHIPPED = sorted(p for p in [*ROOT.glob("contracts/*.bao"), *ROOT.glob("stdlib/*.bao")]
                 if not p.name.endswith(".test.bao"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_every_name_is_where_it_says_and_leads_to_its_declaration(path: Path) -> None:
    unit = Compilation.from_file(path)
    index = Index(unit.analysis)
    lines = unit.source.splitlines()
    assert len(index.occurrences) > 50
    for o in index.occurrences:
        assert o.span.line == o.span.end_line
        assert lines[o.span.line - 1][o.span.col - 1:o.span.end_col - 1] == o.symbol.name, o
        if o.symbol.kind not in (BUILTIN, MODULE):
            assert declaration(o.symbol, index) is not None, o
    assert index.at(index.occurrences[0].span.line, index.occurrences[0].span.col) == index.occurrences[0]


def test_locals_of_two_functions_are_two_symbols() -> None:
    index = Index(Compilation.from_file(ROOT / "contracts" / "health.bao").analysis)
    locals_named_p = {o.symbol for o in index.occurrences if o.symbol.kind == "local" and o.symbol.name == "p"}
    assert len(locals_named_p) > 1 and len({s.owner for s in locals_named_p}) == len(locals_named_p)
