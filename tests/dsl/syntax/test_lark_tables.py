"""The part of Lark that the LALR driver reads, which is not Lark's public interface.

`dsl.syntax.lalr.Tables` recompiles the table Lark builds (`Lark(...).parser.parser.parser.parse_table`)
for a lean driver. pyproject.toml pins Lark to the minor versions checked here; these tests say what
the driver relies on, so that moving the pin fails here, by name, rather than somewhere in a parse.
"""

from __future__ import annotations

import importlib.metadata

from lark.grammar import Rule
from lark.parsers.lalr_analysis import Reduce, Shift

from dsl.syntax.lalr import Tables
from dsl.syntax.parser import grammar, lalr_tables


def test_lark_is_a_version_the_pin_allows() -> None:
    major, minor = (int(x) for x in importlib.metadata.version("lark").split(".")[:2])
    assert (major, minor) == (1, 3), "the driver reads Lark's internal LALR table: check these tests, then move the pin"


def test_the_table_has_the_shape_the_driver_reads() -> None:
    lark = grammar()
    table = lark.parser.parser.parser.parse_table
    assert isinstance(table.start_states, dict) and isinstance(table.end_states, dict)
    assert set(table.start_states) == set(table.end_states)
    assert all(isinstance(s, int) for s in table.states)
    actions = [action for row in table.states.values() for action in row.items()]
    assert actions
    rules = set(map(id, lark.rules))
    for symbol, (action, arg) in actions:
        assert isinstance(symbol, str)
        if action is Shift:
            assert isinstance(arg, int) and arg in table.states
        else:
            assert action is Reduce and isinstance(arg, Rule)
            assert id(arg) in rules or arg in lark.rules


def test_every_rule_has_the_fields_the_driver_reads() -> None:
    for rule in grammar().rules:
        assert isinstance(rule.origin.name, str)
        assert rule.alias is None or isinstance(rule.alias, str)
        assert rule.options.empty_indices is None or isinstance(tuple(rule.options.empty_indices), tuple)
        assert isinstance(bool(rule.options.expand1), bool)
        for sym in rule.expansion:
            assert isinstance(sym.is_term, bool)
            assert not sym.is_term or isinstance(sym.filter_out, bool)


def test_the_recompiled_table_covers_every_state_and_rule() -> None:
    built: Tables = lalr_tables()
    lark = grammar()
    assert len(built.states) == max(lark.parser.parser.parser.parse_table.states) + 1
    assert len(built.rules) == len(lark.rules)
