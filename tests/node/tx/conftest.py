"""Keys and certificates of both suites for the transaction tests, made once per module."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from node.crypto import SUITE_NAMES, CryptoSuite, get_suite
from node.identity import Certificate

from ..conftest import make_leaf, make_root


@dataclass(frozen=True)
class Party:
    cert: Certificate
    key: Any


@dataclass(frozen=True)
class Network:
    suite: CryptoSuite
    client: Party  # of PICC, role insurer
    peers: tuple[Party, ...]  # one peer each of PICC, CPIC, Ruijin Hospital
    foreign: Party  # a client of the other suite


def make_network(name: str) -> Network:
    suite = get_suite(name)
    other = get_suite("intl" if name == "gm" else "gm")
    roots = {org: make_root(suite, org) for org in ("PICC", "CPIC", "Ruijin Hospital")}
    client = make_leaf(suite, *roots["PICC"], "claims-app")
    peers = tuple(Party(*make_leaf(suite, *roots[org], f"peer0.{org}", type="peer")) for org in roots)
    foreign_root = make_root(other, "PICC")
    return Network(suite, Party(*client), peers, Party(*make_leaf(other, *foreign_root, "claims-app")))


@pytest.fixture(params=SUITE_NAMES, scope="module")
def net(request: pytest.FixtureRequest) -> Network:
    return make_network(request.param)
