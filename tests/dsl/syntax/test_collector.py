"""`parse_source` pauses the cyclic collector while it builds the tree, settles the tree in the
oldest generation afterwards, and leaves the collector as it found it."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from dsl.diagnostics import CompileError
from dsl.syntax.parser import parse_source

SOURCE = open("contracts/health.bao", encoding="utf-8").read()


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


@pytest.fixture
def collector_off() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    yield
    if was:
        gc.enable()


def _young(obj: object) -> bool:
    return any(o is obj for o in gc.get_objects(0)) or any(o is obj for o in gc.get_objects(1))


def test_the_tree_is_settled_in_the_oldest_generation(collector_on: None) -> None:
    tree = parse_source(SOURCE, "contracts/health.bao")
    assert gc.isenabled()
    assert not _young(tree)
    assert not _young(tree.decls[-1])


def test_the_collector_is_back_on_after_a_syntax_error(collector_on: None) -> None:
    with pytest.raises(CompileError):
        parse_source("contract Broken\n\nrecord R:\n    x Int\n", "broken.bao")
    assert gc.isenabled()


def test_a_collector_the_caller_turned_off_stays_off_and_idle(collector_off: None) -> None:
    runs: list[str] = []

    def seen(phase: str, info: dict) -> None:
        runs.append(phase)

    gc.callbacks.append(seen)
    try:
        tree = parse_source(SOURCE, "contracts/health.bao")
    finally:
        gc.callbacks.remove(seen)
    assert not gc.isenabled()
    assert runs == []
    assert _young(tree)  # left where the caller's own policy will find it
