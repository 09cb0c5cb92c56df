"""What the client needs of a network folder (`baochain network init DIR`): its nodes' API
addresses, which channels each holds and which organisations are in each channel, and its wallet.

It reads ``DIR/network.json`` (the index `node.network.layout` documents) leniently: only the
fields below, ignoring the rest, so that the index may grow without breaking clients:

    {"format": 1,
     "nodes":    [{"name", "org", "api": "HOST:PORT" or a URL, "channels": [CH, ...]}, ...],
     "channels": [{"name", "orgs": [ORG, ...]}, ...],
     "orgs":     [{"name", "ca": CA home, relative to DIR}, ...]}      -- optional: `baochain
                                                                       channel update --crl ORG`
                 "tls_ca": transport CA folder, relative to DIR        -- optional: its cert.pem is
                                                                       the root the client trusts
                                                                       for that org's nodes' APIs

and the wallet folder ``DIR/wallet`` (`node.client.wallet`). An address without a scheme is
HTTPS (what `network init` makes); plain HTTP is written ``http://HOST:PORT`` and reaches loopback
only (`node.api.transport`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from node.client.errors import NetworkFileError
from node.client.wallet import Wallet

INDEX_FILE = "network.json"
WALLET_FOLDER = "wallet"
TLS_ROOT_FILE = "cert.pem"  # in an organisation's transport CA folder
FORMAT = 1


@dataclass(frozen=True, slots=True)
class NodeAddress:
    """A node the client may call: ``api`` is its base URL; ``channels`` those it holds (None: unknown)."""

    name: str
    org: str
    api: str
    channels: tuple[str, ...] | None = None

    def holds(self, channel: str) -> bool:
        return self.channels is None or channel in self.channels


def api_url(address: str) -> str:
    return address if "://" in address else f"https://{address}"


@dataclass(frozen=True, slots=True)
class NetworkFile:
    folder: Path
    nodes: tuple[NodeAddress, ...]
    channels: dict[str, tuple[str, ...]]  # channel -> member organisations
    wallet: Wallet
    ca_homes: dict[str, Path] = field(default_factory=dict)  # organisation -> its CA home, where known
    tls_roots: dict[str, bytes] = field(default_factory=dict)  # organisation -> its transport root (PEM), where known

    @classmethod
    def load(cls, folder: Path) -> NetworkFile:
        folder = Path(folder)
        path = folder / INDEX_FILE
        try:
            value = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise NetworkFileError(f"{folder} is not a network folder: it has no {INDEX_FILE} "
                                   "(make one with `baochain network init`)") from None
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise NetworkFileError(f"{path}: cannot be read: {exc}") from None
        if not isinstance(value, dict) or value.get("format") != FORMAT:
            raise NetworkFileError(f"{path}: not a network index of format {FORMAT}")
        try:
            nodes = tuple(NodeAddress(_text(n, "name"), _text(n, "org"), api_url(_text(n, "api")),
                                      tuple(n["channels"]) if isinstance(n.get("channels"), list) else None)
                          for n in value["nodes"])
            channels = {_text(c, "name"): tuple(c["orgs"]) for c in value["channels"]}
        except (KeyError, TypeError, AttributeError) as exc:
            raise NetworkFileError(f"{path}: its nodes or channels are not as `network init` writes them ({exc})") \
                from None
        homes, roots = {}, {}
        for org in value.get("orgs") or ():
            if isinstance(org, dict) and isinstance(org.get("name"), str) and isinstance(org.get("ca"), str) \
                    and org["ca"]:
                homes[org["name"]] = folder / org["ca"]
            if isinstance(org, dict) and isinstance(org.get("name"), str) and isinstance(org.get("tls_ca"), str) \
                    and org["tls_ca"]:
                root = folder / org["tls_ca"] / TLS_ROOT_FILE
                try:
                    roots[org["name"]] = root.read_bytes()
                except OSError as exc:
                    raise NetworkFileError(f"{root}: cannot read {org['name']}'s transport root: "
                                           f"{exc.strerror or exc}") from None
        return cls(folder, nodes, channels, Wallet(folder / WALLET_FOLDER), homes, roots)


def _text(entry: Any, key: str) -> str:
    found = entry[key]
    if not isinstance(found, str):
        raise TypeError(f"{key} is not text")
    return found
