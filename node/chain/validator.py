"""Validation, the last of a transaction's three steps: decide each transaction of an ordered block,
in block order, against the state as the transactions before it left it.

`validate(block, ...)` returns one `node.tx.ValidationCode` per item and the state changes of the
valid ones; it reads the committed state and never writes (`node.chain.channel` commits). The
checks, in the order a code is chosen (the first that fails names the code):

1. BAD_PAYLOAD — the item's bytes are not a canonical envelope (or config update);
2. BAD_SIGNATURE — the creator's or an endorser's signature does not verify, or the
   endorsements are for another proposal;
3. WRONG_CHANNEL; DUPLICATE_TXID — the tx id is committed already, or earlier in this block
   (a tx id commits at most once: the first occurrence keeps it);
4. EXPIRED — the proposal's timestamp is outside the channel's window of the block's time;
5. CREATOR_REFUSED — the creator is not a current member identity with the role (at the block's
   time, against the configuration in force: a CRL ordered earlier refuses it);
6. UNKNOWN_CONTRACT; ENDORSEMENT_POLICY_FAILURE — the endorsers that are current member
   identities of type peer do not meet the contract's policy (for a deploy, its own policy);
7. CONTRACT_ABORT — the endorsed result is an abort: recorded with its message, nothing changes;
8. MVCC_READ_CONFLICT — a key read has another version now; PHANTOM_READ_CONFLICT — a scanned
   prefix holds other keys or versions now; CONTRACT_EXISTS — a first deploy whose name was
   taken meanwhile, or a deploy of a version the contract has (or had);
9. UPGRADE_NOT_APPROVED — a deploy over a deployed contract (an upgrade) whose approvals do not
   come from current admins of a majority of the members, at the block's time, against the
   configuration in force (`node.chain.upgrade`: the endorsers' rule, checked again);
10. DELTA_FAILED — an amount added with `+=` cannot be added to the value at commit;
11. VALID — its writes and deltas apply, each key stamped with the version (block, index).

A valid deploy's contract record gets the block's number into its newest history entry (the
endorsers wrote 0: they cannot know where the transaction will be ordered), so the history
says in which block each version took effect.

Beside the codes and the merged changes, the outcome lists what each valid transaction changed,
with its values after it and who made it (`Written`): the block store's record-history index
(`node.chain.store`) is written from it, in the block's own batch.

A valid configuration update (a ``config`` item, `node.chain.update`) replaces the configuration
for the rest of the block and after: a CRL it brings refuses the creators it revokes from the
next item on. Its id, the suite hash of the update's bytes, is indexed like a tx id, so that
its status is read as a transaction's is; the same update twice is DUPLICATE_TXID.

Every peer computes the same codes from the same blocks: nothing here reads a clock but the
block's, and nothing depends on which node endorsed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from node import codec
from node.chain.block import Block, decode_item
from node.chain.config import CONFIG_KEY, ChannelConfig, ConfigError, decode_config
from node.chain.contracts import ContractRecord, contract_key, decode_record, encode_record
from node.chain.update import ConfigUpdateError, check_config_update, update_id
from node.chain.upgrade import UpgradeRefused, check_upgrade
from node.crypto import CryptoSuite
from node.identity import IdentityRefused, check_identity
from node.ledger.state import StateStore
from node.ledger.version import SIZE as VERSION_SIZE
from node.ledger.version import Version
from node.tx.clock import check_timestamp
from node.tx.codes import ValidationCode as Code
from node.tx.envelope import VerifiedEnvelope, verify_envelope
from node.tx.errors import SignatureError, TimestampError, TxFormatError
from node.tx.policy import policy_text, required_count, satisfied
from node.tx.proposal import Deploy
from node.tx.response import Aborted, Completed, scan_digest
from vm import types as T
from vm.values.encoding import decode_value, encode_value
from vm.errors import Abort, EncodingError
from vm.runtime import add_values

PEER_TYPE = "peer"


@dataclass(slots=True)
class Outcome:
    """What validation decided for a block."""

    codes: list[Code] = field(default_factory=list)
    changes: dict[bytes, tuple[bytes | None, Version]] = field(default_factory=dict)
    tx_ids: dict[int, bytes] = field(default_factory=dict)  # first occurrences only
    messages: dict[int, str] = field(default_factory=dict)  # abort messages and refusals, by index
    events: list[tuple[int, int, str, str]] = field(default_factory=list)  # (index, position, contract, name)
    config: ChannelConfig | None = None  # the configuration in force after the block
    written: list[Written] = field(default_factory=list)  # what each valid transaction changed, in order
    stored: dict[bytes, bytes] = field(default_factory=dict)  # committed entries read (`StateStore.stored`)
    _ids: set[bytes] = field(default_factory=set, repr=False)  # the values of `tx_ids`, for lookups

    def first(self, index: int, tx_id: bytes, committed: Any) -> bool:
        """Whether ``tx_id`` is neither recorded (``committed(tx_id)``) nor taken by an earlier
        item of the block; if so it becomes item ``index``'s. A set, not a walk of `tx_ids`:
        a block of n transactions made that walk n * n / 2 comparisons."""
        if tx_id in self._ids or committed(tx_id):
            return False
        self._ids.add(tx_id)
        self.tx_ids[index] = tx_id
        return True


@dataclass(frozen=True, slots=True)
class Written:
    """What one valid transaction changed, and who made it (the record-history index,
    `node.chain.store`): ``changes`` the keys it wrote, each with its value after the
    transaction (None: deleted; a delta's key with the total it left)."""

    index: int
    tx_id: bytes
    org: str
    name: str
    role: str
    entry: str | None  # None for a deploy
    changes: dict[bytes, bytes | None]


class _Overlay:
    """The committed state plus what the block's earlier valid transactions changed.

    The committed state does not change while a block is validated, so each committed entry is
    read from the database once a block (the contract's record, read by every transaction, once
    in all), and kept as stored in `stored`: `StateStore.apply` takes the entries the block
    overwrites from there for its undo records."""

    def __init__(self, state: StateStore, changes: dict[bytes, tuple[bytes | None, Version]],
                 stored: dict[bytes, bytes]) -> None:
        self.state = state
        self.changes = changes
        self.stored = stored
        self._committed: dict[bytes, tuple[bytes | None, Version | None]] = {}

    def entry(self, key: bytes) -> tuple[bytes | None, Version | None]:
        if key in self.changes:
            value, version = self.changes[key]
            return value, (None if value is None else version)
        found = self._committed.get(key)
        if found is None:
            data = self.stored[key] = self.state.stored(key)
            found = self._committed[key] = (data[VERSION_SIZE:], Version.from_bytes(data)) if data else (None, None)
        return found

    def scan(self, prefix: bytes) -> list[tuple[bytes, Version]]:
        rows = {k: v for k, v in self.state.scan_versions(prefix)}
        for key, (value, version) in self.changes.items():
            if key.startswith(prefix):
                if value is None:
                    rows.pop(key, None)
                else:
                    rows[key] = version
        return sorted(rows.items())


def validate(block: Block, config: ChannelConfig, state: StateStore, suite: CryptoSuite,
             committed: Any) -> Outcome:
    """Codes and changes for ``block``; ``committed(tx_id)`` tells whether a tx id is recorded."""
    out = Outcome()
    overlay = _Overlay(state, out.changes, out.stored)
    at = datetime.fromtimestamp(block.header.time_ms / 1000, tz=timezone.utc)
    for index, raw in enumerate(block.items):
        version = Version(block.number, index)
        try:
            item = decode_item(raw)
        except TxFormatError as exc:
            out.codes.append(_refused(out, index, Code.BAD_PAYLOAD, str(exc)))
            continue
        if item.kind == "config":
            code = _config_item(out, overlay, config, suite, block, index, item.body, version, at, committed)
            if code is Code.VALID and out.config is not None:
                config = out.config
            out.codes.append(code)
            continue
        out.codes.append(_envelope(out, overlay, config, suite, block, index, item.body, version, at, committed))
    return out


def _refused(out: Outcome, index: int, code: Code, message: str) -> Code:
    out.messages[index] = message
    return code


def _config_item(out: Outcome, overlay: _Overlay, config: ChannelConfig, suite: CryptoSuite, block: Block,
                 index: int, body: bytes, version: Version, at: datetime, committed: Any) -> Code:
    if block.number == 0:  # the genesis configuration: its block is its authority
        try:
            new = decode_config(body)
        except ConfigError as exc:
            return _refused(out, index, Code.BAD_PAYLOAD, str(exc))
        data = body
    else:
        ident = update_id(suite, body)
        if not out.first(index, ident, committed):
            return _refused(out, index, Code.DUPLICATE_TXID, f"configuration update {ident.hex()} is recorded already")
        try:
            new, data = check_config_update(config, suite, body, at)
        except ConfigUpdateError as exc:
            return _refused(out, index, Code.CONFIG_REFUSED, str(exc))
    out.changes[CONFIG_KEY] = (data, version)
    out.config = new
    return Code.VALID


def _envelope(out: Outcome, overlay: _Overlay, config: ChannelConfig, suite: CryptoSuite, block: Block,
              index: int, body: bytes, version: Version, at: datetime, committed: Any) -> Code:
    try:
        env: VerifiedEnvelope = verify_envelope(suite, body)
    except TxFormatError as exc:
        return _refused(out, index, Code.BAD_PAYLOAD, str(exc))
    except SignatureError as exc:
        return _refused(out, index, Code.BAD_SIGNATURE, str(exc))
    p = env.envelope.proposal
    if p.channel != config.name:
        return _refused(out, index, Code.WRONG_CHANNEL, f"the transaction is for channel {p.channel}")
    if not out.first(index, env.tx_id, committed):
        return _refused(out, index, Code.DUPLICATE_TXID, f"transaction {env.tx_id.hex()} is recorded already")
    try:
        check_timestamp(p.timestamp_ms, block.header.time_ms, config.clock_skew_ms)
    except TimestampError as exc:
        return _refused(out, index, Code.EXPIRED, str(exc))
    trust = config.trust()
    try:
        creator = check_identity(env.creator, trust, role=p.role, at=at)
    except IdentityRefused as exc:
        return _refused(out, index, Code.CREATOR_REFUSED, str(exc))
    policy_holder: ContractRecord | None = None
    if isinstance(p.action, Deploy):
        policy = p.action.policy
    else:
        data, _ = overlay.entry(contract_key(p.contract))
        if data is None:
            return _refused(out, index, Code.UNKNOWN_CONTRACT, f"no contract named {p.contract} is deployed")
        policy_holder = decode_record(p.contract, data)
        policy = policy_holder.policy
    orgs = set()
    for cert in env.endorsers:
        try:
            who = check_identity(cert, trust, at=at)
        except IdentityRefused:
            continue  # an endorser that is no current identity counts for no organisation
        if who.type == PEER_TYPE:
            orgs.add(who.org)
    if not satisfied(policy, orgs, config.members):
        return _refused(out, index, Code.ENDORSEMENT_POLICY_FAILURE,
                        f"endorsed by {', '.join(sorted(orgs)) or 'no member peer'}; the policy "
                        f"'{policy_text(policy)}' needs {required_count(policy, config.members)}")
    result = env.envelope.response.result
    if isinstance(result, Aborted):
        return _refused(out, index, Code.CONTRACT_ABORT, result.message)
    assert isinstance(result, Completed)
    for key, read in result.reads.items():
        _, now = overlay.entry(key)
        if now != read:
            if isinstance(p.action, Deploy) and key == contract_key(p.contract):
                if read is None:
                    return _refused(out, index, Code.CONTRACT_EXISTS, f"{p.contract} was deployed meanwhile")
                if _had_version(overlay, p.contract, p.action.version):
                    return _refused(out, index, Code.CONTRACT_EXISTS, f"{p.contract} was upgraded to version "
                                    f"{p.action.version} meanwhile")
                return _refused(out, index, Code.MVCC_READ_CONFLICT, f"{p.contract} was upgraded meanwhile; run "
                                "the upgrade again")
            return _refused(out, index, Code.MVCC_READ_CONFLICT, f"key {key!r} changed since it was read")
    for prefix, seen in result.scans.items():
        rows = overlay.scan(prefix)
        if len(rows) != seen.count or scan_digest(suite, prefix, rows) != seen.digest:
            return _refused(out, index, Code.PHANTOM_READ_CONFLICT, f"entries under {prefix!r} changed")
    writes = dict(result.writes)
    if isinstance(p.action, Deploy):
        refusal = _deployed(overlay, config, suite, p.contract, p.action, writes, block.number, at)
        if refusal is not None:
            return _refused(out, index, *refusal)
    changes: dict[bytes, tuple[bytes | None, Version]] = {}
    for key, delta in result.deltas.items():
        current, _ = overlay.entry(key)
        try:
            t = T.PRIMITIVES[delta.type]
            amount = decode_value(t, delta.amount)
            if current is None:
                raise Abort(f"key {key!r} holds no value to add to", "key-not-found")
            total = add_values(t, decode_value(t, current), amount, False)
            changes[key] = (encode_value(t, total), version)
        except (Abort, EncodingError, KeyError) as exc:
            return _refused(out, index, Code.DELTA_FAILED, getattr(exc, "message", str(exc)))
    for key, value in writes.items():
        changes[key] = (value, version)
    out.changes.update(changes)
    out.written.append(Written(index, env.tx_id, creator.org, creator.name, p.role,
                               None if isinstance(p.action, Deploy) else p.action.entry,
                               {key: value for key, (value, _) in changes.items()}))
    for position, event in enumerate(result.events):
        out.events.append((index, position, p.contract, event.name))
    return Code.VALID


def _deployed(overlay: _Overlay, config: ChannelConfig, suite: CryptoSuite, contract: str,
              d: Deploy, writes: dict[bytes, bytes | None], number: int, at: datetime) -> tuple[Code, str] | None:
    """Check a deploy against the contract as it stands (an upgrade: its approvals, again) and
    stamp ``number`` into the written record's newest history entry; a refusal's (code, message)."""
    key = contract_key(contract)
    try:
        written = writes.get(key)
        if written is None:
            raise ValueError("no record is written")
        record = decode_record(contract, written)
        if not record.history:
            raise ValueError("its history is empty")
    except (ValueError, TypeError, KeyError, codec.CodecError) as exc:
        return Code.BAD_PAYLOAD, f"the endorsed deploy of {contract} writes no readable contract record ({exc})"
    data, _ = overlay.entry(key)
    if data is not None:
        if _had_version(overlay, contract, d.version):
            return Code.CONTRACT_EXISTS, f"{contract} has had version {d.version} already"
        try:
            check_upgrade(config, suite, contract, d, record.module, at)
        except UpgradeRefused as exc:
            return Code.UPGRADE_NOT_APPROVED, str(exc)
    v, module, _ = record.history[-1]
    stamped = ContractRecord(record.name, record.version, record.module, record.policy,
                             (*record.history[:-1], (v, module, number)))
    writes[key] = encode_record(stamped)
    return None


def _had_version(overlay: _Overlay, contract: str, version: str) -> bool:
    """Whether ``contract`` is deployed and is or was at ``version``."""
    data, _ = overlay.entry(contract_key(contract))
    if data is None:
        return False
    current = decode_record(contract, data)
    return version == current.version or any(v == version for v, _, _ in current.history)
