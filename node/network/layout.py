"""A local network's folder: where `baochain network init DIR` puts everything, and the index,
``network.json``, that `network up`, `status`, `down` and the client library read.

Layout (every name as the spec spells it, in NFC; ORG an organisation, NODE ``peer0-<org in
lower case>``, NAME@ORG a wallet identity, CH a channel):

    network.toml                  the spec, in its normal form (`NetworkSpec.to_toml`)
    network.json                  the index (below); written last
    orgs/ORG/ca/                  the organisation's CA home (`baochain ca --home`), the network's suite
    orgs/ORG/ca-passphrase        the passphrase of its root key (mode 0600)
    orgs/ORG/tls-ca/cert.pem      the organisation's transport CA (ECDSA P-256: TLS needs intl) ...
    orgs/ORG/tls-ca/key.pem       ... and its key (unencrypted, mode 0600)
    wallet/NAME@ORG/cert.pem      a client identity's certificate (admin@ORG, ROLE@ORG) ...
    wallet/NAME@ORG/key.pem       ... and its key, unencrypted PKCS#8 (mode 0600)
    nodes/NODE/node.toml          the node's configuration (docs/node.md)
    nodes/NODE/identity/cert.pem, key.pem   its peer identity (the network's suite)
    nodes/NODE/tls/cert.pem, key.pem        its transport certificate and key
    nodes/NODE/tls/ORG-root.pem   every organisation's transport root, its own included
    nodes/NODE/api-tls/cert.pem, key.pem    its API's TLS certificate and key (HTTPS), from the
                                  same transport CA (`node.api.transport` says why)
    nodes/NODE/data/              (made by the node) its channels' databases
    channels/CH.genesis           the channel's genesis block, `node.chain.block.encode_block` bytes

Keys lie unencrypted and the CA passphrases beside the CAs: this is a network for one machine,
for development and tests, whose every party is the one person running it. A real organisation
keeps its CA and keys to itself (`baochain ca`).

network.json, one JSON object (paths relative to DIR, with ``/``; addresses ``HOST:PORT``):

    {"format": 1, "suite": "gm" | "intl", "consensus": "pbft" | "solo",
     "orgs": [{"name", "roles": [role, ...], "node": NODE, "ca": "orgs/ORG/ca",
               "ca_passphrase": "orgs/ORG/ca-passphrase", "tls_ca": "orgs/ORG/tls-ca"}, ...],
     "nodes": [{"name": NODE, "org", "p2p": "127.0.0.1:PORT", "api": "127.0.0.1:PORT",
                "config": "nodes/NODE/node.toml", "channels": [CH, ...]}, ...],
     "channels": [{"name": CH, "orgs": [ORG, ...] (sorted, as in the genesis configuration),
                   "regulators": [ORG, ...], "orderers": [NODE, ...], "genesis": "channels/CH.genesis"}, ...],
     "wallet": [{"id": "NAME@ORG", "name", "org", "type": "admin" | "client" | "regulator",
                 "roles": [role, ...], "certificate": "wallet/NAME@ORG/cert.pem",
                 "key": "wallet/NAME@ORG/key.pem"}, ...]}

Orgs and nodes are in the spec's order, channels too; the wallet lists each organisation's admin
first, then its roles in the spec's order. Readers refuse another ``format``.

How init writes, so that a folder is either a whole network or plainly not one: it refuses a
folder that is not new or empty; it first writes the marker ``.init-unfinished``, creates every
file exclusively (nothing is ever overwritten), writes ``network.json`` last (replaced whole) and
then removes the marker. A failure removes what init wrote; a killed init leaves the marker, and
the next init into that folder says to delete it.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

from node.network.errors import FolderTaken, NetworkIndexError
from vm.files import write_atomically

INDEX_FORMAT = 1
CERT_FILE = "cert.pem"
KEY_FILE = "key.pem"
IDENTITY_FOLDER = "identity"  # in a node's folder
TLS_FOLDER = "tls"
API_TLS_FOLDER = "api-tls"
DATA_FOLDER = "data"
UNFINISHED = ".init-unfinished"


def tls_root_file(org: str) -> str:
    """The name of `org`'s transport root in a node's tls folder."""
    return f"{org}-root.pem"


@dataclass(frozen=True, slots=True)
class OrgEntry:
    name: str
    roles: tuple[str, ...]
    node: str
    ca: str
    ca_passphrase: str
    tls_ca: str


@dataclass(frozen=True, slots=True)
class NodeEntry:
    name: str
    org: str
    p2p: str
    api: str
    config: str
    channels: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ChannelEntry:
    name: str
    orgs: tuple[str, ...]
    regulators: tuple[str, ...]
    orderers: tuple[str, ...]  # the nodes that order it: PBFT's replicas in primary order, or the solo orderer
    genesis: str


@dataclass(frozen=True, slots=True)
class WalletEntry:
    id: str
    name: str
    org: str
    type: str
    roles: tuple[str, ...]
    certificate: str
    key: str


@dataclass(frozen=True, slots=True)
class NetworkIndex:
    suite: str
    consensus: str
    orgs: tuple[OrgEntry, ...]
    nodes: tuple[NodeEntry, ...]
    channels: tuple[ChannelEntry, ...]
    wallet: tuple[WalletEntry, ...]

    def node(self, name: str) -> NodeEntry | None:
        return next((n for n in self.nodes if n.name == name), None)

    def channel(self, name: str) -> ChannelEntry | None:
        return next((c for c in self.channels if c.name == name), None)

    def identity(self, id: str) -> WalletEntry | None:
        """The wallet identity ``NAME@ORG``."""
        return next((w for w in self.wallet if w.id == id), None)

    def to_json(self) -> str:
        value = {"format": INDEX_FORMAT, **asdict(self)}
        return json.dumps(value, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "network.json") -> NetworkIndex:
        """The index `text` holds; `NetworkIndexError` naming the field for anything else."""
        try:
            value = json.loads(text)
        except ValueError as exc:
            raise NetworkIndexError(f"{where}: not JSON: {exc}") from None
        top = _Fields(value, where)
        if top.get("format", int) != INDEX_FORMAT:
            raise NetworkIndexError(f"{where}: format {value['format']!r} is not one this version reads "
                                    f"({INDEX_FORMAT})")
        return cls(
            suite=top.get("suite", str),
            consensus=top.get("consensus", str),
            orgs=tuple(_read(OrgEntry, v, f"{where}: orgs[{i}]") for i, v in enumerate(top.get("orgs", list))),
            nodes=tuple(_read(NodeEntry, v, f"{where}: nodes[{i}]") for i, v in enumerate(top.get("nodes", list))),
            channels=tuple(_read(ChannelEntry, v, f"{where}: channels[{i}]")
                           for i, v in enumerate(top.get("channels", list))),
            wallet=tuple(_read(WalletEntry, v, f"{where}: wallet[{i}]") for i, v in enumerate(top.get("wallet", list))),
        )


class _Fields:
    def __init__(self, value: object, where: str) -> None:
        if not isinstance(value, dict):
            raise NetworkIndexError(f"{where}: expected an object")
        self.value, self.where = value, where

    def get(self, key: str, kind: type) -> Any:
        if key not in self.value:
            raise NetworkIndexError(f"{self.where}.{key}: missing")
        found = self.value[key]
        if kind is tuple:
            if not isinstance(found, list) or not all(isinstance(x, str) for x in found):
                raise NetworkIndexError(f"{self.where}.{key}: expected an array of text")
            return tuple(found)
        if type(found) is not kind:
            raise NetworkIndexError(f"{self.where}.{key}: expected {_KINDS[kind]}")
        return found


_KINDS = {str: "text", int: "an integer", list: "an array"}
_Entry = TypeVar("_Entry", OrgEntry, NodeEntry, ChannelEntry, WalletEntry)


def _read(entry: type[_Entry], value: object, where: str) -> _Entry:
    """An entry of the index: every field of the dataclass, text or (for a tuple) an array of text."""
    given = _Fields(value, where)
    kinds = {f.name: tuple if str(f.type).startswith("tuple") else str for f in fields(entry)}
    return entry(**{name: given.get(name, kind) for name, kind in kinds.items()})


class NetworkLayout:
    """The paths of one network folder, and the writing discipline of the module docstring."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._made_root = False

    spec = property(lambda self: self.root / "network.toml")
    index = property(lambda self: self.root / "network.json")
    unfinished = property(lambda self: self.root / UNFINISHED)

    def org(self, org: str) -> Path:
        return self.root / "orgs" / org

    def ca_home(self, org: str) -> Path:
        return self.org(org) / "ca"

    def ca_passphrase(self, org: str) -> Path:
        return self.org(org) / "ca-passphrase"

    def tls_ca(self, org: str) -> Path:
        return self.org(org) / "tls-ca"

    def wallet(self, id: str) -> Path:
        return self.root / "wallet" / id

    def node(self, node: str) -> Path:
        return self.root / "nodes" / node

    def node_config(self, node: str) -> Path:
        return self.node(node) / "node.toml"

    def genesis(self, channel: str) -> Path:
        return self.root / "channels" / f"{channel}.genesis"

    def relative(self, path: Path) -> str:
        return path.relative_to(self.root).as_posix()

    def resolve(self, relative: str) -> Path:
        """A path of the index, as a path on this machine."""
        return self.root / relative

    # ---- reading ---------------------------------------------------------------------------

    def load_index(self) -> NetworkIndex:
        if self.unfinished.exists():
            raise NetworkIndexError(f"{self.root} holds an unfinished network (its `network init` did not finish); "
                                    f"delete {self.root} and run init again")
        try:
            text = self.index.read_text("utf-8")
        except FileNotFoundError:
            raise NetworkIndexError(f"{self.root} holds no network (no network.json); "
                                    f"make one with `baochain network init {self.root} --orgs 3`") from None
        except (OSError, UnicodeDecodeError) as exc:
            raise NetworkIndexError(f"{self.index}: cannot read it: {exc}") from None
        return NetworkIndex.from_json(text, str(self.index))

    # ---- writing ---------------------------------------------------------------------------

    def claim(self) -> None:
        """Take the folder for a new network, or refuse with what to do instead."""
        root = self.root
        if root.exists() and not root.is_dir():
            raise FolderTaken(f"{root} is a file, not a folder; pick a new folder for the network")
        if self.unfinished.exists():
            raise FolderTaken(f"{root} holds an unfinished network: an earlier `network init` stopped before it "
                              f"finished; delete {root} and run init again")
        if self.index.exists():
            raise FolderTaken(f"{root} already holds a network; init never overwrites one: pick another folder, "
                              f"or stop it (`baochain network down {root}`) and delete {root} first")
        if root.is_dir() and any(root.iterdir()):
            raise FolderTaken(f"{root} is not empty; `network init` makes a network in a new or empty folder")
        self._made_root = not root.exists()
        root.mkdir(parents=True, exist_ok=True)
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        try:
            note = f"`baochain network init` started at {started} (process {os.getpid()})\n"
            self.write(self.unfinished, note.encode("utf-8"))
        except FileExistsError:
            raise FolderTaken(f"another `network init` is writing into {root}") from None

    def write(self, path: Path, data: bytes, *, private: bool = False) -> None:
        """Create `path` with `data`; never overwrites (`FileExistsError`)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600 if private else 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)

    def finish(self, index: NetworkIndex) -> None:
        """Write the index (whole, synced) and remove the marker: the network is complete."""
        self.save_index(index)
        self.unfinished.unlink()

    def save_index(self, index: NetworkIndex) -> None:
        """Replace the index whole (a network that grew: `node.network.membership`)."""
        self.replace(self.index, index.to_json().encode("utf-8"))

    def replace(self, path: Path, data: bytes) -> None:
        """Replace `path` with `data` at once: a reader sees the old file or the new one, never part
        of either (written beside it, synced, then renamed over it)."""
        write_atomically(path, data, 0o644)

    def undo(self) -> None:
        """Remove what init wrote (the folder was new or empty before `claim`)."""
        if self._made_root:
            shutil.rmtree(self.root, ignore_errors=True)
            return
        for child in self.root.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child, ignore_errors=True)
            else:
                child.unlink(missing_ok=True)
