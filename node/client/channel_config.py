"""A channel's configuration, as a client reads and changes it (`node.chain.update` is the rule).

    network = gateway.network("claims")
    network.config()                                         # the ChannelConfig in force
    done = network.update_config({"crls": {"Org2": crl_der}, "block_max_tx": 50},
                                 [admin_of_org1, admin_of_org3])
    done.tx_id, done.block, done.sequence

How an update goes: read the configuration in force from a live node (``GET .../config``: its
bytes, which the client decodes itself), build the next one (the changes applied, the sequence
advanced), have each signer sign it (`node.chain.update.sign_config`), submit the update through
any live node (``POST .../config``), and wait for its commit: the update's id is read like a tx
id. The nodes decide: an update without the signatures of admins of a majority of the members,
or prepared against a configuration that another update replaced meanwhile, commits as
CONFIG_REFUSED and raises `TransactionFailed` with the reason. Nothing is retried: the
signatures are over one configuration, and a changed one needs the admins' word again.

Changes, by name:

    "crls": {ORG: CRL DER or [CRL DER, ...]}    replaces those organisations' CRLs (a CA's
                                                newest CRL lists everything it revoked)
    "block_max_tx", "block_timeout_ms", "gas_limit", "clock_skew_ms", "tz_offset_minutes": int
    "orgs": (OrgConfig, ...), "regulators": (ORG, ...)       the member list as a whole
    "consenters": (peer certificate DER, ...)   PBFT's replicas as a whole (a node joins or leaves)

The name, suite, orderer and sequence are not changes a client makes. Values are checked by
encoding the new configuration (`node.chain.config`), which names the field that is out of range.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from node.chain.config import DEFAULTS, ChannelConfig, ConfigError, OrgConfig, decode_config, encode_config
from node.chain.update import encode_update, sign_config
from node.client.errors import ClientError, TransactionFailed
from node.client.wallet import Identity
from node.tx.codes import ValidationCode

if TYPE_CHECKING:
    from node.client.session import ChannelSession as Network

CHANGEABLE = ("crls", "orgs", "regulators", "consenters", *DEFAULTS)


@dataclass(frozen=True, slots=True)
class ConfigUpdated:
    """A configuration update that committed VALID: its id, where, and the sequence now in force."""

    tx_id: str
    block: int
    index: int
    sequence: int

    def to_json(self) -> dict[str, Any]:
        return {"tx_id": self.tx_id, "code": ValidationCode.VALID.name, "block": self.block,
                "sequence": self.sequence}


def read_config(network: Network) -> tuple[ChannelConfig, bytes, dict[str, Any]]:
    """The configuration in force, its bytes, and the node's JSON view of it."""
    answer, node = network.read("GET", "/config", f"read the configuration of {network.name!r}")
    try:
        data = base64.b64decode(answer["config"], validate=True)
        config = decode_config(data)
    except (KeyError, TypeError, binascii.Error, ValueError) as exc:
        raise ClientError(f"{node} sent a configuration that cannot be read: {exc}") from None
    if config.name != network.name:
        raise ClientError(f"{node} sent the configuration of channel {config.name!r} for {network.name!r}")
    return config, data, answer


def next_config(current: ChannelConfig, changes: Mapping[str, Any]) -> ChannelConfig:
    """``current`` with ``changes`` (see the module docstring) and the next sequence number."""
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise ClientError(f"cannot change {', '.join(unknown)} of a channel's configuration; the changes are: "
                          + ", ".join(CHANGEABLE))
    fields = {k: v for k, v in changes.items() if k != "crls"}
    if "crls" in changes:
        fields["orgs"] = with_crls(tuple(fields.get("orgs", current.orgs)), changes["crls"], current.name)
    if "orgs" in fields:
        fields["orgs"] = tuple(fields["orgs"])
    for key in ("regulators", "consenters"):
        if key in fields:
            fields[key] = tuple(fields[key])
    return current.with_changes(**fields)


def with_crls(orgs: tuple[OrgConfig, ...], crls: Mapping[str, bytes | Sequence[bytes]],
              channel: str) -> tuple[OrgConfig, ...]:
    """``orgs`` with the CRLs of the organisations ``crls`` names replaced."""
    names = {o.name for o in orgs}
    for org in crls:
        if org not in names:
            raise ClientError(f"{org} is not a member of {channel} (its members: {', '.join(sorted(names))})")
    out = []
    for o in orgs:
        given = crls.get(o.name)
        if given is None:
            out.append(o)
        else:
            out.append(replace(o, crls=(given,) if isinstance(given, bytes) else tuple(given)))
    return tuple(out)


def update_config(network: Network, changes: Mapping[str, Any], signers: Sequence[Identity],
                  timeout_s: float | None = None) -> ConfigUpdated:
    """Build, sign, submit and await a configuration update (see the module docstring)."""
    if not signers:
        raise ClientError("a configuration update needs the signatures of member organisations' admins: "
                          "give at least one signer")
    current, _, _ = read_config(network)
    new = next_config(current, changes)
    try:
        data = encode_config(new)
    except ConfigError as exc:
        raise ClientError(f"the new configuration of {network.name} cannot be used: {exc}") from None
    suite = network.gateway.suite
    signatures = []
    for who in signers:
        if who.suite.name != suite.name:
            raise ClientError(f"{who.label} holds a {who.suite.name} key; channel {network.name} signs with "
                              f"{suite.name}")
        signatures.append((who.der, sign_config(suite, who.key, data)))
    body = encode_update(data, signatures)
    ident = suite.hash(body).hex()

    tx, node = network.hand_over("/config", body, ident, f"submit a configuration update of {network.name!r}")
    status = network.wait(tx, timeout_s, prefer=node.name)
    assert status.code is not None and status.block is not None and status.index is not None
    if status.code is not ValidationCode.VALID:
        raise TransactionFailed(status)
    return ConfigUpdated(tx, status.block, status.index, new.sequence)
