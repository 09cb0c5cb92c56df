"""A PBFT channel's configuration: its consenters (the replicas' peer certificates, in primary
order) on the wire, the refusals that name the field, and configuration updates that add or remove
a consenter (a peer of a member organisation) or are refused."""

from __future__ import annotations

import pytest

from node import codec
from node.chain.channel import Channel, Signer, genesis_block
from node.chain.config import ChannelConfig, ConfigError, decode_config, encode_config
from node.chain.update import encode_update, sign_config
from node.chain.block import encode_item
from node.tx.clock import now_ms
from node.tx.codes import ValidationCode as Code
from tests.node.chain.conftest import make_net


@pytest.fixture(params=["intl", "gm"])
def members(request, tmp_path):
    (tmp_path / "solo").mkdir()
    net = make_net(tmp_path / "solo", request.param)
    try:
        yield net
    finally:
        for channel in net.channels.values():
            channel.close()


def pbft_config(net, orgs=("Org1", "Org2", "Org3")) -> ChannelConfig:
    return ChannelConfig("claims", net.suite_name, net.config.orgs, consensus="pbft",
                         consenters=tuple(net.members[o].peer[0].der for o in orgs))


def test_consenters_round_trip_and_name_the_replicas_in_primary_order(members):
    config = pbft_config(members, ("Org2", "Org1", "Org3"))
    assert decode_config(encode_config(config)) == config
    assert config.replicas == ("peer0-org2", "peer0-org1", "peer0-org3") and config.orderer == ""
    assert members.config.replicas == ("peer0-org1",)  # solo: the orderer


def refusal(config: ChannelConfig, **fields) -> str:
    wire = codec.decode(encode_config(config))
    for key, value in fields.items():
        if value is None:
            wire.pop(key, None)
        else:
            wire[key] = value
    with pytest.raises(ConfigError) as caught:
        decode_config(codec.encode(wire))
    return str(caught.value)


def test_a_configuration_that_mixes_the_orderings_or_repeats_a_replica_is_refused_naming_the_field(members):
    config = pbft_config(members)
    peer = members.members["Org1"].peer[0].der
    assert "config.consenters" in refusal(config, consenters=None)
    assert "config.consenters" in refusal(config, orderer="peer0-org1")
    assert "config.consenters" in refusal(config, consenters=[])
    assert "config.consenters[1]: peer0-org1 is a consenter twice" in refusal(config, consenters=[peer, peer])
    assert "config.consenters[0]" in refusal(config, consenters=[b"not a certificate"])
    solo = members.config
    assert "config.orderer" in refusal(solo, consenters=[peer])
    other = "gm" if members.suite_name == "intl" else "intl"
    foreign = make_net_peer(other)
    assert f"a {other} certificate on a {members.suite_name} channel" in refusal(config, consenters=[foreign])


_FOREIGN: dict[str, bytes] = {}


def make_net_peer(suite_name: str) -> bytes:
    """A peer certificate of the other suite."""
    if suite_name not in _FOREIGN:
        from datetime import datetime, timezone

        from node.crypto import get_suite
        from tests.node.conftest import make_leaf, make_root

        suite = get_suite(suite_name)
        now = datetime.now(timezone.utc)
        root, key = make_root(suite, "Org1", now=now)
        _FOREIGN[suite_name] = make_leaf(suite, root, key, "peer0-org1", type="peer", roles=(), now=now)[0].der
    return _FOREIGN[suite_name]


def test_updates_add_and_remove_consenters_but_only_peers_of_members_and_never_change_the_consensus(members, tmp_path):
    net = members
    config = pbft_config(net, ("Org1", "Org2"))
    org1 = net.members["Org1"]
    channel = Channel.open(tmp_path / "pbft", net.suite_name, Signer(org1.peer[0].der, org1.peer[1]),
                           genesis_block(config))
    try:
        def update(new: ChannelConfig, signers=("Org1", "Org2")) -> bytes:
            data = encode_config(new)
            return encode_update(data, [(net.members[o].admin[0].der,
                                         sign_config(net.suite, net.members[o].admin[1], data)) for o in signers])

        current = channel.config
        admin = current.with_changes(consenters=(*current.consenters, org1.admin[0].der))
        solo = ChannelConfig("claims", net.suite_name, current.orgs, "peer0-org1", sequence=1)
        grown = current.with_changes(consenters=(*current.consenters, net.members["Org3"].peer[0].der))
        items = [encode_item("config", update(admin)), encode_item("config", update(solo)),
                 encode_item("config", update(grown))]
        block = channel.cut(items, now_ms())
        record = channel.commit(block)
        assert record.codes == (Code.CONFIG_REFUSED, Code.CONFIG_REFUSED, Code.VALID), record.messages
        assert "config.consenters[2]: admin of Org1 is a admin, not a peer" in record.messages[0]
        assert "may not change the consensus (pbft)" in record.messages[1]
        assert channel.config.replicas == ("peer0-org1", "peer0-org2", "peer0-org3")
        # a replica leaves
        current = channel.config
        shrunk = current.with_changes(consenters=current.consenters[1:])
        record = channel.commit(channel.cut([encode_item("config", update(shrunk))], now_ms()))
        assert record.codes == (Code.VALID,)
        assert channel.config.replicas == ("peer0-org2", "peer0-org3")
    finally:
        channel.close()
