"""The network spec: the TOML file `baochain network init DIR --spec FILE` makes a network from.

    suite = "gm"                          # or "intl": the crypto suite of every CA and channel
    consensus = "pbft"                    # optional: "pbft" (the default) or "solo" (one orderer, for development)

    [[orgs]]
    name = "PICC"                         # an organisation (check_name's rule)
    roles = ["insurer"]                   # optional; party roles, each a client identity ROLE@ORG

    [[orgs]]
    name = "CBIRC"
    roles = ["regulator"]

    [[channels]]
    name = "claims"
    orgs = ["PICC", "CBIRC"]              # its members: each runs a node that endorses and keeps it
    regulators = ["CBIRC"]                # optional; members whose CAs issue regulator identities

`baochain network init DIR --orgs N [--suite gm|intl]` stands for the spec `spec_for_orgs` makes:
organisations Org1..OrgN, each with the role insurer, and one channel, ``main``, holding them all.

What each organisation gets (`OrgSpec.node`, `NetworkSpec.identities`):
- one node, ``peer0-<name in lower case>``, with a peer identity of that name;
- ``admin@ORG``, type admin, holding the organisation's roles except ``regulator`` (only a
  regulator identity may hold that one), so that it can deploy a contract whose init is `by`
  one of them;
- ``ROLE@ORG`` for each role: type client, or type regulator for the role ``regulator``.

Rules, each with its reason:
- Unknown keys are refused, with the nearest known key: a misspelt ``regulator`` would
  otherwise make a channel without regulators, silently.
- Names follow `node.identity.names.check_name` and are kept in NFC. Organisations differ by
  more than case, and so do channels: each names a folder or a file, and node names are in
  lower case.
- A role is the certificate's kind of role (a lowercase word: `names.make_claims`), once per
  organisation, and not ``admin``: ``admin@ORG`` is the organisation's admin.
- An organisation holds the role ``regulator`` exactly when some channel names it a regulator:
  a regulator identity of an organisation that no channel names is refused its role everywhere,
  and a regulator organisation without one would have no client that reads as a regulator.
- A channel's regulators are among its members: a regulator organisation runs a node that
  endorses and keeps the ledger like any member (`node.chain.config`).
- PBFT orders a channel on the nodes of all its members, in the spec's order of organisations
  (`NetworkSpec.consenters`): every member keeps the ledger, so every member takes part in
  ordering it, and the order of the spec decides the order of primaries. Solo ordering runs on
  the node of the first organisation of ``orgs`` that is a member of the channel
  (`NetworkSpec.orderer`).

A spec that breaks a rule raises `SpecError`, naming the file, the line when it is known, and the
key path (counting from 0, as the node's field paths do), e.g.
``network.toml:14: channels[1].orgs: 'Org9' is not an organisation of the network (Org1, Org2)``.
TOML gives positions only for syntax errors; for the others the line is found by looking for
the table and the key in the text, and left out when that is not certain (a spec written with
inline tables, say).
"""

from __future__ import annotations

import difflib
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.chain.config import CONSENSUS
from node.crypto.suite import SUITE_NAMES
from node.identity.names import REGULATOR_ROLE, ClaimError, check_name, make_claims, shown
from node.network.errors import SpecError
from node.network.toml_text import KeyLines, KeyPath, document

DEFAULT_CONSENSUS = "pbft"  # what a spec without ``consensus`` gets

DEFAULT_CHANNEL = "main"  # the one channel of `--orgs N`
DEFAULT_ROLE = "insurer"  # the role of each organisation of `--orgs N`
ADMIN = "admin"  # the organisation's admin identity, admin@ORG
MAX_ORGS = 64  # each runs a CA and a node process on this one machine
MAX_CHANNELS = 64
MAX_ROLES = 32

_TOP_KEYS = ("suite", "consensus", "orgs", "channels")
_ORG_KEYS = ("name", "roles")
_CHANNEL_KEYS = ("name", "orgs", "regulators")


@dataclass(frozen=True, slots=True)
class IdentitySpec:
    """A client identity of the wallet, or a node's peer identity."""

    name: str
    org: str
    type: str  # admin, client, regulator or peer
    roles: tuple[str, ...]

    @property
    def id(self) -> str:
        return f"{self.name}@{self.org}"


@dataclass(frozen=True, slots=True)
class OrgSpec:
    name: str
    roles: tuple[str, ...] = ()

    @property
    def node(self) -> str:
        return node_name(self.name)


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    name: str
    orgs: tuple[str, ...]  # as the spec lists them
    regulators: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    suite: str
    orgs: tuple[OrgSpec, ...]
    channels: tuple[ChannelSpec, ...]
    consensus: str = DEFAULT_CONSENSUS

    def org(self, name: str) -> OrgSpec:
        return next(o for o in self.orgs if o.name == name)

    def orderer(self, channel: ChannelSpec) -> str:
        """The node that orders `channel`: the first organisation of the spec among its members."""
        return next(o.node for o in self.orgs if o.name in channel.orgs)

    def consenters(self, channel: ChannelSpec) -> tuple[str, ...]:
        """The nodes that order `channel` with PBFT: its members' nodes, in the spec's order."""
        return tuple(o.node for o in self.orgs if o.name in channel.orgs)

    def channels_of(self, org: str) -> tuple[ChannelSpec, ...]:
        return tuple(c for c in self.channels if org in c.orgs)

    def identities(self, org: str) -> tuple[IdentitySpec, ...]:
        """The wallet identities of `org`: its admin first, then one per role."""
        roles = self.org(org).roles
        admin = IdentitySpec(ADMIN, org, "admin", tuple(r for r in roles if r != REGULATOR_ROLE))
        return (admin, *(IdentitySpec(r, org, "regulator" if r == REGULATOR_ROLE else "client", (r,)) for r in roles))

    def peer(self, org: str) -> IdentitySpec:
        return IdentitySpec(node_name(org), org, "peer", ())

    def to_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "consensus": self.consensus,
            "orgs": [{"name": o.name, "roles": list(o.roles)} for o in self.orgs],
            "channels": [{"name": c.name, "orgs": list(c.orgs), "regulators": list(c.regulators)}
                         for c in self.channels],
        }

    def to_toml(self) -> str:
        """The spec in its normal form: every key written, names in NFC; `parse_spec` reads it back."""
        return document(self.to_dict())


def node_name(org: str) -> str:
    return f"peer0-{org.lower()}"


def spec_for_orgs(count: int, suite: str) -> NetworkSpec:
    """`--orgs N`: Org1..OrgN, each with the role insurer, all in the one channel ``main``."""
    if not 1 <= count <= MAX_ORGS:
        raise SpecError("--orgs", "", f"{count} organisations; a network has 1 to {MAX_ORGS}")
    if suite not in SUITE_NAMES:
        raise SpecError("--suite", "", f"{shown(suite)} is not a crypto suite; one of: {', '.join(SUITE_NAMES)}")
    orgs = tuple(OrgSpec(f"Org{i}", (DEFAULT_ROLE,)) for i in range(1, count + 1))
    return NetworkSpec(suite, orgs, (ChannelSpec(DEFAULT_CHANNEL, tuple(o.name for o in orgs)),))


def load_spec(path: Path) -> NetworkSpec:
    """The spec in the file `path`; `SpecError` naming the file for anything else."""
    file = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(file, "", f"cannot read it: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SpecError(file, "", f"the byte 0x{data[exc.start]:02x} is not UTF-8 (a TOML file is UTF-8 text)",
                        line, column) from None
    return parse_spec(text, file)


def parse_spec(text: str, file: str = "network.toml") -> NetworkSpec:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _syntax_error(file, exc) from None
    return _Reader(file, text, data).spec()


def _syntax_error(file: str, exc: tomllib.TOMLDecodeError) -> SpecError:
    message = str(exc)
    found = re.fullmatch(r"(.*) \(at line (\d+), column (\d+)\)", message, re.DOTALL)
    if found is None:
        return SpecError(file, "", f"not valid TOML: {message}")
    problem = found[1][:1].lower() + found[1][1:]
    return SpecError(file, "", f"not valid TOML: {problem}", int(found[2]), int(found[3]))


def _path_text(path: KeyPath) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _kind(value: object) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, str):
        return "text"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return "a date or time"


def _same(table: str, index: int, name: str, other: str) -> str:
    if name == other:
        return f"{shown(name)} is already the name of {table}[{index}]"
    return f"{shown(name)} differs only in case from {table}[{index}].name {shown(other)}"


def _nearest(word: str, choices: tuple[str, ...] | list[str]) -> str | None:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    if not close:
        folded = [c for c in choices if c.casefold() == word.casefold()]
        close = folded[:1]
    return close[0] if close else None


class _Reader:
    """One pass over the parsed TOML, checking each rule of the module docstring in turn."""

    def __init__(self, file: str, text: str, data: dict[str, Any]) -> None:
        self.file = file
        self.data = data
        self.lines = KeyLines(text)

    def fail(self, path: KeyPath, problem: str) -> SpecError:
        return SpecError(self.file, _path_text(path), problem, self.lines.find(path, self.data))

    def keys(self, table: dict[str, Any], path: KeyPath, allowed: tuple[str, ...], required: tuple[str, ...],
             what: str) -> None:
        for key in table:
            if key not in allowed:
                near = _nearest(key, allowed)
                hint = f"did you mean {shown(near)}?" if near else f"the keys of {what} are {', '.join(allowed)}"
                raise self.fail((*path, key), f"unknown key; {hint}")
        for key in required:
            if key not in table:
                raise self.fail(path, f"{what} needs {shown(key)} (its keys: {', '.join(allowed)})")

    def text(self, value: object, path: KeyPath, what: str) -> str:
        if not isinstance(value, str):
            raise self.fail(path, f"expected {what} as text, got {_kind(value)}")
        return value

    def name(self, value: object, path: KeyPath, what: str) -> str:
        try:
            return check_name(what, self.text(value, path, what))
        except ClaimError as exc:
            raise self.fail(path, str(exc)) from None

    def tables(self, value: object, path: KeyPath, what: str, most: int) -> list[dict[str, Any]]:
        header = _path_text(path)
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(path, f"expected {what}s, each a [[{header}]] table, got {_kind(value)}")
        if not value:
            raise self.fail(path, f"a network needs at least one {what}")
        if len(value) > most:
            raise self.fail(path, f"{len(value)} {what}s; at most {most}")
        return value

    def names(self, value: object, path: KeyPath, what: str) -> list[tuple[str, KeyPath]]:
        """An array of names, each with its path, every one once."""
        if not isinstance(value, list):
            raise self.fail(path, f"expected an array of {what} names, got {_kind(value)}")
        out: list[tuple[str, KeyPath]] = []
        for i, item in enumerate(value):
            name = self.name(item, (*path, i), what)
            if name in (n for n, _ in out):
                raise self.fail((*path, i), f"{shown(name)} is listed twice")
            out.append((name, (*path, i)))
        return out

    def spec(self) -> NetworkSpec:
        data = self.data
        self.keys(data, (), _TOP_KEYS, ("suite", "orgs", "channels"), "a network spec")
        suite = self.text(data["suite"], ("suite",), "the crypto suite")
        if suite not in SUITE_NAMES:
            near = _nearest(suite, SUITE_NAMES)
            hint = f"; did you mean {shown(near)}?" if near else ""
            raise self.fail(("suite",), f"{shown(suite)} is not a crypto suite; one of: {', '.join(SUITE_NAMES)}{hint}")
        consensus = self.text(data.get("consensus", DEFAULT_CONSENSUS), ("consensus",), "the consensus")
        if consensus not in CONSENSUS:
            raise self.fail(("consensus",), f"{shown(consensus)} is not available; one of: {', '.join(CONSENSUS)}")
        orgs = self.orgs(data["orgs"])
        channels = self.channels(data["channels"], orgs)
        self.regulator_roles(orgs, channels)
        return NetworkSpec(suite, tuple(orgs), tuple(channels), consensus)

    def orgs(self, value: object) -> list[OrgSpec]:
        out: list[OrgSpec] = []
        for i, table in enumerate(self.tables(value, ("orgs",), "organisation", MAX_ORGS)):
            where: KeyPath = ("orgs", i)
            self.keys(table, where, _ORG_KEYS, ("name",), "an organisation")
            name = self.name(table["name"], (*where, "name"), "organisation")
            for j, other in enumerate(out):
                if other.name.casefold() == name.casefold():
                    raise self.fail((*where, "name"), _same("orgs", j, name, other.name)
                                    + "; each organisation has its own folder and node name")
            try:
                check_name("the name of its node", node_name(name))
            except ClaimError as exc:
                raise self.fail((*where, "name"), str(exc)) from None
            out.append(OrgSpec(name, self.roles(table.get("roles", []), (*where, "roles"))))
        return out

    def roles(self, value: object, path: KeyPath) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(path, f"expected an array of role names, got {_kind(value)}")
        if len(value) > MAX_ROLES:
            raise self.fail(path, f"{len(value)} roles; at most {MAX_ROLES}")
        roles: list[str] = []
        for i, item in enumerate(value):
            role = self.text(item, (*path, i), "a role")
            try:
                make_claims([role], {})
            except ClaimError as exc:
                raise self.fail((*path, i), str(exc)) from None
            if role == ADMIN:
                raise self.fail((*path, i), f"{shown(ADMIN)} is not a role: every organisation has its admin "
                                f"identity admin@ORG; name the party role it acts in instead")
            if role in roles:
                raise self.fail((*path, i), f"{shown(role)} is listed twice")
            roles.append(role)
        return tuple(roles)

    def channels(self, value: object, orgs: list[OrgSpec]) -> list[ChannelSpec]:
        known = [o.name for o in orgs]
        out: list[ChannelSpec] = []
        for i, table in enumerate(self.tables(value, ("channels",), "channel", MAX_CHANNELS)):
            where: KeyPath = ("channels", i)
            self.keys(table, where, _CHANNEL_KEYS, ("name", "orgs"), "a channel")
            name = self.name(table["name"], (*where, "name"), "channel")
            for j, other in enumerate(out):
                if other.name.casefold() == name.casefold():
                    raise self.fail((*where, "name"), _same("channels", j, name, other.name)
                                    + "; each channel has its own genesis file")
            members = self.names(table["orgs"], (*where, "orgs"), "organisation")
            if not members:
                raise self.fail((*where, "orgs"), "a channel needs at least one member organisation")
            for org, path in members:
                if org not in known:
                    raise self.fail(path, self.not_an_org(org, known))
            member_names = [m for m, _ in members]
            regulators = self.names(table.get("regulators", []), (*where, "regulators"), "organisation")
            for org, path in regulators:
                if org not in known:
                    raise self.fail(path, self.not_an_org(org, known))
                if org not in member_names:
                    raise self.fail(path, f"{shown(org)} is not a member of this channel; a regulator is a member "
                                    f"(it runs a node that keeps the channel): add it to channels[{i}].orgs")
            out.append(ChannelSpec(name, tuple(member_names), tuple(r for r, _ in regulators)))
        return out

    def not_an_org(self, org: str, known: list[str]) -> str:
        near = _nearest(org, known)
        hint = f"; did you mean {shown(near)}?" if near else ""
        return f"{shown(org)} is not an organisation of the network ({', '.join(known)}){hint}"

    def regulator_roles(self, orgs: list[OrgSpec], channels: list[ChannelSpec]) -> None:
        regulators = {r for c in channels for r in c.regulators}
        for i, org in enumerate(orgs):
            if org.name in regulators and REGULATOR_ROLE not in org.roles:
                j = next(j for j, c in enumerate(channels) if org.name in c.regulators)
                raise self.fail(("orgs", i, "roles"), f"channels[{j}] names {shown(org.name)} a regulator, so it "
                                f"needs the role {shown(REGULATOR_ROLE)} (its client regulator@{org.name} reads as a "
                                "regulator)")
            if REGULATOR_ROLE in org.roles and org.name not in regulators:
                where = ("orgs", i, "roles", org.roles.index(REGULATOR_ROLE))
                raise self.fail(where, f"only an organisation that a channel names among its regulators may hold "
                                f"the role {shown(REGULATOR_ROLE)}; no channel names {shown(org.name)}")
