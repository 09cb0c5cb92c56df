"""`network init` end to end, in temporary folders: a 3-organisation intl network with a regulator
and two channels, and a 2-organisation gm one; what they hold is checked with the node's own
readers (certificates against the channel's trust, genesis blocks, node.toml)."""

from __future__ import annotations

import json
import ssl
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from node.ca.authority import CertificateAuthority
from node.chain.block import decode_block, decode_item
from node.chain.config import ChannelConfig, decode_config
from node.crypto import get_suite
from node.identity import Certificate, IdentityRefused, RevocationList, check_identity
from node.net.tls import CertifiedName, TlsContexts, certified_name, tls_contexts
from node.network import init as init_module
from node.network.errors import FolderTaken, NetworkIndexError
from node.network.init import CA_ADMIN, init_network
from node.network.layout import NetworkIndex, NetworkLayout
from node.network.spec import NetworkSpec, load_spec, parse_spec, spec_for_orgs

INTL_SPEC = """suite = "intl"

[[orgs]]
name = "PICC"
roles = ["insurer", "reinsurer"]

[[orgs]]
name = "Ruijin Hospital"
roles = ["hospital"]

[[orgs]]
name = "CBIRC"
roles = ["regulator"]

[[channels]]
name = "claims"
orgs = ["Ruijin Hospital", "PICC", "CBIRC"]
regulators = ["CBIRC"]

[[channels]]
name = "private"
orgs = ["Ruijin Hospital", "PICC"]
"""


@dataclass
class Made:
    spec: NetworkSpec
    layout: NetworkLayout
    index: NetworkIndex

    def config(self, channel: str) -> ChannelConfig:
        entry = self.index.channel(channel)
        assert entry is not None
        block = decode_block(self.layout.resolve(entry.genesis).read_bytes(), get_suite(self.spec.suite))
        assert block.number == 0 and len(block.items) == 1
        item = decode_item(block.items[0])
        assert item.kind == "config"
        return decode_config(item.body)

    def certificate(self, id: str) -> Certificate:
        entry = self.index.identity(id)
        assert entry is not None
        return Certificate.load(self.layout.resolve(entry.certificate).read_bytes())


@pytest.fixture(scope="module", params=["intl", "gm"])
def made(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Made:
    spec = parse_spec(INTL_SPEC) if request.param == "intl" else spec_for_orgs(2, "gm")
    root = tmp_path_factory.mktemp(request.param) / "net"
    index = init_network(spec, root)
    return Made(spec, NetworkLayout(root), index)


def test_the_index_on_disk_is_the_one_returned(made: Made) -> None:
    assert made.layout.load_index() == made.index
    raw = json.loads(made.layout.index.read_text("utf-8"))
    assert raw["format"] == 1 and raw["suite"] == made.spec.suite
    assert [o["name"] for o in raw["orgs"]] == [o.name for o in made.spec.orgs]
    assert not made.layout.unfinished.exists()
    assert load_spec(made.layout.spec) == made.spec


def test_every_identity_passes_the_channels_check(made: Made) -> None:
    suite = get_suite(made.spec.suite)
    for channel in made.index.channels:
        trust = made.config(channel.name).trust()
        for entry in made.index.wallet:
            cert = made.certificate(entry.id)
            if entry.org not in channel.orgs:
                with pytest.raises(IdentityRefused, match="unknown issuer"):
                    check_identity(cert, trust)
                continue
            for role in entry.roles or (None,):
                verified = check_identity(cert, trust, role=role)
                assert (verified.org, verified.name, verified.type) == (entry.org, entry.name, entry.type)
                assert verified.roles == tuple(sorted(entry.roles))
            key = suite.load_private_key(made.layout.resolve(entry.key).read_bytes())
            assert suite.verify(cert.public_key, b"proof", suite.sign(key, b"proof"))
        for node in made.index.nodes:
            if node.org in channel.orgs:
                folder = made.layout.resolve(node.config).parent
                peer = check_identity(Certificate.load((folder / "identity/cert.pem").read_bytes()), trust)
                assert (peer.type, peer.name, peer.org) == ("peer", node.name, node.org)


def test_the_wallet_holds_admin_and_one_identity_per_role(made: Made) -> None:
    for org in made.spec.orgs:
        ids = [w.id for w in made.index.wallet if w.org == org.name]
        assert ids == [f"admin@{org.name}", *(f"{r}@{org.name}" for r in org.roles)]
        admin = made.index.identity(f"admin@{org.name}")
        assert admin is not None and admin.type == "admin"
        assert admin.roles == tuple(r for r in org.roles if r != "regulator")
        for role in org.roles:
            entry = made.index.identity(f"{role}@{org.name}")
            assert entry is not None and entry.roles == (role,)
            assert entry.type == ("regulator" if role == "regulator" else "client")


def test_regulators_clients_are_regulators_where_their_org_regulates(made: Made) -> None:
    regulators = 0
    for channel in made.index.channels:
        trust = made.config(channel.name).trust()
        for entry in made.index.wallet:
            if entry.org in channel.orgs:
                verified = check_identity(made.certificate(entry.id), trust)
                assert verified.is_regulator == (entry.type == "regulator" and entry.org in channel.regulators)
                regulators += verified.is_regulator
    assert regulators == (1 if made.spec.suite == "intl" else 0)  # regulator@CBIRC on claims
    if made.spec.suite == "intl":
        trust = made.config("claims").trust()
        regulator = check_identity(made.certificate("regulator@CBIRC"), trust, role="regulator")
        assert regulator.may_audit({"CBIRC", "PICC"})
        # CBIRC is no member of "private": its regulator has no standing there.
        with pytest.raises(IdentityRefused, match="unknown issuer"):
            check_identity(made.certificate("regulator@CBIRC"), made.config("private").trust())


def test_genesis_configuration_is_the_spec(made: Made) -> None:
    for channel in made.spec.channels:
        config = made.config(channel.name)
        assert config.name == channel.name and config.suite == made.spec.suite and config.sequence == 0
        assert config.members == tuple(sorted(channel.orgs))
        assert config.regulators == tuple(sorted(channel.regulators))
        # PBFT (the default): the members' nodes order it, in the spec's order, named by their peer certificates
        assert config.consensus == "pbft" and config.orderer == ""
        assert config.replicas == made.spec.consenters(channel) == tuple(
            o.node for o in made.spec.orgs if o.name in channel.orgs)
        for node, der in zip(config.replicas, config.consenters):
            peer = Certificate.load((made.layout.node(node) / "identity" / "cert.pem").read_bytes())
            assert der == peer.der
        for org in config.orgs:
            home = made.layout.ca_home(org.name)
            assert org.root == Certificate.load((home / "ca-cert.pem").read_bytes()).der
            assert org.crls == (RevocationList.load((home / "crl.pem").read_bytes()).der,)
        entry = made.index.channel(channel.name)
        assert entry is not None and (entry.orgs, entry.regulators, entry.orderers) == (
            config.members, config.regulators, config.replicas)


def test_ports_are_distinct_and_node_toml_files_point_at_real_files(made: Made) -> None:
    addresses = [a for n in made.index.nodes for a in (n.p2p, n.api)]
    assert len(set(addresses)) == len(addresses) == 2 * len(made.spec.orgs)
    assert all(a.startswith("127.0.0.1:") for a in addresses)
    for node in made.index.nodes:
        path = made.layout.resolve(node.config)
        folder = path.parent
        config = tomllib.loads(path.read_text("utf-8"))
        assert config["node"] == {"name": node.name, "org": node.org, "data": "data", "p2p": node.p2p, "api": node.api}
        files = [config["identity"]["certificate"], config["identity"]["key"], config["tls"]["certificate"],
                 config["tls"]["key"], *config["tls"]["roots"], *(c["genesis"] for c in config["channels"])]
        for file in files:
            assert not Path(file).is_absolute() and (folder / file).is_file(), file
        assert len(config["tls"]["roots"]) == len(made.spec.orgs)
        others = [{"name": n.name, "org": n.org, "p2p": n.p2p, "api": n.api} for n in made.index.nodes if n != node]
        assert config["peers"] == others
        mine = [c.name for c in made.spec.channels_of(node.org)]
        assert [c["name"] for c in config["channels"]] == mine == list(node.channels)
        for c in config["channels"]:
            assert (folder / c["genesis"]).resolve() == made.layout.genesis(c["name"]).resolve()
        assert config["log"] == {"level": "info"}


def test_keys_and_passphrases_are_private(made: Made) -> None:
    private = [made.layout.resolve(w.key) for w in made.index.wallet]
    for org in made.index.orgs:
        private += [made.layout.resolve(org.ca_passphrase), made.layout.resolve(org.tls_ca) / "key.pem"]
    for node in made.index.nodes:
        folder = made.layout.resolve(node.config).parent
        private += [folder / "identity/key.pem", folder / "tls/key.pem", folder / "api-tls/key.pem"]
    for path in private:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path


def test_each_ca_opens_with_its_passphrase_and_kept_four_eyes(made: Made) -> None:
    for org in made.index.orgs:
        passphrase = made.layout.resolve(org.ca_passphrase).read_bytes().rstrip(b"\n")
        ca = CertificateAuthority(made.layout.resolve(org.ca), passphrase=passphrase)
        assert ca.config.org == org.name and ca.config.suite == made.spec.suite
        records = {r.name: r for r in ca.list()}
        assert records["admin"].reviewed_by == CA_ADMIN and records["admin"].registered_by == CA_ADMIN
        for name, record in records.items():
            if name not in ("admin", CA_ADMIN):
                assert (record.registered_by, record.reviewed_by, record.status) == (CA_ADMIN, "admin", "enrolled")
        assert len(ca.verify_audit()) > 0


def _contexts(folder: Path) -> TlsContexts:
    config = tomllib.loads((folder / "node.toml").read_text("utf-8"))["tls"]
    return tls_contexts(folder / config["certificate"], folder / config["key"], [folder / r for r in config["roots"]])


def test_transport_certificates_make_a_mutual_tls13_link(made: Made) -> None:
    first, second = made.index.nodes[0], made.index.nodes[1]
    a, b = (made.layout.resolve(n.config).parent for n in (first, second))
    for node, folder in ((first, a), (second, b)):
        cert = x509.load_pem_x509_certificate((folder / "tls/cert.pem").read_bytes())
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == node.name
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == node.org
        root = x509.load_pem_x509_certificate((folder / f"tls/{node.org}-root.pem").read_bytes())
        cert.verify_directly_issued_by(root)
        assert root == x509.load_pem_x509_certificate((made.layout.tls_ca(node.org) / "cert.pem").read_bytes())
    c_in, c_out, s_in, s_out = (ssl.MemoryBIO() for _ in range(4))
    client = _contexts(a).client.wrap_bio(c_in, c_out, server_side=False)
    server = _contexts(b).server.wrap_bio(s_in, s_out, server_side=True)
    done: set[str] = set()
    for _ in range(10):
        for name, side in (("client", client), ("server", server)):
            try:
                side.do_handshake()
                done.add(name)
            except ssl.SSLWantReadError:
                pass
        s_in.write(c_out.read())
        c_in.write(s_out.read())
    assert done == {"client", "server"} and client.version() == "TLSv1.3"
    assert certified_name(server) == CertifiedName(first.name, first.org)
    assert certified_name(client) == CertifiedName(second.name, second.org)


class _Handshake:
    """Two ends of a TLS connection over memory buffers."""

    def __init__(self, client_context: ssl.SSLContext, server_context: ssl.SSLContext,
                 hostname: str | None = None) -> None:
        self.bios = [ssl.MemoryBIO() for _ in range(4)]
        self.client = client_context.wrap_bio(self.bios[0], self.bios[1], server_side=False, server_hostname=hostname)
        self.server = server_context.wrap_bio(self.bios[2], self.bios[3], server_side=True)

    def run(self) -> None:
        c_in, c_out, s_in, s_out = self.bios
        for _ in range(10):
            for side in (self.client, self.server):
                try:
                    side.do_handshake()
                except ssl.SSLWantReadError:
                    pass
            s_in.write(c_out.read())
            c_in.write(s_out.read())


def test_each_api_serves_https_with_a_certificate_that_cannot_speak_on_the_links(made: Made) -> None:
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from node.api.transport import client_context
    from node.daemon.config import load_config

    first, second = made.index.nodes[0], made.index.nodes[1]
    for node in made.index.nodes:
        path = made.layout.resolve(node.config)
        assert tomllib.loads(path.read_text("utf-8"))["api"] == {"certificate": "api-tls/cert.pem",
                                                                  "key": "api-tls/key.pem"}
        config = load_config(path)
        assert config.api_tls and config.api_certificate == path.parent / "api-tls/cert.pem"
        cert = x509.load_pem_x509_certificate(config.api_certificate.read_bytes())
        assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == f"{node.name} (API)"
        assert cert.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == node.org
        assert list(cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
            ExtendedKeyUsageOID.SERVER_AUTH]
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
        cert.verify_directly_issued_by(x509.load_pem_x509_certificate(
            (made.layout.tls_ca(node.org) / "cert.pem").read_bytes()))

    a = load_config(made.layout.resolve(first.config))
    own_root = (made.layout.tls_ca(first.org) / "cert.pem").read_bytes()
    other_root = (made.layout.tls_ca(second.org) / "cert.pem").read_bytes()
    api_server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    api_server.load_cert_chain(a.api_certificate, a.api_key)
    # a client trusting the node's organisation's root reaches it at 127.0.0.1 ...
    ok = _Handshake(client_context(own_root), api_server, "127.0.0.1")
    ok.run()
    assert ok.client.version() in ("TLSv1.3", "TLSv1.2")
    # ... one trusting only another organisation's root does not
    with pytest.raises(ssl.SSLCertVerificationError):
        _Handshake(client_context(other_root), api_server, "127.0.0.1").run()
    # the API's certificate cannot dial another node: it is not for clientAuth ...
    dialer = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    dialer.check_hostname = False
    dialer.load_cert_chain(a.api_certificate, a.api_key)
    for root in a.tls_roots:
        dialer.load_verify_locations(cafile=str(root))
    b = _contexts(made.layout.resolve(second.config).parent)
    with pytest.raises(ssl.SSLError, match="unsuitable certificate purpose"):
        _Handshake(dialer, b.server).run()
    # ... nor pass for the node when another node dials it: its CN is no node's name
    dialled = _Handshake(b.client, api_server)
    dialled.run()
    assert certified_name(dialled.client) == CertifiedName(f"{first.name} (API)", first.org)


def test_a_second_init_is_refused_and_changes_nothing(made: Made) -> None:
    before = made.layout.index.read_bytes()
    with pytest.raises(FolderTaken, match="already holds a network; init never overwrites one"):
        init_network(made.spec, made.layout.root)
    assert made.layout.index.read_bytes() == before


def test_a_failed_init_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_ports(count: int) -> list[int]:
        raise OSError("no ports today")

    monkeypatch.setattr(init_module, "free_ports", no_ports)
    with pytest.raises(OSError, match="no ports today"):
        init_network(spec_for_orgs(1, "gm"), tmp_path / "new")
    assert not (tmp_path / "new").exists()
    (tmp_path / "empty").mkdir()
    with pytest.raises(OSError):
        init_network(spec_for_orgs(1, "gm"), tmp_path / "empty")
    assert list((tmp_path / "empty").iterdir()) == []


def test_an_interrupted_init_is_refused_with_what_to_do(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def killed(count: int) -> list[int]:
        raise KeyboardInterrupt  # stands for kill -9: nothing after this runs

    monkeypatch.setattr(init_module, "free_ports", killed)
    monkeypatch.setattr(NetworkLayout, "undo", lambda self: None)
    root = tmp_path / "net"
    with pytest.raises(KeyboardInterrupt):
        init_network(spec_for_orgs(1, "gm"), root)
    monkeypatch.undo()
    message = f"{root} holds an unfinished network: an earlier `network init` stopped before it finished; " \
              f"delete {root} and run init again"
    with pytest.raises(FolderTaken) as caught:
        init_network(spec_for_orgs(1, "gm"), root)
    assert str(caught.value) == message
    with pytest.raises(NetworkIndexError, match="unfinished network"):
        NetworkLayout(root).load_index()


def test_a_folder_with_other_files_or_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(FolderTaken, match="is not empty"):
        init_network(spec_for_orgs(1, "gm"), tmp_path)
    with pytest.raises(FolderTaken, match="is a file, not a folder"):
        init_network(spec_for_orgs(1, "gm"), tmp_path / "notes.txt")
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]


def test_an_index_of_another_format_or_shape_is_refused(tmp_path: Path) -> None:
    layout = NetworkLayout(tmp_path)
    with pytest.raises(NetworkIndexError, match="holds no network"):
        layout.load_index()
    layout.index.write_text('{"format": 2}')
    with pytest.raises(NetworkIndexError, match="format 2 is not one this version reads"):
        layout.load_index()
    layout.index.write_text('{"format": 1, "suite": "gm", "consensus": "solo", "orgs": [{"name": 3}]}')
    with pytest.raises(NetworkIndexError, match=r"orgs\[0\]\.name: expected text"):
        layout.load_index()
