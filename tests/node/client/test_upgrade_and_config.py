"""Upgrades and configuration updates through the client library and the CLI, against the in-process
network: approvals gathered in the wallet or from files, the state kept; a configuration read,
changed with the admins' signatures, and refused with too few."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import click
import pytest
from click.testing import CliRunner

from node.chain.contracts import compile_source
from node.client import ClientError, Refused, TransactionFailed
from node.client import channel_cli, upgrade_cli
from node.client.cli import CLIENT_COMMANDS
from node.client.upgrade import approve
from node.identity.crl import Revocation, issue_crl
from tests.node.api.world import LEDGER, ledger_module
from tests.node.client.conftest import connector, identity, make_gateway

LEDGER_V2 = LEDGER + '''
view doubled(k: Text) -> Int:
    return balances.get(k, 0) * 2
'''


@click.group()
def root() -> None:
    """The root the commands are mounted on (as node/cli.py mounts them)."""


for _command in (*CLIENT_COMMANDS, channel_cli.channel):
    root.add_command(_command)
assert "upgrade" in upgrade_cli.contract.commands  # the module adds its commands to the `contract` group


def deploy_and_set(world):
    with make_gateway(world, "admin@Org1") as gateway:
        gateway.network("claims").deploy(ledger_module(), "ledger")
        gateway.network("claims").contract("ledger").submit("set", "a", 5, role="insurer")


# --- the library

def test_an_upgrade_with_approvals_keeps_the_state(world):
    deploy_and_set(world)
    module = compile_source(LEDGER_V2)
    approvals = [approve(identity(world, f"admin@{org}"), "claims", "ledger", "2", module, "majority")
                 for org in ("Org2", "Org3")]
    with make_gateway(world, "admin@Org1") as gateway:
        network = gateway.network("claims")
        done = network.upgrade(module, "ledger", "2", approvals=approvals)  # the policy kept: majority
        assert done.code == "VALID"
        ledger = network.contract("ledger")
        assert ledger.evaluate("get", "a") == 5 and ledger.evaluate("doubled", "a") == 10
        info = ledger.info(refresh=True)
        assert info["version"] == "2" and info["policy"] == "majority"
        assert [(h["version"], h["block"]) for h in info["history"]] == [("1", 1), ("2", done.block)]
        with pytest.raises(Refused) as refused:
            network.upgrade(module, "ledger", "3", approvals=approvals[:1])  # approves version 2
        assert refused.value.code == "upgrade" and "approves another version" in refused.value.message
        alone = approve(identity(world, "admin@Org1"), "claims", "ledger", "3", module, "majority")
        with pytest.raises(Refused) as refused:
            network.upgrade(module, "ledger", "3", approvals=[alone])
        assert refused.value.code == "upgrade" and "needs 2" in refused.value.message
        with pytest.raises(Refused) as refused:
            network.upgrade(module, "nothing", "2", approvals=approvals)
        assert refused.value.code == "unknown-contract"
    with pytest.raises(ClientError, match="only an organisation's admin approves"):
        approve(identity(world, "insurer@Org1"), "claims", "ledger", "2", module, "majority")


def revoking_crl(world, *labels):
    root, key = world.keys.roots["Org2"]
    now = datetime.now(timezone.utc)
    return issue_crl(world.suite, key, issuer=root, number=2, this_update=now - timedelta(minutes=1),
                     next_update=now + timedelta(days=7),
                     revocations=[Revocation(world.id(x).cert.serial, now - timedelta(minutes=1), "key_compromise")
                                  for x in ("revoked@Org2", *labels)])


def test_a_configuration_update_through_the_library(world):
    deploy_and_set(world)
    admins = [identity(world, "admin@Org1"), identity(world, "admin@Org3")]
    with make_gateway(world, "insurer@Org1") as gateway:
        network = gateway.network("claims")
        before = network.config()
        assert before.sequence == 0 and before.members == ("Org1", "Org2", "Org3")
        done = network.update_config({"crls": {"Org2": revoking_crl(world, "insurer@Org2")}, "block_max_tx": 9},
                                     admins)
        assert done.sequence == 1 and network.status(done.tx_id).committed
        after = network.config()
        assert after.block_max_tx == 9 and len(after.org("Org2").crls) == 1 and after.org("Org2").crls != \
            before.org("Org2").crls
        with pytest.raises(TransactionFailed) as failed:
            network.update_config({"gas_limit": 5000}, admins[:1])
        assert failed.value.code == "CONFIG_REFUSED" and "2 of 3 are needed" in failed.value.message
        with pytest.raises(ClientError, match="cannot change name"):
            network.update_config({"name": "other"}, admins)
        with pytest.raises(ClientError, match="Org9 is not a member of claims"):
            network.update_config({"crls": {"Org9": b"x"}}, admins)
        with pytest.raises(ClientError, match="config.block_max_tx"):
            network.update_config({"block_max_tx": 0}, admins)
    with make_gateway(world, "insurer@Org2") as gateway:  # revoked: no node lets it read the channel
        with pytest.raises(Refused) as refused:
            gateway.network("claims").contract("ledger").evaluate("get", "a")
        assert refused.value.code == "unknown-channel"


# --- the CLI

@pytest.fixture
def folder(world, tmp_path):
    world.write_network_folder(tmp_path / "net")
    (tmp_path / "ledger.bao").write_text(LEDGER_V2)  # version 2, under the name ledger
    return tmp_path


@pytest.fixture
def cli(world, folder):
    def run(*args: str):
        where = ["--network", str(folder / "net"), "--channel", "claims"]
        result = CliRunner().invoke(root, [*args, *where], obj={"connect": connector(world, set())})
        assert "Traceback" not in result.output
        return result

    return run


def test_contract_upgrade_with_approve_and_approval_files(world, folder, cli):
    deploy_and_set(world)
    v2 = str(folder / "ledger.bao")
    refused = cli("contract", "upgrade", v2, "--version", "2", "--as", "admin@Org1")
    assert refused.exit_code == 1 and refused.output.startswith("refused (upgrade): ") and "needs 2" in refused.output
    # an approval written elsewhere (the policy read from a node), and one for another version
    made = cli("contract", "approve", v2, "--version", "2", "--as", "admin@Org3", "-o", str(folder / "a3.json"))
    assert made.exit_code == 0, made.output
    assert "admin@Org3 approves ledger version 2 on claims" in made.output
    record = json.loads((folder / "a3.json").read_text())
    assert record["admin"] == "admin@Org3" and record["policy"] == "majority" and record["version"] == "2"
    other = cli("contract", "approve", v2, "--version", "3", "--policy", "all", "--as", "admin@Org2", "-o",
                str(folder / "a2.json"))
    assert other.exit_code == 0, other.output
    wrong = cli("contract", "upgrade", v2, "--version", "2", "--as", "admin@Org1", "--approval",
                str(folder / "a2.json"))
    assert wrong.exit_code == 1 and "approves another upgrade: its version '3' (not '2'), policy 'all' (not " \
        "'majority')" in wrong.output
    again = cli("contract", "approve", v2, "--version", "2", "--as", "admin@Org3", "-o", str(folder / "a3.json"))
    assert again.exit_code == 1 and "a3.json exists" in again.output
    done = cli("contract", "upgrade", v2, "--version", "2", "--as", "admin@Org1", "--approval",
               str(folder / "a3.json"), "--json")
    assert done.exit_code == 0, done.output
    out = json.loads(done.output)
    assert out["code"] == "VALID" and out["contract"] == "ledger" and out["version"] == "2"
    query = cli("contract", "query", "ledger", "doubled", "a", "--as", "insurer@Org2")
    assert query.exit_code == 0 and query.output.strip() == "10"
    # --approve signs in the wallet; the version taken, and a new policy given
    done = cli("contract", "upgrade", v2, "--version", "3", "--policy", "all", "--as", "admin@Org2", "--approve",
               "admin@Org1")
    assert done.exit_code == 0 and done.output.startswith("upgraded ledger to version 3 on claims: block "), \
        done.output
    taken = cli("contract", "upgrade", v2, "--version", "2", "--as", "admin@Org2", "--approve", "admin@Org1")
    assert taken.exit_code == 1 and "refused (exists)" in taken.output


def test_channel_show_and_update(world, folder, cli):
    shown = cli("channel", "show")
    assert shown.exit_code == 0, shown.output
    assert shown.output.startswith("channel claims (intl), configuration 0, ordered by peer0-org1 (solo)")
    assert "Org2: CA 'Org2 CA'; CRL 1 of " in shown.output and "Org3 (regulator)" in shown.output
    as_json = json.loads(cli("channel", "show", "--as", "regulator@Org3", "--json").output)
    assert as_json["sequence"] == 0 and "config" not in as_json and "root" not in as_json["orgs"][0]
    done = cli("channel", "update", "--as", "admin@Org1", "--sign", "admin@Org2", "--block-max-tx", "7",
               "--clock-skew-ms", "60000", "--json")
    assert done.exit_code == 0, done.output
    out = json.loads(done.output)
    assert out["code"] == "VALID" and out["sequence"] == 1 and out["signed_by"] == ["admin@Org1", "admin@Org2"]
    shown = json.loads(cli("channel", "show", "--json").output)
    assert (shown["sequence"], shown["block_max_tx"], shown["clock_skew_ms"]) == (1, 7, 60000)
    alone = cli("channel", "update", "--as", "admin@Org1", "--gas-limit", "5000")
    assert alone.exit_code == 1
    assert alone.output.strip() == ("not committed (CONFIG_REFUSED): signed by admins of 1 member organisation(s); "
                                    "2 of 3 are needed")
    text = cli("channel", "update", "--as", "admin@Org3", "--sign", "admin@Org2", "--gas-limit", "5000")
    assert text.exit_code == 0 and text.output.startswith("configuration 2 of claims is in force from block ")
    assert "gas_limit = 5000" in text.output


def test_channel_update_mistakes(world, folder, cli):
    nothing = cli("channel", "update", "--as", "admin@Org1")
    assert nothing.exit_code == 2 and "nothing to change" in nothing.output
    no_ca = cli("channel", "update", "--as", "admin@Org1", "--sign", "admin@Org2", "--crl", "Org2")
    assert no_ca.exit_code == 1 and "keeps no CA of 'Org2'" in no_ca.output
    bad = cli("channel", "update", "--as", "admin@Org1", "--sign", "admin@Org2", "--block-max-tx", "0", "--json")
    out = json.loads(bad.output)
    assert bad.exit_code == 1 and "config.block_max_tx" in out["message"] and "0 is outside 1..10000" in out["message"]
    stranger = cli("channel", "update", "--as", "admin@Org4", "--block-max-tx", "5")
    assert stranger.exit_code == 1 and "refused (unknown-channel)" in stranger.output
    assert world.channel("peer0-org1").config.sequence == 0
