"""Configuration updates: a new channel configuration (a new CRL, a new member, other block
sizes), signed by the admins of a majority of the member organisations, ordered like any
transaction so that every peer applies it at the same height.

Wire form (the body of a block's ``config`` item after the genesis block):

    {"config": C, "signatures": [[admin certificate DER, signature], ...]}

each signature over ``[CONFIG_TAG, hash(C)]`` (`node.tx.signing`'s convention), by an identity
of type admin of a member organisation, current under the configuration in force before the
update. C must name the same channel, suite and orderer, and the next sequence number: two updates
prepared against one configuration cannot both apply. One admin per organisation counts, and
admins of more than half of the member organisations must sign (a majority of the members
before the update: the organisations in force decide, including on adding or removing one).

C must also be usable as it stands: every root a self-signed CA certificate of the channel's
suite, every CRL signed by the root of the organisation it is listed under, and no CRL older
(a lower CRL number) than the newest one in force for that organisation: a CA's CRL lists every
certificate it ever revoked, so an older list would quietly un-revoke the ones revoked since.
(Leaving an organisation's CRLs out altogether is allowed: that is a decision, not an accident.)

An update's id is the suite hash of its bytes (`update_id`): the validator indexes it like a tx
id, so a client reads its status (VALID, or CONFIG_REFUSED with the reason) as a transaction's.
Where it comes from: `node.client` builds C from the configuration in force (`ChannelConfig.
with_changes`), gathers the admins' signatures (`sign_config`), and submits `encode_update`'s
bytes to a node (``POST /api/v1/channels/{ch}/config``), which hands them to the orderer as a
block item of kind ``config``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from node import codec
from node.chain.config import CONFIG_MAX_BYTES, ChannelConfig, ConfigError, decode_config
from node.crypto import CryptoSuite
from node.crypto.suite import PrivateKey
from node.identity import Certificate, CertificateError, IdentityRefused, RevocationList, check_identity
from node.tx import wire
from node.tx.errors import TxFormatError
from node.tx.signing import signed_message

CONFIG_TAG = "baochain/config/1"
ADMIN_TYPE = "admin"
SIGNATURES_MAX = 256
# The configuration and its signatures: an admin's certificate is under 1 KiB (a Baochain
# certificate is ~600 bytes), so 256 of them with their signatures fit in 256 KiB.
UPDATE_MAX_BYTES = CONFIG_MAX_BYTES + 256 * 1024


class ConfigUpdateError(ValueError):
    """A configuration update that cannot apply (the message says why)."""


def config_message(suite: CryptoSuite, config_bytes: bytes) -> bytes:
    return signed_message(CONFIG_TAG, suite.hash(config_bytes))


def sign_config(suite: CryptoSuite, key: PrivateKey, config_bytes: bytes) -> bytes:
    """An admin's signature over a proposed configuration."""
    return suite.sign(key, config_message(suite, config_bytes))


def encode_update(config_bytes: bytes, signatures: Sequence[tuple[bytes, bytes]]) -> bytes:
    return codec.encode({"config": config_bytes, "signatures": [[c, s] for c, s in signatures]})


def update_id(suite: CryptoSuite, body: bytes) -> bytes:
    """The update's id: the suite hash of its bytes."""
    return suite.hash(body)


def decode_update(body: bytes) -> tuple[ChannelConfig, bytes, list[list[Any]]]:
    """The proposed configuration, its bytes, and the [certificate, signature] pairs, read but
    not checked against any channel; `ConfigUpdateError` naming the field otherwise."""
    try:
        m = wire.fields(wire.decode(body, "update", UPDATE_MAX_BYTES), "update", ("config", "signatures"))
        data = wire.blob(m["config"], "update.config", 1, CONFIG_MAX_BYTES)
        pairs = [wire.array(p, f"update.signatures[{i}]", 2)
                 for i, p in enumerate(wire.array(m["signatures"], "update.signatures", SIGNATURES_MAX))]
        return decode_config(data), data, pairs
    except (TxFormatError, ConfigError) as exc:
        raise ConfigUpdateError(str(exc)) from None


def check_config_update(current: ChannelConfig, suite: CryptoSuite, body: bytes,
                        at: datetime) -> tuple[ChannelConfig, bytes]:
    """The new configuration and its bytes, if ``body`` is an update the current one accepts."""
    new, data, pairs = decode_update(body)
    if new.name != current.name or new.suite != current.suite:
        raise ConfigUpdateError("an update may not rename the channel or change its suite")
    if new.consensus != current.consensus:
        raise ConfigUpdateError(f"an update may not change the consensus ({current.consensus})")
    if new.orderer != current.orderer:
        raise ConfigUpdateError(f"an update may not move the solo orderer ({current.orderer}): "
                                "it runs where the genesis block put it")
    if new.sequence != current.sequence + 1:
        raise ConfigUpdateError(f"the update replaces configuration {new.sequence - 1}, "
                                f"but {current.sequence} is in force")
    message = config_message(suite, data)
    orgs: set[str] = set()
    for i, pair in enumerate(pairs):
        if len(pair) != 2 or type(pair[0]) is not bytes or type(pair[1]) is not bytes:
            raise ConfigUpdateError(f"update.signatures[{i}]: expected [certificate, signature]")
        try:
            who = check_identity(Certificate.load(pair[0]), current.trust(), at=at)
        except (CertificateError, IdentityRefused) as exc:
            raise ConfigUpdateError(f"update.signatures[{i}]: {exc}") from None
        if who.type != ADMIN_TYPE:
            raise ConfigUpdateError(f"update.signatures[{i}]: {who.name} of {who.org} is not an admin")
        if not who.verify_signature(message, pair[1]):
            raise ConfigUpdateError(f"update.signatures[{i}]: the signature does not verify")
        orgs.add(who.org)
    need = len(current.members) // 2 + 1
    if len(orgs) < need:
        raise ConfigUpdateError(f"signed by admins of {len(orgs)} member organisation(s); {need} of "
                                f"{len(current.members)} are needed")
    _check_usable(current, new, at)
    return new, data


def _check_usable(current: ChannelConfig, new: ChannelConfig, at: datetime) -> None:
    """Roots and CRLs that `check_identity` can use, no CRL older than the one in force, and
    consenters that are peers of member organisations."""
    try:
        new.trust()
    except ConfigError as exc:
        raise ConfigUpdateError(f"the new configuration cannot be used: {exc}") from None
    check_consenters(new, at)
    for org in new.orgs:
        root = Certificate.load(org.root)
        if root.subject.org != org.name:
            raise ConfigUpdateError(f"the root listed for {org.name} is the CA of {root.subject.org}")
        lists = [RevocationList.load(c) for c in org.crls]
        for crl in lists:
            if not crl.signed_by(root):
                raise ConfigUpdateError(f"a CRL listed for {org.name} (number {crl.number}) is not signed by "
                                        f"{org.name}'s root")
        before = current.org(org.name)
        if lists and before is not None and before.crls:
            newest = max(RevocationList.load(c).number for c in before.crls)
            if max(crl.number for crl in lists) < newest:
                raise ConfigUpdateError(f"the CRL for {org.name} is number {max(c.number for c in lists)}, older "
                                        f"than number {newest} in force: it would un-revoke what was revoked since")


def check_consenters(config: ChannelConfig, at: datetime) -> None:
    """Every consenter of a PBFT channel is a current peer identity of a member organisation
    (`ConfigUpdateError` naming the one that is not)."""
    for i, der in enumerate(config.consenters):
        try:
            who = check_identity(Certificate.load(der), config.trust(), at=at)
        except (CertificateError, IdentityRefused) as exc:
            raise ConfigUpdateError(f"config.consenters[{i}]: {exc}") from None
        if who.type != "peer":
            raise ConfigUpdateError(f"config.consenters[{i}]: {who.name} of {who.org} is a {who.type}, not a peer")
