"""A CRL published through the CLI on a running network of three node processes: an identity revoked
in its organisation's CA keeps working until an update signed by admins of a majority of the members
puts the CA's CRL into the channel's configuration; then every node refuses it, at one height."""

from __future__ import annotations

import json

from node.ca.authority import CertificateAuthority
from tests.node.live.conftest import CONTRACTS, wait_for

POLICY = {"holder": "Li Lei", "sum_insured": "10000.00 CNY", "deductible": "500.00 CNY", "copay": "20%",
          "start": "2024-01-01", "end": "2099-12-31", "status": "Active"}


def test_a_crl_update_through_the_cli_refuses_the_revoked_identity_on_every_node(live):
    net = live()  # Org1..Org3, role insurer, channel main; peer0-org1 orders
    where = ("--network", str(net.folder), "--channel", "main")
    code, out = net.cli("contract", "deploy", str(CONTRACTS / "health.bao"), *where, "--as", "admin@Org1",
                        "--policy", "any of Org1, Org3")
    assert code == 0, out
    code, out = net.cli("contract", "invoke", "health", "issue", "P1", json.dumps(POLICY), *where,
                        "--as", "insurer@Org2", "--json")
    assert code == 0 and json.loads(out)["code"] == "VALID", out
    home = net.folder / "orgs" / "Org2" / "ca"
    passphrase = (net.folder / "orgs" / "Org2" / "ca-passphrase").read_bytes().strip()
    CertificateAuthority(home, passphrase=passphrase).revoke("insurer", by="ca-admin", reason="key_compromise")
    # revoked in the CA only: the channel does not know yet
    code, out = net.cli("contract", "invoke", "health", "issue", "P2", json.dumps(POLICY), *where,
                        "--as", "insurer@Org2", "--json")
    assert code == 0, out
    # too few admins: recorded as refused, nothing changes
    code, out = net.cli("channel", "update", *where, "--as", "admin@Org3", "--crl", "Org2", "--json")
    assert code == 1 and json.loads(out)["code"] == "CONFIG_REFUSED", out
    # Org3's node is not the orderer: the update goes over the link to peer0-org1
    code, out = net.cli("channel", "update", *where, "--as", "admin@Org3", "--sign", "admin@Org1", "--crl", "Org2",
                        "--json")
    assert code == 0, out
    done = json.loads(out)
    assert done["code"] == "VALID" and done["sequence"] == 1
    code, out = net.cli("contract", "invoke", "health", "issue", "P3", json.dumps(POLICY), *where,
                        "--as", "insurer@Org2", "--json")
    assert code == 1 and json.loads(out)["code"] == "unknown-channel", out  # no node lets it in
    code, out = net.cli("contract", "invoke", "health", "issue", "P4", json.dumps(POLICY), *where,
                        "--as", "insurer@Org1", "--json")
    assert code == 0 and json.loads(out)["block"] > done["block"], out
    wait_for(lambda: len({(n["channels"]["main"]["height"], n["channels"]["main"]["state_hash"])
                          for n in net.status()["nodes"]}) == 1, 20, "every node at one height and state")
    for org in ("Org1", "Org2", "Org3"):  # every node holds the new configuration
        code, out = net.cli("channel", "show", *where, "--as", f"admin@{org}", "--json")
        shown = json.loads(out)
        assert code == 0 and shown["sequence"] == 1, out
        assert [c["revoked"] for c in shown["orgs"][1]["crls"]] == [1]
