"""`baochain network init` from the command line: --orgs N, --spec FILE, and its refusals."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner, Result

from node.network.cli import network
from node.network.layout import NetworkLayout
from node.network.spec import load_spec


def run(*args: str) -> Result:
    return CliRunner().invoke(network, list(args))


def test_orgs_makes_a_gm_network_of_insurers_in_channel_main(tmp_path: Path) -> None:
    root = tmp_path / "net"
    result = run("init", str(root), "--orgs", "3")
    assert result.exit_code == 0, result.output
    assert f"made a network of 3 organisations (gm) in {root}" in result.stdout
    assert "wallet: admin@Org1, insurer@Org1, admin@Org2, insurer@Org2, admin@Org3, insurer@Org3" in result.stdout
    assert result.stdout.rstrip().endswith(f"next: baochain network up {root}")
    index = NetworkLayout(root).load_index()
    assert index.suite == "gm" and [n.name for n in index.nodes] == ["peer0-org1", "peer0-org2", "peer0-org3"]
    assert [(c.name, c.orgs, c.orderers) for c in index.channels] == [
        ("main", ("Org1", "Org2", "Org3"), ("peer0-org1", "peer0-org2", "peer0-org3"))]
    assert load_spec(root / "network.toml").orgs[2].roles == ("insurer",)
    again = run("init", str(root), "--orgs", "3")
    assert again.exit_code == 1
    assert again.stderr.startswith(f"error: {root} already holds a network; init never overwrites one")


def test_spec_makes_the_network_it_describes(tmp_path: Path) -> None:
    spec = tmp_path / "network.toml"
    spec.write_text('suite = "intl"\n\n[[orgs]]\nname = "PICC"\nroles = ["insurer"]\n\n[[orgs]]\nname = "CBIRC"\n'
                    'roles = ["regulator"]\n\n[[channels]]\nname = "claims"\norgs = ["PICC", "CBIRC"]\n'
                    'regulators = ["CBIRC"]\n')
    result = run("init", str(tmp_path / "net"), "--spec", str(spec))
    assert result.exit_code == 0, result.output
    index = json.loads((tmp_path / "net" / "network.json").read_text("utf-8"))
    assert index["suite"] == "intl"
    assert index["channels"][0]["regulators"] == ["CBIRC"] and index["channels"][0]["orgs"] == ["CBIRC", "PICC"]
    assert [(w["id"], w["type"]) for w in index["wallet"]] == [
        ("admin@PICC", "admin"), ("insurer@PICC", "client"), ("admin@CBIRC", "admin"), ("regulator@CBIRC", "regulator")]


def test_a_spec_error_shows_the_file_line_and_source(tmp_path: Path) -> None:
    spec = tmp_path / "network.toml"
    spec.write_text('suite = "gm"\n[[orgs]]\nname = "Org1"\n[[channels]]\nname = "main"\norgs = ["Org1", "Org9"]\n')
    result = run("init", str(tmp_path / "net"), "--spec", str(spec))
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: {spec}:6: channels[0].orgs[1]: 'Org9' is not an organisation of the network (Org1); "
        "did you mean 'Org1'?",
        '   6 | orgs = ["Org1", "Org9"]',
    ]
    spec.write_text('suite = gm\n')
    result = run("init", str(tmp_path / "net"), "--spec", str(spec))
    assert result.stderr.splitlines() == [f"error: {spec}:1:9: not valid TOML: invalid value",
                                          "   1 | suite = gm", " " * 15 + "^"]
    assert not (tmp_path / "net").exists()


def test_usage_mistakes_exit_2(tmp_path: Path) -> None:
    spec = tmp_path / "network.toml"
    spec.write_text("")
    for args, message in [
        ((), "give either --spec FILE or --orgs N"),
        (("--orgs", "2", "--spec", str(spec)), "give either --spec FILE or --orgs N"),
        (("--spec", str(spec), "--suite", "gm"), "--suite goes with --orgs; a spec names its suite itself"),
        (("--orgs", "0"), "0 is not in the range 1<=x<=64"),
        (("--orgs", "2", "--suite", "rsa"), "'rsa' is not one of 'gm', 'intl'"),
    ]:
        result = run("init", str(tmp_path / "net"), *args)
        assert result.exit_code == 2 and message in result.stderr, (args, result.stderr)
    assert not (tmp_path / "net").exists()


def test_help_names_the_channel_of_orgs() -> None:
    result = run("init", "--help")
    assert "all in one channel named 'main'" in result.stdout
