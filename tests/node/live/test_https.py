"""The API of real node processes over HTTPS, as curl would call it: unsigned health, readiness,
metrics and description; a signed channel read; the certificate checked against the node's own
organisation's transport root (another's does not do); plain HTTP refused on the HTTPS port, and
served only by a node on loopback whose node.toml has no [api] section."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import pytest

from node.api.signature import sign_request
from node.api.transport import client_context
from node.client.netfile import NetworkFile
from node.network.layout import NetworkLayout
from node.tx.clock import now_ms
from tests.node.live.conftest import wait_for


def test_the_api_is_https_with_its_organisation_s_certificate(live):
    net = live(orgs=2)
    layout = NetworkLayout(net.folder)
    for path in ("/healthz", "/readyz", "/metrics", "/openapi.json"):  # no signature needed
        answer = net.get("peer0-org1", path)
        assert answer.status_code == 200, (path, answer.text)
        assert answer.url.scheme == "https"
    assert net.get("peer0-org1", "/healthz").json() == {"status": "ok"}
    assert net.get("peer0-org1", "/api/v1/channels/main").json()["code"] == "unsigned"

    # a signed read, built by hand as any HTTP client would
    admin = NetworkFile.load(net.folder).wallet.get("admin@Org1")
    target = "/api/v1/channels/main"
    headers = sign_request(admin.suite, admin.key, admin.der, "GET", target,
                           now_ms(), b"")
    answer = net.get("peer0-org1", target, headers=headers)
    assert answer.status_code == 200 and answer.json()["height"] >= 1, answer.text

    # another organisation's transport CA does not vouch for Org1's node
    other_root = (layout.tls_ca("Org2") / "cert.pem").read_bytes()
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(net.api("peer0-org1") + "/healthz", verify=client_context(other_root), timeout=10)
    # and the HTTPS port gives plain HTTP no answer
    plain = net.api("peer0-org1").replace("https://", "http://")
    with pytest.raises(httpx.HTTPError):
        httpx.get(plain + "/healthz", timeout=10)

    # a node on loopback without [api] serves plain HTTP (development), and only that
    net.stop_all()
    config = layout.node_config("peer0-org2")
    text = config.read_text("utf-8")
    config.write_text(re.sub(r"\n\[api\]\ncertificate = [^\n]*\nkey = [^\n]*\n", "\n", text), "utf-8")
    assert "[api]" not in config.read_text("utf-8")
    node = subprocess.Popen([sys.executable, "-m", "node", "node", "start", "--config", str(config)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=config.parent)
    try:
        plain = net.api("peer0-org2").replace("https://", "http://")

        def answers() -> bool:
            assert node.poll() is None, node.stderr.read() if node.stderr else node.returncode
            try:
                return httpx.get(plain + "/healthz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(answers, 30, "peer0-org2 to answer plain HTTP on loopback")
        with pytest.raises(httpx.HTTPError):
            net.get("peer0-org2", "/healthz")
    finally:
        node.terminate()
        try:
            node.wait(15)
        except subprocess.TimeoutExpired:
            node.kill()
            node.wait()
