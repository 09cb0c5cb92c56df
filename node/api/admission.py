"""What the API checks of an envelope or a configuration update before it hands it to the orderer
(`node.api.app`'s submit routes): enough that a malformed or plainly refused one is answered at
once and never takes a place in a block.

- An envelope: its form, every signature, its channel, that its tx id is not recorded, the
  creator's identity (against the channel's trust now) and the timestamp window. What depends
  on the order (the policy at the block's configuration, MVCC) is validation's.
- A configuration update: its form, its channel, and that its id is not recorded. Its
  signatures, sequence, roots and CRLs are decided at validation, against the configuration in
  force where it is ordered, and the outcome (VALID or CONFIG_REFUSED with why) is recorded in
  the block for the client to read: checking them here too would only answer the same question
  against a configuration that may change before the update is ordered.

Each refusal is an `ApiError` (`node.api.errors`) whose code names the reason.
"""

from __future__ import annotations

from datetime import datetime, timezone

from node.api.errors import refusal
from node.chain.channel import Channel
from node.chain.update import ConfigUpdateError, decode_update, update_id
from node.identity import IdentityRefused, check_identity
from node.tx.clock import check_timestamp
from node.tx.envelope import verify_envelope
from node.tx.errors import SignatureError, TimestampError, TxFormatError


def admit_update(channel: Channel, body: bytes) -> bytes:
    """The update's id, if it is one for ``channel`` that is not recorded; `ApiError` otherwise."""
    try:
        new, _, _ = decode_update(body)
    except ConfigUpdateError as exc:
        raise refusal("malformed", f"not a configuration update: {exc}") from None
    if new.name != channel.name:
        raise refusal("channel", f"the update is for channel {new.name!r}, not {channel.name!r}")
    ident = update_id(channel.suite, body)
    recorded = channel.transaction(ident)
    if recorded is not None:
        raise refusal("duplicate", f"configuration update {ident.hex()} is recorded already, in block "
                      f"{recorded.block} as {recorded.code.name}")
    return ident


def admit_envelope(channel: Channel, body: bytes, now: int) -> bytes:
    """The envelope's tx id, if it may be ordered on ``channel`` now; `ApiError` naming why not."""
    try:
        env = verify_envelope(channel.suite, body)
    except TxFormatError as exc:
        raise refusal("malformed", str(exc)) from None
    except SignatureError as exc:
        raise refusal("bad-signature", str(exc)) from None
    config = channel.config
    p = env.envelope.proposal
    if p.channel != config.name:
        raise refusal("channel", f"the transaction is for channel {p.channel!r}, not {config.name!r}")
    recorded = channel.transaction(env.tx_id)
    if recorded is not None:
        raise refusal("duplicate", f"transaction {env.tx_id.hex()} is recorded already, in block {recorded.block} "
                      f"as {recorded.code.name}")
    try:
        check_timestamp(p.timestamp_ms, now, config.clock_skew_ms)
    except TimestampError as exc:
        raise refusal("expired", str(exc)) from None
    try:
        check_identity(env.creator, config.trust(), role=p.role, at=datetime.fromtimestamp(now / 1000, tz=timezone.utc))
    except IdentityRefused as exc:
        raise refusal("identity", f"the creator's certificate is refused: {exc}") from None
    return env.tx_id
