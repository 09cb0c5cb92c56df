"""`baochain contract|tx|block` against the in-process network through a network folder (network.json
and a wallet, as `baochain network init` writes them): deploy, invoke, query, tx show, block show,
with and without --json; refusals as one line (or one JSON object) and exit status 1."""

from __future__ import annotations

import json

import click
import pytest
from click.testing import CliRunner

from node.client.cli import CLIENT_COMMANDS
from tests.node.api.world import LEDGER
from tests.node.client.conftest import connector


@click.group()
def root() -> None:
    """The root the commands are mounted on (as node/cli.py mounts them)."""


for _command in CLIENT_COMMANDS:
    root.add_command(_command)


@pytest.fixture
def folder(world, tmp_path):
    net = world.write_network_folder(tmp_path / "net")
    (tmp_path / "ledger.bao").write_text(LEDGER)
    return tmp_path


@pytest.fixture
def down():
    return set()


@pytest.fixture
def cli(world, folder, down):
    def run(*args: str):
        where = ["--network", str(folder / "net"), "--channel", "claims"]
        result = CliRunner().invoke(root, [*args, *where], obj={"connect": connector(world, down)})
        assert "Traceback" not in result.output
        return result

    return run


@pytest.fixture
def deployed(cli, folder):
    result = cli("contract", "deploy", str(folder / "ledger.bao"), "--as", "admin@Org1", "--policy",
                 "2 of Org1, Org2, Org3")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("deployed ledger version 1 on claims: block 1, tx ")
    return cli


def test_invoke_and_query_as_json(deployed):
    cli = deployed
    result = cli("contract", "invoke", "ledger", "set", "a", "5", "--as", "insurer@Org2", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert set(out) == {"tx_id", "code", "block", "result", "events"}
    assert out["code"] == "VALID" and out["block"] == 2 and out["result"] is None
    assert out["events"] == [{"event": "Set", "fields": {"key": "a", "value": 5}}]
    assert json.loads(cli("contract", "query", "ledger", "get", '"a"', "--as", "insurer@Org3", "--json").output) \
        == {"result": 5}
    plain = cli("contract", "query", "ledger", "get", "a", "--as", "insurer@Org1")
    assert plain.exit_code == 0 and plain.output.strip() == "5"


def test_invoke_for_people(deployed):
    result = deployed("contract", "invoke", "ledger", "set", "b", "6", "--as", "insurer@Org1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("VALID: block 2, tx ") and lines[1] == 'event Set {"key": "b", "value": 6}'


def test_tx_and_block_show(deployed):
    cli = deployed
    tx = json.loads(cli("contract", "invoke", "ledger", "set", "a", "1", "--as", "insurer@Org1", "--json").output)
    shown = json.loads(cli("tx", "show", tx["tx_id"], "--json").output)  # read as the default admin
    assert shown["status"] == "committed" and shown["code_name"] == "VALID" and shown["block"] == 2
    assert shown["contract"] == "ledger" and shown["entry"] == "set"
    assert shown["creator"] == {"org": "Org1", "name": "insurer", "role": "insurer"}
    text = cli("tx", "show", tx["tx_id"].upper(), "--as", "regulator@Org3").output
    assert f"transaction {tx['tx_id']}: committed" in text and "invoke ledger.set by insurer@Org1" in text
    block = json.loads(cli("block", "show", "2", "--json").output)
    assert block["number"] == 2 and block["transactions"][0]["tx_id"] == tx["tx_id"]
    text = cli("block", "show", "1").output
    assert text.startswith("block 1  id ") and "VALID" in text and "deploy ledger" in text
    unknown = json.loads(cli("tx", "show", "ab" * 32, "--json").output)
    assert unknown["status"] == "unknown"


def test_an_abort_is_one_line_with_the_contracts_message(deployed):
    result = deployed("contract", "invoke", "ledger", "refuse", "--as", "insurer@Org1")
    assert result.exit_code == 1 and result.output.startswith("aborted: ") and "no, never" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = deployed("contract", "invoke", "ledger", "refuse", "--as", "insurer@Org1", "--json")
    out = json.loads(result.output)
    assert result.exit_code == 1 and out["code"] == "CONTRACT_ABORT" and "no, never" in out["message"]
    query = json.loads(deployed("contract", "query", "ledger", "must", "x", "--as", "insurer@Org1", "--json").output)
    assert query["code"] == "CONTRACT_ABORT" and "no such key" in query["message"]


def test_refusals_name_what_is_wrong(deployed):
    cli = deployed
    cases = [
        (("contract", "invoke", "ledger", "steal", "--as", "insurer@Org1"), "refused (unknown-entry)"),
        (("contract", "invoke", "ledger", "set", "a", "seven", "--as", "insurer@Org1"), "refused (arguments)"),
        (("contract", "query", "nothing", "get", "a", "--as", "insurer@Org1"), "refused (unknown-contract)"),
        (("contract", "invoke", "ledger", "set", "a", "1", "--as", "nobody@Org1"), "holds no identity nobody@Org1"),
        (("contract", "invoke", "ledger", "set", "a", "1", "--as", "nobody"), "NAME@ORG"),
        (("contract", "invoke", "ledger", "add", "1", "--as", "insurer@Org1"), "pick one"),
        (("contract", "query", "ledger", "get", "a", "--as", "insurer@Org4"), "refused (unknown-channel)"),
    ]
    for args, words in cases:
        result = cli(*args)
        assert result.exit_code == 1 and words in result.output, (args, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output


def test_unreachable_nodes_are_named(deployed, down):
    down.update({"peer0-org1", "peer0-org2", "peer0-org3"})
    result = deployed("contract", "query", "ledger", "get", "a", "--as", "insurer@Org1", "--json")
    out = json.loads(result.output)
    assert result.exit_code == 1 and out["code"] == "unavailable"
    for node in ("peer0-org1", "peer0-org2", "peer0-org3"):
        assert node in out["message"]


def test_the_callers_own_node_may_be_down(deployed, down):
    down.add("peer0-org1")
    result = deployed("contract", "invoke", "ledger", "set", "a", "3", "--as", "insurer@Org1", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["code"] == "VALID"
    assert deployed("contract", "query", "ledger", "get", "a", "--as", "insurer@Org1").output.strip() == "3"


def test_deploy_mistakes(cli, folder):
    broken = folder / "broken.bao"
    broken.write_text("contract Broken\nparties insurer\nstate:\n    x: Nope\n")
    result = cli("contract", "deploy", str(broken), "--as", "admin@Org1")
    assert result.exit_code == 1 and "broken.bao:4" in result.output
    result = cli("contract", "deploy", str(broken), "--as", "admin@Org1", "--json")
    out = json.loads(result.output)
    assert result.exit_code == 1 and out["code"] == "compile" and "broken.bao:4" in out["message"]
    result = cli("contract", "deploy", str(folder / "ledger.bao"), "--as", "admin@Org1", "--init", "{oops")
    assert result.exit_code == 2 and "--init" in result.output
    result = cli("contract", "deploy", str(folder / "ledger.bao"), "--as", "admin@Org1", "--policy", "most")
    assert result.exit_code == 1 and "policy 'most'" in result.output
    result = cli("contract", "deploy", str(folder / "ledger.bao"), "--as", "insurer@Org1", "--name", "mine")
    assert result.exit_code == 1 and "refused (not-admin)" in result.output


def test_a_folder_that_is_not_a_network(world, tmp_path):
    result = CliRunner().invoke(root, ["block", "show", "0", "--network", str(tmp_path), "--channel", "claims"])
    assert result.exit_code == 1 and "no network.json" in result.output
