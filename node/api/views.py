"""What the API shows of a channel, as JSON: pure functions from a `Channel` to plain dicts.

Hashes and ids are lower-case hex; times are milliseconds since 1970 (UTC); contract values
(results, event fields) are LANGUAGE.md section 7 JSON, as the contract produced them. Each
function answers for the state the channel is in when called: the app calls them between
awaits, so a block never commits halfway through one (`node.api.runtime`).

A block's transactions are read from its items: an envelope gives the tx id, the contract, the
entry (None for a deploy) and the creator; a config item gives its code and, after the genesis
block, its update id (as ``tx_id``: `node.chain.update.update_id`). Bytes that do not decode (a
transaction recorded as BAD_PAYLOAD) show as nulls beside their code.

A channel's configuration (`config_view`) shows its fields as JSON, each organisation's root
and CRLs summed up (the CA's name, the CRLs' numbers, dates and how many they revoke), and the
configuration's bytes (base64), from which a client builds the next one.
"""

from __future__ import annotations

import base64
from typing import Any

from node.chain.block import Block, decode_item
from node.chain.channel import Channel
from node.chain.contracts import CONTRACT_PREFIX, ContractRecord, decode_record, module_key
from node.chain.config import CONFIG_KEY, ChannelConfig
from node.chain.store import CommitRecord, TxLocation
from node.chain.update import update_id
from node.identity import Certificate, CertificateError, RevocationList
from node.order.pbft_orderer import ConsensusFigures
from node.tx.codes import ValidationCode
from node.tx.envelope import decode_envelope
from node.tx.errors import TxFormatError
from node.tx.policy import policy_text
from node.tx.proposal import Deploy, tx_id
from node.tx.response import Completed
from vm.machine import Machine


def consensus_view(config: ChannelConfig, figures: ConsensusFigures | None) -> dict[str, Any]:
    out: dict[str, Any] = {"type": config.consensus, "orderers": list(config.replicas)}
    if figures is not None:
        out.update(view=figures.view, leader=figures.leader, checkpoint=figures.checkpoint, peers=list(figures.peers),
                   view_changes=figures.view_changes, messages_in=dict(sorted(figures.messages_in.items())),
                   messages_out=dict(sorted(figures.messages_out.items())))
    return out


def channel_view(channel: Channel, figures: ConsensusFigures | None = None) -> dict[str, Any]:
    config = channel.config
    with channel.state.snapshot() as snapshot:
        contracts = []
        for key, value in snapshot.scan(CONTRACT_PREFIX):
            record = decode_record(key[len(CONTRACT_PREFIX):].decode("utf-8"), value)
            contracts.append({"name": record.name, "version": record.version})
    return {
        "name": config.name,
        "height": channel.height(),
        "latest_block": channel.latest_id().hex(),
        "state_hash": channel.state_hash().hex(),
        "members": list(config.members),
        "regulators": list(config.regulators),
        "orderer": config.orderer,
        "consensus": consensus_view(config, figures),
        "suite": config.suite,
        "contracts": contracts,
    }


def block_view(channel: Channel, block: Block, record: CommitRecord) -> dict[str, Any]:
    h = block.header
    return {
        "number": h.number,
        "id": record.id.hex(),
        "previous": h.previous.hex(),
        "data_hash": h.data.hex(),
        "state_hash": h.state.hex(),
        "state_after": record.state.hex(),
        "time": h.time_ms,
        "transactions": [_transaction(channel, h.number, i, raw, record) for i, raw in enumerate(block.items)],
    }


def _transaction(channel: Channel, number: int, index: int, raw: bytes, record: CommitRecord) -> dict[str, Any]:
    code = record.codes[index]
    out: dict[str, Any] = {
        "index": index, "kind": None, "tx_id": None, **code_view(code), "message": record.messages.get(index),
        "contract": None, "entry": None, "creator": None, "events": [],
    }
    try:
        item = decode_item(raw)
        out["kind"] = item.kind
        if item.kind != "envelope":
            if number > 0:
                out["tx_id"] = update_id(channel.suite, item.body).hex()
            return out
        envelope = decode_envelope(item.body)
    except TxFormatError:
        return out
    p = envelope.proposal
    out.update(tx_id=tx_id(channel.suite, p).hex(), contract=p.contract,
               entry=None if isinstance(p.action, Deploy) else p.action.entry)
    out["kind"] = "deploy" if isinstance(p.action, Deploy) else "invoke"
    try:
        subject = Certificate.load(p.creator).subject
        out["creator"] = {"org": subject.org, "name": subject.name, "role": p.role}
    except CertificateError:
        out["creator"] = None
    result = envelope.response.result
    if code is ValidationCode.VALID and isinstance(result, Completed):
        out["events"] = [{"event": e.name, "fields": e.fields} for e in result.events]
    return out


def config_view(channel: Channel) -> dict[str, Any]:
    """The configuration in force: its fields, and its bytes (base64) as the state holds them."""
    found = channel.state.get(CONFIG_KEY)
    if found is None:
        raise LookupError(f"channel {channel.name} holds no configuration")
    config: ChannelConfig = channel.config
    return {
        "name": config.name, "suite": config.suite, "sequence": config.sequence,
        "orgs": [_org_view(o.name, o.root, o.crls) for o in config.orgs],
        "regulators": list(config.regulators), "consensus": config.consensus, "orderer": config.orderer,
        "block_max_tx": config.block_max_tx, "block_timeout_ms": config.block_timeout_ms,
        "gas_limit": config.gas_limit, "clock_skew_ms": config.clock_skew_ms,
        "tz_offset_minutes": config.tz_offset_minutes,
        "config": base64.b64encode(found[0]).decode("ascii"),
    }


def _org_view(name: str, root: bytes, crls: tuple[bytes, ...]) -> dict[str, Any]:
    ca = Certificate.load(root)
    lists = [RevocationList.load(c) for c in crls]
    return {"name": name, "root": base64.b64encode(root).decode("ascii"), "ca": ca.subject.name,
            "ca_not_after": ca.not_after.isoformat(),
            "crls": [{"number": c.number, "this_update": c.this_update.isoformat(),
                      "next_update": None if c.next_update is None else c.next_update.isoformat(),
                      "revoked": len(c.revoked)} for c in lists]}


def code_view(code: ValidationCode | None) -> dict[str, Any]:
    if code is None:
        return {"code": None, "code_name": None, "explanation": None}
    return {"code": code.value, "code_name": code.name, "explanation": code.explanation}


def transaction_view(channel: Channel, tx: bytes, location: TxLocation | None, pending: bool) -> dict[str, Any]:
    if location is None:
        return {"tx_id": tx.hex(), "status": "pending" if pending else "unknown", **code_view(None),
                "block": None, "index": None, "message": None}
    record = channel.commit_record(location.block)
    message = None if record is None else record.messages.get(location.index)
    return {"tx_id": tx.hex(), "status": "committed", **code_view(location.code), "block": location.block,
            "index": location.index, "message": message}


def contract_view(channel: Channel, record: ContractRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "version": record.version,
        "policy": policy_text(record.policy),
        "module": record.module.hex(),
        "history": [{"version": v, "module": m.hex(), "block": b} for v, m, b in record.history],
        "abi": abi_view(machine_of(channel, record)),
    }


def machine_of(channel: Channel, record: ContractRecord) -> Machine:
    def load() -> bytes:
        found = channel.state.get(module_key(record.module))
        if found is None:
            raise LookupError(f"the module {record.module.hex()} of {record.name} is missing from the state")
        return found[0]

    return channel.machines.get(record.module, load)


def abi_view(machine: Machine) -> dict[str, Any]:
    """What a caller needs to call the contract: entries with their parameters and roles, events,
    and the record and enum types those use (types written as in Bao: ``Map[Text, Money]``)."""
    module = machine.module
    docs = {e.name: e.doc for e in module.entries}
    return {
        "contract": module.name,
        "parties": list(module.parties),
        "entries": [
            {"name": e.name, "kind": e.kind, "params": [{"name": p.name, "type": str(p.type)} for p in e.params],
             "returns": None if e.returns is None else str(e.returns), "roles": list(e.roles), "anyone": e.anyone,
             "doc": docs.get(e.name, "")}
            for e in machine.entries() if not e.name.startswith("__")
        ],
        "events": [{"name": ev.name, "fields": [{"name": f.name, "type": str(f.type)} for f in ev.fields]}
                   for ev in module.events],
        "records": {name: [{"name": f, "type": str(t)} for f, t in fields]
                    for name, fields in machine.types.records.items()},
        "enums": {name: list(values) for name, values in machine.types.enums.items()},
    }
