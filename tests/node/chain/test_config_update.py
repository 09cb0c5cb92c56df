"""Configuration updates in one process: a CRL published by an update signed by a majority of the
members' admins refuses the identities it revokes, at endorsement and at validation from the next
item on; too few signatures, a stale sequence, an older CRL or a moved orderer are CONFIG_REFUSED;
the orderer cuts blocks by the configuration in force."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone

import pytest

from node.chain.block import encode_item
from node.chain.config import encode_config
from node.chain.contracts import compile_source
from node.chain.endorser import ProposalRefused
from node.chain.update import encode_update, sign_config, update_id
from node.identity.crl import Revocation, issue_crl
from node.order.solo import SoloOrderer
from node.tx.clock import now_ms
from node.tx.codes import ValidationCode as Code

from .test_commit import deploy, invoke
from .test_upgrade import V2, approval, upgrade_proposal


def crl(net, org, *certs, number=1):
    """``org``'s CRL revoking ``certs`` (DER)."""
    member = net.members[org]
    now = datetime.now(timezone.utc)
    return issue_crl(net.suite, member.root_key, issuer=member.root, number=number,
                     this_update=now - timedelta(minutes=1), next_update=now + timedelta(days=7),
                     revocations=[Revocation(c.serial, now - timedelta(minutes=1), "key_compromise") for c in certs])


def update(net, signers=("Org1", "Org3"), config=None, **changes):
    """An update of the configuration in force (or ``config``) with ``changes``, signed by the
    admins of ``signers``."""
    current = config or net.channels["Org1"].config
    if "crls" in changes:
        given = changes.pop("crls")
        changes["orgs"] = tuple(type(o)(o.name, o.root, given.get(o.name, o.crls)) for o in current.orgs)
    data = encode_config(current.with_changes(**changes))
    return encode_update(data, [(net.members[o].admin[0].der, sign_config(net.suite, net.members[o].admin[1], data))
                                for o in signers])


def order(net, *items):
    """Cut one block of ``items`` (block item bytes) and commit it on every member's channel."""
    block = net.channels["Org1"].cut(list(items), now_ms())
    records = [c.commit(block) for c in net.channels.values()]
    assert len({r.state for r in records}) == 1
    return records[0]


def env(envelope):
    return encode_item("envelope", envelope)


def conf(body):
    return encode_item("config", body)


def test_a_crl_published_by_a_majority_refuses_the_revoked_identity(net):
    deploy(net)
    client = net.members["Org2"].client[0]
    endorsed_before = invoke(net, "set", "a", 1, org="Org2")  # endorsed while the client is current
    body = update(net, crls={"Org2": (crl(net, "Org2", client),)})
    record = order(net, conf(body), env(endorsed_before))
    assert record.codes == (Code.VALID, Code.CREATOR_REFUSED), record.messages
    assert "revoked" in record.messages[1]
    for channel in net.channels.values():
        assert channel.config.sequence == 1 and len(channel.config.org("Org2").crls) == 1
        found = channel.transaction(update_id(net.suite, body))  # the update's status, as a transaction's
        assert found is not None and (found.block, found.index, found.code) == (channel.height() - 1, 0, Code.VALID)
    with pytest.raises(ProposalRefused) as info:
        net.channels["Org3"].endorse(net.proposal(net.members["Org2"].client, "ledger", "set", "b", 2))
    assert info.value.reason == "identity" and "revoked" in info.value.message
    # others are unaffected
    assert order(net, env(invoke(net, "set", "c", 3, org="Org1"))).codes == (Code.VALID,)


def test_too_few_signatures_a_stale_sequence_and_a_replay_are_refused(net):
    client = net.members["Org2"].client[0]
    revoking = {"Org2": (crl(net, "Org2", client),)}
    alone = update(net, signers=("Org1",), crls=revoking)
    data = encode_config(net.channels["Org1"].config.with_changes(block_max_tx=7))
    by_client = encode_update(data, [(cert.der, sign_config(net.suite, key, data))
                                     for cert, key in (net.members["Org1"].admin, net.members["Org3"].client)])
    record = order(net, conf(alone), conf(by_client))
    assert record.codes == (Code.CONFIG_REFUSED, Code.CONFIG_REFUSED)
    assert record.messages[0] == "signed by admins of 1 member organisation(s); 2 of 3 are needed"
    assert record.messages[1] == "update.signatures[1]: app of Org3 is not an admin"
    assert net.channels["Org2"].config.sequence == 0
    # two updates prepared against one configuration: the first applies, the second is stale
    first, second = update(net, block_max_tx=7), update(net, block_max_tx=9)
    record = order(net, conf(first), conf(second), conf(first))
    assert record.codes == (Code.VALID, Code.CONFIG_REFUSED, Code.DUPLICATE_TXID)
    assert record.messages[1] == "the update replaces configuration 0, but 1 is in force"
    assert net.channels["Org3"].config.block_max_tx == 7


def test_an_older_crl_a_crl_of_another_ca_and_a_moved_orderer_are_refused(net):
    client = net.members["Org2"].client[0]
    assert order(net, conf(update(net, crls={"Org2": (crl(net, "Org2", client, number=5),)}))).codes == (Code.VALID,)
    older = update(net, crls={"Org2": (crl(net, "Org2", number=4),)})
    foreign = update(net, crls={"Org2": (crl(net, "Org3", number=6),)})
    moved = update(net, orderer="peer0-org2")
    record = order(net, conf(older), conf(foreign), conf(moved))
    assert record.codes == (Code.CONFIG_REFUSED,) * 3
    assert "is number 4, older than number 5 in force" in record.messages[0]
    assert "not signed by Org2's root" in record.messages[1]
    assert "may not move the solo orderer" in record.messages[2]


def test_a_crl_ordered_before_an_upgrade_voids_its_revoked_admins_approval(net):
    deploy(net)
    module = compile_source(V2)
    admin = net.members["Org1"].admin
    upgrade = net.envelope(admin, upgrade_proposal(net, module, [approval(net, "Org1", module),
                                                                 approval(net, "Org2", module)]), ("Org1", "Org3"))
    revoke_admin2 = update(net, crls={"Org2": (crl(net, "Org2", net.members["Org2"].admin[0]),)})
    record = order(net, conf(revoke_admin2), env(upgrade))
    assert record.codes == (Code.VALID, Code.UPGRADE_NOT_APPROVED), record.messages
    assert record.messages[1].startswith("approval 2: ") and "revoked" in record.messages[1]


def test_the_orderer_cuts_blocks_by_the_configuration_in_force(net):
    deploy(net)
    sizes: list[int] = []

    async def deliver(block):
        for channel in net.channels.values():
            channel.commit(block)
        sizes.append(len(block.items))

    async def run():
        orderer = SoloOrderer(net.channels["Org1"], deliver)
        for i in range(5):
            await orderer.submit(env(invoke(net, "set", f"a{i}", i)))
        await orderer.flush()
        await orderer.submit(conf(update(net, block_max_tx=2)))
        await orderer.flush()
        for i in range(5):
            await orderer.submit(env(invoke(net, "set", f"b{i}", i)))
        await orderer.flush()
        await orderer.close()

    asyncio.run(run())
    assert sizes[:2] == [5, 1]  # a block of 5 under the first configuration, then the update alone
    assert sum(sizes[2:]) == 5 and max(sizes[2:]) == 2  # then blocks of at most 2
    assert net.channels["Org2"].config.block_max_tx == 2
