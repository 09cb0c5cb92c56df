"""Endorsement, the first of a transaction's three steps: check a proposal, simulate it on the
committed state, and say what it did.

`simulate` takes a proposal whose signature verified and runs it on one consistent snapshot of the
state (`node.ledger.StateSnapshot`), through the contract's machine; the node signs the
`node.tx.response.Response` it returns. Before anything runs, a proposal is refused
(`ProposalRefused`, nothing signed) when:

- its timestamp is outside the channel's clock-skew window of this node's clock;
- its creator is not a current identity of a member organisation holding the role it acts in
  (`check_identity`: issuer, expiry, revocation, key usage), or is a regulator's client asking
  to change state (regulators' clients read; their organisations' nodes endorse);
- it names a contract that is not deployed, an entry the contract lacks, the init entry, or
  arguments that do not fit the entry's parameters (section 7; the refusal names the parameter);
- it deploys code that does not compile or that the verifier refuses, or its creator is not an
  admin;
- it deploys over a contract of that name with a version the contract has had ("exists"), or
  without the approvals of admins of a majority of the members (an upgrade, `node.chain.upgrade`:
  "upgrade"), or carries approvals for a contract that is not deployed ("unknown-contract").

A deploy writes the contract's record (`node.chain.contracts`) and its module. A first deploy
runs the module's init (or writes the state's initial values); an upgrade runs nothing and keeps
the contract's state. Either way the record's history gains the entry (version, module hash, 0):
the block number is not known until the transaction is ordered, and the validator writes it in
when it commits (`node.chain.validator`).

A call that aborts is not refused: the abort is the result, signed like any other, so that the
client may record the refusal on the ledger (it commits as CONTRACT_ABORT, changing nothing).

What the response holds (`node.tx.response`): the read set with the version of every key read,
the write set, the keys changed only by `+=`/`-=` (deltas: moved out of the reads and writes, so
that concurrent additions to one total do not conflict), each scanned prefix with a digest of
what it held, the result and the events as section-7 JSON, and the gas used.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from node.chain.config import ChannelConfig
from node.chain.contracts import (
    ContractError,
    ContractHost,
    ContractRecord,
    Machines,
    compile_source,
    contract_key,
    decode_record,
    encode_record,
    module_key,
    state_prefix,
)
from node.chain.upgrade import UpgradeRefused, check_upgrade
from node.identity import Certificate, IdentityRefused, VerifiedIdentity, check_identity
from node.ledger.state import StateSnapshot
from node.ledger.version import Version
from node.tx.clock import check_timestamp
from node.tx.errors import TimestampError
from node.tx.proposal import Deploy, Invoke, VerifiedProposal
from node.tx.response import Aborted, Completed, EmittedEvent, Response, ScanRecord, StateDelta, scan_digest
from vm.errors import Abort, ValueFormError
from vm.runtime import CallContext
from vm.runtime import CallResult, Machine
from vm.values.party import Party
from vm.values import to_json

ADMIN_TYPE = "admin"


class ProposalRefused(Exception):
    """A proposal this node will not endorse; ``reason`` is a short stable word for programs,
    the message says why in words."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


@dataclass(frozen=True, slots=True)
class Simulation:
    response: Response
    creator: VerifiedIdentity
    machine: Machine | None  # the contract's machine (for a view's result type, say)


def identity_of(config: ChannelConfig, certificate: Certificate | bytes, role: str, at_ms: int) -> VerifiedIdentity:
    """The creator as the channel knows it, acting in ``role``; `ProposalRefused` otherwise."""
    at = datetime.fromtimestamp(at_ms / 1000, tz=timezone.utc)
    try:
        return check_identity(certificate, config.trust(), role=role, at=at)
    except IdentityRefused as exc:
        raise ProposalRefused("identity", f"the creator's certificate is refused: {exc}") from None


def contract_record(snapshot: StateSnapshot, name: str) -> ContractRecord | None:
    data = snapshot.get(contract_key(name))
    return None if data is None else decode_record(name, data)


def simulate(config: ChannelConfig, snapshot: StateSnapshot, machines: Machines, proposal: VerifiedProposal,
             now_ms: int, *, read_only: bool = False) -> Simulation:
    """Run ``proposal`` on ``snapshot``; ``read_only``: a query, which only views may answer."""
    p = proposal.signed.proposal
    if p.channel != config.name:
        raise ProposalRefused("channel", f"the proposal is for channel {p.channel}, not {config.name}")
    try:
        check_timestamp(p.timestamp_ms, now_ms, config.clock_skew_ms)
    except TimestampError as exc:
        raise ProposalRefused("expired", str(exc)) from None
    creator = identity_of(config, proposal.creator, p.role, now_ms)
    ctx = CallContext(Party(creator.org, creator.name, p.role), p.timestamp_ms, proposal.tx_id,
                      config.tz_offset_minutes, config.name)
    gas = config.gas_limit
    if isinstance(p.action, Deploy):
        if read_only:
            raise ProposalRefused("read-only", "a query cannot deploy a contract")
        return _deploy(config, snapshot, machines, proposal, p.action, creator, ctx, now_ms)
    assert isinstance(p.action, Invoke)
    record = contract_record(snapshot, p.contract)
    if record is None:
        raise ProposalRefused("unknown-contract", f"no contract named {p.contract} is deployed on {config.name}")
    try:
        machine = machines.get(record.module, lambda: _module_bytes(snapshot, record))
    except ContractError as exc:
        raise ProposalRefused("bad-module", f"contract {p.contract}: {exc}") from None
    entry = p.action.entry
    names = {e.name: e for e in machine.entries() if e.kind != "init"}
    if entry not in names:
        raise ProposalRefused("unknown-entry", f"contract {p.contract} has no action or view named {entry}; it has: "
                              + ", ".join(sorted(names)))
    info = names[entry]
    if info.kind != "view" and (read_only or creator.is_regulator):
        who = "a query" if read_only else "a regulator's client"
        raise ProposalRefused("read-only", f"{who} may call views only; {entry} is an action")
    host = ContractHost(snapshot, p.contract)
    try:
        result = machine.call_json(entry, list(p.args), ctx, host, gas)
    except ValueFormError as exc:
        raise ProposalRefused("arguments", f"{p.contract}.{entry}: {exc}") from None
    except Abort as exc:
        return Simulation(Response(proposal.hash, Aborted(exc.message, exc.kind, exc.gas_used)), creator, machine)
    value = None if info.returns is None else to_json(info.returns, result.value, machine.types)
    completed = _completed(config, snapshot, machine, p.contract, result, value)
    # The contract's record was read too: an upgrade between simulation and commit is a conflict.
    reads = dict(completed.reads)
    reads[contract_key(p.contract)] = snapshot.reads[contract_key(p.contract)]
    completed = Completed(reads, completed.writes, completed.deltas, completed.scans, completed.value,
                          completed.events, completed.gas)
    return Simulation(Response(proposal.hash, completed), creator, machine)


def _deploy(config: ChannelConfig, snapshot: StateSnapshot, machines: Machines, proposal: VerifiedProposal,
            d: Deploy, creator: VerifiedIdentity, ctx: CallContext, now_ms: int) -> Simulation:
    p = proposal.signed.proposal
    if creator.type != ADMIN_TYPE:
        raise ProposalRefused("not-admin", f"only an organisation's admin may deploy contracts; "
                              f"{creator.name} of {creator.org} is a {creator.type}")
    existing = contract_record(snapshot, p.contract)
    if existing is not None:
        if existing.version == d.version:
            raise ProposalRefused("exists", f"{p.contract} version {d.version} is already deployed")
        if any(v == d.version for v, _, _ in existing.history):
            raise ProposalRefused("exists", f"{p.contract} was at version {d.version} before; a contract never "
                                  "takes a version again: name the new one otherwise")
    elif d.approvals:
        raise ProposalRefused("unknown-contract", f"no contract named {p.contract} is deployed on {config.name}: "
                              "there is nothing to upgrade (a first deploy carries no approvals)")
    unknown = set(_policy_orgs(d)) - set(config.members)
    if unknown:
        raise ProposalRefused("policy", f"the policy names {', '.join(sorted(unknown))}, not members of {config.name}")
    try:
        module = d.module if d.module is not None else compile_source(d.source or "")
        machine = Machines.build(module)
    except ContractError as exc:
        raise ProposalRefused("bad-module", f"{p.contract}: {exc}") from None
    module_hash = config_suite(config).hash(module)
    if existing is not None:
        return _upgrade(config, snapshot, proposal, d, existing, module, module_hash, creator, machine, now_ms)
    host = ContractHost(snapshot, p.contract)
    has_init = any(e.kind == "init" for e in machine.entries())
    try:
        if has_init:
            result = machine.deploy_json(list(p.args), ctx, host, config.gas_limit)
        elif p.args:
            raise ProposalRefused("arguments", f"{p.contract} has no init; it takes no deploy arguments")
        else:
            result = machine.deploy_defaults(ctx, host, config.gas_limit)
    except ValueFormError as exc:
        raise ProposalRefused("arguments", f"{p.contract}.init: {exc}") from None
    except Abort as exc:
        return Simulation(Response(proposal.hash, Aborted(exc.message, exc.kind, exc.gas_used)), creator, machine)
    completed = _completed(config, snapshot, machine, p.contract, result, None)
    record = ContractRecord(p.contract, d.version, module_hash, d.policy, ((d.version, module_hash, 0),))
    reads = dict(completed.reads)
    reads[contract_key(p.contract)] = snapshot.reads.get(contract_key(p.contract))
    writes = dict(completed.writes)
    writes[contract_key(p.contract)] = encode_record(record)
    writes[module_key(module_hash)] = module
    return Simulation(Response(proposal.hash, Completed(reads, writes, completed.deltas, completed.scans, None,
                                                        completed.events, completed.gas)), creator, machine)


def _upgrade(config: ChannelConfig, snapshot: StateSnapshot, proposal: VerifiedProposal, d: Deploy,
             existing: ContractRecord, module: bytes, module_hash: bytes, creator: VerifiedIdentity,
             machine: Machine, now_ms: int) -> Simulation:
    """The new record and module, once the admins' approvals hold (`node.chain.upgrade`)."""
    p = proposal.signed.proposal
    try:
        check_upgrade(config, config_suite(config), p.contract, d, module_hash,
                      datetime.fromtimestamp(now_ms / 1000, tz=timezone.utc))
    except UpgradeRefused as exc:
        raise ProposalRefused("upgrade", str(exc)) from None
    if p.args:
        raise ProposalRefused("arguments", f"an upgrade runs no init, so it takes no arguments; {len(p.args)} given")
    record = ContractRecord(p.contract, d.version, module_hash, d.policy,
                            (*existing.history, (d.version, module_hash, 0)))
    key = contract_key(p.contract)
    reads = {key: snapshot.reads[key]}  # an upgrade or invoke that commits first is a conflict
    writes = {key: encode_record(record), module_key(module_hash): module}
    return Simulation(Response(proposal.hash, Completed(reads, writes, {}, {}, None, (), 0)), creator, machine)


def _policy_orgs(d: Deploy) -> tuple[str, ...]:
    return tuple(getattr(d.policy, "orgs", ()))


def config_suite(config: ChannelConfig):  # noqa: ANN201 - CryptoSuite
    from node.crypto import get_suite

    return get_suite(config.suite)


def _module_bytes(snapshot: StateSnapshot, record: ContractRecord) -> bytes:
    data = snapshot.get(module_key(record.module))
    if data is None:
        raise ContractError(f"its module {record.module.hex()} is missing from the state")
    return data


def _completed(config: ChannelConfig, snapshot: StateSnapshot, machine: Machine, contract: str, result: CallResult,
               value: object) -> Completed:
    """The VM's result in the ledger's keys: prefixed by the contract, versions from the snapshot,
    `+=`-only keys moved to the deltas, scans digested."""
    prefix = state_prefix(contract)
    suite = config_suite(config)
    deltas = {prefix + k: StateDelta.from_vm(d) for k, d in result.deltas.items()}
    versions: dict[bytes, Version | None] = {k: v for rows in snapshot.scans.values() for k, v in rows}  # scans ...
    versions.update(snapshot.reads)  # ... and what was read one by one
    reads = {prefix + k: versions.get(prefix + k) for k in result.reads if prefix + k not in deltas}
    writes = {prefix + k: v for k, v in result.writes.items() if prefix + k not in deltas}
    scans = {}
    for p in result.scans:
        seen = snapshot.scans.get(prefix + p, ())
        scans[prefix + p] = ScanRecord(len(seen), scan_digest(suite, prefix + p, seen))
    events = tuple(EmittedEvent(e["event"], e["fields"]) for e in (machine.event_json(ev) for ev in result.events))
    # value: vm.values.to_json's section-7 JSON, which the VM types as object (it knows no JSONValue)
    return Completed(reads, writes, deltas, scans, value, events, result.gas_used)  # type: ignore[arg-type]
