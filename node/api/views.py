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
from node.chain.contracts import CONTRACT_PREFIX, ContractError, ContractRecord, decode_record, module_key
from node.chain.config import CONFIG_KEY, ChannelConfig
from node.chain.store import CommitRecord, TxLocation
from node.chain.update import update_id
from node.identity import Certificate, CertificateError, RevocationList
from node.ledger.merkle import value_preimage
from node.ledger.proof import StateProof, encode_proof
from node.order.pbft_orderer import ConsensusFigures
from node.tx.codes import ValidationCode
from node.tx.envelope import Envelope, decode_envelope
from node.tx.errors import TxFormatError
from node.tx.policy import policy_text
from node.tx.proposal import Deploy, Proposal, tx_id
from node.tx.response import Completed
from vm.runtime import Machine


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


def block_codes_view(channel: Channel, block: Block, record: CommitRecord) -> dict[str, Any]:
    """What a client waiting for its transactions reads of a block: each one's id and code (as
    Fabric's filtered blocks carry), without decoding creators, events or messages."""
    h = block.header
    transactions = []
    for i, raw in enumerate(block.items):
        code = record.codes[i]
        transactions.append({"index": i, "tx_id": _read_item(channel, h.number, raw)[1], "code": code.value,
                             "code_name": code.name})
    return {"number": h.number, "id": record.id.hex(), "time": h.time_ms, "transactions": transactions}


def _read_item(channel: Channel, number: int, raw: bytes) -> tuple[str | None, str | None, Envelope | None]:
    """A block item's kind (as the item names it), its id (hex; a config item's update id, none
    for the genesis configuration) and its envelope; nulls for bytes that do not decode."""
    try:
        item = decode_item(raw)
    except TxFormatError:
        return None, None, None
    try:
        if item.kind != "envelope":
            return item.kind, update_id(channel.suite, item.body).hex() if number > 0 else None, None
        envelope = decode_envelope(item.body)
    except TxFormatError:
        return item.kind, None, None
    return item.kind, tx_id(channel.suite, envelope.proposal).hex(), envelope


def _transaction(channel: Channel, number: int, index: int, raw: bytes, record: CommitRecord) -> dict[str, Any]:
    code = record.codes[index]
    kind, ident, envelope = _read_item(channel, number, raw)
    out: dict[str, Any] = {
        "index": index, "kind": kind, "tx_id": ident, **code_view(code), "message": record.messages.get(index),
        "contract": None, "entry": None, "creator": None, "events": [],
    }
    if envelope is None:
        return out
    p = envelope.proposal
    out.update(contract=p.contract, entry=None if isinstance(p.action, Deploy) else p.action.entry)
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


def proof_view(channel: Channel, proof: StateProof, root: bytes) -> dict[str, Any]:
    """A state proof as the API answers it: whole (``proof``, base64 of `encode_proof`, for the
    client library) and decoded, so that a browser can check it with WebCrypto's SHA-256 alone:

    - ``key``, ``value`` (hex; null: absent), ``version`` ([block, tx]; null: absent),
      ``siblings`` (hex from the root's children down; "" for an empty subtree: n zero bytes),
      ``other`` ([key hash, value hash] of the leaf an absence ends at, or null);
    - ``value_preimage``: the bytes the value hash is taken of (`node.ledger.merkle.value_preimage`),
      the codec (canonical MessagePack, `node.codec`) list ``[value, block, tx]``: 0x93 (an
      array of 3); the value as bin, 0xc4 + 1-byte length when shorter than 256 bytes, 0xc5 +
      2-byte big-endian length below 65536, else 0xc6 + 4-byte length, then its bytes; then
      block and tx each as the shortest unsigned int: one byte 0x00-0x7f for 0 to 127, 0xcc +
      1 byte, 0xcd + 2 bytes, 0xce + 4 bytes, 0xcf + 8 bytes (big-endian). A page checks that
      the preimage is exactly that encoding of the value and version shown, then hashes it;
    - ``header``: the number, id and state hash of block ``block + 1``, whose header carries
      the state hash after ``block`` (null until that block exists: compare with the channel's
      ``state_hash``).

    The check (`node.ledger.proof.check_proof`): kh = H(key), leaf H(0x00 || kh || H(preimage))
    (for an absence at another leaf, H(0x00 || other kh || other vh); at an empty subtree, n zero
    bytes), then up the siblings from the deepest, H(0x01 || left || right) with sides by kh's
    bits, most significant first; the result must equal the root."""
    after = channel.blocks.header(proof.block + 1)
    header = None if after is None else {"number": after.number, "id": channel.block_id_of(after).hex(),
                                         "state_hash": after.state.hex()}
    zero = bytes(channel.suite.digest_size)
    return {
        "block": proof.block, "state_hash": root.hex(),
        "proof": base64.b64encode(encode_proof(proof)).decode("ascii"),
        "suite": channel.config.suite, "key": proof.key.hex(),
        "value": None if proof.value is None else proof.value.hex(),
        "version": None if proof.version is None else [proof.version.block, proof.version.tx],
        "siblings": ["" if s == zero else s.hex() for s in proof.siblings],
        "other": None if proof.other is None else [h.hex() for h in proof.other],
        "header": header,
        "value_preimage": None if proof.value is None or proof.version is None
        else value_preimage(proof.value, proof.version).hex(),
    }


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
    out = {"tx_id": tx.hex(), "status": "committed", **code_view(location.code), "block": location.block,
           "index": location.index, "message": message}
    block = channel.block(location.block)
    if block is not None and record is not None:
        out.update(_details(channel, block, location.index, record))
    return out


def _details(channel: Channel, block: Block, index: int, record: CommitRecord) -> dict[str, Any]:
    """A committed transaction beyond its status: its row of the block (kind, contract, entry,
    creator, events), the block's time, and from its envelope the arguments by parameter name
    (the entry's, or ``init``'s for a deploy, in the module the contract ran at that block), the
    result and the keys written (a VALID one's), the gas the endorsers metered and who endorsed."""
    row = _transaction(channel, block.number, index, block.items[index], record)
    out: dict[str, Any] = {key: row[key] for key in ("kind", "contract", "entry", "creator", "events")}
    out.update(time=block.header.time_ms, args=None, result=None, gas=None, endorsers=[], writes=[])
    if row["kind"] not in ("invoke", "deploy"):
        return out
    envelope = decode_envelope(decode_item(block.items[index]).body)  # it decoded for the row
    p = envelope.proposal
    entry = "init" if isinstance(p.action, Deploy) else p.action.entry
    out["args"] = _named_args(channel, p.contract, entry, block.number, list(p.args))
    result = envelope.response.result
    out["gas"] = result.gas
    if record.codes[index] is ValidationCode.VALID and isinstance(result, Completed):
        out["result"] = result.value
        out["writes"] = sorted(k.hex() for k in (*result.writes, *result.deltas))
    out["endorsers"] = [_endorser(e.endorser) for e in envelope.endorsements]
    return out


def _named_args(channel: Channel, contract: str, entry: str, number: int, args: list[Any]) -> dict[str, Any] | list[Any]:
    """``args`` by the parameter names of ``entry`` in the module ``contract`` ran at block
    ``number`` (its newest deploy up to that block); as given (a list) when that module or entry
    is not found or the count differs, which a VALID call never has."""
    record = channel.contract(contract)
    modules = [] if record is None else [m for _, m, b in record.history if b <= number]
    if not modules:
        return args
    try:
        machine = module_machine(channel, modules[-1])
        params = machine.entry(entry).params
    except (LookupError, ContractError):
        return args
    if len(params) != len(args):
        return args
    return {param.name: value for param, value in zip(params, args)}


def _endorser(der: bytes) -> dict[str, str | None]:
    try:
        subject = Certificate.load(der).subject
    except CertificateError:
        return {"org": None, "name": None}
    return {"org": subject.org, "name": subject.name}


def contract_view(channel: Channel, record: ContractRecord) -> dict[str, Any]:
    return {
        "name": record.name,
        "version": record.version,
        "policy": policy_text(record.policy),
        "module": record.module.hex(),
        "history": [{"version": v, "module": m.hex(), "block": b, "tx_id": _deploy_tx(channel, record.name, v, b)}
                    for v, m, b in record.history],
        "abi": abi_view(machine_of(channel, record)),
    }


def deploy_of(channel: Channel, contract: str, version: str, number: int) -> tuple[bytes, Proposal] | None:
    """The tx id and proposal of the deploy of ``contract`` at ``version`` committed in block
    ``number`` (a contract's history names the block of each version: one block read)."""
    block = channel.block(number)
    record = channel.commit_record(number)
    if block is None or record is None:
        return None
    for index, raw in enumerate(block.items):
        if record.codes[index] is not ValidationCode.VALID:
            continue
        try:
            item = decode_item(raw)
            if item.kind != "envelope":
                continue
            p = decode_envelope(item.body).proposal
        except TxFormatError:
            continue
        if p.contract == contract and isinstance(p.action, Deploy) and p.action.version == version:
            return tx_id(channel.suite, p), p
    return None


def _deploy_tx(channel: Channel, contract: str, version: str, number: int) -> str | None:
    found = deploy_of(channel, contract, version, number)
    return None if found is None else found[0].hex()


def machine_of(channel: Channel, record: ContractRecord) -> Machine:
    return module_machine(channel, record.module)


def module_machine(channel: Channel, module: bytes) -> Machine:
    """The machine of the module whose hash is ``module`` (the state keeps every module deployed)."""
    def load() -> bytes:
        found = channel.state.get(module_key(module))
        if found is None:
            raise LookupError(f"the module {module.hex()} is missing from the state")
        return found[0]

    return channel.machines.get(module, load)


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
