"""A channel's configuration: who its members are, which crypto it uses, how it cuts blocks.

The genesis block (block 0) holds the first configuration; a configuration transaction signed by
a majority of the member organisations' admins replaces it later (a new CRL, a new member), and
every peer applies the replacement at the same height, because it is ordered like any other
transaction. The configuration in force is also kept in the channel's state (`CONFIG_KEY`), so
the state hash commits to it.

Wire form (`node.codec`), one map:

    {"format": 1, "name": channel, "suite": "gm" | "intl", "sequence": int,
     "orgs": [{"name": org, "root": CA certificate DER, "crls": [CRL DER, ...]}, ...],
     "regulators": [org, ...],                  -- orgs whose CAs issue regulator identities
     "consensus": "solo", "orderer": node name, -- the node that orders (solo), or
     "consensus": "pbft", "consenters": [peer certificate DER, ...],   -- the replicas (PBFT)
     "block_max_tx": int, "block_timeout_ms": int, "gas_limit": int,
     "clock_skew_ms": int, "tz_offset_minutes": int}

Choices, each with its reason:
- Regulator organisations are members like the others (they run nodes that endorse and keep the
  ledger); what sets them apart is that only their CAs issue identities with the regulator role
  (`node.identity.ChannelTrust`), whose clients read but never invoke.
- Organisations are sorted by name and every name follows the project's one name rule
  (`node.identity.names.check_name`): one configuration, one encoding.
- ``sequence`` counts configuration changes: a configuration transaction names the sequence it
  replaces, so two changes prepared against the same configuration cannot both apply.
- PBFT's replicas are named by their peer certificates, not only their names: every replica
  checks every other's signatures on consensus messages and commit proofs, so the keys must be
  agreed on as the configuration is, and a joining node learns them from the chain itself. Their
  order is the order of primaries (view v's primary is the v mod n-th). A configuration update
  changes them (a node joins or leaves); the replicas switch to the new set after the block
  that carries the update (`node.order.pbft_orderer`).
- Defaults (`DEFAULTS`) are what `baochain network init` writes; a channel may set each.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from node import codec
from node.identity import Certificate, CertificateError, ChannelTrust, RevocationList, TrustError
from node.tx import wire
from node.tx.errors import TxFormatError

FORMAT = 1
CONFIG_KEY = b"\x00config"  # where the state keeps the configuration in force
CONFIG_MAX_BYTES = 4 * 1024 * 1024
ORGS_MAX = 256
CRLS_MAX = 64
CONSENSUS = ("solo", "pbft")
CONSENTERS_MAX = 64

DEFAULTS: dict[str, int] = {
    "block_max_tx": 100,  # a block is cut at this many transactions ...
    "block_timeout_ms": 100,  # ... or this long after its first one arrived
    "gas_limit": 20_000_000,  # per call; about a second of the worst program (bench/gas.py)
    "clock_skew_ms": 5 * 60_000,  # a proposal's timestamp may be this far from a node's clock
    "tz_offset_minutes": 480,  # `today` is taken in UTC+08:00 (LANGUAGE.md section 5)
}
_BOUNDS: dict[str, tuple[int, int]] = {
    "block_max_tx": (1, 10_000),
    "block_timeout_ms": (1, 60_000),
    "gas_limit": (1_000, 10**12),
    "clock_skew_ms": (1_000, 24 * 3_600_000),
    "tz_offset_minutes": (0, 2 * 14 * 60),  # stored offset by +14 h: the codec's ints are fine, but a
}                                          # negative zone must not be a negative field (see below)
_TZ_BIAS = 14 * 60


class ConfigError(ValueError):
    """A channel configuration that cannot be used (the message names the field)."""


@dataclass(frozen=True, slots=True)
class OrgConfig:
    name: str
    root: bytes  # the organisation's CA certificate, DER, in the channel's suite
    crls: tuple[bytes, ...] = ()  # its CRLs, DER


@dataclass(frozen=True, slots=True)
class ChannelConfig:
    name: str
    suite: str
    orgs: tuple[OrgConfig, ...]
    orderer: str = ""  # solo: the node that orders
    regulators: tuple[str, ...] = ()
    consensus: str = "solo"
    consenters: tuple[bytes, ...] = ()  # pbft: the replicas' peer certificates, DER, in primary order
    sequence: int = 0
    block_max_tx: int = DEFAULTS["block_max_tx"]
    block_timeout_ms: int = DEFAULTS["block_timeout_ms"]
    gas_limit: int = DEFAULTS["gas_limit"]
    clock_skew_ms: int = DEFAULTS["clock_skew_ms"]
    tz_offset_minutes: int = DEFAULTS["tz_offset_minutes"]
    _trust: list = field(default_factory=list, compare=False, repr=False)  # memo of `trust()`

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(o.name for o in self.orgs)

    @property
    def replicas(self) -> tuple[str, ...]:
        """The names of the nodes that order this channel (PBFT's replicas, or the solo orderer)."""
        if self.consensus != "pbft":
            return (self.orderer,)
        return tuple(Certificate.load(c).subject.name for c in self.consenters)

    def org(self, name: str) -> OrgConfig | None:
        for o in self.orgs:
            if o.name == name:
                return o
        return None

    def trust(self) -> ChannelTrust:
        """The roots and CRLs `check_identity` checks certificates against on this channel."""
        if not self._trust:
            try:
                roots = [Certificate.load(o.root) for o in self.orgs]
                crls = [RevocationList.load(c) for o in self.orgs for c in o.crls]
                self._trust.append(ChannelTrust.build(self.suite, roots, crls, regulator_orgs=self.regulators))
            except (CertificateError, TrustError, ValueError) as exc:
                raise ConfigError(f"channel {self.name}: {exc}") from None
        return self._trust[0]

    def with_changes(self, **changes: Any) -> ChannelConfig:
        """The next configuration: `changes` applied and the sequence advanced."""
        return replace(self, sequence=self.sequence + 1, _trust=[], **changes)


def encode_config(c: ChannelConfig) -> bytes:
    out: dict[str, Any] = {
        "format": FORMAT, "name": c.name, "suite": c.suite, "sequence": c.sequence,
        "orgs": [{"name": o.name, "root": o.root, "crls": list(o.crls)} for o in c.orgs],
        "regulators": list(c.regulators), "consensus": c.consensus,
    }
    if c.consensus == "pbft":
        out["consenters"] = list(c.consenters)
    else:
        out["orderer"] = c.orderer
    for key in DEFAULTS:
        out[key] = getattr(c, key)
    out["tz_offset_minutes"] += _TZ_BIAS
    data = codec.encode(out)
    decode_config(data)  # what is written is what a node reads back
    return data


def decode_config(data: bytes) -> ChannelConfig:
    """The configuration `data` encodes; `ConfigError` naming the field for anything else."""
    try:
        return _read(wire.decode(data, "config", CONFIG_MAX_BYTES))
    except TxFormatError as exc:
        raise ConfigError(str(exc)) from None


def _read(value: object) -> ChannelConfig:
    m = wire.fields(value, "config", ("format", "name", "suite", "sequence", "orgs", "regulators", "consensus",
                                      *DEFAULTS), ("orderer", "consenters"))
    if m["format"] != FORMAT:
        raise TxFormatError("config.format", f"format {m['format']!r} is not one this node reads ({FORMAT})")
    suite = m["suite"]
    if suite not in ("gm", "intl"):
        raise TxFormatError("config.suite", f"expected gm or intl, got {suite!r}")
    orgs = []
    for i, o in enumerate(wire.array(m["orgs"], "config.orgs", ORGS_MAX)):
        where = f"config.orgs[{i}]"
        f = wire.fields(o, where, ("name", "root", "crls"))
        crls = tuple(wire.blob(c, f"{where}.crls[{j}]", 1, CONFIG_MAX_BYTES)
                     for j, c in enumerate(wire.array(f["crls"], f"{where}.crls", CRLS_MAX)))
        orgs.append(OrgConfig(wire.name(f["name"], f"{where}.name", "organisation"),
                              wire.blob(f["root"], f"{where}.root", 1, CONFIG_MAX_BYTES), crls))
    names = [o.name for o in orgs]
    if not orgs:
        raise TxFormatError("config.orgs", "a channel needs at least one member organisation")
    if names != sorted(set(names)):
        raise TxFormatError("config.orgs", "organisations must be sorted by name, each once")
    regulators = [wire.name(r, f"config.regulators[{i}]", "organisation")
                  for i, r in enumerate(wire.array(m["regulators"], "config.regulators", ORGS_MAX))]
    if regulators != sorted(set(regulators)) or not set(regulators) <= set(names):
        raise TxFormatError("config.regulators", "regulators must be member organisations, sorted, each once")
    if m["consensus"] not in CONSENSUS:
        raise TxFormatError("config.consensus", f"expected one of {', '.join(CONSENSUS)}, got {m['consensus']!r}")
    consenters: tuple[bytes, ...] = ()
    orderer = ""
    if m["consensus"] == "pbft":
        if "orderer" in m or "consenters" not in m:
            raise TxFormatError("config.consenters", "a pbft channel names its consenters (and no solo orderer)")
        consenters = tuple(wire.blob(c, f"config.consenters[{i}]", 1, CONFIG_MAX_BYTES)
                           for i, c in enumerate(wire.array(m["consenters"], "config.consenters", CONSENTERS_MAX)))
        _check_consenters(consenters, suite)
    else:
        if "consenters" in m or "orderer" not in m:
            raise TxFormatError("config.orderer", "a solo channel names its orderer (and no consenters)")
        orderer = wire.name(m["orderer"], "config.orderer", "node")
    numbers: dict[str, Any] = {}
    for key, (low, high) in _BOUNDS.items():
        numbers[key] = wire.counter(m[key], f"config.{key}", low, high)
    numbers["tz_offset_minutes"] -= _TZ_BIAS
    return ChannelConfig(
        name=wire.name(m["name"], "config.name", "channel"), suite=suite, orgs=tuple(orgs),
        orderer=orderer, consenters=consenters, regulators=tuple(regulators),
        consensus=m["consensus"], sequence=wire.counter(m["sequence"], "config.sequence"), **numbers)


def _check_consenters(consenters: tuple[bytes, ...], suite: str) -> None:
    """At least one, each a certificate of the channel's suite, no name twice (a replica's name
    is its certificate's subject name)."""
    if not consenters:
        raise TxFormatError("config.consenters", "a pbft channel needs at least one consenter")
    names: set[str] = set()
    for i, der in enumerate(consenters):
        try:
            cert = Certificate.load(der)
        except CertificateError as exc:
            raise TxFormatError(f"config.consenters[{i}]", str(exc)) from None
        if cert.suite_name != suite:
            raise TxFormatError(f"config.consenters[{i}]", f"a {cert.suite_name} certificate on a {suite} channel")
        if cert.subject.name in names:
            raise TxFormatError(f"config.consenters[{i}]", f"{cert.subject.name} is a consenter twice")
        names.add(cert.subject.name)
