"""Upgrades in one process: a new version with the approvals of admins of a majority of the members
keeps the contract's state; the endorsers refuse one without them (or with approvals of something
else), and validation checks the approvals again at the block's time."""

from __future__ import annotations

import pytest

from node.chain import endorser
from node.chain.contracts import compile_source
from node.chain.endorser import ProposalRefused
from node.tx.approval import sign_approval
from node.tx.codes import ValidationCode as Code
from node.tx.policy import parse_policy
from node.tx.proposal import build_deploy, sign_proposal

from .test_commit import SOURCE, deploy, invoke, query

V2 = SOURCE + '''
view doubled(k: Text) -> Int:
    return balances.get(k, 0) * 2
'''


def approval(net, org, module, version="2", policy="majority", who="admin", contract="ledger", channel="claims"):
    cert, key = getattr(net.members[org], who)
    return sign_approval(net.suite, key, cert.der, channel=channel, contract=contract, version=version,
                         module=module, policy=parse_policy(policy))


def upgrade_proposal(net, module, approvals, version="2", policy="majority", org="Org1", args=()):
    cert, key = net.members[org].admin
    p = build_deploy("claims", "ledger", version=version, policy=policy, module=module, creator=cert.der,
                     role="insurer", approvals=approvals, init_args=list(args))
    return sign_proposal(net.suite, key, p)


def refusal(net, signed, org="Org2") -> ProposalRefused:
    with pytest.raises(ProposalRefused) as info:
        net.channels[org].endorse(signed)
    return info.value


def test_an_approved_upgrade_keeps_the_state_and_adds_a_view(net):
    deploy(net)
    assert net.order(invoke(net, "set", "a", 5)).codes == (Code.VALID,)
    module = compile_source(V2)
    signed = upgrade_proposal(net, module, [approval(net, "Org1", module), approval(net, "Org3", module)])
    admin = net.members["Org1"].admin
    record = net.order(net.envelope(admin, signed, ("Org1", "Org2")))
    assert record.codes == (Code.VALID,), record.messages
    for org in ("Org1", "Org2", "Org3"):
        assert query(net, "get", "a", org=org) == 5  # the state of version 1, as it was
        assert query(net, "doubled", "a", org=org) == 10  # read by version 2's new view
    contract = net.channels["Org2"].contract("ledger")
    v1 = contract.history[0][1]
    assert contract.version == "2" and contract.module == net.suite.hash(module)
    assert contract.history == (("1", v1, 1), ("2", net.suite.hash(module), 3))  # each with its block
    assert net.order(invoke(net, "set", "a", 7)).codes == (Code.VALID,)  # version 2's actions run
    assert query(net, "doubled", "a") == 14
    for channel in net.channels.values():
        assert channel.state.recompute_root() == channel.state_hash()


def test_the_endorsers_refuse_an_upgrade_without_a_majority_of_admins(net):
    deploy(net)
    module = compile_source(V2)
    none = refusal(net, upgrade_proposal(net, module, []))
    assert none.reason == "upgrade" and "carries none" in none.message and "2 of its 3" in none.message
    one = refusal(net, upgrade_proposal(net, module, [approval(net, "Org1", module)]))
    assert one.reason == "upgrade" and "approved by admins of Org1: 1 of 3" in one.message and "needs 2" in one.message
    # two approvals of one organisation are one organisation
    twice = refusal(net, upgrade_proposal(net, module, [approval(net, "Org1", module), approval(net, "Org1", module)]))
    assert "needs 2" in twice.message
    client = refusal(net, upgrade_proposal(net, module, [approval(net, "Org1", module),
                                                         approval(net, "Org2", module, who="client")]))
    assert client.message == "approval 2: app of Org2 is a client, not an admin"
    other_version = refusal(net, upgrade_proposal(net, module, [approval(net, "Org1", module),
                                                                approval(net, "Org2", module, version="3")]))
    assert other_version.message.startswith("approval 2: the signature of admin of Org2 is not over this upgrade")
    other_module = refusal(net, upgrade_proposal(net, module, [approval(net, "Org1", module),
                                                               approval(net, "Org2", compile_source(SOURCE))]))
    assert "approves another version, module, policy or channel" in other_module.message
    other_policy = refusal(net, upgrade_proposal(net, module, [approval(net, "Org1", module),
                                                               approval(net, "Org2", module, policy="all")]))
    assert other_policy.message.startswith("approval 2:")
    with_args = refusal(net, upgrade_proposal(net, module, [approval(net, "Org1", module),
                                                            approval(net, "Org2", module)], args=[1]))
    assert with_args.reason == "arguments" and "runs no init" in with_args.message
    assert net.channels["Org1"].contract("ledger").version == "1"


def test_a_version_is_used_once_and_a_first_deploy_takes_no_approvals(net):
    module1 = compile_source(SOURCE)
    first = refusal(net, upgrade_proposal(net, module1, [approval(net, "Org1", module1, version="1")], version="1"))
    assert first.reason == "unknown-contract" and "nothing to upgrade" in first.message
    deploy(net)
    same = refusal(net, upgrade_proposal(net, module1, [approval(net, "Org1", module1, version="1"),
                                                        approval(net, "Org2", module1, version="1")], version="1"))
    assert same.reason == "exists" and "already deployed" in same.message
    module2 = compile_source(V2)
    two = upgrade_proposal(net, module2, [approval(net, "Org1", module2), approval(net, "Org2", module2)])
    assert net.order(net.envelope(net.members["Org1"].admin, two, ("Org1", "Org2"))).codes == (Code.VALID,)
    # the approvals of version 1 cannot roll the contract back: a version is never taken again
    back = refusal(net, upgrade_proposal(net, module1, [approval(net, "Org1", module1, version="1"),
                                                        approval(net, "Org2", module1, version="1")], version="1"))
    assert back.reason == "exists" and "was at version 1 before" in back.message


def test_two_upgrades_to_one_version_in_a_block_and_an_invoke_across_an_upgrade(net):
    deploy(net)
    admin = net.members["Org1"].admin
    module = compile_source(V2)
    approvals = [approval(net, "Org1", module), approval(net, "Org2", module)]
    first = net.envelope(admin, upgrade_proposal(net, module, approvals), ("Org1", "Org2"))
    second = net.envelope(admin, upgrade_proposal(net, module, approvals), ("Org1", "Org3"))
    stale_call = invoke(net, "set", "b", 1)  # simulated on version 1
    record = net.order(first, second, stale_call)
    assert record.codes == (Code.VALID, Code.CONTRACT_EXISTS, Code.MVCC_READ_CONFLICT), record.messages
    assert "upgraded to version 2 meanwhile" in record.messages[1]


def test_validation_checks_the_approvals_again(net, monkeypatch):
    deploy(net)
    admin = net.members["Org1"].admin
    module = compile_source(V2)
    # an endorser that skips the rule: what it signs is refused at validation all the same
    monkeypatch.setattr(endorser, "check_upgrade", lambda *a, **k: set())
    thin = net.envelope(admin, upgrade_proposal(net, module, [approval(net, "Org1", module)]), ("Org1", "Org2"))
    none = net.envelope(admin, upgrade_proposal(net, module, []), ("Org1", "Org2"))
    record = net.order(thin, none)
    assert record.codes == (Code.UPGRADE_NOT_APPROVED, Code.UPGRADE_NOT_APPROVED)
    assert "needs 2" in record.messages[0] and "carries none" in record.messages[1]
    assert net.channels["Org3"].contract("ledger").version == "1"
