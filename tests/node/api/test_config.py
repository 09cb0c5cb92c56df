"""A channel's configuration over HTTP: read by members only (fields and bytes), and changed by an
update any member submits, which the block decides: with a majority of admins' signatures a new
CRL refuses the identities it revokes on every endpoint; with too few it is CONFIG_REFUSED."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

from node.chain.config import decode_config, encode_config
from node.chain.update import encode_update, sign_config, update_id
from node.identity.crl import Revocation, issue_crl
from tests.node.api.world import deploy_ledger, envelope, signed_proposal

CH = "/api/v1/channels/claims"


def crl_revoking(world, org, *labels, number=2):
    """``org``'s next CRL: what it revoked already and ``labels`` too."""
    root, key = world.keys.roots[org]
    now = datetime.now(timezone.utc)
    revoked = ["revoked@Org2", *labels] if org == "Org2" else list(labels)
    return issue_crl(world.suite, key, issuer=root, number=number, this_update=now - timedelta(minutes=1),
                     next_update=now + timedelta(days=7),
                     revocations=[Revocation(world.id(x).cert.serial, now - timedelta(minutes=1), "key_compromise")
                                  for x in revoked])


def update_body(world, signers, channel="claims", **changes):
    current = world.channel("peer0-org1", channel).config
    if "crls" in changes:
        given = changes.pop("crls")
        changes["orgs"] = tuple(type(o)(o.name, o.root, given.get(o.name, o.crls)) for o in current.orgs)
    data = encode_config(current.with_changes(**changes))
    return encode_update(data, [(world.id(s).cert.der, sign_config(world.suite, world.id(s).key, data))
                                for s in signers])


def status(world, tx, who="insurer@Org1"):
    return world.get(f"{CH}/transactions/{tx}", who=who).json()


def test_the_configuration_is_read_by_members_with_its_bytes(world):
    answer = world.get(f"{CH}/config", who="regulator@Org3", node="peer0-org3")
    assert answer.status_code == 200, answer.text
    view = answer.json()
    channel = world.channel("peer0-org1")
    assert decode_config(base64.b64decode(view["config"])) == channel.config
    assert base64.b64decode(view["config"]) == encode_config(channel.config)
    assert (view["name"], view["suite"], view["sequence"], view["orderer"]) == ("claims", "intl", 0, "peer0-org1")
    assert [o["name"] for o in view["orgs"]] == ["Org1", "Org2", "Org3"] and view["regulators"] == ["Org3"]
    org2 = view["orgs"][1]
    assert org2["ca"] == "Org2 CA" and [(c["number"], c["revoked"]) for c in org2["crls"]] == [(1, 1)]
    assert view["block_max_tx"] == channel.config.block_max_tx
    outsider = world.get("/api/v1/channels/reinsurance/config", who="insurer@Org3", node="peer0-org1")
    assert outsider.status_code == 404 and outsider.json()["code"] == "unknown-channel"


def test_a_crl_published_by_a_majority_of_admins_refuses_the_revoked_identity(world):
    deploy_ledger(world)
    before = envelope(world, "insurer@Org2", signed_proposal(world, "insurer@Org2", "ledger", "set", "a", 1))
    revoking = crl_revoking(world, "Org2", "insurer@Org2")
    body = update_body(world, ["admin@Org1", "admin@Org3"], crls={"Org2": (revoking,)})
    answer = world.post(f"{CH}/config", body, who="insurer@Org1")  # any member may hand it in
    assert answer.status_code == 202, answer.text
    tx = answer.json()["tx_id"]
    assert tx == update_id(world.suite, body).hex()
    found = status(world, tx)
    assert (found["status"], found["code_name"]) == ("committed", "VALID")
    block = world.get(f"{CH}/blocks/{found['block']}").json()
    assert block["transactions"][0]["kind"] == "config" and block["transactions"][0]["tx_id"] == tx
    for node in ("peer0-org1", "peer0-org2", "peer0-org3"):
        assert world.get(f"{CH}/config", node=node).json()["sequence"] == 1
    # the revoked identity reads nothing, and its proposals are refused, whoever hands them in
    assert world.get(CH, who="insurer@Org2").json()["code"] == "unknown-channel"
    refused = world.post(f"{CH}/endorse", signed_proposal(world, "insurer@Org2", "ledger", "set", "b", 2),
                         who="insurer@Org1", node="peer0-org3")
    assert refused.status_code == 403 and refused.json()["code"] == "identity"
    assert "revoked" in refused.json()["message"]
    # an envelope it had endorsed before the update is refused at the submit, and when ordered anyway
    assert world.post(f"{CH}/submit", before, who="insurer@Org1").json()["code"] == "identity"
    tx = world.network.submit("claims", before).hex()
    assert status(world, tx)["code_name"] == "CREATOR_REFUSED"
    # the same update again is recorded already
    again = world.post(f"{CH}/config", body, who="insurer@Org1")
    assert again.status_code == 409 and again.json()["code"] == "duplicate"


def test_an_update_with_too_few_admins_is_recorded_as_refused(world):
    height = world.channel("peer0-org1").height()
    body = update_body(world, ["admin@Org1"], block_max_tx=7)
    answer = world.post(f"{CH}/config", body, who="admin@Org1")
    assert answer.status_code == 202, answer.text
    found = status(world, answer.json()["tx_id"])
    assert found["code_name"] == "CONFIG_REFUSED" and found["block"] == height
    assert found["message"] == "signed by admins of 1 member organisation(s); 2 of 3 are needed"
    assert world.get(f"{CH}/config").json()["block_max_tx"] != 7


def test_what_is_not_an_update_for_this_channel_is_refused_at_once(world):
    height = world.channel("peer0-org1").height()
    garbage = world.post(f"{CH}/config", b"\x81\xa1x\x01", who="admin@Org1")
    assert garbage.status_code == 400 and garbage.json()["code"] == "malformed"
    assert garbage.json()["message"].startswith("not a configuration update: ")
    other = update_body(world, ["admin@Org1", "admin@Org2"], channel="reinsurance", block_max_tx=5)
    wrong = world.post(f"{CH}/config", other, who="admin@Org1")
    assert wrong.status_code == 422 and wrong.json()["code"] == "channel"
    as_json = world.post(f"{CH}/config", b"{}", who="admin@Org1", content_type="application/json")
    assert as_json.status_code == 415
    assert world.channel("peer0-org1").height() == height
