"""The node's ``[ca]`` (node.toml): `network init` writes it for each node, pointing at its
organisation's CA and passphrase file; a misspelt key, a folder that is no CA, a CA of another
organisation or a passphrase that does not open the key stop the node at start with one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from node.daemon.config import NodeConfigError, load_config
from node.network.init import init_network
from node.network.spec import spec_for_orgs
from node.users.authority import CAUnusable, open_ca


@pytest.fixture(scope="module")
def net(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("net") / "net"
    init_network(spec_for_orgs(2, "intl"), folder)
    return folder


def _toml(net: Path, node: str = "peer0-org1") -> Path:
    return net / "nodes" / node / "node.toml"


def _rewrite(net: Path, tmp_path: Path, old: str, new: str) -> Path:
    """A copy of peer0-org1's node.toml, in its folder, with ``old`` replaced."""
    text = _toml(net).read_text()
    assert old in text
    path = _toml(net).with_name(f"{tmp_path.name}.toml")
    path.write_text(text.replace(old, new))
    return path


def test_network_init_gives_each_node_its_organisations_ca(net):
    for node, org in (("peer0-org1", "Org1"), ("peer0-org2", "Org2")):
        config = load_config(_toml(net, node))
        assert config.ca_home == (net / "orgs" / org / "ca").resolve()
        assert config.ca_passphrase_file == (net / "orgs" / org / "ca-passphrase").resolve()
        assert config.ca_registrar == "ca-admin"
        ca = open_ca(config.ca_home, config.ca_passphrase_file, org=org, suite="intl")
        assert ca.config.org == org


def test_without_ca_the_node_keeps_users_but_enrolls_none(net, tmp_path):
    start = _toml(net).read_text().index("[ca]")
    end = _toml(net).read_text().index("[[peers]]")
    section = _toml(net).read_text()[start:end]
    config = load_config(_rewrite(net, tmp_path, section, ""))
    assert config.ca_home is None and config.ca_passphrase_file is None


@pytest.mark.parametrize("old, new, words", [
    ('passphrase_file =', 'pasphrase_file =', "ca.pasphrase_file: unknown key (did you mean passphrase_file?)"),
    ('home = "../../orgs/Org1/ca"', 'home = "../../orgs/Org1"', "ca.home: no CA at"),
    ('passphrase_file = "../../orgs/Org1/ca-passphrase"', 'passphrase_file = "nowhere"', "ca.passphrase_file: no file"),
    ('registrar = "ca-admin"', 'registrar = "a/b"', "ca.registrar"),
])
def test_a_ca_section_it_cannot_use_is_refused_naming_the_key(net, tmp_path, old, new, words):
    with pytest.raises(NodeConfigError, match=words.replace("(", r"\(").replace(")", r"\)").replace("?", r"\?")):
        load_config(_rewrite(net, tmp_path, old, new))


def test_a_ca_the_node_cannot_use_stops_it_at_start(net, tmp_path):
    (tmp_path / "wrong").write_text("not the passphrase\n")
    with pytest.raises(CAUnusable, match="does not open the CA's key"):
        open_ca(net / "orgs/Org1/ca", tmp_path / "wrong", org="Org1", suite="intl")
    with pytest.raises(CAUnusable, match="the CA of 'Org2', not of this node's organisation 'Org1'"):
        open_ca(net / "orgs/Org2/ca", net / "orgs/Org2/ca-passphrase", org="Org1", suite="intl")
    with pytest.raises(CAUnusable, match="issues intl certificates"):
        open_ca(net / "orgs/Org1/ca", net / "orgs/Org1/ca-passphrase", org="Org1", suite="gm")
    path = _rewrite(net, tmp_path, 'passphrase_file = "../../orgs/Org1/ca-passphrase"',
                    f'passphrase_file = "{tmp_path / "wrong"}"')
    started = subprocess.run([sys.executable, "-m", "node", "node", "start", "--config", str(path)],
                             capture_output=True, text=True, timeout=60)
    assert started.returncode == 1 and "does not open the CA's key" in started.stderr, started.stderr
    assert "Traceback" not in started.stderr
