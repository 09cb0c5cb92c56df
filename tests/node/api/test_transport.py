"""HTTPS on the API, or plain HTTP on loopback only (`node.api.transport`): what node.toml
allows, what the daemon refuses to start with, and what the client library refuses to send."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from node.api.transport import client_context, is_loopback, plain_http_refusal
from node.client.errors import ClientError
from node.client.gateway import Gateway
from node.client.netfile import NodeAddress, api_url
from node.client.wallet import Identity
from node.daemon.config import NodeConfigError, load_config
from node.daemon.main import StartError, api_ssl_options, node_group
from node.net.transport_certs import issue_api_cert, make_tls_ca


def _node_toml(folder: Path, api: str, api_section: str | None) -> Path:
    for name in ("identity/cert.pem", "identity/key.pem", "tls/cert.pem", "tls/key.pem", "tls/Org1-root.pem"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("placeholder\n")
    text = f'''[node]
name = "peer0-org1"
org = "Org1"
data = "data"
p2p = "127.0.0.1:40123"
api = "{api}"

[identity]
certificate = "identity/cert.pem"
key = "identity/key.pem"

[tls]
certificate = "tls/cert.pem"
key = "tls/key.pem"
roots = ["tls/Org1-root.pem"]
'''
    if api_section is not None:
        text += "\n[api]\n" + api_section
    path = folder / "node.toml"
    path.write_text(text)
    return path


def _api_certificate(folder: Path) -> tuple[Path, Path]:
    ca_cert, ca_key = make_tls_ca("Org1", folder / "tls-ca")
    return issue_api_cert(ca_cert, ca_key, "peer0-org1", "Org1", folder / "api-tls")


@pytest.mark.parametrize("host, loopback", [
    ("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True), ("localhost", True),
    ("LocalHost", True), ("0.0.0.0", False), ("10.0.0.5", False), ("::", False), ("[::]", False),
    ("node1.example.com", False), ("localhost.example.com", False),
])
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    assert (plain_http_refusal(host) is None) is loopback


@pytest.mark.parametrize("api", ["127.0.0.1:40124", "localhost:40124", "[::1]:40124"])
def test_plain_http_on_loopback_is_allowed(tmp_path: Path, api: str) -> None:
    config = load_config(_node_toml(tmp_path, api, None))
    assert not config.api_tls and config.api_certificate is None and api_ssl_options(config) == {}


@pytest.mark.parametrize("api", ["0.0.0.0:40124", "10.1.2.3:443", "[::]:40124", "node1.example.com:443"])
def test_plain_http_beyond_loopback_is_refused_with_what_to_do(tmp_path: Path, api: str) -> None:
    path = _node_toml(tmp_path, api, None)
    with pytest.raises(NodeConfigError) as refused:
        load_config(path)
    message = str(refused.value)
    assert message.startswith(f"{path}: node.api: the API would listen on")
    assert "without TLS" in message and "[api] section" in message


def test_an_api_section_gives_https_on_any_address(tmp_path: Path) -> None:
    cert, key = _api_certificate(tmp_path)
    path = _node_toml(tmp_path, "0.0.0.0:8443", 'certificate = "api-tls/cert.pem"\nkey = "api-tls/key.pem"\n')
    config = load_config(path)
    assert config.api_tls and (config.api_certificate, config.api_key) == (cert, key)
    assert api_ssl_options(config) == {"ssl_certfile": str(cert), "ssl_keyfile": str(key)}


@pytest.mark.parametrize("section, where, why", [
    ('certificate = "api-tls/cert.pem"\n', "api.key", "missing"),
    ('certificate = "api-tls/cert.pem"\nkey = "api-tls/key.pem"\nkeys = "x"\n', "api.keys", "did you mean key?"),
    ('certificate = "api-tls/nothing.pem"\nkey = "api-tls/key.pem"\n', "api.certificate", "no file"),
])
def test_an_api_section_that_cannot_be_used_is_named(tmp_path: Path, section: str, where: str, why: str) -> None:
    _api_certificate(tmp_path)
    with pytest.raises(NodeConfigError, match=f"node.toml: {where}: .*{why}".replace("?", r"\?")):
        load_config(_node_toml(tmp_path, "127.0.0.1:40124", section))


def test_a_certificate_that_does_not_match_its_key_stops_the_start_with_one_line(tmp_path: Path) -> None:
    _api_certificate(tmp_path)
    ca_cert, ca_key = make_tls_ca("Org1", tmp_path / "other-ca")
    issue_api_cert(ca_cert, ca_key, "peer0-org1", "Org1", tmp_path / "other")
    path = _node_toml(tmp_path, "127.0.0.1:40124", 'certificate = "api-tls/cert.pem"\nkey = "other/key.pem"\n')
    with pytest.raises(StartError, match=r"api: cannot serve HTTPS with .*cert.pem and .*key.pem: KEY_VALUES_MISMATCH"):
        api_ssl_options(load_config(path))


def test_the_daemon_refuses_plain_http_beyond_loopback_without_a_traceback(tmp_path: Path) -> None:
    path = _node_toml(tmp_path, "0.0.0.0:40124", None)
    result = CliRunner().invoke(node_group, ["start", "--config", str(path)])
    assert result.exit_code == 1
    assert result.output.startswith("error: ") and "without TLS" in result.output
    assert "Traceback" not in result.output


def test_a_scheme_less_address_is_https() -> None:
    assert api_url("127.0.0.1:40124") == "https://127.0.0.1:40124"
    assert api_url("http://127.0.0.1:40124") == "http://127.0.0.1:40124"


def _identity(world) -> Identity:  # noqa: ANN001 - tests.node.api.world.World
    ident = world.id("insurer@Org1")
    return Identity.from_pem(ident.cert.pem, world.suite.private_key_to_pem(ident.key))


def test_the_client_sends_plain_http_to_loopback_only(world) -> None:  # noqa: ANN001
    remote = NodeAddress("peer0-org1", "Org1", "http://10.1.2.3:40124")
    with Gateway(_identity(world), [remote]) as gateway:
        with pytest.raises(ClientError, match="plain HTTP to a host that is not loopback"):
            gateway.link(remote)
    local = NodeAddress("peer0-org1", "Org1", "http://127.0.0.1:40124")
    with Gateway(_identity(world), [local]) as gateway:
        assert gateway.link(local).http.base_url == httpx.URL("http://127.0.0.1:40124")


def test_the_client_trusts_each_node_by_its_own_organisation_s_root(world, tmp_path: Path,  # noqa: ANN001
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    import node.client.gateway as gateway_module

    root1 = make_tls_ca("Org1", tmp_path / "ca1")[0].read_bytes()
    root2 = make_tls_ca("Org2", tmp_path / "ca2")[0].read_bytes()
    trusted: list[list[str]] = []

    def recording(roots_pem: bytes):  # noqa: ANN202 - ssl.SSLContext
        context = client_context(roots_pem)
        trusted.append([dict(rdn[0] for rdn in c["subject"])["commonName"] for c in context.get_ca_certs()])
        return context

    monkeypatch.setattr(gateway_module, "client_context", recording)
    nodes = [NodeAddress("peer0-org1", "Org1", "https://127.0.0.1:1"),
             NodeAddress("peer0-org2", "Org2", "https://127.0.0.1:2"),
             NodeAddress("peer0-org9", "Org9", "https://127.0.0.1:3")]
    with Gateway(_identity(world), nodes, tls_roots={"Org1": root1, "Org2": root2}) as gateway:
        for node in nodes:
            gateway.link(node)
    assert trusted == [["Org1 TLS CA"], ["Org2 TLS CA"]]  # Org9: no root known, the system's CAs
    assert client_context(root1).check_hostname
