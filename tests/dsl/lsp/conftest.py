"""The language server tests share one server process per module (`server`): started as
`baochain lsp` is, over stdio, and ended by pid at the end even when a test fails."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dsl.lsp.client import Client

ROOT = Path(__file__).resolve().parents[3]
CONTRACTS = ROOT / "contracts"
# `baochain lsp`, as the installed script runs it, with this interpreter.
SERVER = [sys.executable, "-c", "from node.cli import main; main()", "lsp"]


@pytest.fixture(scope="module")
def server() -> Iterator[Client]:
    client = Client.start(SERVER, ROOT.as_uri())
    try:
        yield client
    finally:
        client.close()
