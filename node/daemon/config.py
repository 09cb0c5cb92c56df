"""A node's configuration file, `node.toml` (the format is in docs/node.md).

`load_config(path)` reads it and checks every field, so a node that starts has what it needs:
each refusal names the file and the key (``node.toml: peers[1].p2p: expected HOST:PORT, got
"localhost"``), and an unknown key is refused with the nearest known one, since a misspelt key
would otherwise be ignored silently. Relative paths are relative to the file's folder, so a
network folder can be moved as a whole.

The ``[api]`` section gives the HTTP API its TLS certificate and key (HTTPS; see
`node.api.transport` for why they come from the transport CA). Without it the API is plain HTTP,
which only a loopback address may serve: a configuration whose ``node.api`` listens elsewhere
without ``[api]`` is refused here, so such a node never starts.

The optional ``[ca]`` section gives the node its organisation's CA (``home``: the CA's folder,
``passphrase_file``: the file holding its key's passphrase, ``registrar``: the CA admin the node
registers users by, ``ca-admin`` by default), through which it enrolls application users
(`node.users`); without it the node keeps the users it has but registers none.
"""

from __future__ import annotations

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.api.transport import plain_http_refusal
from node.identity.names import ClaimError, check_name

LOG_LEVELS = ("debug", "info", "warning", "error")


class NodeConfigError(ValueError):
    """A node.toml that cannot be used; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class PeerConfig:
    name: str
    org: str
    p2p: Address
    api: Address


@dataclass(frozen=True, slots=True)
class ChannelEntry:
    name: str
    genesis: Path


@dataclass(frozen=True, slots=True)
class NodeConfig:
    path: Path
    name: str
    org: str
    data: Path
    p2p: Address
    api: Address
    certificate: Path
    key: Path
    tls_certificate: Path
    tls_key: Path
    tls_roots: tuple[Path, ...]
    peers: tuple[PeerConfig, ...]
    channels: tuple[ChannelEntry, ...]
    log_level: str = "info"
    api_certificate: Path | None = None  # the API's TLS certificate and key ([api]); None: plain HTTP, loopback
    api_key: Path | None = None
    ca_home: Path | None = None  # [ca]: the organisation's CA, for enrolling users; None: no CA here
    ca_passphrase_file: Path | None = None
    ca_registrar: str = "ca-admin"

    @property
    def api_tls(self) -> bool:
        return self.api_certificate is not None

    def peer(self, name: str) -> PeerConfig | None:
        for p in self.peers:
            if p.name == name:
                return p
        return None


_SECTIONS: dict[str, tuple[str, ...]] = {
    "node": ("name", "org", "data", "p2p", "api"),
    "identity": ("certificate", "key"),
    "tls": ("certificate", "key", "roots"),
    "api": ("certificate", "key"),
    "ca": ("home", "passphrase_file", "registrar"),
    "peers": ("name", "org", "p2p", "api"),
    "channels": ("name", "genesis"),
    "log": ("level",),
}
_OPTIONAL_SECTIONS = ("peers", "channels", "log", "api", "ca")


class _Reader:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.base = path.parent

    def fail(self, where: str, why: str) -> NodeConfigError:
        return NodeConfigError(f"{self.path}: {where}: {why}")

    def keys(self, table: object, where: str, allowed: tuple[str, ...], required: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(table, dict):
            raise self.fail(where, "expected a table")
        for key in table:
            if key not in allowed:
                near = difflib.get_close_matches(key, allowed, n=1)
                hint = f" (did you mean {near[0]}?)" if near else ""
                raise self.fail(f"{where}.{key}" if where else key, f"unknown key{hint}")
        for key in required:
            if key not in table:
                raise self.fail(f"{where}.{key}" if where else key, "missing")
        return table

    def text(self, value: object, where: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(where, f"expected text, got {value!r}")
        return value

    def name(self, value: object, where: str) -> str:
        try:
            return check_name(where, self.text(value, where))
        except ClaimError as exc:
            raise self.fail(where, str(exc)) from None

    def address(self, value: object, where: str) -> Address:
        text = self.text(value, where)
        host, _, port = text.rpartition(":")
        if not host or not port.isdigit() or not 0 < int(port) < 65536:
            raise self.fail(where, f"expected HOST:PORT, got {text!r}")
        return Address(host, int(port))

    def file(self, value: object, where: str, *, must_exist: bool = True) -> Path:
        path = (self.base / self.text(value, where)).resolve()
        if must_exist and not path.is_file():
            raise self.fail(where, f"no file {path}")
        return path


def load_config(path: str | Path) -> NodeConfig:
    """The configuration in ``path``; `NodeConfigError` naming the file and key otherwise."""
    path = Path(path)
    r = _Reader(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise NodeConfigError(f"{path}: cannot read the file: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise NodeConfigError(f"{path}: not valid TOML: {exc}") from None
    top = r.keys(raw, "", tuple(_SECTIONS), tuple(s for s in _SECTIONS if s not in _OPTIONAL_SECTIONS))
    node = r.keys(top["node"], "node", _SECTIONS["node"], _SECTIONS["node"])
    ident = r.keys(top["identity"], "identity", _SECTIONS["identity"], _SECTIONS["identity"])
    tls = r.keys(top["tls"], "tls", _SECTIONS["tls"], _SECTIONS["tls"])
    roots = tls["roots"]
    if not isinstance(roots, list) or not roots:
        raise r.fail("tls.roots", "expected a list of PEM files (every organisation's transport root)")
    peers = []
    for i, p in enumerate(top.get("peers", [])):
        where = f"peers[{i}]"
        p = r.keys(p, where, _SECTIONS["peers"], _SECTIONS["peers"])
        peers.append(PeerConfig(r.name(p["name"], f"{where}.name"), r.name(p["org"], f"{where}.org"),
                                r.address(p["p2p"], f"{where}.p2p"), r.address(p["api"], f"{where}.api")))
    channels = []
    for i, c in enumerate(top.get("channels", [])):
        where = f"channels[{i}]"
        c = r.keys(c, where, _SECTIONS["channels"], _SECTIONS["channels"])
        channels.append(ChannelEntry(r.name(c["name"], f"{where}.name"), r.file(c["genesis"], f"{where}.genesis")))
    log = r.keys(top.get("log", {}), "log", _SECTIONS["log"], ())
    level = log.get("level", "info")
    if level not in LOG_LEVELS:
        raise r.fail("log.level", f"expected one of {', '.join(LOG_LEVELS)}, got {level!r}")
    name = r.name(node["name"], "node.name")
    if any(p.name == name for p in peers):
        raise r.fail("peers", f"lists this node ({name}) itself")
    api_address = r.address(node["api"], "node.api")
    api_tls = r.keys(top["api"], "api", _SECTIONS["api"], _SECTIONS["api"]) if "api" in top else None
    if api_tls is None and (why := plain_http_refusal(api_address.host)) is not None:
        raise r.fail("node.api", why)
    ca = r.keys(top["ca"], "ca", _SECTIONS["ca"], ("home", "passphrase_file")) if "ca" in top else None
    ca_home = None if ca is None else (r.base / r.text(ca["home"], "ca.home")).resolve()
    if ca_home is not None and not (ca_home / "config.json").is_file():
        raise r.fail("ca.home", f"no CA at {ca_home} (a folder made by `baochain ca init`)")
    return NodeConfig(
        path=path.resolve(), name=name, org=r.name(node["org"], "node.org"),
        data=(r.base / r.text(node["data"], "node.data")).resolve(),
        p2p=r.address(node["p2p"], "node.p2p"), api=api_address,
        certificate=r.file(ident["certificate"], "identity.certificate"), key=r.file(ident["key"], "identity.key"),
        tls_certificate=r.file(tls["certificate"], "tls.certificate"), tls_key=r.file(tls["key"], "tls.key"),
        tls_roots=tuple(r.file(x, f"tls.roots[{i}]") for i, x in enumerate(roots)),
        peers=tuple(peers), channels=tuple(channels), log_level=level,
        api_certificate=None if api_tls is None else r.file(api_tls["certificate"], "api.certificate"),
        api_key=None if api_tls is None else r.file(api_tls["key"], "api.key"),
        ca_home=ca_home,
        ca_passphrase_file=None if ca is None else r.file(ca["passphrase_file"], "ca.passphrase_file"),
        ca_registrar="ca-admin" if ca is None else r.name(ca.get("registrar", "ca-admin"), "ca.registrar"),
    )
