"""Fixtures for the API tests: a fresh `World` (tests.node.api.world) per test."""

from __future__ import annotations

import pytest

from tests.node.api.world import World, make_world


@pytest.fixture
def world(tmp_path) -> World:
    w = make_world(tmp_path, "intl")
    yield w
    w.close()


@pytest.fixture(params=["intl", "gm"])
def any_suite(request, tmp_path) -> World:
    w = make_world(tmp_path, request.param)
    yield w
    w.close()
