"""Wallets and network folders: identities read with their roles, the key checked against the
certificate, and every mistake (unknown identity, a bad name, damaged files, a folder that is no
network) a `ClientError` that says what to do."""

from __future__ import annotations

import json

import pytest

from node.client import Gateway, Identity, NetworkFile, NetworkFileError, Wallet, WalletError


def test_a_wallet_reads_identities_with_their_roles(world, tmp_path):
    folder = world.write_network_folder(tmp_path / "net")
    wallet = Wallet(folder / "wallet")
    assert "admin@Org1" in wallet.labels() and "regulator@Org3" in wallet.labels()
    insurer = wallet.get("insurer@Org2")
    assert (insurer.name, insurer.org, insurer.label) == ("insurer", "Org2", "insurer@Org2")
    assert insurer.roles == ("hospital", "insurer") and insurer.suite.name == "intl"
    assert wallet.get("regulator@Org3").roles == ("regulator",)


def test_wallet_mistakes_say_what_is_there(world, tmp_path):
    folder = world.write_network_folder(tmp_path / "net")
    wallet = Wallet(folder / "wallet")
    with pytest.raises(WalletError, match=r"holds no identity nobody@Org1 \(it holds: admin@Org1, "):
        wallet.get("nobody@Org1")
    for bad in ("nobody", "@Org1", "a@", "../x@y"):
        with pytest.raises(WalletError):
            wallet.get(bad)
    (folder / "wallet" / "admin@Org2" / "key.pem").write_bytes((folder / "wallet" / "admin@Org1" / "key.pem")
                                                               .read_bytes())
    with pytest.raises(WalletError, match="the key is not the certificate's"):
        wallet.get("admin@Org2")
    (folder / "wallet" / "admin@Org1" / "cert.pem").write_bytes(b"not a certificate")
    with pytest.raises(WalletError, match="certificate cannot be read"):
        wallet.get("admin@Org1")
    renamed = folder / "wallet" / "someone@Org3"
    (folder / "wallet" / "insurer@Org3").rename(renamed)
    with pytest.raises(WalletError, match="insurer@Org3's, not someone@Org3's"):
        wallet.get("someone@Org3")
    assert Wallet(tmp_path / "nowhere").labels() == []


def test_an_identity_from_pem(world):
    ident = world.id("insurer@Org1")
    key = world.suite.private_key_to_pem(ident.key)
    identity = Identity.from_pem(ident.cert.pem, key)
    assert identity.der == ident.cert.der
    with pytest.raises(WalletError, match="key cannot be read"):
        Identity.from_pem(ident.cert.pem, b"garbage")


def test_a_network_folder(world, tmp_path):
    folder = world.write_network_folder(tmp_path / "net")
    index = NetworkFile.load(folder)
    assert [n.name for n in index.nodes] == ["peer0-org1", "peer0-org2", "peer0-org3"]
    assert index.nodes[2].channels == ("claims",) and not index.nodes[2].holds("reinsurance")
    assert index.channels["reinsurance"] == ("Org1", "Org2")
    gateway = Gateway.for_network(folder, "insurer@Org1")
    assert gateway.identity.label == "insurer@Org1" and gateway.nodes[0].api == "http://peer0-org1"


def test_a_folder_that_is_no_network(tmp_path):
    with pytest.raises(NetworkFileError, match="no network.json"):
        NetworkFile.load(tmp_path)
    (tmp_path / "network.json").write_text("{")
    with pytest.raises(NetworkFileError, match="cannot be read"):
        NetworkFile.load(tmp_path)
    (tmp_path / "network.json").write_text(json.dumps({"format": 2}))
    with pytest.raises(NetworkFileError, match="format 1"):
        NetworkFile.load(tmp_path)
    (tmp_path / "network.json").write_text(json.dumps({"format": 1, "nodes": [{"name": 3}], "channels": []}))
    with pytest.raises(NetworkFileError, match="not as `network init` writes them"):
        NetworkFile.load(tmp_path)
