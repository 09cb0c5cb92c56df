"""A channel of three organisations in one process: real keys, certificates, LevelDB."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from node.chain.channel import Channel, Signer, genesis_block
from node.chain.config import ChannelConfig, OrgConfig
from node.crypto import get_suite
from node.identity import Certificate
from node.tx.endorsement import decode_endorsement
from node.tx.envelope import sign_envelope
from node.tx.proposal import build_deploy, build_invoke, sign_proposal
from tests.node.conftest import make_leaf, make_root

ORGS = ("Org1", "Org2", "Org3")


@dataclass
class Member:
    name: str
    root: Certificate
    root_key: Any
    peer: tuple[Certificate, Any]
    admin: tuple[Certificate, Any]
    client: tuple[Certificate, Any]


@dataclass
class Net:
    suite_name: str
    members: dict[str, Member]
    config: ChannelConfig
    channels: dict[str, Channel]

    @property
    def suite(self):
        return get_suite(self.suite_name)

    def proposal(self, who: tuple[Certificate, Any], contract: str, entry: str, *args, role: str = "insurer",
                 timestamp_ms: int | None = None) -> bytes:
        cert, key = who
        p = build_invoke(self.config.name, contract, entry, list(args), creator=cert.der, role=role,
                         timestamp_ms=timestamp_ms)
        return sign_proposal(self.suite, key, p)

    def deploy_proposal(self, who, name: str, source: str, policy: str = "majority", version: str = "1",
                        init_args=(), role: str = "insurer") -> bytes:
        cert, key = who
        p = build_deploy(self.config.name, name, version=version, policy=policy, source=source,
                         init_args=list(init_args), creator=cert.der, role=role)
        return sign_proposal(self.suite, key, p)

    def envelope(self, who, signed: bytes, endorsers: tuple[str, ...]) -> bytes:
        from node.tx.proposal import decode_signed_proposal

        endorsements = [decode_endorsement(self.channels[o].endorse(signed)) for o in endorsers]
        return sign_envelope(self.suite, who[1], decode_signed_proposal(signed), endorsements)

    def order(self, *envelopes: bytes, time_ms: int | None = None):
        """Cut one block of the envelopes and commit it on every member's channel."""
        from node.chain.block import encode_item
        from node.tx.clock import now_ms

        first = self.channels[ORGS[0]]
        block = first.cut([encode_item("envelope", e) for e in envelopes], now_ms() if time_ms is None else time_ms)
        records = [c.commit(block) for c in self.channels.values()]
        assert len({r.state for r in records}) == 1, "peers disagree on the state after a block"
        return records[0]


def make_net(tmp: Path, suite_name: str, **config: Any) -> Net:
    suite = get_suite(suite_name)
    now = datetime.now(timezone.utc)
    members = {}
    for org in ORGS:
        root, key = make_root(suite, org, now=now)
        members[org] = Member(
            org, root, key,
            make_leaf(suite, root, key, f"peer0-{org.lower()}", type="peer", roles=(), now=now),
            make_leaf(suite, root, key, "admin", type="admin", roles=("insurer",), now=now),
            make_leaf(suite, root, key, "app", type="client", roles=("insurer", "hospital"), now=now),
        )
    cfg = ChannelConfig("claims", suite_name, tuple(OrgConfig(o, members[o].root.der) for o in ORGS), "peer0-org1",
                        **config)
    genesis = genesis_block(cfg)
    channels = {o: Channel.open(tmp / o, suite_name, Signer(m.peer[0].der, m.peer[1]), genesis)
                for o, m in members.items()}
    return Net(suite_name, members, cfg, channels)


@pytest.fixture(params=["intl", "gm"])
def net(request, tmp_path):
    n = make_net(tmp_path, request.param)
    yield n
    for c in n.channels.values():
        c.close()
