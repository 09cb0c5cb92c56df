"""Configuration updates: a new channel configuration (a new CRL, a new member, other block
sizes), signed by the admins of a majority of the member organisations, ordered like any
transaction so that every peer applies it at the same height.

Wire form (the body of a block's ``config`` item after the genesis block):

    {"config": C, "signatures": [[admin certificate DER, signature], ...]}

each signature over ``[CONFIG_TAG, hash(C)]`` (`node.tx.signing`'s convention), by an identity
of type admin of a member organisation, current under the configuration in force before the
update. C must name the same channel and suite, and the next sequence number: two updates
prepared against one configuration cannot both apply. One admin per organisation counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from node import codec
from node.chain.config import CONFIG_MAX_BYTES, ChannelConfig, ConfigError, decode_config
from node.crypto import CryptoSuite
from node.crypto.suite import PrivateKey
from node.identity import Certificate, CertificateError, IdentityRefused, check_identity
from node.tx import wire
from node.tx.errors import TxFormatError
from node.tx.signing import signed_message

CONFIG_TAG = "baochain/config/1"
ADMIN_TYPE = "admin"
SIGNATURES_MAX = 256


class ConfigUpdateError(ValueError):
    """A configuration update that cannot apply (the message says why)."""


def config_message(suite: CryptoSuite, config_bytes: bytes) -> bytes:
    return signed_message(CONFIG_TAG, suite.hash(config_bytes))


def sign_config(suite: CryptoSuite, key: PrivateKey, config_bytes: bytes) -> bytes:
    """An admin's signature over a proposed configuration."""
    return suite.sign(key, config_message(suite, config_bytes))


def encode_update(config_bytes: bytes, signatures: Sequence[tuple[bytes, bytes]]) -> bytes:
    return codec.encode({"config": config_bytes, "signatures": [[c, s] for c, s in signatures]})


def check_config_update(current: ChannelConfig, suite: CryptoSuite, body: bytes,
                        at: datetime) -> tuple[ChannelConfig, bytes]:
    """The new configuration and its bytes, if ``body`` is an update the current one accepts."""
    try:
        m = wire.fields(wire.decode(body, "update", CONFIG_MAX_BYTES + 64 * 1024), "update", ("config", "signatures"))
        data = wire.blob(m["config"], "update.config", 1, CONFIG_MAX_BYTES)
        pairs = [wire.array(p, f"update.signatures[{i}]", 2)
                 for i, p in enumerate(wire.array(m["signatures"], "update.signatures", SIGNATURES_MAX))]
        new = decode_config(data)
    except (TxFormatError, ConfigError) as exc:
        raise ConfigUpdateError(str(exc)) from None
    if new.name != current.name or new.suite != current.suite:
        raise ConfigUpdateError("an update may not rename the channel or change its suite")
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
    return new, data
